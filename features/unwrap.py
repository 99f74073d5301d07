"""Hard-wrapped plain text: which pages were wrapped at a fixed width, and which lines make a paragraph.

lynx and html2text dumps, mail archives and CleanEval's gold text break every paragraph into
lines of at most W characters. Read line by line, a paragraph becomes several short blocks
that look like furniture or chat to a model trained on one paragraph per line (wrapped at 78
characters, editorial F1 fell 0.985 -> 0.914 in sample). A greedy wrapper leaves a line short
of W only where the next word would not have fitted, so the paragraphs can be read back off the
line lengths alone: line i continues on line i + 1 when ``len(i) + 1 + len(first word of
i + 1) > W``. The classifier reads such a page's paragraphs, and every line takes its
paragraph's label; the output keeps one block per line, as the contract says.

A page counts as wrapped only when its lines say so clearly (constants below): almost no
breakable line longer than W, enough lines (and enough of those between half the width and
the width) that end where the next word would not fit, some in runs of three lines or more,
and few of them at a sentence's end. One-paragraph-per-line text has lines far longer than any wrap width, so it
is ruled out by a vectorised count before any per-line work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .tablecache import banked_regex

__all__ = ["WrapPlan", "plan_page", "candidates"]

# Widths a wrapper uses (terminals, mail, lynx/html2text defaults 72-80); a page whose lines all
# stay under WRAP_MIN_WIDTH is a list of short lines, not wrapped prose.
WRAP_MIN_WIDTH = 40
WRAP_MAX_WIDTH = 160
# Fewer non-empty lines than this: too little to tell wrapping from chance.
MIN_LINES = 6
# Lines longer than the width that a wrapper could have broken (a space after their first
# word): at most this share of the lines, and at least OVERFLOW_MIN_ALLOWED of them (a table
# row or a preformatted line in an otherwise wrapped page).
OVERFLOW_MAX_SHARE = 0.02
OVERFLOW_MIN_ALLOWED = 1
# Lines at most this much longer than the width those set aside leave are the width's own
# (a full line; real overflow - tables, preformatted text - runs far past it).
WIDTH_SLACK = 3
# Lines that end where the next word would not fit: at least this many, and this share of the
# lines between half the width and the width long, list items aside (lines of wrapped prose;
# in one-paragraph-per-line text lengths spread and few sit within a word of the longest).
MIN_CONTINUED = 4
CONTINUED_SHARE = 0.3
# ... and this share of all the page's lines: a few long headlines in a page of furniture end
# near one length by chance.
CONTINUED_SHARE_OF_LINES = 0.03
# Of them, lines that also continue the line before (paragraphs of three lines or more): lines
# cut at a fixed length (teasers, "Read more" excerpts) end near one width too, but each is
# followed by a short line of something else.
MIN_CHAINED = 2
# A wrapper breaks where the width falls, mid-sentence as a rule (a line of ~12 words ends a
# sentence of ~20 by chance); whole paragraphs that happen to be about as long as each other
# end a sentence on every line. Above this share of sentence ends, the lines are not wrapped.
SENTENCE_END_MAX_SHARE = 0.5
# A next line that starts a list item or a heading starts a block of its own; such lines do
# not set the width either, nor do lines with a markdown link (html2text leaves list items
# and some lines of links unwrapped).
_ITEM_START = banked_regex(r"^\s*(?:[-*+\u2022\u25cf\u25aa>]|#{1,6}|\d{1,3}[.)])\s")
_SENTENCE_END = banked_regex(r"[.!?][\"'\u201d\u2019)\]]*$")
# Where the first word of a line holds a hyphen between letters, the part up to it (a wrapper
# that breaks at hyphens could have put that part on the line before).
_HYPHEN_PART = banked_regex(r"^[^\W\d_]+-(?=[^\W\d_])")
# A line ending "letters-" before a line starting with a letter: a word broken at its hyphen,
# joined back without a space.
_BROKEN_AT_HYPHEN = banked_regex(r"[^\W\d_]-$")


@dataclass(slots=True)
class WrapPlan:
    """A wrapped page read as paragraphs: ``owner[i]`` is the paragraph of block i."""

    width: int
    paragraphs: list[str]
    owner: np.ndarray  # int64, one entry per block


def _first_word_length(line: str) -> int:
    """Length of what a greedy wrapper would have had to fit first from ``line``."""
    words = line.split(None, 1)
    if not words:
        return 0
    word = words[0]
    if "-" in word and (h := _HYPHEN_PART.match(word)) is not None:
        return h.end()
    return len(word)


def _width(lengths: list[int], texts: Sequence[str]) -> int:
    """The wrap width a page's lines suggest: the longest length once the allowed overflow is
    set aside, counting only lines a wrapper could have broken (a space inside), and then the
    longest line within WIDTH_SLACK of that. It can fall a character or two under the wrapper's
    own width, when no line filled it; the continuation rule then merges a little more readily."""
    breakable = sorted((n for n, t in zip(lengths, texts)
                        if " " in t.strip() and _ITEM_START.match(t) is None and "](" not in t), reverse=True)
    if not breakable:
        return 0
    below = breakable[min(_allowed_overflow(len(lengths)), len(breakable) - 1)]
    return max(n for n in breakable if n <= below + WIDTH_SLACK)


def _allowed_overflow(n: int) -> int:
    """How many breakable lines of a page of ``n`` lines may run past its width."""
    return max(OVERFLOW_MIN_ALLOWED, int(OVERFLOW_MAX_SHARE * n))


def plan_page(texts: Sequence[str], lines: Sequence[int] | None = None) -> WrapPlan | None:
    """The paragraphs of a hard-wrapped page, or None when the page does not read as wrapped.

    ``texts`` are the page's non-empty lines; ``lines`` their line numbers (a blank line
    between two lines ends a paragraph); without them the lines are taken as adjacent.
    """
    n = len(texts)
    if n < MIN_LINES:
        return None
    stripped = [t.rstrip() for t in texts]
    lengths = [len(t) for t in stripped]
    width = _width(lengths, stripped)
    if not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return None
    half = width / 2
    continued = [False] * n
    n_continued = n_long = 0
    n_chained = n_sentence_end = 0
    for i in range(n):
        if half <= lengths[i] <= width and _ITEM_START.match(stripped[i]) is None:
            n_long += 1
        if i + 1 < n and (lines is None or lines[i + 1] == lines[i] + 1):
            nxt = stripped[i + 1]
            gap = width - lengths[i]  # the next line's first word continues this line if it is longer
            if gap < 0:  # the allowed overflow, or a word no wrapper could break
                continued[i] = " " not in stripped[i].strip()
            elif len(nxt) >= gap and _first_word_length(nxt) >= gap and _ITEM_START.match(nxt) is None:
                continued[i] = True
                n_continued += 1
                n_chained += i > 0 and continued[i - 1]
                n_sentence_end += _SENTENCE_END.search(stripped[i]) is not None
    if (n_continued < max(MIN_CONTINUED, CONTINUED_SHARE_OF_LINES * n) or n_continued < CONTINUED_SHARE * n_long
            or n_chained < MIN_CHAINED
            or n_sentence_end > SENTENCE_END_MAX_SHARE * n_continued):
        return None
    owner = np.empty(n, dtype=np.int64)
    paragraphs: list[str] = []
    parts: list[str] = []
    for i in range(n):
        owner[i] = len(paragraphs)
        part = stripped[i] if not parts else stripped[i].lstrip()
        if parts and _BROKEN_AT_HYPHEN.search(parts[-1]) and part[:1].isalpha():
            parts[-1] += part
        else:
            parts.append(part)
        if not continued[i]:
            paragraphs.append(" ".join(parts))
            parts = []
    return WrapPlan(width, paragraphs, owner)


def candidates(lengths: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Indices of the pages of a batch that may be wrapped (usually none), for ``plan_page``.

    ``lengths``/``offsets``: every block's length and each page's first block, as the feature
    pass has them. A page with more lines over WRAP_MAX_WIDTH than the overflow allows is not
    wrapped at any width, and is ruled out here without a per-line loop.
    """
    sizes = np.diff(offsets)
    over_before = np.concatenate(([0], np.cumsum(lengths > WRAP_MAX_WIDTH)))
    over = over_before[offsets[1:]] - over_before[offsets[:-1]]
    allowed = np.maximum(OVERFLOW_MIN_ALLOWED, (OVERFLOW_MAX_SHARE * sizes).astype(np.int64))  # _allowed_overflow
    return np.flatnonzero((sizes >= MIN_LINES) & (over <= allowed))
