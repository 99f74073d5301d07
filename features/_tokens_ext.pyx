# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled per-character passes of the feature pass: ``features.tokens.tokenize`` /
``token_hashes`` and the class counts of ``features.extract._char_counts``.

Why: the numpy forms make a dozen passes over the code points of each batch (table gathers,
shifted comparisons, prefix sums, ``repeat`` and ``bincount``), ~10% of ``classify`` on the
bench pages; here each is one loop over the code points with the same lookup tables.

Same output, bit for bit (tests/test_ext_tokens.py; tests/test_ext_tok2.py for ``tokenize_cp``'s
masks: every code point in several neighbourhoods, every offset around the mask edges):
- tokens: the runs the numpy form finds (a run of word characters, joined over an apostrophe
  with a word character on both sides; a single ``$`` / newline), in the same order;
- hashes: the numpy form's sum(cp[j] * B**-j) * B**(end-1) mod 2**64 is, in the ring of
  integers mod 2**64 (B odd, so B * B**-1 = 1), sum(cp[j] * B**(end-1-j)): Horner's rule
  ``h = h * B + cp[j]`` in wrapping uint64 arithmetic gives the same number;
- class counts: the (previous, current, next) class triple of each character, as the numpy
  form numbers it, counted per block (integers: no summation order to keep);
  ``char_property_counts`` (what ``_char_counts`` calls) goes on to the property counts per
  block, integer sums of those counts, which the numpy form's float64 matrix product gives
  exactly (tests/test_ext_counts.py).
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memset

# The multiplier of features.tokens' polynomial hash (checked equal there at import).
cdef uint64_t BASE = 0x9E3779B97F4A7C15ULL
HASH_BASE = BASE
cdef uint32_t NEWLINE = 10


