"""``local_features``' glue between the kernels gives the same matrix as the column-by-column form.

What changed (features/extract.py, session 21) and what checks it here:
- the c_* columns are built in one block: with the literal kernel, each column's patterns are
  summed in int64 from the kernel's table (``_literal_table``), else the Python form adds them
  one pattern at a time (``_LITERAL_EXT`` set to None): both forms are compared bit for bit on
  random blocks over the patterns' own pieces (counts past the clip at 5, non-ASCII, non-BMP,
  lone surrogates), adversarial batches (empty, empty blocks, one very
  long block) and the bench pages when ``../shared/corpora`` is there;
- the start patterns (list item, dateline, address) are matched in one pass: their columns are
  checked against ``_START_RX.match`` on every block;
- ``ends_sentence`` is a table lookup: checked against ``np.isin`` over every code point;
- ``out`` is no longer zeroed first (every column is assigned whole): a NaN-filled ``out`` must
  come back equal to ``out=None``'s matrix, with and without a lexicon.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs

from features import extract
from features.extract import _START_NAMES, _START_RX, LOCAL_NAMES, local_features
from features.lexical import LEXICAL_COLUMNS, LexicalScorer

KERNEL = "features._literal_ext"
# Pieces of random blocks: the literal and start patterns' own bytes and their neighbours.
PIECES = ["http", "https", "://", "www", ".", "..", "...", "com", "ly", ":", ";", "=", "-", ")", "(", "d", "p",
          "<", "3", "^_^", "@", "ab", "a", " ", "  ", "\t", "\u00a0", "\u3000", "#", "1234", "12", "0", "1.", "2)",
          "\u2022", "-", "*", "Dear ", "John, ", "you", "thanks", "LONDON", " (Reuters)", " - ", "\u2014", "$",
          "\u20ac", "\u2026", "\"", "\u201d", "\u2019", "!", "?", "pic.twitter.com", "youtu.be/", "\u00e9",
          "e\u0301", "\U0001f600", "\ud800", "\u0130", "\u03a3", "A", "Z", "x", "/", "07:45", "#123"]


def _random_blocks(rng: np.random.Generator, n: int, max_pieces: int = 12) -> list[str]:
    return ["".join(rng.choice(PIECES, size=int(rng.integers(0, max_pieces)))) for _ in range(n)]


def _scorer(seed: int = 0) -> LexicalScorer:
    rng = np.random.default_rng(seed)
    words = ["the", "you", "buy", "reply", "said", "lol"]
    weights = rng.standard_normal((len(words) + 1, LEXICAL_COLUMNS)).astype(np.float32)
    return LexicalScorer(words, weights, rng.standard_normal(LEXICAL_COLUMNS).astype(np.float32))


def _both(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``local_features`` with the literal kernel (grouped sums) and without (one pattern at a time)."""
    needs(KERNEL)
    page = np.zeros(len(texts), dtype=np.int64)
    got = local_features(texts, page)[0].copy()
    monkeypatch.setattr(extract, "_LITERAL_EXT", None)
    want = local_features(texts, page)[0].copy()
    monkeypatch.undo()
    return got, want


def _assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    bad = np.flatnonzero((got.view(np.uint32) != want.view(np.uint32)).any(axis=0))
    assert not len(bad), [LOCAL_NAMES[c] for c in bad]


