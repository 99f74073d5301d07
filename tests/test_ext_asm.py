"""The compiled segmenter and result assembly give their Python forms' output, object for object.

``features._segment_ext`` (``segment.segment_text``) against ``segment._segment_text_python``:
every field of every ``Block`` and its type, on adversarial texts (empty, blank lines only, CRLF,
lone and repeated ``\\r``, every code point ``str.isspace`` accepts, the line breaks
``str.splitlines`` knows but ``split("\\n")`` does not, non-BMP, lone surrogates, all three str
kinds), on every code point as a line of its own, on random texts and on the bench pages.
``classifier._results_ext`` (``api._block_dicts``) against ``api._block_dicts_python``: the dicts,
their key order, the float bits (-0.0, NaN, rounding ties), the evidence lists (new ones per
block), HTML pages, empty pages and batches, lengths that disagree (the kernel declines); and the
whole pipeline's JSON with both kernels on and off.
"""

from __future__ import annotations

import json
import math
import random
import struct
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import bench_pages, with_and_without
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ext import needs

from classifier import api
from classifier.api import PageInput
from classifier.model import LABELS
from features import segment
from features.segment import Block

ROOT = Path(__file__).resolve().parents[1]
SEG = "features._segment_ext"
RES = "classifier._results_ext"
SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
# Line breaks of str.splitlines that split("\n") leaves inside a line, and look-alikes.
ODD_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ADVERSARIAL = [
    "", "\n", "\n\n\n", " ", "\r", "\r\r", "\r\n", "\r\n\r\n", " \t\n\r\n", "a", "a\n", "\na", "\n\na\n\n",
    "a\r\n b\r\n\r\nc\r\n", "a\r", "a\r\r\r", "\ra", "\r\ra\r", "x\ry", "a\r \r", "a \r\n", "\r\na",
    "a\x85b\nc", "\x85", "\x85\n\x85a", "\u2028", "a\u2028b", "\u2029\u2029", "\u3000", "\u3000\n\u3000x\u3000",
    "\x1c\x1d\x1e\x1f", "\x0b\x0c", "\x0b\x0cz", "\u200b", "\ufeff\n\ufeff", "\x00", "\x00\n \x00 ",
    "😀", " 😀 \n\n😀\r\n", "\U0010ffff\r", "\ud800", "\ud800\n\udfff\r\n\udbff\udc00", " \ud800 ",
    "e\u0301\n\u0301", "\u00a0", "\u00a0x\u00a0", "\u1680\u2000\u200a\u202f\u205f", "\xff\n\u0100\n\U00010000",
    "tab\there\n\tlead\ntrail\t", " \r \n", "\r\r\r\n\n", SPACES, SPACES + "x", "x" + SPACES, ODD_BREAKS,
    "\n".join(SPACES), "\r\n".join(SPACES) + "\r\n", "\n".join(ODD_BREAKS + "a"),
    "long " * 200_000, ("line\n" * 5_000) + "\n" * 5_000, "é" * 10 + "\n" + "€" * 10 + "\n" + "😀" * 10,
]
RANDOM_ALPHABET = "ab \t\r\n\n\x0b\x85\u2028\u3000\u00a0é€😀\ud800\udc00\x00\u0301"


def _fields(blocks: list[Block]) -> list[tuple]:
    """Every field of every block with the types that carry it (``==`` alone would accept a
    str subclass or a bool for an int)."""
    return [(type(b), b.index, type(b.index), b.text, type(b.text), b.line, type(b.line), b.tag, b.extra)
            for b in blocks]


def _same_segments(text: str) -> None:
    got = segment.segment_text(text)
    want = segment._segment_text_python(text)
    assert _fields(got) == _fields(want), repr(text[:80])
    assert got == want


def test_segment_uses_the_kernel() -> None:
    needs(SEG)
    assert segment._kernel_fits_block()
    assert segment._SEGMENT is not None


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_segment_adversarial(text: str) -> None:
    needs(SEG)
    _same_segments(text)
    _same_segments(text + "\n")
    _same_segments("\n" + text)
    _same_segments(text.replace("\n", "\r\n"))


def test_segment_every_code_point() -> None:
    """Each code point alone on a line, after a space, before a \\r, and in a one-line page."""
    needs(SEG)
    cps = [chr(c) for c in range(sys.maxunicode + 1) if c != 10]
    _same_segments("\n".join(cps))
    _same_segments("\n".join(" " + c + "\r" for c in cps))
    for c in cps[:0x3100:7] + list(SPACES) + list(ODD_BREAKS) + ["\ud800", "\udfff", "\U0010ffff"]:
        _same_segments(c)
        _same_segments(c + "\r\n" + c)


@pytest.mark.parametrize("seed", range(6))
def test_segment_random(seed: int) -> None:
    needs(SEG)
    rng = random.Random(seed)
    for _ in range(300):
        n = rng.choice([0, 1, 2, 5, 20, 200])
        alphabet = rng.choice([RANDOM_ALPHABET, " \r\n", "a\n\r", RANDOM_ALPHABET[:9], "\n\r \x85\u2028x"])
        _same_segments("".join(rng.choice(alphabet) for _ in range(n)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=60))
