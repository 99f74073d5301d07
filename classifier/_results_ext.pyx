# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled ``classifier.api._block_dicts_python``: the result's ``blocks`` dicts of a batch.

Why: the Python form builds, per block, a ``proba`` dict from a ``tolist`` row, an evidence
list and the eight-key block dict in comprehensions over ``zip``s of six slices per page
(~2-3% of ``classify`` on the bench pages); here one loop builds the same objects. Each dict
is a copy of a template holding its keys (presized, no growth on the sixth key) whose values are
then replaced, which keeps the keys' order (session 20: ~10% of this function).

Same output (tests/test_ext_asm.py): the same dicts with the keys in the same order, the same
float values (``PyFloat_FromDouble`` of the rounded float64 arrays, as ``tolist`` makes them; the
rounding itself stays in numpy, in the caller), ``line`` None on HTML pages, the evidence a new
list ``mt + profanity`` per block. Where the lengths disagree (the Python form's ``zip``s would
cut the pages short) this returns None and the caller runs the Python form.

``page_sizes`` (session 20): each page's characters of block text and its longest block, for
``limits.apply_sized`` and ``Classifier.classify_pages`` (tests/test_ext_api.py).

``capture`` / ``PageBlocks`` (session 21): the same dicts built only when a caller reads a
result's ``blocks``, and the result's JSON line written without them (tests/test_ext_json.py);
see the section's notes below.
"""
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.float cimport PyFloat_FromDouble

# A block dict's keys in their order: each block's dict is a copy of this one (keys table and
# all, sized for eight keys) with its values then replaced in place, instead of a new dict
# that grows (and is copied) on its sixth key; a copy of ``_PROBA_KEYS`` likewise per ``proba``.
cdef dict _BLOCK_KEYS = {"index": None, "line": None, "text": None, "label": None, "proba": None, "mt": None,
                         "profanity": None, "evidence": None}
cdef str K_INDEX = "index", K_LINE = "line", K_TEXT = "text", K_LABEL = "label", K_PROBA = "proba", K_MT = "mt"
cdef str K_PROFANITY = "profanity", K_EVIDENCE = "evidence"


def block_dicts(list pages, list spans, list names, const double[:, ::1] proba, const double[::1] mt,
                const double[::1] prof, list mt_evidence, list prof_evidence, tuple labels):
    """Per page (``pages[p]``, rows ``spans[p]`` of the batch arrays) the list of its block dicts
    ``{"index", "line", "text", "label", "proba", "mt", "profanity", "evidence"}``; ``proba``
    maps ``labels`` to the row's rounded probabilities. None when the lengths disagree."""
    cdef Py_ssize_t n_rows = proba.shape[0], k = len(labels)
    cdef Py_ssize_t p, i, j, a, b, c
    cdef list out = [], blocks, page_out
    cdef dict pr, d
    cdef dict proba_keys = dict.fromkeys(labels)
    if (proba.shape[1] != k or mt.shape[0] != n_rows or prof.shape[0] != n_rows or len(names) != n_rows
            or len(mt_evidence) != n_rows or len(prof_evidence) != n_rows or len(spans) != len(pages)):
        return None
    for p in range(len(pages)):
        a, b = spans[p]
        blocks = pages[p].blocks
        if a < 0 or b > n_rows or b - a != len(blocks):
            return None
    for p in range(len(pages)):
        page = pages[p]
        a = spans[p][0]
        blocks = page.blocks
        is_html = page.is_html
        page_out = []
        for i in range(len(blocks)):
            blk = blocks[i]
            j = a + i
            pr = PyDict_Copy(proba_keys)
            for c in range(k):
                PyDict_SetItem(pr, labels[c], PyFloat_FromDouble(proba[j, c]))
            d = PyDict_Copy(_BLOCK_KEYS)
            PyDict_SetItem(d, K_INDEX, blk.index)
            PyDict_SetItem(d, K_LINE, None if is_html else blk.line)
            PyDict_SetItem(d, K_TEXT, blk.text)
            PyDict_SetItem(d, K_LABEL, names[j])
            PyDict_SetItem(d, K_PROBA, pr)
            PyDict_SetItem(d, K_MT, PyFloat_FromDouble(mt[j]))
            PyDict_SetItem(d, K_PROFANITY, PyFloat_FromDouble(prof[j]))
            PyDict_SetItem(d, K_EVIDENCE, mt_evidence[j] + prof_evidence[j])
            page_out.append(d)
        out.append(page_out)
    return out


