"""jusText's block labels on the labelled renderings newswinnow is scored on, with the same metric.

Issue 2 compares newswinnow's editorial F1 on Dragnet-kind plain-text pages with jusText's
(cited at 0.29: it keeps the comments). This measures it on the same renderings the README's
Accuracy tables score (Dragnet gold text, trimmed and full pages, comment bodies; CleanEval; BBC
News), read by the training readers: each page's lines wrapped as ``<p>`` (as ``bench_text.py``
times it), a paragraph jusText keeps ("good") counted ``editorial`` and every other one
``boilerplate``. jusText has no comment class, so its comment F1 is 0 and its comment lines count
against editorial precision. Block F1 is pooled over all blocks of a rendering, as
``training.oof_report`` pools newswinnow's held-out blocks; ``content F1`` (editorial + comment
against boilerplate, jusText's own task) is given beside it.

jusText is not trained, so every page is unseen to it; newswinnow's figures to set beside these
are its held-out folds (README, Accuracy), never a model scored on pages it was trained on.

    python benchmarks/justext_accuracy.py [--corpora DIR] [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_text import DEFAULT_CORPORA, JUSTEXT_LANGUAGE, to_html  # noqa: E402

from training import corpora as C  # noqa: E402
from training.dataset import comment_bodies  # noqa: E402

EDITORIAL, COMMENT, BOILERPLATE = C.EDITORIAL, C.COMMENT, C.BOILERPLATE
# Renderings in the README's order: (name, reader of labelled pages).
DRAGNET_DIR = "dragnet_train"
CLEANEVAL_DIR = "cleaneval"
BBC_DIR = "bbc_news"
# A paragraph's xpath ends in its ``<p>``'s 1-based position among the body's children.
XPATH_P = "/p["


@dataclass
class Scores:
    """Pooled block counts and F1 of one rendering."""

    rendering: str
    pages: int
    blocks: int
    editorial_p: float
    editorial_r: float
    editorial_f1: float
    content_f1: float
    seconds: float


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """(precision, recall, F1); 0 where undefined."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def justext_keeps(justext: object, stoplist: frozenset[str], texts: Sequence[str]) -> list[bool]:
    """Per line: did jusText keep it (a "good" paragraph)? Mapped back through each paragraph's
    ``<p>`` position, so a line jusText drops or merges is never shifted onto its neighbour."""
    keep = [False] * len(texts)
    for para in justext.justext(to_html("\n".join(texts)), stoplist):  # type: ignore[attr-defined]
        xpath = para.xpath
        at = xpath.rfind(XPATH_P)
        if at < 0 or para.is_boilerplate:
            continue
        idx = int(xpath[at + len(XPATH_P): xpath.index("]", at)]) - 1
        if 0 <= idx < len(keep):
            keep[idx] = True
    return keep


def score(rendering: str, pages: Iterable[C.LabeledPage], justext: object, stoplist: frozenset[str],
          limit: int | None = None) -> Scores:
    """jusText over ``pages`` (the first ``limit``), pooled editorial and content F1."""
    tp = fp = fn = ctp = cfp = cfn = n_pages = n_blocks = 0
    t0 = time.perf_counter()
    for page in pages:
        if limit is not None and n_pages >= limit:
            break
        if any("\n" in t for t in page.texts):  # one block a line, as classify reads it
            raise ValueError(f"{page.id}: a block holds a newline")
        keep = justext_keeps(justext, stoplist, page.texts)
        for kept, label in zip(keep, page.labels):
            gold_ed, gold_content = label == EDITORIAL, label in (EDITORIAL, COMMENT)
            tp += kept and gold_ed
            fp += kept and not gold_ed
            fn += (not kept) and gold_ed
            ctp += kept and gold_content
            cfp += kept and not gold_content
            cfn += (not kept) and gold_content
        n_pages += 1
        n_blocks += len(page.texts)
    p, r, f = f1(tp, fp, fn)
    return Scores(rendering, n_pages, n_blocks, round(p, 3), round(r, 3), round(f, 3),
                  round(f1(ctp, cfp, cfn)[2], 3), round(time.perf_counter() - t0, 1))


def renderings(root: Path) -> list[tuple[str, Iterable[C.LabeledPage]]]:
    """(name, pages) of every rendering whose corpus is under ``root``, lazily read."""
    out: list[tuple[str, Iterable[C.LabeledPage]]] = []
    dragnet = root / DRAGNET_DIR
    if dragnet.is_dir():
        out += [("Dragnet, gold text", C.read_dragnet(dragnet, "gold")),
                ("Dragnet, trimmed page", C.read_dragnet(dragnet, "trimmed")),
                ("Dragnet, full page", C.read_dragnet(dragnet, "full")),
                ("Dragnet, comment bodies", (b for p in C.read_dragnet(dragnet, "gold")
                                             if (b := comment_bodies(p)) is not None))]
    if (root / CLEANEVAL_DIR).is_dir():
        out.append(("CleanEval", C.read_cleaneval(root / CLEANEVAL_DIR)))
    if (root / BBC_DIR).is_dir():
        out.append(("BBC News", C.read_bbc(root / BBC_DIR)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--limit", type=int, default=None, help="at most N pages per rendering")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    try:
        import justext
    except ImportError:
        print("justext_accuracy: jusText is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    stoplist = justext.get_stoplist(JUSTEXT_LANGUAGE)
    plan = renderings(args.corpora)
    if not plan:
        print(f"justext_accuracy: no corpus under {args.corpora}", file=sys.stderr)
        return 2
    rows = [score(name, pages, justext, stoplist, args.limit) for name, pages in plan]
    print("| rendering | pages | blocks | jusText editorial P / R / F1 | content F1 | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in rows:
        print(f"| {s.rendering} | {s.pages:,} | {s.blocks:,} | {s.editorial_p:.3f} / {s.editorial_r:.3f} / "
              f"**{s.editorial_f1:.3f}** | {s.content_f1:.3f} | {s.seconds} |")
    if args.json:
        args.json.write_text(json.dumps({"justext_version": getattr(justext, "__version__", None),
                                         "rows": [asdict(s) for s in rows]}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
