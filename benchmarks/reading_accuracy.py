"""The shipped model on plain text that is not one paragraph a line: hard-wrapped and markdown.

Each rendering is classified twice, line by line as written (``Classifier.reread = False``) and
as newswinnow reads it (features/reading.py: wrapped pages by paragraph, markdown pages as the
text they show), and scored on the same lines:

- ``wrapped W``: Dragnet full pages and gold text with every paragraph line wrapped at W by
  ``textwrap`` (greedy, as lynx, html2text and mail do), without and with blank lines between
  paragraphs; each line keeps its paragraph's gold label;
- ``trafilatura-md``: ``trafilatura.extract`` of the Dragnet HTML as markdown with links,
  images, formatting and comments (not wrapped), if trafilatura is installed (the test extra);
  ``, no links``: its default, without links and images;
- ``html2text``: html2text's markdown of the Dragnet HTML with links (wrapped at 78), if
  html2text is installed (GPL-3.0, not a dependency of newswinnow: ``pip install html2text``);
  ``, no links``: links and images dropped. These are labelled by
  ``training.corpora.align_blocks`` against the gold, as the Dragnet reader labels its own
  renderings;
- ``cleaneval-lynx``: CleanEval's gold text as published - a lynx dump, wrapped at ~72, every
  line content - scored as the share of lines and characters called boilerplate;
- ``line-by-line pages``: the other side, pages of the training renderings (Dragnet full /
  trimmed / gold, CleanEval, BBC) that newswinnow reads otherwise than line by line (ideally 0).

Block F1 is pooled over lines; has_comments is page-level F1. In sample: the shipped model was
trained on these pages' one-paragraph-per-line renderings, so compare the two reads of a
rendering, not these levels with the README's held-out figures.

    python benchmarks/reading_accuracy.py [--corpora DIR] [--step N] [--width W ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier import Classifier  # noqa: E402
from classifier.model import LABELS  # noqa: E402
from features import reading  # noqa: E402
from features.segment import decode_bytes, segment_text  # noqa: E402
from training import corpora as C  # noqa: E402
from training import metrics  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
DEFAULT_WIDTHS = (78,)
# html2text's default width, kept: its output is what users get.
HTML2TEXT_WIDTH = 78


@dataclass
class Case:
    """One page of a rendering: its text and the gold label of each of its non-empty lines."""

    text: str
    labels: dict[int, str]  # 1-based line number -> gold label
    has_comments: bool


def score(clf: Classifier, cases: Sequence[Case], reread: bool) -> dict:
    """Pooled per-label F1 over the cases' lines and has_comments F1, read one way."""
    clf.reread = reread
    gold, pred, gh, ph = [], [], [], []
    try:
        for case in cases:
            r = clf.classify_text(case.text)
            for b in r.blocks:
                gold.append(LABELS.index(case.labels[b["line"]]))
                pred.append(LABELS.index(b["label"]))
            gh.append(case.has_comments)
            ph.append(bool(r.has_comments))
    finally:
        clf.reread = True
    rep = metrics.per_label(metrics.confusion(np.array(gold, dtype=np.int64), np.array(pred, dtype=np.int64)))
    out = {lab: v["f1"] for lab, v in rep.items() if v["support"]}
    out["has_comments"] = round(metrics.binary_f1(gh, ph)["f1"], 4) if any(gh) else None
    out["lines"] = len(gold)
    return out


def wrapped_cases(pages: Iterable[C.LabeledPage], width: int, blank: bool) -> list[Case]:
    """Each page's lines wrapped at ``width``; every wrapped line keeps its paragraph's label."""
    out = []
    for p in pages:
        lines: list[str] = []
        labels: dict[int, str] = {}
        for text, lab in zip(p.texts, p.labels):
            if not text.strip():
                continue
            for part in textwrap.wrap(text, width) or [text]:
                lines.append(part)
                labels[len(lines)] = lab
            if blank:
                lines.append("")
        if labels:
            out.append(Case("\n".join(lines), labels, C.COMMENT in p.labels))
    return out


def aligned_cases(root: Path, render: Callable[[bytes], str], step: int, ids: set[str] | None = None) -> list[Case]:
    """Dragnet pages rendered by ``render`` (HTML bytes -> text), their non-empty lines labelled
    by alignment with the gold article and comments. ``ids`` ("dragnet/102"): only those pages."""
    out = []
    gold_paths = sorted((root / "Corrected").glob("*.txt"), key=C._numeric_key)[::step]
    for gold_path in gold_paths:
        if ids is not None and f"dragnet/{gold_path.name[:-len('.txt')]}" not in ids:
            continue
        html_path = root / "HTML" / f"{gold_path.name[:-len('.txt')]}.html.gz"
        if not html_path.exists():
            continue
        article, comments = C.split_dragnet_gold(C._read_text(gold_path))
        text = render(gzip.decompress(html_path.read_bytes()))
        blocks = segment_text(text)
        if not blocks:
            continue
        al = C.align_blocks([b.text for b in blocks], [(C.EDITORIAL, article), (C.COMMENT, comments)],
                            [False] * len(blocks))
        if all(lab == C.BOILERPLATE for lab in al.labels):
            continue
        out.append(Case(text, {b.line: lab for b, lab in zip(blocks, al.labels)}, bool(comments)))
    return out


