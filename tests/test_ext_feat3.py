"""The compiled word columns (features/_vocab_ext.pyx ``word_columns``) give the numpy form's bits.

``features.extract._word_columns`` writes the lexicon columns (``LexicalScorer.from_sums``: mean
word weights plus bias, label columns centred) and the word-class fractions (``patterns @
_PATTERN_CLASSES / words``) into the feature matrix; ``_word_columns_numpy`` is its reference.
Both are run on the same inputs - random ones (sparse and dense pattern counts, word counts from 0
up, weight sums with signed zeros, subnormals, huge and cancelling values), edge cases (no rows,
one row, no lexicon, a matrix that is a strided view) and the bench pages' own word counts when
``../shared/corpora`` is there - and the float32 bits compared. One test checks numpy itself: the
kernel relies on ``mean(axis=1)`` over four float32 columns adding them left to right.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from classifier import Classifier
from features import extract
from features.extract import LOCAL_NAMES, WordCounts, _word_columns, _word_columns_numpy
from features.lexical import LEXICAL_COLUMNS, LEXICAL_LABELS, LexicalScorer

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "data" / "model-text.json"
KERNEL = "features._vocab_ext"
N_PAT = len(extract._PATTERNS)
# Values that stress float32 rounding: signed zeros, subnormals, huge ones (inf in float32).
ODD_SUMS = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-300, 3.4e38, -3.4e38, 1e39, -1e39, 0.1, -0.1, 1 / 3, 2.0 ** 24 + 1])


def _lexical(rng: np.random.Generator, bias: np.ndarray | None = None) -> LexicalScorer:
    """A small lexicon with random weights (only its bias matters here)."""
    if bias is None:
        bias = rng.standard_normal(LEXICAL_COLUMNS).astype(np.float32)
    return LexicalScorer(["a", "b"], rng.standard_normal((3, LEXICAL_COLUMNS)), bias)


def _counts(rng: np.random.Generator, n: int, density: float, scale: int) -> WordCounts:
    """Random word counts: patterns [n, N_PAT] (``density`` of cells non-zero, up to ``scale``),
    words >= their pattern total or 0, lexicon sums with odd values mixed in."""
    patterns = np.where(rng.random((n, N_PAT)) < density, rng.integers(1, scale + 1, (n, N_PAT)), 0)
    words = patterns.sum(axis=1) + np.where(rng.random(n) < 0.2, rng.integers(0, 5, n), 0)
    sums = rng.standard_normal((n, LEXICAL_COLUMNS)) * 10.0 ** rng.integers(-6, 6, (n, LEXICAL_COLUMNS))
    odd = rng.random((n, LEXICAL_COLUMNS)) < 0.1
    sums[odd] = rng.choice(ODD_SUMS, odd.sum())
    return WordCounts(None, words.astype(np.int64), None, sums, patterns.astype(np.int64), None, None)


def _both(wc: WordCounts, lexical: LexicalScorer | None, strided: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``_word_columns`` and ``_word_columns_numpy`` into NaN-filled matrices (views of a wider
    one when ``strided``, as ``local_features`` gets them): the two results as uint32 bits."""
    n = len(wc.words)
    words = np.maximum(wc.words, 1).astype(np.float32)
    out = []
    for fn in (_word_columns, _word_columns_numpy):
        wide = np.full((n, len(LOCAL_NAMES) + (9 if strided else 0)), np.nan, dtype=np.float32)
        F = wide[:, 3: 3 + len(LOCAL_NAMES)] if strided else wide
        fn(F, wc, lexical, words)
        out.append(wide.view(np.uint32))
    return out[0], out[1]


def test_numpy_mean_of_four_float32_columns_adds_left_to_right() -> None:
    """What the kernel copies: numpy's ``x[:, :4].mean(axis=1)`` of a C-contiguous float32
    [n, 5] array is (((a0 + a1) + a2) + a3) / 4 in float32 (a pairwise or other order differs on
    these inputs: the second assert shows the test can tell orders apart)."""
    assert (LEXICAL_LABELS, LEXICAL_COLUMNS) == (4, 5)
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 7, 8, 9, 16, 100, 4097, 50_000):
        a = (rng.standard_normal((n, 5)) * 10.0 ** rng.integers(-8, 8, (n, 5))).astype(np.float32)
        got = a[:, :4].mean(axis=1, keepdims=True)[:, 0]
        left = ((a[:, 0] + a[:, 1]) + a[:, 2]) + a[:, 3]
        assert np.array_equal(got.view(np.uint32), (left / np.float32(4)).view(np.uint32)), n
    other = a[:, 0] + ((a[:, 1] + a[:, 2]) + a[:, 3])
    assert not np.array_equal(other, left)


