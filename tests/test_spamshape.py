"""The text-7 spam-shape columns (features.spamshape, SHAPE_PATTERNS in features.spam_lexicon)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from features.extract import extract_batch
from features.spam_lexicon import SHAPE_LEADS, SHAPE_PATTERNS
from features.spamshape import SPAMSHAPE_NAMES, link_counts, registered_domain, spamshape_columns
from features.text_schema import TEXT6_FEATURE_NAMES, TEXT7_FEATURE_NAMES, text_matrix

COL = {n: i for i, n in enumerate(SPAMSHAPE_NAMES)}
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

# (text, columns expected to fire) - written for these tests, none of them from a corpus.
CASES = [
    ("Hey guys, check out my new cover", {"shape_ask_own", "shape_ask_all"}),
    ("you should all go listen to our band", {"shape_ask_own"}),
    ("Everyone who reads this: please help me reach my goal, it would mean a lot", {"shape_ask_all",
                                                                                  "shape_ask_plead"}),
    ("3 billion views and who's still watching in 2016?", {"shape_host_talk"}),
    ("my shop: supercheapdeals.net/offers?id=12", {"link_promo_path", "link_bare"}),
    ("short one: zq.ly/a8Kd2", {"link_short", "link_promo_path", "link_bare"}),
    ("visit coolgamez . com for more", {"link_spaced"}),
    ("or try coolgamez dot com", {"link_spaced"}),
    ("watch?v=AbCdEfGh123 look", {"link_video"}),
    ("https://www.youtube.com/user/someone", {"link_video"}),
    ("source: https://en.wikipedia.org/wiki/Bridge and www.bbc.co.uk/news/uk-1", {"link_reference"}),
    ("the data is at https://www.census.gov/data/tables.html", {"link_reference"}),
]
# Prose that must fire no link column: abbreviations, a missing space after a full stop, numbers.
NO_LINKS = [
    "The U.S. and the U.K. signed it at 3 p.m. on Friday, e.g. in London.",
    "It ended.The minister said 3.5 per cent, i.e. less than forecast.",
    "Version 2.10 was released on 12.03.2014 by Dr.Smith",
]


@pytest.mark.parametrize("text,expected", CASES)
def test_columns_fire(text: str, expected: set[str]) -> None:
    row = spamshape_columns([text])[0]
    fired = {n for n, v in zip(SPAMSHAPE_NAMES, row) if v > 0}
    assert fired == expected, (text, fired)


def test_prose_fires_no_link() -> None:
    X = spamshape_columns(NO_LINKS)
    links = [COL[n] for n in SPAMSHAPE_NAMES if n.startswith("link_")]
    assert not X[:, links].any(), X[:, links]


def test_counts_per_block_and_log_scale() -> None:
    X = spamshape_columns(["a.xy/abc1 and b.xy/def2", "nothing here", "help me, help me"])
    assert X[0, COL["link_short"]] == pytest.approx(np.log1p(2))
    assert not X[1].any()
    assert X[2, COL["shape_ask_plead"]] == pytest.approx(np.log1p(2))


def test_registered_domain() -> None:
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("en.m.wikipedia.org") == "wikipedia.org"
    assert registered_domain("bit.ly") == "bit.ly"


def test_empty_multiline_and_reused_bytes() -> None:
    assert spamshape_columns([]).shape == (0, len(SPAMSHAPE_NAMES))
    X = spamshape_columns(["", "a block\nwith help me in it", ""])
    assert X[1, COL["shape_ask_plead"]] > 0 and not X[[0, 2]].any()
    texts = ["Hey guys check my channel bit.ly/abc12", "Plain news line.", "www.example.com/a?b=c"]
    pf, _ = extract_batch([texts])
    np.testing.assert_array_equal(spamshape_columns(texts, low_utf8=pf.low_utf8), spamshape_columns(texts))


@pytest.mark.parametrize("texts", [[""], ["ab"], ["", ""], ["a.b"]])
@pytest.mark.parametrize("schema", ["text-7", "text-8"])
def test_tiny_batches(texts: list[str], schema: str) -> None:
    """A batch of under four bytes (one empty block: a page built by hand) has the schema's
    width (text-7 once crashed there: the short-input return kept text-8's link columns)."""
    for kinds in (6, 7):
        assert link_counts("\n".join(texts).encode(), np.zeros(1, dtype=np.int64), len(texts), kinds).shape == \
            (len(texts), kinds)
    pf, offsets = extract_batch([texts])
    X = text_matrix(pf.X, texts, offsets[:-1], schema)
    assert X.shape[0] == len(texts) and np.isfinite(X).all()


def test_text7_matrix_appends_the_shape_columns() -> None:
    pages = [["Breaking: the bridge is closed.", "check out my channel zq.ly/a8Kd2"], ["Another page", "help me"]]
    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    X7 = text_matrix(pf.X, texts, offsets[:-1], "text-7")
    X6 = text_matrix(pf.X, texts, offsets[:-1], "text-6")
    assert X7.shape == (4, len(TEXT7_FEATURE_NAMES))
    assert np.array_equal(X7[:, : len(TEXT6_FEATURE_NAMES)], X6)
    assert np.array_equal(X7[:, len(TEXT6_FEATURE_NAMES):], spamshape_columns(texts))


def _full_scan(texts: list[str]) -> np.ndarray:
    """Every shape family's pattern run over the whole text (the slow reference)."""
    data = "\n".join(texts).lower().encode("utf-8", "surrogatepass")
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1))
    out = np.zeros((len(texts), len(SHAPE_PATTERNS)), dtype=np.float32)
    for j, pats in enumerate(SHAPE_PATTERNS.values()):
        rx = re.compile("|".join(f"(?:{p})" for p in pats).encode("utf-8"))
        for m in rx.finditer(data):
            out[np.searchsorted(starts, m.start(), side="right") - 1, j] += 1
    return out