def test_segment_hypothesis(text: str) -> None:
    needs(SEG)
    _same_segments(text)


def test_segment_other_inputs_take_the_python_form() -> None:
    """A str subclass goes to the Python form (it may redefine ``split``); non-str fails as before."""
    needs(SEG)

    class Lines(str):
        def split(self, sep=None, maxsplit=-1):  # type: ignore[override]
            return ["sub", "class"]

    assert [b.text for b in segment.segment_text(Lines("a\nb"))] == ["sub", "class"]
    for bad in (None, b"a\nb", 3):
        errors = []
        for f in (segment.segment_text, segment._segment_text_python):
            with pytest.raises((AttributeError, TypeError)) as e:
                f(bad)  # type: ignore[arg-type]
            errors.append((e.type, str(e.value)))
        assert errors[0] == errors[1]


def test_segment_blocks_are_whole_dataclasses() -> None:
    """The kernel's blocks have all five fields set (``tag``/``extra`` None), replace and pickle
    as the dataclass's own."""
    needs(SEG)
    import dataclasses
    import pickle

    (b,) = segment.segment_text("x\r")
    assert (b.index, b.text, b.line, b.tag, b.extra) == (0, "x", 1, None, None)
    assert dataclasses.replace(b, text="y") == Block(0, "y", 1)
    assert pickle.loads(pickle.dumps(b)) == b and repr(b) == repr(Block(0, "x", 1))


def test_segment_bench_pages() -> None:
    needs(SEG)
    for p in bench_pages(600):
        _same_segments(p.text)


# --- result assembly ----------------------------------------------------------------------


def _assembly_args(rng: np.random.Generator, sizes: list[int], html: list[bool] | None = None,
                   mt_dtype=np.float64, prof_dtype=np.float32) -> tuple:
    """A batch's inputs to ``api._block_dicts``: pages, spans, names, probabilities, scores, evidence."""
    pages, spans, start = [], [], 0
    html = html or [False] * len(sizes)
    for n, is_html in zip(sizes, html):
        # HTML blocks with a line number too: the result must still say None
        blocks = [Block(i, f"t{i} é😀", 2 * i + 1, "p" if is_html else None) for i in range(n)]
        pages.append(PageInput(blocks, None, None, is_html))
        spans.append((start, start + n))
        start += n
    z = np.exp(rng.normal(size=(start, len(LABELS))) * 3)
    proba = z / z.sum(axis=1, keepdims=True)
    # rounding ties and edges: x.xxxx5 (not exact in binary), 0, 1, tiny, -0.0
    edge = np.array([0.00005, 0.00015, 0.12345, 0.99995, 1.0, 0.0, 1e-300, -0.0, 0.5, 0.49995])
    if start:
        proba.flat[rng.integers(0, proba.size, size=min(proba.size, 12))] = rng.choice(edge, size=min(proba.size, 12))
    mt = rng.choice(np.concatenate([edge, rng.random(20)]), size=start).astype(mt_dtype)
    prof = rng.choice(np.concatenate([edge, rng.random(20)]), size=start).astype(prof_dtype)
    names = [LABELS[i] for i in rng.integers(0, len(LABELS), size=start)]
    mt_ev = [[{"kind": "mt", "n": int(i)}] if i % 3 == 0 else [] for i in range(start)]
    prof_ev = [[{"word": "x"}] if i % 4 == 1 else [] for i in range(start)]
    return pages, spans, names, proba, mt, prof, mt_ev, prof_ev


def _bits(obj: object) -> object:
    """``obj`` with every float as its bits (``==`` would equate -0.0 with 0.0 and fail on NaN)."""
    if isinstance(obj, float):
        return ("float", struct.pack("<d", obj))
    if isinstance(obj, dict):
        return [(k, _bits(v)) for k, v in obj.items()]  # the key order too
    if isinstance(obj, list):
        return [_bits(v) for v in obj]
    return (type(obj).__name__, obj)


def _same_assembly(monkeypatch: pytest.MonkeyPatch, args: tuple) -> list:
    got, want = with_and_without(api._block_dicts, monkeypatch, [(api, "_RESULTS")], *args)
    assert _bits(got) == _bits(want)
    assert orjson.dumps(got) == orjson.dumps(want)
    assert json.dumps(got) == json.dumps(want)
    mt_ev, prof_ev = args[6], args[7]
    for page in got:  # a new evidence list per block, as ``a + b`` makes
        for blk in page:
            assert all(blk["evidence"] is not ev for ev in mt_ev + prof_ev)
    return got


def test_assembly_uses_the_kernel() -> None:
    mod = needs(RES)
    args = _assembly_args(np.random.default_rng(0), [3, 0, 2])
    pages, spans, names, proba, mt, prof, mt_ev, prof_ev = args
    out = mod.block_dicts(pages, spans, names, np.round(proba, api.ROUND), np.round(mt, api.ROUND),
                          np.round(prof.astype(np.float64), api.ROUND), mt_ev, prof_ev, tuple(LABELS))
    assert out is not None and [len(p) for p in out] == [3, 0, 2]
    assert list(out[0][0]) == ["index", "line", "text", "label", "proba", "mt", "profanity", "evidence"]
    assert list(out[0][0]["proba"]) == list(LABELS)


