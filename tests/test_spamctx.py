"""The text model's spam-in-context columns (features.spamctx, features.spam_lexicon)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from features.changepoint import TEXT_FEATURE_NAMES as TEXT5_NAMES
from features.extract import extract_batch
from features.spamctx import SPAMCTX_NAMES, spamctx_columns
from features.text_schema import TEXT6_FEATURE_NAMES, TEXT_FEATURE_NAMES, TEXT_SCHEMAS, text_matrix

COL = {n: i for i, n in enumerate(SPAMCTX_NAMES)}
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

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
    X6 = text_matrix(pf.X, texts, offsets[:-1], "text-6")
    X5 = text_matrix(pf.X, texts, offsets[:-1], "text-5")
    assert X6.shape == (4, len(TEXT6_FEATURE_NAMES)) and X5.shape == (4, len(TEXT5_NAMES))
    assert np.array_equal(X6[:, : len(TEXT5_NAMES)], X5)
    assert np.array_equal(X6[:, len(TEXT5_NAMES):], spamctx_columns(texts, offsets[:-1]))
    assert TEXT_SCHEMAS["text-6"] == TEXT6_FEATURE_NAMES and TEXT_FEATURE_NAMES[: len(X6[0])] == TEXT6_FEATURE_NAMES
    assert len(set(TEXT_FEATURE_NAMES)) == len(TEXT_FEATURE_NAMES)


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


def _full_scan(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every family's pattern and the repeat pattern run over the whole text (the slow reference)."""
    import re

    from features.spamctx import _FAMILY_RX, REPEAT_RUN

    data = "\n".join(texts).lower().encode("utf-8", "surrogatepass")
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1))
    n = len(texts)
    fam = np.zeros((n, len(_FAMILY_RX)), dtype=np.float32)
    for j, rx in enumerate(_FAMILY_RX.values()):
        for m in rx.finditer(data):
            fam[np.searchsorted(starts, m.start(), side="right") - 1, j] += 1
    rep = np.zeros(n, dtype=np.float32)
    for m in re.finditer(rb"([^\s\d])\1{%d,}" % (REPEAT_RUN - 1), data):
        rep[np.searchsorted(starts, m.start(), side="right") - 1] += 1
    return fam, rep


def _fragments() -> list[str]:
    """Pieces of every pattern's vocabulary, glued at random: near-misses and overlaps."""
    from features.spam_lexicon import SPAM_LEAD_CHARS, SPAM_LEAD_PREFIXES, SPAM_LEADS

    words = [w for ws in SPAM_LEADS.values() for w in ws] + [p for ps in SPAM_LEAD_PREFIXES.values() for p in ps]
    words += ["channel", "video", "new", "money", "paid", "up", "me", "4", "100", "$5", "hour", "a", "an", "rapper",
              "ref=", "/join/", ".org", ".ly", "cards", "home", "from", "é", "'", "\u201c", "!!!!", "sooo", "me4",
              "reach", "code", "here", "chance", "the", "this", "comment", "and", "paste", "to", "back", "it"]
    words += list("".join(SPAM_LEAD_CHARS.values()))
    return words


def test_gated_scan_equals_a_full_scan() -> None:
    import random

    rng = random.Random(11)
    frags = _fragments()
    texts = [text for text, _ in SPAM] + HAM
    for _ in range(3000):
        sep = rng.choice([" ", "", " ", "-", "."])
        texts.append(sep.join(rng.choice(frags) for _ in range(rng.randint(1, 12))))
    X = spamctx_columns(texts)
    fam, rep = _full_scan(texts)
    k = fam.shape[1]
    assert np.array_equal(X[:, :k], np.log1p(fam))
    assert np.array_equal(X[:, COL["spam_repeat_runs"]], np.log1p(rep))
    assert fam.sum() > 500 and rep.sum() > 50  # the random texts do exercise the patterns


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora absent")
def test_gated_scan_equals_a_full_scan_on_corpus_text() -> None:
    from training import corpora

    yt = corpora.read_youtube(CORPORA / "youtube_spam")
    texts = [t for rows in yt.values() for t, _ in rows]
    bbc = sorted((CORPORA / "bbc_news").glob("*/*.txt"))[:150]
    texts += [line for f in bbc for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    X = spamctx_columns(texts)
    fam, rep = _full_scan(texts)
    assert np.array_equal(X[:, : fam.shape[1]], np.log1p(fam))
    assert np.array_equal(X[:, COL["spam_repeat_runs"]], np.log1p(rep))


def test_columns_from_the_feature_pass_bytes_equal_their_own() -> None:
    """The feature pass's lower-cased bytes are reused when they are the same blocks; a block
    with a newline of its own makes them differ, and the columns are then built afresh."""
    texts = ["Check out MY channel!!!! http://bit.ly/x", "Sub4sub please", "Plain news line.", "$500 a day"]
    pf, _ = extract_batch([texts])
    assert pf.low_utf8 is not None
    np.testing.assert_array_equal(spamctx_columns(texts, low_utf8=pf.low_utf8), spamctx_columns(texts))
    split = ["Check out MY\nchannel!!!!", "Sub4sub please"]
    wrong = "\n".join(split).lower().encode()  # one newline too many for two blocks
    np.testing.assert_array_equal(spamctx_columns(split, low_utf8=wrong), spamctx_columns(split))
