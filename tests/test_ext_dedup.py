"""The compiled grouping of blocks (features/_dedup_ext.pyx) gives the numpy forms' output.

``duplicate_flags`` and ``shape_repeats`` are called with the kernel and with their Python /
numpy forms (``_duplicate_flags_numpy``, ``_shape_repeats_numpy``) on the same inputs: random
blocks over small awkward alphabets (so that many are equal, or equal but for white space:
every kind of Unicode white space, non-BMP characters, lone surrogates, characters whose
lower case is longer, newlines inside blocks), edge cases (no blocks, empty and blank blocks,
very long blocks, inputs the kernel leaves to the numpy form), with every hash bit masked off
(all keys collide: only the exact comparison tells them apart), and the bench pages when
``../shared/corpora`` is there (or ``NEWSWINNOW_CORPORA`` names it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages, with_and_without

from features import ext, extract
from features.extract import (
    _duplicate_flags_numpy,
    _shape_repeats_numpy,
    duplicate_flags,
    local_features,
    shape_repeats,
)

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "features._dedup_ext"
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
# Words that lower-case alike ("Ab"/"aB"), one that grows when lower-cased (U+0130), final
# sigma, non-BMP letters, a lone surrogate, a combining mark, digits, and the shape's letters.
WORDS = ["ab", "Ab", "aB", "AB", "x", "7", "12", "\u0130", "\u03a3", "\u03c3\u03a3", "\U0001d400", "\U0001f600",
         "\ud800", "e\u0301", "w", "A", "a", "0", "\u00e9", "-", ":", "(", ")", "\x00"]


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _random_blocks(rng: np.random.Generator, count: int, max_words: int, newline: bool = False) -> list[str]:
    """Blocks of a few words from WORDS joined by runs of white space (and sometimes led or
    trailed by it); with ``newline`` some blocks hold a newline of their own."""
    spaces = [s for s in SPACES if s != "\n" or newline]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(int(rng.integers(0, max_words + 1))):
            if rng.random() < 0.5:
                parts.append("".join(rng.choice(spaces, size=int(rng.integers(1, 3)))))
            parts.append(str(rng.choice(WORDS)))
        if rng.random() < 0.3:
            parts.append(str(rng.choice(spaces)))
        out.append("".join(parts))
    return out


def _check_dup(texts: list[str], page: np.ndarray | None = None, odd_space: np.ndarray | None = None,
               low_doc: str | None = None) -> np.ndarray:
    got = duplicate_flags(texts, page, odd_space, low_doc)
    want = _duplicate_flags_numpy(texts, page, odd_space, low_doc)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    return got


def _check_shape(texts: list[str], page: np.ndarray | None = None, lengths: np.ndarray | None = None) -> np.ndarray:
    if lengths is None:
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    got = shape_repeats(texts, lengths, page)
    want = _shape_repeats_numpy(texts, lengths, page)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    return got


def _odd_space(texts: list[str]) -> np.ndarray:
    """The flag local_features passes: a run of white space or a space other than " "."""
    return np.array([any(c.isspace() and c != " " for c in t) or "  " in t for t in texts], dtype=bool)


@contextmanager
def _hash_bits(mod, mask: int) -> Iterator[None]:
    mod._set_hash_mask(mask)
    try:
        yield
    finally:
        mod._set_hash_mask(2 ** 64 - 1)


def test_white_space_is_python_s() -> None:
    """The kernel's white space is exactly str.isspace (= what strip() and split() use)."""
    mod = needs(KERNEL)
    assert mod.spaces() == [ord(s) for s in SPACES]
    for s in SPACES:  # ... in 1-, 2- and 4-byte strings alike
        for wide in ("", "\u0100", "\U00010000"):
            assert (s + wide + "a" + s + s + "b" + s).split() == [wide + "a", "b"]


def test_shape_table_is_extract_s() -> None:
    mod = needs(KERNEL)
    want = {c: ord(to) for c, to in extract._SHAPE_TABLE.items() if ord(to) != c}
    assert mod.shape_table() == want and all(c < 128 for c in want)


@pytest.mark.parametrize("seed", range(12))
def test_duplicate_flags_random(seed: int) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    texts = _random_blocks(rng, n, 4, newline=seed % 4 == 3)
    page = np.sort(rng.integers(0, 4, size=n))
    low = "\n".join(texts).lower()
    odd = _odd_space(texts)
    for args in ((None, None, None), (page, None, None), (page, odd, low), (None, odd, None),
                 (page, np.zeros(n, dtype=bool), low), (page, rng.random(n) < 0.5, low),
                 (rng.integers(0, 3, size=n), odd, None)):
        flags = _check_dup(texts, *args)
    assert flags.sum() > 0  # the alphabet is small: duplicates are found


