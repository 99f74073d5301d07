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
GATE_EPOCHS = 25  # one network per fold (the shipped model averages three; the gate stays cheap)
# Measured with this configuration when pinned (2026-12-03, schema text-6, networks of (96, 64);
# `OPENBLAS_NUM_THREADS=1 pytest -s tests/test_gate.py`, 346 s on a heavily shared machine). With
# text-5 it measured 0.840 / 0.916 / 0.811, with text-4 and (128, 64) 0.853 / 0.926 / 0.818.
# With text-7 (the spam-shape columns, 2026-12-03; this gate trains `train`'s default, text-6):
# 0.834 / 0.913 / 0.803 (seed 0 as here; with
# seed 1 0.848 / 0.921 / 0.815 against text-6's 0.843 / 0.925 / 0.817: one network, seed noise).
MIN_MACRO_F1 = 0.825  # measured 0.845
MIN_COMMENT_F1 = 0.905  # measured 0.925
MIN_EDITORIAL_F1 = 0.79  # measured 0.811

pytestmark = pytest.mark.skipif(not (CORPORA / "dragnet_train").is_dir(), reason="../shared/corpora absent")


@pytest.fixture(scope="module")
def gate_result() -> dict:
    from training import lexicon
    from training.dataset import featurize, load_pages
    from training.train import cross_validate, summarise

    pages = load_pages(CORPORA, bbc_pages=GATE_BBC_PAGES, cleaneval=False, max_dragnet=GATE_DRAGNET_PAGES)
    M = featurize(pages)
    _, oof = lexicon.fit_with_oof([t for p in M.pages for t in p.texts], M.y, M.groups, seed=0,
                                  spam=lexicon.spam_examples(CORPORA))
    M.set_lexical(oof)
    cv = cross_validate(M, GATE_FOLDS, seed=0, max_epochs=GATE_EPOCHS, log=lambda s: None, n_networks=1)
    res = summarise(M, cv["decoded"])
    print({k: (v["macro_f1"], {lab: r["f1"] for lab, r in v["report"].items()}) for k, v in res.items()})
    return res


def test_macro_f1_floor(gate_result: dict) -> None:
    assert gate_result["overall"]["macro_f1"] >= MIN_MACRO_F1


def test_comment_and_editorial_floors(gate_result: dict) -> None:
    rep = gate_result["overall"]["report"]
    assert rep["comment"]["f1"] >= MIN_COMMENT_F1
    assert rep["editorial"]["f1"] >= MIN_EDITORIAL_F1


def test_gate_counts_every_block(gate_result: dict) -> None:
    """Sanity of the gate itself: the confusion matrix covers every block once."""
    cm = np.array(gate_result["overall"]["confusion"])
    assert cm.sum() == sum(v["support"] for v in gate_result["overall"]["report"].values())
