# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled ``features.extract.context_of``: neighbours, window, before/after and page means.

Why: the numpy form makes ~25 passes over [rows, columns] arrays per batch (a shifted copy and
a mask per neighbour, gathers of the prefix sums per window); here each output cell is written
once. The prefix sums stay numpy's (``_segment_cumsum``), and every cell is the numpy form's
own float64 expression, cast to float32 once, so the columns are the same bit for bit
(tests/test_ext_context.py).
"""


def context_cells(const double[:, ::1] A, const double[:, ::1] cs, const long long[::1] row,
                  const long long[::1] p0, const long long[::1] p1, const long long[::1] offsets,
                  const long long[::1] windows, float[:, :] out):
    """Fill ``out`` ([n, (len(offsets) + len(windows) + 3) * k]) as ``context_of`` does."""
    cdef Py_ssize_t n = A.shape[0]
    cdef Py_ssize_t k = A.shape[1]
    cdef Py_ssize_t n_off = offsets.shape[0]
    cdef Py_ssize_t n_win = windows.shape[0]
    cdef Py_ssize_t i, j, g, col, src, pos, lo, hi, a, b, r
    cdef double idx, npg, d
    for i in range(n):
        r = row[i]
        a = p0[i]
        b = p1[i]
        idx = <double> (r - a)
        npg = <double> (b - a)
        col = 0
        for g in range(n_off):
            src = r + offsets[g]  # the page test uses ``row``, the value the position (as numpy's shifted slice)
            pos = i + offsets[g]
            if src < a or src >= b or pos < 0 or pos >= n:
                for j in range(k):
                    out[i, col + j] = -1.0
            else:
                for j in range(k):
                    out[i, col + j] = <float> A[pos, j]
            col += k
        for g in range(n_win):
            lo = r - windows[g]
            if lo < a:
                lo = a
            hi = r + windows[g] + 1
            if hi > b:
                hi = b
            d = <double> (hi - lo - 1 if hi - lo - 1 > 1 else 1)
            for j in range(k):
                out[i, col + j] = <float> ((cs[hi, j] - cs[lo, j] - A[i, j]) / d)
            col += k
        d = idx if idx > 1.0 else 1.0
        for j in range(k):
            out[i, col + j] = <float> ((cs[r, j] - cs[a, j]) / d)
        col += k
        d = npg - 1.0 - idx
        if not d > 1.0:
            d = 1.0
        for j in range(k):
            out[i, col + j] = <float> ((cs[b, j] - cs[r + 1, j]) / d)
        col += k
        d = npg if npg > 1.0 else 1.0
        for j in range(k):
            out[i, col + j] = <float> ((cs[b, j] - cs[a, j]) / d)
