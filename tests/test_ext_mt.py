"""The compiled mt pre-screen (features/_mt_ext.pyx, features/rx_starts.py) gives the reference's output.

Three layers, each against Python's ``re`` as the judge:

* the start conditions read off a pattern hold at every position where the pattern matches
  (the scanner asks the regex at a superset of the match positions) - for the pre-screen
  alternation and for every artefact pattern and trigger, on random text over the patterns' own
  characters and on hand-made edge cases (matches at the very start and end of the text,
  lookbehinds that see the character before, adjacent and overlapping matches, non-BMP
  characters, lone surrogates);
* the scanner's start positions are ``finditer``'s, in order (non-overlapping, on from each
  match's end), and ``required_strings`` holds for every block with a match;
* ``mt_artefacts`` with the kernel and without (the reference form): the same score bits and
  evidence, on random batches and on the bench pages.
"""

from __future__ import annotations

import functools
import random
import re

import numpy as np
import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs

from features import mt, rx_starts
from features.mt_patterns import PATTERNS
from features.segment import segment_text

KERNEL = "features._mt_ext"
SEED = 19
# Characters of the patterns themselves (every literal the alternation names), and awkward ones.
PATTERN_CHARS = sorted({ch for ch in mt.COMBINED.pattern if ch not in "\\()|?*+^"})
AWKWARD = [" ", " ", " ", "\n", "\t", "\u00a0", "\u2009", "\u0301", "\u00e9", "\u20ac", "\u00a3", "\u00a5",
           "\U0001f600", "\U0001d518", "\ud800", "\udfff", "\u0661", "\u0966", "\uff10", "\u00b2", "_", "\u0416",
           "\u4e2d", "\u3042", "0", "5", "9"]
# Fragments that make (or nearly make) a match: the patterns' documented examples and pieces.
FRAGMENTS = ["I know. UU", "UU From the", "the US Army UU", "EE. UU.", "EEUU", "FF. AA.", "RR.HH", "UU",
             "[19659008]", "[1965000]", "{/0}", "{0}", "{12}", "%s", "%1$s", "%%d", "{{", "}}", "{{name}}",
             "{best|greatest|finest}", "{x | y}", "</span>", "<span class=", "<p>", "<b", "<br/>",
             'class="', "href='", "data-x=\"", "&nbsp;", "&amp;", "&#233;", "&#x1F;", "U. S.", "U. S. A.",
             "U. S. Grant", "E. U.", "410 U. S.", "RTS1L010", "RTX3M7XU", "/RTS1L010", "RTS1L010.jpg",
             " , ", "word , word", "word ,", " ;", " :", " .", " ?", " !", " ..", "( the", "word )",
             "( $5", 'Syria ", said', ' ".', "al -Luaibi", "al- Luaibi", "el -X", "15 %", "1 %s",
             "$ 15,000,000.00", "\u20ac 5", "\u00a3 1.5", "\u00a5 9", "$ \u0661", ". A", ".AA", ". CC", ". S.",
             "\u0416\u0416\u0416", "(\u0416\u0416\u0416)", "\u4e2d\u6587", "{{\u0416}}", "<p class='\u4e2d'",
             "{{\u2019 \u0301}}"]


def _random_text(rng: random.Random, size: int) -> str:
    """Text over the patterns' characters, letters, digits, awkward characters and fragments."""
    pool = PATTERN_CHARS + AWKWARD + list("abcdeUSRTKNEAxyz")
    out = []
    while len(out) < size:
        r = rng.random()
        if r < 0.15:
            out.append(rng.choice(FRAGMENTS))
        elif r < 0.2:
            frag = rng.choice(FRAGMENTS)
            i = rng.randrange(len(frag) + 1)
            out.append(frag[:i] if rng.random() < 0.5 else frag[i:])
        else:
            out.append(rng.choice(pool))
    return "".join(out)


@functools.cache
def _texts() -> tuple[str, ...]:
    rng = random.Random(SEED)
    texts = ["", ",", " ,", "UU", "UUUU", " , , ,", ",,,, ,", "\n ,", "U", ". ", "$ 5", "\u20ac", "\ud800,"]
    texts += FRAGMENTS
    texts += [_random_text(rng, rng.choice((5, 20, 200, 2000))) for _ in range(300)]
    return tuple(texts)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _scanner(kernel, rx: re.Pattern[str]):
    conditions = rx_starts.start_conditions(rx)
    assert conditions is not None, rx.pattern
    return kernel.StartScanner(**rx_starts.scanner_tables(conditions))


def _asked(scanner, text: str) -> set[int]:
    """Every position the scanner would ask the regex about (a ``match`` that never matches)."""
    asked: set[int] = set()

    def never(_text: str, i: int) -> None:
        asked.add(i)

    scanner.starts(text, _codes(text), never)
    return asked


PATTERN_REGEXES = [mt.COMBINED] + [p.regex for p in PATTERNS] + [re.compile(p.trigger) for p in PATTERNS
                                                                 if p.trigger]


