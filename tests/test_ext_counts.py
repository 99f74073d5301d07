"""The compiled character-property counts (features/_tokens_ext.pyx ``char_property_counts``)
give the numpy form's numbers, bit for bit.

``features.extract._char_counts`` takes its per-block property counts from the kernel when it is
built, else from ``_class_triple_counts_numpy(...) @ _VECTORS``. Both are compared on the same
inputs: every class triple (a sequence that holds each (previous, current, next) class triple),
every code point, random text over awkward alphabets, block bounds (empty blocks, a last block
running past the text, one very long block), inputs the kernel declines, and the bench pages when
``../shared/corpora`` is there.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages, with_and_without
from test_ext import needs
from test_ext_tokens import _blocks_char_counts

from features import extract

KERNEL = "features._tokens_ext"
MAX_CODE_POINT = 0x10FFFF
# Characters of many classes: cases, digits of several scripts, punctuation, quote marks and
# ellipses, currency signs, separators, (c), every kind of white space, non-BMP letters and
# emoji, combining marks and a lone surrogate.
ALPHABET = list("aZ5_.,;:!?'\"$\u20ac\u00a3 \t\n\u00a0\u2009\u3000\u2028\u00a9|\u2022\u2026\u201c\u201d"
                "\u00e9\u0301\u0661\u00b2\u0130\u03a3\u00df\U0001d400\U0001f600\ud800-()#@%")


def _numpy_props(cp: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The numpy form's property counts (``_char_counts`` before its float32 columns)."""
    return extract._class_triple_counts_numpy(cp, lengths, len(lengths)) @ extract._VECTORS


def _kernel_props(mod, cp: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    return mod.char_property_counts(cp, lengths.astype(np.int64), extract._COMBO, *extract._PACKED,
                                    extract._VECTORS.shape[1], extract._SPACE_COMBO)


def _assert_props_equal(mod, cp: np.ndarray, lengths: np.ndarray) -> None:
    got, want = _kernel_props(mod, cp, lengths), _numpy_props(cp, lengths)
    assert got is not None
    assert got.dtype == want.dtype == np.float64 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()  # bit for bit (array_equal would let -0.0 == 0.0 through)


def _random_lengths(rng: np.random.Generator, c: int, max_len: int) -> np.ndarray:
    """Block lengths covering ``c`` characters as ``_char_counts`` makes them (the last one past the end)."""
    lengths = []
    left = c
    while left > 0:
        k = int(rng.integers(0, max_len + 1))
        lengths.append(k)
        left -= k
    lengths.append(1)
    return np.array(lengths, dtype=np.int64)


def _both(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, np.ndarray]:
    return with_and_without(_blocks_char_counts, monkeypatch, [(extract, "_TOKENS_EXT")], texts)


def _random_texts(seed: int, count: int, max_len: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(ALPHABET, size=int(rng.integers(0, max_len + 1)))) for _ in range(count)]


def test_packed_tables_are_the_triple_tables() -> None:
    """The packed index holds ``_VECTOR_OF`` at every (previous, current, next) triple, and the
    property bits are ``_VECTORS``' rows."""
    needs(KERNEL)
    packed, bits = extract._PACKED
    nc = int(extract._N_COMBOS)
    p, c, x = np.meshgrid(*(np.arange(nc),) * 3, indexing="ij")
    np.testing.assert_array_equal(packed[(p << 10) | (c << 5) | x], extract._VECTOR_OF[(p * nc + c) * nc + x])
    props = (bits[:, None] >> np.arange(extract._VECTORS.shape[1], dtype=np.uint32)) & 1
    np.testing.assert_array_equal(props, extract._VECTORS)
    assert int(extract._COMBO.max()) < 1 << 5


def test_every_class_triple() -> None:
    """One code point of each class, in a sequence holding every (previous, current, next)
    triple of classes, cut into blocks of every small length."""
    mod = needs(KERNEL)
    nc = int(extract._N_COMBOS)
    rep = np.array([np.flatnonzero(np.equal(extract._COMBO, k))[0] for k in range(nc)], dtype=np.uint32)
    seq = [k for a in range(nc) for b in range(nc) for c in range(nc) for k in (a, b, c)]
    cp = rep[np.array(seq)]
    for max_len in (1, 2, 3, 5, 8, 100):
        _assert_props_equal(mod, cp, _random_lengths(np.random.default_rng(max_len), len(cp), max_len))
    _assert_props_equal(mod, cp, np.array([len(cp) + 1], dtype=np.int64))


