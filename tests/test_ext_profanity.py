"""The compiled profanity screen (features/_profanity_ext.pyx) gives the numpy form's output.

``_screen_positions`` is called with the kernel and without it (``profanity._SCREEN = None``) on
the same batches: random text over the characters the screen cares about, the awkward cases
(empty batch and texts, newlines inside texts, signals at the very start and end, long texts,
non-ASCII, non-BMP, lone surrogates, combining marks, odd whitespace), obfuscated forms of every
stem, real blocks of the bench corpora, and random screen tables (which reach the paths the real
tables never take: a signal before the first byte, one on a newline).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages

from features import ext, profanity

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "features._profanity_ext"
BATCH = 64  # texts per call, as in the pipeline
# Characters the screen codes (letters, leet digits and symbols, masks, separators) and others.
SCREEN_CHARS = "abcdefghijklmnopqrstuvwxyzFUCKSHIT0134567!|@$+*#-_. "
OTHER_CHARS = ("\n\t\r\x00\x0b\x0c\x1c\x85'’“”«»,;:?()2389%&é\u0130ßÅ\u0301\u00a0\u2028\u2029\u3000"
               "\u200bд字😀\U0001d400\ud800\udfff")


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def both(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    """(kernel, numpy) results of ``_screen_positions(texts)``."""
    needs(KERNEL)
    got = profanity._screen_positions(texts)
    with monkeypatch.context() as m:
        m.setattr(profanity, "_SCREEN", None)
        want = profanity._screen_positions(texts)
    return got, want


def assert_same(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, np.ndarray]:
    got, want = both(texts, monkeypatch)
    assert len(got) == len(want) == 2
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    return want


def _random_text(rnd: random.Random, n: int) -> str:
    pool = SCREEN_CHARS * 3 + OTHER_CHARS
    return "".join(rnd.choice(pool) for _ in range(n))


def test_kernel_is_registered() -> None:
    assert KERNEL in ext.MODULES


def test_trigram_filter_keeps_every_key() -> None:
    """The kernel's trigram filter is true wherever a 4-gram has a group (it may drop no window)."""
    trigrams = profanity._key_trigrams(profanity._KEY_GROUPS)
    assert trigrams.dtype == np.uint8 and trigrams.shape == (1 << 15,)
    keys = np.flatnonzero(profanity._KEY_GROUPS)
    assert len(keys) and trigrams[keys >> 5].all()
    assert trigrams.sum() == len(np.unique(keys >> 5))


def test_random_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(7)
    flagged = 0
    for _ in range(300):
        texts = [_random_text(rnd, rnd.choice((0, 1, 2, 5, 12, 40, 200))) for _ in range(rnd.randrange(1, 80))]
        lines, _ = assert_same(texts, monkeypatch)
        flagged += len(lines)
    assert flagged > 1000  # the signals do fire (the comparison is not all empty arrays)


def test_sparse_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mostly clean text with a few words: lines without signals between lines with them."""
    rnd = random.Random(3)
    words = ["the", "news", "said", "shit", "f**k", "s h i t", "fuuuck", "f---", "ass", "assess", "été", "😀"]
    for _ in range(200):
        texts = [" ".join(rnd.choice(words[:3] * 20 + words) for _ in range(rnd.randrange(0, 30)))
                 for _ in range(rnd.randrange(1, 70))]
        assert_same(texts, monkeypatch)


@pytest.mark.parametrize("texts", [
    [""], ["", ""], [""] * 64, ["a"], ["shit"], ["shit", ""], ["", "shit"], ["\n"], ["\n\n", "fuck\nshit"],
    ["x\nf**k", "\n"], ["s h i t"], ["s h i"], [" s h"], ["fuuu"], ["uuu"], ["f--"], ["f---"], ["-f--"],
    ["**"], ["a*"], ["*a"], ["ass"], ["ass", "ass"], ["pass"], ["Pakistan"], ["paki"], ["assess ass"],
    ["ssssss", "$$$$"], ["\ud800shit\udfff"], ["😀shit"], ["s\u0301hit"], ["shit\u00a0"], ["\u2028shit"],
    ["sh\x00it", "sh\x00\x00it"], ["bullshit" * 5000], ["clean " * 20_000 + "shit"], ["x" * 100_000],
    ["é" * 10_000 + " f**k"], ["shit " * 200], ["s.h.i.t", "f_u_c_k", "f-u-c-k", "f.u-c_k"],
], ids=lambda t: repr(t)[:30])
def test_edge_cases(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(texts, monkeypatch)


def test_empty_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same([], monkeypatch)


def test_obfuscated_stems(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stem, its endings and obfuscated forms, alone and inside text, in batches."""
    rnd = random.Random(0)
    leet = profanity.LEET
    texts = []
    for stem in profanity._STEMS:
        w = stem.text
        forms = [w, w.upper(), w.title(), " ".join(w), ".".join(w), "-".join(w), w[0] + "*" * (len(w) - 1),
                 w[0] + "#" + w[2:], w[0] + "---", "".join(c * 4 if i == 1 else c for i, c in enumerate(w)),
                 "".join(rnd.choice(leet.get(c, c)) for c in w), "x" + w, w + "x"]
        forms += [w + e for e in stem.endings]
        for form in forms:
            texts += [form, f"x {form} y", f"“{form}”", f"{form}\n{form}", f"é{form}😀"]
    for i in range(0, len(texts), BATCH):
        assert_same(texts[i:i + BATCH], monkeypatch)


