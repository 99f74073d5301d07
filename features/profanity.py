"""Profanity score (0..1) and evidence spans for text blocks.

The lexicon (``wordlists/profanity.txt``) holds word stems with a severity weight; everything
here is built from it once at import. This runs over billions of lines, most of them clean,
so the work is split into a cheap screen over a whole batch and an exact matcher that only
sees the few lines the screen lets through (about 2% of BBC News paragraphs).

Pass 1, screen (numpy over bytes; no Python per line or per character). The batch is joined
with ``\\n``, encoded to UTF-8 and mapped with ``bytes.translate`` to 5-bit codes: ASCII letters
(upper-case folded, leet digits ``4 3 1 0 5 7`` folded to their letter), leet symbols
``! | @ $ +``, masks ``* #``, separators; everything else is a boundary. A line is a candidate
when it contains

- a key window of some stem: its first 6 characters, or for a shorter stem the stem, each
  ending it allows and a word boundary (so "assess" and "Pakistan" do not trigger "ass" and
  "paki"); looked up exactly (4-gram table -> group, then the next two codes), and for stems
  that must start a word only after a boundary;
- three equal letters after a letter (fuuuck, shiiit);
- a mask next to a letter or leet symbol (f**k), two dashes after a letter (f---);
- a single letter between two equal separators followed by another letter (s h i t, f.u.c.k).

Every match of pass 2 shows one of these, so the screen never drops a hit (checked in the
tests on obfuscated forms of every stem); it only has to be cheap and selective.

Pass 2, match (one compiled regex per candidate line, on the lower-cased line). Stems are
compiled into tries whose branches each start with a literal character, so the regex engine
skips impossible start positions with a table lookup. A letter is itself or its leetspeak
(``[s5$]``), any but the first may be a mask, and a single letter may appear once or three or
more times, never twice ("fuuuck" matches, "shiitake" does not). Stems without a leading ``*``
must start a word and only their listed endings may follow (``s, ed, ing, head, hole...``), so
"Scunthorpe", "cocktail", "assassin", "button" stay clean. Spaced (``s h i t``), dashed
(``f---``) and exact (``BS``) forms are separate branches. Each branch ends in an empty named
group, so ``lastgroup`` names the stem. Repeats are possessive and adjacent letter classes
are disjoint (checked at import), so matching time is linear in the line.

With the compiled kernel, a long-running process also pre-filters pass 2: the first PREFIX_LEN
characters of every match are read off the matcher's own parse tree (conservatively), and the
matcher is tried only at the positions of a candidate line that fit one of them (about 0.5%),
skipping what a match covers, which gives ``finditer``'s matches.

Filters on hits (few): a hit spelt with digits needs two real letters and a letter before a
digit ("a55", "455" are not "ass"); a masked hit needs a letter next to a mask, and two real
letters inside a word (bulls**t, not "Alf***"); hits inside innocent phrases of the lexicon
(tit-for-tat, mishit) are dropped; for ``name`` stems a capitalised word next to another
capitalised word is a name (Dick Cheney) and a lone capitalised one counts NAME_DISCOUNT.

Score: one hit per word with its lexicon weight w; block score = 1 - prod(1 - w), so one strong
word gives >= 0.5 and mild words (hell 0.2, damn 0.3, crap 0.35) need several to get there.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ext, tablecache
from .tablecache import banked_regex

__all__ = ["profanity_scores", "profanity_counts", "LEXICON_PATH"]

LEXICON_PATH = Path(__file__).with_name("wordlists") / "profanity.txt"

# Scoring.
NAME_DISCOUNT = 0.5  # weight factor for a lone Title-case hit of a `name` stem ("Dick said")
MIN_LETTERS_WITH_DIGITS = 2  # a hit spelt with digits needs this many real letters (p1ss yes, a55 no)
MIN_RUN = 3  # a letter the stem has once may appear once or at least this often (fuuuck)
MIN_DASHES = 3  # f--- : dashes standing for the rest of the word (f--k: one fewer)
NAME_CONTEXT = 40  # characters looked at on each side of a `name` hit for a neighbouring word
MAX_PREFIX = 64  # how far back a compound hit (bullshit) is widened to the start of its word

# Screen.
SCAN_MARGIN = 64  # characters scanned before a text's first screen signal (a match starts <= 2 before its own)
CHUNK_CHARS = 1 << 23  # texts are screened in batches of about this many characters (bounds memory)
KEY_LEN = 6  # screen keys: 6-character windows of 5-bit codes (4-gram table + 2 codes)

# Leetspeak: letter -> characters that stand for it. The screen folds each of these characters to
# its letter, and the matcher's letter classes are built from the same table, so the two agree.
LEET: dict[str, str] = {"a": "@4", "e": "3", "i": "1!|", "o": "0", "s": "5$", "t": "7+"}
MASK_CHARS = "*#"  # stand for any one letter: f**k, s#!t (not %: "4.3%" is everywhere)
SPACE_SEPS = " ._-"  # s h i t, f.u.c.k, f-u-c-k, f_u_c_k (the same separator between all letters)
DASH_CHARS = "-_"

_WORD = r"[^\W_]"  # a letter or digit (Unicode)
_NOT_BEFORE = rf"(?<!{_WORD})"
_NOT_AFTER = rf"(?!{_WORD})"
_LEET_SYMBOLS = "".join(sorted({c for v in LEET.values() for c in v if not c.isalnum()}))
# A lexicon entry's letters, and runs of one character (the lexicon is read at import).
_LEXICON_TOKEN = banked_regex(r"[a-z]+")
_CHAR_RUN = banked_regex(r"(.)\1*")


# --------------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stem:
    """One lexicon entry (see the header of wordlists/profanity.txt for the syntax)."""

    text: str
    weight: float
    left_open: bool  # may end a compound: bull*shit*
    right_open: bool  # anything may follow: fuck*wit
    endings: tuple[str, ...]  # allowed endings when not right_open; "" = none
    exact: bool = False
    name: bool = False
    dash: bool = False


def _expand_endings(items: list[str], sets: dict[str, list[str]], depth: int = 0) -> list[str]:
    if depth > 5:
        raise ValueError("ending sets nest too deeply")
    out: list[str] = []
    for item in items:
        if item.startswith("@"):
            if item[1:] not in sets:
                raise ValueError(f"unknown ending set {item!r}")
            out.extend(_expand_endings(sets[item[1:]], sets, depth + 1))
        else:
            out.append("" if item == "-" else item)
    return out


def load_lexicon(path: Path = LEXICON_PATH) -> tuple[list[Stem], list[str]]:
    """Parse the lexicon file into stems and innocent phrases; raises on malformed lines."""
    sets: dict[str, list[str]] = {}
    stems: list[Stem] = []
    innocent: list[str] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("!") else raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            innocent.append(line[1:].strip().lower())
            continue
        parts = line.split()
        if parts[0] == "%sfx":
            sets[parts[1]] = parts[2:]
            continue
        token, weight = parts[0], float(parts[1])
        opts = parts[2:]
        left_open, right_open = token.startswith("*"), token.endswith("*")
        text = token.strip("*")
        if not _LEXICON_TOKEN.fullmatch(text) or not 0.0 < weight <= 1.0:
            raise ValueError(f"{path}:{lineno}: bad entry {raw!r}")
        if text in seen:
            raise ValueError(f"{path}:{lineno}: duplicate stem {text!r}")
        seen.add(text)
        sfx = ["@default"]
        flags = set()
        for opt in opts:
            if opt.startswith("sfx="):
                sfx = opt[4:].split(",")
            elif opt in ("exact", "name", "dash"):
                flags.add(opt)
            else:
                raise ValueError(f"{path}:{lineno}: unknown option {opt!r}")
        endings = tuple(dict.fromkeys(_expand_endings(sfx, sets)))
        stems.append(Stem(text, weight, left_open, right_open, endings,
                          "exact" in flags, "name" in flags, "dash" in flags))
    return stems, innocent


# --------------------------------------------------------------------------------------------
# Pass 2: the matcher regex
# --------------------------------------------------------------------------------------------
# Memoised (pure functions of constants and their arguments): the matcher asks ~35,000 times
# for a few hundred distinct answers, and building it is start-up time.
@functools.cache
def _letter_class(ch: str, masks: bool, digits: bool = True) -> str:
    leet = LEET.get(ch, "") if digits else "".join(c for c in LEET.get(ch, "") if not c.isdigit())
    chars = ch + leet + (MASK_CHARS if masks else "")
    return "[" + re.escape(chars) + "]" if len(chars) > 1 else re.escape(chars)


def _runs(text: str) -> list[tuple[str, int]]:
    return [(m.group(0)[0], len(m.group(0))) for m in _CHAR_RUN.finditer(text)]


def _position(ch: str, count: int, lead: bool) -> str:
    """One run of the stem. A single letter: one letter/leet/mask character, or MIN_RUN+ copies
    of the plain letter (fuuuck; never two: "shiitake" is not "shit"). A double letter: two such
    characters and any further plain copies. The first letter of a stem (`lead`) is never a mask.
    """
    one = _letter_class(ch, masks=not lead)
    letter = re.escape(ch)
    if count == 1:
        return f"(?:{letter}{{{MIN_RUN},}}+|{one})"
    return one + _letter_class(ch, masks=True) * (count - 1) + f"{letter}*+"


def _alternation(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


@functools.cache
def _ending_regex(endings: tuple[str, ...]) -> str:
    """Endings as a trie of (leetspeak-tolerant) letters, then a word boundary."""
    tree: dict = {}
    for e in endings:
        node = tree
        for ch in e:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [_letter_class(ch, masks=False) + emit(sub) for ch, sub in node.items() if ch]
        if "" in node:
            alts.append("")
        return _alternation(alts) if alts else ""

    return emit(tree) + _NOT_AFTER


def _tail(stem: Stem) -> str:
    if stem.right_open:  # the rest of the word; leet symbols only inside it (fuck!ng, not "fuck!")
        return rf"(?:{_WORD}++|[{re.escape(MASK_CHARS)}]++|[{re.escape(_LEET_SYMBOLS)}]++(?={_WORD}))*+"
    return _ending_regex(stem.endings)


# Each builder below returns {first character: [regex for the rest, ...]}: the matcher starts
# every branch with a literal character, so the regex engine can skip positions that cannot start
# a hit with one table lookup instead of trying every branch there.
_Branches = dict[str, list[str]]


def _first_chars(ch: str) -> str:
    return ch + LEET.get(ch, "")


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _compact_trie(entries: list[tuple[int, Stem]], tag: str) -> _Branches:
    """Trie over runs of the stems; each terminal is `(?P<{tag}N>)` + the stem's endings."""
    tree: dict = {}
    for sid, stem in entries:
        node = tree
        for run in _runs(stem.text):
            node = node.setdefault(run, {})
        node[None] = sid

    def first_listed(node: dict) -> int:
        return min(v if k is None else first_listed(v) for k, v in node.items())

    def kids(node: dict) -> list[tuple[tuple[str, int], dict]]:
        # Lexicon order: when masks fit several stems (s***), the first listed wins.
        return sorted(((run, sub) for run, sub in node.items() if run is not None),
                      key=lambda kv: first_listed(kv[1]))

    def emit(node: dict) -> str:
        alts = [_position(*run, lead=False) + emit(sub) for run, sub in kids(node)]
        if None in node:
            sid = node[None]
            alts.append(f"(?P<{tag}{sid}>)" + _tail(_STEMS[sid]))
        return _alternation(alts)

    out: _Branches = {}
    for (ch, count), sub in kids(tree):
        for first in _first_chars(ch):
            if count == 1:  # one character, or MIN_RUN+ copies of the plain letter
                # (?<!cc): not from inside a run of the letter. The match from the run's
                # first letter reaches the same place, so starting again at every letter of a
                # long run ("pppp...") only made the scan quadratic.
                e = re.escape(ch)
                run = f"(?:(?<!{e}{e}){e}{{{MIN_RUN - 1},}}+)?+" if first == ch else ""
            else:
                run = _letter_class(ch, masks=True) * (count - 1) + f"{re.escape(ch)}*+"
            out.setdefault(first, []).append(run + emit(sub))
    return out


