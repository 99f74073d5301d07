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
