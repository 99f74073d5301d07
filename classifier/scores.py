"""Page-level scores: label fractions, comment section, duplication, quality and its reasons.

Quality starts at 1 and each rule that fires multiplies it by ``1 - penalty``; the rules are
data (``QUALITY_RULES``): a snake_case reason, the measured value, the threshold at which it
starts to count and the value at which it reaches its full penalty. ``reasons`` lists the
rules that fired, largest penalty first. Every rule but ``spam`` is measured on the page
without its spam blocks, so spam cannot dilute the other penalties: adding a spam block never
raises quality, removing one never lowers it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features.mt import mt_page_scores
from features.mt_soft import SOFT_PAGE_WEIGHT, combine

from .model import LABELS

# Auto-blog markers (LABELS.md): republishing plugins leave these lines behind.
# Both match whole lines of blocks joined by newlines, searched as "\n" + text (one scan per
# batch, not one per block): the leading newline anchors a line start and gives the regex
# engine a literal to skip ahead to (10x faster than ^ with re.M); [^\S\n] is white space
# that stays on its line.
AUTOBLOG_RX = re.compile(
    r"\n[^\S\n]*(?:source link|source:[^\S\n]*\S+[^\S\n]*$|home[^\S\n]*[/\u00bb>][^\S\n]*uncategori[sz]ed\b"
    r"|uncategori[sz]ed[^\S\n]*$)",
    re.I | re.M,
)
LEAVE_REPLY_RX = re.compile(r"\n[^\S\n]*leave a (?:reply|comment)[^\S\n]*$", re.I | re.M)
# Ignore repeats of blocks shorter than this when judging duplication for quality
# ("Reply", "Share" repeat on every thread); dup_fraction itself counts all repeats.
MIN_DUP_CHARS_FOR_QUALITY = 30


@dataclass(frozen=True)
class QualityRule:
    """One cause of low quality: penalty ramps linearly from ``start`` to ``full``."""

    reason: str
    start: float
    full: float
    max_penalty: float
    doc: str


QUALITY_RULES: tuple[QualityRule, ...] = (
    QualityRule("comment_heavy", 0.30, 0.80, 0.55, "share of non-spam characters labelled comment"),
    QualityRule("spam", 0.01, 0.20, 0.60, "share of characters labelled spam"),
    QualityRule("boilerplate_heavy", 0.40, 0.90, 0.45, "share of non-spam characters labelled boilerplate"),
    QualityRule("machine_translated", 0.20, 0.60, 0.65, "mt score of the non-spam blocks"),
    QualityRule("duplicated_content", 0.10, 0.50, 0.60,
                "share of non-spam characters repeating an earlier block"),
    QualityRule("autoblog_markers", 0.5, 2.0, 0.35, "count of auto-blog marker lines"),
    QualityRule("profanity", 0.02, 0.15, 0.30, "share of non-spam blocks with profanity >= 0.5"),
    QualityRule("thin_content", 0.0, 1.0, 0.40, "1 - editorial characters / THIN_EDITORIAL_CHARS"),
)
# A page with fewer editorial characters than this is thin (a stub, a gallery, a list).
THIN_EDITORIAL_CHARS = 600
PROFANE_BLOCK = 0.5


def fractions(labels: np.ndarray, lengths: np.ndarray) -> dict[str, float]:
    """Share of the page's characters under each label (sums to 1; all 0 for an empty page)."""
    total = float(lengths.sum())
    if total <= 0:
        return {lab: (1.0 if lab == "boilerplate" else 0.0) for lab in LABELS}
    sums = np.bincount(labels, weights=lengths, minlength=len(LABELS))
    return {lab: round(float(sums[i] / total), 4) for i, lab in enumerate(LABELS)}


def dup_fraction(dup: np.ndarray, lengths: np.ndarray, min_chars: int = 0) -> float:
    """Share of characters in blocks that repeat an earlier block."""
    total = float(lengths.sum())
    if total <= 0:
        return 0.0
    mask = (dup > 0) & (lengths >= min_chars)
    return float(lengths[mask].sum() / total)


def quality(frac: dict[str, float], mt_score: float, dup_chars: float, texts: Sequence[str],
            has_comments: bool, profanity: np.ndarray, lengths: np.ndarray,
            labels: np.ndarray) -> tuple[float, list[str]]:
    """Quality 0..1 and the reasons that lowered it, largest first.

    ``frac`` gives the spam share; ``mt_score`` and ``dup_chars`` are those of the page without
    its spam blocks (the other shares are computed here from ``labels`` and ``lengths``).
    """
    page = "\n" + "\n".join(texts)
    markers = len(AUTOBLOG_RX.findall(page))
    if not has_comments:
        markers += len(LEAVE_REPLY_RX.findall(page))
    labels = np.asarray(labels)
    lengths = np.asarray(lengths)
    editorial_chars = float(lengths[labels == LABELS.index("editorial")].sum()) if len(lengths) else 0.0
    clean = labels != LABELS.index("spam")
    clean_chars = float(lengths[clean].sum())

    def clean_share(label: str) -> float:
        return float(lengths[labels == LABELS.index(label)].sum()) / clean_chars if clean_chars > 0 else 0.0

    clean_profanity = np.asarray(profanity)[clean]
    return apply_rules({
        "comment_heavy": clean_share("comment"),
        "spam": frac["spam"],
        "boilerplate_heavy": clean_share("boilerplate"),
        "machine_translated": mt_score,
        "duplicated_content": dup_chars,
        "autoblog_markers": float(markers),
        "profanity": float((clean_profanity >= PROFANE_BLOCK).mean()) if len(clean_profanity) else 0.0,
        "thin_content": max(0.0, 1.0 - editorial_chars / THIN_EDITORIAL_CHARS),
    })