def _spaced_trie(entries: list[tuple[int, Stem]]) -> _Branches:
    """s h i t / f.u.c.k: single letters with the same separator between all of them."""
    firsts: dict[str, list[tuple[int, Stem]]] = {}
    for sid, stem in entries:
        firsts.setdefault(stem.text[0], []).append((sid, stem))
    out: _Branches = {}
    for n, (first, group) in enumerate(firsts.items()):
        sep = f"q{n}"
        tree: dict = {}
        for sid, stem in group:
            node = tree
            for ch in stem.text[1:]:
                node = node.setdefault(ch, {})
            node[None] = sid

        def emit(node: dict, lead: str, sep: str = sep) -> str:
            alts = [lead + _letter_class(ch, masks=False, digits=False) + emit(sub, f"(?P={sep})")
                    for ch, sub in node.items() if ch is not None]
            if None in node:
                alts.append(f"(?P<s{node[None]}>)" + _NOT_AFTER)
            return _alternation(alts)

        rest = f"(?P<{sep}>[{re.escape(SPACE_SEPS)}])" + emit(tree, "")
        for ch in _first_chars(first).translate(_NO_DIGITS):
            out.setdefault(ch, []).append(rest)
    return out


def _dash_branches(entries: list[tuple[int, Stem]]) -> _Branches:
    """f--- / f--k / s--t: MIN_DASHES+ dashes, or one fewer before the stem's last letter."""
    out: _Branches = {}
    for sid, stem in entries:
        last = _letter_class(stem.text[-1], masks=False)
        dashes = "|".join(f"{d}{{{MIN_DASHES - 1},}}+{last}|{d}{{{MIN_DASHES},}}+"
                          for d in map(re.escape, DASH_CHARS))
        rest = f"(?<!['’].)(?:{dashes})(?P<d{sid}>)(?:ing|in|ed|er|ers|s)?{_NOT_AFTER}"
        for ch in _first_chars(stem.text[0]):
            out.setdefault(ch, []).append(rest)
    return out


