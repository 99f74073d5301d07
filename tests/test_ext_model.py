"""The compiled input standardisation (classifier/_model_ext.pyx) gives the numpy form's float32
bits: every element through ``(x - mean) / scale``, the clip and NaN -> 0, in that order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_ext import needs

from classifier import model as M
from classifier.api import Classifier

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, M.CLIP_SIGMA, -M.CLIP_SIGMA, 1e-45, -1e-45,
                     np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                     1e38, 3.0e-39], dtype=np.float32)


def _both(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kernel = needs("classifier._model_ext")
    a, b = np.empty_like(x), np.empty_like(x)
    with np.errstate(all="ignore"):  # the specials overflow and divide by zero on purpose
        M._standardise_numpy(x, mean, scale, a)
    kernel.standardise(x, mean, scale, M.CLIP_SIGMA, b)
    return a, b


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("seed", range(4))
def test_random_and_special_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(1, 300)), int(rng.integers(1, 70))
    x = (rng.normal(size=(n, d)) * 10 ** rng.uniform(-3, 3, size=(n, d))).astype(np.float32)
    hit = rng.random((n, d)) < 0.1
    x[hit] = rng.choice(SPECIALS, size=int(hit.sum()))
    mean = rng.normal(size=d).astype(np.float32)
    odd = rng.random(d) < 0.2
    mean[odd] = rng.choice(SPECIALS, size=int(odd.sum()))
    scale = rng.uniform(1e-3, 5, size=d).astype(np.float32)
    scale[: min(d, 3)] = np.array([0.0, -2.0, 1e-40], dtype=np.float32)[: min(d, 3)]  # 0 and subnormal: inf/NaN
    a, b = _both(x, mean, scale)
    assert _same_bits(a, b)
    assert not np.isnan(b).any() and (b.size == 0 or np.abs(b).max() <= M.CLIP_SIGMA)


def test_every_special_pair() -> None:
    """Each special value against each special mean and scale (NaN, infinities, signed zeros, bounds)."""
    s = SPECIALS
    x = np.repeat(s[:, None], len(s) * len(s), axis=1).astype(np.float32)
    mean = np.repeat(s, len(s)).astype(np.float32)
    scale = np.tile(s, len(s)).astype(np.float32)
    a, b = _both(np.ascontiguousarray(x), mean, scale)
    assert _same_bits(a, b)


def test_empty_and_shape_checks() -> None:
    kernel = needs("classifier._model_ext")
    a, b = _both(np.zeros((0, 5), np.float32), np.zeros(5, np.float32), np.ones(5, np.float32))
    assert a.shape == b.shape == (0, 5)
    with pytest.raises(ValueError):
        kernel.standardise(np.zeros((2, 5), np.float32), np.zeros(4, np.float32), np.ones(5, np.float32),
                           M.CLIP_SIGMA, np.zeros((2, 5), np.float32))


def test_rows_are_written_where_asked() -> None:
    """With ``rows`` each input row lands at its row of ``out``, with the same bits as the numpy
    form; the other rows are left alone; indices out of range or of the wrong count are refused."""
    kernel = needs("classifier._model_ext")
    rng = np.random.default_rng(9)
    x = rng.normal(scale=4.0, size=(40, 17)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    mean = rng.normal(size=17).astype(np.float32)
    scale = rng.uniform(0.1, 3.0, size=17).astype(np.float32)
    rows = rng.permutation(100)[:40].astype(np.int64)
    ref = np.empty_like(x)
    M._standardise_numpy(x, mean, scale, ref)
    out = np.full((100, 17), 7.0, dtype=np.float32)
    kernel.standardise(x, mean, scale, M.CLIP_SIGMA, out, rows)
    assert _same_bits(out[rows], ref)
    untouched = np.setdiff1d(np.arange(100), rows)
    assert (out[untouched] == 7.0).all()
    for bad in (np.array([0, 100], np.int64), np.array([-1, 3], np.int64), np.arange(3, dtype=np.int64)):
        with pytest.raises(ValueError):
            kernel.standardise(x[:2], mean, scale, M.CLIP_SIGMA, out, bad)


def test_cols_read_only_those_columns() -> None:
    """With ``cols`` (a model that skips ``--ignore-column`` columns) out's column j is x's column
    ``cols[j]`` standardised, with the numpy form's bits, rows placed or not; a column index out of
    range, or a mean of another length, is refused."""
    kernel = needs("classifier._model_ext")
    rng = np.random.default_rng(11)
    x = rng.normal(scale=4.0, size=(30, 23)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    cols = np.array([0, 2, 3, 7, 8, 15, 22], dtype=np.int64)
    mean = rng.normal(size=len(cols)).astype(np.float32)
    scale = rng.uniform(0.1, 3.0, size=len(cols)).astype(np.float32)
    ref = np.empty((30, len(cols)), dtype=np.float32)
    M._standardise_numpy(np.ascontiguousarray(x[:, cols]), mean, scale, ref)
    out = np.empty_like(ref)
    kernel.standardise(x, mean, scale, M.CLIP_SIGMA, out, None, cols)
    assert _same_bits(out, ref)
    rows = rng.permutation(50)[:30].astype(np.int64)
    placed = np.full((50, len(cols)), 7.0, dtype=np.float32)
    kernel.standardise(x, mean, scale, M.CLIP_SIGMA, placed, rows, cols)
    assert _same_bits(placed[rows], ref)
    for bad in (np.array([0, 2, 3, 7, 8, 15, 23], np.int64), np.array([-1, 2, 3, 7, 8, 15, 22], np.int64)):
        with pytest.raises(ValueError):
            kernel.standardise(x, mean, scale, M.CLIP_SIGMA, out, None, bad)
    with pytest.raises(ValueError):
        kernel.standardise(x, mean[:-1], scale[:-1], M.CLIP_SIGMA, out[:, :-1], None, cols)


def test_a_model_skipping_columns_gives_the_same_bits_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model with its n+-2, n+-3 first-layer rows zeroed and named ignored: the kernel's
    gathered pass and the numpy form's ``np.take`` give the same logits, bit for bit."""
    needs("classifier._model_ext")
    m = Classifier.load().model
    skip = [i for i, n in enumerate(m.feature_names) if n[:4] in ("n-3_", "n-2_", "n+2_", "n+3_")]
    weights = [w.copy() for w in m.weights]
    weights[0][skip] = 0
    m = dataclasses.replace(m, weights=weights, members=[], cascade=None,
                            meta={**m.meta, "ignored_columns": [m.feature_names[i] for i in skip]})
    assert m._shapes()[0][0] == len(m.feature_names) - len(skip)
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(500, len(m.mean))) * m.scale + m.mean).astype(np.float32)
    X[rng.random(X.shape) < 0.01] = np.nan
    starts = np.array([0, 77, 300], dtype=np.int64)
    with_kernel = m.logits(X, starts)
    monkeypatch.setattr(M, "_MODEL_EXT", None)
    assert _same_bits(with_kernel, m.logits(X, starts))


