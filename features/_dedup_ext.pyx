# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled grouping of blocks by exact text for ``features.extract.duplicate_flags`` and
``shape_repeats``.

Why: both build one Python string per block (lower-cased and stripped or collapsed; or a
character shape), then (page, text) tuples and a dict or Counter over them: ~0.15 s of a
~3 s bench run. Here each block is read straight from the ``str`` (its 1-, 2- or 4-byte code
units, no copies), normalised in one loop and looked up in an open-addressing table.

Same output, by construction (tests/test_ext_dedup.py):
- white space is what ``str.strip`` / ``str.split`` take for it: ``Py_UNICODE_ISSPACE``, the
  macro both use, tabulated at import for every code point;
- a row's key is (page, the exact code points of its normalised text); the 64-bit hash only
  picks the table slot: two rows are one key only when page, length and every code unit
  compare equal (``memcmp``), so a hash collision costs a comparison, never a wrong answer;
- the rows are taken in order, so the row a key maps to is its first occurrence, as the
  numpy form's dict (built from the reversed keys) gives.
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy


cdef extern from *:
    """
    /* PyUnicode_READY fills in a str made the pre-3.3 way; from 3.12 on every str is ready
       (the macro is deprecated, a no-op). */
    #if PY_VERSION_HEX < 0x030C0000
    #define dedup_unicode_ready(o) PyUnicode_READY(o)
    #else
    #define dedup_unicode_ready(o) 0
    #endif
    """
    int PyUnicode_READY "dedup_unicode_ready"(object o) except -1


cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    bint Py_UNICODE_ISSPACE(uint32_t ch)


ctypedef fused ucs_t:
    uint8_t
    uint16_t
    uint32_t


cdef struct Key:
    const char *data  # the normalised text's code units (in the caller's str, or a scratch buffer)
    Py_ssize_t nbytes
    uint64_t hash
    int64_t page


cdef enum:  # compile-time constants (a module-level cdef variable is reloaded after every store)
    NEWLINE = 10
    SPACE = 32
    WORD = 119  # "w": a run of words in a shape
cdef uint64_t MUL = 0x9E3779B97F4A7C15ULL
cdef uint64_t MUL2 = 0xD6E8FEB86659FD93ULL
cdef uint64_t MUL3 = 0xFF51AFD7ED558CCDULL
cdef uint64_t MUL4 = 0xC4CEB9FE1A85EC53ULL
cdef uint64_t PAGE_MUL = 0xC2B2AE3D27D4EB4FULL
cdef Py_ssize_t MIN_SLOTS = 16
cdef enum:
    # Bytes of a long key's start and end that ``_hash_bytes`` reads (32-byte steps).
    HASH_HEAD = 64
    HASH_TAIL = 64
cdef uint32_t CODE_POINTS = 0x110000
# All ones; the tests set fewer bits (down to none: every key in one chain) to show that
# colliding hashes never change the answer.
cdef uint64_t hash_mask = 0xFFFFFFFFFFFFFFFFULL


def _set_hash_mask(uint64_t mask) -> None:
    """For the tests: keep only these bits of every key's hash."""
    global hash_mask
    hash_mask = mask

# White space as str.strip() / str.split() see it: ``is_space[c]`` for every c below
# SPACE_TABLE (1- and 2-byte strings index it unchecked); ``space_limit`` is one past the last
# white space code point (4-byte strings read ``is_space[c]`` only below it).
cdef enum:
    SPACE_TABLE = 0x10000
cdef uint8_t is_space[SPACE_TABLE]
cdef uint32_t space_limit = 0


cdef void _tabulate_spaces() except *:
    """Fill ``is_space`` from ``Py_UNICODE_ISSPACE`` (once, at import; ~1 ms)."""
    global space_limit
    cdef uint32_t c
    for c in range(CODE_POINTS):
        if Py_UNICODE_ISSPACE(c):
            if c >= SPACE_TABLE:
                raise ImportError("a white space code point beyond the kernel's table")
            space_limit = c + 1
    for c in range(<uint32_t>SPACE_TABLE):
        is_space[c] = Py_UNICODE_ISSPACE(c)


