"""Decoded held-out figures of several models from one ``train --save-oof`` file, side by side.

One training run's out-of-fold file holds the shipped model's logits (``logits``), every network
of the ensemble (``member_logits``) and, after ``--distill``, the teachers' (``teacher_logits``).
Scoring them on the same folds is the fair comparison of, say, a distilled student against its
eight-network teacher and against three of the teacher's networks: same pages, same fold tables,
each with its own temperature fitted on the out-of-fold logits (as ``train`` does), plain Viterbi.

    python -m training.oof_report --oof OOF.npz [--members 0-2 --members 0] [--write teacher=T.npz]

prints per variant macro-F1, spam F1 and editorial / comment / has_comments F1 per rendering
(``--per-label``: also the model's F1 of every label per rendering; ``--decoder``: the tables'
kind, ``train --decoder``).
``--write NAME=PATH`` saves an oof file whose ``logits`` are that variant's, for
``python -m training.page_gate --oof PATH`` (the gated has_comments figures of that variant).
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from classifier import decode
from classifier.model import LABELS

from . import metrics
from .page_gate import FOLDS_OPTION, Oof, fold_tables
from .train import calibrated, fit_temperature, unlabelled_rows

# Renderings reported, in this order (the acceptance kinds first).
REPORT_KINDS = ("dragnet/gold", "dragnet/trimmed", "dragnet/full", "dragnet/bodies", "cleaneval")
_C = LABELS.index("comment")


def member_range(spec: str, n: int) -> list[int]:
    """``"0-2"`` -> [0, 1, 2]; ``"3"`` -> [3]; checked against the ``n`` networks saved."""
    try:
        lo, _, hi = spec.partition("-")
        first, last = int(lo), int(hi or lo)
    except ValueError:
        raise click.BadParameter(f"{spec!r}: give networks as N or N-M") from None
    if not 0 <= first <= last < n:
        raise click.BadParameter(f"{spec!r}: the file holds networks 0-{n - 1}")
    return list(range(first, last + 1))


def variants(data: dict, members: list[str]) -> dict[str, np.ndarray]:
    """Name -> out-of-fold logits of each model to compare."""
    out = {"model": data["logits"]}
    if "teacher_logits" in data:
        out["teacher"] = data["teacher_logits"]
    if "member_logits" in data:
        m = data["member_logits"]
        for spec in members:
            ids = member_range(spec, m.shape[0])
            out[f"networks {spec}" if len(ids) > 1 else f"network {spec}"] = m[ids].mean(axis=0)
    return out


def decode_variant(oof: Oof, logits: np.ndarray, fold_of: np.ndarray, tables: list) -> tuple[float, np.ndarray]:
    """Its temperature (on the blocks with an article/comment/furniture gold: not the content rows of
    a content-only corpus trained with pseudo labels) and every page decoded with the tables of the
    page's fold."""
    known = ~unlabelled_rows(oof.content_only, oof.offsets, oof.y)
    t = fit_temperature(logits[known], oof.y[known])
    proba = calibrated(logits, t)
    pred = np.empty(len(oof.y), dtype=np.int64)
    for f, (log_start, log_trans, prior, post) in enumerate(tables):
        ids = np.flatnonzero(fold_of == f).tolist()
        paths = decode.viterbi_batch([proba[oof.pages[i]] for i in ids], prior, log_start, log_trans, post=post)
        for i, path in zip(ids, paths):
            pred[oof.pages[i]] = path
    return t, pred


def figures(oof: Oof, kinds: np.ndarray, pred: np.ndarray) -> dict:
    """Macro-F1 and spam F1 over all blocks; editorial, comment and has_comments F1 per rendering."""
    rep = metrics.per_label(metrics.confusion(oof.y, pred))
    out = {"macro_f1": metrics.macro_f1(rep), "spam_f1": rep["spam"]["f1"], "kinds": {}}
    for kind in REPORT_KINDS:
        ids = np.flatnonzero(kinds == kind)
        if not ids.size:
            continue
        rows = np.concatenate([np.arange(oof.offsets[i], oof.offsets[i + 1]) for i in ids])
        r = metrics.per_label(metrics.confusion(oof.y[rows], pred[rows]))
        has = metrics.binary_f1([bool((oof.y[oof.pages[i]] == _C).any()) for i in ids],
                                [bool((pred[oof.pages[i]] == _C).any()) for i in ids])
        out["kinds"][kind] = {**{lab: r[lab]["f1"] if r[lab]["support"] else None for lab in ("editorial", "comment")},
                              "has_comments": has["f1"] if has["positives"] else None}
    return out


