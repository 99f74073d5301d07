# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled byte scan of ``features.spamctx``: word spans, match candidates and family counts.

Why: the numpy forms make a dozen passes over the batch's bytes and their word arrays (edges,
takes, table lookups, five character searches, a concatenation and a sort), ~0.13 s of a bench
run for the candidates alone. Here one pass classifies 64 bytes at a time into bit masks (SSE2
where the compiler has it, a byte table otherwise: a plain byte-by-byte loop was slower than
numpy on the bench machine, its branches mispredict at every word edge) and visits only word
starts and lead characters. The candidates are the numpy form's, entry for entry and in its
order (tests/test_ext_spamctx.py), and the regexes still decide every match: a family's
``rx.match`` is called at each of its candidates except those that begin with none of its
``LeadTables.heads`` (``spamctx.match_heads``: every match begins with one; 128,073 calls
become 6,868 on the bench pages), so the counts are the same integers. Also here:
``repeat_starts``, the run starts of ``spamctx.repeat_runs`` (tests/test_ext_prof2.py).
"""
from libc.stdint cimport int32_t, uint32_t, uint64_t
from libc.string cimport memset

import numpy as np

cdef extern from *:
    """
    #include <stdint.h>
    #include <stdlib.h>
    #include <string.h>
    /* NEWSWINNOW_NO_SIMD: the byte-table classifier even where SSE2 is there (to test that form). */
    #if defined(__SSE2__) && !defined(NEWSWINNOW_NO_SIMD)
    #define SC_SSE2 1
    #include <emmintrin.h>
    #endif

    #define SC_CHUNK 64
    #define SC_FIRST_CAPACITY 4096

    /* The lookup tables of one ``LeadTables`` (borrowed pointers). */
    typedef struct {
        const unsigned char* shape;   /* [256][256][width] */
        const unsigned char* end;     /* [256][width] */
        Py_ssize_t width;             /* _MAX_LEN + 1 */
        const uint32_t* prefix_sorted;
        const unsigned char* prefix_bits;
        Py_ssize_t n_prefix;
        const unsigned char* prefix_pairs; /* [65536] */
        Py_ssize_t prefix_key;
        const unsigned char* char_code;    /* tables.chars in order: byte, family bit */
        const unsigned char* char_bit;
        Py_ssize_t n_chars;
        const unsigned char* is_word;      /* [256] */
    } sc_tables;

    /* A growable list of (position, mask) or (start, end) pairs. */
    typedef struct {
        Py_ssize_t n, cap;
        Py_ssize_t* a;
        Py_ssize_t* b;
        unsigned char* mask;
    } sc_list;

    static void sc_list_init(sc_list* l) {
        l->a = NULL; l->b = NULL; l->mask = NULL; l->n = l->cap = 0;
    }

    static void sc_list_free(sc_list* l) {
        free(l->a); free(l->b); free(l->mask);
        l->a = NULL; l->b = NULL; l->mask = NULL; l->n = l->cap = 0;
    }

    static int sc_list_push(sc_list* l, Py_ssize_t a, Py_ssize_t b, unsigned char m, int pairs) {
        if (l->n == l->cap) {
            Py_ssize_t cap = l->cap ? 2 * l->cap : SC_FIRST_CAPACITY;
            Py_ssize_t* na = (Py_ssize_t*) realloc(l->a, cap * sizeof(Py_ssize_t));
            if (!na) return -1;
            l->a = na;
            if (pairs) {
                Py_ssize_t* nb = (Py_ssize_t*) realloc(l->b, cap * sizeof(Py_ssize_t));
                if (!nb) return -1;
                l->b = nb;
            } else {
                unsigned char* nm = (unsigned char*) realloc(l->mask, cap);
                if (!nm) return -1;
                l->mask = nm;
            }
            l->cap = cap;
        }
        l->a[l->n] = a;
        if (pairs) l->b[l->n] = b; else l->mask[l->n] = m;
        l->n++;
        return 0;
    }

    /* The word bytes the SIMD classifier knows: [A-Za-z0-9_] (spamctx._ASCII_WORD). */
    static int sc_is_word_byte(unsigned int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /* The lead characters broadcast to 16 bytes each (SSE2), made once per scan: built inside
       sc_masks' loop, the broadcasts were ~12% of the scan (the compiler did not hoist them). */
    #define SC_MAX_NEEDLES 64
    typedef struct {
    #if defined(SC_SSE2)
        __m128i v[SC_MAX_NEEDLES];
    #else
        unsigned char unused;
    #endif
    } sc_needles;

    static void sc_needles_init(sc_needles* nd, const sc_tables* t) {
    #if defined(SC_SSE2)
        Py_ssize_t j;
        for (j = 0; j < t->n_chars && j < SC_MAX_NEEDLES; j++) nd->v[j] = _mm_set1_epi8((char) t->char_code[j]);
    #else
        (void) nd; (void) t;
    #endif
    }

    /* Bit j of *word / *chr: byte p[j] is a word byte / one of the lead characters (64 readable bytes). */
    static inline void sc_masks(const unsigned char* p, const sc_tables* t, const unsigned char* char_any,
                                const sc_needles* nd, uint64_t* word, uint64_t* chr) {
    #if defined(SC_SSE2)
        uint64_t w = 0, c = 0;
        int k;
        Py_ssize_t j, n_chars = t->n_chars;
        for (k = 0; k < SC_CHUNK / 16; k++) {
            __m128i v = _mm_loadu_si128((const __m128i*) (p + 16 * k));
            __m128i al = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
            __m128i dg = _mm_sub_epi8(v, _mm_set1_epi8('0'));
            __m128i m = _mm_cmpeq_epi8(_mm_min_epu8(al, _mm_set1_epi8(25)), al);
            m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(dg, _mm_set1_epi8(9)), dg));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
            w |= (uint64_t) (uint16_t) _mm_movemask_epi8(m) << (16 * k);
            if (n_chars) {
                __m128i cm = _mm_setzero_si128();
                for (j = 0; j < n_chars; j++)
                    cm = _mm_or_si128(cm, _mm_cmpeq_epi8(v, nd->v[j]));
                c |= (uint64_t) (uint16_t) _mm_movemask_epi8(cm) << (16 * k);
            }
        }
        *word = w;
        *chr = c;
        (void) char_any;
    #else
        (void) nd;
        uint64_t w = 0, c = 0;
        int j;
        for (j = 0; j < SC_CHUNK; j++) {
            w |= (uint64_t) (t->is_word[p[j]] != 0) << j;
            c |= (uint64_t) (char_any[p[j]] != 0) << j;
        }
        *word = w;
        *chr = c;
    #endif
    }

    static inline int sc_ctz(uint64_t x) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctzll(x);
    #else
        int n = 0;
        while (!(x & 1)) { x >>= 1; n++; }
        return n;
    #endif
    }

    /* The family mask of the word a[s:e] (``_candidates``: shape and end tables, then the prefix). */
    static inline unsigned char sc_word_mask(const unsigned char* a, Py_ssize_t size, Py_ssize_t s, Py_ssize_t e,
                                             const sc_tables* t) {
        Py_ssize_t len = e - s, cap = t->width - 1, lo, hi, mid, j;
        unsigned int first = a[s], second = s + 1 < size ? a[s + 1] : 0;
        unsigned char m;
        uint32_t key;
        if (len > cap) len = cap;
        m = t->shape[((Py_ssize_t) first * 256 + second) * t->width + len] & t->end[(Py_ssize_t) a[e - 1] * t->width + len];
        /* The rare first-two-bytes test before the length test: word lengths alternate unpredictably
           around the key's, and branching on them first cost ~30% of the scan in mispredictions. */
        if (t->n_prefix && t->prefix_pairs[first << 8 | second] && len >= t->prefix_key) {
            key = 0;
            for (j = 0; j < t->prefix_key; j++) key |= (uint32_t) a[s + j] << (8 * j);
            lo = 0; hi = t->n_prefix;  /* searchsorted, then equality */
            while (lo < hi) {
                mid = (lo + hi) >> 1;
                if (t->prefix_sorted[mid] < key) lo = mid + 1; else hi = mid;
            }
            if (lo < t->n_prefix && t->prefix_sorted[lo] == key) m |= t->prefix_bits[lo];
        }
        return m;
    }

    /* Whether a[p:] begins with one of the strings [lo, hi) of ``blob`` (sorted, none a prefix
       of another: then only the greatest string not above a[p:p+len] can be its prefix). */
    static int sc_may_match(const unsigned char* a, Py_ssize_t size, Py_ssize_t p, const unsigned char* blob,
                            const long long* off, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t width) {
        Py_ssize_t avail = size - p, mid, len, n, first = lo;
        int c;
        if (avail > width) avail = width;
        while (lo < hi) {  /* the first string above the window */
            mid = (lo + hi) >> 1;
            len = (Py_ssize_t) (off[mid + 1] - off[mid]);
            n = len < avail ? len : avail;
            c = memcmp(blob + off[mid], a + p, (size_t) n);
            if (c < 0 || (c == 0 && len <= avail)) lo = mid + 1; else hi = mid;
        }
        if (lo == first) return 0;
        len = (Py_ssize_t) (off[lo] - off[lo - 1]);
        return len <= size - p && memcmp(blob + off[lo - 1], a + p, (size_t) len) == 0;
    }

    /* sc_masks of the chunk a[base:base + SC_CHUNK] (0 <= base < size), the bits past the data 0. */
    static inline void sc_chunk_masks(const unsigned char* a, Py_ssize_t size, Py_ssize_t base, const sc_tables* t,
                                      const unsigned char* char_any, const sc_needles* nd, unsigned char* buf,
                                      uint64_t* w, uint64_t* c) {
        uint64_t valid;
        if (size - base >= SC_CHUNK) {
            sc_masks(a + base, t, char_any, nd, w, c);
        } else {
            memset(buf, 0, SC_CHUNK);
            memcpy(buf, a + base, size - base);
            sc_masks(buf, t, char_any, nd, w, c);
            valid = ((uint64_t) 1 << (size - base)) - 1;
            *w &= valid;
            *c &= valid;
        }
    }

    /* One pass over a[0:size]: every word into *words (when not NULL) and the candidates into
       *cands (when not NULL), in the numpy form's order: by position, a word's entry before the
       lead characters at the same byte. A word's end is the next non-word bit of its chunk, or
       found byte by byte past the chunk (few words cross one); only word starts and lead
       characters are visited. Returns -1 when out of memory. */
    static int sc_scan(const unsigned char* a, Py_ssize_t size, const sc_tables* t, sc_list* words, sc_list* cands) {
        unsigned char char_any[256];
        unsigned char buf[SC_CHUNK];
        sc_needles nd;
        Py_ssize_t base, s, e, j;
        uint64_t w, c, w_next = 0, c_next = 0, prev = 0, starts, events, rest;
        int bit;
        memset(char_any, 0, sizeof char_any);
        for (j = 0; j < t->n_chars; j++) char_any[t->char_code[j]] = 1;
        if (t->n_chars > SC_MAX_NEEDLES) return -1;  /* (unreachable: _Tables takes at most MAX_CHARS == SC_MAX_NEEDLES) */
        sc_needles_init(&nd, t);
        /* The masks of the chunk after the current one are made before its words are walked: a
           word running past its chunk ends at the next chunk's first non-word bit (a byte-by-byte
           search there was ~8% of the scan); only a word longer than that chunk is searched on. */
        if (size > 0) sc_chunk_masks(a, size, 0, t, char_any, &nd, buf, &w_next, &c_next);
        for (base = 0; base < size; base += SC_CHUNK) {
            w = w_next;
            c = c_next;
            if (base + SC_CHUNK < size)
                sc_chunk_masks(a, size, base + SC_CHUNK, t, char_any, &nd, buf, &w_next, &c_next);
            else
                w_next = c_next = 0;
            starts = w & ~((w << 1) | prev);
            prev = w >> (SC_CHUNK - 1);
            events = cands ? starts | c : starts;
            while (events) {
                bit = sc_ctz(events);
                events &= events - 1;
                s = base + bit;
                if ((starts >> bit) & 1) {
                    rest = ~w >> bit;  /* bit 0 is the start itself, a word byte */
                    if (rest) {
                        e = s + sc_ctz(rest);
                        if (e > size) e = size;
                    } else if (~w_next) {  /* (bits past the data are 0: non-word) */
                        e = base + SC_CHUNK + sc_ctz(~w_next);
                        if (e > size) e = size;
                    } else {
                        e = base + 2 * SC_CHUNK;
                        while (e < size && t->is_word[a[e]]) e++;
                    }
                    if (words && sc_list_push(words, s, e, 0, 1)) return -1;
                    if (cands) {
                        unsigned char m = sc_word_mask(a, size, s, e, t);
                        if (m && sc_list_push(cands, s, 0, m, 0)) return -1;
                    }
                }
                if (cands && ((c >> bit) & 1)) {
                    unsigned int b = a[s];
                    for (j = 0; j < t->n_chars; j++)
                        if (t->char_code[j] == b && sc_list_push(cands, s, 0, t->char_bit[j], 0)) return -1;
                }
            }
        }
        return 0;
    }

    /* Bit j of the result: a[p + j] == a[p + j + d] for d = 1 .. len - 1 (the run of ``len`` equal
       bytes from p + j; 64 + len - 1 readable bytes from p). */
    static inline uint64_t sc_run_bits(const unsigned char* p, Py_ssize_t len) {
        uint64_t r = 0;
        int k;
        Py_ssize_t d;
    #if defined(SC_SSE2)
        for (k = 0; k < SC_CHUNK / 16; k++) {
            __m128i v = _mm_loadu_si128((const __m128i*) (p + 16 * k));
            __m128i m = _mm_set1_epi8((char) 0xFF);
            for (d = 1; d < len; d++)
                m = _mm_and_si128(m, _mm_cmpeq_epi8(v, _mm_loadu_si128((const __m128i*) (p + 16 * k + d))));
            r |= (uint64_t) (uint16_t) _mm_movemask_epi8(m) << (16 * k);
        }
    #else
        for (k = 0; k < SC_CHUNK; k++) {
            int all = 1;
            for (d = 1; d < len && all; d++) all = p[k] == p[k + d];
            r |= (uint64_t) all << k;
        }
    #endif
        return r;
    }

    /* The first byte of every maximal run of ``len`` or more equal bytes in a[0:size] whose byte
       is not in ``skip``, in order, into *out. Returns -1 when out of memory. */
    static int sc_repeat_starts(const unsigned char* a, Py_ssize_t size, Py_ssize_t len,
                                const unsigned char* skip, sc_list* out) {
        unsigned char buf[SC_CHUNK + SC_CHUNK];
        Py_ssize_t base, last = size - len, s;  /* runs start at 0 .. last */
        uint64_t run, prev = 0, first;
        int bit;
        for (base = 0; base <= last; base += SC_CHUNK) {
            if (size - base >= SC_CHUNK + len - 1) {
                run = sc_run_bits(a + base, len);
            } else {  /* the tail: zero padding, and only positions up to ``last`` kept */
                memset(buf, 0, sizeof buf);
                memcpy(buf, a + base, size - base);
                run = sc_run_bits(buf, len);
            }
            if (last - base < SC_CHUNK - 1)
                run &= ((uint64_t) 1 << (last - base + 1)) - 1;
            first = run & ~((run << 1) | prev);
            prev = run >> (SC_CHUNK - 1);
            while (first) {
                bit = sc_ctz(first);
                first &= first - 1;
                s = base + bit;
                if (!skip[a[s]] && sc_list_push(out, s, 0, 0, 0)) return -1;
            }
        }
        return 0;
    }
    """
    ctypedef struct sc_tables:
        const unsigned char* shape
        const unsigned char* end
        Py_ssize_t width
        const unsigned int* prefix_sorted
        const unsigned char* prefix_bits
        Py_ssize_t n_prefix
        const unsigned char* prefix_pairs
        Py_ssize_t prefix_key
        const unsigned char* char_code
        const unsigned char* char_bit
        Py_ssize_t n_chars
        const unsigned char* is_word
    ctypedef struct sc_list:
        Py_ssize_t n
        Py_ssize_t cap
        Py_ssize_t* a
        Py_ssize_t* b
        unsigned char* mask
    void sc_list_init(sc_list* l) noexcept nogil
    void sc_list_free(sc_list* l) noexcept nogil
    bint sc_is_word_byte(unsigned int c) noexcept nogil
    int sc_scan(const unsigned char* a, Py_ssize_t size, const sc_tables* t, sc_list* words,
                sc_list* cands) noexcept nogil
    int sc_repeat_starts(const unsigned char* a, Py_ssize_t size, Py_ssize_t len,
                         const unsigned char* skip, sc_list* out) noexcept nogil
    int sc_ctz(uint64_t x) noexcept nogil
    bint sc_may_match(const unsigned char* a, Py_ssize_t size, Py_ssize_t p, const unsigned char* blob,
                      const long long* off, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t width) noexcept nogil

# Most lead characters of one table.
cdef enum:
    MAX_CHARS = 64
    MAX_FAMILIES = 8
    INT32_LIMIT = 2147483646  # heads past it: the family searches them all


def _check_word_table(const unsigned char[::1] is_word) -> None:
    """The scan's word bytes are built in (SSE2 compares): ``is_word`` must be the same set."""
    cdef int c
    if is_word.shape[0] != 256:
        raise ValueError("the word table has 256 entries")
    for c in range(256):
        if (is_word[c] != 0) != sc_is_word_byte(c):
            raise ValueError(f"the scan's word bytes are [A-Za-z0-9_]; the table differs at byte {c}")


