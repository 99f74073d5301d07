"""The compiled word pass (features/_vocab_ext.pyx) gives its numpy twins' output.

``HashVocab.lookup`` (rows, dtype included) and ``features.extract._word_counts`` (every
``WordCounts`` field: function words, word counts, length and lexicon sums bit for bit, word-class
patterns, phrase families, first-token chrome) are called with the kernel and with the numpy form
(the module handles set to None) on the same inputs: random text over the lexicon's own words
(so phrases, chrome words, digits and function words turn up often) mixed with awkward characters,
edge cases (no blocks, empty blocks, one block, a very long block, blocks with a newline of their
own) and the bench pages when ``../shared/corpora`` is there (or ``NEWSWINNOW_CORPORA`` names it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages, with_and_without

from classifier import Classifier
from features import ext, extract, lexicons, tokens
from features.extract import WordCounts, _word_counts, local_features
from features.lexical import LexicalScorer
from features.tokens import HashVocab, tokenize

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "data" / "model-text.json"
KERNEL = "features._vocab_ext"
# Words that make features fire: every phrase's words, chrome first words, function words, digits.
LEXICON_WORDS = sorted({w for phrases in lexicons.PHRASES.values() for ph in phrases for w in ph.split()}
                       | set(lexicons.CHROME_FIRST_WORDS) | {"the", "of", "don't", "don\u2019t", "i", "you"})
# Whole phrases too (each a 2- or 3-word n-gram), so every family fires, also across block ends.
PHRASES = sorted({ph for phrases in lexicons.PHRASES.values() for ph in phrases})
ODD = ["2012", "007", "\u0661\u0662", "$", "$5", "\u00e9t\u00e9", "\U0001d400x", "zzq", "a'b", "\ud800", "_",
       "\u00a0", "\u2028", "..."]
# A block text is a sentence of these separated by spaces, punctuation or odd white space.
SEPARATORS = [" ", "  ", ", ", ". ", "! ", "\t", "\u00a0", " - "]


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _random_blocks(seed: int, count: int, max_words: int, empty_share: float = 0.1) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = LEXICON_WORDS * 2 + PHRASES * 2 + ODD
    blocks = []
    for _ in range(count):
        if rng.random() < empty_share:
            blocks.append(rng.choice(["", " ", "...", "\u00a0"]))
            continue
        words = rng.choice(pool, size=int(rng.integers(1, max_words + 1)))
        seps = rng.choice(SEPARATORS, size=len(words))
        text = "".join(w + s for w, s in zip(words, seps))
        blocks.append(text.title() if rng.random() < 0.3 else text)
    return blocks


_SCORER: list[LexicalScorer | None] = []


def _scorer() -> LexicalScorer | None:
    """The shipped model's lexicon (None when the model file is absent)."""
    if not _SCORER:
        _SCORER.append(Classifier.load(MODEL).model.lexical if MODEL.exists() else None)
    return _SCORER[0]


def _counts(texts: list[str], lexical: LexicalScorer | None) -> WordCounts:
    """``_word_counts`` as ``local_features`` calls it, for blocks ``texts``."""
    tb = tokenize("\n".join(texts).lower())
    if lexical is not None:
        table, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    else:
        table, base_id, lex_row = extract._BASE_TABLE, extract._BASE_IDS, None
    return _word_counts(tb, table.lookup(tb.hashes), base_id, lex_row, lexical, len(texts))


def _both(fn, monkeypatch: pytest.MonkeyPatch, *args):
    """``fn(*args)`` with the kernel, then with the numpy forms."""
    return with_and_without(fn, monkeypatch, [(tokens, "_VOCAB_EXT"), (extract, "_VOCAB_EXT")], *args)


def _assert_counts_equal(got: WordCounts, want: WordCounts) -> None:
    for name in WordCounts._fields:
        a, b = getattr(got, name), getattr(want, name)
        if b is None:
            assert a is None, name
            continue
        assert a.dtype == b.dtype and a.shape == b.shape, name
        # Bit for bit (array_equal would let -0.0 == 0.0 through): compare the bytes.
        assert a.tobytes() == b.tobytes(), name


def _bench_texts(limit: int) -> list[list[str]]:
    return [p.text.split("\n") for p in bench_pages(limit)]


