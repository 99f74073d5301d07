"""Tokenising a batch of blocks and looking its tokens up, without a Python string per token.

``TOKEN_RX.findall`` followed by a ``dict`` lookup per token cost about 150 ns a token, a
quarter of the whole feature pass. Here the same tokens come from numpy over the code points
of the lower-cased text:

- a token is a run of word characters (``\\w``: ``str.isalnum()`` or ``_``), where an
  apostrophe (' or U+2019) with a word character on both sides joins the run ("don't"), or a
  single ``$``, or a single newline (the separator between blocks) - exactly what
  ``TOKEN_RX = \\w+(?:['\u2019]\\w+)*|\\$|\\n`` matches;
- each token gets a 64-bit polynomial hash of its code points from one prefix sum
  (h = sum cp[j] * B**(end-1-j) mod 2**64), and a vocabulary of words is a sorted array of the
  same hashes: one ``searchsorted`` looks every token up.

When features/_tokens_ext.pyx is built, tokens and hashes come from one C loop over the code
points instead (the same tokens and, by Horner's rule, the same hashes: tests/test_ext_tokens.py).

Two different words sharing a hash would need a 1-in-2**64 accident (or a crafted input, whose
only effect is a wrong feature value for that token); the vocabulary side is checked for
collisions when it is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from . import ext, tablecache

__all__ = ["HashVocab", "tokenize", "tokenize_cp", "token_hashes", "TokenBatch"]

_CODE_SPACE = 0x110000
# Odd multiplier of the polynomial hash, and its inverse mod 2**64.
_BASE = 0x9E3779B97F4A7C15
_BASE_INV = pow(_BASE, -1, 1 << 64)
_APOSTROPHES = (ord("'"), 0x2019)
_DOLLAR, _NEWLINE = ord("$"), ord("\n")


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code point -> is a ``\\w`` character; -> ``str.isdigit()``; both as bits of one table."""
    everything = np.arange(_CODE_SPACE, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    word = np.zeros(_CODE_SPACE, dtype=bool)
    for m in re.finditer(r"\w+", everything):
        word[m.start(): m.end()] = True
    digit = np.zeros(_CODE_SPACE, dtype=bool)
    candidates = np.flatnonzero(word)  # every str.isdigit() character is alphanumeric
    chars = candidates.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    digit[candidates[np.fromiter(map(str.isdigit, chars), dtype=bool, count=len(chars))]] = True
    bits = (word * _WORD_BIT) | (digit * _DIGIT_BIT)
    bits[list(_APOSTROPHES)] |= _APOS_BIT
    bits[[_DOLLAR, _NEWLINE]] |= _SINGLE_BIT
    return word, digit, bits


# Bits of ``_CHAR_BITS``: a word character, a digit, an apostrophe that may join two words,
# a character that is a token of its own ("$", the newline).
_WORD_BIT, _DIGIT_BIT, _APOS_BIT, _SINGLE_BIT = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)


def _cached_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_tables()``, kept between runs (~0.05 s of every start-up; features/tablecache.py)."""
    got = tablecache.cached_arrays("tokens-tables", [tablecache.source_fingerprint()],
                                   lambda: dict(zip(("word", "digit", "bits"), _tables())))
    return got["word"], got["digit"], got["bits"]


WORD_CHAR, DIGIT_CHAR, _CHAR_BITS = _cached_tables()
# The compiled passes (features/_tokens_ext.pyx), or None: the numpy forms below. Its loop
# takes a word character never to be an apostrophe or a token of its own (true of \w).
_TOKENS_EXT = ext.load("features._tokens_ext")
# The compiled hash-table lookup (features/_vocab_ext.pyx), or None: ``HashVocab._lookup_numpy``.
_VOCAB_EXT = ext.load("features._vocab_ext")
if _TOKENS_EXT is not None and _TOKENS_EXT.HASH_BASE != _BASE:  # pragma: no cover - a guard for edits
    raise RuntimeError("features._tokens_ext hashes with another multiplier than features.tokens")
if np.any(_CHAR_BITS[[*_APOSTROPHES, _DOLLAR, _NEWLINE]] & _WORD_BIT):  # pragma: no cover - a guard for edits
    raise RuntimeError("an apostrophe or single-character token is also a word character")
# B**k and B**-k for k below the longest text seen so far (grown on demand, see ``_powers``).
_POWERS: list[np.ndarray] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]
# Texts longer than this get their powers computed afresh rather than cached (bounds memory).
POWERS_CACHE_MAX = 1 << 23


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B**k and B**-k mod 2**64 for k < n (uint64 products wrap, which is the modulus).

    A cumulative product is sequential and cost as much as the rest of tokenising, so the
    arrays are kept for the next batch (usually no longer than this one).
    """
    if len(_POWERS[0]) >= n:
        return _POWERS[0], _POWERS[1]
    size = max(n, 2 * len(_POWERS[0]))
    up = np.full(size, _BASE, dtype=np.uint64)
    up[0] = 1
    down = np.full(size, _BASE_INV, dtype=np.uint64)
    down[0] = 1
    up, down = np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64)
    if size <= POWERS_CACHE_MAX:
        _POWERS[:] = [up, down]
    return up, down


