"""Fit the learned lexicon (``features.lexical.LexicalScorer``) and its out-of-fold columns.

The lexicon's four columns feed the network, so the network must be trained on lexicon
scores the lexicon did not see the labels of: the columns for training rows are computed
out-of-fold by group (stacking), and the shipped lexicon is fit on everything.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from features.extract import TOKEN_RX
from features.lexical import LEXICAL_LABELS, LexicalScorer

# Words seen in fewer blocks than this are left out (names, typos, ids).
MIN_BLOCKS_PER_WORD = 5
MAX_WORDS = 40000
L2_ALPHA = 2e-6
EPOCHS = 8
OOF_FOLDS = 3


def _tokens(text: str) -> list[str]:
    return [w for w in TOKEN_RX.findall(text.lower()) if w != "\n"]


def block_matrix(texts: Sequence[str], vocabulary: dict[str, int] | None = None):
    """Word counts per block (CSR) with the runtime tokenizer; returns (matrix, vectorizer)."""
    vec = CountVectorizer(tokenizer=_tokens, lowercase=False, token_pattern=None,
                          min_df=1 if vocabulary else MIN_BLOCKS_PER_WORD,
                          max_features=None if vocabulary else MAX_WORDS, vocabulary=vocabulary)
    M = vec.fit_transform(texts) if vocabulary is None else vec.transform(texts)
    return M.tocsr().astype(np.float32), vec


def fit_scorer(M, n_tokens: np.ndarray, y: np.ndarray, words: list[str], seed: int) -> LexicalScorer:
    """Logistic regression on word frequencies -> a scorer with the same arithmetic at run time."""
    X = sparse.diags(1.0 / np.maximum(n_tokens, 1)).dot(M).tocsr()
    clf = SGDClassifier(loss="log_loss", alpha=L2_ALPHA, max_iter=EPOCHS, tol=None, random_state=seed)
    clf.fit(X, y)
    W = np.zeros((len(words) + 1, LEXICAL_LABELS), dtype=np.float32)
    b = np.full(LEXICAL_LABELS, -5.0, dtype=np.float32)
    coef = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_[0], clf.coef_[0]])
    inter = clf.intercept_ if len(clf.classes_) > 2 else np.array([-clf.intercept_[0], clf.intercept_[0]])
    for j, c in enumerate(clf.classes_):
        W[1:, int(c)] = coef[j]
        b[int(c)] = inter[j]
    return LexicalScorer(words, W, b)


def fit_with_oof(texts: Sequence[str], y: np.ndarray, groups: np.ndarray, seed: int,
                 folds: int = OOF_FOLDS) -> tuple[LexicalScorer, np.ndarray]:
    """The lexicon fit on all blocks, and out-of-fold scores [n, 4] for every block."""
    M, vec = block_matrix(texts)
    words = [w for w, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    n_tokens = np.fromiter((len(_tokens(t)) for t in texts), dtype=np.float64, count=len(texts))
    oof = np.zeros((len(texts), LEXICAL_LABELS), dtype=np.float32)
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(y)), groups=groups):
        s = fit_scorer(M[tr], n_tokens[tr], y[tr], words, seed)
        oof[te] = _score_rows(s, M[te], n_tokens[te])
    return fit_scorer(M, n_tokens, y, words, seed), oof


def _score_rows(s: LexicalScorer, M, n_tokens: np.ndarray) -> np.ndarray:
    """The scorer's arithmetic on a count matrix (same as ``LexicalScorer.score``)."""
    out = (M @ s.weights[1:]) / np.maximum(n_tokens, 1)[:, None] + s.bias
    out = np.asarray(out, dtype=np.float32)
    return out - out.mean(axis=1, keepdims=True)
