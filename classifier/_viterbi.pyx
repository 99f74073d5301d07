# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled dynamic programme of ``classifier.decode._viterbi_chain``.

Why: the numpy form pays a few numpy calls per block position (the DP is sequential in the
position), ~7% of ``classify`` on the bench pages; here a step is k*k float64 additions in C.
The sums and comparisons are the numpy form's own (``score[from] + lt[to, from]``, then
``+ em[t, to]``; the first maximum wins, as ``argmax``), so both give the same paths and the
same final scores, bit for bit (tests/test_ext.py).
"""
import numpy as np

from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc


def viterbi_pages(const double[:, ::1] em, const long long[::1] offsets, const double[::1] log_start,
                  const double[:, ::1] lt_to_from, const unsigned char[::1] end_states,
                  double[:, ::1] final_scores, bint want_scores):
    """Best state path of every page (rows ``offsets[i]:offsets[i+1]`` of ``em``, emissions
    already minus the prior, in the chain's states) -> int64 state per row.

    ``end_states``: 1 where a page may end (all ones for no restriction). ``final_scores``
    ([pages, k]) receives each page's best score ending in each state, before that
    restriction, when ``want_scores``. Empty pages get no rows and scores of 0.
    """
    cdef Py_ssize_t n_pages = offsets.shape[0] - 1
    cdef Py_ssize_t k = log_start.shape[0]
    cdef Py_ssize_t n_rows = em.shape[0]
    states_arr = np.zeros(n_rows, dtype=np.int64)
    cdef long long[::1] states = states_arr
    cdef Py_ssize_t p, t, to, fr, a, b, best_from
    cdef double c, best, fin_best
    cdef Py_ssize_t fin_state
    cdef double* score = <double*> malloc(k * sizeof(double))
    cdef double* nxt = <double*> malloc(k * sizeof(double))
    cdef double* tmp
    cdef signed char* back = NULL
    cdef Py_ssize_t back_rows = 0
    if score == NULL or nxt == NULL:
        free(score)
        free(nxt)
        raise MemoryError()
    try:
        for p in range(n_pages):
            a = offsets[p]
            b = offsets[p + 1]
            if b <= a:
                continue
            if b - a > back_rows:
                free(back)
                back_rows = b - a
                back = <signed char*> malloc(back_rows * k * sizeof(signed char))
                if back == NULL:
                    raise MemoryError()
            for to in range(k):
                score[to] = log_start[to] + em[a, to]
            for t in range(a + 1, b):
                for to in range(k):
                    best = score[0] + lt_to_from[to, 0]
                    best_from = 0
                    for fr in range(1, k):
                        c = score[fr] + lt_to_from[to, fr]
                        if c > best:
                            best = c
                            best_from = fr
                    nxt[to] = best + em[t, to]
                    back[(t - a) * k + to] = <signed char> best_from
                tmp = score
                score = nxt
                nxt = tmp
            if want_scores:
                for to in range(k):
                    final_scores[p, to] = score[to]
            # argmax over the allowed states' scores, the others at -inf (numpy's first maximum).
            fin_state = 0
            fin_best = score[0] if end_states[0] else -INFINITY
            for to in range(1, k):
                c = score[to] if end_states[to] else -INFINITY
                if c > fin_best:
                    fin_best = c
                    fin_state = to
            states[b - 1] = fin_state
            for t in range(b - 1, a, -1):
                fin_state = back[(t - a) * k + fin_state]
                states[t - 1] = fin_state
    finally:
        free(score)
        free(nxt)
        free(back)
    return states_arr

