# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled ``features.segment.segment_text``: one ``Block`` per non-blank line of a plain-text page.

Why: the Python form splits the page into a list of line strings, tests each with
``str.isspace`` in a comprehension and calls the dataclass ``__init__`` once per block (a
Python frame each); it ran ~2% of ``classify`` on the bench pages. Here one scan finds the
newlines, only the kept lines become strings, and each ``Block`` is made as its ``__init__``
makes it (``object.__new__``, then its five fields set through their slot descriptors).

Same output as the Python form (tests/test_ext_asm.py):
- lines are what ``text.split("\\n")`` gives (``\\n`` only; ``\\r``, U+0085, U+2028 and the
  other line breaks of ``str.splitlines`` stay inside a line), numbered from 1, blank ones
  counted;
- a line is blank when it is empty or ``str.isspace`` holds for it: every code point passes
  ``Py_UNICODE_ISSPACE``, the test ``str.isspace`` itself makes (lone surrogates do not);
- the block text is the line with its trailing ``\\r`` characters removed (``rstrip("\\r")``),
  as an exact ``str`` (``PyUnicode_Substring``, which gives the canonical kind, as slicing does).
"""
from cpython.object cimport PyObject, PyTypeObject

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_FindChar(object s, Py_UCS4 ch, Py_ssize_t start, Py_ssize_t end,
                                  int direction) except -2
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t i)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)

cdef enum:
    NEWLINE = 10
    CARRIAGE_RETURN = 13
    FORWARD = 1

cdef tuple _NO_ARGS = ()


def segment_text(str text not None, type block):
    """``block(index, line text, line number)`` with ``tag`` and ``extra`` None, per non-blank
    line of ``text``: what ``features.segment._segment_text_python`` returns for an exact str.

    ``block`` is ``features.segment.Block`` (a slots dataclass whose ``__init__`` only sets its
    fields ``index, text, line, tag, extra``; segment.py checks that before using this)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t start = 0, end, stop, j, line = 0, index = 0
    cdef list out = []
    cdef PyTypeObject* tp = <PyTypeObject*> block
    while start <= n:
        line += 1
        end = PyUnicode_FindChar(text, NEWLINE, start, n, FORWARD)
        if end < 0:
            end = n
        j = start
        while j < end and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)):
            j += 1
        if j < end:  # not blank: text[j] is no space, so the stripping below stops after it
            stop = end
            while PyUnicode_READ(kind, data, stop - 1) == CARRIAGE_RETURN:
                stop -= 1
            b = tp.tp_new(block, <PyObject*> _NO_ARGS, NULL)
            b.index = index
            b.text = PyUnicode_Substring(text, start, stop)
            b.line = line
            b.tag = None
            b.extra = None
            out.append(b)
            index += 1
        start = end + 1
    return out
