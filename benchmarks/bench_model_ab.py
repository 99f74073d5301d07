"""Process-CPU-time A/B of two text models on bench_text.py's pages (all outputs, JSON serialised).

Wall time on a shared machine moves with the other processes' load; the CPU time of this process
moves much less, so two models (e.g. a schema with more columns) are compared by it, alternating
runs so both see the same machine state:

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_model_ab.py A.json B.json [--repeat 3] [--limit N]

Both the best-of ratio and the median of the rounds' own ratios are printed: on a noisy VM the
paired median moves less (docs/speed.md, session 44).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_text  # noqa: E402

from classifier.api import Classifier  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("models", nargs=2, help="two model headers (.json)")
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds (which model goes first alternates too)")
    args = ap.parse_args(argv)
    pages, _ = bench_text.load_pages(args.corpora, args.limit)
    records = [{"id": p.id, "text": p.text} for p in pages]
    mb = sum(len(p.text.encode("utf-8")) for p in pages) / 1e6
    clfs = [Classifier.load(m) for m in args.models]
    best = [float("inf")] * len(clfs)
    ratios = []
    for r in range(args.repeat):
        times = [0.0, 0.0]
        # Each round runs both; which goes first alternates, so neither always meets the warmer cache.
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            t0 = time.process_time()
            for doc in clfs[i].classify_many(records):
                doc.to_json()
            times[i] = time.process_time() - t0
            best[i] = min(best[i], times[i])
        ratios.append(times[1] / times[0])
    print(f"{mb:.2f} MB, {len(pages)} pages; {args.repeat} alternating rounds, CPU time of this process")
    for m, clf, t in zip(args.models, clfs, best):
        print(f"{m} ({clf.model.schema}): best {t:.2f} s CPU, {mb / t:.2f} MB/s")
    print(f"B / A CPU time: best against best {best[1] / best[0]:.3f}; paired median {statistics.median(ratios):.3f} "
          f"(rounds {min(ratios):.3f}-{max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
