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

Session 20 (tests/test_ext_sym.py): about a tenth less time, from keeping the loops' state and
tables in registers (with CPython's -fno-strict-aliasing, every store to an output array made
the compiler load ``self``'s fields and the output counts again), reading word endings from a
22 KB two-level table instead of the 1 MB ``_SUFFIX_TABLE`` (a cache miss per word it
classed), and choosing instead of branching where the outcome is data (frequent-word probe,
the pair rule); ``gather_bincount_counts`` halves ``block_logits``. Tried and dropped, as no
faster: the ending table as a four-step automaton (2 KB, but a chain of dependent loads),
reading the ending of every word to save the branch, and collecting the marks of pass 1
without a branch.

Session 21 (tests/test_ext_mt2.py): ``ngram_sums``, the loop compiled a second time (a fused
type picks the sink) to sum each block's weights as it finds the n-grams, for ``soft_scores``:
no n-gram arrays written and read back by ``block_logits``. Adding each weight as its n-gram
came was no faster (every cache miss on the 2.7 MB pair table stalled the long loop); the
weights wait in small buffers and are summed in a short loop, as ``gather_bincount`` does.
Pass 1 tests 16 code points at a time where SSE2 is there, skipping bytes in ranges of no
mark's class (as features/_mt_ext.pyx's start scan; 97% of news text). Cachegrind over 8 bench
batches (instructions + 10 per L1 miss + 80 per last-level miss + 15 per mispredicted branch):
~149M for ``ngrams`` and ``gather_bincount_counts``, ~140M for ``ngram_sums``, ~112M with the
16-wide pass 1.

