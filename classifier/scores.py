"""Page-level scores: label fractions, comment section, duplication, quality and its reasons.

Quality starts at 1 and each rule that fires multiplies it by ``1 - penalty``. The rules are data
(``QUALITY_RULES``, in the style of DataTrove's filters): a snake_case reason, the measured value,
the threshold at which it starts to count (``start``) and the value at which it reaches its full
penalty (``full``); the penalty ramps linearly in between. ``reasons`` lists the rules that fired,
the one that lowered quality most first.

Monotone by construction: removing a *bad* block never lowers quality. A block is *good* when it
is editorial, does not repeat an earlier block, and carries no machine-translation or profanity
evidence (``mt < MT_BLOCK``, ``profanity < PROFANE_BLOCK``); every other block is bad. Each share
is measured against the good characters only, ``bad / (bad + good)``, never against the page's
total (removing a boilerplate line would otherwise raise the comment share), thinness counts
good characters, and markers are counted per line. Removing a bad block leaves ``good`` as it is
(or raises it, when the block was the first copy of a repeated good block) and lowers or keeps
every bad mass, so no value rises, so no penalty rises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features import ext
from features.extract import duplicate_flags
from features.mt import PAGE_COUNT_SCALE, PAGE_SCORE_POWER, PAGE_SHARE_GAIN, mt_page_scores
from features.mt_soft import SOFT_PAGE_WEIGHT, combine
from features.tablecache import banked_regex

from .model import LABELS

# Auto-blog markers (LABELS.md): republishing plugins leave these lines behind. Each is a
# (name, pattern, weight): the weights of a page's marker lines add up to the value of the
# ``autoblog_markers`` rule. Weak markers weigh half, so on its own one never lowers quality (the
# rule starts above 0.5): "Leave a Reply" closes every WordPress post, and "Source: Reuters" is
# honest attribution; next to a "Source link" footer or an "Uncategorized" breadcrumb they count.
AUTOBLOG_MARKERS: tuple[tuple[str, str, float], ...] = (
    ("source_link", r"source link\b", 1.0),
    ("uncategorized_breadcrumb", r"home[^\S\n]*[/\u00bb>][^\S\n]*uncategori[sz]ed\b", 1.0),
    ("uncategorized_line", r"uncategori[sz]ed[^\S\n]*$", 1.0),
    ("source_footer", r"source:[^\S\n]*\S+[^\S\n]*$", 0.5),
    ("leave_a_reply", r"leave a (?:reply|comment)[^\S\n]*$", 0.5),
)
# All markers in one scan of the batch, searched as "\n" + text: the leading newline anchors a
# line start and gives the regex engine a literal to skip ahead to (10x faster than ^ with re.M);
# [^\S\n] is white space that stays on its line, so a match never spans two blocks.
AUTOBLOG_RX = banked_regex(
    r"\n[^\S\n]*(?:" + "|".join(f"(?P<{name}>{rx})" for name, rx, _ in AUTOBLOG_MARKERS) + ")",
    re.I | re.M,
)
MARKER_WEIGHT = {name: w for name, _, w in AUTOBLOG_MARKERS}
# Every marker begins, after the line's white space, with one of these letters (under re.I, as
# AUTOBLOG_RX; a test checks them against AUTOBLOG_MARKERS). A first scan for such line starts is
# ~2x faster than AUTOBLOG_RX's; AUTOBLOG_RX then runs at those few places only. A match holds a
# single newline (its first character), so matches at different line starts never overlap and
# the result is AUTOBLOG_RX.finditer's.
MARKER_FIRST_LETTERS = "shul"
_MARKER_CANDIDATE_RX = banked_regex(r"\n[^\S\n]*[" + MARKER_FIRST_LETTERS + "]", re.I | re.M)
# Every character the class above matches under re.I (U+017F LONG S folds to s; checked by a
# test over all code points): what the compiled scan compares with.
MARKER_FIRST_CHARS = "HLSUhlsu\u017f"
# Ignore repeats of blocks shorter than this when judging duplication for quality
# ("Reply", "Share" repeat on every thread); dup_fraction itself counts all repeats.
MIN_DUP_CHARS_FOR_QUALITY = 30
# A block at or above these scores is bad for quality (and its characters not good editorial).
MT_BLOCK = 0.5
PROFANE_BLOCK = 0.5
# A page with fewer good editorial characters than this is thin (a stub, a gallery, a list).
THIN_EDITORIAL_CHARS = 600


@dataclass(frozen=True)
class QualityRule:
    """One cause of low quality: penalty ramps linearly from 0 at ``start`` to ``max_penalty``
    at ``full``."""

    reason: str
    start: float
    full: float
    max_penalty: float
    doc: str


QUALITY_RULES: tuple[QualityRule, ...] = (
    QualityRule("comment_heavy", 0.30, 0.80, 0.55,
                "comment characters / (comment + good editorial characters)"),
    QualityRule("spam", 0.01, 0.20, 0.60,
                "spam characters / (spam + good editorial characters)"),
    QualityRule("boilerplate_heavy", 0.50, 0.95, 0.40,
                "boilerplate characters / (boilerplate + good editorial characters)"),
    QualityRule("machine_translated", 0.20, 0.60, 0.65,
                "features.mt's page score of the non-spam blocks, its share term taken against good editorial "
                "characters: 1 - (1 - min(1, GAIN x M / (M + good))) x exp(-sum(mt^POWER) / SCALE), "
                "M = sum(characters x mt^POWER)"),
    QualityRule("duplicated_content", 0.10, 0.45, 0.60,
                f"characters of non-spam blocks of >= {MIN_DUP_CHARS_FOR_QUALITY} characters repeating an earlier "
                "block / (those + good editorial characters)"),
    QualityRule("autoblog_markers", 0.5, 2.0, 0.35,
                "auto-blog marker lines, weighted (AUTOBLOG_MARKERS: 1 each, 0.5 for 'Leave a Reply' and 'Source: X')"),
    QualityRule("profanity", 0.02, 0.20, 0.30,
                f"characters of non-spam blocks with profanity >= {PROFANE_BLOCK} "
                "/ (those + good editorial characters)"),
    QualityRule("thin_content", 0.0, 1.0, 0.40,
                f"1 - good editorial characters / {THIN_EDITORIAL_CHARS}"),
)
RULE_NAMES = tuple(r.reason for r in QUALITY_RULES)
_STARTS = np.array([r.start for r in QUALITY_RULES])
_SPANS = np.array([max(r.full - r.start, 1e-9) for r in QUALITY_RULES])
_MAX_PEN = np.array([r.max_penalty for r in QUALITY_RULES])
ROUND = 4
# The compiled block masses (classifier/_pages_ext.pyx), or None: the ``bincount`` forms below.
_PAGES = ext.load("classifier._pages_ext")
_E, _S = LABELS.index("editorial"), LABELS.index("spam")


def rules_table() -> str:
    """The rules as a Markdown table (the README's copy is checked against it by the tests)."""
    rows = ["| reason | measured value | starts above | full penalty at | max penalty |",
            "|---|---|---:|---:|---:|"]
    rows += [f"| `{r.reason}` | {r.doc} | {r.start:g} | {r.full:g} | {r.max_penalty:g} |" for r in QUALITY_RULES]
    return "\n".join(rows)


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


def penalties(values: np.ndarray) -> np.ndarray:
    """Penalty of every rule for every page: ``values`` (pages x rules) -> same shape, 0..max."""
    ramp = np.clip((np.asarray(values, dtype=np.float64) - _STARTS) / _SPANS, 0.0, 1.0)
    return ramp * _MAX_PEN


def _quality_and_reasons(pen: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
    """Quality per page (product of ``1 - penalty``) and its reasons, largest penalty first."""
    if _PAGES is not None and pen.dtype == np.float64 and pen.ndim == 2:
        res = _PAGES.quality_and_reasons(np.ascontiguousarray(pen), RULE_NAMES, 10.0 ** ROUND)
        if res is not None:
            return res
    q = np.round(np.clip(np.prod(1.0 - pen, axis=1), 0.0, 1.0), ROUND)
    order = np.argsort(-pen, axis=1, kind="stable")
    fired = np.take_along_axis(pen, order, axis=1) > 0
    n_fired = fired.sum(axis=1).tolist()
    order_l = order.tolist()
    reasons = [[RULE_NAMES[j] for j in order_l[p][:k]] if k else [] for p, k in enumerate(n_fired)]
    return q, reasons


def apply_rules(values: dict[str, float]) -> tuple[float, list[str]]:
    """``QUALITY_RULES`` applied to one page's measured values -> (quality, reasons largest first)."""
    q, reasons = _quality_and_reasons(penalties(np.array([[values[n] for n in RULE_NAMES]])))
    return float(q[0]), reasons[0]


@dataclass
class PageScores:
    """The page-level fields of one result (``values``: each rule's measured value)."""

    fractions: dict[str, float]
    mt_score: float
    dup_fraction: float
    quality: float
    reasons: list[str]
    values: dict[str, float] | None = None


def rule_values(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
                dup: np.ndarray, profanity: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """The measured value of every rule for every page (pages x rules), from ``bincount``s.

    ``markers``: the weighted auto-blog marker count of each page.
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    label_mass, masses = _masses(np.asarray(labels), lengths, page, n_pages, np.asarray(mt, dtype=np.float64), dup,
                                 np.asarray(profanity) >= PROFANE_BLOCK)
    return _values_from_masses(label_mass, masses, n_pages, markers)


def _masses(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
            dup: np.ndarray, prof_bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rules' ``bincount``s: characters per page and label [pages, labels], and the masses
    [good, repeated, characters x mt mass, mt mass, bad repeated, profane] x pages; in one pass
    when classifier/_pages_ext.pyx is built (the same sums in the same order)."""
    if _PAGES is not None:
        res = _masses_compiled(labels, lengths, page, n_pages, mt, dup, prof_bad)
        if res is not None:  # None: an index out of range, which the numpy form decides
            return res
    spam = labels == _S
    repeated = np.asarray(dup) > 0
    dup_bad = repeated & (lengths >= MIN_DUP_CHARS_FOR_QUALITY) & ~spam
    mt_bad = mt >= MT_BLOCK
    good = (labels == _E) & ~dup_bad & ~mt_bad & ~prof_bad
    mt_mass = np.clip(mt, 0.0, 1.0) ** PAGE_SCORE_POWER * ~spam  # as features.mt weighs a block

    def mass(weights: np.ndarray) -> np.ndarray:
        return np.bincount(page, weights=weights, minlength=n_pages).astype(np.float64)

    label_mass = np.bincount(page * len(LABELS) + labels, weights=lengths,
                             minlength=n_pages * len(LABELS)).reshape(n_pages, len(LABELS))
    masses = np.stack([mass(lengths * good), mass(lengths * repeated), mass(lengths * mt_mass), mass(mt_mass),
                       mass(lengths * dup_bad), mass(lengths * (prof_bad & ~spam))]) if n_pages else \
        np.zeros((6, 0))
    return label_mass, masses


def batch_scores(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
                 dup: np.ndarray, profanity: np.ndarray, doc: str | None, block_starts: np.ndarray,
                 has_comments: np.ndarray, mt_soft_page: np.ndarray | None = None,
                 lead_doc: str | None = None) -> list[PageScores]:
    """Page fields for a batch of pages from a few ``bincount`` calls and one regex scan.

    ``doc`` is every block of the batch joined by newlines and ``block_starts`` each block's
    offset in it; ``lead_doc``, when given, is ``"\n" + doc`` (what the scan reads: ``doc`` is
    then not read, and may be None). ``has_comments`` is accepted for the caller's convenience
    and not used: the quality rules depend on the blocks only, which keeps them monotone.
    """
    fracs, mt_l, dup_f, q_l, reasons, values = batch_fields(labels, lengths, page, n_pages, mt, dup, profanity, doc,
                                                            block_starts, has_comments, mt_soft_page, lead_doc)
    r0, r1, r2, r3, r4, r5, r6, r7 = RULE_NAMES
    # Dict displays: several times faster than dict(zip(...)), same keys in the same order.
    return [
        PageScores(f, m, d, qq, rs, {r0: v[0], r1: v[1], r2: v[2], r3: v[3], r4: v[4], r5: v[5], r6: v[6], r7: v[7]})
        for f, m, d, qq, rs, v in zip(fracs, mt_l, dup_f, q_l, reasons, values.tolist())
    ]


def batch_fields(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
                 dup: np.ndarray, profanity: np.ndarray, doc: str | None, block_starts: np.ndarray,
                 has_comments: np.ndarray, mt_soft_page: np.ndarray | None = None, lead_doc: str | None = None
                 ) -> tuple[list[dict[str, float]], list[float], list[float], list[float], list[list[str]], np.ndarray]:
    """``batch_scores`` by field: per page its fractions (a new dict each), page MT score, share of
    repeated characters, quality and reasons (lists), and the rules' values (pages x rules).
    ``lead_doc``: as in ``batch_scores`` (the classifier gives it: one copy of the batch's text fewer).

    Why: the classifier takes the fields as they are; the ``PageScores`` and its ``values`` dict
    per page were built for it to unpack them again (~0.5% of ``classify``)."""
    del has_comments
    labels = np.asarray(labels, dtype=np.int64)
    page = np.asarray(page, dtype=np.int64)
    lengths_f = np.asarray(lengths, dtype=np.float64)
    markers = _markers_per_page(doc, block_starts, page, n_pages, lead_doc)
    by_label, masses = _masses(np.asarray(labels), lengths_f, page, n_pages, np.asarray(mt, dtype=np.float64), dup,
                               np.asarray(profanity) >= PROFANE_BLOCK)
    dup_all = masses[1]
    values = _values_from_masses(by_label, masses, n_pages, markers)
    total = by_label.sum(axis=1)
    mt_all = mt_page_scores(mt, lengths_f, page, n_pages)
    if mt_soft_page is not None:  # the page's soft translationese signal (features/mt_soft.py)
        mt_all = combine(mt_all, mt_soft_page, SOFT_PAGE_WEIGHT)
    q, reasons = _quality_and_reasons(penalties(values))
    frac_r = np.round(by_label / np.maximum(total, 1e-300)[:, None], 4).tolist()
    dup_f = np.divide(dup_all, total, out=np.zeros(n_pages), where=total > 0).tolist()
    empty = {lab: (1.0 if lab == "boilerplate" else 0.0) for lab in LABELS}
    e_, c_, s_, b_ = LABELS
    fracs = [{e_: f[0], c_: f[1], s_: f[2], b_: f[3]} if t > 0 else dict(empty)
             for f, t in zip(frac_r, total.tolist())]
    return fracs, mt_all.tolist(), dup_f, q.tolist(), reasons, values


def _masses_compiled(labels: np.ndarray, lengths: np.ndarray, page: np.ndarray, n_pages: int, mt: np.ndarray,
                     dup: np.ndarray, prof_bad: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``rule_values``' ``bincount``s in one pass (classifier/_pages_ext.pyx): (characters per
    page and label, masses [good, repeated, characters x mt mass, mt mass, bad repeated,
    profane]); None when the kernel declines (an index out of range: the numpy form decides)."""
    return _PAGES.rule_masses(np.ascontiguousarray(labels, dtype=np.int64),
                              np.ascontiguousarray(lengths, dtype=np.float64),
                              np.ascontiguousarray(page, dtype=np.int64), n_pages,
                              np.ascontiguousarray(mt, dtype=np.float64),
                              np.ascontiguousarray(np.asarray(dup) > 0).view(np.uint8),
                              np.ascontiguousarray(prof_bad, dtype=bool).view(np.uint8),
                              float(MIN_DUP_CHARS_FOR_QUALITY), MT_BLOCK, _S, _E)


def _values_from_masses(label_mass: np.ndarray, masses: np.ndarray, n_pages: int,
                        markers: np.ndarray) -> np.ndarray:
    """``rule_values`` from the kernel's masses: the same per-page arithmetic as its numpy form."""
    if not n_pages:
        return np.zeros((0, len(RULE_NAMES)))
    g = masses[0]

    def share(bad: np.ndarray) -> np.ndarray:
        den = bad + g
        return np.divide(bad, den, out=np.zeros(n_pages), where=den > 0)

    cols = {
        "comment_heavy": share(label_mass[:, LABELS.index("comment")]),
        "spam": share(label_mass[:, _S]),
        "boilerplate_heavy": share(label_mass[:, LABELS.index("boilerplate")]),
        "machine_translated": 1.0 - (1.0 - np.minimum(1.0, PAGE_SHARE_GAIN * share(masses[2])))
        * np.exp(-masses[3] / PAGE_COUNT_SCALE),
        "duplicated_content": share(masses[4]),
        "autoblog_markers": np.asarray(markers, dtype=np.float64),
        "profanity": share(masses[5]),
        "thin_content": np.maximum(0.0, 1.0 - g / THIN_EDITORIAL_CHARS),
    }
    return np.stack([cols[n] for n in RULE_NAMES], axis=1)


def page_scores(texts: Sequence[str], labels: Sequence[str] | np.ndarray, mt: Sequence[float] | None = None,
                profanity: Sequence[float] | None = None, dup: np.ndarray | None = None) -> PageScores:
    """The page fields of one page given its blocks' texts and labels (names or indices): the
    single-page form of ``batch_scores`` (duplicates found from the texts unless given)."""
    n = len(texts)
    lab = np.array([LABELS.index(x) if isinstance(x, str) else int(x) for x in labels], dtype=np.int64)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    return batch_scores(lab, lengths, np.zeros(n, dtype=np.int64), 1,
                        np.zeros(n) if mt is None else np.asarray(mt, dtype=np.float64),
                        duplicate_flags(list(texts)) if dup is None else np.asarray(dup),
                        np.zeros(n) if profanity is None else np.asarray(profanity, dtype=np.float64),
                        "\n".join(texts), starts, np.zeros(1, dtype=bool))[0]


def _markers_per_page(doc: str | None, block_starts: np.ndarray, page: np.ndarray, n_pages: int,
                      lead_doc: str | None = None) -> np.ndarray:
    """Weighted auto-blog marker lines per page (by the block each match starts in); ``lead_doc``:
    ``"\n" + doc`` when the caller has it (``doc`` is then not read)."""
    text = "\n" + doc if lead_doc is None else lead_doc
    match = AUTOBLOG_RX.match
    cands = None if _PAGES is None else _PAGES.line_starts(text, MARKER_FIRST_CHARS)
    where = (c.start() for c in _MARKER_CANDIDATE_RX.finditer(text)) if cands is None else cands.tolist()
    found = [(m.start(), MARKER_WEIGHT[m.lastgroup]) for m in (match(text, c) for c in where) if m is not None]
    if not found:
        return np.zeros(n_pages, dtype=np.float64)
    pos = np.array([f[0] for f in found], dtype=np.int64)  # match start = its line's offset in doc
    blocks = np.searchsorted(block_starts, pos, side="right") - 1
    return np.bincount(page[blocks], weights=[f[1] for f in found], minlength=n_pages)
