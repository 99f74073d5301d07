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
  included as three bytes each, which is what ``encode("utf-8", "surrogatepass")`` gives;
- 16 code points all below 128 are lowered a step with SSE2 ("A"-"Z" + 32, the rest kept: used
  only while the table's 128 ASCII entries say exactly that), a step holding any other code
  point goes one at a time through the table; ``NEWSWINNOW_NO_SIMD`` (or a CPU without SSE2)
  keeps every code point on the table (tests/test_ext_feat2.py: every ASCII code point and
  newline at every position of a step, every length around it; both builds).

``code_points`` (session 22): the joined text's code points for the pass, the str's own code
units widened instead of the UTF-32 codec (tests/test_ext_feat3.py: every code point in strings
of each width; ~1 ms of a bench pass: the new array's page faults, paid either way, dominate).
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy


cdef extern from *:
    """
    /* NEWSWINNOW_NO_SIMD: the scalar form even where SSE2 is there (to test that form). */
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
    #include <emmintrin.h>
    #define NW_LOWER_SIMD 1
    #else
    #define NW_LOWER_SIMD 0
    #endif

    static inline int nw_lower_ctz32(uint32_t x) {  /* x != 0 */
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctz(x);
    #else
        int n = 0;
        while (!(x & 1)) { x >>= 1; n++; }
        return n;
    #endif
    }

    /* 16 code points all below 128, lower-cased ("A"-"Z" + 32, the rest as they are: the caller
       checked that the table says the same for every ASCII code point) into ``out`` (uint32)
       and ``buf`` (one UTF-8 byte each); ``*newlines``: bit j set when the j-th is a newline.
       Returns 0 when one of them is 128 or more (nothing written), or without SSE2. */
    static inline int nw_lower16(const uint32_t *cp, uint32_t *out, uint8_t *buf, uint32_t *newlines) {
    #if NW_LOWER_SIMD
        __m128i v0 = _mm_loadu_si128((const __m128i *)cp), v1 = _mm_loadu_si128((const __m128i *)(cp + 4));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(cp + 8)), v3 = _mm_loadu_si128((const __m128i *)(cp + 12));
        __m128i all = _mm_or_si128(_mm_or_si128(v0, v1), _mm_or_si128(v2, v3));
        const __m128i zero = _mm_setzero_si128();
        __m128i x, upper, lo16, hi16;
        if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_and_si128(all, _mm_set1_epi32(~0x7F)), zero)) != 0xFFFF)
            return 0;
        /* Every lane below 128: the signed packs keep each value, in order. */
        x = _mm_packus_epi16(_mm_packs_epi32(v0, v1), _mm_packs_epi32(v2, v3));
        upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(64)), _mm_cmplt_epi8(x, _mm_set1_epi8(91)));
        x = _mm_add_epi8(x, _mm_and_si128(upper, _mm_set1_epi8(32)));
        _mm_storeu_si128((__m128i *)buf, x);
        *newlines = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(10)));
        lo16 = _mm_unpacklo_epi8(x, zero);
        hi16 = _mm_unpackhi_epi8(x, zero);
        _mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi16(lo16, zero));
        _mm_storeu_si128((__m128i *)(out + 4), _mm_unpackhi_epi16(lo16, zero));
        _mm_storeu_si128((__m128i *)(out + 8), _mm_unpacklo_epi16(hi16, zero));
        _mm_storeu_si128((__m128i *)(out + 12), _mm_unpackhi_epi16(hi16, zero));
        return 1;
    #else
        (void)cp; (void)out; (void)buf; (void)newlines;
        return 0;
    #endif
    }
    """
    int NW_LOWER_SIMD
    int nw_lower_ctz32(uint32_t x) noexcept nogil
    int nw_lower16(const uint32_t *cp, uint32_t *out, uint8_t *buf, uint32_t *newlines) noexcept nogil

cdef enum:  # compile-time constants
    BLOCK_BITS = 8
    BLOCK_SIZE = 256  # code points per block of the table
    BLOCK_MASK = 255
    N_BLOCKS = 0x1100  # 0x110000 >> BLOCK_BITS
    CODE_SPACE = 0x110000
    NEWLINE = 10
    LANES = 16  # code points per SIMD step (nw_lower16)
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
    # 16 ASCII code points a step (SSE2) while the table lower-cases ASCII as the formula does;
    # a step that meets a code point of 128 or more takes those 16 one at a time.
    cdef bint simd = NW_LOWER_SIMD and ascii_ok
    cdef Py_ssize_t j, stop
    cdef uint32_t newlines = 0
    if simd:
        for i in range(0x80):
            simd = simd and ascii_low[i] == (<uint32_t>i + 32 if 0x41 <= i <= 0x5A else <uint32_t>i)
    with nogil:
        i = 0
        while i < n:
            stop = n
            if simd and i + LANES <= n:
                if nw_lower16(&cp[i], &out[i], &buf[k], &newlines):
                    while newlines:
                        n_newlines += 1
                        if n_newlines < pieces:
                            starts[n_newlines] = k + nw_lower_ctz32(newlines) + 1
                        newlines &= newlines - 1
                    i += LANES
                    k += LANES
                    continue
                stop = i + LANES
            for j in range(i, stop):
                c = cp[j]
                if c < 0x80 and ascii_ok:  # ASCII: one read of a small table (most of the text)
                    low = ascii_low[c]
                    out[j] = low
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
                out[j] = low
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
            i = stop
    if n_missing:
        return n_missing
    return out_arr, buf_arr[:k].tobytes(), starts_arr if n_newlines == pieces - 1 else None


cdef extern from "Python.h":
    int PyUnicode_READY(object o) except -1
    unsigned int PyUnicode_KIND(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    const void *PyUnicode_DATA(object o)
    unsigned int PyUnicode_1BYTE_KIND
    unsigned int PyUnicode_2BYTE_KIND
    unsigned int PyUnicode_4BYTE_KIND


def code_points(str text):
    """``np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)`` without the
    codec: the str's own code units widened to uint32 (read-only, as ``frombuffer`` of bytes is),
    or None for a str of a layout not handled here.

    Why: the codec takes ~2 ns a character on the bench batches (all UCS-2 strings: it checks
    each unit for a surrogate), ~10-20 ms a bench pass; widening is a copy. Same values by
    definition: a str's code units (1, 2 or 4 bytes each, ``PyUnicode_KIND``) are its code
    points, and UTF-32 with ``surrogatepass`` writes each code point, a lone surrogate included,
    as its value in 4 bytes; little-endian is the machine order checked by the caller.
    """
    if text is None:
        return None
    PyUnicode_READY(text)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
    cdef unsigned int kind = PyUnicode_KIND(text)
    if kind != PyUnicode_1BYTE_KIND and kind != PyUnicode_2BYTE_KIND and kind != PyUnicode_4BYTE_KIND:
        return None
    out_arr = np.empty(n, dtype=np.uint32)
    cdef uint32_t[::1] out = out_arr
    cdef const uint8_t *d1
    cdef const uint16_t *d2
    cdef const uint32_t *d4
    if n:
        if kind == PyUnicode_1BYTE_KIND:
            d1 = <const uint8_t *>PyUnicode_DATA(text)
            with nogil:
                for i in range(n):
                    out[i] = d1[i]
        elif kind == PyUnicode_2BYTE_KIND:
            d2 = <const uint16_t *>PyUnicode_DATA(text)
            with nogil:
                for i in range(n):
                    out[i] = d2[i]
        else:
            d4 = <const uint32_t *>PyUnicode_DATA(text)
            with nogil:
                memcpy(&out[0], d4, n * sizeof(uint32_t))
    out_arr.flags.writeable = False
    return out_arr
