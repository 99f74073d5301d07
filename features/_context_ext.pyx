# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled ``features.extract.context_of``: neighbours, window, before/after and page means.

Why: the numpy form makes ~25 passes over [rows, columns] arrays per batch (a shifted copy and
a mask per neighbour, gathers of the prefix sums per window); here each output cell is written
once. Every cell is the numpy form's own float64 expression, cast to float32 once, so the
columns are the same bit for bit (tests/test_ext_context.py, tests/test_ext_ctx.py).

``context_rows`` (session 20) also does what ``context_features`` did before the cells: it
gathers the carried columns straight from the float32 feature matrix (widening to float64 is
exact) and takes their prefix sums itself, in ``np.cumsum``'s order (``add.accumulate`` adds
row by row, one column at a time: ``cs[i + 1] = cs[i] + A[i]``, the first row copied, not added
to zero, so a -0.0 stays -0.0; where two NaNs meet, the accumulator's is kept, as numpy's).
That drops a fancy-index gather (F-ordered), its C-ordered copy and numpy's strided cumsum
plus a ``vstack``.

Session 22: a row's page-mean cells are copied from the row before when both have the same page
bounds (same inputs, same operations: the same floats; tests/test_ext_feat3.py). It saves a fifth
of the divisions but only ~1 ms of ~21 a bench pass: the pass is bound by writing its ~80 MB of
cells, not by the divisions.
"""
import numpy as np

cimport cython
from libc.string cimport memcpy


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define CTX_PREFETCH(p) __builtin_prefetch((const void *)(p))
    #else
    #define CTX_PREFETCH(p) ((void)0)
    #endif
    """
    void CTX_PREFETCH(const void *p) noexcept nogil

cdef enum:
    # Rows ahead whose carried cells ``context_rows`` asks the cache for: the feature matrix's
    # rows are wide (a batch's are ~2.4 KB apart), so the gather met a cache miss per line of
    # every row, waited for one by one (a hint only: the values read are the same).
    PREFETCH_ROWS = 4
    CACHE_LINE = 64


cdef void _cells(const double* A, const double* cs, Py_ssize_t n, Py_ssize_t k,
                 const long long* row, const long long* p0, const long long* p1,
                 const long long* offsets, Py_ssize_t n_off, const long long* windows, Py_ssize_t n_win,
                 float* out, Py_ssize_t out_stride) noexcept nogil:
    """The cells of ``context_of`` for rows ``0 .. n-1``: ``A`` [n, k] and ``cs`` [n + 1, k]
    C-ordered, ``out`` row ``i`` at ``out + i * out_stride`` with unit column stride. The caller
    has checked ``p0[i] <= row[i] < p1[i] <= n`` and ``p0[i] >= 0``."""
    cdef Py_ssize_t i, j, g, src, pos, lo, hi, a, b, r
    cdef double idx, npg, d
    cdef float* o
    cdef const double* x
    cdef const double* y
    cdef const double* z
    cdef const float* page_cells = NULL  # the last row's page-mean cells, of page [page_a, page_b)
    cdef Py_ssize_t page_a = 0, page_b = 0
    for i in range(n):
        r = row[i]
        a = p0[i]
        b = p1[i]
        idx = <double> (r - a)
        npg = <double> (b - a)
        o = out + i * out_stride
        for g in range(n_off):
            src = r + offsets[g]  # the page test uses ``row``, the value the position (as numpy's shifted slice)
            pos = i + offsets[g]
            if src < a or src >= b or pos < 0 or pos >= n:
                for j in range(k):
                    o[j] = -1.0
            else:
                x = A + pos * k
                for j in range(k):
                    o[j] = <float> x[j]
            o += k
        z = A + i * k
        for g in range(n_win):
            lo = r - windows[g]
            if lo < a:
                lo = a
            hi = r + windows[g] + 1
            if hi > b:
                hi = b
            d = <double> (hi - lo - 1 if hi - lo - 1 > 1 else 1)
            x = cs + hi * k
            y = cs + lo * k
            for j in range(k):
                o[j] = <float> ((x[j] - y[j] - z[j]) / d)
            o += k
        d = idx if idx > 1.0 else 1.0
        x = cs + r * k
        y = cs + a * k
        for j in range(k):
            o[j] = <float> ((x[j] - y[j]) / d)
        o += k
        d = npg - 1.0 - idx
        if not d > 1.0:
            d = 1.0
        x = cs + b * k
        y = cs + (r + 1) * k
        for j in range(k):
            o[j] = <float> ((x[j] - y[j]) / d)
        o += k
        if page_cells != NULL and a == page_a and b == page_b:
            # The page means: the same inputs and operations for every row of the page, so the
            # same floats as the row before's (copied: a fifth of the row's divisions).
            memcpy(o, page_cells, k * sizeof(float))
        else:
            d = npg if npg > 1.0 else 1.0
            y = cs + a * k
            for j in range(k):
                o[j] = <float> ((x[j] - y[j]) / d)
            page_cells = o
            page_a = a
            page_b = b


cdef bint _bounds_ok(const long long[::1] row, const long long[::1] p0, const long long[::1] p1,
                     Py_ssize_t n) noexcept nogil:
    """Every row inside its page and every page inside ``0 .. n`` (else the numpy form decides)."""
    cdef Py_ssize_t i
    for i in range(n):
        if not (0 <= p0[i] <= row[i] < p1[i] <= n):
            return False
    return True