EDGE_BLOCKS = [
    [], [""], ["", ""], ["", "", "reply"], ["reply", "", ""], ["x"], ["2012"], ["$"], ["the"],
    ["posted by", "", "  ", "reply"], [" reply to this"], ["\u00a0report"],
    ["the " * 20_000 + "of the"], ["no", "matter", "what"],
]


@pytest.mark.parametrize("with_lexicon", [False, True], ids=["base", "lexicon"])
@pytest.mark.parametrize("texts", EDGE_BLOCKS + [_random_blocks(1, 60, 12), _random_blocks(2, 400, 40, 0.3),
                                                 _random_blocks(3, 3, 3000)], ids=lambda t: f"{len(t)}_blocks")
def test_word_counts_kernel_equals_numpy(texts: list[str], with_lexicon: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(KERNEL)
    lexical = _scorer() if with_lexicon else None
    if with_lexicon and lexical is None:
        pytest.skip(f"{MODEL} is not present")
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)


def test_word_counts_many_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of batches of a few short blocks: phrases across block ends, empty blocks at both ends."""
    needs(KERNEL)
    rng = np.random.default_rng(4)
    for seed in range(300):
        texts = _random_blocks(100 + seed, int(rng.integers(1, 6)), 4, 0.3)
        got, want = _both(_counts, monkeypatch, texts, None)
        _assert_counts_equal(got, want)


def test_random_lexicon_sums_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lexicon of random weights spanning many magnitudes (float64 sums that round): the
    kernel adds in the numpy form's order, so the sums are the same bits."""
    needs(KERNEL)
    rng = np.random.default_rng(5)
    words = LEXICON_WORDS + [f"w{i}" for i in range(500)]
    weights = (rng.standard_normal((len(words) + 1, 5)) * 10.0 ** rng.integers(-8, 8, size=(len(words) + 1, 5)))
    lexical = LexicalScorer(words, weights.astype(np.float32), rng.standard_normal(5).astype(np.float32))
    pool = words + ODD
    texts = [" ".join(rng.choice(pool, size=int(rng.integers(0, 300)))) for _ in range(200)]
    got, want = _both(_counts, monkeypatch, texts, lexical)
    _assert_counts_equal(got, want)
    # ... and the lexicon columns finished from those sums are score_rows' columns.
    tb = tokenize("\n".join(texts).lower())
    table, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    key = table.lookup(tb.hashes)
    word = ~tb.newline
    blk = np.cumsum(tb.newline)[word]
    want_cols = lexical.score_rows(lex_row[key[word]], blk, len(texts))
    assert lexical.from_sums(got.lexical_sums, got.words).tobytes() == want_cols.tobytes()


