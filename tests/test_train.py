"""Training mechanics on a small synthetic matrix (the shipped model is trained on real corpora)."""

from __future__ import annotations

import warnings

import numpy as np

from classifier.model import LABELS
from features.text_schema import TEXT_SCHEMAS, TRAIN_SCHEMA, TRAINABLE_SCHEMAS
from training.corpora import LabeledPage
from training.dataset import Matrix
from training.train import fit_network, member_logits


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(LABELS), size=n)
    X = rng.normal(size=(n, len(TEXT_SCHEMAS[TRAIN_SCHEMA]))).astype(np.float32)
    X[:, :8] += 4 * y[:, None]  # a few informative columns
    return X, y


def test_ensemble_has_the_requested_networks_and_averages_them() -> None:
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: convergence warnings expected
        model = fit_network(X, y, seed=0, max_epochs=20, n_networks=3)
    assert len(model.members) == 2
    nets = [(model.weights, model.biases), *model.members]
    assert not np.array_equal(nets[0][0][0], nets[1][0][0])  # different seeds, different networks
    P = model.predict_proba(X)
    assert P.shape == (len(y), len(LABELS)) and np.allclose(P.sum(axis=1), 1.0)
    assert (P.argmax(axis=1) == y).mean() > 0.5  # learned the informative column
    each = member_logits(model, X)  # what train --save-oof stores per network
    assert each.shape == (3, len(y), len(LABELS))
    assert not np.allclose(each[0], each[1])
    assert np.allclose(each.mean(axis=0), model.logits(X), atol=1e-5)


def test_single_network_has_no_members() -> None:
    X, y = _data(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_network(X, y, seed=0, max_epochs=3, n_networks=1)
    assert model.members == []


def test_schema_sets_the_model_columns() -> None:
    """`train --schema` records the schema and its column names; the default is the shipped model's."""
    import json
    from pathlib import Path

    shipped = json.loads((Path(__file__).resolve().parents[1] / "data" / "model-text.json").read_text())["schema"]
    assert shipped == TRAIN_SCHEMA  # so the model card's command rebuilds the shipped model
    for schema in TRAINABLE_SCHEMAS:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, len(TEXT_SCHEMAS[schema]))).astype(np.float32)
        y = np.arange(60) % len(LABELS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = fit_network(X, y, seed=0, max_epochs=2, n_networks=1, schema=schema)
        assert model.schema == schema and tuple(model.feature_names) == TEXT_SCHEMAS[schema]


def _site_matrix() -> Matrix:
    """Two sites of three pages each, every page in two renderings plus a spam-inserted copy."""
    pages = []
    for site in ("slashdot.org", "guardian.co.uk"):
        for k in range(3):
            base = f"dragnet/{site}-{k}"
            for suffix in ("#gold", "#full", "#trimmed+yt:r0"):
                pages.append(LabeledPage(base + suffix, "dragnet", site, ["a", "b"], ["editorial", "comment"], site))
    offsets = np.arange(len(pages) + 1) * 2
    groups = np.repeat([p.group for p in pages], 2)
    return Matrix(np.zeros((len(groups), 1)), np.zeros(len(groups), dtype=np.int64), groups,
                  np.repeat(np.arange(len(pages)), 2), pages, offsets)


def test_cv_by_page_keeps_renderings_together_and_lets_sites_straddle() -> None:
    from training.train import cv_groups, fold_pages

    M = _site_matrix()
    base = [p.id.split("#")[0] for p in M.pages]
    site = [p.group for p in M.pages]
    for by, key in (("page", base), ("source", site)):
        assert len(set(cv_groups(M, by).tolist())) == len(set(key))
        straddle = False
        for tr, te in fold_pages(M, 2 if by == "source" else 3, by):
            assert not {key[i] for i in tr} & {key[i] for i in te}  # a group never straddles
            straddle |= bool({site[i] for i in tr} & {site[i] for i in te})
        assert straddle == (by == "page")  # only page grouping puts a site on both sides


def test_cv_by_rejects_an_unknown_grouping() -> None:
    import pytest

    from training.train import cv_groups

    with pytest.raises(ValueError, match="grouping"):
        cv_groups(_site_matrix(), "domain")