# Huge counts overflow float32 in the numpy reference on purpose (the kernel must give the same
# inf/NaN bits); numpy warns about each one.
_OVERFLOW_EXPECTED = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                                                "ignore:invalid value encountered:RuntimeWarning")


@pytest.mark.parametrize("seed", range(6))
@_OVERFLOW_EXPECTED
def test_word_columns_random(seed: int) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(seed)
    for n, density, scale in ((500, 0.15, 3), (300, 0.8, 1000), (50, 1.0, 2 ** 20), (200, 0.02, 1)):
        wc = _counts(rng, n, density, scale)
        for lexical in (_lexical(rng), None):
            got, want = _both(wc, lexical)
            assert np.array_equal(got, want), (seed, n, lexical is None)


@_OVERFLOW_EXPECTED
def test_word_columns_edges() -> None:
    needs(KERNEL)
    rng = np.random.default_rng(11)
    lex = _lexical(rng)
    for n in (0, 1, 2):
        wc = _counts(rng, n, 0.5, 4)
        for lexical in (lex, None):
            for strided in (True, False):
                got, want = _both(wc, lexical, strided)
                assert np.array_equal(got, want), (n, lexical is None, strided)
    # Blocks without words (count 0: divided by 1), every pattern in one block, signed-zero bias.
    wc = _counts(rng, 40, 0.0, 1)
    wc.lexical_sums[:] = rng.choice(ODD_SUMS, wc.lexical_sums.shape)
    for bias in (np.zeros(LEXICAL_COLUMNS, np.float32), -np.zeros(LEXICAL_COLUMNS, np.float32),
                 np.array([-0.0, 0.0, 1e-40, -3e38, 3e38], np.float32)):
        got, want = _both(wc, _lexical(rng, bias))
        assert np.array_equal(got, want)
    wc.patterns[0] = 1
    wc.words[0] = N_PAT
    got, want = _both(wc, lex)
    assert np.array_equal(got, want)


def test_word_columns_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs the kernel does not take (other dtypes, a from_sums of a subclass) go to numpy."""
    needs(KERNEL)
    rng = np.random.default_rng(3)
    wc = _counts(rng, 30, 0.3, 5)
    lex = _lexical(rng)
    want = _both(wc, lex)[1]
    odd = wc._replace(patterns=wc.patterns.astype(np.int32))
    assert np.array_equal(_both(odd, lex)[0], want)

    class Halved(LexicalScorer):
        def from_sums(self, sums: np.ndarray, token_counts: np.ndarray) -> np.ndarray:
            return super().from_sums(sums, token_counts) / 2

    half = Halved(lex.words, lex.weights, lex.bias)
    got, want = _both(wc, half)
    assert np.array_equal(got, want)
    assert not np.array_equal(got, _both(wc, lex)[0])


def test_word_columns_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench pages' own word counts (as ``local_features`` makes them), kernel vs numpy."""
    needs(KERNEL)
    pages = bench_pages(400)
    if not MODEL.exists():
        pytest.skip(f"{MODEL} is not present")
    lexical = Classifier.load(MODEL).model.lexical
    seen: list[WordCounts] = []
    real = extract._word_counts

    def keep(*args: object) -> WordCounts:
        wc = real(*args)
        seen.append(wc)
        return wc

    monkeypatch.setattr(extract, "_word_counts", keep)
    for i in range(0, len(pages), 50):
        texts = [line for p in pages[i: i + 50] for line in p.text.split("\n")]
        extract.local_features(texts, None, lexical)
    monkeypatch.undo()
    assert seen
    for wc in seen:
        for lex in (lexical, None):
            got, want = _both(wc, lex)
            assert np.array_equal(got, want)


