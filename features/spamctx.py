"""Spam-in-context columns for the text model (schema ``text-6``), appended after ``text-5``'s.

Comment spam is a comment that is not part of the conversation: it promotes the poster (a
channel, a song, a shop), begs for subscribers, offers money, or is a bare promotional link.
Each column is log(1 + the number of matches) in a block of one family of
``features.spam_lexicon.SPAM_PATTERNS``, of all families pooled, and of runs of a repeated
character. A full ``finditer`` of every family over the batch cost twice the rest of the
feature pass, so the patterns are tried only where a match can start (``family_counts``: lead
words found by their byte shape with numpy, then one anchored match each), which counts exactly
the same. The compiled scan (features/_spamctx_ext.pyx, optional) finds the same candidates in
one pass over the bytes and tries a pattern only at those that begin with one of its
``match_heads``, which every match does. The columns are block-local: the thread around a
block reaches the network through ``features.extract``'s context columns (the neighbours' spam
words and spam lexicon scores).

Tried and left out: the share of a block's content words found elsewhere on its page (a real
reply reuses the article's words, pasted spam does not). Under the leave-one-video-out protocol
it cost spam precision (held-out video 01: 0.693 with it against 0.792 without, one network):
the protocol's ham YouTube comments are as unrelated to the news page as its spam.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

# The regex parser, to read off the bytes a match must begin with (``match_heads``).
from re import _constants as _sre_c
from re import _parser as _sre_parse
from typing import NamedTuple

import numpy as np

from . import ext, tablecache
from .spam_lexicon import SPAM_LEAD_CHARS, SPAM_LEAD_PREFIXES, SPAM_LEADS, SPAM_PATTERNS

FAMILIES = tuple(SPAM_PATTERNS)
_FAMILY_RX: dict[str, re.Pattern[bytes]] = dict(zip(SPAM_PATTERNS, tablecache.compile_many(
    ["|".join(f"(?:{p})" for p in pats).encode("utf-8") for pats in SPAM_PATTERNS.values()], "spamctx-families")))
# Candidate word starts: a whole word shaped like a lead word - by (first byte, second byte,
# length) and by (last byte, length), both tables holding the union of the families of the
# lead words of that shape - or a word beginning with a lead prefix (its first PREFIX_KEY bytes
# compared as one integer). A cheap superset of the lead words, no hashing; the pattern's own
# match at each candidate decides.
_MAX_LEN = 16  # word lengths are capped here (longer words share the last slot)
PREFIX_KEY = 4
MAX_FAMILIES = 8  # one bit each in a uint8 mask
# ``match_heads``: strings of at most HEAD_LEN bytes, at most HEAD_LIMIT per pattern (more,
# and the pattern gets no filter).
HEAD_LEN = 8
HEAD_LIMIT = 4096
_ANYTHING = [(_sre_c.ANY, None)]  # "then anything" in ``match_heads``


def _key4(b: bytes) -> int:
    return int.from_bytes(b[:PREFIX_KEY], "little")


@dataclass(frozen=True)
class LeadTables:
    """One set of pattern families with the byte-shape tables of where their matches can start
    (``features.spamshape`` builds a second set for the text-7 columns)."""

    families: tuple[str, ...]
    rx: tuple[re.Pattern[bytes], ...]
    shape_mask: np.ndarray  # [256, 256, _MAX_LEN + 1] uint8: family bits by (first, second, length)
    end_mask: np.ndarray  # [256, _MAX_LEN + 1] uint8: family bits by (last byte, length)
    prefix_sorted: np.ndarray
    prefix_bits: np.ndarray
    prefix_pairs: np.ndarray  # [65536] bool: first two bytes (first << 8 | second) of some prefix
    chars: tuple[tuple[int, int], ...]
    # For the compiled scan only (features/_spamctx_ext.pyx): per family, the byte strings one of
    # which every match begins with (``match_heads``), all of them concatenated, their offsets
    # in the concatenation and each family's first string; the scan calls a pattern only at the
    # candidates that begin with one of its strings (``rx.match`` would return None elsewhere).
    heads: tuple[tuple[bytes, ...], ...]
    head_blob: bytes
    head_offsets: np.ndarray  # int64 [strings + 1]
    head_families: np.ndarray  # int64 [families + 1]


def match_heads(rx: re.Pattern[bytes], size: int = HEAD_LEN) -> tuple[bytes, ...]:
    """Byte strings (sorted, none a prefix of another) one of which every match of ``rx``
    begins with, read off the parsed pattern: literals, classes of literals and small ranges,
    groups, alternations and repeats (none or one copy of the repeated part, then anything).
    Anything else (categories, negated classes, flags, lookarounds, ...) and ``size`` bytes end
    a string there, assertions such as ``\\b`` are passed over: both only let more through, so
    a match never begins with none of them. ``(b"",)`` lets every position through."""
    everything = (b"",)
    if not isinstance(rx.pattern, bytes) or rx.flags & re.IGNORECASE:
        return everything
    try:
        parsed = _sre_parse.parse(rx.pattern, rx.flags)
        if parsed.state.flags & re.IGNORECASE:
            return everything
        found: set[bytes] = set()
        seen: set[tuple] = set()

        kept: list[list] = []  # lists made here stay alive: ``seen`` keys on their ids

        def items(sub) -> list:
            if hasattr(sub, "data"):
                return sub.data
            kept.append(list(sub))
            return kept[-1]

        def walk(todo: tuple[tuple[list, int], ...], got: bytes) -> None:
            """``todo``: (item list, next index) still to match, innermost first; ``got``: the
            bytes so far. Each state is walked once (alternatives often share their next bytes)."""
            todo = tuple((lst, k) for lst, k in todo if k < len(lst))
            key = (tuple((id(lst), k) for lst, k in todo), got)
            if key in seen:
                return
            seen.add(key)
            if len(found) > HEAD_LIMIT:
                raise OverflowError
            if len(got) >= size or not todo:
                found.add(got[:size])  # size bytes, or the pattern may end here
                return
            (lst, k), outer = todo[0], todo[1:]
            op, av = lst[k]
            rest = ((lst, k + 1), *outer)
            if op is _sre_c.LITERAL:
                walk(rest, got + bytes([av]))
            elif op is _sre_c.IN:
                chars: set[int] = set()
                for o, a in av:
                    if o is _sre_c.LITERAL:
                        chars.add(a)
                    elif o is _sre_c.RANGE and a[1] - a[0] < 16:
                        chars.update(range(a[0], a[1] + 1))
                    else:
                        found.add(got)
                        return
                for c in sorted(chars):
                    walk(rest, got + bytes([c]))
            elif op is _sre_c.AT:
                walk(rest, got)
            elif op is _sre_c.SUBPATTERN and not av[1] and not av[2]:
                walk(((items(av[3]), 0), *rest), got)
            elif op is _sre_c.BRANCH:
                for alt in av[1]:
                    walk(((items(alt), 0), *rest), got)
            elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT):
                low, high, sub = av
                if low == 0:
                    walk(rest, got)
                if high != 0:
                    walk(((items(sub), 0), (_ANYTHING, 0)), got)  # one copy, then anything
            else:
                found.add(got)

        walk(((items(parsed), 0),), b"")
    except Exception:  # too many strings, or a parse tree this reading does not know: no filter
        return everything
    out: list[bytes] = []
    for s in sorted(found):  # drop the strings a shorter one begins
        if not out or not s.startswith(out[-1]):
            out.append(s)
    return tuple(out)


def _head_arrays(rx: Sequence[re.Pattern[bytes]]) -> dict[str, np.ndarray]:
    """``match_heads`` of each pattern as arrays: the strings concatenated, their offsets in
    that, and each pattern's first string (what ``LeadTables`` keeps)."""
    heads = [match_heads(r) for r in rx]
    strings = [s for hs in heads for s in hs]
    return {"blob": np.frombuffer(b"".join(strings), dtype=np.uint8).copy(),
            "offsets": np.concatenate(([0], np.cumsum([len(s) for s in strings], dtype=np.int64))).astype(np.int64),
            "families": np.concatenate(([0], np.cumsum([len(hs) for hs in heads]))).astype(np.int64)}


