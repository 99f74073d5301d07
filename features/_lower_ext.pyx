# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled lower-casing of the feature pass's joined text: ``features.lowercase.lower_codepoints``.

Why: ``local_features`` lower-cased the batch with ``str.lower`` (~4-5 ns a character on the
bench text: no batch is all ASCII, so CPython takes its per-character path), then encoded
the result twice (UTF-32 for the tokens, UTF-8 for the literal patterns) and scanned the bytes
for the block starts: ~70 ms of CPU in a bench run. Here one loop over the code points the pass
has already encoded gives all three (~20 ms).

Same output, by construction (tests/test_ext_lower.py):
- each code point goes through a table whose entries are Python's own ``chr(c).lower()``
  (features/lowercase.py builds it block by block, from ``str.lower``);
- a code point whose lower case is not exactly one code point, or depends on its neighbours
  (found when its block is built, by lower-casing it in several contexts), has ``BAIL`` in
  the table: the kernel then gives up and the caller takes ``str.lower``;
- the UTF-8 bytes are the standard encoding of each lower-cased code point, lone surrogates
  included as three bytes each, which is what ``encode("utf-8", "surrogatepass")`` gives.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t

cdef enum:  # compile-time constants
    BLOCK_BITS = 8
    BLOCK_SIZE = 256  # code points per block of the table
    BLOCK_MASK = 255
    N_BLOCKS = 0x1100  # 0x110000 >> BLOCK_BITS
    CODE_SPACE = 0x110000
    NEWLINE = 10
cdef uint32_t BAIL_VALUE = 0xFFFFFFFFU

BLOCK = BLOCK_SIZE
BLOCKS = N_BLOCKS
BAIL = BAIL_VALUE


def lower_utf8(const uint32_t[::1] cp, const int32_t[::1] block_of, const uint32_t[::1] table,
               uint8_t[::1] missing, Py_ssize_t pieces):
    """Lower-case the code points ``cp`` -> (lower-cased code points uint32, their UTF-8 bytes,
    piece starts): the starts are the byte offsets where each of the ``pieces`` newline-separated
    pieces of the bytes begins (int64: 0, then one past each newline), or None when the text
    does not hold exactly ``pieces - 1`` newlines.

    ``block_of[c >> 8]`` is the row of ``c``'s block in ``table`` (256 entries a row: the lower
    case of each code point, or ``BAIL``), or -1 for a block not built yet.
    Returns None when a code point is ``BAIL`` or beyond U+10FFFF (the caller takes
    ``str.lower``); an int, the number of blocks met that are not built yet (each flagged 1 in
    ``missing``), when there are any: the caller builds them and calls again.
    """
    cdef Py_ssize_t n = cp.shape[0]
    cdef Py_ssize_t rows = table.shape[0] // BLOCK_SIZE
    cdef Py_ssize_t i, k = 0, n_missing = 0, n_newlines = 0
    cdef uint32_t c, low, hi
    cdef int32_t row
    if block_of.shape[0] != N_BLOCKS or missing.shape[0] != N_BLOCKS:
        raise ValueError("block_of and missing must have one entry per block of 256 code points")
    for i in range(N_BLOCKS):
        if block_of[i] >= rows:
            raise ValueError("block_of names a row beyond the table")
    for i in range(table.shape[0]):
        if table[i] >= CODE_SPACE and table[i] != BAIL_VALUE:
            raise ValueError("the table holds a value beyond U+10FFFF")
    # Block 0's first 128 entries, read without the two-level look-up (when block 0 is built
    # and lower-cases ASCII to ASCII, as it does: else every code point takes the look-up).
    cdef uint32_t ascii_low[0x80]
    cdef bint ascii_ok = block_of[0] >= 0
    if ascii_ok:
        for i in range(0x80):
            ascii_low[i] = table[(<Py_ssize_t>block_of[0] << BLOCK_BITS) | i]
            ascii_ok = ascii_ok and ascii_low[i] < 0x80
    if pieces < 1:
        raise ValueError("a text has one piece at least")
    starts_arr = np.empty(pieces, dtype=np.int64)
    cdef int64_t[::1] starts = starts_arr
    starts[0] = 0
    out_arr = np.empty(n, dtype=np.uint32)
    buf_arr = np.empty(4 * n, dtype=np.uint8)  # at most four bytes a code point
    cdef uint32_t[::1] out = out_arr
    cdef uint8_t[::1] buf = buf_arr
    with nogil:
        for i in range(n):
            c = cp[i]
            if c < 0x80 and ascii_ok:  # ASCII: one read of a small table (most of the text)
                low = ascii_low[c]
                out[i] = low
                buf[k] = <uint8_t>low
                k += 1
                if low == NEWLINE:
                    n_newlines += 1
                    if n_newlines < pieces:
                        starts[n_newlines] = k
                continue
            if c >= CODE_SPACE:
                with gil:
                    return None
            hi = c >> BLOCK_BITS
            row = block_of[hi]
            if row < 0:
                if not missing[hi]:
                    missing[hi] = 1
                    n_missing += 1
                continue
            low = table[(<Py_ssize_t>row << BLOCK_BITS) | (c & BLOCK_MASK)]
            if low == BAIL_VALUE:
                with gil:
                    return None
            out[i] = low
            if low < 0x80:
                buf[k] = <uint8_t>low
                k += 1
                if low == NEWLINE:
                    n_newlines += 1
                    if n_newlines < pieces:
                        starts[n_newlines] = k
            elif low < 0x800:
                buf[k] = <uint8_t>(0xC0 | (low >> 6))
                buf[k + 1] = <uint8_t>(0x80 | (low & 0x3F))
                k += 2
            elif low < 0x10000:  # surrogates too: three bytes, as "surrogatepass" writes them
                buf[k] = <uint8_t>(0xE0 | (low >> 12))
                buf[k + 1] = <uint8_t>(0x80 | ((low >> 6) & 0x3F))
                buf[k + 2] = <uint8_t>(0x80 | (low & 0x3F))
                k += 3
            else:
                buf[k] = <uint8_t>(0xF0 | (low >> 18))
                buf[k + 1] = <uint8_t>(0x80 | ((low >> 12) & 0x3F))
                buf[k + 2] = <uint8_t>(0x80 | ((low >> 6) & 0x3F))
                buf[k + 3] = <uint8_t>(0x80 | (low & 0x3F))
                k += 4
    if n_missing:
        return n_missing
    return out_arr, buf_arr[:k].tobytes(), starts_arr if n_newlines == pieces - 1 else None
