"""benchmarks/reading_accuracy.py: the wrapped renderings keep each line's paragraph label, and
the scores pool lines read each way (a stand-in classifier, so the mapping is what is checked)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from conftest import load_script

from training import corpora as C

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "reading_accuracy.py"


def _script():
    return load_script(SCRIPT, "reading_accuracy_under_test")


def _page(texts: list[str], labels: list[str]) -> C.LabeledPage:
    return C.LabeledPage(id="t/1", corpus="t", source="t", texts=texts, labels=labels, group="t")


def test_wrapped_lines_keep_their_paragraph_label() -> None:
    mod = _script()
    page = _page(["Menu", "word " * 30, "", "nice post " * 12],
                 [C.BOILERPLATE, C.EDITORIAL, C.BOILERPLATE, C.COMMENT])
    (plain,) = mod.wrapped_cases([page], 40, blank=False)
    lines = plain.text.split("\n")
    assert lines[0] == "Menu" and all(len(line) <= 40 for line in lines)
    assert [plain.labels[i + 1] for i in range(len(lines))] == (
        [C.BOILERPLATE] + [C.EDITORIAL] * 4 + [C.COMMENT] * 3)
    assert plain.has_comments
    (spaced,) = mod.wrapped_cases([page], 40, blank=True)
    spaced_lines = spaced.text.split("\n")
    assert spaced_lines[1] == "" and set(spaced.labels) == {i + 1 for i, t in enumerate(spaced_lines) if t}


class _Stub:
    """Labels every line editorial when rereading, boilerplate otherwise; remembers the flag."""

    def __init__(self) -> None:
        self.reread = True
        self.seen: list[bool] = []

    def classify_text(self, text: str) -> SimpleNamespace:
        self.seen.append(self.reread)
        label = C.EDITORIAL if self.reread else C.BOILERPLATE
        blocks = [{"line": i + 1, "label": label} for i, t in enumerate(text.split("\n")) if t]
        return SimpleNamespace(blocks=blocks, has_comments=False)


def test_score_pools_lines_and_restores_the_flag() -> None:
    mod = _script()
    cases = [mod.Case("a\nb\n\nc", {1: C.EDITORIAL, 2: C.EDITORIAL, 4: C.BOILERPLATE}, False)]
    stub = _Stub()
    off = mod.score(stub, cases, False)
    on = mod.score(stub, cases, True)
    assert stub.seen == [False, True] and stub.reread is True
    assert off["lines"] == on["lines"] == 3
    assert off[C.EDITORIAL] == 0.0 and off[C.BOILERPLATE] == 0.5
    assert on[C.EDITORIAL] == 0.8 and on[C.BOILERPLATE] == 0.0
    assert on["has_comments"] is None  # no gold thread: not defined
