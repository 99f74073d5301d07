# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: extra_compile_args = -ffp-contract=off
"""Compiled form of ``features.changepoint.change_columns`` after its numpy set-up.

Why: the numpy form makes ~60 passes over [rows, 18]-sized arrays per batch (gathers of prefix
sums at clipped page bounds, divisions, a ``where`` per split column, two ``reduceat``), ~3% of
``classify``; here it is one pass for the prefix sums and one per page for the columns.

Same output, bit for bit (tests/test_ext_change.py), because every float step is the numpy
form's own, in its dtype and order:
- prefix sums: ``np.cumsum`` is sequential and copies its first element (``cs[1] = A[0]``,
  then ``cs[i + 1] = cs[i] + A[i]``), each ``A = float64(x) * w`` as ``V * w[:, None]``;
- the shift and split statistics: the same subtractions, divisions, ``np.maximum`` with the
  same floors and ``sqrt`` (correctly rounded in both), then one cast to float32;
- what numpy computes with its own maths library stays in numpy (the caller): the block
  weights (``expm1``), the split signals (a matrix product) and ``log1p`` of the offsets
  (a table the caller fills with ``np.log1p``);
- the per-page maximum is exact in any order, except for which zero it returns when +0.0 and
  -0.0 tie: such a batch (and any non-finite input, whose NaNs numpy propagates its own way) is
  left to the numpy form (the function returns False). With block weights of at least 0.05 no
  statistic after a page's first row is -0.0 (its rise is a difference of finite quotients far
  from underflow), so the guard only matters for weights given to the kernel directly.
``-ffp-contract=off``: the prefix sum ``cs + x * w`` must not become one fused multiply-add.
"""
from libc.math cimport INFINITY, fabs, isfinite, signbit, sqrt
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define NW_PREFETCH(p) __builtin_prefetch((const void *)(p))
    #else
    #define NW_PREFETCH(p) ((void)0)
    #endif
    """
    void NW_PREFETCH(const void *p) noexcept nogil

# Rows of X ahead whose cache lines with the columns read are fetched (a hint only: X is wide,
# ~2 KB a row, and the few columns read per row do not make a pattern the hardware follows).
cdef enum:
    PREFETCH_AHEAD = 8
    FLOATS_PER_LINE = 16

# np.maximum's floors in the numpy form (weights, and the page's best statistic).
cdef double WEIGHT_FLOOR = 1e-9
cdef double STRENGTH_FLOOR = 1e-6
# Columns per split signal: strength, after, dist, here (changepoint.SPLIT_COLUMNS).
cdef enum:
    SPLIT_COLUMNS = 4


cdef inline double _floor(double x, double lo) noexcept nogil:
    """``np.maximum(x, lo)`` for finite ``x``."""
    return x if x >= lo else lo


cdef inline void _shift_row(const double *c_lo, const double *c_row, const double *c_hi, double da, double db,
                            float *o, Py_ssize_t k) noexcept nogil:
    """One row's shifts: the weighted mean from here on minus the one above, as float32."""
    cdef Py_ssize_t c
    for c in range(k):
        o[c] = <float>((c_hi[c] - c_row[c]) / db - (c_row[c] - c_lo[c]) / da)


