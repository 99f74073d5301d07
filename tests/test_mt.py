"""Tests for the machine-translation artefact detector (features/mt.py, features/mt_patterns.py)."""

from __future__ import annotations

import glob
import re
import time
from pathlib import Path

import numpy as np
import pytest

import features.mt as mt
from features.mt import block_evidence, mt_artefacts, mt_page_score
from features.mt_patterns import KINDS, PATTERNS

SHARED = Path(__file__).parents[1] / ".." / "shared"
SEEDS = SHARED / "seeds"
BBC = SHARED / "corpora" / "bbc_news"
# LABELS.md: one unmistakable artefact alone makes a block machine-made.
STRONG = 0.5
# The false-alarm budget on clean human text.
MAX_FALSE_ALARM_RATE = 0.005
# Seeds 000/003/004 are human pages: at most this share of their lines may be flagged.
MAX_SEED_FLAG_RATE = 0.02
# Page score: seed 001 must beat every other seed page by this margin.
SEED_PAGE_MARGIN = 0.3
# Take every n-th BBC file for the false-alarm test (keeps the test quick).
BBC_SAMPLE_STEP = 4


def _spans(text: str, kind: str | None = None) -> list[str]:
    _, ev = block_evidence(text)
    return [text[e["start"]:e["end"]] for e in ev if kind is None or e["kind"] == kind]


def _score(text: str) -> float:
    scores, _ = mt_artefacts([text])
    return float(scores[0])


# (text, kind, exact evidence span) that alone must give mt >= 0.5.
STRONG_POSITIVES = [
    ("to expel I know. UU From the region", "abbreviation_mistranslation", "I know. UU"),
    ("Related: The US Army UU will remain in Syria", "abbreviation_mistranslation", "US Army UU"),
    ("the United States UU said on Monday", "abbreviation_mistranslation", "United States UU"),
    ("the EE. UU. government said on Monday that it would act", "abbreviation_mistranslation", "EE. UU."),
    ("troops of the FF. AA. were sent to the border", "abbreviation_mistranslation", "FF. AA."),
    ("the head of RR.HH. at the company", "abbreviation_mistranslation", "RR.HH."),
    ("sanctions against the UU and its allies", "abbreviation_mistranslation", "UU"),
    (" RTS1L010 [19659008] Russian long-range bombers", "placeholder", "[19659008]"),
    ("Click {0}here{/0} to read more", "placeholder", "{/0}"),
    ("Welcome back, %s! You have new messages", "placeholder", "%s"),
    ("Hello {{user_name}}, your order shipped", "placeholder", "{{user_name}}"),
    ("This is the {best|greatest|finest} way to save money", "spintax", "{best|greatest|finest}"),
    ("{In addition|Furthermore}, the council said", "spintax", "{In addition|Furthermore}"),
    ("fighting Iraq and Syria. </span> <span class= Russian Federation", "leaked_markup",
     "</span> <span class="),
    ('the minister said <a href="https://example.com">on Twitter', "leaked_markup",
     '<a href="https://example.com"'),
    ('a photo class="wp-image" of the summit', "leaked_markup", 'class="'),
    ("the talks&nbsp;ended on Friday", "leaked_markup", "&nbsp;"),
    ("The U. S. Army said the strike was legal", "split_initialism", "U. S."),
    ("the U. N. Security Council met", "split_initialism", "U. N."),
    (" RTX3M7XU From center to right: Jabbar al -Luaibi", "agency_photo_id", "RTX3M7XU"),
    ("the so-called 三农 problem of rural China", "foreign_script", "三农"),
    ("the minister called it неприемлемое решение on Monday", "foreign_script", "неприемлемое решение"),
]

