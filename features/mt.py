"""Machine-translation / content-spinning artefacts: a block score, evidence spans, a page score.

LABELS.md (``mt``) asks for two kinds of evidence; this module is the first: artefacts people
essentially never write. Each block gets ``mt`` in 0..1 and evidence spans
``{"kind", "start", "end"}`` (character offsets into the block's text, INTERFACE.md). The
second, the soft statistical signal of translationese, is ``features/mt_soft.py``, which also
says how the two are combined into the ``mt`` and ``mt_score`` the classifier reports (the
``mt`` feature column of the block model is this module's artefact score alone).

Patterns and weights (the data lives in ``features/mt_patterns.py``; a weight of 0.5 or more
means one hit alone puts the block at ``mt >= 0.5``; weaker ones only add up):

==============================  ============================  ======  ===========================
pattern                         kind                          weight  matches
==============================  ============================  ======  ===========================
i_know_uu                       abbreviation_mistranslation   0.95    "I know. UU" (from "EE. UU.")
us_uu                           abbreviation_mistranslation   0.9     "US Army UU", "the US UU"
ee_uu                           abbreviation_mistranslation   0.8     "EE. UU.", "EEUU" (1)
iberian_plural_initials         abbreviation_mistranslation   0.7     "FF. AA.", "RR. HH.", ... (1)
orphan_uu                       abbreviation_mistranslation   0.6     a lone "UU"
uu_false_break                  false_sentence_break          0.3     "UU From the": the "From"
plugin_id                       placeholder                   0.95    "[19659008]"
numbered_tag_pair               placeholder                   0.9     "{/0}"
numbered_slot                   placeholder                   0.6     "{0}"
printf_slot                     placeholder                   0.6     "%s", "%d", "%1$s"
double_brace                    placeholder                   0.6     "{{", "}}"
spintax                         spintax                       0.9     "{best|greatest|finest}" (spinner template)
html_close_tag                  leaked_markup                 0.8     "</span>"
html_open_tag                   leaked_markup                 0.8     "<span class=", "<p>"
html_attribute                  leaked_markup                 0.7     'class="', 'href="'
nbsp_entity                     leaked_markup                 0.5     "&nbsp;"
html_entity                     leaked_markup                 0.3     "&amp;", "&#233;"
split_initialism                split_initialism              0.5     "U. S.", "U. K.", "U. N.", "E. U."
reuters_photo_id                agency_photo_id               0.7     "RTS1L010", "RTX3M7XU"
space_before_punct              broken_spacing                0.15    "word , word", "Disclaimer :"
space_inside_brackets           broken_spacing                0.15    "( the", "word )"
space_before_closing_quote      broken_spacing                0.15    'Syria ", said'
detached_name_hyphen            broken_spacing                0.2     "al -Luaibi", "al- Luaibi"
percent_space                   broken_spacing                0.1     "15 %"
currency_space                  currency_spacing              0.2     "$ 15,000,000.00"
foreign_fragment                foreign_script                0.55    a run of non-Latin letters (2)
foreign_gloss                   foreign_script                0.1     the same in "(...)" or quotes
==============================  ============================  ======  ===========================

(1) only when the block does not read as Spanish/Portuguese, where these abbreviations are right.
(2) only in a mostly-Latin block (a whole line in another script is a foreign-language block,
not a fragment inside English) and at least three letters long ("α", "αβ" are maths), or two
for kana/hangul/CJK, where two characters are already a word.

Combining. Within a block, hits of the same kind that overlap, nest, or touch across whitespace
are one artefact ("</span> <span class=" is one span; the "UU" inside "I know. UU" is not counted
again). Each artefact counts with its weight, a pattern at most ``MAX_REPEATS`` times (so a page
typed with French spacing does not pile up), and ``mt = 1 - prod(1 - w)``.

Page score (:func:`mt_page_score`): how much of the page is affected. Block scores are squared
(so weak hits on a clean page stay near 0) and enter twice: as the length-weighted share of the
page, and as a count. One strong block on a 40-line page gives about 0.25; the same block on a
5-line page about 0.5; four strong blocks out of twenty give about 0.75.

Speed. The patterns are joined into one alternation whose branches all start with a literal
character, so ``re`` skips through clean text with a first-character table; it runs once over
``"\\n".join(texts)`` and the hits are mapped to blocks with ``numpy.searchsorted``. Only blocks
with a hit are examined pattern by pattern. Non-Latin scripts are looked for only when a cheap
character-class gate finds a character outside Latin/punctuation; then foreign and Latin
letters are counted per block with numpy lookup tables, and only mostly-Latin blocks holding
foreign letters are examined (a page wholly in another script costs no per-block work).
Measured: about 90 MB/s on BBC News pages, 120-135 MB/s on Russian/Chinese pages.

With the compiled kernel (``features/_mt_ext.pyx``) the pre-screen does not stop at every comma
and full stop: one pass over the code points checks the start conditions read off the
alternation itself (``features.rx_starts``: the first few characters a match consumes and those
its lookarounds see), and ``COMBINED.match`` is asked only where they hold, giving ``finditer``'s
positions; per block, a pattern runs only when the block holds one of the strings each of its
matches contains; the foreign-script gate and letter counts are C loops. Without the kernel
(``NEWSWINNOW_PURE_PYTHON=1``) the code above is the reference: the same output.
"""

