# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled screen of ``features.profanity._screen_positions`` (pass 1 of the profanity feature).

Why: the numpy form makes some twenty passes over the batch's bytes (two translations, shifted
comparisons, gathers, a sort and a search for the line of every signal); here one loop over
the bytes tests the same signals at each position, with the same tables, keeps the first
signal of each line and skips to the next line (only the first signal of a line is wanted).

What stays in Python: joining the texts, the UTF-8 encoding and building the tables
(``_byte_tables``, ``_bit_table``, ``_key_tables``); the kernel gets the bytes and the tables, so
both forms read the same codes and flags and give the same lines and byte offsets
(tests/test_ext_profanity.py).

Positions are the numpy form's: position j is byte j - 1 of ``data``; position 0 and those
after the last byte are boundaries (code 0, no bits), as its zero padding.

Also here: ``line_bytes`` (the batch as one byte per character, so that ``screen_positions``
gives character offsets without a join or UTF-8 encoding in Python) and ``match_starts`` (pass
2's pre-filter: where a match of the matcher can start), both checked in tests/test_ext_prof.py;
and ``Screen``, the two in one call (what ``profanity._screen_chars`` uses: the texts' code
points read in place, a sharper filter built once; tests/test_ext_screen.py).
"""
import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_KIND
from libc.stdint cimport uint8_t, uint16_t, uint32_t

cdef extern from *:
    """
    /* PyUnicode_READY fills in a str made the pre-3.3 way (whose kind and data are not set
       yet); from 3.12 on every str is ready (the macro is deprecated, a no-op). */
    #if PY_VERSION_HEX < 0x030C0000
    #define profanity_unicode_ready(o) PyUnicode_READY(o)
    #else
    #define profanity_unicode_ready(o) 0
    #endif
    """
    int PyUnicode_READY "profanity_unicode_ready"(object o) except -1

ctypedef fused group_t:
    unsigned short
    unsigned int


cdef inline unsigned char _at(const unsigned char* data, Py_ssize_t n, const unsigned char* table,
                              Py_ssize_t j) noexcept nogil:
    """``table`` entry of position j (byte j - 1), or 0 outside the bytes (the padding)."""
    return table[data[j - 1]] if 1 <= j <= n else 0


def screen_positions(const unsigned char[::1] data, Py_ssize_t n_lines,
                     const unsigned char[::1] code_table, const unsigned char[::1] bit_table,
                     const unsigned char[::1] key_trigrams, const unsigned char[::1] key_pairs,
                     const group_t[::1] key_groups, const unsigned char[:, :, ::1] key_rest, tuple bits,
                     int flag_any, int flag_word_start, int dash_code):
    """(line indices, byte offset of each line's first screen signal), both int64, as
    ``_screen_positions``'s numpy form gives them for ``data`` (the batch joined with ``\\n``,
    UTF-8): a line is ``n_lines`` at most (raises ValueError on more).

    ``bits``: the bit of ``bit_table`` for alnum, ASCII letter, letter or leet symbol, letter
    code, mask, leet symbol, separator, newline (``profanity._BITS``). The tables must have 256
    entries, ``key_pairs`` 1024, ``key_groups`` 2**20, ``key_rest`` [groups, 32, 32], and
    ``key_trigrams`` 2**15: non-zero for the first three codes of every 4-gram with a group
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
    cdef Py_ssize_t n_groups = key_rest.shape[0]
    lines_arr = np.zeros(n_lines, dtype=np.int64)
    offsets_arr = np.zeros(n_lines, dtype=np.int64)
    if n == 0:  # one empty text: only position 0 (a boundary) is tested, as in the numpy form
        data = b"\0"  # for a valid pointer; _at never reads it (n stays 0)
    cdef const unsigned char* d = &data[0]
    cdef const unsigned char* ct = &code_table[0]
    cdef const unsigned char* bt = &bit_table[0]
    cdef long long[::1] out_lines = lines_arr
    cdef long long[::1] out_offsets = offsets_arr
    cdef Py_ssize_t j, count = 0, line = 0, line_start = 0, prev
    cdef unsigned int pair, g
    # Code and bits at positions j, j + 1, j + 2 (a window slid by one each step).
    cdef unsigned char c, m1, m2, bj, b1, b2, bp, flags
    cdef unsigned char b_run_before = b_letter | b_sym | b_mask
    cdef unsigned char dash = dash_code
    cdef bint hit
    # The cheap test below as one table: maybe[c, m1, m2] when a trigram starts a key window or
    # c == m1, c == m2, m1 == dash (the run, spaced and dash signals need one of these and
    # a letter or separator at j, which has a code other than 0 in tables where no byte of
    # code 0 has those bits: there the equalities are only looked at for c != 0).
    cdef bint zero_quiet = True
    for t in range(256):
        if code_table[t] == 0 and bit_table[t] & (b_abc | b_sep):
            zero_quiet = False
    cdef unsigned char maybe[1 << 15]
    cdef unsigned int tri, a, b
    for tri in range(1 << 15):
        t, a, b = tri >> 10, (tri >> 5) & 31, tri & 31
        maybe[tri] = key_trigrams[tri] != 0 or ((t != 0 or not zero_quiet) and (t == a or t == b or a == dash))
    j = 0
    c = bj = 0
    m1, b1 = _at(d, n, ct, 1), _at(d, n, bt, 1)
    m2, b2 = _at(d, n, ct, 2), _at(d, n, bt, 2)
    cdef unsigned char quiet = b_newline | b_mask
    while j <= n:
        # Positions with no newline and where the cheap test below fails only slide the
        # window: do that in a tight loop while position j + 3 is a byte (no bounds checks).
        while (j + 3 <= n and not (bj & quiet)
               and not maybe[(<unsigned int> c << 10) | (<unsigned int> m1 << 5) | m2]):
            j += 1
            c, bj, m1, b1 = m1, b1, m2, b2
            m2, b2 = ct[d[j + 1]], bt[d[j + 1]]
        if bj & b_newline:  # the line of position j counts the newlines up to it
            line += 1
            line_start = j
        hit = False
        # Every signal needs one of these (a cheap test, true at a few per cent of the
        # positions): fuuuck c == m1, f--- m1 == dash, f**k a mask at j, "s h i" c == m2,
        # a key window a trigram that starts some 4-gram with a group (all but the mask in
        # the table ``maybe``).
        if maybe[(<unsigned int> c << 10) | (<unsigned int> m1 << 5) | m2] | ((bj & b_mask) != 0):
            bp = _at(d, n, bt, j - 1)  # no obfuscation signal at j = 0: bj is 0 there
            # fuuuck: three equal codes after a letter, leet symbol or mask
            if bj & b_abc and c == m1 and m1 == m2 and bp & b_run_before:
                hit = True
            # f--- / $--t: a letter, leet digit or leet symbol, then two dashes
            if bj & (b_letter | b_sym) and m1 == dash and m2 == dash:
                hit = True
            if bj & b_mask and (bp | b1) & b_plain:  # f**k
                hit = True
            if (bj & b_sep and b1 & b_plain and m2 == c and _at(d, n, bt, j + 3) & b_plain
                    and not (_at(d, n, bt, j + 4) & b_alnum)):  # s h i t: equal separators
                hit = True
            # Key window at j: the first two codes, the 4-gram's group, then the next two codes.
            pair = (<unsigned int> c << 5) | m1
            if not hit and key_pairs[pair]:
                g = key_groups[(pair << 10) | (<unsigned int> m2 << 5) | _at(d, n, ct, j + 3)]
                if g != 0:
                    if g >= n_groups:
                        raise ValueError("key group out of range")
                    flags = key_rest[g, _at(d, n, ct, j + 4), _at(d, n, ct, j + 5)]
                    prev = j - 1 if j > 0 else 0
                    if flags & flag_any:
                        hit = True
                    elif flags & flag_word_start and (not (_at(d, n, bt, prev) & b_alnum)
                                                      or _at(d, n, ct, prev) == c):
                        hit = True
        if hit:
            if line >= n_lines:
                raise ValueError("more lines in data than n_lines")
            out_lines[count] = line
            out_offsets[count] = (j - 1) - line_start  # byte offset in the line
            count += 1
            # Later signals of this line do not matter: go on at its end (the next newline).
            j += 1
            while j <= n and not (bt[d[j - 1]] & b_newline):
                j += 1
            c, bj = _at(d, n, ct, j), _at(d, n, bt, j)
            m1, b1 = _at(d, n, ct, j + 1), _at(d, n, bt, j + 1)
            m2, b2 = _at(d, n, ct, j + 2), _at(d, n, bt, j + 2)
            continue
        j += 1
        c, bj, m1, b1 = m1, b1, m2, b2
        m2, b2 = _at(d, n, ct, j + 2), _at(d, n, bt, j + 2)
    return lines_arr[:count], offsets_arr[:count]


cdef void _ascii_bytes(str text, unsigned char* out, unsigned char newline) noexcept:
    """Each character of ``text`` as one byte: ASCII as itself (``\\n`` as ``newline``), any
    other character 128. One typed loop per string kind (a lookup table, no branch per kind)."""
    _ascii_bytes_from(text, 0, out, newline)


cdef void _ascii_bytes_from(str text, Py_ssize_t base, unsigned char* out, unsigned char newline) noexcept:
    """``_ascii_bytes`` of ``text[base:]`` (0 <= base <= len(text))."""
    cdef Py_ssize_t k, length = len(text) - base
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef const uint8_t* d1
    cdef const uint16_t* d2
    cdef const uint32_t* d4
    cdef unsigned char table[256]
    for k in range(256):
        table[k] = k if k < 128 else 128
    table[10] = newline
    if kind == 1:
        d1 = <const uint8_t*> data + base
        for k in range(length):
            out[k] = table[d1[k]]
    elif kind == 2:
        d2 = <const uint16_t*> data + base
        for k in range(length):
            out[k] = table[d2[k]] if d2[k] < 256 else 128
    else:
        d4 = <const uint32_t*> data + base
        for k in range(length):
            out[k] = table[d4[k]] if d4[k] < 256 else 128


cdef class _PrefixTables:
    """``match_starts``' tables as typed views (shapes checked once per set of arrays).

    Why: acquiring four typed memoryviews took ~2 us a call, most of the kernel's time on a
    typical candidate line; the views of the last arrays given are kept and reused while the
    same array objects come again (a viewed array cannot be resized; ``ranges`` values are
    checked on every call all the same)."""
    cdef object keys  # the array objects the views are of (kept alive: identity is the key)
    cdef const unsigned long long[:, :, ::1] masks
    cdef const unsigned long long[::1] guarded
    cdef const long long[:, ::1] ranges
    cdef const unsigned char[::1] alnum

    def __init__(self, masks, guarded, ranges, alnum):
        self.masks = masks
        self.guarded = guarded
        self.ranges = ranges
        self.alnum = alnum
        if (self.masks.shape[0] < 1 or self.masks.shape[1] != 130 or self.guarded.shape[0] != self.masks.shape[2]
                or self.ranges.shape[0] != 128 or self.ranges.shape[1] != 2 or self.alnum.shape[0] != 128):
            raise ValueError("prefix tables of the wrong size")
        self.keys = (masks, guarded, ranges, alnum)


cdef _PrefixTables _last_tables = None


cdef _PrefixTables _prefix_tables(masks, guarded, ranges, alnum):
    """The views of these arrays: the last ones when the same objects come again."""
    global _last_tables
    cdef _PrefixTables tb = _last_tables
    if tb is not None:
        keys = tb.keys
        if keys[0] is masks and keys[1] is guarded and keys[2] is ranges and keys[3] is alnum:
            return tb
    tb = _PrefixTables(masks, guarded, ranges, alnum)
    _last_tables = tb
    return tb


def match_starts(str text, Py_ssize_t start, masks, guarded, ranges, alnum):
    """Positions p >= start of ``text``, ascending, where some match prefix of the matcher fits
    ``text[p:p + k]`` (``profanity._prefix_tables``): the only places a match can start.

    Why: the regex engine spends about half a microsecond at every letter of a candidate line
    trying the matcher's branches; here one table lookup per character and a few AND-ed words
    of state bits per possible first character drop all but about 0.5% of the positions.

    ``masks`` uint64 [k, 130, words]: states allowing each class at each prefix position
    (classes: the ASCII code point, 128 any other character, 129 past the end); ``guarded``
    uint64 [words]: states that need a word start (no ASCII letter or digit before p; other
    characters before p are let through); ``ranges`` int64 [128, 2]: the words holding the
    states of each first character; ``alnum`` uint8 [128]: ASCII letters and digits.
    """
    cdef _PrefixTables tb = _prefix_tables(masks, guarded, ranges, alnum)
    cdef const unsigned long long[:, :, ::1] m = tb.masks
    cdef const unsigned long long[::1] g = tb.guarded
    cdef const long long[:, ::1] r = tb.ranges
    cdef const unsigned char[::1] al = tb.alnum
    cdef Py_ssize_t k = m.shape[0], words = m.shape[2], n = len(text)
    cdef Py_ssize_t t
    for t in range(128):
        if not (0 <= r[t, 0] <= r[t, 1] <= words):
            raise ValueError("prefix table ranges out of bounds")
    out = []
    if start >= n:
        return out
    # The classes of text[base:], then k of "past the end" (129): position p is cls[p - base]
    # (base: one character before the first position tried, for its word-start test).
    cdef Py_ssize_t first = max(start, 0)
    cdef Py_ssize_t base = first - 1 if first > 0 else 0
    classes = PyBytes_FromStringAndSize(NULL, n - base + k)
    cdef unsigned char* cls = <unsigned char*> PyBytes_AS_STRING(classes)
    _ascii_bytes_from(text, base, cls, 10)
    for t in range(n - base, n - base + k):
        cls[t] = 129
    cdef Py_ssize_t p, w, j, q
    cdef unsigned char c, pc
    cdef unsigned long long acc
    cdef bint word_before
    for p in range(first, n):
        q = p - base
        c = cls[q]
        if c >= 128 or r[c, 0] == r[c, 1]:
            continue
        word_before = False
        if p > 0:
            pc = cls[q - 1]
            word_before = pc < 128 and al[pc] != 0
        for w in range(r[c, 0], r[c, 1]):
            acc = m[0, c, w]
            if word_before:
                acc &= ~g[w]
            j = 1
            while acc and j < k:
                acc &= m[j, cls[q + j], w]
                j += 1
            if acc:
                out.append(p)
                break
    return out


def char_total(list texts):
    """``sum(map(len, texts))`` (``profanity._chunks``' test of a batch's size), in one C loop."""
    cdef Py_ssize_t total = 0
    cdef object t
    for t in texts:
        total += len(<str> t) if type(t) is str else len(t)
    return total


def line_bytes(list texts):
    """The texts joined with ``\\n``, one byte per character: an ASCII character as itself (a
    newline inside a text as a space, as ``_screen_positions`` does when a text has one), any
    other character 0x80 (the screen's boundary, as all of its UTF-8 bytes are).

    Why: ``screen_positions`` on these bytes gives each line's first signal as a character
    offset, with no join, UTF-8 encoding or byte-to-character conversion in Python. The same
    signals as on the UTF-8 bytes: a signal never fires at a boundary byte, and what it reads
    after a boundary does not change it (the key windows allow any code after a boundary), so
    a non-ASCII character gives the same signals whether it is one boundary byte or four
    (tests/test_ext_prof.py compares the two on every kind of character).
    """
    cdef Py_ssize_t n = len(texts), total = 0, pos = 0, i
    cdef object t
    for t in texts:
        if not isinstance(t, str):
            raise TypeError("texts must be str")
        total += len(<str> t)
    total += n - 1 if n else 0
    out = PyBytes_FromStringAndSize(NULL, total)
    cdef unsigned char* buf = <unsigned char*> PyBytes_AS_STRING(out)
    for i in range(n):
        t = texts[i]
        _ascii_bytes(<str> t, buf + pos, 32)
        pos += len(<str> t)
        if i < n - 1:
            buf[pos] = 10
            pos += 1
    return out


# The lowest set bit of 1..15 (FIRST_BIT[0] unused).
cdef unsigned char FIRST_BIT[16]
FIRST_BIT[:] = [0, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0]


cdef class Screen:
    """``screen_positions(line_bytes(texts), len(texts), *tables)`` in one call (``chars``), with
    the tables checked and the per-call set-up done once, here.

    Why: ``line_bytes`` and ``screen_positions`` rebuilt a 256-entry table per text and a
    32 KB filter per call, read each byte's code and bits through the byte, and stopped at every
    newline and mask; here each text's characters are read from the str itself (1-, 2- and
    4-byte kinds) straight to their codes and bits, and the scan stops only where a signal is
    possible given the codes at j, j + 1, j + 2 (``_possible``), a sharper filter than
    ``screen_positions``'s. The signal test there is ``screen_positions``'s, on the same codes and
    bits; a signal's line is its text (counted from the texts, not from newline bits).

    Tables where that line count could differ (the newline bit on a character other than the
    joining ``\\n``, or missing there) take the two-call path.
    """
    cdef object _tables  # the constructor's arguments (keeps the arrays alive; the fallback)
    cdef object _group_array
    cdef const unsigned char* _pairs
    cdef const unsigned short* _groups16
    cdef const unsigned int* _groups32
    cdef const unsigned char* _rest
    cdef Py_ssize_t _n_groups
    cdef unsigned char _b_alnum, _b_abc, _b_plain, _b_mask, _b_sep, _run_before, _dash_start
    cdef unsigned char _flag_any, _flag_word_start, _dash
    cdef bint _fast  # the line of a signal is its text (else: the two-call path)
    # Code and bits of each character below 256 as two bytes (those from 128 on: 128's, as of
    # every other character; 10 is a newline inside a text, read as a space), and of the
    # joining newline: one 16-bit copy per character.
    cdef uint16_t _code_bits[256]
    cdef uint16_t _nl_code_bits
    cdef unsigned char _possible[1 << 15]  # [c << 10 | m1 << 5 | m2]: a signal may start at j

    def __init__(self, const unsigned char[::1] code_table, const unsigned char[::1] bit_table,
                 const unsigned char[::1] key_trigrams, const unsigned char[::1] key_pairs,
                 key_groups, const unsigned char[:, :, ::1] key_rest, tuple bits,
                 int flag_any, int flag_word_start, int dash_code):
        """The arguments of ``screen_positions`` after ``data`` and ``n_lines``, with the same
        requirements (``key_trigrams``: non-zero for the first three codes of every 4-gram with
        a group). Raises ValueError on tables ``screen_positions`` would refuse, and on group
        ids beyond ``key_rest`` (which it refuses when it reaches one)."""
        self._tables = (code_table, bit_table, key_trigrams, key_pairs, key_groups, key_rest, bits,
                        flag_any, flag_word_start, dash_code)
        cdef unsigned char b_alnum, b_abc, b_plain, b_letter, b_mask, b_sym, b_sep, b_newline
        b_alnum, b_abc, b_plain, b_letter, b_mask, b_sym, b_sep, b_newline = bits
        groups = np.ascontiguousarray(key_groups)
        if groups.dtype not in (np.uint16, np.uint32) or groups.ndim != 1:
            raise ValueError("key groups must be uint16 or uint32")
        if (code_table.shape[0] != 256 or bit_table.shape[0] != 256 or key_trigrams.shape[0] != 1 << 15
                or key_pairs.shape[0] != 1 << 10 or groups.shape[0] != 1 << 20
                or key_rest.shape[1] != 32 or key_rest.shape[2] != 32):
            raise ValueError("screen tables of the wrong size")
        cdef Py_ssize_t t, x
        for t in range(256):  # codes index key_rest's last two axes
            if code_table[t] >= 32:
                raise ValueError("screen codes must be below 32")
        self._n_groups = key_rest.shape[0]
        if int(groups.max()) >= self._n_groups:
            raise ValueError("key group out of range")
        self._group_array = groups
        cdef const unsigned char[:, :, ::1] rest = key_rest
        self._rest = &rest[0, 0, 0] if self._n_groups else NULL
        self._pairs = &key_pairs[0]
        cdef const unsigned short[::1] g16
        cdef const unsigned int[::1] g32
        self._groups16 = NULL
        self._groups32 = NULL
        if groups.dtype == np.uint16:
            g16 = groups
            self._groups16 = &g16[0]
        else:
            g32 = groups
            self._groups32 = &g32[0]
        self._b_alnum, self._b_abc, self._b_plain, self._b_mask, self._b_sep = b_alnum, b_abc, b_plain, b_mask, b_sep
        self._run_before = b_letter | b_sym | b_mask
        self._dash_start = b_letter | b_sym
        self._flag_any, self._flag_word_start, self._dash = flag_any, flag_word_start, <unsigned char> dash_code
        cdef unsigned char* cb
        for t in range(256):
            cb = <unsigned char*> &self._code_bits[t]
            x = 32 if t == 10 else t if t < 128 else 128
            cb[0], cb[1] = code_table[x], bit_table[x]
        cb = <unsigned char*> &self._nl_code_bits
        cb[0], cb[1] = code_table[10], bit_table[10]
        # line_bytes gives 0..127 (10 only between texts) and 128: the newline bit on exactly
        # the joining newline makes screen_positions' lines the texts.
        self._fast = (b_newline & bit_table[10]) != 0
        for t in range(129):
            if t != 10 and bit_table[t] & b_newline:
                self._fast = False
        # Which codes some character (of line_bytes' 0..128) with each bit can have.
        cdef unsigned char can_abc[32]
        cdef unsigned char can_dash_start[32]
        cdef unsigned char can_mask[32]
        cdef unsigned char can_sep[32]
        cdef unsigned char can_plain[32]
        for t in range(32):
            can_abc[t] = can_dash_start[t] = can_mask[t] = can_sep[t] = can_plain[t] = 0
        for t in range(129):
            can_abc[code_table[t]] |= (bit_table[t] & b_abc) != 0
            can_dash_start[code_table[t]] |= (bit_table[t] & (b_letter | b_sym)) != 0
            can_mask[code_table[t]] |= (bit_table[t] & b_mask) != 0
            can_sep[code_table[t]] |= (bit_table[t] & b_sep) != 0
            can_plain[code_table[t]] |= (bit_table[t] & b_plain) != 0
        # A signal at j needs: three equal codes (fuuuck) at a letter, two dashes after a letter,
        # leet digit or leet symbol (f---, $--t), a mask (f**k), a separator, a plain character
        # and the separator again (s h i), or a 4-gram with a group (key window).
        cdef unsigned int tri, a, b, dash = self._dash  # (as screen_positions: an unsigned char)
        for tri in range(1 << 15):
            t, a, b = tri >> 10, (tri >> 5) & 31, tri & 31
            self._possible[tri] = (key_trigrams[tri] != 0 or can_mask[t]
                                   or (can_abc[t] and t == a and a == b)
                                   or (can_dash_start[t] and a == dash and b == dash)
                                   or (can_sep[t] and can_plain[a] and b == t))

    def chars(self, list texts):
        """(text indices, character offset of each text's first screen signal), int64, as
        ``screen_positions(line_bytes(texts), len(texts), ...)`` gives them."""
        cdef Py_ssize_t n_texts = len(texts), total = 0, i
        cdef object t
        if not self._fast or n_texts == 0:
            return screen_positions(line_bytes(texts), n_texts, *self._tables)
        # The arrays first: from the lengths to the end of the copy no Python code runs (which
        # could change the list).
        starts_arr = np.empty(n_texts + 1, dtype=np.int64)  # position of each text's first byte
        lines_arr = np.empty(n_texts, dtype=np.int64)
        offsets_arr = np.empty(n_texts, dtype=np.int64)
        cdef long long[::1] starts = starts_arr
        cdef long long[::1] out_lines = lines_arr
        cdef long long[::1] out_offsets = offsets_arr
        for t in texts:
            if not isinstance(t, str):
                raise TypeError("texts must be str")
            PyUnicode_READY(t)
            total += len(<str> t)
        cdef Py_ssize_t n = total + n_texts - 1  # the joined bytes
        # Code and bits of each position (two bytes), from position -1 (index 0; it and
        # position 0 are boundaries: code 0, no bits), zeros after the last byte as far as
        # a signal reads.
        cdef Py_ssize_t size = n + 2 + 8
        codes_obj = PyBytes_FromStringAndSize(NULL, 2 * size)
        cdef uint16_t* W = <uint16_t*> PyBytes_AS_STRING(codes_obj)
        cdef Py_ssize_t pos = 2, k, length
        cdef int kind
        cdef void* data
        cdef const uint8_t* d1
        cdef const uint16_t* d2
        cdef const uint32_t* d4
        cdef unsigned int x
        cdef const uint16_t* code_bits = self._code_bits
        cdef uint16_t* Wt
        W[0] = W[1] = 0
        for i in range(n_texts):
            t = texts[i]
            if i:
                W[pos] = self._nl_code_bits
                pos += 1
            starts[i] = pos - 1  # as a position (byte index + 1)
            length = len(<str> t)
            kind = PyUnicode_KIND(t)
            data = PyUnicode_DATA(t)
            Wt = W + pos
            if kind == 1:
                d1 = <const uint8_t*> data
                for k in range(length):
                    Wt[k] = code_bits[d1[k]]
            elif kind == 2:
                d2 = <const uint16_t*> data
                for k in range(length):
                    Wt[k] = code_bits[d2[k] if d2[k] < 256 else 128]
            else:
                d4 = <const uint32_t*> data
                for k in range(length):
                    Wt[k] = code_bits[d4[k] if d4[k] < 256 else 128]
            pos += length
        starts[n_texts] = n + 2  # past every position (a line's end for the last text)
        for k in range(pos, size):
            W[k] = 0
        # From here C[2 * j], C[2 * j + 1] are position j's code and bits (B = C + 1).
        cdef const unsigned char* C = <const unsigned char*> (W + 1)
        cdef const unsigned char* B = C + 1
        cdef Py_ssize_t j = 0, count = 0, line = 0, prev
        cdef unsigned int pair, g, idx
        cdef unsigned char c, m1, m2, bj, b1, bp, flags
        cdef bint hit
        cdef const unsigned char* possible = self._possible
        cdef unsigned char b_alnum = self._b_alnum, b_abc = self._b_abc, b_plain = self._b_plain
        cdef unsigned char b_mask = self._b_mask, b_sep = self._b_sep, run_before = self._run_before
        cdef unsigned char dash_start = self._dash_start
        cdef unsigned char dash = self._dash, flag_any = self._flag_any, flag_ws = self._flag_word_start
        cdef unsigned int tri, four
        while j <= n:
            # Four positions per test while they are all before the end (reads past n + 3 are
            # padding): a bit for each, and on at the first possible one (FIRST_BIT); the last
            # three one at a time.
            if j + 3 <= n:
                tri = (<unsigned int> C[2 * j] << 5) | C[2 * j + 2]
                four = possible[(tri << 5) | C[2 * j + 4]]
                tri = ((tri << 5) | C[2 * j + 4]) & 0x3FF
                four |= possible[(tri << 5) | C[2 * j + 6]] << 1
                tri = ((tri << 5) | C[2 * j + 6]) & 0x3FF
                four |= possible[(tri << 5) | C[2 * j + 8]] << 2
                tri = ((tri << 5) | C[2 * j + 8]) & 0x3FF
                four |= possible[(tri << 5) | C[2 * j + 10]] << 3
                if four == 0:
                    j += 4
                    continue
                j += FIRST_BIT[four]
            elif not possible[(<unsigned int> C[2 * j] << 10) | (<unsigned int> C[2 * j + 2] << 5) | C[2 * j + 4]]:
                j += 1
                continue
            # screen_positions' test at j.
            c, m1, m2 = C[2 * j], C[2 * (j + 1)], C[2 * (j + 2)]
            bj, b1, bp = B[2 * j], B[2 * (j + 1)], B[2 * (j - 1)]
            hit = False
            if bj & b_abc and c == m1 and m1 == m2 and bp & run_before:
                hit = True
            if bj & dash_start and m1 == dash and m2 == dash:
                hit = True
            if bj & b_mask and (bp | b1) & b_plain:
                hit = True
            if bj & b_sep and b1 & b_plain and m2 == c and B[2 * (j + 3)] & b_plain and not (B[2 * (j + 4)] & b_alnum):
                hit = True
            pair = (<unsigned int> c << 5) | m1
            if not hit and self._pairs[pair]:
                idx = (pair << 10) | (<unsigned int> m2 << 5) | C[2 * (j + 3)]
                g = self._groups16[idx] if self._groups16 != NULL else self._groups32[idx]
                if g != 0:
                    flags = self._rest[(<Py_ssize_t> g << 10) | (<Py_ssize_t> C[2 * (j + 4)] << 5) | C[2 * (j + 5)]]
                    prev = j - 1 if j > 0 else 0
                    if flags & flag_any:
                        hit = True
                    elif flags & flag_ws and (not (B[2 * (prev)] & b_alnum) or C[2 * (prev)] == c):
                        hit = True
            if not hit:
                j += 1
                continue
            # The line: a text's newline (position starts[line + 1] - 1) is its first position
            # in screen_positions' count.
            while starts[line + 1] - 1 <= j:
                line += 1
            out_lines[count] = line
            out_offsets[count] = (j - 1) - (starts[line] - 1 if line else 0)
            count += 1
            j = starts[line + 1] - 1  # on at the next text's newline (later signals do not matter)
        return lines_arr[:count], offsets_arr[:count]
