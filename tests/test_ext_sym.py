"""Session 20's changes to the compiled ``symbol_ngrams`` and ``block_logits`` (features/_mt_soft_ext.pyx).

The kernel now reads word endings from a two-level table (``mt_soft._suffix_levels``) instead
of the 1 MB ``_SUFFIX_TABLE``, finds the odd apostrophes that join two tokens in its first pass,
keeps each block's counts in registers until the block ends, and ``block_logits`` takes the
n-gram counts from the pass that sums the weights (``gather_bincount_counts``). Each of those
has its own edge cases, checked here against the numpy form (tests/test_ext_mtsoft.py holds the
general cases): every entry of the ending table, words ending in every ending, odd joins in
runs and at the edges of blocks and text, blocks without words between blocks with words,
blocks that do not ascend, and real pages.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_mtsoft import KERNEL, _check

from features import mt_soft
from features.extract import extract
from features.mt_soft_data import FUNCTION_WORDS, SUFFIX_CLASSES
from features.segment import segment_text

ENDINGS = [e for _, es in SUFFIX_CLASSES for e in es]


def test_suffix_levels_equal_the_table() -> None:
    """Every one of the 27**4 entries of ``_SUFFIX_TABLE``, read through the two levels."""
    first, rest = mt_soft._suffix_levels()
    L, span, last = mt_soft._LETTERS, mt_soft._SUFFIX_SPAN, mt_soft._SUFFIX_LAST
    code = np.arange(L ** span)
    head, tail = code // L ** last, code % L ** last
    np.testing.assert_array_equal(rest[first[tail] + head], mt_soft._SUFFIX_TABLE)
    assert first.dtype == np.int32 and rest.dtype == np.int16
    assert rest.nbytes < 64 * 1024  # the point: small enough for the L1/L2 cache


def test_every_ending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words ending in every ending, after letters, digits, non-ASCII letters and capitals
    (which are no candidates), long and at the minimum length, at the text's start and end."""
    rng = random.Random(1)
    fronts = ["", "a", "st", "xyz", "qu", "\u00e9", "9", "\u00df\u00df", "\U0001d518", "N", "re"]
    words = [f + e for e in ENDINGS for f in fronts]
    words += [e[1:] for e in ENDINGS] + [e + "x" for e in ENDINGS] + ["\u00e9tion", "\u0131ng", "ABLE", "Nation"]
    assert _check([" ".join(words)], monkeypatch) == 1
    for _ in range(20):
        texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 6))]
        assert _check(texts, monkeypatch) == 1
    assert _check(["tion"], monkeypatch) == 1  # a candidate at the very start of the text
    assert _check(["ness", "ly ity"], monkeypatch) == 1


