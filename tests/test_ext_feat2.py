"""Session 22's changes to the feature pass's kernels give the reference forms' output.

- ``features/_lower_ext.pyx``: 16 ASCII code points lower-cased a step (SSE2), the rest one at
  a time: compared with ``lower_reference`` (``str.lower``) with every ASCII code point and
  newline at every position of a step, a non-ASCII code point at each position, every text
  length around the step width, and random and bench text; a table that lower-cases ASCII
  differently from ``str.lower`` must turn the steps off (the kernel follows its table).
- ``features/_context_ext.pyx``: ``context_rows`` asks the cache for the carried columns of the
  rows ahead (a hint only): compared with ``context_of`` on feature matrices of every layout
  (the left part of a wide matrix, Fortran order, reversed columns and rows, a single row, fewer
  rows than the prefetch distance), and on bench batches.
- ``features/_dedup_ext.pyx``: a long key is hashed from its first and last 64 bytes and its
  length (the hash only picks a slot), and ``normalised_first_rows_cp`` reads the blocks at
  given spans (``duplicate_flags(low_spans=)``, which ``local_features`` passes when the blocks'
  lower-cased code points hold a newline between blocks and no other): compared with
  ``_duplicate_flags_numpy`` on blocks that share both ends and differ in the middle, with every
  hash collision forced, with white space of every kind, and on bench batches.
- ``local_features``: the literal patterns' counts summed per target column by adding whole
  rows (``np.add.reduceat`` before): the same integers on random tables, and the feature
  matrix the same with the literal kernel on and off (its Python form counts pattern by pattern).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_dedup import _hash_bits

from features import extract, lowercase
from features.lowercase import lower_codepoints, lower_reference

LOWER = "features._lower_ext"
LANES = 16  # code points per step of the kernel


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _check_lower(text: str, pieces: int | None = None) -> None:
    """The kernel's code points, UTF-8 bytes and piece starts are ``str.lower``'s."""
    pieces = text.count("\n") + 1 if pieces is None else pieces
    got = lower_codepoints(_codepoints(text), pieces)
    want_cp, want_b = lower_reference(text)
    assert got is not None, text
    assert got[0].dtype == np.uint32
    np.testing.assert_array_equal(got[0], want_cp)
    assert got[1] == want_b, text
    if pieces == text.count("\n") + 1:
        starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(want_b, dtype=np.uint8) == 10) + 1))
        assert got[2] is not None
        np.testing.assert_array_equal(got[2], starts)
    else:
        assert got[2] is None


def test_every_ascii_code_point_at_every_lane() -> None:
    needs(LOWER)
    ascii_chars = "".join(map(chr, range(128)))
    for shift in range(LANES + 1):
        _check_lower("x" * shift + ascii_chars + ascii_chars[::-1])


def test_text_lengths_around_the_step() -> None:
    """Every length from 0 to four steps and a bit, with newlines and without."""
    needs(LOWER)
    base = "The QUICK Brown fox\nJumps OVER the lazy Dog\n" * 4
    for n in range(4 * LANES + 3):
        _check_lower(base[:n])
        _check_lower(base[:n].replace("\n", " "))


def test_newlines_at_every_lane_and_piece_counts() -> None:
    """A newline at each position (the piece starts), several in one step, and piece counts
    that do not match (starts None), including more newlines than pieces."""
    needs(LOWER)
    for pos in range(2 * LANES):
        text = "".join("\n" if j == pos else "AbC"[j % 3] for j in range(3 * LANES))
        _check_lower(text)
        _check_lower(text, 1)
        _check_lower(text, 3)
    _check_lower("\n" * (3 * LANES))
    _check_lower("\n" * (3 * LANES), 2)
    _check_lower("A\nB\n" * (2 * LANES))
    _check_lower("A\nB\n" * (2 * LANES), 5)


@pytest.mark.parametrize("odd", ["\u00c9", "\u0100", "\u4e2d", "\U00010400", "\ud800", "\u0080", "\u212a"])
def test_a_non_ascii_code_point_at_each_lane(odd: str) -> None:
    """A step holding one code point of 128 or more is done one at a time, at any position;
    the steps before and after it are not disturbed."""
    needs(LOWER)
    for pos in range(3 * LANES):
        chars = ["ABCdef\nGHij KL"[j % 14] for j in range(4 * LANES)]
        chars[pos] = odd
        _check_lower("".join(chars))
    _check_lower((odd + "Ab") * (3 * LANES))


def test_random_text() -> None:
    needs(LOWER)
    rng = np.random.default_rng(22)
    alphabet = [chr(c) for c in range(128)] * 8 + ["\u00c9", "\u00e9", "\u0391", "\u03c3", "\U00010400",
                                                   "\ud800", "\u0301", "\u212a", "\u1e9e", "\u3000"]
    for _ in range(300):
        size = int(rng.integers(0, 200))
        _check_lower("".join(rng.choice(alphabet, size=size)))


def test_a_table_that_lower_cases_ascii_otherwise() -> None:
    """The steps hold only while the table's ASCII entries are ``str.lower``'s: with a table
    that maps "a" to "b" the kernel follows the table (one code point at a time)."""
    mod = needs(LOWER)
    block_of = np.full(lowercase.N_BLOCKS, -1, dtype=np.int32)
    block_of[0] = 0
    table = lowercase.block_lowercase(0).copy()
    table[ord("a")] = ord("b")
    text = "Banana SPLIT, " * 10
    got = mod.lower_utf8(_codepoints(text), block_of, table, np.zeros(lowercase.N_BLOCKS, dtype=np.uint8), 1)
    want = text.lower().replace("a", "b")
    assert got[1] == want.encode()
    np.testing.assert_array_equal(got[0], _codepoints(want))


def test_bench_text() -> None:
    needs(LOWER)
    for page in bench_pages(300):
        if "\u03a3" not in page.text and "\u0130" not in page.text:  # (left to str.lower)
            _check_lower(page.text)


CONTEXT = "features._context_ext"


def _context_pair(F: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``context_rows``' cells and ``context_of``'s (numpy) for the pages of ``sizes``."""
    mod = needs(CONTEXT)
    n = F.shape[0]
    row, p0, p1 = extract.page_bounds(n, np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64))
    width = len(extract.CONTEXT_BLOCKS) * len(extract.CONTEXT_KEYS)
    got = np.full((n, width), 7.0, dtype=np.float32)
    assert mod.context_rows(F, extract._CTX_COLS, p0, p1, extract._NEIGHBOURS, extract._WINDOWS, got)
    want = np.full((n, width), 7.0, dtype=np.float32)
    A = F[:, extract._CTX_IDX].astype(np.float64)
    saved, extract._CONTEXT = extract._CONTEXT, None
    try:
        extract.context_of(A, row, p0, p1, want)
    finally:
        extract._CONTEXT = saved
    return got, want


