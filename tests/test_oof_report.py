"""``python -m training.oof_report``: several models of one oof file scored on the same folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from classifier.model import LABELS
from training.oof_report import main
from training.page_gate import FOLDS, Oof, fold_tables

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


def test_the_outer_folds_are_the_training_runs(tmp_path: Path) -> None:
    """A 2-fold run's oof file is decoded on its 2 folds; files from before ``folds`` was saved
    take 5 (train's default) or --folds."""
    data = _oof(tmp_path / "old.npz")
    np.savez(tmp_path / "two.npz", **data, folds=np.array(2))
    two = Oof(tmp_path / "two.npz", None)
    fold_of, tables = fold_tables(two)
    assert two.folds == 2 and len(tables) == 2 and set(fold_of.tolist()) == {0, 1}
    # every site's pages in one fold: the folds are by group, as train's are
    sites = {g: set(fold_of[two.groups == g].tolist()) for g in set(two.groups.tolist())}
    assert all(len(s) == 1 for s in sites.values())
    assert Oof(tmp_path / "old.npz", None).folds == FOLDS == 5
    assert len(fold_tables(Oof(tmp_path / "old.npz", None, folds=3))[1]) == 3
    r = CliRunner().invoke(main, ["--oof", str(tmp_path / "old.npz"), "--folds", "2", "--members", "0"])
    assert r.exit_code == 0, r.output
    r2 = CliRunner().invoke(main, ["--oof", str(tmp_path / "two.npz"), "--members", "0"])
    assert r2.output == r.output
    r5 = CliRunner().invoke(main, ["--oof", str(tmp_path / "old.npz"), "--members", "0"])
    assert r5.output != r.output  # other folds, other tables


def test_per_label_table_scores_every_rendering_as_the_card(tmp_path: Path) -> None:
    """`--per-label`: the model's F1 of each label per rendering and over all blocks, the figures
    of `training.metrics` (the model card's); a label absent from a rendering's gold is '-'."""
    from training import metrics
    from training.oof_report import decode_variant

    data = _oof(tmp_path / "oof.npz")
    r = CliRunner().invoke(main, ["--oof", str(tmp_path / "oof.npz"), "--members", "0", "--per-label"])
    assert r.exit_code == 0, r.output
    rows = {line.split(" | ")[0][2:]: line.strip(" |").split(" | ")[1:] for line in r.output.splitlines()
            if line.startswith("| ") and " F1 |" not in line and not line.startswith("| model")
            and line.split(" | ")[0][2:] in (*KINDS, "all")}
    assert set(rows) == {*KINDS, "all"}
    assert rows["cleaneval"][LABELS.index("comment")] == "-" and rows["cleaneval"][LABELS.index("spam")] == "-"
    oof = Oof(tmp_path / "oof.npz", None)
    _, pred = decode_variant(oof, data["logits"], *fold_tables(oof))
    want = metrics.per_label(metrics.confusion(oof.y, pred))
    assert rows["all"][0] == f"{want['editorial']['f1']:.3f}"


def test_a_saved_page_fold_is_the_partition(tmp_path: Path) -> None:
    """An oof file with ``page_fold`` (train saves it since 2026-12-05) is decoded on exactly
    that partition, whatever GroupKFold would make of its groups; a bad one is refused."""
    import click
    import pytest

    data = _oof(tmp_path / "plain.npz")
    n = len(data["offsets"]) - 1
    site = np.array([int(g[4:].split(".")[0]) for g in data["groups"]])
    page_fold = (site * 7 + 3) % 5  # every site in one fold, not GroupKFold's order
    np.savez(tmp_path / "seeded.npz", **data, folds=np.array(5), page_fold=page_fold)
    fold_of, tables = fold_tables(Oof(tmp_path / "seeded.npz", None))
    assert np.array_equal(fold_of, page_fold) and len(tables) == 5
    plain_fold, _ = fold_tables(Oof(tmp_path / "plain.npz", None))
    assert not np.array_equal(plain_fold, page_fold)
    np.savez(tmp_path / "bad.npz", **data, folds=np.array(5), page_fold=np.full(n, 5))
    with pytest.raises(click.ClickException, match="page_fold"):
        Oof(tmp_path / "bad.npz", None)