Session 22 (tests/test_ext_soft.py): pass 2 emits each word as it reads it and looks ahead for
the rare merge over an odd apostrophe, where it deferred every word by a token (which kept a
second copy of the word's state live across the loop); the flush sums both buffers in one
loop; ``ngram_sums``'s pair rule reads no n-gram count. Cachegrind over 6 bench batches:
``ngram_sums`` 59.4M -> 51.8M instructions (the same mispredictions). Tried and dropped, as no
faster: the pair weights as a uint16 index into their ~11k distinct values (683 KB instead of
2.7 MB), prefetching the original code points a few tokens ahead, reading every word's ending
(branch-free), the frequent-word choice by products, and the weight buffers outside the
struct with the flush inlined.
"""
import numpy as np

from features.skip16 import skip_ranges

cimport cython
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef int64_t _ZERO = 48  # "0"
cdef int64_t _NINE = 57  # "9"
cdef Py_ssize_t _BITS_COMBINATIONS = 128  # a word's seven yes/no shape facts (mt_soft._shape_tables)
_NO_WEIGHTS = np.zeros(0, dtype=np.float64)  # ``ngrams``'s (unread) weights


cdef inline bint _digit(uint32_t c) noexcept nogil:
    return _ZERO <= c <= _NINE


include "_skip16.pxi"


# Code points whose runs of non-mark classes pass 1 skips 16 at a time (the commonest in the
# lower-cased news text: spaces and newlines, letters, digits); see features/skip16.py.
SKIP_ANCHORS = " e0"
MAX_SKIP_RANGES = SKIP_RANGES


cdef struct Arrays:
    # The n-grams so far (``ngrams``): symbols and their blocks, pairs and theirs, and the last
    # symbol; with the two tables the pair rule reads. Passed and returned by value (``_emit``),
    # so that after inlining the compiler keeps the counts in registers: through a pointer,
    # every store to an output array would make it load them again.
    int64_t* ids
    int64_t* blk
    int64_t* pair
    int64_t* pblk
    Py_ssize_t n_out
    Py_ssize_t n_pair
    int64_t prev_id
    int64_t prev_blk
    const uint8_t* ends_sentence
    const uint8_t* is_mark
    int64_t v


cdef extern from *:
    """
    /* The Sums sink of _run, in C so that its _emit can be forced inline: left to itself the
       compiler called it out of line (the whole struct copied in and out for every n-gram,
       twice the time of the n-grams themselves). */
    #if defined(_MSC_VER)
    #define MTSOFT_INLINE static __forceinline
    #elif defined(__GNUC__)
    #define MTSOFT_INLINE static inline __attribute__((always_inline))
    #else
    #define MTSOFT_INLINE static CYTHON_INLINE
    #endif
    /* Symbols and kept pairs wait in these buffers (L1-sized) and are summed in a short loop
       when they fill up or the block ends: the weights' loads (the pair table is 2.7 MB) then
       overlap, where adding each as it came made the loop wait for every cache miss. */
    #define MTSOFT_BUFFER 256
    typedef struct {
        const double* uni_w;
        const double* pair_w;
        double* uni_sum;
        double* pair_sum;
        int64_t* n_grams;
        int64_t cur;
        double acc_uni;
        double acc_pair;
        int64_t run;
        int32_t uni_buf[MTSOFT_BUFFER];
        int32_t pair_buf[MTSOFT_BUFFER];
        int n_uni;
        int n_pair_buf;
        Py_ssize_t n_out;
        int64_t prev_id;
        int64_t prev_blk;
        const uint8_t* ends_sentence;
        const uint8_t* is_mark;
        int64_t v;
    } mtsoft_sums;

    /* The buffered weights added to the block's sums, in the order they came; the two sums in
       one loop, so that their chains of dependent additions overlap (pairs never outnumber
       symbols). */
    static void mtsoft_flush(mtsoft_sums* s) {
        double acc_uni = s->acc_uni, acc_pair = s->acc_pair;
        int i;
        for (i = 0; i < s->n_pair_buf; i++) {
            acc_uni += s->uni_w[s->uni_buf[i]];
            acc_pair += s->pair_w[s->pair_buf[i]];
        }
        for (; i < s->n_uni; i++)
            acc_uni += s->uni_w[s->uni_buf[i]];
        s->acc_uni = acc_uni;
        s->acc_pair = acc_pair;
        s->run += s->n_uni + s->n_pair_buf;
        s->n_uni = s->n_pair_buf = 0;
    }

    /* The current block's sums and count stored, on with block b (a block met again, which
       symbol_ngrams's ascending blocks never are, would go on from its stored sums). */
    static void mtsoft_next_block(mtsoft_sums* s, int64_t b) {
        mtsoft_flush(s);
        s->uni_sum[s->cur] = s->acc_uni;
        s->pair_sum[s->cur] = s->acc_pair;
        s->n_grams[s->cur] += s->run;
        s->cur = b;
        s->acc_uni = s->uni_sum[b];
        s->acc_pair = s->pair_sum[b];
        s->run = 0;
    }

    /* _emit's rule for symbol sym of block b and its pair, their weights to be added in order
       (as np.bincount(block, weights=w[index]) adds them); codes below 2**31 (the caller's
       tables: V * V). */
    MTSOFT_INLINE void mtsoft_emit_sum(mtsoft_sums* s, int64_t sym, int64_t b) {
        int64_t code = s->prev_id * s->v + sym;
        int keep = (b == s->prev_blk)  /* (-1 before the first symbol: no pair) */
                   & ((s->ends_sentence[s->prev_id] == 0) | (s->is_mark[sym] != 0));
        if (b != s->cur)
            mtsoft_next_block(s, b);
        s->pair_buf[s->n_pair_buf] = (int32_t) code;  /* kept or overwritten: no branch */
        s->n_pair_buf += keep;
        s->uni_buf[s->n_uni++] = (int32_t) sym;
        if (s->n_uni == MTSOFT_BUFFER)  /* (pairs never outnumber symbols) */
            mtsoft_flush(s);
        s->prev_id = sym;
        s->prev_blk = b;
    }
    """
    ctypedef struct Sums "mtsoft_sums":
        # The same n-grams' weights summed per block (``ngram_sums``), as
        # ``SoftModel.block_logits`` sums them: the current block's held until the block ends.
        const double* uni_w
        const double* pair_w
        double* uni_sum
        double* pair_sum
        int64_t* n_grams
        int64_t cur
        double acc_uni
        double acc_pair
        int64_t run
        int n_uni
        int n_pair_buf
        Py_ssize_t n_out
        int64_t prev_id
        int64_t prev_blk
        const uint8_t* ends_sentence
        const uint8_t* is_mark
        int64_t v
    void _emit_sum "mtsoft_emit_sum"(Sums* s, int64_t sym, int64_t b) noexcept nogil
    void _flush_sums "mtsoft_next_block"(Sums* s, int64_t b) noexcept nogil


# One loop for both (``_run``), compiled once for each: a struct with the fields of both was
# too large for the compiler to keep in registers (the n-grams took 1.8 times as long).
ctypedef fused Sink:
    Arrays
    Sums


cdef inline Arrays _emit(Arrays out, int64_t sym, int64_t b) noexcept nogil:
    """Append symbol ``sym`` of block ``b``, and its pair with the symbol before it when both
    are in one block and do not straddle a sentence end (a "." / "?" / "!" then a word)."""
    # The pair is written always and kept (counted) or not: no branch to mispredict. There is
    # room: pairs lag symbols, and every array holds as many as there can be symbols.
    out.pair[out.n_pair] = out.prev_id * out.v + sym
    out.pblk[out.n_pair] = out.prev_blk
    out.n_pair += ((out.n_out > 0) & (b == out.prev_blk)
                   & ((out.ends_sentence[out.prev_id] == 0) | (out.is_mark[sym] != 0)))
    out.ids[out.n_out] = sym
    out.blk[out.n_out] = b
    out.n_out += 1
    out.prev_id = sym
    out.prev_blk = b
    return out


cdef inline uint8_t _cls_of(const uint8_t* cls, uint32_t size, uint32_t c) noexcept nogil:
    """Class of a code point (0, "other", past the table: the caller raises for those)."""
    return cls[c] if c < size else 0


cdef Py_ssize_t _max_class(const uint8_t[::1] cls):
    """The largest class in the table, 0 for an empty one (numpy's max: the loop it replaces
    took ~13M instructions of every process's start-up over the 1.1M code points)."""
    return int(np.asarray(cls).max(initial=0))


@cython.final
cdef class SymbolTables:
    """The numpy form's tables and constants (features/mt_soft.py), held as typed views."""

    cdef const uint8_t[::1] cls
    cdef const int64_t[::1] mark_symbol
    cdef const uint64_t[::1] freq_keys
    cdef const int64_t[::1] freq_rows
    cdef uint64_t freq_mult, freq_mult2
    cdef int freq_shift
    cdef const int32_t[::1] suffix_first
    cdef const int16_t[::1] suffix_rest
    cdef const int64_t[::1] letter_of
    cdef const int64_t[::1] shape_of_bits
    cdef const uint8_t[::1] candidate_bits
    cdef const uint8_t[::1] ends_sentence
    cdef const uint8_t[::1] is_mark
    cdef int64_t word, apos, full_stop, comma, apostrophe, right_quote, dollar
    cdef int64_t long_word, suffix_min, span, span_last, letters, ascii, v
    # Pass 1's skip test (``_mask16``): its ranges, and whether it is used.
    cdef unsigned char skip_pattern[SKIP_RANGES * 2 * SKIP_WIDTH]
    cdef bint wide

    def __init__(self, cls, mark_symbol, freq_keys, freq_rows, uint64_t freq_mult, uint64_t freq_mult2,
                 int freq_shift,
                 bint has_freq, suffix_first, suffix_rest, letter_of, shape_of_bits, candidate_bits, ends_sentence,
                 is_mark, int64_t word, int64_t apos, int64_t full_stop, int64_t comma,
                 int64_t apostrophe, int64_t right_quote, int64_t dollar, int64_t long_word,
                 int64_t suffix_min, int64_t span, int64_t span_last, int64_t letters, int64_t ascii, int64_t v):
        """``suffix_first``/``suffix_rest``: ``_SUFFIX_TABLE`` in two levels (mt_soft._suffix_levels):
        its entry for a word whose last ``span`` letters read ``head`` then ``tail`` (``span_last``
        letters, as base-``letters`` numbers) is ``suffix_rest[suffix_first[tail] + head]``."""
        self.cls = cls
        self.mark_symbol = mark_symbol
        self.freq_keys = freq_keys
        self.freq_rows = freq_rows
        self.freq_mult, self.freq_mult2 = freq_mult, freq_mult2
        self.freq_shift = freq_shift
        self.suffix_first = suffix_first
        self.suffix_rest = suffix_rest
        self.letter_of = letter_of
        self.shape_of_bits = shape_of_bits
        self.candidate_bits = candidate_bits
        self.ends_sentence = ends_sentence
        self.is_mark = is_mark
        self.word, self.apos, self.full_stop, self.comma = word, apos, full_stop, comma
        self.apostrophe, self.right_quote, self.dollar = apostrophe, right_quote, dollar
        self.long_word, self.suffix_min, self.span, self.span_last = long_word, suffix_min, span, span_last
        self.letters, self.ascii, self.v = letters, ascii, v
        if not has_freq:  # every probe lands on slot 0, whose row is 0
            self.freq_mult, self.freq_mult2, self.freq_shift = 0, 0, 0
        # The loops read these tables unchecked: their sizes are checked once, here.
        if (self.freq_keys.shape[0] != self.freq_rows.shape[0] or self.freq_keys.shape[0] < 1
                or has_freq and not (0 < self.freq_shift < 64
                                     and <uint64_t> self.freq_keys.shape[0] >= (<uint64_t> 1) << (64 - self.freq_shift))
                or not 0 <= span_last <= span
                or self.suffix_first.shape[0] != letters ** span_last
                or self.suffix_rest.shape[0] < letters ** (span - span_last)
                or self.letter_of.shape[0] != ascii
                or self.shape_of_bits.shape[0] != _BITS_COMBINATIONS
                or self.candidate_bits.shape[0] != _BITS_COMBINATIONS
                or self.ends_sentence.shape[0] != v or self.is_mark.shape[0] != v
                or self.mark_symbol.shape[0] <= _max_class(self.cls)):
            raise ValueError("symbol tables of unexpected sizes")
        if (np.asarray(letter_of).max(initial=0) >= letters or np.asarray(letter_of).min(initial=0) < 0
                or np.asarray(suffix_first).max(initial=0) > self.suffix_rest.shape[0] - letters ** (span - span_last)
                or np.asarray(suffix_first).min(initial=0) < 0
                or max(np.asarray(t).max(initial=0) for t in (shape_of_bits, suffix_rest, mark_symbol)) >= v
                or np.asarray(freq_rows).max(initial=0) > v):
            raise ValueError("symbol tables hold values out of range")
        # Skipped code points: below the table's end and of a class below ``apos`` (no mark).
        table = np.asarray(self.cls)
        quiet = [c < table.shape[0] and table[c] < apos for c in range(256)]
        ranges = skip_ranges(quiet, SKIP_ANCHORS, SKIP_RANGES)
        self.wide = _fill_skip_pattern(self.skip_pattern, ranges)

    def ngrams(self, const uint32_t[::1] cp, const uint32_t[::1] cpl, const int64_t[::1] tok_start,
               const int64_t[::1] tok_end, const uint8_t[::1] tok_newline, const uint64_t[::1] tok_hash,
               const int64_t[::1] tok_fw, const int64_t[::1] block_start, merged_row):
        """(ids, block, pair, pair_block, words, function_words) of ``symbol_ngrams``'s token-reuse
        path: ``cp``/``cpl`` the joined text's code points and lower-cased ones, the tokens
        (``tok_fw``: 1 + function-word index of each token), each block's first code point.
        ``merged_row(start, end)``: function-word row of a word merged over an odd apostrophe."""
        cdef Arrays out
        cdef const double[::1] no_weights = _NO_WEIGHTS
        return _run(self, cp, cpl, tok_start, tok_end, tok_newline, tok_hash, tok_fw, block_start, merged_row,
                    no_weights, no_weights, out)

    def ngram_sums(self, const uint32_t[::1] cp, const uint32_t[::1] cpl, const int64_t[::1] tok_start,
                   const int64_t[::1] tok_end, const uint8_t[::1] tok_newline, const uint64_t[::1] tok_hash,
                   const int64_t[::1] tok_fw, const int64_t[::1] block_start, merged_row,
                   const double[::1] uni_w, const double[::1] pair_w):
        """(unigram sums, pair sums, n-gram counts, words, function_words) per block: ``ngrams``'s
        arguments, and of its n-grams ``np.bincount(block, weights=uni_w[ids])``,
        ``np.bincount(pair_block, weights=pair_w[pair])`` (float64, the same additions in the same
        order) and the unigrams + pairs of each block (int64), without the n-gram arrays.

        Why: ``soft_scores`` only wants those sums (``SoftModel.block_logits``); storing the
        n-grams and reading them back in a second pass cost about a fifth of the two."""
        if uni_w.shape[0] != self.v or pair_w.shape[0] != self.v * self.v:
            raise ValueError("weights of unexpected sizes")
        if self.v * self.v >= 2 ** 31:  # the kernel buffers pair codes as int32
            raise ValueError("too many symbols")
        cdef Sums out
        return _run(self, cp, cpl, tok_start, tok_end, tok_newline, tok_hash, tok_fw, block_start, merged_row,
                    uni_w, pair_w, out)



cdef tuple _run(SymbolTables self, const uint32_t[::1] cp, const uint32_t[::1] cpl, const int64_t[::1] tok_start,
                const int64_t[::1] tok_end, const uint8_t[::1] tok_newline, const uint64_t[::1] tok_hash,
                const int64_t[::1] tok_fw, const int64_t[::1] block_start, merged_row,
                const double[::1] uni_w, const double[::1] pair_w, Sink out):
    """``SymbolTables.ngrams`` (``out`` Arrays) or ``ngram_sums`` (Sums; weights checked by the
    caller): ``out`` only picks which, its fields are set here."""
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
    cdef Py_ssize_t p, t, k, n_marks = 0, n_apos = 0, n_odd = 0, mi = 0, ai = 0, oi = 0, bi = 0
    cdef uint32_t c, cb, ca
    cdef uint8_t kc, kb, ka
    cdef bint in_number, in_word, edge, repeat
    cdef Cursor scan
    cdef int64_t* mark_pos = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
    cdef int64_t* mark_sym = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
    cdef int64_t* apos_pos = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
    cdef int64_t* odd_pos = <int64_t*> malloc((n_cp + 1) * sizeof(int64_t))
    # Raw pointers and local copies of the tables and constants: the compiler keeps them in
    # registers (the fields of ``self`` it would load again after every store).
    cdef uint32_t table_size = <uint32_t> self.cls.shape[0]
    cdef const uint8_t* cls = &self.cls[0]
    cdef const int64_t* mark_symbol = &self.mark_symbol[0]
    cdef const uint64_t* freq_keys = &self.freq_keys[0]
    cdef const int64_t* freq_rows = &self.freq_rows[0]
    cdef uint64_t freq_mult = self.freq_mult, freq_mult2 = self.freq_mult2
    cdef int freq_shift = self.freq_shift
    cdef const int32_t* suffix_first = &self.suffix_first[0]
    cdef const int16_t* suffix_rest = &self.suffix_rest[0]
    cdef const int64_t* letter_of = &self.letter_of[0]
    cdef const int64_t* shape_of_bits = &self.shape_of_bits[0]
    cdef const uint8_t* candidate_bits = &self.candidate_bits[0]
    cdef uint8_t apos = <uint8_t> self.apos, word = <uint8_t> self.word
    cdef uint8_t full_stop = <uint8_t> self.full_stop, comma = <uint8_t> self.comma
    cdef int64_t apostrophe = self.apostrophe, right_quote = self.right_quote, dollar = self.dollar
    cdef int64_t long_word = self.long_word, suffix_min = self.suffix_min, span = self.span
    cdef int64_t span_last = self.span_last
    cdef int64_t letters = self.letters, v = self.v
    cdef uint32_t last_ascii = <uint32_t> (self.ascii - 1)
    cdef const uint32_t* low = &cpl[0] if n_cp else NULL
    cdef const uint32_t* orig = &cp[0] if n_cp else NULL
    words_arr = np.zeros(n, dtype=np.int64)
    fwi_arr = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] words = words_arr
    cdef int64_t[::1] fwi = fwi_arr
    cdef int64_t[::1] ids, blk, pair, pblk
    cdef double[::1] uni_view, pair_sum_view
    cdef int64_t[::1] grams_view
    cdef Py_ssize_t cap
    cdef int64_t b = 0, last_word_blk = -1, blk_words = 0, blk_fw = 0
    cdef int64_t s = 0, e = 0, wlen, fw, freq, kept, shape, nxt, head, tail, row1, row2, second
    cdef int64_t ps = 0, pe = 0, tok_fw_t = 0
    cdef uint64_t ph = 0, slot, slot2
    cdef bint merged = False, has_apos, first, hit1, hit2
    cdef unsigned int bits
    cdef uint32_t c0
    cdef const int64_t* starts
    cdef const int64_t* ends
    cdef const uint8_t* newline
    cdef const int64_t* fws
    cdef const uint64_t* hashes
    cdef const int64_t* bstart
    cdef int64_t* n_words
    cdef int64_t* n_fw
    if mark_pos == NULL or mark_sym == NULL or apos_pos == NULL or odd_pos == NULL:
        free(mark_pos)
        free(mark_sym)
        free(apos_pos)
        free(odd_pos)
        raise MemoryError()
    try:
        # Pass 1, code points: apostrophe-class positions, the odd ones that join two words
        # (below), and the marks kept as symbols (not the "." / "," inside a number, not an
        # apostrophe inside a word, one per run).
        # (positions from the cursor: 16 at a time, code points of no mark's class dropped)
        scan.data, scan.kind, scan.n, scan.i, scan.base, scan.mask = low, 4, n_cp, 0, 0, 0
        scan.wide, scan.pattern = self.wide, self.skip_pattern
        while True:
            p = _next(&scan)
            if p >= n_cp:
                break
            c = low[p]
            if c >= table_size:
                raise ValueError(f"code point {c:#x} out of range")
            kc = cls[c]
            if kc < apos:
                continue
            cb = low[p - 1 if p > 0 else 0]
            ca = low[p + 1 if p < n_cp - 1 else n_cp - 1]
            kb = _cls_of(cls, table_size, cb)
            ka = _cls_of(cls, table_size, ca)
            edge = p == 0 or p == n_cp - 1
            if kc == apos:
                apos_pos[n_apos] = p
                n_apos += 1
                # Tokens join words over ' and U+2019 only, symbols over every apostrophe-class
                # mark ("it`s", "5′11"): inside the text, between word characters (the
                # numpy form's ``odd``), the two tokens are merged in pass 2.
                if not edge and c != apostrophe and c != right_quote and kb == word and ka == word:
                    odd_pos[n_odd] = p
                    n_odd += 1
            in_number = (kc == full_stop or kc == comma) and _digit(cb) and _digit(ca)
            in_word = kc == apos and kb == word and ka == word
            repeat = p > 0 and kb == kc
            if ((in_number or in_word) and not edge) or repeat:
                continue
            mark_pos[n_marks] = p
            mark_sym[n_marks] = mark_symbol[kc]
            n_marks += 1
        mark_pos[n_marks] = n_cp + 1  # sentinels past every word
        apos_pos[n_apos] = n_cp + 1
        odd_pos[n_odd] = n_cp + 1
        # Outputs: at most one symbol per token and per mark (at least one slot, for a pointer);
        # or, for the sums, per block.
        if Sink is Sums:
            uni_arr, pair_sum_arr = np.zeros(n, dtype=np.float64), np.zeros(n, dtype=np.float64)
            grams_arr = np.zeros(n, dtype=np.int64)
            uni_view, pair_sum_view, grams_view = uni_arr, pair_sum_arr, grams_arr
            out.uni_w, out.pair_w = &uni_w[0], &pair_w[0]
            out.uni_sum, out.pair_sum, out.n_grams = &uni_view[0], &pair_sum_view[0], &grams_view[0]
            out.cur = 0
            out.acc_uni = out.acc_pair = 0.0
            out.run = out.n_uni = out.n_pair_buf = 0
        else:
            out.n_pair = 0
            cap = max(n_tok + n_marks, 1)
            ids_arr, blk_arr = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64)
            pair_arr, pblk_arr = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64)
            ids, blk, pair, pblk = ids_arr, blk_arr, pair_arr, pblk_arr
            out.ids, out.blk, out.pair, out.pblk = &ids[0], &blk[0], &pair[0], &pblk[0]
        out.n_out = 0
        out.prev_id = out.prev_blk = 0
        if Sink is Sums:  # no block is -1: the first symbol has no pair (Arrays: n_out == 0)
            out.prev_blk = -1
        out.ends_sentence, out.is_mark, out.v = &self.ends_sentence[0], &self.is_mark[0], v
        starts = &tok_start[0] if n_tok else NULL
        ends = &tok_end[0] if n_tok else NULL
        newline = &tok_newline[0] if n_tok else NULL
        fws = &tok_fw[0] if n_tok else NULL
        hashes = &tok_hash[0] if n_tok else NULL
        bstart = &block_start[0]
        n_words = &words[0]
        n_fw = &fwi[0]
        # Pass 2, tokens: words (merged over odd apostrophes), each emitted after the marks
        # before it, with the pairs as they come. (A word is emitted as soon as it is read,
        # the rare merge looking ahead: deferring every word by a token, to see whether the
        # next one continues it, kept twice the state live across the loop.)
        t = 0
        while t < n_tok:
            if newline[t]:
                b += 1
                t += 1
                continue
            ps = starts[t]
            pe = ends[t]
            if not (0 <= ps < pe <= n_cp):
                raise ValueError("token outside the text")
            if low[ps] == dollar:
                t += 1
                continue
            tok_fw_t = fws[t]
            ph = hashes[t]
            t += 1
            # The word goes on over an odd apostrophe (pass 1) right at its end into the token
            # right after it, unless that is a newline or "$" token: the tokens come in text
            # order, so one pointer into the sorted positions of those apostrophes.
            merged = False
            while True:
                while odd_pos[oi] < pe:
                    oi += 1
                if odd_pos[oi] != pe or t >= n_tok or newline[t] or starts[t] != pe + 1:
                    break
                e = ends[t]
                if not (0 <= pe + 1 < e <= n_cp):
                    raise ValueError("token outside the text")
                if low[pe + 1] == dollar:
                    break
                pe = e
                merged = True
                t += 1
            # Marks before the word, then the word.
            while mark_pos[mi] < ps:
                while bi + 1 < n and bstart[bi + 1] <= mark_pos[mi]:
                    bi += 1
                if Sink is Sums:
                    _emit_sum(&out, mark_sym[mi], bi)
                else:
                    out = _emit(out, mark_sym[mi], bi)
                mi += 1
            if merged:
                fw = merged_row(ps, pe)
                if not 0 <= fw <= v:
                    raise ValueError(f"function-word row {fw} out of range")
                freq = 0
            else:
                fw = tok_fw_t
                if not 0 <= fw <= v:
                    raise ValueError(f"function-word row {fw} out of range")
                # Two-choice table (small: in the L1 cache), probed for every word and
                # kept for the words that are no function word; both slots read first, so
                # the choice compiles to conditional moves (no branch to mispredict).
                slot = (ph * freq_mult) >> freq_shift
                slot2 = (ph * freq_mult2) >> freq_shift
                row1 = freq_rows[slot]
                row2 = freq_rows[slot2]
                hit1 = freq_keys[slot] == ph
                hit2 = freq_keys[slot2] == ph
                freq = row2 if hit2 else 0
                freq = row1 if hit1 else freq
                freq *= fw == 0
            wlen = pe - ps
            while apos_pos[ai] < ps:
                ai += 1
            has_apos = apos_pos[ai] < pe
            first = b != last_word_blk
            if first:  # the block's counts so far, kept in registers until it ends
                if last_word_blk >= 0:
                    n_words[last_word_blk] += blk_words
                    n_fw[last_word_blk] += blk_fw
                blk_words = blk_fw = 0
                last_word_blk = b
            c0 = low[ps]
            second = ps + (wlen >= 2)  # (a one-letter word's second letter is not read)
            bits = ((wlen > long_word) | (has_apos << 1) | ((orig[ps] != c0) << 2) | (first << 3)
                    | (((wlen >= 2) & (orig[second] != low[second])) << 4) | (_digit(c0) << 5)
                    | ((wlen >= suffix_min) << 6))
            shape = shape_of_bits[bits]
            kept = fw + freq
            if kept == 0 and candidate_bits[bits]:
                # The ending's table in two levels (small: in the L1 cache), over the
                # word's last letters as two base-27 numbers (two independent chains).
                head = tail = 0
                for k in range(span, span_last, -1):
                    c = low[pe - k]
                    head = head * letters + letter_of[c if c < last_ascii else last_ascii]
                for k in range(span_last, 0, -1):
                    c = low[pe - k]
                    tail = tail * letters + letter_of[c if c < last_ascii else last_ascii]
                nxt = suffix_rest[suffix_first[tail] + head]
                if nxt >= 0:
                    shape = nxt
            if Sink is Sums:
                _emit_sum(&out, kept - 1 if kept > 0 else shape, b)
            else:
                out = _emit(out, kept - 1 if kept > 0 else shape, b)
            blk_words += 1
            blk_fw += fw > 0
        if last_word_blk >= 0:
            n_words[last_word_blk] += blk_words
            n_fw[last_word_blk] += blk_fw
        # The marks after the last word.
        while mi < n_marks:
            while bi + 1 < n and bstart[bi + 1] <= mark_pos[mi]:
                bi += 1
            if Sink is Sums:
                _emit_sum(&out, mark_sym[mi], bi)
            else:
                out = _emit(out, mark_sym[mi], bi)
            mi += 1
    finally:
        free(mark_pos)
        free(mark_sym)
        free(apos_pos)
        free(odd_pos)
    if last_word_blk < 0:  # no word: np.bincount of nothing is integer, weights or not
        fwc_arr = np.zeros(n, dtype=np.intp)
    else:
        # np.bincount's float64 sums of 1.0 and 0.0 in order: exact integers (below 2**53),
        # so the integer counts converted give the same bits.
        fwc_arr = fwi_arr.astype(np.float64)
    if Sink is Sums:
        _flush_sums(&out, out.cur)  # the last block's sums (and the block stays the same)
        return uni_arr, pair_sum_arr, grams_arr, words_arr, fwc_arr
    else:
        return (ids_arr[:out.n_out], blk_arr[:out.n_out], pair_arr[:out.n_pair], pblk_arr[:out.n_pair],
                words_arr, fwc_arr)