def apply_rules(values: dict[str, float]) -> tuple[float, list[str]]:
    """``QUALITY_RULES`` applied to the measured values -> (quality, reasons largest first)."""
    q = 1.0
    hits: list[tuple[float, str]] = []
    for r in QUALITY_RULES:
        v = values[r.reason]
        if v <= r.start:
            continue
        pen = r.max_penalty * min(1.0, (v - r.start) / max(r.full - r.start, 1e-9))
        if pen > 0:
            q *= 1.0 - pen
            hits.append((pen, r.reason))
    hits.sort(key=lambda h: -h[0])
    return round(max(0.0, min(1.0, q)), 4), [r for _, r in hits]


@dataclass
class PageScores:
    """The page-level fields of one result."""

    fractions: dict[str, float]
    mt_score: float
    dup_fraction: float
    quality: float
    reasons: list[str]


def batch_scores(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
                 dup: np.ndarray, profanity: np.ndarray, doc: str, block_starts: np.ndarray,
                 has_comments: np.ndarray, mt_soft_page: np.ndarray | None = None) -> list[PageScores]:
    """Page fields for a batch of pages: the same values as ``fractions``, ``dup_fraction``,
    ``mt_page_score`` and ``quality`` page by page, from a few ``bincount`` calls per batch.

    ``doc`` is every block of the batch joined by newlines and ``block_starts`` each block's
    offset in it (auto-blog markers are found with one regex scan of the batch).
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    n_labels = len(LABELS)
    spam = LABELS.index("spam")
    clean = labels != spam

    def per_page(weights: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
        pg = page if mask is None else page[mask]
        w = weights if weights is None or mask is None else weights[mask]
        return np.bincount(pg, weights=w, minlength=n_pages).astype(np.float64)

    by_label = np.bincount(page * n_labels + labels, weights=lengths,
                           minlength=n_pages * n_labels).reshape(n_pages, n_labels)
    total = by_label.sum(axis=1)
    clean_total = total - by_label[:, spam]
    dup_all = per_page(lengths * (dup > 0))
    dup_clean = per_page(lengths * ((dup > 0) & (lengths >= MIN_DUP_CHARS_FOR_QUALITY)), clean)
    mt_all = mt_page_scores(mt, lengths, page, n_pages)
    mt_clean = mt_page_scores(mt[clean], lengths[clean], page[clean], n_pages)
    if mt_soft_page is not None:  # the page's soft translationese signal (features/mt_soft.py)
        mt_all = combine(mt_all, mt_soft_page, SOFT_PAGE_WEIGHT)
        mt_clean = combine(mt_clean, mt_soft_page, SOFT_PAGE_WEIGHT)
    n_clean = per_page(mask=clean)
    profane_clean = per_page((np.asarray(profanity) >= PROFANE_BLOCK).astype(np.float64), clean)
    markers = _markers_per_page(AUTOBLOG_RX, doc, block_starts, page, n_pages)
    leave_reply = _markers_per_page(LEAVE_REPLY_RX, doc, block_starts, page, n_pages)
    out = []
    for p in range(n_pages):
        tot = total[p]
        if tot > 0:
            frac = {lab: round(float(by_label[p, i] / tot), 4) for i, lab in enumerate(LABELS)}
            dup_f = float(dup_all[p] / tot)
        else:
            frac = {lab: (1.0 if lab == "boilerplate" else 0.0) for lab in LABELS}
            dup_f = 0.0
        ct = clean_total[p]
        values = {
            "comment_heavy": float(by_label[p, LABELS.index("comment")]) / ct if ct > 0 else 0.0,
            "spam": frac["spam"],
            "boilerplate_heavy": float(by_label[p, LABELS.index("boilerplate")]) / ct if ct > 0 else 0.0,
            "machine_translated": float(mt_clean[p]),
            "duplicated_content": float(dup_clean[p] / ct) if ct > 0 else 0.0,
            "autoblog_markers": float(markers[p] + (0 if has_comments[p] else leave_reply[p])),
            "profanity": float(profane_clean[p] / n_clean[p]) if n_clean[p] else 0.0,
            "thin_content": max(0.0, 1.0 - float(by_label[p, LABELS.index("editorial")]) / THIN_EDITORIAL_CHARS),
        }
        q, reasons = apply_rules(values)
        out.append(PageScores(frac, float(mt_all[p]), dup_f, q, reasons))
    return out


def _markers_per_page(rx: re.Pattern, doc: str, block_starts: np.ndarray, page: np.ndarray,
                      n_pages: int) -> np.ndarray:
    """Matches of a line-anchored marker regex per page (by the block each match starts in)."""
    pos = [m.start() for m in rx.finditer("\n" + doc)]  # start of the match = its line's offset in doc
    if not pos:
        return np.zeros(n_pages, dtype=np.int64)
    blocks = np.searchsorted(block_starts, np.asarray(pos, dtype=np.int64), side="right") - 1
    return np.bincount(page[blocks], minlength=n_pages)
