# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled per-page reductions after the networks: ``classifier.page_gate.page_features``, the
``decode.furniture_pages`` test, the block masses of ``classifier.scores.rule_values``, the
quality and reasons of ``scores._quality_and_reasons``; and the first scan for auto-blog marker
lines (``scores._markers_per_page``).

Why: the numpy forms make some forty passes (``reduceat``s, ``where``s, ``bincount``s) over
arrays of a few thousand blocks per batch, and ``furniture_pages`` a ``mean`` per page; the
passes' call overhead dominates (~4% of ``classify`` on the bench pages). Here each is one loop.

Same output, bit for bit (tests/test_ext_pages.py):
- ``np.add.reduceat`` sums a segment as ``a[s] + pairwise(a[s+1:e])`` and ``np.add.reduce``
  (``mean``) as ``0.0 + pairwise(a[s:e])``, ``pairwise`` being numpy's own summation (below,
  ``_pairwise``: plain loop under 8 values, eight accumulators up to 128, halves above); the
  masked sums (``np.where(mask, v, 0.0)``) are summed from a buffer holding the same zeros;
- ``np.bincount(weights=)`` adds its float64 weights into their bins in input order; so do the
  loops here;
- ``np.maximum.reduceat`` keeps the first of equal values; the inputs are checked finite first
  (otherwise the caller's numpy form answers), so no NaN rule is needed;
- ``np.prod`` multiplies a row in order; ``np.round(x, 4)`` is ``rint(x * 1e4) / 1e4``;
- the marker scan finds what ``\\n[^\\S\\n]*[letters]`` does: white space is Python's
  (``Py_UNICODE_ISSPACE``, which ``re`` uses for ``\\s`` in str patterns), the letters are given
  with their re.I case variants; the regex itself still decides at each place found;
- the transcendental functions (``log1p``, ``tanh``, ``log``, ``exp``) stay in numpy (its SIMD
  versions need not round as the C library does); divisions and products are plain IEEE.
"""
import numpy as np

from libc.math cimport isfinite
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc

# numpy's pairwise summation: below this many values a plain loop, up to PW_BLOCKSIZE eight
# accumulators (numpy/_core/src/umath/loops_utils.h.src).
cdef enum:
    PW_UNROLL = 8
    PW_BLOCKSIZE = 128
    # Label indices (classifier.model.LABELS) and the page-gate feature columns.
    L_E = 0
    L_C = 1
    L_S = 2
    L_B = 3
    N_LABELS = 4
    N_FEATURES = 20
    TAIL_BLOCKS = 3


cdef double _pairwise(const double* a, Py_ssize_t n) noexcept nogil:
    """numpy's ``DOUBLE_pairwise_sum`` of ``a[:n]`` (contiguous)."""
    cdef Py_ssize_t i, n2
    cdef double res
    cdef double r[8]
    if n < PW_UNROLL:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= PW_BLOCKSIZE:
        for i in range(8):
            r[i] = a[i]
        i = 8
        while i < n - (n % 8):
            r[0] += a[i]
            r[1] += a[i + 1]
            r[2] += a[i + 2]
            r[3] += a[i + 3]
            r[4] += a[i + 4]
            r[5] += a[i + 5]
            r[6] += a[i + 6]
            r[7] += a[i + 7]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, n2) + _pairwise(a + n2, n - n2)


cdef inline double _reduceat_sum(const double* a, Py_ssize_t n) noexcept nogil:
    """``np.add.reduceat``'s sum of one non-empty segment: its first value, then the rest."""
    if n > 1:
        return a[0] + _pairwise(a + 1, n - 1)
    return a[0]


