"""Choose and set a text model's staged ensemble (``BlockModel.cascade``) from its oof file.

An eight-network model spends a quarter of classify's CPU in its networks, and most blocks are
easy: the first k networks already give them a calibrated top probability of tau or more. With
``cascade = ((k, tau),)`` the other networks run only on the rest (``classifier/model.py``;
those rows' logits are the full ensemble's, bit for bit); with a second stage ``(k2, tau2)`` the
rest first get networks k..k2-1, and only the rows still under tau2 from those k2 get the others.
Whether a setting costs accuracy is measured here by replaying it on the model's own
``newswinnow train --save-oof`` file, whose ``member_logits`` hold every network's out-of-fold
logits: each row gets the mean of the networks it stopped at, as the classifier does.

    python -m training.cascade --model data/model-text.json --oof OOF.npz [--write 1:0.95]
    python -m training.cascade ... --then-networks 3 --then-min-proba 0.9   # also three stages
    python -m training.cascade --model my-model.json --write 1:0.95,3:0.9   # set three stages
    python -m training.cascade --model my-model.json --write none   # every network on every row

prints, per setting of the grid (``--networks`` x ``--min-proba``, and with ``--then-networks``
each of those followed by every ``--then-networks`` x ``--then-min-proba`` stage), the share of
the oof's network rows it computes and its largest fall, against the file's own logits, of any
rendering's editorial, comment, spam or boilerplate F1 (plain Viterbi, as ``oof_report
--per-label``) and of any rendering's gated has_comments, editorial or comment F1 (the model's
page gate, as ``page_gate --apply-gate``). A setting is admissible when no figure falls by more
than ``--max-loss``. ``--write`` (``K:TAU[,K2:TAU2...]`` or ``none``) sets the header's
``cascade``; the arrays, and so the model's sha256 and its gate, are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from classifier import page_gate as gate_module
from classifier.model import LABELS, BlockModel, ModelError, cascade_header, confident_rows, header_cascade

from .oof_report import decode_variant, per_label_by_kind
from .page_gate import FOLDS_OPTION, Oof, apply_gate, fold_tables, model_decoder

NETWORKS_GRID = (1, 2, 3, 4)
MIN_PROBA_GRID = (0.8, 0.85, 0.9, 0.95)
# Largest fall of any figure (rounded to 3 decimals, as the tools print them) a setting may cause.
MAX_LOSS = 0.002
ROUND = 3
# A staged setting: ((networks, min_proba), ...) with the networks rising.
Stages = tuple[tuple[int, float], ...]


def replay(member_logits: np.ndarray, stages: Stages, temperature: float) -> tuple[np.ndarray, float]:
    """Out-of-fold logits under the staged setting, and the share of network rows computed."""
    n, rows = member_logits.shape[:2]
    logits = member_logits[:stages[0][0]].mean(axis=0)
    open_rows = np.arange(rows)
    computed = stages[0][0] * rows
    for i, (k, tau) in enumerate(stages):
        upto = stages[i + 1][0] if i + 1 < len(stages) else n
        open_rows = open_rows[~confident_rows(logits[open_rows], temperature, tau)]
        computed += (upto - k) * open_rows.size
        logits[open_rows] = member_logits[:upto, open_rows].mean(axis=0)
    return logits.astype(np.float32), float(computed / (n * rows))


def setting_text(stages: Stages) -> str:
    """``K:TAU[,K2:TAU2...]``, as ``--write`` takes it."""
    return ",".join(f"{k}:{tau:g}" for k, tau in stages)


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


def parse_setting(text: str, members: int) -> Stages | None:
    """``K:TAU[,K2:TAU2...]`` or ``none``, checked as a model header's cascade is
    (``classifier.model.header_cascade``: network counts rising, under ``members``)."""
    if text.strip().lower() == "none":
        return None
    try:
        stages = tuple((int(k), float(tau)) for k, tau in (part.split(":") for part in text.split(",")))
        return header_cascade("--write", cascade_header(stages), members)
    except (ValueError, ModelError) as e:
        raise click.BadParameter(f"{text!r}: give K:TAU (e.g. 1:0.95) with K in 1..{members - 1} and TAU in "
                                 "(0, 1], stages K:TAU,K2:TAU2 with K < K2, or none", param_hint="--write") from e


def write_setting(header_path: Path, setting: Stages | None) -> None:
    """Set (or remove) the header's cascade; the arrays file and its checksum stay as they are."""
    header = json.loads(header_path.read_text())
    header.pop("cascade", None)
    if setting is not None:
        header["cascade"] = cascade_header(setting)
    header_path.write_text(json.dumps(header, indent=1) + "\n")
    BlockModel.load(header_path)  # the header must still load (the setting is checked there)


def grid(networks: tuple[int, ...], min_probas: tuple[float, ...], then_networks: tuple[int, ...],
         then_min_probas: tuple[float, ...], members: int) -> list[Stages]:
    """Every two-stage setting, then every three-stage one built on each (a later stage's
    network count above the first's)."""
    firsts = [((k, tau),) for k in networks if 1 <= k < members for tau in min_probas]
    return firsts + [first + ((k2, tau2),) for first in firsts for k2 in then_networks
                     if first[0][0] < k2 < members for tau2 in then_min_probas]


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
@click.option("--then-networks", "then_networks", type=int, multiple=True, default=(), show_default=True,
              help="Also try a second unsure-row stage after each setting: the network count it reaches; "
                   "repeatable.")
@click.option("--then-min-proba", "then_min_probas", type=float, multiple=True, default=MIN_PROBA_GRID,
              show_default=True, help="That stage's calibrated top probabilities to try; repeatable.")
@FOLDS_OPTION
@click.option("--write", "write", default=None, metavar="K:TAU[,K2:TAU2]|none",
              help="Set this cascade in the model header (after the report, whatever it says).")
def main(model_path: Path, oof_path: Path | None, networks: tuple[int, ...], min_probas: tuple[float, ...],
         max_loss: float, then_networks: tuple[int, ...], then_min_probas: tuple[float, ...], folds: int | None,
         write: str | None) -> None:
    """Replay staged settings on a model's out-of-fold logits; optionally set one."""
    model = BlockModel.load(model_path)
    members = 1 + len(model.members)
    setting = parse_setting(write, members) if write is not None else None
    if oof_path is None:
        if write is None:
            raise click.UsageError("give --oof (to measure settings) or --write (to set one), or both")
        write_setting(model_path, setting)
        click.echo(f"wrote cascade {setting_text(setting) if setting else 'none'} into {model_path}")
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
    click.echo("| stages | network rows | largest fall (figure) | largest gain | admissible |")
    click.echo("|---|---:|---|---:|---|")
    for stages in grid(networks, min_probas, then_networks, then_min_probas, members):
        logits, cost = replay(member_logits, stages, model.temperature)
        got = figures(oof, logits, fold_of, tables, gate, model.temperature, decoder)
        delta = {key: round(got[key] - base[key], ROUND) for key in base}
        worst = min(delta, key=delta.get)
        ok = delta[worst] >= -max_loss - 1e-9
        click.echo(f"| {setting_text(stages)} | {cost:.3f} | {delta[worst]:+.3f} ({worst}) | "
                   f"{max(delta.values()):+.3f} | {'yes' if ok else 'no'} |")
    if write is not None:
        write_setting(model_path, setting)
        click.echo(f"wrote cascade {setting_text(setting) if setting else 'none'} into {model_path}")


if __name__ == "__main__":
    main()