# (text, kind that must NOT be reported).
NEGATIVES = [
    ("The U.S. Army and the UK government", "split_initialism"),
    ("J. R. R. Tolkien met George W. Bush and H. G. Wells", "split_initialism"),
    ("Roe v. Wade, 410 U. S. 113 (1973), was overturned", "split_initialism"),
    ("a biography of Ulysses U. S. Grant", "split_initialism"),
    ("the US Army will remain in Syria", "abbreviation_mistranslation"),
    ("the CCOO union called a general strike", "abbreviation_mistranslation"),
    ("VACUUM cleaners and UUID strings", "abbreviation_mistranslation"),
    ("Los EE. UU. y la UE acordaron un plan para el comercio de los dos", "abbreviation_mistranslation"),
    ("Las FF. AA. de Venezuela y los EE. UU. en la frontera", "abbreviation_mistranslation"),
    ("Prices rose 50% since 1990, year on year", "placeholder"),
    ("In 1965 the band released [a new album]", "placeholder"),
    ("the set {x | x > 0} and the pipe {a | b}", "spintax"),
    ("a shell glob like {src,tests}/*.py or {1|2}", "spintax"),
    ("a < b and c > d, and <3 to you", "leaked_markup"),
    ("AT&T and Procter & Gamble reported", "leaked_markup"),
    ("the RTX 3080 and RTX3080Ti graphics cards", "agency_photo_id"),
    ("see https://reuters.com/pictures/RTS1L010.jpg for the image", "agency_photo_id"),
    ("a RTSXYZAB sequence with no digit", "agency_photo_id"),
    ("Это русский текст целиком без латиницы", "foreign_script"),
    ("levels of α-synuclein and the αβ ratio", "foreign_script"),
    ("the economy -which stagnated for years- may recover", "broken_spacing"),
    ("wait ... what, and a strange match . . . indeed", "broken_spacing"),
    ("It cost $15,000,000.00 last year", "currency_spacing"),
    ("the US UU", "false_sentence_break"),
]

# (text, kind, exact span) that are evidence but too weak alone for mt >= 0.5.
WEAK_POSITIVES = [
    ("Lukoil with 11% of the market , followed by TNK-BP", "broken_spacing", " ,"),
    ("Disclaimer : We respect your thoughts", "broken_spacing", " :"),
    ("a set-top box ( the first of its kind", "broken_spacing", "( "),
    ("in Syria \", said Gerasimov", "broken_spacing", ' "'),
    ("From center to right: Jabbar al -Luaibi, Iraq's oil minister", "broken_spacing", "al -"),
    ("the index fell 4.3 % after the news", "broken_spacing", " %"),
    ("a deal worth $ 15,000,000.00 was signed", "currency_spacing", "$ 15,000,000.00"),
    ("AT&amp;T shares rose", "leaked_markup", "&amp;"),
    ("President Vladimir Putin (Владимир Путин) said", "foreign_script", "Владимир Путин"),
]


@pytest.mark.parametrize(("text", "kind", "span"), STRONG_POSITIVES)
def test_strong_artefact_alone_flags_block(text: str, kind: str, span: str) -> None:
    assert span in _spans(text, kind)
    assert _score(text) >= STRONG


@pytest.mark.parametrize(("text", "kind"), NEGATIVES)
def test_negative_examples_report_nothing_of_that_kind(text: str, kind: str) -> None:
    assert _spans(text, kind) == []


@pytest.mark.parametrize(("text", "kind", "span"), WEAK_POSITIVES)
def test_weak_evidence_alone_stays_below_threshold(text: str, kind: str, span: str) -> None:
    assert span in _spans(text, kind)
    assert 0.0 < _score(text) < STRONG


def test_weak_evidence_adds_up() -> None:
    """Several different weak artefacts in one block together pass the threshold."""
    text = ("It paid $ 15,000 ( the first payment ) to Jabbar al -Luaibi , the minister "
            "said in Syria \", adding : more")
    assert _score(text) >= STRONG


def test_repeats_of_one_weak_pattern_saturate() -> None:
    """French-style spacing repeated many times is still one weak signal, capped."""
    text = " ; ".join(["Oui , non : peut-être"] * 20)
    assert 0.0 < _score(text) < STRONG


def test_entities_count_once() -> None:
    """Double-escaped text ('communiqu&#233;' twice) is a scraper habit, not machine translation."""
    assert _score("the communiqu&#233; and the communiqu&#233; and Pel&#233;") < STRONG


def test_exact_offsets_and_merging() -> None:
    text = " RTS1L010 [19659008] Russian bombers. </span> <span class= Russian Federation"
    _, ev = block_evidence(text)
    assert ev == [
        {"kind": "agency_photo_id", "start": 1, "end": 9},
        {"kind": "placeholder", "start": 10, "end": 20},
        {"kind": "leaked_markup", "start": 38, "end": 58},
    ]
    assert text[38:58] == "</span> <span class="


def test_nested_hits_are_one_artefact() -> None:
    """The 'UU' inside 'I know. UU' is not reported (or counted) a second time."""
    text = "Russia and Iran tried to expel I know. UU From the region, where"
    _, ev = block_evidence(text)
    start = text.index("I know. UU")
    start_from = text.index("From")
    assert ev == [
        {"kind": "abbreviation_mistranslation", "start": start, "end": start + len("I know. UU")},
        {"kind": "false_sentence_break", "start": start_from, "end": start_from + len("From")},
    ]