def test_model_logits_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model's logits on real feature rows: the same bits either way."""
    needs("classifier._model_ext")
    clf = Classifier.load()
    m = clf.model
    rng = np.random.default_rng(7)
    X = (rng.normal(size=(700, len(m.mean))) * m.scale + m.mean).astype(np.float32)
    X[rng.random(X.shape) < 0.01] = np.nan
    with_kernel = m.logits(X, np.array([0, 100, 350], dtype=np.int64))
    monkeypatch.setattr(M, "_MODEL_EXT", None)
    without = m.logits(X, np.array([0, 100, 350], dtype=np.int64))
    assert _same_bits(with_kernel, without)
    # float64 input takes the numpy form (the kernel reads float32 only) and is accepted
    assert m.logits(X.astype(np.float64), None).shape == (700, 4)


@pytest.mark.parametrize("schema", ["text-5", "text-6", "text-7", "text-8"])
def test_text_matrix_fills_the_wide_buffer_in_place(schema: str) -> None:
    """``extract_batch(extra_columns=...)`` + ``text_matrix(wide=...)`` give the copied form's
    matrix bit for bit, and write into that buffer rather than a new one."""
    from features.extract import FEATURE_NAMES, extract_batch
    from features.text_schema import TEXT_SCHEMAS, extra_columns, text_matrix

    if schema not in TEXT_SCHEMAS:
        pytest.skip(f"{schema} is not a text schema here")
    pages = [["Officials said on Tuesday the plan would go ahead.", "Share this", "I think you are wrong, mate!!"],
             [], ["Dear SF, you read it again.", "Check out http://x.example/y now"]]
    texts = [t for p in pages for t in p]
    starts = np.array([0, 3], dtype=np.int64)
    plain, _ = extract_batch(pages)
    pf, _ = extract_batch(pages, extra_columns=extra_columns(schema))
    assert pf.wide is not None and pf.wide.shape == (len(texts), len(TEXT_SCHEMAS[schema]))
    assert pf.X.shape == plain.X.shape == (len(texts), len(FEATURE_NAMES))
    assert _same_bits(pf.X, plain.X)
    copied = text_matrix(plain.X, texts, starts, schema, plain.low_utf8)
    in_place = text_matrix(pf.X, texts, starts, schema, pf.low_utf8, pf.low_starts, wide=pf.wide)
    assert in_place is pf.wide
    assert _same_bits(in_place, copied)
    # a buffer of another width is not written: the copy is made as before
    other = text_matrix(plain.X, texts, starts, schema, plain.low_utf8, wide=np.zeros((len(texts), 3), np.float32))
    assert _same_bits(other, copied)
