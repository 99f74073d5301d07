"""Results whose block dicts are built only when read, and the compiled JSON writer beside them.

``classifier._results_ext.capture`` / ``PageBlocks`` (``api._lazy_blocks``, ``DocumentResult``):
``blocks()`` must be exactly ``api._block_dicts``' dicts (objects, key order, float bits); ``json()``
exactly ``orjson.dumps`` of those dicts (every code point in every str kind, the bytes orjson
escapes, lone surrogates, every rounded score k / 10**4 and odd floats, ints at the int64 edges
and past them) or None; and a ``DocumentResult`` must behave as one holding the dicts: the same
``to_json`` / ``to_dict`` / ``asdict`` / ``==`` / ``repr`` / pickle / copies, mutations of
``blocks`` or of any field seen by ``to_json``, ``del``, ``kept_text``; on adversarial records, with
the kernel on and off, and through the CLI.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
import random
import sys

import numpy as np
import orjson
import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs
from test_ext_asm import _assembly_args, _bits

from classifier import api
from classifier.api import DocumentResult, PageInput
from classifier.model import LABELS
from features.segment import Block

RES = "classifier._results_ext"
SURROGATES = range(0xD800, 0xE000)
# Strings orjson writes in odd ways, or refuses (lone surrogates), in all three str kinds.
AWKWARD = [
    "", '"', "\\", '\\"', "\x00", "\x01\x08\t\n\x0b\x0c\r\x0e\x1f", "\x7f", "\x80\x9f\xa0\xff", "\u2028\u2029",
    "</script>", "'&<>", "é", "中文", "😀", "\U0010ffff", "e\u0301", "\ufeff", "\ud800", "a\udfffb", "\udbff\udc00",
    "\ud800" + "😀", "x" * 100_000, ("é\n" * 5000), '"\\' * 1000 + "\x00",
]


def _capture(texts: list, rng: np.random.Generator, *, index: list | None = None, line: list | None = None,
             proba: np.ndarray | None = None, is_html: bool = False) -> tuple[object, tuple]:
    """One page of ``texts`` through ``capture`` (and the same arguments, for ``_block_dicts``)."""
    n = len(texts)
    index = list(range(n)) if index is None else index
    line = [2 * i + 1 for i in range(n)] if line is None else line
    blocks = [Block(i, t, ln) for i, t, ln in zip(index, texts, line)]
    pages = [PageInput(blocks, None, None, is_html)]
    if proba is None:
        z = rng.random((n, len(LABELS)))
        proba = z / z.sum(axis=1, keepdims=True)
    mt, prof = rng.random(n), rng.random(n).astype(np.float32)
    names = [LABELS[i] for i in rng.integers(0, len(LABELS), size=n)]
    mt_ev = [[{"kind": "abbreviation_mistranslation", "start": 0, "end": 3}] if i % 5 == 1 else [] for i in range(n)]
    prof_ev = [[{"kind": "profanity", "start": 1, "end": 2}] if i % 7 == 2 else [] for i in range(n)]
    args = (pages, [(0, n)], names, proba, mt, prof, mt_ev, prof_ev)
    refs = api._lazy_blocks(*args)
    assert refs is not None and len(refs) == 1
    return refs[0], args


def _same(ref: object, args: tuple, may_decline: bool = False) -> bytes | None:
    """``ref``'s dicts are ``_block_dicts``'; its JSON (with and without text) orjson's, or None
    where orjson refuses them (or, ``may_decline``, for a value the writer leaves to orjson)."""
    want = api._block_dicts(*args)[0]
    got = ref.blocks()
    assert _bits(got) == _bits(want)
    for include_text in (True, False):
        dicts = want if include_text else [{k: v for k, v in b.items() if k != "text"} for b in want]
        try:
            expect = orjson.dumps(dicts)
        except TypeError:
            expect = None
        out = ref.json(include_text)
        if out is not None or not may_decline:
            assert out == expect
    return ref.json(True)


def test_every_code_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code point but the surrogates, in strings of each kind (a code point under 0x100
    also inside 2- and 4-byte strings): orjson's bytes."""
    needs(RES)
    rng = np.random.default_rng(0)
    texts = []
    for base in range(0, sys.maxunicode + 1, 64):
        s = "".join(chr(c) for c in range(base, base + 64) if c not in SURROGATES)
        texts += [s, s + "\u0100", s + "\U0001f600"]
    assert len(texts) == 3 * (sys.maxunicode + 1) // 64
    for lo in range(0, len(texts), 3000):
        ref, args = _capture(texts[lo: lo + 3000], rng)
        assert _same(ref, args) is not None


