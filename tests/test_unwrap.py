"""Hard-wrapped plain text (features/unwrap.py) and the classifier's paragraph reading of it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from classifier import Classifier
from features import unwrap
from features.segment import segment_text

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "harbour_bridge.txt"

PROSE = [
    "The city council voted on Tuesday to spend 4.2 million on repairing the harbour bridge, ending a "
    "dispute that has kept one lane closed for almost three years and cost commuters an estimated "
    "forty minutes a day in queues at the southern approach.",
    "Opposition members had argued for a new bridge instead, but a report by the city's engineers "
    "estimated that replacement would cost four times as much, take six years to build and need a "
    "well-known firm from abroad to design it.",
    "Work is expected to begin in the autumn and last about eighteen months; the council said at least "
    "one lane would stay open throughout, and that ferry timetables would be extended while it lasts.",
]


def wrap(paragraphs: list[str], width: int, blank: bool = False) -> tuple[list[str], list[int]]:
    """Lines of ``paragraphs`` wrapped at ``width`` (textwrap: greedy, breaks at hyphens) and
    each line's paragraph."""
    lines: list[str] = []
    owner: list[int] = []
    for i, p in enumerate(paragraphs):
        parts = textwrap.wrap(p, width)
        lines += parts
        owner += [i] * len(parts)
        if blank:
            lines.append("")
            owner.append(-1)
    return lines, owner


def plan_of(lines: list[str]) -> unwrap.WrapPlan | None:
    blocks = segment_text("\n".join(lines))
    return unwrap.plan_page([b.text for b in blocks], [b.line for b in blocks])


# Without blank lines between paragraphs, a paragraph whose last line is full cannot be told
# from one that goes on (at 78, PROSE[1] ends a line that "Work" would not fit on): those widths
# are tested with blank lines only.
@pytest.mark.parametrize(("width", "blank"), [(60, False), (72, False), (100, False), (60, True), (72, True),
                                              (78, True), (100, True)])
def test_wrapped_paragraphs_are_read_back(width: int, blank: bool) -> None:
    lines, owner = wrap(PROSE, width, blank)
    plan = plan_of(lines)
    assert plan is not None
    assert plan.paragraphs == PROSE  # hyphen breaks ("well-" / "known") joined without a space
    assert plan.owner.tolist() == [o for o in owner if o >= 0]
    assert width - 2 <= plan.width <= width


def test_one_paragraph_per_line_is_not_wrapped() -> None:
    assert plan_of(PROSE * 3) is None
    assert plan_of(EXAMPLE.read_text(encoding="utf-8").split("\n")) is None


def test_short_lines_are_not_wrapped() -> None:
    menu = ["Home", "News", "Sport", "Business", "Weather", "Contact us", "About", "Jobs"] * 2
    assert plan_of(menu) is None


def test_whole_sentences_of_equal_length_are_not_wrapped() -> None:
    # Paragraphs that happen to be about one length end near one "width", but each ends a
    # sentence and the next starts one: not a wrapper's breaks.
    paras = [
        "Karacan picked up the injury during the defeat at Liverpool last weekend after he twisted his knee.",
        "The 23-year-old underwent scans during the week and was forced to sit out the draw with Fulham.",
        "He also missed the start of the season as he battled back from a long lay-off due to an injury.",
        "The midfielder said on Twitter that he was gutted to be injured again but it could have been worse.",
        "Reading manager Brian McDermott said the club would not rush him back before he was fully fit.",
        "Reading are without a win this season and face Arsenal in the League Cup on Tuesday evening.",
        "Danny Guthrie and Jobi McAnuff are also doubts for the visit of Norwich next weekend, he added.",
    ]
    assert plan_of(paras) is None


def test_teasers_cut_at_one_length_are_not_wrapped() -> None:
    # A blog index: excerpts cut at 80 characters, each followed by the next post's title.
    body = ("When I started this challenge a number of people asked me why I was doing it in "
            "October when the weather is poor, and I said that it was the best time to start.")
    lines = []
    for title in ("Mother Earth News post", "The life of your cup", "Survival series: soap",
                  "Getting cozy", "Book discussion", "Detox: dry skin brushing", "Crazy hair day"):
        lines += [title, body[:80].rstrip()]
    assert plan_of(lines) is None


def test_list_items_and_blank_lines_start_paragraphs() -> None:
    lines, _ = wrap(PROSE, 72)
    lines[2] = "- " + lines[2]  # a list item, whatever the line before it
    plan = plan_of(lines)
    assert plan is not None
    assert plan.owner[2] == plan.owner[1] + 1
    with_blank = wrap(PROSE, 72)[0]
    with_blank.insert(2, "")
    plan = plan_of(with_blank)
    assert plan is not None and plan.owner[2] == plan.owner[1] + 1