def page_sizes(list pages, type block):
    """Per page, the characters of its block texts and its longest block's: two lists of ints,
    ``sum(len(b.text) for b in p.blocks)`` and ``max(...)`` (0 for a page without blocks).

    Why: ``limits.apply`` summed them per page in a generator and ``Classifier.classify_pages``
    again (~1% of ``classify``); here one loop over the batch's blocks.

    None unless every ``p.blocks`` is an exact list of exact ``block`` objects (``features.segment.Block``)
    with exact ``str`` texts: then ``len`` can neither fail nor run Python code, so computing them
    all in advance is what the Python loops would compute, whatever they end up reading."""
    cdef Py_ssize_t p, i, n, total, longest
    cdef list blocks, totals = [], maxima = []
    for p in range(len(pages)):
        blocks_obj = pages[p].blocks
        if type(blocks_obj) is not list:
            return None
        blocks = <list> blocks_obj
        total = 0
        longest = 0
        for i in range(len(blocks)):
            blk = blocks[i]
            if type(blk) is not block:
                return None
            text = blk.text
            if type(text) is not str:
                return None
            n = len(<str> text)
            total += n
            if n > longest:
                longest = n
        totals.append(total)
        maxima.append(longest)
    return totals, maxima


# --- lazy results: the block dicts only when read, the JSON line without them ---------------------
#
# Why (session 21): per bench pass, building the ~55k block dicts and their ``proba`` dicts cost
# 41-50 ms and orjson then spent ~28 ms walking them again, for a CLI that only wants the bytes.
# ``capture`` keeps a batch's block facts (the objects the dicts would hold, read once, now) in
# one ``PageBlocks`` per page: ``blocks()`` builds exactly ``block_dicts``' dicts when a
# caller reads ``DocumentResult.blocks``, ``json()`` writes the page's ``blocks`` array as orjson
# would write those dicts, without building them.
#
# Same bytes as ``orjson.dumps`` (tests/test_ext_json.py), by construction where it can be: the
# escapes of the bytes orjson escapes and the text of floats other than k / 10**4 come from orjson
# itself, that of every k / 10**4 (0 <= k <= 10**4, what rounding a probability to four places
# gives) from Python's repr, checked against orjson's;
# ints in the int64 range are plain decimals, as orjson writes them; evidence lists (rarely
# non-empty) go through orjson whole. Anything else (a lone surrogate, which orjson refuses and
# the caller's json fallback escapes; an int out of range; a text that is not a str) makes
# ``json()`` answer None, and the caller serialises the dicts as before. Texts are encoded to
# UTF-8 here from their code units (no UTF-8 copy left cached on the str), runs written as
# themselves copied 16 code units at a time (``_plain16``).

cimport cython
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_FromLongLong
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcpy, memset

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_FindChar(object, Py_UCS4, Py_ssize_t, Py_ssize_t, int) except -2
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    int PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND
    bint PyUnicode_IS_ASCII(object)

cdef extern from "math.h":
    bint signbit(double) nogil

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None

# Rounded scores are k / 10**SCALE for these k: their text comes from a table (built from orjson).
DEF SCALE_K = 10000
# The longest escape orjson writes for one UTF-8 byte ("\u001f"), and an int64's decimal with sign.
DEF MAX_ESCAPE = 6
DEF INT_CHARS = 24

# Per byte: what orjson writes for it inside a string (empty: the byte itself).
cdef char _ESC[256][8]
cdef unsigned char _ESC_LEN[256]
cdef bint _ESC_READY = False
# The text of k / 10**4 for k in 0..10**4 in a slot of FLOAT_SLOT bytes each (copied whole, a
# constant-size copy; its length in _FLOAT_LEN), and the float itself (compared with, not
# computed again per value: a division cost more than the rest of the lookup).
DEF FLOAT_SLOT = 8
cdef char _FLOAT_TXT[SCALE_K + 1][FLOAT_SLOT]
cdef unsigned char _FLOAT_LEN[SCALE_K + 1]
cdef double _FLOAT_VAL[SCALE_K + 1]