def _heads_from_arrays(a: dict[str, np.ndarray]) -> tuple[tuple[bytes, ...], ...]:
    blob, off, fam = a["blob"].tobytes(), a["offsets"].tolist(), a["families"].tolist()
    strings = [blob[off[i]: off[i + 1]] for i in range(len(off) - 1)]
    return tuple(tuple(strings[fam[f]: fam[f + 1]]) for f in range(len(fam) - 1))


def build_tables(patterns: dict[str, tuple[str, ...]], leads: dict[str, tuple[str, ...]],
                 prefixes: dict[str, tuple[str, ...]], chars: dict[str, str],
                 cache_name: str | None = None) -> LeadTables:
    """The lookup tables of ``patterns`` (family -> regexes) from their lead words, word
    prefixes and lead characters (every pattern's first word or character must be listed).

    ``cache_name``: keep the patterns' ``match_heads`` in the table cache under that name
    (features/tablecache.py; reading them off the parsed patterns is ~20 ms of every start-up
    for the two shipped sets), keyed by the patterns themselves and the package's sources.
    """
    families = tuple(patterns)
    if len(families) > MAX_FAMILIES:
        raise ValueError(f"at most {MAX_FAMILIES} families per table")
    shape = np.zeros((256, 256, _MAX_LEN + 1), dtype=np.uint8)
    end = np.zeros((256, _MAX_LEN + 1), dtype=np.uint8)
    for f, ws in leads.items():
        for w in ws:
            b = w.encode("ascii")
            shape[b[0], b[1] if len(b) > 1 else slice(None), min(len(b), _MAX_LEN)] |= 1 << families.index(f)
            end[b[-1], min(len(b), _MAX_LEN)] |= 1 << families.index(f)
    keys: dict[int, int] = {}
    for f, ps in prefixes.items():
        for p in ps:
            if len(p) < PREFIX_KEY:
                raise ValueError(f"lead prefix shorter than {PREFIX_KEY} bytes: {p!r}")
            k = _key4(p.encode("ascii"))
            keys[k] = keys.get(k, 0) | 1 << families.index(f)
    srt = np.array(sorted(keys), dtype=np.uint32)
    pairs = np.zeros(1 << 16, dtype=bool)
    pairs[[(k & 0xFF) << 8 | (k >> 8) & 0xFF for k in keys]] = True
    sources = ["|".join(f"(?:{p})" for p in patterns[f]).encode("utf-8") for f in families]
    rx = tuple(tablecache.compile_many(sources, f"{cache_name}_rx") if cache_name else map(re.compile, sources))
    if cache_name is None:
        head = _head_arrays(rx)
    else:
        parts = [tablecache.source_fingerprint(), str(HEAD_LEN).encode(), *(r.pattern for r in rx)]
        head = tablecache.cached_arrays(cache_name, parts, lambda: _head_arrays(rx))
    return LeadTables(
        families=families, rx=rx,
        shape_mask=shape, end_mask=end, prefix_sorted=srt,
        prefix_bits=np.array([keys[int(k)] for k in srt], dtype=np.uint8), prefix_pairs=pairs,
        chars=tuple((ord(c), 1 << families.index(f)) for f, cs in chars.items() for c in cs),
        heads=_heads_from_arrays(head), head_blob=head["blob"].tobytes(),
        head_offsets=np.ascontiguousarray(head["offsets"], dtype=np.int64),
        head_families=np.ascontiguousarray(head["families"], dtype=np.int64),
    )


