"""Choose and set a text model's two-stage ensemble (``BlockModel.cascade``) from its oof file.

An eight-network model spends a quarter of classify's CPU in its networks, and most blocks are
easy: the first k networks already give them a calibrated top probability of tau or more. With
``cascade = (k, tau)`` the other networks run only on the rest (``classifier/model.py``; those
rows' logits are the full ensemble's, bit for bit). Whether a setting costs accuracy is measured
here by replaying it on the model's own ``newswinnow train --save-oof`` file, whose
``member_logits`` hold every network's out-of-fold logits: the first k members' mean where
they pass the test at the model's temperature, the full mean elsewhere, as the classifier does.

    python -m training.cascade --model data/model-text.json --oof OOF.npz [--write 2:0.85]
    python -m training.cascade --model my-model.json --write none   # every network on every row

prints, per setting of the grid (``--networks``, ``--min-proba``), the share of the oof's
network rows it computes and its largest fall, against the file's own logits, of any rendering's
editorial, comment, spam or boilerplate F1 (plain Viterbi, as ``oof_report --per-label``) and
of any rendering's gated has_comments, editorial or comment F1 (the model's page gate, as
``page_gate --apply-gate``). A setting is admissible when no figure falls by more than
``--max-loss``. ``--write K:TAU`` (or ``none``) sets the header's ``cascade``; the arrays, and so
the model's sha256 and its gate, are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from classifier import page_gate as gate_module
from classifier.model import LABELS, BlockModel, ModelError, confident_rows

from .oof_report import decode_variant, per_label_by_kind
from .page_gate import FOLDS_OPTION, Oof, apply_gate, fold_tables, model_decoder

NETWORKS_GRID = (1, 2, 3, 4)
MIN_PROBA_GRID = (0.8, 0.85, 0.9, 0.95)
# Largest fall of any figure (rounded to 3 decimals, as the tools print them) a setting may cause.
MAX_LOSS = 0.002
ROUND = 3


def replay(member_logits: np.ndarray, k: int, tau: float, temperature: float) -> tuple[np.ndarray, float]:
    """Out-of-fold logits under ``cascade = (k, tau)``, and the share of network rows computed."""
    first = member_logits[:k].mean(axis=0)
    sure = confident_rows(first, temperature, tau)
    logits = np.where(sure[:, None], first, member_logits.mean(axis=0)).astype(np.float32)
    n = member_logits.shape[0]
    return logits, float((k + (n - k) * (1.0 - sure.mean())) / n)


def figures(oof: Oof, logits: np.ndarray, fold_of: np.ndarray, tables: list, gate: gate_module.PageGate | None,
            temperature: float, decoder: str) -> dict[str, float]:
    """Every figure the rule guards, keyed "rendering/figure", rounded to ROUND decimals."""
    out: dict[str, float] = {}
    _, pred = decode_variant(oof, logits, fold_of, tables)
    for kind, r in per_label_by_kind(oof, oof.kinds, pred).items():
        out.update({f"{kind}/{lab}": round(r[lab]["f1"], ROUND) for lab in LABELS if r[lab]["support"]})
    if gate is not None:
        saved = oof.logits
        oof.logits = logits
        try:
            for row in apply_gate(oof, gate, temperature, decoder):
                if row["kind"] == "all":
                    continue
                for key in ("has_comments", "editorial", "comment"):
                    if row["with_comments"] or key == "editorial":
                        out[f"{row['kind']}/gated {key}"] = round(row["after"][key], ROUND)
        finally:
            oof.logits = saved
    return out


def parse_setting(text: str, members: int) -> tuple[int, float] | None:
    """``K:TAU`` or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        k, tau = text.split(":")
        setting = (int(k), float(tau))
    except ValueError as e:
        raise click.BadParameter(f"{text!r}: give K:TAU (e.g. 2:0.85) or none", param_hint="--write") from e
    if not 1 <= setting[0] < members or not 0.0 < setting[1] <= 1.0:
        raise click.BadParameter(f"{text!r}: K in 1..{members - 1}, TAU in (0, 1]", param_hint="--write")
    return setting


