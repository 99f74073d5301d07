"""Page scores: fractions, dup_fraction, quality and its reasons, monotonicity under added spam."""

from __future__ import annotations

import numpy as np
import pytest

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
    labels = _labels([lab for lab, _ in blocks])
    texts = [t for _, t in blocks]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    dup = duplicate_flags(texts)
    mt_arr = np.zeros(len(texts)) if mt is None else np.asarray(mt, dtype=float)
    prof = np.zeros(len(texts)) if profanity is None else np.asarray(profanity, dtype=float)
    clean = labels != LABELS.index("spam")
    frac = scores.fractions(labels, lengths)
    mt_q = mt_page_score(mt_arr[clean], lengths[clean]) if clean.any() else 0.0
    dup_q = scores.dup_fraction(dup[clean], lengths[clean], scores.MIN_DUP_CHARS_FOR_QUALITY)
    has_comments = bool((labels == LABELS.index("comment")).any())
    return scores.quality(frac, mt_q, dup_q, texts, has_comments, prof, lengths, labels)


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
    """``batch_scores`` over several pages gives each page what the single-page functions give."""
    rng = np.random.default_rng(5)
    pages = [
        [("editorial", t) for t in ARTICLE] + [("comment", t) for t in COMMENTS[:12]] + [("spam", SPAM[0])],
        [("boilerplate", "Source link"), ("editorial", ARTICLE[0]), ("boilerplate", "Leave a Reply")],
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
    has_comments = np.array([any(lab == "comment" for lab, _ in b) for b in pages])
    got = scores.batch_scores(labels_a, lengths_a, page_a, len(pages), mt_a, dup, prof_a, "\n".join(texts), starts,
                              has_comments)
    for p, blocks in enumerate(pages):
        sel = page_a == p
        frac = scores.fractions(labels_a[sel], lengths_a[sel])
        clean = sel & (labels_a != LABELS.index("spam"))
        mt_q = mt_page_score(mt_a[clean], lengths_a[clean]) if clean.any() else 0.0
        dup_q = scores.dup_fraction(dup[clean], lengths_a[clean], scores.MIN_DUP_CHARS_FOR_QUALITY)
        q, reasons = scores.quality(frac, mt_q, dup_q, [t for _, t in blocks], bool(has_comments[p]), prof_a[sel],
                                    lengths_a[sel], labels_a[sel])
        assert got[p].fractions == frac
        assert got[p].dup_fraction == pytest.approx(scores.dup_fraction(dup[sel], lengths_a[sel]))
        expect_mt = mt_page_score(mt_a[sel], lengths_a[sel]) if sel.any() else 0.0
        assert got[p].mt_score == pytest.approx(expect_mt)
        assert got[p].quality == pytest.approx(q, abs=1e-4)
        assert got[p].reasons == reasons
    assert "autoblog_markers" in got[1].reasons and "autoblog_markers" in got[3].reasons
