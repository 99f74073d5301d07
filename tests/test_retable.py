"""``python -m training.retable``: new decoding tables for a trained model, nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import GOLD_SEQUENCES, save_tiny_model

from classifier import Classifier, decode
from classifier.model import LABELS
from training.retable import main


def _oof(path: Path, seqs=GOLD_SEQUENCES) -> Path:
    """An oof file's label part for ``seqs`` (what retable reads: y and offsets)."""
    y = np.array([LABELS.index(lab) for s in seqs for lab in s])
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
    np.savez(path, y=y, offsets=offsets, logits=np.zeros((len(y), 4), np.float32))
    return path


def _model(tmp_path: Path) -> Path:
    header = save_tiny_model(tmp_path)
    h = json.loads(header.read_text())
    h["meta"].update(pages=len(GOLD_SEQUENCES), rows=sum(map(len, GOLD_SEQUENCES)))
    header.write_text(json.dumps(h))
    return header


@pytest.mark.parametrize("decoder", ["auto", "post-thread", "thread"])
def test_retable_replaces_the_tables_only(tmp_path: Path, decoder: str) -> None:
    header = _model(tmp_path)
    before = Classifier.load(header).model
    with np.load(header.with_suffix(".npz"), allow_pickle=False) as z:
        old = {k: z[k] for k in z.files}
    r = CliRunner().invoke(main, ["--model", str(header), "--oof", str(_oof(tmp_path / "oof.npz")),
                                  "--decoder", decoder])
    assert r.exit_code == 0, r.output
    after = Classifier.load(header).model  # the header's checksum matches the new arrays
    assert after.sha256 != before.sha256 or decoder == "thread"
    ls, lt, post = decode.fit_decoder(GOLD_SEQUENCES, decoder)
    np.testing.assert_array_equal(after.transitions, lt)
    np.testing.assert_array_equal(after.start, ls)
    assert (after.post is None) == (post is None)
    if post is not None:
        np.testing.assert_array_equal(after.post[1], post[1])
    with np.load(header.with_suffix(".npz"), allow_pickle=False) as z:
        for k in old:
            if k not in ("start", "transitions"):
                np.testing.assert_array_equal(z[k], old[k])
    meta = json.loads(header.read_text())["meta"]
    assert meta["decoder"] == decoder and meta["tables_refit"]["previous_decoder"] == "thread"


def test_retable_refuses_an_oof_file_of_another_run(tmp_path: Path) -> None:
    header = _model(tmp_path)
    raw = header.with_suffix(".npz").read_bytes()
    r = CliRunner().invoke(main, ["--model", str(header), "--oof", str(_oof(tmp_path / "o.npz", GOLD_SEQUENCES[:3]))])
    assert r.exit_code != 0 and "not this model's training run" in r.output
    assert header.with_suffix(".npz").read_bytes() == raw  # nothing written
