"""Fit the byte 4-gram spam head (``features.spamgram.GramScorer``) and its out-of-fold column.

Same recipe as the lexicon's spam column (``training.lexicon.fit_spam_column``): a binary
logistic regression, spam vs ham comments, class-balanced. Spam: the labelled spam examples
(YouTube spam of the training videos, SMS spam). Ham: the examples' ham and the news comments of
the training pages, the two kinds weighted equally. The column the network trains on is out of
fold by page group: a block is scored by a head trained neither on its group's blocks nor on an
example whose text occurs in its group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from features.spamctx import block_layout, word_spans
from features.spamfold import folded_layout
from features.spamgram import GRAM_BUCKETS, GramScorer, gram_buckets

from .lexicon import example_source_rows

ALPHA = 1e-5
EPOCHS = 15
OOF_FOLDS = 3
# News comments drawn (seeded) to train each head: they are weighted to the examples' ham
# total anyway, and their gram matrix is the memory peak.
NEWS_MAX = 20000
# Blocks scored at once out of fold (bounds the gram arrays' memory).
SCORE_CHUNK = 50000
COMMENT = 1  # label index (classifier.model.LABELS)


def _layout(texts: Sequence[str]) -> tuple[bytes, np.ndarray]:
    """The bytes and block starts the runtime reads grams from (lower-cased, folded)."""
    data, starts, _ = block_layout(texts)
    (data, starts, _), _ = folded_layout(texts, (data, starts, word_spans(np.frombuffer(data, dtype=np.uint8))))
    return data, starts


def gram_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Gram frequencies per block [len(texts), GRAM_BUCKETS] (the scorer's mean arithmetic)."""
    data, starts = _layout(texts)
    bucket, block = gram_buckets(data, starts)
    n = len(texts)
    M = sparse.csr_matrix((np.ones(len(bucket), dtype=np.float32), (block, bucket)), shape=(n, GRAM_BUCKETS))
    M.sum_duplicates()
    count = np.maximum(np.bincount(block, minlength=n), 1).astype(np.float32)
    return sparse.diags(1.0 / count).dot(M).tocsr()


def score_texts(scorer: GramScorer, texts: Sequence[str]) -> np.ndarray:
    """``scorer``'s column for ``texts``, in chunks."""
    out = np.empty(len(texts), dtype=np.float32)
    for i in range(0, len(texts), SCORE_CHUNK):
        chunk = texts[i: i + SCORE_CHUNK]
        data, starts = _layout(chunk)
        out[i: i + len(chunk)] = scorer.score(data, starts, len(chunk))
    return out


def _fit(X, is_spam: np.ndarray, weight: np.ndarray, seed: int) -> GramScorer:
    if len(np.unique(is_spam)) < 2:
        return GramScorer(np.zeros(GRAM_BUCKETS, dtype=np.float32), 0.0)
    w = weight.astype(np.float64).copy()
    w[is_spam] *= w[~is_spam].sum() / max(w[is_spam].sum(), 1e-9)
    w *= len(w) / w.sum()
    clf = SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=EPOCHS, tol=None, random_state=seed)
    clf.fit(X, is_spam.astype(np.int64), sample_weight=w)
    return GramScorer(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]))


def fit_with_oof(texts: Sequence[str], y: np.ndarray, groups: np.ndarray, examples: Sequence[tuple[str, bool]],
                 seed: int, folds: int = OOF_FOLDS,
                 sources: Sequence[str] | None = None) -> tuple[GramScorer, np.ndarray]:
    """The head fit on everything, and its out-of-fold column [len(texts)] for the page blocks;
    ``sources``: campaign-held-out stacking as in ``training.lexicon.fit_spam_column``."""
    texts = list(texts)
    oof = np.zeros(len(texts), dtype=np.float32)
    if not examples:
        return GramScorer(np.zeros(GRAM_BUCKETS, dtype=np.float32), 0.0), oof
    ex_texts = [t for t, _ in examples]
    ex_set = set(ex_texts)
    XE = gram_matrix(ex_texts)
    ex_spam = np.array([s for _, s in examples], dtype=bool)
    ex_ham_total = max(float((~ex_spam).sum()), 1.0)
    news = np.flatnonzero(np.array([lab == COMMENT and t not in ex_set for t, lab in zip(texts, y)], dtype=bool))
    rng = np.random.default_rng(seed)

    def fit(ex_rows: np.ndarray, page_rows: np.ndarray) -> GramScorer:
        rows = np.intersect1d(news, page_rows)
        if len(rows) > NEWS_MAX:
            rows = np.sort(rng.choice(rows, NEWS_MAX, replace=False))
        XP = gram_matrix([texts[i] for i in rows])
        X = sparse.vstack([XE[ex_rows], XP]).tocsr()
        is_spam = np.concatenate([ex_spam[ex_rows], np.zeros(len(rows), dtype=bool)])
        weight = np.concatenate([np.ones(int(ex_rows.sum())), np.full(len(rows), ex_ham_total / max(len(rows), 1))])
        return _fit(X, is_spam, weight, seed)

    ex_src = np.array(sources if sources is not None else [""] * len(ex_texts), dtype=object)
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(y)), groups=groups):
        te_texts = {texts[i] for i in te}
        ex_rows = np.array([t not in te_texts for t in ex_texts], dtype=bool)
        s = fit(ex_rows, tr)
        oof[te] = score_texts(s, [texts[i] for i in te])
        if sources is not None:
            for src, rows in example_source_rows(texts, te, ex_texts, sources).items():
                s = fit(ex_rows & (ex_src != src), tr)
                oof[rows] = score_texts(s, [texts[i] for i in rows])
    return fit(np.ones(len(ex_texts), dtype=bool), np.arange(len(texts))), oof
