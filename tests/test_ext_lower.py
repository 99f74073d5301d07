"""The compiled lower-casing (features/_lower_ext.pyx, features.lowercase) gives ``str.lower``'s output.

``lower_codepoints`` is compared with ``lower_reference`` (``str.lower``, then UTF-32 and UTF-8
with surrogatepass): its table against ``chr(c).lower()`` for every code point, the kernel
over every code point at once, and adversarial text (final sigma in every context, U+0130,
non-BMP letters, lone surrogates, combining marks, empty blocks); the batches the kernel must
leave to ``str.lower`` are checked to be left. Downstream, ``local_features`` (tokens, UTF-8,
duplicate flags, mt_soft's n-grams) is compared with the kernel on and off, on adversarial
batches and on the bench pages when ``../shared/corpora`` is there.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import extract, lowercase, tokens
from features.lowercase import BAIL, block_lowercase, lower_codepoints, lower_reference
from features.mt_soft import symbol_ngrams

KERNEL = "features._lower_ext"
CODE_SPACE = 0x110000
SIGMA, DOTTED_I = "\u03a3", "\u0130"
# Contexts the tests lower-case each code point in (more than the table build looks at).
CONTEXTS = [("", ""), ("A", ""), ("", "A"), ("A", "A"), ("a", "a"), ("A'", ""), ("", "'A"), ("A\u0301", ""),
            ("", "\u0301A"), (" ", " "), ("\n", "\n"), ("1", "1"), ("\u03b1", ""), ("", "\u03b1"), ("A.", ""),
            ("\U00010400", ""), ("", "\U00010400")]


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _all_chars() -> str:
    return np.arange(CODE_SPACE, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@pytest.fixture(scope="module")
def full_table() -> np.ndarray:
    """``block_lowercase`` of every block: the lower case of every code point, or BAIL."""
    return np.concatenate([block_lowercase(b) for b in range(lowercase.N_BLOCKS)])


def test_table_is_chr_lower_for_every_code_point(full_table: np.ndarray) -> None:
    """Exhaustive: a code point that is not BAIL lower-cases to its table entry, alone and in
    every test context; a BAIL one lower-cases to more than one code point or differently in
    some context."""
    bail = full_table == BAIL
    for c in range(CODE_SPACE):
        ch = chr(c)
        low = ch.lower()
        if bail[c]:
            assert len(low) != 1 or any((p + ch + q).lower() != p.lower() + low + q.lower() for p, q in CONTEXTS), c
        else:
            assert low == chr(full_table[c]), c
    # The set of code points left to str.lower, found by the build (CPython: these two).
    assert [hex(c) for c in np.flatnonzero(bail)] == ["0x130", "0x3a3"]


def test_context_free_everywhere_else(full_table: np.ndarray) -> None:
    """Every non-BAIL code point keeps its lower case in every test context (so a batch
    without BAIL code points lower-cases code point by code point)."""
    chars = _all_chars()
    keep = np.flatnonzero(full_table != BAIL).astype(np.uint32)
    text = keep.tobytes().decode("utf-32-le", "surrogatepass")
    lows = full_table[keep].tobytes().decode("utf-32-le", "surrogatepass")
    assert len(text) == len(lows) == CODE_SPACE - 2
    for pre, post in CONTEXTS:
        glue = post + "\x00" + pre
        joined = pre + glue.join(text) + post
        assert joined.lower() == pre.lower() + glue.lower().join(lows) + post.lower(), (pre, post)
    assert len(chars) == CODE_SPACE


def test_kernel_over_every_code_point(full_table: np.ndarray) -> None:
    """The kernel over all code points but the two BAIL ones, in order and reversed: the
    code points and the UTF-8 bytes (surrogates as three bytes) of str.lower."""
    needs(KERNEL)
    keep = np.flatnonzero(full_table != BAIL).astype(np.uint32)
    for cp in (keep, keep[::-1].copy()):
        text = cp.tobytes().decode("utf-32-le", "surrogatepass")
        got = lower_codepoints(cp)
        want = lower_reference(text)
        assert got is not None
        np.testing.assert_array_equal(got[0], want[0])
        assert got[0].dtype == np.uint32 and got[1] == want[1]


ADVERSARIAL = [
    "", "\n", "\n\n", "a", "A", "ABC def\nGHI", "K\u212a\u00c5\u212b",  # Kelvin and Angstrom signs
    "\u1e9e\u00df", "\u0131I\u0069", "\u01c5\u01c4\u01c6",  # capital sharp s, dotless i, titlecase DŽ
    "\U00010400\U00010428 \U0001e900 \U0001d400", "\U0001f600\U0001f3fb",  # Deseret, Adlam, math, emoji
    "\ud800", "a\udfffB", "\ud83d\ude00", "\udbff\udc00X",  # lone surrogates, and a pair kept apart
    "E\u0301COLE \u0041\u030a", "\u13a0\u13f5\uab70", "\u10a0\u2d00\u1c90",  # combining; Cherokee; Georgian
    "\u0000\u007f\u0080\u00ff\u0100\u017f\u0180\u024f", "\uffff\U0010ffff\ufeff\u200b",
    "\u2160\u2170 \u24b6\u24d0 \uff21\uff41",  # Roman numerals, circled, fullwidth
    "x" * 10_000 + "\u00c9" * 1000,
]
SIGMA_CASES = [SIGMA, "A" + SIGMA, SIGMA + "A", "A" + SIGMA + "A", "A'" + SIGMA, "A" + SIGMA + "'",
               "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3", "\u03b1" + SIGMA + " x", "1" + SIGMA,
               "A\u0301" + SIGMA, SIGMA + "\n" + "A", "A" + SIGMA + "\nB", DOTTED_I, "a" + DOTTED_I + "b",
               "x" * 5000 + SIGMA]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_kernel_on_adversarial_text(text: str) -> None:
    """Code points, UTF-8 bytes, and the byte offset of each newline-separated piece (given
    the right number of pieces; None for any other number)."""
    needs(KERNEL)
    pieces = text.count("\n") + 1
    got = lower_codepoints(_codepoints(text), pieces)
    want = lower_reference(text)
    assert got is not None
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(want[1], dtype=np.uint8) == 10) + 1))
    assert got[2] is not None and got[2].dtype == np.int64
    np.testing.assert_array_equal(got[2], starts)
    for other in (pieces - 1, pieces + 1, pieces + 5):
        if other >= 1:
            again = lower_codepoints(_codepoints(text), other)
            assert again is not None and again[2] is None and again[1] == want[1]
    assert lower_codepoints(_codepoints(text), 0) is None


@pytest.mark.parametrize("text", SIGMA_CASES)
def test_kernel_leaves_special_casing_to_str_lower(text: str) -> None:
    """Final sigma (every context) and U+0130 (two code points): the kernel declines."""
    needs(KERNEL)
    assert lower_codepoints(_codepoints(text)) is None


def test_inputs_the_kernel_declines(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    assert lower_codepoints(np.array([0x110000], dtype=np.uint32)) is None  # beyond Unicode
    assert lower_codepoints(np.array([65, 66], dtype=np.int64)) is None  # not uint32
    assert lower_codepoints(np.zeros((2, 2), dtype=np.uint32)) is None
    got = lower_codepoints(_codepoints("AbC")[::-1])  # not contiguous: copied
    assert got is not None and got[1] == b"cba"
    monkeypatch.setattr(lowercase, "_LOWER_EXT", None)
    assert lower_codepoints(_codepoints("A")) is None


def test_blocks_are_built_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh table: the kernel reports the blocks it lacks, they are built, the second call
    lower-cases; the kernel refuses tables that do not fit together."""
    mod = needs(KERNEL)
    monkeypatch.setattr(lowercase, "_TABLE", lowercase._Table())
    block_of, table = lowercase._TABLE.arrays
    missing = np.zeros(lowercase.N_BLOCKS, dtype=np.uint8)
    cp = _codepoints("A\u00c9\u4e2d\U00010400a")
    assert mod.lower_utf8(cp, block_of, table, missing, 1) == 3
    assert np.flatnonzero(missing).tolist() == [0, 0x4e, 0x104]
    got = lower_codepoints(cp)
    assert got is not None and got[1] == "a\u00e9\u4e2d\U00010428a".encode()
    assert sorted(np.flatnonzero(lowercase._TABLE.arrays[0] >= 0).tolist()) == [0, 0x4e, 0x104]
    block_of, table = lowercase._TABLE.arrays
    with pytest.raises(ValueError):
        mod.lower_utf8(cp, block_of, table[:-1], missing, 1)  # a row cut short
    with pytest.raises(ValueError):
        mod.lower_utf8(cp, block_of[:-1], table, missing, 1)
    with pytest.raises(ValueError):
        mod.lower_utf8(cp, block_of, table, missing, 0)
    bad = table.copy()
    bad[0] = CODE_SPACE
    with pytest.raises(ValueError):
        mod.lower_utf8(cp, block_of, bad, missing, 1)