cdef bint _tables() except -1:
    """Build the escape and float tables on first use (not at import: start-up); False when
    orjson is missing or writes them otherwise than assumed (the writer then declines)."""
    global _ESC_READY
    cdef int c
    cdef bytes b
    cdef Py_ssize_t k
    if _ESC_READY:
        return True
    if _orjson is None:
        return False
    for c in range(256):
        _ESC_LEN[c] = 0
    for c in range(0x20, 0x80):  # the others pass as they are (what _plain16 assumes)
        if c not in (0x22, 0x5C) and _orjson.dumps(chr(c)) != b'"' + bytes([c]) + b'"':
            return False
    for c in list(range(0x20)) + [ord('"'), ord("\\")]:
        b = _orjson.dumps(chr(c))
        b = b[1:len(b) - 1]  # inside the quotes
        if len(b) > MAX_ESCAPE:
            return False
        memcpy(_ESC[c], <const char*> b, len(b))
        _ESC_LEN[c] = len(b)
    # Python's repr, the shortest text that reads back as the float, as orjson's is (orjson
    # writes 1e-05 as 0.00001, but no k / 10**4 is below 1e-4): checked here on a few, on all in
    # tests/test_ext_json.py. Not 10**4 orjson calls: each leaves its bytes in a 4 KB allocation,
    # which kept 40 MB of the heap resident.
    parts = [repr(k / <double> SCALE_K).encode("ascii") for k in range(SCALE_K + 1)]
    for k in (0, 1, 9, 10, 99, 100, 999, 1000, 1234, 5000, 9990, 9999, SCALE_K):
        if _orjson.dumps(k / <double> SCALE_K) != parts[k]:
            return False
    for k in range(SCALE_K + 1):
        b = parts[k]
        if len(b) > FLOAT_SLOT:
            return False
        memset(_FLOAT_TXT[k], 0, FLOAT_SLOT)
        memcpy(_FLOAT_TXT[k], <const char*> b, len(b))
        _FLOAT_LEN[k] = len(b)
        _FLOAT_VAL[k] = k / <double> SCALE_K
    _ESC_READY = True
    return True


cdef struct Out:
    char* buf
    Py_ssize_t n
    Py_ssize_t cap


cdef int _reserve(Out* o, Py_ssize_t extra) except -1:
    """Room for ``extra`` more bytes."""
    cdef Py_ssize_t cap
    cdef char* p
    if o.n + extra <= o.cap:
        return 0
    cap = o.cap * 2
    if cap < o.n + extra:
        cap = o.n + extra
    p = <char*> realloc(o.buf, cap)
    if p == NULL:
        raise MemoryError()
    o.buf, o.cap = p, cap
    return 0


cdef inline int _put(Out* o, const char* s, Py_ssize_t k) except -1:
    _reserve(o, k)
    memcpy(o.buf + o.n, s, k)
    o.n += k
    return 0


cdef int _put_bytes(Out* o, bytes b) except -1:
    return _put(o, <const char*> b, len(b))


cdef inline void _byte(Out* o, unsigned char c) noexcept:
    """One byte of a string's body (room reserved by the caller): escaped as orjson does."""
    cdef unsigned char k = _ESC_LEN[c]
    if k == 0:
        o.buf[o.n] = <char> c
        o.n += 1
    else:
        memcpy(o.buf + o.n, _ESC[c], k)
        o.n += k


# 16 code units at a time where SSE2 is there (every x86-64): packed to bytes with saturation
# (a code unit in [0x20, 0x7F] packs to itself, any other to a byte under 0x20 or at or above
# 0x80), the 16 bytes stored as they are (the caller's reserved room holds them), and bit k of the
# answer set unless code unit k is one written as itself: ASCII, not under 0x20, not a quote or a
# backslash (the bytes orjson escapes, which _tables checks). Elsewhere (or with
# NEWSWINNOW_NO_SIMD) NW_PLAIN16 is 0 and every code unit goes through the one-at-a-time path.
cdef extern from *:
    """
    #if (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)) && !defined(NEWSWINNOW_NO_SIMD)
    #include <emmintrin.h>
    #define NW_PLAIN16 1
    static CYTHON_INLINE unsigned nw_plain16(const void* data, int kind, Py_ssize_t i, char* out) {
        __m128i b, bad;
        if (kind == 1) {
            b = _mm_loadu_si128((const __m128i*) ((const unsigned char*) data + i));
        } else if (kind == 2) {
            const unsigned short* p = (const unsigned short*) data + i;
            b = _mm_packus_epi16(_mm_loadu_si128((const __m128i*) p), _mm_loadu_si128((const __m128i*) (p + 8)));
        } else {
            const unsigned int* p = (const unsigned int*) data + i;
            __m128i w1 = _mm_packs_epi32(_mm_loadu_si128((const __m128i*) p), _mm_loadu_si128((const __m128i*) (p + 4)));
            __m128i w2 = _mm_packs_epi32(_mm_loadu_si128((const __m128i*) (p + 8)),
                                         _mm_loadu_si128((const __m128i*) (p + 12)));
            b = _mm_packus_epi16(w1, w2);
        }
        _mm_storeu_si128((__m128i*) out, b);
        /* signed: bytes at or above 0x80 are negative, so also "under 0x20" */
        bad = _mm_or_si128(_mm_cmplt_epi8(b, _mm_set1_epi8(0x20)),
                           _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(0x22)), _mm_cmpeq_epi8(b, _mm_set1_epi8(0x5C))));
        return (unsigned) _mm_movemask_epi8(bad);
    }
    #else
    #define NW_PLAIN16 0
    static CYTHON_INLINE unsigned nw_plain16(const void* data, int kind, Py_ssize_t i, char* out) {
        (void) data; (void) kind; (void) i; (void) out;
        return 0xFFFFu;
    }
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    static CYTHON_INLINE int nw_ctz(unsigned x) { return __builtin_ctz(x); }
    static CYTHON_INLINE int nw_msb(unsigned x) { return 31 - __builtin_clz(x); }
    #else
    static CYTHON_INLINE int nw_ctz(unsigned x) { int k = 0; while (!(x & 1u)) { x >>= 1; k++; } return k; }
    static CYTHON_INLINE int nw_msb(unsigned x) { int k = -1; while (x) { x >>= 1; k++; } return k; }
    #endif
    """
    bint HAVE_PLAIN16 "NW_PLAIN16"
    unsigned _plain16 "nw_plain16"(const void* data, int kind, Py_ssize_t i, char* out) noexcept nogil
    int _ctz "nw_ctz"(unsigned x) noexcept nogil
    int _msb "nw_msb"(unsigned x) noexcept nogil

