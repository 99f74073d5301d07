"""The compiled per-character passes (features/_tokens_ext.pyx) give their numpy twins' output.

``tokenize`` (every TokenBatch array, dtype included), ``token_hashes`` (the same uint64 hash,
by Horner's rule instead of a prefix sum) and ``_char_counts`` (the class-triple counts) are
called with the kernel and with the numpy form (the module handle set to None) on the same
inputs: random text over awkward alphabets (apostrophes, "$", newlines, digits of other
scripts, non-BMP characters, combining marks, lone surrogates, odd white space), edge cases
(empty text, one character, a very long block, empty blocks) and the bench pages when
``../shared/corpora`` is there (or ``NEWSWINNOW_CORPORA`` names it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages, with_and_without

from features import ext, extract, tokens
from features.extract import _char_counts, local_features
from features.tokens import HashVocab, token_hashes, tokenize

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "features._tokens_ext"
FIELDS = ("starts", "ends", "hashes", "lengths", "digits", "newline", "cp")
# Characters that exercise every branch: word characters of several scripts, digits that are
# and are not ``str.isdigit``, both apostrophes, the single-character tokens, white space of
# several kinds, a combining mark, non-BMP letters and an emoji, a lone surrogate.
ALPHABET = list("ab_Z1 '\u2019$\n.-\t\u00a0\u2009\u00e9\u0301\u0661\u00b2\u00bd\u0130\u00df\u03c3"
                "\U0001d400\U0001f600\ud800\u3000\u2028")
HARD = [
    "", "a", "\n", "$", "'", "\u2019", "a'", "'a", "a'b", "a''b", "a'b'c", "1'2", "$5", "5$", "\n\n",
    "don't can''t rock'n'roll \u2019tis it\u2019s 'quoted' words'",
    "$$$ $5 1234567 \u0661\u0662\u0663 \u00b2\u00b3 2012 007",
    "under_score __init__ a_b",
    "\u03c3\u03b1\u03c2 stra\u00dfe i\u0307stanbul \U0001d400\U0001d401 \U0001f600",
    "line one\nline two\n\nx",
    "e\u0301t\u00e9 \ud800lone\udfff surrogates",
]


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _random_texts(seed: int, count: int, max_len: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(ALPHABET, size=int(rng.integers(0, max_len + 1)))) for _ in range(count)]


def _assert_batches_equal(got: tokens.TokenBatch, want: tokens.TokenBatch) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def _both(fn, monkeypatch: pytest.MonkeyPatch, *args):
    """``fn(*args)`` with the kernel, then with the numpy forms."""
    return with_and_without(fn, monkeypatch, [(tokens, "_TOKENS_EXT"), (extract, "_TOKENS_EXT")], *args)


def _bench_texts(limit: int) -> list[list[str]]:
    return [p.text.split("\n") for p in bench_pages(limit)]


@pytest.mark.parametrize("text", HARD + _random_texts(1, 40, 60) + _random_texts(2, 3, 5000))
def test_tokenize_kernel_equals_numpy(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    got, want = _both(tokenize, monkeypatch, text)
    _assert_batches_equal(got, want)


def test_tokenize_kernel_on_many_short_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of short texts: every combination of neighbours at both ends of the text."""
    needs(KERNEL)
    for text in _random_texts(3, 3000, 8):
        got, want = _both(tokenize, monkeypatch, text)
        _assert_batches_equal(got, want)


def test_tokenize_kernel_long_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """A very long word, digit run and apostrophe-joined run (the hash wraps many times)."""
    needs(KERNEL)
    for text in ("x" * 100_000, "7" * 50_000 + " 8", "ab'" * 30_000 + "c", "\U0001d400" * 40_000 + "$"):
        got, want = _both(tokenize, monkeypatch, text.lower())
        _assert_batches_equal(got, want)