def per_label_by_kind(oof: Oof, kinds: np.ndarray, pred: np.ndarray, total: bool = False) -> dict[str, dict]:
    """``metrics.per_label`` of the decoded labels per rendering (and over all blocks: ``total``)."""
    out = {}
    for kind in [*sorted(set(kinds.tolist())), *(["all"] if total else [])]:
        ids = np.arange(oof.n) if kind == "all" else np.flatnonzero(kinds == kind)
        rows = np.concatenate([np.arange(oof.offsets[i], oof.offsets[i + 1]) for i in ids])
        out[kind] = metrics.per_label(metrics.confusion(oof.y[rows], pred[rows]))
    return out


def label_table(oof: Oof, kinds: np.ndarray, pred: np.ndarray) -> list[str]:
    """Markdown: F1 of every label per rendering (every rendering in the file, and all blocks),
    rounded as the model card's tables are (``training.metrics``)."""
    lines = ["| pages (rendering) | " + " | ".join(f"{lab} F1" for lab in LABELS)
             + " | content F1 (not furniture) | content called comment |", "|---|" + "---:|" * (len(LABELS) + 2)]
    furniture = LABELS.index("boilerplate")
    for kind, r in per_label_by_kind(oof, kinds, pred, total=True).items():
        ids = np.arange(oof.n) if kind == "all" else np.flatnonzero(kinds == kind)
        rows = np.concatenate([np.arange(oof.offsets[i], oof.offsets[i + 1]) for i in ids])
        gold, got = oof.y[rows] != furniture, pred[rows] != furniture
        both = 2 * int((gold & got).sum())
        content = f"{both / (gold.sum() + got.sum()):.3f}" if gold.sum() + got.sum() else "-"
        called = f"{(pred[rows][gold] == _C).mean():.3f}" if gold.any() else "-"
        lines.append(f"| {kind} | " + " | ".join(f"{r[lab]['f1']:.3f}" if r[lab]["support"] else "-"
                                                  for lab in LABELS) + f" | {content} | {called} |")
    return lines


def table(rows: dict[str, tuple[float, dict]]) -> list[str]:
    """Markdown: one line per variant."""
    kinds = [k for k in REPORT_KINDS if any(k in f["kinds"] for _, f in rows.values())]
    head = "| model | T | macro-F1 | spam F1 | " + " | ".join(f"{k} ed / com / has" for k in kinds) + " |"
    lines = [head, "|---" * (4 + len(kinds)) + "|"]
    for name, (t, f) in rows.items():
        cells = []
        for k in kinds:
            v = f["kinds"].get(k)
            cells.append("-" if v is None else " / ".join(
                "n/a" if v[x] is None else f"{v[x]:.3f}" for x in ("editorial", "comment", "has_comments")))
        lines.append(f"| {name} | {t:.1f} | {f['macro_f1']:.3f} | {f['spam_f1']:.3f} | " + " | ".join(cells) + " |")
    return lines


@click.command()
@click.option("--oof", "oof_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="A `newswinnow train --save-oof` file (with page groups: saved since 2026-12-03).")
@click.option("--members", multiple=True, default=("0-2", "0"), show_default=True,
              help="Also score the mean of these saved networks (N or N-M); repeatable.")
@FOLDS_OPTION
@click.option("--decoder", type=click.Choice(decode.DECODERS), default="thread", show_default=True,
              help="The decoding chain of the fold tables (`train --decoder`).")
@click.option("--per-label", is_flag=True,
              help="Also print the shipped model's F1 of every label per rendering (the model card's block figures).")
@click.option("--write", "writes", multiple=True, metavar="NAME=PATH",
              help="Save the oof file of variant NAME (model, teacher, 'networks 0-2'...) for training.page_gate.")
def main(oof_path: Path, members: tuple[str, ...], folds: int | None, decoder: str, per_label: bool,
         writes: tuple[str, ...]) -> None:
    """Compare the models of one out-of-fold file on the same folds."""
    oof = Oof(oof_path, None, folds=folds)
    with np.load(oof_path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    logits = variants(data, list(members))
    targets = {}
    for w in writes:
        name, sep, path = w.partition("=")
        if not sep or name not in logits:
            raise click.BadParameter(f"{w!r}: give NAME=PATH with NAME one of {sorted(logits)}", param_hint="--write")
        targets[name] = Path(path)
    fold_of, tables = fold_tables(oof, decoder)
    rows, preds = {}, {}
    for name, L in logits.items():
        t, preds[name] = decode_variant(oof, L, fold_of, tables)
        rows[name] = (t, figures(oof, data["kinds"], preds[name]))
    click.echo("\n".join(table(rows)))
    if per_label:
        click.echo("\n" + "\n".join(label_table(oof, data["kinds"], preds["model"])))
    for name, path in targets.items():
        np.savez(path, **{**{k: v for k, v in data.items() if k not in ("teacher_logits", "member_logits")},
                          "logits": logits[name]})
        click.echo(f"wrote {path} ({name})", err=True)


if __name__ == "__main__":
    main()
