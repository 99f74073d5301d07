# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled ``features.segment.segment_text``: one ``Block`` per non-blank line of a plain-text page.

Why: the Python form splits the page into a list of line strings, tests each with
``str.isspace`` in a comprehension and calls the dataclass ``__init__`` once per block (a
Python frame each); it ran ~2% of ``classify`` on the bench pages. Here one scan finds the
newlines, only the kept lines become strings, and each ``Block`` is made as its ``__init__``
makes it (``object.__new__``, then its five fields set). Since session 20 the fields are stored
straight into the new object's slots, at the offsets their ``member_descriptor``s give (what
setting them through the descriptors does, without five attribute look-ups per block: ~20% of
this function); a type whose fields are not all plain object slots of its own gets them set as
attributes, as before (tests/test_ext_api.py).

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
from cpython.ref cimport Py_INCREF

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_FindChar(object s, Py_UCS4 ch, Py_ssize_t start, Py_ssize_t end,
                                  int direction) except -2
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t i)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)

cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

cdef enum:
    NEWLINE = 10
    CARRIAGE_RETURN = 13
    FORWARD = 1
    N_FIELDS = 5
    T_OBJECT_EX = 16  # structmember.h: a slot holding an object (AttributeError when unset)

cdef tuple _NO_ARGS = ()
# Block's fields in the order its __init__ sets them, and where each slot sits in the object.
cdef tuple _FIELDS = ("index", "text", "line", "tag", "extra")
cdef object _MEMBER_TYPE = type(type("_Probe", (), {"__slots__": ("x",)}).__dict__["x"])
cdef object _slots_of = None  # the type whose slot offsets _OFFSETS holds
cdef Py_ssize_t _OFFSETS[N_FIELDS]


cdef bint _find_slots(type block) except -1:
    """Fill ``_OFFSETS`` with ``block``'s slot offsets when each field is a plain writable object
    slot of its own (a ``member_descriptor`` in its ``__dict__``): storing there is then what
    setting the attribute does. False otherwise (the caller sets the attributes)."""
    global _slots_of
    cdef Py_ssize_t k
    cdef PyMemberDef* member
    offsets = []
    for k in range(N_FIELDS):
        desc = block.__dict__.get(_FIELDS[k])
        if type(desc) is not _MEMBER_TYPE:
            return False
        member = (<PyMemberDescrObject*> desc).d_member
        if (member.type != T_OBJECT_EX or member.flags != 0 or member.offset < <Py_ssize_t> sizeof(PyObject)
                or member.offset + <Py_ssize_t> sizeof(PyObject*) > block.__basicsize__):
            return False
        offsets.append(member.offset)
    for k in range(N_FIELDS):
        _OFFSETS[k] = offsets[k]
    _slots_of = block
    return True


cdef inline void _store(object obj, Py_ssize_t offset, object value):
    """Put ``value`` in the empty slot at ``offset`` of the new ``obj`` (a new reference)."""
    Py_INCREF(value)
    (<PyObject**> ((<char*> <PyObject*> obj) + offset))[0] = <PyObject*> value


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
    cdef bint direct = block is _slots_of or _find_slots(block)
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
            if direct:  # fresh object: every slot empty (NULL), nothing to release
                _store(b, _OFFSETS[0], index)
                _store(b, _OFFSETS[1], PyUnicode_Substring(text, start, stop))
                _store(b, _OFFSETS[2], line)
                _store(b, _OFFSETS[3], None)
                _store(b, _OFFSETS[4], None)
            else:
                b.index = index
                b.text = PyUnicode_Substring(text, start, stop)
                b.line = line
                b.tag = None
                b.extra = None
            out.append(b)
            index += 1
        start = end + 1
    return out