def test_token_hashes_kernel_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random spans (empty and overlapping ones included) of random code points up to U+10FFFF."""
    needs(KERNEL)
    rng = np.random.default_rng(7)
    for n in (1, 2, 17, 1000, 70_000):
        cp = rng.integers(0, 0x110000, size=n).astype(np.uint32)
        starts = rng.integers(0, n + 1, size=500).astype(np.int64)
        ends = np.minimum(starts + rng.integers(0, 40, size=500), n).astype(np.int64)
        got, want = _both(token_hashes, monkeypatch, cp, starts, ends)
        assert got.dtype == want.dtype == np.uint64
        np.testing.assert_array_equal(got, want)


def test_token_hashes_awkward_spans_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans the kernel leaves alone (reversed, negative, other dtypes) get the numpy form's answer."""
    mod = needs(KERNEL)
    cp = np.arange(10, 30, dtype=np.uint32)
    reversed_spans = (np.array([5, 0]), np.array([3, 4]))
    assert mod.span_hashes(cp, *reversed_spans) is None
    assert mod.span_hashes(cp, np.array([-1]), np.array([2])) is None
    assert mod.span_hashes(cp, np.array([0]), np.array([21])) is None
    for args in ((cp, *reversed_spans), (cp.astype(np.uint16), np.array([0, 2]), np.array([3, 20])),
                 (cp, np.array([0, 2], dtype=np.int32), np.array([3, 20], dtype=np.int32))):
        got, want = _both(token_hashes, monkeypatch, *args)
        np.testing.assert_array_equal(got, want)
    assert len(mod.span_hashes(cp, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))) == 0


def test_code_points_beyond_the_tables_fall_back() -> None:
    """Not reachable from a str (utf-32 stops at U+10FFFF), but no read past a table."""
    mod = needs(KERNEL)
    for bad in ([97, 0x110000], [0x110000], [0xFFFFFFFF, 97], [97, 39, 0x110000], [36, 0x110000, 32]):
        cp = np.array(bad, dtype=np.uint32)
        assert mod.tokenize_cp(cp, tokens._CHAR_BITS, 1, 2, 4, 8) is None


def test_vocabulary_lookup_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """HashVocab hashes its words with token_hashes: the same table and rows either way."""
    needs(KERNEL)
    words = [t for t in _random_texts(4, 400, 12) if t] + ["the", "don't", "$", "\n"]

    def rows() -> np.ndarray:
        table = HashVocab(words)
        return table.lookup(tokenize(" ".join(words)).hashes)

    got, want = _both(rows, monkeypatch)
    np.testing.assert_array_equal(got, want)


def _blocks_char_counts(texts: list[str]) -> np.ndarray:
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    doc = "\n".join(texts)
    cp = np.frombuffer(doc.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _char_counts(cp, starts, n, doc)


@pytest.mark.parametrize("texts", [
    [""], ["a"], ["", ""], ["", "a", ""], [" "], ["Ends here."], ["A", "B?"], ["AB", "\u00a9"],
    ["$ 5 and \u20ac 7, $5"], ["A b. C? D!", "x\u00a0 y  z"],
    HARD, ["line\nwith its own newline", "next"], ["z" * 50_000, "", "Q"],
    _random_texts(5, 200, 30), _random_texts(6, 2, 3000),
], ids=lambda t: f"{len(t)}_blocks")
def test_char_counts_kernel_equals_numpy(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    got, want = _both(_blocks_char_counts, monkeypatch, texts)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_bench_pages_local_features_and_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pages, in batches as the classifier makes them: the local feature matrix and
    every token array are the same with the kernels and without."""
    needs(KERNEL)
    pages = _bench_texts(300)
    batches = [sum(pages[i: i + 64], []) for i in range(0, len(pages), 64)]
    for texts in batches:
        (f_k, pf_k), (f_n, pf_n) = _both(local_features, monkeypatch, texts)
        np.testing.assert_array_equal(f_k, f_n)
        _assert_batches_equal(pf_k.tokens, pf_n.tokens)
        np.testing.assert_array_equal(pf_k.tokens.function_words, pf_n.tokens.function_words)
        got, want = _both(_blocks_char_counts, monkeypatch, texts)
        np.testing.assert_array_equal(got, want)