@pytest.mark.parametrize("seed", range(8))
def test_shape_repeats_random(seed: int) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 400))
    texts = _random_blocks(rng, n, 6, newline=seed % 4 == 3)
    texts += ["".join(rng.choice(list("Aa 0bZ9\n.\u00e9\U0001d400"), size=int(rng.integers(0, 12))))
              for _ in range(100)]
    page = np.sort(rng.integers(0, 3, size=len(texts)))
    _check_shape(texts)
    out = _check_shape(texts, page)
    assert (out > 0).any()


@pytest.mark.parametrize("texts", [
    [], [""], ["", ""], [" ", "\t", "\u3000 \u2028"], ["a"], ["a", "a"], ["a", "A", " a ", "a\u00a0", "b"],
    ["a  b", "a b", " a\tb ", "a\x1cb", "a\x85b", "ab"],
    ["line\nwith its own newline", "line with its own newline", "x"], ["\n"], ["\n", ""], ["a\n", "a"],
    ["\u0130", "i\u0307", "I\u0307"], ["\ud800", "\ud800 ", "\udfff"], ["\U0001d400 x", "\U0001d400  x"],
    ["z" * 100_000, "z" * 100_000, "z" * 99_999 + "y", " " + "z" * 100_000],
    ["Mike 07.18.12 at 20:22", "Anna 01.02.13 at 09:15", "by vlm (69642)", "by x (1)", "AAAbbb", "Aa Aa"],
    ["x" * 100, "y" * 100, "x" * 101, "y" * 101], ["a" * 100 + "\n", "b" * 100 + "\n"],
], ids=lambda t: f"{len(t)}_blocks")
def test_edge_cases(texts: list[str]) -> None:
    needs(KERNEL)
    n = len(texts)
    _check_dup(texts)
    _check_dup(texts, np.zeros(n, dtype=np.int64), _odd_space(texts), "\n".join(texts).lower())
    _check_dup(texts, np.arange(n), np.ones(n, dtype=bool))
    _check_shape(texts)
    _check_shape(texts, np.arange(n) % 2)


def test_inputs_the_kernel_leaves_to_the_numpy_form() -> None:
    """Odd dtypes and shapes, sequences that are not lists, a low_doc that is not the blocks'."""
    needs(KERNEL)
    texts = ["a b", "A  b", "c", "a b", "", " "]
    n = len(texts)
    low = "\n".join(texts).lower()
    for page in (np.array([0, 0, 1, 0, 1, 1], dtype=np.uint64), np.array([True, True, False, True, False, False]),
                 np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0]), np.array([0, 0, 0, 0, 0, 0], dtype=np.int8)):
        _check_dup(texts, page)
        _check_shape(texts, page)
    for odd in (np.array([0.0, np.nan, 0.0, 0.0, 2.0, 0.0]), np.array([0, 1, 0, 0, 0, 0], dtype=np.int32),
                [False, True, False, False, False, False]):
        _check_dup(texts, None, odd, low)
    _check_dup(texts, None, None, "x\ny\nx\nx\ny\nx")  # a low_doc of its own: taken as it is
    _check_dup(texts, None, None, "x\ny")  # ... or not, when its pieces are not the blocks
    _check_dup(texts, None, None, "a\n" * (n - 1) + "b\n")
    for seq in (tuple(texts), texts):
        got = duplicate_flags(seq)
        np.testing.assert_array_equal(got, _duplicate_flags_numpy(list(seq)))
        got = shape_repeats(seq, np.fromiter(map(len, seq), dtype=np.int64), None)
        np.testing.assert_array_equal(got, _shape_repeats_numpy(list(seq), np.fromiter(map(len, seq), dtype=np.int64),
                                                                None))

    class Text(str):
        pass

    _check_shape([Text("ab 1"), "cd 2"])
    _check_shape(texts, None, np.array([3, 200, 3, 3, 200, 0]))  # lengths that are not the texts'