def _exact_branches(entries: list[tuple[int, Stem]]) -> _Branches:
    out: _Branches = {}
    for sid, stem in entries:
        rest = re.escape(stem.text[1:]) + f"(?P<e{sid}>)" + _ending_regex(stem.endings)
        out.setdefault(stem.text[0], []).append(rest)
    return out


def _build_matcher() -> re.Pattern[str]:
    """The matcher: its pattern (``_matcher_source``; ~7 ms to build, kept between runs) and its
    program (~0.1 s to parse and compile, kept too) from the table cache (features/tablecache.py)."""
    got = tablecache.cached_arrays("profanity-pattern", [tablecache.source_fingerprint()],
                                   lambda: {"pattern": np.frombuffer(
                                       _matcher_source().encode("utf-8", "surrogatepass"), dtype=np.uint8)})
    return tablecache.compile_regex(got["pattern"].tobytes().decode("utf-8", "surrogatepass"), "profanity-matcher")


def _matcher_source() -> str:
    """`c(?:(?<!\\w.)WORD_START_c|INSIDE_c)|...` for every character c that can start a hit."""
    obfuscatable = [(i, s) for i, s in enumerate(_STEMS) if not s.exact]
    word_start: _Branches = {}
    for part in (_compact_trie(obfuscatable, "c"),
                 _spaced_trie([(i, s) for i, s in obfuscatable if len(s.text) >= 3]),
                 _dash_branches([(i, s) for i, s in obfuscatable if s.dash]),
                 _exact_branches([(i, s) for i, s in enumerate(_STEMS) if s.exact])):
        for ch, alts in part.items():
            word_start.setdefault(ch, []).extend(alts)
    inside = _compact_trie([(i, s) for i, s in obfuscatable if s.left_open], "i")
    branches = []
    for ch in sorted(set(word_start) | set(inside)):
        alts = []
        if ch in word_start:
            alts.append(f"(?<!{_WORD}.)" + _alternation(word_start[ch]))
        if ch in inside:
            alts.append(_alternation(inside[ch]))
        # A subtree appears once per first character (s, 5, $): number its group names apart.
        branch = re.escape(ch) + _alternation(alts)
        branches.append(re.sub(r"\(\?P([<=])(\w+)", rf"(?P\1\2_{len(branches)}", branch))
    return "|".join(branches)


def _check_linear(stems: list[Stem]) -> None:
    """Adjacent letter classes must not overlap, or a run could be split two ways (backtracking)."""
    for stem in stems:
        runs = _runs(stem.text)
        for (a, _), (b, _) in zip(runs, runs[1:]):
            ca, cb = set(a + LEET.get(a, "")), set(b + LEET.get(b, ""))
            if ca & cb:
                raise ValueError(f"stem {stem.text!r}: classes of {a!r} and {b!r} overlap")


# --------------------------------------------------------------------------------------------
# Pass 1: the screen
# --------------------------------------------------------------------------------------------
_BND = 0  # any byte that is not a letter, mask or separator (incl. UTF-8 bytes >= 0x80)
_MASK = 27  # * #
_SEP_CODES = {" ": 28, "-": 29, "_": 29, ".": 30}  # the matcher wants the same separator throughout
_SYM = 31  # leetspeak symbols ! | @ $ + : stand for letters but are word boundaries to the matcher
_ALL = tuple(range(32))


