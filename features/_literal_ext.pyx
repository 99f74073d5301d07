# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled form of the literal-pattern counts of ``features.extract.local_features``.

Why: the Python form scans each batch's lower-cased bytes once per pattern (~19 scans, about
half of them by the regex engine itself, byte by byte), then counts matches per block with a
``searchsorted`` and a ``bincount`` per pattern. Here one pass over the bytes looks up, per
position, which patterns can start there (``tables[j][byte at i + j]``: a bit per pattern,
ANDed over the first positions; the tables come from ``features.prefilter.position_sets``, a
provable superset), and asks each such pattern's regex (``rx.match(data, i)``) only there.

Same matches as ``rx.finditer(data)``: positions are visited in increasing order, and a place
before the end of the pattern's last match is skipped - finditer's non-overlapping, leftmost
order. Every pattern given here has non-empty matches only (the tables say each match is at
least one byte long), so "skip to the end" always moves on. Same counts: integers, summed in
int64 (the caller casts to float32 as the Python form casts its ``bincount``).

Also here: ``start_candidates``, the blocks where ``features.lexicons.START_PATTERNS`` can match
at the start (on the bench pages one block in eight is still tried; the regex decides).
"""
from libc.stdint cimport int64_t, uint32_t, uint64_t, uint8_t
from libc.stdlib cimport calloc, free

import numpy as np

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define NW_CTZ64(x) __builtin_ctzll(x)
    #else
    static int NW_CTZ64(unsigned long long x) { int k = 0; while (!(x & 1ULL)) { x >>= 1; k++; } return k; }
    #endif
    """
    int NW_CTZ64(unsigned long long x) noexcept nogil

cdef enum:
    # UTF-8 continuation bytes are 0b10xxxxxx: not characters of their own (chars covered).
    CONT_MASK = 0xC0
    CONT_BITS = 0x80
    MIN_DEPTH = 3  # the hot loop reads three tables
    UNROLL = 4  # places tested per branch in ``_next_place``


cdef inline uint64_t _first3(const unsigned char *d, Py_ssize_t i, const uint64_t *t0, const uint64_t *t1,
                             const uint64_t *t2) noexcept nogil:
    """The patterns the bytes at ``i``, ``i + 1`` and ``i + 2`` let start at ``i``."""
    return t0[d[i]] & t1[d[i + 1]] & t2[d[i + 2]]


cdef inline Py_ssize_t _next_place(const unsigned char *d, Py_ssize_t i, Py_ssize_t last,
                                   const uint64_t *t0, const uint64_t *t1, const uint64_t *t2) noexcept nogil:
    """The first ``i' >= i`` below ``last`` (``last + 2 < len(d)``) whose first three bytes some
    pattern can start with (``last`` when none): the hot loop, three table loads per byte. Three
    bytes, not two: "in" (of "instagram.com/p/") would stop it at ~1.5% of the places in text."""
    # Four places per branch (the triple passes at ~0.3% of places); the byte loop below then
    # stops at the first of them that passes, or goes on to ``last``.
    while i + UNROLL <= last:
        if (_first3(d, i, t0, t1, t2) | _first3(d, i + 1, t0, t1, t2) | _first3(d, i + 2, t0, t1, t2)
                | _first3(d, i + 3, t0, t1, t2)) != 0:
            break
        i += UNROLL
    while i < last and _first3(d, i, t0, t1, t2) == 0:
        i += 1
    return i


def literal_counts(bytes data, const int64_t[::1] starts, const uint64_t[:, ::1] tables, list matchers,
                   const uint8_t[::1] want_chars, int64_t[:, ::1] counts, int64_t[:, ::1] chars):
    """Add, for pattern ``p`` (``matchers[p]``: its ``rx.match``) and block ``b`` (from byte
    ``starts[b]``; ``starts[0] == 0``, non-decreasing), the matches starting in the block to
    ``counts[p, b]``, and with ``want_chars[p]`` the characters they cover to ``chars[p, b]``.

    ``tables``: [depth >= 3, 256], bit ``p`` of ``tables[j, c]`` clear only where no match of
    pattern ``p`` has byte ``c`` at offset ``j`` (for ``p`` < 64).
    """
    cdef const unsigned char *d = data
    cdef Py_ssize_t size = len(data), n = starts.shape[0], depth = tables.shape[0]
    cdef Py_ssize_t npat = len(matchers)
    cdef Py_ssize_t i, j, k, b = 0, p, e
    cdef uint64_t m
    cdef int64_t w
    cdef Py_ssize_t *last_end
    cdef const uint64_t *t0
    cdef const uint64_t *t1
    cdef const uint64_t *t2
    cdef Py_ssize_t hot_end
    if depth < MIN_DEPTH or tables.shape[1] != 256 or npat > 64:
        raise ValueError("tables must be [depth >= 3, 256] for at most 64 patterns")
    if (counts.shape[0] < npat or chars.shape[0] < npat or want_chars.shape[0] < npat
            or counts.shape[1] != n or chars.shape[1] != n):
        raise ValueError("counts and chars must be [patterns, blocks]")
    if size == 0 or n == 0:
        return
    if starts[0] != 0:
        raise ValueError("starts[0] must be 0")
    t0 = &tables[0, 0]
    t1 = &tables[1, 0]
    t2 = &tables[2, 0]
    last_end = <Py_ssize_t *>calloc(npat, sizeof(Py_ssize_t))
    if last_end == NULL:
        raise MemoryError()
    try:
        i = 0
        hot_end = size - 2 if size > 2 else 0
        while i < size:
            # The next place some pattern can start at (up to ``hot_end``; the last two places,
            # short of three bytes, are each looked at below).
            if i < hot_end:
                i = _next_place(d, i, hot_end, t0, t1, t2)
            m = t0[d[i]]
            j = 1
            while m != 0 and j < depth and i + j < size:
                m &= tables[j, d[i + j]]
                j += 1
            if m != 0:
                while b + 1 < n and starts[b + 1] <= i:
                    b += 1
            while m != 0:
                p = NW_CTZ64(m)
                m &= m - 1
                if i < last_end[p]:
                    continue
                found = matchers[p](data, i)
                if found is None:
                    continue
                e = found.end()
                if e <= i:
                    raise ValueError("empty match: the pattern's tables are wrong")
                last_end[p] = e
                counts[p, b] += 1
                if want_chars[p]:
                    w = e - i
                    for k in range(i, e):
                        if (d[k] & CONT_MASK) == CONT_BITS:
                            w -= 1
                    chars[p, b] += w
            i += 1
    finally:
        free(last_end)