cdef class _Tables:
    """A ``LeadTables``' arrays held for one scan, and the ``sc_tables`` pointing into them."""
    cdef sc_tables t
    cdef unsigned char code[MAX_CHARS]
    cdef unsigned char bit[MAX_CHARS]
    cdef const unsigned char[:, :, ::1] shape
    cdef const unsigned char[:, ::1] end
    cdef const unsigned int[::1] prefix_sorted
    cdef const unsigned char[::1] prefix_bits
    cdef const unsigned char[::1] prefix_pairs
    cdef const unsigned char[::1] is_word

    def __init__(self, tables, const unsigned char[::1] is_word, Py_ssize_t prefix_key):
        _check_word_table(is_word)
        if not 2 <= prefix_key <= 4:
            raise ValueError("the prefix key is 2 to 4 bytes (one uint32 from the word's first two on)")
        self.is_word = is_word
        self.shape = tables.shape_mask
        self.end = tables.end_mask
        self.prefix_sorted = tables.prefix_sorted
        self.prefix_bits = tables.prefix_bits
        self.prefix_pairs = tables.prefix_pairs.view(np.uint8)
        if self.shape.shape[0] != 256 or self.shape.shape[1] != 256 or self.end.shape[0] != 256:
            raise ValueError("shape tables are [256, 256, width] and [256, width]")
        if self.end.shape[1] != self.shape.shape[2] or self.shape.shape[2] < 2:
            raise ValueError("shape and end tables of different widths")
        if self.prefix_pairs.shape[0] != 65536 or self.prefix_bits.shape[0] != self.prefix_sorted.shape[0]:
            raise ValueError("prefix tables of the wrong sizes")
        cdef Py_ssize_t n = 0
        for c, b in tables.chars:
            if 0 <= c < 256:  # a larger code never equals a byte (numpy's ``arr == c``)
                if n == MAX_CHARS:
                    raise ValueError(f"more than {MAX_CHARS} lead characters")
                self.code[n] = <unsigned char> c
                self.bit[n] = <unsigned char> b
                n += 1
        self.t.shape = &self.shape[0, 0, 0]
        self.t.end = &self.end[0, 0]
        self.t.width = self.shape.shape[2]
        self.t.prefix_sorted = &self.prefix_sorted[0] if self.prefix_sorted.shape[0] else NULL
        self.t.prefix_bits = &self.prefix_bits[0] if self.prefix_bits.shape[0] else NULL
        self.t.n_prefix = self.prefix_sorted.shape[0]
        self.t.prefix_pairs = &self.prefix_pairs[0]
        self.t.prefix_key = prefix_key
        self.t.char_code = self.code
        self.t.char_bit = self.bit
        self.t.n_chars = n
        self.t.is_word = &self.is_word[0]


