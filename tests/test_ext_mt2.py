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

from features import mt, mt_soft
from features.extract import extract
from features.segment import segment_text
from features.skip16 import skip_ranges

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


# ---------------------------------------------------------------------------------------------
# The mt pre-screen's scan (features/_mt_ext.pyx, StartScanner): session 21 reads the str's own
# code units (1, 2 or 4 bytes), skips 16 characters at a time where SSE2 is there (byte ranges
# no condition starts with) and tests the conditions as bit sets. The positions it asks the
# regex about must be exactly those the conditions allow (the reference below, written from
# rx_starts.scanner_tables' description), and its starts finditer's.
# ---------------------------------------------------------------------------------------------
MT_KERNEL = "features._mt_ext"
# Code points at the edges of what the skip test packs: 0, the range ends, 254/255/256, the
# 2-byte units that pack to 0 (at or above 0x8000), surrogates, non-BMP.
EDGE_CHARS = ["\x00", "\x01", "\x1f", " ", "!", "/", "9", ":", "@", "Q", "R", "S", "Z", "[", "\\", "z", "{",
              "\x7f", "\x80", "\xa3", "\xa5", "\xfe", "\xff", "\u0100", "\u017f", "\u036f", "\u0370", "\u0416",
              "\u20ac", "\u7fff", "\u8000", "\ud800", "\udfff", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff"]


def _reference_asked(tables: dict, text: str) -> set[int]:
    """Positions where some start condition holds (``StartScanner._candidate``'s rule), from
    the flat tables: the first character lists its conditions, each condition's offsets must be
    inside the text and allow the character there (below 256 by table, above by table_high)."""
    fs, fa, ac = tables["first_start"], tables["first_alts"], tables["alt_cons"]
    off, tab, tabs, high = tables["cons_off"], tables["cons_tab"], tables["tables"], tables["table_high"]
    cps = [ord(ch) for ch in text]
    n = len(cps)
    out = set()
    for i, c in enumerate(cps):
        if c >= 256:
            if tables["any_high_first"] or c in set(tables["high_first"].tolist()):
                out.add(i)
            continue
        for j in range(fs[c], fs[c + 1]):
            a = fa[j]
            if all(0 <= i + off[k] < n and (tabs[tab[k], cps[i + off[k]]] if cps[i + off[k]] < 256 else high[tab[k]])
                   for k in range(ac[a], ac[a + 1])):
                out.add(i)
                break
    return out


def _asked_by(scanner, text: str) -> set[int]:
    asked: set[int] = set()

    def never(_text: str, i: int) -> None:
        asked.add(i)

    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    scanner.starts(text, cp, never)
    return asked


def _scan_texts(rng: random.Random, pool: list[str]) -> list[str]:
    """Texts of each str kind (1, 2 and 4 bytes a character), lengths around the 16-wide test."""
    latin = [ch for ch in pool if max(map(ord, ch)) < 256]
    bmp = [ch for ch in pool if max(map(ord, ch)) < 0x10000]
    out = []
    for size in (0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 100, 700):
        for chars in (latin, bmp, pool):
            out.append("".join(rng.choice(chars) for _ in range(size)))
    return out


def test_scanner_asks_exactly_where_conditions_hold() -> None:
    """Every pattern's scanner asks the regex at exactly the positions its conditions allow."""
    kernel = needs(MT_KERNEL)
    from test_ext_mt import FRAGMENTS, PATTERN_CHARS, PATTERN_REGEXES

    rng = random.Random(23)
    pool = PATTERN_CHARS + EDGE_CHARS + list("abcdeUSRTKNEAxyz .,")
    texts = _scan_texts(rng, pool) + [" ".join(FRAGMENTS), "".join(FRAGMENTS) + "\U0001f600"]
    for rx in PATTERN_REGEXES:
        conditions = mt.rx_starts.start_conditions(rx)
        if conditions is None:
            continue
        tables = mt.rx_starts.scanner_tables(conditions)
        scanner = kernel.StartScanner(**tables)
        for text in texts:
            assert _asked_by(scanner, text) == _reference_asked(tables, text), (rx.pattern[:40], text)


def _synthetic_tables(n_alts: int, offsets: list[int]) -> dict:
    """Conditions under "." and "x": condition a allows only character chr(65 + a % 26) at
    offset offsets[a % len(offsets)] (more conditions or offsets than the bit sets hold)."""
    first_alts = list(range(n_alts)) * 2
    first_start = np.zeros(257, dtype=np.int32)
    first_start[ord(".") + 1:] = n_alts
    first_start[ord("x") + 1:] = 2 * n_alts
    tables = np.zeros((n_alts, 256), dtype=np.uint8)
    for a in range(n_alts):
        tables[a, 65 + a % 26] = 1
    return {"first_start": first_start, "first_alts": np.array(first_alts, dtype=np.int32),
            "alt_cons": np.arange(n_alts + 1, dtype=np.int32),
            "cons_off": np.array([offsets[a % len(offsets)] for a in range(n_alts)], dtype=np.int32),
            "cons_tab": np.arange(n_alts, dtype=np.int32), "tables": tables,
            "table_high": (np.arange(n_alts) % 3 == 0).astype(np.uint8),
            "high_first": np.array([0x416], dtype=np.uint32), "any_high_first": False}


@pytest.mark.parametrize("n_alts, offsets", [(3, [1]), (64, [-2, -1, 1, 2, 3]), (65, [1, 2]),
                                             (20, list(range(-5, 0)) + list(range(1, 5))), (30, [-9, 7])])
def test_scanner_bit_sets_and_their_limits(n_alts: int, offsets: list[int]) -> None:
    """The bit-set test where the conditions fit it (64, 8 offsets) and the loop where not."""
    kernel = needs(MT_KERNEL)
    tables = _synthetic_tables(n_alts, offsets)
    scanner = kernel.StartScanner(**tables)
    rng = random.Random(n_alts)
    pool = list(".x.x ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["\u0416", "\U0001f600", "a", "\u0100"]
    for text in _scan_texts(rng, pool):
        assert _asked_by(scanner, text) == _reference_asked(tables, text), text


def test_skip_ranges_hold_no_start() -> None:
    kernel = needs(MT_KERNEL)
    tables = mt.rx_starts.scanner_tables(mt.rx_starts.start_conditions(mt.COMBINED))
    fs = tables["first_start"]
    starts_with = [fs[c] != fs[c + 1] for c in range(256)]
    ranges = skip_ranges([not s for s in starts_with], kernel.SKIP_ANCHORS, kernel.MAX_SKIP_RANGES)
    assert 1 <= len(ranges) <= kernel.MAX_SKIP_RANGES
    for lo, hi in ranges:
        assert 1 <= lo <= hi <= 254 and not any(starts_with[lo: hi + 1])
    assert skip_ranges([True] * 256, " e0A", 4) == [(1, 254)]
    assert skip_ranges([False] * 256, " e0A", 4) == []
    assert skip_ranges([c not in b"e0" for c in range(256)], " e0A", 2) == [(1, 47), (49, 100)]


def test_prescreen_on_each_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """``mt._prescreen`` with the kernel and without, on texts of each str kind."""
    needs(MT_KERNEL)
    from conftest import with_and_without
    from test_ext_mt import FRAGMENTS, PATTERN_CHARS

    rng = random.Random(29)
    pool = PATTERN_CHARS + EDGE_CHARS + list("abcdeUSRTKNEAxyz") + FRAGMENTS
    for text in _scan_texts(rng, pool):
        got, want = with_and_without(mt._prescreen, monkeypatch, [(mt, "_MT_EXT")], text, None)
        assert got == want, text


def test_prescreen_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(MT_KERNEL)
    from conftest import with_and_without

    pages = bench_pages(400)
    for i in range(0, len(pages), 40):
        text = "\n".join(b.text for p in pages[i: i + 40] for b in segment_text(p.text))
        for t in (text, text + "\U0001f600", text.encode("latin-1", "replace").decode("latin-1")):
            got, want = with_and_without(mt._prescreen, monkeypatch, [(mt, "_MT_EXT")], t, None)
            assert got == want


# ---------------------------------------------------------------------------------------------
# Pass 1 of the n-gram kernel skips 16 code points at a time (SSE2) where none can be a mark.
# ---------------------------------------------------------------------------------------------
def test_ngram_skip_ranges_hold_no_mark() -> None:
    kernel = needs(SOFT_KERNEL)
    quiet = [mt_soft._CLASS[c] < mt_soft._APOS for c in range(256)]
    ranges = skip_ranges(quiet, kernel.SKIP_ANCHORS, kernel.MAX_SKIP_RANGES)
    assert 1 <= len(ranges) <= kernel.MAX_SKIP_RANGES
    for lo, hi in ranges:
        assert 1 <= lo <= hi <= 254 and all(quiet[lo: hi + 1])


@pytest.mark.parametrize("seed", range(3))
def test_ngrams_around_the_skip_test(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of every length around 16, marks and edge code points at every offset."""
    needs(SOFT_KERNEL)
    from test_ext_mtsoft import AWKWARD, _check

    rng = random.Random(seed)
    pool = list(AWKWARD) + EDGE_CHARS + list("abcxyz   0123.,'-\"") + ["\u00ab", "\u00bb", "\u00aa", "\u00ac"]
    ran = 0
    for _ in range(20):
        texts = ["".join(rng.choice(pool) for _ in range(rng.choice((0, 1, 5, 15, 16, 17, 33, 64, 200))))
                 for _ in range(rng.choice((1, 3, 9)))]
        ran += _check(texts, monkeypatch)
    assert ran >= 10
