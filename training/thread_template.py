"""What the thread-template step (classifier/thread_template.py) does on held-out folds.

Every page of an oof file (``newswinnow train --save-oof``) is decoded as the page gate's
report decodes it: nested grouped CV (``training.page_gate``), or with ``--apply-gate`` a
fitted gate as the classifier applies it. The pages' texts are read again with the training
reader (checked against the oof labels block by block), their feature rows computed, and the
step applied to the decoded labels as the classifier applies it. Prints, per rendering,
editorial and comment F1 (pooled blocks), has_comments F1 and where the threads start (exact /
within one block), gated -> gated + the step.

    python -m training.thread_template --oof OOF.npz --model data/model-text.json
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import click
import numpy as np

from classifier import page_gate, thread_template
from classifier.model import LABELS, BlockModel
from features.extract import extract_batch

from .page_gate import (
    MODES,
    REPORT_KINDS,
    START_TOLERANCE,
    Decodes,
    Oof,
    _f1,
    fold_tables,
    gate_decodes,
    model_decoder,
    nested_cv,
    rebuilt_pages,
    start_hits,
    write_card_section,
)

_C, _E = LABELS.index("comment"), LABELS.index("editorial")
CARD_HEADING = "## Thread-template step"


def gated_labels(oof: Oof, model: BlockModel, gate_file: Path | None) -> list[np.ndarray]:
    """Each page's labels as the page gate's report decodes it: nested CV, or ``gate_file`` applied."""
    decoder = model_decoder(model)
    if gate_file is None:
        fold_of, tables = fold_tables(oof, decoder)
        dc = Decodes(oof, fold_of, tables)
        return dc.labels(nested_cv(oof, dc, fold_of, log=lambda s: None))
    dec, mode = gate_decodes(oof, page_gate.PageGate.load(gate_file, model.sha256), model.temperature, decoder)
    return [dec[MODES[m]][i] for i, m in enumerate(mode.tolist())]


def figures(oof: Oof, labels: list[np.ndarray], ids: np.ndarray) -> dict[str, float]:
    """Pooled editorial / comment F1 of pages ``ids``, their has_comments F1 and thread starts."""
    y = np.concatenate([oof.ys[i] for i in ids])
    q = np.concatenate([labels[i] for i in ids])
    out = {}
    for name, lab in (("editorial", _E), ("comment", _C)):
        g, p = y == lab, q == lab
        out[name] = _f1(float((g & p).sum()), float((~g & p).sum()), float((g & ~p).sum()))
    ph = np.array([bool((labels[i] == _C).any()) for i in ids])
    gh = oof.gold_has[ids]
    out["has_comments"] = _f1(float((ph & gh).sum()), float((ph & ~gh).sum()), float((~ph & gh).sum()))
    out.update(start_hits(oof, labels, ids))
    return out


def table(oof: Oof, before: list[np.ndarray], after: list[np.ndarray]) -> tuple[str, list[dict]]:
    """The per-rendering report (markdown) and its rows."""
    lines = ["| pages (rendering) | n | has_comments F1 | editorial F1 | comment F1 | thread start exact / within "
             f"{START_TOLERANCE} |", "|---|---:|---:|---:|---:|---:|"]
    rows = []
    for kind in REPORT_KINDS + ("all",):
        ids = np.arange(oof.n) if kind == "all" else np.flatnonzero(oof.kinds == kind)
        if not ids.size:
            continue
        b, a = figures(oof, before, ids), figures(oof, after, ids)
        rows.append({"kind": kind, "pages": int(ids.size), "before": b, "after": a})
        threads = bool(oof.gold_has[ids].any())
        cells = [f"{b[k]:.4f} -> {a[k]:.4f}" if threads or k == "editorial" else "n/a"
                 for k in ("has_comments", "editorial", "comment")]
        cells.append(f"{b['exact']:.3f} / {b['near']:.3f} -> {a['exact']:.3f} / {a['near']:.3f}" if threads else "n/a")
        lines.append(f"| {kind} | {ids.size} | " + " | ".join(cells) + " |")
    return "\n".join(lines), rows


def card_section(report: str, command: str, moved: int, pages: int) -> str:
    """The model card's thread-template section: what the step does and its figures on the run's folds."""
    return (f"{CARD_HEADING} (plain text, after the page gate, `classifier/thread_template.py`)\n\n"
            "The classifier moves a decoded thread's start up to the thread's own first commenter line (a "
            "line fitting the template of the thread's repeated date/name lines, up to "
            f"{thread_template.BACK_BLOCKS} editorial blocks above the start, and the name line of a two-line "
            "header); it never opens or closes a thread. On this model's out-of-fold pages, gated -> gated + "
            f"the step, with `OPENBLAS_NUM_THREADS=1 {command}` ({moved} of {pages} pages' starts moved):\n\n"
            + report + "\n")


@click.command()
@click.option("--oof", "oof_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The --save-oof file of the `newswinnow train` run that made the model.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("data/model-text.json"), show_default=True, help="The model the oof file is of.")
@click.option("--corpora", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/corpora"), show_default=True, help="To read the pages' texts again.")
@click.option("--apply-gate", "gate_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Decode with this fitted gate (e.g. the shipped one) instead of the nested-CV gates.")
@click.option("--metrics-json", type=click.Path(path_type=Path), help="Also write the rows here.")
@click.option("--card", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the step's section (the table) into this model card, replacing its old one.")
def main(oof_path: Path, model_path: Path, corpora: Path, gate_file: Path | None, metrics_json: Path | None,
         card: Path | None) -> None:
    """Report the thread-template step's effect on an oof file's pages (gated -> gated + step)."""
    t0 = time.time()
    say = lambda s: click.echo(f"{s} ({time.time() - t0:.0f}s)", err=True)  # noqa: E731
    model = BlockModel.load(model_path)
    oof = Oof(oof_path, corpora)
    before = gated_labels(oof, model, gate_file)
    say("decoded")
    pages = rebuilt_pages(corpora, oof.y, oof.offsets)
    texts = [t for p in pages for t in p.texts]
    pf, offsets = extract_batch([list(p.texts) for p in pages], model.lexical)
    if not np.array_equal(offsets, oof.offsets):
        raise click.ClickException("the feature pass's pages do not line up with the oof file's")
    say("features")
    after = [lab.copy() for lab in before]
    moved = thread_template.extend_starts(after, pf.X, texts, offsets)
    report, rows = table(oof, before, after)
    click.echo(f"{oof_path}, {'nested-CV gates' if gate_file is None else gate_file}: gated -> gated + thread "
               f"template ({moved} of {oof.n} pages' starts moved)\n{report}")
    if metrics_json:
        Path(metrics_json).write_text(json.dumps({"moved": moved, "rows": rows}, indent=1))
    if card:
        command = "python -m training.thread_template " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        write_card_section(card, card_section(report, command, moved, oof.n), CARD_HEADING)
        click.echo(f"wrote the thread-template section of {card}")


if __name__ == "__main__":
    main()