def furniture(const double[:, ::1] P, const int64_t[::1] offsets, double threshold):
    """``decode.furniture_pages`` over the rows ``offsets[i]:offsets[i+1]`` of the concatenated
    probabilities: mean boilerplate probability above ``threshold`` (False for an empty page)."""
    cdef Py_ssize_t n_pages = offsets.shape[0] - 1
    cdef Py_ssize_t p, i, a, n, longest = 0
    out_arr = np.zeros(n_pages, dtype=bool)
    cdef uint8_t[::1] out = out_arr.view(np.uint8)
    for p in range(n_pages):
        if offsets[p + 1] - offsets[p] > longest:
            longest = offsets[p + 1] - offsets[p]
    cdef double* buf = <double*> malloc((longest + 1) * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        for p in range(n_pages):
            a = offsets[p]
            n = offsets[p + 1] - a
            if n <= 0:
                continue
            for i in range(n):
                buf[i] = P[a + i, L_B]
            # np.mean: add.reduce from its identity 0.0, then divided by the count.
            out[p] = (0.0 + _pairwise(buf, n)) / <double> n > threshold
    finally:
        free(buf)
    return out_arr


def page_features(const double[:, ::1] P, const int64_t[::1] D, const double[::1] lo,
                  const int64_t[::1] lens, double commentish):
    """The reductions of ``page_gate.page_features`` for non-empty pages of ``lens`` blocks
    (rows of ``P``/``D``/``lo`` one page after the other; ``lo``: the comment log-odds) ->
    (F [pages, 20] with every column but the five below, aux [4, pages]: blocks, section
    length, comment-ish blocks before the section, best suffix sum: the arguments of the
    log1p/log1p/log1p/tanh columns), or None when a probability is not finite or the rows do
    not add up (the numpy form then answers)."""
    cdef Py_ssize_t n_pages = lens.shape[0]
    cdef Py_ssize_t n_rows = P.shape[0]
    cdef Py_ssize_t p, i, s, L, first, best_pos, n_cs, n_run_c, n_cb, longest = 0, total = 0
    cdef double n, run_len, safe_run, cs, cs_end, best, suf, v, mx
    if P.shape[1] != N_LABELS or D.shape[0] != n_rows or lo.shape[0] != n_rows:
        return None
    for p in range(n_pages):
        if lens[p] <= 0:
            return None
        total += lens[p]
        if lens[p] > longest:
            longest = lens[p]
    if total != n_rows:
        return None
    for i in range(n_rows):
        if not (isfinite(P[i, 0]) and isfinite(P[i, 1]) and isfinite(P[i, 2]) and isfinite(P[i, 3])
                and isfinite(lo[i])):
            return None
    F_arr = np.zeros((n_pages, N_FEATURES), dtype=np.float64)
    aux_arr = np.zeros((4, n_pages), dtype=np.float64)
    cdef double[:, ::1] F = F_arr
    cdef double[:, ::1] aux = aux_arr
    cdef double* buf = <double*> malloc((longest + 1) * sizeof(double))
    cdef double* csum = <double*> malloc((longest + 1) * sizeof(double))
    if buf == NULL or csum == NULL:
        free(buf)
        free(csum)
        raise MemoryError()
    try:
        cs = 0.0
        s = 0
        for p in range(n_pages):
            L = lens[p]
            n = <double> L
            # np.cumsum over the whole batch: the running sum carries across pages.
            for i in range(L):
                cs = lo[s] if s + i == 0 else cs + lo[s + i]
                csum[i] = cs
            cs_end = csum[L - 1]
            first = L
            for i in range(L):
                if D[s + i] == L_C:
                    first = i
                    break
            run_len = <double> (L - first)
            safe_run = run_len if run_len > 1.0 else 1.0
            n_cs = 0
            n_run_c = 0
            n_cb = 0
            mx = P[s, L_C]
            best = 0.0
            for i in range(L):
                v = P[s + i, L_C]
                if not (mx >= v):
                    mx = v
                if v > commentish:
                    n_cs += 1
                    if i < first:
                        n_cb += 1
                if i >= first and D[s + i] == L_C:
                    n_run_c += 1
                suf = (cs_end - csum[i]) + lo[s + i]
                if i == 0 or not (best >= suf):
                    best = suf
            best_pos = L
            for i in range(L):
                if (cs_end - csum[i]) + lo[s + i] >= best:
                    best_pos = i
                    break
            for i in range(L):
                buf[i] = P[s + i, L_C]
            F[p, 1] = _reduceat_sum(buf, L) / n
            F[p, 2] = mx
            F[p, 3] = <double> n_cs / n
            F[p, 4] = 1.0 if first < L else 0.0
            F[p, 5] = run_len / n
            for i in range(L):
                buf[i] = P[s + i, L_C] if i >= first else 0.0
            F[p, 7] = _reduceat_sum(buf, L) / safe_run if first < L else 0.0
            for i in range(L):
                buf[i] = 0.0 if i >= first else P[s + i, L_C]
            F[p, 8] = _reduceat_sum(buf, L) / (<double> first if first > 1 else 1.0)
            for i in range(L):
                buf[i] = P[s + i, L_E] if i >= first else 0.0
            F[p, 9] = _reduceat_sum(buf, L) / safe_run if first < L else 0.0
            F[p, 10] = <double> n_run_c / safe_run if first < L else 0.0
            F[p, 13] = <double> (L - best_pos) / n
            for i in range(L):
                buf[i] = P[s + i, L_C] if i >= L - TAIL_BLOCKS else 0.0
            F[p, 14] = _reduceat_sum(buf, L) / (n if n < TAIL_BLOCKS else <double> TAIL_BLOCKS)
            for i in range(L):
                buf[i] = P[s + i, L_S]
            F[p, 15] = _reduceat_sum(buf, L) / n
            for i in range(L):
                buf[i] = P[s + i, L_E]
            F[p, 16] = _reduceat_sum(buf, L) / n
            for i in range(L):
                buf[i] = P[s + i, L_B]
            F[p, 17] = _reduceat_sum(buf, L) / n
            for i in range(L):
                buf[i] = P[s + i, L_B] if i >= first else 0.0
            F[p, 18] = _reduceat_sum(buf, L) / safe_run if first < L else 0.0
            aux[0, p] = n
            aux[1, p] = run_len
            aux[2, p] = <double> n_cb
            aux[3, p] = best
            s += L
    finally:
        free(buf)
        free(csum)
    return F_arr, aux_arr


def rule_masses(const int64_t[::1] labels, const double[::1] lengths, const int64_t[::1] page,
                Py_ssize_t n_pages, const double[::1] mt, const uint8_t[::1] dup_pos,
                const uint8_t[::1] prof_bad, double min_dup_chars, double mt_block, int spam_label,
                int editorial_label):
    """The ``bincount``s of ``scores.rule_values`` (and ``batch_scores``) in one pass over the
    blocks -> (label_mass [pages, 4], masses [6, pages]: good characters, all repeated
    characters, characters x mt mass, mt mass, bad repeated characters, profane characters),
    or None when an index is out of range (the numpy form then raises or answers)."""
    cdef Py_ssize_t n = labels.shape[0]
    cdef Py_ssize_t i, pg, lab
    cdef double ln, m, x, not_spam, good, dup_bad
    if (lengths.shape[0] != n or page.shape[0] != n or mt.shape[0] != n or dup_pos.shape[0] != n
            or prof_bad.shape[0] != n or n_pages < 0):
        return None
    for i in range(n):
        if page[i] < 0 or page[i] >= n_pages or labels[i] < 0 or labels[i] >= N_LABELS:
            return None
    lm_arr = np.zeros((n_pages, N_LABELS), dtype=np.float64)
    ms_arr = np.zeros((6, n_pages), dtype=np.float64)
    cdef double[:, ::1] lm = lm_arr
    cdef double[:, ::1] ms = ms_arr
    for i in range(n):
        pg = page[i]
        lab = labels[i]
        ln = lengths[i]
        lm[pg, lab] += ln
        not_spam = 0.0 if lab == spam_label else 1.0
        dup_bad = 1.0 if (dup_pos[i] and ln >= min_dup_chars and lab != spam_label) else 0.0
        good = 1.0 if (lab == editorial_label and dup_bad == 0.0 and not (mt[i] >= mt_block)
                       and not prof_bad[i]) else 0.0
        # np.clip(mt, 0, 1) ** 2.0 * ~spam (numpy squares for the exponent 2.0).
        x = mt[i]
        x = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
        m = x * x * not_spam
        ms[0, pg] += ln * good
        ms[1, pg] += ln * (1.0 if dup_pos[i] else 0.0)
        ms[2, pg] += ln * m
        ms[3, pg] += m
        ms[4, pg] += ln * dup_bad
        ms[5, pg] += ln * (1.0 if (prof_bad[i] and lab != spam_label) else 0.0)
    return lm_arr, ms_arr


cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)

