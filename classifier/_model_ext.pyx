# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled input standardisation of ``classifier.model.BlockModel._forward``.

Why: the numpy form makes four passes over the [rows, columns] float32 matrix (subtract,
divide, clip, isnan) and a fifth to zero the NaNs; on the bench pages that matrix is ~55,000 x
492 floats a pass, ~15% of the forward pass besides the matrix products. Here it is one pass.
Each element gets the numpy form's own float32 operations in its order: ``x - mean``, then
``/ scale`` (IEEE, one rounding each), then the clip, then NaN to 0, so the results are the
same bit for bit (tests/test_ext_model.py).
"""


def standardise(const float[:, ::1] x, const float[::1] mean, const float[::1] scale, float clip,
                float[:, ::1] out):
    """``out[i, j] = clip((x[i, j] - mean[j]) / scale[j], -clip, clip)``, NaN -> 0."""
    cdef Py_ssize_t n = x.shape[0], d = x.shape[1], i, j
    cdef float v, lo = -clip, hi = clip
    if mean.shape[0] != d or scale.shape[0] != d or out.shape[0] != n or out.shape[1] != d:
        raise ValueError("standardise: shapes do not agree")
    with nogil:
        for i in range(n):
            for j in range(d):
                # Branch-free, so the loop vectorises: np.clip keeps NaN (no comparison holds),
                # which then becomes 0, and -0.0 (neither bound is crossed).
                v = (x[i, j] - mean[j]) / scale[j]
                v = lo if v < lo else v
                v = hi if v > hi else v
                out[i, j] = 0.0 if v != v else v
