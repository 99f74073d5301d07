"""Vectorised tokens and hash lookups give exactly what TOKEN_RX.findall and a dict give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.extract import TOKEN_RX
from features.tokens import HashVocab, tokenize

HARD = [
    "don't can''t rock'n'roll \u2019tis it\u2019s 'quoted' words'",
    "$$$ $5 1234567 \u0661\u0662\u0663 \u00b2\u00b3 2012 007",
    "under_score __init__ a_b",
    "\u03c3\u03b1\u03c2 stra\u00dfe i\u0307stanbul \U0001d400\U0001d401 \U0001f600",
    "line one\nline two\n\nx",
    "",
    "\n",
    "a",
]


def _as_strings(text: str) -> list[str]:
    tb = tokenize(text)
    return [text[s:e] for s, e in zip(tb.starts.tolist(), tb.ends.tolist())]


@pytest.mark.parametrize("text", HARD)
def test_tokens_match_the_regex(text: str) -> None:
    assert _as_strings(text) == TOKEN_RX.findall(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1_ '\u2019$\n.\u00e9\u0661\u00b2-")), max_size=40))
def test_tokens_match_the_regex_on_random_text(text: str) -> None:
    assert _as_strings(text) == TOKEN_RX.findall(text)
    tb = tokenize(text)
    assert tb.digits.tolist() == [t.isdigit() for t in TOKEN_RX.findall(text)]
    assert tb.newline.tolist() == [t == "\n" for t in TOKEN_RX.findall(text)]


def test_hash_lookup_equals_dict_lookup() -> None:
    text = " ".join(HARD) + " the cat sat on the mat, and the dog didn't"
    words = ["the", "cat", "didn't", "$", "\n", "2012", "stra\u00dfe", "absent", "\U0001d400\U0001d401"]
    table = HashVocab(words)
    tb = tokenize(text)
    got = table.lookup(tb.hashes).tolist()
    want = [words.index(t) + 1 if t in words else 0 for t in TOKEN_RX.findall(text)]
    assert got == want


def test_many_words_all_found_and_strangers_not() -> None:
    words = [f"w{i}x" for i in range(5000)]
    table = HashVocab(words)
    tb = tokenize(" ".join(words + ["stranger", "w5000x"]))
    rows = table.lookup(tb.hashes)
    assert rows[:5000].tolist() == list(range(1, 5001))
    assert rows[5000:].tolist() == [0, 0]


def test_duplicate_words_keep_the_first_row() -> None:
    table = HashVocab(["a", "b", "a"])
    assert table.lookup(tokenize("a b").hashes).tolist() == [1, 2]


def test_empty_vocabulary_and_empty_word() -> None:
    assert HashVocab([]).lookup(tokenize("x y").hashes).tolist() == [0, 0]
    with pytest.raises(ValueError):
        HashVocab(["ok", ""])


def test_hashes_are_position_independent() -> None:
    a, b = tokenize("cat"), tokenize("the black cat")
    assert a.hashes[0] == b.hashes[2]
    assert np.unique(tokenize("ab ba aab abb").hashes).size == 4
