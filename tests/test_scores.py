"""Page scores: fractions, dup_fraction, quality and its reasons, monotonicity under added spam."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import scores
from classifier.api import Classifier
from classifier.model import LABELS
from features.extract import duplicate_flags
from features.mt import mt_page_score

ARTICLE = [f"Paragraph {i} of the article reports what the council decided about the bridge budget."
           for i in range(10)]
COMMENTS = [f"Comment {i}: I think the council is wasting our money on this bridge again, honestly."
            for i in range(30)]
SPAM = [f"Check out my channel number {i}, I make ${i + 50} an hour from home! www.spam{i}.tk"
        for i in range(120)]


def _labels(names: list[str]) -> np.ndarray:
    return np.array([LABELS.index(n) for n in names], dtype=np.int64)


def score_page(blocks: list[tuple[str, str]], mt: list[float] | None = None,
               profanity: list[float] | None = None) -> tuple[float, list[str]]:
    """Quality of a page given as (label, text) pairs, with the inputs the Classifier passes."""
    ps = scores.page_scores([t for _, t in blocks], [lab for lab, _ in blocks], mt, profanity)
    return ps.quality, ps.reasons


# --- fractions and dup_fraction -------------------------------------------------------------

def test_fractions_sum_to_one_and_weight_by_characters() -> None:
    frac = scores.fractions(_labels(["editorial", "comment", "spam", "boilerplate", "editorial"]),
                            np.array([30, 40, 10, 10, 10]))
    assert set(frac) == set(LABELS)
    assert sum(frac.values()) == pytest.approx(1.0, abs=1e-3)
    assert frac == {"editorial": 0.4, "comment": 0.4, "spam": 0.1, "boilerplate": 0.1}


def test_fractions_rounded_still_sum_to_one() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(1, 40))
        frac = scores.fractions(rng.integers(0, 4, n), rng.integers(1, 500, n))
        assert sum(frac.values()) == pytest.approx(1.0, abs=1e-3)
        assert all(0.0 <= v <= 1.0 for v in frac.values())


def test_fractions_empty_page() -> None:
    frac = scores.fractions(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert sum(frac.values()) == pytest.approx(1.0)


def test_dup_fraction_of_a_page_holding_its_text_twice() -> None:
    texts = ARTICLE + ARTICLE
    lengths = np.array([len(t) for t in texts])
    assert scores.dup_fraction(duplicate_flags(texts), lengths) == pytest.approx(0.5)


def test_dup_fraction_min_chars_ignores_short_repeats() -> None:
    texts = ["Reply", ARTICLE[0], "Reply", ARTICLE[1], "Reply"]
    lengths = np.array([len(t) for t in texts])
    dup = duplicate_flags(texts)
    assert dup.tolist() == [0, 0, 1, 0, 1]
    assert scores.dup_fraction(dup, lengths) == pytest.approx(10 / lengths.sum())
    assert scores.dup_fraction(dup, lengths, scores.MIN_DUP_CHARS_FOR_QUALITY) == 0.0


def test_dup_fraction_empty() -> None:
    assert scores.dup_fraction(np.zeros(0), np.zeros(0, dtype=np.int64)) == 0.0


# --- quality ---------------------------------------------------------------------------------

def test_clean_long_article_has_full_quality() -> None:
    assert score_page([("editorial", t) for t in ARTICLE]) == (1.0, [])


def test_duplicated_page_reason() -> None:
    q, reasons = score_page([("editorial", t) for t in ARTICLE + ARTICLE])
    assert "duplicated_content" in reasons
    assert q < 0.7


def test_comment_heavy_and_thin_reasons() -> None:
    q, reasons = score_page([("editorial", ARTICLE[0])] + [("comment", t) for t in COMMENTS])
    assert reasons[:1] == ["comment_heavy"] and "thin_content" in reasons
    assert 0.0 <= q < 0.5


def test_autoblog_markers_reason() -> None:
    blocks = [("boilerplate", "Home / Uncategorized / Bridge")] + [("editorial", t) for t in ARTICLE] + \
             [("boilerplate", "Source link"), ("boilerplate", "Leave a Reply")]
    q, reasons = score_page(blocks)
    assert "autoblog_markers" in reasons and q < 1.0


def test_machine_translated_and_profanity_reasons() -> None:
    n = len(ARTICLE)
    _, reasons = score_page([("editorial", t) for t in ARTICLE], mt=[0.9] * n)
    assert "machine_translated" in reasons
    _, reasons = score_page([("editorial", t) for t in ARTICLE], profanity=[1.0] + [0.0] * (n - 1))
    assert reasons == ["profanity"]


def test_reasons_ordered_by_penalty() -> None:
    blocks = [("editorial", t) for t in ARTICLE] + [("spam", t) for t in SPAM[:20]]
    q, reasons = score_page(blocks, mt=[0.3] * len(ARTICLE) + [0.0] * 20)
    assert reasons[0] == "spam"
    assert 0.0 <= q <= 1.0


@pytest.mark.parametrize("base", [
    [("editorial", t) for t in ARTICLE],                                             # clean article
    [("editorial", t) for t in ARTICLE] + [("comment", t) for t in COMMENTS],        # comment-heavy
    [("editorial", t) for t in ARTICLE + ARTICLE],                                   # duplicated
    [("boilerplate", f"Menu item number {i} of the site navigation") for i in range(30)]
    + [("editorial", t) for t in ARTICLE[:3]],                                       # boilerplate-heavy
    [("editorial", t) for t in ARTICLE[:2]] + [("comment", "damn " + t) for t in COMMENTS[:5]],  # profane
])
def test_quality_never_increases_when_spam_is_added(base: list[tuple[str, str]]) -> None:
    """Add distinct spam blocks one at a time (up to 80% of the page): quality never goes up."""
    prof = [1.0 if t.startswith("damn") else 0.0 for _, t in base]
    mt = [0.4 if lab == "editorial" else 0.0 for lab, _ in base]
    q_prev, _ = score_page(base, mt=mt, profanity=prof)
    for k in range(1, len(SPAM) + 1):
        page = base + [("spam", s) for s in SPAM[:k]]
        q, reasons = score_page(page, mt=mt + [0.0] * k, profanity=prof + [0.0] * k)
        assert q <= q_prev, f"quality rose from {q_prev} to {q} after adding spam block {k}"
        if "spam" in reasons:
            assert q < 1.0
        q_prev = q
    assert "spam" in reasons


def test_spam_anywhere_lowers_quality() -> None:
    base = [("editorial", t) for t in ARTICLE] + [("comment", t) for t in COMMENTS]
    q0, _ = score_page(base)
    for pos in (0, 5, len(base)):
        page = base[:pos] + [("spam", s) for s in SPAM[:8]] + base[pos:]
        q, reasons = score_page(page)
        assert q < q0 and "spam" in reasons


_ART = [f"Paragraph {i} of the article reports what the council decided about the bridge budget."
        for i in range(20)]
_COM = [f"I think the council is wrong about bridge number {i}, honestly, and so do my neighbours."
        for i in range(20)]
COMMENT_HEAVY_PAGE = "\n".join(_ART[:12] + _COM)  # comment share ~0.63: inside the penalty ramp
DUPLICATED_PAGE = "\n".join(_ART + _ART[:8])  # duplicated share ~0.29: inside the penalty ramp


@pytest.mark.parametrize(("page", "reason"), [(COMMENT_HEAVY_PAGE, "comment_heavy"),
                                              (DUPLICATED_PAGE, "duplicated_content")])
def test_quality_via_classifier_with_spam_appended(rigged_clf: Classifier, page: str, reason: str) -> None:
    """End to end: a decoded spam block appended to a page (tiny or large) does not raise its quality."""
    base = rigged_clf.classify_text(page)
    assert reason in base.reasons
    for spam_line in ("Subscribe to my page", "Please subscribe to my channel " * 40):
        spammed = rigged_clf.classify_text(page + "\n" + spam_line)
        assert spammed.labels[:-1] == base.labels and spammed.labels[-1] == "spam"
        assert spammed.quality <= base.quality, (spam_line, base.quality, spammed.quality)
    assert "spam" in spammed.reasons and spammed.quality < base.quality


def test_duplicate_flags_whitespace_hint_matches_full_normalisation() -> None:
    """The fast path (collapse only blocks flagged as holding odd spaces) equals collapsing all."""
    texts = ["Same  words here", "same words\there", "SAME WORDS HERE ", "\u00a0same words here",
             "other", "Other", "x  y", "x y"]
    full = duplicate_flags(texts)
    assert full.tolist() == [0, 1, 1, 1, 0, 1, 0, 1]
    from features.extract import local_features

    _, pf = local_features(texts)
    np.testing.assert_array_equal(pf.dup, full)


def test_autoblog_markers_stay_on_their_line() -> None:
    """Markers are matched per line of the joined page: a marker split over two blocks is none."""
    body = [("editorial", "The council approved the new bridge budget on Tuesday evening, officials said.")] * 8
    _, clean_reasons = score_page(body + [("boilerplate", "Source:"), ("boilerplate", "link")])
    assert "autoblog_markers" not in clean_reasons
    _, reasons = score_page(body + [("boilerplate", "Source link"), ("boilerplate", "Uncategorized")])
    assert "autoblog_markers" in reasons


def test_batch_scores_equal_page_by_page_scores() -> None:
    """``batch_scores`` over several pages gives each page what it gives the page alone."""
    rng = np.random.default_rng(5)
    pages = [
        [("editorial", t) for t in ARTICLE] + [("comment", t) for t in COMMENTS[:12]] + [("spam", SPAM[0])],
        [("boilerplate", "Source link"), ("editorial", ARTICLE[0]), ("boilerplate", "Uncategorized")],
        [],
        [("editorial", ARTICLE[1])] * 3 + [("boilerplate", "Uncategorized")],
    ]
    labels, lengths, page, texts, mt, prof = [], [], [], [], [], []
    for p, blocks in enumerate(pages):
        for lab, t in blocks:
            labels.append(LABELS.index(lab))
            lengths.append(len(t))
            page.append(p)
            texts.append(t)
            mt.append(float(rng.choice([0.0, 0.3, 0.9])))
            prof.append(float(rng.choice([0.0, 0.7])))
    labels_a, lengths_a, page_a = np.array(labels, dtype=np.int64), np.array(lengths), np.array(page, dtype=np.int64)
    mt_a, prof_a = np.array(mt), np.array(prof)
    dup = np.concatenate([duplicate_flags([t for _, t in b]) for b in pages if b])
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths_a[:-1] + 1, out=starts[1:])
    got = scores.batch_scores(labels_a, lengths_a, page_a, len(pages), mt_a, dup, prof_a, "\n".join(texts), starts,
                              np.zeros(len(pages), dtype=bool))
    for p, blocks in enumerate(pages):
        sel = page_a == p
        alone = scores.page_scores([t for _, t in blocks], labels_a[sel], mt_a[sel], prof_a[sel])
        assert got[p].fractions == scores.fractions(labels_a[sel], lengths_a[sel]) == alone.fractions
        assert got[p].dup_fraction == pytest.approx(scores.dup_fraction(dup[sel], lengths_a[sel]))
        expect_mt = mt_page_score(mt_a[sel], lengths_a[sel]) if sel.any() else 0.0
        assert got[p].mt_score == pytest.approx(expect_mt)
        assert got[p].quality == alone.quality
        assert got[p].reasons == alone.reasons
        assert scores.apply_rules(got[p].values) == (got[p].quality, got[p].reasons)
    assert "autoblog_markers" in got[1].reasons and "autoblog_markers" in got[3].reasons


# --- monotonicity (hypothesis) ---------------------------------------------------------------

_WORDS = ["council", "bridge", "budget", "river", "mayor", "vote", "road", "school", "price", "rain"]
_MARKER_LINES = ["Source link", "Leave a Reply", "Home / Uncategorized / News", "Uncategorized",
                 "Source: Reuters"]


@st.composite
def _pages(draw: st.DrawFn) -> list[tuple[str, str, float, float]]:
    """Pages of (label, text, mt, profanity) blocks: prose of random length, exact repeats of
    earlier blocks, auto-blog marker lines, and blocks with MT or profanity evidence."""
    n = draw(st.integers(0, 14))
    blocks: list[tuple[str, str, float, float]] = []
    for _ in range(n):
        kind = draw(st.sampled_from(["prose", "prose", "prose", "repeat", "marker"]))
        if kind == "repeat" and blocks:
            text = blocks[draw(st.integers(0, len(blocks) - 1))][1]
        elif kind == "marker":
            text = draw(st.sampled_from(_MARKER_LINES))
        else:
            words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=60))
            text = " ".join(words)
        label = draw(st.sampled_from(LABELS))
        mt = draw(st.sampled_from([0.0, 0.0, 0.2, 0.6, 1.0]))
        prof = draw(st.sampled_from([0.0, 0.0, 0.0, 0.9]))
        blocks.append((label, text, mt, prof))
    return blocks


def _quality(blocks: list[tuple[str, str, float, float]]) -> scores.PageScores:
    return scores.page_scores([b[1] for b in blocks], [b[0] for b in blocks], [b[2] for b in blocks],
                              [b[3] for b in blocks])


def _is_bad(block: tuple[str, str, float, float], is_dup: bool) -> bool:
    label, text, mt, prof = block
    return (label != "editorial" or (is_dup and len(text) >= scores.MIN_DUP_CHARS_FOR_QUALITY)
            or mt >= scores.MT_BLOCK or prof >= scores.PROFANE_BLOCK)


@settings(max_examples=300, deadline=None)
@given(_pages(), st.data())
def test_removing_a_bad_block_never_lowers_quality(blocks: list[tuple[str, str, float, float]],
                                                   data: st.DataObject) -> None:
    """A bad block (not editorial, a repeat, or with MT/profanity evidence) taken out of a page
    never lowers its quality; quality stays in 0..1 and reasons name only rules that fired."""
    before = _quality(blocks)
    assert 0.0 <= before.quality <= 1.0
    assert set(before.reasons) <= set(scores.RULE_NAMES) and (before.quality < 1.0) == bool(before.reasons)
    dup = duplicate_flags([b[1] for b in blocks]) if blocks else np.zeros(0)
    bad = [i for i, b in enumerate(blocks) if _is_bad(b, bool(dup[i]))]
    if not bad:
        return
    i = data.draw(st.sampled_from(bad))
    after = _quality(blocks[:i] + blocks[i + 1:])
    assert after.quality >= before.quality, (blocks[i], before, after)


@settings(max_examples=200, deadline=None)
@given(_pages())
def test_reasons_are_ordered_by_how_much_they_lowered_quality(blocks: list[tuple[str, str, float, float]]) -> None:
    ps = _quality(blocks)
    pen = scores.penalties(np.array([[ps.values[n] for n in scores.RULE_NAMES]]))[0]
    by_name = dict(zip(scores.RULE_NAMES, pen))
    got = [by_name[r] for r in ps.reasons]
    assert got == sorted(got, reverse=True) and all(p > 0 for p in got)
    assert ps.quality == pytest.approx(float(np.prod(1.0 - pen)), abs=1e-4)


def test_removing_a_boilerplate_line_does_not_raise_the_comment_penalty() -> None:
    """The case that made shares of the page total non-monotone: furniture diluting comments."""
    page = [("editorial", t) for t in ARTICLE[:4]] + [("comment", t) for t in COMMENTS[:6]] + \
           [("boilerplate", f"Menu item number {i} of the site navigation bar") for i in range(20)]
    q_prev, _ = score_page(page)
    while page[-1][0] == "boilerplate":
        page = page[:-1]
        q, _ = score_page(page)
        assert q >= q_prev
        q_prev = q


def test_rules_table_is_documented_in_readme() -> None:
    """The README's table of quality rules is the table the code applies."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert scores.rules_table() in readme


def test_rule_reasons_are_snake_case_and_thresholds_ordered() -> None:
    for r in scores.QUALITY_RULES:
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", r.reason)
        assert r.full > r.start and 0 < r.max_penalty < 1 and r.doc