def test_offsets_are_per_block_and_blocks_map_correctly() -> None:
    """Hits found in the joined text land in the right block, with offsets into that block."""
    texts = ["clean line", "[19659001]", "", "another clean line", "x\ny [19659002]",
             "ends with [19659003]", "UU"]
    scores, ev = mt_artefacts(texts)
    assert scores.shape == (len(texts),)
    assert [bool(e) for e in ev] == [False, True, False, False, True, True, True]
    assert ev[1] == [{"kind": "placeholder", "start": 0, "end": 10}]
    assert ev[4] == [{"kind": "placeholder", "start": 4, "end": 14}]
    assert ev[5] == [{"kind": "placeholder", "start": 10, "end": 20}]
    assert scores[0] == 0.0 and scores[3] == 0.0
    for i, text in enumerate(texts):
        assert (float(scores[i]), ev[i]) == block_evidence(text)


def test_foreign_script_blocks_map_correctly() -> None:
    """The numpy pre-count picks the right blocks; emoji (outside the BMP) do not shift offsets."""
    texts = ["😀 the so-called 三农 problem 😀", "Это русский текст целиком без латиницы", "plain text",
             "😀😀 the minister said it was неприемлемое решение and left the room", "a stray α here"]
    scores, ev = mt_artefacts(texts)
    assert [bool(e) for e in ev] == [True, False, False, True, False]
    assert texts[0][ev[0][0]["start"]:ev[0][0]["end"]] == "三农"
    assert texts[3][ev[3][0]["start"]:ev[3][0]["end"]] == "неприемлемое решение"
    for i, text in enumerate(texts):
        assert (float(scores[i]), ev[i]) == block_evidence(text)


def test_empty_input() -> None:
    scores, ev = mt_artefacts([])
    assert scores.shape == (0,) and ev == []
    scores, ev = mt_artefacts(["", "   "])
    assert scores.tolist() == [0.0, 0.0] and ev == [[], []]
    assert mt_page_score(np.zeros(0), np.zeros(0)) == 0.0


def test_scores_in_range() -> None:
    texts = [t for t, _, _ in STRONG_POSITIVES + WEAK_POSITIVES] + [t for t, _ in NEGATIVES]
    scores, _ = mt_artefacts(texts)
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def test_page_score_reflects_how_much_is_affected() -> None:
    lengths = np.full(40, 300)
    none = np.zeros(40)
    one = none.copy()
    one[5] = 0.95
    many = none.copy()
    many[::4] = 0.95
    weak = none.copy()
    weak[:3] = 0.15
    assert mt_page_score(none, lengths) == pytest.approx(0.0, abs=1e-9)
    assert mt_page_score(weak, lengths) < 0.05
    assert 0.1 < mt_page_score(one, lengths) < 0.4
    assert mt_page_score(many, lengths) > mt_page_score(one, lengths) + SEED_PAGE_MARGIN
    # The same single artefact weighs more on a short page.
    assert mt_page_score(one[3:8], lengths[3:8]) > mt_page_score(one, lengths)
    assert mt_page_score(np.ones(10), np.full(10, 100)) == pytest.approx(1.0)
    # Zero lengths do not divide by zero.
    assert 0.0 < mt_page_score(np.array([0.9, 0.0]), np.zeros(2)) <= 1.0


def test_patterns_are_documented_in_module_docstring() -> None:
    """mt.py's docstring is the project's documentation of every pattern and weight."""
    doc = mt.__doc__ or ""
    for p in PATTERNS:
        assert re.search(rf"^{p.name}\s+{p.kind}\s+{p.weight:g}\s", doc, re.M), p.name
    for name, weight in ((mt.FOREIGN_FRAGMENT_NAME, mt.FOREIGN_FRAGMENT_WEIGHT),
                         (mt.FOREIGN_GLOSS_NAME, mt.FOREIGN_GLOSS_WEIGHT)):
        assert re.search(rf"^{name}\s+foreign_script\s+{weight:g}\s", doc, re.M), name


def test_pattern_data_is_consistent() -> None:
    names = [p.name for p in PATTERNS]
    assert len(names) == len(set(names))
    for p in PATTERNS:
        assert p.kind in KINDS
        assert 0.0 < p.weight < 1.0
        assert p.evidence.strip()
        assert not p.regex.match("\n"), p.name


