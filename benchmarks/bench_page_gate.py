"""CPU cost of the page gate (classifier/page_gate.py): in-process classify with and without it.

Same pages as ``bench_text.py`` (every BBC News article and the gold text of every Dragnet
training page), same model; the only difference is the gate. Rounds alternate between the two so
that load on a shared machine hits both alike; the best CPU time per system is reported, with
how many pages' ``has_comments`` / labels the gate changed.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_page_gate.py [--corpora DIR] [--rounds R] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_text  # noqa: E402

from classifier.api import Classifier  # noqa: E402


def alternate_cpu(classifiers: dict[str, Classifier], records: list[dict],
                  rounds: int) -> tuple[dict[str, list[float]], dict[str, list]]:
    """CPU seconds of ``classify_many`` over ``records`` for each classifier in turn, ``rounds``
    times after one warm-up (lexicons, caches), and each one's results of the last round."""
    def run(clf: Classifier) -> tuple[float, list]:
        t0 = time.process_time()
        out = list(clf.classify_many(records))
        return time.process_time() - t0, out

    run(next(iter(classifiers.values())))
    times: dict[str, list[float]] = {name: [] for name in classifiers}
    outs: dict[str, list] = {}
    for _ in range(rounds):
        for name, clf in classifiers.items():
            t, outs[name] = run(clf)
            times[name].append(round(t, 3))
    return times, outs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--model", type=Path, default=None, help="text model (its gate beside it)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    pages, counts = bench_text.load_pages(args.corpora, None)
    records = [{"id": p.id, "text": p.text} for p in pages]
    mb = sum(len(p.text.encode()) for p in pages) / 1e6
    gated = Classifier.load(args.model)
    if getattr(gated.model, "page_gate", None) is None:
        print("the model has no page gate beside it", file=sys.stderr)
        return 2
    bare = Classifier.load(args.model)
    bare.model.page_gate = None

    times, outs = alternate_cpu({"gate": gated, "no_gate": bare}, records, args.rounds)
    a, b = outs["no_gate"], outs["gate"]
    res = {
        "pages": len(records), "mb": round(mb, 2), "corpora": counts, "rounds": args.rounds,
        "cpu_s": times, "best_gate_s": min(times["gate"]), "best_no_gate_s": min(times["no_gate"]),
        "has_comments_no_gate": sum(d.has_comments for d in a), "has_comments_gate": sum(d.has_comments for d in b),
        "pages_labels_changed": sum(x.labels != y.labels for x, y in zip(a, b)),
    }
    res["overhead"] = round(res["best_gate_s"] / res["best_no_gate_s"] - 1.0, 4)
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