@pytest.mark.parametrize("seed", range(6))
def test_grouped_literal_columns_equal_pattern_by_pattern(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _assert_same(*_both(monkeypatch, _random_blocks(rng, int(rng.integers(1, 300)))))


@pytest.mark.parametrize("texts", [
    [""], ["", "", ""], ["..."], ["http://x.com " * 3000 + "..." * 2000],
    ["... " * 10, "#12 #34 #56 #78 #90 #11", "\U0001f600" * 7], ["\ud800", "\U0010ffff", "\x00"],
    ["1. item", "- item", "Dear Sir", "LONDON - text", "Anna, you are right"],
])
def test_adversarial_batches(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> None:
    _assert_same(*_both(monkeypatch, texts))


def test_empty_batch() -> None:
    F, _ = local_features([])
    assert F.shape == (0, len(LOCAL_NAMES)) and F.dtype == np.float32


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(300)
    texts = [t for p in pages for t in p.text.split("\n")]
    _assert_same(*_both(monkeypatch, texts))


@pytest.mark.parametrize("seed", range(4))
def test_start_columns_are_the_regex(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    texts = _random_blocks(rng, 400, 6)
    F, _ = local_features(texts)
    for g, name in enumerate(_START_NAMES, start=1):
        want = np.array([(m is not None and m.lastindex == g) for m in map(_START_RX.match, texts)], dtype=np.float32)
        assert np.array_equal(F[:, extract._IDX[f"c_{name}"]], want), name


def test_ends_sentence_table_is_isin_over_every_code_point() -> None:
    cps = np.arange(0x110000, dtype=np.uint32)
    table = extract._ENDS_SENTENCE[np.minimum(cps, len(extract._ENDS_SENTENCE) - 1)]
    assert np.array_equal(table, np.isin(cps, extract._SENTENCE_END_CPS))


@pytest.mark.parametrize("lexical", [None, _scorer()])
def test_out_is_not_zeroed_yet_every_column_is_written(lexical: LexicalScorer | None) -> None:
    rng = np.random.default_rng(7)
    texts = _random_blocks(rng, 200)
    want, _ = local_features(texts, None, lexical)
    wide = np.full((len(texts), len(LOCAL_NAMES) + 9), np.nan, dtype=np.float32)
    got, _ = local_features(texts, None, lexical, out=wide[:, : len(LOCAL_NAMES)])
    assert got.base is wide or got is wide[:, : len(LOCAL_NAMES)] or np.shares_memory(got, wide)
    _assert_same(np.ascontiguousarray(got), want)
    assert np.isnan(wide[:, len(LOCAL_NAMES):]).all()


def test_family_counts_heads_by_first_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_spamctx_ext.family_counts`` searches only the heads that begin with the candidate's byte:
    against the numpy form with a family whose head is empty (every position: searched whole),
    heads sharing first bytes and two-byte prefixes, one-byte heads, and the real tables."""
    from test_ext_spamctx import _check, _random_block

    from features.spamctx import TABLES, build_tables
    from features.spamshape import SHAPE_TABLES

    tables = build_tables(
        {"a": (r"\w+z", r"\bcat"), "b": (r"\b(?:my|our) (?:new|best|own) (?:chan|vid|song)",),
         "c": (r"(?:ab|ac|ad|b)x",), "d": (r"[$/#]\w",)},
        {"a": ("cat",), "b": ("my", "our"), "c": ("ab", "ac", "ad", "b")}, {}, {"d": "$/#"})
    assert tables.heads[0] == (b"",) and len(tables.heads[1]) > 5
    rng = __import__("random").Random(5)
    pieces = ["cat", "catz", "z", "my", "our", "new", "best", "own", "chan", "vid", "song", "ab", "abx", "acx",
              "adx", "bx", "b", "x", "$", "/", "#", "$a", "/b", "é", "\U0001f600", " "]
    texts = [_random_block(rng, pieces) for _ in range(300)]
    _check(texts, monkeypatch, tables=(tables, TABLES, SHAPE_TABLES))


class _Str(str):
    def __len__(self) -> int:
        return 99


@pytest.mark.parametrize("texts", [
    [], [""], ["a", "", "\u00e9\u00e9", "\u20ac", "\U0001f600x", "\ud800", "e\u0301", "\x00"],
    ["x" * 100000, "\U0010ffff" * 3], ("tuple", "of strs"), ["a", _Str("sub")], ["a", b"bytes"],
])
def test_str_lengths_are_len(texts) -> None:
    """``_glue_ext.str_lengths`` gives ``len`` of each exact str of a list; else None (the Python form)."""
    glue = needs("features._glue_ext")
    want = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    got = glue.str_lengths(texts)
    if type(texts) is list and all(type(t) is str for t in texts):
        assert got.dtype == np.int64 and np.array_equal(got, want)
    else:
        assert got is None
    lengths = extract._str_lengths(texts)
    assert lengths.dtype == np.int64 and np.array_equal(lengths, want)


class _List(list):
    def __len__(self) -> int:
        return 3


@pytest.mark.parametrize("evidence", [
    [], [[]], [[], [{}], [{}] * 5, [{}] * 6, [{}] * 1000], ([], [{}]), [[], _List()], [[], ({},)],
])
def test_hit_counts_are_clipped_lengths(evidence) -> None:
    """``_glue_ext.list_lengths`` gives ``len`` of each exact list of a list (else None), and
    ``_hit_counts`` the Python form's float32 min(len, 5) either way."""
    glue = needs("features._glue_ext")
    n = len(evidence)
    want = np.minimum(np.fromiter(map(len, evidence), dtype=np.float32, count=n), 5.0)
    got = glue.list_lengths(evidence)
    if type(evidence) is list and all(type(e) is list for e in evidence):
        assert got.dtype == np.int64 and np.array_equal(got, list(map(len, evidence)))
    else:
        assert got is None
    counts = extract._hit_counts(evidence, n)
    assert counts.dtype == want.dtype and counts.tobytes() == want.tobytes()