cdef sc_list _candidates(const unsigned char[::1] arr, _Tables tb) except *:
    cdef sc_list c
    sc_list_init(&c)
    cdef int rc = 0
    if arr.shape[0]:
        with nogil:
            rc = sc_scan(&arr[0], arr.shape[0], &tb.t, NULL, &c)
    if rc:
        sc_list_free(&c)
        raise MemoryError()
    return c


def candidates(const unsigned char[::1] arr, const unsigned char[::1] is_word, tables, Py_ssize_t prefix_key):
    """``spamctx._candidates(arr, tables)`` -> (int64 positions, uint8 family masks);
    ``prefix_key``: ``spamctx.PREFIX_KEY``."""
    cdef sc_list c = _candidates(arr, _Tables(tables, is_word, prefix_key))
    cdef Py_ssize_t i
    pos_arr = np.empty(c.n, dtype=np.int64)
    mask_arr = np.empty(c.n, dtype=np.uint8)
    cdef long long[::1] pos = pos_arr
    cdef unsigned char[::1] mask = mask_arr
    for i in range(c.n):
        pos[i] = c.a[i]
        mask[i] = c.mask[i]
    sc_list_free(&c)
    return pos_arr, mask_arr


cdef enum:
    TRIGRAM_SHIFT = 16  # a trigram hash has 32 - TRIGRAM_SHIFT bits
    TRIGRAM_WORDS = (1 << (32 - TRIGRAM_SHIFT)) // 64


