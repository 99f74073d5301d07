"""The per-page Python around the feature pass, compiled or shortened, gives what it gave before.

``classifier._results_ext.page_sizes`` (used by ``limits.apply_sized`` and
``Classifier.classify_pages``) against ``sum``/``max`` of ``len(b.text)`` per page, and
``limits.apply`` with the kernel against the loops alone: the same pages (the same objects where
nothing was cut), the same cuts, on pages at and around every limit, with flags, HTML pages, empty
pages and batches, non-``Block`` blocks and non-``str`` texts (the kernel declines); and the
bench pages' JSON with the kernels on and off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs

from classifier import limits
from classifier.api import PageInput
from features.segment import Block, segment_text

ROOT = Path(__file__).resolve().parents[1]
RES = "classifier._results_ext"


class Text(str):
    """A str subclass: its ``len`` may be anything, so the kernel must leave it to Python."""

    def __len__(self) -> int:
        return 7


@dataclass
class OtherBlock:
    """Not a ``Block``: the kernel declines."""

    index: int
    text: str
    line: int | None = None


def _page(texts: list[str], flags: tuple[str, ...] = ()) -> PageInput:
    return PageInput([Block(i, t, i + 1) for i, t in enumerate(texts)], f"p{len(texts)}", None, False, flags=flags)


def _reference_sizes(pages: list[PageInput]) -> tuple[list[int], list[int]]:
    return ([sum(len(b.text) for b in p.blocks) for p in pages],
            [max((len(b.text) for b in p.blocks), default=0) for p in pages])


LIMITS = [
    limits.Limits(),
    limits.Limits(max_page_bytes=None, max_block_chars=None, page_timeout=None, max_page_blocks=None),
    limits.Limits(max_page_bytes=100, max_block_chars=10, max_page_blocks=3),
    limits.Limits(max_page_bytes=40, max_block_chars=0, max_page_blocks=0),
    limits.Limits(max_page_bytes=0, max_block_chars=5, max_page_blocks=None),
    limits.Limits(max_page_bytes=1, max_block_chars=1, max_page_blocks=1),
]


def _pages(rng: random.Random) -> list[PageInput]:
    """Pages at and around the limits above: sizes 0..~30 blocks of 0..~40 characters, ASCII and
    wide (UTF-8 bytes above characters), some flagged."""
    alphabet = "ab c\té€😀\ud800"
    out = []
    for _ in range(rng.randint(0, 12)):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 5, 9, 10, 11, 25, 40])))
                 for _ in range(rng.choice([0, 1, 2, 3, 4, 10, 30]))]
        out.append(_page(texts, (limits.TRUNCATED_PAGE,) if rng.random() < 0.1 else ()))
    return out


def test_page_sizes_matches_python() -> None:
    res = needs(RES)
    rng = random.Random(5)
    for _ in range(200):
        pages = _pages(rng)
        assert res.page_sizes(pages, Block) == _reference_sizes(pages)
    assert res.page_sizes([], Block) == ([], [])
    assert res.page_sizes([_page([])], Block) == ([0], [0])
    long = "x" * 3_000_000 + "😀"
    assert res.page_sizes([_page([long, "a"])], Block) == ([3_000_002], [3_000_001])


def test_page_sizes_declines() -> None:
    """Anything but exact lists of exact ``Block``s with exact ``str`` texts: None (Python decides)."""
    res = needs(RES)
    assert res.page_sizes([_page(["a"]), PageInput((Block(0, "a", 1),), None, None, False)], Block) is None
    assert res.page_sizes([PageInput([OtherBlock(0, "a")], None, None, False)], Block) is None
    assert res.page_sizes([PageInput([Block(0, Text("abc"), 1)], None, None, False)], Block) is None
    assert res.page_sizes([PageInput([Block(0, None, 1)], None, None, False)], Block) is None  # type: ignore[arg-type]


def _key(page: object) -> tuple:
    """A page's fields, the DOM facts of HTML pages as lists (arrays do not compare with ``==``)."""
    html = getattr(page, "html", None)
    dom = None if html is None else (html.blocks, html.dom.tolist(), html.dom.dtype, html.n_elements)
    return (type(page), page.blocks, page.id, page.url, page.is_html, getattr(page, "flags", None), dom)


def _same_apply(pages: list, lim: limits.Limits, monkeypatch: pytest.MonkeyPatch) -> None:
    got, want = with_and_without(limits.apply_sized, monkeypatch, [(limits, "_RESULTS")], pages, lim)
    assert [_key(p) for p in got[0]] == [_key(p) for p in want[0]] and got[1] == want[1]
    assert [a is b for a, b in zip(got[0], pages)] == [a is b for a, b in zip(want[0], pages)]
    plain = limits.apply(pages, lim)
    assert [_key(p) for p in plain[0]] == [_key(p) for p in want[0]] and plain[1] == want[1]
    if got[2] is not None:
        assert got[2] == _reference_sizes(pages)[0]


