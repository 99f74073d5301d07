"""Thread-start columns for the text model (schema ``text-5``): how a block differs from above.

A reader thread is where the page changes voice: from reporting to first and second person,
from long edited paragraphs to short replies. ``features.extract`` describes each block and its
symmetric surroundings; these columns describe the *change* at a block: the mean of a few
columns over the blocks from here on minus the mean over the blocks just above, and each
page's single best split of a "commentness" signal (a CUSUM-style change point), so that every
block knows whether it sits after the page's most likely thread start and how far from it.

The columns are appended after ``extract_batch``'s (the HTML model is built on those and stays
as it is). Everything is a few numpy calls over the whole batch: prefix sums clipped at page
bounds, and one per-page maximum.
"""

from __future__ import annotations

import numpy as np

from . import ext
from .extract import FEATURE_NAMES, SCHEMA_VERSION

TEXT_SCHEMA_VERSION = "text-5"

# Columns whose change across a block is measured (stance, style and the learned lexicon).
SHIFT_KEYS: tuple[str, ...] = (
    "lex_editorial", "lex_comment", "lex_boilerplate", "lex_spam", "w_first_singular",
    "w_second_person", "w_opinion", "w_informal", "w_reporting", "w_stopword", "log_chars",
    "c_clock", "question_rate", "p_comment_header", "ends_sentence", "capword_rate",
)
# Blocks looked at on each side: the next SPAN blocks (this one included) against the SPAN above.
SHIFT_SPANS = (6, 15)
# Signals split once per page: the lexicon's comment-minus-editorial score, and a stance score
# (first/second person, opinion, informal words, questions) minus reporting verbs.
SPLIT_SIGNALS: dict[str, tuple[tuple[str, float], ...]] = {
    "lex": (("lex_comment", 1.0), ("lex_editorial", -1.0)),
    "stance": (("w_first_singular", 1.0), ("w_second_person", 1.0), ("w_opinion", 1.0),
               ("w_informal", 1.0), ("question_rate", 1.0), ("w_reporting", -1.0)),
}
SPLIT_COLUMNS = ("strength", "after", "dist", "here")
# Means are weighted by block length, min(1, chars / WEIGHT_FULL_CHARS) but at least
# WEIGHT_MIN: on a full page, one-word navigation and share buttons between the article and
# the thread would otherwise dilute the change the longer text shows.
WEIGHT_FULL_CHARS = 80.0
WEIGHT_MIN = 0.05

CHANGE_NAMES: tuple[str, ...] = (
    *(f"shift{s}_{k}" for s in SHIFT_SPANS for k in SHIFT_KEYS),
    *(f"split_{sig}_{c}" for sig in SPLIT_SIGNALS for c in SPLIT_COLUMNS),
)
TEXT_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + CHANGE_NAMES
# Text model schemas this version reads -> their columns (text-4: extract_batch's alone).
TEXT_SCHEMAS: dict[str, tuple[str, ...]] = {SCHEMA_VERSION: FEATURE_NAMES, TEXT_SCHEMA_VERSION: TEXT_FEATURE_NAMES}
_COL = {n: i for i, n in enumerate(FEATURE_NAMES)}
_SHIFT_IDX = np.array([_COL[k] for k in SHIFT_KEYS], dtype=np.int64)
# The split signals as one matrix product: the columns they read and a weight per signal.
_SIGNAL_COLS = sorted({_COL[name] for terms in SPLIT_SIGNALS.values() for name, _ in terms})
_SIGNAL_W = np.zeros((len(_SIGNAL_COLS), len(SPLIT_SIGNALS)))
for _j, _terms in enumerate(SPLIT_SIGNALS.values()):
    for _name, _w in _terms:
        _SIGNAL_W[_SIGNAL_COLS.index(_COL[_name]), _j] += _w
_N_SHIFT = len(SHIFT_SPANS) * len(SHIFT_KEYS)  # the split columns follow, signal-major
_SPANS = np.array(SHIFT_SPANS, dtype=np.int64)
# The compiled columns (features/_change_ext.pyx), or None: the numpy form below.
_CHANGE_EXT = ext.load("features._change_ext")
# np.log1p(d) for offsets d within a page, grown on demand (see _log1p_table).
_LOG1P = np.log1p(np.arange(0, dtype=np.int64))


