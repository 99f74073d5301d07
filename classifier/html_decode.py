"""Decode constraints for HTML pages, applied after the sequence decoding of the HTML model.

On pages unlike the training sites the decoder errs towards ``boilerplate``: a link directory
or catalogue entry yields nothing, a wiki or how-to article loses whole sections. Two
constraints, in this order:

1. empty page: on a page where no block is ``editorial``, the blocks whose editorial
   probability reaches ``empty_page_editorial_min`` become ``editorial`` (the best guess
   instead of nothing);
2. main content: a ``boilerplate`` block inside the page's main-content candidate
   (``features.html._mark_top``: the element holding most of the page's prose) whose
   editorial probability reaches ``top_editorial_min`` becomes ``editorial`` (a run of
   paragraphs in one container is one article, even where a few of them look like furniture).
   Comment labels are never changed.
3. comment threads: the sequence decoder lets a page have one thread, entered once; where a
   thread sits before the end of the article in document order, or is a single short comment,
   it labels the whole thread ``boilerplate`` although the network gives its blocks a fair
   comment probability. Among the blocks that are not ``editorial`` and sit in an element whose
   class/id (own or an ancestor's) says comment (``dom_own_comment`` / ``dom_anc_comment``:
   comment, disqus, talkback...), those whose comment probability reaches ``comment_min`` become
   ``comment``; then, on a page that has a comment block, those that reach the lower
   ``thread_comment_min`` do (the rest of a thread once one comment is sure). Editorial
   labels are never changed, so editorial text is unaffected.

The thresholds are data of the model, not of the code: ``training.train_html`` picks each on
the out-of-fold probabilities of the training pages (``choose_threshold``) and stores it in the
model's JSON header; a model without them (or with 0) is left as decoded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from features.dom import HTML_FEATURE_NAMES

from .model import LABELS

META_KEY = "empty_page_editorial_min"
TOP_META_KEY = "top_editorial_min"
COMMENT_META_KEY = "comment_min"
THREAD_META_KEY = "thread_comment_min"
EDITORIAL = LABELS.index("editorial")
COMMENT = LABELS.index("comment")
BOILERPLATE = LABELS.index("boilerplate")
# The feature column saying a block lies in the main-content candidate.
IN_TOP_COLUMN = HTML_FEATURE_NAMES.index("dom_in_top")
# The feature columns saying the block's element or an ancestor has a comment class/id.
COMMENT_CLASS_COLUMNS = (HTML_FEATURE_NAMES.index("dom_own_comment"), HTML_FEATURE_NAMES.index("dom_anc_comment"))
# Thresholds tried by training (the editorial probability a block needs; 0 = constraint off).
THRESHOLD_GRID: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
# Thresholds tried for the comment-thread constraint (the comment probability a block needs).
COMMENT_GRID: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def constrain(decoded: list[np.ndarray], probas: Sequence[np.ndarray], in_top: Sequence[np.ndarray],
              meta: dict, in_comment: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """The constraints with the model's thresholds (``meta``), per page (the comment-thread one
    only when ``in_comment``, the comment-class flag of each block, is given)."""
    decoded = fill_empty_pages(decoded, probas, meta.get(META_KEY))
    decoded = fill_main_content(decoded, probas, in_top, meta.get(TOP_META_KEY))
    if in_comment is not None:
        decoded = fill_threads(decoded, probas, in_comment, meta.get(COMMENT_META_KEY), meta.get(THREAD_META_KEY))
    return decoded


def comment_class(X: np.ndarray) -> np.ndarray:
    """Whether each row's element or an ancestor has a comment class/id (from the DOM columns)."""
    return (X[:, COMMENT_CLASS_COLUMNS[0]] > 0) | (X[:, COMMENT_CLASS_COLUMNS[1]] > 0)


def fill_threads(decoded: list[np.ndarray], probas: Sequence[np.ndarray], in_comment: Sequence[np.ndarray],
                 min_proba: float | None, thread_min_proba: float | None) -> list[np.ndarray]:
    """``decoded`` with the comment-thread constraint (3 above); a threshold of 0/None is off."""
    if not min_proba and not thread_min_proba:
        return decoded
    out = []
    for lab, proba, cls in zip(decoded, probas, in_comment):
        cand = (lab != EDITORIAL) & (lab != COMMENT) & (cls > 0)
        if cand.any():
            pc = proba[:, COMMENT]
            pick = cand & (pc >= min_proba) if min_proba else np.zeros_like(cand)
            if thread_min_proba and (pick.any() or (lab == COMMENT).any()):
                pick |= cand & (pc >= thread_min_proba)
            if pick.any():
                lab = lab.copy()
                lab[pick] = COMMENT
        out.append(lab)
    return out


def fill_main_content(decoded: list[np.ndarray], probas: Sequence[np.ndarray], in_top: Sequence[np.ndarray],
                      min_proba: float | None) -> list[np.ndarray]:
    """``decoded`` with boilerplate blocks of the main-content candidate that reach ``min_proba``
    made editorial (constraint 2 above)."""
    if not min_proba:
        return decoded
    out = []
    for lab, proba, top in zip(decoded, probas, in_top):
        pick = (lab == BOILERPLATE) & (top > 0) & (proba[:, EDITORIAL] >= min_proba)
        if pick.any():
            lab = lab.copy()
            lab[pick] = EDITORIAL
        out.append(lab)
    return out


def fill_empty_pages(decoded: list[np.ndarray], probas: Sequence[np.ndarray],
                     min_proba: float | None) -> list[np.ndarray]:
    """``decoded`` with the fallback applied to pages that have no editorial block (see above)."""
    if not min_proba:
        return decoded
    out = []
    for lab, proba in zip(decoded, probas):
        if len(lab) and not (lab == EDITORIAL).any():
            pick = proba[:, EDITORIAL] >= min_proba
            if pick.any():
                lab = lab.copy()
                lab[pick] = EDITORIAL
        out.append(lab)
    return out


def _editorial_f1(pred: np.ndarray, gold: np.ndarray, weight: np.ndarray) -> float:
    """Character-weighted editorial F1 of one page (1.0 when neither side has editorial)."""
    p, g = pred == EDITORIAL, gold == EDITORIAL
    tp, n_p, n_g = weight[p & g].sum(), weight[p].sum(), weight[g].sum()
    if n_p == 0 and n_g == 0:
        return 1.0
    return 0.0 if tp == 0 else 2 * tp / (n_p + n_g)


def choose_threshold(apply, decoded: list[np.ndarray], gold: Sequence[np.ndarray],
                     weights: Sequence[np.ndarray]) -> tuple[float, dict[float, float]]:
    """The grid threshold with the best mean per-page editorial F1 (0.0 = the constraint off wins).

    ``apply(decoded, t)`` applies one constraint. Run on out-of-fold predictions, so the choice
    is not fit to pages the network saw.
    """
    scores: dict[float, float] = {}
    for t in (0.0, *THRESHOLD_GRID):
        filled = apply(decoded, t)
        scores[t] = float(np.mean([_editorial_f1(d, g, w) for d, g, w in zip(filled, gold, weights)]))
    best = max(scores, key=lambda t: (scores[t], -t))
    return best, scores
