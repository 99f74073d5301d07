"""benchmarks/crawl_split.py: the pooled metrics it prints for a model on held-out Dragnet pages.

Driven with a stand-in classifier whose answers are set by the test, so the figures it must
print are known; the real model and corpora are what the script is run on by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import load_script

from training import corpora as C

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "crawl_split.py"


def _script():
    return load_script(SCRIPT, "crawl_split_under_test")


class _Result:
    def __init__(self, labels: list[str], argmax: list[str], has_comments: bool) -> None:
        self.labels, self.argmax, self.has_comments = labels, argmax, has_comments

    def to_dict(self) -> dict:
        blocks = [{"label": lab, "proba": {k: (0.7 if k == top else 0.1) for k in
                                           ("editorial", "comment", "spam", "boilerplate")}}
                  for lab, top in zip(self.labels, self.argmax)]
        return {"blocks": blocks, "has_comments": self.has_comments}


class _Stub:
    """Answers each page (by id) as the test says."""

    def __init__(self, answers: dict[str, _Result]) -> None:
        self.answers = answers

    def classify_text(self, text: str, id: str) -> _Result:
        return self.answers[id]


def _page(pid: str, labels: list[str]) -> C.LabeledPage:
    return C.LabeledPage(pid, "dragnet", "s", [f"line {i}" for i in range(len(labels))], labels, "s")


def test_pooled_f1_argmax_has_comments_and_page_accuracy_are_what_the_answers_give() -> None:
    s = _script()
    a = _page("a", ["editorial", "editorial", "comment", "comment"])
    b = _page("b", ["editorial", "boilerplate"])
    stub = _Stub({
        # a: one comment called editorial, thread found; argmax gets every line right
        "a": _Result(["editorial", "editorial", "editorial", "comment"], a.labels, True),
        # b: all right when decoded, argmax calls the furniture editorial; a thread claimed
        "b": _Result(["editorial", "boilerplate"], ["editorial", "editorial"], True),
    })
    r = s.score(stub, [a, b])
    assert r["pages"] == 2 and r["blocks"] == 6
    # decoded: editorial tp 3, fp 1, fn 0 -> 6/7; comment tp 1, fn 1 -> 2/3; boilerplate 1
    assert r["decoded"]["editorial"] == pytest.approx(6 / 7)
    assert r["decoded"]["comment"] == pytest.approx(2 / 3)
    assert r["decoded"]["boilerplate"] == 1.0 and r["decoded"]["spam"] == 0.0
    # argmax: editorial tp 3, fp 1 -> 6/7; comment 1; boilerplate tp 0 fn 1 -> 0
    assert r["argmax"]["comment"] == 1.0 and r["argmax"]["boilerplate"] == 0.0
    assert r["has_comments"] == pytest.approx(2 / 3)  # tp 1 (a), fp 1 (b)
    assert r["mean_page_accuracy"] == pytest.approx((0.75 + 1.0) / 2)


def test_a_page_whose_blocks_do_not_match_its_lines_is_an_error() -> None:
    s = _script()
    a = _page("a", ["editorial", "comment"])
    with pytest.raises(ValueError, match="1 blocks for 2 lines"):
        s.score(_Stub({"a": _Result(["editorial"], ["editorial"], False)}), [a])


def test_page_f1_and_label_f1_edges() -> None:
    s = _script()
    assert s.page_f1([False, False], [False, False]) == 0.0
    assert s.page_f1([True, False], [True, False]) == 1.0
    f = s.f1_by_label(np.array([0, 1]), np.array([1, 0]))
    assert f["editorial"] == 0.0 and f["comment"] == 0.0
