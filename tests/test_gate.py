"""Corpus regression gate (like trafilatura's eval gate): held-out-fold F1 must stay above floors.

A reduced version of ``newswinnow train``'s cross-validation (a subset of Dragnet pages, all
three renderings, spam threads, BBC; grouped by source) so CI can afford it. The floors are
pinned a little under what this exact configuration measured when they were set (see the
numbers beside them); a change that makes the features or the model worse fails here.
Skipped when ``../shared/corpora`` is absent (a user's fresh clone).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
GATE_DRAGNET_PAGES = 240
GATE_BBC_PAGES = 100
GATE_FOLDS = 3
GATE_EPOCHS = 25  # one network per fold (the shipped model averages eight; the gate stays cheap)
# Two seeded partitions of the sites (``train --cv-seed``), averaged. GroupKFold's partition (the
# gate's until 2026-12-05) deals sites by size, so adding ten pages to three sites re-dealt 164 of
# the gate's 183 sites and moved the figures by 0.04 with no change to the code or the model:
# with the same code, GroupKFold gave 0.845 macro-F1 before the Dragnet marker fix and 0.806
# after it, while on one seeded partition the two data sets gave 0.832 and 0.831. A random deal
# of sites does not depend on their sizes, and two of them halve the partition's share of the noise.
GATE_CV_SEEDS = (1, 2)
# Measured with this configuration when pinned (2026-12-05, schema text-6, L2 0.2, networks of
# (96, 64), the corrected Dragnet reader; `OPENBLAS_NUM_THREADS=1 pytest -s tests/test_gate.py`):
# cv-seed 1: 0.831 / comment 0.913 / editorial 0.801; cv-seed 2: 0.849 / 0.923 / 0.807. The floors
# keep the margin of the earlier ones (0.02 under the measured mean). Earlier, on GroupKFold's
# partition: 0.845 / 0.925 / 0.811 (text-6, 2026-12-03), text-5 0.840 / 0.916 / 0.811, text-4 and
# (128, 64) 0.853 / 0.926 / 0.818, text-7 0.834 / 0.913 / 0.803.
MIN_MACRO_F1 = 0.82  # measured 0.840 (mean of the two partitions)
MIN_COMMENT_F1 = 0.898  # measured 0.918
MIN_EDITORIAL_F1 = 0.784  # measured 0.804

needs_corpora = pytest.mark.skipif(not (CORPORA / "dragnet_train").is_dir(), reason="../shared/corpora absent")


@pytest.fixture(scope="module")
def gate_results() -> list[dict]:
    from training import lexicon
    from training.dataset import featurize, load_pages
    from training.train import cross_validate, summarise

    pages = load_pages(CORPORA, bbc_pages=GATE_BBC_PAGES, cleaneval=False, max_dragnet=GATE_DRAGNET_PAGES)
    M = featurize(pages)
    _, oof = lexicon.fit_with_oof([t for p in M.pages for t in p.texts], M.y, M.groups, seed=0,
                                  spam=lexicon.spam_examples(CORPORA))
    M.set_lexical(oof)
    results = []
    for cv_seed in GATE_CV_SEEDS:
        cv = cross_validate(M, GATE_FOLDS, seed=0, max_epochs=GATE_EPOCHS, log=lambda s: None, n_networks=1,
                            cv_seed=cv_seed)
        res = summarise(M, cv["decoded"])
        print(cv_seed, {k: (v["macro_f1"], {lab: r["f1"] for lab, r in v["report"].items()}) for k, v in res.items()})
        results.append(res["overall"])
    return results


def mean_f1(results: list[dict], label: str | None = None) -> float:
    """Macro-F1 (``label`` None) or one label's F1, averaged over the partitions."""
    return float(np.mean([r["macro_f1"] if label is None else r["report"][label]["f1"] for r in results]))


@needs_corpora
def test_macro_f1_floor(gate_results: list[dict]) -> None:
    assert mean_f1(gate_results) >= MIN_MACRO_F1


@needs_corpora
def test_comment_and_editorial_floors(gate_results: list[dict]) -> None:
    assert mean_f1(gate_results, "comment") >= MIN_COMMENT_F1
    assert mean_f1(gate_results, "editorial") >= MIN_EDITORIAL_F1


@needs_corpora
def test_gate_counts_every_block(gate_results: list[dict]) -> None:
    """Sanity of the gate itself: each partition's confusion matrix covers every block once."""
    for r in gate_results:
        cm = np.array(r["confusion"])
        assert cm.sum() == sum(v["support"] for v in r["report"].values())


def test_mean_f1_averages_the_partitions() -> None:
    """The gate's own arithmetic, on two made-up reports (runs without the corpora)."""
    a = {"macro_f1": 0.8, "report": {"comment": {"f1": 0.9}}}
    b = {"macro_f1": 0.6, "report": {"comment": {"f1": 0.7}}}
    assert mean_f1([a, b]) == pytest.approx(0.7)
    assert mean_f1([a, b], "comment") == pytest.approx(0.8)
