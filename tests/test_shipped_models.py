"""The shipped text models by name: ``--model fast`` / ``Classifier.load("fast")``.

``fast`` must be what its card says: the first three of the default model's networks (same
arrays, so the accuracy figures of the three-network model hold), with its own temperature and
page gate, and otherwise the same pipeline (the shipped HTML model still takes HTML pages).
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


def test_fast_is_the_first_three_networks_of_the_default() -> None:
    default, fast = Classifier.load("default"), Classifier.load("fast")
    assert default.path == (DATA / "model-text.json").resolve()
    assert fast.path == (DATA / "model-text-fast.json").resolve()
    d, f = _networks(default.model), _networks(fast.model)
    assert len(f) == 3 and len(d) == 8
    for (dw, db), (fw, fb) in zip(d[:3], f):
        assert all(np.array_equal(a, b) for a, b in zip(dw, fw))
        assert all(np.array_equal(a, b) for a, b in zip(db, fb))
    for name in ("mean", "scale", "transitions", "prior"):
        assert np.array_equal(getattr(default.model, name), getattr(fast.model, name))
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
    assert f.model != d.model and "sha256 203f0767" in f.model
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
    assert "not a shipped model name (default, fast, full-page)" in r.output


def test_full_page_is_the_default_with_eight_state_tables() -> None:
    """``full-page`` = the default model's arrays, bit for bit, but for the decoder's tables: the
    eight-state chain (a post-thread furniture state), and its own page gate."""
    default, full = Classifier.load("default"), Classifier.load("full-page")
    assert full.path == (DATA / "model-text-full-page.json").resolve()
    d, f = _networks(default.model), _networks(full.model)
    assert len(f) == len(d) == 8
    for (dw, db), (fw, fb) in zip(d, f):
        assert all(np.array_equal(a, b) for a, b in zip(dw, fw))
        assert all(np.array_equal(a, b) for a, b in zip(db, fb))
    for name in ("mean", "scale", "prior", "temperature"):
        assert np.array_equal(getattr(default.model, name), getattr(full.model, name))
    assert default.model.transitions.shape == (7, 7) and full.model.transitions.shape == (8, 8)
    # Counted from the same pages: the article phase's moves and the starts are the same counts.
    np.testing.assert_allclose(full.model.transitions[:3, :4], default.model.transitions[:3, :4])
    np.testing.assert_allclose(full.model.start[:7], default.model.start)
    assert full.model.transitions[7, 7] == 0.0 and np.isneginf(full.model.transitions[7, :7]).all()
    assert full.model.page_gate is not None and full.model.sha256 != default.model.sha256
    assert full.html_path == default.html_path


def test_full_page_finds_a_short_thread_before_long_furniture() -> None:
    """What the model is for: the default decodes the same probabilities with the seven-state
    chain, whose thread-phase furniture costs more per line, so a long furniture tail after a
    short thread can hide it; both must agree on a page without furniture after the thread."""
    from classifier import decode

    default, full = Classifier.load("default").model, Classifier.load("full-page").model
    furniture, comment, article = [0.02, 0.02, 0.01, 0.95], [0.04, 0.88, 0.01, 0.07], [0.9, 0.04, 0.01, 0.05]
    page = np.asarray([furniture] * 5 + [article] * 12 + [furniture] * 3 + [comment] * 3 + [furniture] * 200)

    def thread(model, rows) -> int:
        return int((decode.viterbi(rows, model.prior, model.start, model.transitions) == 1).sum())

    assert thread(full, page) == 3 and thread(default, page) == 0
    assert thread(full, page[:25]) == thread(default, page[:25]) == 3
