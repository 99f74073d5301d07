"""A learned lexicon: per-word label weights whose block average becomes four feature columns.

Hand-written word classes catch stance and furniture; a learned lexicon catches the rest of
what word choice says ("subscribe", "lol", "reportedly", "cookies"). It is a multinomial
logistic regression over each block's word frequencies, so its score for a block is the mean
of its words' weight rows plus a bias: one dict lookup per token and four ``bincount`` calls,
no sparse matrix at run time. The vocabulary and weights live in the model file (JSON list +
arrays), so the same words are used in training and use.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np

LEXICAL_LABELS = 4


class LexicalScorer:
    """Vocabulary (word -> row, row 0 = unknown) and weights [len(vocab)+1, 4] plus bias [4]."""

    def __init__(self, words: Sequence[str], weights: np.ndarray, bias: np.ndarray):
        self.words = list(words)
        self.vocab = {w: i + 1 for i, w in enumerate(self.words)}
        w = np.asarray(weights, dtype=np.float32)
        if w.shape != (len(self.words) + 1, LEXICAL_LABELS):
            raise ValueError(f"lexical weights shape {w.shape} != ({len(self.words) + 1}, {LEXICAL_LABELS})")
        self.weights = w
        self.bias = np.asarray(bias, dtype=np.float32)

    def score(self, tokens: Sequence[str], token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """Mean word weights per block, centred per row: [n_blocks, 4]."""
        ids = np.fromiter(map(self.vocab.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))
        counts = np.maximum(np.bincount(token_block, minlength=n_blocks), 1).astype(np.float64)
        out = np.empty((n_blocks, LEXICAL_LABELS), dtype=np.float32)
        for k in range(LEXICAL_LABELS):
            out[:, k] = np.bincount(token_block, weights=self.weights[ids, k], minlength=n_blocks) / counts
        out += self.bias
        out -= out.mean(axis=1, keepdims=True)
        return out