cdef inline uint32_t _trigram_hash(unsigned char a, unsigned char b, unsigned char c) noexcept nogil:
    """Three bytes to 32 - TRIGRAM_SHIFT bits (multiplicative hashing: equal bytes, equal hash)."""
    return ((<uint32_t> a << 16 | <uint32_t> b << 8 | c) * <uint32_t> 2654435761u) >> TRIGRAM_SHIFT


cdef Py_ssize_t _block(const long long[::1] starts, Py_ssize_t p) noexcept nogil:
    """``searchsorted(starts, p, side="right") - 1``."""
    cdef Py_ssize_t lo = 0, hi = starts.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if starts[mid] <= p:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def family_counts(data, const unsigned char[::1] arr, const unsigned char[::1] is_word,
                  const long long[::1] starts, Py_ssize_t n, tables, Py_ssize_t prefix_key):
    """``spamctx.family_counts``: float32 [n, families] matches per block, ``finditer``'s
    count. Each family keeps the end of its last match and calls its pattern's ``match`` only
    at candidates at or past it (the numpy form discards the others' results: a match at p
    depends on p alone) that begin with one of the family's ``tables.heads`` (every match
    does), so the same matches are counted."""
    rx = tables.rx
    cdef Py_ssize_t n_fam = len(rx)
    cdef Py_ssize_t last[MAX_FAMILIES]
    cdef Py_ssize_t i, f, p, blk, end, width = 0, lo, hi
    # Per family and first byte, the range of its heads that begin with that byte (-1: none):
    # only those can be a prefix of a[p:], so sc_may_match searches them alone, not the whole
    # family (the same answer: the range is sorted and prefix-free as the family is). A family
    # with an empty head, or heads of one first byte apart (not sorted), searches them all.
    cdef int32_t first_lo[MAX_FAMILIES][256]
    cdef int32_t first_hi[MAX_FAMILIES][256]
    cdef bint by_first[MAX_FAMILIES]
    # Per family, a bit for the hash of the first three bytes of each of its heads (TRIGRAM_BITS
    # bits), and the first bytes of its heads shorter than that: a candidate of three bytes or
    # more whose first byte begins no short head and whose hash has no bit begins with none of
    # the heads, so sc_may_match would say 0 (it found ~60% of the candidates that way).
    cdef uint64_t trigram[MAX_FAMILIES][TRIGRAM_WORDS]
    cdef unsigned char short_first[MAX_FAMILIES][256]
    cdef uint32_t h
    cdef Py_ssize_t size = arr.shape[0]
    cdef int b
    cdef const unsigned char[::1] blob = tables.head_blob
    cdef const long long[::1] offsets = tables.head_offsets
    cdef const long long[::1] fam_first = tables.head_families
    cdef const unsigned char* blob_p = <const unsigned char*> ""
    if n_fam > MAX_FAMILIES:
        raise ValueError(f"at most {MAX_FAMILIES} families per table")
    if (fam_first.shape[0] != n_fam + 1 or fam_first[0] != 0 or offsets.shape[0] != fam_first[n_fam] + 1
            or offsets[0] != 0 or offsets[offsets.shape[0] - 1] != blob.shape[0]):
        raise ValueError("head tables of the wrong sizes")
    for i in range(offsets.shape[0] - 1):
        if offsets[i + 1] < offsets[i]:
            raise ValueError("head offsets out of order")
        width = max(width, offsets[i + 1] - offsets[i])
    for f in range(n_fam):
        if fam_first[f + 1] < fam_first[f]:
            raise ValueError("head families out of order")
        last[f] = 0
        by_first[f] = True
        for b in range(256):
            first_lo[f][b] = -1
            first_hi[f][b] = -1
            short_first[f][b] = 0
        memset(&trigram[f][0], 0, sizeof(trigram[f]))
        for i in range(fam_first[f], fam_first[f + 1]):
            if offsets[i + 1] == offsets[i] or i > INT32_LIMIT:
                by_first[f] = False
                break
            b = blob[offsets[i]]
            if offsets[i + 1] - offsets[i] < 3:
                short_first[f][b] = 1
            else:
                h = _trigram_hash(blob[offsets[i]], blob[offsets[i] + 1], blob[offsets[i] + 2])
                trigram[f][h >> 6] |= (<uint64_t> 1) << (h & 63)
            if first_lo[f][b] < 0:
                first_lo[f][b] = <int32_t> i
            elif first_hi[f][b] != i:
                by_first[f] = False
                break
            first_hi[f][b] = <int32_t> (i + 1)
    if blob.shape[0]:
        blob_p = &blob[0]
    out_arr = np.zeros((n, n_fam), dtype=np.float32)
    cdef float[:, ::1] out = out_arr
    if arr.shape[0] == 0:
        return out_arr
    matchers = [r.match for r in rx]
    cdef sc_list c = _candidates(arr, _Tables(tables, is_word, prefix_key))
    cdef unsigned int fams, fam_bits = (1u << n_fam) - 1
    try:
        for i in range(c.n):
            p = c.a[i]
            # The families of the candidate's bits, in order (most candidates have one: a loop
            # over every family tested a bit each and mispredicted).
            fams = c.mask[i] & fam_bits
            while fams:
                f = sc_ctz(fams)
                fams &= fams - 1
                if p < last[f]:
                    continue
                if by_first[f]:
                    lo = first_lo[f][arr[p]]
                    if lo < 0:
                        continue  # (no head begins with this byte: sc_may_match's answer is 0)
                    if p + 3 <= size and not short_first[f][arr[p]]:
                        h = _trigram_hash(arr[p], arr[p + 1], arr[p + 2])
                        if not (trigram[f][h >> 6] >> (h & 63)) & 1:
                            continue  # (no head begins with these three bytes: 0 as well)
                    hi = first_hi[f][arr[p]]
                else:
                    lo = fam_first[f]
                    hi = fam_first[f + 1]
                if sc_may_match(&arr[0], arr.shape[0], p, blob_p, &offsets[0], lo, hi, width):
                    mt = matchers[f](data, p)
                    if mt is not None:
                        end = mt.end()
                        last[f] = end if end > p + 1 else p + 1
                        blk = _block(starts, p)
                        if blk < 0 or blk >= n:
                            raise IndexError(f"a match at byte {p} is in no block of {n}")
                        out[blk, f] += 1.0
    finally:
        sc_list_free(&c)
    return out_arr


