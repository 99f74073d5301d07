"""Repeated commenter-line columns for the text model (schema ``text-9``).

A reader thread repeats one line template per comment: "by Quakeulf (2650167) on Tuesday July
24, @10:49AM (#40749619)", "Mike says: July 24, 2012 at 10:49 am". The article's byline ("Posted
by timothy on Tuesday July 24, @10:46AM") has the same words and occurs once. ``shape_repeats``
(``features.extract``) counts equal character shapes, and a name with digits or an optional
"Homepage Journal" suffix changes the shape; here a *meta line* (a short block with a clock
time, a month, a thread or user id, or a comment-meta phrase: columns ``extract_batch`` already
has) is keyed by its first word and by its last word, and counted against the page's other
meta lines with the same key. Each block then knows how far it is from the nearest repeated
meta line above and below, and how many of the page's repeated meta lines are above it.

Held-out sources motivated it: on the by-source folds of 2026-12-06 the eight Slashdot pages
were read as article nearly from the first comment to the last. A text-9 model did not change
that, and lost on the two-partition rule, so it was not shipped (docs/text-model.md, session 33).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .extract import FEATURE_NAMES, page_bounds
from .tablecache import banked_regex

# The columns of extract_batch's matrix that make a block a meta line when any is positive.
META_COLUMNS: tuple[str, ...] = ("c_clock", "w_month", "c_thread_id", "p_comment_meta_phrase")
# A meta line is at most this long (commenter lines are short; a paragraph naming a month is not one).
META_MAX_CHARS = 200
# How many other meta lines with the same key make a block a repeated meta line.
MIN_REPEATS = 2
# Digits in a key are one class, so "23 July" and "24 July" share the key "0".
_DIGITS = banked_regex(r"\d+")
_EDGE_PUNCT = "\"'()[]{}<>.,:;!?-*#@|/\u2013\u2014\u201c\u201d\u2018\u2019"
# Words that vary from one commenter line to the next while the template stays: one key each.
KEY_CLASSES: dict[str, tuple[str, ...]] = {
    "<ampm>": ("am", "pm", "a.m", "p.m"),
    "<month>": ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                "sept", "oct", "nov", "dec"),
    "<day>": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
              "tues", "wed", "thu", "thurs", "fri", "sat", "sun"),
}
_KEY_OF = {w: k for k, words in KEY_CLASSES.items() for w in words}

HEADER_NAMES: tuple[str, ...] = (
    "hdr_repeat", "hdr_above_dist", "hdr_below_dist", "hdr_before_frac", "hdr_page",
)
_COL = {n: i for i, n in enumerate(FEATURE_NAMES)}
_META_IDX = np.array([_COL[c] for c in META_COLUMNS], dtype=np.int64)
_LOG_CHARS = _COL["log_chars"]
NO_HEADER = -1.0  # the distance columns when the page has no repeated meta line on that side


@functools.lru_cache(maxsize=1 << 14)  # the same few words recur on every thread
def _key(word: str) -> str:
    """A first or last word as a key: lower-cased, edge punctuation stripped, digits as "0",
    and the words of ``KEY_CLASSES`` as their class."""
    w = word.strip(_EDGE_PUNCT).lower()
    return _KEY_OF.get(w) or _DIGITS.sub("0", w)


def line_keys(text: str) -> tuple[str, str]:
    """A meta line's template keys: its first word's and its last word's (``_key``); "" for a
    blank line."""
    head = text.split(None, 1)
    if not head:
        return "", ""
    return _key(head[0]), _key(text.rsplit(None, 1)[-1])


def meta_rows(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` (``FEATURE_NAMES``) that are meta lines."""
    short = X[:, _LOG_CHARS] <= np.log1p(META_MAX_CHARS)
    return np.flatnonzero(short & (X[:, _META_IDX] > 0).any(axis=1))


def repeat_counts(texts: Sequence[str], rows: np.ndarray, page: np.ndarray) -> np.ndarray:
    """For each meta row (``page``: a page key per row, non-negative integers): the other meta
    rows of its page sharing its first or its last word's key, the larger of the two counts. A
    page's only meta row has none, and is not read."""
    out = np.zeros(len(rows), dtype=np.int64)
    pages = page[rows]
    alone = np.bincount(pages)[pages] < 2 if len(rows) else np.zeros(0, dtype=bool)
    look = np.flatnonzero(~alone)
    if not look.size:
        return out
    firsts: list[tuple[int, str]] = []
    lasts: list[tuple[int, str]] = []
    for r, p in zip(rows[look].tolist(), pages[look].tolist()):
        first, last = line_keys(texts[r])
        firsts.append((p, first))
        lasts.append((p, last))
    cf, cl = Counter(firsts), Counter(lasts)
    out[look] = [max(cf[f] if f[1] else 1, cl[la] if la[1] else 1) - 1 for f, la in zip(firsts, lasts)]
    return out


def header_columns(X: np.ndarray, texts: Sequence[str], page_starts: np.ndarray,
                   out: np.ndarray | None = None) -> np.ndarray:
    """The ``HEADER_NAMES`` columns [n, 5] for blocks ``texts`` with rows ``X`` (``FEATURE_NAMES``)
    of the non-empty pages starting at ``page_starts``; nothing looks across a page boundary."""
    n = X.shape[0]
    if out is None:
        out = np.empty((n, len(HEADER_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    idx, p0, p1 = page_bounds(n, page_starts)
    rows = meta_rows(X)
    rep = np.zeros(n, dtype=np.float64)
    if rows.size:
        rep[rows] = repeat_counts(texts, rows, p0)  # a page's first row names the page
    hdr = rep >= MIN_REPEATS
    out[:, 0] = np.log1p(rep)
    # Nearest repeated meta line above (strictly) and below (strictly), within the page.
    last = np.where(hdr, idx, -1)
    np.maximum.accumulate(last, out=last)
    above = np.empty(n, dtype=np.int64)
    above[0] = -1
    above[1:] = last[:-1]
    nxt = np.where(hdr, idx, n)[::-1]
    nxt = np.minimum.accumulate(nxt)[::-1]
    below = np.full(n, n, dtype=np.int64)
    below[:-1] = nxt[1:]
    ok_a = above >= p0
    ok_b = below < p1
    out[:, 1] = np.where(ok_a, np.log1p(np.maximum(idx - above, 0)), NO_HEADER)
    out[:, 2] = np.where(ok_b, np.log1p(np.maximum(below - idx, 0)), NO_HEADER)
    # Share of the page's repeated meta lines at or above this block, and their number.
    cum = np.cumsum(hdr)
    before_page = np.where(p0 > 0, cum[np.maximum(p0 - 1, 0)], 0)
    total = cum[p1 - 1] - before_page
    upto = cum - before_page
    out[:, 3] = np.where(total > 0, upto / np.maximum(total, 1), 0.0)
    out[:, 4] = np.log1p(total)
    return out
