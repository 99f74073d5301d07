"""The HTML decode constraints: empty pages get their likeliest editorial blocks, and the main-content
candidate's likely-editorial boilerplate becomes editorial; thresholds chosen from data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.html_decode import (
    COMMENT_META_KEY,
    EDITORIAL,
    META_KEY,
    THREAD_META_KEY,
    TOP_META_KEY,
    choose_threshold,
    comment_class,
    constrain,
    fill_empty_pages,
    fill_main_content,
    fill_threads,
)
from classifier.model import LABELS, BlockModel

B = LABELS.index("boilerplate")
C = LABELS.index("comment")
S = LABELS.index("spam")


def _proba(editorial: list[float]) -> np.ndarray:
    """Rows with the given editorial probability, the rest on boilerplate."""
    e = np.array(editorial)
    out = np.zeros((len(e), len(LABELS)))
    out[:, EDITORIAL] = e
    out[:, B] = 1 - e
    return out


def test_only_pages_without_editorial_are_filled() -> None:
    empty = np.array([B, B, B, C])
    has = np.array([EDITORIAL, B, B])
    probas = [_proba([0.1, 0.45, 0.3, 0.6]), _proba([0.9, 0.45, 0.1])]
    out = fill_empty_pages([empty, has], probas, 0.4)
    assert out[0].tolist() == [B, EDITORIAL, B, EDITORIAL]
    assert out[1].tolist() == has.tolist()  # already has editorial: untouched
    assert empty.tolist() == [B, B, B, C]  # inputs are not modified


def test_off_without_a_threshold_and_on_empty_pages() -> None:
    lab = [np.array([B, B])]
    probas = [_proba([0.9, 0.9])]
    assert fill_empty_pages(lab, probas, None)[0].tolist() == [B, B]
    assert fill_empty_pages(lab, probas, 0.0)[0].tolist() == [B, B]
    assert fill_empty_pages([np.zeros(0, dtype=np.int64)], [_proba([])], 0.3)[0].size == 0
    # nothing reaches the threshold: the page stays as decoded
    assert fill_empty_pages(lab, [_proba([0.1, 0.2])], 0.3)[0].tolist() == [B, B]


def test_main_content_fill_touches_only_boilerplate_inside_the_candidate() -> None:
    lab = np.array([B, B, C, B, EDITORIAL])
    proba = _proba([0.5, 0.5, 0.5, 0.2, 0.9])
    top = np.array([0.0, 1.0, 1.0, 1.0, 1.0])
    out = fill_main_content([lab], [proba], [top], 0.4)[0]
    # outside the candidate, a comment, and a block under the threshold stay as they were
    assert out.tolist() == [B, EDITORIAL, C, B, EDITORIAL]
    assert fill_main_content([lab], [proba], [top], 0.0)[0].tolist() == lab.tolist()


def test_constrain_reads_the_model_thresholds() -> None:
    lab = [np.array([B, B, B])]
    proba = [_proba([0.5, 0.3, 0.05])]
    top = [np.array([1.0, 1.0, 1.0])]
    assert constrain(lab, proba, top, {})[0].tolist() == [B, B, B]
    assert constrain(lab, proba, top, {META_KEY: 0.4})[0].tolist() == [EDITORIAL, B, B]
    both = constrain(lab, proba, top, {META_KEY: 0.4, TOP_META_KEY: 0.25})
    assert both[0].tolist() == [EDITORIAL, EDITORIAL, B]


def test_threshold_choice_follows_the_data() -> None:
    # an empty page whose gold editorial blocks have probability 0.3 and 0.35, boilerplate 0.1
    decoded = [np.array([B, B, B]), np.array([EDITORIAL, B])]
    probas = [_proba([0.3, 0.35, 0.1]), _proba([0.9, 0.1])]
    gold = [np.array([EDITORIAL, EDITORIAL, B]), np.array([EDITORIAL, B])]
    weights = [np.ones(3), np.ones(2)]
    def apply(d: list[np.ndarray], t: float) -> list[np.ndarray]:
        return fill_empty_pages(d, probas, t)

    best, scores = choose_threshold(apply, decoded, gold, weights)
    assert best in (0.15, 0.2, 0.25, 0.3) and scores[best] == 1.0 and scores[0.0] == 0.5
    # when the fallback would only add boilerplate, it stays off
    gold_none = [np.array([B, B, B]), np.array([EDITORIAL, B])]
    best, _ = choose_threshold(apply, decoded, gold_none, weights)
    assert best == 0.0


def _comment_proba(comment: list[float], editorial: float = 0.05) -> np.ndarray:
    """Rows with the given comment probability, ``editorial`` on editorial, the rest on boilerplate."""
    c = np.array(comment)
    out = np.zeros((len(c), len(LABELS)))
    out[:, C] = c
    out[:, EDITORIAL] = editorial
    out[:, B] = 1 - c - editorial
    return out


def test_thread_fill_needs_a_comment_class_and_never_touches_editorial() -> None:
    lab = np.array([EDITORIAL, B, B, S, B])
    proba = _comment_proba([0.9, 0.6, 0.6, 0.6, 0.3])
    cls = np.array([True, True, False, True, True])
    out = fill_threads([lab], [proba], [cls], 0.5, None)[0]
    # editorial stays, the block outside a comment-class element stays, under the threshold stays
    assert out.tolist() == [EDITORIAL, C, B, C, B]
    assert lab.tolist() == [EDITORIAL, B, B, S, B]  # input not modified
    assert fill_threads([lab], [proba], [cls], None, None)[0].tolist() == lab.tolist()
    assert fill_threads([lab], [proba], [cls], 0.0, 0.0)[0].tolist() == lab.tolist()


def test_thread_threshold_applies_only_on_pages_with_a_comment() -> None:
    cls = np.ones(3, dtype=bool)
    probas = [_comment_proba([0.6, 0.25, 0.1]), _comment_proba([0.4, 0.25, 0.1]), _comment_proba([0.3, 0.25, 0.1])]
    pages = [np.array([B, B, B]), np.array([B, B, B]), np.array([C, B, B])]
    out = fill_threads(pages, probas, [cls] * 3, 0.5, 0.2)
    assert out[0].tolist() == [C, C, B]  # a sure comment opens the thread, the 0.25 block joins it
    assert out[1].tolist() == [B, B, B]  # no sure comment, no decoded comment: nothing
    assert out[2].tolist() == [C, C, B]  # a decoded comment is enough
    # only the thread threshold: pages without a decoded comment stay as they were
    out = fill_threads(pages, probas, [cls] * 3, None, 0.2)
    assert [o.tolist() for o in out] == [[B, B, B], [B, B, B], [C, C, B]]


def test_constrain_applies_the_thread_thresholds_with_the_comment_class() -> None:
    lab = [np.array([B, B])]
    proba = [_comment_proba([0.6, 0.3])]
    top = [np.zeros(2)]
    meta = {COMMENT_META_KEY: 0.5, THREAD_META_KEY: 0.2}
    assert constrain(lab, proba, top, meta)[0].tolist() == [B, B]  # no class flags given: off
    assert constrain(lab, proba, top, meta, in_comment=[np.ones(2, dtype=bool)])[0].tolist() == [C, C]


def test_comment_class_reads_the_dom_columns() -> None:
    from features.dom import HTML_FEATURE_NAMES

    X = np.zeros((3, len(HTML_FEATURE_NAMES)), dtype=np.float32)
    X[0, HTML_FEATURE_NAMES.index("dom_own_comment")] = 1
    X[1, HTML_FEATURE_NAMES.index("dom_anc_comment")] = 1
    X[2, HTML_FEATURE_NAMES.index("dom_anc_reply")] = 1
    assert comment_class(X).tolist() == [True, True, False]


def test_shipped_model_carries_its_threshold() -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "model-html.json"
    if not path.exists():
        pytest.skip("no shipped HTML model")
    meta = BlockModel.load(path).meta
    for key in (META_KEY, TOP_META_KEY, COMMENT_META_KEY, THREAD_META_KEY):
        assert key in meta and 0.0 <= meta[key] < 1.0
    assert meta[THREAD_META_KEY] <= meta[COMMENT_META_KEY] or not meta[COMMENT_META_KEY]
