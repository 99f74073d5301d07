"""Soft page-level signal of translationese, and how it joins the artefact scores of ``features/mt.py``.

Artefacts (``mt.py``) catch careless machine translation; fluent MT (DeepL, Google) has none.
What is left is *how* its sentences are built: a little more "the" and "of", fewer
contractions and pronouns, commas in other places. Any one sentence says almost nothing; a
page of them says more. So:

1. Each block is reduced to symbols (``features/mt_soft_data.py``: function words and the 300
   commonest bbc_news words kept, other words replaced by their shape or ending - "-tion",
   "-ly", "-ing"... -, punctuation kept, typography flattened first) and scored by a
   logistic model over symbol unigrams and adjacent pairs, the weights learned from WMT news (``training/mt_soft.py``):
   ``z = w . counts / sqrt(n) + bias``, where ``n`` counts the block's unigrams and pairs (a
   longer sentence may say more, not linearly more).
2. Only English-looking prose blocks are scored: at least ``MIN_WORDS`` words, of which at
   least ``MIN_FUNCTION_SHARE`` are function words (a menu, a list of names, a page in another
   language carries no signal the model knows).
3. Page: ``S = sum(z - bias) / sqrt(number of scored blocks)`` (independent weak votes add up
   like that; without the bias, a page's ``S`` is about the same whether its blocks are
   sentences or paragraphs), and a calibrated probability ``p = sigmoid(a * S + b)`` fitted out
   of fold on pages of 5 to 40 sentences.

Combining with the artefacts (issue 4: strong artefacts dominate, fluent MT is scored honestly
low-confidence). Every weight below is a named constant:

- block: ``mt = 1 - (1 - artefact) * (1 - SOFT_BLOCK_WEIGHT * p_block ** SOFT_POWER)``: soft
  evidence alone stays below ``SOFT_BLOCK_WEIGHT`` (0.2), far from the 0.5 that flags a block;
- page: ``mt_score = 1 - (1 - artefact_page) * (1 - SOFT_PAGE_WEIGHT * p_page ** SOFT_POWER)``:
  at most ``SOFT_PAGE_WEIGHT`` (0.35) from style alone; raising ``p`` to ``SOFT_POWER`` keeps a
  page the model is unsure about (p near 0.5) near 0.04 while keeping the order of pages (the
  ROC-AUC) intact.

The model file (``data/mt-soft.json``) is plain JSON: the symbol alphabet (checked against
``SYMBOLS``: a model trained on another alphabet is refused with a clear error), unigram
weights, the pair weights as a sparse list, the bias and the page calibration.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from features import ext, jsonfile, tablecache
from features.mt_soft_data import (
    FLATTEN,
    FREQUENT_WORDS,
    FUNCTION_WORDS,
    LONG_WORD,
    MIN_SUFFIX_WORD,
    PUNCTUATION,
    SHAPES,
    SUFFIX_CLASSES,
    SYMBOLS,
)
from features.tokens import WORD_CHAR, HashVocab, TokenBatch, token_hashes

__all__ = ["SoftModel", "SoftScores", "symbol_ngrams", "soft_scores", "combine", "default_soft_path",
           "load_soft_model", "SoftModelError", "SOFT_SCHEMA"]

SOFT_SCHEMA = "mt-soft-1"
SOFT_STEM = "mt-soft"
ENV_SOFT_MODEL = "NEWSWINNOW_MT_SOFT"
# The table cache entry of the parsed soft-signal model (``_load_soft_model``).
SOFT_CACHE_NAME = "mt-soft-model"
MIN_WORDS = 6
MIN_FUNCTION_SHARE = 0.25
SOFT_BLOCK_WEIGHT = 0.2
SOFT_PAGE_WEIGHT = 0.35
SOFT_POWER = 3.0

_N_FW = len(FUNCTION_WORDS)
_PUNCT_BASE = _N_FW
_SHAPE_BASE = _N_FW + len(PUNCTUATION)
(NUM, CAP_FIRST, CAP, ACRONYM, CONTRACTION, LONG, SHORT) = (_SHAPE_BASE + SHAPES.index(s) for s in (
    "<num>", "<cap_first>", "<cap>", "<acronym>", "<contraction>", "<long>", "<short>"))
# Word endings of SUFFIX_CLASSES, matched longest first (so "ness" beats "ss" beats "s"): a
# table over every combination of a word's last _SUFFIX_SPAN characters, each one of 26
# letters or "other" (27 ** 4 int16 entries, 1 MB), holding the symbol id of the longest
# matching ending (-1: none, or the word stays <long>/<short>). One gather per batch.
_SUFFIX_SPAN = max(len(e) for _, endings in SUFFIX_CLASSES for e in endings)
_LETTERS = 27  # "a".."z" as 1..26, anything else 0


def _suffix_table() -> np.ndarray:
    table = np.full(_LETTERS ** _SUFFIX_SPAN, -1, dtype=np.int16)
    endings = [(e, _SHAPE_BASE + SHAPES.index(name) if name else -1) for name, es in SUFFIX_CLASSES for e in es]
    for e, sym in sorted(endings, key=lambda es: len(es[0])):  # longer endings overwrite shorter
        code = 0
        for c in e:
            code = code * _LETTERS + (ord(c) - ord("a") + 1)
        table.reshape(-1, _LETTERS ** len(e))[:, code] = sym  # every word ending in e
    return table


_SUFFIX_TABLE = _suffix_table()


# The compiled form's _SUFFIX_TABLE: two levels, 22 KB where the table is 1 MB (a gather into
# which missed the cache for about every word it classed): the word's last _SUFFIX_LAST letters
# pick one of the few distinct tables over the letters before them.
_SUFFIX_LAST = _SUFFIX_SPAN // 2


def _suffix_levels() -> tuple[np.ndarray, np.ndarray]:
    """``_SUFFIX_TABLE`` as (first, rest): its entry for the last letters ``head`` then ``tail``
    (base-27 numbers, ``tail`` of _SUFFIX_LAST letters) is ``rest[first[tail] + head]``."""
    width = _LETTERS ** (_SUFFIX_SPAN - _SUFFIX_LAST)
    by_tail = np.ascontiguousarray(_SUFFIX_TABLE.reshape(width, -1).T)  # row: one tail, over heads
    offset: dict[bytes, int] = {}
    first = np.array([offset.setdefault(row.tobytes(), len(offset) * width) for row in by_tail], dtype=np.int32)
    return first, np.frombuffer(b"".join(offset), dtype=_SUFFIX_TABLE.dtype)


_ASCII = 128
_LETTER_OF = np.zeros(_ASCII, dtype=np.int64)  # code point -> 1..26 for "a".."z", else 0
_LETTER_OF[ord("a"): ord("z") + 1] = np.arange(1, 27)
V = len(SYMBOLS)
_CODE_SPACE = 0x110000
# One class per code point, typography flattened in (FLATTEN), so a batch needs one gather:
# OTHER, a word character (``\w``), an apostrophe / single quote, or punctuation symbol k
# (PUNCT + k).
_OTHER, _WORD, _APOS, _PUNCT = 0, 1, 2, 3
_CLASS = np.where(WORD_CHAR, np.uint8(_WORD), np.uint8(_OTHER))  # uint8 throughout: ~3 ms less start-up
for _i, _c in enumerate(PUNCTUATION):
    _CLASS[ord(_c)] = _PUNCT + _i
_CLASS[ord("'")] = _APOS
for _k, _v in FLATTEN.items():
    _CLASS[_k] = _CLASS[ord(_v)]
# Class -> symbol id of a standalone mark (a single quote is the '"' symbol: house style).
_MARK_SYMBOL = np.full(_PUNCT + len(PUNCTUATION), -1, dtype=np.int64)
_MARK_SYMBOL[_PUNCT:] = _PUNCT_BASE + np.arange(len(PUNCTUATION))
_MARK_SYMBOL[_APOS] = _PUNCT_BASE + PUNCTUATION.index('"')
# No pair across a sentence end ("." / "?" / "!" then a word): the model learns from one WMT
# segment per block, where a second sentence means a translator split one, but pages come in
# paragraphs of many sentences, where it means nothing (with such pairs, MT pages cut into
# 4-sentence blocks scored 0.759 on WMT de->en 2016-19 against 0.777 as sentences; without,
# 0.777 and 0.785: training/mt_soft.py).
_IS_MARK = np.zeros(V, dtype=bool)
_IS_MARK[_PUNCT_BASE: _PUNCT_BASE + len(PUNCTUATION)] = True
_ENDS_SENTENCE = np.zeros(V, dtype=bool)
_ENDS_SENTENCE[[_PUNCT_BASE + PUNCTUATION.index(c) for c in ".?!"]] = True
_FULL_STOP_CLASS, _COMMA_CLASS = _PUNCT + PUNCTUATION.index("."), _PUNCT + PUNCTUATION.index(",")
# Function words: a hash table of their polynomial hashes (features.tokens), rows 1 + index.
_FW_TABLE = HashVocab(FUNCTION_WORDS)
_APOSTROPHE, _RIGHT_QUOTE, _DOLLAR = ord("'"), 0x2019, ord("$")
# The same words as the feature pass's tokens spell them (either apostrophe): variant row -> row.
_FW_VARIANT_WORDS = [*FUNCTION_WORDS, *(w.replace("'", "\u2019") for w in FUNCTION_WORDS if "'" in w)]
_FW_VARIANTS = HashVocab(_FW_VARIANT_WORDS)
_FW_INDEX = {w: i + 1 for i, w in reversed(list(enumerate(FUNCTION_WORDS)))}  # word -> row (first wins)
# Frequent words (features/mt_soft_data.py): symbol ids after the shapes, rows 1 + index.
_FREQ_BASE = _SHAPE_BASE + len(SHAPES)


class OneProbeTable:
    """Word hash -> ``offset`` + 1 + index in ``words`` (0: absent) with a single probe per hash.

    A collision-free ("perfect") hash table: the slot is ``(hash * mult) >> shift``, and
    ``mult`` is searched (deterministically) at build time until no two words share a slot. A
    lookup is then one gather and one compare for the whole batch; ``HashVocab`` needs up to
    a handful of probe rounds, each a few passes, and the frequent-word lookup was the
    largest single cost of ``symbol_ngrams``. Meant for small vocabularies (hundreds of words).
    """

    SLOTS_PER_WORD = 64  # a sparse table: a random multiplier is collision-free often enough
    MAX_TRIES = 1000

    def __init__(self, words: Sequence[str], offset: int = 0):
        first: dict[str, int] = {}
        for i, w in enumerate(words):
            first.setdefault(w, offset + i + 1)  # first row wins, as in HashVocab
        uniq = list(first)
        hashes = HashVocab._word_hashes(uniq)
        rows = np.array([first[w] for w in uniq], dtype=np.int64)
        bits = max(4, int(np.ceil(np.log2(max(len(uniq), 1) * self.SLOTS_PER_WORD))))
        self._shift = np.uint64(64 - bits)
        rng = random.Random(0)  # the stdlib's: numpy.random costs ~15 ms of start-up to import
        for _ in range(self.MAX_TRIES):
            mult = np.uint64(rng.randrange(1, 1 << 62) * 2 + 1)
            slots = ((hashes * mult) >> self._shift).astype(np.int64)
            ordered = np.sort(slots)  # (not np.unique: its first call imports numpy.ma, ~20 ms)
            if not (ordered[1:] == ordered[:-1]).any():
                break
        else:  # pragma: no cover - needs a vocabulary far larger than this class is for
            raise ValueError(f"no collision-free table for {len(uniq)} words")
        self._mult = mult
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._rows = np.zeros(1 << bits, dtype=np.int64)
        self._keys[slots] = hashes
        self._rows[slots] = rows

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Row of each hash (0 when absent; an empty slot holds key 0 and row 0)."""
        slot = ((hashes * self._mult) >> self._shift).astype(np.intp)
        return np.where(np.take(self._keys, slot) == hashes, np.take(self._rows, slot), 0)