_tabulate_spaces()


def spaces() -> list:
    """The code points the kernel takes for white space (the tests compare with ``str.isspace``)."""
    return [c for c in range(space_limit) if is_space[c]]


cdef inline uint8_t _space(uint32_t c) noexcept nogil:
    """1 for white space, else 0 (no branch: a table read)."""
    return is_space[c if c < space_limit else 0]  # code point 0 is not white space


cdef inline uint64_t _mix(uint64_t h) noexcept nogil:
    """A 64-bit finaliser (MurmurHash3's): every input bit reaches every output bit."""
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    h ^= h >> 33
    return h


cdef inline uint64_t _step(uint64_t h, uint64_t w, uint64_t mul) noexcept nogil:
    h = (h ^ w) * mul
    return h ^ (h >> 29)


cdef uint64_t _hash_bytes(const char *p, Py_ssize_t nbytes) noexcept nogil:
    """A 64-bit hash of ``nbytes`` bytes: all of them up to ``HASH_HEAD + HASH_TAIL``, else the
    first ``HASH_HEAD``, the last ``HASH_TAIL`` and the length. It only picks a slot (the keys
    are compared in full), so leaving out the middle of a long key costs a comparison where two
    keys of one length share both ends, never a wrong answer; why: the feature pass's blocks
    are ~800 bytes of code points on average, and hashing every byte was a third of the time
    ``duplicate_flags`` took."""
    if nbytes <= HASH_HEAD + HASH_TAIL:
        return _hash_span(p, nbytes, <uint64_t>nbytes * MUL)
    return _hash_span(p + nbytes - HASH_TAIL, HASH_TAIL, _hash_span(p, HASH_HEAD, <uint64_t>nbytes * MUL))


cdef uint64_t _hash_span(const char *p, Py_ssize_t nbytes, uint64_t seed) noexcept nogil:
    """A 64-bit hash of ``nbytes`` bytes from ``seed``, 32 at a time in four independent
    multiply chains (a single chain is bound by its latency)."""
    cdef uint64_t h0 = seed
    cdef uint64_t h1 = h0 ^ MUL2
    cdef uint64_t h2 = h0 ^ MUL3
    cdef uint64_t h3 = h0 ^ MUL4
    cdef uint64_t w0, w1, w2, w3
    while nbytes >= 32:
        memcpy(&w0, p, 8)
        memcpy(&w1, p + 8, 8)
        memcpy(&w2, p + 16, 8)
        memcpy(&w3, p + 24, 8)
        h0 = _step(h0, w0, MUL)
        h1 = _step(h1, w1, MUL2)
        h2 = _step(h2, w2, MUL3)
        h3 = _step(h3, w3, MUL4)
        p += 32
        nbytes -= 32
    while nbytes >= 8:
        memcpy(&w0, p, 8)
        h0 = _step(h0, w0, MUL)
        p += 8
        nbytes -= 8
    if nbytes > 0:
        w1 = 0
        memcpy(&w1, p, nbytes)
        h1 = _step(h1, w1, MUL2)
    h0 = _step(h0, h1, MUL)
    h0 = _step(h0, h2, MUL)
    h0 = _step(h0, h3, MUL)
    return _mix(h0) & hash_mask


cdef inline int64_t _first_row(const Key *keys, int64_t *slots, uint64_t mask, int64_t i) noexcept nogil:
    """The first row with row ``i``'s key (``i`` itself when the key is new: it goes in the table)."""
    cdef const Key *k = &keys[i]
    cdef const Key *o
    cdef uint64_t at = _mix(k.hash ^ (<uint64_t>k.page * PAGE_MUL)) & mask
    cdef int64_t r
    while True:
        r = slots[at]
        if r < 0:
            slots[at] = i
            return i
        o = &keys[r]
        if (o.hash == k.hash and o.page == k.page and o.nbytes == k.nbytes
                and memcmp(o.data, k.data, k.nbytes) == 0):
            return r
        at = (at + 1) & mask