DEF PLAIN_RUN = 16  # code units per _plain16 test


cdef int _put_str(Out* o, object s) except -2:
    """``s`` (an exact str) as a JSON string, UTF-8: 0, or -1 when orjson would refuse it (a
    surrogate code point), the output then unusable.

    Runs of code units written as themselves go 16 at a time (``_plain16``); from the first code
    unit of a 16 that is not to the last, one at a time (escaped, or encoded to UTF-8), so that
    text of non-ASCII letters costs one test per 16 and not one per letter."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0, stop = 0
    cdef int kind = PyUnicode_KIND(s)
    cdef const void* data = PyUnicode_DATA(s)
    cdef unsigned mask
    cdef unsigned int c
    # Room for every code point's UTF-8 (w bytes at most) and the quotes, and room for an escape
    # made when one comes (few do): not six bytes a code point up front, mostly never touched but
    # still a heap that grows (session 21: +40 MB peak RSS on the bench pages). The 16-byte
    # stores of _plain16 fit in it: one is made only with 16 code units left (>= 16 bytes of room).
    cdef Py_ssize_t w = 1 if PyUnicode_IS_ASCII(s) else (2 if kind == PyUnicode_1BYTE_KIND else
                                                         (3 if kind == PyUnicode_2BYTE_KIND else 4))
    _reserve(o, n * w + 2)
    o.buf[o.n] = b'"'
    o.n += 1
    while i < n:
        if i >= stop and HAVE_PLAIN16 and i + PLAIN_RUN <= n:
            mask = _plain16(data, kind, i, o.buf + o.n)
            if mask == 0:
                o.n += PLAIN_RUN
                i += PLAIN_RUN
                continue
            stop = i + _msb(mask) + 1  # one at a time up to the last such code unit of the 16
            o.n += _ctz(mask)
            i += _ctz(mask)
        if kind == PyUnicode_1BYTE_KIND:
            c = (<const unsigned char*> data)[i]
        elif kind == PyUnicode_2BYTE_KIND:
            c = (<const unsigned short*> data)[i]
        else:
            c = (<const unsigned int*> data)[i]
        i += 1
        if c < 0x80:
            if _ESC_LEN[c]:
                _reserve(o, MAX_ESCAPE + w * (n - i) + 1)  # the escape, the rest, the quote
            _byte(o, c)
        elif c < 0x800:
            o.buf[o.n] = <char> (0xC0 | (c >> 6))
            o.buf[o.n + 1] = <char> (0x80 | (c & 0x3F))
            o.n += 2
        elif c < 0x10000:
            if 0xD800 <= c <= 0xDFFF:
                return -1
            o.buf[o.n] = <char> (0xE0 | (c >> 12))
            o.buf[o.n + 1] = <char> (0x80 | ((c >> 6) & 0x3F))
            o.buf[o.n + 2] = <char> (0x80 | (c & 0x3F))
            o.n += 3
        else:
            o.buf[o.n] = <char> (0xF0 | (c >> 18))
            o.buf[o.n + 1] = <char> (0x80 | ((c >> 12) & 0x3F))
            o.buf[o.n + 2] = <char> (0x80 | ((c >> 6) & 0x3F))
            o.buf[o.n + 3] = <char> (0x80 | (c & 0x3F))
            o.n += 4
    o.buf[o.n] = b'"'
    o.n += 1
    return 0


cdef int _put_float(Out* o, double v) except -1:
    """``v`` as orjson writes it: from the table when it is k / 10**4, else orjson's own text."""
    cdef long long k
    if 0.0 <= v <= 1.0 and not signbit(v):
        k = <long long> (v * SCALE_K + 0.5)
        if k <= SCALE_K and _FLOAT_VAL[k] == v:
            _reserve(o, FLOAT_SLOT)
            memcpy(o.buf + o.n, _FLOAT_TXT[k], FLOAT_SLOT)
            o.n += _FLOAT_LEN[k]
            return 0
    return _put_bytes(o, _orjson.dumps(v))


