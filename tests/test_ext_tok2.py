"""Session 21's ``_tokens_ext.tokenize_cp`` (64-character masks, ASCII by byte ranges, hashes by
rows of powers) gives the numpy form's tokens, bit for bit; and ``_vocab_ext.word_counts``
(phrase candidates from and-ed member flags, the phrase code's family by a branch-free binary
search) gives the numpy form's word counts.

The kernel classifies 16 characters at a time by byte ranges when they are all ASCII and the
table agrees there, else by one table byte each; tokens come from bit arithmetic on 64-bit
masks (joins over an apostrophe, starts and ends across mask edges); hashes of tokens of up to
8 / 16 characters come from a row of powers read past the token's end (times 0), longer ones
and those near the text's end by Horner's rule. So the tests cover: every code point in
several neighbourhoods (exhaustive), tokens and apostrophes at every offset around the 16- and
64-character edges, texts ending inside the 8 / 16 reads, a table whose ASCII part differs
from the byte ranges (the table path must then be taken), random mixed texts and the bench
pages.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_vocab import _assert_counts_equal, _both, _counts, _scorer

from features import extract, lexicons, tokens
from features.tokens import _tokenize_numpy, tokenize_cp

KERNEL = "features._tokens_ext"
VOCAB_KERNEL = "features._vocab_ext"
FIELDS = ("starts", "ends", "hashes", "lengths", "digits", "newline")
CODE_SPACE = 0x110000
# Neighbours that change how a character tokenises: word characters (ASCII and not), both
# apostrophes, a digit, the single-character tokens, white space.
NEIGHBOURS = ["a", "1", "'", "\u2019", "$", "\n", " ", "\u00e9", "\u0661", "_"]


def _cp(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _assert_same(cp: np.ndarray) -> None:
    got, want = tokenize_cp(cp), _tokenize_numpy(cp)
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name


def _every_code_point() -> np.ndarray:
    return np.arange(CODE_SPACE, dtype=np.uint32)


def test_every_code_point_alone_and_in_runs() -> None:
    """All code points in order (runs of word characters, every class next to its neighbours
    in code point order), and each one alone between spaces."""
    needs(KERNEL)
    everything = _every_code_point()
    _assert_same(everything)
    spaced = np.full(2 * CODE_SPACE, ord(" "), dtype=np.uint32)
    spaced[::2] = everything
    _assert_same(spaced)


@pytest.mark.parametrize("left", NEIGHBOURS)
@pytest.mark.parametrize("right", ["a", "'", "\u2019", "1", " "])
def test_every_code_point_between_neighbours(left: str, right: str) -> None:
    """Every code point c as ``left c right`` (so each is tried after and before word
    characters, apostrophes, digits, singles and spaces), all in one text."""
    needs(KERNEL)
    cp = np.empty(3 * CODE_SPACE, dtype=np.uint32)
    cp[0::3] = ord(left)
    cp[1::3] = _every_code_point()
    cp[2::3] = ord(right)
    _assert_same(cp)


def test_every_code_point_in_a_word_with_apostrophes() -> None:
    """``a c ' c b``: a joined apostrophe's neighbours are every code point."""
    needs(KERNEL)
    cp = np.empty(5 * CODE_SPACE, dtype=np.uint32)
    cp[0::5] = ord("a")
    cp[1::5] = _every_code_point()
    cp[2::5] = ord("'")
    cp[3::5] = _every_code_point()[::-1]
    cp[4::5] = ord("b")
    _assert_same(cp)


@pytest.mark.parametrize("offset", range(0, 70))
def test_tokens_and_apostrophes_at_every_edge_offset(offset: int) -> None:
    """A token, an apostrophe join, a single and a long token starting at each offset around
    the 16- and 64-character edges, in ASCII groups and in groups with one non-ASCII letter."""
    needs(KERNEL)
    for filler in (" ", "\u00e9", "a", "'"):
        for body in ("don't", "a'b", "'x'", "$", "\n", "12'3", "x" * 17, "y" * 65, "\u00e9t\u00e9'\u00e9", "a''b"):
            for tail in ("", " ", "'", "a", "\n"):
                _assert_same(_cp(filler * offset + body + tail))
                _assert_same(_cp(filler * offset + body + tail + " " * 40))


@pytest.mark.parametrize("length", range(1, 40))
def test_token_lengths_near_the_end_of_the_text(length: int) -> None:
    """Tokens of 1..39 characters ending at, or just before, the text's end (the 8 / 16 reads
    past a token's end must stay inside the text, else Horner's rule)."""
    needs(KERNEL)
    rng = np.random.default_rng(length)
    for after in range(0, 20):
        word = "".join(rng.choice(list("abc1\u00e9\U0001d400"), size=length))
        _assert_same(_cp(word + " " * after))
        _assert_same(_cp("q " + word + "'" + word + "$" * after))
        _assert_same(_cp("7" * length + "x" * after))


def _random_text(rng: np.random.Generator, size: int, non_ascii: float) -> str:
    ascii_pool = list("abcxyzABZ019_ '$\n.,-\t") + ["  ", "don't", "it's", "12", "$5"]
    other = ["\u2019", "\u00e9", "\u0301", "\u0661", "\u00b2", "\u00bd", "\u0130", "\u00df", "\u03c3", "\u00a0",
             "\u2028", "\u3000", "\U0001d400", "\U0001f600", "\ud800", "\udfff", "\u4e2d\u6587"]
    picks = rng.random(size) < non_ascii
    return "".join(other[rng.integers(len(other))] if p else ascii_pool[rng.integers(len(ascii_pool))]
                   for p in picks)


@pytest.mark.parametrize("non_ascii", [0.0, 0.001, 0.02, 0.3, 1.0])
def test_random_texts(non_ascii: float) -> None:
    needs(KERNEL)
    rng = np.random.default_rng(int(non_ascii * 1000) + 5)
    for size in [1, 2, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 30_000]:
        for _ in range(3):
            _assert_same(_cp(_random_text(rng, size, non_ascii)))


def test_a_table_whose_ascii_part_differs_takes_the_table_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a table where "_" is no word character and "x" is a digit, the kernel must follow
    the table (not its byte ranges): the numpy form on the same table is the reference."""
    needs(KERNEL)
    bits = tokens._CHAR_BITS.copy()
    bits[ord("_")] = 0
    bits[ord("x")] |= tokens._DIGIT_BIT
    monkeypatch.setattr(tokens, "_CHAR_BITS", bits)
    text = "snake_case_words and xx11 x1x 1x " * 50 + "tail_x"
    got, want = tokenize_cp(_cp(text)), _tokenize_numpy(_cp(text))
    assert np.array_equal(got.starts, want.starts) and np.array_equal(got.digits, want.digits)
    assert want.digits.any() and len(want) > text.count(" ")  # the changed table was used
    _assert_same(_cp(text))