def token_hashes(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Polynomial hash of each span ``cp[starts[i]:ends[i]]`` (non-empty spans), uint64."""
    if (_TOKENS_EXT is not None and cp.dtype == np.uint32 and starts.dtype == np.int64 and ends.dtype == np.int64
            and cp.ndim == starts.ndim == ends.ndim == 1):
        out = _TOKENS_EXT.span_hashes(np.ascontiguousarray(cp), np.ascontiguousarray(starts),
                                      np.ascontiguousarray(ends))
        if out is not None:  # None: spans the kernel leaves to the numpy form (out of range, reversed)
            return out
    return _token_hashes_numpy(cp, starts, ends)


def _token_hashes_numpy(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``token_hashes`` by one prefix sum of cp[j] * B**-j (the reference of the kernel)."""
    up, down = _powers(len(cp))
    prefix = np.zeros(len(cp) + 1, dtype=np.uint64)
    terms = np.multiply(cp, down[: len(cp)], dtype=np.uint64)  # widening and product in one pass
    np.cumsum(terms, dtype=np.uint64, out=prefix[1:])
    last = ends - 1
    out = np.take(prefix, ends)
    out -= np.take(prefix, starts)
    out *= np.take(up, last)
    return out


class TokenBatch:
    """The tokens of one string: spans, hashes, lengths, which are all digits, and the string's
    code points (so later passes over the same text need not encode it again)."""

    __slots__ = ("starts", "ends", "hashes", "lengths", "digits", "newline", "cp", "function_words", "text_cp")

    def __init__(self, starts: np.ndarray, ends: np.ndarray, hashes: np.ndarray, digits: np.ndarray,
                 newline: np.ndarray, cp: np.ndarray | None = None, lengths: np.ndarray | None = None):
        self.starts, self.ends, self.hashes = starts, ends, hashes
        # ``ends - starts``, or the same numbers the caller already has (the kernel writes them
        # in its pass; a numpy pass over the token arrays less).
        self.lengths = ends - starts if lengths is None else lengths
        self.digits = digits
        self.newline = newline
        self.cp = np.zeros(0, dtype=np.uint32) if cp is None else cp
        # Per token, 1 + index in features.mt_soft's FUNCTION_WORDS (0: none); set by the
        # feature pass, which looks every token up anyway.
        self.function_words: np.ndarray | None = None
        # The code points of the string before lower-casing, when the caller had it (the feature
        # pass sets it; features.mt_soft reads case from it instead of encoding the text again).
        self.text_cp: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.starts)


def tokenize(text: str) -> TokenBatch:
    """The tokens ``TOKEN_RX.findall(text)`` finds, as arrays (``text`` already lower-cased)."""
    return tokenize_cp(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))