cdef inline bint _exact_int64(object x, long long* v) except -1:
    """True with ``*v`` set when ``x`` is an exact int within int64 (what the writers and
    ``block_fields`` take), else False (a subclass, another type, or too large)."""
    cdef int overflow = 0
    if type(x) is not int:
        return False
    v[0] = PyLong_AsLongLongAndOverflow(x, &overflow)
    return not overflow


cdef int _put_int(Out* o, object x) except -2:
    """An int (or None, as null) as orjson writes it: 0, or -1 when it is neither or outside int64."""
    cdef long long v
    if x is None:
        return _put(o, b"null", 4)
    if not _exact_int64(x, &v):
        return -1
    return _put_ll(o, v)


cdef int _put_ll(Out* o, long long v) except -1:
    """An int64 as orjson writes it (a plain decimal)."""
    cdef char tmp[INT_CHARS]
    cdef int k = INT_CHARS
    cdef unsigned long long u
    # the decimal digits from the right (snprintf's format parsing cost more than the rest of a block)
    u = <unsigned long long> v if v >= 0 else 0 - <unsigned long long> v
    while True:
        k -= 1
        tmp[k] = <char> (48 + u % 10)
        u //= 10
        if u == 0:
            break
    if v < 0:
        k -= 1
        tmp[k] = b"-"
    return _put(o, tmp + k, INT_CHARS - k)


cdef int _put_value(Out* o, object x) except -2:
    """A field of a result's line as orjson writes it: None, bool, int (int64), float or str; 0,
    or -1 for any other value (or one orjson would refuse), the output then unusable."""
    cdef type t = type(x)
    if x is None:
        return _put(o, b"null", 4)
    if t is bool:
        return _put(o, b"true", 4) if x is True else _put(o, b"false", 5)
    if t is int:
        return _put_int(o, x)
    if t is float:
        return _put_float(o, x)
    if t is str:
        return _put_str(o, x)
    return -1


cdef int _put_dict(Out* o, object x) except -2:
    """An exact dict of exact str keys to ``_put_value``'s values, as orjson writes it (in its
    order); -1 for anything else."""
    cdef bint first = True
    if type(x) is not dict:
        return -1
    _put(o, b"{", 1)
    for key, value in (<dict> x).items():
        if not first:
            _put(o, b",", 1)
        first = False
        if type(key) is not str or _put_str(o, key) < 0:
            return -1
        _put(o, b":", 1)
        if _put_value(o, value) < 0:
            return -1
    _put(o, b"}", 1)
    return 0


cdef int _put_list(Out* o, object x) except -2:
    """An exact list of ``_put_value``'s values, as orjson writes it; -1 for anything else."""
    cdef Py_ssize_t i
    cdef list items
    if type(x) is not list:
        return -1
    items = <list> x
    _put(o, b"[", 1)
    for i in range(len(items)):
        if i:
            _put(o, b",", 1)
        if _put_value(o, items[i]) < 0:
            return -1
    _put(o, b"]", 1)
    return 0


@cython.auto_pickle(False)
cdef class Schema:
    """What every page of a batch shares: the labels, the ``proba`` dict's keys, their JSON."""

    cdef tuple labels
    cdef dict proba_keys
    cdef list label_keys  # b'"editorial":', b',"comment":' ... as orjson writes the keys
    cdef list label_json  # b'"editorial"', ... as orjson writes the labels as values


