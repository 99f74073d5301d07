"""The text model's spam-in-context columns (features.spamctx, features.spam_lexicon)."""

from __future__ import annotations

import numpy as np
import pytest

from features.changepoint import TEXT_FEATURE_NAMES as TEXT5_NAMES
from features.extract import extract_batch
from features.spamctx import SPAMCTX_NAMES, spamctx_columns
from features.text_schema import TEXT_FEATURE_NAMES, TEXT_SCHEMAS, text_matrix

COL = {n: i for i, n in enumerate(SPAMCTX_NAMES)}

# (text, family expected to fire) - spam of the kinds the lexicon describes, none of them from a corpus.
SPAM = [
    ("Hey everyone, check out my new channel, I do gaming videos", "promo_self"),
    ("I'm an upcoming rapper, please give my mixtape a listen", "promo_self"),
    ("come and watch my stream tonight", "promo_self"),
    ("If I reach 500 subscribers I will shave my head", "promo_growth"),
    ("sub4sub anyone? I subscribe back to everyone", "promo_growth"),
    ("thumbs up so everyone sees this", "promo_growth"),
    ("You get paid for sharing and liking posts, join free", "promo_money"),
    ("Earn $90 per hour working from home, ask me how", "promo_money"),
    ("Win free gift cards here", "promo_money"),
    ("help my cousin: gofundme.com/abc123", "promo_link"),
    ("http://example.net/game?ref=99812 great game", "promo_link"),
]
# News prose and ordinary replies that share words with the patterns but are not spam.
HAM = [
    "People like me have been saying this for years.",
    "I made a point of reading the whole report before commenting.",
    "The company said its new brand would launch in March, according to a statement.",
    "Subsidies for the channel tunnel were cut, the minister told reporters.",
    "My father worked at the plant for thirty years and never saw a pay rise.",
    "You can read the full ruling on the court's website.",
]


def _cols(texts: list[str]) -> np.ndarray:
    return spamctx_columns(texts, np.array([0]))


@pytest.mark.parametrize("text,family", SPAM)
def test_spam_families_fire(text: str, family: str) -> None:
    row = _cols([text])[0]
    assert row[COL[f"spam_{family}"]] > 0, (text, dict(zip(SPAMCTX_NAMES, row)))


def test_ham_fires_no_family() -> None:
    X = _cols(HAM)
    fams = [COL[n] for n in SPAMCTX_NAMES if n.startswith("spam_promo_")]
    hits = [(t, [SPAMCTX_NAMES[j] for j in fams if X[i, j] > 0]) for i, t in enumerate(HAM)]
    assert all(not h for _, h in hits), hits


def test_repeat_runs() -> None:
    X = _cols(["Sooooo good!!!!", "So good!", "call 555-0000 now", "<3<3<3<3"])
    assert X[0, COL["spam_repeat_runs"]] == pytest.approx(np.log1p(2))
    assert X[1:, COL["spam_repeat_runs"]].tolist() == [0, 0, 0]


def test_text_matrix_schemas() -> None:
    pages = [["Breaking: the bridge is closed.", "check out my channel!!!!"], ["Another page", "sub me"]]
    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    X6 = text_matrix(pf.X, texts, offsets[:-1])
    X5 = text_matrix(pf.X, texts, offsets[:-1], "text-5")
    assert X6.shape == (4, len(TEXT_FEATURE_NAMES)) and X5.shape == (4, len(TEXT5_NAMES))
    assert np.array_equal(X6[:, : len(TEXT5_NAMES)], X5)
    assert np.array_equal(X6[:, len(TEXT5_NAMES):], spamctx_columns(texts, offsets[:-1]))
    assert TEXT_SCHEMAS["text-6"] == TEXT_FEATURE_NAMES and len(set(TEXT_FEATURE_NAMES)) == len(TEXT_FEATURE_NAMES)


def test_empty_and_multiline_blocks() -> None:
    assert spamctx_columns([], np.zeros(0, dtype=np.int64)).shape == (0, len(SPAMCTX_NAMES))
    X = spamctx_columns(["", "a block\nwith a newline subscribers", ""], np.array([0]))
    assert X.shape == (3, len(SPAMCTX_NAMES)) and X[1, COL["spam_promo_growth"]] > 0
    assert not X[[0, 2]].any()


def test_pooled_column_counts_every_family() -> None:
    X = _cols(["Check out my channel, sub4sub, free gift cards at bit.ly/x", "nothing to see"])
    fams = [COL[n] for n in SPAMCTX_NAMES if n.startswith("spam_promo_") and n != "spam_promo_any"]
    assert X[0, COL["spam_promo_any"]] == pytest.approx(np.log1p(np.expm1(X[0, fams]).sum()))
    assert (X[0, fams] > 0).all() and X[1, COL["spam_promo_any"]] == 0
