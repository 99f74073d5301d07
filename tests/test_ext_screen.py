"""The fused profanity screen (``_profanity_ext.Screen.chars``, used by ``profanity._screen_chars``)
gives what the two calls it replaces give, ``screen_positions(line_bytes(texts), ...)``, and so
the numpy form's lines and character offsets.

Inputs: random text over the characters the screen codes and every string kind (ASCII, Latin-1,
BMP, non-BMP, lone surrogates; mixed kinds in one batch), newlines inside texts, signals at the
very start and end of texts and batches, empty texts and batches, every code point once (each
read as one character class: itself below 128, else 128), the hits the line screen misses on
purpose (``$__t``, ``a$$s`` alone), real bench text, and random tables (the paths the real
tables never take, and tables the fused path hands back to the two calls).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import profanity

KERNEL = "features._profanity_ext"
BATCH = 64
SCREEN_CHARS = "abcdefghijklmnopqrstuvwxyzFUCKSHIT0134567!|@$+*#-_. "
# One or more of each kind: Latin-1, BMP, non-BMP, lone surrogates, combining marks, odd spaces.
OTHER_CHARS = ("\n\t\r\x00\x7f\x80\x85\xa0\xe9\xff'’“,;:?()2389%&\u0100\u0130\u0301\u2028\u3000\u200b"
               "дİ字\ufeff\uffff😀\U0001d400\U0010ffff\ud800\udbff\udc00\udfff")


def screen() -> object:
    needs(KERNEL)
    assert profanity._SCREEN_CHARS is not None
    return profanity._SCREEN_CHARS


def assert_same(texts: list[str], monkeypatch: pytest.MonkeyPatch, tables: tuple | None = None,
                numpy_form: bool = True) -> np.ndarray:
    """``Screen.chars`` equals the two kernel calls and (real tables) the numpy form: same
    values, dtypes and shapes. Returns the flagged lines."""
    mod = needs(KERNEL)
    tables = profanity._SCREEN_TABLES if tables is None else tables
    got = (screen() if tables is profanity._SCREEN_TABLES else mod.Screen(*tables)).chars(texts)
    wants = [mod.screen_positions(mod.line_bytes(texts), len(texts), *tables)]
    if numpy_form:
        with monkeypatch.context() as m:
            m.setattr(profanity, "_SCREEN", None)
            wants.append(profanity._screen_chars(texts))
    for want in wants:
        assert len(got) == len(want) == 2
        for a, b in zip(got, want):
            assert a.dtype == b.dtype == np.int64 and a.shape == b.shape
            np.testing.assert_array_equal(a, b, err_msg=repr(texts)[:300])
    return got[0]


def _random_text(rnd: random.Random, n: int, pool: str) -> str:
    return "".join(rnd.choice(pool) for _ in range(n))


def test_screen_is_built_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    scr = screen()
    calls = []
    real = scr.chars
    spy = type("Spy", (), {"chars": lambda self, t: calls.append(t) or real(t)})()
    monkeypatch.setattr(profanity, "_SCREEN_CHARS", spy)
    lines, starts = profanity._screen_chars(["clean", "oh shit"])
    assert calls == [["clean", "oh shit"]] and lines.tolist() == [1] and starts.tolist() == [3]


@pytest.mark.parametrize("pool", ["ascii", "latin1", "bmp", "astral", "surrogates", "mixed"])
def test_random_batches_every_kind(pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each text of one string kind (or mixed), short and long, with signals between."""
    rnd = random.Random(pool)
    extra = {"ascii": "\n\t\x00\x7f,;:?()", "latin1": "\x80\x85\xa0\xe9\xff", "bmp": "\u0100\u0130\u2028дİ字\uffff",
             "astral": "😀\U0001d400\U00010000\U0010ffff", "surrogates": "\ud800\udbff\udc00\udfff",
             "mixed": OTHER_CHARS}[pool]
    chars = SCREEN_CHARS * 3 + extra * 2
    flagged = 0
    for _ in range(150):
        texts = [_random_text(rnd, rnd.choice((0, 1, 2, 3, 5, 6, 7, 12, 40, 200)), chars)
                 for _ in range(rnd.randrange(1, 80))]
        flagged += len(assert_same(texts, monkeypatch))
    assert flagged > 500  # the signals do fire (not a comparison of empty arrays)


