# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled per-character passes of the feature pass: ``features.tokens.tokenize`` /
``token_hashes`` and the class counts of ``features.extract._char_counts``.

Why: the numpy forms make a dozen passes over the code points of each batch (table gathers,
shifted comparisons, prefix sums, ``repeat`` and ``bincount``), ~10% of ``classify`` on the
bench pages; here each is one loop over the code points with the same lookup tables.

Same output, bit for bit (tests/test_ext_tokens.py):
- tokens: the runs the numpy form finds (a run of word characters, joined over an apostrophe
  with a word character on both sides; a single ``$`` / newline), in the same order;
- hashes: the numpy form's sum(cp[j] * B**-j) * B**(end-1) mod 2**64 is, in the ring of
  integers mod 2**64 (B odd, so B * B**-1 = 1), sum(cp[j] * B**(end-1-j)): Horner's rule
  ``h = h * B + cp[j]`` in wrapping uint64 arithmetic gives the same number;
- class counts: the (previous, current, next) class triple of each character, as the numpy
  form numbers it, counted per block (integers: no summation order to keep);
  ``char_property_counts`` (what ``_char_counts`` calls) goes on to the property counts per
  block, integer sums of those counts, which the numpy form's float64 matrix product gives
  exactly (tests/test_ext_counts.py).
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memset

# The multiplier of features.tokens' polynomial hash (checked equal there at import).
cdef uint64_t BASE = 0x9E3779B97F4A7C15ULL
HASH_BASE = BASE
cdef uint32_t NEWLINE = 10


def tokenize_cp(const uint32_t[::1] cp, const uint8_t[::1] bits_of, uint8_t word_bit, uint8_t digit_bit,
                uint8_t apos_bit, uint8_t single_bit):
    """Tokens of the code points ``cp`` -> (starts, ends, hashes, digits, newline) arrays;
    None when a code point is beyond the table (the caller's numpy form raises its error).

    ``bits_of``: code point -> bits (``features.tokens._CHAR_BITS``): a word character, a
    digit, an apostrophe that joins two word characters, a token of its own ("$", newline);
    no character is both a word character and one of the other two kinds.
    """
    cdef Py_ssize_t n = cp.shape[0]
    cdef Py_ssize_t size = bits_of.shape[0]
    cdef Py_ssize_t i = 0, s, k = 0
    cdef uint32_t c
    cdef uint8_t b
    cdef uint64_t h
    cdef bint all_digits
    starts_arr = np.empty(n, dtype=np.int64)
    ends_arr = np.empty(n, dtype=np.int64)
    hashes_arr = np.empty(n, dtype=np.uint64)
    digits_arr = np.empty(n, dtype=np.bool_)
    newline_arr = np.empty(n, dtype=np.bool_)
    cdef int64_t[::1] starts = starts_arr
    cdef int64_t[::1] ends = ends_arr
    cdef uint64_t[::1] hashes = hashes_arr
    cdef uint8_t[::1] digits = digits_arr.view(np.uint8)
    cdef uint8_t[::1] newline = newline_arr.view(np.uint8)
    i = 0
    with nogil:
        while i < n:
            c = cp[i]
            # Each code point is checked where it is read (a separate pass cost ~10% more).
            if c >= size:
                with gil:
                    return None
            b = bits_of[c]
            if b & word_bit:
                s = i
                h = 0
                all_digits = True
                while True:
                    h = h * BASE + c
                    all_digits = all_digits & ((b & digit_bit) != 0)
                    i += 1
                    if i >= n:
                        break
                    c = cp[i]
                    if c >= size:
                        break
                    b = bits_of[c]
                    if b & word_bit:
                        continue
                    # An apostrophe joins when a word character follows (one precedes it here).
                    if (b & apos_bit) and i + 1 < n and cp[i + 1] < size and (bits_of[cp[i + 1]] & word_bit):
                        continue
                    break
            elif b & single_bit:
                s = i
                h = c
                all_digits = (b & digit_bit) != 0
                i += 1
            else:
                i += 1
                continue
            starts[k] = s
            ends[k] = i
            hashes[k] = h
            digits[k] = all_digits
            newline[k] = cp[s] == NEWLINE
            k += 1
    # Shrink each array to its k tokens in place (a realloc, no copy: ~5% of the kernel's time
    # went to copying the first k entries into new arrays); the memoryviews are the arrays'
    # only other references and must go first.
    del starts, ends, hashes, digits, newline
    for arr in (starts_arr, ends_arr, hashes_arr, digits_arr, newline_arr):
        arr.resize((k,), refcheck=False)
    return starts_arr, ends_arr, hashes_arr, digits_arr, newline_arr


