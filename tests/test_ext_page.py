"""Session 22's changes to the compiled result writer (classifier/_results_ext.pyx).

- ``_put_str`` writes strings 16 code units at a time (SSE2 pack and test): every code unit value
  at every offset of strings around that width, in each str kind, against ``orjson.dumps``.
- ``block_fields``: the texts ``Classifier._classify_group`` reads, and the blocks' index and line
  read with them, for ``capture``: exactly the comprehensions' texts, None on anything it does not
  cover, and ``capture`` with them giving the very dicts and JSON it gives without them.
- ``PageBlocks.doc_json``: a result's whole line, exactly what the orjson way writes (or None), for
  adversarial field values; through ``DocumentResult.to_json`` / ``to_json_bytes`` with the kernel
  on and off, on adversarial records and on bench pages.
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import orjson
import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs
from test_ext_asm import _assembly_args, _bits
from test_ext_json import RECORDS, _capture, _nested, _same

from classifier import api
from classifier.api import DocumentResult, PageInput
from classifier.model import LABELS
from features.segment import Block

RES = "classifier._results_ext"
# Code units around the writer's test: the bytes orjson escapes, the ASCII edges, the first
# non-ASCII code point of each UTF-8 length, and the values that pack (with saturation) to bytes
# the test must not take for plain ones.
EDGES = [0x00, 0x01, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xA0, 0xFF,
         0x100, 0x120, 0x122, 0x15C, 0x17F, 0x7FF, 0x800, 0x2019, 0x2022, 0x205C, 0x7F41, 0x8000, 0x8022, 0x805C,
         0xFF20, 0xFF22, 0xFFFF, 0x10000, 0x10022, 0x1005C, 0x1F600, 0x10FFFF]
# Fillers that make a string of each kind (ASCII, 1-byte non-ASCII, 2-byte, 4-byte).
KIND_TAILS = ["", "é", "\u0100", "😀"]


def _json_of(texts: list[str], seed: int = 0) -> None:
    """``texts`` as one page through ``capture``: its JSON must be orjson's (None where orjson refuses)."""
    ref, args = _capture(texts, np.random.default_rng(seed))
    _same(ref, args)


def test_every_edge_value_at_every_offset() -> None:
    """Each edge code unit at each offset of strings 0-40 code units long, in each kind."""
    needs(RES)
    for tail in KIND_TAILS:
        texts = []
        for c in EDGES:
            for off in range(0, 34):
                for rest in (0, 1, 15, 16, 17):
                    texts.append("a" * off + chr(c) + "b" * rest + tail)
                    texts.append(tail + "a" * off + chr(c) + "b" * rest)
        for lo in range(0, len(texts), 4000):
            _json_of(texts[lo: lo + 4000])


def test_runs_of_plain_and_other_code_units() -> None:
    """Random mixes of plain ASCII runs and code units that need work, dense and sparse, in strings
    of every length up to a few hundred: the one-at-a-time stretch (first to last such code unit
    of a 16) and the 16-wide runs between."""
    needs(RES)
    pick = random.Random(11)
    others = [chr(c) for c in EDGES if not 0x20 <= c < 0x7F or c in (0x22, 0x5C)] + ["\u201c", "\u201d", "ж", "中"]
    texts = []
    for _ in range(4000):
        n = pick.randint(0, 300)
        density = pick.choice([0.0, 0.01, 0.05, 0.3, 0.9, 1.0])
        texts.append("".join(pick.choice(others) if pick.random() < density else pick.choice("abc xyz.,") for _ in
                             range(n)) + pick.choice(KIND_TAILS))
    for lo in range(0, len(texts), 1000):
        _json_of(texts[lo: lo + 1000], lo)


def test_surrogates_at_every_offset() -> None:
    """A lone surrogate anywhere in a 2- or 4-byte string, inside or after a 16-wide run: declined."""
    needs(RES)
    rng = np.random.default_rng(12)
    for c in (0xD800, 0xDBFF, 0xDC00, 0xDFFF):
        for off in range(0, 40):
            for tail in ("", "😀"):
                ref, args = _capture(["fine", "a" * off + chr(c) + "b" * 5 + tail], rng)
                assert _same(ref, args) is None


def test_long_strings_each_kind() -> None:
    needs(RES)
    for tail in KIND_TAILS:
        _json_of(["x" * 100_003 + tail, ("a\u2019b" * 30_000) + tail, ("\x01" * 40_000) + tail,
                  ("plain text " * 10_000 + '"' + tail) * 2])


# --- block_fields ---------------------------------------------------------------------------------