def test_sparse_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mostly clean lines (long runs the scan skips) with a few signals, at line starts and ends."""
    rnd = random.Random(3)
    words = ["the", "news", "said", "été", "字", "😀", "\ud800"]
    bad = ["shit", "f**k", "s h i t", "f.u.c.k", "fuuuck", "f---", "ass", "a$$hole", "p1ss", "*a", "a*"]
    flagged = 0
    for _ in range(300):
        texts = []
        for _ in range(rnd.randrange(1, 70)):
            line = [rnd.choice(words) for _ in range(rnd.randrange(0, 30))]
            if rnd.random() < 0.2:
                line.insert(rnd.choice((0, len(line))), rnd.choice(bad))
            texts.append(rnd.choice(["", " "]).join(line))
        flagged += len(assert_same(texts, monkeypatch))
    assert flagged > 300


@pytest.mark.parametrize("texts", [
    [""], ["", ""], [""] * 64, ["a"], ["shit"], ["shit", ""], ["", "shit"], ["", "", "f**k", "", ""], ["\n"],
    ["\n\n", "fuck\nshit"], ["x\nf**k", "\n"], ["s h i t"], ["s h i"], [" s h"], ["s h i", "t"], ["s h", "i t"],
    ["fuuu"], ["uuu"], ["f--"], ["f---"], ["f-", "--"], ["**"], ["a*"], ["*a"], ["a", "*"], ["ass"], ["ass", "ass"],
    ["as", "s"], ["pass"], ["Pakistan"], ["paki"], ["assess ass"], ["ssssss", "$$$$"], ["fu", "uuck"],
    ["\ud800shit\udfff"], ["😀shit"], ["s\u0301hit"], ["shit\u00a0"], ["\u2028shit"], ["sh\x00it", "sh\x00\x00it"],
    ["bullshit" * 5000], ["clean " * 20_000 + "shit"], ["x" * 100_000], ["é" * 10_000 + " f**k"], ["shit " * 200],
    ["s.h.i.t", "f_u_c_k", "f-u-c-k", "f.u-c_k"], ["ÿfuuuckÿ", "Āf**kĀ", "\U0010ffffshit"],
    ["fuc\u212a", "\u0130diot", "sh\u0130t"], ["ass\u00e9", "ass\u0301", "assд", "ass😀", "ass\ud800"],
    ["é\nshit", "x"], ["a\n", "\nf---"], ["s\nh i t"], ["shit"] * 200, ["a", "s", "s"], ["é" * 3, "a", "s"],
], ids=lambda t: repr(t)[:30])
def test_edge_cases(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(texts, monkeypatch)


def test_once_missed_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``$__t`` (a dash run after a leet symbol) and ``a$$s`` / ``but+tplug`` (more plain copies
    after an obfuscated double letter) alone on a line: screened by every form (the screen once
    let them pass)."""
    lines = assert_same(["$__t", "a$$s", "shit $__t", "shit a$$s", "x", "but+tplugs", "5--t", "x--y"], monkeypatch)
    assert lines.tolist() == [0, 1, 2, 3, 5, 6, 7]  # (x--y: a letter before dashes, as always)


def test_empty_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    got = screen().chars([])
    assert [(a.dtype, a.shape) for a in got] == [(np.int64, (0,))] * 2
    mod = needs(KERNEL)
    want = mod.screen_positions(mod.line_bytes([]), 0, *profanity._SCREEN_TABLES)
    assert [(a.dtype, a.shape) for a in want] == [(np.int64, (0,))] * 2


def test_every_code_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each code point 0..0x10FFFF in contexts where its class decides the signal (a key window's
    word boundary, a mask's neighbour, a spaced letter, a run, the text's start and end)."""
    mod = needs(KERNEL)
    points = [chr(c) for c in range(0x110000)]
    contexts = ("ass{}", "{}f**", "s{}h i t", "{}{}{}", "{}", "f{}--", "{}ass", "x s{}t")
    for ctx in contexts:
        texts = [ctx.format(c, c, c) for c in points]
        for i in range(0, len(texts), 1 << 16):
            batch = texts[i:i + (1 << 16)]
            got = screen().chars(batch)
            want = mod.screen_positions(mod.line_bytes(batch), len(batch), *profanity._SCREEN_TABLES)
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b, err_msg=ctx)
    # The numpy form (UTF-8) on every code point below U+0800 and around each kind's edges.
    sample = [c for c in points if ord(c) < 0x800 or (ord(c) & 0xFFFF) in (0, 1, 0xFFFE, 0xFFFF)
              or 0xD7F0 <= ord(c) < 0xE010]
    for ctx in contexts:
        assert_same([ctx.format(c, c, c) for c in sample], monkeypatch)


def test_real_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bench blocks (lines) in batches of BATCH, and whole pages (their own newlines)."""
    pages = bench_pages()
    blocks = [line for p in pages for line in p.text.split("\n")]
    flagged = 0
    for i in range(0, len(blocks), BATCH * 8):
        flagged += len(assert_same(blocks[i:i + BATCH * 8], monkeypatch))
    assert flagged > 100
    texts = [p.text for p in pages]
    for i in range(0, len(texts), BATCH):
        assert_same(texts[i:i + BATCH], monkeypatch)