cdef object _group(const Key *keys, Py_ssize_t n):
    """int64 rows: rows[i] = the first row whose key equals row i's."""
    cdef Py_ssize_t size = MIN_SLOTS
    cdef Py_ssize_t i
    while size < 2 * n:  # at most half full: short probe runs
        size *= 2
    rows_arr = np.empty(n, dtype=np.int64)
    slots_arr = np.full(size, -1, dtype=np.int64)
    cdef int64_t[::1] rows = rows_arr
    cdef int64_t[::1] slots = slots_arr
    with nogil:
        for i in range(n):
            rows[i] = _first_row(keys, &slots[0], <uint64_t>(size - 1), i)
    return rows_arr


cdef extern from *:
    """
    /* The first newline in t[pos:size] of 2- or 4-byte text, or size. SSE2 (every x86-64):
       one compare of 16 bytes at a time, the first equal lane from the mask. Elsewhere: 8
       bytes at a time, a word holding a newline being one where x = word ^ newlines has a
       zero lane, which (x - ones) & ~x & highs tells exactly. Either way the last few units
       (and the one found by the word test) are looked at one by one. */
    /* NEWSWINNOW_NO_SIMD: the portable form even where SSE2 is there (to test that form). */
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
    #define DEDUP_SSE2 1
    #include <emmintrin.h>
    #endif
    static inline Py_ssize_t dedup_find_newline16(const uint16_t *t, Py_ssize_t pos, Py_ssize_t size) {
    #if defined(DEDUP_SSE2)
        const __m128i nl = _mm_set1_epi16(10);
        while (pos + 8 <= size) {
            int m = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(t + pos)), nl));
            if (m) return pos + (__builtin_ctz((unsigned)m) >> 1);
            pos += 8;
        }
    #else
        const uint64_t ones = 0x0001000100010001ULL, highs = ones << 15, nls = ones * 10;
        uint64_t w;
        while (pos + 4 <= size) {
            memcpy(&w, t + pos, 8);
            w ^= nls;
            if ((w - ones) & ~w & highs) break;
            pos += 4;
        }
    #endif
        while (pos < size && t[pos] != 10) pos++;
        return pos;
    }
    static inline Py_ssize_t dedup_find_newline32(const uint32_t *t, Py_ssize_t pos, Py_ssize_t size) {
    #if defined(DEDUP_SSE2)
        const __m128i nl = _mm_set1_epi32(10);
        while (pos + 4 <= size) {
            int m = _mm_movemask_epi8(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(t + pos)), nl));
            if (m) return pos + (__builtin_ctz((unsigned)m) >> 2);
            pos += 4;
        }
    #else
        const uint64_t ones = 0x0000000100000001ULL, highs = ones << 31, nls = ones * 10;
        uint64_t w;
        while (pos + 2 <= size) {
            memcpy(&w, t + pos, 8);
            w ^= nls;
            if ((w - ones) & ~w & highs) break;
            pos += 2;
        }
    #endif
        while (pos < size && t[pos] != 10) pos++;
        return pos;
    }
    """
    Py_ssize_t dedup_find_newline16(const uint16_t *t, Py_ssize_t pos, Py_ssize_t size) noexcept nogil
    Py_ssize_t dedup_find_newline32(const uint32_t *t, Py_ssize_t pos, Py_ssize_t size) noexcept nogil


cdef inline Py_ssize_t _find_newline(const ucs_t *text, Py_ssize_t pos, Py_ssize_t size) noexcept nogil:
    """The first newline in ``text[pos:size]``, or ``size`` (memchr, or the C helpers above)."""
    cdef const void *hit
    if ucs_t is uint8_t:
        if pos >= size:
            return size
        hit = memchr(&text[pos], NEWLINE, size - pos)
        return size if hit == NULL else <const uint8_t *>hit - text
    elif ucs_t is uint16_t:
        return dedup_find_newline16(text, pos, size)
    else:
        return dedup_find_newline32(text, pos, size)