def test_kernel_declines_what_it_does_not_handle() -> None:
    """A code point beyond the table, or a class bit that is not one bit: None (numpy decides)."""
    mod = needs(KERNEL)
    args = (tokens._CHAR_BITS, tokens._WORD_BIT, tokens._DIGIT_BIT, tokens._APOS_BIT, tokens._SINGLE_BIT)
    for bad in ([CODE_SPACE], [ord("a")] * 20 + [CODE_SPACE] + [ord("b")] * 50, [0xFFFFFFFF] * 16):
        assert mod.tokenize_cp(np.array(bad, dtype=np.uint32), *args) is None
    assert mod.tokenize_cp(_cp("ab"), tokens._CHAR_BITS, 3, 2, 4, 8) is None
    assert mod.tokenize_cp(_cp("ab"), tokens._CHAR_BITS, 1, 0, 4, 8) is None
    with pytest.raises(IndexError):
        tokenize_cp(np.array([ord("a"), CODE_SPACE], dtype=np.uint32))


def test_arrays_are_owned_and_exact() -> None:
    mod = needs(KERNEL)
    args = (tokens._CHAR_BITS, tokens._WORD_BIT, tokens._DIGIT_BIT, tokens._APOS_BIT, tokens._SINGLE_BIT)
    for text in ("", " ", "a b", "x" * 1000):
        arrays = mod.tokenize_cp(_cp(text), *args)
        assert all(a.flags.owndata and a.flags.c_contiguous and a.flags.writeable for a in arrays)
        assert len({len(a) for a in arrays}) == 1 and len(arrays) == 6
        assert np.array_equal(arrays[5], arrays[1] - arrays[0]) and arrays[5].dtype == np.int64


