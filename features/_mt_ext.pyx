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
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t

cimport cython

cdef uint32_t LOW = 256


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

    cdef bint _candidate(self, const uint32_t* cp, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
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

    def starts(self, str text, const uint32_t[::1] cp, object match):
        """``[m.start() for m in rx.finditer(text)]`` where ``match`` is ``rx.match`` and ``cp``
        the text's code points; ``rx`` must never match the empty string (checked by the caller)."""
        cdef uint32_t[:, ::1] no_ranges = np.zeros((0, 2), dtype=np.uint32)
        return self.starts_and_gate(text, cp, match, 0xFFFFFFFF, no_ranges)[0]

    def starts_and_gate(self, str text, const uint32_t[::1] cp, object match, uint32_t first_hi,
                        const uint32_t[:, ::1] ranges):
        """``starts(text, cp, match)`` and ``passes_gate(cp, first_hi, ranges)`` in one pass over
        the code points (the gate's characters are above LOW, off the scan's common path)."""
        cdef Py_ssize_t n = cp.shape[0], i = 0, k
        cdef int64_t end
        cdef const uint32_t* p
        cdef uint32_t c
        cdef const uint8_t* quick = self.starts_with
        cdef bint gate = False
        cdef const uint32_t* rng = _ranges_ptr(ranges)
        cdef Py_ssize_t n_ranges = ranges.shape[0]
        if n != len(text):
            raise ValueError("cp is not the text's code points")
        out = []
        if n == 0:
            return out, gate
        p = &cp[0]
        while i < n:
            c = p[i]
            # The common case first: a character no condition starts with, below the gate.
            if c < LOW and not quick[c]:
                i += 1
                continue
            if not gate and c > first_hi:
                gate = _outside(c, rng, n_ranges)
            if self._candidate(p, n, i):
                m = match(text, i)
                if m is not None:
                    out.append(i)
                    end = m.end()
                    if end <= i:
                        raise ValueError("an empty match: this scan does not follow finditer there")
                    if not gate:  # the characters the match covers are not scanned: gate them
                        for k in range(i + 1, end):
                            if p[k] > first_hi and _outside(p[k], rng, n_ranges):
                                gate = True
                                break
                    i = end
                    continue
            i += 1
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