cdef int _normalise(const ucs_t *text, Py_ssize_t size, Py_ssize_t n, const int64_t *starts,
                    const int64_t *ends, const uint8_t *collapse, const int64_t *page,
                    ucs_t *buf, Key *keys) noexcept nogil:
    """Each block's key. Its text is ``text[starts[i]:ends[i]]``, or with ``starts`` NULL the
    i-th newline-separated piece of ``text``; stripped, or with ``collapse[i]`` its words joined
    by one " " (written to ``buf``, which holds one unit more than those blocks). -1 when
    ``text`` is not exactly n pieces, else 0."""
    cdef Py_ssize_t i, s, e, j, pos = 0, used = 0, begin
    cdef uint32_t c
    cdef uint8_t sp, keep, after_space, seen_word
    for i in range(n):
        if starts == NULL:
            if pos > size:
                return -1
            s = pos
            e = _find_newline(text, pos, size)
            pos = e + 1
        else:
            s = starts[i]
            e = ends[i]
        if collapse[i]:
            # Without branches on the text (a space or not is unpredictable), and with no chain
            # through ``used`` but its sum: a character is kept unless white space, after one
            # " " when white space precedes it and a word came before that; the " " and the
            # character are written, then kept or overwritten.
            begin = used
            after_space = 0
            seen_word = 0
            for j in range(s, e):
                c = text[j]
                if ucs_t is uint32_t:
                    sp = _space(c)
                else:
                    sp = is_space[c]
                keep = sp ^ 1
                buf[used] = <ucs_t>SPACE
                used += keep & after_space & seen_word
                buf[used] = <ucs_t>c
                used += keep
                seen_word |= keep
                after_space = sp
            keys[i].data = <const char *>&buf[begin]
            keys[i].nbytes = (used - begin) * sizeof(ucs_t)
        else:
            while s < e and _space(text[s]):
                s += 1
            while e > s and _space(text[e - 1]):
                e -= 1
            keys[i].data = <const char *>&text[s]
            keys[i].nbytes = (e - s) * sizeof(ucs_t)
        keys[i].hash = _hash_bytes(keys[i].data, keys[i].nbytes)
        keys[i].page = page[i]
    if starts == NULL and pos != size + 1:
        return -1
    return 0


cdef Py_ssize_t _span_units(const int64_t[::1] starts, const int64_t[::1] ends, Py_ssize_t n,
                            Py_ssize_t size, const uint8_t[::1] collapse, const int64_t **sp,
                            const int64_t **ep):
    """The code units the collapsed blocks of the spans ``starts``/``ends`` can take, with
    ``*sp``/``*ep`` set to the arrays (left NULL when n is 0); -1 when an array is not n long or
    a span is out of ``[0, size]`` (both entry points check spans so)."""
    cdef Py_ssize_t i, units = 0
    if starts.shape[0] != n or ends.shape[0] != n:
        return -1
    for i in range(n):
        if starts[i] < 0 or ends[i] < starts[i] or ends[i] > size:
            return -1
        if collapse[i]:
            units += ends[i] - starts[i]
    if n:
        sp[0] = &starts[0]
        ep[0] = &ends[0]
    return units