def trafilatura_markdown(raw: bytes, links: bool = True) -> str:
    import trafilatura

    return trafilatura.extract(raw, output_format="markdown", include_comments=True, include_links=links,
                               include_images=links, include_formatting=True) or ""


def html2text_markdown(raw: bytes, links: bool = True) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = HTML2TEXT_WIDTH
    h.ignore_links = h.ignore_images = not links
    return h.handle(decode_bytes(raw))


# The extractor renderings: (name, HTML bytes -> text, the module it needs).
EXTRACTORS: tuple[tuple[str, Callable[[bytes], str], str], ...] = (
    ("trafilatura-md", trafilatura_markdown, "trafilatura"),
    ("trafilatura-md, no links", lambda raw: trafilatura_markdown(raw, links=False), "trafilatura"),
    ("html2text", html2text_markdown, "html2text"),
    ("html2text, no links", lambda raw: html2text_markdown(raw, links=False), "html2text"),
)


def cleaneval_lynx(clf: Classifier, root: Path, step: int) -> dict:
    """Share of CleanEval gold lines (all content) called boilerplate, lynx text as published."""
    out = {}
    files = sorted(root.glob("*/GoldStandard/*.txt"), key=lambda p: (p.parent.parent.name, C._numeric_key(p)))[::step]
    texts = []
    for f in files:
        lines = C._read_text(f).split("\n")[1:]  # line 1: "URL: ..."
        texts.append("\n".join(C._CLEANEVAL_MARK.sub("", line) for line in lines))
    for reread in (False, True):
        clf.reread = reread
        n = chars = bp = bp_chars = 0
        for text in texts:
            for b in clf.classify_text(text).blocks:
                size = len(b["text"].strip())
                n += 1
                chars += size
                if b["label"] == C.BOILERPLATE:
                    bp += 1
                    bp_chars += size
        out["as read" if reread else "line by line"] = {"boilerplate_lines": round(bp / max(n, 1), 4),
                                                        "boilerplate_chars": round(bp_chars / max(chars, 1), 4),
                                                        "lines": n}
    clf.reread = True
    out["pages"] = len(texts)
    return out


def reread_pages(pages: Iterable[Sequence[str]]) -> tuple[int, int]:
    """(pages, of which read otherwise than line by line) among lists of lines."""
    n = k = 0
    for lines in pages:
        blocks = segment_text("\n".join(lines))
        if not blocks:
            continue
        n += 1
        k += reading.page_reading([b.text for b in blocks], [b.line for b in blocks]) is not None
    return n, k


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--step", type=int, default=1, help="every STEP-th page (1: all)")
    ap.add_argument("--width", type=int, nargs="+", default=list(DEFAULT_WIDTHS))
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    clf = Classifier.load()
    results: dict[str, dict] = {}
    t0 = time.time()
    dragnet = args.corpora / "dragnet_train"
    rendered = {v: list(C.read_dragnet(dragnet, variant=v))[:: args.step] for v in ("full", "trimmed", "gold")}
    for width in args.width:
        for v in ("full", "gold"):
            for blank in (False, True):
                name = f"dragnet {v}, wrapped {width}{', blank lines' if blank else ''}"
                cases = wrapped_cases(rendered[v], width, blank)
                results[name] = {"line by line": score(clf, cases, False), "as read": score(clf, cases, True),
                                 "pages": len(cases)}
                _print(name, results[name])
    for name, render, module in EXTRACTORS:
        try:
            __import__(module)
        except ImportError:
            print(f"{name}: skipped ({module} is not installed)", flush=True)
            continue
        cases = aligned_cases(dragnet, render, args.step)
        results[name] = {"line by line": score(clf, cases, False), "as read": score(clf, cases, True),
                         "pages": len(cases)}
        _print(name, results[name])
    results["cleaneval-lynx"] = cleaneval_lynx(clf, args.corpora / "cleaneval", args.step)
    print("cleaneval-lynx", json.dumps(results["cleaneval-lynx"]), flush=True)
    plain = {f"dragnet {v}": [p.texts for p in pages] for v, pages in rendered.items()}
    plain["cleaneval"] = [p.texts for p in C.read_cleaneval(args.corpora / "cleaneval")][:: args.step]
    plain["bbc"] = [p.texts for p in C.read_bbc(args.corpora / "bbc_news")][:: args.step]
    results["line-by-line pages"] = {}
    for name, pages in plain.items():
        n, k = reread_pages(pages)
        results["line-by-line pages"][name] = {"pages": n, "reread": k}
        print(f"{name}: {k} of {n} pages read otherwise than line by line", flush=True)
    results["seconds"] = round(time.time() - t0, 1)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _print(name: str, r: dict) -> None:
    def row(d: dict) -> str:
        return " ".join(f"{k} {v:.3f}" for k, v in d.items() if k != "lines" and v is not None)

    print(f"{name} ({r['pages']} pages, {r['as read']['lines']} lines)\n"
          f"  line by line: {row(r['line by line'])}\n  as read:      {row(r['as read'])}", flush=True)


if __name__ == "__main__":
    main()
