"""The thread-template step: a decoded thread's start moves up to the thread's own commenter line."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import thread_template
from classifier.model import LABELS
from features.extract import extract_batch

E, C, B = (LABELS.index(x) for x in ("editorial", "comment", "boilerplate"))

ARTICLE = [
    "Seneca does not just mention an association between the moon and the tides, he explains it.",
    "The passage is short, and the translation most people quote leaves out the verb that matters.",
    "Which is why the claim keeps coming back in every book on the history of the idea.",
]
THREAD = [
    "Maria July 7, 2012 at 2:31 pm",
    "Thank you for this, I had always read the passage the other way round.",
    "Lynnette Matebese July 5, 2012 at 9:42 am",
    "The original Latin has the verb, so the translation is simply wrong here.",
    "Tom Baker July 8, 2012 at 1:04 pm",
    "Is there a edition that prints the Latin beside the English?",
]


def _run(pages: list[list[str]], labels: list[list[int]]) -> tuple[list[np.ndarray], int]:
    pf, offsets = extract_batch(pages)
    decoded = [np.array(lab, dtype=np.int64) for lab in labels]
    moved = thread_template.extend_starts(decoded, pf.X, [t for p in pages for t in p], offsets)
    return decoded, moved


def _late(n_article: int = len(ARTICLE)) -> list[int]:
    """Viterbi's typical miss: the first commenter line and its comment read as article."""
    return [E] * n_article + [E, E] + [C] * (len(THREAD) - 2)


def test_start_moves_up_to_the_first_commenter_line() -> None:
    (labels,), moved = _run([ARTICLE + THREAD], [_late()])
    assert moved == 1
    assert labels.tolist() == [E] * len(ARTICLE) + [C] * len(THREAD)


def test_article_is_not_taken() -> None:
    """The article above the first commenter line keeps its labels (no byline shares the template)."""
    (labels,), _ = _run([ARTICLE + THREAD], [_late()])
    assert (labels[: len(ARTICLE)] == E).all()


TWO_LINE = [
    "Colin Roald",
    "October 1st, 2012 at 2:04 pm",
    "Hi! This is remarkably topical for me, I got interested when my wife started tracking.",
    "Shelley Owen",
    "October 2nd, 2012 at 9:15 am",
    "Some more information about the app: at the moment it is still iPhone only.",
    "Mark T.",
    "October 2nd, 2012 at 11:40 am",
    "There are already a bunch of other apps out there for this.",
]


def test_a_name_line_above_a_two_line_header_joins_the_thread() -> None:
    """Headers of a name line and a date line: the first comment's name line is taken too."""
    lab = [E] * len(ARTICLE) + [E] + [C] * (len(TWO_LINE) - 1)  # Viterbi starts on the date line
    (labels,), moved = _run([ARTICLE + TWO_LINE], [lab])
    assert moved == 1
    assert labels.tolist() == [E] * len(ARTICLE) + [C] * len(TWO_LINE)


def test_a_short_line_above_one_line_headers_stays_article() -> None:
    """Where the thread's other date lines have no name line above them, the short line above
    the first one (the article's last words) is not taken."""
    one_line = [t for t in TWO_LINE if t not in ("Colin Roald", "Shelley Owen", "Mark T.")]
    page = ARTICLE + ["Thanks for reading."] + one_line
    lab = [E] * (len(ARTICLE) + 1) + [C] * len(one_line)
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_a_paragraph_above_the_first_header_stays_article() -> None:
    """Two-line headers, but above the first date line is a paragraph, not a name: no move."""
    page = ARTICLE + TWO_LINE[1:]
    lab = [E] * len(ARTICLE) + [C] * (len(TWO_LINE) - 1)
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_furniture_between_stops_it() -> None:
    """A block the decoder did not call editorial (here a "2 comments" line as boilerplate)
    between the commenter line and the start: the step does not jump over it."""
    page = ARTICLE + THREAD[:2] + ["2 comments"] + THREAD[2:]
    lab = [E] * len(ARTICLE) + [E, E, B] + [C] * (len(THREAD) - 2)
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_a_template_the_thread_does_not_repeat_moves_nothing() -> None:
    """One commenter line inside the decoded thread is no template, even one that has both of
    the line above's keys."""
    page = ARTICLE + THREAD[:2] + ["Maria July 9, 2012 at 1:00 pm", THREAD[3]]
    lab = [E] * len(ARTICLE) + [E, E, C, C]
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_no_thread_no_change() -> None:
    page = ARTICLE + THREAD
    lab = [E] * len(page)
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_too_far_above_is_not_reached() -> None:
    """A matching line more than BACK_BLOCKS editorial blocks above the start stays editorial."""
    filler = [f"Another long paragraph of the first comment, number {i}, with nothing in it." for i in
              range(thread_template.BACK_BLOCKS)]
    page = ARTICLE + THREAD[:1] + filler + THREAD[2:]
    lab = [E] * (len(ARTICLE) + 1 + len(filler)) + [C] * (len(THREAD) - 2)
    (labels,), moved = _run([page], [lab])
    assert moved == 0
    assert labels.tolist() == lab


