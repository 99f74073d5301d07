"""How the model reads a plain-text page that was not written one paragraph per line.

Hard-wrapped pages (features/unwrap.py) are read as their paragraphs, markdown pages
(features/markdown.py) as the text their markup shows, and a page can be both (html2text
wraps its markdown at 78 characters). A ``Reading`` gives the texts the model reads and, for
each block (line) of the page, the text whose label and probabilities it takes. Pages that
are neither - nearly all - have no reading and go through the model line by line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import markdown, unwrap

__all__ = ["Reading", "page_reading", "batch_readings"]


@dataclass(slots=True)
class Reading:
    """What the model reads of a page: ``texts``, and ``owner[i]``, the text block i takes
    its label from."""

    texts: list[str]
    owner: np.ndarray  # int64, one entry per block
    wrapped: bool
    markdown: bool


def page_reading(lines: Sequence[str], line_numbers: Sequence[int] | None, wrap: bool = True,
                 md: bool = True) -> Reading | None:
    """The reading of one page, or None when it is read line by line. ``wrap``/``md``: look
    for wrapping and markdown (False where a cheaper test has ruled them out)."""
    plan = unwrap.plan_page(lines, line_numbers) if wrap else None
    texts = plan.paragraphs if plan is not None else list(lines)
    is_md = md and markdown.is_markdown(texts)  # paragraphs: links broken across lines joined
    if plan is None and not is_md:
        return None
    owner = plan.owner if plan is not None else np.arange(len(lines), dtype=np.int64)
    if is_md:
        texts = [markdown.plain(t) for t in texts]
        keep = np.fromiter((bool(t) for t in texts), dtype=bool, count=len(texts))
        if not keep.any():
            return None
        if not keep.all():
            # A text with nothing left to read (an image without alt text, a rule) gives its
            # lines the next text's label, or the last one's at the end of the page.
            kept = np.flatnonzero(keep)
            new_index = np.searchsorted(kept, np.arange(len(texts)))
            owner = np.minimum(new_index, len(kept) - 1)[owner]
            texts = [texts[i] for i in kept.tolist()]
    return Reading(texts, owner, plan is not None, is_md)


def batch_readings(page_texts: Sequence[Sequence[str]], line_numbers: Callable[[int], Sequence[int] | None],
                   plain_text: Callable[[int], bool], lengths: np.ndarray, offsets: np.ndarray,
                   joined: str, first: int = 0, utf8: bytes | None = None,
                   utf8_starts: np.ndarray | None = None) -> dict[int, Reading]:
    """Readings of a batch's pages by page index (usually none).

    ``lengths``/``offsets``: every block's length and each page's first block; ``joined``: the
    batch's blocks joined by newlines, the first starting at ``first``; ``utf8``/``utf8_starts``:
    the same as UTF-8 bytes and each block's start in them, when the feature pass has them
    (``PageFeatures.low_utf8``/``low_starts``: lower-cased, which no marker minds), scanned
    instead of ``joined``. Wrapping is looked for only on ``unwrap.candidates`` and on pages
    whose lines read as markdown; markdown only on pages that hold a link's "](" or a heading
    line's "#" (``markdown.markup_positions``), so a batch of ordinary pages costs a vectorised
    count and two single-character scans.
    """
    wrap = set(unwrap.candidates(lengths, offsets).tolist())
    if utf8 is not None and utf8_starts is not None and len(utf8_starts) == len(lengths):
        md = _pages_of(markdown.markup_positions(utf8), np.asarray(utf8_starts, dtype=np.int64), offsets)
    else:
        md = _pages_with_markers(joined, first, lengths, offsets)
    out: dict[int, Reading] = {}
    for k in sorted(wrap | md):
        if not plain_text(k):
            continue
        # A page with a marker but not a wrap candidate is looked at only if its lines read as
        # markdown (most such pages are not: "# posted by", a "[1] (see)"); markdown pages are
        # looked at for wrapping whatever their long lines, as html2text leaves list items and
        # link targets unbroken.
        if k not in wrap and not markdown.is_markdown(page_texts[k]):
            continue
        r = page_reading(page_texts[k], line_numbers(k), True, k in md)
        if r is not None:
            out[k] = r
    return out


def _pages_with_markers(joined: str, first: int, lengths: np.ndarray, offsets: np.ndarray) -> set[int]:
    """Pages whose blocks hold a markdown link's "](" or a heading line's "#" somewhere (block
    i starts at ``first`` plus the lengths before it plus i newlines in ``joined``)."""
    hits = markdown.markup_positions(joined, first)
    if not hits:
        return set()
    starts = np.full(len(lengths), first, dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    starts[1:] += first
    return _pages_of(hits, starts, offsets)


def _pages_of(hits: list[int], starts: np.ndarray, offsets: np.ndarray) -> set[int]:
    """The pages of positions ``hits``, given each block's start and each page's first block."""
    if not hits:
        return set()
    blocks = np.searchsorted(starts, np.asarray(hits, dtype=np.int64), side="right") - 1
    return set((np.searchsorted(offsets, blocks, side="right") - 1).tolist())
