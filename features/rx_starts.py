"""Where a match of a regex can start: necessary conditions on the characters around the start.

Why: ``features.mt``'s pre-screen alternation starts with characters that are common in prose
(commas, full stops, brackets), so ``re``'s first-character skip stops very often and tries every
branch there. The conditions read off the parsed pattern here (the first few characters a match
consumes, and the ones its positive lookbehinds and lookaheads see) rule out nearly all of those
places at the cost of a few table look-ups, so the regex itself is only tried where it may match
(``features/_mt_ext.pyx``), and a per-block pattern is only run when the block holds one of the
strings every match contains (:func:`required_strings`).

Conservative by construction: every construct this module does not read exactly (negative
lookarounds, anchors, backreferences, flags, characters past ``WINDOW``, more alternatives than
``LIMIT``) only drops conditions, never adds one, so every position where the regex matches
satisfies one of the alternatives returned (tests/test_ext_mt.py checks that on random and
adversarial text, against the regex).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from re import _constants as _sre_c  # type: ignore[attr-defined]
from re import _parser as _sre_p  # type: ignore[attr-defined]

__all__ = ["CharSet", "start_conditions", "required_strings", "scanner_tables", "min_width", "LOW", "WINDOW"]

# Code points below this are held exactly (a lookup table each); above, a set or "unknown".
LOW = 256
# Characters from the start of a match (offsets 0 .. WINDOW - 1) whose conditions are read.
WINDOW = 4
# More alternatives than this and the pattern gets no conditions (every position may start).
LIMIT = 20000
# Ranges above LOW longer than this are "unknown" above LOW rather than listed.
HIGH_RANGE_MAX = 4096
# Flags that change what a character class or literal matches (not read here: no conditions).
_UNREAD_FLAGS = re.IGNORECASE | re.ASCII | re.LOCALE
# The regex categories, to evaluate them below LOW with ``re`` itself (Python's own semantics).
_CATEGORY_SOURCE = {
    _sre_c.CATEGORY_DIGIT: r"\d", _sre_c.CATEGORY_NOT_DIGIT: r"\D",
    _sre_c.CATEGORY_SPACE: r"\s", _sre_c.CATEGORY_NOT_SPACE: r"\S",
    _sre_c.CATEGORY_WORD: r"\w", _sre_c.CATEGORY_NOT_WORD: r"\W",
}
_CONSUME_ONE = (_sre_c.LITERAL, _sre_c.NOT_LITERAL, _sre_c.ANY, _sre_c.IN)
_REPEATS = tuple(getattr(_sre_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(_sre_c, name))
_GROUPS = tuple(getattr(_sre_c, name) for name in ("SUBPATTERN", "ATOMIC_GROUP") if hasattr(_sre_c, name))


@dataclass(frozen=True)
class CharSet:
    """Characters allowed at one offset: exactly below ``LOW``; above it a set, or None (any)."""

    low: frozenset[int]
    high: frozenset[int] | None

    def __and__(self, other: CharSet) -> CharSet:
        if self.high is None:
            high = other.high
        elif other.high is None:
            high = self.high
        else:
            high = self.high & other.high
        return CharSet(self.low & other.low, high)

    def __or__(self, other: CharSet) -> CharSet:
        high = None if self.high is None or other.high is None else self.high | other.high
        return CharSet(self.low | other.low, high)

    def empty(self) -> bool:
        return not self.low and self.high is not None and not self.high

    def may_be_high(self) -> bool:
        """Whether some character at or above LOW may be in the set."""
        return self.high is None or bool(self.high)

    def __contains__(self, c: int) -> bool:
        if c < LOW:
            return c in self.low
        return self.high is None or c in self.high


ANY_CHAR = CharSet(frozenset(range(LOW)), None)
_NO_HIGH: frozenset[int] = frozenset()
# A start condition: offset from the match start -> the characters allowed there.
Condition = dict[int, CharSet]


class _TooMany(Exception):
    pass


@functools.cache
def _category(code: object) -> CharSet:
    source = _CATEGORY_SOURCE.get(code)  # type: ignore[call-overload]
    if source is None:  # line-break categories etc.: not read
        return ANY_CHAR
    rx = re.compile(source)
    return CharSet(frozenset(c for c in range(LOW) if rx.fullmatch(chr(c))), None)


def _range(lo: int, hi: int) -> CharSet:
    low = frozenset(range(lo, min(hi, LOW - 1) + 1))
    if hi < LOW:
        return CharSet(low, _NO_HIGH)
    first_high = max(lo, LOW)
    if hi - first_high >= HIGH_RANGE_MAX:
        return CharSet(low, None)
    return CharSet(low, frozenset(range(first_high, hi + 1)))


def _charset(op: object, av: object) -> CharSet:
    """The characters one consuming item (literal, class, ``.``) may match."""
    if op is _sre_c.LITERAL:
        return _range(av, av)  # type: ignore[arg-type]
    if op is _sre_c.IN:
        items = list(av)  # type: ignore[call-overload]
        negate = bool(items) and items[0][0] is _sre_c.NEGATE
        if negate:
            items = items[1:]
        out = CharSet(frozenset(), _NO_HIGH)
        for o, a in items:
            if o is _sre_c.LITERAL:
                out = out | _range(a, a)
            elif o is _sre_c.RANGE:
                out = out | _range(a[0], a[1])
            elif o is _sre_c.CATEGORY:
                out = out | _category(a)
            else:  # anything else: any character
                return ANY_CHAR
        if negate:  # the complement: exact below LOW, unknown above
            return CharSet(frozenset(range(LOW)) - out.low, None)
        return out
    # NOT_LITERAL, ANY (with or without DOTALL): below LOW all but at most one; say "any".
    return ANY_CHAR


def _items(sub: object) -> tuple:
    data = getattr(sub, "data", sub)
    return tuple(("item", op, av) for op, av in data)  # type: ignore[union-attr]


def _min_width(sub: object) -> int:
    return sub.getwidth()[0]  # type: ignore[attr-defined]


def start_conditions(rx: re.Pattern[str], window: int = WINDOW, limit: int = LIMIT) -> list[Condition] | None:
    """Alternatives of conditions one of which holds at every position where ``rx`` matches.

    Each condition maps an offset from the match start (negative: seen by a lookbehind) to
    the characters allowed there; a position satisfies it when every such offset is inside the
    text and holds an allowed character. None: no conditions could be read (any position).
    """
    if not isinstance(rx.pattern, str) or rx.flags & _UNREAD_FLAGS:
        return None
    try:
        parsed = _parse(rx)
    except Exception:  # noqa: BLE001 - a change of this private parser costs speed, never results
        return None
    if parsed.state.flags & _UNREAD_FLAGS:
        return None
    out: list[Condition] = []

    def walk(todo: tuple, off: int, cond: Condition) -> None:
        """``todo``: what is still to match, in order; ``off``: where the next character is."""
        if len(out) > limit:
            raise _TooMany
        if not todo:
            out.append(cond)
            return
        head, rest = todo[0], todo[1:]
        if head[0] == "offset":  # back from a lookaround to where it stood
            walk(rest, head[1], cond)
            return
        if head[0] == "repeat":  # the repeated part ``lo`` to ``hi`` more times
            _, lo, hi, sub = head
            again = hi if hi == _sre_c.MAXREPEAT else hi - 1
            if lo > 0:
                walk(_items(sub) + (("repeat", lo - 1, again, sub),) + rest, off, cond)
                return
            walk(rest, off, cond)
            if hi > 0:
                walk(_items(sub) + (("repeat", 0, again, sub),) + rest, off, cond)
            return
        _, op, av = head
        if op in _CONSUME_ONE:
            if off >= window:  # past the window: read no further (fewer conditions)
                out.append(cond)
                return
            allowed = _charset(op, av)
            if off in cond:
                allowed = allowed & cond[off]
                if allowed.empty():  # this path cannot match
                    return
            walk(rest, off + 1, {**cond, off: allowed})
        elif op in _GROUPS:
            sub = av if op is not _sre_c.SUBPATTERN else av[3]
            if op is _sre_c.SUBPATTERN and (av[1] or av[2]):  # inline flags: not read
                out.append(cond)
                return
            walk(_items(sub) + rest, off, cond)
        elif op is _sre_c.BRANCH:
            for alternative in av[1]:
                walk(_items(alternative) + rest, off, cond)
        elif op in _REPEATS:
            lo, hi, sub = av
            if _min_width(sub) == 0:  # a repeat that may match nothing: read no further
                out.append(cond)
                return
            walk((("repeat", lo, hi, sub),) + rest, off, cond)
        elif op is _sre_c.ASSERT:
            direction, sub = av
            lo, hi = sub.getwidth()
            if direction < 0 and lo != hi:  # (lookbehinds have a fixed width)
                walk(rest, off, cond)
                return
            start = off - lo if direction < 0 else off
            walk(_items(sub) + (("offset", off),) + rest, start, cond)
        elif op is _sre_c.ASSERT_NOT or op is _sre_c.AT:  # may only reject: no condition read
            walk(rest, off, cond)
        else:  # backreferences, conditionals, anything new: read no further
            out.append(cond)

    try:
        walk(_items(parsed), 0, {})
    except (_TooMany, RecursionError):
        return None
    return out


@functools.lru_cache(maxsize=64)
def _parse(rx: re.Pattern[str]) -> object:
    """The parsed pattern (parsing the pre-screen alternation takes milliseconds: once)."""
    return _sre_p.parse(rx.pattern, rx.flags)


def min_width(rx: re.Pattern[str]) -> int:
    """The fewest characters a match of ``rx`` consumes (0: it may match the empty string)."""
    return _parse(rx).getwidth()[0]


def required_strings(rx: re.Pattern[str], most: int = 8) -> tuple[str, ...] | None:
    """Strings one of which every match of ``rx`` contains (None: no such short list is known).

    From each start condition: the longest run of single-character offsets around the start
    (a literal the match, or a lookaround of it, must have there), or when that gives more
    than ``most`` strings, the first character alone; a text holding none of the strings
    holds no match.
    """
    conditions = start_conditions(rx)
    if conditions is None:
        return None
    runs: list[str] = []
    firsts: set[str] = set()
    for cond in conditions:
        single = {k: next(iter(s.low | s.high)) for k, s in cond.items()
                  if s.high is not None and len(s.low) + len(s.high) == 1}
        if 0 not in single:
            return None
        lo = hi = 0
        while lo - 1 in single:
            lo -= 1
        while hi + 1 in single:
            hi += 1
        runs.append("".join(chr(single[k]) for k in range(lo, hi + 1)))
        firsts.add(chr(single[0]))
    for found in (set(runs), firsts):  # the runs, or when too many, the first characters
        kept: list[str] = []
        for s in sorted(found, key=len):  # a string containing a kept one is implied by it
            if not any(t in s for t in kept):
                kept.append(s)
                if len(kept) > most:
                    break
        else:
            return tuple(sorted(kept))
    return None


def scanner_tables(conditions: list[Condition]) -> dict[str, object]:
    """The conditions as the flat arrays ``features._mt_ext.StartScanner`` takes.

    Conditions are listed under each character below ``LOW`` their offset 0 allows (one without
    an offset-0 condition under every character); a character at or above ``LOW`` at the start
    is a candidate when some condition's offset 0 may hold it (its other offsets unchecked).
    At other offsets a character at or above ``LOW`` passes when the set may hold any such.
    Under one first character, conditions on the same offsets are merged into one allowing the
    union at each offset (it holds wherever one of them does: looser, so still conservative,
    and a full stop checks 3 conditions instead of 16).
    """
    import numpy as np

    high_first: set[int] = set()
    any_high_first = False
    # Per first character: offsets checked -> offset -> (allowed below LOW, any above allowed).
    per_char: list[dict[frozenset[int], dict[int, tuple[frozenset[int], bool]]]] = [{} for _ in range(LOW)]
    for cond in conditions:
        first = cond.get(0, ANY_CHAR)
        if first.high is None:
            any_high_first = True
        else:
            high_first |= first.high
        rest = {off: allowed for off, allowed in cond.items() if off != 0}
        for c in first.low:
            merged = per_char[c].setdefault(frozenset(rest), {})
            for off, allowed in rest.items():
                low, high = merged.get(off, (frozenset(), False))
                merged[off] = (low | allowed.low, high or allowed.may_be_high())
    by_first: list[list[int]] = [[] for _ in range(LOW)]
    alt_ids: dict[tuple, int] = {}
    table_ids: dict[tuple[frozenset[int], bool], int] = {}
    alt_cons = [0]
    cons_off: list[int] = []
    cons_tab: list[int] = []
    for c in range(LOW):
        shapes = per_char[c]
        if frozenset() in shapes:  # a condition on offset 0 alone: the others add nothing
            shapes = {frozenset(): {}}
        for merged in shapes.values():
            key = tuple(sorted(merged.items()))
            if key not in alt_ids:
                alt_ids[key] = len(alt_ids)
                for off, table in key:
                    cons_off.append(off)
                    cons_tab.append(table_ids.setdefault(table, len(table_ids)))
                alt_cons.append(len(cons_off))
            by_first[c].append(alt_ids[key])
    tables = np.zeros((max(len(table_ids), 1), LOW), dtype=np.uint8)
    table_high = np.zeros(len(tables), dtype=np.uint8)
    for (low, high), t in table_ids.items():
        tables[t, sorted(low)] = 1
        table_high[t] = high
    return {
        "first_start": np.cumsum([0] + [len(x) for x in by_first]).astype(np.int32),
        "first_alts": np.array([a for x in by_first for a in x], dtype=np.int32),
        "alt_cons": np.array(alt_cons, dtype=np.int32),
        "cons_off": np.array(cons_off, dtype=np.int32),
        "cons_tab": np.array(cons_tab, dtype=np.int32),
        "tables": tables,
        "table_high": table_high,
        "high_first": np.array(sorted(high_first), dtype=np.uint32),
        "any_high_first": any_high_first,
    }