def _prefix(A: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading zero row (float64 for exact differences)."""
    cs = np.zeros((A.shape[0] + 1,) + A.shape[1:], dtype=np.float64)
    np.cumsum(A, axis=0, dtype=np.float64, out=cs[1:])
    return cs


def block_weights(X: np.ndarray) -> np.ndarray:
    """Each block's weight in the means (``WEIGHT_FULL_CHARS``), from its ``log_chars``."""
    chars = np.expm1(X[:, _COL["log_chars"]].astype(np.float64))
    return np.clip(chars / WEIGHT_FULL_CHARS, WEIGHT_MIN, 1.0)


def change_columns(X: np.ndarray, page_starts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The ``CHANGE_NAMES`` columns [n, len(CHANGE_NAMES)] for rows ``X`` (``FEATURE_NAMES``)
    of the non-empty pages starting at ``page_starts``; nothing looks across a page boundary.

    The shift columns and both split signals share one weighted prefix sum, and each step
    works on all columns and all pages of the batch at once. Written into ``out`` (e.g. the right part of the text
    model's matrix) when given.
    """
    n = X.shape[0]
    if out is None:
        out = np.empty((n, len(CHANGE_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    page_starts = np.asarray(page_starts, dtype=np.int64)
    if _CHANGE_EXT is not None and _change_compiled(X, page_starts, out):
        return out
    return _change_numpy(X, page_starts, out)


def _log1p_table(size: int) -> np.ndarray:
    """``np.log1p(d)`` for d in 0..size-1 at least (a page's offsets are below its size), by numpy
    as the numpy form computes it (of int64; numpy's log1p may differ from C's by an ulp)."""
    global _LOG1P
    if len(_LOG1P) < size:
        _LOG1P = np.log1p(np.arange(max(size, 2 * len(_LOG1P)), dtype=np.int64))
    return _LOG1P


def _change_compiled(X: np.ndarray, page_starts: np.ndarray, out: np.ndarray) -> bool:
    """``change_columns`` with the prefix sums and columns in C (features/_change_ext.pyx); the
    block weights and split signals (numpy maths and a matrix product) stay numpy's. False when
    the inputs are left to the numpy form (other dtypes or shapes; the kernel's own refusals)."""
    n = X.shape[0]
    if not (X.dtype == np.float32 and X.ndim == 2 and page_starts.ndim == 1 and out.dtype == np.float32
            and out.shape == (n, len(CHANGE_NAMES)) and out.flags.writeable):
        return False
    # The kernel writes rows of contiguous float32 (any row stride): a column slice of the text
    # model's matrix is; anything else gets a buffer, copied over when the kernel wrote it.
    dest = out if out.strides[1] == out.itemsize else np.empty(out.shape, dtype=np.float32)
    signals = np.ascontiguousarray(X[:, _SIGNAL_COLS] @ _SIGNAL_W, dtype=np.float64)
    done = bool(_CHANGE_EXT.change_columns(X, np.ascontiguousarray(page_starts), _SHIFT_IDX, _SPANS,
                                           block_weights(X), signals, _log1p_table(n), dest))
    if done and dest is not out:
        out[...] = dest
    return done


def _change_numpy(X: np.ndarray, page_starts: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``change_columns`` in numpy (the reference of the compiled kernel)."""
    n = X.shape[0]
    sizes = np.diff(page_starts, append=n)
    page = np.repeat(np.arange(len(page_starts)), sizes)
    row = np.arange(n)
    p0 = page_starts[page]
    p1 = p0 + sizes[page]
    w = block_weights(X)
    k = len(SHIFT_KEYS)
    V = np.empty((n, k + len(SPLIT_SIGNALS)))
    V[:, :k] = X[:, _SHIFT_IDX]
    V[:, k:] = X[:, _SIGNAL_COLS] @ _SIGNAL_W
    cs = _prefix(V * w[:, None])
    cw = _prefix(w)
    first = row == p0  # no block above: no change to measure (a page's first block starts no thread)
    for j, span in enumerate(SHIFT_SPANS):
        lo = np.maximum(row - span, p0)
        hi = np.minimum(row + span, p1)
        c_row, w_row = cs[:n, :k], cw[:n]  # prefix sums up to each row (a slice: rows are 0..n-1)
        above = (c_row - cs[lo, :k]) / np.maximum(w_row - cw[lo], 1e-9)[:, None]
        below = (cs[hi, :k] - c_row) / np.maximum(cw[hi] - w_row, 1e-9)[:, None]
        shift = below - above
        shift[first] = 0.0
        out[:, j * k: (j + 1) * k] = shift
    out[:, _N_SHIFT:] = _split(cs[:, k:], cw, row, p0, p1, page, page_starts, first).reshape(n, -1)
    return out


def _split(cs: np.ndarray, cw: np.ndarray, row: np.ndarray, p0: np.ndarray, p1: np.ndarray,
           page: np.ndarray, page_starts: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Each page's best split of each signal (weighted prefix sums ``cs``, one column per signal)
    into "above" and "from here on": the largest rise of the weighted mean, times
    sqrt(a * b / (a + b)) for the weights a above and b from here on, as in a CUSUM test.
    Per row and signal [n, signals, SPLIT_COLUMNS]: the page's split strength, whether the row
    is at or after the split, its signed log distance from it, and its own statistic relative
    to the page's best."""
    n = len(row)
    a = cw[:n] - cw[p0]  # weight above (prefix sums up to each row are a slice: rows are 0..n-1)
    b = cw[p1] - cw[:n]  # weight from here on
    c_row = cs[:n]
    rise = (cs[p1] - c_row) / np.maximum(b, 1e-9)[:, None] - (c_row - cs[p0]) / np.maximum(a, 1e-9)[:, None]
    stat = rise * np.sqrt(a * b / np.maximum(a + b, 1e-9))[:, None]
    stat[first] = -np.inf
    best = np.maximum.reduceat(stat, page_starts, axis=0)  # pages are contiguous and non-empty
    # The first row of each page reaching its maximum (a one-block page has none: no split).
    hit = np.where((stat == best[page]) & ~first[:, None], row[:, None], n)
    split_row = np.minimum.reduceat(hit, page_starts, axis=0)[page]
    has = split_row < n
    strength = np.where(has, best[page], 0.0)
    off = row[:, None] - split_row
    res = np.zeros((n, stat.shape[1], len(SPLIT_COLUMNS)))
    res[..., 0] = strength
    res[..., 1] = has & (off >= 0)
    res[..., 2] = np.where(has, np.sign(off) * np.log1p(np.abs(off)), 0.0)
    res[..., 3] = np.where(has & ~first[:, None], stat / np.maximum(np.abs(strength), 1e-6), 0.0)
    return res


def text_matrix(X: np.ndarray, page_starts: np.ndarray) -> np.ndarray:
    """``extract_batch``'s matrix with the change columns appended (``TEXT_FEATURE_NAMES``)."""
    out = np.empty((X.shape[0], len(TEXT_FEATURE_NAMES)), dtype=np.float32)
    out[:, : X.shape[1]] = X
    change_columns(X, page_starts, out=out[:, X.shape[1]:])
    return out