@pytest.mark.parametrize("sizes", [[1], [2], [4], [5], [6], [3, 1, 4, 1, 5], [40], [7, 30, 2, 1, 60]])
def test_context_rows_every_layout(sizes: list[int]) -> None:
    rng = np.random.default_rng(len(sizes) * 100 + sum(sizes))
    n, k = sum(sizes), len(extract.LOCAL_NAMES)
    base = rng.normal(size=(n, k)).astype(np.float32)
    base[rng.random(size=base.shape) < 0.05] = 0.0
    wide = np.full((n, k + 400), np.nan, dtype=np.float32)
    wide[:, :k] = base
    reversed_cols = np.ascontiguousarray(base[:, ::-1])[:, ::-1]  # a negative column stride
    for F in (base, wide[:, :k], np.asfortranarray(base), reversed_cols, base[::-1].copy()[::-1]):
        np.testing.assert_array_equal(F, base)
        got, want = _context_pair(F, sizes)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_context_rows_bench_batch() -> None:
    needs(CONTEXT)
    pages = [p.text.split("\n") for p in bench_pages(120)]
    F, _ = extract.local_features([t for p in pages for t in p])
    got, want = _context_pair(F, [len(p) for p in pages if p])
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


DEDUP = "features._dedup_ext"


def _dup_both(texts: list[str], page: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """duplicate_flags by the kernel from the lower-cased code points with spans, without
    spans, and the numpy form."""
    n = len(texts)
    doc = "\n".join(texts)
    cp = _codepoints(doc)
    lowered = lower_codepoints(cp, max(n, 1))
    assert lowered is not None and lowered[2] is not None
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    odd = np.array([any(c.isspace() and c != " " for c in t) or "  " in t for t in texts], dtype=bool)
    spans = extract.duplicate_flags(texts, page, odd, None, lowered[0], (starts, starts + lengths))
    plain = extract.duplicate_flags(texts, page, odd, None, lowered[0])
    want = extract._duplicate_flags_numpy(texts, page, odd, doc.lower())
    for got in (spans, plain):
        assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    return spans, plain, want


DUP_BATCHES = [
    [""], ["", ""], ["a", "A", " a ", "a\t", "b"],
    ["Same  text", "same text", " SAME\u00a0text ", "same\u2003\u2003text", "same tex t", "same text "],
    ["x" * 16 + "A" * 200 + "y" * 16, "x" * 16 + "B" * 200 + "y" * 16, "X" * 16 + "a" * 200 + "Y" * 16,
     "x" * 16 + "a" * 199 + "y" * 16, "x" * 16 + "a" * 200 + "y" * 16 + " "],
    ["head " * 20 + str(i) + " tail" * 20 for i in range(10)] + ["head " * 20 + "3" + " tail" * 20],
    ["\u00e9cole  " * 30 + "\U00010400", "\u00c9COLE " * 30 + "\U00010428", "\u00e9cole " * 30 + "\U00010400 "],
    ["  " + "w" * 64, "w" * 64, "w" * 63 + "  v", "w" * 63 + " v"],
]


@pytest.mark.parametrize("texts", DUP_BATCHES, ids=range(len(DUP_BATCHES)))
def test_duplicate_flags_spans_and_long_keys(texts: list[str]) -> None:
    mod = needs(DEDUP)
    needs(LOWER)
    for page in (None, np.arange(len(texts), dtype=np.int64) // 3):
        for mask in (2 ** 64 - 1, 0, 7):
            with _hash_bits(mod, mask):
                spans, plain, want = _dup_both(texts, page)
            np.testing.assert_array_equal(spans, want)
            np.testing.assert_array_equal(plain, want)


def test_random_long_blocks_sharing_both_ends() -> None:
    """Many blocks of one length that share their first and last 64 bytes (16 code points):
    only equal middles are duplicates, whatever the hash."""
    mod = needs(DEDUP)
    needs(LOWER)
    rng = np.random.default_rng(7)
    for trial in range(20):
        size = int(rng.integers(40, 120))
        texts = [("H" * 20) + "".join(rng.choice(list("ab \u00a0"), size=size)) + ("T" * 20) for _ in range(60)]
        texts += [texts[int(i)] for i in rng.integers(0, len(texts), size=10)]
        page = rng.integers(0, 3, size=len(texts)).astype(np.int64) if trial % 2 else None
        with _hash_bits(mod, 2 ** 64 - 1 if trial % 3 else 0):
            spans, plain, want = _dup_both(texts, page)
        np.testing.assert_array_equal(spans, want)
        np.testing.assert_array_equal(plain, want)


def test_spans_out_of_bounds_are_refused() -> None:
    mod = needs(DEDUP)
    cp = _codepoints("ab\ncd")
    one, page = np.ones(2, dtype=np.uint8), np.zeros(2, dtype=np.int64)
    ok = mod.normalised_first_rows_cp(cp, 2, one, page, np.array([0, 3]), np.array([2, 5]))
    assert ok is not None and ok.tolist() == [0, 1]
    for starts, ends in (([0, 3], [2, 6]), ([-1, 3], [2, 5]), ([0, 3], [2, 2]), ([0], [2])):
        assert mod.normalised_first_rows_cp(cp, 2, one, page, np.array(starts), np.array(ends)) is None
    assert mod.normalised_first_rows_cp(cp, 2, one, page, np.array([0, 3]), None) is None
    # spans the wrapper does not take (wrong dtype or length): the newline search, same rows
    low = lower_codepoints(cp, 2)[0]
    for spans in ((np.array([0, 3], dtype=np.int32), np.array([2, 5], dtype=np.int32)), (np.array([0]),), None):
        assert extract.duplicate_flags(["ab", "cd"], None, None, None, low, spans).tolist() == [0.0, 0.0]


def test_duplicate_flags_bench_batches() -> None:
    needs(DEDUP)
    needs(LOWER)
    pages = [p.text.split("\n") for p in bench_pages(200)]
    for k in range(0, len(pages), 50):
        batch = pages[k: k + 50]
        texts = [t for p in batch for t in p]
        if any("\u03a3" in t or "\u0130" in t for t in texts):
            continue
        page = np.repeat(np.arange(len(batch)), [len(p) for p in batch]).astype(np.int64)
        spans, plain, want = _dup_both(texts, page)
        np.testing.assert_array_equal(spans, want)
        np.testing.assert_array_equal(plain, want)


def test_literal_runs_are_reduceat() -> None:
    rng = np.random.default_rng(11)
    rows = len(extract._LITERAL_LIST)
    assert sorted([*extract._LIT_GROUP_FIRST.tolist(), *(r for r, _ in extract._LIT_RUN_REST)]) == list(range(rows))
    for n in (1, 2, 7, 300):
        counts = rng.integers(0, 1 << 40, size=(rows, n)).astype(np.int64)
        runs = counts[extract._LIT_GROUP_FIRST]
        for row, run in extract._LIT_RUN_REST:
            runs[run] += counts[row]
        np.testing.assert_array_equal(runs, np.add.reduceat(counts, extract._LIT_GROUP_FIRST, axis=0))


# Every literal pattern matches somewhere (a dropped or doubled pattern shows in the columns).
LITERAL_TEXTS = ["see http://a.b/c and www.x.org | more >", "$5 or $ 5, \u00a9 2024 ... (c) 2024 (C)1999", "",
                 "12:30 pm :) ;-( =D <3 ^_^ lol!!! ??", "\u201cquoted\u201d \u2026 | > / $$$ http://x" * 7, "a",
                 "pic.twitter.com/x youtu.be/y youtube.com/watch?v=1 instagram.com/p/z @some_one",
                 "comment (#12345) by (1234567) rated A+ A- and a+a- .net .co.uk", "WWW.SHOUT.COM :P"]


def test_literal_columns_with_and_without_kernel() -> None:
    needs("features._literal_ext")
    batches = [LITERAL_TEXTS, [t for p in bench_pages(60) for t in p.text.split("\n")]]
    low = "\n".join(LITERAL_TEXTS).lower().encode()
    assert all(rx.search(low) for _, rx in extract._LITERAL_LIST)
    for texts in batches:
        got, _ = extract.local_features(texts)
        saved, extract._LITERAL_EXT = extract._LITERAL_EXT, None
        try:
            want, _ = extract.local_features(texts)
        finally:
            extract._LITERAL_EXT = saved
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
