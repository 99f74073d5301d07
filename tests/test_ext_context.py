"""The compiled context pass (features/_context_ext.pyx) writes ``context_of``'s numpy cells, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from features import ext, extract

K = len(extract.CONTEXT_BLOCKS)


def _both(A: np.ndarray, row: np.ndarray, p0: np.ndarray, p1: np.ndarray,
          monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, np.ndarray]:
    if ext.load("features._context_ext") is None:
        pytest.skip("features._context_ext is not built")
    got = extract.context_of(A, row, p0, p1)
    monkeypatch.setattr(extract, "_CONTEXT", None)
    want = extract.context_of(A, row, p0, p1)
    monkeypatch.undo()
    return got, want


def _pages(sizes: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    keep = np.asarray(sizes) > 0
    return extract.page_bounds(int(sum(sizes)), starts[keep])


@pytest.mark.parametrize("sizes", [[1], [2], [7], [1, 1, 1], [3, 0, 12, 1, 40], [200, 5, 4]],
                         ids=lambda s: "-".join(map(str, s)))
def test_context_kernel_equals_numpy(sizes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(sum(sizes))
    row, p0, p1 = _pages(sizes)
    n = len(row)
    # Values of every scale, as the carried columns have (log counts, fractions, 0/1 flags), and
    # float32 inputs widened to float64 as context_features does.
    A = (rng.lognormal(0, 3, size=(n, 9)) * rng.choice([-1, 1], size=(n, 9))).astype(np.float32)
    A[:, 0] = rng.integers(0, 2, size=n)
    A = A.astype(np.float64)
    got, want = _both(A, row, p0, p1, monkeypatch)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape == (n, K * 9)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_context_kernel_writes_into_a_strided_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feature matrix's right-hand part, as extract_batch passes it (rows not contiguous)."""
    if ext.load("features._context_ext") is None:
        pytest.skip("features._context_ext is not built")
    rng = np.random.default_rng(4)
    row, p0, p1 = _pages([5, 9, 2])
    A = rng.normal(size=(16, 3))
    X = np.full((16, 2 + K * 3), 99.0, dtype=np.float32)
    extract.context_of(A, row, p0, p1, out=X[:, 2:])
    monkeypatch.setattr(extract, "_CONTEXT", None)
    want = extract.context_of(A, row, p0, p1)
    np.testing.assert_array_equal(X[:, 2:], want)
    assert (X[:, :2] == 99.0).all()  # nothing written left of the view


def test_context_features_of_real_pages(shared_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole feature matrix of real pages (seeds) with the kernel on and off."""
    pages = [p.read_text(encoding="utf-8").split("\n") for p in sorted((shared_dir / "seeds").glob("*.txt"))]
    pages = [[t for t in p if t.strip()] for p in pages]
    if ext.load("features._context_ext") is None:
        pytest.skip("features._context_ext is not built")
    got = extract.extract_batch(pages)[0].X
    monkeypatch.setattr(extract, "_CONTEXT", None)
    want = extract.extract_batch(pages)[0].X
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
