"""Session 20's token chain changes give the same output as before.

- ``_tokens_ext.tokenize_cp`` shrinks its text-length output arrays in place (no copy of the
  first k entries): the arrays are the numpy form's (values, dtypes, lengths), own their data and
  are independent of each other and of later calls;
- ``_vocab_ext.word_counts`` reads a token's base id and lexicon weights from one 32-byte record
  per table row (``features.extract._word_records``) when the scorer's arrays are read-only: the
  same ``WordCounts`` as the three-array path and as the numpy form, bit for bit;
- the records are a snapshot of the weights, so a changed weight must be seen: the scorer's
  weights are read-only (writing into them raises), a replaced weights array gets new records,
  and a writeable one is read directly (no snapshot).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages
from test_ext_vocab import (
    LEXICON_WORDS,
    ODD,
    _assert_counts_equal,
    _both,
    _counts,
    _random_blocks,
    _scorer,
    needs,
)

from features import extract, tokens
from features.extract import _word_records
from features.lexical import LEXICAL_COLUMNS, LexicalScorer
from features.tokens import tokenize_cp

TOKENS_KERNEL, VOCAB_KERNEL = "features._tokens_ext", "features._vocab_ext"
FIELDS = ("starts", "ends", "hashes", "lengths", "digits", "newline")
# Texts whose token arrays end at every kind of edge: no token, one, a token at the very end,
# an apostrophe at the ends, non-BMP and combining marks, lone surrogates, odd white space.
EDGE_TEXTS = ["", " ", "a", "$", "\n", "\n\n", "...", "a'", "'a", "a'b", "a''b", "don\u2019t x", "12 3a 4'5",
              "caf\u00e9 e\u0301t\u00e9 \U0001d400\U0001d401 x", "\ud800a\udfff", "\u00a0\u2028\u3000word",
              "x" * 100_000, "ab " * 50_000, "$$ 5$ \n $"]


def _cp(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _assert_tokens_equal(got: tokens.TokenBatch, want: tokens.TokenBatch) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name


def _random_text(rng: np.random.Generator, size: int) -> str:
    pool = LEXICON_WORDS + ODD + ["\n", "'", "\u2019", "$", " ", "  ", "\u0301", "\U0001f600"]
    return "".join(rng.choice(pool, size=size))


@pytest.mark.parametrize("text", EDGE_TEXTS, ids=range(len(EDGE_TEXTS)))
def test_tokenize_kernel_equals_numpy_and_owns_its_arrays(text: str) -> None:
    needs(TOKENS_KERNEL)
    cp = _cp(text)
    got = tokenize_cp(cp)
    if len(cp):
        _assert_tokens_equal(got, tokens._tokenize_numpy(cp))
    arrays = [getattr(got, name) for name in ("starts", "ends", "hashes", "digits", "newline")]
    # Shrunk in place: each array owns exactly its k entries, none shares memory with another.
    assert all(a.flags.owndata and a.flags.writeable and a.flags.c_contiguous for a in arrays)
    assert all(len(a) == len(got) for a in arrays)
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)


def test_tokenize_kernel_random_texts_and_later_calls() -> None:
    """Random texts of many sizes; an earlier result is not changed by later calls."""
    needs(TOKENS_KERNEL)
    rng = np.random.default_rng(11)
    kept = []
    for size in [1, 2, 3, 5, 17, 100, 1000, 20_000] * 4:
        cp = _cp(_random_text(rng, size))
        got = tokenize_cp(cp)
        _assert_tokens_equal(got, tokens._tokenize_numpy(cp))
        kept.append((cp, got, got.starts.copy(), got.hashes.copy()))
    for _, got, starts, hashes in kept:
        assert np.array_equal(got.starts, starts) and np.array_equal(got.hashes, hashes)


def test_tokenize_kernel_on_bench_pages() -> None:
    needs(TOKENS_KERNEL)
    for page in bench_pages(200):
        cp = _cp(page.text.lower())
        _assert_tokens_equal(tokenize_cp(cp), tokens._tokenize_numpy(cp))


def _random_scorer(seed: int, words: list[str]) -> LexicalScorer:
    """Weights over many magnitudes (float64 sums that round), so a wrong order or row shows."""
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((len(words) + 1, LEXICAL_COLUMNS)) * 10.0 ** rng.integers(
        -8, 8, size=(len(words) + 1, LEXICAL_COLUMNS))
    return LexicalScorer(words, weights.astype(np.float32), rng.standard_normal(LEXICAL_COLUMNS).astype(np.float32))


def _without_records(monkeypatch: pytest.MonkeyPatch, texts: list[str], lexical: LexicalScorer):
    """``_counts`` with the kernel reading the three arrays (no records)."""
    with monkeypatch.context() as m:
        m.setattr(extract, "_word_records", lambda *args: None)
        return _counts(texts, lexical)


@pytest.mark.parametrize("seed", range(4))
def test_records_path_equals_arrays_and_numpy(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(VOCAB_KERNEL)
    words = LEXICON_WORDS + [f"w{i}" for i in range(300)]
    lexical = _random_scorer(seed, words)
    table, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    assert _word_records(base_id, lex_row, lexical.weights) is not None  # the records path is taken
    rng = np.random.default_rng(100 + seed)
    pool = words + ODD
    texts = [" ".join(rng.choice(pool, size=int(rng.integers(0, 200)))) for _ in range(150)]
    texts += _random_blocks(seed, 40, 30, 0.3)
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    _assert_counts_equal(got, _without_records(monkeypatch, texts, lexical))


@pytest.mark.parametrize("texts", [[], [""], ["reply"], ["", "the of", ""], ["the " * 20_000]], ids=range(5))
def test_records_path_edge_batches(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    needs(VOCAB_KERNEL)
    lexical = _random_scorer(9, LEXICON_WORDS)
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    _assert_counts_equal(got, _without_records(monkeypatch, texts, lexical))


def test_records_path_shipped_lexicon_on_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(VOCAB_KERNEL)
    lexical = _scorer()
    if lexical is None:
        pytest.skip("the shipped model is not present")
    pages = bench_pages(120)
    for i in range(0, len(pages), 40):
        texts = [block for page in pages[i: i + 40] for block in page.text.split("\n")]
        got, want = _both(_counts, monkeypatch, texts, lexical)
        _assert_counts_equal(got, want)
        _assert_counts_equal(got, _without_records(monkeypatch, texts, lexical))


def test_records_hold_the_rows() -> None:
    """Each record: the row's base id, then its lexicon weights; cache-line aligned, read-only."""
    lexical = _random_scorer(3, LEXICON_WORDS)
    _, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    rec = _word_records(base_id, lex_row, lexical.weights)
    assert rec is not None and rec.shape == (len(base_id), 32) and not rec.flags.writeable
    assert rec.ctypes.data % 64 == 0
    assert np.array_equal(np.ascontiguousarray(rec[:, :8]).view(np.int64).ravel(), base_id)
    weights = np.ascontiguousarray(rec[:, 8: 8 + 4 * LEXICAL_COLUMNS]).view(np.float32)
    assert weights.tobytes() == lexical.weights[lex_row].tobytes()
    assert _word_records(base_id, lex_row, lexical.weights) is rec  # kept while nothing changed


