# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled input standardisation of ``classifier.model.BlockModel._forward``.

Why: the numpy form makes four passes over the [rows, columns] float32 matrix (subtract,
divide, clip, isnan) and a fifth to zero the NaNs; on the bench pages that matrix is ~55,000 x
492 floats a pass, ~15% of the forward pass besides the matrix products. Here it is one pass.
Each element gets the numpy form's own float32 operations in its order: ``x - mean``, then
``/ scale`` (IEEE, one rounding each), then the clip, then NaN to 0, so the results are the
same bit for bit (tests/test_ext_model.py). With ``rows`` each input row is written straight to
its row of the networks' buffer (where this CPU's BLAS rounds a row by its position), instead
of to a matrix of its own that is then copied there.
"""

from libc.stdint cimport int64_t


def standardise(const float[:, ::1] x, const float[::1] mean, const float[::1] scale, float clip,
                float[:, ::1] out, const int64_t[::1] rows=None, const int64_t[::1] cols=None):
    """``out[r, j] = clip((x[i, c] - mean[j]) / scale[j], -clip, clip)``, NaN -> 0, where r is
    ``rows[i]`` when given (each in range), else i (``out`` then has x's rows), and c is
    ``cols[j]`` when given (the columns the networks read, each in range: a model trained with
    ``--ignore-column`` skips the others here, in the pass that reads every element anyway),
    else j."""
    cdef Py_ssize_t n = x.shape[0], d = x.shape[1] if cols is None else cols.shape[0], i, j, r
    cdef float v, lo = -clip, hi = clip
    cdef bint placed = rows is not None
    if mean.shape[0] != d or scale.shape[0] != d or out.shape[1] != d \
            or (not placed and out.shape[0] != n) or (placed and rows.shape[0] != n):
        raise ValueError("standardise: shapes do not agree")
    if placed:
        for i in range(n):
            if rows[i] < 0 or rows[i] >= out.shape[0]:
                raise ValueError("standardise: a row index is out of range")
    if cols is not None:
        for j in range(d):
            if cols[j] < 0 or cols[j] >= x.shape[1]:
                raise ValueError("standardise: a column index is out of range")
        with nogil:
            for i in range(n):
                r = rows[i] if placed else i
                for j in range(d):
                    v = (x[i, cols[j]] - mean[j]) / scale[j]
                    v = lo if v < lo else v
                    v = hi if v > hi else v
                    out[r, j] = 0.0 if v != v else v
        return
    with nogil:
        for i in range(n):
            r = rows[i] if placed else i
            for j in range(d):
                # Branch-free, so the loop vectorises: np.clip keeps NaN (no comparison holds),
                # which then becomes 0, and -0.0 (neither bound is crossed).
                v = (x[i, j] - mean[j]) / scale[j]
                v = lo if v < lo else v
                v = hi if v > hi else v
                out[r, j] = 0.0 if v != v else v
