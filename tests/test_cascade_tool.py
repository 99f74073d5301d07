"""``python -m training.cascade``: a staged setting replayed on a model's oof file, and set."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_oof_report import _oof

from classifier.model import LABELS, BlockModel, confident_rows
from training.cascade import grid, main, replay


def test_replay_takes_the_first_networks_mean_only_where_they_are_sure() -> None:
    rng = np.random.default_rng(3)
    members = rng.normal(scale=3.0, size=(4, 500, len(LABELS))).astype(np.float32)
    logits, cost = replay(members, ((2, 0.9),), temperature=2.0)
    first, full = members[:2].mean(axis=0), members.mean(axis=0)
    sure = confident_rows(first, 2.0, 0.9)
    assert 0 < sure.sum() < sure.size
    np.testing.assert_array_equal(logits[sure], first[sure].astype(np.float32))
    np.testing.assert_array_equal(logits[~sure], full[~sure].astype(np.float32))
    assert cost == (2 + 2 * (1 - sure.mean())) / 4
    assert replay(members, ((2, 1e-9),), 2.0)[1] == 0.5  # every row sure: half the network rows


def test_replay_of_three_stages_stops_each_row_where_it_is_sure() -> None:
    rng = np.random.default_rng(4)
    members = rng.normal(scale=3.0, size=(5, 800, len(LABELS))).astype(np.float32)
    logits, cost = replay(members, ((1, 0.9), (3, 0.8)), temperature=2.0)
    one, three, full = members[0], members[:3].mean(axis=0), members.mean(axis=0)
    stop1 = confident_rows(one, 2.0, 0.9)
    stop3 = ~stop1 & confident_rows(three, 2.0, 0.8)
    rest = ~stop1 & ~stop3
    assert stop1.any() and stop3.any() and rest.any()
    np.testing.assert_array_equal(logits[stop1], one[stop1])
    np.testing.assert_array_equal(logits[stop3], three[stop3].astype(np.float32))
    np.testing.assert_array_equal(logits[rest], full[rest].astype(np.float32))
    assert cost == pytest.approx((1 + 2 * (1 - stop1.mean()) + 2 * rest.mean()) / 5)
    assert grid((1, 2), (0.9,), (2, 3), (0.8,), members=4) == [
        ((1, 0.9),), ((2, 0.9),), ((1, 0.9), (2, 0.8)), ((1, 0.9), (3, 0.8)), ((2, 0.9), (3, 0.8))]


def _ensemble(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> Path:
    model = tiny_model(seed=1)
    model.members = [(m.weights, m.biases) for m in (tiny_model(seed=2), tiny_model(seed=3))]
    model.save(tmp_path / "m")
    return tmp_path / "m.json"


def test_grid_report_then_write_and_remove(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    header = _ensemble(tmp_path, tiny_model)
    _oof(tmp_path / "oof.npz")  # three networks' logits, as the model has
    sha = BlockModel.load(header).sha256
    r = CliRunner().invoke(main, ["--model", str(header), "--oof", str(tmp_path / "oof.npz"), "--networks", "1",
                                  "--networks", "2", "--networks", "3", "--min-proba", "0.9",
                                  "--then-networks", "2", "--then-min-proba", "0.8", "--write", "1:0.9"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.output.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [line.split(" | ")[0] for line in rows] == ["| 1:0.9", "| 2:0.9", "| 1:0.9,2:0.8"]  # 3 = every network
    assert all(line.endswith(("| yes |", "| no |")) for line in rows)
    loaded = BlockModel.load(header)
    assert loaded.cascade == ((1, 0.9),) and loaded.sha256 == sha
    r = CliRunner().invoke(main, ["--model", str(header), "--write", "1:0.95,2:0.8"])
    assert r.exit_code == 0 and "wrote cascade 1:0.95,2:0.8" in r.output, r.output
    assert BlockModel.load(header).cascade == ((1, 0.95), (2, 0.8)) and BlockModel.load(header).sha256 == sha
    r = CliRunner().invoke(main, ["--model", str(header), "--write", "none"])
    assert r.exit_code == 0, r.output
    assert BlockModel.load(header).cascade is None and "cascade" not in json.loads(header.read_text())


def test_bad_settings_and_files_are_refused(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    header = _ensemble(tmp_path, tiny_model)
    before = header.read_text()
    for bad in ("3:0.9", "0:0.9", "1:1.5", "two", "1:0.9:1", "2:0.9,1:0.8", "1:0.9,1:0.8", "1:0.9,3:0.8", "1:0.9,"):
        r = CliRunner().invoke(main, ["--model", str(header), "--write", bad])
        assert r.exit_code == 2 and "--write" in r.output, (bad, r.output)
    assert CliRunner().invoke(main, ["--model", str(header)]).exit_code == 2
    data = _oof(tmp_path / "oof.npz")
    np.savez(tmp_path / "two.npz", **{**data, "member_logits": data["member_logits"][:2]})
    r = CliRunner().invoke(main, ["--model", str(header), "--oof", str(tmp_path / "two.npz")])
    assert r.exit_code == 1 and "2 networks' logits, the model has 3" in r.output
    assert header.read_text() == before


def test_a_teacher_is_loaded_without_its_two_stages(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    """`train --teacher`: the student fits the full ensemble's logits."""
    from training.train import _load_teacher

    header = _ensemble(tmp_path, tiny_model)
    CliRunner().invoke(main, ["--model", str(header), "--write", "1:0.5"])
    model = BlockModel.load(header)
    assert model.cascade == ((1, 0.5),)
    assert _load_teacher(header, model.schema).cascade is None