cdef extern from *:
    """
    /* NEWSWINNOW_NO_SIMD: the scalar form even where SSE2 is there (to test that form). */
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
    #include <emmintrin.h>
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    #define NW_INLINE static inline __attribute__((always_inline))
    #else
    #define NW_INLINE static inline
    #endif

    static inline int nw_ctz64(uint64_t x) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctzll(x);
    #else
        int n = 0;
        while (!(x & 1)) { x >>= 1; n++; }
        return n;
    #endif
    }

    static inline int nw_msb64(uint64_t x) {  /* index of the highest set bit (x != 0) */
    #if defined(__GNUC__) || defined(__clang__)
        return 63 - __builtin_clzll(x);
    #else
        int n = 0;
        while (x >>= 1) n++;
        return n;
    #endif
    }

    static inline Py_ssize_t nw_popcount64(uint64_t x) {  /* SWAR: no popcnt instruction assumed */
        x = x - ((x >> 1) & 0x5555555555555555ULL);
        x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
        x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
        return (Py_ssize_t)((x * 0x0101010101010101ULL) >> 56);
    }

    /* The class bytes of 16 characters (``buf``) as four 16-bit masks: bit j of ``m[0]`` ..
       ``m[3]``: character j's byte has the bit ``wb`` / ``db`` / ``ab`` / ``sb``. */
    NW_INLINE void nw_bits16(const uint8_t *buf, uint8_t wb, uint8_t db, uint8_t ab, uint8_t sb, uint64_t *m) {
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
        const __m128i vw = _mm_set1_epi8((char)wb), vd = _mm_set1_epi8((char)db);
        const __m128i va = _mm_set1_epi8((char)ab), vs = _mm_set1_epi8((char)sb);
        __m128i v = _mm_loadu_si128((const __m128i *)buf);
        m[0] = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, vw), vw));
        m[1] = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, vd), vd));
        m[2] = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, va), va));
        m[3] = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, vs), vs));
    #else
        int j;
        m[0] = m[1] = m[2] = m[3] = 0;
        for (j = 0; j < 16; j++) {
            m[0] |= (uint64_t)((buf[j] & wb) != 0) << j;
            m[1] |= (uint64_t)((buf[j] & db) != 0) << j;
            m[2] |= (uint64_t)((buf[j] & ab) != 0) << j;
            m[3] |= (uint64_t)((buf[j] & sb) != 0) << j;
        }
    #endif
    }

    /* The four class masks of 16 characters all below 128 without the table, by byte ranges
       (the caller checked that the table's first 128 bytes say the same): word [0-9A-Za-z_],
       digit [0-9], apostrophe ', single $ and newline. Returns 0 when a character is 128 or
       more (nothing written; the caller takes the table path), or when SSE2 is missing. */
    NW_INLINE int nw_ascii16(const uint32_t *cp, uint64_t *m) {
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
        __m128i v0 = _mm_loadu_si128((const __m128i *)cp), v1 = _mm_loadu_si128((const __m128i *)(cp + 4));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(cp + 8)), v3 = _mm_loadu_si128((const __m128i *)(cp + 12));
        __m128i all = _mm_or_si128(_mm_or_si128(v0, v1), _mm_or_si128(v2, v3));
        if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_and_si128(all, _mm_set1_epi32(~0x7F)), _mm_setzero_si128())) != 0xFFFF)
            return 0;
        /* Every lane below 128: the signed packs keep each value, in order. */
        __m128i x = _mm_packus_epi16(_mm_packs_epi32(v0, v1), _mm_packs_epi32(v2, v3));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(47)), _mm_cmplt_epi8(x, _mm_set1_epi8(58)));
        __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(64)), _mm_cmplt_epi8(x, _mm_set1_epi8(91)));
        __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(96)), _mm_cmplt_epi8(x, _mm_set1_epi8(123)));
        __m128i word = _mm_or_si128(_mm_or_si128(digit, upper), _mm_or_si128(lower, _mm_cmpeq_epi8(x, _mm_set1_epi8(95))));
        m[0] = (uint16_t)_mm_movemask_epi8(word);
        m[1] = (uint16_t)_mm_movemask_epi8(digit);
        m[2] = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(39)));
        m[3] = (uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(36)),
                                                        _mm_cmpeq_epi8(x, _mm_set1_epi8(10))));
        return 1;
    #else
        (void)cp; (void)m;
        return 0;
    #endif
    }

    /* sum c[j] * p[j] for j < 8, wrapping mod 2**64 (a tree of sums: no chain through all eight). */
    NW_INLINE uint64_t nw_sum8(const uint32_t *c, const uint64_t *p) {
        return ((c[0] * p[0] + c[1] * p[1]) + (c[2] * p[2] + c[3] * p[3]))
               + ((c[4] * p[4] + c[5] * p[5]) + (c[6] * p[6] + c[7] * p[7]));
    }
    """
    uint64_t nw_sum8(const uint32_t *c, const uint64_t *p) noexcept nogil
    int nw_ctz64(uint64_t x) noexcept nogil
    int nw_msb64(uint64_t x) noexcept nogil
    Py_ssize_t nw_popcount64(uint64_t x) noexcept nogil
    void nw_bits16(const uint8_t *buf, uint8_t wb, uint8_t db, uint8_t ab, uint8_t sb, uint64_t *m) noexcept nogil
    int nw_ascii16(const uint32_t *cp, uint64_t *m) noexcept nogil


# Characters per mask word; per ASCII test (one SSE2 register of packed characters); tokens at
# most SHORT_TOKEN (93% on the bench pages) / MID_TOKEN (99.98%) long are hashed with one / two
# rows of eight powers, no loop.
cdef enum:
    BLOCK = 64
    GROUP = 16
    ASCII = 128
    SHORT_TOKEN = 8
    MID_TOKEN = 16
# Masks kept per block: word, digit, apostrophe, single (from the table), then token starts,
# token ends (last characters) and "not a digit inside a token".
cdef enum:
    M_WORD = 0
    M_DIGIT = 1
    M_APOS = 2
    M_SINGLE = 3
    M_START = 4
    M_END = 5
    M_NONDIGIT = 6
    N_MASKS = 7


cdef uint64_t _SHORT_POWERS[MID_TOKEN + 1][MID_TOKEN]


cdef void _init_short_powers() noexcept:
    """Row L: B**(L-1-j) for j < L, then zeros (a token of L characters is
    sum cp[s+j] * B**(L-1-j), Horner's sum written out)."""
    cdef int length, j, k
    cdef uint64_t p
    for length in range(MID_TOKEN + 1):
        for j in range(MID_TOKEN):
            p = 0
            if j < length:
                p = 1
                for k in range(length - 1 - j):
                    p = p * BASE
            _SHORT_POWERS[length][j] = p