from __future__ import annotations

import functools

import numpy as np

from features import ext, rx_starts, tablecache
from features.mt_patterns import (
    FOREIGN_FRAGMENT_WEIGHT,
    FOREIGN_GATE,
    FOREIGN_GLOSS_WEIGHT,
    FOREIGN_RANGES,
    FOREIGN_SCRIPT,
    FOREIGN_SEPARATOR,
    IDEOGRAPHIC,
    LATIN_LETTER,
    LATIN_RANGES,
    PATTERNS,
    ArtefactPattern,
)
from features.tablecache import banked_regex

__all__ = ["mt_artefacts", "mt_page_score", "mt_page_scores", "block_evidence"]


def _prescreen_source(patterns: tuple[ArtefactPattern, ...]) -> str:
    """One alternation of every pattern's trigger (its regex when it has none), deduplicated."""
    sources = []
    for p in patterns:
        source = p.trigger or p.regex.pattern.replace("(?P<span>", "(?:")
        if source not in sources:
            sources.append(source)
    return "|".join(sources)


# The pre-screen: a block without a hit of this has no artefact (foreign script aside); and per
# block, a pattern with a trigger is only run when its (fast) trigger occurs in the block. (All
# compiled in one call to the table cache: ~6 ms of every start-up.)
_TRIGGERED = [p for p in PATTERNS if p.trigger]
COMBINED, *_trigger_rx = tablecache.compile_many([_prescreen_source(PATTERNS)] + [p.trigger for p in _TRIGGERED],
                                                 "mt-prescreen")
_TRIGGERS = {p.name: rx for p, rx in zip(_TRIGGERED, _trigger_rx)}
# A pattern's hits beyond this many in one block add nothing more.
MAX_REPEATS = 3
# Hits of one kind separated by at most this much whitespace are one artefact.
MERGE_GAP = 3
# Foreign-script runs shorter than this (letters) are ignored: "α", "αβ" are maths, not fragments.
FOREIGN_MIN_LETTERS = 3
# ... but one or two kana/hangul/CJK characters already make a word ("三农").
IDEOGRAPHIC_MIN_LETTERS = 2
# A block is "English-like" for foreign-fragment purposes when Latin letters are at least this
# share of its letters.
LATIN_SHARE_MIN = 0.5
FOREIGN_FRAGMENT_NAME = "foreign_fragment"
FOREIGN_GLOSS_NAME = "foreign_gloss"
_GLOSS_OPEN = "([{\"'“‘«「『（"
_GLOSS_CLOSE = ")]}\"'”’»」』）"
# Function words to tell an Iberian block (where "EE. UU." is correct) from an English one.
_ENGLISH_WORD = banked_regex(r"\b(?:the|and|of|to|is|was|that|with|for|from|has|have|which|are)\b")
_IBERIAN_WORD = banked_regex(r"\b(?:el|la|los|las|del|que|y|en|por|para|con|una|uma|um|não|com|dos|das|"
                           r"os|su|sus|es|está|são|pelo|pela)\b")

