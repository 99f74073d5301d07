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
        self._merged: tuple[int, dict[str, int], np.ndarray, np.ndarray] | None = None

    def merged_vocab(self, base: dict[str, int]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        """One dict for two vocabularies, so each token is looked up once, not twice.

        Returns (token -> key, key -> ``base`` id, key -> lexicon row); key 0 = unknown to both.
        Cached for the ``base`` dict it was built for.
        """
        if self._merged is None or self._merged[0] != id(base):
            keys: dict[str, int] = {}
            for w in (*base, *self.words):
                if w not in keys:
                    keys[w] = len(keys) + 1
            base_id = np.zeros(len(keys) + 1, dtype=np.int64)
            lex_row = np.zeros(len(keys) + 1, dtype=np.int64)
            for w, k in keys.items():
                base_id[k] = base.get(w, 0)
                lex_row[k] = self.vocab.get(w, 0)
            self._merged = (id(base), keys, base_id, lex_row)
        return self._merged[1], self._merged[2], self._merged[3]

    def score(self, tokens: Sequence[str], token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """Mean word weights per block, centred per row: [n_blocks, 4]."""
        ids = np.fromiter(map(self.vocab.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))
        return self.score_rows(ids, token_block, n_blocks)

    def score_rows(self, rows: np.ndarray, token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """``score`` for tokens already mapped to lexicon rows (0 = unknown word)."""
        ids = rows
        counts = np.maximum(np.bincount(token_block, minlength=n_blocks), 1).astype(np.float64)
        out = np.empty((n_blocks, LEXICAL_LABELS), dtype=np.float32)
        for k in range(LEXICAL_LABELS):
            out[:, k] = np.bincount(token_block, weights=self.weights[ids, k], minlength=n_blocks) / counts
        out += self.bias
        out -= out.mean(axis=1, keepdims=True)
        return out
