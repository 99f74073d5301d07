"""The compiled change columns (features/_change_ext.pyx) give the numpy form's output, bit for bit.

``features.changepoint.change_columns`` is called with the kernel and with the numpy form (the
module handle set to None) on the same inputs, and the float32 columns are compared as bytes
(so -0.0 against 0.0 or one ulp would show): random rows over many page layouts, rows of few
distinct values (tied statistics, the first row of a tie wins), extreme values, the cases the
kernel leaves to numpy (non-finite inputs, a tie of +0.0 and -0.0 for a page's best split,
other dtypes, bad page starts), the layouts of ``out`` the callers use, and the feature rows of
the bench pages when ``../shared/corpora`` is there (or ``NEWSWINNOW_CORPORA`` names it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages

from classifier import Classifier
from features import changepoint, ext
from features.changepoint import CHANGE_NAMES, SHIFT_KEYS, SPLIT_SIGNALS, change_columns
from features.extract import FEATURE_NAMES, extract_batch
from features.text_schema import text_matrix

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "data" / "model-text.json"
KERNEL = "features._change_ext"
F = len(FEATURE_NAMES)
LOG_CHARS = FEATURE_NAMES.index("log_chars")
# Every column the change columns read (the others never matter).
USED = sorted({FEATURE_NAMES.index(k) for k in SHIFT_KEYS}
              | {FEATURE_NAMES.index(name) for terms in SPLIT_SIGNALS.values() for name, _ in terms} | {LOG_CHARS})


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _numpy(X: np.ndarray, starts, monkeypatch: pytest.MonkeyPatch, out: np.ndarray | None = None) -> np.ndarray:
    monkeypatch.setattr(changepoint, "_CHANGE_EXT", None)
    try:
        return change_columns(X, starts, out=out)
    finally:
        monkeypatch.undo()


def _assert_same(X: np.ndarray, starts, monkeypatch: pytest.MonkeyPatch, *, compiled: bool = True) -> np.ndarray:
    """Kernel and numpy form agree on ``X``; ``compiled``: the kernel took the batch itself
    (rather than leaving it to the numpy form, which would make the check empty)."""
    if compiled:
        probe = np.empty((X.shape[0], len(CHANGE_NAMES)), dtype=np.float32)
        assert changepoint._change_compiled(X, np.asarray(starts, dtype=np.int64), probe)
    got = change_columns(X, starts)
    want = _numpy(X, starts, monkeypatch)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    return got


def _random_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    X = rng.normal(size=(n, F)).astype(np.float32)
    X[:, LOG_CHARS] = rng.uniform(-1, 8, size=n)  # weights from 0.05 (floor) to 1 (cap)
    return X


def _random_starts(rng: np.random.Generator, n: int, max_page: int) -> np.ndarray:
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(1, max_page + 1)))
    sizes[-1] -= sum(sizes) - n
    sizes = [s for s in sizes if s > 0]
    return np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)


@pytest.mark.parametrize("seed", range(8))
def test_random_rows_and_layouts(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(seed)
    for n, max_page in ((1, 1), (2, 2), (17, 3), (300, 40), (1200, 200), (900, 1)):
        X = _random_rows(rng, n)
        _assert_same(X, _random_starts(rng, n, max_page), monkeypatch)


def test_edge_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """No rows, one row, one-block pages only, two-block pages, one very long page, pages
    shorter and longer than the spans."""
    needs(KERNEL)
    rng = np.random.default_rng(10)
    empty = np.zeros((0, F), dtype=np.float32)
    assert change_columns(empty, np.zeros(0, dtype=np.int64)).shape == (0, len(CHANGE_NAMES))
    for n, starts in ((1, [0]), (5, [0, 1, 2, 3, 4]), (6, [0, 2, 4]), (20_000, [0]), (40, [0, 6, 21, 36, 37]),
                      (31, [0, 15, 16, 30])):
        _assert_same(_random_rows(rng, n), starts, monkeypatch)


def test_few_distinct_values_tie_the_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of 0/1 values at full weight: many rows share a page's best statistic exactly (the
    first of them is the split), shifts of exactly zero, constant pages."""
    needs(KERNEL)
    rng = np.random.default_rng(11)
    for seed in range(20):
        n = int(rng.integers(1, 200))
        X = rng.integers(0, 2, size=(n, F)).astype(np.float32)
        X[:, LOG_CHARS] = 10.0 if seed % 2 else rng.choice([0.0, 10.0], size=n)
        _assert_same(X, _random_starts(rng, n, 12), monkeypatch)
    X = np.zeros((30, F), dtype=np.float32)  # all zero: every statistic +0.0
    _assert_same(X, [0, 10, 11], monkeypatch)


