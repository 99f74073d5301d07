"""Refit a text model's decoding tables (start and transition counts) without retraining it.

The tables are counts over the training pages' gold label sequences, independent of the
networks, so a change to the decoder's chain (``classifier/decode.py``: the post-thread phase of
2026-12-05) needs new tables, not new networks. The labels come from the model's own
``newswinnow train --save-oof`` file, which holds every training page's gold labels in order;
its page and block counts are checked against the model header's.

    python -m training.retable --model data/model-text.json --oof OOF.npz [--decoder auto]

Only the decoding tables change in the arrays file (every other array is copied as stored); the
header gets the new checksum and ``meta.decoder``. The model's page gate was
fitted for the old file and refuses to load with the new one: refit it with
``python -m training.page_gate --oof OOF --model MODEL``.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from datetime import date
from pathlib import Path

import click
import numpy as np

from classifier import decode, page_gate
from classifier.model import LABELS, BlockModel


def gold_sequences(oof: Path, model_meta: dict) -> list[list[str]]:
    """Every training page's gold labels from an oof file made by the model's training run."""
    with np.load(oof, allow_pickle=False) as d:
        y, offsets = d["y"], d["offsets"]
    pages, rows = len(offsets) - 1, len(y)
    want = (model_meta.get("pages"), model_meta.get("rows"))
    if want != (pages, rows):
        raise click.ClickException(f"{oof}: {pages} pages / {rows} blocks, the model was trained on "
                                   f"{want[0]} / {want[1]}: not this model's training run")
    return [[LABELS[k] for k in y[a:b].tolist()] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


def write_tables(header_path: Path, start: np.ndarray, trans: np.ndarray,
                 post: tuple[np.ndarray, np.ndarray] | None, note: dict) -> str:
    """Replace the tables in the model's arrays file (``post``: the eight-state pair of the
    "auto" decoder, else none); update checksum and meta; return the arrays' sha256."""
    header = json.loads(header_path.read_text())
    npz = header_path.parent / header["arrays"]
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["start"], arrays["transitions"] = np.asarray(start, np.float64), np.asarray(trans, np.float64)
    arrays.pop("post_start", None)
    arrays.pop("post_transitions", None)
    if post is not None:
        arrays["post_start"], arrays["post_transitions"] = (np.asarray(a, np.float64) for a in post)
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    header["arrays_sha256"] = digest
    header["meta"] = {**(header.get("meta") or {}), **note}
    header_path.write_text(json.dumps(header, indent=1) + "\n")
    return digest


@click.command(help=__doc__.split("\n\n")[0])
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("data/model-text.json"), show_default=True, help="Model header (.json) to update.")
@click.option("--oof", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The `newswinnow train --save-oof` file of the run that made the model.")
@click.option("--decoder", type=click.Choice(decode.DECODERS), default="post-thread", show_default=True,
              help="The tables to fit (`newswinnow train --decoder`).")
def main(model_path: Path, oof: Path, decoder: str) -> None:
    from .page_gate import model_decoder

    model = BlockModel.load(model_path)
    seqs = gold_sequences(oof, model.meta)
    start, trans, post = decode.fit_decoder(seqs, decoder)
    old = model_decoder(model)
    sha = write_tables(model_path, start, trans, post, {
        "decoder": decoder,
        "tables_refit": {"date": date.today().isoformat(), "previous_decoder": old,
                         "command": "python -m training.retable " + " ".join(shlex.quote(a) for a in sys.argv[1:])}})
    click.echo(f"{model_path}: decoder {decoder} (was {old}), "
               f"from {len(seqs)} pages; arrays sha256 {sha[:16]}", err=True)
    stale = page_gate.gate_path(model_path)
    if stale.exists() and json.loads(stale.read_text()).get("model_sha256") != sha:
        click.echo(f"{stale} was fitted for the previous file and will not load with this one: refit it "
                   f"with `python -m training.page_gate --oof {oof} --model {model_path}`", err=True)


if __name__ == "__main__":
    main()
