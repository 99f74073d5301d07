"""Session 22's changes to the profanity and spam-context passes give the same output as before.

- ``profanity._innocent`` runs the innocent-phrase regex only for hits that are a substring of
  some phrase: compared with the regex alone (the old form, kept here) on every span around
  the phrases and on real hits; ``_line_hits`` with both kernels and the new filter against
  the old ``_innocent`` and plain ``finditer``, on adversarial text (obfuscations, names,
  innocent phrases, non-ASCII) and bench lines.
- ``_profanity_ext.match_starts`` keeps the typed views of the last tables and reads the text
  from ``start`` on: every ``start`` gives the positions of a scan from 0 at or after it, other
  tables are not answered from the kept views, and bad ``ranges`` are refused on every call.
- ``_profanity_ext.char_total`` is ``sum(map(len, texts))``.
- ``_spamctx_ext.repeat_starts`` / ``spamctx.repeat_runs``: the numpy form's run starts and
  counts (every run length, chunk edges, the end of the data, bench bytes).
- ``_spamctx_ext.family_counts``' trigram filter: heads of one, two and three bytes, candidates in
  the last bytes of the data (the numpy form decides; tests/test_ext_spamctx.py has the rest).
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from conftest import bench_pages
from test_ext import needs
from test_ext_prof import OTHER_CHARS, _obfuscated, _random_line
from test_ext_spamctx import _both

from features import profanity, spamctx
from features.spamctx import block_layout, build_tables

PROF = "features._profanity_ext"
SPAM = "features._spamctx_ext"
CHUNK = 64  # the spam scans' chunk


# --------------------------------------------------------------------------------------------
# Profanity
# --------------------------------------------------------------------------------------------
def innocent_by_regex(low: str, start: int, end: int) -> bool:
    """``profanity._innocent`` as it was (the reference): the phrase regex around every hit."""
    if profanity._INNOCENT_RE is None:
        return False
    lo, hi = max(0, start - profanity._INNOCENT_REACH), min(len(low), end + profanity._INNOCENT_REACH + 1)
    return any(m.start() <= start and end <= m.end() for m in profanity._INNOCENT_RE.finditer(low, lo, hi))


def reference_hits(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int, float]]]:
    """``_line_hits`` with the old ``_innocent`` and ``finditer`` (no pre-filter)."""
    with monkeypatch.context() as m:
        m.setattr(profanity, "_innocent", innocent_by_regex)
        m.setattr(profanity, "_prefilter", lambda: None)
        return [profanity._line_hits(t) for t in texts]


def assert_same_hits(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Hits (spans and weights) of the new code, pre-filter on, equal the reference's; scores,
    evidence and counts as well with the kernels off. Returns the number of hits."""
    needs(PROF)
    monkeypatch.setattr(profanity, "PREFILTER_AFTER", 0)
    assert profanity._prefilter() is not None
    got = [profanity._line_hits(t) for t in texts]
    want = reference_hits(texts, monkeypatch)
    for t, g, w in zip(texts, got, want):
        assert g == w, t
    scores = profanity.profanity_scores(texts), profanity.profanity_counts(texts)
    with monkeypatch.context() as m:
        m.setattr(profanity, "_innocent", innocent_by_regex)
        m.setattr(profanity, "_SCREEN", None)
        ref = profanity.profanity_scores(texts), profanity.profanity_counts(texts)
    np.testing.assert_array_equal(scores[0][0], ref[0][0])
    assert scores[0][1] == ref[0][1]
    np.testing.assert_array_equal(scores[1], ref[1])
    return sum(map(len, got))


