"""training.error_pages: confusions per rendering, the worst pages, has_comments misses."""

from __future__ import annotations

import numpy as np

from classifier.model import LABELS
from training.error_pages import anatomy, f1_of, report

E, C, S, B = (LABELS.index(x) for x in ("editorial", "comment", "spam", "boilerplate"))


def _pages():
    """Four 'full' pages and one of another rendering (ignored)."""
    ys = [np.array([E, E, C, C]), np.array([B, E, E, B]), np.array([E, E, E, C]), np.array([E] * 10),
          np.array([C, C])]
    decoded = [np.array([E, E, C, C]),            # right
               np.array([E, E, E, S]),            # one boilerplate block called editorial, one spam
               np.array([E, E, E, E]),            # thread missed (1 gold comment block)
               np.array([B] * 8 + [C, C]),        # the worst page: 8 editorial -> boilerplate, invented thread
               np.array([E, E])]
    kinds = np.array(["dragnet/full"] * 4 + ["dragnet/gold"])
    return ys, decoded, kinds


def test_anatomy_counts_confusions_and_thread_misses():
    ys, decoded, kinds = _pages()
    ke = anatomy(ys, decoded, kinds, "dragnet/full")
    assert ke.pages.tolist() == [0, 1, 2, 3]
    assert ke.confusion[E, B] == 8 and ke.confusion[B, E] == 1 and ke.confusion[C, E] == 1 and ke.confusion[B, S] == 1
    assert ke.confusion[E, C] == 2 and ke.confusion.sum() == 22
    assert ke.missed == [(2, 1)] and ke.invented == [(3, 2)]
    assert ke.worst(1).tolist() == [3]


def test_report_sets_the_worst_pages_apart():
    ys, decoded, kinds = _pages()
    ke = anatomy(ys, decoded, kinds, "dragnet/full")
    ids = ["p0", "p1", "p2", "p3", "g0"]
    text = report(ke, ids, top=1)
    # Editorial F1 over all pages: tp 7, fp 2 (B->E, C->E), fn 10 (8 E->B, 2 E->C) -> 14 / 26.
    assert f1_of(ke.confusion, E) == 14 / 26
    # Without p3: tp 7, fp 2, fn 0 -> 14 / 16; median page F1 of p0-p3: 1.0, 0.8, 6/7, 0 -> 0.829.
    assert f"| editorial | {14 / 26:.3f} | {14 / 16:.3f} | {(0.8 + 6 / 7) / 2:.3f} |" in text
    assert "| editorial -> boilerplate | 8 | 8 (100%) |" in text
    assert "Worst pages: p3 (10 of 10)" in text
    assert "missed threads: 1 pages (1 with 1-3 gold comment blocks): p2 (1)" in text
    assert "invented threads: 1 pages (1 with 1-3 decoded comment blocks): p3 (2)" in text
    assert "g0" not in text
    assert "| spam |" not in text  # no gold spam block on these pages: no F1 row