def test_records_decline_what_could_change_or_does_not_fit() -> None:
    lexical = _random_scorer(4, LEXICON_WORDS)
    _, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    w = lexical.weights
    assert _word_records(base_id, lex_row, w.copy()) is None  # writeable: could change under a snapshot
    view = w.copy()
    view.flags.writeable = False
    assert _word_records(base_id, lex_row, view[:]) is None  # a read-only view of a writeable array
    assert _word_records(base_id, lex_row.copy(), w) is None  # writeable
    for bad in (np.full(len(lex_row), len(w)), np.full(len(lex_row), -1)):
        bad.flags.writeable = False
        assert _word_records(base_id, bad, w) is None  # out of range: the arrays decide (numpy's error)
    wide = np.zeros((len(w), 7), dtype=np.float32)
    wide.flags.writeable = False
    assert _word_records(base_id, lex_row, wide) is None  # 8 + 7 * 4 bytes do not fit a record


def test_kernel_declines_records_that_do_not_fit() -> None:
    mod = needs(VOCAB_KERNEL)
    lexical = _random_scorer(5, LEXICON_WORDS)
    table, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    tb = tokens.tokenize("the cat\nsat on the mat")
    key = table.lookup(tb.hashes)
    rec = _word_records(base_id, lex_row, lexical.weights)

    def call(records, lex=True):
        return mod.word_counts(key, tb.digits.view(np.uint8), tb.newline.view(np.uint8), tb.lengths, 2, base_id,
                               extract._FUNCTION_WORD_OF, extract._VOCAB[extract.NUM_TOKEN], extract._PATTERN_OF,
                               len(extract._PATTERNS), *extract._NG_MEMBERS, *extract._NG_CODES, extract._VSIZE,
                               len(extract._PHRASE_NAMES), extract._CHROME_FIRST, lex_row if lex else None,
                               lexical.weights if lex else None, records)

    assert call(rec) is not None
    assert call(rec[:-1]) is None  # a row short
    assert call(np.zeros((len(base_id), 16), dtype=np.uint8)) is None  # records of another size
    assert call(rec, lex=False) is None  # records without the lexicon
    bad = rec.copy()
    bad[:, :8] = np.full(len(bad), extract._VSIZE, dtype=np.int64).view(np.uint8).reshape(-1, 8)
    assert call(bad) is None  # a base id beyond the vocabulary