def word_spans(const unsigned char[::1] arr, const unsigned char[::1] is_word, Py_ssize_t max_len):
    """``spamctx.word_spans`` -> (ws, we, length) int64 and (first, second, last) uint8."""
    _check_word_table(is_word)
    cdef Py_ssize_t size = arr.shape[0]
    cdef sc_list w
    sc_list_init(&w)
    cdef sc_tables t
    t.n_chars = 0
    t.is_word = &is_word[0]
    cdef int rc = 0
    if size:
        with nogil:
            rc = sc_scan(&arr[0], size, &t, &w, NULL)
    if rc:
        sc_list_free(&w)
        raise MemoryError()
    cdef Py_ssize_t n = w.n, k, s, e
    ws_arr = np.empty(n, dtype=np.int64)
    we_arr = np.empty(n, dtype=np.int64)
    len_arr = np.empty(n, dtype=np.int64)
    first_arr = np.empty(n, dtype=np.uint8)
    second_arr = np.empty(n, dtype=np.uint8)
    last_arr = np.empty(n, dtype=np.uint8)
    cdef long long[::1] ws = ws_arr
    cdef long long[::1] we = we_arr
    cdef long long[::1] length = len_arr
    cdef unsigned char[::1] first = first_arr
    cdef unsigned char[::1] second = second_arr
    cdef unsigned char[::1] last = last_arr
    for k in range(n):
        s = w.a[k]
        e = w.b[k]
        ws[k] = s
        we[k] = e
        length[k] = e - s if e - s < max_len else max_len
        first[k] = arr[s]
        second[k] = arr[s + 1] if s + 1 < size else 0
        last[k] = arr[e - 1]
    sc_list_free(&w)
    return ws_arr, we_arr, len_arr, first_arr, second_arr, last_arr