def _pages(rng: np.random.Generator, sizes: list[int], html: list[bool]) -> list[PageInput]:
    pages = []
    for n, h in zip(sizes, html):
        blocks = [Block(int(rng.integers(0, 1000)), f"t{int(rng.integers(0, 99))}\u2019", int(rng.integers(1, 10**6)))
                  for _ in range(n)]
        pages.append(PageInput(blocks, None, None, h))
    return pages


def test_block_fields_are_the_comprehensions() -> None:
    mod = needs(RES)
    for seed in range(8):
        rng = np.random.default_rng(seed)
        sizes = [int(n) for n in rng.integers(0, 20, size=int(rng.integers(0, 10)))]
        pages = _pages(rng, sizes, [bool(h) for h in rng.integers(0, 2, size=len(sizes))])
        f = mod.block_fields(pages, Block)
        assert f.texts == [b.text for p in pages for b in p.blocks]
        assert all(x is y for x, y in zip(f.texts, [b.text for p in pages for b in p.blocks]))
        assert f.page_texts == [[b.text for b in p.blocks] for p in pages]


def test_block_fields_newlines() -> None:
    """``newlines``: False exactly when every text is an exact str without a newline (each kind,
    the newline anywhere, code units whose low byte is a newline's), else True."""
    mod = needs(RES)

    def flag(texts: list, html: bool = False) -> bool:
        return mod.block_fields([PageInput([Block(i, t, i + 1) for i, t in enumerate(texts)], None, None, html)],
                                Block).newlines

    assert flag([]) is False and flag([""]) is False
    for tail in KIND_TAILS + ["\u010a", "\u200a", "\U0001000a", "\r", "\u2028", "\x85"]:
        for n in (0, 1, 15, 16, 17, 100):
            assert flag(["a" * n + tail, tail]) is False
            for at in range(0, n + 1, max(1, n // 7)):
                t = "a" * at + "\n" + "b" * (n - at) + tail
                assert flag(["x", t]) is True
                assert flag([t, "y"], html=True) is True

    class S(str):
        pass

    assert flag(["a", S("b")]) is True  # not an exact str: may be anything
    assert flag(["a", 3]) is True


def test_newline_in_blocks_through_the_classifier(clf: api.Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks holding newlines (made outside the segmenters) and blocks without: the same results
    with the kernel on and off (the newline read as a space, the page scores over the same text)."""
    needs(RES)
    pages = [[Block(0, "Headline\nwith a newline", 1), Block(1, "Share this\n\nSubscribe", 2)],
             [Block(0, "Subscribe to our newsletter", 1), Block(1, "Posted by admin", 3)],
             [Block(0, "Source: wire \u2019quoted\u2019", 1)], []]

    def run() -> list:
        out = []
        for blocks in (pages, pages[1:]):
            docs = clf.classify_pages([PageInput(list(b), i, None, False) for i, b in enumerate(blocks)])
            out.append([d.to_json() for d in docs])
        return out

    got, want = with_and_without(run, monkeypatch, [(api, "_RESULTS")])
    assert got == want


def test_lead_doc_is_doc_with_a_newline() -> None:
    """``batch_scores`` / ``batch_fields`` given ``lead_doc`` (``"\\n" + doc``, ``doc`` None): the same."""
    from classifier import scores

    rng = np.random.default_rng(3)
    texts = ["Posted by admin", "Subscribe to our newsletter", "  Share this", "Source: AP", "body text",
             "Sponsored content", "Leave a comment", "Unsubscribe", "\u017fhare"] * 3
    n = len(texts)
    labels = rng.integers(0, len(LABELS), size=n)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    page = np.repeat(np.arange(3), n // 3)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    doc = "\n".join(texts)
    args = (labels, lengths, page, 3, rng.random(n), rng.integers(0, 2, size=n).astype(bool), rng.random(n))
    want = scores.batch_scores(*args, doc, starts, np.zeros(3, dtype=bool))
    got = scores.batch_scores(*args, None, starts, np.zeros(3, dtype=bool), lead_doc="\n" + doc)
    assert repr(got) == repr(want)
    assert any(p.values["autoblog_markers"] > 0 for p in want)


@pytest.mark.parametrize("value", [True, 1.0, None, "3", 2**63, -(2**63) - 1, np.int64(3)])
def test_block_fields_declines(value: object) -> None:
    """An index (or a text page's line) not an exact int64 int, a block not an exact Block, blocks
    not a list: None (the Python comprehensions then run, capture reads the blocks itself)."""
    mod = needs(RES)
    ok = [Block(0, "a", 1), Block(1, "b", 2)]
    assert mod.block_fields([PageInput(list(ok), None, None, False)], Block) is not None
    assert mod.block_fields([PageInput([Block(value, "a", 1)], None, None, False)], Block) is None
    assert mod.block_fields([PageInput([Block(0, "a", value)], None, None, False)], Block) is None
    # an HTML page's line is never read
    assert mod.block_fields([PageInput([Block(0, "a", value)], None, None, True)], Block) is not None

    @dataclasses.dataclass
    class Other(Block):
        pass

    assert mod.block_fields([PageInput([Other(0, "a", 1)], None, None, False)], Block) is None
    assert mod.block_fields([PageInput(tuple(ok), None, None, False)], Block) is None
    assert mod.block_fields([], Block).texts == []


def test_capture_with_fields_is_capture_without() -> None:
    """``capture`` given ``block_fields``: the same dicts (values, types, key order) and JSON; given
    fields of other pages (other counts) or pages whose ``is_html`` changed: they are not used."""
    mod = needs(RES)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        sizes = [int(n) for n in rng.integers(0, 25, size=int(rng.integers(1, 10)))]
        html = [bool(h) for h in rng.integers(0, 2, size=len(sizes))]
        args = list(_assembly_args(rng, sizes, html))
        pages = args[0]
        fields = mod.block_fields(list(pages), Block)
        assert fields is not None
        plain = api._lazy_blocks(*args)
        fast = api._lazy_blocks(*args, fields)
        want = api._block_dicts(*args)
        for a, b, w in zip(fast, plain, want):
            assert _bits(a.blocks()) == _bits(b.blocks()) == _bits(w)
            for t in (True, False):
                assert a.json(t) == b.json(t)
        if pages and len(pages[0].blocks):
            pages[0].is_html = not pages[0].is_html  # the fields saw the other kind of page
            got = api._lazy_blocks(*args, fields)
            assert _bits(got[0].blocks()) == _bits(api._block_dicts(*args)[0])
            other = mod.block_fields(list(pages[1:]), Block)
            got = api._lazy_blocks(*args, other)
            assert _bits(got[0].blocks()) == _bits(api._block_dicts(*args)[0])


def test_int64_edges_through_fields() -> None:
    """Index and line at the int64 edges, read by block_fields, written by the JSON writer."""
    mod = needs(RES)
    vals = [0, 1, -1, 9, 10, 2**31, 2**63 - 1, -(2**63), 10**18, -(10**18)]
    blocks = [Block(v, "x", w) for v, w in zip(vals, reversed(vals))]
    pages = [PageInput(blocks, None, None, False)]
    n = len(blocks)
    z = np.full((n, len(LABELS)), 0.25)
    args = [pages, [(0, n)], [LABELS[0]] * n, z, np.zeros(n), np.zeros(n, np.float32), [[] for _ in range(n)],
            [[] for _ in range(n)]]
    fields = mod.block_fields(pages, Block)
    ref = api._lazy_blocks(*args, fields)[0]
    want = api._block_dicts(*args)[0]
    assert _bits(ref.blocks()) == _bits(want)
    assert ref.json(True) == orjson.dumps(want)


# --- doc_json -------------------------------------------------------------------------------------

def _orjson_line(d: DocumentResult, include_text: bool = True) -> bytes:
    """What ``to_json_bytes`` wrote before ``doc_json``: orjson's line of the fields around the blocks."""
    return api.dumps_bytes(d.to_dict(include_text))


ODD_VALUES = [None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**63, 2**70, 0.0, -0.0, 0.5, 1e-5, 1e300, 5e-324,
              math.nan, math.inf, -math.inf, 0.1 + 0.2, "", "é", "\u2019", "😀", '"\\\x00\x1f', "\ud800",
              [], [1, "a"], {}, {"a": 1}, {1: 2}, (1, 2), np.float64(0.5), np.int64(3), np.float32(0.5),
              orjson.Fragment(b"1"), _nested(3)]
FIELDS = ["id", "url", "source", "has_comments", "comment_start", "mt_score", "dup_fraction", "quality", "model",
          "reasons", "fractions"]


def _cases() -> list[tuple[str, object]]:
    """(field, value) pairs: each field set to each odd value, reasons and fractions also holding them."""
    out = []
    for field in FIELDS:
        for value in ODD_VALUES:
            out.append((field, value))
            if field in ("reasons", "fractions"):
                out.append((field, ["ok", value]))
                out.append((field, {"editorial": 0.5, "x": value}))
                try:
                    out.append((field, {value: 1.0, "b": 0.25}))
                except TypeError:  # unhashable
                    pass
    return out


def test_doc_json_is_the_orjson_line(clf: api.Classifier) -> None:
    """Every field set to each odd value (and reasons / fractions holding them): ``doc_json``
    answers exactly orjson's line or None, and ``to_json`` / ``to_json_bytes`` are what the
    orjson way gives (built dicts, ``dumps_bytes``)."""
    needs(RES)
    cases = _cases()
    docs = iter(clf.classify_many([RECORDS[1]] * (8 * len(cases))))
    for field, value in cases:
        for t in (True, False):
            d = next(docs)
            setattr(d, field, value)
            lazy = d.__dict__[api._LAZY]
            got = lazy.doc_json(d, t, False)
            try:
                want = orjson.dumps(d._fields(api._BLOCKS_MARK)).replace(b"\x00", lazy.json(t))
            except TypeError:
                want = None
            if got is not None:
                assert got == want, (field, value)
                assert lazy.doc_json(d, t, True) == got.decode()
            a, b, c = next(docs), next(docs), next(docs)
            for x in (a, b, c):
                setattr(x, field, value)
            try:
                ref = api.dumps_bytes(c.to_dict(t))
            except (TypeError, ValueError):  # neither orjson nor json writes it: raised as before
                with pytest.raises((TypeError, ValueError)):
                    a.to_json_bytes(t)
                continue
            assert a.to_json_bytes(t) == ref, (field, value)
            assert b.to_json(t) == ref.decode(), (field, value)


def test_doc_json_on_records(clf: api.Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """The adversarial records with the kernel on and off: the same lines."""
    needs(RES)

    def run() -> list:
        return [(d.to_json(), d.to_json_bytes(False)) for d in clf.classify_many(RECORDS)]

    got, want = with_and_without(run, monkeypatch, [(api, "_RESULTS")])
    assert got == want


def test_doc_json_deleted_field_raises(clf: api.Classifier) -> None:
    """A deleted field fails as it did (AttributeError from the result)."""
    needs(RES)
    d = list(clf.classify_many(RECORDS[:1]))[0]
    del d.url
    with pytest.raises(AttributeError):
        d.to_json()


def test_doc_json_subclass_goes_the_orjson_way(clf: api.Classifier) -> None:
    """A subclass (which may define its own ``_fields``): not written by ``doc_json``."""
    needs(RES)

    class Mine(DocumentResult):
        def _fields(self, blocks: object) -> dict:
            return {"blocks": blocks, "mine": 1}

    d = list(clf.classify_many(RECORDS[:1]))[0]
    d.__class__ = Mine
    assert d.to_json() == orjson.dumps({"blocks": d.blocks, "mine": 1}).decode()


def test_bench_pages_on_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model on bench pages: every line as str and bytes, with and without text."""
    needs(RES)
    recs = [{"id": p.id, "text": p.text} for p in bench_pages(400)]
    clf = api.Classifier.load()

    def run() -> list:
        return [(d.to_json(), d.to_json_bytes(), d.to_json(False)) for d in clf.classify_many(recs)]

    got, want = with_and_without(run, monkeypatch, [(api, "_RESULTS")])
    assert got == want



# --- the marker scan's newline search (classifier/_pages_ext.pyx line_starts) ----------------------

def test_line_starts_newline_at_every_offset() -> None:
    """A newline (then a first letter, or not) at every offset around the 16-byte search, in each
    str kind, among code units that hold a newline's value in one of their bytes or halves
    (U+010A, U+0A00, U+0A0A, U+1000A ...): the regex's places."""
    from classifier import scores

    mod = needs("classifier._pages_ext")
    fillers = ["a", "\u010a", "\u0a00", "\u0a0a", "\u200a", "\U0001000a", "\U000a0000", " "]
    for tail in KIND_TAILS:
        for fill in fillers:
            for off in range(0, 40):
                for after in ("s", "x", " \tS", "\n", ""):
                    for rest in (0, 3, 9, 17):
                        text = fill * off + "\n" + after + fill * rest + tail
                        got = mod.line_starts(text, scores.MARKER_FIRST_CHARS)
                        want = [m.start() for m in scores._MARKER_CANDIDATE_RX.finditer(text)]
                        assert got.tolist() == want, (tail, fill, off, after, rest)


def test_line_starts_random_long() -> None:
    from classifier import scores

    mod = needs("classifier._pages_ext")
    pick = random.Random(21)
    alphabet = ["\n", " ", "s", "H", "x", "\u010a", "\u0a0a", "\U0001000a", "\u2019", "\u017f", "\xa0"] + ["a"] * 30
    for _ in range(200):
        text = "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 3000)))
        got = mod.line_starts(text, scores.MARKER_FIRST_CHARS)
        assert got.tolist() == [m.start() for m in scores._MARKER_CANDIDATE_RX.finditer(text)]
