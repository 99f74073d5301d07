"""Session 21's kernels of the MT signals against their reference forms.

``SymbolTables.ngram_sums`` (features/_mt_soft_ext.pyx): ``soft_scores`` takes each block's
summed weights from the n-gram pass itself; they must be the bits ``np.bincount`` gives over
``symbol_ngrams``'s n-grams (the same additions in the same order), and ``soft_scores`` the
numpy form's output. Inputs: random strings over awkward characters (test_ext_mtsoft's), edge
cases (empty blocks, one symbol, blocks longer than the kernel's buffers), weights of mixed
magnitudes and signed zeros (so a changed order shows in the bits), and
real pages.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_mtsoft import WORDS, _random_texts

from features import mt_soft
from features.extract import extract
from features.segment import segment_text

SOFT_KERNEL = "features._mt_soft_ext"
SOFT_FIELDS = ("block", "page", "page_stat")


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint64) if a.dtype == np.float64 else a


def _kernel_sums(texts: list[str], uni_w: np.ndarray, pair_w: np.ndarray) -> tuple:
    tokens = extract(texts).tokens
    cp, cpl, starts, reuse = mt_soft._code_points(texts, tokens)
    assert reuse
    return mt_soft._SYMBOL_TABLES.ngram_sums(*mt_soft._kernel_arguments(cp, cpl, tokens, starts), uni_w, pair_w)


def _check_sums(texts: list[str], uni_w: np.ndarray, pair_w: np.ndarray) -> None:
    """``ngram_sums`` == np.bincount over the numpy form's n-grams, bit for bit."""
    uni, pair, grams, words, function_words = _kernel_sums(texts, uni_w, pair_w)
    ng = mt_soft.symbol_ngrams(texts)  # no tokens: the numpy form
    n = len(texts)
    want_uni = np.bincount(ng.uni_block, weights=uni_w[ng.uni], minlength=n)
    want_pair = np.bincount(ng.pair_block, weights=pair_w[ng.pair], minlength=n)
    for got, want in ((uni, want_uni), (pair, want_pair)):
        assert got.dtype == np.float64 and got.shape == (n,)
        # (np.bincount of no n-grams answers with integer zeros; the kernel with 0.0)
        np.testing.assert_array_equal(_bits(got), _bits(want.astype(np.float64)) if len(ng.uni) else 0)
    np.testing.assert_array_equal(grams, mt_soft.ngram_counts(ng, n).astype(np.int64))
    np.testing.assert_array_equal(words, ng.words)
    np.testing.assert_array_equal(function_words, ng.function_words)
    assert function_words.dtype == ng.function_words.dtype


def _weights(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weights where the order of the additions shows: magnitudes 1e-8 .. 1e8, some +-0.0."""
    v = mt_soft.V
    uni = rng.normal(size=v) * 10.0 ** rng.integers(-8, 8, size=v)
    pair = rng.normal(size=v * v) * 10.0 ** rng.integers(-8, 8, size=v * v)
    for w in (uni, pair):
        w[rng.random(len(w)) < 0.2] = 0.0
        w[rng.random(len(w)) < 0.2] = -0.0
    return uni, pair


@pytest.mark.parametrize("seed", range(4))
def test_ngram_sums_random(seed: int) -> None:
    needs(SOFT_KERNEL)
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    for _ in range(12):
        texts = _random_texts(rng, rng.choice((1, 2, 7, 30)))
        if any(len(t.lower()) != len(t) for t in texts):
            continue
        _check_sums(texts, *_weights(np_rng))


@pytest.mark.parametrize("texts", [
    [""], ["", ""], ["", "a", ""], ["a"], ["."], ["$"], ["$$ $"], ["A"], ["it`s"], ["x`", "`y"],
    ["15,000.50", ".5", "5.", ",5,"], ["--", "-- --"], ["He said. Then"], ["", "", "the end."],
    ["\U0001d518\U0001d51f \U0001f600 \ud800x \udfff"], ["don't won\u2019t can`t I\u00b4m"],
], ids=lambda t: repr(t)[:30])
def test_ngram_sums_edge_cases(texts: list[str]) -> None:
    needs(SOFT_KERNEL)
    _check_sums(texts, *_weights(np.random.default_rng(1)))


def test_ngram_sums_long_blocks() -> None:
    """Blocks of thousands of symbols (many times the kernel's buffers), between short ones."""
    needs(SOFT_KERNEL)
    rng = random.Random(5)
    long_text = " ".join(rng.choice(WORDS) for _ in range(5000))
    for texts in ([long_text], ["", long_text, "x", long_text[:3001], "."], [long_text[:1000]] * 3):
        _check_sums(texts, *_weights(np.random.default_rng(2)))


def test_ngram_sums_refuses_bad_weights() -> None:
    needs(SOFT_KERNEL)
    v = mt_soft.V
    with pytest.raises(ValueError):
        _kernel_sums(["a b"], np.zeros(v - 1), np.zeros(v * v))
    with pytest.raises(ValueError):
        _kernel_sums(["a b"], np.zeros(v), np.zeros(v * v - 1))


def _soft_both(texts: list[str], page: np.ndarray, n_pages: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``soft_scores`` with the kernel (which must take the summing path) and without."""
    kernel = needs(SOFT_KERNEL)
    tokens = extract(texts).tokens
    calls = []
    tables = mt_soft._SYMBOL_TABLES

    class Spy:
        def ngram_sums(self, *args):
            calls.append(1)
            return tables.ngram_sums(*args)

    monkeypatch.setattr(mt_soft, "_SYMBOL_TABLES", Spy())
    got = mt_soft.soft_scores(texts, page, n_pages, tokens=tokens)
    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
    want = mt_soft.soft_scores(texts, page, n_pages, tokens=tokens)
    monkeypatch.undo()
    assert kernel is not None and calls == [1]
    for f in SOFT_FIELDS:
        a, b = getattr(got, f), getattr(want, f)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(_bits(a), _bits(b), err_msg=f)


def test_soft_scores_random(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(21)
    for _ in range(10):
        texts = [t for t in _random_texts(rng, 40) if len(t.lower()) == len(t)]
        page = np.sort(np.array([rng.randrange(5) for _ in texts], dtype=np.int64))
        _soft_both(texts, page, 6, monkeypatch)


def test_soft_scores_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(240)
    for i in range(0, len(pages), 60):
        blocks = [(j, b.text) for j, p in enumerate(pages[i: i + 60]) for b in segment_text(p.text)]
        texts = [t for _, t in blocks]
        page = np.array([j for j, _ in blocks], dtype=np.int64)
        _soft_both(texts, page, 60, monkeypatch)
