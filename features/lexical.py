"""A learned lexicon: per-word label weights whose block average becomes four feature columns.

Hand-written word classes catch stance and furniture; a learned lexicon catches the rest of
what word choice says ("subscribe", "lol", "reportedly", "cookies"). It is a multinomial
logistic regression over each block's word frequencies, so its score for a block is the mean
of its words' weight rows plus a bias: one dict lookup per token and four ``bincount`` calls,
no sparse matrix at run time. The vocabulary and weights live in the model file (JSON list +
arrays), so the same words are used in training and use.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from itertools import repeat

import numpy as np

from . import tablecache
from .tokens import HashVocab

# Words whose hashes go into the merged vocabulary's cache key: a changed hash function (the
# compiled kernel's, which the package's Python sources do not cover) gives the entry a new key.
_HASH_PROBE_WORDS = ("the", "comment", "subscribe", "reportedly", "\u00e9t\u00e9",
                     "\u0645\u0631\u062d\u0628\u0627", "p1ss")

LEXICAL_LABELS = 4
# Columns after the four label columns: binary scores learned on a subset of blocks.
EXTRA_COLUMNS = ("spam_vs_comment",)
LEXICAL_COLUMNS = LEXICAL_LABELS + len(EXTRA_COLUMNS)


class LexicalScorer:
    """Vocabulary (word -> row, row 0 = unknown) and weights [len(vocab)+1, 5] plus bias [5].

    Columns 0-3: the four labels (multinomial, centred per block, so they say which label the
    words favour); column 4 (``spam_vs_comment``): a binary spam-vs-comment score learned on
    comment and spam blocks only, class-balanced. Among 400,000 blocks spam is a fraction of a
    per cent, so in the four-way lexicon its words barely register; the binary column is where
    "subscribe", "channel", "check out" get their weight.
    """

    def __init__(self, words: Sequence[str], weights: np.ndarray, bias: np.ndarray):
        self.words = list(words)
        # A read-only copy: features.extract keeps a snapshot of the weights (its per-row records)
        # while this array is unchanged; to change weights, assign a new array (training does).
        w = np.array(weights, dtype=np.float32)
        w.flags.writeable = False
        if w.shape != (len(self.words) + 1, LEXICAL_COLUMNS):
            raise ValueError(f"lexical weights shape {w.shape} != ({len(self.words) + 1}, {LEXICAL_COLUMNS})")
        self.weights = w
        self.bias = np.asarray(bias, dtype=np.float32)
        self._merged: tuple[int, HashVocab, np.ndarray, np.ndarray] | None = None

    @functools.cached_property
    def vocab(self) -> dict[str, int]:
        """word -> row (row 0 = unknown), built on first use (~4 ms for 40,000 words): a process
        whose merged vocabulary comes from the table cache never needs it."""
        return dict(zip(self.words, range(1, len(self.words) + 1)))  # (twice as fast as a comprehension)

    def merged_vocab(self, base: dict[str, int]) -> tuple[HashVocab, np.ndarray, np.ndarray]:
        """One lookup table for two vocabularies, so each token is looked up once, not twice.

        Returns (table, row -> ``base`` id, row -> lexicon row); row 0 = unknown to both.
        Cached for the ``base`` dict it was built for.
        """
        if self._merged is None or self._merged[0] != id(base):
            # Kept between runs (~20 ms of every start-up; features/tablecache.py), under a key of
            # both vocabularies, words and ids, and of the hash function.
            parts = [_digest(base), np.fromiter(base.values(), dtype=np.int64, count=len(base)).tobytes(),
                     _digest(self.words), HashVocab._word_hashes(list(_HASH_PROBE_WORDS)).tobytes()]
            got = tablecache.cached_arrays("merged-vocab", parts, lambda: self._merge(base))
            # Copies that own their memory: features.extract's per-row records need that (a read
            # from the cache is a view of the file's buffer).
            base_id, lex_row = np.array(got["base_id"]), np.array(got["lex_row"])
            base_id.flags.writeable = lex_row.flags.writeable = False  # (see ``__init__``'s weights)
            self._merged = (id(base), HashVocab.from_table(got), base_id, lex_row)
        return self._merged[1], self._merged[2], self._merged[3]

    def _merge(self, base: dict[str, int]) -> dict[str, np.ndarray]:
        """``merged_vocab``'s table and row maps, built: plain arrays for the table cache."""
        words = [w for w in dict.fromkeys((*base, *self.words)) if w]
        base_id = np.zeros(len(words) + 1, dtype=np.int64)
        lex_row = np.zeros(len(words) + 1, dtype=np.int64)
        base_id[1:] = np.fromiter(map(base.get, words, repeat(0)), dtype=np.int64, count=len(words))
        lex_row[1:] = np.fromiter(map(self.vocab.get, words, repeat(0)), dtype=np.int64, count=len(words))
        return {**HashVocab(words).table_arrays(), "base_id": base_id, "lex_row": lex_row}

    def score(self, tokens: Sequence[str], token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """Mean word weights per block plus bias, label columns centred per row: [n_blocks, 5]."""
        ids = np.fromiter(map(self.vocab.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))
        return self.score_rows(ids, token_block, n_blocks)

    def score_rows(self, rows: np.ndarray, token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """``score`` for tokens already mapped to lexicon rows (0 = unknown word)."""
        sums = self.token_sums(rows, token_block, n_blocks)
        return self.from_sums(sums, np.bincount(token_block, minlength=n_blocks))

    def token_sums(self, rows: np.ndarray, token_block: np.ndarray, n_blocks: int) -> np.ndarray:
        """Per block, the sum of its tokens' weight rows: float64 [n_blocks, 5], each column as
        ``np.bincount(weights=)`` adds it (float64, in token order; features/_vocab_ext.pyx
        adds in the same order)."""
        # One contiguous gather per column (the lexicon is small, its transpose cheap): the
        # same weights in the same token order as gathering rows, without strided columns.
        columns = np.ascontiguousarray(self.weights.T)
        sums = np.empty((n_blocks, LEXICAL_COLUMNS), dtype=np.float64)
        for k in range(LEXICAL_COLUMNS):
            sums[:, k] = np.bincount(token_block, weights=np.take(columns[k], rows), minlength=n_blocks)
        return sums

    def from_sums(self, sums: np.ndarray, token_counts: np.ndarray) -> np.ndarray:
        """``score_rows`` from the per-block weight sums and token counts (mean plus bias,
        label columns centred per row): float32 [n_blocks, 5]. features/_vocab_ext.pyx
        ``word_columns`` repeats these operations in this order for the feature pass: change
        both together (tests/test_ext_feat3.py compares them)."""
        counts = np.maximum(token_counts, 1).astype(np.float64)
        out = np.empty(sums.shape, dtype=np.float32)
        out[:] = sums / counts[:, None]  # float64 quotients rounded to float32, as column by column before
        out += self.bias
        out[:, :LEXICAL_LABELS] -= out[:, :LEXICAL_LABELS].mean(axis=1, keepdims=True)
        return out


def _digest(words: Iterable[str]) -> bytes:
    """A word list's sha256 (the words NUL-separated, with their number): part of a cache key."""
    words = list(words)
    h = hashlib.sha256(len(words).to_bytes(8, "little"))
    h.update("\0".join(words).encode("utf-8", "surrogatepass"))
    return h.digest()