def gather_bincount(const int64_t[::1] block, const int64_t[::1] index, const double[::1] weights, Py_ssize_t n):
    """``np.bincount(block, weights=weights[index], minlength=n)`` without the gathered array:
    the same float64 additions in the same order (bincount adds in input order), so the same
    bits; for blocks below ``n`` only (``symbol_ngrams``'s blocks are)."""
    return gather_bincount_counts(block, index, weights, n)[0]


def gather_bincount_counts(const int64_t[::1] block, const int64_t[::1] index, const double[::1] weights,
                           Py_ssize_t n):
    """(``gather_bincount``'s sums, ``np.bincount(block, minlength=n)``, whether ``block``
    ascends): one pass for the sums and the counts of ``SoftModel.block_logits``, which took a
    binary search per block over the cold n-grams besides (``ngram_counts``; equal to these
    counts when the blocks ascend, as ``symbol_ngrams``'s do).

    A block's sum is kept in a register while its run lasts and stored when it ends (adding
    into memory made each addition wait for the store of the one before); a block met again
    goes on from its stored sum: the same additions in the same order, in any order of blocks."""
    cdef Py_ssize_t m = block.shape[0], i
    cdef Py_ssize_t n_w = weights.shape[0]
    cdef int64_t b, j, cur
    cdef int64_t run = 0
    cdef double acc
    cdef bint ascending = True
    if index.shape[0] != m:
        raise ValueError("block and index differ in length")
    counts_arr = np.zeros(n, dtype=np.intp)
    if m == 0:  # np.bincount of nothing is integer, weights or not
        return np.zeros(n, dtype=np.intp), counts_arr, True
    out_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] out = out_arr
    cdef Py_ssize_t[::1] counts = counts_arr
    cur = block[0]
    if not 0 <= cur < n:
        raise ValueError("block or index out of range")
    acc = 0.0
    for i in range(m):
        b = block[i]
        j = index[i]
        if not (0 <= b < n and 0 <= j < n_w):
            raise ValueError("block or index out of range")
        if b != cur:
            out[cur] = acc
            counts[cur] += run
            ascending &= b > cur
            cur = b
            acc = out[cur]
            run = 0
        acc += weights[j]
        run += 1
    out[cur] = acc
    counts[cur] += run
    return out_arr, counts_arr, ascending
