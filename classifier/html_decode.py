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
EDITORIAL = LABELS.index("editorial")
BOILERPLATE = LABELS.index("boilerplate")
# The feature column saying a block lies in the main-content candidate.
IN_TOP_COLUMN = HTML_FEATURE_NAMES.index("dom_in_top")
# Thresholds tried by training (the editorial probability a block needs; 0 = constraint off).
THRESHOLD_GRID: tuple[float, ...] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)


def constrain(decoded: list[np.ndarray], probas: Sequence[np.ndarray], in_top: Sequence[np.ndarray],
              meta: dict) -> list[np.ndarray]:
    """Both constraints with the model's thresholds (``meta``), per page."""
    decoded = fill_empty_pages(decoded, probas, meta.get(META_KEY))
    return fill_main_content(decoded, probas, in_top, meta.get(TOP_META_KEY))


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