def normalised_first_rows(str text, Py_ssize_t n, const uint8_t[::1] collapse, const int64_t[::1] page,
                          const int64_t[::1] starts=None, const int64_t[::1] ends=None):
    """For ``duplicate_flags``: int64 rows, rows[i] = the first block with block i's page and
    normalised text (``t.strip()``, or ``" ".join(t.split())`` where ``collapse[i]``).

    The blocks are ``text``'s newline-separated pieces, or the spans ``starts``/``ends`` when
    given. None when ``text`` is not exactly a str or not exactly n pieces, an array is not n
    long, or a span is out of bounds (the caller then takes the numpy form)."""
    if not PyUnicode_CheckExact(text) or n < 0 or collapse.shape[0] != n or page.shape[0] != n:
        return None
    if (starts is None) != (ends is None):
        return None
    PyUnicode_READY(text)
    cdef Py_ssize_t size = PyUnicode_GET_LENGTH(text)
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef int status
    cdef const int64_t *sp = NULL
    cdef const int64_t *ep = NULL
    cdef Py_ssize_t units = size  # the most the collapsed blocks can take (newline pieces: size)
    if starts is not None:
        units = _span_units(starts, ends, n, size, collapse, &sp, &ep)
        if units < 0:
            return None
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # Scratch memory as numpy arrays, freed with them whatever happens.
    keys_arr = np.empty(n * sizeof(Key), dtype=np.uint8)
    buf_arr = np.empty((units + 1) * kind, dtype=np.uint8)  # + 1: the loop writes one unit ahead
    cdef uint8_t[::1] keys_mem = keys_arr
    cdef uint8_t[::1] buf_mem = buf_arr
    cdef Key *keys = <Key *>&keys_mem[0]
    cdef uint8_t *buf = &buf_mem[0]
    with nogil:
        if kind == 1:
            status = _normalise(<const uint8_t *>data, size, n, sp, ep, &collapse[0], &page[0], buf, keys)
        elif kind == 2:
            status = _normalise(<const uint16_t *>data, size, n, sp, ep, &collapse[0], &page[0],
                                <uint16_t *>buf, keys)
        else:
            status = _normalise(<const uint32_t *>data, size, n, sp, ep, &collapse[0], &page[0],
                                <uint32_t *>buf, keys)
    if status != 0:
        return None
    return _group(keys, n)


def normalised_first_rows_cp(const uint32_t[::1] cp, Py_ssize_t n, const uint8_t[::1] collapse,
                             const int64_t[::1] page, const int64_t[::1] starts=None, const int64_t[::1] ends=None):
    """``normalised_first_rows`` of the text whose code points are ``cp`` (the feature pass's
    lower-cased code points, features.lowercase: no str of them is made). The same rows: a
    key is the exact code points of a block's normalised text, whatever their width. The blocks
    are ``cp``'s newline-separated pieces, or the spans ``starts``/``ends`` when given (then no
    newline is searched for, and a block's middle is read only to collapse it). None when
    ``cp`` is not exactly n newline-separated pieces (without spans), an array is not n long or
    a span is out of bounds."""
    if n < 0 or collapse.shape[0] != n or page.shape[0] != n:
        return None
    if (starts is None) != (ends is None):
        return None
    cdef Py_ssize_t size = cp.shape[0]
    cdef Py_ssize_t units = size
    cdef const int64_t *sp = NULL
    cdef const int64_t *ep = NULL
    if starts is not None:
        units = _span_units(starts, ends, n, size, collapse, &sp, &ep)
        if units < 0:
            return None
    if n == 0:
        return np.empty(0, dtype=np.int64)
    cdef int status
    keys_arr = np.empty(n * sizeof(Key), dtype=np.uint8)
    buf_arr = np.empty(units + 1, dtype=np.uint32)  # + 1: the loop writes one unit ahead
    cdef uint8_t[::1] keys_mem = keys_arr
    cdef uint32_t[::1] buf_mem = buf_arr
    cdef Key *keys = <Key *>&keys_mem[0]
    cdef const uint32_t *text = &cp[0] if size else &buf_mem[0]  # an empty text: any valid pointer
    with nogil:
        status = _normalise(text, size, n, sp, ep, &collapse[0], &page[0], &buf_mem[0], keys)
    if status != 0:
        return None
    return _group(keys, n)


# ``_SHAPE_TABLE`` over ASCII (A-Z -> A, a-z -> a, 0-9 -> 0; the rest of ASCII as it is);
# every other code point is its own shape.
cdef enum:
    ASCII = 128
cdef uint32_t shape_of_ascii[ASCII]


