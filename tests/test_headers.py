"""The repeated commenter-line columns (features.headers, schema text-9)."""

from __future__ import annotations

import numpy as np
import pytest

from features.extract import extract_batch
from features.headers import HEADER_NAMES, NO_HEADER, header_columns
from features.text_schema import TEXT6_FEATURE_NAMES, TEXT_FEATURE_NAMES, TEXT_SCHEMAS, text_matrix

COL = {n: i for i, n in enumerate(HEADER_NAMES)}

SLASHDOT = [
    "F-Secure Report: Another SCADA Attack in Iran",
    "Posted by timothy on Tuesday July 24, @10:46AM",
    "An anonymous reader writes that an Iranian scientist wrote to the company.",
    "by Quakeulf (2650167) on Tuesday July 24, @10:49AM (#40749619)",
    "Rock and revolt!",
    "by camperslo (704715) on Tuesday July 24, @11:20AM (#40750085)",
    "Well there's really nothing to fear until people start getting Rick-rolled",
    "by Jeremiah Cornelius (137) on Tuesday July 24, @05:45PM (#40756687) Homepage Journal",
    "These attacks are criminal activity.",
]
WORDPRESS = [
    "The council met on July 3 to discuss the budget.",
    "Mike says: July 24, 2012 at 10:49 am",
    "Great post",
    "Anna says: July 25, 2012 at 1:49 pm",
    "Nice",
    "Bob on August 2, 2012 at 9:00 am",
    "Yes.",
]


def _cols(pages: list[list[str]]) -> np.ndarray:
    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    return header_columns(pf.X, texts, offsets[:-1])


def test_repeated_commenter_lines_not_the_byline() -> None:
    H = _cols([SLASHDOT])
    rep = H[:, COL["hdr_repeat"]]
    # The three "by NAME (id) on DAY ..." lines share their first word; the byline is alone.
    assert rep[[3, 5, 7]].tolist() == pytest.approx([np.log1p(2)] * 3)
    assert rep[1] == 0 and rep[[0, 2, 4, 6, 8]].tolist() == [0] * 5
    # Distances: the article has no repeated line above; the first comment's body is one below one.
    assert H[2, COL["hdr_above_dist"]] == NO_HEADER and H[4, COL["hdr_above_dist"]] == pytest.approx(np.log1p(1))
    assert H[8, COL["hdr_below_dist"]] == NO_HEADER and H[2, COL["hdr_below_dist"]] == pytest.approx(np.log1p(1))
    assert H[:, COL["hdr_before_frac"]].tolist() == pytest.approx([0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    assert H[:, COL["hdr_page"]].tolist() == pytest.approx([np.log1p(3)] * 9)


def test_template_words_are_one_key() -> None:
    # First words differ (names); the last words "am"/"pm" are one class.
    rep = _cols([WORDPRESS])[:, COL["hdr_repeat"]]
    assert rep[[1, 3, 5]].tolist() == pytest.approx([np.log1p(2)] * 3)
    assert rep[0] == 0  # a sentence naming a month ends in "budget"


def test_pages_are_separate() -> None:
    # The same lines split over pages: no page has three of them, and nothing crosses a page.
    H = _cols([SLASHDOT[:5], SLASHDOT[5:]])
    assert (H[:, COL["hdr_repeat"]] < np.log1p(2)).all()
    assert H[:, COL["hdr_page"]].tolist() == [0] * 9
    assert (H[:, COL["hdr_above_dist"]] == NO_HEADER).all() and (H[:, COL["hdr_below_dist"]] == NO_HEADER).all()
    both = _cols([SLASHDOT, WORDPRESS])
    np.testing.assert_array_equal(both[: len(SLASHDOT)], _cols([SLASHDOT]))
    np.testing.assert_array_equal(both[len(SLASHDOT):], _cols([WORDPRESS]))


def test_text9_schema() -> None:
    assert TEXT_SCHEMAS["text-9"] == TEXT_FEATURE_NAMES == TEXT6_FEATURE_NAMES + HEADER_NAMES
    assert len(set(TEXT_FEATURE_NAMES)) == len(TEXT_FEATURE_NAMES)
    pages = [SLASHDOT, WORDPRESS]
    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    X9 = text_matrix(pf.X, texts, offsets[:-1], "text-9", pf.low_utf8)
    X6 = text_matrix(pf.X, texts, offsets[:-1], "text-6", pf.low_utf8)
    np.testing.assert_array_equal(X9[:, : X6.shape[1]], X6)
    np.testing.assert_array_equal(X9[:, X6.shape[1]:], header_columns(pf.X, texts, offsets[:-1]))
    assert header_columns(pf.X[:0], [], np.zeros(0, dtype=np.int64)).shape == (0, len(HEADER_NAMES))