def test_ascii_escapes_at_every_offset() -> None:
    """ASCII strings are scanned eight bytes at a time: every ASCII byte at every offset of
    strings around that width, and random ASCII strings dense in escapes."""
    needs(RES)
    rng = np.random.default_rng(7)
    texts = ["a" * off + chr(c) + "b" * tail for c in range(128) for off in range(17) for tail in (0, 1, 7, 8, 9)]
    texts += ["x" * n for n in range(40)] + ['"' * n for n in range(20)] + ["\\\x1f" * n for n in range(12)]
    pick = random.Random(8)
    alphabet = [chr(c) for c in range(128)] + ["a"] * 100
    texts += ["".join(pick.choice(alphabet) for _ in range(pick.randint(0, 70))) for _ in range(3000)]
    assert all(t.isascii() for t in texts)
    for lo in range(0, len(texts), 2000):
        ref, args = _capture(texts[lo: lo + 2000], rng)
        assert _same(ref, args) is not None


def test_escapes_grow_the_buffer() -> None:
    """Texts of escapes only (six bytes of output a code point), long, in each str kind, alone on
    their page: the room made for them as they come."""
    needs(RES)
    rng = np.random.default_rng(9)
    for tail in ("", "é", "\u0100", "😀"):
        for n in (1, 7, 8, 9, 1000, 50_000):
            for esc in ("\x01", '"', "\\", "\n", '\x01"'):
                ref, args = _capture([esc * n + tail, tail + esc * n, (esc + tail) * (n // 10 + 1)], rng)
                assert _same(ref, args) is not None


def test_surrogates_declined() -> None:
    """A lone surrogate anywhere (orjson refuses it; the caller's json fallback escapes it): None."""
    needs(RES)
    rng = np.random.default_rng(1)
    for c in list(SURROGATES)[::61] + [0xD800, 0xDBFF, 0xDC00, 0xDFFF]:
        for s in (chr(c), "a" + chr(c), "\u0100" + chr(c), "😀" + chr(c) + "x"):
            ref, args = _capture(["fine", s], rng)
            assert _same(ref, args) is None
            assert ref.json(False) is not None  # without the text there is nothing to refuse


def test_awkward_strings_and_random() -> None:
    needs(RES)
    rng = np.random.default_rng(2)
    ref, args = _capture(AWKWARD, rng)
    _same(ref, args)
    pick = random.Random(3)
    alphabet = [chr(c) for c in range(0x30)] + ['"', "\\", "\x7f", "é", "\u0100", "\u2028", "中", "😀",
                                               "\U0010ffff", "\ud800", "\udc00", "a", " "]
    for _ in range(300):
        texts = ["".join(pick.choice(alphabet) for _ in range(pick.randint(0, 30))) for _ in range(pick.randint(0, 8))]
        ref, args = _capture(texts, rng)
        _same(ref, args)


def test_floats() -> None:
    """Every rounded score k / 10**4, rounding ties, and floats no rounding to 4 places gives
    (orjson writes 1e-05 as 0.00001, NaN and infinities as null)."""
    needs(RES)
    rng = np.random.default_rng(4)
    k = np.arange(10001, dtype=np.float64)
    values = np.concatenate([k / 10000, np.round(rng.random(4000), 4), rng.random(400), [
        -0.0, 1e-5, 5e-5, 1.5e-4, 0.99995, 1.00005, 1.0000000000000002, 0.9999999999999999, 1e-300, 5e-324,
        -1e-4, -1.0, 2.0, 1e16, 1e300, math.nan, -math.nan, math.inf, -math.inf, 12345.6789]])
    n = len(values) // 4 + 1
    values = np.resize(values, n * 4)
    rng.shuffle(values[40000:])
    ref, args = _capture(["x"] * n, rng, proba=values.reshape(n, 4).copy())
    _same(ref, args)
    # as they come from the arrays: mt and profanity too (capture is given the raw values here)
    mod = needs(RES)
    pages, spans, names, _, _, _, mt_ev, prof_ev = args
    mt = values[:n].copy()
    refs = mod.capture(pages, spans, names, values.reshape(n, 4).copy(), mt, values[n: 2 * n].copy(), mt_ev, prof_ev,
                       tuple(LABELS))
    assert refs[0].json(True) == orjson.dumps(refs[0].blocks())


@pytest.mark.parametrize("value", [0, 1, -1, 9, 10, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64,
                                   -(2**63) - 1, 10**30, True, False, None, 1.0, "3", np.int64(3)])
def test_index_and_line_values(value: object) -> None:
    """Index and line: ints (int64) and None as orjson writes them; anything else, the writer declines."""
    needs(RES)
    rng = np.random.default_rng(5)
    for kw in ({"index": [0, value]}, {"line": [1, value]}):
        ref, args = _capture(["a", "b"], rng, **kw)
        fits = (type(value) is int and -(2**63) <= value < 2**63) or value is None
        out = _same(ref, args, may_decline=not fits)
        assert (out is not None) == fits


def test_html_page_line_is_null() -> None:
    needs(RES)
    ref, args = _capture(["a", "b"], np.random.default_rng(6), is_html=True)
    assert _same(ref, args).count(b'"line":null') == 2


def test_capture_agrees_with_block_dicts_on_random_batches() -> None:
    mod = needs(RES)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        sizes = [int(n) for n in rng.integers(0, 30, size=int(rng.integers(1, 12)))]
        html = [bool(h) for h in rng.integers(0, 2, size=len(sizes))]
        args = _assembly_args(rng, sizes, html)
        refs = api._lazy_blocks(*args)
        want = api._block_dicts(*args)
        assert len(refs) == len(want)
        for ref, page in zip(refs, want):
            assert _bits(ref.blocks()) == _bits(page)
            assert ref.json(True) == orjson.dumps(page)
            keep = {"editorial", "comment"}
            assert ref.kept_text(keep) == "\n".join(b["text"] for b in page if b["label"] in keep)
    # spans that are not the rows one page after the other: declined
    pages, spans, *rest = _assembly_args(np.random.default_rng(9), [2, 2])
    r = [np.round(a, 4).astype(np.float64) if isinstance(a, np.ndarray) else a for a in rest]
    assert mod.capture(pages, [(2, 4), (0, 2)], *r, tuple(LABELS)) is None
    assert mod.capture(pages, [(0, 2), (0, 2)], *r, tuple(LABELS)) is None
    assert mod.capture(pages, spans, *r, tuple(LABELS)) is not None


# --- DocumentResult ---------------------------------------------------------------------------

RECORDS = [
    {"id": 1, "text": "Headline here.\n\nBody of the story, long enough to read.\nGreat post! Visit my site"},
    {"id": "s\"\\\x01é😀", "url": "https://www.bbc.co.uk/news/x", "text": "a \"quoted\" line\\\nline\t2\x00\n\u2028x"},
    {"id": None, "text": "lone \ud800 surrogate\nnext"},
    {"id": 2**70, "text": "big id\nsecond"},
    {"id": -(2**63), "text": "small id"},
    {"id": [1, {"a": None}], "url": "http://x\ud800", "text": "list id"},
    {"id": 7, "html": "<p>First para\r\ngraph.</p><div>Second\u3000block <br> after break</div>"},
    {"text": "no id\n\n\nthree blank lines before"},
]


def _docs(clf: api.Classifier) -> list[DocumentResult]:
    return list(clf.classify_many(RECORDS))


def test_results_lazy_and_identical(clf: api.Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lazy results (kernel on) against eager ones (off): JSON, dicts, asdict, ==, repr, pickle."""
    needs(RES)
    lazy, eager = with_and_without(_docs, monkeypatch, [(api, "_RESULTS")], clf)
    assert all(api._LAZY in d.__dict__ and "blocks" not in d.__dict__ for d in lazy)
    assert all(api._LAZY not in d.__dict__ for d in eager)
    for i, (a, b) in enumerate(zip(lazy, eager)):
        for t in (True, False):
            assert a.to_json_bytes(t) == b.to_json_bytes(t) == api.dumps_bytes(b.to_dict(t))
            assert a.to_json(t) == b.to_json(t) == api.dumps(b.to_dict(t))
        assert a.kept_text(["editorial", "spam"]) == b.kept_text(["editorial", "spam"])
        # the writer wrote all but the lines orjson refuses (a lone surrogate, an id over 64 bits)
        assert (api._LAZY in a.__dict__) == (i not in (2, 3, 5))
        c = copy.copy(a)  # builds them, and the copy shares them as a copy of an eager result would
        assert c.blocks is a.blocks and api._LAZY not in c.__dict__
    lazy = _docs(clf)
    for a, b in zip(lazy, eager):
        assert a == b
        assert repr(a) == repr(b)
        assert _bits(a.blocks) == _bits(b.blocks)
    lazy = _docs(clf)
    for a, b in zip(lazy, eager):
        assert _bits(dataclasses.asdict(a)) == _bits(dataclasses.asdict(b))
        assert dataclasses.replace(a) == b
    lazy = _docs(clf)
    for a, b in zip(lazy, eager):
        p = pickle.loads(pickle.dumps(a))
        assert api._LAZY not in p.__dict__ and p == b and p.to_json() == b.to_json()
        assert copy.deepcopy(a) == b


def test_mutations_are_seen(clf: api.Classifier) -> None:
    """A caller who changes ``blocks`` or a field gets the change in ``to_json``, as before."""
    needs(RES)
    docs = _docs(clf)
    docs[0].blocks[0]["text"] = "changed \"text\""
    docs[1].blocks.append({"extra": 1})
    docs[2].blocks = [{"mine": True}]  # set before ever read
    docs[3].id = "now small"
    docs[4].id = 2**70  # now over 64 bits: the json fallback
    docs[5].reasons.append("\ud800")
    docs[6].fractions["editorial"] = 0.123456789
    docs[7].url = "https://example.com/x"
    for d in docs:
        want = api.dumps_bytes(d._fields(d.blocks))
        assert d.to_json_bytes() == want
    assert b"changed" in docs[0].to_json_bytes() and b'"extra"' in docs[1].to_json_bytes()
    assert docs[2].to_json_bytes().count(b'"mine"') == 1
    assert docs[3].to_json().startswith('{"id":"now small"')
    assert docs[4].to_json().startswith('{"id":1180591620717411303424')
    # ids orjson nests to its depth limit, and orjson fragments (one with a NUL, the writer's mark)
    for value in [orjson.Fragment(b"1"), orjson.Fragment(b'"\x00"'), orjson.Fragment(b"\x00")] + [
            _nested(depth) for depth in (250, 252, 253, 254, 255, 256, 300)]:
        d = _docs(clf)[0]
        d.id = value
        try:
            want = orjson.dumps(d.to_dict())
        except TypeError:
            want = None
        d = _docs(clf)[0]
        d.id = value
        got = d.to_json_bytes()
        assert got == (want if want is not None else api.dumps_bytes(d.to_dict()))


def _nested(depth: int) -> list:
    """A list ``depth`` levels deep."""
    out: list = []
    for _ in range(depth - 1):
        out = [out]
    return out


def test_delete_and_missing(clf: api.Classifier) -> None:
    needs(RES)
    a, b, c = _docs(clf)[:3]
    del a.blocks  # never read
    with pytest.raises(AttributeError):
        a.blocks  # noqa: B018
    b.blocks = []
    del b.blocks  # set before read, then deleted
    with pytest.raises(AttributeError):
        b.blocks  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        c.nothing  # noqa: B018
    assert not hasattr(c, "nothing") and hasattr(c, "blocks")


def test_subclass_to_dict_is_used(clf: api.Classifier) -> None:
    """A subclass's own ``to_dict`` keeps deciding what ``to_json`` writes."""
    needs(RES)

    class Mine(DocumentResult):
        def to_dict(self, include_text: bool = True) -> dict:
            return {"mine": 1}

    doc = _docs(clf)[0]
    doc.__class__ = Mine
    assert doc.to_json() == '{"mine":1}'


def test_bench_pages_lazy_against_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model on bench pages: every line, with and without text, and kept texts."""
    needs(RES)
    recs = [{"id": p.id, "text": p.text} for p in bench_pages(300)]
    if not recs:
        pytest.skip("no bench corpora")
    clf = api.Classifier.load()

    def run() -> list:
        return [(d.to_json_bytes(), d.to_json_bytes(False), d.kept_text(["editorial"]))
                for d in clf.classify_many(recs)]

    got, want = with_and_without(run, monkeypatch, [(api, "_RESULTS")])
    assert got == want


def test_cli_lines(tmp_path, model_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``newswinnow classify`` (with and without text) and ``filter``: the same bytes either way."""
    needs(RES)
    from click.testing import CliRunner

    from classifier.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")

    def run() -> list[bytes]:
        runner = CliRunner()
        outs = []
        for args in (["classify"], ["classify", "--no-text"], ["filter"]):
            res = runner.invoke(main, [*args, "--model", str(model_path), str(src)])
            assert res.exit_code == 0, res.output
            outs.append(res.stdout_bytes)
        return outs

    got, want = with_and_without(run, monkeypatch, [(api, "_RESULTS")])
    assert got == want and all(o.count(b"\n") == len(RECORDS) for o in got)