cdef void _prefix_sums(const double* A, double* cs, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """``np.vstack((zeros(k), np.cumsum(A, axis=0)))`` into ``cs`` [n + 1, k], in numpy's order."""
    cdef Py_ssize_t i, j
    for j in range(k):
        cs[j] = 0.0
    if n == 0:
        return
    for j in range(k):
        cs[k + j] = A[j]
    for i in range(1, n):
        for j in range(k):
            cs[(i + 1) * k + j] = _add(cs[i * k + j], A[i * k + j])


cdef inline double _add(double acc, double x) noexcept nogil:
    """``acc + x`` with numpy's NaN when both are NaN: the accumulator's (the first operand's, as
    x86 gives for ``acc + x``; a C compiler may swap the operands of ``+``, which only shows
    there: the sign and payload of the NaN)."""
    cdef double s = acc + x
    if s != s and acc != acc:
        return acc
    return s


def _write(float[:, :] out, Py_ssize_t n, Py_ssize_t width):
    """A float32 [n, width] buffer the cells can be written to (``out`` itself when its columns
    are contiguous), and whether it is a scratch array to copy back."""
    if out.shape[0] != n or out.shape[1] != width:
        raise ValueError("out has the wrong shape")
    if out.strides[1] == sizeof(float) and out.strides[0] % sizeof(float) == 0:
        return out, False
    return np.empty((n, width), dtype=np.float32), True


cdef _fill(const double[:, ::1] A, const double[:, ::1] cs, const long long[::1] row,
                const long long[::1] p0, const long long[::1] p1, const long long[::1] offsets,
                const long long[::1] windows, float[:, :] out):
    """``_cells`` of the (checked, non-empty) rows into ``out``, through a scratch buffer when
    ``out``'s rows are not contiguous floats (``_write``): what both entry points end with."""
    cdef Py_ssize_t n = A.shape[0], k = A.shape[1]
    cdef float[:, :] dst
    buf, scratch = _write(out, n, (offsets.shape[0] + windows.shape[0] + 3) * k)
    dst = buf
    with nogil:
        _cells(&A[0, 0], &cs[0, 0], n, k, &row[0], &p0[0], &p1[0], &offsets[0] if offsets.shape[0] else NULL,
               offsets.shape[0], &windows[0] if windows.shape[0] else NULL, windows.shape[0],
               &dst[0, 0], dst.strides[0] // sizeof(float))
    if scratch:
        out[:, :] = dst


def context_cells(const double[:, ::1] A, const double[:, ::1] cs, const long long[::1] row,
                  const long long[::1] p0, const long long[::1] p1, const long long[::1] offsets,
                  const long long[::1] windows, float[:, :] out):
    """Fill ``out`` ([n, (len(offsets) + len(windows) + 3) * k]) as ``context_of`` does;
    False (nothing written) when some row is outside its page (the numpy form's business)."""
    cdef Py_ssize_t n = A.shape[0]
    cdef Py_ssize_t k = A.shape[1]
    if cs.shape[0] != n + 1 or cs.shape[1] != k or row.shape[0] != n or p0.shape[0] != n or p1.shape[0] != n:
        raise ValueError("arrays of different lengths")
    if not _bounds_ok(row, p0, p1, n):
        return False
    if n == 0 or k == 0:
        return True
    _fill(A, cs, row, p0, p1, offsets, windows, out)
    return True


def context_rows(const float[:, :] F, const long long[::1] cols, const long long[::1] p0,
                 const long long[::1] p1, const long long[::1] offsets, const long long[::1] windows,
                 float[:, :] out):
    """``context_of(F[:, cols].astype(float64), arange(n), p0, p1, out)`` without the gather,
    its copy or numpy's prefix sums; False (nothing written) when some row is outside its page
    or a column index is outside ``F``."""
    cdef Py_ssize_t n = F.shape[0]
    cdef Py_ssize_t k = cols.shape[0]
    cdef Py_ssize_t i, j, lo_col, hi_col, span
    cdef const char* ahead
    cdef double[:, ::1] A
    cdef double[:, ::1] cs
    cdef long long[::1] row
    if p0.shape[0] != n or p1.shape[0] != n:
        raise ValueError("arrays of different lengths")
    for j in range(k):
        if not 0 <= cols[j] < F.shape[1]:
            return False
    row_arr = np.arange(n, dtype=np.int64)
    row = row_arr
    if not _bounds_ok(row, p0, p1, n):
        return False
    if n == 0 or k == 0:
        return True
    A = np.empty((n, k), dtype=np.float64)
    cs = np.empty((n + 1, k), dtype=np.float64)
    lo_col = hi_col = cols[0]
    for j in range(k):
        lo_col = min(lo_col, cols[j])
        hi_col = max(hi_col, cols[j])
    span = (hi_col - lo_col) * F.strides[1]  # bytes from the first carried column to the last
    with nogil:
        for i in range(n):
            if i + PREFETCH_ROWS < n and span >= 0:  # the carried columns' lines, PREFETCH_ROWS rows on
                ahead = <const char*>&F[i + PREFETCH_ROWS, lo_col]
                j = 0
                while j < span + CACHE_LINE:
                    CTX_PREFETCH(ahead + j)
                    j += CACHE_LINE
            for j in range(k):
                A[i, j] = F[i, cols[j]]
        _prefix_sums(&A[0, 0], &cs[0, 0], n, k)
    _fill(A, cs, row, p0, p1, offsets, windows, out)
    return True