# Page score: block scores are raised to this power before aggregation (weak hits count little).
PAGE_SCORE_POWER = 2.0
# The length-weighted affected share is multiplied by this (half the page affected -> 1).
PAGE_SHARE_GAIN = 2.0
# Number of (squared) strong blocks that takes the count part to 1 - 1/e.
PAGE_COUNT_SCALE = 4.0

_MAX_COUNT = {p.name: p.max_count for p in PATTERNS if p.max_count is not None}

# The compiled kernel (features/_mt_ext.pyx: pre-screen scan, gate, letter counts), or None: the
# reference forms below run (``COMBINED.finditer``, numpy, every pattern per block).
_MT_EXT = ext.load("features._mt_ext")


@functools.cache
def _start_scanner() -> object | None:
    """The kernel's scanner over ``COMBINED``'s start conditions (built on first use from the
    table cache), or None when the kernel is absent or the conditions cannot be read (then
    ``finditer`` scans)."""
    if _MT_EXT is None:
        return None
    got = tablecache.cached_arrays("mt-start-scanner", [tablecache.source_fingerprint()], _scanner_arrays)
    if not got["usable"][0]:
        return None
    return _MT_EXT.StartScanner(**{k: (v.item() if v.ndim == 0 else v) for k, v in got.items() if k != "usable"})


def _scanner_arrays() -> dict[str, np.ndarray]:
    """``rx_starts.scanner_tables`` of ``COMBINED``'s start conditions as arrays, ``usable`` false
    where there are none. Reading ``COMBINED``'s parse takes ~3.5 ms of start-up: kept between runs."""
    if rx_starts.min_width(COMBINED) < 1:  # an empty match: finditer's rules
        return {"usable": np.zeros(1, dtype=bool)}
    conditions = rx_starts.start_conditions(COMBINED)
    if conditions is None:
        return {"usable": np.zeros(1, dtype=bool)}
    tables = rx_starts.scanner_tables(conditions)
    return {"usable": np.ones(1, dtype=bool), **{k: np.asarray(v) for k, v in tables.items()}}


def _prescreen_starts(joined: str, cp: np.ndarray | None) -> list[int]:
    """``[m.start() for m in COMBINED.finditer(joined)]`` (see ``_prescreen``)."""
    return _prescreen(joined, cp)[0]


def _prescreen(joined: str, cp: np.ndarray | None) -> tuple[list[int], bool]:
    """``[m.start() for m in COMBINED.finditer(joined)]`` and ``_passes_gate(joined, cp)``: with
    the kernel, in one pass where the regex is tried only where its start conditions hold
    (about one place in 6,000 of English text)."""
    scanner = _start_scanner() if _MT_EXT is not None else None
    if scanner is None:
        return [m.start() for m in COMBINED.finditer(joined)], _passes_gate(joined, cp)
    if cp is None or len(cp) != len(joined):
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    positions, gate = scanner.starts_and_gate(joined, np.ascontiguousarray(cp, dtype=np.uint32), COMBINED.match,
                                              GATE_ALLOWED[0][1], _GATE_RANGES)
    return positions, bool(gate)


@functools.cache
def _pattern_plan() -> tuple[tuple, object]:
    """For the per-block loop (with the kernel): per pattern (its trigger, the groups of strings,
    the regex's and the trigger's, of which a block must hold one each for the pattern to have a
    hit there: ``rx_starts.required_strings``); and the kernel's ``NeedleSet`` of all those
    strings with each pattern's groups (no groups: the pattern always runs; an empty group: it
    cannot match at all). The groups come from the table cache (``_required_arrays``)."""
    got = tablecache.cached_arrays("mt-required-strings", [tablecache.source_fingerprint()], _required_arrays)
    groups_of = _required_groups(got)
    if len(groups_of) != len(PATTERNS):  # not this module's entry: read the patterns again
        groups_of = _required_groups(_required_arrays())
    plan = [(p, _TRIGGERS.get(p.name), groups) for p, groups in zip(PATTERNS, groups_of)]
    needles = sorted({s for _, _, groups in plan for g in groups for s in g})
    index = {s: k for k, s in enumerate(needles)}
    ids = [[[index[s] for s in g] for g in groups] for _, _, groups in plan]
    return tuple(plan), _MT_EXT.NeedleSet(needles, ids)


