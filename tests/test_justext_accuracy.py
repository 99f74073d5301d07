"""benchmarks/justext_accuracy.py scores jusText's kept lines against the gold labels line by line.

jusText is a benchmark extra, not installed in CI: these tests drive the script with a stand-in
that answers as jusText does (one paragraph per ``<p>``, xpaths by position), so what they check
is the mapping back to lines and the pooled metric, not jusText itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import load_script

from training import corpora as C

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "justext_accuracy.py"


def _script():
    return load_script(SCRIPT, "justext_accuracy_under_test")


@dataclass
class _Para:
    xpath: str
    is_boilerplate: bool
    text: str


class _FakeJustext:
    """Keeps the ``<p>`` whose text holds "KEEP"; leaves out (as jusText can) those holding "GONE"."""

    @staticmethod
    def justext(html: str, stoplist: frozenset[str]) -> list[_Para]:
        out = []
        for i, text in enumerate(re.findall(r"<p>(.*?)</p>", html), start=1):
            if "GONE" in text:
                continue
            out.append(_Para(f"/html[1]/body[1]/p[{i}]", "KEEP" not in text, text))
        return out


def _page(texts: list[str], labels: list[str]) -> C.LabeledPage:
    return C.LabeledPage(id="t/1", corpus="t", source="t", texts=texts, labels=labels, group="t")


def test_kept_lines_map_back_by_position_even_when_a_paragraph_is_missing():
    mod = _script()
    texts = ["KEEP a", "GONE b", "drop c", "KEEP d"]
    assert mod.justext_keeps(_FakeJustext, frozenset(), texts) == [True, False, False, True]


def test_pooled_editorial_and_content_f1():
    mod = _script()
    ed, cm, bp = C.EDITORIAL, C.COMMENT, C.BOILERPLATE
    pages = [
        # kept: editorial (tp), comment (fp for editorial, tp for content), boilerplate (fp both)
        _page(["KEEP e1", "KEEP c1", "KEEP b1", "x e2"], [ed, cm, bp, ed]),
        _page(["KEEP e3", "x b2"], [ed, bp]),
    ]
    s = mod.score("r", pages, _FakeJustext, frozenset())
    # editorial: tp 2 (e1, e3), fp 2 (c1, b1), fn 1 (e2)
    assert (s.editorial_p, s.editorial_r) == (0.5, 0.667)
    assert s.editorial_f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-3)
    # content: tp 3 (e1, c1, e3), fp 1 (b1), fn 1 (e2)
    assert s.content_f1 == 0.75
    assert (s.pages, s.blocks) == (2, 6)


def test_limit_and_a_block_with_a_newline():
    mod = _script()
    pages = [_page(["KEEP a"], [C.EDITORIAL]), _page(["KEEP b"], [C.EDITORIAL])]
    assert mod.score("r", pages, _FakeJustext, frozenset(), limit=1).pages == 1
    with pytest.raises(ValueError, match="newline"):
        mod.score("r", [_page(["a\nb"], [C.EDITORIAL])], _FakeJustext, frozenset())


def test_f1_of_nothing_is_zero():
    assert _script().f1(0, 0, 0) == (0.0, 0.0, 0.0)