def test_bench_pages() -> None:
    needs(KERNEL)
    pages = bench_pages(400)
    for page in pages:
        _assert_same(_cp(page.text.lower()))
    _assert_same(_cp("\n".join(p.text for p in pages).lower()))


# Each phrase's words, and words that are members of some phrase at some position, so that
# candidate pairs / triples abound whose codes are no phrase (the search's misses: below,
# between and above the codes) beside the phrases themselves (its hits).
PHRASES = sorted({ph for phrases in lexicons.PHRASES.values() for ph in phrases})
MEMBERS = sorted({w for ph in PHRASES for w in ph.split()})


@pytest.mark.parametrize("with_lexicon", [False, True], ids=["base", "lexicon"])
def test_word_counts_every_phrase_and_near_misses(with_lexicon: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(VOCAB_KERNEL)
    lexical = _scorer() if with_lexicon else None
    if with_lexicon and lexical is None:
        pytest.skip("the shipped model is absent")
    rng = np.random.default_rng(21)
    blocks = list(PHRASES)  # every phrase alone in its block (each family's code a hit)
    blocks.append(" ".join(PHRASES))  # all of them in one block, joined by their neighbours
    # Each phrase with one word a number: the "<num>" id is no member (such phrases never
    # fire), so the member flags, not only the codes, decide.
    blocks += [" ".join("2012" if k == j else w for k, w in enumerate(ph.split()))
               for ph in PHRASES for j in range(len(ph.split()))]
    pool = MEMBERS + ["7", "2012", "x"]
    for _ in range(300):  # member words at random: candidates whose codes are mostly no phrase
        blocks.append(" ".join(rng.choice(pool, size=int(rng.integers(1, 12)))))
    blocks += ["", " ".join(MEMBERS), " ".join(reversed(MEMBERS))]
    got, want = _both(_counts, monkeypatch, blocks, lexical)
    _assert_counts_equal(got, want)
    assert want.phrases.sum() > len(PHRASES)  # the phrases were found (both forms)
    assert all(len(c) for c in extract._NG_CODES)  # (the search runs on non-empty code lists)


def test_word_counts_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(VOCAB_KERNEL)
    texts = [b for p in bench_pages(300) for b in p.text.split("\n")]
    for lexical in (None, _scorer()):
        got, want = _both(_counts, monkeypatch, texts, lexical)
        _assert_counts_equal(got, want)


def test_word_counts_member_flags_are_truth_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel reads a member flag as true when it is not 0 (the flags it is given are bool
    views, 0 / 1; other non-zero flags must count the same phrases, not and their bits)."""
    needs(VOCAB_KERNEL)
    blocks = list(PHRASES) + [" ".join(PHRASES)]
    want = _counts(blocks, None)
    flags = extract._NG_MEMBERS
    for values in ((1, 2, 4, 8, 16), (0xFF, 0x80, 0x40, 0x7F, 2)):  # (bits that do not overlap, or do)
        members = tuple(m * np.uint8(v) for m, v in zip(flags, values))
        monkeypatch.setattr(extract, "_NG_MEMBERS", members)
        _assert_counts_equal(_counts(blocks, None), want)
    assert want.phrases.sum() >= len(PHRASES)