@cython.auto_pickle(False)  # results pickle their built dicts instead (api.DocumentResult)
cdef class PageBlocks:
    """One page's block facts (its own copies: a result kept alone keeps no more of its batch),
    as its block dicts or as their JSON on demand."""

    cdef Schema schema
    cdef list index, line, text, names, mt_ev, prof_ev  # index, line: None when ``ints`` holds them
    cdef double* nums  # per block: the k rounded probabilities, mt, profanity
    cdef long long* ints  # NULL, or (after ``nums``, in its allocation) per block its index and line
    cdef bint html  # with ``ints``: the page's lines are None (an HTML page)
    cdef Py_ssize_t m  # blocks

    def __dealloc__(self):
        free(self.nums)

    def blocks(self) -> list:
        """The page's block dicts, exactly ``block_dicts``' (a new list and new dicts per call)."""
        cdef Schema sc = self.schema
        cdef Py_ssize_t j, c, k = len(sc.labels), w = k + 2
        cdef list out = []
        cdef dict pr, d
        cdef const double* row
        for j in range(self.m):
            row = self.nums + j * w
            pr = PyDict_Copy(sc.proba_keys)
            for c in range(k):
                PyDict_SetItem(pr, sc.labels[c], PyFloat_FromDouble(row[c]))
            d = PyDict_Copy(_BLOCK_KEYS)
            if self.ints != NULL:
                PyDict_SetItem(d, K_INDEX, PyLong_FromLongLong(self.ints[2 * j]))
                PyDict_SetItem(d, K_LINE, None if self.html else PyLong_FromLongLong(self.ints[2 * j + 1]))
            else:
                PyDict_SetItem(d, K_INDEX, self.index[j])
                PyDict_SetItem(d, K_LINE, self.line[j])
            PyDict_SetItem(d, K_TEXT, self.text[j])
            PyDict_SetItem(d, K_LABEL, self.names[j])
            PyDict_SetItem(d, K_PROBA, pr)
            PyDict_SetItem(d, K_MT, PyFloat_FromDouble(row[k]))
            PyDict_SetItem(d, K_PROFANITY, PyFloat_FromDouble(row[k + 1]))
            PyDict_SetItem(d, K_EVIDENCE, self.mt_ev[j] + self.prof_ev[j])
            out.append(d)
        return out

    def json(self, bint include_text=True, bytes around=None, bint as_str=False):
        """The page's ``blocks`` array as ``orjson.dumps(self.blocks())`` (without ``"text"`` when
        not ``include_text``, as ``to_dict(include_text=False)``) writes it; None when that would
        not be orjson's output (see the section's notes).

        With ``around`` (orjson's bytes of the whole result, its blocks a fragment of one NUL
        byte, which orjson writes nowhere else: its strings escape it): that line with the
        blocks in the NUL's place, None unless there is exactly one; ``as_str``: decoded (one
        buffer, no bytes in between)."""
        cdef Out o
        cdef Py_ssize_t na = 0, at = 0
        cdef const char* src = NULL
        cdef const char* mark
        if around is not None:
            src, na = <const char*> around, len(around)
            mark = <const char*> memchr(src, 0, na)
            if mark == NULL or memchr(mark + 1, 0, na - (mark - src) - 1) != NULL:
                return None
            at = mark - src
        o.buf, o.n, o.cap = NULL, 0, 0
        try:
            _reserve(&o, na + 256 * self.m)
            _put(&o, src, at)
            if self._write(&o, include_text) < 0:
                return None
            if around is not None:
                _put(&o, src + at + 1, na - at - 1)
            if as_str:
                return PyUnicode_DecodeUTF8(o.buf, o.n, NULL)
            return PyBytes_FromStringAndSize(o.buf, o.n)
        finally:
            free(o.buf)

    def doc_json(self, doc, bint include_text=True, bint as_str=False):
        """The whole line of ``doc`` (an exact ``api.DocumentResult`` whose blocks these are, not
        built): ``json(include_text, orjson.dumps(doc._fields(<mark>)), as_str)``, the fields
        around the blocks written here too; None when one of them is not a value ``_put_value``
        writes (ids, urls, reasons ... of other types), nor a dict of str keys to such values
        (``fractions``) or a list of them (``reasons``): the caller then goes the orjson way.

        Why: ``orjson.dumps`` of the other fields cost ~3 us a page, mostly the dict built for it
        and the calls around it (~10 ms a bench pass)."""
        cdef Out o
        o.buf, o.n, o.cap = NULL, 0, 0
        try:
            _reserve(&o, 512 + 256 * self.m)
            if not _tables():
                return None
            _put(&o, b'{"id":', 6)
            if _put_value(&o, doc.id) < 0:
                return None
            _put(&o, b',"url":', 7)
            if _put_value(&o, doc.url) < 0:
                return None
            _put(&o, b',"source":', 10)
            if _put_value(&o, doc.source) < 0:
                return None
            _put(&o, b',"blocks":', 10)
            if self._write(&o, include_text) < 0:
                return None
            _put(&o, b',"has_comments":', 16)
            if _put_value(&o, doc.has_comments) < 0:
                return None
            _put(&o, b',"comment_start":', 17)
            if _put_value(&o, doc.comment_start) < 0:
                return None
            _put(&o, b',"fractions":', 13)
            if _put_dict(&o, doc.fractions) < 0:
                return None
            _put(&o, b',"mt_score":', 12)
            if _put_value(&o, doc.mt_score) < 0:
                return None
            _put(&o, b',"dup_fraction":', 16)
            if _put_value(&o, doc.dup_fraction) < 0:
                return None
            _put(&o, b',"quality":', 11)
            if _put_value(&o, doc.quality) < 0:
                return None
            _put(&o, b',"reasons":', 11)
            if _put_list(&o, doc.reasons) < 0:
                return None
            _put(&o, b',"model":', 9)
            if _put_value(&o, doc.model) < 0:
                return None
            _put(&o, b"}", 1)
            if as_str:
                return PyUnicode_DecodeUTF8(o.buf, o.n, NULL)
            return PyBytes_FromStringAndSize(o.buf, o.n)
        finally:
            free(o.buf)

    cdef int _write(self, Out* o, bint include_text) except -2:
        cdef Schema sc = self.schema
        cdef Py_ssize_t j, c, k = len(sc.labels), w = k + 2
        cdef const double* row
        cdef tuple labels = sc.labels
        if not _tables():
            return -1
        _put(o, b"[", 1)
        for j in range(self.m):
            row = self.nums + j * w
            if j:
                _put(o, b",", 1)
            _put(o, b'{"index":', 9)
            if self.ints != NULL:
                _put_ll(o, self.ints[2 * j])
                _put(o, b',"line":', 8)
                if self.html:
                    _put(o, b"null", 4)
                else:
                    _put_ll(o, self.ints[2 * j + 1])
            else:
                if _put_int(o, self.index[j]) < 0:
                    return -1
                _put(o, b',"line":', 8)
                if _put_int(o, self.line[j]) < 0:
                    return -1
            if include_text:
                _put(o, b',"text":', 8)
                if type(self.text[j]) is not str or _put_str(o, self.text[j]) < 0:
                    return -1
            _put(o, b',"label":', 9)
            name = self.names[j]
            for c in range(k):  # one of the labels (the same object): its JSON from the table
                if name is labels[c]:
                    _put_bytes(o, <bytes> sc.label_json[c])
                    break
            else:
                if type(name) is not str or _put_str(o, name) < 0:
                    return -1
            _put(o, b',"proba":{', 10)
            for c in range(k):
                _put_bytes(o, <bytes> sc.label_keys[c])
                _put_float(o, row[c])
            _put(o, b'},"mt":', 7)
            _put_float(o, row[k])
            _put(o, b',"profanity":', 13)
            _put_float(o, row[k + 1])
            _put(o, b',"evidence":', 12)
            if not self.mt_ev[j] and not self.prof_ev[j]:
                _put(o, b"[]}", 3)
            else:
                try:
                    _put_bytes(o, _orjson.dumps(self.mt_ev[j] + self.prof_ev[j]))
                except TypeError:
                    return -1
                _put(o, b"}", 1)
        _put(o, b"]", 1)
        return 0

    def kept_text(self, keep) -> str:
        """``"\\n".join(b["text"] for b in self.blocks() if b["label"] in keep)`` without the dicts."""
        cdef Py_ssize_t j
        return "\n".join([self.text[j] for j in range(self.m) if self.names[j] in keep])


