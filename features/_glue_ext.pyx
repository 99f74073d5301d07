# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled pieces of ``features.extract.local_features``: its blocks' lengths, and how many
profanity hits each block has.

Why: ``np.fromiter(map(len, texts), ...)`` costs ~5 ms of a bench run (a ``len`` call and an
int object per block, ~55,000 blocks), the same over the per-block evidence lists ~3 ms; here
each length is read off the str or list (~0.5 ms).

Same output (tests/test_ext_feat.py): a str's ``len`` is its length in code points, which is
what ``PyUnicode_GET_LENGTH`` gives, a list's its ``PyList_GET_SIZE``. Anything but a list of
exact strs (of exact lists) gives None: the caller takes the Python form (a subclass may
answer ``len`` its own way).

Tried and dropped: widening a str's code points straight from its storage instead of
``encode("utf-32-le", "surrogatepass")``: no faster on the bench batches (both write ~43 MB of
fresh memory a run; the page faults, not the encoder's loop, take the time).
"""
import numpy as np

from libc.stdint cimport int64_t


cdef extern from *:
    """
    /* PyUnicode_READY fills in a str made the pre-3.3 way; from 3.12 on every str is ready
       and the macro is gone. */
    #if PY_VERSION_HEX >= 0x030C0000
    #define glue_unicode_ready(o) 0
    #else
    #define glue_unicode_ready(o) PyUnicode_READY(o)
    #endif
    """
    int PyUnicode_READY "glue_unicode_ready"(object o) except -1


cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyList_CheckExact(object o)
    Py_ssize_t PyList_GET_SIZE(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)


def str_lengths(texts):
    """``np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))`` for a list of exact
    strs, else None."""
    if not PyList_CheckExact(texts):
        return None
    cdef Py_ssize_t n = len(texts), i
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef object t
    for i in range(n):
        t = texts[i]
        if not PyUnicode_CheckExact(t):
            return None
        PyUnicode_READY(t)
        out[i] = PyUnicode_GET_LENGTH(t)
    return out_arr


def list_lengths(lists):
    """``np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))`` for a list of exact
    lists, else None."""
    if not PyList_CheckExact(lists):
        return None
    cdef Py_ssize_t n = len(lists), i
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef object t
    for i in range(n):
        t = lists[i]
        if not PyList_CheckExact(t):
            return None
        out[i] = PyList_GET_SIZE(t)
    return out_arr