# The numpy reference warns about the inf/NaN/huge inputs on purpose; the test compares bits.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_extreme_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Float32 extremes (largest, subnormal), -0.0, huge and negative log_chars: finite inputs
    the kernel takes, whose sums and quotients round (and overflow float32 on the way out)."""
    needs(KERNEL)
    rng = np.random.default_rng(12)
    big = np.finfo(np.float32).max
    tiny = np.finfo(np.float32).smallest_subnormal
    n = 400
    X = rng.choice(np.array([big, -big, tiny, -tiny, 0.0, 1.0, -1e-30, 3e20], dtype=np.float32), size=(n, F))
    X[:, LOG_CHARS] = rng.choice(np.array([-big, -5, 0, 1e-7, 4.3, 88, 1e6, big], dtype=np.float32), size=n)
    _assert_same(X, _random_starts(rng, n, 30), monkeypatch)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN/inf on purpose
def test_left_to_numpy_and_still_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """NaN or inf in a column read (numpy propagates them its own way): the kernel declines and
    the numpy form answers. NaN in a column never read, and -0.0 values: the kernel takes them."""
    needs(KERNEL)
    rng = np.random.default_rng(13)
    for value in (np.nan, np.inf, -np.inf):
        for col in (LOG_CHARS, FEATURE_NAMES.index("lex_comment"), FEATURE_NAMES.index("w_stopword")):
            X = _random_rows(rng, 50)
            X[17, col] = value
            starts = [0, 10, 30]
            probe = np.empty((50, len(CHANGE_NAMES)), dtype=np.float32)
            assert not changepoint._change_compiled(X, np.array(starts), probe)
            got, want = change_columns(X, starts), _numpy(X, starts, monkeypatch)
            assert got.tobytes() == want.tobytes()
    unused = next(i for i in range(F) if i not in USED)
    X = _random_rows(rng, 50)
    X[:, unused] = np.nan
    _assert_same(X, [0, 25], monkeypatch)
    # -0.0 inputs (prefix sums that stay -0.0, zero differences of either sign): taken, same bits.
    for values in ([-0.0, -0.0, 0.0, -0.0], [-0.0] * 4, [0.0, -0.0, -0.0, -0.0], [-0.0, 1.0, -1.0, -0.0]):
        X = np.zeros((4, F), dtype=np.float32)
        X[:, LOG_CHARS] = 10.0
        for name in ("lex_comment", "lex_editorial", "w_first_singular", "w_reporting", "c_clock"):
            X[:, FEATURE_NAMES.index(name)] = np.array(values, dtype=np.float32)
        _assert_same(X, [0], monkeypatch)
        _assert_same(X, [0, 1], monkeypatch)


def test_mixed_zero_tie_is_declined() -> None:
    """A page whose best statistic is 0.0, reached as +0.0 on some rows and -0.0 on others: the
    kernel returns False. (Block weights of at least 0.05 never make such a tie; weights of
    1e-300, given to the kernel directly, make a * b underflow, so each statistic is a zero with
    the sign of its rise.)"""
    mod = needs(KERNEL)
    n = 5
    X = np.zeros((n, F), dtype=np.float32)
    w = np.full(n, 1e-300)
    signals = np.zeros((n, len(SPLIT_SIGNALS)))
    signals[:, 0] = [3.0, 1.0, 4.0, 1.0, 5.0]
    cs = np.concatenate(([0.0], np.cumsum(signals[:, 0] * w)))
    cw = np.concatenate(([0.0], np.cumsum(w)))
    stats = []
    for r in range(1, n):
        a, b = cw[r], cw[n] - cw[r]
        rise = (cs[n] - cs[r]) / max(b, 1e-9) - cs[r] / max(a, 1e-9)
        stats.append(rise * np.sqrt(a * b / max(a + b, 1e-9)))
    assert max(stats) == 0.0 and {bool(np.signbit(s)) for s in stats} == {False, True}
    out = np.empty((n, len(CHANGE_NAMES)), dtype=np.float32)
    args = (changepoint._SHIFT_IDX, changepoint._SPANS, w)
    table = changepoint._log1p_table(n)
    assert mod.change_columns(X, np.array([0]), *args, signals, table, out) is False
    signals[:, 0] = [0.0, 0.0, 0.0, 0.0, 5.0]  # every rise positive: every statistic +0.0, taken
    assert mod.change_columns(X, np.array([0]), *args, signals, table, out) is True


def test_kernel_declines_bad_inputs() -> None:
    """Page starts not from 0, not increasing or past the rows, arrays that do not fit
    together, a short log1p table: False, never a read past an array."""
    mod = needs(KERNEL)
    rng = np.random.default_rng(14)
    n = 20
    X = _random_rows(rng, n)
    w = changepoint.block_weights(X)
    signals = np.ascontiguousarray(X[:, changepoint._SIGNAL_COLS] @ changepoint._SIGNAL_W)
    table = changepoint._log1p_table(n)

    def call(starts, *, X=X, w=w, signals=signals, table=table, out=None, idx=changepoint._SHIFT_IDX):
        out = np.empty((X.shape[0], len(CHANGE_NAMES)), dtype=np.float32) if out is None else out
        return mod.change_columns(X, np.array(starts, dtype=np.int64), idx, changepoint._SPANS, w, signals,
                                  table, out)
    assert call([0, 5, 12]) is True
    for starts in ([], [1, 5], [0, 5, 5], [0, 7, 3], [0, 20], [0, 25]):
        assert call(starts) is False
    assert call([0], w=w[:-1]) is False
    assert call([0], signals=np.ascontiguousarray(signals[:-1])) is False
    assert call([0], table=np.log1p(np.arange(n - 1, dtype=np.int64))) is False
    assert call([0, 10], table=np.log1p(np.arange(10, dtype=np.int64))) is True
    assert call([0], out=np.empty((n, len(CHANGE_NAMES) + 1), dtype=np.float32)) is False
    assert call([0], out=np.empty((n, 2 * len(CHANGE_NAMES)), dtype=np.float32)[:, ::2]) is False
    assert call([0], idx=np.array([0, F], dtype=np.int64)) is False
    assert call([0], idx=np.array([-1], dtype=np.int64)) is False


def test_other_inputs_and_out_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page starts as a list or int32, X as a column slice of a wider matrix or in Fortran
    order, out as a slice of the text model's matrix or with a column stride (through a
    buffer), X in float64 (the numpy form): the same columns every way."""
    needs(KERNEL)
    rng = np.random.default_rng(15)
    n = 120
    X = _random_rows(rng, n)
    starts = _random_starts(rng, n, 25)
    want = _numpy(X, starts, monkeypatch)
    wide = np.hstack([X, rng.normal(size=(n, 7)).astype(np.float32)])
    for x, s in ((X, starts.tolist()), (X, starts.astype(np.int32)), (wide[:, :F], starts),
                 (np.asfortranarray(X), starts), (X.astype(np.float64), starts)):
        assert change_columns(x, s).tobytes() == want.tobytes()
    big = np.full((n, F + len(CHANGE_NAMES) + 3), 7.0, dtype=np.float32)
    change_columns(X, starts, out=big[:, F: F + len(CHANGE_NAMES)])
    assert big[:, F: F + len(CHANGE_NAMES)].tobytes() == want.tobytes()
    assert (big[:, :F] == 7.0).all() and (big[:, F + len(CHANGE_NAMES):] == 7.0).all()
    strided = np.zeros((n, 2 * len(CHANGE_NAMES)), dtype=np.float32)
    change_columns(X, starts, out=strided[:, ::2])
    assert np.ascontiguousarray(strided[:, ::2]).tobytes() == want.tobytes()
    assert (strided[:, 1::2] == 0).all()
    # The columns of X the kernel reads and out written in one buffer (training/dataset.py).
    both = np.zeros((n, F + len(CHANGE_NAMES)), dtype=np.float32)
    both[:, :F] = X
    change_columns(both[:, :F], starts, out=both[:, F:])
    assert both[:, F:].tobytes() == want.tobytes()


