"""A/B of the HTML path's CPU time: two checkouts, alternated, on ``bench_html.py``'s pages.

On a shared machine wall time moves by 10-20% from run to run; the CPU time of the process
doing the work moves much less, and alternating the two checkouts spreads any drift in load
over both. Each round runs, for each checkout in turn, a fresh process that times (CPU,
``time.process_time``) ``classify_many`` over the ``{"html": ...}`` records with every result
serialised, from a cold start as ``bench_html.py`` does (the model loaded, nothing classified
yet), then ``segment_html`` over all pages again (its caches now warm), and, with
``--cli``, ``newswinnow classify --format html`` over the pages as files (CPU of the child from
``getrusage``: start-up and model load included). Prints each round and the median B/A ratios.

    python benchmarks/bench_seg_ab.py --a /path/to/main --b . [--rounds 3] [--cli]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BYTES_PER_MB = 1_000_000

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from classifier import Classifier
from features.html import segment_html
recs = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
clf = Classifier.load()
c0 = time.process_time()
for d in clf.classify_many(recs):
    d.to_json()
full = time.process_time() - c0
c0 = time.process_time()
for r in recs:
    segment_html(r["html"])
seg = time.process_time() - c0
print(json.dumps({"classify": full, "segment": seg}))
"""


def _child(code: Path, records: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(code), str(records)], check=True,
                         capture_output=True, text=True, cwd=code)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cli(code: Path, paths: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(code))
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "from classifier.cli import main; main()", "classify", "--format",
                    "html", *paths], check=True, stdout=subprocess.DEVNULL, cwd=code, env=env)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="Reference checkout (e.g. main).")
    ap.add_argument("--b", type=Path, default=REPO, help="Changed checkout (default: this one).")
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="Also time the CLI on the pages as files.")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, str(REPO / "benchmarks"))
    import bench_html

    pages = [*bench_html.dragnet_pages(args.corpora / "dragnet_train"),
             *bench_html.cleaneval_pages(args.corpora / "cleaneval"),
             *bench_html.readability_pages(args.corpora / "mozilla_readability", False)]
    mb = sum(len(p.html.encode("utf-8")) for p in pages) / BYTES_PER_MB
    print(f"{len(pages)} pages, {mb:.1f} MB of HTML; load average {os.getloadavg()[0]:.2f}")
    codes = {"A": args.a.resolve(), "B": args.b.resolve()}
    res: dict[str, dict[str, list[float]]] = {k: {"classify": [], "segment": [], "cli": []} for k in codes}
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "pages.jsonl"
        with records.open("w", encoding="utf-8") as f:
            for p in pages:
                f.write(json.dumps({"id": p.id, "html": p.html}, ensure_ascii=False) + "\n")
        paths = []
        for i, p in enumerate(pages):
            path = Path(tmp) / f"{i}.html"
            path.write_text(p.html, encoding="utf-8")
            paths.append(str(path))
        for rnd in range(args.rounds):
            for name, code in codes.items():
                t = _child(code, records)
                if args.cli:
                    t["cli"] = _cli(code, paths)
                for k, v in t.items():
                    res[name][k].append(v)
                shown = "  ".join(f"{k} {v:6.2f} s ({mb / v:5.2f} MB/s)" for k, v in t.items())
                print(f"round {rnd + 1} {name}: {shown}  [load {os.getloadavg()[0]:.2f}]", flush=True)
    print("median CPU time ratio A/B (B's speed-up), per round then median:")
    for k in ("classify", "segment", "cli"):
        if res["A"][k]:
            ratios = [a / b for a, b in zip(res["A"][k], res["B"][k])]
            print(f"  {k}: {' '.join(f'{r:.3f}' for r in ratios)}  median {statistics.median(ratios):.3f}  "
                  f"(A median {mb / statistics.median(res['A'][k]):.2f} MB/s, "
                  f"B median {mb / statistics.median(res['B'][k]):.2f} MB/s; "
                  f"best-run ratio {min(res['A'][k]) / min(res['B'][k]):.3f})")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s)")