cdef void _tabulate_shapes() noexcept:
    cdef uint32_t c
    for c in range(<uint32_t>ASCII):
        shape_of_ascii[c] = c
    for c in range(26):
        shape_of_ascii[65 + c] = 65
        shape_of_ascii[97 + c] = 97
    for c in range(10):
        shape_of_ascii[48 + c] = 48


_tabulate_shapes()


def shape_table() -> dict:
    """The kernel's shape map as a ``str.translate`` table (the tests compare with ``_SHAPE_TABLE``)."""
    return {c: <int>shape_of_ascii[c] for c in range(<int>ASCII) if <int>shape_of_ascii[c] != c}


cdef extern from *:
    """
    /* The shape of one str (its code units: data, kind bytes each, m of them) into out; the
       shape's length. _WORDS_RX.sub("w", _RUNS_RX.sub("", t.translate(_SHAPE_TABLE))):
       - each character through the table (ASCII; any other code point is its own shape);
       - runs: a shaped character equal to the next one is dropped, unless it is a newline
         (the regex's "." does not match one);
       - words: an A or a left after that starts a "w" that takes every A, a and " " after it.
       Without branches on the text (a letter or not is unpredictable): each character's
       output is written, then kept (k moves on) or overwritten. In C and not inlined, so the
       state stays in registers (inlined into the Cython caller, it spilled to the stack). */
    #if defined(__GNUC__)
    #define DEDUP_NOINLINE __attribute__((noinline))
    #else
    #define DEDUP_NOINLINE
    #endif
    #define DEDUP_SHAPE_OF(x) ((uint32_t)(x) < 128u ? table[(x)] : (uint32_t)(x))
    #define DEDUP_SHAPE_LOOP(T) { \\
        const T *s = (const T *)data; \\
        Py_ssize_t i, k = 0; \\
        uint32_t c, nxt = DEDUP_SHAPE_OF(s[0]); \\
        int in_word = 0; \\
        for (i = 0; i < m; i++) { \\
            c = nxt; \\
            nxt = i + 1 < m ? DEDUP_SHAPE_OF(s[i + 1]) : 0xFFFFFFFFu; \\
            int dropped = (nxt == c) & (c != 10u); \\
            int letter = (c == 65u) | (c == 97u); \\
            int space = c == 32u; \\
            out[k] = letter ? 119u : c; \\
            k += (dropped | (in_word & (letter | space))) ^ 1; \\
            /* a dropped character leaves the state to the equal one after it */ \\
            in_word = dropped ? in_word : (letter | (in_word & space)); \\
        } \\
        return k; \\
    }
    static DEDUP_NOINLINE Py_ssize_t dedup_shape(const void *data, int kind, Py_ssize_t m,
                                                 const uint32_t *table, uint32_t *out) {
        if (m <= 0) return 0;
        if (kind == 1) DEDUP_SHAPE_LOOP(uint8_t)
        if (kind == 2) DEDUP_SHAPE_LOOP(uint16_t)
        DEDUP_SHAPE_LOOP(uint32_t)
    }
    """
    Py_ssize_t dedup_shape(const void *data, int kind, Py_ssize_t m, const uint32_t *table,
                           uint32_t *out) noexcept nogil


cdef struct Source:
    const void *data  # a str's code units, ``kind`` bytes each
    Py_ssize_t length
    int kind


cdef void _shape_keys(const Source *src, Py_ssize_t m, const int64_t *page, uint32_t *buf, Key *keys) noexcept nogil:
    """Each block's shape (into ``buf``, by the C loop above) and key."""
    cdef Py_ssize_t j, length, used = 0
    for j in range(m):
        length = dedup_shape(src[j].data, src[j].kind, src[j].length, shape_of_ascii, &buf[used])
        keys[j].data = <const char *>&buf[used]
        keys[j].nbytes = length * sizeof(uint32_t)
        keys[j].hash = _hash_bytes(keys[j].data, keys[j].nbytes)
        keys[j].page = page[j]
        used += length