def _features(texts: list[str], page: np.ndarray | None = None) -> list:
    """Everything ``local_features`` hands on that depends on the lower-cased text (a block's
    own newline read as a space, as ``classify_pages`` hands blocks to it)."""
    texts = [t.replace("\n", " ") for t in texts]
    F, pf = extract.local_features(texts, page)
    tb = pf.tokens
    ng = symbol_ngrams(texts, tb)
    return [F, pf.low_utf8, tb.cp, tb.starts, tb.ends, tb.hashes, tb.digits, tb.newline, pf.dup,
            *(getattr(ng, k) for k in ("uni", "uni_block", "pair", "pair_block", "words", "function_words"))]


def _same(got: list, want: list) -> None:
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g, w)
        else:
            assert g == w


def _both(monkeypatch: pytest.MonkeyPatch, texts: list[str], page: np.ndarray | None = None) -> tuple[list, list]:
    got = _features(texts, page)
    monkeypatch.setattr(lowercase, "_LOWER_EXT", None)
    want = _features(texts, page)
    monkeypatch.undo()
    return got, want


BATCHES = [
    [], [""], ["", ""], ["Hello World"], ["Hello", "hello", "HELLO ", " hello"],
    ADVERSARIAL[:-1], [s + " tail" for s in ADVERSARIAL], SIGMA_CASES, ["A", SIGMA, "a"], ["x", DOTTED_I],
    ["Don\u2019t STOP", "don't stop", "$5 Price", "\u00c9COLE \u00e9cole", "\U00010400 \U00010428"],
    ["a\nb", "A\nB", "c"],  # blocks holding a newline of their own (a space to local_features)
    ["Same text", "SAME TEXT", "same  text", "same\u00a0TEXT", "Same text\u2003"],
]


