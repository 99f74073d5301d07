"""CPU cost of the thread-start refinement (classifier/thread_start.py): classify with and without it.

Same pages as ``bench_text.py`` (every BBC News article and the gold text of every Dragnet
training page), same model and page gate; the only difference is the scorer. Rounds alternate
between the two so that load on a shared machine hits both alike; the best CPU time per system
is reported, with how many pages' labels and comment starts the scorer changed.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_thread_start.py [--start FILE] [--rounds R] [--json OUT]

``--start`` attaches a scorer file fitted for the model (``python -m training.thread_start ...
--out FILE``); without it the one beside the model (``STEM.start.json``) is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_text  # noqa: E402
from bench_page_gate import alternate_cpu  # noqa: E402

from classifier import thread_start  # noqa: E402
from classifier.api import Classifier  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--model", type=Path, default=None, help="text model (its gate beside it)")
    ap.add_argument("--start", type=Path, default=None, help="thread-start scorer file for that model")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pages, counts = bench_text.load_pages(args.corpora, None)
    records = [{"id": p.id, "text": p.text} for p in pages]
    mb = sum(len(p.text.encode()) for p in pages) / 1e6
    with_start = Classifier.load(args.model)
    if args.start is not None:
        with_start.model.thread_start = thread_start.ThreadStart.load(args.start, with_start.model.sha256)
    if getattr(with_start.model, "thread_start", None) is None:
        print("no thread-start scorer: give --start FILE or put one beside the model", file=sys.stderr)
        return 2
    bare = Classifier.load(args.model)
    bare.model.thread_start = None

    times, outs = alternate_cpu({"start": with_start, "no_start": bare}, records, args.rounds)
    a, b = outs["no_start"], outs["start"]
    res = {
        "pages": len(records), "mb": round(mb, 2), "corpora": counts, "rounds": args.rounds,
        "cpu_s": times, "best_start_s": min(times["start"]), "best_no_start_s": min(times["no_start"]),
        "pages_labels_changed": sum(x.labels != y.labels for x, y in zip(a, b)),
        "comment_starts_moved": sum(x.comment_start != y.comment_start for x, y in zip(a, b)),
    }
    res["overhead"] = round(res["best_start_s"] / res["best_no_start_s"] - 1.0, 4)
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