def shape_counts(list texts, const int64_t[::1] idx, const int64_t[::1] page):
    """For ``shape_repeats``: int64 counts, counts[j] = how many of the blocks ``texts[idx[k]]``
    have block ``texts[idx[j]]``'s page (``page[j]``) and character shape. None when a block is
    not exactly a str, an index is out of range or ``page`` is not as long as ``idx``."""
    cdef Py_ssize_t m = idx.shape[0]
    cdef Py_ssize_t n = len(texts)
    cdef Py_ssize_t j, total = 0, used = 0
    cdef object t
    if page.shape[0] != m:
        return None
    for j in range(m):
        if idx[j] < 0 or idx[j] >= n:
            return None
        t = texts[idx[j]]
        if not PyUnicode_CheckExact(t):
            return None
        PyUnicode_READY(t)
        total += PyUnicode_GET_LENGTH(t)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    keys_arr = np.empty(m * sizeof(Key), dtype=np.uint8)
    src_arr = np.empty(m * sizeof(Source), dtype=np.uint8)
    buf_arr = np.empty(total + 1, dtype=np.uint32)
    cdef uint8_t[::1] keys_mem = keys_arr
    cdef uint8_t[::1] src_mem = src_arr
    cdef uint32_t[::1] buf_mem = buf_arr
    cdef Key *keys = <Key *>&keys_mem[0]
    cdef Source *src = <Source *>&src_mem[0]
    # Where each str's code units are, then straight to the C loop (no Python code runs in
    # between: the list still holds every one of them; the GIL is kept).
    for j in range(m):
        t = texts[idx[j]]
        if not PyUnicode_CheckExact(t) or n != len(texts) or used + PyUnicode_GET_LENGTH(t) > total:
            return None  # the list changed under us (only Python code run by np.empty could)
        PyUnicode_READY(t)
        src[j].data = PyUnicode_DATA(t)
        src[j].length = PyUnicode_GET_LENGTH(t)
        src[j].kind = PyUnicode_KIND(t)
        used += src[j].length
    _shape_keys(src, m, &page[0], &buf_mem[0], keys)
    rows_arr = _group(keys, m)
    cdef int64_t[::1] rows = rows_arr
    counts_arr = np.zeros(m, dtype=np.int64)
    cdef int64_t[::1] counts = counts_arr
    with nogil:
        for j in range(m):
            counts[rows[j]] += 1
        for j in range(m):  # a first row keeps its group's count; the others copy it
            counts[j] = counts[rows[j]]
    return counts_arr


def first_last(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] lengths):
    """``features.extract._first_last``: per block ``cp[starts[b]:starts[b] + lengths[b]]``, the
    code points of its first and last character after ``str.strip()`` (32, 32 when nothing is
    left), as two uint32 arrays; None when a block is not inside ``cp`` (the numpy form's case).

    Why: a fifth of the bench blocks begin or end with white space, and the numpy form strips
    each of those in Python (~6 ms a bench run); here the same ``Py_UNICODE_ISSPACE`` test
    ``str.strip`` makes is read from the table, at both ends, in one loop.
    """
    cdef Py_ssize_t n = starts.shape[0], b, lo, hi, size = cp.shape[0]
    if lengths.shape[0] != n:
        raise ValueError("starts and lengths of different lengths")
    for b in range(n):
        if starts[b] < 0 or lengths[b] < 0 or starts[b] + lengths[b] > size:
            return None
    first_arr = np.empty(n, dtype=np.uint32)
    last_arr = np.empty(n, dtype=np.uint32)
    cdef uint32_t[::1] first = first_arr
    cdef uint32_t[::1] last = last_arr
    with nogil:
        for b in range(n):
            lo = starts[b]
            hi = lo + lengths[b]
            while lo < hi and _space(cp[lo]):
                lo += 1
            while hi > lo and _space(cp[hi - 1]):
                hi -= 1
            if lo == hi:
                first[b] = 32
                last[b] = 32
            else:
                first[b] = cp[lo]
                last[b] = cp[hi - 1]
    return first_arr, last_arr