def _random_tables(seed: int, group_dtype: type, newline: str) -> tuple:
    """Random codes, bits and key tables (as tests/test_ext_profanity.py's), the newline bit on
    ``\\n`` only (the fused path), also elsewhere or nowhere (both hand back to the two calls)."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 32, 256).astype(np.uint8)
    code[rng.integers(0, 256, 120)] = 0
    bits = (rng.integers(0, 256, 256) & 0x7F).astype(np.uint8)
    if newline != "none":
        bits[ord("\n")] |= 0x80
    if newline == "more":
        bits[rng.integers(0, 129, 3)] |= 0x80
    n_groups = int(rng.integers(2, 300))
    groups = np.zeros(1 << 20, group_dtype)
    set_at = rng.integers(0, 1 << 20, 60_000)
    set_at[:2000] = rng.integers(0, 1 << 10, 2000)  # 4-grams starting with the boundary code 0
    set_at[2000:4000] &= (1 << 15) - 1
    groups[set_at] = rng.integers(1, n_groups, len(set_at))
    pairs = np.zeros(1 << 10, bool)
    pairs[np.flatnonzero(groups) >> 10] = True
    pairs[rng.integers(0, 1 << 10, 50)] = True
    rest = rng.integers(0, 4, (n_groups, 32, 32)).astype(np.uint8)
    dash = int(rng.choice([profanity._SEP_CODES["-"], int(rng.integers(0, 32))]))
    return (code, bits, profanity._key_trigrams(groups), pairs.view(np.uint8), groups, rest,
            profanity._BITS, profanity._FLAG_ANY, profanity._FLAG_WORD_START, dash)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("group_dtype", [np.uint16, np.uint32])
@pytest.mark.parametrize("newline", ["only", "more", "none"])
def test_random_tables(seed: int, group_dtype: type, newline: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = _random_tables(seed, group_dtype, newline)
    rnd = random.Random(seed)
    pool = SCREEN_CHARS * 2 + OTHER_CHARS + "".join(map(chr, range(128)))
    flagged = total = 0
    for _ in range(60):
        texts = [_random_text(rnd, rnd.choice((0, 1, 3, 6, 9, 30)), pool) for _ in range(rnd.randrange(1, 40))]
        if newline == "only":
            flagged += len(assert_same(texts, monkeypatch, tables, numpy_form=False))
        else:  # lines other than the texts: screen_positions may refuse (more lines than texts)
            try:
                mod = needs(KERNEL)
                want = mod.screen_positions(mod.line_bytes(texts), len(texts), *tables)
            except ValueError:
                with pytest.raises(ValueError):
                    mod.Screen(*tables).chars(texts)
                continue
            got = mod.Screen(*tables).chars(texts)
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)
            flagged += len(got[0])
        total += len(texts)
    assert 0 < flagged < total


def test_checks_its_arguments() -> None:
    mod = needs(KERNEL)
    tables = profanity._SCREEN_TABLES
    with pytest.raises(TypeError):
        screen().chars(["a", b"b"])
    with pytest.raises(TypeError):
        screen().chars(("a",))

    class Text(str):
        pass

    # The mask after a letter (3) and the first separator (1).
    np.testing.assert_array_equal(screen().chars([Text("é\nf**k"), np.str_("s h i t")])[1], [3, 1])
    with pytest.raises(ValueError):
        mod.Screen(tables[0][:255], *tables[1:])
    bad_code = tables[0].copy()
    bad_code[ord("x")] = 32
    with pytest.raises(ValueError):
        mod.Screen(bad_code, *tables[1:])
    with pytest.raises(ValueError):  # group ids beyond the table
        mod.Screen(*tables[:5], tables[5][:2].copy(), *tables[6:])
    with pytest.raises(ValueError):
        mod.Screen(*tables[:4], tables[4].astype(np.int32), *tables[5:])
