"""The profanity matcher's compiled pre-filter (``_profanity_ext.match_starts`` with the tables
``profanity._prefilter`` reads off the matcher) gives ``finditer``'s matches, and so the same hits.

The claim behind it: every position where the matcher matches is one ``match_starts`` returns
(tested directly, position by position, and on random small patterns for the prefix analysis
itself); then trying the matcher only there, skipping what a match covers, is ``finditer``.
Inputs: random text over the characters the matcher cares about, obfuscated forms of every stem
(p1ss, f**k, s h i t, f---, fuuuck, masks, leet symbols), hits the line screen misses ($__t,
a$$s), non-ASCII (also characters that lower-case to ASCII: U+0130, U+212A), lone surrogates,
newlines inside a text, very long lines, every ``scan_from``, and real bench text.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import profanity

KERNEL = "features._profanity_ext"
# Characters the matcher reads (letters, leet digits and symbols, masks, separators), and others.
MATCH_CHARS = "abcdefghijklmnopqrstuvwxyz0134567!|@$+*#-_. "
OTHER_CHARS = "\n\t'’“,;:?()289%&éİKßÅ\u0301\u00a0\u2028д字😀\U0001d400\ud800ABCDEFSHIT"


@pytest.fixture(autouse=True)
def prefilter_from_the_first_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-filter at once (a process builds it after PREFILTER_AFTER characters)."""
    monkeypatch.setattr(profanity, "PREFILTER_AFTER", 0)


def tables() -> tuple:
    needs(KERNEL)
    out = profanity._prefilter()
    assert out is not None, "the prefix analysis should model the matcher"
    return out


def spans(matches) -> list[tuple]:
    return [(m.span(), m.lastgroup, m.group(0)) for m in matches]


def assert_same_matches(text: str, scan_from: int = 0) -> None:
    """The pre-filtered matches equal finditer's, and every match start is a returned position."""
    low = profanity._fold(text)
    matcher = profanity._matcher()
    starts = set(needs(KERNEL).match_starts(low, 0, *tables()))
    missed = [p for p in range(len(low)) if matcher.match(low, p) and p not in starts]
    assert not missed, (text, missed)
    assert spans(profanity._matches(low, scan_from)) == spans(matcher.finditer(low, scan_from)), (text, scan_from)