def test_every_code_point() -> None:
    """All code points 0 .. U+10FFFF (surrogates included), in order and shuffled."""
    mod = needs(KERNEL)
    rng = np.random.default_rng(1)
    cp = np.arange(MAX_CODE_POINT + 1, dtype=np.uint32)
    for arr in (cp, rng.permutation(cp)):
        _assert_props_equal(mod, arr, _random_lengths(rng, len(arr), 400))
        _assert_props_equal(mod, arr, np.array([len(arr) + 1], dtype=np.int64))


def test_random_arrays_and_bounds() -> None:
    """Random code points over a small alphabet (long runs of one class), random block
    lengths: empty blocks, blocks shorter and longer than the unrolled step, a last block
    running past the text and blocks after the text."""
    mod = needs(KERNEL)
    rng = np.random.default_rng(2)
    pool = np.array([ord(ch) for ch in ALPHABET], dtype=np.uint32)
    for c in (0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 1000):
        for _trial in range(20):
            cp = rng.choice(pool[: int(rng.integers(1, len(pool) + 1))], size=c).astype(np.uint32)
            lengths = _random_lengths(rng, c, int(rng.integers(1, 12)))
            _assert_props_equal(mod, cp, lengths)
            # Blocks after the end of the text, and the last one running far past it.
            extra = np.concatenate((lengths, np.zeros(3, dtype=np.int64), [7]))
            _assert_props_equal(mod, cp, extra)


def test_declined_inputs() -> None:
    """Too few characters in the blocks, a negative length, a code point beyond the table:
    None (the numpy form gives its error); tables that do not fit: ValueError."""
    mod = needs(KERNEL)
    cp = np.array([97, 98, 32, 99], dtype=np.uint32)
    assert _kernel_props(mod, cp, np.array([2, 1])) is None
    assert _kernel_props(mod, cp, np.array([-1, 6])) is None
    for bad in ([97, 0x110000], [0x110000], [0xFFFFFFFF, 97], [97, 98, 99, 100, 101, 0x110000, 32],
                [97] * 9 + [0x110000]):
        assert _kernel_props(mod, np.array(bad, dtype=np.uint32), np.array([len(bad) + 1])) is None
    empty = _kernel_props(mod, np.zeros(0, dtype=np.uint32), np.array([1, 0], dtype=np.int64))
    assert empty.dtype == np.float64 and empty.shape == (2, extract._VECTORS.shape[1]) and not empty.any()
    packed, bits = extract._PACKED
    n_props = extract._VECTORS.shape[1]
    lengths = np.array([5], dtype=np.int64)
    with pytest.raises(ValueError):
        mod.char_property_counts(cp, lengths, extract._COMBO, packed[:-1], bits, n_props, extract._SPACE_COMBO)
    too_big = packed.copy()
    too_big[123] = len(bits)
    with pytest.raises(ValueError):
        mod.char_property_counts(cp, lengths, extract._COMBO, too_big, bits, n_props, extract._SPACE_COMBO)
    with pytest.raises(ValueError):
        mod.char_property_counts(cp, lengths, extract._COMBO, packed, bits, n_props - 5, extract._SPACE_COMBO)
    with pytest.raises(ValueError):
        mod.char_property_counts(cp, lengths, extract._COMBO, packed, bits, n_props, 32)


@pytest.mark.parametrize("texts", [
    [], [""], ["a"], ["", ""], ["", "a", ""], [" "], ["Ends here."], ["A", "B?"], ["AB", "\u00a9"],
    ["$ 5 and \u20ac 7, $5", "$", " 5"], ["A b. C? D!", "x\u00a0 y  z"], ["line\nwith its own newline", "next"],
    ["z" * 50_000, "", "Q"], ["\U0001f600\u0301\ud800 \u03a3\u03a3. \u0130i"],
    _random_texts(5, 300, 30), _random_texts(6, 2, 5000), _random_texts(7, 2000, 4),
], ids=lambda t: f"{len(t)}_blocks")
def test_char_counts_kernel_equals_numpy(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    got, want = _both(texts, monkeypatch)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pages in batches as the classifier makes them."""
    needs(KERNEL)
    pages = [p.text.split("\n") for p in bench_pages(600)]
    for i in range(0, len(pages), 64):
        texts = sum(pages[i: i + 64], [])
        got, want = _both(texts, monkeypatch)
        assert got.tobytes() == want.tobytes()