def _required_arrays() -> dict[str, np.ndarray]:
    """Every pattern's groups of required strings (the regex's, then its trigger's, each when
    ``rx_starts.required_strings`` finds one), as ``_flat_groups`` arrays. Reading the patterns'
    parses takes ~9 ms of the first batch with an artefact candidate: kept between runs."""
    groups_of = []
    for p in PATTERNS:
        trigger = _TRIGGERS.get(p.name)
        groups_of.append(tuple(g for g in (rx_starts.required_strings(p.regex),
                                           rx_starts.required_strings(trigger) if trigger is not None else None)
                               if g is not None))
    return _flat_groups(groups_of)


def _flat_groups(groups_of: list[tuple[tuple[str, ...], ...]]) -> dict[str, np.ndarray]:
    """Per pattern, groups of strings as flat arrays: the strings' UTF-32 code points (exact for
    any string, unlike numpy's str arrays, which drop trailing NULs) and the ends of the
    strings, of the groups and of the patterns (``_required_groups`` reads them back)."""
    codes: list[np.ndarray] = []
    string_ends: list[int] = []
    group_ends: list[int] = []
    pattern_ends: list[int] = []
    total = 0
    for groups in groups_of:
        for group in groups:
            for s in group:
                cp = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
                codes.append(cp)
                total += cp.size
                string_ends.append(total)
            group_ends.append(len(string_ends))
        pattern_ends.append(len(group_ends))
    return {"codes": np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint32),
            "string_ends": np.array(string_ends, dtype=np.int64), "group_ends": np.array(group_ends, dtype=np.int64),
            "pattern_ends": np.array(pattern_ends, dtype=np.int64)}


def _required_groups(arrays: dict[str, np.ndarray]) -> list[tuple[tuple[str, ...], ...]]:
    """``_flat_groups``' arrays back as strings: per pattern, a tuple of groups."""
    raw = np.ascontiguousarray(arrays["codes"], dtype=np.uint32).tobytes()
    string_ends = arrays["string_ends"].tolist()
    strings = [raw[4 * a: 4 * b].decode("utf-32-le", "surrogatepass")
               for a, b in zip([0, *string_ends[:-1]], string_ends)]
    group_ends = arrays["group_ends"].tolist()
    groups = [tuple(strings[a:b]) for a, b in zip([0, *group_ends[:-1]], group_ends)]
    pattern_ends = arrays["pattern_ends"].tolist()
    return [tuple(groups[a:b]) for a, b in zip([0, *pattern_ends[:-1]], pattern_ends)]


