"""Where a model's held-out errors sit: which pages, which confusions, which has_comments misses.

A rendering's block F1 pools every block of every page, so a few long pages can decide it (a
list-heavy article of 800 short lines, a page of 300 book titles). This tool takes a ``newswinnow
train --save-oof`` file, decodes every page with the tables of its own fold (free Viterbi, before
the page gate, as ``training.page_gate`` reports "before"), and prints per rendering:

- the block confusions (gold -> decoded) and how many of them the ``--top`` worst pages hold;
- the block F1 of each label with and without those pages, and the median page's F1;
- the worst pages by errors, and the pages whose has_comments is wrong (missed threads with
  their gold comment blocks, invented threads with their decoded ones).

Page ids come from the training reader (``training.page_gate.rebuilt_pages``: ``load_pages``
with its defaults), checked against the file's labels block for block.

    python -m training.error_pages --oof OOF --corpora ../shared/corpora [--kind dragnet/full] [--top 10]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from classifier import decode
from classifier.model import LABELS

from .page_gate import FOLDS_OPTION, Oof, decode_all, fold_tables, rebuilt_pages

DEFAULT_KINDS = ("dragnet/gold", "dragnet/trimmed", "dragnet/full", "dragnet/bodies")
DEFAULT_TOP = 10
_C = LABELS.index("comment")


@dataclass
class KindErrors:
    """One rendering's error anatomy (confusions [gold, decoded] over all its pages)."""

    kind: str
    pages: np.ndarray  # oof page indices of the rendering
    confusion: np.ndarray  # [len(LABELS), len(LABELS)]
    per_page: np.ndarray  # [pages, len(LABELS), len(LABELS)]
    missed: list[tuple[int, int]]  # (page, gold comment blocks): thread not found
    invented: list[tuple[int, int]]  # (page, decoded comment blocks): thread where gold has none

    def worst(self, top: int) -> np.ndarray:
        """Positions (into ``pages``) of the ``top`` pages with the most wrong blocks."""
        wrong = self.per_page.sum(axis=(1, 2)) - np.trace(self.per_page, axis1=1, axis2=2)
        return np.argsort(-wrong, kind="stable")[:top]


def f1_of(conf: np.ndarray, label: int) -> float | None:
    """F1 of ``label`` from a confusion matrix; None where the label never occurs."""
    tp = conf[label, label]
    fp, fn = conf[:, label].sum() - tp, conf[label].sum() - tp
    return None if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def anatomy(ys: Sequence[np.ndarray], decoded: Sequence[np.ndarray], kinds: np.ndarray, kind: str) -> KindErrors:
    """The error anatomy of rendering ``kind``: gold ``ys`` and ``decoded`` labels per page."""
    k = len(LABELS)
    pages = np.flatnonzero(kinds == kind)
    per_page = np.zeros((len(pages), k, k), dtype=np.int64)
    missed, invented = [], []
    for j, i in enumerate(pages.tolist()):
        y, q = ys[i], decoded[i]
        np.add.at(per_page[j], (y, q), 1)
        gold_c, dec_c = int((y == _C).sum()), int((q == _C).sum())
        if gold_c and not dec_c:
            missed.append((i, gold_c))
        elif dec_c and not gold_c:
            invented.append((i, dec_c))
    return KindErrors(kind, pages, per_page.sum(axis=0), per_page, missed, invented)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def report(ke: KindErrors, ids: Sequence[str], top: int) -> str:
    """Markdown for one rendering."""
    k = len(LABELS)
    worst = ke.worst(top)
    rest = np.ones(len(ke.pages), dtype=bool)
    rest[worst] = False
    conf_rest = ke.per_page[rest].sum(axis=0)
    lines = [f"### {ke.kind}: {len(ke.pages)} pages, {int(ke.confusion.sum()):,} blocks", "",
             f"| gold -> decoded | blocks | in the {top} worst pages |", "|---|---:|---:|"]
    for g in range(k):
        for d in range(k):
            n = int(ke.confusion[g, d])
            if g != d and n:
                in_worst = int(ke.per_page[worst, g, d].sum())
                lines.append(f"| {LABELS[g]} -> {LABELS[d]} | {n:,} | {in_worst:,} ({in_worst / n:.0%}) |")
    lines += ["", f"| label | block F1 | without the {top} worst pages | median page F1 |", "|---|---:|---:|---:|"]
    for lab in range(k):
        if not ke.confusion[lab].sum():  # no gold block of it in this rendering
            continue
        f_all = f1_of(ke.confusion, lab)
        per = [f for f in (f1_of(c, lab) for c in ke.per_page) if f is not None]
        lines.append(f"| {LABELS[lab]} | {_fmt(f_all)} | {_fmt(f1_of(conf_rest, lab))} | "
                     f"{_fmt(float(np.median(per)) if per else None)} |")
    lines += ["", "Worst pages: " + ", ".join(
        f"{ids[ke.pages[j]]} ({int(ke.per_page[j].sum() - np.trace(ke.per_page[j]))} of {int(ke.per_page[j].sum())})"
        for j in worst.tolist())]
    for name, rows, what in (("missed threads", ke.missed, "gold comment blocks"),
                             ("invented threads", ke.invented, "decoded comment blocks")):
        sizes = np.array([n for _, n in rows], dtype=np.int64)
        small = int((sizes <= 3).sum())
        lines.append(f"has_comments, {name}: {len(rows)} pages ({small} with 1-3 {what}): " + ", ".join(
            f"{ids[i]} ({n})" for i, n in sorted(rows, key=lambda r: -r[1])))
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--oof", "oof_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="A `newswinnow train --save-oof` file.")
@click.option("--corpora", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The corpora the run read (for page ids).")
@click.option("--kind", "kinds", multiple=True, default=DEFAULT_KINDS, show_default=True,
              help="Renderings to report; repeatable.")
@click.option("--top", type=click.IntRange(1), default=DEFAULT_TOP, show_default=True,
              help="How many of the worst pages to set apart.")
@click.option("--decoder", type=click.Choice(decode.DECODERS), default=decode.DEFAULT_DECODER, show_default=True,
              help="The decoding chain (`train --decoder`).")
@FOLDS_OPTION
def main(oof_path: Path, corpora: Path, kinds: tuple[str, ...], top: int, decoder: str, folds: int | None) -> None:
    """Where one oof file's held-out errors sit, page by page."""
    oof = Oof(oof_path, corpora, folds=folds)
    ids = [p.id for p in rebuilt_pages(corpora, oof.y, oof.offsets)]
    fold_of, tables = fold_tables(oof, decoder)
    decoded = decode_all(oof, fold_of, tables)["free"]
    for kind in kinds:
        click.echo(report(anatomy(oof.ys, decoded, oof.kinds, kind), ids, top) + "\n")


if __name__ == "__main__":
    main()