def span_hashes(const uint32_t[::1] cp, const int64_t[::1] starts, const int64_t[::1] ends):
    """Polynomial hash of each span ``cp[starts[i]:ends[i]]`` (0 for an empty span), uint64;
    None unless every span has 0 <= start <= end <= len(cp) (the caller's numpy form then
    gives whatever it gives for such spans, or its error)."""
    cdef Py_ssize_t m = starts.shape[0]
    cdef Py_ssize_t n = cp.shape[0]
    cdef Py_ssize_t t, j
    cdef uint64_t h
    if ends.shape[0] != m:
        return None
    for t in range(m):
        if starts[t] < 0 or ends[t] < starts[t] or ends[t] > n:
            return None
    out_arr = np.empty(m, dtype=np.uint64)
    cdef uint64_t[::1] out = out_arr
    with nogil:
        for t in range(m):
            h = 0
            for j in range(starts[t], ends[t]):
                h = h * BASE + cp[j]
            out[t] = h
    return out_arr


# ``char_property_counts``: bits of a class in a packed triple index (classes below 1 << CLASS_BITS),
# the index's mask, the histogram lanes (interleaved so that runs of one vector, e.g. the letters of
# a word, do not wait on the same counter) and the most vectors / properties it counts.
cdef enum:
    CLASS_BITS = 5
    TRIPLE_MASK = (1 << (3 * CLASS_BITS)) - 1
    LANES = 4
    MAX_VECTORS = 64
    MAX_PROPS = 32


cdef extern from *:
    """
    static inline int nw_ctz32(uint32_t x) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctz(x);
    #else
        int n = 0;
        while (!(x & 1)) { x >>= 1; n++; }
        return n;
    #endif
    }
    """
    int nw_ctz32(uint32_t x) noexcept nogil


