"""A/B of the plain-text path's CPU time: two checkouts, alternated, on ``bench_text.py``'s pages.

For speed work that must not change a byte of output: on a shared machine wall time moves with
the other processes' load, the CPU time of the process doing the work much less, and
alternating the two checkouts spreads any drift in load over both. Each round runs, for each
checkout in turn, a fresh process that loads the model, classifies all pages once (warm-up:
caches, lazily built tables) and then ``--repeat`` times more, timing each pass with
``time.process_time`` (``classify_many`` with every result serialised by ``to_json``, as
``bench_text.py``'s in-process row); the best pass counts. Every pass's output is hashed
(sha256 over all JSON lines), and the script fails when the two checkouts' outputs differ
(unless ``--outputs-may-differ``: B changes the model on purpose and only its cost is measured).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_text_ab.py --a /path/to/base --b . [--rounds 4]

Prints each round, the medians of the per-round bests and their ratio B/A.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_text  # noqa: E402

BYTES_PER_MB = 1_000_000

_CHILD = r"""
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from classifier.api import Classifier
try:  # the allocator settings the CLI applies (classifier/malloc.py); older checkouts have none
    from classifier.malloc import tune_malloc
    tune_malloc()
except ImportError:
    pass
recs = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
clf = Classifier.load()
times, digests = [], set()
for i in range(1 + int(sys.argv[3])):
    h = hashlib.sha256()
    c0 = time.process_time()
    for d in clf.classify_many(recs):
        h.update(d.to_json().encode("utf-8"))
        h.update(b"\n")
    if i:
        times.append(time.process_time() - c0)
    digests.add(h.hexdigest())
print(json.dumps({"best": min(times), "times": times, "digests": sorted(digests)}))
"""


def run_child(script: str, code: Path, records: Path, repeat: int, *extra: str) -> dict:
    """One fresh process of ``script`` on checkout ``code``: its last stdout line as JSON."""
    out = subprocess.run([sys.executable, "-c", script, str(code), str(records), str(repeat), *extra], check=True,
                         capture_output=True, text=True, cwd=code)
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(script: str, codes: dict[str, Path], records: Path, rounds: int, repeat: int,
              show: Callable[[float], str],
              extra: tuple[str, ...] = ()) -> tuple[dict[str, list[float]], dict[str, set[str]]]:
    """Rounds of one fresh process per checkout, in turn (drift in the machine's load falls on
    both); prints each round with ``show(best)`` and returns each checkout's bests and digests."""
    best: dict[str, list[float]] = {k: [] for k in codes}
    digests: dict[str, set[str]] = {k: set() for k in codes}
    for r in range(1, rounds + 1):
        line = []
        for name, code in codes.items():
            res = run_child(script, code, records, repeat, *extra)
            best[name].append(res["best"])
            digests[name].update(res["digests"])
            line.append(f"{name} {show(res['best'])}")
        print(f"round {r}: " + ", ".join(line) + f", B/A {best['B'][-1] / best['A'][-1]:.3f}", flush=True)
    return best, digests


def digest_verdict(digests: dict[str, set[str]]) -> tuple[bool, str]:
    """Whether every pass of both checkouts hashed alike, and the line that says so."""
    same = len(digests["A"]) == 1 and digests["A"] == digests["B"]
    return same, ("identical (sha256 " + next(iter(digests["A"]))[:16] + ")" if same
                  else f"DIFFER: A {sorted(digests['A'])} B {sorted(digests['B'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--a", type=Path, required=True, help="checkout A (e.g. the base commit)")
    ap.add_argument("--b", type=Path, required=True, help="checkout B (e.g. this branch)")
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--limit", type=int, default=None, help="use only N pages")
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds (A then B)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per process after the warm-up")
    ap.add_argument("--outputs-may-differ", action="store_true",
                    help="B ships another model on purpose: report the CPU times, and the outputs as differing, "
                         "without failing")
    args = ap.parse_args(argv)
    pages, _ = bench_text.load_pages(args.corpora, args.limit)
    if not pages:
        print(f"bench_text_ab: no pages under {args.corpora}", file=sys.stderr)
        return 2
    mb = sum(len(p.text.encode("utf-8")) for p in pages) / BYTES_PER_MB
    codes = {"A": args.a.resolve(), "B": args.b.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "pages.jsonl"
        with open(records, "w", encoding="utf-8") as fh:
            for p in pages:
                fh.write(json.dumps({"id": p.id, "text": p.text}) + "\n")
        print(f"{len(pages)} pages, {mb:.2f} MB; A = {codes['A']}, B = {codes['B']}")
        best, digests = alternate(_CHILD, codes, records, args.rounds, args.repeat,
                                  lambda t: f"{t:.3f} s ({mb / t:.2f} MB/s)")
    med = {k: statistics.median(v) for k, v in best.items()}
    ratios = [b / a for a, b in zip(best["A"], best["B"])]
    print(f"median CPU s: A {med['A']:.3f} ({mb / med['A']:.2f} MB/s), B {med['B']:.3f} ({mb / med['B']:.2f} MB/s); "
          f"B/A {med['B'] / med['A']:.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})")
    same, verdict = digest_verdict(digests)
    print("outputs: " + verdict + (" (expected: --outputs-may-differ)" if not same and args.outputs_may_differ else ""))
    return 0 if same or args.outputs_may_differ else 1


if __name__ == "__main__":
    sys.exit(main())
