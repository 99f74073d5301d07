"""A learned spam-vs-comment score over hashed byte 4-grams (schema ``text-8``).

The learned lexicon (``features.lexical``) scores whole words: a campaign the training spam
never used brings words it never weighted ("earning", a new site's name), and link fragments,
numbers and obfuscated spellings are one unknown token each. Byte 4-grams see inside them:
"www.", ".com", "http", "/ch", "subs", "chan", "00 a" (digits are folded to 0, so "$500 a day"
and "$120 a day" share grams). Each block's score is a logistic model over its grams'
frequencies: the mean of their weights plus a bias, one ``bincount`` per batch.

Grams are read from the lower-cased, look-alike-folded bytes the spam patterns read
(``features.spamfold``), hashed into ``GRAM_BUCKETS`` buckets (multiplicative hash of the 4
bytes as one integer): no vocabulary, so nothing to store but the weights. Training (out of
fold, like the lexicon's spam column) is ``training.spamgram``; the weights live in the model
file (``BlockModel.spamgram``).
"""

from __future__ import annotations

import numpy as np

GRAM_BITS = 18
GRAM_BUCKETS = 1 << GRAM_BITS
GRAM_N = 4
SPAMGRAM_NAMES: tuple[str, ...] = ("gram_spam",)
# Knuth's multiplicative hash constant (2**32 / golden ratio, odd).
_HASH_MUL = np.uint32(2654435761)
_DIGITS = np.zeros(256, dtype=bool)
_DIGITS[list(b"0123456789")] = True


def gram_buckets(data: bytes, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashed buckets of every byte 4-gram inside a block of ``data`` (blocks joined by
    newlines, starting at ``starts``) and the block each belongs to: (bucket int64, block int64)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if len(arr) < GRAM_N:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a = np.where(_DIGITS[arr], np.uint8(48), arr).astype(np.uint32)
    m = len(a) - GRAM_N + 1
    key = a[:m] | (a[1:m + 1] << np.uint32(8)) | (a[2:m + 2] << np.uint32(16)) | (a[3:m + 3] << np.uint32(24))
    nl = arr == 10
    cross = nl[:m] | nl[1:m + 1] | nl[2:m + 2] | nl[3:m + 3]  # grams spanning a block boundary
    at = np.flatnonzero(~cross)
    bucket = ((key[at] * _HASH_MUL) >> np.uint32(32 - GRAM_BITS)).astype(np.int64)
    block = np.searchsorted(starts, at, side="right") - 1
    return bucket, block


class GramScorer:
    """Weights [GRAM_BUCKETS] and a bias: a block's score is bias + the mean weight of its grams."""

    def __init__(self, weights: np.ndarray, bias: float):
        w = np.asarray(weights, dtype=np.float32)
        if w.shape != (GRAM_BUCKETS,):
            raise ValueError(f"gram weights shape {w.shape} != ({GRAM_BUCKETS},)")
        self.weights = w
        self.bias = float(bias)

    def score(self, data: bytes, starts: np.ndarray, n: int) -> np.ndarray:
        """Scores [n] of the ``n`` blocks of ``data`` (blocks without a gram get the bias)."""
        bucket, block = gram_buckets(data, starts)
        total = np.bincount(block, weights=self.weights[bucket], minlength=n)
        count = np.maximum(np.bincount(block, minlength=n), 1)
        return (total / count + self.bias).astype(np.float32)
