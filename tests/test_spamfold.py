"""Schema text-8: the link_other column and look-alike folding (features.spamfold)."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from features.extract import extract_batch
from features.spamctx import block_layout, word_spans
from features.spamfold import blocks_to_fold, folded_layout
from features.spamshape import SPAMSHAPE8_NAMES, SPAMSHAPE_NAMES, spamshape_columns
from features.text_schema import (
    TEXT7_FEATURE_NAMES,
    TEXT8_FEATURE_NAMES,
    TEXT8_SCHEMA_VERSION,
    TEXT_SCHEMAS,
    text_matrix,
)

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
OTHER = len(SPAMSHAPE_NAMES)  # link_other's index in spamshape_columns(..., text8=True)


def _spell(text: str, a: int) -> str:
    """``text``'s lower-case letters from the look-alike alphabet whose "a" is code point ``a``."""
    return "".join(chr(a + ord(c) - 97) if "a" <= c <= "z" else c for c in text)


# Look-alike spellings of ASCII (written for these tests): full-width, mathematical bold, circled.
FULL_WIDTH = "ｃｈｅｃｋ ｏｕｔ ｍｙ ｃｈａｎｎｅｌ ｈｔｔｐ://ｗｗｗ.ｅｘａｍｐｌｅ.ｃｏｍ"
MATH_BOLD = _spell("check out my channel", 0x1D41A)
CIRCLED = _spell("please subscribe to my channel", 0x24D0)
# A range that NFKC also folds but that is not a look-alike range here (superscript two).
UNLISTED = "x\u00b2 and the ellipsis \u2026 stay as they are"


def _row(text: str) -> np.ndarray:
    return spamshape_columns([text], text8=True)[0]


@pytest.mark.parametrize("text", [
    "Check out my site www.quick-cash-easy.biz",  # the bundled example's spam comment
    "great deals at http://cheap-watches.net",
    "my shop: supercheapdeals.net/offers?id=12",
])
def test_link_other_counts_promotional_hosts(text: str) -> None:
    assert _row(text)[OTHER] == pytest.approx(np.log1p(1))


@pytest.mark.parametrize("text", [
    "source: https://en.wikipedia.org/wiki/Bridge",
    "https://www.youtube.com/user/someone",
    "The U.S. and the U.K. signed it at 3 p.m. on Friday, e.g. in London.",
    "It ended.The minister said 3.5 per cent.",
])
def test_link_other_ignores_references_videos_and_prose(text: str) -> None:
    assert _row(text)[OTHER] == 0


def test_text8_shape_columns_extend_text7() -> None:
    texts = ["Check out my site www.quick-cash-easy.biz and zq.ly/a8Kd2", "help me", ""]
    X7 = spamshape_columns(texts)
    X8 = spamshape_columns(texts, text8=True)
    assert X8.shape == (3, len(SPAMSHAPE_NAMES) + len(SPAMSHAPE8_NAMES))
    np.testing.assert_array_equal(X8[:, :OTHER], X7)
    assert X8[0, OTHER] == pytest.approx(np.log1p(2)) and not X8[1:, OTHER].any()


def _reference_blocks(texts: list[str]) -> list[int]:
    rx = re.compile("[\uff00-\uff7f\U0001d400-\U0001d7ff\u2440-\u24ff\u3000-\u303f]")
    return [i for i, t in enumerate(texts) if rx.search(t.lower())]


def test_blocks_to_fold_matches_a_character_scan() -> None:
    rng = random.Random(11)
    pool = list("abc .:/") + ["\uff41", "\uff0e", "\U0001d41c", "\U0001d100", "\u24d1", "\u2019", "\u2026",
                              "\u00e9", "\u3000", "\u4e2d", "\u00b2", "\U0001f600", "\ufffd"]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    data, starts, _ = block_layout(texts)
    got = blocks_to_fold(data, starts).tolist()
    assert got == _reference_blocks(texts)
    assert 100 < len(got) < 2900  # both kinds of block are exercised


def test_folding_lets_the_patterns_read_look_alikes() -> None:
    texts = [FULL_WIDTH, MATH_BOLD, CIRCLED, UNLISTED, "plain words"]
    layout = block_layout(texts)
    layout = (layout[0], layout[1], word_spans(np.frombuffer(layout[0], dtype=np.uint8)))
    (data, starts, spans), folded = folded_layout(texts, layout)
    assert folded is not None
    assert folded[:3] == [unicodedata.normalize("NFKC", t) for t in texts[:3]]
    assert folded[3:] == texts[3:]  # blocks without look-alikes are left as they are
    assert spans is not None and data == block_layout(folded)[0]
    assert b"check out my channel http://www.example.com" in data
    # With folding (text-8) the spam columns fire on the look-alike blocks; text-7 sees nothing.
    pages = [texts]
    pf, offsets = extract_batch(pages)
    X7 = text_matrix(pf.X, texts, offsets[:-1], "text-7", pf.low_utf8)
    X8 = text_matrix(pf.X, texts, offsets[:-1], TEXT8_SCHEMA_VERSION, pf.low_utf8)
    spam_cols = [i for i, n in enumerate(TEXT8_FEATURE_NAMES) if n.startswith(("spam_", "shape_ask", "link_"))]
    assert (X8[:3, spam_cols] > 0).any(axis=1).all()
    assert not (X7[:3, [i for i in spam_cols if i < X7.shape[1]]] > 0).any()
    np.testing.assert_array_equal(X8[3:, : X7.shape[1]], X7[3:])


def test_no_look_alike_no_rebuild() -> None:
    texts = ["ordinary text", "caf\u00e9 \u2019quoted\u2019 \u2026"]
    layout = block_layout(texts)
    out, folded = folded_layout(texts, layout)
    assert folded is None and out is layout


def test_text8_schema() -> None:
    assert TEXT8_SCHEMA_VERSION == "text-8" and TEXT_SCHEMAS["text-8"] == TEXT8_FEATURE_NAMES
    assert TEXT8_FEATURE_NAMES == TEXT7_FEATURE_NAMES + SPAMSHAPE8_NAMES
    assert len(set(TEXT8_FEATURE_NAMES)) == len(TEXT8_FEATURE_NAMES)
    pages = [["Breaking: the bridge is closed.", "Check out my site www.quick-cash-easy.biz"], ["Another page"]]
    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    X8 = text_matrix(pf.X, texts, offsets[:-1], "text-8")
    X7 = text_matrix(pf.X, texts, offsets[:-1], "text-7")
    np.testing.assert_array_equal(X8[:, :-1], X7)  # no look-alikes: text-7's columns unchanged
    assert X8[:, -1].tolist() == [0, pytest.approx(np.log1p(1)), 0]


@pytest.mark.skipif(not (CORPORA / "sms_spam").is_dir(), reason="../shared/corpora absent")
def test_sms_threads_in_the_training_mix() -> None:
    """text-8's training mix inserts SMS spam and ham into real threads, as their own kind."""
    from training.dataset import load_pages as load
    from training.dataset import page_kind

    base = load(CORPORA, ("trimmed",), bbc_pages=0, cleaneval=False, spam_videos=(), max_dragnet=40)
    pages = load(CORPORA, ("trimmed",), bbc_pages=0, cleaneval=False, spam_videos=(), max_dragnet=40,
                 sms_rounds=1)
    sms = [p for p in pages if page_kind(p) == "dragnet/trimmed+sms"]
    assert len(pages) == len(base) + len(sms) and sms
    assert all("spam" in p.labels for p in sms)
    assert all(page_kind(p) == "dragnet/trimmed" for p in base)