@pytest.mark.parametrize("rx", PATTERN_REGEXES, ids=lambda rx: rx.pattern[:30])
def test_conditions_hold_wherever_the_regex_matches(rx: re.Pattern[str]) -> None:
    kernel = needs(KERNEL)
    scanner = _scanner(kernel, rx)
    for text in _texts():
        matches = {i for i in range(len(text)) if rx.match(text, i)}
        missed = matches - _asked(scanner, text)
        assert not missed, (rx.pattern[:40], text, sorted(missed))


def test_conditions_are_selective() -> None:
    """The point of the scan: in prose, the regex is asked at few of its first characters."""
    kernel = needs(KERNEL)
    text = "Hello, world. The cat sat (on the mat) - and then, well: nothing! Really? Yes. " * 50
    assert len(_asked(_scanner(kernel, mt.COMBINED), text)) == 0


def test_starts_are_finditers() -> None:
    kernel = needs(KERNEL)
    for rx in PATTERN_REGEXES:
        if rx_starts.min_width(rx) < 1:
            continue
        scanner = _scanner(kernel, rx)
        for text in _texts():
            assert scanner.starts(text, _codes(text), rx.match) == [m.start() for m in rx.finditer(text)], text


def test_prescreen_and_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fused scan: finditer's starts and the foreign-script gate (also for characters
    inside a match, which the scan jumps over)."""
    needs(KERNEL)
    texts = list(_texts()) + ["{{\u0416}}", "x {{\u0416}} y", "{{\u2019}}\u0416", "\u0416", "\u2019"]
    for text in texts:
        for cp in (None, _codes(text)):
            got, want = with_and_without(mt._prescreen, monkeypatch, [(mt, "_MT_EXT")], text, cp)
            assert got == want and type(got[1]) is bool, text


def test_required_strings() -> None:
    """A text where a pattern (or its trigger) matches holds one of its required strings."""
    for rx in PATTERN_REGEXES[1:]:
        needles = rx_starts.required_strings(rx)
        if needles is None:
            continue
        for text in _texts():
            if rx.search(text):
                assert any(s in text for s in needles), (rx.pattern[:40], text, needles)


def test_unreadable_patterns_get_no_conditions() -> None:
    """Flags the conditions do not model: no conditions (every position is a candidate)."""
    assert rx_starts.start_conditions(re.compile("abc", re.IGNORECASE)) is None
    assert rx_starts.start_conditions(re.compile(r"\d", re.ASCII)) is None
    assert rx_starts.start_conditions(re.compile("(?i)abc")) is None
    # A backreference ends the reading: conditions up to it only.
    assert all(set(c) == {0} for c in rx_starts.start_conditions(re.compile(r"(a)\1")))


def _batches() -> list[list[str]]:
    rng = random.Random(SEED + 1)
    texts = _texts()
    batches = [[], [""], ["", ""], [texts[-1]], ["\u0416\u0416\u0416 abc", "\u4e2d\u6587 text here, ok"],
               ["word " * 5000 + " , " + "\u0416" * 3]]
    for _ in range(40):
        batches.append([rng.choice(texts).replace("\n", " ") for _ in range(rng.randrange(1, 12))])
    return batches


def _same(got: tuple, want: tuple) -> None:
    assert got[0].dtype == want[0].dtype and got[0].tobytes() == want[0].tobytes()
    assert got[1] == want[1]


def test_mt_artefacts_random(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    for texts in _batches():
        joined = "\n".join(texts)
        for args in ((texts,), (texts, joined, _codes(joined))):
            _same(*with_and_without(mt.mt_artefacts, monkeypatch, [(mt, "_MT_EXT")], *args))


def test_gate_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's gate and letter counts on text made of the ranges' edges."""
    needs(KERNEL)
    edges = sorted({c for lo, hi in mt.GATE_ALLOWED + mt.FOREIGN_RANGES + mt.LATIN_RANGES
                    for c in (lo - 1, lo, hi, hi + 1) if 0 < c < 0x110000 and c != 10})
    rng = random.Random(SEED + 2)
    for _ in range(200):
        texts = ["".join(chr(rng.choice(edges)) for _ in range(rng.randrange(0, 12)))
                 for _ in range(rng.randrange(1, 6))]
        joined = "\n".join(texts)
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        for fn, args in ((mt._passes_gate, (joined,)), (mt._foreign_candidates, (joined, starts, lengths))):
            got, want = with_and_without(fn, monkeypatch, [(mt, "_MT_EXT")], *args)
            assert np.array_equal(got, want) and type(got) is type(want), (texts, fn)


def test_mt_artefacts_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    pages = bench_pages(600)
    for i in range(0, len(pages), 60):
        texts = [b.text for p in pages[i: i + 60] for b in segment_text(p.text)]
        joined = "\n".join(texts)
        got, want = with_and_without(mt.mt_artefacts, monkeypatch, [(mt, "_MT_EXT")], texts, joined, _codes(joined))
        _same(got, want)
        assert mt._prescreen_starts(joined, None) == [m.start() for m in mt.COMBINED.finditer(joined)]
