"""Fit the learned lexicon (``features.lexical.LexicalScorer``) and its out-of-fold columns.

The lexicon's four columns feed the network, so the network must be trained on lexicon
scores the lexicon did not see the labels of: the columns for training rows are computed
out-of-fold by group (stacking), and the shipped lexicon is fit on everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from features.extract import TOKEN_RX
from features.lexical import LEXICAL_COLUMNS, LEXICAL_LABELS, LexicalScorer

from . import corpora

# Words seen in fewer blocks than this are left out (names, typos, ids).
MIN_BLOCKS_PER_WORD = 5
MAX_WORDS = 40000
L2_ALPHA = 2e-6
EPOCHS = 8
OOF_FOLDS = 3
# The spam-vs-comment column: a binary model, spam vs ham comments, class-balanced. Spam: the
# YouTube spam of the training videos (and SMS spam). Ham: YouTube and SMS ham *and* the news
# comments of the training pages, the two kinds of ham weighted equally. Trained without the
# news comments it learned "news-ness" (it fired on 29% of news comments); trained on page
# blocks alone (news comments vs YouTube spam) it learned "YouTube-ness".
SPAM_ALPHA = 1e-5
SPAM_EPOCHS = 15
COMMENT, SPAM = 1, 2  # label indices (classifier.model.LABELS)


def _tokens(text: str) -> list[str]:
    return [w for w in TOKEN_RX.findall(text.lower()) if w != "\n"]


def block_matrix(texts: Sequence[str], vocabulary: dict[str, int] | None = None):
    """Word counts per block (CSR) with the runtime tokenizer; returns (matrix, vectorizer)."""
    vec = CountVectorizer(tokenizer=_tokens, lowercase=False, token_pattern=None,
                          min_df=1 if vocabulary else MIN_BLOCKS_PER_WORD,
                          max_features=None if vocabulary else MAX_WORDS, vocabulary=vocabulary)
    M = vec.fit_transform(texts) if vocabulary is None else vec.transform(texts)
    return M.tocsr().astype(np.float32), vec


def spam_examples(corpora_dir: Path, videos: Sequence[str] | None = None,
                  use_sms: bool = True) -> list[tuple[str, bool]]:
    """The examples that train the spam column: YouTube comments of ``videos`` (all when None)
    and the SMS Spam Collection, each when present."""
    out: list[tuple[str, bool]] = []
    yt_root = Path(corpora_dir) / "youtube_spam"
    if yt_root.exists():
        yt = corpora.read_youtube(yt_root)
        for v in sorted(yt) if videos is None else videos:
            out.extend(yt[v])
    sms_root = Path(corpora_dir) / "sms_spam"
    if use_sms and sms_root.exists():
        out.extend(corpora.read_sms(sms_root))
    return out


def _freqs(M, n_tokens: np.ndarray):
    """Counts -> word frequencies per block (the scorer's mean-word-weight arithmetic)."""
    return sparse.diags(1.0 / np.maximum(n_tokens, 1)).dot(M).tocsr()


def fit_scorer(M, n_tokens: np.ndarray, y: np.ndarray, words: list[str], seed: int) -> LexicalScorer:
    """Logistic regression on word frequencies -> a scorer with the same arithmetic at run time.

    Fills the four label columns; the spam column stays 0 until ``fit_spam_column``.
    """
    X = _freqs(M, n_tokens)
    clf = SGDClassifier(loss="log_loss", alpha=L2_ALPHA, max_iter=EPOCHS, tol=None, random_state=seed)
    clf.fit(X, y)
    W = np.zeros((len(words) + 1, LEXICAL_COLUMNS), dtype=np.float32)
    b = np.full(LEXICAL_COLUMNS, -5.0, dtype=np.float32)
    b[LEXICAL_LABELS:] = 0.0
    coef = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_[0], clf.coef_[0]])
    inter = clf.intercept_ if len(clf.classes_) > 2 else np.array([-clf.intercept_[0], clf.intercept_[0]])
    for j, c in enumerate(clf.classes_):
        W[1:, int(c)] = coef[j]
        b[int(c)] = inter[j]
    return LexicalScorer(words, W, b)