# ---------------------------------------------------------------------------------------------
# features.lowercase.code_points (features/_lower_ext.pyx ``code_points``): a str's code points.

CP_KERNEL = "features._lower_ext"


def _same_code_points(text: str) -> None:
    from features.lowercase import code_points, code_points_reference

    got, want = code_points(text), code_points_reference(text)
    assert got.dtype == want.dtype == np.uint32 and got.shape == want.shape
    assert np.array_equal(got, want), repr(text[:20])
    assert not got.flags.writeable  # (as ``frombuffer`` of bytes)


def test_code_points_every_code_point() -> None:
    """Every code point, surrogates included, in strings of each width (1, 2 and 4 bytes a unit)."""
    needs(CP_KERNEL)
    everything = "".join(map(chr, range(0x110000)))
    for text in (everything[:128], everything[:256], everything[:0x10000], everything, everything[::-1]):
        _same_code_points(text)
    for c in (0, 0x7F, 0xFF, 0x100, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFF, 0x10000, 0x10FFFF):
        for text in (chr(c), "a" + chr(c), chr(c) * 33 + "\n", "\u00e9" + chr(c), "\U0001F600" + chr(c)):
            _same_code_points(text)


def test_code_points_edges() -> None:
    from features.lowercase import code_points

    needs(CP_KERNEL)
    rng = np.random.default_rng(5)
    for text in ("", "\n", "a", "\ud800", "\udfff\ud800", "e\u0301", "\u0130\u03a3", "\u2028\u00a0\t"):
        _same_code_points(text)
    for top in (0x80, 0x100, 0x10000, 0x110000):  # random strings of each width, many lengths
        for n in (1, 7, 8, 15, 16, 17, 1000, 100_001):
            _same_code_points("".join(map(chr, rng.integers(0, top, n).tolist())))
    _same_code_points("x" * 2_000_000 + "\u20ac")
    text = "ab\u00e9"
    assert "".join(map(chr, code_points(text).tolist())) == text


def test_code_points_bench_pages() -> None:
    needs(CP_KERNEL)
    pages = bench_pages(600)
    for i in range(0, len(pages), 60):
        _same_code_points("\n".join(p.text for p in pages[i: i + 60]))


# ---------------------------------------------------------------------------------------------
# features/_context_ext.pyx: a row's page-mean cells copied from the row before when both rows
# have the same page bounds (the same inputs and operations: the same floats).


def _context_pair(A: np.ndarray, p0: np.ndarray, p1: np.ndarray, monkeypatch: pytest.MonkeyPatch):
    row = np.arange(len(A), dtype=np.int64)
    got = extract.context_of(A, row, p0, p1)
    monkeypatch.setattr(extract, "_CONTEXT", None)
    want = extract.context_of(A, row, p0, p1)
    monkeypatch.undo()
    return got.view(np.uint32), want.view(np.uint32)


@pytest.mark.parametrize("seed", range(4))
def test_context_page_means_rows_of_mixed_pages(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows whose page bounds change from row to row, repeat after a gap, or run on (the copy is
    taken only from the row just before, and only for the same bounds)."""
    needs("features._context_ext")
    rng = np.random.default_rng(seed)
    n, k = 60, 5
    A = rng.standard_normal((n, k)) * 10.0 ** rng.integers(-5, 5, (n, k))
    A[rng.random((n, k)) < 0.05] = np.nan
    p0 = np.empty(n, dtype=np.int64)
    p1 = np.empty(n, dtype=np.int64)
    for i in range(n):  # bounds around each row: a few choices, so runs and repeats both occur
        p0[i] = max(0, i - int(rng.choice([0, 3, 7])))
        p1[i] = min(n, i + 1 + int(rng.choice([0, 2, 9])))
    got, want = _context_pair(A, p0, p1, monkeypatch)
    assert np.array_equal(got, want)
    pages = np.repeat([0, 13, 14, 40], [13, 1, 26, 20])  # plain pages, a one-row page among them
    ends = np.append(np.unique(pages)[1:], n)[np.searchsorted(np.unique(pages), pages)]
    got, want = _context_pair(A, pages.astype(np.int64), ends.astype(np.int64), monkeypatch)
    assert np.array_equal(got, want)