ctypedef fused code_unit:
    uint8_t
    uint16_t
    uint32_t


# The next newline: memchr for 1-byte code units; for 2- and 4-byte ones 16 bytes at a time
# where SSE2 is there (every x86-64), else (or with NEWSWINNOW_NO_SIMD) one at a time. Why: the
# batch's text is ~10 M code units a bench pass, 2-byte in every batch (one curly quote makes it
# so), and one code unit at a time the scan took ~12 ms of it.
cdef extern from *:
    """
    #include <string.h>
    #if (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)) && !defined(NEWSWINNOW_NO_SIMD)
    #include <emmintrin.h>
    #define NW_NL_SIMD 1
    #else
    #define NW_NL_SIMD 0
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    #define NW_CTZ(x) __builtin_ctz(x)
    #else
    static int nw_ctz_(unsigned x) { int k = 0; while (!(x & 1u)) { x >>= 1; k++; } return k; }
    #define NW_CTZ(x) nw_ctz_(x)
    #endif
    /* The first i' >= i with s[i'] == 10 (a newline; code units of ``kind`` bytes), or n. */
    static Py_ssize_t nw_next_newline(const void* data, int kind, Py_ssize_t i, Py_ssize_t n) {
        if (i >= n) return n;
        if (kind == 1) {
            const void* p = memchr((const unsigned char*) data + i, 10, (size_t) (n - i));
            return p == NULL ? n : (const unsigned char*) p - (const unsigned char*) data;
        }
    #if NW_NL_SIMD
        if (kind == 2) {
            const unsigned short* s = (const unsigned short*) data;
            const __m128i nl = _mm_set1_epi16(10);
            for (; i + 8 <= n; i += 8) {
                unsigned m = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i*) (s + i)), nl));
                if (m) return i + NW_CTZ(m) / 2;
            }
            for (; i < n; i++) if (s[i] == 10) return i;
            return n;
        } else {
            const unsigned int* s = (const unsigned int*) data;
            const __m128i nl = _mm_set1_epi32(10);
            for (; i + 4 <= n; i += 4) {
                unsigned m = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i*) (s + i)), nl));
                if (m) return i + NW_CTZ(m) / 4;
            }
            for (; i < n; i++) if (s[i] == 10) return i;
            return n;
        }
    #else
        if (kind == 2) {
            const unsigned short* s = (const unsigned short*) data;
            for (; i < n; i++) if (s[i] == 10) return i;
        } else {
            const unsigned int* s = (const unsigned int*) data;
            for (; i < n; i++) if (s[i] == 10) return i;
        }
        return n;
    #endif
    }
    """
    Py_ssize_t _next_newline "nw_next_newline"(const void* data, int kind, Py_ssize_t i, Py_ssize_t n) noexcept nogil