def _fit_spam(X, is_spam: np.ndarray, weight: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """Binary logistic regression on word frequencies, spam and ham weighted equally overall."""
    if len(np.unique(is_spam)) < 2:
        return np.zeros(X.shape[1], dtype=np.float32), 0.0
    w = weight.astype(np.float64).copy()
    w[is_spam] *= w[~is_spam].sum() / max(w[is_spam].sum(), 1e-9)
    w *= len(w) / w.sum()
    clf = SGDClassifier(loss="log_loss", alpha=SPAM_ALPHA, max_iter=SPAM_EPOCHS, tol=None, random_state=seed)
    clf.fit(X, is_spam.astype(np.int64), sample_weight=w)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def fit_spam_column(scorer: LexicalScorer, vocabulary: dict[str, int], texts: Sequence[str], y: np.ndarray,
                    groups: np.ndarray, oof: np.ndarray, examples: Sequence[tuple[str, bool]], seed: int,
                    folds: int = OOF_FOLDS) -> None:
    """Train the spam column and fill it in ``scorer`` and (out of fold) in ``oof``.

    Training rows: ``examples`` (labelled comments) plus the page blocks labelled comment that
    are not examples themselves (news comments, ham). Out of fold by page group: a block is
    scored by a model trained neither on its group's blocks nor on any example whose text
    occurs in its group (the YouTube comments inserted there).
    """
    if not examples:
        return
    ex_texts = [t for t, _ in examples]
    ex_set = set(ex_texts)
    E, _ = block_matrix(ex_texts, vocabulary)
    n_ex = np.fromiter((len(_tokens(t)) for t in ex_texts), dtype=np.float64, count=len(ex_texts))
    XE = _freqs(E, n_ex)
    ex_spam = np.array([s for _, s in examples], dtype=bool)
    M, _ = block_matrix(texts, vocabulary)
    n_tok = np.fromiter((len(_tokens(t)) for t in texts), dtype=np.float64, count=len(texts))
    XP = _freqs(M, n_tok)
    news = np.array([lab == COMMENT and t not in ex_set for t, lab in zip(texts, y)], dtype=bool)
    ex_ham_total = max(float((~ex_spam).sum()), 1.0)

    def fit(ex_rows: np.ndarray, page_rows: np.ndarray) -> tuple[np.ndarray, float]:
        rows = np.flatnonzero(page_rows & news)
        X = sparse.vstack([XE[ex_rows], XP[rows]]).tocsr()
        is_spam = np.concatenate([ex_spam[ex_rows], np.zeros(len(rows), dtype=bool)])
        weight = np.concatenate([np.ones(int(ex_rows.sum())),
                                 np.full(len(rows), ex_ham_total / max(len(rows), 1))])
        return _fit_spam(X, is_spam, weight, seed)

    col = LEXICAL_LABELS
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(y)), groups=groups):
        te_texts = {texts[i] for i in te}
        ex_rows = np.array([t not in te_texts for t in ex_texts], dtype=bool)
        page_rows = np.zeros(len(texts), dtype=bool)
        page_rows[tr] = True
        w, b = fit(ex_rows, page_rows)
        oof[te, col] = np.asarray(XP[te] @ w, dtype=np.float32) + b
    w, b = fit(np.ones(len(ex_texts), dtype=bool), np.ones(len(texts), dtype=bool))
    weights = scorer.weights.copy()  # (the scorer's weights are read-only: replaced, not written into)
    weights[1:, col] = w
    weights.flags.writeable = False
    scorer.weights = weights
    scorer.bias[col] = b


def fit_with_oof(texts: Sequence[str], y: np.ndarray, groups: np.ndarray, seed: int,
                 folds: int = OOF_FOLDS, spam: Sequence[tuple[str, bool]] = ()) -> tuple[LexicalScorer, np.ndarray]:
    """The lexicon fit on all blocks, and out-of-fold scores [n, 5] for every block.

    ``spam``: (text, is_spam) comments that train the spam column (see ``fit_spam_column``).
    """
    M, vec = block_matrix(texts)
    words = [w for w, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    n_tokens = np.fromiter((len(_tokens(t)) for t in texts), dtype=np.float64, count=len(texts))
    oof = np.zeros((len(texts), LEXICAL_COLUMNS), dtype=np.float32)
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(y)), groups=groups):
        s = fit_scorer(M[tr], n_tokens[tr], y[tr], words, seed)
        oof[te] = _score_rows(s, M[te], n_tokens[te])
    scorer = fit_scorer(M, n_tokens, y, words, seed)
    fit_spam_column(scorer, vec.vocabulary_, texts, y, groups, oof, spam, seed, folds)
    return scorer, oof


def fit_with_oof_rows(texts: Sequence[str], y: np.ndarray, groups: np.ndarray, seed: int, fit_rows: np.ndarray,
                      folds: int = OOF_FOLDS, spam: Sequence[tuple[str, bool]] = ()
                      ) -> tuple[LexicalScorer, np.ndarray]:
    """``fit_with_oof`` on the rows ``fit_rows`` marks; the other rows (labels the lexicon must not
    learn from) are scored by the lexicon fitted on the marked ones, which they never trained."""
    idx = np.flatnonzero(fit_rows)
    scorer, fitted = fit_with_oof([texts[i] for i in idx], y[idx], groups[idx], seed, folds=folds, spam=spam)
    oof = np.zeros((len(texts), LEXICAL_COLUMNS), dtype=np.float32)
    oof[idx] = fitted
    rest = np.flatnonzero(~fit_rows)
    if rest.size:
        rest_texts = [texts[i] for i in rest]
        M, _ = block_matrix(rest_texts, {w: i for i, w in enumerate(scorer.words)})
        n_tokens = np.fromiter((len(_tokens(t)) for t in rest_texts), dtype=np.float64, count=len(rest_texts))
        oof[rest] = _score_rows(scorer, M, n_tokens)
    return scorer, oof


def _score_rows(s: LexicalScorer, M, n_tokens: np.ndarray) -> np.ndarray:
    """The scorer's arithmetic on a count matrix (same as ``LexicalScorer.score``)."""
    out = (M @ s.weights[1:]) / np.maximum(n_tokens, 1)[:, None] + s.bias
    out = np.asarray(out, dtype=np.float32)
    out[:, :LEXICAL_LABELS] -= out[:, :LEXICAL_LABELS].mean(axis=1, keepdims=True)
    return out
