"""Thread starts moved up to the thread's own commenter lines.

A reader thread repeats one line template per comment ("Maria July 7, 2012 at 2:31 pm",
"Chris Nahr 07.15.12 at 11:59"). The networks read most of those lines as comment, but the
first comment of a thread often reads like the article's last paragraphs, its commenter line
like a byline, and the decoded thread then starts one comment late: the first commenter line
and its comment are labelled editorial. This step looks at the commenter-line templates of the
decoded thread's first blocks (meta lines, keyed by their first and last word:
``features.headers.line_keys``), and where a line with a template the thread repeats sits a few
blocks above the decoded start, with only editorial blocks between, the thread starts there
instead; the step repeats from the new start. Where the thread's headers are two lines (a
name line over each template line, "Colin Roald" / "October 1st, 2012 at 2:04 pm"), a short line
above the start's template line is taken too. It never creates a thread, never moves a start
later, and only relabels editorial blocks, so ``has_comments`` is the page gate's.

Measured on the shipped model's held-out folds (``python -m training.thread_template``;
docs/text-model.md, session 34): exact thread starts on gold text 0.387 -> 0.470 (folds by
source), editorial and comment F1 there +0.012 / +0.010; no Dragnet rendering's figure down,
CleanEval's editorial F1 -0.0006. On HTML pages it runs after the HTML model's decode
constraints (classifier/html_decode.py) on the same text columns: on that model's held-out folds
(``python -m training.html_oof``; docs/html.md) Dragnet comment token F1 +0.003, editorial
+0.0007, CleanEval editorial -0.0003.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from features.headers import line_keys, meta_rows

from .model import LABELS

_E, _C = LABELS.index("editorial"), LABELS.index("comment")
# How far above the current start (in blocks) a matching commenter line is looked for: a first
# comment of a few paragraphs plus its name and date lines.
BACK_BLOCKS = 8
# The decoded thread's blocks whose meta lines define its templates (its first comments).
TEMPLATE_BLOCKS = 30
# A key (of the first or of the last word) is the thread's template when at least this many of
# those meta lines, and at least TEMPLATE_SHARE of them, share it.
MIN_TEMPLATE_LINES = 2
TEMPLATE_SHARE = 0.5
# A commenter's name on a line of its own above the template line ("Colin Roald" over "October
# 1st, 2012 at 2:04 pm"): a block of at most this many characters that is not a meta line; the
# thread has such two-line headers when MIN_TEMPLATE_LINES and TEMPLATE_SHARE of its other
# template lines have one.
NAME_MAX_CHARS = 60


def _template(keys: Sequence[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The thread's commenter-line template from its meta lines' ``keys``: per word position
    (first, last) the commonest key when at least MIN_TEMPLATE_LINES lines and TEMPLATE_SHARE
    of them share it, else None (that position varies: names, or no template)."""
    out: list[str | None] = []
    for pos in (0, 1):
        counts = Counter(k[pos] for k in keys if k[pos])
        key, n = counts.most_common(1)[0] if counts else ("", 0)
        out.append(key if n >= MIN_TEMPLATE_LINES and n >= TEMPLATE_SHARE * len(keys) else None)
    return out[0], out[1]


def _matches(keys: tuple[str, str], template: tuple[str | None, str | None]) -> bool:
    """A line fits the template when it has the template's key at every position that has one."""
    return all(t is None or k == t for k, t in zip(keys, template))


def _name_sized(text: str) -> bool:
    """Short enough for a name line (and not blank)."""
    return 0 < len(text.strip()) <= NAME_MAX_CHARS


def _name_line(start: int, a: int, labels: np.ndarray, texts: Sequence[str], meta: np.ndarray,
               window: np.ndarray, template: tuple[str | None, str | None]) -> int:
    """``start`` (page-local, on a template line) moved one block up onto a name line, where the
    thread's headers are two lines: MIN_TEMPLATE_LINES and TEMPLATE_SHARE of its later template
    lines (rows ``window``) sit under a short non-meta line labelled comment."""
    if start == 0 or labels[start - 1] != _E:
        return start

    def name_like(r: int) -> bool:
        k = int(np.searchsorted(meta, r))
        return not (k < meta.size and meta[k] == r) and _name_sized(texts[r])

    if not name_like(a + start - 1):
        return start
    later = [r for r in window.tolist() if r > a + start and _matches(line_keys(texts[r]), template)]
    named = sum(name_like(r - 1) and labels[r - 1 - a] == _C for r in later)
    return start - 1 if named >= MIN_TEMPLATE_LINES and named >= TEMPLATE_SHARE * len(later) else start