def tokenize_cp(cp: np.ndarray) -> TokenBatch:
    """``tokenize`` of the text whose code points are ``cp`` (uint32, one dimension; e.g. the
    lower-cased code points features.lowercase gives, with no str in between)."""
    n = len(cp)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return TokenBatch(z, z, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
    if _TOKENS_EXT is not None and cp.dtype == np.uint32 and cp.ndim == 1 and cp.flags.c_contiguous:
        arrays = _TOKENS_EXT.tokenize_cp(cp, _CHAR_BITS, _WORD_BIT, _DIGIT_BIT, _APOS_BIT, _SINGLE_BIT)
        if arrays is not None:  # None: a code point beyond the table, left to the numpy form's error
            starts, ends, hashes, digits, newline, lengths = arrays
            return TokenBatch(starts, ends, hashes, digits, newline, cp, lengths)
    return _tokenize_numpy(cp)


def _tokenize_numpy(cp: np.ndarray) -> TokenBatch:
    """``tokenize`` of the (non-empty) code points ``cp`` in numpy (the reference of the kernel)."""
    n = len(cp)
    # One byte per character from here on (the code points are four): shifted comparisons of
    # slices, no shifted copies; apostrophes are few, so their joins are checked where they are.
    bits = np.take(_CHAR_BITS, cp)
    word = (bits & _WORD_BIT).view(bool)
    apos = np.flatnonzero((bits & _APOS_BIT).view(bool))
    apos = apos[(apos > 0) & (apos < n - 1)]
    joins = apos[word[apos - 1] & word[apos + 1]]
    if len(joins):
        inside = word.copy()
        inside[joins] = True
    else:
        inside = word
    single = (bits & _SINGLE_BIT).view(bool)
    edge = np.empty(n, dtype=bool)  # a run of ``inside`` starts here, or a single-character token
    edge[0] = inside[0]
    np.greater(inside[1:], inside[:-1], out=edge[1:])
    edge |= single
    starts = np.flatnonzero(edge)
    edge[-1] = inside[-1]  # ... ends here
    np.greater(inside[:-1], inside[1:], out=edge[:-1])
    edge |= single
    ends = np.flatnonzero(edge) + 1
    # All-digit tokens: among tokens starting with a digit (few), those whose characters are
    # all digits (checked on those tokens' characters only).
    digits = (np.take(bits, starts) & _DIGIT_BIT).view(bool)
    cand = np.flatnonzero(digits)
    if len(cand):
        s, e = starts[cand], ends[cand]
        size = e - s
        first = np.cumsum(size) - size
        pos = np.arange(int(size.sum())) + np.repeat(s - first, size)
        non_digit = np.take(bits, pos) & _DIGIT_BIT == 0
        digits[cand] = np.add.reduceat(non_digit, first) == 0
    return TokenBatch(starts, ends, token_hashes(cp, starts, ends), digits, cp[starts] == _NEWLINE, cp)


def _insert_numpy(keys: np.ndarray, rows: np.ndarray, slots: np.ndarray,
                  size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``HashVocab``'s slots (keys, rows, used) and probe rounds, by linear probing for all keys
    at once: each round, the lowest row wanting a free slot takes it; the others move on to the
    next slot. The reference of ``features/_vocab_ext.pyx``'s ``insert``."""
    out_keys = np.zeros(size, dtype=np.uint64)
    out_rows = np.zeros(size, dtype=np.int64)
    used = np.zeros(size, dtype=bool)
    slots = slots.copy()
    mask = size - 1
    pending = np.arange(len(keys))
    probes = 0
    while len(pending):
        probes += 1
        s = slots[pending]
        free = ~used[s]
        cand, cand_slot = pending[free], s[free]
        _, win = np.unique(cand_slot, return_index=True)  # first (lowest row) per slot
        won, won_slot = cand[win], cand_slot[win]
        used[won_slot] = True
        out_keys[won_slot] = keys[won]
        out_rows[won_slot] = rows[won]
        placed = np.zeros(len(keys), dtype=bool)
        placed[won] = True
        pending = pending[~placed[pending]]
        slots[pending] = (slots[pending] + 1) & mask
    return out_keys, out_rows, used, max(probes, 1)


class HashVocab:
    """Words -> row numbers 1..len(words) by hash (0 = not a word of the vocabulary).

    An open-addressing table (linear probing, load at most ``MAX_LOAD``) in two flat arrays,
    probed for all tokens at once: one gather per probe round, and rounds are few because
    the table is sparse (the longest probe sequence is recorded at build time).
    """

    MAX_LOAD = 0.2  # 0.4 needed up to 17 probe rounds on the shipped lexicon, 0.2 needs 8 (lookup 25% faster)
    _MIX = np.uint64(0xD6E8FEB86659FD93)  # odd multiplier spreading the hash over the slot bits

    def __init__(self, words: Sequence[str]):
        self.words = list(words)
        hashes = self._word_hashes(self.words)
        bits = max(4, int(np.ceil(np.log2(max(len(self.words), 1) / self.MAX_LOAD))))
        size = 1 << bits
        self._shift = np.uint64(64 - bits)
        self._mask = size - 1
        # Dedupe by hash (first row wins); equal hashes of different words would be a collision.
        uniq, first = np.unique(hashes, return_index=True)
        if len(uniq) < len(hashes):
            dup = np.setdiff1d(np.arange(len(hashes)), first)
            owner = first[np.searchsorted(uniq, hashes[dup])]
            for d, o in zip(dup.tolist(), owner.tolist()):
                if self.words[d] != self.words[o]:
                    raise ValueError(f"hash collision in vocabulary: {self.words[o]!r} / {self.words[d]!r}")
        order = np.sort(first)  # keys in row order: a lower row wins a contested slot
        keys, rows, slots = hashes[order], order + 1, self._slots(hashes[order])
        table = None
        if _VOCAB_EXT is not None:  # the same rounds in one loop (a process's start-up builds this table)
            table = _VOCAB_EXT.insert(keys, np.ascontiguousarray(rows, dtype=np.int64), slots, size)
        if table is None:
            table = _insert_numpy(keys, rows, slots, size)
        self._keys, self._rows, self._used, self._probes = table

    def table_arrays(self) -> dict[str, np.ndarray]:
        """The lookup table as plain arrays (``from_table`` reads them back): for the table cache."""
        return {"keys": self._keys, "rows": self._rows, "used": self._used,
                "shape": np.array([int(self._shift), self._mask, self._probes], dtype=np.int64)}

    @classmethod
    def from_table(cls, arrays: dict[str, np.ndarray]) -> HashVocab:
        """A table from ``table_arrays``, without building it again. Its ``words`` are not kept (a
        lookup needs only the table)."""
        vocab = cls.__new__(cls)
        vocab.words = []
        shift, mask, probes = (int(x) for x in arrays["shape"])
        vocab._shift, vocab._mask, vocab._probes = np.uint64(shift), mask, probes
        vocab._keys, vocab._rows, vocab._used = arrays["keys"], arrays["rows"], arrays["used"]
        return vocab

    @staticmethod
    def _word_hashes(words: list[str]) -> np.ndarray:
        if not words:
            return np.zeros(0, dtype=np.uint64)
        if "" in words:  # (a C loop; a generator over 40,000 words was a third of the build)
            raise ValueError("empty word in vocabulary")
        cp = np.frombuffer("\n".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        return token_hashes(cp, starts, starts + lengths)

    def _slots(self, hashes: np.ndarray) -> np.ndarray:
        return ((hashes * self._MIX) >> self._shift).astype(np.int64)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Row of each hash in the vocabulary (0 when absent); one C loop over the hashes when
        features/_vocab_ext.pyx is built (the same probes), else ``_lookup_numpy``."""
        if _VOCAB_EXT is not None and isinstance(hashes, np.ndarray) and hashes.dtype == np.uint64 and hashes.ndim == 1:
            out = _VOCAB_EXT.lookup(np.ascontiguousarray(hashes), self._keys, self._rows, self._used.view(np.uint8),
                                    int(self._MIX), int(self._shift), self._probes)
            if out is not None:  # None: a table whose arrays do not fit together (numpy form's answer)
                return out
        return self._lookup_numpy(hashes)

    def _lookup_numpy(self, hashes: np.ndarray) -> np.ndarray:
        """``lookup`` by probe rounds over all hashes at once (the reference of the kernel)."""
        # The first probe for all hashes as full-size gathers (most tokens end there: found, or
        # at a free slot, whose row is 0); the few that hit another word's slot probe on.
        slot = self._slots(hashes)
        used = np.take(self._used, slot)
        hit = used & (np.take(self._keys, slot) == hashes)
        out = np.where(hit, np.take(self._rows, slot), 0)
        more = used & ~hit
        todo = np.flatnonzero(more)
        slot, h = (slot[todo] + 1) & self._mask, hashes[todo]
        for _ in range(self._probes - 1):
            if not len(todo):
                break
            hit = self._used[slot] & (self._keys[slot] == h)
            out[todo[hit]] = self._rows[slot[hit]]
            more = self._used[slot] & ~hit  # an occupied slot of another word: probe on
            todo, slot, h = todo[more], (slot[more] + 1) & self._mask, h[more]
        return out