def test_pages_of_a_batch_stay_apart() -> None:
    """A page's thread template is not read from, nor applied to, its neighbour in the batch."""
    other = ARTICLE + THREAD[:1]  # ends with a commenter line, all article
    (a, b), moved = _run([other, ARTICLE + THREAD], [[E] * len(other), _late()])
    assert moved == 1
    assert (a == E).all()
    assert b.tolist() == [E] * len(ARTICLE) + [C] * len(THREAD)


def test_meta_rows_given_instead_of_the_matrix() -> None:
    """The HTML path hands over the meta-line rows it found before its DOM columns replaced the
    text ones: the same moves as from the text matrix."""
    from features.headers import meta_rows

    pf, offsets = extract_batch([ARTICLE + THREAD])
    a, b = [np.array(_late(), dtype=np.int64)], [np.array(_late(), dtype=np.int64)]
    assert thread_template.extend_starts(a, pf.X, ARTICLE + THREAD, offsets) == 1
    assert thread_template.extend_starts(b, None, ARTICLE + THREAD, offsets, meta=meta_rows(pf.X)) == 1
    assert a[0].tolist() == b[0].tolist() != _late()


def test_read_only_labels_are_copied() -> None:
    pf, offsets = extract_batch([ARTICLE + THREAD])
    lab = np.array(_late(), dtype=np.int64)
    lab.flags.writeable = False
    decoded = [lab]
    assert thread_template.extend_starts(decoded, pf.X, ARTICLE + THREAD, offsets) == 1
    assert decoded[0][len(ARTICLE)] == C and lab[len(ARTICLE)] == E


@pytest.mark.parametrize("html", [False, True])
def test_classifier_applies_it_to_text_and_html(monkeypatch: pytest.MonkeyPatch, html: bool) -> None:
    """Both paths run the step once per batch, on the meta lines of the blocks' text columns (on
    HTML, not the DOM model's own columns, which sit at other places)."""
    from classifier.api import Classifier
    from features.headers import meta_rows

    calls = []
    real = thread_template.extend_starts

    def spy(decoded, X, texts, offsets, skip=(), meta=None):
        calls.append((len(decoded), list(texts), None if meta is None else meta.tolist()))
        return real(decoded, X, texts, offsets, skip=skip, meta=meta)

    monkeypatch.setattr(thread_template, "extend_starts", spy)
    clf = Classifier.load()
    if html:
        res = clf.classify_html("<html><body>" + "".join(f"<p>{t}</p>" for t in ARTICLE + THREAD) + "</body></html>")
    else:
        res = clf.classify_text("\n".join(ARTICLE + THREAD))
    assert len(calls) == 1 and calls[0][0] == 1
    texts = calls[0][1]
    assert texts == [b["text"] for b in res.blocks]
    pf, _ = extract_batch([texts])
    assert calls[0][2] == meta_rows(pf.X).tolist() and len(calls[0][2]) >= thread_template.MIN_TEMPLATE_LINES


def test_report_figures_count_blocks_pages_and_starts() -> None:
    """``training.thread_template.figures``: pooled block F1, page-level has_comments and exact
    thread starts, on two pages whose numbers are known."""
    from types import SimpleNamespace

    from training.thread_template import figures, table

    ys = [np.array([E, E, C, C]), np.array([E, E, E])]
    oof = SimpleNamespace(ys=ys, n=2, gold_has=np.array([True, False]),
                          kinds=np.array(["dragnet/gold", "dragnet/gold"]))
    late = [np.array([E, E, E, C]), np.array([E, E, E])]  # thread one block late
    exact = [np.array([E, E, C, C]), np.array([E, E, E])]
    f = figures(oof, late, np.arange(2))
    assert f["editorial"] == pytest.approx(2 * 5 / (2 * 5 + 1))  # 5 right, 1 comment called editorial
    assert f["comment"] == pytest.approx(2 / 3)
    assert f["has_comments"] == 1.0 and f["exact"] == 0.0 and f["near"] == 1.0
    g = figures(oof, exact, np.arange(2))
    assert g["editorial"] == g["comment"] == g["exact"] == 1.0
    text, rows = table(oof, late, exact)
    assert "0.000 / 1.000 -> 1.000 / 1.000" in text
    assert rows[-1]["kind"] == "all" and rows[-1]["after"]["comment"] == 1.0


