"""Per-page limits: hostile pages never stall the pipeline and are never dropped.

Web data is adversarial (a 40 MB page with no newline, an emoji storm, a page that is one huge
table). Three limits keep each page's cost bounded, and each leaves a trace in ``reasons``:

- ``max_block_chars``: a block longer than this is analysed on its first ``max_block_chars``
  characters; its full text is still in the output (``truncated_block``).
- ``max_page_bytes`` / ``max_page_blocks``: blocks after the first ``max_page_bytes`` bytes
  (UTF-8) or ``max_page_blocks`` blocks of a page (per-block costs dominate on pages of many
  short lines) are not analysed; they are still in the output, labelled ``boilerplate`` with uniform probabilities,
  and the page's fractions count them (``truncated_page``). HTML beyond
  ``HTML_MARKUP_FACTOR`` times that is not parsed.
- ``page_timeout``: a wall-clock budget. A batch of pages runs under one alarm (the budget of
  one page plus ``BATCH_SECONDS_PER_PAGE`` per page: two system calls per batch, nothing per
  block); when it rings, the batch's pages are redone one by one, each under its own
  ``page_timeout``, and a page that overruns gets a cheap result flagged ``timeout`` (every
  block ``boilerplate``, uniform probabilities, quality 0). The alarm is SIGALRM, so it is
  enforced in the main thread on POSIX (CLI workers included); elsewhere pages run unbounded.
  Regex scans are interrupted by it; numpy calls finish first (they are linear and bounded by
  the size limits above).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from features import ext
from features.segment import Block

from .model import LABELS

if TYPE_CHECKING:  # pragma: no cover
    from .api import DocumentResult, PageInput

# Defaults (documented in the README and in `newswinnow classify --help`).
DEFAULT_MAX_PAGE_BYTES = 1_000_000
DEFAULT_MAX_PAGE_BLOCKS = 10_000
DEFAULT_MAX_BLOCK_CHARS = 20_000
DEFAULT_PAGE_TIMEOUT = 5.0
# HTML carries markup: the raw HTML parsed is cut at this multiple of max_page_bytes.
HTML_MARKUP_FACTOR = 2
# A batch's alarm: one page's budget plus this much per page in the batch.
BATCH_SECONDS_PER_PAGE = 0.25
# UTF-8 takes at most this many bytes per character (so a page this many times under the limit,
# counted in characters, is under it in bytes without encoding anything).
MAX_UTF8_BYTES_PER_CHAR = 4

TRUNCATED_PAGE = "truncated_page"
TRUNCATED_BLOCK = "truncated_block"
TIMEOUT = "timeout"
# What blocks that were not analysed get: a valid "do not know" that a keep-editorial filter drops.
UNANALYSED_LABEL = "boilerplate"
_UNIFORM = {label: round(1.0 / len(LABELS), 4) for label in LABELS}
# The compiled page sizes (classifier/_results_ext.pyx ``page_sizes``), or None: the loops below.
_RESULTS = ext.load("classifier._results_ext")


@dataclass(frozen=True)
class Limits:
    """The per-page limits (``None`` or 0 turns one off)."""

    max_page_bytes: int | None = DEFAULT_MAX_PAGE_BYTES
    max_block_chars: int | None = DEFAULT_MAX_BLOCK_CHARS
    page_timeout: float | None = DEFAULT_PAGE_TIMEOUT
    max_page_blocks: int | None = DEFAULT_MAX_PAGE_BLOCKS


@dataclass(slots=True)
class Cut:
    """What ``apply`` changed on one page, so ``restore`` can put it back into the result."""

    full_texts: dict[int, str]  # block position -> the full text of a block cut for features
    tail: list[Block]  # blocks past max_page_bytes, not analysed
    reasons: list[str]


def cut_html(html: str, limits: Limits) -> tuple[str, bool]:
    """Raw HTML cut before parsing at ``HTML_MARKUP_FACTOR * max_page_bytes`` characters."""
    if not limits.max_page_bytes:
        return html, False
    cap = HTML_MARKUP_FACTOR * limits.max_page_bytes
    return (html[:cap], True) if len(html) > cap else (html, False)


def _page_cut(blocks: list[Block], max_bytes: int) -> int:
    """How many leading blocks fit in ``max_bytes`` bytes of UTF-8 (newlines between blocks counted)."""
    total = 0
    for i, b in enumerate(blocks):
        total += len(b.text) + 1
        if total * MAX_UTF8_BYTES_PER_CHAR <= max_bytes:
            continue
        # Close to the limit: count this block's bytes exactly (it may be mostly ASCII).
        total += len(b.text.encode("utf-8", "surrogatepass")) - len(b.text)
        if total > max_bytes + 1:
            return max(i, 1)  # always analyse the first block (cut by max_block_chars)
    return len(blocks)


def apply(pages: Sequence[PageInput], limits: Limits) -> tuple[list[PageInput], dict[int, Cut]]:
    """Pages cut to the limits for analysis, and what was cut (by page position; usually empty)."""
    out, cuts, _ = apply_sized(pages, limits)
    return out, cuts


def apply_sized(pages: Sequence[PageInput], limits: Limits) -> tuple[list[PageInput], dict[int, Cut], list[int] | None]:
    """``apply``, and each page's characters of block text (``sum(len(b.text) for b in p.blocks)``,
    the same for the page returned unless it was cut), or None when not computed in advance.

    A page within every limit is passed over on its precomputed sizes (compiled, when built and the
    blocks are plain ``Block``s) instead of two Python loops over its blocks; any other page goes
    through the loops, which decide exactly as before."""
    max_chars, max_bytes = limits.max_block_chars or 0, limits.max_page_bytes or 0
    max_blocks = limits.max_page_blocks
    cuts: dict[int, Cut] = {}
    out = list(pages)
    sizes = _RESULTS.page_sizes(out, Block) if _RESULTS is not None else None
    totals, longest = sizes if sizes is not None else (None, None)
    for p, page in enumerate(pages):
        blocks = page.blocks
        n = len(blocks)
        reasons = list(getattr(page, "flags", ()) or ())
        if (totals is not None and not reasons and not (max_blocks and n > max_blocks)
                and not (max_bytes and n and totals[p] * MAX_UTF8_BYTES_PER_CHAR > max_bytes)
                and not (max_chars and longest[p] > max_chars)):
            continue  # what the loops below find: nothing to cut, nothing to flag
        if max_blocks and n > max_blocks:
            n = max_blocks
        if max_bytes and n and sum(len(blocks[i].text) for i in range(n)) * MAX_UTF8_BYTES_PER_CHAR > max_bytes:
            n = _page_cut(blocks[:n], max_bytes)
        full: dict[int, str] = {}
        if max_chars:
            for i in range(n):
                if len(blocks[i].text) > max_chars:
                    full[i] = blocks[i].text
        if n == len(blocks) and not full and not reasons:
            continue
        kept = blocks[:n]
        if full:
            kept = [replace(b, text=b.text[:max_chars]) if i in full else b for i, b in enumerate(kept)]
            reasons.append(TRUNCATED_BLOCK)
        if n < len(blocks) and TRUNCATED_PAGE not in reasons:
            reasons.append(TRUNCATED_PAGE)
        cuts[p] = Cut(full, blocks[n:], reasons)
        html = getattr(page, "html", None)
        if html is not None:  # the HTML model's DOM facts: one row per analysed block, as the text
            html = replace(html, blocks=kept, dom=html.dom[:n])
            out[p] = replace(page, blocks=kept, html=html)
        else:
            out[p] = replace(page, blocks=kept)
    return out, cuts, totals


def _tail_block(blk: Block, is_html: bool) -> dict:
    return {"index": blk.index, "line": None if is_html else blk.line, "text": blk.text,
            "label": UNANALYSED_LABEL, "proba": dict(_UNIFORM), "mt": 0.0, "profanity": 0.0, "evidence": []}


def _refraction(doc: DocumentResult) -> None:
    """Fractions over all blocks (analysed or not), by characters."""
    chars = dict.fromkeys(LABELS, 0)
    for b in doc.blocks:
        chars[b["label"]] += len(b["text"])
    total = sum(chars.values())
    if total:
        doc.fractions = {k: round(v / total, 4) for k, v in chars.items()}


def restore(results: list[DocumentResult], pages: Sequence[PageInput], cuts: dict[int, Cut]) -> None:
    """Put the full block texts and the unanalysed blocks back into the results; add the reasons."""
    for p, cut in cuts.items():
        doc, page = results[p], pages[p]
        for i, text in cut.full_texts.items():
            doc.blocks[i]["text"] = text
        if cut.tail:
            doc.blocks.extend(_tail_block(b, page.is_html) for b in cut.tail)
            doc.labels.extend(UNANALYSED_LABEL for _ in cut.tail)
            _refraction(doc)
        doc.reasons = doc.reasons + [r for r in cut.reasons if r not in doc.reasons]


def timeout_result(page: PageInput, model_name: str) -> DocumentResult:
    """The cheap result of a page that overran its budget: every block present, not analysed."""
    from .api import DocumentResult
    from .source import registered_domain

    blocks = [_tail_block(b, page.is_html) for b in page.blocks]
    doc = DocumentResult(
        id=page.id, url=page.url, source=registered_domain(page.url), blocks=blocks,
        has_comments=False, comment_start=None,
        fractions={label: float(label == UNANALYSED_LABEL) for label in LABELS},
        mt_score=0.0, dup_fraction=0.0, quality=0.0, reasons=[TIMEOUT], model=model_name,
        labels=[UNANALYSED_LABEL] * len(blocks),
    )
    return doc


class PageTimeout(Exception):
    """Raised by the alarm inside a batch or page that overran its budget."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: float | None):
    """Raise ``PageTimeout`` in this block after ``seconds`` of wall-clock time (main thread, POSIX)."""
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return

    rang = False

    def ring(signum, frame):  # noqa: ARG001 - signal handler signature
        nonlocal rang
        rang = True
        raise PageTimeout

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if rang:
        # The alarm rang but its exception never reached us: Python drops exceptions raised in
        # a garbage-collector callback or a __del__ (seen in CI: the alarm landed in one of
        # hypothesis's gc callbacks and the page came back analysed). The budget was overrun.
        raise PageTimeout


def run_batch(classify: Callable[[Sequence[PageInput]], list[DocumentResult]], pages: Sequence[PageInput],
              limits: Limits, model_name: str) -> list[DocumentResult]:
    """``classify(pages)`` within the batch budget; on overrun, page by page within ``page_timeout``."""
    budget = limits.page_timeout
    if not budget or not _can_alarm():
        return classify(pages)
    if len(pages) == 1:  # the batch is the page: its overrun is the page's
        try:
            with deadline(budget):
                return classify(pages)
        except PageTimeout:
            return [timeout_result(pages[0], model_name)]
    try:
        with deadline(budget + BATCH_SECONDS_PER_PAGE * len(pages)):
            return classify(pages)
    except PageTimeout:
        pass
    out: list[DocumentResult] = []
    for page in pages:
        try:
            with deadline(budget):
                out.extend(classify([page]))
        except PageTimeout:
            out.append(timeout_result(page, model_name))
    return out
