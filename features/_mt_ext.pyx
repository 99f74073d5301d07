# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled form of ``[m.start() for m in COMBINED.finditer(joined)]`` in ``features.mt``.

Why: the pre-screen alternation's first characters include commas and full stops, so ``re``'s
first-character skip stops at every one of them and tries its ~40 branches there (a tenth of
``classify``). Here one pass over the code points checks, at each position, the start
conditions read off the pattern itself (``features.rx_starts.start_conditions``: the first few
characters a match consumes and those its lookbehinds/lookaheads see); they hold wherever the
pattern matches, so the regex is asked (``match(text, i)``, which sees the text before ``i``
as ``finditer`` does) only where it may match, and it decides. Scanning on from each match's
end, as ``finditer`` does, gives the same start positions in the same order.

``NeedleSet`` (session 20): the candidate patterns of every block the pre-screen hit, in one
pass over those blocks' code points (which of the patterns' required strings each block holds,
then which patterns have one string of each group); it replaced per-block ``key in text`` and
``needle in text`` loops in Python (~10 ms a bench run). Same decisions: ``in`` on the block's
code points.

Session 21 (tests/test_ext_mt2.py): the scan's time was the conditions tested at each of its
first characters (full stops and commas: ~3% of the characters), not the walk over the rest.
The conditions are now tested as bit sets (one AND per offset, no branch per condition), the
scan reads the str's own code units (2 bytes each in most batches of news text; reading ``cp``
there only for the tested positions missed the cache at each of them), and the walk tests 16
characters at a time where SSE2 is there (bytes in ranges no condition starts with are
skipped). Each alone gained little or nothing (the 16-wide walk alone: 21.5 -> 21.4 ms a bench
run; the other two with the walk one character at a time: 24.5 -> 24.2); the three together
24.5 -> 14.7.
"""
import numpy as np

from features.skip16 import skip_ranges

from cpython.unicode cimport PyUnicode_DATA, PyUnicode_KIND
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

cimport cython

cdef enum:
    LOW = 256  # characters below this are looked up in tables (above: the slow path)
    LOW_WORDS = LOW // 64  # 64-bit words of a bit set over them
    MAX_OFFSETS = 8  # offsets the bitwise condition test covers (``_maybe``)

cdef extern from *:
    """
    /* PyUnicode_READY fills in a str made the pre-3.3 way (whose kind and data are not set
       yet); from 3.12 on every str is ready (the macro is deprecated, a no-op). */
    #if PY_VERSION_HEX < 0x030C0000
    #define mt_unicode_ready(o) PyUnicode_READY(o)
    #else
    #define mt_unicode_ready(o) 0
    #endif
    """
    int PyUnicode_READY "mt_unicode_ready"(object o) except -1

include "_skip16.pxi"


# Characters whose runs of characters no condition starts with are skipped 16 at a time (the
# commonest in news text: spaces, lower-case letters, digits, capitals); see features/skip16.py.
SKIP_ANCHORS = " e0A"
MAX_SKIP_RANGES = SKIP_RANGES


cdef class StartScanner


@cython.final
cdef class StartScanner:
    """The start conditions as flat tables (built by ``features.rx_starts.scanner_tables``)."""

    cdef const int32_t[::1] first_start
    cdef const int32_t[::1] first_alts
    cdef const int32_t[::1] alt_cons
    cdef const int32_t[::1] cons_off
    cdef const int32_t[::1] cons_tab
    cdef const uint8_t[:, ::1] tables
    cdef const uint8_t[::1] table_high
    cdef const uint32_t[::1] high_first
    cdef bint any_high_first
    # Per character below LOW: 1 when some condition may start with it (the quick test).
    cdef uint8_t starts_with[256]
    # The skip test's ranges (``_mask16``), and whether it is used.
    cdef unsigned char skip_pattern[SKIP_RANGES * 2 * SKIP_WIDTH]
    cdef bint wide
    # The conditions as bit sets (``_maybe``; ``bitwise`` false: too many to fit): bit a of
    # ``first_bits[c]`` for each condition a listed under first character c; bit a of
    # ``off_masks[k][d]`` unless condition a rules out character d (d < LOW; LOW: any above)
    # at offset ``offsets[k]``.
    cdef bint bitwise
    cdef int n_offsets, min_off, max_off
    cdef int offsets[MAX_OFFSETS]
    cdef uint64_t first_bits[LOW]
    cdef uint64_t off_masks[MAX_OFFSETS][LOW + 1]

    def __init__(self, first_start, first_alts, alt_cons, cons_off, cons_tab, tables, table_high,
                 high_first, any_high_first):
        if len(first_start) != LOW + 1 or tables.shape[1] != LOW:
            raise ValueError("tables not built for this kernel's LOW")
        self.first_start = first_start
        self.first_alts = first_alts
        self.alt_cons = alt_cons
        self.cons_off = cons_off
        self.cons_tab = cons_tab
        self.tables = tables
        self.table_high = table_high
        self.high_first = high_first
        self.any_high_first = any_high_first
        cdef int c
        for c in range(LOW):
            self.starts_with[c] = self.first_start[c] != self.first_start[c + 1]
        self._build_bitwise()
        ranges = skip_ranges([self.starts_with[c] == 0 for c in range(LOW)], SKIP_ANCHORS, SKIP_RANGES)
        self.wide = _fill_skip_pattern(self.skip_pattern, ranges)

    cdef void _build_bitwise(self):
        """``first_bits``, ``off_masks``, ``offsets`` from the flat tables (``bitwise`` false when
        there are more than 64 conditions or MAX_OFFSETS offsets)."""
        cdef Py_ssize_t n_alts = self.alt_cons.shape[0] - 1
        offsets = sorted({int(self.cons_off[k]) for k in range(self.cons_off.shape[0])} - {0})
        self.bitwise = n_alts <= 64 and len(offsets) <= MAX_OFFSETS
        if not self.bitwise:
            return
        self.n_offsets = len(offsets)
        self.min_off = min(offsets, default=0)
        self.max_off = max(offsets, default=0)
        cdef int c, d, k, j, a, t, slot
        for k in range(MAX_OFFSETS):
            self.offsets[k] = offsets[k] if k < len(offsets) else 0
            for d in range(LOW + 1):
                self.off_masks[k][d] = ~(<uint64_t> 0)
        for c in range(LOW):
            self.first_bits[c] = 0
            for j in range(self.first_start[c], self.first_start[c + 1]):
                self.first_bits[c] |= (<uint64_t> 1) << self.first_alts[j]
        for a in range(n_alts):
            for k in range(self.alt_cons[a], self.alt_cons[a + 1]):
                if self.cons_off[k] == 0:  # (the first character: listed under, in first_bits)
                    continue
                slot = offsets.index(self.cons_off[k])
                t = self.cons_tab[k]
                for d in range(LOW):
                    if not self.tables[t, d]:
                        self.off_masks[slot][d] &= ~((<uint64_t> 1) << a)
                if not self.table_high[t]:
                    self.off_masks[slot][LOW] &= ~((<uint64_t> 1) << a)

    def starts(self, str text, const uint32_t[::1] cp, object match):
        """``[m.start() for m in rx.finditer(text)]`` where ``match`` is ``rx.match`` and ``cp``
        the text's code points; ``rx`` must never match the empty string (checked by the caller)."""
        cdef uint32_t[:, ::1] no_ranges = np.zeros((0, 2), dtype=np.uint32)
        return self.starts_and_gate(text, cp, match, 0xFFFFFFFF, no_ranges)[0]

    def starts_and_gate(self, str text, const uint32_t[::1] cp, object match, uint32_t first_hi,
                        const uint32_t[:, ::1] ranges):
        """``starts(text, cp, match)`` and ``passes_gate(cp, first_hi, ranges)`` in one pass over
        the code points (the gate's characters are above LOW, off the scan's common path)."""
        cdef Py_ssize_t n = cp.shape[0]
        cdef const uint32_t* rng = _ranges_ptr(ranges)
        cdef Py_ssize_t n_ranges = ranges.shape[0]
        cdef int kind
        cdef void* data
        if n != len(text):
            raise ValueError("cp is not the text's code points")
        if n == 0:
            return [], False
        # The text's own code units, not ``cp`` (the same code points): half the bytes in a
        # batch of UCS-2 text, already in the cache when the caller has just built the str.
        PyUnicode_READY(text)
        kind, data = PyUnicode_KIND(text), PyUnicode_DATA(text)
        if kind == 1:
            return _scan(self, text, <const uint8_t*> data, n, match, first_hi, rng, n_ranges)
        if kind == 2:
            return _scan(self, text, <const uint16_t*> data, n, match, first_hi, rng, n_ranges)
        return _scan(self, text, <const uint32_t*> data, n, match, first_hi, rng, n_ranges)