def _candidates(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[list[int]]:
    """Per block ``cp[starts[b]:ends[b]]``: the patterns (indices into ``PATTERNS``, in order) for
    which it holds one string of every group (the others have no hit there), found for all the
    blocks in one compiled pass."""
    return _pattern_plan()[1].candidates(cp, starts, ends)


def _patterns_hits(text: str, candidates: list[int] | None = None) -> list[_Hit]:
    """Every pattern's hits in one block, as ``block_evidence``'s loop finds them (``candidates``:
    the block's ``_candidates``, when the caller has them)."""
    hits: list[_Hit] = []
    if _MT_EXT is None:  # the reference form
        for pattern in PATTERNS:
            trigger = _TRIGGERS.get(pattern.name)
            if trigger is None or trigger.search(text):
                hits.extend(_pattern_hits(text, pattern))
        return hits
    # Skipping a pattern some group of whose required strings is not in the block drops no hit;
    # the others run in PATTERNS order, as in the reference form.
    if candidates is None:
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        candidates = _candidates(cp, np.zeros(1, dtype=np.int64), np.full(1, len(cp), dtype=np.int64))[0]
    plan = _pattern_plan()[0]
    for i in candidates:
        pattern, trigger, _ = plan[i]
        if trigger is None or trigger.search(text):
            hits.extend(_pattern_hits(text, pattern))
    return hits


# Characters beyond the Basic Multilingual Plane (emoji, rare CJK) are counted as neither
# (they are looked up as U+FFFF, a non-character).
BMP_SIZE = 0x10000


# ``FOREIGN_GATE`` as code-point ranges it does not match (kept equal to it by a test).
GATE_ALLOWED = ((0x0000, 0x036F), (0x1E00, 0x1EFF), (0x2000, 0x2BFF), (0xFFFD, 0xFFFD), (0x1F000, 0x1FAFF))
# The ranges after the first, for the kernel (the first is the ``cp > GATE_ALLOWED[0][1]`` test).
_GATE_RANGES = np.array(GATE_ALLOWED[1:], dtype=np.uint32)


def _passes_gate(text: str, cp: np.ndarray | None = None) -> bool:
    """``FOREIGN_GATE.search(text)`` with numpy: the regex walks every character of a clean page
    (a quarter of the artefact pass); here one pass finds the few characters above U+036F.
    ``cp``: the text's code points, when the caller has them already."""
    if cp is None or len(cp) != len(text):
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if _MT_EXT is not None:  # the same test in one pass that stops at the first such character
        return bool(_MT_EXT.passes_gate(np.ascontiguousarray(cp, dtype=np.uint32), GATE_ALLOWED[0][1],
                                        _GATE_RANGES))
    high = cp[cp > GATE_ALLOWED[0][1]]
    if not len(high):
        return False
    outside = np.ones(len(high), dtype=bool)
    for lo, hi in GATE_ALLOWED[1:]:
        outside &= (high < lo) | (high > hi)
    return bool(outside.any())


def _bmp_table(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """A 0/1 lookup table over the BMP for counting characters of ``ranges`` with numpy."""
    table = np.zeros(BMP_SIZE, dtype=np.uint8)
    for lo, hi in ranges:
        table[lo:hi + 1] = 1
    return table

# Per code point: 1 for a letter of another script / a Latin letter (for counting per block).
_FOREIGN_TABLE = _bmp_table(FOREIGN_RANGES)
_LATIN_TABLE = _bmp_table(LATIN_RANGES)
# The evidence of a block without hits (shared: never mutated, callers build new lists).
_NO_EVIDENCE: list[dict] = []
# A hit: start, end, kind, weight, pattern name.
_Hit = tuple[int, int, str, float, str]


def _reads_iberian(text: str) -> bool:
    """More Spanish/Portuguese than English function words: the abbreviation is at home here."""
    return len(_IBERIAN_WORD.findall(text)) > len(_ENGLISH_WORD.findall(text))


def _pattern_hits(text: str, pattern: ArtefactPattern) -> list[_Hit]:
    hits = []
    has_span = "span" in pattern.regex.groupindex
    for m in pattern.regex.finditer(text):
        start, end = m.span("span") if has_span else m.span()
        hits.append((start, end, pattern.kind, pattern.weight, pattern.name))
    if hits and pattern.english_only and _reads_iberian(text):
        return []
    return hits


def _foreign_hits(text: str) -> list[_Hit]:
    """Runs of non-Latin letters inside a mostly-Latin block; glosses in brackets/quotes are weak."""
    runs = list(FOREIGN_SCRIPT.finditer(text))
    if not runs:
        return []
    foreign_letters = sum(m.end() - m.start() - len(FOREIGN_SEPARATOR.findall(m.group()))
                          for m in runs)
    latin_letters = len(LATIN_LETTER.findall(text))
    if latin_letters < LATIN_SHARE_MIN * (latin_letters + foreign_letters):
        return []
    hits = []
    for m in runs:
        start, end = m.span()
        minimum = IDEOGRAPHIC_MIN_LETTERS if IDEOGRAPHIC.search(m.group()) else FOREIGN_MIN_LETTERS
        if end - start < minimum:
            continue
        before = text[:start].rstrip()[-1:]
        after = text[end:].lstrip()[:1]
        if before and after and before in _GLOSS_OPEN and after in _GLOSS_CLOSE:
            hits.append((start, end, "foreign_script", FOREIGN_GLOSS_WEIGHT, FOREIGN_GLOSS_NAME))
        else:
            hits.append((start, end, "foreign_script", FOREIGN_FRAGMENT_WEIGHT, FOREIGN_FRAGMENT_NAME))
    return hits


def _merge(text: str, hits: list[_Hit]) -> list[_Hit]:
    """One artefact per overlapping / nested / whitespace-adjacent run of hits of the same kind.

    The merged hit keeps the strongest member's weight and name.
    """
    hits.sort(key=lambda h: (h[0], -h[1]))
    merged: list[_Hit] = []
    last_of_kind: dict[str, int] = {}
    for hit in hits:
        start, end, kind, weight, name = hit
        i = last_of_kind.get(kind)
        if i is not None:
            p_start, p_end, _, p_weight, p_name = merged[i]
            gap = text[p_end:start]
            if start <= p_end or (len(gap) <= MERGE_GAP and not gap.strip()):
                if weight > p_weight:
                    p_weight, p_name = weight, name
                merged[i] = (p_start, max(p_end, end), kind, p_weight, p_name)
                continue
        last_of_kind[kind] = len(merged)
        merged.append(hit)
    merged.sort(key=lambda h: (h[0], h[1]))
    return merged


def _score(hits: list[_Hit]) -> float:
    """1 - prod(1 - w) over artefacts, each pattern counted at most its max_count times."""
    seen: dict[str, int] = {}
    keep = 1.0
    for _, _, _, weight, name in hits:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] <= _MAX_COUNT.get(name, MAX_REPEATS):
            keep *= 1.0 - weight
    return 1.0 - keep


def block_evidence(text: str, patterns: bool = True, foreign: bool = True) -> tuple[float, list[dict]]:
    """The full (slow) check of one block: its mt score and evidence spans.

    ``patterns`` / ``foreign`` let :func:`mt_artefacts` skip the half its pre-screen ruled out.
    """
    return _evidence(text, _patterns_hits(text) if patterns else [], foreign)


def _evidence(text: str, hits: list[_Hit], foreign: bool) -> tuple[float, list[dict]]:
    """``block_evidence`` from the block's pattern hits."""
    if foreign and FOREIGN_GATE.search(text):
        hits.extend(_foreign_hits(text))
    if not hits:
        return 0.0, []
    hits = _merge(text, hits)
    return _score(hits), [{"kind": h[2], "start": h[0], "end": h[1]} for h in hits]


def mt_artefacts(texts: list[str], joined: str | None = None,
                 cp: np.ndarray | None = None) -> tuple[np.ndarray, list[list[dict]]]:
    """Per block: mt score in 0..1 and evidence spans [{"kind": kind, "start": i, "end": j}].

    Offsets are character offsets into that block's text. One pre-screen pass over the joined
    text finds the few blocks worth checking, so clean text costs almost nothing. ``joined``
    (``"\\n".join(texts)``) and ``cp`` (its UTF-32 code points): when the caller has them.
    """
    n = len(texts)
    scores = np.zeros(n, dtype=np.float64)
    # One shared empty list for the (many) clean blocks; blocks with hits get lists of their own.
    evidence: list[list[dict]] = [_NO_EVIDENCE] * n
    if n == 0:
        return scores, evidence
    if joined is None:
        joined = "\n".join(texts)
    if _MT_EXT is not None and (cp is None or len(cp) != len(joined)):
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    positions, gate = _prescreen(joined, cp)
    if not positions and not gate:
        return scores, evidence
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    line_starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=line_starts[1:])
    hit_blocks = np.searchsorted(line_starts, np.asarray(positions, dtype=np.int64), side="right") - 1
    pattern_blocks = set(hit_blocks.tolist())
    foreign_blocks = set(_foreign_candidates(joined, line_starts, lengths, cp).tolist()) if gate else set()
    candidates: dict[int, list[int]] = {}
    if _MT_EXT is not None and pattern_blocks and len(joined) == int(lengths.sum()) + n - 1:
        # Each pattern block's candidate patterns in one pass (its text is cp[start:end] when
        # the joined text is the blocks and n - 1 separators, as it is when made here).
        order = np.array(sorted(pattern_blocks), dtype=np.int64)
        ends = line_starts[order] + lengths[order]
        cp = np.ascontiguousarray(cp, dtype=np.uint32)
        candidates = dict(zip(order.tolist(), _candidates(cp, line_starts[order], ends)))
    for b in sorted(pattern_blocks | foreign_blocks):
        if b in pattern_blocks:
            hits = _patterns_hits(texts[b], candidates.get(b))
        else:
            hits = []
        scores[b], evidence[b] = _evidence(texts[b], hits, b in foreign_blocks)
    return scores, evidence