def test_a_changed_weight_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The records are a snapshot: every way of changing the weights must reach the sums."""
    needs(VOCAB_KERNEL)
    words = LEXICON_WORDS + ["zebra"]
    lexical = _random_scorer(6, words)
    texts = ["zebra the zebra", "", "of zebra"]
    before = _counts(texts, lexical).lexical_sums
    row = lexical.vocab["zebra"]
    # Writing into the scorer's weights is refused (it would go stale in the records).
    with pytest.raises(ValueError):
        lexical.weights[row, 0] = 1e6
    assert not lexical.weights.flags.writeable
    # Replaced weights (what training does): new records, the new weight counts.
    new = lexical.weights.copy()
    new[row, 0] += np.float32(1000.0)
    new.flags.writeable = False
    lexical.weights = new
    after = _counts(texts, lexical)
    assert after.lexical_sums[0, 0] != before[0, 0] and after.lexical_sums[1:, 1:].tobytes() == before[1:, 1:].tobytes()
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    # A writeable array assigned and then written into: no snapshot, each change is seen.
    lexical.weights = lexical.weights.copy()
    lexical.weights[row, 1] = np.float32(-5e5)
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    assert got.lexical_sums[0, 1] < -9e5
    lexical.weights[row, 1] = np.float32(7.0)
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    assert got.lexical_sums[0, 1] > -1e5


def test_training_a_used_scorer_sees_its_new_spam_column() -> None:
    """training.lexicon.fit_spam_column on a scorer the feature pass has used (its records
    built): the next feature pass sees the new column, as a fresh scorer with those weights does."""
    from test_lexicon import HAM, SPAM, _pages

    from features.extract import FEATURE_NAMES
    from features.extract import extract as extract_features
    from features.lexical import LEXICAL_LABELS
    from training import lexicon

    texts, y, groups = _pages()
    scorer, oof = lexicon.fit_with_oof(texts, y, groups, seed=0, folds=3)  # spam column all zero
    probe = ["cheap pills click my link now", "i agree with the article about the council"]
    j = FEATURE_NAMES.index("lex_spam_vs_comment")
    before = extract_features(probe, scorer).X
    assert not before[:, j].any()
    _, vec = lexicon.block_matrix(texts)
    examples = [(t, True) for t in SPAM] + [(t, False) for t in HAM]
    lexicon.fit_spam_column(scorer, vec.vocabulary_, texts, y, groups, oof, examples, seed=0, folds=3)
    assert scorer.weights[:, LEXICAL_LABELS].any() and not scorer.weights.flags.writeable
    after = extract_features(probe, scorer).X
    fresh = extract_features(probe, LexicalScorer(scorer.words, scorer.weights, scorer.bias)).X
    assert after.tobytes() == fresh.tobytes()
    assert after[0, j] > after[1, j]