@pytest.mark.parametrize("seed", range(8))
def test_assembly_random(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(RES)
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(0, 30, size=int(rng.integers(1, 12)))]
    html = [bool(h) for h in rng.integers(0, 2, size=len(sizes))]
    _same_assembly(monkeypatch, _assembly_args(rng, sizes, html))
    _same_assembly(monkeypatch, _assembly_args(rng, sizes, html, mt_dtype=np.float32, prof_dtype=np.float64))


def test_assembly_awkward(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(RES)
    rng = np.random.default_rng(99)
    for sizes in ([], [0], [0, 0], [1], [1, 0, 1], [5000]):
        _same_assembly(monkeypatch, _assembly_args(rng, sizes))
        _same_assembly(monkeypatch, _assembly_args(rng, sizes, [True] * len(sizes)))
    args = list(_assembly_args(rng, [4, 3]))
    args[3] = args[3].copy()
    args[3][0] = [math.nan, math.inf, -math.inf, -0.0]
    args[4] = np.array([math.nan, -0.0, 5e-5, 1.5e-4, 0.0, 1.0, -1e-9], dtype=np.float64)
    got = _same_assembly(monkeypatch, tuple(args))
    assert str(got[0][0]["proba"]["editorial"]) == "nan" and math.copysign(1, got[0][1]["mt"]) == -1
    args[3] = np.asfortranarray(args[3])  # not C-contiguous: the caller makes it so
    _same_assembly(monkeypatch, tuple(args))


def test_assembly_declines_when_lengths_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the Python form's ``zip``s would cut pages short the kernel answers None and the
    caller's Python form gives its own answer."""
    mod = needs(RES)
    rng = np.random.default_rng(5)
    pages, spans, names, proba, mt, prof, mt_ev, prof_ev = _assembly_args(rng, [3, 2])
    r = api.ROUND
    p_r, m_r, f_r = np.round(proba, r), np.round(mt, r), np.round(prof.astype(np.float64), r)
    cases = [
        (pages, [(0, 3), (3, 4)], names, p_r, m_r, f_r, mt_ev, prof_ev),  # a span shorter than its page
        (pages, [(0, 3), (3, 6)], names + ["comment"], np.vstack([p_r, p_r[:1]]), np.append(m_r, 0.5),
         np.append(f_r, 0.5), mt_ev + [[]], prof_ev + [[]]),  # a span longer than its page
        (pages, spans, names[:-1], p_r, m_r, f_r, mt_ev, prof_ev),
        (pages, spans, names, p_r, m_r[:-1], f_r, mt_ev, prof_ev),
        (pages, spans, names, p_r, m_r, f_r, mt_ev, prof_ev[:-1]),
        (pages, spans[:1], names, p_r, m_r, f_r, mt_ev, prof_ev),
        (pages, spans, names, p_r[:, :3].copy(), m_r, f_r, mt_ev, prof_ev),
    ]
    for case in cases:
        assert mod.block_dicts(*case, tuple(LABELS)) is None
    for case in cases[:4]:
        raw = (case[0], case[1], case[2], proba if case[3] is p_r else case[3], case[4], case[5], case[6], case[7])
        got, want = with_and_without(api._block_dicts, monkeypatch, [(api, "_RESULTS")], *raw)
        assert _bits(got) == _bits(want)
    # evidence that is not a list goes to the Python form
    tup = tuple(mt_ev)
    got, want = with_and_without(api._block_dicts, monkeypatch, [(api, "_RESULTS")],
                                 pages, spans, names, proba, mt, prof, tup, prof_ev)
    assert _bits(got) == _bits(want)


# --- the whole pipeline -------------------------------------------------------------------


def _classify_json(clf: api.Classifier, recs: list[dict]) -> list[str]:
    return [d.to_json() for d in clf.classify_many(recs)]


def test_pipeline_same_json(clf: api.Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny model's JSON on adversarial pages and an HTML page, both kernels on and off."""
    needs(SEG)
    needs(RES)
    recs = [{"id": i, "text": t} for i, t in enumerate(ADVERSARIAL)]
    recs.append({"id": "h", "html": "<p>First para\r\ngraph.</p><div>Second\u3000block <br> after break</div>"})
    handles = [(segment, "_SEGMENT"), (api, "_RESULTS")]
    got, want = with_and_without(_classify_json, monkeypatch, handles, clf, recs)
    assert got == want


def test_pipeline_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model's JSON on bench pages, both kernels on and off."""
    needs(SEG)
    needs(RES)
    recs = [{"id": p.id, "text": p.text} for p in bench_pages(300)]
    clf = api.Classifier.load(ROOT / "data/model-text.json")
    handles = [(segment, "_SEGMENT"), (api, "_RESULTS")]
    got, want = with_and_without(_classify_json, monkeypatch, handles, clf, recs)
    assert got == want
