"""The compiled ``symbol_ngrams`` (features/_mt_soft_ext.pyx) gives the numpy form's n-grams.

The kernel covers the path that reuses the feature pass's tokens (the one ``classify`` takes),
so every case here builds those tokens with ``features.extract`` and calls ``symbol_ngrams``
with the kernel and without it, checking that the kernel really ran; the arrays must match in
values, dtypes and shapes. Inputs: random strings over an alphabet of awkward characters
(typography that is flattened, apostrophes that do or do not join words, marks inside numbers,
non-BMP letters, lone surrogates, odd whitespace), hand-made edge cases and real pages.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import mt_soft
from features.extract import extract
from features.mt_soft_data import FLATTEN, FREQUENT_WORDS, FUNCTION_WORDS, PUNCTUATION
from features.segment import segment_text
from features.tokens import TokenBatch

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("uni", "uni_block", "pair", "pair_block", "words", "function_words")
KERNEL = "features._mt_soft_ext"
# Characters the symbol rules treat specially, plus plain ones to make words of.
AWKWARD = ("$'\u2019`\u00b4\u2032\u2018\u201a\u201b\u02bc_0123456789 \t\r\x0b\x0c\u2028\u00a0\u2009"
           "\u0301\u00e9\u00c9\u1e9e\u00df\U0001d518\U0001f600\ud800\udfff\u03a3\u2160\u00bd"
           + PUNCTUATION + "".join(map(chr, FLATTEN)))
WORDS = [*FUNCTION_WORDS[:60], *FREQUENT_WORDS[:60], "nation", "quickly", "kindness", "Station", "NATO",
         "it`s", "5\u203211", "don\u00b4t", "a`b`c", "o'clock", "rock\u2019n\u2019roll", "15,000.50", "3.5",
         "--", "...", "?!", "\u2014", "\u2026", "x", "Ab", "AB", "Quickly", "'quoted'", "$5"]


def _both(texts: list[str], tokens: TokenBatch | None, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[mt_soft.Ngrams, mt_soft.Ngrams, int]:
    """``symbol_ngrams`` with the kernel and without; and how many times the kernel ran."""
    kernel = needs(KERNEL)
    ran = []
    compiled = mt_soft._symbol_ngrams_compiled

    def spy(*args):
        ran.append(1)
        return compiled(*args)

    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", kernel)
    monkeypatch.setattr(mt_soft, "_symbol_ngrams_compiled", spy)
    got = mt_soft.symbol_ngrams(texts, tokens)
    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
    want = mt_soft.symbol_ngrams(texts, tokens)
    monkeypatch.undo()
    return got, want, len(ran)


def _same(got: mt_soft.Ngrams, want: mt_soft.Ngrams) -> None:
    for f in FIELDS:
        a, b = getattr(got, f), getattr(want, f)
        assert a.dtype == b.dtype and a.shape == b.shape, f
        np.testing.assert_array_equal(a, b, err_msg=f)


def _check(texts: list[str], monkeypatch: pytest.MonkeyPatch, variants: bool = False) -> int:
    """Kernel == numpy on the feature pass's tokens of ``texts`` (and, with ``variants``, on those
    tokens without their function words or original code points); how often the kernel ran."""
    tokens = extract(texts).tokens if texts else None
    got, want, ran = _both(texts, tokens, monkeypatch)
    _same(got, want)
    _same_logits(want, len(texts), monkeypatch)
    if variants and tokens is not None:
        for attr in ("function_words", "text_cp"):
            bare = TokenBatch(tokens.starts, tokens.ends, tokens.hashes, tokens.digits, tokens.newline, tokens.cp)
            bare.function_words, bare.text_cp = tokens.function_words, tokens.text_cp
            setattr(bare, attr, None)
            got, want, more = _both(texts, bare, monkeypatch)
            _same(got, want)
            ran += more
    return ran


def _same_logits(ng: mt_soft.Ngrams, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``block_logits`` with the kernel's sums and with numpy's: the same float64 bits."""
    model = mt_soft.load_soft_model()
    got = model.block_logits(ng, n)
    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
    want = model.block_logits(ng, n)
    monkeypatch.undo()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


