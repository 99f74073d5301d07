"""Markdown input (features/markdown.py) and the readings that combine it with unwrapping
(features/reading.py), down to the classifier's labels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from classifier import Classifier
from features import markdown, reading
from features.segment import segment_text

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "harbour_bridge.txt"


@pytest.mark.parametrize(("md", "text"), [
    ("Read the [council's report](https://example.org/report.pdf) today.", "Read the council's report today."),
    ('A [titled link](http://example.org/a_(b) "The title") here', "A titled link here"),
    ("[Scores](javascript:OCW('http://example.org/tours/', '_blank','resizable=yes');)", "Scores"),
    ("###### [Venus advances | [Highlights](http://x.org/v.html)](http://x.org/n.html)", "Venus advances | Highlights"),
    ("[![Logo](/img/logo.png)](/)", "Logo"),
    ("![](http://0.gravatar.com/avatar/6c19?s=54)", ""),
    ("## 15 comments", "15 comments"),
    ("## Closed heading ##", "Closed heading"),
    ("# C#", "C#"),
    ("  * [Home](/) ", "Home"),
    ("> quoted **strong** words", "quoted strong words"),
    ("1\\. not a list \\- really", "1. not a list - really"),
    ("* * *", ""),
    ("See [the report][1] for more", "See the report for more"),
    ("Plain text [1] (see note) stays", "Plain text [1] (see note) stays"),
])
def test_plain_is_what_a_reader_sees(md: str, text: str) -> None:
    assert markdown.plain(md) == text


def test_is_markdown_needs_a_link_and_markup_twice() -> None:
    assert markdown.is_markdown(["Read [this](http://a.org) and [that](http://b.org)."])
    assert markdown.is_markdown(["# Title", "Some text with [a link](http://a.org)."])
    assert not markdown.is_markdown(["Read [this](http://a.org) please.", "Nothing else here."])
    # Headings alone: plain text starts lines with "#" too.
    assert not markdown.is_markdown(["# posted by Joe : 11:58 AM", "# of Houses Sold", "# # #", "## Section"])
    assert not markdown.is_markdown(["C# is a language.", "Notes [1] and [2] (see below).", "#hashtag"])


def test_markdown_without_links_needs_headings_and_items() -> None:
    page = ["# Council approves repairs", "The council voted on **Tuesday**.", "## Reactions",
            "* Residents welcomed it", "* Traders did not"]
    assert markdown.is_markdown(page)
    assert not markdown.is_markdown(page[:3])  # one bold span: not enough
    assert not markdown.is_markdown(["# Title", "* one", "* two"])  # one heading


def test_page_reading_of_markdown_lines() -> None:
    lines = ["# Council approves repairs", "![](http://x.org/a.png)", "[Home](/) | [News](/news)",
             "The council voted on Tuesday.", "* * *"]
    r = reading.page_reading(lines, list(range(1, 6)))
    assert r is not None and r.markdown and not r.wrapped
    assert r.texts == ["Council approves repairs", "Home | News", "The council voted on Tuesday."]
    # The image line takes the next text's label, the closing rule the last one's.
    assert r.owner.tolist() == [0, 1, 1, 2, 2]


def test_wrapped_markdown_joins_links_broken_across_lines() -> None:
    # html2text wraps at 78 and breaks long URLs at their hyphens.
    para = ("Netflix's Reed Hastings [could serve](http://en.wikipedia.org/wiki/Reed_Hastings) as an "
            "example, Groupon's Andrew Mason is [likely another](http://www.example.com/groupons-ceo-"
            "today-show-2010-12) and Zappos' Tony Hsieh a third, and I know a few more folks in the "
            "space that I would vouch for as honest, humble and down-to-earth.")
    lines = textwrap.wrap(para, 78) + [""] + textwrap.wrap(para, 78)
    blocks = segment_text("\n".join(lines))
    assert any(line.endswith("-") for line in lines)
    r = reading.page_reading([b.text for b in blocks], [b.line for b in blocks])
    assert r is not None and r.wrapped and r.markdown
    want = markdown.plain(para)
    assert "http" not in want
    assert r.texts == [want, want]


def test_batch_readings_find_the_pages_with_markers() -> None:
    pages = [["An ordinary page.", "With two lines."],
             ["# A heading", "Text with [a link](http://x.org) in it."],
             ["# posted by Joe", "Another ordinary page, C# and all.", "# # #"],
             ["[One](http://a.org) and [two](http://b.org)."]]
    texts = [t for p in pages for t in p]
    lead = "\n" + "\n".join(texts)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum([len(p) for p in pages])))
    found = reading.batch_readings(pages, lambda k: None, lambda k: True, lengths, offsets, lead, 1)
    assert sorted(found) == [1, 3]
    assert found[3].texts == ["One and two."]
    assert reading.batch_readings(pages, lambda k: None, lambda k: k != 1, lengths, offsets, lead, 1).keys() == {3}


def _markdown_example() -> tuple[str, list[str]]:
    """The bundled example page written as markdown (links on the furniture, the commenters'
    names and the share line, a heading), with the plain lines it stands for."""
    lines = [line for line in EXAMPLE.read_text(encoding="utf-8").split("\n") if line.strip()]
    out = []
    for i, line in enumerate(lines):
        if i == 0:
            out.append(" / ".join(f"[{part}](https://example.org/{part.lower().replace(' ', '-')})"
                                  for part in line.split(" / ")))
        elif i == 1:
            out.append("# " + line)
        elif line.startswith(("Share this", "Read more")):
            out.append(f"[{line}](https://example.org/share?u=harbour-bridge&t={i})")
        else:
            out.append(line)
    return "\n".join(out), lines


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    """The shipped models, an instance of this module's own (a test switches rereading off)."""
    return Classifier.load()