@pytest.mark.parametrize("texts", BATCHES, ids=range(len(BATCHES)))
def test_local_features_with_and_without_kernel(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    got, want = _both(monkeypatch, texts)
    _same(got, want)
    if texts:
        page = np.arange(len(texts)) // 2
        _same(*_both(monkeypatch, texts, page))


def test_random_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random blocks over an alphabet of awkward characters (sigma and U+0130 in some)."""
    needs(KERNEL)
    rng = np.random.default_rng(5)
    alphabet = list("aAzZ '\u2019$-.\n\t") + ["\u00c9", "\u00e9", "\u0391", "\u03c3", "\U00010400", "\ud800",
                                              "\u0301", "\u212a", "\u1e9e", "\u3000", "7"]
    for trial in range(40):
        extra = [SIGMA, DOTTED_I] if trial % 4 == 0 else []
        chars = alphabet + extra
        texts = ["".join(rng.choice(chars, size=int(rng.integers(0, 30)))) for _ in range(int(rng.integers(0, 12)))]
        got, want = _both(monkeypatch, texts)
        _same(got, want)
        cp = _codepoints("\n".join(texts))
        lowered = lower_codepoints(cp, max(len(texts), 1))
        if extra and any(c in t for t in texts for c in extra):
            assert lowered is None
        else:
            ref = lower_reference("\n".join(texts))
            assert lowered is not None and lowered[1] == ref[1]
            np.testing.assert_array_equal(lowered[0], ref[0])
            if any("\n" in t for t in texts):  # more pieces than blocks
                assert lowered[2] is None
            elif texts:  # the offsets local_features took from _byte_starts
                np.testing.assert_array_equal(lowered[2], extract._byte_starts(ref[1], texts, len(texts)))


def test_tokenize_cp_is_tokenize() -> None:
    for text in ADVERSARIAL + ["don't  stop\n$5\nit\u2019s 123 4a"]:
        low = text.lower()
        a, b = tokens.tokenize(low), tokens.tokenize_cp(_codepoints(low))
        for k in ("starts", "ends", "hashes", "digits", "newline", "cp"):
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    # A non-contiguous array goes to the numpy form, with the same tokens.
    cp = np.repeat(_codepoints("ab cd"), 2)[::2]
    np.testing.assert_array_equal(tokens.tokenize_cp(cp).ends, tokens.tokenize("ab cd").ends)


def test_duplicate_flags_from_code_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """``duplicate_flags`` given the lower-cased code points (kernel and numpy forms) equals it
    given the lower-cased string, and given nothing."""
    needs("features._dedup_ext")
    cases = BATCHES[1:] + [["a\nb", "a", "b"], ["x", "x\n", "X"]]
    for texts in cases:
        page = np.arange(len(texts)) // 3
        odd = np.array([" " in t or "\u00a0" in t for t in texts])
        low = "\n".join(texts).lower()
        want = extract._duplicate_flags_numpy(texts, page, odd, low)
        wide = _codepoints(low).astype(np.int64)  # not what the kernel takes: lower-cased afresh
        for kwargs in ({"low_doc": low}, {"low_cp": _codepoints(low)}, {}, {"low_cp": wide}):
            np.testing.assert_array_equal(extract.duplicate_flags(texts, page, odd, **kwargs), want)
            with monkeypatch.context() as m:
                m.setattr(extract, "_DEDUP_EXT", None)
                np.testing.assert_array_equal(extract.duplicate_flags(texts, page, odd, **kwargs), want)
    mod = needs("features._dedup_ext")
    z = np.zeros(3, dtype=np.int64)
    c = np.ones(3, dtype=np.uint8)
    assert mod.normalised_first_rows_cp(_codepoints("a\nb"), 3, c, z) is None  # 2 pieces, not 3
    assert mod.normalised_first_rows_cp(_codepoints("a\nb\nc\n"), 3, c, z) is None
    assert mod.normalised_first_rows_cp(_codepoints("a\nb\nc"), 3, c[:2], z) is None
    np.testing.assert_array_equal(mod.normalised_first_rows_cp(_codepoints("a\n a\nb"), 3, c, z), [0, 0, 2])
    np.testing.assert_array_equal(mod.normalised_first_rows_cp(_codepoints(""), 0, c[:0], z[:0]), [])
    np.testing.assert_array_equal(mod.normalised_first_rows_cp(_codepoints(""), 1, c[:1], z[:1]), [0])


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real text: the bench pages in batches, with the kernel and without."""
    needs(KERNEL)
    pages = bench_pages(600)
    for i in range(0, len(pages), 100):
        texts = [line for p in pages[i: i + 100] for line in p.text.split("\n") if line.strip()]
        got, want = _both(monkeypatch, texts)
        _same(got, want)
        assert lower_codepoints(_codepoints("\n".join(texts))) is not None


def test_block_layout_from_kernel_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PageFeatures.low_starts`` (the kernel's block offsets) give spamctx the layout it
    builds itself, and the text columns of every schema the same values."""
    needs(KERNEL)
    from features.spamctx import block_layout
    from features.text_schema import TRAINABLE_SCHEMAS, text_matrix

    batches = [b for b in BATCHES if b] + [["Buy cheap V1AGRA now!!!", "call 555-0100 $$$", "\uff42\uff55\uff59 now"]]
    for texts in batches:
        texts = [t.replace("\n", " ") for t in texts]
        pf, offsets = extract.extract_batch([texts[: len(texts) // 2], texts[len(texts) // 2:]])
        if any(c in t for t in texts for c in (SIGMA, DOTTED_I)):
            assert pf.low_starts is None  # str.lower's path: no offsets from the kernel
            continue
        assert pf.low_starts is not None and len(pf.low_starts) == len(texts)
        want = block_layout(texts, pf.low_utf8)
        got = block_layout(texts, pf.low_utf8, low_starts=pf.low_starts)
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])
        assert got[1].dtype == want[1].dtype
        page_starts = offsets[:-1][np.diff(offsets) > 0]
        for schema in TRAINABLE_SCHEMAS:
            try:
                want_x = text_matrix(pf.X, texts, page_starts, schema, pf.low_utf8)
            except ValueError:  # text-7 of a batch holding one empty block (as on main): the same error
                with pytest.raises(ValueError):
                    text_matrix(pf.X, texts, page_starts, schema, pf.low_utf8, pf.low_starts)
                continue
            np.testing.assert_array_equal(text_matrix(pf.X, texts, page_starts, schema, pf.low_utf8, pf.low_starts),
                                          want_x)
    # Offsets of another number of blocks are not used.
    texts = ["a b", "c"]
    pf, _ = extract.extract_batch([texts])
    got = block_layout(texts + ["d"], pf.low_utf8, low_starts=pf.low_starts)
    assert got[0] == b"a b\nc\nd" and got[1].tolist() == [0, 4, 6]


@pytest.mark.parametrize("ascii_kept", [True, False], ids=["ascii_fast_path", "no_ascii_fast_path"])
def test_kernel_with_any_table(ascii_kept: bool) -> None:
    """The kernel is a table look-up plus UTF-8: with made-up tables (block 0 sending an ASCII
    code point beyond ASCII turns its ASCII shortcut off) it gives the numpy look-up's code
    points, their UTF-8 bytes (surrogatepass) and the newline offsets."""
    mod = needs(KERNEL)
    rng = np.random.default_rng(7)
    used = [0, 1, 0x20, 0xd8, 0xdc, 0x104, 0x10ff]
    block_of = np.full(lowercase.N_BLOCKS, -1, dtype=np.int32)
    block_of[used] = rng.permutation(len(used)).astype(np.int32)
    table = rng.integers(0, 0x110000, size=len(used) * lowercase.BLOCK).astype(np.uint32)
    table[rng.random(len(table)) < 0.5] = rng.integers(0, 0x80, size=1)[0]  # many ASCII values
    row0 = block_of[0] * lowercase.BLOCK
    table[row0: row0 + 0x80] = np.arange(0x80, dtype=np.uint32)
    if not ascii_kept:
        table[row0 + ord("z")] = 0x20AC
    starts_cp = np.concatenate([np.arange(b << 8, (b << 8) + 256) for b in used]).astype(np.uint32)
    for size in (0, 1, 5, 300, 5000):
        cp = rng.choice(starts_cp, size=size).astype(np.uint32)
        cp[rng.random(size) < 0.05] = 10
        low = table[block_of[cp >> 8].astype(np.int64) * lowercase.BLOCK + (cp & 255)]
        data = low.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass")
        pieces = int(np.count_nonzero(low == 10)) + 1
        missing = np.zeros(lowercase.N_BLOCKS, dtype=np.uint8)
        got = mod.lower_utf8(cp, block_of, table, missing, pieces)
        np.testing.assert_array_equal(got[0], low)
        assert got[1] == data
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
        np.testing.assert_array_equal(got[2], np.concatenate(([0], newlines + 1)))
        assert mod.lower_utf8(cp, block_of, table, missing, pieces + 1)[2] is None