def test_kernel_entry_points_refuse_what_they_cannot_do() -> None:
    mod = needs(KERNEL)
    z = np.zeros(3, dtype=np.int64)
    c = np.zeros(3, dtype=np.uint8)
    assert mod.normalised_first_rows("a\nb", 3, c, z) is None  # 2 pieces, not 3
    assert mod.normalised_first_rows("a\nb\nc\n", 3, c, z) is None  # 4 pieces
    assert mod.normalised_first_rows("a\nb\nc", 3, c[:2], z) is None
    assert mod.normalised_first_rows("abc", 3, c, z, np.array([0, 1, 2]), np.array([1, 2, 4])) is None
    assert mod.normalised_first_rows("abc", 3, c, z, np.array([0, 2, 1]), np.array([1, 1, 2])) is None
    assert mod.normalised_first_rows("abc", 3, c, z, np.array([0, 1, 2]), None) is None
    np.testing.assert_array_equal(mod.normalised_first_rows("a\nb\na", 3, c, z), [0, 1, 0])
    # Overlapping spans, all collapsed: the scratch buffer is sized by the spans, not the text.
    np.testing.assert_array_equal(
        mod.normalised_first_rows("a  b c", 3, np.ones(3, dtype=np.uint8), z, np.zeros(3, dtype=np.int64),
                                  np.array([6, 6, 4])), [0, 0, 2])
    assert mod.shape_counts(["a", 1], np.array([0, 1]), np.zeros(2, dtype=np.int64)) is None
    assert mod.shape_counts(["a"], np.array([1]), np.zeros(1, dtype=np.int64)) is None
    assert mod.shape_counts(["a"], np.array([-1]), np.zeros(1, dtype=np.int64)) is None
    assert mod.shape_counts(["a"], np.array([0]), np.zeros(2, dtype=np.int64)) is None
    np.testing.assert_array_equal(mod.shape_counts(["Ab 1", "Cd 22", "x"], np.array([0, 1, 2]),
                                                   np.zeros(3, dtype=np.int64)), [2, 2, 1])


@pytest.mark.parametrize("mask", [0, 1, 0xFF00000000000000])
def test_colliding_hashes_change_nothing(mask: int) -> None:
    """With only ``mask``'s bits of each hash kept (none: one chain of every key), the table
    finds the same first rows: a key matches only on the exact comparison."""
    mod = needs(KERNEL)
    rng = np.random.default_rng(5)
    texts = _random_blocks(rng, 300, 3) + ["a" * 40 + c for c in "bcdefg"] + ["\u00e9" * 9, "i" * 9, "\u00e9i" * 5]
    page = np.sort(rng.integers(0, 3, size=len(texts)))
    with _hash_bits(mod, mask):
        for args in ((None, None, None), (page, _odd_space(texts), "\n".join(texts).lower())):
            _check_dup(texts, *args)
        _check_shape(texts, page)


def test_near_equal_long_blocks() -> None:
    """Long blocks that differ in one code unit anywhere (the top bit of a byte in a 1-byte
    string included) are never taken for one another."""
    needs(KERNEL)
    base = "x" * 64
    texts = [base] + [base[:i] + "\u00f8" + base[i + 1:] for i in range(64)] + [base]
    texts += [t[:8] + "\u00f8" + t[9:] for t in texts[1:20]]
    flags = _check_dup(texts)
    assert flags[65] == 1.0 and flags[-19:].sum() == 1.0  # the base again; one variant made twice


def _bench_batches(limit: int) -> list[tuple[list[str], np.ndarray]]:
    """Batches of 64 pages as the classifier makes them: the blocks and each one's page."""
    blocks = [p.text.split("\n") for p in bench_pages(limit)]
    out = []
    for i in range(0, len(blocks), 64):
        batch = blocks[i: i + 64]
        out.append((sum(batch, []), np.repeat(np.arange(len(batch)), [len(b) for b in batch])))
    return out


def _both(fn: Callable, monkeypatch: pytest.MonkeyPatch, *args):
    """``fn(*args)`` with the kernel, then with the numpy forms."""
    return with_and_without(fn, monkeypatch, [(extract, "_DEDUP_EXT")], *args)


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pages in batches of 64 (one page number per page, as the classifier passes them):
    both functions, and the whole local feature matrix, are the same with and without."""
    needs(KERNEL)
    for texts, page in _bench_batches(400):
        _check_dup(texts, page, _odd_space(texts), "\n".join(texts).lower())
        _check_dup(texts)
        _check_shape(texts, page)
        (f_k, pf_k), (f_n, pf_n) = _both(local_features, monkeypatch, texts, page)
        np.testing.assert_array_equal(f_k, f_n)
        np.testing.assert_array_equal(pf_k.dup, pf_n.dup)