ctypedef fused char_t:
    # The code units of a str of each kind (1, 2, 4 bytes): the scan reads the text itself.
    uint8_t
    uint16_t
    uint32_t


cdef inline bint _maybe(StartScanner self, const char_t* cp, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    """``_candidate``: for a character below LOW with every offset inside the text, as one AND
    of bit sets per offset (no branch per condition and offset; most of the scan's time was
    spent there, at the full stops and commas); elsewhere ``_candidate`` itself."""
    cdef uint32_t c = cp[i], d
    cdef uint64_t acc
    cdef int k
    if not (self.bitwise and c < LOW and i + self.min_off >= 0 and i + self.max_off < n):
        return _candidate(self, cp, n, i)
    acc = self.first_bits[c]
    for k in range(self.n_offsets):
        d = cp[i + self.offsets[k]]
        acc &= self.off_masks[k][d if d < LOW else LOW]
    return acc != 0


cdef bint _candidate(StartScanner self, const char_t* cp, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    """Whether some start condition holds at ``i`` (every offset in the text, allowed there)."""
    cdef uint32_t c = cp[i], d
    cdef Py_ssize_t q, j, a, k, lo, hi, mid
    cdef int32_t t
    cdef bint ok
    if c >= LOW:
        if self.any_high_first:
            return True
        lo = 0
        hi = self.high_first.shape[0]
        while lo < hi:
            mid = (lo + hi) // 2
            if self.high_first[mid] < c:
                lo = mid + 1
            else:
                hi = mid
        return lo < self.high_first.shape[0] and self.high_first[lo] == c
    for j in range(self.first_start[c], self.first_start[c + 1]):
        a = self.first_alts[j]
        ok = True
        for k in range(self.alt_cons[a], self.alt_cons[a + 1]):
            q = i + self.cons_off[k]
            if q < 0 or q >= n:
                ok = False
                break
            d = cp[q]
            t = self.cons_tab[k]
            if d < LOW:
                if not self.tables[t, d]:
                    ok = False
                    break
            elif not self.table_high[t]:
                ok = False
                break
        if ok:
            return True
    return False


cdef tuple _scan(StartScanner self, str text, const char_t* p, Py_ssize_t n, object match, uint32_t first_hi,
                 const uint32_t* rng, Py_ssize_t n_ranges):
    """``starts_and_gate`` over the text's own code units ``p`` (its kind's width)."""
    cdef Py_ssize_t i, k
    cdef int64_t end
    cdef uint32_t c
    cdef const uint8_t* quick = self.starts_with
    cdef bint gate = False
    cdef Cursor cur
    out = []
    # Positions come from the cursor: 16 at a time, those in the skip ranges dropped (no
    # condition starts with their characters, and they are below the gate's first_hi).
    cur.data, cur.kind = p, sizeof(char_t)
    cur.n, cur.i, cur.base, cur.mask = n, 0, 0, 0
    cur.wide, cur.pattern = self.wide, self.skip_pattern
    i = _next(&cur)
    while i < n:
        c = p[i]
        # The common case first: a character no condition starts with, below the gate.
        if c < LOW and not quick[c]:
            i = _next(&cur)
            continue
        if not gate and c > first_hi:
            gate = _outside(c, rng, n_ranges)
        if _maybe(self, p, n, i):
            m = match(text, i)
            if m is not None:
                out.append(i)
                end = m.end()
                if end <= i or end > n:
                    raise ValueError("an empty match: this scan does not follow finditer there")
                if not gate:  # the characters the match covers are not scanned: gate them
                    for k in range(i + 1, end):
                        if p[k] > first_hi and _outside(p[k], rng, n_ranges):
                            gate = True
                            break
                _skip_to(&cur, end)
        i = _next(&cur)
    return out, gate



cdef inline bint _outside(uint32_t c, const uint32_t* ranges, Py_ssize_t k) noexcept nogil:
    """Whether ``c`` is in none of the ``k`` ranges ``ranges[2 r] .. ranges[2 r + 1]`` (inclusive)."""
    cdef Py_ssize_t r
    for r in range(k):
        if ranges[2 * r] <= c <= ranges[2 * r + 1]:
            return False
    return True


cdef inline const uint32_t* _ranges_ptr(const uint32_t[:, ::1] ranges):
    if ranges.shape[1] != 2:
        raise ValueError("ranges must be [k, 2]")
    return &ranges[0, 0] if ranges.shape[0] else NULL

def passes_gate(const uint32_t[::1] cp, uint32_t first_hi, const uint32_t[:, ::1] ranges):
    """``features.mt._passes_gate``'s numpy form: some code point above ``first_hi`` that is in
    none of ``ranges`` (inclusive bounds); stops at the first one."""
    cdef Py_ssize_t i, n = cp.shape[0], n_ranges = ranges.shape[0]
    cdef uint32_t c
    cdef const uint32_t* rng = _ranges_ptr(ranges)
    for i in range(n):
        c = cp[i]
        if c > first_hi and _outside(c, rng, n_ranges):
            return True
    return False


def table_counts(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends,
                 const uint8_t[::1] table, uint32_t top):
    """Per block ``b``: the sum of ``table[min(cp[i], top)]`` over ``starts[b] <= i < ends[b]``, as
    int64 (``features.mt._foreign_candidates``' cumulative sums give the same integers)."""
    cdef Py_ssize_t b, i, n = starts.shape[0]
    cdef int64_t total
    cdef uint32_t c
    if <Py_ssize_t> top >= table.shape[0]:
        raise ValueError("top is past the table")
    for b in range(n):
        if starts[b] < 0 or ends[b] > cp.shape[0] or starts[b] > ends[b]:
            raise ValueError("a block outside the text")
    out = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    for b in range(n):
        total = 0
        for i in range(starts[b], ends[b]):
            c = cp[i]
            total += table[c if c < top else top]
        o[b] = total
    return out



@cython.final
cdef class NeedleSet:
    """Which of a few short strings (``needles``) each block of a text holds, and which patterns
    have one of each of their groups of them (``features.mt`` skips a pattern in a block holding
    none of some group of its required strings): ``needle in block`` for every needle in one
    pass over the block's code points."""

    cdef const uint32_t[::1] chars  # the needles' code points, one after another
    cdef const int64_t[::1] offsets  # needle ``k`` is ``chars[offsets[k] .. offsets[k + 1] - 1]``
    # Ids of the needles of two or more characters starting with character c < LOW, at
    # ``by_first[first_start[c] .. first_start[c + 1] - 1]``
    cdef const int32_t[::1] by_first
    cdef const int32_t[::1] first_start
    cdef const int32_t[::1] high  # ids of the needles starting at or above LOW
    cdef const int32_t[::1] pattern_groups  # pattern ``p``'s groups: ``pattern_groups[p] .. [p + 1] - 1``
    cdef const int32_t[::1] group_start  # group ``g``'s needles: ``group_ids[group_start[g] .. [g + 1] - 1]``
    cdef const int32_t[::1] group_ids
    cdef readonly Py_ssize_t size
    cdef readonly Py_ssize_t n_patterns
    # Per first character c < LOW: bit d (d < LOW) / bit LOW - 1 (d >= LOW - 1) of ``seconds[c]``
    # set when some needle of two or more characters starts with c, d (the quick test at c).
    cdef uint64_t seconds[LOW][LOW_WORDS]
    # Per character c < LOW: the id of the one-character needle c, or -1.
    cdef int32_t single[LOW]

    def __init__(self, needles, groups=()):
        """``groups``: per pattern, its groups as sequences of indices into ``needles``."""
        needles = list(needles)
        if any(type(s) is not str or not s for s in needles):
            raise ValueError("needles must be non-empty str")
        codes = [np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) for s in needles]
        self.size = len(needles)
        self.chars = np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint32)
        self.offsets = np.cumsum([0] + [len(code) for code in codes]).astype(np.int64)
        first = [int(code[0]) for code in codes]
        low = sorted((f, k) for k, f in enumerate(first) if f < LOW and len(codes[k]) > 1)
        self.by_first = np.array([k for _, k in low], dtype=np.int32)
        self.first_start = np.searchsorted(np.array([f for f, _ in low], dtype=np.int64),
                                           np.arange(LOW + 1)).astype(np.int32)
        self.high = np.array([k for k, f in enumerate(first) if f >= LOW], dtype=np.int32)
        cdef int c, d
        for c in range(LOW):
            self.single[c] = -1
            for d in range(LOW_WORDS):
                self.seconds[c][d] = 0
        for k, code in enumerate(codes):
            c = code[0]
            if c >= LOW:
                continue
            if len(code) == 1:
                self.single[c] = k
            else:
                d = min(int(code[1]), LOW - 1)
                self.seconds[c][d // 64] |= (<uint64_t> 1) << (d % 64)
        groups = [[[int(k) for k in g] for g in gs] for gs in groups]
        if any(not 0 <= k < self.size for gs in groups for g in gs for k in g):
            raise ValueError("a group names a needle that is not there")
        self.n_patterns = len(groups)
        self.pattern_groups = np.cumsum([0] + [len(gs) for gs in groups]).astype(np.int32)
        flat = [g for gs in groups for g in gs]
        self.group_start = np.cumsum([0] + [len(g) for g in flat]).astype(np.int32)
        self.group_ids = np.array([k for g in flat for k in g], dtype=np.int32)

    cdef void _scan(self, const uint32_t* p, Py_ssize_t start, Py_ssize_t end, uint8_t* seen) noexcept nogil:
        """``seen[k] = 1`` for every needle ``k`` in ``p[start .. end - 1]`` (``seen`` zeroed)."""
        cdef Py_ssize_t i, j
        cdef int32_t k
        cdef uint32_t c
        cdef const int32_t* ids = &self.by_first[0] if self.by_first.shape[0] else NULL
        cdef const int32_t* fs = &self.first_start[0]
        cdef const int32_t* high = &self.high[0] if self.high.shape[0] else NULL
        cdef Py_ssize_t n_high = self.high.shape[0]
        cdef const uint32_t* chars = &self.chars[0]
        cdef const int64_t* off = &self.offsets[0]
        cdef uint32_t d
        for i in range(start, end):
            c = p[i]
            if c < LOW:
                if self.single[c] >= 0:
                    seen[self.single[c]] = 1
                if i + 1 >= end:
                    continue
                d = p[i + 1] if p[i + 1] < LOW else LOW - 1
                if not (self.seconds[c][d // 64] >> (d % 64)) & 1:  # no longer needle starts c, d
                    continue
                for j in range(fs[c], fs[c + 1]):
                    k = ids[j]
                    if not seen[k] and _at(p, i, end, chars + off[k], off[k + 1] - off[k]):
                        seen[k] = 1
            else:
                for j in range(n_high):
                    k = high[j]
                    if not seen[k] and _at(p, i, end, chars + off[k], off[k + 1] - off[k]):
                        seen[k] = 1

    def present(self, const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends):
        """uint8 [len(starts), size]: 1 where block ``b`` (``cp[starts[b]:ends[b]]``) holds
        needle ``k`` as a substring."""
        cdef Py_ssize_t n_blocks = _check_blocks(cp, starts, ends), b
        out = np.zeros((n_blocks, self.size), dtype=np.uint8)
        if n_blocks == 0 or self.size == 0:
            return out
        cdef uint8_t[:, ::1] found = out
        cdef const uint32_t* p = &cp[0] if cp.shape[0] else NULL
        with nogil:
            for b in range(n_blocks):
                self._scan(p, starts[b], ends[b], &found[b, 0])
        return out

    def candidates(self, const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends):
        """Per block ``b`` (``cp[starts[b]:ends[b]]``): the list of patterns, in order, of which
        every group has a needle in the block (a pattern without groups: always; with an empty
        group: never)."""
        cdef Py_ssize_t n_blocks = _check_blocks(cp, starts, ends), b, q, g, j
        cdef bint ok, any_
        cdef const uint32_t* p = &cp[0] if cp.shape[0] else NULL
        seen_arr = np.zeros(max(self.size, 1), dtype=np.uint8)
        cdef uint8_t[::1] seen = seen_arr
        keep_arr = np.zeros(max(self.n_patterns, 1), dtype=np.uint8)
        cdef uint8_t[::1] keep = keep_arr
        out = []
        for b in range(n_blocks):
            with nogil:
                seen[:] = 0
                if self.size:
                    self._scan(p, starts[b], ends[b], &seen[0])
                for q in range(self.n_patterns):
                    ok = True
                    for g in range(self.pattern_groups[q], self.pattern_groups[q + 1]):
                        any_ = False
                        for j in range(self.group_start[g], self.group_start[g + 1]):
                            if seen[self.group_ids[j]]:
                                any_ = True
                                break
                        if not any_:
                            ok = False
                            break
                    keep[q] = ok
            out.append([q for q in range(self.n_patterns) if keep[q]])
        return out


cdef Py_ssize_t _check_blocks(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends) except -1:
    """The number of blocks, after checking every block lies inside ``cp``."""
    cdef Py_ssize_t b, n_blocks = starts.shape[0]
    if ends.shape[0] != n_blocks:
        raise ValueError("starts and ends of different lengths")
    for b in range(n_blocks):
        if starts[b] < 0 or ends[b] > cp.shape[0] or starts[b] > ends[b]:
            raise ValueError("a block outside the text")
    return n_blocks


cdef inline bint _at(const uint32_t* p, Py_ssize_t i, Py_ssize_t e, const uint32_t* s,
                     Py_ssize_t length) noexcept nogil:
    """Whether ``p[i .. e - 1]`` starts with the ``length`` code points at ``s``."""
    cdef Py_ssize_t q
    if i + length > e:
        return False
    for q in range(length):
        if p[i + q] != s[q]:
            return False
    return True