def _top_level_branches_start_with_literal(source: str) -> bool:
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    parsed = sre_parse.parse(source)
    first_op, av = parsed.data[0]
    if first_op is sre_parse.BRANCH:
        return all(b.data and b.data[0][0] is sre_parse.LITERAL for b in av[1])
    return first_op is sre_parse.LITERAL


def test_prescreen_keeps_its_fast_first_character_test() -> None:
    """Python's re only skips clean text quickly if every branch starts with a literal."""
    assert _top_level_branches_start_with_literal(mt.COMBINED.pattern)
    for p in PATTERNS:
        assert _top_level_branches_start_with_literal(p.regex.pattern.replace("(?P<span>", "(?:")), p.name


def test_every_match_is_found_by_its_trigger() -> None:
    """A block the pre-screen passes over must really have no artefact."""
    texts = [t for t, _, _ in STRONG_POSITIVES + WEAK_POSITIVES] + [t for t, _ in NEGATIVES]
    for text in texts:
        for p in PATTERNS:
            if p.trigger and p.regex.search(text):
                assert re.search(p.trigger, text), (p.name, text)
        evidence = block_evidence(text)[1]
        if any(e["kind"] != "foreign_script" for e in evidence):
            assert mt.COMBINED.search(text), text


def test_linear_time_on_hostile_input() -> None:
    """Long runs of near-matches must not make any regex backtrack badly."""
    hostile = ["US " * 20000, "UU " * 20000, "al -" * 20000, "{{" * 20000, "<span " * 20000,
               " ," * 20000, "RTS1" * 20000, "Путин " * 20000 + "x", "$ 1," * 20000, "U. " * 20000]
    t0 = time.perf_counter()
    mt_artefacts(hostile)
    for text in hostile:
        block_evidence(text)
    assert time.perf_counter() - t0 < 5.0


def _seed_lines(prefix: str) -> list[str]:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not available")
def test_seed_001_artefacts() -> None:
    lines = _seed_lines("001")
    scores, ev = mt_artefacts(lines)
    expected = {"I know. UU": "abbreviation_mistranslation", "US Army UU": "abbreviation_mistranslation",
                "[19659008]": "placeholder"}
    for artefact, kind in expected.items():
        (i,) = [i for i, line in enumerate(lines) if artefact in line]
        assert scores[i] >= STRONG
        start = lines[i].index(artefact)
        assert {"kind": kind, "start": start, "end": start + len(artefact)} in ev[i]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not available")
@pytest.mark.parametrize("prefix", ["000", "003", "004"])
def test_human_seeds_rarely_flagged(prefix: str) -> None:
    lines = _seed_lines(prefix)
    scores, _ = mt_artefacts(lines)
    assert (scores >= STRONG).mean() <= MAX_SEED_FLAG_RATE


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not available")
def test_seed_001_page_score_stands_out() -> None:
    page = {}
    for prefix in ("000", "001", "002", "003", "004"):
        lines = _seed_lines(prefix)
        scores, _ = mt_artefacts(lines)
        page[prefix] = mt_page_score(scores, np.array([len(x) for x in lines]))
    others = [v for k, v in page.items() if k != "001"]
    assert page["001"] >= max(others) + SEED_PAGE_MARGIN
    assert max(others) < 0.05


@pytest.mark.skipif(not BBC.is_dir(), reason="shared BBC corpus not available")
def test_bbc_false_alarm_rate() -> None:
    files = sorted(glob.glob(str(BBC / "*" / "*.txt")))[::BBC_SAMPLE_STEP]
    lines = [line for f in files for line in Path(f).read_text(encoding="utf-8", errors="replace").split("\n")
             if line.strip()]
    assert len(lines) > 1000
    scores, _ = mt_artefacts(lines)
    assert (scores >= STRONG).mean() <= MAX_FALSE_ALARM_RATE


def test_numpy_gate_equals_the_gate_regex() -> None:
    """features.mt's numpy gate says the same as FOREIGN_GATE, on every code point range edge."""
    from features.mt import GATE_ALLOWED, _passes_gate
    from features.mt_patterns import FOREIGN_GATE

    edges = {c + d for lo, hi in GATE_ALLOWED for c in (lo, hi) for d in (-1, 0, 1) if 0 <= c + d < 0x110000}
    for c in sorted(edges | {0x4E09, 0x3042, 0x0410, 0xD800, 0x10FFFF}):
        ch = chr(c)
        assert _passes_gate("plain text " + ch) == bool(FOREIGN_GATE.search("plain text " + ch)), hex(c)
    assert not _passes_gate("The \u201cEE. UU.\u201d \u2014 caf\u00e9 \U0001F600")
