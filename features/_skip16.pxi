# The 16-wide skip scan shared by features/_mt_ext.pyx (the MT pre-screen's start scan) and
# features/_mt_soft_ext.pyx (pass 1 of the symbol n-grams), included textually by both; the
# byte ranges it skips come from features/skip16.py. Needs uint8_t / uint16_t / uint32_t
# cimported before the include.

cdef enum:
    SKIP_RANGES = 4  # byte ranges of the 16-character skip test (``_mask16``)
    SKIP_WIDTH = 16  # characters per skip test

cdef extern from *:
    """
    /* The skip test, 16 characters at a time where SSE2 is there (every x86-64): the code
       points packed to bytes with saturation (min(c, 255); one at or above 2**31, or a 2-byte
       code unit at or above 0x8000, packs to 0), then bit k of the result is set unless byte k
       lies in one of SK16_RANGES ranges [lo, lo + width] (``pattern``: per range 16 copies of
       lo, then 16 of width), which hold no character the scan looks for and neither 0 nor 255.
       Elsewhere (or with NEWSWINNOW_NO_SIMD) SK16_SCAN16 is 0 and the scans test one character
       at a time. */
    #if (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)) && !defined(NEWSWINNOW_NO_SIMD)
    #include <emmintrin.h>
    #define SK16_SCAN16 1
    #define SK16_RANGES 4
    static CYTHON_INLINE unsigned sk16_outside16(__m128i bytes, const unsigned char* pattern) {
        __m128i inside = _mm_setzero_si128();
        int r;
        for (r = 0; r < SK16_RANGES; r++) {
            __m128i x = _mm_sub_epi8(bytes, _mm_loadu_si128((const __m128i*) (pattern + 32 * r)));
            __m128i width = _mm_loadu_si128((const __m128i*) (pattern + 32 * r + 16));
            inside = _mm_or_si128(inside, _mm_cmpeq_epi8(_mm_min_epu8(x, width), x));
        }
        return (unsigned) (~_mm_movemask_epi8(inside)) & 0xFFFFu;
    }
    /* The 16 characters from position i of data, code units of 4, 2 or 1 bytes (``kind``). */
    static CYTHON_INLINE unsigned sk16_mask16(const void* data, int kind, Py_ssize_t i, const unsigned char* pattern) {
        __m128i bytes;
        if (kind == 2) {
            const uint16_t* p = (const uint16_t*) data + i;
            bytes = _mm_packus_epi16(_mm_loadu_si128((const __m128i*) p), _mm_loadu_si128((const __m128i*) (p + 8)));
        } else if (kind == 1) {
            bytes = _mm_loadu_si128((const __m128i*) ((const uint8_t*) data + i));
        } else {
            const uint32_t* p = (const uint32_t*) data + i;
            __m128i w1 = _mm_packs_epi32(_mm_loadu_si128((const __m128i*) p), _mm_loadu_si128((const __m128i*) (p + 4)));
            __m128i w2 = _mm_packs_epi32(_mm_loadu_si128((const __m128i*) (p + 8)),
                                         _mm_loadu_si128((const __m128i*) (p + 12)));
            bytes = _mm_packus_epi16(w1, w2);
        }
        return sk16_outside16(bytes, pattern);
    }
    #else
    #define SK16_SCAN16 0
    static CYTHON_INLINE unsigned sk16_mask16(const void* data, int kind, Py_ssize_t i, const unsigned char* pattern) {
        (void) data; (void) kind; (void) i; (void) pattern;
        return 0xFFFFu;
    }
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    static CYTHON_INLINE int sk16_ctz(unsigned x) { return __builtin_ctz(x); }
    #elif defined(_MSC_VER)
    #include <intrin.h>
    static CYTHON_INLINE int sk16_ctz(unsigned x) { unsigned long k; _BitScanForward(&k, x); return (int) k; }
    #else
    static CYTHON_INLINE int sk16_ctz(unsigned x) { int k = 0; while (!(x & 1u)) { x >>= 1; k++; } return k; }
    #endif
    """
    bint HAVE_SCAN16 "SK16_SCAN16"
    unsigned _mask16 "sk16_mask16"(const void* data, int kind, Py_ssize_t i, const unsigned char* pattern) noexcept nogil
    int _ctz "sk16_ctz"(unsigned x) noexcept nogil


cdef struct Cursor:
    # Where a scan is: ``mask`` holds the positions ``base + k`` still to visit of the last 16
    # tested, ``i`` the first position not tested yet; the skip test reads ``data`` (code units
    # of ``kind`` bytes: a str's own, or 4 for a uint32 array of code points).
    const void* data
    int kind
    Py_ssize_t n
    Py_ssize_t i
    Py_ssize_t base
    unsigned mask
    bint wide
    const unsigned char* pattern


cdef inline Py_ssize_t _next(Cursor* s) noexcept nogil:
    """The next position to look at (``n`` at the end): one whose character is outside the skip
    ranges, or any position where the 16-wide test is off or fewer than 16 are left."""
    cdef int k
    while s.mask == 0:
        if not (s.wide and s.i + SKIP_WIDTH <= s.n):
            if s.i < s.n:
                s.i += 1
                return s.i - 1
            return s.n
        s.mask = _mask16(s.data, s.kind, s.i, s.pattern)
        s.base = s.i
        s.i += SKIP_WIDTH
    k = _ctz(s.mask)
    s.mask &= s.mask - 1
    return s.base + k


cdef inline void _skip_to(Cursor* s, Py_ssize_t end) noexcept nogil:
    """Positions before ``end`` (past a position already returned) need no look."""
    if end >= s.i:
        s.i = end
        s.mask = 0
    else:
        s.mask &= ~((1u << (end - s.base)) - 1u)


cdef bint _fill_skip_pattern(unsigned char* pattern, list ranges):
    """``pattern`` (SKIP_RANGES * 2 * SKIP_WIDTH bytes) for these (lo, hi) ranges, repeating
    them up to SKIP_RANGES (no change to the test); whether the 16-wide test is on."""
    cdef int r, k
    for r in range(SKIP_RANGES):
        lo, hi = ranges[r % len(ranges)] if ranges else (1, 1)
        for k in range(SKIP_WIDTH):
            pattern[2 * SKIP_WIDTH * r + k] = lo
            pattern[2 * SKIP_WIDTH * r + SKIP_WIDTH + k] = hi - lo
    return HAVE_SCAN16 and len(ranges) > 0
