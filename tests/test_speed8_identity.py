"""Session 8's speed rewrites give bit-identical results to the code they replaced.

``reference_family_counts`` is ``features.spamctx.family_counts`` as it was before the rewrite
(one Python loop over the candidates in text order, trying each family of a candidate's bit mask
only when it lies past that family's previous match). The new code matches every candidate and
applies the non-overlap rule to the hits afterwards; both must count the same matches, in
particular where one match covers the start of the next candidate of its family.
``reference_word_spans`` and ``reference_candidates`` are ``word_spans`` and ``_candidates``
before their rewrite (``diff`` and two ``flatnonzero`` for the edges, 3-d fancy indexing of the
shape table, every long word's prefix key searched); the new ones must return the same arrays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features import spamctx
from features.spamctx import (
    _ASCII_WORD,
    _MAX_LEN,
    PREFIX_KEY,
    TABLES,
    LeadTables,
    WordSpans,
    _candidates,
    block_layout,
    family_counts,
    word_spans,
)
from features.spamshape import SHAPE_TABLES

# --- the references: the code before the rewrite ---------------------------------------------


def reference_word_spans(arr: np.ndarray) -> WordSpans:
    word = _ASCII_WORD[arr].view(np.int8)
    edge = np.diff(word, prepend=np.int8(0), append=np.int8(0))
    ws = np.flatnonzero(edge == 1)
    we = np.flatnonzero(edge == -1)
    return WordSpans(ws, we, np.minimum(we - ws, _MAX_LEN), arr[ws], np.append(arr, np.uint8(0))[ws + 1],
                     arr[we - 1])


def reference_candidates(arr: np.ndarray, tables: LeadTables = TABLES,
                         spans: WordSpans | None = None) -> tuple[np.ndarray, np.ndarray]:
    ws, we, length, first, second, last = spans if spans is not None else reference_word_spans(arr)
    mask = tables.shape_mask[first, second, length] & tables.end_mask[last, length]
    long = np.flatnonzero(length >= PREFIX_KEY)
    if len(long) and len(tables.prefix_sorted):
        padded = np.append(arr, np.zeros(PREFIX_KEY, dtype=np.uint8))
        at = ws[long]
        key = padded[at].astype(np.uint32)
        for j in range(1, PREFIX_KEY):
            key |= padded[at + j].astype(np.uint32) << np.uint32(8 * j)
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


def reference_family_counts(data: bytes, starts: np.ndarray, n: int, tables: LeadTables = TABLES,
                            spans: spamctx.WordSpans | None = None) -> np.ndarray:
    arr = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros((n, len(tables.families)), dtype=np.float32)
    if not len(arr):
        return out
    pos, masks = reference_candidates(arr, tables, spans)
    last = [0] * len(tables.families)
    hit_pos: list[int] = []
    hit_fam: list[int] = []
    rxs = tables.rx
    for p, m in zip(pos.tolist(), masks.tolist()):
        f = 0
        while m:
            if m & 1 and p >= last[f]:
                mt = rxs[f].match(data, p)
                if mt is not None:
                    hit_pos.append(p)
                    hit_fam.append(f)
                    last[f] = max(mt.end(), p + 1)
            m >>= 1
            f += 1
    if hit_pos:
        blk = np.searchsorted(starts, np.asarray(hit_pos, dtype=np.int64), side="right") - 1
        np.add.at(out, (blk, np.asarray(hit_fam)), 1.0)
    return out


# --- inputs dense in lead words, pattern words and overlapping matches ------------------------

# Words of the spam and shape patterns (leads and what follows them), a few plain words, and the
# lead characters; so that random sequences often match, and often overlap.
_WORD_TEXT = (
    "my our i we im i'm come go pls please plz look listen join where search subscribe sub subs "
    "subscribers followers follow to me us back add friend like 4 if get reach hit 100 thumbs up "
    "give it a chance help share vote copy and paste paid make money earn $ 5 per hour day free "
    "gift cards giveaway paypal sign register here click the link gofundme change.org bit.ly "
    "check out new channel videos song made uploaded rapper singer hey guys everyone who reads "
    "views watching this means a lot thanks for you should sub4sub like4like giftcard news report "
    "minister said ?ref= &aff= /join/ /r/ # / ? & x"
)
_WORDS = tuple(_WORD_TEXT.split())

texts_st = st.lists(
    st.lists(st.sampled_from(_WORDS), min_size=0, max_size=30).map(" ".join),
    min_size=1, max_size=12,
)


def _both(texts: list[str], tables: LeadTables) -> tuple[np.ndarray, np.ndarray]:
    data, starts, _ = block_layout(texts)
    arr = np.frombuffer(data, dtype=np.uint8)
    n = len(texts)
    return (family_counts(data, starts, n, tables, word_spans(arr)),
            reference_family_counts(data, starts, n, tables, reference_word_spans(arr)))


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), (x, y)


# Bytes of every kind: ASCII word bytes (so words of every length, at both ends), separators,
# the lead characters, UTF-8 continuation bytes and NUL.
bytes_st = st.lists(st.sampled_from(b"abfgilostuvw4_Z09 \n.$?&#/\x00\xc3\xa9"), max_size=80).map(bytes)


@settings(max_examples=500, deadline=None)
@given(data=bytes_st)
def test_word_spans_and_candidates_equal_the_reference(data: bytes) -> None:
    arr = np.frombuffer(data, dtype=np.uint8)
    _same(word_spans(arr), reference_word_spans(arr))
    for tables in (TABLES, SHAPE_TABLES):
        _same(_candidates(arr, tables), reference_candidates(arr, tables))


@pytest.mark.parametrize("text", [b"sub4sub", b"a", b"x sub4", b"giftcard giftc gif4 like4like view4", b"", b" s"])
def test_word_spans_and_candidates_edges(text: bytes) -> None:
    """A word at the very end (its second byte past the data), prefixes at the end, short words."""
    arr = np.frombuffer(text, dtype=np.uint8)
    _same(word_spans(arr), reference_word_spans(arr))
    _same(_candidates(arr), reference_candidates(arr))


@pytest.mark.parametrize("tables", [TABLES, SHAPE_TABLES], ids=["text6", "text7"])
@settings(max_examples=300, deadline=None)
@given(texts=texts_st)
def test_family_counts_equal_the_reference(tables: LeadTables, texts: list[str]) -> None:
    new, ref = _both(texts, tables)
    assert new.dtype == ref.dtype and new.shape == ref.shape
    assert np.array_equal(new, ref), (texts, new, ref)


def test_overlapping_candidates_are_skipped_as_before() -> None:
    """"please subscribe to me": "please subscribe" matches promo_growth and covers the start of
    "subscribe to me", another promo_growth match; finditer (and the reference) counts one."""
    texts = ["please subscribe to me", "subscribe to me please subscribe to me"]
    new, ref = _both(texts, TABLES)
    g = TABLES.families.index("promo_growth")
    assert ref[0, g] == 1 and ref[1, g] == 2
    assert np.array_equal(new, ref)


def test_empty_and_candidate_free() -> None:
    for texts in ([""], ["the minister said nothing", ""], ["\u00e9t\u00e9 caf\u00e9"]):
        new, ref = _both(texts, TABLES)
        assert np.array_equal(new, ref) and not new.any()