_init_short_powers()


cdef bint _ascii_table_agrees(const uint8_t[::1] bits_of, uint8_t word_bit, uint8_t digit_bit, uint8_t apos_bit,
                              uint8_t single_bit):
    """True when the table's first ASCII bytes are what ``nw_ascii16`` computes by ranges."""
    cdef int c
    cdef uint8_t want
    for c in range(ASCII):
        want = 0
        if (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 95:
            want |= word_bit
        if 48 <= c <= 57:
            want |= digit_bit
        if c == 39:
            want |= apos_bit
        if c == 36 or c == 10:
            want |= single_bit
        if bits_of[c] != want:
            return False
    return True


def _single_bit(uint8_t b) -> bool:
    return b != 0 and (b & (b - 1)) == 0


cdef void _token_arrays(const uint32_t *cp, Py_ssize_t n, const uint64_t *masks, Py_ssize_t nblk,
                        int64_t *starts, int64_t *ends, uint64_t *hashes, uint8_t *digits, uint8_t *newline,
                        int64_t *lengths) noexcept nogil:
    """The token arrays from the start / end / non-digit masks (``tokenize_cp``'s second pass;
    a function of its own so that its loop keeps its values in registers)."""
    cdef Py_ssize_t k, j, i, base, ks = 0, ke = 0, s, e, length
    cdef Py_ssize_t last_nd = -1  # the last non-digit character of a token before this block (-1: none)
    cdef uint64_t m, nd, h
    cdef const uint64_t *row
    for k in range(nblk):
        base = k * BLOCK
        m = masks[k * N_MASKS + M_START]
        while m:
            i = base + nw_ctz64(m)
            starts[ks] = i
            newline[ks] = cp[i] == NEWLINE
            ks += 1
            m &= m - 1
        nd = masks[k * N_MASKS + M_NONDIGIT]
        m = masks[k * N_MASKS + M_END]
        while m:
            j = nw_ctz64(m)
            e = base + j + 1
            s = starts[ke]
            ends[ke] = e
            # The last non-digit at or before this end: in this block, or an earlier one.
            h = nd & ((<uint64_t>2 << j) - 1)  # (j = 63: 2 << 63 wraps to 0, all bits)
            i = base + nw_msb64(h) if h else last_nd
            digits[ke] = i < s
            length = e - s
            lengths[ke] = length
            # Reading past a short token's end is fine (times 0) while it stays inside ``cp``.
            if length <= SHORT_TOKEN and s + SHORT_TOKEN <= n:
                hashes[ke] = nw_sum8(&cp[s], &_SHORT_POWERS[length][0])
            elif length <= MID_TOKEN and s + MID_TOKEN <= n:
                row = &_SHORT_POWERS[length][0]
                hashes[ke] = nw_sum8(&cp[s], row) + nw_sum8(&cp[s + SHORT_TOKEN], row + SHORT_TOKEN)
            else:
                h = 0
                for i in range(s, e):
                    h = h * BASE + cp[i]
                hashes[ke] = h
            ke += 1
            m &= m - 1
        if nd:
            last_nd = base + nw_msb64(nd)


def tokenize_cp(const uint32_t[::1] cp, const uint8_t[::1] bits_of, uint8_t word_bit, uint8_t digit_bit,
                uint8_t apos_bit, uint8_t single_bit):
    """Tokens of the code points ``cp`` -> (starts, ends, hashes, digits, newline, lengths) arrays;
    None when a code point is beyond the table or a bit is not one bit (the caller's numpy
    form then raises its error or gives its answer).

    ``bits_of``: code point -> bits (``features.tokens._CHAR_BITS``): a word character, a
    digit, an apostrophe that joins two word characters, a token of its own ("$", newline);
    no character is both a word character and one of the other two kinds.

    Why masks: a loop that branches on each character's class mispredicts at nearly every
    word's end (~2/3 of the old loop's time). Here the classes of 64 characters become 64-bit
    masks (16 ASCII characters by byte ranges when the table agrees there, else one table
    byte per character, then compare-and-movemask), and the tokens follow by
    bit arithmetic, the numpy form's shifted comparisons 64 characters at a time:
      inside = word | (apostrophe & word before & word after)   (the numpy form's joins)
      start  = inside & ~(inside shifted one on) | single        (its ``inside[1:] > inside[:-1]``)
      end    = inside & ~(inside shifted one back) | single
    A first pass over the masks counts the tokens (the arrays are made at their size, not the
    text's); a second writes each start / end at the set bits, and at each end the token's
    length, all-digits flag and hash. All digits: no character of the
    token is a non-digit (``nondigit = inside & ~digit | single``: the last non-digit at or
    before the token's end comes before its start). Hashes: the numpy form's
    sum(cp[j] * B**-j) * B**(end-1) is sum(cp[j] * B**(end-1-j)) mod 2**64 (B odd); a token of
    at most SHORT_TOKEN (MID_TOKEN) characters takes it as that sum with one (two) rows of eight
    powers, no loop, reading up to that many characters from its start (the powers past its end
    are 0); a longer one, or one too near the text's end, by Horner's rule (``h = h * B +
    cp[j]``): the same number.
    """
    cdef Py_ssize_t n = cp.shape[0]
    cdef Py_ssize_t size = bits_of.shape[0]
    cdef Py_ssize_t nblk = (n + BLOCK - 1) // BLOCK
    cdef Py_ssize_t k, j, base, stop, count = 0, n_ends = 0
    cdef uint32_t c
    cdef bint bad = False
    cdef Py_ssize_t ngrp = (n + GROUP - 1) // GROUP, g, q
    cdef uint8_t buf[GROUP]
    cdef uint64_t got[4]
    cdef bint ascii_ok = size >= ASCII and _ascii_table_agrees(bits_of, word_bit, digit_bit, apos_bit, single_bit)
    cdef uint64_t w, wn, a, ins, ins_prev, ins_next, wprev, m
    if not (_single_bit(word_bit) and _single_bit(digit_bit) and _single_bit(apos_bit) and _single_bit(single_bit)):
        return None
    if size == 0:
        return None
    # One row of N_MASKS masks per block, and a zero row after the last (no characters there).
    masks_arr = np.zeros((nblk + 1, N_MASKS), dtype=np.uint64)
    cdef uint64_t[:, ::1] masks = masks_arr
    with nogil:
        # The table's bits, 16 characters at a time: by byte ranges when all 16 are ASCII and
        # the table agrees there, else one table byte each (a code point beyond the table reads
        # byte 0 and makes the whole call decline).
        for g in range(ngrp):
            base = g * GROUP
            stop = n - base
            if stop >= GROUP and ascii_ok and nw_ascii16(&cp[base], got):
                pass
            else:
                if stop > GROUP:
                    stop = GROUP
                for j in range(stop):
                    c = cp[base + j]
                    bad = bad | (c >= size)
                    buf[j] = bits_of[c if c < size else 0]
                for j in range(stop, GROUP):
                    buf[j] = 0
                nw_bits16(buf, word_bit, digit_bit, apos_bit, single_bit, got)
            k = g // (BLOCK // GROUP)
            j = (g % (BLOCK // GROUP)) * GROUP
            for q in range(4):
                masks[k, q] |= got[q] << j
    if bad:
        return None
    with nogil:
        # Token starts and ends per block (neighbours across a block edge from the rows
        # before and after), and the token count.
        wprev = 0  # the previous block's word mask
        ins_prev = 0  # ... and its inside mask
        for k in range(nblk):
            w = masks[k, M_WORD]
            wn = masks[k + 1, M_WORD]
            a = masks[k, M_APOS]
            ins = w | (a & ((w << 1) | (wprev >> 63)) & ((w >> 1) | (wn << 63)))
            # Only the first character of the next block's inside mask is needed here.
            ins_next = (wn | (masks[k + 1, M_APOS] & (w >> 63) & (wn >> 1))) & 1
            m = (ins & ~((ins << 1) | (ins_prev >> 63))) | masks[k, M_SINGLE]
            masks[k, M_START] = m
            masks[k, M_END] = (ins & ~((ins >> 1) | (ins_next << 63))) | masks[k, M_SINGLE]
            n_ends += nw_popcount64(masks[k, M_END])
            masks[k, M_NONDIGIT] = (ins & ~masks[k, M_DIGIT]) | masks[k, M_SINGLE]
            count += nw_popcount64(m)
            wprev = w
            ins_prev = ins
    if n_ends != count:  # pragma: no cover - a guard for edits: the loop below writes count of each
        raise RuntimeError("features._tokens_ext: token starts and ends do not pair up")
    starts_arr = np.empty(count, dtype=np.int64)
    ends_arr = np.empty(count, dtype=np.int64)
    hashes_arr = np.empty(count, dtype=np.uint64)
    digits_arr = np.empty(count, dtype=np.bool_)
    newline_arr = np.empty(count, dtype=np.bool_)
    lengths_arr = np.empty(count, dtype=np.int64)
    cdef int64_t[::1] starts = starts_arr
    cdef int64_t[::1] ends = ends_arr
    cdef uint64_t[::1] hashes = hashes_arr
    cdef uint8_t[::1] digits = digits_arr.view(np.uint8)
    cdef uint8_t[::1] newline = newline_arr.view(np.uint8)
    cdef int64_t[::1] lengths = lengths_arr
    if count == 0:
        return starts_arr, ends_arr, hashes_arr, digits_arr, newline_arr, lengths_arr
    with nogil:
        _token_arrays(&cp[0], n, &masks[0, 0], nblk, &starts[0], &ends[0], &hashes[0], &digits[0], &newline[0],
                      &lengths[0])
    return starts_arr, ends_arr, hashes_arr, digits_arr, newline_arr, lengths_arr


def span_hashes(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends):
    """Polynomial hash of each span ``cp[starts[i]:ends[i]]`` (0 for an empty span), uint64;
    None unless every span has 0 <= start <= end <= len(cp) (the caller's numpy form then
    gives whatever it gives for such spans, or its error)."""
    cdef Py_ssize_t m = starts.shape[0]
    cdef Py_ssize_t n = cp.shape[0]
    cdef Py_ssize_t t, j
    cdef uint64_t h
    if ends.shape[0] != m:
        return None
    for t in range(m):
        if starts[t] < 0 or ends[t] < starts[t] or ends[t] > n:
            return None
    out_arr = np.empty(m, dtype=np.uint64)
    cdef uint64_t[::1] out = out_arr
    with nogil:
        for t in range(m):
            h = 0
            for j in range(starts[t], ends[t]):
                h = h * BASE + cp[j]
            out[t] = h
    return out_arr


# ``char_property_counts``: bits of a class in a packed triple index (classes below 1 << CLASS_BITS),
# the index's mask, the histogram lanes (interleaved so that runs of one vector, e.g. the letters of
# a word, do not wait on the same counter) and the most vectors / properties it counts.
cdef enum:
    CLASS_BITS = 5
    TRIPLE_MASK = (1 << (3 * CLASS_BITS)) - 1
    LANES = 4
    MAX_VECTORS = 64
    MAX_PROPS = 32


cdef extern from *:
    """
    static inline int nw_ctz32(uint32_t x) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctz(x);
    #else
        int n = 0;
        while (!(x & 1)) { x >>= 1; n++; }
        return n;
    #endif
    }
    """
    int nw_ctz32(uint32_t x) noexcept nogil


def char_property_counts(const uint32_t[::1] cp, const int64_t[::1] lengths, const uint16_t[::1] combo,
                         const uint8_t[::1] triple_vector, const uint32_t[::1] vector_props, Py_ssize_t n_props,
                         uint16_t edge_class):
    """Per block, how many characters have each property: float64 [len(lengths), n_props], the
    numpy form's ``class-triple counts @ vectors`` (``features.extract._char_counts``).

    A character's property vector is ``triple_vector[prev << 10 | cur << 5 | next]`` of the
    classes ``combo[cp]`` of it and its neighbours (``edge_class`` before the first and after
    the last character); vector ``v`` has the properties of the bits of ``vector_props[v]``.
    Block i holds the next ``lengths[i]`` characters (the last may run past the text). None when
    the blocks hold fewer characters than ``cp``, a length is negative or a code point is beyond
    ``combo`` (the caller's numpy form raises its error). Every ``combo`` value must be below
    ``1 << CLASS_BITS`` (a larger one would index past ``triple_vector``; checked once by the
    caller: a per-call check would cost a pass over the table).

    Same numbers as the numpy form: the matrix product there sums integer counts times 0.0 or
    1.0 in float64, exact in any order (every partial sum is an integer far below 2**53); here
    the same integers are summed as integers and stored as float64.
    """
    cdef Py_ssize_t n = lengths.shape[0]
    cdef Py_ssize_t c = cp.shape[0]
    cdef Py_ssize_t size = combo.shape[0]
    cdef Py_ssize_t nv = vector_props.shape[0]
    cdef Py_ssize_t b, j, v, p, stop, stop1, pos = 0, total = 0
    cdef uint32_t x, prev, cur, nxt, c3, bits
    cdef int64_t h
    cdef int64_t hist[LANES * MAX_VECTORS]
    cdef int64_t acc[MAX_PROPS]
    cdef int64_t* h0 = &hist[0]
    cdef int64_t* h1 = &hist[nv]
    cdef int64_t* h2 = &hist[2 * nv]
    cdef int64_t* h3 = &hist[3 * nv]
    if (triple_vector.shape[0] != TRIPLE_MASK + 1 or nv > MAX_VECTORS or n_props < 0 or n_props > MAX_PROPS
            or edge_class >> CLASS_BITS):
        raise ValueError("tables of the wrong sizes, or edge_class is not a class")
    for j in range(triple_vector.shape[0]):
        if triple_vector[j] >= nv:
            raise ValueError("triple_vector holds a vector id beyond vector_props")
    for v in range(nv):
        if n_props < MAX_PROPS and vector_props[v] >> n_props:
            raise ValueError("vector_props holds a property of n_props or more")
    for b in range(n):
        if lengths[b] < 0:
            return None
        total += lengths[b]
    if total < c:
        return None
    out_arr = np.zeros((n, n_props), dtype=np.float64)
    cdef double[:, ::1] out = out_arr
    if c == 0:
        return out_arr
    if cp[0] >= size:  # ... and each next one in the loop, where it is read
        return None
    memset(hist, 0, sizeof(hist))
    with nogil:
        # The classes of the previous and current characters; each index is built afresh from
        # three classes (not shifted on from the last index: that chain was the loop's limit).
        prev = edge_class
        cur = combo[cp[0]]
        for b in range(n):
            stop = pos + lengths[b]
            if stop > c:
                stop = c
            stop1 = stop if stop < c else c - 1  # characters with a next one in ``cp``
            j = pos
            while j + LANES <= stop1:
                x = cp[j + 1]
                if x >= size:
                    with gil:
                        return None
                nxt = combo[x]
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | nxt]] += 1
                x = cp[j + 2]
                if x >= size:
                    with gil:
                        return None
                prev = combo[x]  # (the next "next": the names rotate through the three)
                h1[triple_vector[(cur << (2 * CLASS_BITS)) | (nxt << CLASS_BITS) | prev]] += 1
                x = cp[j + 3]
                if x >= size:
                    with gil:
                        return None
                cur = combo[x]
                h2[triple_vector[(nxt << (2 * CLASS_BITS)) | (prev << CLASS_BITS) | cur]] += 1
                x = cp[j + 4]
                if x >= size:
                    with gil:
                        return None
                c3 = combo[x]
                h3[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | c3]] += 1
                prev = cur
                cur = c3
                j += LANES
            while j < stop1:
                x = cp[j + 1]
                if x >= size:
                    with gil:
                        return None
                nxt = combo[x]
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | nxt]] += 1
                prev = cur
                cur = nxt
                j += 1
            if j < stop:  # the last character of ``cp``: the edge class follows
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | edge_class]] += 1
                prev = cur
                cur = edge_class
                j += 1
            if stop > pos:
                for p in range(n_props):
                    acc[p] = 0
                for v in range(nv):
                    h = h0[v] + h1[v] + h2[v] + h3[v]
                    if h:
                        h0[v] = 0
                        h1[v] = 0
                        h2[v] = 0
                        h3[v] = 0
                        bits = vector_props[v]
                        while bits:
                            acc[nw_ctz32(bits)] += h
                            bits &= bits - 1
                for p in range(n_props):
                    out[b, p] = <double> acc[p]
            pos = stop
    return out_arr