def both_hits(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``_all_hits``, ``profanity_scores`` and ``profanity_counts`` with the pre-filter and without."""
    tables()
    got = (profanity._all_hits(texts), profanity.profanity_scores(texts), profanity.profanity_counts(texts))
    with monkeypatch.context() as m:
        m.setattr(profanity, "_prefilter", lambda: None)
        want = (profanity._all_hits(texts), profanity.profanity_scores(texts), profanity.profanity_counts(texts))
    assert got[0] == want[0]
    assert got[1][0].dtype == want[1][0].dtype
    np.testing.assert_array_equal(got[1][0], want[1][0])
    assert got[1][1] == want[1][1]
    np.testing.assert_array_equal(got[2], want[2])


def _obfuscated(rnd: random.Random, word: str) -> str:
    leet = profanity.LEET
    forms = [
        word, word.upper(), word.title(), rnd.choice(" ._-").join(word),
        "".join(rnd.choice(leet.get(c, c) + c) for c in word),
        "".join(rnd.choice("*#") if i and rnd.random() < 0.5 else c for i, c in enumerate(word)),
        "".join(c * rnd.choice((1, 1, 2, 3, 5)) for c in word),
        word[0] + rnd.choice("-_") * rnd.randrange(1, 5) + word[-1] * rnd.randrange(0, 2),
        "".join(rnd.choice(MATCH_CHARS) if rnd.random() < 0.3 else c for c in word),
    ]
    return rnd.choice(forms) + rnd.choice(["", "s", "ed", "ing", "er", "head", "hole", "x", "!"])


def _random_line(rnd: random.Random) -> str:
    stems = [s.text for s in profanity._STEMS]
    parts = []
    for _ in range(rnd.randrange(1, 6)):
        if rnd.random() < 0.5:
            parts.append(_obfuscated(rnd, rnd.choice(stems)))
        else:
            pool = MATCH_CHARS * 3 + OTHER_CHARS
            parts.append("".join(rnd.choice(pool) for _ in range(rnd.randrange(0, 10))))
    return "".join(parts)


def test_prefilter_is_built_with_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    masks, guarded, ranges, alnum = tables()
    assert masks.shape[:2] == (profanity.PREFIX_LEN, 130) and masks.dtype == np.uint64
    assert guarded.shape == (masks.shape[2],) and ranges.shape == (128, 2) and alnum.shape == (128,)
    monkeypatch.setattr(profanity, "_SCREEN", None)  # without the kernel: finditer
    profanity._prefilter.cache_clear()
    try:
        assert profanity._prefilter() is None
    finally:
        profanity._prefilter.cache_clear()


def test_random_lines() -> None:
    rnd = random.Random(11)
    matched = 0
    for _ in range(3000):
        text = _random_line(rnd)
        assert_same_matches(text, rnd.choice((0, 0, 1, rnd.randrange(0, len(text) + 2))))
        matched += bool(list(profanity._matcher().finditer(profanity._fold(text))))
    assert matched > 400  # the comparison is not all empty


@pytest.mark.parametrize("text", [
    "", "a", "f", "p1ss", "sh1t", "f4ck", "@ss", "$hit", "b!tch", "c0ck", "sh!+", "a$$hole", "f**k", "f*ck",
    "s#!t", "f---", "f--k", "sh*t", "a**hole", "bulls**t", "s h i t", "f.u.c.k", "f-u-c-k", "f_u_c_k",
    "S H I T", "fuuuuck", "shiiit", "fffuck", "asssss", "$__t", "a$$s", "shit $__t", "shit a$$s", "5***",
    "4**", "7##", "t1#", "@5*", "Dick Cheney", "Moby Dick", "tit-for-tat", "a mishit", "BS", "B & Bs",
    "fuc\u212a", "\u0130diot f\u0130ck", "sh\u0130t", "\ud800shit\udfff", "😀fuck😀", "s\u0301hit", "été shit",
    "shit\nfuck", "s\nh\ni\nt", "f**\nk", "fu\nck", "bull\nshit", "x" * 5000 + "shit", "shit" + "x" * 5000,
    "bullshit" * 2000, "f" + "u" * 20_000 + "ck", "s h " * 5000, "a" * 10_000, "*" * 10_000, "fuck" * 3000,
    "a-" * 5000 + "ss", "word " * 2000 + "f.u.c.k " + "word " * 2000, "Scunthorpe assassin cocktail",
], ids=lambda t: repr(t)[:30])
def test_adversarial(text: str) -> None:
    for scan_from in {0, 1, len(text) // 2, max(0, len(text) - 1), len(text), len(text) + 5}:
        assert_same_matches(text, scan_from)


def test_obfuscated_stems_and_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stem and ending, obfuscated, alone and inside text; hits and scores in batches."""
    rnd = random.Random(2)
    texts = []
    for stem in profanity._STEMS:
        for ending in ("",) + stem.endings[:4]:
            for _ in range(3):
                form = _obfuscated(rnd, stem.text) + ending
                texts += [form, f"x {form} y", f"“{form}”", f"é{form}😀", f"shit {form}"]
    for text in texts:
        assert_same_matches(text)
    for i in range(0, len(texts), 64):
        both_hits(texts[i:i + 64], monkeypatch)


def test_random_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(4)
    for _ in range(40):
        texts = [_random_line(rnd) for _ in range(rnd.randrange(0, 60))]
        texts += ["\n".join(_random_line(rnd) for _ in range(3))]  # a text with its own newlines
        both_hits(texts, monkeypatch)


def test_real_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bench blocks, every line in full (not only where the screen lets the matcher start)."""
    pages = bench_pages(400)
    blocks = [line for p in pages for line in p.text.split("\n")]
    screened = set(profanity._screen(blocks).tolist())
    for i, line in enumerate(blocks):
        if i in screened or i % 7 == 0:
            assert_same_matches(line)
    for i in range(0, len(blocks), 64):
        both_hits(blocks[i:i + 64], monkeypatch)


# --- the prefix analysis on small patterns -----------------------------------------------------
def _random_pattern(rnd: random.Random, depth: int = 0, tag: str = "g") -> str:
    """A random sequence of the constructs the matcher uses (literals, classes, repeats, possessive
    and atomic groups, alternations, named groups and back-references, look-arounds, the guard)."""
    out = [re.escape(rnd.choice("abcs$5*"))]  # a literal first, as every branch of the matcher
    for _ in range(rnd.randrange(0, 4)):
        r = rnd.random()
        if r < 0.25:
            out.append(re.escape(rnd.choice("abcs$5*- .é")))
        elif r < 0.4:
            out.append("[" + re.escape("".join(rnd.sample("abs5$*# .é", rnd.randrange(1, 4)))) + "]")
        elif r < 0.5:
            out.append(rnd.choice([r"\w", r"[^\W_]", ".", r"[^a]", r"\W"]))
        elif r < 0.6 and depth < 2:
            rep = rnd.choice(["*", "+", "?", "{2,}", "{0,2}", "*+", "++", "{3,}+", "?+", "{2}"])
            out.append("(?:" + _random_pattern(rnd, depth + 1) + ")" + rep)
        elif r < 0.7 and depth < 2:
            out.append("(?:" + "|".join(_random_pattern(rnd, depth + 1) for _ in range(rnd.randrange(1, 4))) + "|)")
        elif r < 0.75:
            out.append(rnd.choice([r"(?<![^\W_].)", r"(?<!\w)", r"(?!\w)", r"(?=a)", r"(?<!['’].)", r"\b"]))
        elif r < 0.8 and depth < 2:
            out.append("(?>" + _random_pattern(rnd, depth + 1) + ")")
        elif r < 0.9 and depth == 0 and f"(?P<{tag}>" not in "".join(out):
            out.append(f"(?P<{tag}>[ ._-])a(?P={tag})")
        else:
            out.append(rnd.choice(["a", "s", "$", "-", " "]) * rnd.randrange(1, 3))
    return "".join(out)


def test_prefix_analysis_on_random_patterns() -> None:
    """For random patterns: the positions ``match_starts`` returns hold every match start."""
    mod = needs(KERNEL)
    rnd = random.Random(9)
    checked = 0
    for _ in range(400):
        pattern = re.compile("|".join(_random_pattern(rnd, tag=f"g{i}") for i in range(rnd.randrange(1, 4))))
        k = rnd.randrange(1, 6)
        try:
            tabs = profanity._prefix_tables(profanity._match_prefixes(pattern, k), k)
        except profanity._Unsupported:
            continue
        for _ in range(20):
            text = "".join(rnd.choice("abcs$5*#- .éxA\n") for _ in range(rnd.randrange(0, 30)))
            starts = set(mod.match_starts(text, 0, *tabs))
            assert all(p in starts for p in range(len(text)) if pattern.match(text, p)), (pattern.pattern, text)
            checked += 1
    assert checked > 4000


def test_prefix_analysis_refuses_what_it_does_not_model() -> None:
    for pattern in (re.compile("ab", re.IGNORECASE), re.compile("(?i:a)b"), re.compile("(a)?(?(1)b|c)"),
                    re.compile("a?"), re.compile(".b"), re.compile("éa")):
        with pytest.raises(profanity._Unsupported):
            profanity._prefix_tables(profanity._match_prefixes(pattern, 3), 3)


def test_guard_needs_a_word_start() -> None:
    """The guard drops a position after an ASCII letter or digit, never after other characters."""
    mod = needs(KERNEL)
    pattern = re.compile(r"a(?<![^\W_].)b")
    tabs = profanity._prefix_tables(profanity._match_prefixes(pattern, 2), 2)
    assert mod.match_starts("ab xab 1ab _ab éab \nab", 0, *tabs) == [0, 12, 16, 20]
    # The guard's "." does not match a newline: after a letter, "\nb" still matches.
    pattern = re.compile(r"[a\n](?<![^\W_].)b")
    tabs = profanity._prefix_tables(profanity._match_prefixes(pattern, 2), 2)
    assert pattern.match("x\nb", 1) and mod.match_starts("x\nb xab ab", 0, *tabs) == [1, 5, 8]  # 5: not guarded


def test_kernel_checks_its_arguments() -> None:
    mod = needs(KERNEL)
    masks, guarded, ranges, alnum = tables()
    assert mod.match_starts("", 0, *tables()) == [] and mod.match_starts("shit", 9, *tables()) == []
    assert mod.match_starts("shit", -3, *tables()) == [0]
    with pytest.raises(ValueError):
        mod.match_starts("shit", 0, masks[:, :129].copy(), guarded, ranges, alnum)
    with pytest.raises(ValueError):
        mod.match_starts("shit", 0, masks, guarded[:-1].copy(), ranges, alnum)
    bad = ranges.copy()
    bad[ord("s"), 1] = masks.shape[2] + 1
    with pytest.raises(ValueError):
        mod.match_starts("shit", 0, masks, guarded, bad, alnum)


# --- the screen on one byte per character ------------------------------------------------------
def chars_both(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, np.ndarray]:
    """``_screen_chars`` on ``line_bytes`` (the kernel) and on UTF-8 with the character offsets
    converted in Python (the numpy form): same lines, same offsets, same dtypes."""
    needs(KERNEL)
    got = profanity._screen_chars(texts)
    with monkeypatch.context() as m:
        m.setattr(profanity, "_SCREEN", None)
        want = profanity._screen_chars(texts)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    return want


def test_line_bytes() -> None:
    mod = needs(KERNEL)
    assert mod.line_bytes([]) == b"" and mod.line_bytes([""]) == b"" and mod.line_bytes(["", ""]) == b"\n"
    assert mod.line_bytes(["ab\nc", "é😀xÿĀ\ud800", "", "z\x7f"]) == b"ab c\n\x80\x80x\x80\x80\x80\n\nz\x7f"
    with pytest.raises(TypeError):
        mod.line_bytes(["a", b"b"])

    class Text(str):
        pass

    assert mod.line_bytes([Text("é\nf**k"), np.str_("s h i t")]) == b"\x80 f**k\ns h i t"


def test_screen_chars_random(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random text over screen characters and every string kind (Latin-1, BMP, astral, lone
    surrogates, combining marks), with newlines inside texts; the signals land at the same
    characters whether a non-ASCII character is one boundary byte or two to four."""
    rnd = random.Random(6)
    pool = MATCH_CHARS * 3 + OTHER_CHARS + "ÿ\x80\x85ĀḀ\ufeff\U0010ffff\udfff"
    flagged = 0
    for _ in range(300):
        texts = ["".join(rnd.choice(pool) for _ in range(rnd.choice((0, 1, 3, 8, 30, 120))))
                 for _ in range(rnd.randrange(1, 50))]
        if rnd.random() < 0.5:
            texts = [_random_line(rnd) + rnd.choice(["", "é", "😀", "\n"]) + t for t in texts]
        flagged += len(chars_both(texts, monkeypatch)[0])
    assert flagged > 2000


@pytest.mark.parametrize("texts", [
    [], [""], ["", ""], ["shit"], ["é" * 50 + "shit"], ["😀" * 50 + "f**k"], ["\ud800" * 9 + "s h i t"],
    ["fuc\u212a", "\u0130diot", "sh\u0130t"], ["é\nshit", "x"], ["a\n", "\nf---"], ["s\nh i t"],
    ["ass\u00e9", "ass\u0301", "assé", "assд", "ass😀"], ["é s h i t é", "ä.f.u.c.k"], ["é" * 5000 + " a$$hole"],
    ["ÿfuuuckÿ", "Āf**kĀ", "\U0010ffffshit"],
], ids=lambda t: repr(t)[:30])
def test_screen_chars_edge_cases(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    chars_both(texts, monkeypatch)


def kernels_on_and_off(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores, evidence and counts with both kernels and with neither (the numpy screen and
    finditer)."""
    needs(KERNEL)
    got = profanity.profanity_scores(texts), profanity.profanity_counts(texts)
    monkeypatch.setattr(profanity, "_SCREEN", None)
    want = profanity.profanity_scores(texts), profanity.profanity_counts(texts)
    np.testing.assert_array_equal(got[0][0], want[0][0])
    assert got[0][1] == want[0][1]
    np.testing.assert_array_equal(got[1], want[1])
    assert sum(map(bool, want[0][1])) > 20


def test_kernels_on_and_off_random(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(8)
    texts = [_random_line(rnd) for _ in range(400)] + [
        "é" * rnd.randrange(0, 90) + rnd.choice(["", "x ", "\n"]) + _obfuscated(rnd, s.text) for s in profanity._STEMS]
    kernels_on_and_off(texts, monkeypatch)


def test_kernels_on_and_off_real_text(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(300)
    kernels_on_and_off([line for p in pages for line in p.text.split("\n")][:20_000] + [p.text for p in pages],
                       monkeypatch)


def test_prefilter_after_enough_scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    """finditer until PREFILTER_AFTER characters were scanned, then the pre-filter; warm_up
    builds it and turns it on at once."""
    tables()
    monkeypatch.setattr(profanity, "PREFILTER_AFTER", 100)
    monkeypatch.setattr(profanity, "_scanned", 0)
    calls = []
    real = profanity._SCREEN.match_starts
    monkeypatch.setattr(profanity._SCREEN, "match_starts", lambda *a: calls.append(a[1]) or real(*a))
    text = "oh shit, " * 10  # 90 characters
    want = spans(profanity._matcher().finditer(text, 5))
    assert spans(profanity._matches(text, 5)) == want and not calls and profanity._scanned == 85
    assert spans(profanity._matches(text, 70)) == spans(profanity._matcher().finditer(text, 70)) and not calls
    assert profanity._scanned == 105
    assert spans(profanity._matches(text, 5)) == want and calls == [5] and profanity._scanned == 105
    monkeypatch.setattr(profanity, "_scanned", 0)
    profanity.warm_up()
    assert profanity._scanned == 100
