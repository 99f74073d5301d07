"""A text model scored on Dragnet pages of a kind its training set lacks (docs/text-model.md, session 43).

The model card's folds are grouped by site, but every fold still trains on pages of every kind
(long T-page threads, short R-pages, ...). This split holds a kind out: train on the first
pages in the reader's order, and score the pages from ``--test-from`` on (by default the 246
pages from the 721st: R838-R999 and all 119 T-pages, 198 of them from sites the first 700 lack):

    newswinnow train --corpora ../shared/corpora --folds 0 --max-dragnet 700 \\
        --out /tmp/first700/model-text --card /tmp/first700/CARD.md [--ignore-column page-size]
    python benchmarks/crawl_split.py --model /tmp/first700/model-text.json [--json OUT]

Each page's lines go through ``Classifier.classify_text`` (the decoded labels, and the page gate
when the model has one). Block F1 is pooled over a rendering's blocks, as ``training.oof_report``
pools the card's; the argmax of the blocks' probabilities and each page's accuracy are given
beside it, because a few long pages carry the pooled figures. Scoring the shipped model (trained
on every page) here measures nothing: it has seen these pages.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.api import Classifier  # noqa: E402
from classifier.model import LABELS  # noqa: E402
from training import corpora as C  # noqa: E402
from training.metrics import confusion  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
# The first page scored (0-based, the reader's order): 20 pages past the 700 trained on, so a
# page the two variants' readers count differently cannot be on both sides.
TEST_FROM = 720
RENDERINGS = ("gold", "trimmed", "full")


def _f1(cm: np.ndarray, k: int) -> float:
    """F1 of class ``k`` from ``training.metrics.confusion``'s matrix, unrounded (its ``per_label``
    and ``binary_f1`` round to four places); 0 when the class is absent from gold and prediction."""
    return 2 * int(cm[k, k]) / max(int(cm[k].sum() + cm[:, k].sum()), 1)


def f1_by_label(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Pooled F1 of each label (label indices as ``LABELS``); 0 when a label is absent from both."""
    cm = confusion(np.asarray(gold, dtype=np.int64), np.asarray(pred, dtype=np.int64))
    return {name: _f1(cm, k) for k, name in enumerate(LABELS)}


def page_f1(gold: Sequence[bool], pred: Sequence[bool]) -> float:
    """F1 of a page-level yes/no (has_comments)."""
    return _f1(confusion(np.asarray(gold, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)


def score(clf: Classifier, pages: Sequence[C.LabeledPage]) -> dict:
    """Decoded and argmax block F1, has_comments F1 and mean page accuracy over ``pages``."""
    gold, dec, arg, pages_acc, has_g, has_p = [], [], [], [], [], []
    for p in pages:
        d = clf.classify_text("\n".join(p.texts), id=p.id).to_dict()
        blocks = d["blocks"]
        if len(blocks) != len(p.texts):  # (a gold line the segmenter splits or drops: not comparable)
            raise ValueError(f"{p.id}: {len(blocks)} blocks for {len(p.texts)} lines")
        g = np.array([LABELS.index(lab) for lab in p.labels])
        q = np.array([LABELS.index(b["label"]) for b in blocks])
        a = np.array([int(np.argmax([b["proba"][lab] for lab in LABELS])) for b in blocks])
        gold.append(g)
        dec.append(q)
        arg.append(a)
        pages_acc.append(float((g == q).mean()))
        has_g.append("comment" in p.labels)
        has_p.append(bool(d["has_comments"]))
    g, q, a = (np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in (gold, dec, arg))
    return {"pages": len(pages), "blocks": int(len(g)), "decoded": f1_by_label(g, q), "argmax": f1_by_label(g, a),
            "has_comments": page_f1(has_g, has_p),
            "mean_page_accuracy": float(np.mean(pages_acc)) if pages_acc else 0.0}


def main(argv: Sequence[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="MODEL.json (default: the shipped model, which has seen these pages)")
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--test-from", type=int, default=TEST_FROM, help="first page scored, in the reader's order")
    ap.add_argument("--limit", type=int, default=None, help="score at most this many pages per rendering")
    ap.add_argument("--renderings", nargs="+", default=list(RENDERINGS), choices=C.DRAGNET_VARIANTS)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    clf = Classifier.load(args.model)
    print(f"model: {clf.model.name}; trained with: {clf.model.meta.get('command', '?')}")
    out: dict = {"model": clf.model.name, "test_from": args.test_from, "renderings": {}}
    for v in args.renderings:
        pages = list(C.read_dragnet(args.corpora / "dragnet_train", variant=v))[args.test_from:]
        pages = pages[: args.limit] if args.limit is not None else pages
        r = score(clf, pages)
        out["renderings"][v] = r
        dec, arg = r["decoded"], r["argmax"]
        print(f"{v:8s} {r['pages']:4d} pages {r['blocks']:6d} blocks | decoded editorial {dec['editorial']:.3f} "
              f"comment {dec['comment']:.3f} boilerplate {dec['boilerplate']:.3f} | argmax editorial "
              f"{arg['editorial']:.3f} comment {arg['comment']:.3f} | has_comments {r['has_comments']:.3f} | "
              f"mean page accuracy {r['mean_page_accuracy']:.3f}", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