def char_property_counts(const uint32_t[::1] cp, const int64_t[::1] lengths, const uint16_t[::1] combo,
                         const uint8_t[::1] triple_vector, const uint32_t[::1] vector_props, Py_ssize_t n_props,
                         uint16_t edge_class):
    """Per block, how many characters have each property: float64 [len(lengths), n_props], the
    numpy form's ``class-triple counts @ vectors`` (``features.extract._char_counts``).

    A character's property vector is ``triple_vector[prev << 10 | cur << 5 | next]`` of the
    classes ``combo[cp]`` of it and its neighbours (``edge_class`` before the first and after
    the last character); vector ``v`` has the properties of the bits of ``vector_props[v]``.
    Block i holds the next ``lengths[i]`` characters (the last may run past the text). None when
    the blocks hold fewer characters than ``cp``, a length is negative or a code point is beyond
    ``combo`` (the caller's numpy form raises its error). Every ``combo`` value must be below
    ``1 << CLASS_BITS`` (a larger one would index past ``triple_vector``; checked once by the
    caller: a per-call check would cost a pass over the table).

    Same numbers as the numpy form: the matrix product there sums integer counts times 0.0 or
    1.0 in float64, exact in any order (every partial sum is an integer far below 2**53); here
    the same integers are summed as integers and stored as float64.
    """
    cdef Py_ssize_t n = lengths.shape[0]
    cdef Py_ssize_t c = cp.shape[0]
    cdef Py_ssize_t size = combo.shape[0]
    cdef Py_ssize_t nv = vector_props.shape[0]
    cdef Py_ssize_t b, j, v, p, stop, stop1, pos = 0, total = 0
    cdef uint32_t x, prev, cur, nxt, c3, bits
    cdef int64_t h
    cdef int64_t hist[LANES * MAX_VECTORS]
    cdef int64_t acc[MAX_PROPS]
    cdef int64_t* h0 = &hist[0]
    cdef int64_t* h1 = &hist[nv]
    cdef int64_t* h2 = &hist[2 * nv]
    cdef int64_t* h3 = &hist[3 * nv]
    if (triple_vector.shape[0] != TRIPLE_MASK + 1 or nv > MAX_VECTORS or n_props < 0 or n_props > MAX_PROPS
            or edge_class >> CLASS_BITS):
        raise ValueError("tables of the wrong sizes, or edge_class is not a class")
    for j in range(triple_vector.shape[0]):
        if triple_vector[j] >= nv:
            raise ValueError("triple_vector holds a vector id beyond vector_props")
    for v in range(nv):
        if n_props < MAX_PROPS and vector_props[v] >> n_props:
            raise ValueError("vector_props holds a property of n_props or more")
    for b in range(n):
        if lengths[b] < 0:
            return None
        total += lengths[b]
    if total < c:
        return None
    out_arr = np.zeros((n, n_props), dtype=np.float64)
    cdef double[:, ::1] out = out_arr
    if c == 0:
        return out_arr
    if cp[0] >= size:  # ... and each next one in the loop, where it is read
        return None
    memset(hist, 0, sizeof(hist))
    with nogil:
        # The classes of the previous and current characters; each index is built afresh from
        # three classes (not shifted on from the last index: that chain was the loop's limit).
        prev = edge_class
        cur = combo[cp[0]]
        for b in range(n):
            stop = pos + lengths[b]
            if stop > c:
                stop = c
            stop1 = stop if stop < c else c - 1  # characters with a next one in ``cp``
            j = pos
            while j + LANES <= stop1:
                x = cp[j + 1]
                if x >= size:
                    with gil:
                        return None
                nxt = combo[x]
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | nxt]] += 1
                x = cp[j + 2]
                if x >= size:
                    with gil:
                        return None
                prev = combo[x]  # (the next "next": the names rotate through the three)
                h1[triple_vector[(cur << (2 * CLASS_BITS)) | (nxt << CLASS_BITS) | prev]] += 1
                x = cp[j + 3]
                if x >= size:
                    with gil:
                        return None
                cur = combo[x]
                h2[triple_vector[(nxt << (2 * CLASS_BITS)) | (prev << CLASS_BITS) | cur]] += 1
                x = cp[j + 4]
                if x >= size:
                    with gil:
                        return None
                c3 = combo[x]
                h3[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | c3]] += 1
                prev = cur
                cur = c3
                j += LANES
            while j < stop1:
                x = cp[j + 1]
                if x >= size:
                    with gil:
                        return None
                nxt = combo[x]
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | nxt]] += 1
                prev = cur
                cur = nxt
                j += 1
            if j < stop:  # the last character of ``cp``: the edge class follows
                h0[triple_vector[(prev << (2 * CLASS_BITS)) | (cur << CLASS_BITS) | edge_class]] += 1
                prev = cur
                cur = edge_class
                j += 1
            if stop > pos:
                for p in range(n_props):
                    acc[p] = 0
                for v in range(nv):
                    h = h0[v] + h1[v] + h2[v] + h3[v]
                    if h:
                        h0[v] = 0
                        h1[v] = 0
                        h2[v] = 0
                        h3[v] = 0
                        bits = vector_props[v]
                        while bits:
                            acc[nw_ctz32(bits)] += h
                            bits &= bits - 1
                for p in range(n_props):
                    out[b, p] = <double> acc[p]
            pos = stop
    return out_arr