# Frequent word -> 1 + its symbol id (as a function word's row is 1 + its symbol id).
_FREQ_ONE_PROBE = OneProbeTable(FREQUENT_WORDS, offset=_FREQ_BASE) if FREQUENT_WORDS else None
_FW_VARIANT_ROW = np.array([0, *range(1, len(FUNCTION_WORDS) + 1),
                            *(i + 1 for i, w in enumerate(FUNCTION_WORDS) if "'" in w)], dtype=np.int64)


def _shape_tables() -> tuple[np.ndarray, np.ndarray]:
    """A word's shape from seven yes/no facts, as tables over their 128 combinations (bit 0:
    longer than LONG_WORD, 1: holds an apostrophe, 2: first letter upper-case, 3: first word of
    its block, 4: second letter upper-case too, 5: starts with a digit, 6: long enough for an
    ending): one gather per batch instead of a pass per rule. Later rules win, as written here.
    Second table: the word is a plain lower-case word whose ending may class it instead."""
    shape = np.zeros(128, dtype=np.int64)
    candidate = np.zeros(128, dtype=bool)
    for b in range(128):
        long_, apos, up0, first, up1, digit, suffix_long = ((b >> k) & 1 for k in range(7))
        s = LONG if long_ else SHORT
        if apos:
            s = CONTRACTION
        if up0:
            s = CAP_FIRST if first else CAP
        if up0 and up1:
            s = ACRONYM
        if digit:
            s = NUM
        shape[b] = s
        candidate[b] = s in (LONG, SHORT) and bool(suffix_long)
    return shape, candidate


