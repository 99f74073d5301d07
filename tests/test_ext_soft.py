"""Session 22's change to the soft MT signal's n-gram pass (features/_mt_soft_ext.pyx).

Pass 2 now emits each word as it reads it and looks ahead for the rare word that goes on over
an odd apostrophe ("it`s", "5′11": a mark the tokenizer does not join over) instead of
deferring every word by a token; the buffered weights are summed in one loop for both sums.
These tests aim at what that could break, against the numpy form (the reference), both for
``SymbolTables.ngrams`` (the n-gram arrays) and ``SymbolTables.ngram_sums`` (the per-block
sums, bit for bit): chains of merges, merges at block ends and text ends, an odd apostrophe
before a newline, a "$" token or another mark, words of every length around the merge, and
blocks longer than the kernel's 256-entry weight buffers with few pairs (sentence ends).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_mt2 import _check_sums, _weights
from test_ext_mtsoft import AWKWARD, WORDS, _check

from features import mt_soft
from features.segment import segment_text

KERNEL = "features._mt_soft_ext"
# Apostrophe-class marks the tokenizer does not join words over (the kernel merges over them),
# and the two it does join over.
ODD = ("`", "\u00b4", "\u2032", "\u2018", "\u201b")
JOINED = ("'", "\u2019")
SEPARATORS = ("", " ", "\u2028", "$", ".", ",", "-", "  ", "\u00a0")


def _merge_texts(rng: random.Random, n: int) -> list[str]:
    """Blocks dense in odd apostrophes between words: chains ("a`b`c"), at block starts and
    ends (the next block's word: across the newline that joins them), next to "$", digits,
    joined apostrophes and other marks."""
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.choice((0, 1, 2, 5, 20))):
            word = rng.choice((*WORDS, "a", "I", "x", "don", "t", "s", "5", "11", "$5", "ABC"))
            parts.append(word)
            if rng.random() < 0.5:
                parts.append(rng.choice(ODD))
            elif rng.random() < 0.3:
                parts.append(rng.choice(JOINED))
            else:
                parts.append(rng.choice(SEPARATORS))
        out.append("".join(parts))
    return out


def _both_forms(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``ngrams`` and ``ngram_sums`` each against the numpy form."""
    _check(texts, monkeypatch, variants=True)
    uni_w, pair_w = _weights(np.random.default_rng(len(texts)))
    _check_sums(texts, uni_w, pair_w)


@pytest.mark.parametrize("seed", range(8))
def test_merges_over_odd_apostrophes(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    rng = random.Random(seed)
    texts = _merge_texts(rng, rng.choice((1, 3, 17, 60)))
    _both_forms(texts, monkeypatch)


@pytest.mark.parametrize("texts", [
    ["it`s"], ["`s"], ["it`"], ["`"], ["a`b`c`d"], ["a`b", "c`d"], ["a`", "`b"], ["a`", "b"],
    ["a`$b"], ["a`$"], ["$a`b"], ["a``b"], ["a`'b"], ["a'b`c'd"], ["5\u203211"], ["5\u20321.5"],
    ["don\u2019t`s"], ["x`y z`w", "", "q`"], ["the`the`the", "of`of"], ["I`m", "I`M", "NATO`s"],
    ["nation`nation", "quickly`kindness"], ["a` b", "a `b"], ["\u00b4a\u00b4"], ["a`1", "1`a"],
    ["`" * 5, "a" + "`a" * 300],
])
def test_merge_edge_cases(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    _both_forms(texts, monkeypatch)


@pytest.mark.parametrize("text", [
    " ".join(["word"] * 700),             # one long sentence: as many pairs as symbols, minus one
    ". ".join(["Word"] * 400),            # a sentence end before every word: pairs dropped
    "! ? ".join(["a"] * 300) + " the",    # marks and words mixed
    "`".join(["a"] * 600),                # one merged word
])
def test_long_blocks_past_the_buffers(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    _both_forms([text, "the end", text[:1000]], monkeypatch)


@pytest.mark.parametrize("seed", range(4))
def test_random_awkward_batches(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    rng = random.Random(100 + seed)
    alphabet = AWKWARD + "".join(ODD) + "abcXY"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(40)]
    _both_forms(texts, monkeypatch)


def test_real_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    pages = bench_pages(200)  # (skips when the corpora are absent)
    for i in range(0, len(pages), 40):
        texts = [b.text for p in pages[i: i + 40] for b in segment_text(p.text)]
        _both_forms(texts, monkeypatch)
        # The same blocks with odd apostrophes for the joined ones: many merges in real text.
        _both_forms([t.replace("'", "`").replace("\u2019", "\u2032") for t in texts], monkeypatch)


def test_soft_scores_identical_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    from features.extract import extract

    rng = random.Random(7)
    texts = _merge_texts(rng, 50)
    tokens = extract(texts).tokens
    page = np.repeat(np.arange(5), 10)
    got = mt_soft.soft_scores(texts, page, 5, tokens=tokens)
    monkeypatch.setattr(mt_soft, "_MT_SOFT_EXT", None)
    want = mt_soft.soft_scores(texts, page, 5, tokens=tokens)
    for f in ("block", "page", "page_stat"):
        a, b = getattr(got, f), getattr(want, f)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))


def test_class_table_checked_against_mark_symbols() -> None:
    """``_max_class`` (numpy's max now): a class past the mark-symbol table is refused."""
    kernel = needs(KERNEL)
    good = mt_soft._symbol_tables(kernel)
    assert good is not None
    cls = mt_soft._CLASS.copy()
    cls[ord("~")] = len(mt_soft._MARK_SYMBOL)  # one past the table
    args = list(_table_arguments())
    args[0] = cls
    with pytest.raises(ValueError, match="unexpected sizes"):
        kernel.SymbolTables(*args)


def _table_arguments() -> tuple:
    """``mt_soft._symbol_tables``'s arguments to ``SymbolTables`` (with the two-choice table)."""
    keys, rows, m1, m2, shift = mt_soft._two_choice_table(mt_soft._FREQ_ONE_PROBE)
    return (mt_soft._CLASS, mt_soft._MARK_SYMBOL, keys, rows, m1, m2, shift, True,
            *mt_soft._suffix_levels(), mt_soft._LETTER_OF, mt_soft._SHAPE_OF_BITS,
            mt_soft._SUFFIX_CANDIDATE_BITS.view(np.uint8), mt_soft._ENDS_SENTENCE.view(np.uint8),
            mt_soft._IS_MARK.view(np.uint8), mt_soft._WORD, mt_soft._APOS, mt_soft._FULL_STOP_CLASS,
            mt_soft._COMMA_CLASS, mt_soft._APOSTROPHE, mt_soft._RIGHT_QUOTE, mt_soft._DOLLAR,
            mt_soft.LONG_WORD, max(mt_soft.MIN_SUFFIX_WORD, mt_soft._SUFFIX_SPAN), mt_soft._SUFFIX_SPAN,
            mt_soft._SUFFIX_LAST, mt_soft._LETTERS, mt_soft._ASCII, mt_soft.V)