def test_skipped_pages_are_left_alone() -> None:
    """The classifier skips pages it read again by paragraph (hard-wrapped, markdown)."""
    pf, offsets = extract_batch([ARTICLE + THREAD, ARTICLE + THREAD])
    decoded = [np.array(_late(), dtype=np.int64), np.array(_late(), dtype=np.int64)]
    assert thread_template.extend_starts(decoded, pf.X, (ARTICLE + THREAD) * 2, offsets, skip={0}) == 1
    assert decoded[0].tolist() == _late() and decoded[1][len(ARTICLE)] == C


def test_classifier_runs_it_on_a_reread_page_by_paragraph() -> None:
    """A hard-wrapped page is handed to the step as its paragraphs (once), and skipped at the
    line level; its lines then carry the labels of the page written one paragraph a line."""
    import textwrap
    from pathlib import Path

    from classifier.api import Classifier

    example = Path(__file__).resolve().parents[1] / "data" / "examples" / "harbour_bridge.txt"
    paras = [ln for ln in example.read_text(encoding="utf-8").split("\n") if ln.strip()]
    wrapped = "\n\n".join("\n".join(textwrap.wrap(p, 72)) for p in paras)
    clf = Classifier.load()
    calls = []
    real = thread_template.extend_starts

    def spy(decoded, X, texts, offsets, skip=(), meta=None):
        calls.append((len(decoded), set(skip)))
        return real(decoded, X, texts, offsets, skip=skip, meta=meta)

    try:
        thread_template.extend_starts = spy
        res = clf.classify_text(wrapped)
        flat = clf.classify_text("\n".join(paras))
    finally:
        thread_template.extend_starts = real
    assert calls[:2] == [(1, set()), (1, {0})]  # the paragraphs, then the lines with the page skipped
    assert calls[2] == (1, set())  # the page written one paragraph a line
    assert res.has_comments == flat.has_comments
    lines = [ln for ln in wrapped.split("\n") if ln.strip()]
    owner = [k for k, p in enumerate(paras) for _ in textwrap.wrap(p, 72)]
    assert len(lines) == len(owner) == len(res.blocks)
    assert [b["label"] for b in res.blocks] == [flat.blocks[k]["label"] for k in owner]


def test_card_section_replaces_its_own_and_keeps_the_gate_section(tmp_path) -> None:
    from training.page_gate import write_card_section
    from training.thread_template import CARD_HEADING, card_section

    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Card\n\n## Page gate (x)\n\ngate text\n")
    write_card_section(card, card_section("| old |", "cmd a", 1, 10), CARD_HEADING)
    write_card_section(card, card_section("| new |", "cmd b", 2, 10), CARD_HEADING)
    text = card.read_text()
    assert text.count(CARD_HEADING) == 1 and "| new |" in text and "| old |" not in text
    assert "gate text" in text and "cmd b" in text and "2 of 10 pages" in text


def test_html_oof_replays_the_step_on_pages_with_texts() -> None:
    """``training.html_oof.with_thread_template``: the step as the classifier runs it on HTML,
    over pages cut into feature passes; a page without its texts is left as it is."""
    from training.html_oof import STEP_BATCH, with_thread_template

    n = STEP_BATCH + 2  # two feature passes
    labels = [np.array(_late(), dtype=np.int64) for _ in range(n)]
    texts = [ARTICLE + THREAD] * n
    texts[1] = None
    out = with_thread_template(labels, texts)
    assert len(out) == n and out[1].tolist() == _late()
    assert all(out[i][len(ARTICLE)] == C for i in range(n) if i != 1)


def test_html_oof_replay_leaves_the_callers_labels_alone() -> None:
    """The report compares the labels before and after the step, so the replay must not move the
    starts of the labels it was given (the step itself works in place)."""
    from training.html_oof import with_thread_template

    labels = [np.array(_late(), dtype=np.int64)]
    out = with_thread_template(labels, [ARTICLE + THREAD])
    assert labels[0].tolist() == _late() and out[0][len(ARTICLE)] == C