@pytest.mark.parametrize("texts", [
    ["a`b`c`d`e"], ["`a`b`"], ["a``b"], ["a` b"], ["a `b"], ["x`", "`y"], ["x`", "y"], ["$`a a`$ b`$c"],
    ["it`s it`s it\u00b4s 5\u203211 a\u02bcb"], ["a`b\u2019c'd`e"], ["don`t", "won`t", "can`t"],
    ["", "a`b", "", "c`d", ""], ["a`b" * 300], ["\u00e9`\U0001d518 \u0660`\u0661"],
], ids=lambda t: repr(t)[:30])
def test_odd_joins(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens merged over apostrophe-class marks other than ' and U+2019 (found in pass 1 now):
    in runs, doubled, next to spaces, newlines and "$" tokens, at the text's edges."""
    assert _check(texts, monkeypatch, variants=True) == 3


@pytest.mark.parametrize("texts", [
    ["...", "the cat", "!!", "", "a b c", "?"], ["", "", "one"], ["one", "", ""], ["x"] * 50,
    [". the", "end .", "? ! ,"], ["the of and", "$ $", "to in"], ["word. Word! word? word"],
], ids=lambda t: repr(t)[:30])
def test_block_counts_and_pairs(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks without words (marks only, "$" only, empty) between blocks with words: each
    block's word and function-word counts, and pairs at sentence ends and block edges."""
    assert _check(texts, monkeypatch, variants=True) == 3


def test_function_word_counts_are_floats(monkeypatch: pytest.MonkeyPatch) -> None:
    """The function-word counts are integers in float64 (numpy sums 1.0s): many words in one
    block, and none at all (numpy then answers with integers)."""
    text = " ".join(FUNCTION_WORDS[i % 40] for i in range(5000))
    assert _check([text, "", "x"], monkeypatch) == 1
    assert _check([".", "", "!"], monkeypatch) == 1


def test_gather_bincount_counts_equals_numpy() -> None:
    """Sums with numpy's bits (mixed magnitudes, so the order of the additions shows), counts
    as np.bincount, and whether the blocks ascend: sorted, shuffled, revisited, empty."""
    kernel = needs(KERNEL)
    rng = np.random.default_rng(4)
    weights = rng.normal(size=300) * 10.0 ** rng.integers(-8, 8, size=300)
    cases = [np.zeros(0, dtype=np.int64), np.array([0]), np.array([2, 2, 2]), np.array([3, 1, 3, 1, 0, 3]),
             np.sort(rng.integers(0, 40, size=5000)), rng.integers(0, 40, size=5000),
             np.repeat([5, 2, 5, 7, 2], 50), np.arange(40)[::-1]]
    for block in cases:
        block = block.astype(np.int64)
        n = 41 if len(block) > 3 else 8
        index = rng.integers(0, len(weights), size=len(block)).astype(np.int64)
        sums, counts, ascending = kernel.gather_bincount_counts(block, index, weights, n)
        want = np.bincount(block, weights=weights[index], minlength=n)
        assert sums.dtype == want.dtype and sums.shape == want.shape
        np.testing.assert_array_equal(sums.view(np.uint64) if len(block) else sums,
                                      want.view(np.uint64) if len(block) else want)
        want_counts = np.bincount(block, minlength=n)
        assert counts.dtype == want_counts.dtype
        np.testing.assert_array_equal(counts, want_counts)
        assert ascending == bool(np.all(np.diff(block) >= 0))
        np.testing.assert_array_equal(kernel.gather_bincount(block, index, weights, n), sums)
    for block, index in (([0, 9], [0, 0]), ([-1], [0]), ([0, 1], [0, 300])):
        with pytest.raises(ValueError):
            kernel.gather_bincount_counts(np.array(block, dtype=np.int64), np.array(index, dtype=np.int64),
                                          weights, 5)


def test_block_logits_with_blocks_out_of_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """N-grams whose blocks do not ascend (not symbol_ngrams's): the counts then come from
    ``ngram_counts`` as in the numpy form, and the logits keep their bits."""
    needs(KERNEL)
    model = mt_soft.load_soft_model()
    texts = ["The minister said on Monday that it would not change.", "A list, of names", "", "and so on."]
    ng = mt_soft.symbol_ngrams(texts, extract(texts).tokens)
    rng = np.random.default_rng(0)
    for perm_uni, perm_pair in ((True, False), (False, True), (True, True)):
        u = rng.permutation(len(ng.uni)) if perm_uni else np.arange(len(ng.uni))
        p = rng.permutation(len(ng.pair)) if perm_pair else np.arange(len(ng.pair))
        odd = mt_soft.Ngrams(ng.uni[u], ng.uni_block[u], ng.pair[p], ng.pair_block[p], ng.words, ng.function_words)
        got = model.block_logits(odd, len(texts))
        monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
        want = model.block_logits(odd, len(texts))
        monkeypatch.undo()
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


def test_soft_scores_on_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """``soft_scores`` with the kernels and without, on real pages, every float's bits."""
    needs(KERNEL)
    pages = bench_pages(300)
    for i in range(0, len(pages), 60):
        blocks = [(j, b.text) for j, p in enumerate(pages[i: i + 60]) for b in segment_text(p.text)]
        if not blocks:
            continue
        texts = [t for _, t in blocks]
        page = np.array([j for j, _ in blocks], dtype=np.int64)
        tokens = extract(texts).tokens
        got = mt_soft.soft_scores(texts, page, 60, tokens=tokens)
        monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
        want = mt_soft.soft_scores(texts, page, 60, tokens=tokens)
        monkeypatch.undo()
        for f in ("block", "page", "page_stat"):
            a, b = getattr(got, f), getattr(want, f)
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))


class _Args:
    """Stands in for the kernel module: keeps the arguments ``_symbol_tables`` passes."""

    def SymbolTables(self, *args):  # noqa: N802 - the kernel's class name
        return list(args)


_SUFFIX_AT = 8  # suffix_first, suffix_rest follow has_freq


@pytest.mark.parametrize("bad", [
    lambda a: a.__setitem__(_SUFFIX_AT, a[_SUFFIX_AT] + np.int32(1)),           # past the end of rest
    lambda a: a.__setitem__(_SUFFIX_AT, a[_SUFFIX_AT] - np.int32(1)),           # negative
    lambda a: a.__setitem__(_SUFFIX_AT, a[_SUFFIX_AT][:-1]),                    # first of the wrong size
    lambda a: a.__setitem__(_SUFFIX_AT + 1, a[_SUFFIX_AT + 1][:100]),           # rest too short
    lambda a: a.__setitem__(_SUFFIX_AT + 1, a[_SUFFIX_AT + 1] + np.int16(1000)),  # symbols past V
    lambda a: a.__setitem__(-4, a[-5] + 1),                                      # span_last > span
])
def test_suffix_levels_are_checked(bad) -> None:
    """The kernel reads the two levels unchecked, so it refuses them out of size or range."""
    kernel = needs(KERNEL)
    args = mt_soft._symbol_tables(_Args())
    kernel.SymbolTables(*args)
    bad(args)
    with pytest.raises(ValueError):
        kernel.SymbolTables(*args)