def _random_texts(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.choice((0, 1, 3, 12, 40))):
            if rng.random() < 0.6:
                parts.append(rng.choice(WORDS))
            else:
                parts.append("".join(rng.choice(AWKWARD + "abcdeXYZ") for _ in range(rng.randint(1, 6))))
            parts.append(rng.choice(("", " ", " ", "  ", "\u00a0", "`", "'", ",", ".", "-")))
        out.append("".join(parts))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_random_batches(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    ran = 0
    for _ in range(25):
        ran += _check(_random_texts(rng, rng.choice((1, 2, 7, 30))), monkeypatch, variants=seed < 2)
    assert ran >= 20  # most batches keep their length when lower-cased (else the numpy form runs alone)


@pytest.mark.parametrize("texts", [
    [""], ["", ""], ["", "a", ""], ["a"], ["."], ["'"], ["`"], ["$"], ["$$ $"], ["..."], ["A"],
    ["it`s"], ["a`b`c d\u2032e`"], ["`it`s`"], ["x`", "`y"], ["5\u203211 and 6\u00b47"],
    ["15,000.50", ".5", "5.", ",5,"], ["--", "-- --", "\u2014\u2014"], ["Sure?! Fine!!"], ["He said. Then"],
    ["'quoted' \u2018curly\u2019 \u201cdouble\u201d"], ["The nation moved quickly", "KINDNESS stations"],
    ["\U0001d518\U0001d51f \U0001f600 \ud800x \udfff"], ["e\u0301t\u00e9 \u00c9T\u00c9"], ["a\tb\rc\x0bd\u2028e"],
    ["\u00a0\u2009 x \u202f"], ["don't won\u2019t can`t I\u00b4m"],
], ids=lambda t: repr(t)[:30])
def test_edge_cases(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert _check(texts, monkeypatch, variants=True) == 3


def test_no_reuse_runs_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without tokens, or when lower-casing changes the length ('İ'), the numpy form runs."""
    assert _check([], monkeypatch) == 0
    got, want, ran = _both(["the nation"], None, monkeypatch)
    assert ran == 0
    _same(got, want)
    texts = ["\u0130stanbul is big", "and so"]
    assert _check(texts, monkeypatch) == 0


def test_long_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    text = " ".join(rng.choice(WORDS) for _ in range(60_000))
    assert _check([text], monkeypatch) == 1
    assert _check(["", text, "x"], monkeypatch) == 1


def test_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(400)
    ran = 0
    for i in range(0, len(pages), 40):
        texts = [b.text for p in pages[i: i + 40] for b in segment_text(p.text)]
        ran += _check(texts, monkeypatch)
    assert ran >= 8


def test_bad_input_raises() -> None:
    """Code points past the table and tokens outside the text are refused, not read."""
    needs(KERNEL)
    tables = mt_soft._symbol_tables(mt_soft._MT_SOFT_EXT)
    z64, zu8 = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    cp = np.array([0x110000], dtype=np.uint32)
    with pytest.raises(ValueError):
        tables.ngrams(cp, cp, z64, z64, zu8, z64.view(np.uint64), z64, np.zeros(1, dtype=np.int64), None)
    cp = np.array([ord("a")], dtype=np.uint32)
    one, zero = np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError):  # a token [0, 2) of a one-character text
        tables.ngrams(cp, cp, zero, one * 2, np.zeros(1, dtype=np.uint8), np.zeros(1, dtype=np.uint64), zero,
                      zero, None)


def test_gather_bincount_equals_numpy() -> None:
    """Random weights of mixed magnitudes (so the order of the additions shows in the bits),
    repeated and unsorted blocks, an empty input (numpy then answers with integers)."""
    kernel = needs(KERNEL)
    rng = np.random.default_rng(3)
    weights = rng.normal(size=500) * 10.0 ** rng.integers(-8, 8, size=500)
    for m, n in ((0, 0), (0, 4), (1, 1), (7, 3), (5000, 40), (20000, 1)):
        block = rng.integers(0, max(n, 1), size=m).astype(np.int64)
        if m > 100:
            block.sort()
        index = rng.integers(0, len(weights), size=m).astype(np.int64)
        got = kernel.gather_bincount(block, index, weights, n)
        want = np.bincount(block, weights=weights[index], minlength=n)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.view(np.uint64) if m else got, want.view(np.uint64) if m else want)
    with pytest.raises(ValueError):
        kernel.gather_bincount(np.array([5], dtype=np.int64), np.array([0], dtype=np.int64), weights, 5)
    with pytest.raises(ValueError):
        kernel.gather_bincount(np.array([0], dtype=np.int64), np.array([500], dtype=np.int64), weights, 5)


def test_soft_scores_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    rng = random.Random(11)
    texts = [t for _ in range(4) for t in _random_texts(rng, 30)]
    texts += ["The minister said on Monday that the government would not change its position."] * 5
    page = np.repeat(np.arange(5), [30, 30, 30, 35, 0])  # page 4 and 5: no blocks
    tokens = extract(texts).tokens
    got = mt_soft.soft_scores(texts, page, 6, tokens=tokens)
    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
    want = mt_soft.soft_scores(texts, page, 6, tokens=tokens)
    for f in ("block", "page", "page_stat"):
        a, b = getattr(got, f), getattr(want, f)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))


def _levels_with(first=None, rest=None):
    """``_suffix_levels`` with its first or its second level replaced by a function of it."""
    real = mt_soft._suffix_levels

    def levels():
        f, r = real()
        return (f if first is None else first(f)), (r if rest is None else rest(r))
    return levels


@pytest.mark.parametrize("name, bad", [
    ("_LETTER_OF", lambda t: t + 100), ("_MARK_SYMBOL", lambda t: t[:3]), ("_IS_MARK", lambda t: t[:-1]),
    # the suffix table reaches the kernel as two levels (first: an offset per tail, rest: the rows)
    ("_suffix_levels", lambda _: _levels_with(first=lambda f: f[:-1])),
    ("_suffix_levels", lambda _: _levels_with(rest=lambda r: r[:-1])),
    ("_suffix_levels", lambda _: _levels_with(first=lambda f: f + np.int32(len(f) * 27))),
    ("_suffix_levels", lambda _: _levels_with(first=lambda f: f - np.int32(1))),
    ("_suffix_levels", lambda _: _levels_with(rest=lambda r: r + np.asarray(mt_soft.V, dtype=r.dtype))),
])
def test_tables_are_checked(name: str, bad, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel reads its tables unchecked, so it refuses tables of the wrong size or range
    (by its own check: the message says so, not some other error on the way)."""
    kernel = needs(KERNEL)
    mt_soft._symbol_tables(kernel)
    monkeypatch.setattr(mt_soft, name, bad(getattr(mt_soft, name)))
    with pytest.raises(ValueError, match="^symbol tables "):
        mt_soft._symbol_tables(kernel)


def test_two_choice_table_equals_one_probe_table() -> None:
    """The kernel's frequent-word table answers as the numpy form's for every word's hash, for
    random hashes and for 0 (the key of an empty slot)."""
    probe = mt_soft._FREQ_ONE_PROBE
    keys, rows, m1, m2, shift = mt_soft._two_choice_table(probe)
    rng = np.random.default_rng(5)
    used = np.flatnonzero(probe._rows)
    h = np.concatenate((probe._keys[used], rng.integers(0, 2**63, size=20000, dtype=np.uint64) * np.uint64(2),
                        np.zeros(1, dtype=np.uint64), probe._keys[used] + np.uint64(1)))
    s1 = ((h * np.uint64(m1)) >> np.uint64(shift)).astype(np.intp)
    s2 = ((h * np.uint64(m2)) >> np.uint64(shift)).astype(np.intp)
    got = np.where(keys[s1] == h, rows[s1], np.where(keys[s2] == h, rows[s2], 0))
    np.testing.assert_array_equal(got, probe.lookup(h))
    assert len(keys) == mt_soft._TWO_CHOICE_SLOTS and np.count_nonzero(rows) == len(used)
