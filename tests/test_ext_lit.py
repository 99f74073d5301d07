"""The compiled literal-pattern pass (features/_literal_ext.pyx) gives the Python form's counts.

Two things are checked. First, the proof the kernel rests on: ``prefilter.position_sets`` is a
superset - at every place where a pattern matches (``rx.match(data, i)``, tried at every ``i``)
the match is longer than each checked offset and its bytes there are in the sets - for the real
patterns and for constructs they do not use yet (alternatives sharing a prefix, optional and
counted repeats, look-arounds, ``\\b``, classes and negated classes, backreferences, flags).
Second, ``_literal_matches`` with the kernel equals one ``_matches_per_block`` per pattern
(``_LITERAL_EXT`` set to None), same dtypes and values: on random blocks over an alphabet of the
patterns' own bytes (overlapping prefixes: "....", "(((1234)", "http://http://"), matches at
block edges and at the last byte, non-ASCII and non-BMP text and lone surrogates (url_span
counts characters, not bytes), empty blocks and batches, one very long block, patterns the
kernel leaves to the Python form, and the bench pages when ``../shared/corpora`` is there (or
``NEWSWINNOW_CORPORA`` names it). ``local_features`` is compared whole, too.

The kernel's start filter (``start_candidates``: the blocks ``_START_RX`` is tried on) must keep
every block the regex matches: checked on random blocks over the patterns' own pieces (every
kind of Unicode white space, non-ASCII digits and bullets, "Dear", lower-case runs around the
20-letter limit of the address pattern, datelines), and on the bench pages.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import extract, lexicons, prefilter
from features.extract import _START_RX, _byte_starts, _literal_matches, literal_plan, local_features

KERNEL = "features._literal_ext"
# Pieces the random blocks are made of: the patterns' prefixes and parts of them, their
# neighbours (digits, word bytes, white space, quotes that end a URL), non-ASCII and non-BMP
# characters, a lone surrogate, and upper case (the bytes are of the lower-cased page).
PIECES = ["http", "https", "://", "www", ".", "..", "...", "com", "co", "ly", "uk", "info", ":", ";", "=", "-",
          ")", "(", "d", "p", "<", "3", "^", "_", "^_^", "@", "ab", "a", "+", " ", "\t", "\u00a0", "#", "1234",
          "12", "0", "9", "(c)", "a+", "a-", "pic.twitter.com", "youtu.be/", "youtube.com/watch",
          "instagram.com/p/", "\"", ">", "\u00e9", "\u00fc", "\u20ac", "\U0001f600", "\ud800", "\u0130", "e\u0301",
          "HTTP", "WWW.", "A+", "\u2026", "x", "/", "\n"]
# Patterns beyond the real ones: each construct the table builder knows or gives up on.
EXTRA_PATTERNS = [
    rb"ab|ac|a", rb"abc|abd|b", rb"x?y", rb"(?:ab){2,3}c", rb"a{0,2}b", rb"a*b", rb"a+b+", rb"[^a-c]x",
    rb"(?=ab)a", rb"(?!ab)a.", rb"(?<=a)b", rb"\bab\b", rb"\d\s\w\W\S\D", rb"(a)\1", rb"(?i:ab)", rb"(?i)ab",
    rb"a|", rb"(?:)", rb"x*", rb"(?>ab|a)c", rb"a++b", rb"(?s:.)b", rb"[\x80-\xff]+", rb"\.\.", rb"(a|b)?c",
    rb"(?:a|bc){1,3}d", rb"^ab", rb"ab$", rb"(?m)^a",
]


def _batch(texts: list[str]) -> tuple[bytes, np.ndarray, int]:
    """The page bytes and block starts ``local_features`` hands to the literal patterns."""
    low_b = "\n".join(texts).lower().encode("utf-8", "surrogatepass")
    return low_b, _byte_starts(low_b, texts, len(texts)), len(texts)


def _compare(monkeypatch: pytest.MonkeyPatch, texts: list[str], patterns=extract._LITERAL_LIST) -> None:
    needs(KERNEL)
    data, starts, n = _batch(texts)
    got = _literal_matches(data, starts, n, patterns)
    monkeypatch.setattr(extract, "_LITERAL_EXT", None)
    want = _literal_matches(data, starts, n, patterns)
    monkeypatch.undo()
    assert len(got) == len(want) == len(patterns)
    for (_name, rx), (gc, gw), (wc, ww) in zip(patterns, got, want):
        assert gc.dtype == wc.dtype and gc.shape == wc.shape and np.array_equal(gc, wc), rx.pattern
        assert (gw is None) == (ww is None), rx.pattern
        if gw is not None:
            assert gw.dtype == ww.dtype and np.array_equal(gw, ww), rx.pattern


def _random_texts(rng: np.random.Generator, count: int, max_pieces: int) -> list[str]:
    return ["".join(rng.choice(PIECES, size=int(rng.integers(0, max_pieces + 1)))) for _ in range(count)]


def _check_superset(rx: re.Pattern, data: bytes) -> int:
    """Every match of ``rx`` at any place agrees with its position sets; the number of matches."""
    sets = prefilter.position_sets(rx)
    if sets is None:
        return 0
    found = 0
    for i in range(len(data) + 1):
        m = rx.match(data, i)
        if m is None:
            continue
        found += 1
        assert m.end() - i > len(sets) - 1, (rx.pattern, data, i)
        for j, allowed in enumerate(sets):
            assert data[i + j] in allowed, (rx.pattern, data, i, j)
    return found


@pytest.mark.parametrize("seed", range(4))
def test_position_sets_are_a_superset(seed: int) -> None:
    """The proof the kernel rests on, checked at every place of random bytes."""
    rng = np.random.default_rng(seed)
    patterns = [rx for _, rx in extract._LITERAL_LIST] + [re.compile(p) for p in EXTRA_PATTERNS]
    alphabet = sorted({b for p in patterns for b in p.pattern} | set(b"0123456789 \t\n\x80\xc3\xa9\xff"))
    data = bytes(rng.choice(alphabet, size=4000).astype(np.uint8))
    data += "".join(_random_texts(rng, 40, 12)).lower().encode("utf-8", "surrogatepass")
    total = sum(_check_superset(rx, data) for rx in patterns)
    assert total > 1000  # the check saw matches


def test_position_sets_of_the_real_patterns() -> None:
    """What the tables say for a few real patterns (a change of the builder shows here first)."""
    sets = {rx.pattern: prefilter.position_sets(rx) for _, rx in extract._LITERAL_LIST}
    assert sets[rb"https?://[^\s<>\"]{1,300}"][:6] == [{104}, {116}, {116}, {112}, set(b":s"), set(b":/")]
    assert sets[rb"\.(?:com|net|org|co|ly|info|ru|tk|be|io|me|us|uk)\b"] == [
        {46}, set(b"cnolirtbmu"), set(b"oeryunks")]
    assert sets[rb"a\+ ?a-"] == [{97}, {43}, set(b" a"), set(b"a-")]
    # Every real pattern gets tables (else it would stay on the slow path).
    assert all(sets.values())
    # Given up on: case-insensitive, and patterns that can match the empty string.
    assert prefilter.position_sets(re.compile(rb"(?i)ab")) is None
    assert prefilter.position_sets(re.compile(rb"ab", re.IGNORECASE)) is None
    assert prefilter.position_sets(re.compile("ab")) is None
    assert prefilter.position_sets(re.compile(rb"a|")) == []
    assert prefilter.position_sets(re.compile(rb"(a)\1")) == [{97}]


@pytest.mark.parametrize("seed", range(6))
def test_random_blocks(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _compare(monkeypatch, _random_texts(rng, int(rng.integers(1, 80)), 30))


@pytest.mark.parametrize("texts", [
    [""], ["", ""], ["", "http://x", ""], ["<"], ["a"], [":"], ["."], ["x", "<"], ["(c)"],
    ["....", ".....", "......"], ["(((1234)", "((#12345)", "(123)(456)"], ["http://http://a b", "www.www.x"],
    ["a+a+a-", "a+ a-a+a-"], [":-):-)", ":):(:d:p", ";-);)", "=)=(=d"], ["<3<3<<3", "^_^_^"],
    ["12:30:45", ":00:00", "::00", ":123"], ["http://x", "y"], ["http://", "x"], ["...", "..."], [".co", "m"],
    ["see http://ex\u00e4mple.com/\u00fc\U0001f600 now", "www.\u00e9\u00e9\ud800.x\u20ac"],
    ["HTTP://UPPER.COM", "WWW.X", "A+ A-", "(C) 2012"], ["@ab", "@a", "@", "@_x@yz"],
    ["pic.twitter.com/x youtu.be/abc youtube.com/watch?v=1 instagram.com/p/x"],
    ["\u0130http://x", "\u00e9.com", "\ud800..."],
])
def test_adversarial_blocks(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> None:
    _compare(monkeypatch, texts)


def test_short_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of up to three characters over the patterns' bytes (the kernel's last places)."""
    alphabet = [".", "<", "3", ":", "1", "2", "a", "+", "-", "(", ")", "w", "@", "b", "\u00e9"]
    pages = [""] + alphabet + [x + y for x in alphabet for y in alphabet]
    pages += [x + y + z for x in alphabet[:8] for y in alphabet[:8] for z in alphabet[:8]]
    for page in pages:
        _compare(monkeypatch, [page])
    _compare(monkeypatch, pages)