def test_an_unbreakable_line_stays_in_its_paragraph() -> None:
    lines, owner = wrap(PROSE, 72)
    lines.insert(2, "https://example.org/" + "a" * 90)  # longer than the width, no space
    owner.insert(2, owner[1])
    plan = plan_of(lines)
    assert plan is not None
    assert plan.owner[2] == plan.owner[1] == plan.owner[3]


def test_candidates_rule_out_long_lines_and_short_pages() -> None:
    pages = [wrap(PROSE, 72)[0], PROSE * 3, [], ["a line"] * 3, wrap(PROSE, 100)[0]]
    lengths = np.array([len(t) for p in pages for t in p], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum([len(p) for p in pages])))
    assert unwrap.candidates(lengths, offsets).tolist() == [0, 4]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    """The shipped models, an instance of this module's own (the tests switch unwrap off)."""
    return Classifier.load()


def _example_wrapped(width: int) -> tuple[str, list[str]]:
    """The bundled example page with each line wrapped at ``width``, blank lines between."""
    paras = [line for line in EXAMPLE.read_text(encoding="utf-8").split("\n") if line.strip()]
    return "\n\n".join("\n".join(textwrap.wrap(p, width)) for p in paras), paras


def test_classifier_labels_a_wrapped_page_by_its_paragraphs(classifier) -> None:
    wrapped, paras = _example_wrapped(72)
    as_paragraphs = classifier.classify_text("\n".join(paras))
    result = classifier.classify_text(wrapped)
    plan = plan_of(wrapped.split("\n"))
    assert plan is not None and len(plan.paragraphs) == len(paras)
    # Every line carries its paragraph's label and probabilities, as that paragraph gets them
    # on the page written one paragraph per line; the blocks stay lines.
    assert len(result.blocks) == len(wrapped.split("\n")) - wrapped.count("\n\n")
    for block, k in zip(result.blocks, plan.owner.tolist()):
        assert block["label"] == as_paragraphs.blocks[k]["label"]
        assert block["proba"] == as_paragraphs.blocks[k]["proba"]
    assert result.has_comments == as_paragraphs.has_comments
    first = plan.owner[[b["line"] for b in result.blocks].index(result.comment_start)]
    assert as_paragraphs.blocks[first]["line"] == as_paragraphs.comment_start


def test_unwrap_can_be_turned_off(classifier) -> None:
    wrapped, _ = _example_wrapped(72)
    classifier.reread = False
    try:
        off = classifier.classify_text(wrapped)
    finally:
        classifier.reread = True
    on = classifier.classify_text(wrapped)
    plan = plan_of(wrapped.split("\n"))
    probas_off = {(int(k), tuple(b["proba"].values())) for b, k in zip(off.blocks, plan.owner)}
    probas_on = {(int(k), tuple(b["proba"].values())) for b, k in zip(on.blocks, plan.owner)}
    assert len(probas_on) == len(plan.paragraphs)  # one set of probabilities a paragraph
    assert len(probas_off) > len(plan.paragraphs)  # line by line


def test_cli_as_written_reads_line_by_line_also_in_workers(tmp_path) -> None:
    from click.testing import CliRunner

    from classifier.cli import main

    wrapped, _ = _example_wrapped(72)
    pages = tmp_path / "pages.jsonl"
    pages.write_text("".join(json.dumps({"id": i, "text": wrapped}) + "\n" for i in range(3)), encoding="utf-8")

    def run(*args: str) -> list[dict]:
        r = CliRunner().invoke(main, ["classify", *args, str(pages)])
        assert r.exit_code == 0, r.output
        return [json.loads(line) for line in r.output.splitlines()]

    read, written = run(), run("--as-written")
    assert run("--jobs", "2") == read and run("--jobs", "2", "--as-written") == written
    plan = plan_of(wrapped.split("\n"))
    for doc, paragraphs in ((read[0], len(plan.paragraphs)), (written[0], None)):
        probas = {(int(k), tuple(b["proba"].values())) for b, k in zip(doc["blocks"], plan.owner)}
        if paragraphs is not None:
            assert len(probas) == paragraphs
        else:
            assert len(probas) > len(plan.paragraphs)


def test_reread_survives_pickling(classifier) -> None:
    import pickle

    classifier.reread = False
    try:
        copy = pickle.loads(pickle.dumps(classifier))
    finally:
        classifier.reread = True
    assert copy.reread is False and copy is not classifier
    assert pickle.loads(pickle.dumps(classifier)).reread is True