@pytest.mark.parametrize("lim", LIMITS)
def test_apply_same_with_and_without_kernel(lim: limits.Limits, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(RES)
    rng = random.Random(11)
    for _ in range(150):
        _same_apply(_pages(rng), lim, monkeypatch)
    _same_apply([], lim, monkeypatch)
    _same_apply([_page([])], lim, monkeypatch)
    # Blocks the kernel declines: the loops run for every page, as before.
    odd = [PageInput([OtherBlock(0, "a" * 50)], None, None, False), _page(["b" * 50])]
    _same_apply(odd, lim, monkeypatch)
    _same_apply([PageInput([Block(0, Text("abcdefghijklmnop"), 1)], None, None, False)], lim, monkeypatch)


def test_apply_exactly_at_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages one character or block under, at and over each limit (``>`` against ``>=``)."""
    needs(RES)
    lim = limits.Limits(max_page_bytes=40, max_block_chars=10, max_page_blocks=4)
    for texts in (["a" * 10], ["a" * 11], ["a" * 9], ["a" * 10, "b" * 10], ["a" * 5] * 4, ["a" * 5] * 5,
                  ["é" * 10], ["😀" * 10], ["a"] * 3 + ["b" * 7], ["a"] * 3 + ["b" * 8]):
        _same_apply([_page(texts)], lim, monkeypatch)


def test_apply_html_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(RES)
    from classifier.api import Classifier

    lim = limits.Limits(max_page_bytes=200, max_block_chars=20, max_page_blocks=5)
    paragraphs = "".join(f"<p>paragraph {i} " + "word " * (i % 9) + "</p>" for i in range(12))
    html = f"<html><body>{paragraphs}</body></html>"
    pages = [Classifier.prepare({"html": html}, 1), Classifier.prepare({"html": "<p>short</p>"}, 2)]
    _same_apply(pages, lim, monkeypatch)


def test_apply_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(RES)
    pages = [PageInput(segment_text(p.text), p.id, None, False) for p in bench_pages(600)]
    for lim in LIMITS:
        _same_apply(pages, lim, monkeypatch)


def test_bench_json_kernels_on_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole pipeline's JSON on the bench pages, with the page sizes compiled and not."""
    needs(RES)
    from classifier import Classifier

    recs = [{"id": p.id, "text": p.text} for p in bench_pages(300)]
    clf = Classifier.load(ROOT / "data/model-text.json")
    small = Classifier(clf.model, clf.path, None, None, limits.Limits(max_page_bytes=3000, max_block_chars=200))
    for c in (clf, small):
        got, want = with_and_without(lambda c=c: [d.to_json() for d in c.classify_many(recs)], monkeypatch,
                                     [(limits, "_RESULTS")])
        assert got == want


SEG = "features._segment_ext"


class Reordered:
    """Block's fields as slots in another order (other offsets): stored where they belong."""

    __slots__ = ("extra", "tag", "line", "text", "index")


class WithSetter:
    """A ``text`` that is a property: the kernel must set the attributes, not store into slots."""

    __slots__ = ("index", "_text", "line", "tag", "extra")

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value.upper()


def test_segment_slots_stored_and_owned() -> None:
    """The slot stores give ``Block``s equal to the Python form's, holding one reference each."""
    import sys

    seg = needs(SEG)
    from features.segment import _segment_text_python

    text = "first line here\n\n  second line\r\n" + "é€😀 third" * 7 + "\n\ud800 fourth"
    got = seg.segment_text(text, Block)
    assert got == _segment_text_python(text)
    assert [sys.getrefcount(b.text) for b in got] == [2] * len(got)  # the slot and the argument
    kept = got[2].text
    del got
    assert sys.getrefcount(kept) == 2  # released with its block
    for cls in (Reordered, WithSetter):
        blocks = seg.segment_text(" a\nb\r\n", cls)
        assert [(type(b), b.index, b.text, b.line, b.tag, b.extra) for b in blocks] == [
            (cls, 0, " A" if cls is WithSetter else " a", 1, None, None),
            (cls, 1, "B" if cls is WithSetter else "b", 2, None, None)]
    assert seg.segment_text("x", Block) == [Block(0, "x", 1)]  # back to Block after the others


def test_document_result_field_order() -> None:
    """``Classifier._classify_group`` builds ``DocumentResult``s positionally, in this order."""
    from dataclasses import fields

    from classifier.api import DocumentResult

    assert [f.name for f in fields(DocumentResult)] == [
        "id", "url", "source", "blocks", "has_comments", "comment_start", "fractions", "mt_score", "dup_fraction",
        "quality", "reasons", "model", "labels"]


def test_batch_fields_are_batch_scores() -> None:
    """``scores.batch_fields`` (what the classifier reads) gives ``batch_scores``' fields, page by page."""
    import numpy as np

    from classifier import scores

    rng = np.random.default_rng(3)
    for lengths in ([], [0], [1], [3, 0, 5], [40, 1, 7, 0, 0, 12]):
        n = sum(lengths)
        texts = [("Source link" if i % 7 == 0 else "x" * int(rng.integers(0, 60))) for i in range(n)]
        lens = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.zeros(n, dtype=np.int64)
        if n:
            np.cumsum(lens[:-1] + 1, out=starts[1:])
        args = (rng.integers(0, 4, size=n).astype(np.int64), lens, np.repeat(np.arange(len(lengths)), lengths),
                len(lengths), rng.random(n), rng.random(n) < 0.2, rng.random(n).astype(np.float32), "\n".join(texts),
                starts, np.zeros(len(lengths), dtype=bool), rng.random(len(lengths)))
        ps = scores.batch_scores(*args)
        fr, mt, dup, q, rs, values = scores.batch_fields(*args)
        assert [(p.fractions, p.mt_score, p.dup_fraction, p.quality, p.reasons) for p in ps] == list(
            zip(fr, mt, dup, q, rs))
        assert repr(ps) == repr([scores.PageScores(*f, dict(zip(scores.RULE_NAMES, v)))
                                 for f, v in zip(zip(fr, mt, dup, q, rs), values.tolist())])
        assert all(type(x) is float for x in mt + dup + q)
        assert len({id(f) for f in fr}) == len(fr)  # a dict of its own per page