def _byte_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte -> screen code; byte -> "the matcher may see a word character"; byte -> ASCII letter."""
    code = np.zeros(256, np.uint8)
    letter = np.zeros(256, bool)
    for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz", 1):
        code[ord(ch)] = code[ord(ch.upper())] = i
        letter[ord(ch)] = letter[ord(ch.upper())] = True
    for ch, target in ((c, k) for k, v in LEET.items() for c in v):
        code[ord(ch)] = ord(target) - 96 if ch.isdigit() else _SYM
    for ch in MASK_CHARS:
        code[ord(ch)] = _MASK
    for ch, c in _SEP_CODES.items():
        code[ord(ch)] = c
    # UTF-8 bytes count as non-word here even though the matcher may see a letter: that only
    # lets more lines through, never fewer.
    alnum = letter.copy()
    alnum[ord("0"):ord("9") + 1] = True
    return code, alnum, letter


_CODE, _ALNUM, _ASCII_LETTER = _byte_tables()
# Per-byte bits: alnum, ASCII letter, letter-or-symbol, letter code, mask, symbol, separator, newline.
_BITS = (1, 2, 4, 8, 16, 32, 64, 128)


def _bit_table() -> np.ndarray:
    codes = _CODE.astype(int)
    parts = (_ALNUM, _ASCII_LETTER, _ASCII_LETTER | (codes == _SYM), (codes >= 1) & (codes <= 26),
             codes == _MASK, codes == _SYM, np.isin(codes, list(_SEP_CODES.values())),
             np.arange(256) == ord("\n"))
    return sum(np.where(p, b, 0) for p, b in zip(parts, _BITS)).astype(np.uint8)


_CODE_BYTES = bytes(_CODE.tolist())
_BIT_BYTES = bytes(_bit_table().tolist())
_BOUNDARY_CODES = (_BND, _MASK, *sorted(set(_SEP_CODES.values())), _SYM)  # what ends a word
_FLAG_ANY = 1  # key window hits wherever it occurs
_FLAG_WORD_START = 2  # key window hits only after a word boundary (or a repeat of its first letter)


def _codes(ch: str) -> tuple[int, ...]:
    """Screen codes a letter of a stem can appear as: itself (or a leet digit) or a leet symbol."""
    symbols = any(not c.isdigit() for c in LEET.get(ch, ""))
    return (ord(ch) - 96, _SYM) if symbols else (ord(ch) - 96,)


def _stem_spellings(stem: Stem) -> list[list[tuple[int, ...]]]:
    """The stem's letters as code sets: as written, and with each double letter followed by 1 to
    KEY_LEN more plain copies of it (the matcher takes any number after a double: a$$s, but+t).
    Those extra copies are not a run the run signal sees when the double itself is spelt with a
    leet symbol, so the keys must cover them."""
    out = [[_codes(c) for c in stem.text]]
    k = 0
    for ch, count in _runs(stem.text):
        k += count
        if count >= 2:
            for extra in range(1, KEY_LEN + 1):
                out.append([_codes(c) for c in stem.text[:k]] + [(ord(ch) - 96,)] * extra
                           + [_codes(c) for c in stem.text[k:]])
    return out


def _key_windows(stem: Stem) -> list[tuple[tuple[int, ...], ...]]:
    """The KEY_LEN-character windows that start every match of `stem` spelt with letters, leet
    symbols and extra copies after a double letter, as code sets.

    The window starts at the stem; a short stem is followed by each allowed ending and then a
    word boundary (or anything, for open stems). Runs of a single letter, masks, dashes and
    spacing are caught by the screen's other signals.
    """
    out = []
    for letters in _stem_spellings(stem):
        if len(letters) >= KEY_LEN or stem.right_open:
            tails: list[list[tuple[int, ...]]] = [[]]
        else:
            tails = [[_codes(c) for c in e] + [_BOUNDARY_CODES] for e in stem.endings]
        for tail in tails:
            window = (letters + tail)[:KEY_LEN]
            out.append(tuple(window + [_ALL] * (KEY_LEN - len(window))))
    return list(dict.fromkeys(out))


def _key_tables(stems: list[Stem]) -> tuple[np.ndarray, np.ndarray]:
    """Two-level exact lookup of key windows: the first 4 codes (2**20 table) give a group id,
    the group and the next two codes give the flags."""
    first: dict[int, int] = {}
    by_tail: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[list[int], list[int]]] = {}
    for stem in stems:
        flag = _FLAG_ANY if stem.left_open else _FLAG_WORD_START
        for window in _key_windows(stem):
            groups, flags = by_tail.setdefault((window[4], window[5]), ([], []))
            for a, b, c, d in itertools.product(*window[:4]):
                groups.append(first.setdefault((a << 15) | (b << 10) | (c << 5) | d, len(first) + 1))
                flags.append(flag)
    rest = np.zeros((len(first) + 1, 32, 32), np.uint8)  # group 0 = no key
    # Windows sharing their last two code sets are set together: every (group, code 5, code 6).
    for (t4, t5), (groups, flags) in by_tail.items():
        cells = np.array(list(itertools.product(t4, t5)), dtype=np.int64)
        np.bitwise_or.at(rest, (np.array(groups)[:, None], cells[None, :, 0], cells[None, :, 1]),
                         np.array(flags, dtype=np.uint8)[:, None])
    table = np.zeros(1 << 20, np.uint16 if len(rest) < 1 << 16 else np.uint32)
    table[list(first)] = list(first.values())
    return table, rest


def _screen(texts: list[str]) -> np.ndarray:
    """Indices of texts that may contain a hit (a superset of what the matcher finds)."""
    return _screen_positions(texts)[0]


def _screen_positions(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``_screen``, and for each text the UTF-8 byte offset of its first screen signal.

    Every match of the matcher starts at most a few characters before a signal of its own (a
    key window starts where a plain match starts; obfuscation signals lie inside the match),
    so the matcher need not scan a text before ``SCAN_MARGIN`` characters ahead of it.
    """
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a text has its own newlines: keep one line per text
        joined = "\n".join(t.replace("\n", " ") for t in texts)
    data = joined.encode("utf-8", "replace")
    if _SCREEN is not None:  # the same signals in one compiled loop over the bytes
        return _SCREEN.screen_positions(data, len(texts), *_SCREEN_TABLES)
    n = len(data)
    # Position k of m / bits is byte k - 1 of data; a boundary byte before, padding after.
    pad_before, pad_after = b"\0", b"\0" * (KEY_LEN + 1)
    m = np.frombuffer(pad_before + data.translate(_CODE_BYTES) + pad_after, np.uint8)
    bits = np.frombuffer(pad_before + data.translate(_BIT_BYTES) + pad_after, np.uint8)
    alnum, abc, plain, letter, mask, sym, sep, newline = ((bits & b) != 0 for b in _BITS)

    # Key windows: a bigram pre-check, the 4-gram group at the survivors, then the next two codes.
    pairs = m[:n + 4].astype(np.uint16) << 5
    pairs[:-1] |= m[1:n + 4]
    pos = np.flatnonzero(np.take(_KEY_PAIRS, pairs[:-3]))  # np.take: a faster gather than indexing
    groups = np.take(_KEY_GROUPS, (np.take(pairs, pos).astype(np.uint32) << 10) | np.take(pairs, pos + 2))
    pos, groups = pos[groups != 0], groups[groups != 0]
    flags = _KEY_REST[groups, m[pos + 4], m[pos + 5]]
    prev = np.maximum(pos - 1, 0)
    at_start = ~alnum[prev] | (m[prev] == m[pos])
    hits = [pos[((flags & _FLAG_ANY) != 0) | (((flags & _FLAG_WORD_START) != 0) & at_start)]]

    # Obfuscation signals; index k of these arrays is position k + 1 of m.
    mid, before, after, after2 = slice(1, n + 1), slice(0, n), slice(2, n + 2), slice(3, n + 3)
    same_next = m[mid] == m[after]
    run3 = abc[mid] & same_next & (m[after] == m[after2]) & (letter[before] | sym[before] | mask[before])
    near_mask = mask[mid] & (plain[before] | plain[after])  # f**k
    # f--- / $--t: a letter, leet digit or leet symbol, then two dashes
    dashes = (letter[mid] | sym[mid]) & (m[after] == _SEP_CODES["-"]) & (m[after2] == _SEP_CODES["-"])
    spaced = (sep[mid] & plain[after] & (m[after2] == m[mid]) & plain[4:n + 4]
              & ~alnum[5:n + 5])  # " h i" / ".u.c": a single letter between equal separators
    hits.append(np.flatnonzero(run3 | near_mask | dashes | spaced) + 1)

    where = np.sort(np.concatenate(hits) - 1)  # byte offset in data
    newlines = np.flatnonzero(newline[mid])
    lines = np.searchsorted(newlines, where, side="right")
    first = np.flatnonzero(np.diff(lines, prepend=-1))  # first (smallest) signal of each text
    line_start = np.concatenate(([0], newlines + 1))
    return lines[first], where[first] - line_start[lines[first]]