def change_columns(const float[:, :] X, const int64_t[::1] page_starts, const int64_t[::1] shift_idx,
                   const int64_t[::1] spans, const double[::1] w, const double[:, ::1] signals,
                   const double[::1] log1p_table, float[:, :] out):
    """Write the change columns of rows ``X`` into ``out`` [n, spans * keys + signals * 4]
    (rows of contiguous float32); True when written, False when the batch is left to the numpy
    form (bad page starts or shapes, non-finite inputs, a tie of +0.0 and -0.0 for a page's best
    split).

    ``page_starts``: the pages' first rows (0 first, strictly increasing); ``shift_idx``: the
    columns of ``X`` whose shift is measured; ``spans``: the blocks looked at on each side;
    ``w``: the block weights; ``signals``: the split signals [n, signals] (float64);
    ``log1p_table[d] = np.log1p(d)`` for every offset ``d`` within a page.
    """
    cdef Py_ssize_t n = X.shape[0], n_pages = page_starts.shape[0]
    cdef Py_ssize_t k = shift_idx.shape[0], n_spans = spans.shape[0], n_sig = signals.shape[1]
    cdef Py_ssize_t m = k + n_sig  # prefix-sum columns: shift keys, then signals
    cdef Py_ssize_t n_split = n_spans * k
    cdef Py_ssize_t i, c, j, s, p, r, p0, p1, lo, hi, split_row, off
    cdef double wi, x, da, db, a, b, rise, stat, best, strength, here, dist, sgn
    cdef double *cs
    cdef double *cw
    cdef double *stats
    cdef double *row
    cdef Py_ssize_t lo_col = X.shape[1], hi_col = 0, f
    cdef float *o
    cdef bint first, pos_zero, neg_zero
    if n == 0 or n_pages == 0 or page_starts[0] != 0 or page_starts[n_pages - 1] >= n:
        return False
    for p in range(1, n_pages):
        if page_starts[p] <= page_starts[p - 1]:
            return False
    if (w.shape[0] != n or signals.shape[0] != n or out.shape[0] != n
            or out.shape[1] != n_split + n_sig * SPLIT_COLUMNS or out.strides[1] != sizeof(float)):
        return False
    for c in range(k):
        if shift_idx[c] < 0 or shift_idx[c] >= X.shape[1]:
            return False
    for c in range(k):  # the span of columns read (prefetched for the rows ahead)
        lo_col = min(lo_col, shift_idx[c])
        hi_col = max(hi_col, shift_idx[c])
    for j in range(n_spans):
        if spans[j] < 0:
            return False
    for p in range(n_pages):  # offsets within a page are below its size
        if (page_starts[p + 1] if p + 1 < n_pages else n) - page_starts[p] > log1p_table.shape[0]:
            return False
    cs = <double*> malloc((n + 1) * m * sizeof(double))
    cw = <double*> malloc((n + 1) * sizeof(double))
    stats = <double*> malloc(n * n_sig * sizeof(double))
    if cs == NULL or cw == NULL or stats == NULL:
        free(cs)
        free(cw)
        free(stats)
        raise MemoryError()
    try:
        with nogil:
            # Prefix sums of the weighted values (np.cumsum after a zero row), checking that
            # every input read is finite. All reads of X happen here, before any write to out.
            for c in range(m):
                cs[c] = 0.0
            cw[0] = 0.0
            for i in range(n):
                wi = w[i]
                if not isfinite(wi):
                    with gil:
                        return False
                row = cs + (i + 1) * m
                if i + PREFETCH_AHEAD < n:
                    f = lo_col
                    while f <= hi_col:
                        NW_PREFETCH(&X[i + PREFETCH_AHEAD, f])
                        f += FLOATS_PER_LINE
                    NW_PREFETCH(&X[i + PREFETCH_AHEAD, hi_col])
                for c in range(k):
                    row[c] = <double>X[i, shift_idx[c]]
                for c in range(n_sig):
                    row[k + c] = signals[i, c]
                for c in range(m):
                    if not isfinite(row[c]):
                        with gil:
                            return False
                    row[c] = row[c] * wi
                if i > 0:  # np.cumsum copies its first element (a -0.0 stays -0.0)
                    for c in range(m):
                        row[c] = row[c - m] + row[c]
                cw[i + 1] = wi if i == 0 else cw[i] + wi
            for p in range(n_pages):
                p0 = page_starts[p]
                p1 = page_starts[p + 1] if p + 1 < n_pages else n
                for r in range(p0, p1):
                    first = r == p0  # no block above: no change to measure
                    for j in range(n_spans):
                        lo = r - spans[j]
                        if lo < p0:
                            lo = p0
                        hi = r + spans[j]
                        if hi > p1:
                            hi = p1
                        da = _floor(cw[r] - cw[lo], WEIGHT_FLOOR)
                        db = _floor(cw[hi] - cw[r], WEIGHT_FLOOR)
                        o = &out[r, j * k]
                        if first:
                            for c in range(k):
                                o[c] = 0.0
                        else:
                            _shift_row(cs + lo * m, cs + r * m, cs + hi * m, da, db, o, k)
                    a = cw[r] - cw[p0]  # weight above
                    b = cw[p1] - cw[r]  # weight from here on
                    for s in range(n_sig):
                        c = k + s
                        if first:
                            stats[r * n_sig + s] = -INFINITY
                        else:
                            rise = ((cs[p1 * m + c] - cs[r * m + c]) / _floor(b, WEIGHT_FLOOR)
                                    - (cs[r * m + c] - cs[p0 * m + c]) / _floor(a, WEIGHT_FLOOR))
                            stats[r * n_sig + s] = rise * sqrt(a * b / _floor(a + b, WEIGHT_FLOOR))
                for s in range(n_sig):
                    # The page's best statistic and its first row (a one-block page has none).
                    best = -INFINITY
                    split_row = -1
                    pos_zero = neg_zero = False
                    for r in range(p0 + 1, p1):
                        stat = stats[r * n_sig + s]
                        if stat > best:
                            best = stat
                            split_row = r
                        if stat == 0.0:
                            if signbit(stat):
                                neg_zero = True
                            else:
                                pos_zero = True
                    if best == 0.0 and pos_zero and neg_zero:
                        with gil:
                            return False  # which zero np.maximum.reduceat keeps is numpy's business
                    strength = best if split_row >= 0 else 0.0
                    for r in range(p0, p1):
                        c = n_split + s * SPLIT_COLUMNS
                        if split_row < 0:
                            out[r, c] = 0.0
                            out[r, c + 1] = 0.0
                            out[r, c + 2] = 0.0
                            out[r, c + 3] = 0.0
                            continue
                        off = r - split_row
                        sgn = 1.0 if off > 0 else (-1.0 if off < 0 else 0.0)  # np.sign, as float64
                        dist = sgn * log1p_table[off if off >= 0 else -off]
                        if r == p0:
                            here = 0.0
                        else:
                            here = stats[r * n_sig + s] / _floor(fabs(strength), STRENGTH_FLOOR)
                        out[r, c] = <float>strength
                        out[r, c + 1] = 1.0 if off >= 0 else 0.0
                        out[r, c + 2] = <float>dist
                        out[r, c + 3] = <float>here
    finally:
        free(cs)
        free(cw)
        free(stats)
    return True