def _foreign_candidates(joined: str, line_starts: np.ndarray, lengths: np.ndarray,
                        cp: np.ndarray | None = None) -> np.ndarray:
    """Blocks that may hold a foreign-script fragment: enough foreign letters, mostly Latin.

    Counted for all blocks at once with numpy (code-point lookup tables, cumulative sums), so a
    page wholly in another script costs no per-block Python work; the kernel counts the same
    integers in one pass per table. ``cp``: ``joined``'s code points, when the caller has them.
    """
    ends = line_starts + lengths
    if _MT_EXT is not None:
        if cp is None or len(cp) != len(joined):
            cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cp = np.ascontiguousarray(cp, dtype=np.uint32)
        starts = np.ascontiguousarray(line_starts, dtype=np.int64)
        ends = np.ascontiguousarray(ends, dtype=np.int64)
        foreign, latin = (_MT_EXT.table_counts(cp, starts, ends, table, BMP_SIZE - 1)
                          for table in (_FOREIGN_TABLE, _LATIN_TABLE))
    else:
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        codes = np.minimum(codes, BMP_SIZE - 1)
        counts = []
        for table in (_FOREIGN_TABLE, _LATIN_TABLE):
            cum = np.concatenate(([0], np.cumsum(table[codes], dtype=np.int64)))
            counts.append(cum[ends] - cum[line_starts])
        foreign, latin = counts
    keep = (foreign >= IDEOGRAPHIC_MIN_LETTERS) & (latin >= LATIN_SHARE_MIN * (latin + foreign))
    return np.flatnonzero(keep)