TABLES = build_tables(SPAM_PATTERNS, SPAM_LEADS, SPAM_LEAD_PREFIXES, SPAM_LEAD_CHARS, cache_name="spamctx-heads")
# Bytes ``\w`` matches in a bytes pattern ([A-Za-z0-9_]; UTF-8 bytes of other letters are not).
_ASCII_WORD = np.zeros(256, dtype=bool)
_ASCII_WORD[[ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"]] = True
_ASCII_WORD_I8 = _ASCII_WORD.view(np.int8)
# Runs of one character repeated REPEAT_RUN times or more ("!!!!", "sooooo"; not digits or spaces).
REPEAT_RUN = 4
_NOT_REPEATED = np.zeros(256, dtype=bool)
_NOT_REPEATED[[ord(c) for c in " \t\n\r\f\v0123456789"]] = True
# The compiled byte scans (features/_spamctx_ext.pyx), or None: the numpy forms below, which
# stay the reference (tests/test_ext_spamctx.py). Each scan is one pass in C where the numpy
# form makes a dozen; the regexes still decide every match.
_SPAMCTX_EXT = ext.load("features._spamctx_ext")
_NOT_REPEATED_U8 = _NOT_REPEATED.view(np.uint8)  # (the kernel's skip table)
_ASCII_WORD_U8 = _ASCII_WORD.view(np.uint8)

SPAMCTX_NAMES: tuple[str, ...] = (
    *(f"spam_{name}" for name in SPAM_PATTERNS),
    "spam_promo_any",
    "spam_repeat_runs",
)


class WordSpans(NamedTuple):
    """The ASCII words of a byte array: starts, ends, capped lengths and first/second/last
    bytes. Built once per batch and shared by every ``LeadTables`` (text-6 and text-7)."""

    ws: np.ndarray
    we: np.ndarray
    length: np.ndarray
    first: np.ndarray
    second: np.ndarray
    last: np.ndarray


def word_spans(arr: np.ndarray) -> WordSpans:
    """``WordSpans`` of ``arr`` (uint8 view of lower-cased UTF-8 bytes). The word bytes padded
    with a non-word byte at each end, so that their edges alternate start, end, start, ...: one
    ``flatnonzero`` finds both (``np.take`` gathers: faster than indexing with a uint8 array)."""
    if _SPAMCTX_EXT is not None:
        return WordSpans(*_SPAMCTX_EXT.word_spans(np.ascontiguousarray(arr, dtype=np.uint8), _ASCII_WORD_U8, _MAX_LEN))
    pad = np.zeros(len(arr) + 2, dtype=np.int8)
    np.take(_ASCII_WORD_I8, arr, out=pad[1:-1])
    edge = np.flatnonzero(pad[1:] != pad[:-1])
    ws, we = edge[0::2], edge[1::2]
    # The byte after each word start; 0 past the end (only the last word can reach it).
    second = np.take(arr, ws + 1, mode="clip")
    if len(ws) and ws[-1] + 1 == len(arr):
        second[-1] = 0
    return WordSpans(ws, we, np.minimum(we - ws, _MAX_LEN), arr.take(ws), second, arr.take(we - 1))


def block_bytes(texts: Sequence[str], low_utf8: bytes | None = None) -> bytes:
    """The blocks lower-cased, newline-joined, UTF-8: ``low_utf8`` (the feature pass's) when it
    is exactly that (n - 1 newlines; a block holding a newline of its own shifts the blocks)."""
    if low_utf8 is not None and low_utf8.count(b"\n") == len(texts) - 1:
        return low_utf8
    return "\n".join(t.replace("\n", " ") for t in texts).lower().encode("utf-8", "surrogatepass")


# The blocks as ``block_bytes``, the byte offset where each starts, and their word spans (or None).
BlockLayout = tuple[bytes, np.ndarray, "WordSpans | None"]


def block_layout(texts: Sequence[str], low_utf8: bytes | None = None,
                 spans: WordSpans | None = None, low_starts: np.ndarray | None = None) -> BlockLayout:
    """``block_bytes`` and each block's start offset, built once for every spam column family;
    ``spans`` (``word_spans`` of ``low_utf8``) are kept only when those bytes are used as they are.
    ``low_starts``: where each newline-separated piece of ``low_utf8`` starts (0, then one past
    each newline), when the caller found them (``PageFeatures.low_starts``); one per block
    means ``low_utf8`` is the blocks' bytes as they are, and its offsets are those."""
    if low_utf8 is not None and low_starts is not None and len(low_starts) == len(texts):
        return low_utf8, low_starts, spans
    data = block_bytes(texts, low_utf8)
    if data is not low_utf8:
        spans = None  # ``spans`` describe ``low_utf8``
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return data, np.concatenate(([0], nl + 1)), spans


def _candidates(arr: np.ndarray, tables: LeadTables = TABLES,
                spans: WordSpans | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions where a family's match can start, in order, and which families (bit mask):
    ASCII word starts shaped like a lead word (``shape_mask``), and lead characters. The
    compiled scan finds the words itself (``spans``, when given, are ``word_spans(arr)``)."""
    if _SPAMCTX_EXT is not None:
        return _SPAMCTX_EXT.candidates(np.ascontiguousarray(arr, dtype=np.uint8), _ASCII_WORD_U8, tables, PREFIX_KEY)
    ws, we, length, first, second, last = spans if spans is not None else word_spans(arr)
    # The 3-d and 2-d table lookups as flat ``take``s (fancy indexing with three index arrays
    # cost 2.5x as much).
    width = _MAX_LEN + 1
    pair = first.astype(np.intp)
    pair <<= 8
    pair |= second
    at_shape = pair * width
    at_shape += length
    at_end = last.astype(np.intp)
    at_end *= width
    at_end += length
    mask = tables.shape_mask.reshape(-1).take(at_shape)
    mask &= tables.end_mask.reshape(-1).take(at_end)
    if len(tables.prefix_sorted):
        # Words of PREFIX_KEY bytes or more whose first two bytes begin some prefix: a word's
        # first PREFIX_KEY bytes all lie inside it, so no padding is needed.
        long = np.flatnonzero((length >= PREFIX_KEY) & tables.prefix_pairs.take(pair))
        if len(long):
            at = ws[long]
            key = first[long].astype(np.uint32)
            key |= second[long].astype(np.uint32) << np.uint32(8)
            for j in range(2, PREFIX_KEY):
                key |= arr.take(at + j).astype(np.uint32) << np.uint32(8 * j)
            srt = tables.prefix_sorted
            slot = np.minimum(np.searchsorted(srt, key), len(srt) - 1)
            found = srt[slot] == key
            mask[long[found]] |= tables.prefix_bits[slot[found]]
    hit = mask > 0
    pos, masks = [ws[hit]], [mask[hit]]
    for c, bit in tables.chars:
        at = np.flatnonzero(arr == c)
        pos.append(at)
        masks.append(np.full(len(at), bit, dtype=np.uint8))
    p, m = np.concatenate(pos), np.concatenate(masks)
    order = np.argsort(p, kind="stable")
    return p[order], m[order]


def family_counts(data: bytes, starts: np.ndarray, n: int, tables: LeadTables = TABLES,
                  spans: WordSpans | None = None) -> np.ndarray:
    """Matches of each family's pattern per block [n, families], counted as ``finditer`` over
    ``data`` would (non-overlapping, leftmost first) but tried only where a match can start:
    a full scan of every pattern cost twice the rest of the feature pass."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if _SPAMCTX_EXT is not None:
        return _SPAMCTX_EXT.family_counts(data, arr, _ASCII_WORD_U8, np.ascontiguousarray(starts, dtype=np.int64), n,
                                          tables, PREFIX_KEY)
    out = np.zeros((n, len(tables.families)), dtype=np.float32)
    if not len(arr):
        return out
    pos, masks = _candidates(arr, tables, spans)
    hit_pos: list[int] = []
    hit_fam: list[int] = []
    for f, rx in enumerate(tables.rx):
        at = pos[(masks & np.uint8(1 << f)) != 0].tolist()
        # Every candidate matched by ``map`` (the loop in C: few of ~125,000 match), then the
        # finditer rule - a match starts at or after the previous one's end - applied to the few
        # hits in order. A match at p depends on p alone, so the counts are those of matching
        # only the candidates past the previous match's end.
        last = 0
        for mt in filter(None, map(rx.match, repeat(data, len(at)), at)):
            p = mt.start()
            if p >= last:
                hit_pos.append(p)
                hit_fam.append(f)
                last = max(mt.end(), p + 1)
    if hit_pos:
        blk = np.searchsorted(starts, np.asarray(hit_pos, dtype=np.int64), side="right") - 1
        np.add.at(out, (blk, np.asarray(hit_fam)), 1.0)
    return out


def repeat_runs(data: bytes, starts: np.ndarray, n: int) -> np.ndarray:
    """Runs of one byte (not a digit or space) repeated at least ``REPEAT_RUN`` times, per block
    (each maximal run once, as ``([^\\s\\d])\\1{3,}`` finds them)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    k = REPEAT_RUN - 1
    if len(arr) <= k:
        return np.zeros(n, dtype=np.float32)
    if _SPAMCTX_EXT is not None:  # the same positions in one pass (16 bytes at a time)
        at = _SPAMCTX_EXT.repeat_starts(arr, _NOT_REPEATED_U8, REPEAT_RUN)
        blk = np.searchsorted(starts, at, side="right") - 1
        return np.bincount(blk, minlength=n).astype(np.float32)
    same = arr[1:] == arr[:-1]
    run = same[: len(same) - k + 1].copy()  # run[i]: bytes i .. i+k are all equal
    for j in range(1, k):
        run &= same[j: len(same) - k + 1 + j]
    at = np.flatnonzero(run)
    at = at[(at == 0) | ~run[np.maximum(at - 1, 0)]]  # the first position of each maximal run
    at = at[~_NOT_REPEATED[arr[at]]]
    blk = np.searchsorted(starts, at, side="right") - 1
    return np.bincount(blk, minlength=n).astype(np.float32)


def spamctx_columns(texts: Sequence[str], page_starts: np.ndarray | None = None,
                    out: np.ndarray | None = None, low_utf8: bytes | None = None,
                    spans: WordSpans | None = None, layout: BlockLayout | None = None) -> np.ndarray:
    """The ``SPAMCTX_NAMES`` columns [n, len(SPAMCTX_NAMES)] for the blocks ``texts`` (of one or
    many pages: the columns are block-local, ``page_starts`` is accepted for symmetry with the
    other column families); written into ``out`` when given. ``layout``: ``block_layout`` of the
    same blocks, when the caller built it (else built here from ``low_utf8`` and ``spans``)."""
    n = len(texts)
    if out is None:
        out = np.empty((n, len(SPAMCTX_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    # Newlines inside a block would shift the block boundaries: a block is one line.
    # ``low_utf8``: the feature pass's lower-cased, newline-joined blocks; the same bytes when no
    # block holds a newline of its own (then it has exactly n - 1), so they are not built twice.
    data, starts, spans = layout if layout is not None else block_layout(texts, low_utf8, spans)
    counts = family_counts(data, starts, n, TABLES, spans)
    k = len(FAMILIES)
    np.log1p(counts, out=out[:, :k])
    # All families pooled: a campaign the training spam never used (money offers, say) still
    # shares this column with the kinds it did use.
    out[:, k] = np.log1p(counts.sum(axis=1))
    out[:, k + 1] = np.log1p(repeat_runs(data, starts, n))
    return out