def extend_starts(decoded: list[np.ndarray], X: np.ndarray | None, texts: Sequence[str],
                  offsets: np.ndarray, skip: Collection[int] = (), meta: np.ndarray | None = None) -> int:
    """Move each page's decoded thread start up to the thread's own commenter lines, in place.

    ``decoded``: per page its labels (indices of ``LABELS``); ``X``: the batch's
    ``features.extract.FEATURE_NAMES`` rows, or None with ``meta``, their meta-line rows
    (``features.headers.meta_rows``; the HTML path finds them before its DOM columns replace
    the text ones); ``texts`` its blocks, ``offsets`` each page's first row (and the total);
    ``skip``: pages left as they are (the classifier's reread pages, which it runs the step on by
    paragraph: a hard-wrapped paragraph's short last line would pass for a name line). Returns
    the number of pages whose start moved."""
    if meta is None:
        meta = meta_rows(X)
    if meta.size < MIN_TEMPLATE_LINES or not decoded:
        return 0
    # Every page's first comment row, and the pages worth a look (vectorised over the batch: most
    # have no thread, or no meta line just above its start, or too few in its first blocks).
    ends = np.asarray(offsets[1:len(decoded) + 1], dtype=np.int64)
    starts = np.asarray(offsets[:len(decoded)], dtype=np.int64)
    comment = np.flatnonzero(np.concatenate(decoded) == _C)
    first = comment[np.minimum(np.searchsorted(comment, starts), max(comment.size - 1, 0))] if comment.size else starts
    has = (first >= starts) & (first < ends) if comment.size else np.zeros(len(decoded), dtype=bool)
    at = np.searchsorted(meta, first)
    above = at - np.searchsorted(meta, np.maximum(first - BACK_BLOCKS, starts))
    inside = np.searchsorted(meta, np.minimum(first + TEMPLATE_BLOCKS, ends)) - at
    on_meta = meta[np.minimum(at, meta.size - 1)] == first
    moved = 0
    look = has & ((above > 0) | on_meta) & (inside >= MIN_TEMPLATE_LINES)
    if skip:
        look[list(skip)] = False
    for p in np.flatnonzero(look).tolist():
        a, s = int(starts[p]), int(first[p] - starts[p])
        labels = decoded[p]
        if not above[p] and not (s and labels[s - 1] == _E and _name_sized(texts[a + s - 1])):
            continue  # nothing to match above, and no name line: the common case, decided before any key
        lo, hi = np.searchsorted(meta, (a + s, min(a + s + TEMPLATE_BLOCKS, int(ends[p]))))
        lo0, hi0 = lo, hi  # the thread's first TEMPLATE_BLOCKS blocks' meta lines
        template = _template([line_keys(texts[r]) for r in meta[lo:hi].tolist()])
        if template == (None, None):
            continue
        start = s
        while True:
            lo = int(np.searchsorted(meta, a + max(start - BACK_BLOCKS, 0)))
            hi = int(np.searchsorted(meta, a + start))
            new = start
            for r in meta[lo:hi].tolist():  # the earliest match whose blocks down to the start are editorial
                if _matches(line_keys(texts[r]), template) and (labels[r - a:start] == _E).all():
                    new = r - a
                    break
            if new == start:
                break
            start = new
        if _matches(line_keys(texts[a + start]), template):
            start = _name_line(start, a, labels, texts, meta, meta[lo0:hi0], template)
        if start < s:
            if not labels.flags.writeable:
                labels = decoded[p] = labels.copy()
            labels[start:s] = _C  # all editorial, by the test above
            moved += 1
    return moved
