"""The shipped text models by name: ``--model fast`` / ``Classifier.load("fast")``.

``fast`` must be what its card says: a three-network model with its own temperature and page
gate, and otherwise the same pipeline (the shipped HTML model still takes HTML pages). Until
2026-12-06 it was the default's first three networks; the default was then retrained on the
Dragnet reader's corrected labels, and the matching three-network run failed seed 000, so
``fast`` stayed the 2026-12-04 model (data/MODEL_CARD-fast.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from classifier import Classifier
from classifier.api import SHIPPED_TEXT_MODELS, shipped_model_path
from classifier.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
pytestmark = pytest.mark.skipif(not all((DATA / f"{stem}.json").exists() for stem in SHIPPED_TEXT_MODELS.values()),
                                reason="shipped models absent")

PAGE = ("Officials said on Tuesday that the bridge would reopen in May.\n"
        "The work cost 4 million euros, the council told reporters.\n"
        "I think they wasted our money, honestly.\n"
        "You are so right, mate!!\n")


def _networks(model) -> list:
    return [(model.weights, model.biases), *model.members]


def test_fast_is_three_networks_of_the_default_shape() -> None:
    default, fast = Classifier.load("default"), Classifier.load("fast")
    assert default.path == (DATA / "model-text.json").resolve()
    assert fast.path == (DATA / "model-text-fast.json").resolve()
    d, f = _networks(default.model), _networks(fast.model)
    assert len(f) == 3 and len(d) == 8
    for (dw, db), (fw, fb) in zip(d[:3], f):
        assert [a.shape for a in dw] == [a.shape for a in fw]
        assert [b.shape for b in db] == [b.shape for b in fb]
    assert default.model.feature_names == fast.model.feature_names
    # Trained on the reader's old labels (5,216 pages), the default on the corrected ones.
    assert (fast.model.meta["pages"], default.model.meta["pages"]) == (5216, 5226)
    # Its own calibration and gate, fitted for three networks (the gate is tied to its arrays).
    assert fast.model.temperature != default.model.temperature
    assert fast.model.page_gate is not None and default.model.page_gate is not None
    assert fast.model.sha256 != default.model.sha256


def test_a_shipped_name_keeps_the_shipped_html_model() -> None:
    default, fast = Classifier.load(), Classifier.load("fast")
    assert default.html_model is not None
    assert fast.html_path == default.html_path
    assert fast.html_model.sha256 == default.html_model.sha256
    # An explicit file, by contrast, is the caller's model for every page.
    assert Classifier.load(DATA / "model-text-fast.json").html_model is None


def test_fast_labels_like_the_default_on_a_plain_page() -> None:
    d = Classifier.load().classify_text(PAGE)
    f = Classifier.load("fast").classify_text(PAGE)
    assert f.model != d.model and "sha256 7baa9a86" in f.model
    assert [b["proba"] for b in f.blocks] != [b["proba"] for b in d.blocks]  # another ensemble
    assert [b["label"] for b in f.blocks][:2] == ["editorial", "editorial"]


def test_env_var_takes_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWINNOW_MODEL", "fast")
    clf = Classifier.load()
    assert clf.path == (DATA / "model-text-fast.json").resolve()
    assert clf.html_model is not None


def test_a_file_of_that_name_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert shipped_model_path("fast") == DATA / "model-text-fast.json"
    (tmp_path / "fast").write_text("{}")
    assert shipped_model_path("fast") is None
    assert shipped_model_path("no-such-model") is None


def test_cli_model_by_name(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    out = {}
    for name in ("default", "fast"):
        r = CliRunner().invoke(main, ["classify", "--no-text", "--model", name, str(page)])
        assert r.exit_code == 0, r.output
        out[name] = json.loads(r.stdout.splitlines()[0])["model"]
    assert out["fast"] == Classifier.load("fast").model.name != out["default"]


@pytest.mark.parametrize("value", ["fastest", "data"])
def test_cli_unknown_model_name_is_a_usage_error(tmp_path: Path, value: str) -> None:
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    r = CliRunner().invoke(main, ["classify", "--model", value, str(page)])
    assert r.exit_code == 2
    assert "not a shipped model name (default, fast)" in r.output



@pytest.mark.parametrize("name", ["default", "fast"])
def test_shipped_models_decode_with_both_chains(name: str) -> None:
    """Both shipped models carry the seven-state tables and the eight-state (post-thread) ones,
    counted from the same training pages: the article phase's moves and the starts agree."""
    m = Classifier.load(name).model
    assert m.transitions.shape == (7, 7) and m.post is not None
    post_start, post_trans = m.post
    assert post_trans.shape == (8, 8) and post_start.shape == (8,)
    np.testing.assert_allclose(post_trans[:3, :4], m.transitions[:3, :4])
    np.testing.assert_allclose(post_start[:7], m.start)
    assert post_trans[7, 7] == 0.0 and np.isneginf(post_trans[7, :7]).all()
    assert m.meta.get("decoder") == "auto"


def test_a_furniture_page_finds_a_short_thread_before_long_furniture() -> None:
    """What the eight-state tables are for: a page that is mostly furniture is decoded with them,
    so three confident comments above 200 furniture lines are a thread; the seven-state tables
    alone lose it (their thread-phase furniture costs more per line). A page with little
    furniture keeps the seven-state tables and finds the same thread."""
    from classifier import decode

    m = Classifier.load("default").model
    furniture, comment, article = [0.02, 0.02, 0.01, 0.95], [0.04, 0.88, 0.01, 0.07], [0.9, 0.04, 0.01, 0.05]
    page = np.asarray([furniture] * 5 + [article] * 12 + [furniture] * 3 + [comment] * 3 + [furniture] * 200)
    short = page[:25]
    assert decode.furniture_pages([page, short]).tolist() == [True, False]

    def thread(rows, post) -> int:
        return int((decode.viterbi_batch([rows], m.prior, m.start, m.transitions, post=post)[0] == 1).sum())

    assert thread(page, m.post) == 3 and thread(page, None) == 0
    assert thread(short, m.post) == thread(short, None) == 3
