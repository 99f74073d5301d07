"""Session 20's kernels for the context pass, the mt candidate patterns and the first/last characters
give their numpy / Python forms' output, bit for bit.

* ``_context_ext.context_rows`` (``context_features`` with the kernel): the carried columns
  gathered from the float32 matrix and their prefix sums taken in the kernel, against the numpy
  form, on random matrices (every scale, -0.0, infinities), batches with empty pages (as
  training passes ``offsets[:-1]``), one row, a strided output view, and the bench pages;
* ``_mt_ext.NeedleSet``: ``needle in block`` for every needle and block, and the candidate
  patterns, against Python on random text over the needles' own characters and awkward ones
  (non-BMP, lone surrogates, combining marks, needles at a block's very end, characters at and
  above 255 after a needle's first character); ``mt_artefacts`` with and without the kernel;
* ``_dedup_ext.first_last`` (``_first_last``): against ``str.strip`` for every code point as a
  block alone and wrapped in each kind of white space, and on random and real blocks.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs

from features import extract, mt
from features.mt_patterns import PATTERNS

SEED = 20
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
AWKWARD = ["\U0001f600", "\U0001d518", "\ud800", "\udfff", "e\u0301", "\u00ff", "\u0100", "\u20ac", "\u00a3",
           "\u0130", "\u03a3", "\u4e2d", "\x00", "\n"]


# ---------------------------------------------------------------------------- context_features


def _context_both(F: np.ndarray, page_starts: np.ndarray | None, monkeypatch: pytest.MonkeyPatch,
                  out_width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    needs("features._context_ext")

    def run() -> np.ndarray:
        if out_width is None:
            return extract.context_features(F, page_starts)
        X = np.full((F.shape[0], out_width), 7.0, dtype=np.float32)
        extract.context_features(F, page_starts, out=X[:, out_width - len(extract.CONTEXT_NAMES):])
        return X

    return with_and_without(run, monkeypatch, [(extract, "_CONTEXT")])


def _random_F(rng: np.random.Generator, n: int) -> np.ndarray:
    """A feature matrix as a view of a wider one (as extract_batch passes it), of every scale."""
    wide = np.zeros((n, len(extract.LOCAL_NAMES) + 5), dtype=np.float32)
    F = wide[:, : len(extract.LOCAL_NAMES)]
    F[:] = (rng.lognormal(0, 4, size=F.shape) * rng.choice([-1, 1], size=F.shape)).astype(np.float32)
    F[rng.random(F.shape) < 0.2] = 0.0
    F[rng.random(F.shape) < 0.05] = -0.0
    F[:, extract._IDX["log_chars"]] = np.log1p(rng.integers(0, 5000, size=n)).astype(np.float32)
    F[:, extract._IDX["p_comment_header"]] = rng.integers(0, 2, size=n)
    return F


@pytest.mark.parametrize("sizes", [[1], [2], [5], [1, 1, 1], [3, 0, 12, 1, 40], [0, 0, 7], [300, 5, 0, 4], [0]],
                         ids=lambda s: "-".join(map(str, s)))
def test_context_rows_equal_numpy(sizes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(sum(sizes) + len(sizes))
    n = sum(sizes)
    F = _random_F(rng, n)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    for starts in (offsets[:-1], extract._starts_nonempty(offsets)):  # with and without empty pages
        got, want = _context_both(F, starts, monkeypatch)
        assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
        got, want = _context_both(F, starts, monkeypatch, out_width=len(extract.CONTEXT_NAMES) + 3)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    got, want = _context_both(F, None, monkeypatch)  # one page
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


# The numpy reference warns about the inf/NaN inputs on purpose; the test compares bits.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_context_rows_odd_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Infinities and NaN in a carried column: the same IEEE operations, the same bits."""
    rng = np.random.default_rng(3)
    F = _random_F(rng, 40)
    col = extract._CTX_IDX[1]
    F[3, col], F[9, col], F[20, col] = np.inf, -np.inf, np.nan
    got, want = _context_both(F, np.array([0, 10, 25], dtype=np.int64), monkeypatch)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_context_kernels_leave_odd_bounds_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows outside their page: the kernels write nothing and say so; the numpy form decides."""
    ctx = needs("features._context_ext")
    A = np.arange(12, dtype=np.float64).reshape(4, 3)
    row = np.arange(4, dtype=np.int64)
    p0 = np.array([0, 2, 0, 0], dtype=np.int64)  # row 1 before its page's first row
    p1 = np.full(4, 4, dtype=np.int64)
    out = np.full((4, len(extract.CONTEXT_BLOCKS) * 3), 5.0, dtype=np.float32)
    assert not ctx.context_cells(A, extract._segment_cumsum(A), row, p0, p1, extract._NEIGHBOURS,
                                 extract._WINDOWS, out)
    assert (out == 5.0).all()
    F = np.zeros((4, len(extract.LOCAL_NAMES)), dtype=np.float32)
    assert not ctx.context_rows(F, extract._CTX_COLS, p0, p1, extract._NEIGHBOURS, extract._WINDOWS, out)
    got, want = with_and_without(extract.context_of, monkeypatch, [(extract, "_CONTEXT")], A, row, p0, p1)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_extract_batch_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs("features._context_ext")
    needs("features._dedup_ext")
    pages = [p.text.split("\n") for p in bench_pages(150)]
    got, want = with_and_without(lambda: extract.extract_batch(pages)[0].X, monkeypatch,
                                 [(extract, "_CONTEXT"), (extract, "_DEDUP_EXT")])
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


# ---------------------------------------------------------------------------- mt candidates


def _needle_texts(rng: random.Random, needles: list[str], count: int) -> list[str]:
    """Blocks made of needles, their pieces, their characters and awkward ones."""
    pool = sorted({ch for s in needles for ch in s}) + AWKWARD + list("xyz09")
    texts = ["", " ", "U", "UU", " .", ". ", "€", "€ ", "\U0001f600"]
    for _ in range(count):
        out = []
        for _ in range(rng.choice((1, 3, 10, 60, 400))):
            r = rng.random()
            if r < 0.2:
                s = rng.choice(needles)
                out.append(s[: rng.randrange(1, len(s) + 1)] if rng.random() < 0.3 else s)
            else:
                out.append(rng.choice(pool))
        texts.append("".join(out))
    return texts


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def test_needle_set_present_and_candidates() -> None:
    ext_mt = needs("features._mt_ext")
    rng = random.Random(SEED)
    plan, needle_set = mt._pattern_plan()
    needles = sorted({s for _, _, groups in plan for g in groups for s in g})
    # The mt plan's own needles, and made-up ones: a non-BMP first or second character, a
    # second character above 255, one-character needles above 255, an empty group.
    extra = ["\U0001f600x", "a\U0001f600", "\u00ff\u0100", "\u0100", "\ud800", "e\u0301", "zz", "\n"]
    for words, groups in ((needles, None), (needles + extra, [[[0, 1], [len(needles)]], [], [[]], [[2, 3, 4]]])):
        ns = ext_mt.NeedleSet(words, groups or ())
        texts = _needle_texts(rng, words, 150)
        joined = "\n".join(texts)
        cp = _codes(joined)
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
        found = ns.present(cp, starts, starts + lengths)
        want = np.array([[s in t for s in words] for t in texts], dtype=np.uint8)
        np.testing.assert_array_equal(found, want)
        if groups is not None:
            got = ns.candidates(cp, starts, starts + lengths)
            expect = [[p for p, gs in enumerate(groups) if all(any(want[b, k] for k in g) for g in gs)]
                      for b in range(len(texts))]
            assert got == expect
    # The mt plan: each block's candidates are the patterns with one string of every group.
    texts = _needle_texts(rng, needles, 100)
    for text in texts:
        cp = _codes(text)
        got = needle_set.candidates(cp, np.zeros(1, dtype=np.int64), np.full(1, len(cp), dtype=np.int64))[0]
        expect = [i for i, (_, _, groups) in enumerate(plan) if all(any(s in text for s in g) for g in groups)]
        assert got == expect
    with pytest.raises(ValueError):
        needle_set.present(_codes("ab"), np.array([1], dtype=np.int64), np.array([3], dtype=np.int64))


def test_mt_artefacts_with_and_without_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    needs("features._mt_ext")
    rng = random.Random(SEED + 1)
    plan, _ = mt._pattern_plan()
    needles = sorted({s for _, _, groups in plan for g in groups for s in g})
    texts = _needle_texts(rng, needles + ["I know. UU", "word , word", "( the", "al -Luaibi", "$ 15", "&nbsp;"], 400)
    texts = [t.replace("\n", " ") for t in texts]
    for batch in (texts, texts[:1], [], [t for t in texts if len(t) > 100]):
        (s1, e1), (s2, e2) = with_and_without(mt.mt_artefacts, monkeypatch, [(mt, "_MT_EXT")], batch)
        assert s1.view(np.uint64).tolist() == s2.view(np.uint64).tolist() and e1 == e2
    for text in texts[:150]:  # one block at a time (block_evidence)
        got, want = with_and_without(mt.block_evidence, monkeypatch, [(mt, "_MT_EXT")], text)
        assert got == want
    assert len(PATTERNS) == len(plan)


# ---------------------------------------------------------------------------- _first_last


def _first_last_both(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    doc = "\n".join(texts)
    cp = _codes(doc)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    got, want = with_and_without(extract._first_last, monkeypatch, [(extract, "_DEDUP_EXT")],
                                 texts, cp, starts, lengths)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    stripped = [t.strip() for t in texts]
    assert got[0].tolist() == [ord(s[0]) if s else 32 for s in stripped]
    assert got[1].tolist() == [ord(s[-1]) if s else 32 for s in stripped]


def test_first_last_every_code_point(monkeypatch: pytest.MonkeyPatch) -> None:
    needs("features._dedup_ext")
    every = [chr(c) for c in range(0x110000) if c != 10]
    _first_last_both(every, monkeypatch)  # each code point alone
    rng = random.Random(SEED)
    wrapped = [rng.choice(SPACES) + ch + rng.choice(SPACES) for ch in every[::7]]
    _first_last_both(wrapped, monkeypatch)


def test_first_last_edges_and_real(monkeypatch: pytest.MonkeyPatch) -> None:
    needs("features._dedup_ext")
    rng = random.Random(SEED)
    texts = ["", " ", "\u3000", "".join(SPACES).replace("\n", ""), "a", " a", "a ", " a b ", "\u2028x\u2029",
             "\x1c\x1d\x1e\x1fq\x85", "\U0001f600 ", " \ud800", "e\u0301 ", "x" * 10000 + " "]
    pool = SPACES + AWKWARD + list("ab.")
    texts += ["".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 5, 40)))).replace("\n", " ")
              for _ in range(2000)]
    _first_last_both(texts, monkeypatch)
    _first_last_both(texts[:1], monkeypatch)
    _first_last_both([""], monkeypatch)
    pages = bench_pages(200)
    _first_last_both([b for p in pages for b in p.text.split("\n")], monkeypatch)