# The longest run ``repeat_starts`` tests (its compares reach this far past a position).
MAX_RUN = 32


def repeat_starts(const unsigned char[::1] arr, const unsigned char[::1] skip, Py_ssize_t run_len):
    """int64 positions of the first byte of every maximal run of ``run_len`` or more equal
    bytes of ``arr`` whose byte is not in ``skip`` ([256], non-zero: skipped), ascending: the
    ``at`` of ``spamctx.repeat_runs``' numpy form (2 <= run_len <= MAX_RUN).

    Why: the numpy form makes five passes over the batch's bytes (~7 ms a bench pass); here
    16 positions are tested at once (SSE2: each byte against the next run_len - 1)."""
    if not 2 <= run_len <= MAX_RUN:
        raise ValueError(f"run_len is 2 to {MAX_RUN}")
    if skip.shape[0] != 256:
        raise ValueError("the skip table has 256 entries")
    cdef sc_list c
    sc_list_init(&c)
    cdef int rc = 0
    if arr.shape[0] >= run_len:
        with nogil:
            rc = sc_repeat_starts(&arr[0], arr.shape[0], run_len, &skip[0], &c)
    if rc:
        sc_list_free(&c)
        raise MemoryError()
    out_arr = np.empty(c.n, dtype=np.int64)
    cdef long long[::1] out = out_arr
    cdef Py_ssize_t i
    for i in range(c.n):
        out[i] = c.a[i]
    sc_list_free(&c)
    return out_arr