def test_log1p_table_is_numpys() -> None:
    """The table's values are those the numpy form computes for its offsets (numpy's log1p,
    which differs from C's in the last bit for some integers)."""
    table = changepoint._log1p_table(5000)
    rng = np.random.default_rng(16)
    off = rng.integers(-4999, 5000, size=(3000, 2))
    np.testing.assert_array_equal(np.log1p(np.abs(off)), table[np.abs(off)])
    assert np.log1p(np.abs(off)).tobytes() == table[np.abs(off)].tobytes()
    assert changepoint._log1p_table(10)[:10].tobytes() == np.log1p(np.arange(10)).tobytes()


def _bench_pages(limit: int) -> list[list[str]]:
    return [p.text.split("\n") for p in bench_pages(limit)]


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feature rows of real pages, in batches of 64 as ``classify`` makes them, through
    ``text_matrix`` with and without the kernel (the whole text model's matrix)."""
    needs(KERNEL)
    if not MODEL.exists():
        pytest.skip(f"{MODEL} is not present")
    model = Classifier.load(MODEL).model
    pages = [p for p in _bench_pages(640) if p]
    assert pages
    for i in range(0, len(pages), 64):
        batch = pages[i: i + 64]
        pf, offsets = extract_batch(batch, model.lexical)
        starts = offsets[:-1][np.diff(offsets) > 0]
        _assert_same(pf.X, starts, monkeypatch)
        texts = [t for p in batch for t in p]
        got = text_matrix(pf.X, texts, starts, model.schema, pf.low_utf8)
        monkeypatch.setattr(changepoint, "_CHANGE_EXT", None)  # the handle change_columns reads
        want = text_matrix(pf.X, texts, starts, model.schema, pf.low_utf8)
        monkeypatch.undo()
        assert got.tobytes() == want.tobytes()