# --------------------------------------------------------------------------------------------
# Hits and filters
# --------------------------------------------------------------------------------------------
_STEMS, _INNOCENT = load_lexicon()
_check_linear(_STEMS)
# Compiled on first use (a 50 KB pattern: a third of a second of start-up, which clean input never needs).
_matcher = functools.cache(_build_matcher)


def warm_up() -> None:
    """Compile the matcher and its pre-filter now (before forking worker processes, which then
    share them)."""
    global _scanned
    _matcher()
    if _prefilter() is not None:
        _scanned = max(_scanned, PREFILTER_AFTER)  # built: used from the first line on


def _cached_key_tables() -> tuple[np.ndarray, np.ndarray]:
    """``_key_tables(_STEMS)``, kept between runs (~0.025 s of every start-up; features/tablecache.py)."""
    got = tablecache.cached_arrays("profanity-keys", [tablecache.source_fingerprint()],
                                   lambda: dict(zip(("groups", "rest"), _key_tables(_STEMS))))
    return got["groups"], got["rest"]


_KEY_GROUPS, _KEY_REST = _cached_key_tables()
_KEY_PAIRS = np.zeros(1 << 10, bool)  # first two codes of some key window
_KEY_PAIRS[np.flatnonzero(_KEY_GROUPS) >> 10] = True
# The compiled screen (features/_profanity_ext.pyx), None for the numpy form; it reads the tables
# above, so both forms test the same codes and flags.
_SCREEN = ext.load("features._profanity_ext")


def _key_trigrams(groups: np.ndarray) -> np.ndarray:
    """uint8 [2**15]: 1 where some 4-gram starting with these three codes has a group (the
    kernel's filter before the group table: 32 KB stay in cache, 2 MB do not)."""
    return (groups != 0).reshape(1 << 15, 32).any(axis=1).view(np.uint8)


_SCREEN_TABLES = (_CODE, np.frombuffer(_BIT_BYTES, np.uint8), _key_trigrams(_KEY_GROUPS), _KEY_PAIRS.view(np.uint8),
                  _KEY_GROUPS, _KEY_REST, _BITS, _FLAG_ANY, _FLAG_WORD_START, _SEP_CODES["-"])
# The screen of ``_screen_chars``: the texts' characters read in place, the tables checked once.
_SCREEN_CHARS = _SCREEN.Screen(*_SCREEN_TABLES) if _SCREEN is not None else None


# --------------------------------------------------------------------------------------------
# Pass 2 pre-filter: where a match of the matcher can start (with the compiled kernel only)
# --------------------------------------------------------------------------------------------
# The regex engine tries the matcher at every letter from ``scan_from`` to the end of a candidate
# line, and most candidate lines hold no match at all. The first PREFIX_LEN characters of every
# match are read off the matcher's own parse tree (``_match_prefixes``, an over-approximation),
# and the kernel keeps only the positions whose next characters fit one of those prefixes; the
# matcher is then tried there alone (``re.Pattern.match``: same match as a search reaching that
# position, lookbehinds still see the text before it), so the hits are those of ``finditer``.
PREFIX_LEN = 4  # characters of each match prefix (1.35% of the scanned positions pass at 3, 0.5% at 4)
# Building the pre-filter (parsing the 50 KB pattern) takes about what finditer spends on this many
# characters of candidate lines (~0.15 s; the bench pages hold about 260,000 of them per 10 MB): a
# process builds it once finditer has scanned this much, so short runs never pay for it (warm_up
# builds it at once, for the workers it forks); once built it is kept in the table cache, and a
# later process with the cache loads it from its first line on.
PREFILTER_AFTER = 400_000
_OTHER_CLASS = 128  # any non-ASCII character
_END_CLASS = 129  # past the end of the text
_N_CLASSES = 130
_ANY = None  # a prefix position that may be any character (or none: the match may end before it)
_WORD_START_GUARD = f"(?<!{_WORD}.)"  # the matcher's word-start lookbehind, after a match's first character


class _Unsupported(Exception):
    """The matcher uses a construct the prefix analysis does not model (then: no pre-filter)."""


_State = tuple[tuple["frozenset[str] | None", ...], bool]  # (prefix so far, passed the word-start guard)


