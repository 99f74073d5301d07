"""Build time and size of ``newswinnow report`` on real classify output of real corpus pages.

The input is made from ``../shared/corpora`` (or ``--corpora DIR``), never copied into the
repository: Dragnet training pages (the HTML, its url from the page head), CleanEval pages (the
HTML, its url from the gold file), BBC News articles (plain text, one line per paragraph) and the
gold text of Dragnet pages and Mozilla Readability test pages (HTML), taken in that order until
``--pages`` records. The records are written as JSONL to ``--work DIR`` (default: a folder in
the system temp dir), classified once with ``newswinnow classify --jobs 2`` (reused on later
runs while the input is unchanged, unless ``--reclassify``), then ``newswinnow report`` is timed as a subprocess, wall
time, best of ``--repeat`` runs.

    python benchmarks/bench_report.py [--corpora DIR] [--pages 5000] [--repeat 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from features.segment import decode_bytes  # noqa: E402
from training.corpora import _cleaneval_gold, _page_url, split_dragnet_gold  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_PAGES = 5000
DEFAULT_REPEAT = 3
CLASSIFY_JOBS = 2
# The limits for 5,000 pages.
MAX_SECONDS = 10.0
MAX_BYTES = 15_000_000
CLI = [sys.executable, "-c", "from classifier.cli import main; main()"]


def _dragnet_html(root: Path) -> Iterator[dict]:
    for path in sorted((root / "dragnet_train" / "HTML").glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        yield {"id": f"dragnet/{path.name[:-8]}", "html": decode_bytes(raw), "url": _page_url(raw)}


def _cleaneval_html(root: Path) -> Iterator[dict]:
    for split in ("cleaneval-dev", "cleaneval-final"):
        for html_path in sorted((root / "cleaneval" / split / "input").glob("*.html.gz")):
            n = html_path.name[:-8]
            gold = root / "cleaneval" / split / "GoldStandard" / f"{n}.txt"
            url = _cleaneval_gold(decode_bytes(gold.read_bytes()))[0] if gold.exists() else None
            yield {"id": f"{split}/{n}", "html": decode_bytes(gzip.decompress(html_path.read_bytes())), "url": url}


def _bbc_text(root: Path) -> Iterator[dict]:
    for path in sorted((root / "bbc_news").glob("*/*.txt")):
        lines = [s.strip() for s in decode_bytes(path.read_bytes()).splitlines() if s.strip()]
        yield {"id": f"bbc/{path.parent.name}/{path.stem}", "text": "\n".join(lines), "url": None}


def _dragnet_gold(root: Path) -> Iterator[dict]:
    d = root / "dragnet_train"
    for path in sorted((d / "Corrected").glob("*.txt")):
        pid = path.name[:-4]
        html = d / "HTML" / f"{pid}.html.gz"
        url = _page_url(gzip.decompress(html.read_bytes())) if html.exists() else None
        article, comments = split_dragnet_gold(decode_bytes(path.read_bytes()))
        lines = [s.strip() for s in article + comments if s.strip()]
        yield {"id": f"dragnet-gold/{pid}", "text": "\n".join(lines), "url": url}


def _readability_html(root: Path) -> Iterator[dict]:
    for path in sorted((root / "mozilla_readability" / "input").glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        yield {"id": f"readability/{path.name[:-8]}", "html": decode_bytes(raw), "url": _page_url(raw)}


def records(root: Path, n: int) -> Iterator[dict]:
    """Up to ``n`` records: every source in turn, in the order of the module docstring."""
    k = 0
    for gen in (_dragnet_html, _cleaneval_html, _bbc_text, _dragnet_gold, _readability_html):
        for rec in gen(root):
            if k >= n:
                return
            yield rec
            k += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--pages", type=int, default=DEFAULT_PAGES)
    ap.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    ap.add_argument("--reclassify", action="store_true", help="classify again even if the input is unchanged")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "newswinnow-bench-report")
    args = ap.parse_args()
    if not args.corpora.is_dir():
        print(f"no corpora at {args.corpora}", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    inp, res, out = args.work / "pages.jsonl", args.work / "results.jsonl", args.work / "report.html"
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records(args.corpora, args.pages))
    digest = hashlib.sha256(data).hexdigest()
    stamp = args.work / "results.sha256"
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
    if args.reclassify or not (res.exists() and stamp.exists() and stamp.read_text() == digest):
        inp.write_bytes(data)
        n_in = data.count(b"\n")
        print(f"classifying {n_in} pages ({len(data) / 1e6:.1f} MB) ...", file=sys.stderr)
        with open(res, "wb") as fh:
            subprocess.run([*CLI, "classify", "--jobs", str(CLASSIFY_JOBS), str(inp)], stdout=fh, env=env,
                           check=True)
        stamp.write_text(digest)
    with open(res, "rb") as fh:
        n_pages = sum(1 for _ in fh)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        subprocess.run([*CLI, "report", str(res), "-o", str(out)], env=env, check=True)
        times.append(time.perf_counter() - t0)
    size = out.stat().st_size
    best = min(times)
    print(json.dumps({"pages": n_pages, "results_mb": round(res.stat().st_size / 1e6, 1),
                      "report_seconds_best": round(best, 2), "report_seconds_all": [round(t, 2) for t in times],
                      "report_mb": round(size / 1e6, 2), "report": str(out)}))
    ok = best < MAX_SECONDS and size < MAX_BYTES
    print(f"{'PASS' if ok else 'FAIL'}: {n_pages} pages, {best:.2f} s (< {MAX_SECONDS:.0f} s), "
          f"{size / 1e6:.2f} MB (< {MAX_BYTES / 1e6:.0f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