# Hits next to and inside innocent phrases, names, compounds, obfuscations.
ADVERSARIAL = [
    "tit-for-tat", "a tit-for-tat war", "Tit-for-tat tits", "tit for tat", "tit for tattle", "blue tits and tits",
    "great tit", "great tits!", "coal-tit", "shiitake shit", "shitake", "mishit", "mishits", "mis-hit", "mis-hits",
    "a mishit shot, shit", "chink in the armour", "chinks in", "chink of light", "chink", "homo sapiens", "homo",
    "homo erectus homo", "Dick Cheney", "Philip K. Dick", "Moby Dick", "said. Dick", "Dick said", "dick", "D!ck",
    "buttfucked", "bullshit", "bulls**t", "Alf***", "f**k", "f***", "s***", "s h i t", "f.u.c.k", "f-u-c-k",
    "f_u_c_k", "f---", "f--k", "s--t", "$__t", "a$$s", "but+tplugs", "p1ss", "sh1t", "a55", "455", "4ss",
    "fuuuck", "shiiit", "shiitake", "BS", "B & Bs", "bs", "Scunthorpe", "cocktail", "assassin", "button",
    "assess", "Pakistan", "&#163;", "\u0130", "\u212a", "f\u0130ck", "SH\u0130T", "shit\u0301", "ſhit",
    "tit\x00for-tat", "ti\x00t", "tit-for-tat\x00tit", "e\u0301shit", "😀shit😀", "\ud800fuck\udfff",
]


def test_innocent_filter_on_every_span() -> None:
    """Every span of text around each phrase (and of random lines): the same answer."""
    rnd = random.Random(22)
    texts = []
    for p in profanity._INNOCENT:
        for before, after in (("", ""), ("a ", " b"), ("x", "y"), ("the ", "s."), ("1", "")):
            texts.append(before + p + after)
    texts += [a + " " + b for a, b in zip(ADVERSARIAL, reversed(ADVERSARIAL))]
    texts += [_random_line(rnd) for _ in range(200)]
    innocent = 0
    for text in texts:
        low = profanity._fold(text)
        for s in range(len(low)):
            for e in range(s, min(len(low), s + 16) + 1):
                want = innocent_by_regex(low, s, e)
                assert profanity._innocent(low, s, e) == want, (text, s, e)
                innocent += want
    assert innocent > 1000