def mt_page_score(block_scores: np.ndarray, block_lengths: np.ndarray) -> float:
    """Page score 0..1 reflecting how much of the page is affected.

    A single artefact on a 40-line page is weaker than many: the score combines the
    length-weighted share of affected text with the number of affected blocks, after squaring
    block scores so that scattered weak hits on a clean page stay near 0.
    """
    scores = np.clip(np.asarray(block_scores, dtype=np.float64), 0.0, 1.0)
    lengths = np.clip(np.asarray(block_lengths, dtype=np.float64), 0.0, None)
    if scores.size == 0:
        return 0.0
    mass = scores ** PAGE_SCORE_POWER
    total = float(lengths.sum())
    share = float((mass * lengths).sum()) / total if total > 0 else float(mass.mean())
    share_part = min(1.0, PAGE_SHARE_GAIN * share)
    count_part = 1.0 - float(np.exp(-mass.sum() / PAGE_COUNT_SCALE))
    return float(1.0 - (1.0 - share_part) * (1.0 - count_part))


def mt_page_scores(block_scores: np.ndarray, block_lengths: np.ndarray, page: np.ndarray,
                   n_pages: int) -> np.ndarray:
    """``mt_page_score`` for many pages at once: ``page`` gives each block's page (0..n_pages-1).

    Same formula, with per-page sums from ``bincount``; a page without blocks scores 0.
    """
    scores = np.clip(np.asarray(block_scores, dtype=np.float64), 0.0, 1.0)
    lengths = np.clip(np.asarray(block_lengths, dtype=np.float64), 0.0, None)
    mass = scores ** PAGE_SCORE_POWER
    count = np.bincount(page, minlength=n_pages)
    total = np.bincount(page, weights=lengths, minlength=n_pages)
    mass_sum = np.bincount(page, weights=mass, minlength=n_pages)
    weighted = np.bincount(page, weights=mass * lengths, minlength=n_pages)
    share = np.where(total > 0, weighted / np.maximum(total, 1e-300), mass_sum / np.maximum(count, 1))
    share_part = np.minimum(1.0, PAGE_SHARE_GAIN * share)
    count_part = 1.0 - np.exp(-mass_sum / PAGE_COUNT_SCALE)
    return np.where(count > 0, 1.0 - (1.0 - share_part) * (1.0 - count_part), 0.0)