_SHAPE_OF_BITS, _SUFFIX_CANDIDATE_BITS = _shape_tables()


def _is_digit(c: np.ndarray) -> np.ndarray:
    return (c >= 48) & (c <= 57)


def _suffix_shapes(cpl: np.ndarray, we: np.ndarray, shape: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """``shape`` with the SUFFIX_CLASSES symbol of each ``candidate`` word that ends in one of
    their endings: its last characters as one base-27 number, looked up in ``_SUFFIX_TABLE``."""
    idx = np.flatnonzero(candidate)
    if not len(idx):
        return shape
    end = we[idx]
    code = np.zeros(len(idx), dtype=np.int64)
    for k in range(_SUFFIX_SPAN, 0, -1):  # candidates have >= _SUFFIX_SPAN characters
        code = code * _LETTERS + np.take(_LETTER_OF, np.minimum(np.take(cpl, end - k), _ASCII - 1))
    new = _SUFFIX_TABLE[code]
    got = new >= 0
    shape = shape.copy()
    shape[idx[got]] = new[got]
    return shape


def _word_spans(cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the words of TOKEN_RX (``\\w+(?:'\\w+)*``), from character classes."""
    n = len(cls)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    w = cls == _WORD
    joins = np.zeros(n, dtype=bool)
    joins[1:-1] = (cls[1:-1] == _APOS) & w[:-2] & w[2:]
    inside = w | joins
    edge = np.diff(inside.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)


def _function_word_rows(cpl: np.ndarray, cls: np.ndarray, ws: np.ndarray,
                        we: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 + index in FUNCTION_WORDS of each word, 0 for other words; and the words' hashes.

    Every apostrophe-class character counts as "'" ("don’t" is "don't"); then each word's
    polynomial hash (one prefix sum over the batch, ``features.tokens``) is looked up in a hash
    table of the function words.
    """
    if not len(ws):
        z = np.zeros(0, dtype=np.int64)
        return z, z.astype(np.uint64)
    cpk = cpl.copy()
    cpk[cls == _APOS] = _APOSTROPHE
    hashes = token_hashes(cpk, ws, we)
    return _FW_TABLE.lookup(hashes), hashes


def _frequent_rows(hashes: np.ndarray, fw: np.ndarray) -> np.ndarray:
    """1 + symbol id of each word (by its hash) that is one of FREQUENT_WORDS, 0 for other
    words and for function words (``fw`` > 0): so ``fw + freq`` is 1 + the symbol id of every
    word kept as itself."""
    if _FREQ_ONE_PROBE is None or not len(hashes):
        return np.zeros(len(hashes), dtype=np.int64)
    rows = _FREQ_ONE_PROBE.lookup(hashes)  # one probe for all words beats two passes to pick some
    np.multiply(rows, fw == 0, out=rows)  # a product: several times faster than a masked store
    return rows


class SoftModelError(ValueError):
    """The soft-signal model file is missing, malformed, or built for another symbol alphabet."""


@dataclass(frozen=True)
class Ngrams:
    """Symbol unigrams and adjacent pairs of a batch of blocks, as flat arrays.

    ``uni``/``uni_block``: symbol id and block of every token; ``pair``/``pair_block``: code
    ``a * V + b`` of every adjacent pair inside a block; ``words``/``function_words``: per block.
    """

    uni: np.ndarray
    uni_block: np.ndarray
    pair: np.ndarray
    pair_block: np.ndarray
    words: np.ndarray
    function_words: np.ndarray


def _lower_same_length(text: str) -> str:
    """``text.lower()``, except characters whose lower case is longer ('İ') stay as they are."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _merge_over(joins: np.ndarray, ws: np.ndarray, we: np.ndarray, fw: np.ndarray, freq: np.ndarray,
                cpl: np.ndarray, cls: np.ndarray, block: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Words that meet at a joining mark (``joins``: its positions) merged into one word; the
    function-word rows of merged words computed again (from their few characters); a merged
    word holds an apostrophe, so it is no frequent word."""
    if len(ws) < 2:
        return ws, we, fw, freq, block
    # The word ending at each mark, found by binary search (the marks are few, the words many).
    left = np.minimum(np.searchsorted(we, joins), len(ws) - 2)
    meets = (left >= 0) & (we[left] == joins) & (ws[left + 1] == joins + 1)
    drop = np.unique(left[meets] + 1)  # words that continue the one before them
    if not len(drop):
        return ws, we, fw, freq, block
    # Deleting the few continuations (the end: the few ends before them) copies each array
    # once; gathering the many kept words cost several times more.
    ws, we, fw, freq, block = (np.delete(ws, drop), np.delete(we, drop - 1), np.delete(fw, drop),
                               np.delete(freq, drop), np.delete(block, drop))
    # A continuation with k others before it collapses onto the kept word at (d - 1) - k.
    heads = np.unique(drop - 1 - np.arange(len(drop)))
    freq[heads] = 0
    for g in heads.tolist():
        fw[g] = _merged_word_row(cpl[ws[g]: we[g]], cls[ws[g]: we[g]])
    return ws, we, fw, freq, block


def _merged_word_row(cpl: np.ndarray, cls: np.ndarray) -> int:
    """1 + index in FUNCTION_WORDS (0: none) of a merged word, from its code points and their
    classes (every apostrophe-class mark read as "'"); shared with the compiled form."""
    chars = np.where(cls == _APOS, _APOSTROPHE, cpl)
    return _FW_INDEX.get(chars.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass"), 0)


# The compiled form's frequent-word table: the numpy form's words and rows, but two probes
# into 1,024 slots (8 KB of keys, which stay in the L1 cache) instead of one into 32,768
# (256 KB, which the passes between two batches evict: a cache miss per word).
_TWO_CHOICE_SLOTS = 1024
_TWO_CHOICE_TRIES = 200
_TWO_CHOICE_KICKS = 500
_U64 = (1 << 64) - 1


def _two_choice_table(probe: OneProbeTable, slots: int = _TWO_CHOICE_SLOTS
                      ) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Keys, rows, two multipliers and the shift of a cuckoo table holding exactly ``probe``'s
    (hash, row) entries: a hash is at slot ``(h * m1) >> shift`` or ``(h * m2) >> shift`` (mod
    2**64), so a lookup gives the row of the word with that hash, else 0, as ``probe.lookup``."""
    used = np.flatnonzero(probe._rows)  # rows are 1 + something: 0 marks an empty slot
    entries = list(zip(probe._keys[used].tolist(), probe._rows[used].tolist()))
    bits = slots.bit_length() - 1
    shift = 64 - bits
    rng = random.Random(0)
    for _ in range(_TWO_CHOICE_TRIES):
        m1, m2 = (rng.randrange(1, 1 << 62) * 2 + 1 for _ in range(2))
        keys, rows = [0] * slots, [0] * slots
        if all(_two_choice_insert(keys, rows, k, r, m1, m2, shift) for k, r in entries):
            break
    else:  # pragma: no cover - needs far more words than slots
        raise ValueError(f"no two-choice table for {len(entries)} words in {slots} slots")
    out = np.array(keys, dtype=np.uint64), np.array(rows, dtype=np.int64), m1, m2, shift
    # Checked against the numpy table: every word's hash finds its row.
    h = probe._keys[used]
    s1 = ((h * np.uint64(m1)) >> np.uint64(shift)).astype(np.intp)
    s2 = ((h * np.uint64(m2)) >> np.uint64(shift)).astype(np.intp)
    got = np.where(out[0][s1] == h, out[1][s1], np.where(out[0][s2] == h, out[1][s2], 0))
    if not np.array_equal(got, probe._rows[used]) or np.count_nonzero(out[1]) != len(used):
        raise AssertionError("two-choice table disagrees with the one-probe table")  # pragma: no cover
    return out


def _two_choice_insert(keys: list[int], rows: list[int], k: int, r: int, m1: int, m2: int, shift: int) -> bool:
    """Cuckoo insertion: take the first free slot of the two, else evict and re-place."""
    s = ((k * m1) & _U64) >> shift
    for _ in range(_TWO_CHOICE_KICKS):
        if rows[s] == 0:
            keys[s], rows[s] = k, r
            return True
        keys[s], k = k, keys[s]
        rows[s], r = r, rows[s]
        a, b = ((k * m1) & _U64) >> shift, ((k * m2) & _U64) >> shift
        s = b if s == a else a
    return False


def _symbol_tables(kernel: ModuleType | None) -> Any:
    """The compiled form's view of this module's tables (features/_mt_soft_ext.pyx), or None;
    built once, as the kernel checks their sizes and ranges (its loops index them unchecked)."""
    if kernel is None:
        return None
    if _FREQ_ONE_PROBE is not None:
        keys, rows, m1, m2, shift = _two_choice_table(_FREQ_ONE_PROBE)
    else:  # no frequent words: every probe lands on slot 0, whose row is 0
        keys, rows, m1, m2, shift = np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.int64), 0, 0, 0
    return kernel.SymbolTables(
        _CLASS, _MARK_SYMBOL, keys, rows, m1, m2, shift, _FREQ_ONE_PROBE is not None,
        *_suffix_levels(), _LETTER_OF, _SHAPE_OF_BITS, _SUFFIX_CANDIDATE_BITS.view(np.uint8),
        _ENDS_SENTENCE.view(np.uint8), _IS_MARK.view(np.uint8),
        _WORD, _APOS, _FULL_STOP_CLASS, _COMMA_CLASS, _APOSTROPHE, _RIGHT_QUOTE, _DOLLAR,
        LONG_WORD, max(MIN_SUFFIX_WORD, _SUFFIX_SPAN), _SUFFIX_SPAN, _SUFFIX_LAST, _LETTERS, _ASCII, V)


# The compiled form of symbol_ngrams's token-reuse path (None: the numpy form, the reference).
_MT_SOFT_EXT = ext.load("features._mt_soft_ext")
_SYMBOL_TABLES = _symbol_tables(_MT_SOFT_EXT)


def _symbol_ngrams_compiled(cp: np.ndarray, cpl: np.ndarray, tokens: TokenBatch, starts: np.ndarray) -> Ngrams:
    """``symbol_ngrams`` reusing ``tokens``, in C: the same arrays, dtypes and order."""
    tables = _SYMBOL_TABLES if _SYMBOL_TABLES is not None else _symbol_tables(_MT_SOFT_EXT)
    return Ngrams(*tables.ngrams(*_kernel_arguments(cp, cpl, tokens, starts)))


def _code_points(texts: Sequence[str], tokens: TokenBatch | None, lengths: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """The blocks joined by newlines as code points and lower-cased ones, each block's first
    position, and whether ``tokens`` are of the same blocks (then their arrays are reused).
    ``lengths``: ``len`` of each text (int64), when the caller has them (the feature pass does)."""
    n = len(texts)
    if not (isinstance(lengths, np.ndarray) and lengths.dtype == np.int64 and lengths.shape == (n,)):
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    total = int(lengths.sum()) + max(n - 1, 0)  # characters of the blocks joined by newlines
    reuse = (tokens is not None and len(tokens.cp) == total
             and int(np.count_nonzero(tokens.newline)) == n - 1)  # the same blocks
    if reuse and tokens.text_cp is not None and len(tokens.text_cp) == total:
        cp = tokens.text_cp  # the feature pass's code points of the same joined text
    else:
        joined = "\n".join(texts)
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if reuse:
        cpl = tokens.cp  # lower-cased by str.lower, same length: what _lower_same_length gives
    else:
        cpl = np.frombuffer(_lower_same_length(joined).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cp, cpl, starts, reuse


def _kernel_arguments(cp: np.ndarray, cpl: np.ndarray, tokens: TokenBatch, starts: np.ndarray) -> tuple:
    """The compiled form's arguments for the token-reuse path (``SymbolTables.ngrams``)."""
    if tokens.function_words is not None:
        fw = np.ascontiguousarray(tokens.function_words, dtype=np.int64)
    else:
        fw = _FW_VARIANT_ROW[_FW_VARIANTS.lookup(tokens.hashes)]
    i64 = functools.partial(np.ascontiguousarray, dtype=np.int64)

    def merged_row(start: int, end: int) -> int:
        return _merged_word_row(cpl[start:end], np.take(_CLASS, cpl[start:end]))

    return (np.ascontiguousarray(cp, dtype=np.uint32), np.ascontiguousarray(cpl, dtype=np.uint32),
            i64(tokens.starts), i64(tokens.ends), np.ascontiguousarray(tokens.newline, dtype=bool).view(np.uint8),
            np.ascontiguousarray(tokens.hashes, dtype=np.uint64), fw, i64(starts), merged_row)


def symbol_ngrams(texts: Sequence[str], tokens: TokenBatch | None = None) -> Ngrams:
    """Every block's symbols and symbol pairs, for the whole batch at once (numpy, no per-token Python).

    ``tokens``: the feature pass's tokens of the same blocks, lower-cased and joined by newlines
    (``features.extract``); their words, hashes and code points are reused when they cut the
    text as the symbols do, which saves lower-casing, word-finding and hashing a second time.
    That path runs in C when the kernel is built (``_symbol_ngrams_compiled``); the numpy form
    below stays the fallback and the reference.
    """
    return _ngrams_of(texts, tokens, *_code_points(texts, tokens))


def _ngrams_of(texts: Sequence[str], tokens: TokenBatch | None, cp: np.ndarray, cpl: np.ndarray,
               starts: np.ndarray, reuse: bool) -> Ngrams:
    """``symbol_ngrams`` given ``_code_points(texts, tokens)``."""
    if reuse and _MT_SOFT_EXT is not None:
        return _symbol_ngrams_compiled(cp, cpl, tokens, starts)
    n = len(texts)
    cls = np.take(_CLASS, cpl)  # np.take: about twice as fast as indexing for a large gather
    n_cp = len(cpl)
    mpos = np.flatnonzero(cls >= _APOS)
    mcls = cls[mpos]
    apos = mpos[mcls == _APOS]
    if reuse:
        dollar = np.take(cpl, tokens.starts) == _DOLLAR
        is_word = ~(tokens.newline | dollar)  # not the "$" and newline tokens
        ws, we = tokens.starts[is_word], tokens.ends[is_word]
        # Block of each word: the words between two newline tokens (a repeat, no binary search).
        bounds = np.concatenate(([-1], np.flatnonzero(tokens.newline), [len(tokens)]))
        words = np.diff(bounds) - 1
        dollars = np.flatnonzero(dollar)
        if len(dollars):
            words -= np.bincount(np.searchsorted(bounds, dollars) - 1, minlength=n)
        w_block = np.repeat(np.arange(n), words)
        if tokens.function_words is not None:  # looked up by the feature pass already
            fw = tokens.function_words[is_word]
        else:
            fw = _FW_VARIANT_ROW[_FW_VARIANTS.lookup(tokens.hashes[is_word])]
        freq = _frequent_rows(tokens.hashes[is_word], fw)
        # Tokens join words over ' and U+2019 only, symbols over every apostrophe-class mark
        # ("it`s", "5′11"): merge the tokens on both sides of such a mark (rare).
        odd = apos[(cpl[apos] != _APOSTROPHE) & (cpl[apos] != _RIGHT_QUOTE)]
        odd = odd[(odd > 0) & (odd < n_cp - 1)]
        odd = odd[(cls[odd - 1] == _WORD) & (cls[odd + 1] == _WORD)]
        if len(odd):
            ws, we, fw, freq, w_block = _merge_over(odd, ws, we, fw, freq, cpl, cls, w_block)
            words = np.bincount(w_block, minlength=n)
    else:
        ws, we = _word_spans(cls)
        fw, hashes = _function_word_rows(cpl, cls, ws, we)
        freq = _frequent_rows(hashes, fw)
        w_block = np.searchsorted(starts, ws, side="right") - 1
        words = np.bincount(w_block, minlength=n)
    wlen = we - ws
    # Case from the first two characters of each word only (gathers, not passes over the text).
    upper0 = np.take(cp, ws) != np.take(cpl, ws)
    second = np.minimum(ws + 1, max(n_cp - 1, 0))
    upper1 = np.take(cp, second) != np.take(cpl, second)
    # Marks: punctuation and apostrophes; an apostrophe inside a word belongs to the word.
    has_apos = np.zeros(len(ws), dtype=bool)
    if len(apos) and len(ws):
        owner = np.searchsorted(ws, apos, side="right") - 1
        inside = (owner >= 0) & (apos < we[np.maximum(owner, 0)])
        has_apos[owner[inside]] = True
    first = np.ones(len(ws), dtype=bool)
    first[1:] = w_block[1:] != w_block[:-1]
    bits = (wlen > LONG_WORD).view(np.uint8) | (has_apos.view(np.uint8) << 1)
    bits |= upper0.view(np.uint8) << 2
    bits |= first.view(np.uint8) << 3
    bits |= (upper1 & (wlen >= 2)).view(np.uint8) << 4
    bits |= _is_digit(cpl[ws]).view(np.uint8) << 5
    bits |= (wlen >= max(MIN_SUFFIX_WORD, _SUFFIX_SPAN)).view(np.uint8) << 6
    shape = np.take(_SHAPE_OF_BITS, bits)
    kept = fw + freq  # 1 + symbol id of a function or frequent word, else 0
    shape = _suffix_shapes(cpl, we, shape, np.take(_SUFFIX_CANDIDATE_BITS, bits) & (kept == 0))
    wid = np.where(kept > 0, kept - 1, shape)
    ppos, pcls = mpos, mcls
    if len(ppos):
        # Not the "." / "," inside a number, not an apostrophe inside a word.
        before = np.maximum(ppos - 1, 0)
        after = np.minimum(ppos + 1, n_cp - 1)
        edge = (ppos == 0) | (ppos == n_cp - 1)
        in_number = (((pcls == _FULL_STOP_CLASS) | (pcls == _COMMA_CLASS))
                     & _is_digit(cpl[before]) & _is_digit(cpl[after]))
        in_word = (pcls == _APOS) & (cls[before] == _WORD) & (cls[after] == _WORD)
        # A run of one mark is one symbol: "--" is a typed dash, "..." an ellipsis (U+2014 and
        # U+2026 are one character each; TED's original transcripts write "--", the human
        # translations U+2014: typography, not translation).
        repeat = (ppos > 0) & (cls[before] == pcls)
        keep = ~((in_number | in_word) & ~edge) & ~repeat
        ppos, pcls = ppos[keep], pcls[keep]
    pid = _MARK_SYMBOL[pcls]
    pos = np.concatenate((ws, ppos))
    ids = np.concatenate((wid, pid))
    order = np.argsort(pos, kind="stable")
    ids = ids[order]
    # The words' blocks are known already: look up only the marks'.
    block = np.concatenate((w_block, np.searchsorted(starts, ppos, side="right") - 1))[order]
    same = (block[1:] == block[:-1]) & ~(_ENDS_SENTENCE[ids[:-1]] & ~_IS_MARK[ids[1:]])
    pair = (ids[:-1] * V + ids[1:])[same]
    pair_block = block[:-1][same]
    function_words = np.bincount(w_block, weights=(fw > 0).astype(np.float64), minlength=n)
    return Ngrams(ids, block, pair, pair_block, words, function_words)


def prose_mask(ng: Ngrams) -> np.ndarray:
    """Blocks the model scores: enough words, and enough of them English function words."""
    return _prose(ng.words, ng.function_words)


def _prose(words: np.ndarray, function_words: np.ndarray) -> np.ndarray:
    """``prose_mask`` from the per-block counts."""
    return (words >= MIN_WORDS) & (function_words >= MIN_FUNCTION_SHARE * np.maximum(words, 1))


def _counts_of_sorted(block: np.ndarray, n_blocks: int) -> np.ndarray:
    """``np.bincount(block, minlength=n_blocks)`` of an ascending ``block``: a binary search per
    block instead of a pass over every n-gram."""
    return np.diff(np.searchsorted(block, np.arange(n_blocks + 1)))


def ngram_counts(ng: Ngrams, n_blocks: int) -> np.ndarray:
    """Unigrams + pairs per block (the ``n`` of ``z = w . counts / sqrt(n)``); the n-grams of
    ``symbol_ngrams`` come in text order, so their blocks ascend."""
    return (_counts_of_sorted(ng.uni_block, n_blocks) + _counts_of_sorted(ng.pair_block, n_blocks)
            ).astype(np.float64)


@dataclass(frozen=True)
class SoftModel:
    """Logistic weights over symbol unigrams and pairs, plus the page calibration."""

    unigram: np.ndarray  # (V,)
    pair: np.ndarray     # (V * V,), zero for pairs the model does not know
    bias: float
    page_a: float
    page_b: float
    meta: dict

    def block_logits(self, ng: Ngrams, n_blocks: int) -> np.ndarray:
        """``z`` per block (every block; callers mask non-prose blocks)."""
        if _MT_SOFT_EXT is not None:  # the same sums and counts, in one pass each (_mt_soft_ext.pyx)
            i64 = functools.partial(np.ascontiguousarray, dtype=np.int64)
            f64 = functools.partial(np.ascontiguousarray, dtype=np.float64)
            uni, n_uni, uni_up = _MT_SOFT_EXT.gather_bincount_counts(i64(ng.uni_block), i64(ng.uni),
                                                                     f64(self.unigram), n_blocks)
            pair, n_pair, pair_up = _MT_SOFT_EXT.gather_bincount_counts(i64(ng.pair_block), i64(ng.pair),
                                                                        f64(self.pair), n_blocks)
            total = uni + pair
            # ngram_counts's counts when the blocks ascend (as symbol_ngrams's do), else its own.
            counts = (n_uni + n_pair).astype(np.float64) if uni_up and pair_up else ngram_counts(ng, n_blocks)
        else:
            total = (np.bincount(ng.uni_block, weights=self.unigram[ng.uni], minlength=n_blocks)
                     + np.bincount(ng.pair_block, weights=self.pair[ng.pair], minlength=n_blocks))
            counts = ngram_counts(ng, n_blocks)
        return self.logits(total, counts)

    def logits(self, total: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """``z`` from each block's summed weights and its unigrams + pairs (float64)."""
        return total / np.sqrt(counts + 1.0) + self.bias

    def to_json(self) -> dict:
        nz = np.flatnonzero(self.pair)
        return {
            "schema": SOFT_SCHEMA, "symbols": list(SYMBOLS),
            "unigram": [round(float(x), 5) for x in self.unigram],
            "pairs": [[int(k // V), int(k % V), round(float(self.pair[k]), 5)] for k in nz],
            "bias": self.bias, "page_a": self.page_a, "page_b": self.page_b, "meta": self.meta,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The model as plain arrays (the table cache's entry): the weights, the three floats,
        and ``meta`` as UTF-8 JSON bytes."""
        return {"unigram": self.unigram, "pair": self.pair,
                "scalars": np.array([self.bias, self.page_a, self.page_b], dtype=np.float64),
                "meta": np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), dtype=np.uint8)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SoftModel:
        """``arrays()`` back to the model; ValueError (or KeyError) for arrays of other names,
        shapes or kinds."""
        if (arrays["unigram"].shape != (V,) or arrays["pair"].shape != (V * V,) or arrays["scalars"].shape != (3,)
                or any(arrays[k].dtype != np.float64 for k in ("unigram", "pair", "scalars"))):
            raise ValueError("not a soft-signal model's arrays")
        bias, page_a, page_b = (float(x) for x in arrays["scalars"])
        return cls(arrays["unigram"], arrays["pair"], bias, page_a, page_b,
                   json.loads(arrays["meta"].tobytes().decode()))

    @classmethod
    def from_json(cls, data: dict, where: str = "model") -> SoftModel:
        if not isinstance(data, dict) or data.get("schema") != SOFT_SCHEMA:
            raise SoftModelError(f"{where}: not a {SOFT_SCHEMA} soft-signal model "
                                 f"(schema {data.get('schema') if isinstance(data, dict) else None!r})")
        if data.get("symbols") != list(SYMBOLS):
            raise SoftModelError(f"{where}: trained on another symbol alphabet than features/mt_soft_data.py; "
                                 "retrain with training/mt_soft.py")
        try:
            unigram = np.asarray(data["unigram"], dtype=np.float64)
            pair = np.zeros(V * V, dtype=np.float64)
            # (a, b, weight) rows, set in one assignment (a loop over ~12,000 took ~5 ms of every start).
            rows = np.asarray(data["pairs"], dtype=np.float64).reshape(-1, 3)
            pair[rows[:, 0].astype(np.int64) * V + rows[:, 1].astype(np.int64)] = rows[:, 2]
            model = cls(unigram, pair, float(data["bias"]), float(data["page_a"]), float(data["page_b"]),
                        dict(data.get("meta", {})))
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise SoftModelError(f"{where}: malformed soft-signal model ({type(e).__name__}: {e})") from e
        if unigram.shape != (V,) or not np.isfinite(unigram).all() or not np.isfinite(pair).all():
            raise SoftModelError(f"{where}: unigram weights must be {V} finite numbers")
        return model


def default_soft_path() -> Path:
    """$NEWSWINNOW_MT_SOFT, the repo's data/, or the installed share/newswinnow/data."""
    env = os.environ.get(ENV_SOFT_MODEL)
    if env:
        return Path(env)
    return _shipped_soft_path()


@functools.lru_cache(maxsize=1)
def _shipped_soft_path() -> Path:
    """The shipped file, found once: every batch asks (``soft_scores``), and resolving the
    path and testing two candidates took ~32 us a call."""
    candidates = [Path(__file__).resolve().parent.parent / "data" / f"{SOFT_STEM}.json",
                  Path(sys.prefix) / "share" / "newswinnow" / "data" / f"{SOFT_STEM}.json"]
    return next((c for c in candidates if c.exists()), candidates[0])


def load_soft_model(path: str | None = None) -> SoftModel:
    """The soft-signal model at ``path`` (default: :func:`default_soft_path`), loaded once per path."""
    return _load_soft_model(str(path) if path else str(default_soft_path()))


@functools.lru_cache(maxsize=4)
def _load_soft_model(path: str) -> SoftModel:
    """The model of a file, its arrays from the table cache when this file's bytes were read before.

    Why: parsing the 215 KB file and making its ~12,000 pair rows an array took ~10 ms of every
    process's start; the cached arrays are read in well under 1 ms. The entry is keyed by the
    file's bytes, so an edited or replaced file is parsed (and checked) again."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SoftModelError(f"{p}: cannot read the soft-signal model ({e.strerror or e})") from e
    arrays = tablecache.cached_arrays(SOFT_CACHE_NAME, [raw], lambda: _parsed(raw, p).arrays())
    try:
        return SoftModel.from_arrays(arrays)
    except (KeyError, ValueError, TypeError):  # an entry that is not this model's arrays: the file, parsed
        return _parsed(raw, p)


def _parsed(raw: bytes, p: Path) -> SoftModel:
    try:
        data = jsonfile.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SoftModelError(f"{p}: not JSON ({e})") from e
    return SoftModel.from_json(data, str(p))


@dataclass(frozen=True)
class SoftScores:
    """Per block: probability-like soft score (0 for blocks not scored); per page: calibrated p."""

    block: np.ndarray
    page: np.ndarray
    page_stat: np.ndarray


def _f64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


def soft_scores(texts: Sequence[str], page: np.ndarray, n_pages: int, model: SoftModel | None = None,
                tokens: TokenBatch | None = None, lengths: np.ndarray | None = None) -> SoftScores:
    """Soft translationese probability per block and per page (``page`` gives each block's page;
    ``tokens``: see ``symbol_ngrams``; ``lengths``: ``len`` of each text as int64, when the caller
    has them: saves reading every text's length again)."""
    model = model or load_soft_model()
    n = len(texts)
    if n == 0:
        z = np.zeros(0)
        return SoftScores(z, np.zeros(n_pages), np.zeros(n_pages))
    points = _code_points(texts, tokens, lengths)
    cp, cpl, starts, reuse = points
    if reuse and _MT_SOFT_EXT is not None:
        # The compiled form sums the weights as it finds the n-grams: block_logits's sums and
        # counts, bit for bit, without the n-gram arrays (_mt_soft_ext.SymbolTables.ngram_sums).
        tables = _SYMBOL_TABLES if _SYMBOL_TABLES is not None else _symbol_tables(_MT_SOFT_EXT)
        uni, pair, grams, words, function_words = tables.ngram_sums(
            *_kernel_arguments(cp, cpl, tokens, starts), _f64(model.unigram), _f64(model.pair))
        z = model.logits(uni + pair, grams.astype(np.float64))
        prose = _prose(words, function_words)
    else:
        ng = _ngrams_of(texts, tokens, *points)
        z = model.block_logits(ng, n)
        prose = prose_mask(ng)
    block = np.where(prose, _sigmoid(z), 0.0)
    page = np.asarray(page)
    # Votes without the block bias: it would count once per block, so the same text cut into
    # paragraphs instead of sentences would lose it 4 times over (the calibration's b holds it).
    votes = np.bincount(page, weights=np.where(prose, z - model.bias, 0.0), minlength=n_pages)
    count = np.bincount(page, weights=prose.astype(np.float64), minlength=n_pages)
    stat = votes / np.sqrt(np.maximum(count, 1.0))
    page_p = np.where(count > 0, _sigmoid(model.page_a * stat + model.page_b), 0.0)
    return SoftScores(block, page_p, stat)


def soft_contribution(p: np.ndarray, weight: float) -> np.ndarray:
    """What a soft probability adds to an mt score: ``weight * p ** SOFT_POWER``."""
    return weight * np.power(np.clip(p, 0.0, 1.0), SOFT_POWER)


def combine(artefact: np.ndarray, soft_p: np.ndarray, weight: float) -> np.ndarray:
    """``1 - (1 - artefact) * (1 - weight * soft_p ** SOFT_POWER)``: artefacts dominate, style adds a little."""
    a = np.clip(np.asarray(artefact, dtype=np.float64), 0.0, 1.0)
    return 1.0 - (1.0 - a) * (1.0 - soft_contribution(soft_p, weight))
