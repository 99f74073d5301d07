"""Conservative byte tables for bytes regexes: which bytes can stand at each of a match's first
positions, read from the parsed pattern.

Why: ``features.extract`` counts ~19 short patterns over each batch's lower-cased bytes, one scan
each. With these tables one compiled pass (features/_literal_ext.pyx) finds, for all patterns at
once, the few places where a match can start, and each pattern's regex is asked only there. The
regex stays the judge of every match; the tables only have to be a superset: a byte ``b`` not in
``position_sets(rx)[j]`` never stands at offset ``j`` of a match of ``rx``.

How the superset is kept: the pattern is expanded into alternatives (a tuple of byte sets per
position, and whether what follows the tuple is still described); every construct not understood
(group references, atomic groups, possessive repeats, flag changes, case-insensitive or locale
patterns) ends its alternative there ("anything may follow"), zero-width assertions constrain
nothing, and single-byte sets are computed by trying all 256 bytes where a class is involved.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from re import _parser as sre_parser

# Positions looked at (the kernel's tables are [DEPTH, 256]).
DEPTH = 8
# Alternatives kept while expanding; beyond, they are merged into one (a coarser superset).
MAX_ALTS = 64
ALL_BYTES = frozenset(range(256))
# A repeat with at most this many optional repetitions (``s?``) is expanded count by count.
FEW_MORE = 2

Seq = tuple[frozenset, ...]
Alt = tuple[Seq, bool]  # (byte set per position, True when the item's whole match is described)


def _category_bytes(code: object, flags: int) -> frozenset | None:
    """The bytes a class escape (``\\d``, ``\\s``, ``\\w`` and negations) matches, by trying each."""
    for esc, (op, av) in sre_parser.CATEGORIES.items():
        if op is sre_parser.IN and av == [(sre_parser.CATEGORY, code)]:
            rx = re.compile(esc.encode("ascii"), flags)
            return frozenset(b for b in range(256) if rx.fullmatch(bytes((b,))))
    return None


def _byte_set(op: object, av: object, flags: int) -> frozenset:
    """Bytes one single-byte item can match (all bytes when not understood)."""
    if op is sre_parser.LITERAL:
        return frozenset((av,))
    if op is sre_parser.NOT_LITERAL:
        return ALL_BYTES - {av}
    if op is not sre_parser.IN:
        return ALL_BYTES  # ANY and anything else of width one
    out: set[int] = set()
    negate = False
    for sop, sav in av:
        if sop is sre_parser.NEGATE:
            negate = True
        elif sop is sre_parser.LITERAL:
            out.add(sav)
        elif sop is sre_parser.RANGE:
            out.update(range(sav[0], sav[1] + 1))
        elif sop is sre_parser.CATEGORY:
            cat = _category_bytes(sav, flags)
            if cat is None:
                return ALL_BYTES
            out.update(cat)
        else:
            return ALL_BYTES
    return ALL_BYTES - out if negate else frozenset(out)


def _merge(alts: list[Alt]) -> list[Alt]:
    """One alternative covering all of ``alts``: the union per position up to the shortest."""
    n = min(len(s) for s, _ in alts)
    return [(tuple(frozenset().union(*(s[j] for s, _ in alts)) for j in range(n)), False)]


def _concat(left: list[Alt], right: list[Alt], depth: int) -> list[Alt]:
    """Every alternative of ``left`` followed by every one of ``right`` where ``left`` is open."""
    out: dict[Seq, bool] = {}
    for seq, open_ in left:
        if not open_ or len(seq) >= depth:
            out[seq[:depth]] = False
            continue
        for seq2, open2 in right:
            comb = (seq + seq2)[:depth]
            # The same bytes closed by one alternative and open by another: closed (both covered).
            out[comb] = out.get(comb, True) and open2 and len(seq + seq2) < depth
    alts = list(out.items())
    return _merge(alts) if len(alts) > MAX_ALTS else alts


def _expand(items: Iterable, flags: int, depth: int) -> list[Alt]:
    alts: list[Alt] = [((), True)]
    for op, av in items:
        alts = _concat(alts, _expand_item(op, av, flags, depth), depth)
    return alts


def _expand_item(op: object, av: object, flags: int, depth: int) -> list[Alt]:
    p = sre_parser
    if op in (p.LITERAL, p.NOT_LITERAL, p.IN, p.ANY):
        return [((_byte_set(op, av, flags),), True)]
    if op in (p.AT, p.ASSERT, p.ASSERT_NOT):
        return [((), True)]  # zero width: consumes nothing, constrains nothing here
    if op is p.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            return [((), False)]
        return _expand(sub, flags, depth)
    if op is p.BRANCH:
        alts = [a for sub in av[1] for a in _expand(sub, flags, depth)]
        return _merge(alts) if len(alts) > MAX_ALTS else alts
    if op in (p.MAX_REPEAT, p.MIN_REPEAT):
        lo, hi, sub = av
        one = _expand(sub, flags, depth)
        body: list[Alt] = [((), True)]
        for _ in range(min(lo, depth)):
            body = _concat(body, one, depth)
        if lo > depth:
            return [(s, False) for s, _ in body]
        if hi == lo:  # exactly ``lo`` repetitions
            return body
        if hi - lo <= FEW_MORE and hi <= depth:  # every count of repetitions, each then what follows
            out = list(body)
            for _ in range(hi - lo):
                body = _concat(body, one, depth)
                out += body
            return _merge(out) if len(out) > MAX_ALTS else out
        # ``lo`` repetitions and then what follows, or at least one more and then unknown.
        more = [(s, False) for s, _ in _concat(body, one, depth)]
        return body + more
    return [((), False)]  # not understood: anything from here on


def position_sets(rx: re.Pattern, depth: int = DEPTH) -> list[frozenset] | None:
    """Byte sets ``S[j]`` with: every match of ``rx`` is longer than ``j`` and has its byte ``j``
    in ``S[j]``, for ``j < len(S)`` (``len(S) <= depth``); None when ``rx`` is not a bytes pattern
    or is case-insensitive / locale-dependent (no tables)."""
    if not isinstance(rx.pattern, bytes) or rx.flags & (re.IGNORECASE | re.LOCALE):
        return None
    try:
        parsed = sre_parser.parse(rx.pattern, rx.flags)
        if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
            return None
        alts = _expand(parsed, parsed.state.flags, depth)
    except Exception:  # noqa: BLE001 - a change of this private parser may cost speed, never results
        return None
    return list(_merge(alts)[0][0])