def test_screen_and_scores_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_screen`` and the scores built on the screen, with the kernel and without."""
    needs(KERNEL)
    rnd = random.Random(5)
    texts = [_random_text(rnd, rnd.randrange(0, 60)) for _ in range(500)] + ["oh shit", "F**K it", "nice"]
    got = (profanity._screen(texts), profanity.profanity_scores(texts), profanity.profanity_counts(texts))
    monkeypatch.setattr(profanity, "_SCREEN", None)
    want = (profanity._screen(texts), profanity.profanity_scores(texts), profanity.profanity_counts(texts))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1][0], want[1][0])
    assert got[1][1] == want[1][1]
    np.testing.assert_array_equal(got[2], want[2])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("group_dtype", [np.uint16, np.uint32])
def test_random_tables(seed: int, group_dtype: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random codes, bits and key tables (the newline bit only on ``\\n``, as the line count
    needs): key windows starting at the boundary before the first byte or on a newline, and
    both group table widths."""
    needs(KERNEL)
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 32, 256).astype(np.uint8)
    code[rng.integers(0, 256, 120)] = 0  # many boundaries, as in the real table
    bits = (rng.integers(0, 256, 256) & 0x7F).astype(np.uint8)
    bits[ord("\n")] |= 0x80
    n_groups = int(rng.integers(2, 300))
    groups = np.zeros(1 << 20, group_dtype)
    set_at = rng.integers(0, 1 << 20, 60_000)
    set_at[:2000] = rng.integers(0, 1 << 10, 2000)  # 4-grams starting with the boundary code 0 ...
    set_at[2000:4000] &= (1 << 15) - 1  # ... and with a boundary code 0 first
    groups[set_at] = rng.integers(1, n_groups, len(set_at))
    pairs = np.zeros(1 << 10, bool)
    pairs[np.flatnonzero(groups) >> 10] = True
    pairs[rng.integers(0, 1 << 10, 50)] = True  # pairs with no group: the 4-gram look-up says no
    rest = rng.integers(0, 4, (n_groups, 32, 32)).astype(np.uint8)
    monkeypatch.setattr(profanity, "_CODE_BYTES", bytes(code.tolist()))
    monkeypatch.setattr(profanity, "_BIT_BYTES", bytes(bits.tolist()))
    monkeypatch.setattr(profanity, "_KEY_PAIRS", pairs)
    monkeypatch.setattr(profanity, "_KEY_GROUPS", groups)
    monkeypatch.setattr(profanity, "_KEY_REST", rest)
    monkeypatch.setattr(profanity, "_SCREEN_TABLES", (code, bits, profanity._key_trigrams(groups),
                                                      pairs.view(np.uint8), groups, rest)
                        + profanity._SCREEN_TABLES[6:])
    rnd = random.Random(seed)
    flagged = total = 0
    for _ in range(60):
        texts = [_random_text(rnd, rnd.choice((0, 1, 3, 9, 30))) for _ in range(rnd.randrange(1, 40))]
        lines, offsets = assert_same(texts, monkeypatch)
        flagged += len(lines)
        total += len(texts)
    assert 0 < flagged < total  # some lines flagged, not all


def test_kernel_checks_its_arguments() -> None:
    mod = needs(KERNEL)
    tables = profanity._SCREEN_TABLES
    with pytest.raises(ValueError):
        mod.screen_positions(b"shit\nshit", 1, *tables)  # two lines, room for one
    np.testing.assert_array_equal(mod.screen_positions(b"shit\nshit", 2, *tables)[0], [0, 1])
    with pytest.raises(ValueError):
        mod.screen_positions(b"shit", 1, tables[0][:255], *tables[1:])
    bad_code = tables[0].copy()
    bad_code[ord("x")] = 32
    with pytest.raises(ValueError):
        mod.screen_positions(b"x", 1, bad_code, *tables[1:])
    small_rest = tables[5][:2].copy()  # group ids beyond the table
    with pytest.raises(ValueError):
        mod.screen_positions(b"the shit", 1, *tables[:5], small_rest, *tables[6:])


def test_real_corpus_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks (lines) and whole pages of the bench corpora, in batches of BATCH."""
    pages = bench_pages()
    blocks = [line for p in pages for line in p.text.split("\n")]
    flagged = 0
    for i in range(0, len(blocks), BATCH):
        lines, _ = assert_same(blocks[i:i + BATCH], monkeypatch)
        flagged += len(lines)
    assert flagged > 0
    texts = [p.text for p in pages]  # pages with their own newlines: joined with spaces
    for i in range(0, len(texts), BATCH):
        assert_same(texts[i:i + BATCH], monkeypatch)
