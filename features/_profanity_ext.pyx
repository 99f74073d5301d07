# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled screen of ``features.profanity._screen_positions`` (pass 1 of the profanity feature).

Why: the numpy form makes some twenty passes over the batch's bytes (translations, shifted
comparisons, gathers, a sort and a search for the line of every signal); here one loop over
the bytes tests the same signals at each position, with the same tables, and keeps the first
signal of each line, then skips to the next line (only the first signal of a line is wanted).

What stays in Python: joining the texts, the UTF-8 encoding and building the tables
(``_byte_tables``, ``_bit_table``, ``_key_tables``); the kernel gets the bytes and the tables, so
both forms read the same codes and flags and give the same lines and byte offsets
(tests/test_ext_profanity.py).
"""
import numpy as np

from libc.stdlib cimport free, malloc
from libc.string cimport memset

# Padding after the bytes: the furthest position a signal looks at is KEY_LEN - 1 codes ahead
# of a key window's start (the numpy form pads with KEY_LEN + 1 zero bytes; so does this).
cdef enum:
    PAD_AFTER = 7

ctypedef fused group_t:
    unsigned short
    unsigned int


def screen_positions(const unsigned char[::1] data, Py_ssize_t n_lines,
                     const unsigned char[::1] code_table, const unsigned char[::1] bit_table,
                     const unsigned char[::1] key_trigrams, const unsigned char[::1] key_pairs,
                     const group_t[::1] key_groups,
                     const unsigned char[:, :, ::1] key_rest, tuple bits,
                     int flag_any, int flag_word_start, int dash_code):
    """(line indices, byte offset of each line's first screen signal), both int64, as
    ``_screen_positions``'s numpy form gives them for ``data`` (the batch joined with ``\\n``,
    UTF-8): a line is ``n_lines`` at most (raises ValueError on more).

    ``bits``: the bit of ``bit_table`` for alnum, ASCII letter, letter or leet symbol, letter
    code, mask, leet symbol, separator, newline (``profanity._BITS``). The tables must have 256
    entries, ``key_pairs`` 1024, ``key_groups`` 2**20, ``key_rest`` [groups, 32, 32], and
    ``key_trigrams`` 2**15: non-zero for every first three codes of a 4-gram with a group
    (``profanity._key_trigrams``), a filter in front of the 2 MB group table.
    """
    cdef unsigned char b_alnum, b_abc, b_plain, b_letter, b_mask, b_sym, b_sep, b_newline
    b_alnum, b_abc, b_plain, b_letter, b_mask, b_sym, b_sep, b_newline = bits
    if (code_table.shape[0] != 256 or bit_table.shape[0] != 256 or key_trigrams.shape[0] != 1 << 15
            or key_pairs.shape[0] != 1 << 10 or key_groups.shape[0] != 1 << 20
            or key_rest.shape[1] != 32 or key_rest.shape[2] != 32):
        raise ValueError("screen tables of the wrong size")
    cdef Py_ssize_t t
    for t in range(256):  # codes index key_rest's last two axes
        if code_table[t] >= 32:
            raise ValueError("screen codes must be below 32")
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t size = n + 1 + PAD_AFTER
    cdef Py_ssize_t n_groups = key_rest.shape[0]
    lines_arr = np.zeros(n_lines, dtype=np.int64)
    offsets_arr = np.zeros(n_lines, dtype=np.int64)
    cdef long long[::1] out_lines = lines_arr
    cdef long long[::1] out_offsets = offsets_arr
    # m[j], bt[j]: code and bits of byte j - 1 of data; boundaries (0) at j = -1, 0 and after.
    cdef unsigned char* m_buf = <unsigned char*> malloc(size + 1)
    cdef unsigned char* bt_buf = <unsigned char*> malloc(size + 1)
    cdef unsigned char* m = m_buf + 1
    cdef unsigned char* bt = bt_buf + 1
    cdef Py_ssize_t j, k, count = 0, line = 0, line_start = 0, last_line = -1, prev
    cdef unsigned int pair, g
    cdef unsigned char c, m1, m2, bj, bp, bn, flags
    cdef unsigned char b_run_before = b_letter | b_sym | b_mask
    cdef unsigned char dash = dash_code
    cdef bint hit
    if m_buf == NULL or bt_buf == NULL:
        free(m_buf)
        free(bt_buf)
        raise MemoryError()
    try:
        memset(m_buf, 0, size + 1)
        memset(bt_buf, 0, size + 1)
        for k in range(n):
            c = data[k]
            m[k + 1] = code_table[c]
            bt[k + 1] = bit_table[c]
        j = 0
        while j <= n:
            # Position j of m is byte k = j - 1 of data; its line counts the newlines up to k.
            k = j - 1
            if bt[j] & b_newline:  # bt[0] is 0: j = 0 (before the first byte) is not a newline
                line += 1
                line_start = j
            c = m[j]
            m1 = m[j + 1]
            m2 = m[j + 2]
            bj = bt[j]
            hit = False
            # Every signal needs one of these (a cheap test that is rarely true: the branches
            # below are taken at a few per cent of the positions): run3 c == m1, f--- m1 == dash,
            # a mask at j, spaced c == m2, a key window a trigram that starts some 4-gram's group.
            if ((c == m1) | (c == m2) | (m1 == dash) | ((bj & b_mask) != 0)
                    | (key_trigrams[(<unsigned int> c << 10) | (<unsigned int> m1 << 5) | m2] != 0)):
                bp = bt[j - 1]  # bt[-1] is padding (0); at j = 0, bj is 0: no obfuscation signal
                bn = bt[j + 1]
                if bj & b_abc:
                    # fuuuck: three equal codes after a letter, leet symbol or mask; f---
                    if c == m1 and m1 == m2 and bp & b_run_before:
                        hit = True
                    elif m1 == dash and m2 == dash:
                        hit = True
                if bj & b_mask and (bp | bn) & b_plain:  # f**k
                    hit = True
                if (bj & b_sep and bn & b_plain and m2 == c and bt[j + 3] & b_plain
                        and not (bt[j + 4] & b_alnum)):  # s h i t: one letter between equal separators
                    hit = True
                # Key window starting at j: the first two codes, the 4-gram's group, the next two.
                pair = (<unsigned int> c << 5) | m1
                if not hit and key_pairs[pair]:
                    g = key_groups[(pair << 10) | (<unsigned int> m2 << 5) | m[j + 3]]
                    if g != 0:
                        if g >= n_groups:
                            raise ValueError("key group out of range")
                        flags = key_rest[g, m[j + 4], m[j + 5]]
                        prev = j - 1 if j > 0 else 0
                        if flags & flag_any:
                            hit = True
                        elif flags & flag_word_start and (not (bt[prev] & b_alnum) or m[prev] == c):
                            hit = True
            if hit and line != last_line:
                if line >= n_lines:
                    raise ValueError("more lines in data than n_lines")
                out_lines[count] = line
                out_offsets[count] = k - line_start
                count += 1
                last_line = line
                # Later signals of this line do not matter: go on at its end.
                j += 1
                while j <= n and not (bt[j] & b_newline):
                    j += 1
                continue
            j += 1
    finally:
        free(m_buf)
        free(bt_buf)
    return lines_arr[:count], offsets_arr[:count]
