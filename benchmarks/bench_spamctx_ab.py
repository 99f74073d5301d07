"""A/B of the spam-context columns' CPU time (``features.spamctx.spamctx_columns``): two
checkouts, alternated, on ``bench_text.py``'s pages in the classifier's batches.

The whole-pipeline A/B (``bench_text_ab.py``) moves by about +-2 % between rounds on a shared
machine, as much as one stage's rewrite saves; this times the stage alone. The pages are split
into blocks (``segment_text``) and grouped ``BATCH_PAGES`` pages a batch as the classifier
batches them; each batch's lower-cased UTF-8 bytes are built once, outside the timing, as the
feature pass hands them on. Each round runs a fresh process per checkout: one warm-up pass,
then ``--repeat`` timed passes (``time.process_time``), the best counting. The columns of every
pass are hashed, and the script fails when the two checkouts' columns differ.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_spamctx_ab.py --a /path/to/base --b . [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_text  # noqa: E402
from bench_text_ab import alternate, digest_verdict  # noqa: E402

BATCH_PAGES = 64  # classifier.parallel.BATCH_RECORDS

_CHILD = r"""
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from features.segment import segment_text
from features.spamctx import spamctx_columns
pages = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8")]
size = int(sys.argv[4])
batches = []
for i in range(0, len(pages), size):
    texts = [b.text for p in pages[i: i + size] for b in segment_text(p)]
    batches.append((texts, "\n".join(texts).lower().encode("utf-8", "surrogatepass")))
times, digests = [], set()
for i in range(1 + int(sys.argv[3])):
    h = hashlib.sha256()
    c0 = time.process_time()
    cols = [spamctx_columns(texts, np.array([0]), low_utf8=low) for texts, low in batches]
    if i:
        times.append(time.process_time() - c0)
    for c in cols:
        h.update(np.ascontiguousarray(c).tobytes())
    digests.add(h.hexdigest())
print(json.dumps({"best": min(times), "digests": sorted(digests)}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--a", type=Path, required=True, help="checkout A (e.g. the base commit)")
    ap.add_argument("--b", type=Path, required=True, help="checkout B (e.g. this branch)")
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (A then B)")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per process after the warm-up")
    args = ap.parse_args(argv)
    pages, _ = bench_text.load_pages(args.corpora, None)
    codes = {"A": args.a.resolve(), "B": args.b.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "pages.jsonl"
        with open(records, "w", encoding="utf-8") as fh:
            for p in pages:
                fh.write(json.dumps({"text": p.text}) + "\n")
        print(f"{len(pages)} pages; A = {codes['A']}, B = {codes['B']}")
        best, digests = alternate(_CHILD, codes, records, args.rounds, args.repeat,
                                  lambda t: f"{t * 1e3:.1f} ms", extra=(str(BATCH_PAGES),))
    med = {k: statistics.median(v) for k, v in best.items()}
    print(f"median CPU ms: A {med['A'] * 1e3:.1f}, B {med['B'] * 1e3:.1f}; B/A {med['B'] / med['A']:.3f}")
    same, verdict = digest_verdict(digests)
    print("columns: " + verdict)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
