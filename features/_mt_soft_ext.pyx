# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled form of ``features.mt_soft.symbol_ngrams`` when it reuses the feature pass's tokens.

Why: the numpy form makes ~40 passes (classes, marks, word spans, shapes, endings, a stable
sort of words and marks, pairs), each cheap, together ~10% of ``classify``. Here it is one
pass over the code points (classes, marks) and one over the tokens (words, shapes, and the
merge of words and marks in text order, pairs as they come), doing each rule exactly as the
numpy form writes it: the same integers and the same per-block counts (tests/test_ext_mtsoft.py).
Python semantics stay in Python: the class of each code point (``\\w``, flattened typography)
comes in as the numpy form's own table, and the rare word merged over an odd apostrophe is
looked up by the numpy form's own helper (``merged_row``).
"""
import numpy as np

cimport cython
from libc.stdint cimport int16_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef int64_t _ZERO = 48  # "0"
cdef int64_t _NINE = 57  # "9"
cdef Py_ssize_t _BITS_COMBINATIONS = 128  # a word's seven yes/no shape facts (mt_soft._shape_tables)


cdef inline bint _digit(uint32_t c) noexcept nogil:
    return _ZERO <= c <= _NINE


cdef struct Out:
    # The n-grams so far: symbols and their blocks, pairs and theirs, and the last symbol.
    int64_t* ids
    int64_t* blk
    int64_t* pair
    int64_t* pblk
    Py_ssize_t n_out
    Py_ssize_t n_pair
    int64_t prev_id
    int64_t prev_blk


cdef Py_ssize_t _max_class(const uint8_t[::1] cls):
    cdef Py_ssize_t i, top = 0
    for i in range(cls.shape[0]):
        if cls[i] > top:
            top = cls[i]
    return top


@cython.final
cdef class SymbolTables:
    """The numpy form's tables and constants (features/mt_soft.py), held as typed views."""

    cdef const uint8_t[::1] cls
    cdef const int64_t[::1] mark_symbol
    cdef const uint64_t[::1] freq_keys
    cdef const int64_t[::1] freq_rows
    cdef uint64_t freq_mult, freq_mult2
    cdef int freq_shift
    cdef const int16_t[::1] suffix_table
    cdef const int64_t[::1] letter_of
    cdef const int64_t[::1] shape_of_bits
    cdef const uint8_t[::1] candidate_bits
    cdef const uint8_t[::1] ends_sentence
    cdef const uint8_t[::1] is_mark
    cdef int64_t word, apos, full_stop, comma, apostrophe, right_quote, dollar
    cdef int64_t long_word, suffix_min, span, letters, ascii, v

    def __init__(self, cls, mark_symbol, freq_keys, freq_rows, uint64_t freq_mult, uint64_t freq_mult2,
                 int freq_shift,
                 bint has_freq, suffix_table, letter_of, shape_of_bits, candidate_bits, ends_sentence,
                 is_mark, int64_t word, int64_t apos, int64_t full_stop, int64_t comma,
                 int64_t apostrophe, int64_t right_quote, int64_t dollar, int64_t long_word,
                 int64_t suffix_min, int64_t span, int64_t letters, int64_t ascii, int64_t v):
        self.cls = cls
        self.mark_symbol = mark_symbol
        self.freq_keys = freq_keys
        self.freq_rows = freq_rows
        self.freq_mult, self.freq_mult2 = freq_mult, freq_mult2
        self.freq_shift = freq_shift
        self.suffix_table = suffix_table
        self.letter_of = letter_of
        self.shape_of_bits = shape_of_bits
        self.candidate_bits = candidate_bits
        self.ends_sentence = ends_sentence
        self.is_mark = is_mark
        self.word, self.apos, self.full_stop, self.comma = word, apos, full_stop, comma
        self.apostrophe, self.right_quote, self.dollar = apostrophe, right_quote, dollar
        self.long_word, self.suffix_min, self.span = long_word, suffix_min, span
        self.letters, self.ascii, self.v = letters, ascii, v
        if not has_freq:  # every probe lands on slot 0, whose row is 0
            self.freq_mult, self.freq_mult2, self.freq_shift = 0, 0, 0
        # The loops read these tables unchecked: their sizes are checked once, here.
        if (self.freq_keys.shape[0] != self.freq_rows.shape[0] or self.freq_keys.shape[0] < 1
                or has_freq and not (0 < self.freq_shift < 64
                                     and <uint64_t> self.freq_keys.shape[0] >= (<uint64_t> 1) << (64 - self.freq_shift))
                or self.suffix_table.shape[0] != letters ** span or self.letter_of.shape[0] != ascii
                or self.shape_of_bits.shape[0] != _BITS_COMBINATIONS
                or self.candidate_bits.shape[0] != _BITS_COMBINATIONS
                or self.ends_sentence.shape[0] != v or self.is_mark.shape[0] != v
                or self.mark_symbol.shape[0] <= _max_class(self.cls)):
            raise ValueError("symbol tables of unexpected sizes")
        if (np.asarray(letter_of).max(initial=0) >= letters or np.asarray(letter_of).min(initial=0) < 0
                or max(np.asarray(t).max(initial=0) for t in (shape_of_bits, suffix_table, mark_symbol)) >= v
                or np.asarray(freq_rows).max(initial=0) > v):
            raise ValueError("symbol tables hold values out of range")

    cdef inline uint8_t cls_of(self, uint32_t c) noexcept nogil:
        """Class of a code point (0, "other", past the table: the caller raises for those)."""
        return self.cls[c] if c < <uint32_t> self.cls.shape[0] else 0

    def ngrams(self, const uint32_t[::1] cp, const uint32_t[::1] cpl, const int64_t[::1] tok_start,
               const int64_t[::1] tok_end, const uint8_t[::1] tok_newline, const uint64_t[::1] tok_hash,
               const int64_t[::1] tok_fw, const int64_t[::1] block_start, merged_row):
        """(ids, block, pair, pair_block, words, function_words) of ``symbol_ngrams``'s token-reuse
        path: ``cp``/``cpl`` the joined text's code points and lower-cased ones, the tokens
        (``tok_fw``: 1 + function-word index of each token), each block's first code point.
        ``merged_row(start, end)``: function-word row of a word merged over an odd apostrophe."""
        cdef Py_ssize_t n_cp = cpl.shape[0]
        cdef Py_ssize_t n_tok = tok_start.shape[0]
        cdef Py_ssize_t n = block_start.shape[0]
        if cp.shape[0] != n_cp:
            raise ValueError("cp and cpl differ in length")
        if (tok_end.shape[0] != n_tok or tok_newline.shape[0] != n_tok or tok_hash.shape[0] != n_tok
                or tok_fw.shape[0] != n_tok):
            raise ValueError("token arrays differ in length")
        if n == 0:
            raise ValueError("no blocks")
        cdef Py_ssize_t p, t, k, n_marks = 0, n_apos = 0, mi = 0, ai = 0, bi = 0
        cdef uint32_t c, cb, ca
        cdef uint8_t kc, kb, ka
        cdef bint in_number, in_word, edge, repeat
        cdef int64_t* mark_pos = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
        cdef int64_t* mark_sym = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
        cdef int64_t* apos_pos = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
        cdef uint32_t table_size = <uint32_t> self.cls.shape[0]
        # Raw pointers in the loops: the compiler keeps them in registers.
        cdef const uint8_t* cls = &self.cls[0]
        cdef const uint32_t* low = &cpl[0] if n_cp else NULL
        cdef const uint32_t* orig = &cp[0] if n_cp else NULL
        cdef uint8_t apos = <uint8_t> self.apos
        words_arr = np.zeros(n, dtype=np.int64)
        fwc_arr = np.zeros(n, dtype=np.float64)
        cdef int64_t[::1] words = words_arr
        cdef double[::1] fwc = fwc_arr
        cdef int64_t[::1] ids, blk, pair, pblk
        cdef Out out
        cdef Py_ssize_t cap
        cdef int64_t b = 0, last_word_blk = -1
        cdef int64_t s = 0, e = 0, wlen, fw, freq, kept, shape, code, nxt
        cdef int64_t ps = 0, pe = 0, pb = 0, pfw = 0
        cdef uint64_t ph = 0, slot, slot2
        cdef bint pending = False, merged = False, has_apos, first
        cdef unsigned int bits
        cdef uint32_t c0
        cdef const int64_t* starts
        cdef const int64_t* ends
        cdef const uint8_t* newline
        cdef const int64_t* fws
        cdef const uint64_t* hashes
        cdef const int64_t* bstart
        cdef int64_t* n_words
        cdef double* n_fw
        if mark_pos == NULL or mark_sym == NULL or apos_pos == NULL:
            free(mark_pos)
            free(mark_sym)
            free(apos_pos)
            raise MemoryError()
        try:
            # Pass 1, code points: apostrophe-class positions, and the marks kept as symbols (not
            # the "." / "," inside a number, not an apostrophe inside a word, one per run).
            for p in range(n_cp):
                c = low[p]
                if c >= table_size:
                    raise ValueError(f"code point {c:#x} out of range")
                kc = cls[c]
                if kc < apos:
                    continue
                if kc == apos:
                    apos_pos[n_apos] = p
                    n_apos += 1
                cb = low[p - 1 if p > 0 else 0]
                ca = low[p + 1 if p < n_cp - 1 else n_cp - 1]
                kb = self.cls_of(cb)
                ka = self.cls_of(ca)
                edge = p == 0 or p == n_cp - 1
                in_number = (kc == self.full_stop or kc == self.comma) and _digit(cb) and _digit(ca)
                in_word = kc == apos and kb == self.word and ka == self.word
                repeat = p > 0 and kb == kc
                if ((in_number or in_word) and not edge) or repeat:
                    continue
                mark_pos[n_marks] = p
                mark_sym[n_marks] = self.mark_symbol[kc]
                n_marks += 1
            mark_pos[n_marks] = n_cp + 1  # sentinel past every word
            # Outputs: at most one symbol per token and per mark (at least one slot, for a pointer).
            cap = max(n_tok + n_marks, 1)
            ids_arr, blk_arr = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64)
            pair_arr, pblk_arr = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64)
            ids, blk, pair, pblk = ids_arr, blk_arr, pair_arr, pblk_arr
            out.ids, out.blk, out.pair, out.pblk = &ids[0], &blk[0], &pair[0], &pblk[0]
            out.n_out = out.n_pair = 0
            out.prev_id = out.prev_blk = 0
            starts = &tok_start[0] if n_tok else NULL
            ends = &tok_end[0] if n_tok else NULL
            newline = &tok_newline[0] if n_tok else NULL
            fws = &tok_fw[0] if n_tok else NULL
            hashes = &tok_hash[0] if n_tok else NULL
            bstart = &block_start[0]
            n_words = &words[0]
            n_fw = &fwc[0]
            # Pass 2, tokens: words (merged over odd apostrophes), each emitted after the marks
            # before it, with the pairs as they come.
            for t in range(n_tok + 1):
                if t < n_tok:
                    if newline[t]:
                        b += 1
                        continue
                    s = starts[t]
                    e = ends[t]
                    if not (0 <= s < e <= n_cp):
                        raise ValueError("token outside the text")
                    if low[s] == self.dollar:
                        continue
                    # A word continues the pending one over an odd apostrophe ("it`s", "5′11"):
                    # an apostrophe-class mark other than ' and U+2019, between word characters.
                    if pending and pe == s - 1 and self._odd_join(low, pe, n_cp):
                        pe = e
                        merged = True
                        continue
                if pending:
                    # Marks before the word, then the word.
                    while mark_pos[mi] < ps:
                        while bi + 1 < n and bstart[bi + 1] <= mark_pos[mi]:
                            bi += 1
                        self._emit(&out, mark_sym[mi], bi)
                        mi += 1
                    if merged:
                        fw = merged_row(ps, pe)
                        if not 0 <= fw <= self.v:
                            raise ValueError(f"function-word row {fw} out of range")
                        freq = 0
                    else:
                        fw = pfw
                        if not 0 <= fw <= self.v:
                            raise ValueError(f"function-word row {fw} out of range")
                        # Two-choice table (small: in the L1 cache), probed for every word and
                        # kept for the words that are no function word (no branch to mispredict).
                        slot = (ph * self.freq_mult) >> self.freq_shift
                        slot2 = (ph * self.freq_mult2) >> self.freq_shift
                        freq = (self.freq_rows[slot] if self.freq_keys[slot] == ph else
                                self.freq_rows[slot2] if self.freq_keys[slot2] == ph else 0) * (fw == 0)
                    wlen = pe - ps
                    while ai < n_apos and apos_pos[ai] < ps:
                        ai += 1
                    has_apos = ai < n_apos and apos_pos[ai] < pe
                    first = pb != last_word_blk
                    last_word_blk = pb
                    c0 = low[ps]
                    bits = ((wlen > self.long_word) | (has_apos << 1) | ((orig[ps] != c0) << 2) | (first << 3)
                            | ((wlen >= 2 and orig[ps + 1] != low[ps + 1]) << 4) | (_digit(c0) << 5)
                            | ((wlen >= self.suffix_min) << 6))
                    shape = self.shape_of_bits[bits]
                    kept = fw + freq
                    if kept == 0 and self.candidate_bits[bits]:
                        code = 0
                        for k in range(self.span, 0, -1):
                            c = low[pe - k]
                            code = code * self.letters + self.letter_of[c if c < self.ascii - 1 else self.ascii - 1]
                        nxt = self.suffix_table[code]
                        if nxt >= 0:
                            shape = nxt
                    self._emit(&out, kept - 1 if kept > 0 else shape, pb)
                    n_words[pb] += 1
                    n_fw[pb] += 1.0 if fw > 0 else 0.0
                    pending = False
                if t < n_tok:
                    ps, pe, pb, pfw, ph = s, e, b, fws[t], hashes[t]
                    pending = True
                    merged = False
            # The marks after the last word.
            while mi < n_marks:
                while bi + 1 < n and bstart[bi + 1] <= mark_pos[mi]:
                    bi += 1
                self._emit(&out, mark_sym[mi], bi)
                mi += 1
        finally:
            free(mark_pos)
            free(mark_sym)
            free(apos_pos)
        if last_word_blk < 0:  # no word: np.bincount of nothing is integer, weights or not
            fwc_arr = np.zeros(n, dtype=np.intp)
        return (ids_arr[:out.n_out], blk_arr[:out.n_out], pair_arr[:out.n_pair], pblk_arr[:out.n_pair],
                words_arr, fwc_arr)

    cdef inline void _emit(self, Out* out, int64_t sym, int64_t b) noexcept nogil:
        """Append symbol ``sym`` of block ``b``, and its pair with the symbol before it when both
        are in one block and do not straddle a sentence end (a "." / "?" / "!" then a word)."""
        if (out.n_out and b == out.prev_blk
                and not (self.ends_sentence[out.prev_id] and not self.is_mark[sym])):
            out.pair[out.n_pair] = out.prev_id * self.v + sym
            out.pblk[out.n_pair] = out.prev_blk
            out.n_pair += 1
        out.ids[out.n_out] = sym
        out.blk[out.n_out] = b
        out.n_out += 1
        out.prev_id = sym
        out.prev_blk = b

    cdef inline bint _odd_join(self, const uint32_t* cpl, int64_t j, Py_ssize_t n_cp) noexcept nogil:
        """Position ``j`` holds an apostrophe-class mark other than ' and U+2019, inside the
        text, with word characters on both sides (the numpy form's ``odd``)."""
        if not (0 < j < n_cp - 1):
            return False
        if self.cls_of(cpl[j]) != self.apos or cpl[j] == self.apostrophe or cpl[j] == self.right_quote:
            return False
        return self.cls_of(cpl[j - 1]) == self.word and self.cls_of(cpl[j + 1]) == self.word


def gather_bincount(const int64_t[::1] block, const int64_t[::1] index, const double[::1] weights, Py_ssize_t n):
    """``np.bincount(block, weights=weights[index], minlength=n)`` without the gathered array:
    the same float64 additions in the same order (bincount adds in input order), so the same
    bits; for blocks below ``n`` only (``symbol_ngrams``'s blocks are)."""
    cdef Py_ssize_t m = block.shape[0], i
    cdef Py_ssize_t n_w = weights.shape[0]
    cdef int64_t b, j
    if index.shape[0] != m:
        raise ValueError("block and index differ in length")
    if m == 0:  # np.bincount of nothing is integer, weights or not
        return np.zeros(n, dtype=np.intp)
    out_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] out = out_arr
    for i in range(m):
        b = block[i]
        j = index[i]
        if not (0 <= b < n and 0 <= j < n_w):
            raise ValueError("block or index out of range")
        out[b] += weights[j]
    return out_arr
