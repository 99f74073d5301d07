"""``python -m training.oof_report``: several models of one oof file scored on the same folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from classifier.model import LABELS
from training.oof_report import main

KINDS = ("dragnet/gold", "cleaneval")


def _oof(path: Path, pages: int = 40, rows: int = 10) -> dict:
    """Pages of two renderings from ten sites; the students' logits are the labels plus noise,
    the teachers' carry less noise, network 0 more."""
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.choice([0, 1, 3] if p % 2 == 0 else [0, 3], size=rows) for p in range(pages)])
    onehot = np.eye(len(LABELS), dtype=np.float32)[y] * 4
    members = np.stack([onehot + rng.normal(scale=3.0 + j, size=onehot.shape) for j in range(3)]).astype(np.float32)
    data = {"logits": (onehot + rng.normal(scale=2.5, size=onehot.shape)).astype(np.float32),
            "teacher_logits": members.mean(axis=0), "member_logits": members, "y": y,
            "offsets": np.arange(pages + 1) * rows, "kinds": np.array([KINDS[p % 2] for p in range(pages)]),
            "groups": np.array([f"site{p % 10}.example" for p in range(pages)])}
    np.savez(path, **data)
    return data


def test_every_variant_is_scored_and_written_for_the_page_gate(tmp_path: Path) -> None:
    data = _oof(tmp_path / "oof.npz")
    out = tmp_path / "teacher.npz"
    r = CliRunner().invoke(main, ["--oof", str(tmp_path / "oof.npz"), "--members", "0-2", "--members", "2",
                                  "--write", f"teacher={out}"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.output.splitlines() if line.startswith("| ") and not line.startswith("| model | T")]
    assert [line.split(" | ")[0] for line in rows] == ["| model", "| teacher", "| networks 0-2", "| network 2"]
    macro = {line.split(" | ")[0][2:]: float(line.split(" | ")[2]) for line in rows}
    assert macro["teacher"] == macro["networks 0-2"]  # the same logits, scored alike
    assert macro["network 2"] < macro["teacher"]  # the noisiest network alone is worse
    assert rows[0].endswith(" / n/a / n/a |")  # CleanEval: no comments to score
    written = np.load(out)
    assert np.array_equal(written["logits"], data["teacher_logits"])
    assert "member_logits" not in written.files and np.array_equal(written["groups"], data["groups"])


def test_a_network_not_saved_is_a_usage_error(tmp_path: Path) -> None:
    _oof(tmp_path / "oof.npz")
    r = CliRunner().invoke(main, ["--oof", str(tmp_path / "oof.npz"), "--members", "1-5"])
    assert r.exit_code == 2 and "holds networks 0-2" in r.output
    r = CliRunner().invoke(main, ["--oof", str(tmp_path / "oof.npz"), "--write", "student=x.npz"])
    assert r.exit_code == 2 and "one of" in r.output