def write_setting(header_path: Path, setting: tuple[int, float] | None) -> None:
    """Set (or remove) the header's cascade; the arrays file and its checksum stay as they are."""
    header = json.loads(header_path.read_text())
    header.pop("cascade", None)
    if setting is not None:
        header["cascade"] = {"networks": setting[0], "min_proba": setting[1]}
    header_path.write_text(json.dumps(header, indent=1) + "\n")
    BlockModel.load(header_path)  # the header must still load (the setting is checked there)


@click.command()
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default="data/model-text.json", show_default=True, help="The text model (an ensemble).")
@click.option("--oof", "oof_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The --save-oof file of the `newswinnow train` run that made the model (with member_logits); "
                   "without it, only --write.")
@click.option("--networks", "networks", type=int, multiple=True, default=NETWORKS_GRID, show_default=True,
              help="First-stage network counts to try; repeatable.")
@click.option("--min-proba", "min_probas", type=float, multiple=True, default=MIN_PROBA_GRID, show_default=True,
              help="First-stage calibrated top probabilities to try; repeatable.")
@click.option("--max-loss", type=float, default=MAX_LOSS, show_default=True,
              help="Admissible when no guarded figure falls by more than this.")
@FOLDS_OPTION
@click.option("--write", "write", default=None, metavar="K:TAU|none",
              help="Set this cascade in the model header (after the report, whatever it says).")
def main(model_path: Path, oof_path: Path | None, networks: tuple[int, ...], min_probas: tuple[float, ...],
         max_loss: float, folds: int | None, write: str | None) -> None:
    """Replay two-stage settings on a model's out-of-fold logits; optionally set one."""
    model = BlockModel.load(model_path)
    members = 1 + len(model.members)
    setting = parse_setting(write, members) if write is not None else None
    if oof_path is None:
        if write is None:
            raise click.UsageError("give --oof (to measure settings) or --write (to set one), or both")
        write_setting(model_path, setting)
        click.echo(f"wrote cascade {setting} into {model_path}")
        return
    with np.load(oof_path, allow_pickle=False) as z:
        if "member_logits" not in z.files:
            raise click.ClickException(f"{oof_path}: no member_logits (saved by `newswinnow train --save-oof`)")
        member_logits = z["member_logits"]
    if member_logits.shape[0] != members:
        raise click.ClickException(f"{oof_path}: {member_logits.shape[0]} networks' logits, the model has {members}")
    try:
        gate = gate_module.load_for(model_path, model.sha256)
    except ModelError as e:
        raise click.ClickException(str(e)) from e
    oof = Oof(oof_path, None, folds=folds)
    decoder = model_decoder(model)
    fold_of, tables = fold_tables(oof, decoder)
    base = figures(oof, oof.logits, fold_of, tables, gate, model.temperature, decoder)
    click.echo(f"{oof.n} pages, {len(oof.y)} blocks; {len(base)} guarded figures; max loss {max_loss}")
    click.echo("| networks | min_proba | network rows | largest fall (figure) | largest gain | admissible |")
    click.echo("|---:|---:|---:|---|---:|---|")
    for k in networks:
        if not 1 <= k < members:
            continue
        for tau in min_probas:
            logits, cost = replay(member_logits, k, tau, model.temperature)
            got = figures(oof, logits, fold_of, tables, gate, model.temperature, decoder)
            delta = {key: round(got[key] - base[key], ROUND) for key in base}
            worst = min(delta, key=delta.get)
            ok = delta[worst] >= -max_loss - 1e-9
            click.echo(f"| {k} | {tau} | {cost:.3f} | {delta[worst]:+.3f} ({worst}) | {max(delta.values()):+.3f} "
                       f"| {'yes' if ok else 'no'} |")
    if write is not None:
        write_setting(model_path, setting)
        click.echo(f"wrote cascade {setting} into {model_path}")


if __name__ == "__main__":
    main()