def test_gated_scan_equals_a_full_scan() -> None:
    rng = random.Random(5)
    frags = sorted({w for ws in SHAPE_LEADS.values() for w in ws})
    frags += ["out", "my", "our", "should", "all", "guys", "there", "everyone", "who", "reads", "me", "a lot",
              "mean", "to", "appreciate", "views", "'s", "still", "watching", "the", "this", "need", "your", "2",
              "for", "watching", "advance", ",", "really", "at", "it"]
    texts = [t for t, _ in CASES] + NO_LINKS
    for _ in range(3000):
        texts.append(rng.choice([" ", " ", ""]).join(rng.choice(frags) for _ in range(rng.randint(1, 10))))
    X = spamshape_columns(texts)
    ref = _full_scan(texts)
    assert np.array_equal(X[:, : ref.shape[1]], np.log1p(ref))
    assert (ref > 0).sum(axis=0).min() > 0 and ref.sum() > 200  # every family is exercised


def test_link_counts_match_a_token_scan() -> None:
    """The numpy-gated link finder counts what matching every whitespace token would."""
    from features.spamshape import _K, LINK_KINDS8, URL_RX, link_kinds

    rng = random.Random(3)
    parts = ["www.", "http://", "https://", "bit", "ly", "example", "com", "co", "uk", "bbc", "wikipedia", "org",
             ".", "/", "?id=3", "abc12", "youtube", "e.g.", "u.s.", "end.the", "x", "-", "(", ")", "gov"]
    texts = ["".join(rng.choice(parts) for _ in range(rng.randint(1, 8))) + " " + rng.choice(parts)
             for _ in range(2000)]
    data = "\n".join(texts).lower().encode()
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1))
    got = link_counts(data, starts, len(texts), len(LINK_KINDS8))
    want = np.zeros_like(got)
    for i, t in enumerate(texts):
        for tok in t.lower().encode().split():
            m = URL_RX.match(tok)
            if m is None or not re.search(rb"[a-z0-9]\.[a-z]{2}", tok):
                continue
            for kind in link_kinds(m.group(1) is not None, m.group(2) is not None, m.group(3).decode(),
                                   m.group(4).decode(), (m.group(5) or b"").decode()):
                want[i, _K[kind]] += 1
        want[i, _K["video"]] += len(re.findall(rb"(?<!/)watch\?v=", t.lower().encode()))
        want[i, _K["spaced"]] += 0  # no spelled-out domains among these parts
    np.testing.assert_array_equal(got, want)
    assert want.sum() > 50


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora absent")
def test_youtube_spam_carries_more_shape_than_ham() -> None:
    """On the real YouTube comments, spam fires the spam-shape columns far more often than ham,
    and ham talks about the host video more often than spam."""
    from training import corpora

    rows = [r for v in corpora.read_youtube(CORPORA / "youtube_spam").values() for r in v]
    X = spamshape_columns([t for t, _ in rows])
    spam = np.array([s for _, s in rows])
    spammy = [COL[n] for n in ("shape_ask_own", "shape_ask_all", "link_promo_path", "link_bare", "link_short")]
    fires = (X[:, spammy] > 0).any(axis=1)
    assert fires[spam].mean() > 3 * fires[~spam].mean()
    host = X[:, COL["shape_host_talk"]] > 0
    assert host[~spam].mean() > host[spam].mean()