@cython.auto_pickle(False)
cdef class BlockFields:
    """A batch's block texts (as one list and per page, what ``Classifier._classify_group`` reads
    first) and every block's index and line as int64, read in one pass over the blocks while the
    pipeline reads their texts anyway (``block_fields``), for ``capture``."""

    cdef readonly list texts, page_texts
    # False when every text is an exact str without a newline (then the batch's texts joined by
    # newlines hold one newline between each two and no other); True otherwise.
    cdef readonly bint newlines
    cdef long long* ints  # per block: index, line (0 on an HTML page)
    cdef bytes html  # per page: 1 when its ``is_html`` was true
    cdef Py_ssize_t n  # blocks

    def __dealloc__(self):
        free(self.ints)


def block_fields(list pages, type block):
    """The blocks' texts ``[b.text for p in pages for b in p.blocks]`` and per page
    ``[b.text for b in p.blocks]``, and (for ``capture``) their index and line (the line on pages
    not ``is_html``) as int64; None unless every ``p.blocks`` is an exact list of exact ``block``
    objects (``features.segment.Block``: reading their fields runs no Python code) whose index
    and line (where read) are exact ints in the int64 range. ``newlines``: whether a text may
    hold a newline (one does, or one is not an exact str), found with CPython's own character
    search (memchr where it can).

    Why: the Python comprehensions read each block's text here anyway; ``capture`` reading the
    same blocks again at the end of the batch, after the feature pass, found them out of the
    cache (more than half its time on the bench pages)."""
    cdef Py_ssize_t p, i, n = 0, at = 0, nb
    cdef list all_blocks = [], blocks, texts, page_texts = [], pt
    cdef BlockFields f
    cdef bytearray html = bytearray(len(pages))
    cdef bint newlines = False
    for p in range(len(pages)):
        blocks_obj = pages[p].blocks
        if type(blocks_obj) is not list:
            return None
        all_blocks.append(blocks_obj)
        n += len(<list> blocks_obj)
    f = BlockFields.__new__(BlockFields)
    f.ints = <long long*> malloc((2 * n + 1) * sizeof(long long))
    if f.ints == NULL:
        raise MemoryError()
    f.n = n
    texts = [None] * n
    for p in range(len(pages)):
        html[p] = 1 if pages[p].is_html else 0
        blocks = all_blocks[p]
        nb = len(blocks)
        pt = [None] * nb
        for i in range(nb):
            blk = blocks[i]
            if type(blk) is not block or at >= n:  # (a list that grew meanwhile: another thread)
                return None
            text = blk.text
            if not _exact_int64(blk.index, &f.ints[2 * at]):
                return None
            f.ints[2 * at + 1] = 0
            if not html[p] and not _exact_int64(blk.line, &f.ints[2 * at + 1]):
                return None
            if not newlines and (type(text) is not str
                                 or PyUnicode_FindChar(text, 10, 0, PyUnicode_GET_LENGTH(text), 1) != -1):
                newlines = True
            texts[at] = text
            pt[i] = text
            at += 1
        page_texts.append(pt)
    if at != n:
        return None
    f.texts, f.page_texts, f.html, f.newlines = texts, page_texts, bytes(html), newlines
    return f