def _match_prefixes(pattern: re.Pattern[str], k: int) -> set[_State]:
    r"""Every (first k character sets, word-start guard) a match of ``pattern`` can begin with.

    Conservative: character sets only grow (a category or negated set is any character, other
    assertions are ignored, a backreference is any character, possessive and atomic groups
    are treated as plain ones), so every match's first k characters fit some returned prefix;
    a prefix shorter than k means the match may end there. The guard is True on a path that
    goes through ``(?<![^\W_].)`` right after the first character: such a match starts where
    the character before it (if any) is not a letter or digit.
    """
    import re._constants as sc  # the parser's opcodes (stdlib 3.11+)
    import re._parser as sp

    if pattern.flags & (re.IGNORECASE | re.LOCALE):
        raise _Unsupported("case-insensitive pattern")
    guard = sp.parse(_WORD_START_GUARD).data[0][1]

    def charset(items: list) -> frozenset[str] | None:
        chars: set[str] = set()
        for op, av in items:
            if op is sc.LITERAL:
                chars.add(chr(av))
            elif op is sc.RANGE:
                chars.update(map(chr, range(av[0], av[1] + 1)))
            else:  # NEGATE, CATEGORY: any character
                return _ANY
        return frozenset(chars)

    def push(states: set[_State], chars: frozenset[str] | None) -> set[_State]:
        return {(p + (chars,), g) if len(p) < k else (p, g) for p, g in states}

    def seq(items: list, states: set[_State]) -> set[_State]:
        for op, av in items:
            if all(len(p) >= k for p, _ in states):
                break
            states = item(op, av, states)
        return states

    def repeat(lo: int, hi: int, sub: list, states: set[_State]) -> set[_State]:
        out = set(states) if lo == 0 else set()
        seen: set[frozenset[_State]] = set()
        cur, r = frozenset(states), 0
        while hi is sc.MAXREPEAT or r < hi:
            cur, r = frozenset(seq(sub, set(cur))), r + 1
            if r >= lo:
                if cur in seen:  # the sequence of state sets cycles from here: all seen
                    break
                seen.add(cur)
                out |= cur
        return out

    def item(op, av, states: set[_State]) -> set[_State]:
        if op is sc.LITERAL:
            return push(states, frozenset(chr(av)))
        if op in (sc.NOT_LITERAL, sc.ANY, sc.GROUPREF, sc.CATEGORY):
            return push(states, _ANY)
        if op is sc.IN:
            return push(states, charset(av))
        if op is sc.BRANCH:
            return set().union(*(seq(alt.data, states) for alt in av[1]))
        if op is sc.SUBPATTERN:
            if av[1] or av[2]:
                raise _Unsupported("inline flags")
            return seq(av[3].data, states)
        if op is sc.ATOMIC_GROUP:
            return seq(av.data, states)
        if op in (sc.MAX_REPEAT, sc.MIN_REPEAT, sc.POSSESSIVE_REPEAT):
            return repeat(av[0], av[1], av[2].data, states)
        if op is sc.ASSERT_NOT and av[0] == guard[0] and av[1].data == guard[1].data:
            # After one character (not a newline, which the guard's "." would not match).
            return {(p, g or (len(p) == 1 and p[0] is not _ANY and "\n" not in p[0])) for p, g in states}
        if op in (sc.ASSERT, sc.ASSERT_NOT, sc.AT):
            return states  # zero-width: ignoring it only lets more through
        raise _Unsupported(f"opcode {op}")

    states = seq(sp.parse(pattern.pattern, pattern.flags).data, {((), False)})
    if any(not p or p[0] is _ANY for p, _ in states):
        raise _Unsupported("a match may be empty or start with any character")
    return states