def test_block_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each real pattern's typical match ending a block, starting the next, and cut by the newline."""
    samples = ["http://a.b/c", "www.x.y", "x.com", "pic.twitter.com", "@name", ":-)", ";p", "=d", "<3", "^_^",
               "...", "10:30", "(#12345", "(1234)", "(c) 2", "a+ a-"]
    texts = []
    for s in samples:
        for cut in range(len(s) + 1):
            texts += [s[:cut], s[cut:], s, s + s, "x" + s, s + "x"]
    _compare(monkeypatch, texts)


def test_long_block_and_many_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    _compare(monkeypatch, ["".join(_random_texts(rng, 400, 30))])
    _compare(monkeypatch, [str(rng.choice(PIECES)) for _ in range(3000)])


def test_blocks_with_newlines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks holding a newline of their own (``_byte_starts``'s other path)."""
    rng = np.random.default_rng(11)
    _compare(monkeypatch, [t + "\n" + t for t in _random_texts(rng, 30, 20)])


@pytest.mark.parametrize("seed", range(3))
def test_other_patterns(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Patterns with constructs the real ones lack, some left to the Python form (no tables)."""
    rng = np.random.default_rng(seed)
    patterns = [("url_span" if i % 5 == 0 else "x", re.compile(p)) for i, p in enumerate(EXTRA_PATTERNS)]
    plan = literal_plan(patterns)
    assert -1 in plan.rows and sum(r >= 0 for r in plan.rows) > 15
    pieces = ["a", "b", "c", "ab", "bc", "x", "y", "d", " ", "1", "\u00e9", "\n"]
    texts = ["".join(rng.choice(pieces, size=int(rng.integers(0, 40)))) for _ in range(60)]
    _compare(monkeypatch, texts, patterns)


def test_more_patterns_than_table_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past 64 patterns with tables the rest stay on the Python form; the counts do not change."""
    patterns = [("x", re.compile(bytes((97 + i % 26, 97 + i // 26)))) for i in range(70)]
    plan = literal_plan(patterns)
    assert plan.rows[63] == 63 and plan.rows[64:] == (-1,) * 6
    rng = np.random.default_rng(3)
    letters = [chr(c) for c in range(97, 123)]
    _compare(monkeypatch, ["".join(rng.choice(letters, size=200)) for _ in range(20)], patterns)


def test_local_features_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(5)
    # (Blocks hold no newline of their own here: local_features' tokens assume so.)
    texts = [t.replace("\n", " ") for t in _random_texts(rng, 120, 25)]
    texts += ["", "Dear SF, http://x.com :-)", "LONDON (Reuters) - ok..."]
    got, _ = local_features(texts)
    monkeypatch.setattr(extract, "_LITERAL_EXT", None)
    want, _ = local_features(texts)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_kernel_argument_checks() -> None:
    mod = needs(KERNEL)
    plan = literal_plan(extract._LITERAL_LIST)
    z = np.zeros((len(plan.matchers), 1), dtype=np.int64)
    with pytest.raises(ValueError):
        mod.literal_counts(b"ab", np.array([1], dtype=np.int64), plan.tables, plan.matchers, plan.want_chars, z, z)
    with pytest.raises(ValueError):
        mod.literal_counts(b"ab", np.array([0], dtype=np.int64), plan.tables[:1].copy(), plan.matchers,
                           plan.want_chars, z, z)


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pages, batched as the bench batches them (every block of ~60 pages at a time)."""
    pages = bench_pages()
    for k in range(0, len(pages), 60):
        texts = [b for p in pages[k:k + 60] for b in p.text.split("\n")]
        _compare(monkeypatch, texts)


SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != "\n"]
# Pieces of blocks for the start filter: white space of every kind, ASCII and other digits,
# bullets, "@", "Dear", capitals, lower-case runs of 1, 19, 20 and 21 letters (the address
# pattern's limit is 20), commas, the address words, dateline punctuation, non-ASCII letters.
START_PIECES = SPACES + [
    "1", "12", "123", "\u0661", "\uff11", "\U0001d7ce", ".", ")", "-", "*", "\u2022", "\u00b7", "@", "@x", "Dear ",
    "dear ", "Dear", "D", "d", "ear ", "A", "B", "Z", "a", "z", "b" * 19, "b" * 20, "b" * 21, ",", ", ", "you", "no",
    "thanks", "'", ":", "\u2013", "\u2014", "(", ")", "(Reuters)", "LONDON", "\u00c9", "\u00e9", "\U0001f600",
    "\ud800", "e\u0301", "_", "x",
]


def _start_texts(rng: np.random.Generator, count: int) -> list[str]:
    out = ["".join(rng.choice(START_PIECES, size=int(rng.integers(0, 8)))) for _ in range(count)]
    # Blocks each pattern matches (and near misses), built from their parts.
    for _ in range(count // 4):
        lead = "".join(rng.choice(SPACES, size=int(rng.integers(0, 3))))
        out += [lead + str(rng.choice(["1. ", "12) ", "- ", "* ", "\u2022 ", "\u00b7\t", "123. ", "1.x"])),
                "A" + "b" * int(rng.integers(0, 23)) + str(rng.choice([", you", ", no", ",you", ", x"])),
                str(rng.choice(["LONDON", "AB", "A.", "A'B", "A-B", "Ab"]))
                + str(rng.choice([" - x", ": x", " (Reuters) - x"])),
                str(rng.choice(["Dear Bob", "dear Bob", "Dear bob", "Dea", "@a", "@ "]))]
    return out


def _check_start_filter(texts: list[str]) -> int:
    """Every block ``_START_RX`` matches is among the kernel's candidates; the number matched."""
    mod = needs(KERNEL)
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    cp = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cand = mod.start_candidates(cp, starts, lengths)
    assert cand.dtype == np.int64 and np.all(np.diff(cand) > 0)
    matched = [i for i, t in enumerate(texts) if _START_RX.match(t)]
    missing = sorted(set(matched) - set(cand.tolist()))
    assert not missing, [texts[i] for i in missing[:5]]
    return len(matched)


def test_start_filter_is_in_use() -> None:
    """The filter is written for these START_PATTERNS; if they change, update it (and this)."""
    assert extract._START_FILTER_OK and lexicons.START_PATTERNS == extract._START_FILTER_FOR


@pytest.mark.parametrize("seed", range(4))
def test_start_filter_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert _check_start_filter(_start_texts(rng, 2000)) > 300


def test_start_filter_edges() -> None:
    """The address pattern's 20-letter limit, blocks of one or two characters, white space only."""
    texts = ["A" + "b" * k + ", you" for k in range(0, 24)] + ["", " ", "\t\u00a0", "1", "A", "Ab", "-", "\u2022",
                                                                  " \u2003-\t", "\u00a0 1.\u00a0", "@", "D"]
    _check_start_filter(texts)
    mod = needs(KERNEL)
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    cp = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cand = set(mod.start_candidates(cp, starts, lengths).tolist())
    assert {k for k in range(24) if k in cand} == set(range(1, 21))  # the filter is tight there
    assert 24 not in cand and 25 not in cand  # "" and " "
    with pytest.raises(ValueError):
        mod.start_candidates(cp, starts + 1000, lengths)


@pytest.mark.parametrize("seed", range(2))
def test_local_features_start_patterns(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    needs(KERNEL)
    texts = _start_texts(np.random.default_rng(seed), 400)
    got, _ = local_features(texts)
    monkeypatch.setattr(extract, "_LITERAL_EXT", None)
    want, _ = local_features(texts)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_start_filter_bench_pages() -> None:
    assert _check_start_filter([b for p in bench_pages() for b in p.text.split("\n")]) > 1000