def test_classifier_reads_a_markdown_page_as_its_plain_text(classifier) -> None:
    md, lines = _markdown_example()
    assert md.count("](") >= 3
    result = classifier.classify_text(md)
    plain = classifier.classify_text("\n".join(lines))
    assert [b["text"] for b in result.blocks] == md.split("\n")  # the blocks keep their own text
    assert result.labels == plain.labels
    assert [b["proba"] for b in result.blocks] == [b["proba"] for b in plain.blocks]
    assert (result.has_comments, result.comment_start) == (plain.has_comments, plain.comment_start)
    classifier.reread = False
    try:
        as_written = classifier.classify_text(md)
    finally:
        classifier.reread = True
    assert [b["proba"] for b in as_written.blocks] != [b["proba"] for b in plain.blocks]


def test_markup_positions_are_links_and_heading_lines() -> None:
    text = "C# and [1] (a note)\n  ## Heading\n    # code, not a heading\nsee [a](u) #tag"
    want = sorted([text.index("](u"), text.index("##")])
    assert sorted(markdown.markup_positions(text)) == want
    assert sorted(markdown.markup_positions(text, text.index("see"))) == [text.index("](u")]


def test_batch_readings_scan_the_feature_pass_bytes_alike() -> None:
    pages = [["Curly \u2019quotes\u2019 make this str two bytes a character.", "Plain."],
             ["# Caf\u00e9 news", "Text with [a link](http://x.org) and [another](http://y.org)."],
             ["# posted by Jo\u00eb", "Nothing to read differently."]]
    texts = [t for p in pages for t in p]
    lead = "\n" + "\n".join(texts)
    utf8 = "\n".join(texts).lower().encode()
    starts = np.array([0] + [i + 1 for i, b in enumerate(utf8) if b == 10], dtype=np.int64)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum([len(p) for p in pages])))
    with_str = reading.batch_readings(pages, lambda k: None, lambda k: True, lengths, offsets, lead, 1)
    with_bytes = reading.batch_readings(pages, lambda k: None, lambda k: True, lengths, offsets, lead, 1,
                                        utf8, starts)
    assert sorted(with_str) == sorted(with_bytes) == [1]
    assert with_bytes[1].texts == with_str[1].texts == ["Café news", "Text with a link and another."]
    text = "\n".join(texts)
    assert [text.encode()[:p].decode().__len__() for p in markdown.markup_positions(text.encode())] == \
        markdown.markup_positions(text)