# Classes of ASCII code points ``start_candidates`` reads (bits of ``_START_CLASS``).
cdef enum:
    C_SPACE = 1  # re's \s (str patterns)
    C_DIGIT = 2  # re's \d
    C_MARK = 4  # "-" and "*": list bullets
    C_UPPER = 8  # [A-Z]
    C_DATE = 16  # [A-Z .'-]: a dateline's second and third characters
    C_LOWER = 32  # [a-z]
    ASCII_END = 128
    ADDRESS_RUN = 20  # "[A-Z][a-z]{1,20}, ": the longest lower-case run before the comma


def _start_class_table():
    """Class bits of each ASCII code point; \\s and \\d by asking ``re`` itself (str semantics)."""
    import re
    out = bytearray(ASCII_END)
    for c in range(ASCII_END):
        ch = chr(c)
        out[c] = ((C_SPACE if re.fullmatch(r"\s", ch) else 0) | (C_DIGIT if re.fullmatch(r"\d", ch) else 0)
                  | (C_MARK if ch in "-*" else 0) | (C_UPPER if "A" <= ch <= "Z" else 0)
                  | (C_DATE if re.fullmatch(r"[A-Z .'-]", ch) else 0) | (C_LOWER if "a" <= ch <= "z" else 0))
    return bytes(out)


cdef bytes _START_CLASS = _start_class_table()


def start_candidates(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] lengths):
    """Indices (int64, increasing) of the blocks where ``features.lexicons.START_PATTERNS`` can
    match at the start; block ``b`` is ``cp[starts[b]:starts[b] + lengths[b]]`` (code points).

    Written for exactly those patterns (``features.extract`` checks they are unchanged before
    it uses this); a block left out matches none of them:
    - list_item ``\\s*(?:\\d{1,2}[.)]|[-*\\u2022\\u00b7])\\s``: after the leading white space a
      digit or a bullet;
    - dateline ``[A-Z][A-Z .'-]{2,30}...``: an upper-case letter and two of ``[A-Z .'-]``;
    - address ``[Dd]ear [A-Z]...|@\\w|[A-Z][a-z]{1,20}, ...``: "dear " / "Dear ", "@", or an
      upper-case letter, 1 to 20 lower-case ones and a comma.
    Any non-ASCII code point where the test looks (Unicode white space, digits, bullets) makes
    the block a candidate; the regex decides.
    """
    cdef Py_ssize_t n = starts.shape[0], b, k, count = 0
    cdef int64_t s, size
    cdef uint32_t c, c1, c2
    cdef const unsigned char *cls = _START_CLASS
    cdef bint cand
    if lengths.shape[0] != n:
        raise ValueError("starts and lengths differ in length")
    for b in range(n):
        if starts[b] < 0 or lengths[b] < 0 or starts[b] + lengths[b] > cp.shape[0]:
            raise ValueError("a block outside cp")
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    for b in range(n):
        s = starts[b]
        size = lengths[b]
        if size == 0:
            continue  # every pattern needs a character
        # Leading ASCII white space (list_item's \s*); a non-ASCII code point stops the skip.
        k = 0
        while k < size and cp[s + k] < ASCII_END and cls[cp[s + k]] & C_SPACE:
            k += 1
        if k == size:
            continue  # white space only: no digit or bullet follows
        c = cp[s + k]
        if c >= ASCII_END:
            cand = True
        elif k > 0:
            cand = (cls[c] & (C_DIGIT | C_MARK)) != 0  # only list_item allows leading space
        else:
            cand = (cls[c] & (C_DIGIT | C_MARK)) != 0 or c == 64  # "@"
            if not cand and (c == 68 or c == 100) and size >= 5:  # "Dear " / "dear "
                cand = cp[s + 1] == 101 and cp[s + 2] == 97 and cp[s + 3] == 114 and cp[s + 4] == 32
            if not cand and cls[c] & C_UPPER and size >= 3:
                c1 = cp[s + 1]
                c2 = cp[s + 2]
                if c1 >= ASCII_END:
                    cand = False  # dateline and address want ASCII here
                elif cls[c1] & C_DATE:
                    cand = c2 < ASCII_END and (cls[c2] & C_DATE) != 0
                elif cls[c1] & C_LOWER:
                    k = 2
                    while k < size and k <= ADDRESS_RUN and cp[s + k] < ASCII_END and cls[cp[s + k]] & C_LOWER:
                        k += 1
                    cand = k < size and cp[s + k] == 44  # ","
        if cand:
            o[count] = b
            count += 1
    return out[:count]