cdef Py_ssize_t _line_starts(const code_unit* s, Py_ssize_t n, const Py_UCS4* firsts, Py_ssize_t n_firsts,
                             int64_t* out):
    """Offsets of the newlines followed, after white space other than newlines, by a letter of
    ``firsts``; returns how many were written to ``out``."""
    cdef Py_ssize_t i = 0, j, f, k = 0
    cdef Py_UCS4 c
    cdef int kind = sizeof(code_unit)
    while i < n:
        if s[i] != 10:
            i = _next_newline(s, kind, i + 1, n)
            continue
        j = i + 1
        while j < n:
            c = s[j]
            if c == 10 or not Py_UNICODE_ISSPACE(c):
                break
            j += 1
        if j < n:
            c = s[j]
            for f in range(n_firsts):
                if c == firsts[f]:
                    out[k] = i
                    k += 1
                    break
        i = j  # the next newline is at j or later
    return k


def line_starts(str text, str firsts):
    """Offsets in ``text`` of the newlines that ``\\n[^\\S\\n]*[firsts]`` matches at (``firsts``:
    every character the class is to match, case variants included), int64 in order."""
    cdef Py_ssize_t n = len(text), nf = len(firsts), k, i
    cdef Py_UCS4 fs[64]
    if nf > 64:
        return None
    for i in range(nf):
        fs[i] = firsts[i]
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    if n == 0:
        return out_arr
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    if kind == 1:
        k = _line_starts(<const uint8_t*> data, n, fs, nf, &out[0])
    elif kind == 2:
        k = _line_starts(<const uint16_t*> data, n, fs, nf, &out[0])
    else:
        k = _line_starts(<const uint32_t*> data, n, fs, nf, &out[0])
    return out_arr[:k]


cdef extern from "math.h":
    double rint(double x) nogil


def quality_and_reasons(const double[:, ::1] pen, tuple names, double scale):
    """``scores._quality_and_reasons``: per page the product of ``1 - pen`` (in rule order, as
    ``np.prod``), clipped to [0, 1] and rounded as ``np.round`` does (``rint(x * scale) / scale``),
    and the names of the rules with a positive penalty, largest first, ties in rule order (a
    stable ``argsort`` of ``-pen``). None when a penalty is not finite (the numpy form answers)."""
    cdef Py_ssize_t n = pen.shape[0], k = pen.shape[1], p, j, i, m
    cdef double prod, v
    cdef Py_ssize_t order[64]
    if k > 64 or len(names) != k:
        return None
    for p in range(n):
        for j in range(k):
            if not isfinite(pen[p, j]):
                return None
    q_arr = np.empty(n, dtype=np.float64)
    cdef double[::1] q = q_arr
    reasons = []
    for p in range(n):
        prod = 1.0
        for j in range(k):
            prod = prod * (1.0 - pen[p, j])
        prod = 0.0 if prod < 0.0 else (1.0 if prod > 1.0 else prod)
        q[p] = rint(prod * scale) / scale
        # Insertion sort of the positive penalties, descending; equal ones keep rule order.
        m = 0
        for j in range(k):
            v = pen[p, j]
            if not (v > 0.0):
                continue
            i = m
            while i > 0 and pen[p, order[i - 1]] < v:
                order[i] = order[i - 1]
                i -= 1
            order[i] = j
            m += 1
        reasons.append([names[order[i]] for i in range(m)])
    return q_arr, reasons