def test_blocks_with_their_own_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newline inside a block shifts later words past the last block: the kernel declines
    (None) and the numpy form gives what it gives (its error), the same either way."""
    mod = needs(KERNEL)
    for texts in (["a\nb"], ["a\n"], ["one", "two\nthree", "four"]):
        try:
            want = ("ok", _both(_counts, monkeypatch, texts, None))
        except ValueError as e:  # the numpy form's bincount is longer than the blocks
            want = ("error", type(e))
        if want[0] == "ok":
            _assert_counts_equal(*want[1])
        else:
            with pytest.raises(want[1]):
                _counts(texts, None)
    # A trailing newline token past the last block is no word: counted as the numpy form does.
    got, want = _both(_counts, monkeypatch, ["reply\n"], None)
    _assert_counts_equal(got, want)
    tb = tokenize("a\nb")
    key = extract._BASE_TABLE.lookup(tb.hashes)
    assert _kernel_args_call(mod, tb, key, extract._BASE_IDS, 1) is None


def _kernel_args_call(mod, tb: tokens.TokenBatch, key: np.ndarray, base_id: np.ndarray, n: int):
    return mod.word_counts(key, tb.digits.view(np.uint8), tb.newline.view(np.uint8), tb.lengths, n, base_id,
                           extract._FUNCTION_WORD_OF, extract._VOCAB[extract.NUM_TOKEN], extract._PATTERN_OF,
                           len(extract._PATTERNS), *extract._NG_MEMBERS, *extract._NG_CODES, extract._VSIZE,
                           len(extract._PHRASE_NAMES), extract._CHROME_FIRST, None, None)


def test_word_counts_out_of_range_inputs_decline() -> None:
    """Keys or ids beyond their tables, inconsistent lengths: None, never a read past an array."""
    mod = needs(KERNEL)
    tb = tokenize("the cat\nsat on the mat")
    key = extract._BASE_TABLE.lookup(tb.hashes)
    assert _kernel_args_call(mod, tb, key, extract._BASE_IDS, 2) is not None
    assert _kernel_args_call(mod, tb, key + len(extract._BASE_IDS), extract._BASE_IDS, 2) is None
    assert _kernel_args_call(mod, tb, key - 1, extract._BASE_IDS, 2) is None
    bad_ids = extract._BASE_IDS.copy()
    bad_ids[1:] = extract._VSIZE
    assert _kernel_args_call(mod, tb, key, bad_ids, 2) is None
    short = tokens.TokenBatch(tb.starts[:-1], tb.ends[:-1], tb.hashes[:-1], tb.digits[:-1], tb.newline[:-1])
    assert _kernel_args_call(mod, short, key, extract._BASE_IDS, 2) is None


def test_lookup_kernel_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables of several sizes (many probe rounds among them), hashes that are keys, strangers,
    hashes landing on occupied slots, and the empty table / empty batch."""
    needs(KERNEL)
    rng = np.random.default_rng(6)
    for n_words in (0, 1, 5, 300, 20_000):
        words = [f"w{i}\u00e9" if i % 3 else f"{i}x" for i in range(n_words)] + ["the", "the"]
        table = HashVocab(words)
        keys = table._keys[table._used]
        strangers = rng.integers(0, 2**64, size=5000, dtype=np.uint64)
        # Strangers whose first slot is taken: the probe walks on (and stops after _probes slots).
        crowded = keys[rng.integers(0, len(keys), size=2000)] ^ np.uint64(1 << 63)
        hashes = np.concatenate((keys, strangers, crowded, np.zeros(3, dtype=np.uint64)))
        rng.shuffle(hashes)
        for h in (hashes, hashes[:0], hashes[::3]):
            got, want = _both(table.lookup, monkeypatch, h)
            assert got.dtype == want.dtype == np.int64 and got.shape == want.shape
            np.testing.assert_array_equal(got, want)


def test_lookup_other_inputs_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes of another dtype or shape take the numpy form; a table whose arrays do not fit
    together is declined by the kernel."""
    mod = needs(KERNEL)
    table = HashVocab(["a", "b", "c"])
    h = tokenize("a b zz c").hashes
    for args in (h.astype(np.int64), h.reshape(2, 2), h[::2]):
        outcomes = []
        for handle in (mod, None):
            monkeypatch.setattr(tokens, "_VOCAB_EXT", handle)
            try:
                outcomes.append(("ok", table.lookup(args)))
            except (TypeError, ValueError, IndexError) as e:  # the numpy form's error, either way
                outcomes.append(("error", type(e)))
        monkeypatch.undo()
        (kind_k, got), (kind_n, want) = outcomes
        assert kind_k == kind_n
        if kind_k == "ok":
            np.testing.assert_array_equal(got, want)
        else:
            assert got is want
    used = table._used.view(np.uint8)
    assert mod.lookup(h, table._keys[:-1], table._rows, used, int(table._MIX), int(table._shift), 1) is None
    assert mod.lookup(h, table._keys, table._rows, used, int(table._MIX), int(table._shift) + 1, 1) is None
    assert mod.lookup(h, table._keys, table._rows, used, int(table._MIX), int(table._shift), 0) is None


def test_local_features_identical_with_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole local feature matrix (lexicon columns included) and the function words."""
    needs(KERNEL)
    lexical = _scorer()
    texts = _random_blocks(7, 300, 25, 0.2) + EDGE_BLOCKS[-5]
    for lex in (None, lexical):
        (f_k, pf_k), (f_n, pf_n) = _both(local_features, monkeypatch, texts, None, lex)
        assert f_k.tobytes() == f_n.tobytes()
        np.testing.assert_array_equal(pf_k.tokens.function_words, pf_n.tokens.function_words)