def capture(list pages, list spans, list names, const double[:, ::1] proba, const double[::1] mt,
            const double[::1] prof, list mt_evidence, list prof_evidence, tuple labels, BlockFields fields=None):
    """Per page a ``PageBlocks`` holding its rows of the batch's rounded arrays and lists
    (``block_dicts``' arguments) and its blocks' index, line (None on HTML pages) and text, read
    now as ``block_dicts`` reads them; None where ``block_dicts`` would answer None, when the
    labels are not str, or unless the spans cover the rows one page after the other (as a
    batch's do).

    ``fields``: ``block_fields(pages)`` of these pages, read earlier in the batch (nothing in
    between changes the blocks): their texts, indexes and lines from it instead (used when it
    covers the rows and each page's ``is_html`` is as it saw it)."""
    cdef Py_ssize_t n_rows = proba.shape[0], k = len(labels), w = k + 2
    cdef Py_ssize_t p, i, j, c, a, b
    cdef list blocks, index, line, text, out = []
    cdef Schema sc
    cdef PageBlocks r
    cdef double* row
    if (proba.shape[1] != k or mt.shape[0] != n_rows or prof.shape[0] != n_rows or len(names) != n_rows
            or len(mt_evidence) != n_rows or len(prof_evidence) != n_rows or len(spans) != len(pages)):
        return None
    if not all(type(x) is str for x in labels):
        return None
    b = 0
    for p in range(len(pages)):  # the pages' rows one after the other
        a, i = spans[p]
        if a != b or i > n_rows or i - a != len(pages[p].blocks):
            return None
        b = i
    if b != n_rows:
        return None
    if fields is not None and (fields.n != n_rows or len(fields.html) != len(pages)):
        fields = None
    if fields is not None:
        for p in range(len(pages)):
            if (fields.html[p] != 0) != bool(pages[p].is_html):
                fields = None
                break
    sc = Schema.__new__(Schema)
    sc.labels = labels
    sc.proba_keys = dict.fromkeys(labels)
    sc.label_keys = [(b"" if c == 0 else b",") + _orjson.dumps(labels[c]) + b":" for c in range(k)] \
        if _orjson is not None else []
    sc.label_json = [_orjson.dumps(labels[c]) for c in range(k)] if _orjson is not None else []
    for p in range(len(pages)):
        page = pages[p]
        a, b = spans[p]
        blocks = page.blocks
        r = PageBlocks.__new__(PageBlocks)
        r.schema, r.m = sc, b - a
        # the numbers, then (with ``fields``) the index and line pairs: one allocation
        r.nums = <double*> malloc((r.m * w + (2 * r.m if fields is not None else 0) + 1) * sizeof(double))
        if r.nums == NULL:
            raise MemoryError()
        if fields is not None:
            r.ints = <long long*> (r.nums + r.m * w)
            memcpy(r.ints, fields.ints + 2 * a, 2 * r.m * sizeof(long long))
            r.html = fields.html[p] != 0
            r.text = fields.texts[a:b]
        else:
            r.ints = NULL
            index, line, text = [None] * r.m, [None] * r.m, [None] * r.m
            if page.is_html:
                for i in range(r.m):
                    blk = blocks[i]
                    index[i] = blk.index
                    text[i] = blk.text
            else:
                for i in range(r.m):
                    blk = blocks[i]
                    index[i] = blk.index
                    line[i] = blk.line
                    text[i] = blk.text
            r.index, r.line, r.text = index, line, text
        r.names, r.mt_ev, r.prof_ev = names[a:b], mt_evidence[a:b], prof_evidence[a:b]
        for i in range(r.m):
            row = r.nums + i * w
            j = a + i
            for c in range(k):
                row[c] = proba[j, c]
            row[k] = mt[j]
            row[k + 1] = prof[j]
        out.append(r)
    return out
