# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled word-level part of the feature pass: ``features.tokens.HashVocab.lookup`` (and the
table's build, ``insert``: ~0.05 s of every process's start-up in numpy rounds) and the
per-block word counts of ``features.extract.local_features`` (``_word_counts``).

Why: the numpy forms make some thirty passes over the token arrays of each batch (probe
rounds of the hash table, gathers of ids, a ``cumsum`` for block numbers, a ``bincount`` per
lexicon column, the word-class patterns, the phrase candidate masks and ``searchsorted``),
~15% of ``local_features`` on the bench pages; here the lookup is one loop over the hashes and
the counts one loop over the tokens.

Same output, bit for bit (tests/test_ext_vocab.py):
- lookup: the same probe sequence (slot ``(h * MIX) >> shift``, then the next slots), stopping
  where the numpy form stops: at a free slot, at the key, or after ``probes`` slots;
- integer counts (words, word-class patterns, phrase families) have no order to keep;
- float sums (word lengths, lexicon weights): ``np.bincount(weights=)`` converts its weights to
  float64 and adds them into their bins in input order; the loop adds the same float64 values
  in the same token order, so each bin gets the same rounding steps;
- the divisions, the float32 casts and the lexicon's centring stay in numpy (the caller), or
  (session 22) go through ``word_columns``: the lexicon and word-class columns written straight
  into the feature matrix with numpy's own operations in numpy's order (its docstring; ~12 ms
  -> ~8 ms of a bench pass in the pipeline, tests/test_ext_feat3.py).
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define NW_PREFETCH(p) __builtin_prefetch((const void *)(p))
    #else
    #define NW_PREFETCH(p) ((void)0)
    #endif
    """
    void NW_PREFETCH(const void *p) noexcept nogil

# Tokens ahead whose table rows are fetched into the cache (a hint only: the tables are larger
# than the cache and a word's rows would otherwise be waited for token by token).
cdef enum:
    PREFETCH_AHEAD = 8


def lookup(const uint64_t[::1] hashes, const uint64_t[::1] keys, const int64_t[::1] rows,
           const uint8_t[::1] used, uint64_t mix, unsigned int shift, Py_ssize_t probes):
    """Row of each hash in a ``HashVocab`` table (0 when absent), int64; None when the table's
    arrays do not fit together (the caller's numpy form then gives its answer or error).

    ``keys``/``rows``/``used``: the table's slots (a power of two of them); a hash's first slot
    is ``(h * mix) >> shift`` (wrapping uint64), then the next ones, wrapping at the end, for at
    most ``probes`` slots in all.
    """
    cdef Py_ssize_t m = hashes.shape[0]
    cdef Py_ssize_t size = keys.shape[0]
    cdef Py_ssize_t t, r
    cdef uint64_t h, slot, mask
    if size == 0 or (size & (size - 1)) != 0 or rows.shape[0] != size or used.shape[0] != size:
        return None
    if shift >= 64 or (<uint64_t>1 << (64 - shift)) != <uint64_t>size or probes < 1:
        return None
    mask = size - 1
    out_arr = np.zeros(m, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    with nogil:
        for t in range(m):
            if t + PREFETCH_AHEAD < m:
                slot = (hashes[t + PREFETCH_AHEAD] * mix) >> shift
                NW_PREFETCH(&keys[slot])
                NW_PREFETCH(&rows[slot])
                NW_PREFETCH(&used[slot])
            h = hashes[t]
            slot = (h * mix) >> shift
            for r in range(probes):
                if not used[slot]:
                    break
                if keys[slot] == h:
                    out[t] = rows[slot]
                    break
                slot = (slot + 1) & mask
    return out_arr


def insert(const uint64_t[::1] keys, const int64_t[::1] rows, const int64_t[::1] slots, Py_ssize_t size):
    """``HashVocab``'s table built from its keys in insertion order: (keys, rows, used, probes)
    arrays of ``size`` slots; None when the inputs do not fit together (the numpy form decides).

    The numpy form places all pending keys a round at a time: each round every pending key wants
    its current slot, the lowest pending key wanting a slot that is still free takes it, and the
    others move on to the next slot (wrapping). Going through the pending keys in order and
    marking a slot used as soon as one takes it is the same rule (a slot a lower key took this
    round is not free for a higher one), so the table and the round count are the same.
    """
    cdef Py_ssize_t n = keys.shape[0]
    cdef Py_ssize_t i, k, m, kept
    cdef int64_t s, mask
    if size < 1 or (size & (size - 1)) != 0 or rows.shape[0] != n or slots.shape[0] != n or n > size:
        return None
    mask = size - 1
    for i in range(n):
        if slots[i] < 0 or slots[i] > mask:
            return None
    out_keys = np.zeros(size, dtype=np.uint64)
    out_rows = np.zeros(size, dtype=np.int64)
    out_used = np.zeros(size, dtype=np.bool_)
    cdef uint64_t[::1] ok = out_keys
    cdef int64_t[::1] orw = out_rows
    cdef uint8_t[::1] ou = out_used.view(np.uint8)
    pending_arr = np.arange(n, dtype=np.int64)
    cur_arr = np.array(slots, dtype=np.int64)
    cdef int64_t[::1] pending = pending_arr
    cdef int64_t[::1] cur = cur_arr
    cdef Py_ssize_t probes = 0
    m = n
    with nogil:
        while m > 0:
            probes += 1
            kept = 0
            for i in range(m):
                k = pending[i]
                s = cur[k]
                if not ou[s]:
                    ou[s] = 1
                    ok[s] = keys[k]
                    orw[s] = rows[k]
                else:
                    cur[k] = (s + 1) & mask
                    pending[kept] = k
                    kept += 1
            m = kept
    return out_keys, out_rows, out_used, max(probes, 1)


cdef inline int64_t _family(const int64_t[::1] codes, const int64_t[::1] fams, int64_t code) noexcept nogil:
    """``dict(zip(codes, fams)).get(code, 0)`` by binary search (``codes`` sorted, distinct);
    each step halves the range by a select, not a branch (the steps go either way at random)."""
    cdef Py_ssize_t n = codes.shape[0], base = 0, half
    if n == 0:
        return 0
    while n > 1:
        half = n >> 1
        base = base + half if codes[base + half] <= code else base
        n -= half
    if codes[base] == code:
        return fams[base]
    return 0


# Most lexicon columns ``word_counts`` sums in registers (features.lexical has 5); the bytes of
# one row record (``records``: the row's base id, int64, then its lexicon weights, float32).
cdef enum:
    MAX_LEX_COLUMNS = 16
    RECORD_BYTES = 32
    RECORD_ID_BYTES = 8


cdef inline void _flush(Py_ssize_t b, int64_t n_words, double length_sum, const double *acc, Py_ssize_t n_cols,
                        int64_t[::1] words, double[::1] len_sums, double[:, ::1] lex_sums) noexcept nogil:
    """Store block ``b``'s totals (each bin was 0.0: 0.0 + x is x, as in ``np.bincount``)."""
    cdef Py_ssize_t k
    words[b] = n_words
    len_sums[b] = length_sum
    for k in range(n_cols):
        lex_sums[b, k] = acc[k]


def word_counts(const int64_t[::1] key, const uint8_t[::1] digits, const uint8_t[::1] newline,
                const int64_t[::1] lengths, Py_ssize_t n, const int64_t[::1] base_id,
                const int64_t[::1] function_word_of, int64_t num_id, const int64_t[::1] pattern_of,
                Py_ssize_t n_pat, const uint8_t[::1] ng2_first, const uint8_t[::1] ng2_second,
                const uint8_t[::1] ng3_first, const uint8_t[::1] ng3_second, const uint8_t[::1] ng3_third,
                const int64_t[::1] ng2_codes, const int64_t[::1] ng2_fams, const int64_t[::1] ng3_codes,
                const int64_t[::1] ng3_fams, int64_t vsize, Py_ssize_t n_fam, const uint8_t[::1] chrome_first,
                lex_row_obj, lex_weights_obj, records_obj=None):
    """Per-token ids and per-block word counts of ``n`` blocks; None when an input is out of
    range (the caller's numpy form then gives its answer or error).

    Tokens: ``key`` (row in the table), ``digits`` (all digits: id ``num_id``), ``newline``
    (the separator: the next block starts after it), ``lengths``. A token's id is
    ``base_id[key]``; its function word ``function_word_of[id]`` (before the digit override).
    Returns (function_words [m], words [n], length sums [n] float64, lexicon sums [n, C]
    float64 or None, word-class pattern counts [n, n_pat], phrase family counts [n, n_fam],
    first-token chrome [n] bool): the fields of ``features.extract.WordCounts``. Phrases: adjacent tokens (bigram, trigram) whose ids are
    members at their positions (``ng*_first`` ...) and whose code ``a * vsize + b`` (``(a *
    vsize + b) * vsize + c``) is in ``ng*_codes``, counted for each family bit of its
    ``ng*_fams`` in the block of its first token. Chrome: the first word of the block, or of
    the next block with a word, is in ``chrome_first``. Lexicon (``lex_row_obj`` int64 [len
    table rows], ``lex_weights_obj`` float32 [rows, C], or both None): the weights of each
    word's row ``lex_row[key]`` added per block in token order as float64.

    ``records_obj`` (uint8 [len(base_id), RECORD_BYTES], or None; only with the lexicon): per
    table row its base id (int64) and its lexicon weight row ``weights[lex_row[row]]`` (float32
    each) in one record, so that a token's row costs one cache line, not three (``base_id``,
    ``lex_row``, ``weights``: the tables are larger than the cache). The caller builds it from
    the same ``base_id``/``lex_row``/``weights`` (features.extract._word_records), which are
    then not read for the tokens.
    """
    cdef Py_ssize_t m = key.shape[0]
    cdef Py_ssize_t n_ids = base_id.shape[0]
    cdef Py_ssize_t t, b, f, k, n_cols = 0, n_rows = 0, n_lex = 0
    cdef int64_t kk, i, row, prev1 = -1, prev2 = -1, code, fam
    cdef int64_t blk = 0, blk1 = 0, blk2 = 0, next_id, cur = -1, cur_words = 0
    cdef double cur_len = 0.0
    cdef double acc[MAX_LEX_COLUMNS]
    cdef bint lex = lex_row_obj is not None
    cdef const int64_t[::1] lex_row
    cdef const float[:, ::1] weights
    cdef const uint8_t[:, ::1] records
    cdef bint rec = records_obj is not None
    cdef const uint8_t *r = NULL  # (set where ``rec``; NULL quiets gcc's maybe-uninitialized)
    cdef float wk
    cdef uint8_t cand2, cand3
    if (digits.shape[0] != m or newline.shape[0] != m or lengths.shape[0] != m or n < 0 or n_pat < 1
            or n_fam < 0 or n_fam > 63 or vsize < 1):
        return None
    if (function_word_of.shape[0] < vsize or pattern_of.shape[0] < vsize or ng2_first.shape[0] < vsize
            or ng2_second.shape[0] < vsize or ng3_first.shape[0] < vsize or ng3_second.shape[0] < vsize
            or ng3_third.shape[0] < vsize or chrome_first.shape[0] < vsize or ng2_fams.shape[0] != ng2_codes.shape[0]
            or ng3_fams.shape[0] != ng3_codes.shape[0] or num_id < 0 or num_id >= vsize):
        return None
    for k in range(pattern_of.shape[0]):
        if pattern_of[k] < 0 or pattern_of[k] >= n_pat:
            return None
    if lex:
        lex_row = lex_row_obj
        weights = lex_weights_obj
        n_lex = lex_row.shape[0]
        n_rows = weights.shape[0]
        n_cols = weights.shape[1]
        if n_cols > MAX_LEX_COLUMNS:
            return None
    if rec:
        records = records_obj
        if (not lex or records.shape[0] != n_ids or records.shape[1] != RECORD_BYTES
                or RECORD_ID_BYTES + n_cols * sizeof(float) > RECORD_BYTES):
            return None
    fw_arr = np.empty(m, dtype=np.int64)
    words_arr = np.zeros(n, dtype=np.int64)
    len_sums_arr = np.zeros(n, dtype=np.float64)
    patterns_arr = np.zeros((n, n_pat), dtype=np.int64)
    phrases_arr = np.zeros((n, n_fam), dtype=np.int64)
    first_arr = np.full(n, -1, dtype=np.int64)  # id of the block's first word (-1: none)
    chrome_arr = np.zeros(n, dtype=np.bool_)
    lex_arr = np.zeros((n, n_cols), dtype=np.float64) if lex else None
    cdef int64_t[::1] fwo = fw_arr
    cdef int64_t[::1] words = words_arr
    cdef double[::1] len_sums = len_sums_arr
    cdef int64_t[:, ::1] patterns = patterns_arr
    cdef int64_t[:, ::1] phrases = phrases_arr
    cdef int64_t[::1] first = first_arr
    cdef uint8_t[::1] chrome = chrome_arr.view(np.uint8)
    cdef double[:, ::1] lex_sums = lex_arr if lex else np.zeros((n, 0), dtype=np.float64)
    with nogil:
        for t in range(m):
            # Rows of tokens ahead: their ids and lexicon rows, and (half as far ahead, once
            # their lexicon row is in the cache) their weights.
            if rec:
                if t + PREFETCH_AHEAD < m:
                    kk = key[t + PREFETCH_AHEAD]
                    if 0 <= kk < n_ids:
                        NW_PREFETCH(&records[kk, 0])
            elif t + PREFETCH_AHEAD < m:
                kk = key[t + PREFETCH_AHEAD]
                if 0 <= kk < n_ids:
                    NW_PREFETCH(&base_id[kk])
                    if lex and kk < n_lex:
                        NW_PREFETCH(&lex_row[kk])
            if lex and not rec and t + PREFETCH_AHEAD // 2 < m:
                kk = key[t + PREFETCH_AHEAD // 2]
                if 0 <= kk < n_lex:
                    row = lex_row[kk]
                    if 0 <= row < n_rows:
                        NW_PREFETCH(&weights[row, 0])
            kk = key[t]
            if kk < 0 or kk >= n_ids:
                with gil:
                    return None
            if rec:
                r = &records[kk, 0]
                memcpy(&i, r, RECORD_ID_BYTES)
            else:
                i = base_id[kk]
            if i < 0 or i >= vsize:
                with gil:
                    return None
            fwo[t] = function_word_of[i]
            if digits[t]:
                i = num_id
            if newline[t]:
                blk += 1  # the block number of a newline token is the next block's (cumsum)
            else:
                if blk >= n:
                    with gil:
                        return None
                if blk != cur:  # a block's words are consecutive: its sums are final here
                    if cur >= 0:
                        _flush(cur, cur_words, cur_len, acc, n_cols, words, len_sums, lex_sums)
                    cur, cur_words, cur_len = blk, 0, 0.0
                    for k in range(n_cols):
                        acc[k] = 0.0
                    first[blk] = i
                cur_words += 1
                cur_len = cur_len + <double>(<float>lengths[t])
                patterns[blk, pattern_of[i]] += 1
                if rec:
                    for k in range(n_cols):
                        memcpy(&wk, r + RECORD_ID_BYTES + k * sizeof(float), sizeof(float))
                        acc[k] = acc[k] + <double>wk
                elif lex:
                    if kk >= n_lex:
                        with gil:
                            return None
                    row = lex_row[kk]
                    if row < 0 or row >= n_rows:
                        with gil:
                            return None
                    for k in range(n_cols):
                        acc[k] = acc[k] + <double>weights[row, k]
            # Phrases ending at this token, counted in the block of their first token. The
            # member flags are and-ed, not tested one by one: a test per flag went wrong as
            # often as the words change; the combined one is rarely true.
            cand2 = 0
            cand3 = 0
            if prev1 >= 0:
                cand2 = (ng2_first[prev1] != 0) & (ng2_second[i] != 0)
                if prev2 >= 0:
                    cand3 = (ng3_first[prev2] != 0) & (ng3_second[prev1] != 0) & (ng3_third[i] != 0)
            if cand2:
                fam = _family(ng2_codes, ng2_fams, prev1 * vsize + i)
                if fam:
                    if blk1 >= n:
                        with gil:
                            return None
                    for f in range(n_fam):
                        if (fam >> f) & 1:
                            phrases[blk1, f] += 1
            if cand3:
                fam = _family(ng3_codes, ng3_fams, (prev2 * vsize + prev1) * vsize + i)
                if fam:
                    if blk2 >= n:
                        with gil:
                            return None
                    for f in range(n_fam):
                        if (fam >> f) & 1:
                            phrases[blk2, f] += 1
            prev2, blk2 = prev1, blk1
            prev1, blk1 = i, blk
        if cur >= 0:
            _flush(cur, cur_words, cur_len, acc, n_cols, words, len_sums, lex_sums)
        # The first word at or after each block (np.searchsorted over the word tokens' blocks).
        next_id = -1
        for b in range(n - 1, -1, -1):
            if first[b] >= 0:
                next_id = first[b]
            chrome[b] = next_id >= 0 and chrome_first[next_id] != 0
    return fw_arr, words_arr, len_sums_arr, lex_arr, patterns_arr, phrases_arr, chrome_arr


cdef enum:
    MAX_CLASSES = 64  # word classes of ``word_columns`` (bits of a pattern)
    LABELS = 4  # the lexicon's label columns, centred per row (features.lexical.LEXICAL_LABELS)
    LEX_COLUMNS = 5  # the lexicon's columns (features.lexical.LEXICAL_COLUMNS; the checked layout)


def word_columns(const int64_t[::1] words, const int64_t[:, ::1] patterns, const int64_t[::1] pattern_bits,
                 float[:, :] out_classes, lex_sums_obj=None, bias_obj=None, out_lex_obj=None):
    """The word-count columns of ``features.extract.local_features`` from ``word_counts``'s
    output, written straight into the feature matrix's columns: True, or False when an input is
    out of range (nothing written; the caller's numpy form then runs).

    Word classes (``out_classes`` [n, C]): ``(patterns @ _PATTERN_CLASSES) / words_f32`` where
    ``_PATTERN_CLASSES[p, c]`` is bit ``c`` of ``pattern_bits[p]`` (0.0/1.0) and ``words_f32``
    is ``float32(max(words, 1))``. The matrix product's terms are whole numbers and so are all
    its partial sums (far below 2 ** 53): exact in any order, so an int64 sum converted to
    float64 is the same value; then the float64 quotient rounded to float32, as numpy assigns it.

    Lexicon (``lex_sums_obj`` float64 [n, 5], ``bias_obj`` float32 [5], ``out_lex_obj`` float32
    [n, 5]; all three or none): ``LexicalScorer.from_sums``, operation for
    operation: the float64 quotient ``sums / max(words, 1)`` rounded to float32, plus the bias
    in float32, then the first four columns less their float32 mean. numpy's ``mean(axis=1)``
    over the four columns of a C-contiguous float32 [n, 5] array adds them column by column,
    ((a0 + a1) + a2) + a3 (tests/test_ext_feat3.py checks this against numpy itself), then
    divides by 4 (exact: a power of two, one rounding either way).
    """
    cdef Py_ssize_t n = words.shape[0], n_pat = patterns.shape[1], n_cls = out_classes.shape[1]
    cdef Py_ssize_t r, p, c, k, n_lex = 0
    cdef int64_t cnt, bits, w
    cdef int64_t acc[MAX_CLASSES]
    cdef float wf, mean
    cdef float v[MAX_LEX_COLUMNS]
    cdef double cnt_f
    cdef bint lex = lex_sums_obj is not None
    cdef const double[:, ::1] lex_sums
    cdef const float[::1] bias
    cdef float[:, :] out_lex
    if (patterns.shape[0] != n or out_classes.shape[0] != n or pattern_bits.shape[0] != n_pat
            or n_cls > MAX_CLASSES or n_cls < 0):
        return False
    if lex:
        if bias_obj is None or out_lex_obj is None:
            return False
        lex_sums = lex_sums_obj
        bias = bias_obj
        out_lex = out_lex_obj
        n_lex = lex_sums.shape[1]
        if (lex_sums.shape[0] != n or bias.shape[0] != n_lex or out_lex.shape[0] != n
                or out_lex.shape[1] != n_lex or n_lex != LEX_COLUMNS):
            return False
    elif bias_obj is not None or out_lex_obj is not None:
        return False
    with nogil:
        for r in range(n):
            w = words[r] if words[r] > 1 else 1
            wf = <float>w
            for c in range(n_cls):
                acc[c] = 0
            for p in range(n_pat):
                cnt = patterns[r, p]
                if cnt != 0:
                    bits = pattern_bits[p]
                    for c in range(n_cls):  # (branch-free: a class bit is a coin toss to the predictor)
                        acc[c] += cnt * ((bits >> c) & 1)
            for c in range(n_cls):  # (0 / wf is +0.0 for any wf >= 1: no division for most cells)
                out_classes[r, c] = <float>(<double>acc[c] / <double>wf) if acc[c] != 0 else 0.0
            if lex:
                cnt_f = <double>w
                for k in range(n_lex):
                    v[k] = <float>(lex_sums[r, k] / cnt_f)
                    v[k] = v[k] + bias[k]
                mean = ((v[0] + v[1]) + v[2]) + v[3]
                mean = mean / <float>LABELS
                for k in range(LABELS):
                    v[k] = v[k] - mean
                for k in range(n_lex):
                    out_lex[r, k] = v[k]
    return True