def _prefix_tables(states: set[_State], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kernel's tables for ``states``: states sorted by first character, one bit each.

    ``masks`` uint64 [k, _N_CLASSES, words]: bit s at [j, x] when state s allows class x at its
    j-th character (classes: ASCII code points, _OTHER_CLASS, _END_CLASS); ``guarded`` [words]:
    the states that need a word start; ``ranges`` int64 [128, 2]: the words holding the states
    of each first character; ``alnum`` uint8 [128]: ASCII letters and digits.
    """
    rows = sorted(((c0, p, g) for p, g in states for c0 in p[0]), key=lambda row: row[0])
    if any(ord(c0) >= _OTHER_CLASS for c0, _, _ in rows):
        raise _Unsupported("a non-ASCII first character")
    words = max(1, (len(rows) + 63) // 64)
    allowed = np.zeros((k, words * 64, _N_CLASSES), bool)
    rows_of: dict[object, np.ndarray] = {}  # classes of each character set (many states share one)

    def classes(chars: frozenset[str] | None, ended: bool) -> np.ndarray:
        key = (chars, ended)
        if key not in rows_of:
            row = np.zeros(_N_CLASSES, bool)
            if chars is _ANY:
                row[:_N_CLASSES if ended else _END_CLASS] = True
            else:
                row[sorted({min(ord(c), _OTHER_CLASS) for c in chars})] = True
            rows_of[key] = row
        return rows_of[key]

    guarded = np.zeros(words * 64, bool)
    ranges = np.zeros((_OTHER_CLASS, 2), np.int64)
    for s, (c0, p, g) in enumerate(rows):
        for j in range(k):
            allowed[j, s] = classes(frozenset(c0) if j == 0 else (p[j] if j < len(p) else _ANY), j >= len(p))
        guarded[s] = g
        lo, hi = ranges[ord(c0)]
        ranges[ord(c0)] = (s // 64, s // 64 + 1) if hi == 0 else (lo, s // 64 + 1)
    # Bit s % 64 of word s // 64: a sum of distinct powers of two is their OR.
    bits = np.uint64(1) << np.arange(64, dtype=np.uint64)
    masks = (allowed.reshape(k, words, 64, _N_CLASSES) * bits[:, None]).sum(axis=2, dtype=np.uint64)
    masks = np.ascontiguousarray(masks.transpose(0, 2, 1))
    packed_guard = (guarded.reshape(words, 64) * bits).sum(axis=1, dtype=np.uint64)
    alnum = np.array([chr(i).isalnum() for i in range(_OTHER_CLASS)], np.uint8)
    return masks, packed_guard, ranges, alnum


# The pre-filter's tables in the table cache: built from the matcher, which is built from the
# sources (and the interpreter's ``re``, part of every entry's key).
_PREFILTER_ENTRY = "profanity-prefilter"
_PREFILTER_ARRAYS = ("masks", "guard", "ranges", "alnum")


def _build_prefilter() -> dict[str, np.ndarray]:
    try:
        return dict(zip(_PREFILTER_ARRAYS, _prefix_tables(_match_prefixes(_matcher(), PREFIX_LEN), PREFIX_LEN)))
    except _Unsupported:
        return {}  # (an empty entry remembers it)


@functools.cache
def _prefilter() -> tuple | None:
    """The kernel's tables for the matcher (built on first use and kept between runs,
    features/tablecache.py), or None: no kernel, or a matcher the analysis does not model (then
    ``finditer`` as before)."""
    if _SCREEN is None:
        return None
    got = tablecache.cached_arrays(_PREFILTER_ENTRY, [tablecache.source_fingerprint()], _build_prefilter)
    return tuple(got[k] for k in _PREFILTER_ARRAYS) if got else None


def _phrase_regex(phrases: list[str]) -> re.Pattern[str] | None:
    """Whole-word phrases, grouped by first character so each branch starts with a literal (its
    compiled program kept in the table cache: ~3.5 ms of every start-up)."""
    groups: dict[str, list[str]] = {}
    for p in sorted(phrases, key=len, reverse=True):
        rest = ((f"(?<!{_WORD}.)" if p[0].isalnum() else "") + re.escape(p[1:])
                + (_NOT_AFTER if p[-1].isalnum() else ""))
        groups.setdefault(p[0], []).append(rest)
    return tablecache.compile_regex("|".join(re.escape(c) + _alternation(alts) for c, alts in groups.items()),
                                    "profanity-phrases") if groups else None


_INNOCENT_RE = _phrase_regex(_INNOCENT)
_INNOCENT_REACH = max(map(len, _INNOCENT), default=0)  # an innocent phrase is at most this long
# Every match of _INNOCENT_RE is one of the phrases as written, so a hit inside one is a substring
# of it: a hit that is a substring of no phrase is not innocent, without running the regex (most
# hits; a "\0" inside a hit can only let more through to the regex, never fewer).
_INNOCENT_TEXT = "\0".join(_INNOCENT)
_WORD_CHAR = banked_regex(_WORD)  # one letter or digit (the word-start scan below)
_DIGIT = banked_regex(r"[0-9]")
_MASKED = banked_regex(f"[{re.escape(MASK_CHARS)}]")
_MASK_RUN = banked_regex(f"[{re.escape(MASK_CHARS)}]*")
_MASK_BY_LETTER = banked_regex(f"[a-z{re.escape(_LEET_SYMBOLS)}][{re.escape(MASK_CHARS)}]"
                             f"|[{re.escape(MASK_CHARS)}][a-z{re.escape(_LEET_SYMBOLS)}]")
_LETTER_DIGIT = banked_regex(r"[^\W\d_][0-9]")
_NON_LETTER = banked_regex(r"[\W\d_]+")
_WORDS = banked_regex(r"\S+")
# The next word after a hit: the opening characters, then the word (two possessive matches,
# not ``[\s"'“‘(-]*([^\W\d_][\w'’-]*)``, which is quadratic when scanned over a long run).
_BEFORE_WORD = banked_regex(r"[\s\"'“‘(-]*+")
_FIRST_WORD = banked_regex(r"[^\W\d_][\w'’-]*+")
# The word before a hit, and what follows it (``_last_word``: scans back char by char over at
# most NAME_CONTEXT characters; the equivalent regex ``([^\W\d_][\w'’.-]*?)(\W*)\Z`` is
# quadratic when searched over a long run).
_NON_WORD_CHAR = banked_regex(r"\W")
_LAST_WORD_CHAR = banked_regex(r"[\w'’.-]")
_LETTER = banked_regex(r"[^\W\d_]")
_SENTENCE_BREAK = banked_regex(r"[.!?:;]")


def _fold(text: str) -> str:
    """Lower-case without changing length (U+0130 is the only code point that grows)."""
    low = text.lower()
    return low if len(low) == len(text) else text.replace("\u0130", "i").lower()


def _name_factor(text: str, start: int, end: int) -> float:
    """1.0 normally; 0 for a capitalised word next to another capitalised word in the same
    sentence (Dick Cheney, Philip K. Dick); NAME_DISCOUNT for a lone capitalised one."""
    word = text[start:end]
    if not word[:1].isupper() or not word.isalpha():
        return 1.0  # lower-case, or obfuscated (D!ck): not a name
    hi = min(len(text), end + NAME_CONTEXT)
    after = _FIRST_WORD.match(text, _BEFORE_WORD.match(text, end, hi).end(), hi)
    if after and after.group(0)[:1].isupper():
        return 0.0
    before = _last_word(text, max(0, start - NAME_CONTEXT), start)
    if before and before[0][:1].isupper() and (
            len(before[0]) == 1 or not _SENTENCE_BREAK.search(before[1])):
        return 0.0  # "Moby Dick", "Philip K. Dick"; not "... said. Dick"
    return NAME_DISCOUNT


def _word_start(text: str, lo: int, hi: int) -> int:
    r"""Start of the run of letters/digits that ends at ``hi`` (not before ``lo``); linear, where
    a regex ``[^\W_]+\Z`` searched over a long run would be quadratic."""
    i = hi
    while i > lo and _WORD_CHAR.match(text, i - 1):
        i -= 1
    return i


def _last_word(text: str, lo: int, hi: int) -> tuple[str, str] | None:
    r"""In text[lo:hi]: the last word (from its first letter; inner ' ’ . - allowed) and the
    non-word characters after it, as ``([^\W\d_][\w'’.-]*?)(\W*)\Z`` would match, in linear time."""
    q = hi
    while q > lo and _NON_WORD_CHAR.match(text, q - 1):
        q -= 1
    r = q
    while r > lo and _LAST_WORD_CHAR.match(text, r - 1):
        r -= 1
    m = _LETTER.search(text, r, q)
    return (text[m.start():q], text[q:hi]) if m else None


def _plausible(token: str) -> bool:
    """Reject number-like matches: with digits, need MIN_LETTERS_WITH_DIGITS letters and a letter
    right before a digit (p1ss, sh1t), so 455 / a55 / 4ss are not "ass"."""
    letters = len(_NON_LETTER.sub("", token))
    if letters == 0:
        return False
    if _DIGIT.search(token):
        return letters >= MIN_LETTERS_WITH_DIGITS and _LETTER_DIGIT.search(token) is not None
    return True


def _line_hits(text: str, scan_from: int = 0) -> list[tuple[int, int, float]]:
    """(start, end, weight) of each profane word in one text, in order; no match starts before
    ``scan_from`` (lookbehinds still see the text before it)."""
    low = _fold(text)
    found: dict[tuple[int, int], float] = {}
    for m in _matches(low, scan_from):
        kind, sid = m.lastgroup[0], int(m.lastgroup[1:].split("_")[0])
        stem = _STEMS[sid]
        start, end = m.span()
        if start > 0 and stem.left_open and low[start - 1].isalnum():
            start = _word_start(low, max(0, start - MAX_PREFIX), start)
        token = text[start:end]
        if not _plausible(token):
            continue
        if _MASKED.search(m.group(0)):
            if not _MASK_BY_LETTER.search(m.group(0)):
                continue  # a mask goes with letters, not digits (&#163;)
            if kind == "i" and len(_NON_LETTER.sub("", m.group(0))) < 2:
                continue  # inside a word, a mask needs two real letters with it (bulls**t, not Alf***)
            end = _MASK_RUN.match(low, end).end()  # s***** : the word goes on to its last mask
            token = text[start:end]
        if kind == "e" and not (token.islower() or token.isupper()):
            continue  # exact abbreviations as written: BS or bs, not "B & Bs"
        weight = stem.weight
        if stem.name:
            weight *= _name_factor(text, start, end)
        if weight > 0.0:
            found[(start, end)] = max(weight, found.get((start, end), 0.0))
    return [(s, e, w) for (s, e), w in sorted(found.items()) if not _innocent(low, s, e)]


# Characters finditer has scanned in this process (see PREFILTER_AFTER); when an earlier run left
# the pre-filter's tables in the cache, loading them is cheap: used from the first line on.
_scanned = PREFILTER_AFTER if _SCREEN is not None and tablecache.stored(
    _PREFILTER_ENTRY, [tablecache.source_fingerprint()]) else 0


def _matches(low: str, scan_from: int) -> Iterator[re.Match[str]]:
    """The matcher's ``finditer(low, scan_from)``; with the kernel, the matcher is tried only
    where the pre-filter lets a match start (the same matches: a match is tried at every
    position where one can start that no earlier match covers)."""
    global _scanned
    if _SCREEN is not None and _scanned >= PREFILTER_AFTER:  # (None: switched off after the build)
        tables = _prefilter()
        if tables is not None:
            return _matches_at(low, _SCREEN.match_starts(low, scan_from, *tables))
    _scanned += max(0, len(low) - scan_from)
    return _matcher().finditer(low, scan_from)


def _matches_at(low: str, starts: list[int]) -> Iterator[re.Match[str]]:
    match, end = _matcher().match, 0
    for p in starts:
        if p >= end and (m := match(low, p)) is not None:
            end = m.end()
            yield m


def _innocent(low: str, start: int, end: int) -> bool:
    """Whether the hit low[start:end] lies inside an innocent phrase of the lexicon."""
    if _INNOCENT_RE is None or low[start:end] not in _INNOCENT_TEXT:
        return False
    lo, hi = max(0, start - _INNOCENT_REACH), min(len(low), end + _INNOCENT_REACH + 1)
    return any(m.start() <= start and end <= m.end() for m in _INNOCENT_RE.finditer(low, lo, hi))


def _screen_chars(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``_screen_positions`` with the first signal of each line as a character offset."""
    if _SCREEN is not None and _SCREEN_CHARS is not None:  # the same screen, one byte per character
        return _SCREEN_CHARS.chars(texts)  # (= screen_positions(line_bytes(texts), ...) in one pass)
    lines, offsets = _screen_positions(texts)
    starts = offsets.copy()
    for k, (i, off) in enumerate(zip(lines.tolist(), offsets.tolist())):
        text = texts[i]
        if not text.isascii():  # byte offset -> character offset (no more than the bytes)
            starts[k] = len(text.encode("utf-8", "replace")[:off].decode("utf-8", "ignore"))
    return lines, starts


def _chunks(texts: list[str]) -> list[tuple[int, int]]:
    """(first, end) indices of the texts screened together: about CHUNK_CHARS characters each."""
    total = _SCREEN.char_total(texts) if _SCREEN is not None else sum(map(len, texts))
    if total + len(texts) <= CHUNK_CHARS:  # the usual batch: one chunk
        return [(0, len(texts))]
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)
    out, lo = [], 0
    while lo < len(texts):
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + CHUNK_CHARS, side="right")))
        out.append((lo, hi))
        lo = hi
    return out


def _all_hits(texts: list[str]) -> dict[int, list[tuple[int, int, float]]]:
    """Hits per text index, screening in chunks of about CHUNK_CHARS characters."""
    out: dict[int, list[tuple[int, int, float]]] = {}
    if not texts:
        return out
    for lo, hi in _chunks(texts):
        lines, starts = _screen_chars(texts[lo:hi])
        for i, start in zip(lines.tolist(), starts.tolist()):
            hits = _line_hits(texts[lo + i], max(0, start - SCAN_MARGIN))
            if hits:
                out[lo + int(i)] = hits
    return out


# The evidence of a block without hits (shared: never mutated, callers build new lists).
_NO_EVIDENCE: list[dict] = []


def _score(weights: list[float]) -> float:
    """1 - prod(1 - w): one strong word is enough, mild ones add up."""
    return min(1.0, 1.0 - math.prod(1.0 - w for w in weights))


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------
def profanity_scores(texts: list[str]) -> tuple[np.ndarray, list[list[dict]]]:
    """For each text: a score in 0..1 and evidence spans [{"kind": "profanity", "start": i, "end": j}, ...]
    (character offsets into that text, each covering one whole profane word)."""
    scores = np.zeros(len(texts), np.float32)
    evidence: list[list[dict]] = [_NO_EVIDENCE] * len(texts)  # shared by clean texts; hits get their own
    for i, hits in _all_hits(texts).items():
        scores[i] = _score([w for _, _, w in hits])
        evidence[i] = [{"kind": "profanity", "start": s, "end": e} for s, e, _ in hits]
    return scores, evidence


def profanity_counts(texts: list[str]) -> np.ndarray:
    """float32 [n, 2]: number of profane words, and that per word of the text (classifier columns)."""
    out = np.zeros((len(texts), 2), np.float32)
    for i, hits in _all_hits(texts).items():
        out[i, 0] = len(hits)
        out[i, 1] = len(hits) / max(1, len(_WORDS.findall(texts[i])))
    return out