def test_hits_adversarial(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(23)
    texts = list(ADVERSARIAL)
    texts += [" ".join(rnd.sample(ADVERSARIAL, 4)) for _ in range(300)]
    texts += [rnd.choice(OTHER_CHARS) * rnd.randrange(0, 3) + _obfuscated(rnd, s.text) + " " + rnd.choice(ADVERSARIAL)
              for s in profanity._STEMS for _ in range(2)]
    texts += [_random_line(rnd) for _ in range(500)]
    texts += ["x" * 70 + " ".join(ADVERSARIAL)]  # a long line with many hits
    assert assert_same_hits(texts, monkeypatch) > 500


def test_hits_real_text(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(300)
    lines = [line for p in pages for line in p.text.split("\n")][:20_000]
    if not lines:
        pytest.skip("no bench pages")
    assert_same_hits(lines, monkeypatch)


def test_match_starts_from_every_start() -> None:
    """A scan from ``start`` returns the positions at or after it of a scan from 0 (the text is
    read from one character before ``start``: the word-start test), for every kind of str."""
    mod = needs(PROF)
    tables = profanity._prefilter()
    rnd = random.Random(24)
    texts = ["shit", "oh shit", "a$$ x", "xshit", "1shit", "éshit", "\u0130shit", "😀shit", "\ud800sh1t f**k"]
    texts += [_random_line(rnd) for _ in range(150)]
    for text in texts:
        low = profanity._fold(text)
        full = mod.match_starts(low, 0, *tables)
        for start in range(-2, len(low) + 2):
            assert mod.match_starts(low, start, *tables) == [p for p in full if p >= start], (text, start)


def test_match_starts_other_tables() -> None:
    """The kept views are those of the tables given: other arrays (equal or not) are read
    themselves; bad ranges are refused also for the arrays of the kept views."""
    mod = needs(PROF)
    masks, guarded, ranges, alnum = profanity._prefilter()
    text = "oh shit, fuck this"
    want = mod.match_starts(text, 0, masks, guarded, ranges, alnum)
    assert want
    empty = np.zeros_like(masks)
    assert mod.match_starts(text, 0, empty, guarded, ranges, alnum) == []
    assert mod.match_starts(text, 0, masks, guarded, ranges, alnum) == want
    assert mod.match_starts(text, 0, masks.copy(), guarded.copy(), ranges.copy(), alnum.copy()) == want
    bad = ranges.copy()
    assert mod.match_starts(text, 0, masks, guarded, bad, alnum) == want
    bad[ord("s"), 1] = masks.shape[2] + 1  # changed in place after its views were kept
    with pytest.raises(ValueError):
        mod.match_starts(text, 0, masks, guarded, bad, alnum)
    with pytest.raises(ValueError):
        mod.match_starts(text, 0, masks.astype(np.int64), guarded, ranges, alnum)
    assert mod.match_starts(text, 0, masks, guarded, ranges, alnum) == want


def test_char_total() -> None:
    mod = needs(PROF)

    class S(str):
        def __len__(self) -> int:
            return 1000

    for texts in ([], [""], ["a", "bc", "é😀", "\ud800"], ["x" * 10_000] * 3, [S("abc"), "d"]):
        assert mod.char_total(texts) == sum(map(len, texts))


# --------------------------------------------------------------------------------------------
# Spam context
# --------------------------------------------------------------------------------------------
def repeat_starts_numpy(arr: np.ndarray, run_len: int) -> np.ndarray:
    """``spamctx.repeat_runs``' numpy ``at``, for any run length."""
    k = run_len - 1
    same = arr[1:] == arr[:-1]
    run = same[: len(same) - k + 1].copy()
    for j in range(1, k):
        run &= same[j: len(same) - k + 1 + j]
    at = np.flatnonzero(run)
    at = at[(at == 0) | ~run[np.maximum(at - 1, 0)]]
    return at[~spamctx._NOT_REPEATED[arr[at]]]


def test_repeat_starts_random() -> None:
    mod = needs(SPAM)
    rnd = random.Random(25)
    alphabets = [b"a", b"ab", b"a1 ", b"!.\n\t", b"xyz!.\n", bytes(range(256))]
    for _ in range(4000):
        n = rnd.choice([0, 1, 2, 3, 4, 5, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 3, CHUNK + 4, 2 * CHUNK + 1,
                        2 * CHUNK + 31, rnd.randrange(0, 500)])
        alpha = rnd.choice(alphabets)
        arr = np.frombuffer(bytes(rnd.choice(alpha) for _ in range(n)), np.uint8)
        for run_len in (2, 3, 4, 5, 9, 32):
            got = mod.repeat_starts(arr, spamctx._NOT_REPEATED_U8, run_len)
            if n < run_len:
                assert len(got) == 0 and got.dtype == np.int64
                continue
            want = repeat_starts_numpy(arr, run_len)
            assert got.dtype == np.int64 and np.array_equal(got, want), (arr.tobytes(), run_len)


def test_repeat_starts_chunk_edges() -> None:
    """Runs starting, ending and crossing every offset around the chunk edges, up to the last byte."""
    mod = needs(SPAM)
    for pad in range(0, 3 * CHUNK):
        for run in (3, 4, 5, CHUNK, CHUNK + 5):
            for tail in (b"", b"x", b"!!", b"yyyy"):
                arr = np.frombuffer(b"ab" * (pad // 2) + b"c" * (pad % 2) + b"!" * run + tail, np.uint8)
                got = mod.repeat_starts(arr, spamctx._NOT_REPEATED_U8, spamctx.REPEAT_RUN)
                assert np.array_equal(got, repeat_starts_numpy(arr, spamctx.REPEAT_RUN)), (pad, run, tail)


def test_repeat_starts_arguments() -> None:
    mod = needs(SPAM)
    arr = np.frombuffer(b"aaaa", np.uint8)
    for bad in (0, 1, 33):
        with pytest.raises(ValueError):
            mod.repeat_starts(arr, spamctx._NOT_REPEATED_U8, bad)
    with pytest.raises(ValueError):
        mod.repeat_starts(arr, spamctx._NOT_REPEATED_U8[:255], 4)



def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_repeat_runs_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(26)
    cases = [[""], ["", ""], ["aaa"], ["aaaa"], ["aaaa", "bbbb", ""], ["!!!!\n????", "1111", "    ", "\t\t\t\t"],
             ["sooooo good!!!!", "é" * 9, "😀😀😀😀", "x" * 200]]
    cases += [["".join(rnd.choice("ab!1 \té") * rnd.choice((1, 1, 3, 4, 6)) for _ in range(rnd.randrange(0, 40)))
               for _ in range(rnd.randrange(1, 60))] for _ in range(200)]
    for texts in cases:
        data, starts, _ = block_layout(texts)
        _same(*_both(lambda d=data, s=starts, t=texts: spamctx.repeat_runs(d, s, len(t)), monkeypatch))
        _same(*_both(lambda t=texts: spamctx.spamctx_columns(t), monkeypatch))


def test_repeat_runs_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(400)
    if not pages:
        pytest.skip("no bench pages")
    texts = [b for p in pages for b in p.text.split("\n")]
    data, starts, _ = block_layout(texts)
    _same(*_both(lambda: spamctx.repeat_runs(data, starts, len(texts)), monkeypatch))
    assert spamctx.repeat_runs(data, starts, len(texts)).sum() > 10


def test_family_counts_short_heads_and_data_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heads of one, two and three or more bytes in one family, and lead words in the last one,
    two and three bytes of the data: the trigram filter never drops a match."""
    pats = {"a": (r"\$", r"ab\b", r"abc\w*", r"i am\b"), "b": (r"i\b", r"ix\w+", r"\bqq"), "c": (r"zz?",)}
    leads = {"a": ("ab", "abc", "abcd", "i"), "b": ("i", "ix", "ixy"), "c": ("z", "zz")}
    tables = build_tables(pats, leads, {"a": ("abcd",)}, {"a": "$", "b": "q"})
    assert any(len(h) < 3 for hs in tables.heads for h in hs) and any(len(h) >= 3 for hs in tables.heads for h in hs)
    rnd = random.Random(27)
    pieces = ["ab", "abc", "abcd", "abx", "i", "i am", "i ax", "ix", "ixy", "iz", "z", "zz", "zzz", "$", "qq", "q",
              "é", " ", "."]
    blocks = [" ".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 12))) for _ in range(300)]
    for end in pieces:
        for texts in ([end], ["x " + end], blocks[:5] + ["y " + end]):
            data, starts, _ = block_layout(texts)
            _same(*_both(lambda d=data, s=starts, t=texts: spamctx.family_counts(d, s, len(t), tables), monkeypatch))
    data, starts, _ = block_layout(blocks)
    got, want = _both(lambda: spamctx.family_counts(data, starts, len(blocks), tables), monkeypatch)
    _same(got, want)
    assert (want > 0).sum(axis=0).min() > 10


def test_family_counts_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = bench_pages(400)
    if not pages:
        pytest.skip("no bench pages")
    texts = [b for p in pages for b in p.text.lower().split("\n")]
    data, starts, _ = block_layout(texts)
    got, want = _both(lambda: spamctx.family_counts(data, starts, len(texts)), monkeypatch)
    _same(got, want)
    assert want.sum() > 50


def test_family_rx_heads_are_what_the_filter_reads() -> None:
    """The filter hashes ``head_blob`` bytes: the families' heads as ``match_heads`` reads them."""
    for tables in (spamctx.TABLES,):
        strings = [tables.head_blob[a:b] for a, b in zip(tables.head_offsets[:-1], tables.head_offsets[1:])]
        assert tuple(strings) == tuple(h for hs in tables.heads for h in hs)
        assert all(isinstance(r, re.Pattern) for r in tables.rx)
