"""The compiled scan of features.spamctx (features/_spamctx_ext.pyx) gives the numpy forms' output.

``word_spans``, ``_candidates`` and ``family_counts`` are called with the kernel and without it
(``spamctx._SPAMCTX_EXT`` set to None) on random block text, on the awkward cases of a 64-byte
chunked scan (words across chunk edges, at the end of the data, longer than the length cap),
on non-ASCII text, on other lead tables, and on corpus pages: same arrays, dtypes and counts.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages

from features import spamctx, spamshape
from features.spamctx import TABLES, LeadTables, block_layout, build_tables
from features.spamshape import SHAPE_TABLES

ROOT = Path(__file__).resolve().parents[1]
MODULE = "features._spamctx_ext"
CHUNK = 64  # the scan's chunk (bytes classified at once)

# Block text pieces: every lead word, prefix and character of both tables, near-misses, words
# longer than the length cap, non-ASCII letters (2-, 3- and 4-byte UTF-8), combining marks, odd
# whitespace and punctuation.
_PIECES = (
    [w for ws in spamctx.SPAM_LEADS.values() for w in ws]
    + [p for ps in spamctx.SPAM_LEAD_PREFIXES.values() for p in ps]
    + [w for ws in spamshape.SHAPE_LEADS.values() for w in ws]
    + list("".join(spamctx.SPAM_LEAD_CHARS.values()))
    + ["channel", "new", "money", "paid", "up", "me", "4", "100", "$5", "hour", "a", "an", "rapper", "ref=",
       "/join/", ".org", ".ly", "cards", "giftcards", "sub4sub", "follow4follow", "subscribersubscriber",
       "pleasepleaseplease", "x" * 15, "y" * 16, "z" * 17, "w" * 70, "_", "__init__", "B4", "IF", "My",
       "é", "naïve", "ß", "Ⓢⓤⓑ", "𝐬𝐮𝐛", "😀", "e\u0301", "\u00a0", "\u2003", "\t", "\x0b", "\x00", "\x7f",
       "!!!!", "sooooo", "'", "\u201c", "?", "&", "#", "/", "=", "-", ".", ",", "$", "\ud800", "\udfff"]
)


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    from features import ext

    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _both(fn: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """``fn()`` with the kernel, then with the numpy form."""
    kern = needs(MODULE)
    monkeypatch.setattr(spamctx, "_SPAMCTX_EXT", kern)
    a = fn()
    monkeypatch.setattr(spamctx, "_SPAMCTX_EXT", None)
    b = fn()
    monkeypatch.setattr(spamctx, "_SPAMCTX_EXT", kern)
    return a, b


def _same_arrays(a, b) -> None:
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape, (x.dtype, y.dtype, x.shape, y.shape)
        assert np.array_equal(x, y)


def _check(texts: list[str], monkeypatch: pytest.MonkeyPatch,
           tables: tuple[LeadTables, ...] = (TABLES, SHAPE_TABLES)) -> None:
    """Every compiled function against its numpy form on the blocks ``texts``."""
    data, starts, _ = block_layout(texts)
    arr = np.frombuffer(data, dtype=np.uint8)
    _same_arrays(*_both(lambda: tuple(spamctx.word_spans(arr)), monkeypatch))
    for t in tables:
        _same_arrays(*_both(lambda t=t: spamctx._candidates(arr, t), monkeypatch))
        _same_arrays(*_both(lambda t=t: spamctx.family_counts(data, starts, len(texts), t), monkeypatch))
    _same_arrays(*_both(lambda: spamctx.spamctx_columns(texts), monkeypatch))


def _random_block(rng: random.Random, pieces: list[str]) -> str:
    sep = rng.choice([" ", "", " ", "  ", "-", ".", "\t", "\u3000"])
    words = [rng.choice(pieces) for _ in range(rng.randint(0, 14))]
    words = [w.upper() if rng.random() < 0.05 else w for w in words]
    return sep.join(words)


def test_random_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    for size in (1, 2, 3, 7, 64, 300, 2000):
        _check([_random_block(rng, _PIECES) for _ in range(size)], monkeypatch)


def test_random_bytes_and_chunk_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words starting and ending on every offset around the 64-byte chunk edges, and text of
    arbitrary code points (every byte value turns up in the UTF-8)."""
    rng = random.Random(9)
    texts = []
    for lead in ("my channel", "sub4sub", "giftcard", "gofundme", "$5 a day", "/join/", "if i get 5", "i",
                 "subscribersubscriber", "check out my"):
        for pad in range(0, 2 * CHUNK + 3):
            texts.append("x" * pad + lead)
            texts.append("." * pad + lead + "." * (CHUNK - pad % CHUNK))
            texts.append("é" * (pad // 2) + " " + lead)
    _check(texts, monkeypatch)
    for pad in range(0, 2 * CHUNK + 3):  # one block: the word runs to the very end of the data
        _check(["x" * pad + "my channel"], monkeypatch)
        _check(["my " + "y" * pad], monkeypatch)
    for _ in range(20):
        texts = ["".join(chr(rng.choice([rng.randint(0, 0x7f), rng.randint(0x80, 0x10ffff)])) for _ in
                         range(rng.randint(0, 200))).replace("\n", " ") for _ in range(rng.randint(1, 30))]
        _check(texts, monkeypatch)


def test_awkward_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [
        [""], ["", ""], ["", "", ""], ["m"], ["my"], ["$"], ["/"], ["a"], ["x" * CHUNK], ["x" * (CHUNK - 1)],
        ["x" * (CHUNK + 1)], ["/" * (3 * CHUNK)], ["$" * CHUNK + "my" * CHUNK], [" " * 500],
        ["my channel", "", "please subscribe", ""], ["i" * 16, "i" * 17, "if" * 40],
        ["Check out MY channel!!!! http://bit.ly/x?ref=1", "Sub4sub please", "Plain news line.", "$500 a day"],
        ["my channel\nsecond line", "go watch my vids"],  # a newline inside a block
        ["\ud800my channel\udfff", "naïve my channel 😀 please subscribe"],
        # A long block: the candidate buffer grows many times.
        [" ".join(["my channel", "i", "/", "sub4sub", "$"] * 40000)],
    ]
    for texts in cases:
        _check(texts, monkeypatch)


def test_other_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables with lead characters above 127 (compared with single bytes, as numpy does), above
    255 (never a byte), a lead character that is a word byte (its entries inside words, after the
    word's own at a word start), no prefixes and no characters, and eight families."""
    pats = {"a": (r"\bcat\w*", "\u00e9"), "b": (r"\bdog\b", "\u00c3"), "c": (r"[$/]x",)}
    leads = {"a": ("cat", "cats"), "b": ("dog",)}
    variants = [
        build_tables(pats, leads, {"a": ("catt",)}, {"a": "\u00e9", "b": "\u00c3\u20ac", "c": "$/"}),
        build_tables(pats, leads, {}, {}),
        build_tables(pats, leads, {"b": ("dogg", "dogs")}, {"c": "/$", "a": "$"}),
        build_tables({**pats, "d": (r"\bx\w",)}, {**leads, "d": ("x",)}, {}, {"d": "x", "c": "$"}),
        build_tables({f"f{i}": (rf"\bw{i}\b",) for i in range(8)}, {f"f{i}": (f"w{i}",) for i in range(8)},
                     {"f7": ("w7w7",)}, {"f0": "/"}),
    ]
    rng = random.Random(3)
    pieces = ["cat", "cats", "catty", "dog", "dogs", "doggo", "é", "Ã", "€", "$x", "/x", "x", "xx", "caté",
              *(f"w{i}" for i in range(8)), "w7w7w7", "ŵ", " "]
    texts = [_random_block(rng, pieces) for _ in range(400)]
    _check(texts, monkeypatch, tables=tuple(variants))
    counts = spamctx.family_counts(*block_layout(texts)[:2], len(texts), variants[0])
    assert counts.sum() > 100


def test_word_table_must_be_the_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    kern = needs(MODULE)
    other = spamctx._ASCII_WORD_U8.copy()
    other[ord("-")] = 1
    arr = np.frombuffer(b"my channel", dtype=np.uint8)
    with pytest.raises(ValueError):
        kern.word_spans(arr, other, spamctx._MAX_LEN)
    with pytest.raises(ValueError):
        kern.candidates(arr, other, TABLES, spamctx.PREFIX_KEY)


def test_match_past_the_blocks_raises_as_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """``n`` smaller than the blocks of ``data``: both forms raise IndexError."""
    needs(MODULE)
    data, starts, _ = block_layout(["plain", "my channel"])
    for kern in (spamctx._SPAMCTX_EXT, None):
        monkeypatch.setattr(spamctx, "_SPAMCTX_EXT", kern)
        with pytest.raises(IndexError):
            spamctx.family_counts(data, starts, 1)


def _schema_matrices(pages: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """``text_matrix`` of every schema with spam columns (text-7 and text-8 pass word spans
    and folded layouts on): the same matrix with the kernel and without it."""
    from features.extract import extract_batch
    from features.text_schema import TRAINABLE_SCHEMAS, text_matrix

    pf, offsets = extract_batch(pages)
    texts = [t for p in pages for t in p]
    for schema in TRAINABLE_SCHEMAS:
        _same_arrays(*_both(lambda schema=schema: text_matrix(pf.X, texts, offsets[:-1], schema, pf.low_utf8),
                            monkeypatch))


def test_schema_matrices(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    pages = [[_random_block(rng, _PIECES) for _ in range(rng.randint(1, 40))] for _ in range(30)]
    pages.append(["Check out MY channel!!!! http://bit.ly/x?ref=1", "Ⓢⓤⓑⓢⓒⓡⓘⓑⓔ to my channel", "$500 a day"])
    _schema_matrices(pages, monkeypatch)


def test_corpus_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(400)
    for i in range(0, len(pages), 64):
        texts = [line for p in pages[i:i + 64] for line in p.text.split("\n")]
        _check(texts, monkeypatch)
    _schema_matrices([p.text.split("\n") for p in pages[:64]], monkeypatch)


def _random_regex(rng: random.Random, depth: int = 0) -> str:
    """A random pattern over a small alphabet: literals, classes, ranges, groups, alternations,
    repeats, assertions, categories, lookarounds and inline flags."""
    atoms = ["a", "b", "ab", "ba", " ", "\\.", "[ab]", "[a-c]", "[^a]", "\\d", "\\w", "\\s", "\\b", "\\B", ".",
             "[a-z]", "[0-9]", "(?=a)", "(?!b)", "(?<=a)", "$", "^", "\\$", "c", "x"]
    parts = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.2 and depth < 3:
            inner = "|".join(_random_regex(rng, depth + 1) for _ in range(rng.randint(1, 3)))
            # Bounded repeats of groups only: nested unbounded ones backtrack for ever.
            parts.append(rng.choice(["(?:%s)", "(%s)", "(?:%s)?", "(?:%s){1,2}", "(?:%s){2}", "(?:%s){0,2}",
                                     "(?i:%s)", "(?>%s)", "(?:%s){0,2}?"]) % inner)
        else:
            atom = rng.choice(atoms)
            parts.append(atom + rng.choice(["", "", "", "?", "*", "+", "{1,3}", "{0}", "??", "*+"]) if atom not in
                         ("\\b", "\\B", "$", "^") and not atom.startswith("(?") else atom)
    return "".join(parts)


def test_match_heads_hold_for_every_match() -> None:
    """Every match of a random pattern, anywhere in random text, begins with one of the
    pattern's ``match_heads`` (the scan skips the positions that begin with none)."""
    rng = random.Random(23)
    tried = filtered = 0
    for _ in range(3000):
        pattern = _random_regex(rng)
        if rng.random() < 0.05:
            pattern = "(?i)" + pattern
        rx = re.compile(pattern.encode())
        heads = spamctx.match_heads(rx, rng.choice([1, 2, 3, spamctx.HEAD_LEN]))
        assert list(heads) == sorted(heads)
        assert all(not b.startswith(a) for a, b in zip(heads, heads[1:]))
        filtered += heads != (b"",)
        text = "".join(rng.choice("aabbcx .$1Z\u00e9") for _ in range(40)).encode()
        for p in range(len(text) + 1):
            if rx.match(text, p) is not None:
                tried += 1
                assert any(text.startswith(h, p) for h in heads), (pattern, heads, text, p)
    assert tried > 3000 and filtered > 500


def test_match_heads_of_the_spam_tables() -> None:
    for tables in (TABLES, SHAPE_TABLES):
        for rx, heads in zip(tables.rx, tables.heads):
            assert heads == spamctx.match_heads(rx) and b"" not in heads  # every family is filtered
        assert tables.head_blob == b"".join(h for hs in tables.heads for h in hs)
    assert spamctx.match_heads(re.compile(rb"(?i)my channel")) == (b"",)
    assert spamctx.match_heads(re.compile(rb"\bmy (?:new )?(?:chan|vid)s?\b")) == (
        b"my chan", b"my new ", b"my vid")
    assert spamctx.match_heads(re.compile(rb"[?&]r=|\$ ?\d"), 3) == (b"$", b"&r=", b"?r=")