def test_bench_pages_local_features(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real pages, in batches as the classifier makes them, with the shipped lexicon: the
    local feature matrix and the function words are the same with the kernel and without."""
    needs(KERNEL)
    lexical = _scorer()
    pages = _bench_texts(400)
    batches = [sum(pages[i: i + 64], []) for i in range(0, len(pages), 64)]
    for texts in batches:
        (f_k, pf_k), (f_n, pf_n) = _both(local_features, monkeypatch, texts, None, lexical)
        assert f_k.tobytes() == f_n.tobytes()
        np.testing.assert_array_equal(pf_k.tokens.function_words, pf_n.tokens.function_words)
        got, want = _both(_counts, monkeypatch, texts, lexical)
        _assert_counts_equal(got, want)


def test_word_counts_other_dtypes_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs the kernel does not take (lexicon weights of another dtype, keys of another
    dtype, non-contiguous token arrays) give the numpy form's answer, not an error."""
    needs(KERNEL)
    lexical = _scorer()
    if lexical is None:
        pytest.skip(f"{MODEL} is not present")
    texts = _random_blocks(8, 50, 20)
    tb = tokenize("\n".join(texts).lower())
    table, base_id, lex_row = lexical.merged_vocab(extract._VOCAB)
    key = table.lookup(tb.hashes)
    odd = LexicalScorer(lexical.words, lexical.weights, lexical.bias)
    odd.weights = lexical.weights.astype(np.float64)
    strided = tokens.TokenBatch(tb.starts, tb.ends, tb.hashes, np.repeat(tb.digits, 2)[::2],
                                np.repeat(tb.newline, 2)[::2])
    for batch, k, lex in ((tb, key, odd), (tb, key.astype(np.int32), lexical), (strided, key, lexical)):
        got, want = _both(_word_counts, monkeypatch, batch, k, base_id, lex_row, lex, len(texts))
        _assert_counts_equal(got, want)


@pytest.mark.parametrize("n, bits, seed", [(0, 4, 0), (1, 4, 1), (12, 4, 2), (16, 4, 3), (300, 9, 4), (5000, 15, 5)])
def test_insert_kernel_equals_numpy_rounds(n: int, bits: int, seed: int) -> None:
    """The table's build: the same slots and round count as the numpy rounds, also when keys
    crowd into few home slots (long probe runs, wrapping at the end) and when the table is full."""
    kernel = needs(KERNEL)
    rng = np.random.default_rng(seed)
    size = 1 << bits
    keys = rng.integers(0, 2**63, size=n, dtype=np.uint64)
    rows = np.arange(1, n + 1, dtype=np.int64)
    for slots in (rng.integers(0, size, size=n), rng.integers(size - 3, size, size=n), np.zeros(n, dtype=np.int64)):
        slots = slots.astype(np.int64)
        got = kernel.insert(keys, rows, slots.copy(), size)
        want = tokens._insert_numpy(keys, rows, slots.copy(), size)
        for g, w in zip(got[:3], want[:3]):
            assert g.dtype == w.dtype and np.array_equal(g, w)
        assert got[3] == want[3]


def test_insert_declines_what_does_not_fit() -> None:
    """Inputs the loop cannot take (a size not a power of two, more keys than slots, slots out of
    range, lengths that differ) give None, and ``HashVocab`` then builds in numpy."""
    kernel = needs(KERNEL)
    keys = np.arange(3, dtype=np.uint64)
    rows = np.arange(1, 4, dtype=np.int64)
    assert kernel.insert(keys, rows, np.zeros(3, dtype=np.int64), 12) is None
    assert kernel.insert(keys, rows, np.zeros(3, dtype=np.int64), 2) is None
    assert kernel.insert(keys, rows, np.array([0, 1, 16], dtype=np.int64), 16) is None
    assert kernel.insert(keys, rows, np.array([0, -1, 1], dtype=np.int64), 16) is None
    assert kernel.insert(keys, rows[:2], np.zeros(3, dtype=np.int64), 16) is None


def test_hashvocab_build_same_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model's merged vocabulary: the same table arrays and probe count either way."""
    needs(KERNEL)
    clf = Classifier.load(MODEL)
    words = [w for w in dict.fromkeys((*extract._VOCAB, *clf.model.lexical.words)) if w]
    built = with_and_without(lambda: HashVocab(words), monkeypatch, [(tokens, "_VOCAB_EXT")])
    a, b = built
    for name in ("_keys", "_rows", "_used"):
        assert getattr(a, name).dtype == getattr(b, name).dtype
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a._probes == b._probes
