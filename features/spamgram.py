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
_FOLD_DIGITS = np.arange(256, dtype=np.uint8)
_FOLD_DIGITS[48:58] = 48  # every digit reads as "0"


def gram_keys(data: bytes) -> np.ndarray:
    """The bucket of the 4-gram starting at each byte of ``data`` [len(data)] (grams running
    past the end are padded with zero bytes; callers use only those inside a block). The 4
    bytes read as one little-endian integer: four strided copies of a uint32 view, no loop."""
    arr = _FOLD_DIGITS[np.frombuffer(data, dtype=np.uint8)]
    m = len(arr)
    pad = np.zeros(m + 2 * GRAM_N, dtype=np.uint8)
    pad[:m] = arr
    key = np.empty(m, dtype=np.uint32)
    for k in range(GRAM_N):
        dst = key[k::GRAM_N]
        dst[:] = np.frombuffer(pad.data, dtype="<u4", count=(len(pad) - k) // 4, offset=k)[: len(dst)]
    key *= _HASH_MUL
    key >>= np.uint32(32 - GRAM_BITS)
    return key


def gram_counts(data: bytes, starts: np.ndarray) -> np.ndarray:
    """Grams inside each block (a block of L bytes holds max(L - 3, 0)) [len(starts)]."""
    length = np.diff(np.append(starts, len(data) + 1)) - 1
    return np.maximum(length - (GRAM_N - 1), 0)


def gram_buckets(data: bytes, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashed buckets of every byte 4-gram inside a block of ``data`` (blocks joined by
    newlines, starting at ``starts``) and the block each belongs to: (bucket int64, block int64)."""
    if not len(data):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = gram_keys(data)
    ng = gram_counts(data, starts)
    block = np.repeat(np.arange(len(starts), dtype=np.int64), ng)
    first = np.cumsum(ng) - ng
    at = np.asarray(starts, dtype=np.int64)[block] + (np.arange(len(block), dtype=np.int64) - first[block])
    return key[at].astype(np.int64), block


class GramScorer:
    """Weights [GRAM_BUCKETS] and a bias: a block's score is bias + the mean weight of its grams."""

    def __init__(self, weights: np.ndarray, bias: float):
        w = np.asarray(weights, dtype=np.float32)
        if w.shape != (GRAM_BUCKETS,):
            raise ValueError(f"gram weights shape {w.shape} != ({GRAM_BUCKETS},)")
        self.weights = w
        self.bias = float(bias)

    def score(self, data: bytes, starts: np.ndarray, n: int) -> np.ndarray:
        """Scores [n] of the ``n`` blocks of ``data`` (blocks without a gram get the bias): one
        gather and one prefix sum over the batch; a block's grams are a contiguous range of it."""
        if not len(data):
            return np.full(n, self.bias, dtype=np.float32)
        cs = np.zeros(len(data) + 1, dtype=np.float64)
        np.cumsum(self.weights[gram_keys(data)], dtype=np.float64, out=cs[1:])
        ng = gram_counts(data, starts)
        st = np.asarray(starts, dtype=np.int64)
        return ((cs[st + ng] - cs[st]) / np.maximum(ng, 1) + self.bias).astype(np.float32)
