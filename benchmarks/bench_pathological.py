"""Pathological pages through `newswinnow classify`: time per page and nothing lost.

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/bench_pathological.py [--keep DIR]

Writes hostile inputs to a temporary folder (never into the repository): a binary file named
.txt, invalid UTF-8, UTF-16 without a BOM, NUL and control characters, a 40 MB page with no
newline, an emoji storm, regex bait (each audited regex's slowest worst case from
``features.regex_audit``), deeply nested and very wide HTML, and a JSONL stream of broken
records with a 40 MB record. Each file goes through its own `newswinnow classify` process with
the default limits (results, rejects, whether in = out + rejects, the process's wall time with
start-up and 40 MB of reading/writing); the page time is measured in-process on the CLI's own
code path (``classifier.cli._work`` on one work item: parse, decode, classify, serialise), wall
and CPU seconds of the slowest record of the file. Then all files go through one `--jobs 2` run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier.api import Classifier  # noqa: E402
from classifier.cli import Fields, _work  # noqa: E402
from classifier.io import iter_items  # noqa: E402
from features import regex_audit  # noqa: E402

# The target: each page under this many seconds with the default limits.
TARGET_SECONDS = 2.0
MB = 1_000_000
WORDS = ("the", "harbour", "bridge", "reopened", "on", "monday", "after", "repairs", "costing", "more",
         "than", "expected")
CLI = [sys.executable, "-c", "from classifier.cli import main; main()"]


def _write_inputs(d: Path) -> dict[str, int]:
    """The pathological files -> how many records each holds."""
    rng = np.random.default_rng(7)
    files: dict[str, int] = {}

    def put(name: str, data: bytes, records: int = 1) -> None:
        (d / name).write_bytes(data)
        files[name] = records

    put("baseline_small.txt", b"A one-line page (the process start-up time).\n")
    put("binary.txt", rng.integers(0, 256, 3 * MB, dtype=np.uint8).tobytes())
    words = np.array(WORDS)
    prose = " ".join(rng.choice(words, 200_000)).encode()
    bad = bytearray(prose)
    bad[:: 97] = b"\xff" * len(bad[:: 97])
    put("invalid_utf8.txt", bytes(bad).replace(b" repairs", b"\n\xc3\x28repairs"))
    put("utf16_no_bom.txt", ("Harbour bridge news.\n" * 50_000).encode("utf-16-le"))
    put("nul_controls.txt", (b"a\x00b\x01\x02\x0b\x0c\x1b[31m\x7f text \x00\x00\n" * 100_000))
    put("no_newline_40mb.txt", (" ".join(rng.choice(words, 8_000_000)) + " ").encode()[: 40 * MB])
    emoji = "\U0001f600\U0001f525\U0001f4af\U0001f64f\U0001f3fd\u200d\U0001f468\u200d\U0001f469\u200d\U0001f467"
    put("emoji_storm.txt", ((emoji * 3000 + "\n") * 300).encode())
    bait = []
    for found in regex_audit.find_patterns():
        units = regex_audit.units(found.pattern)
        if units:
            bait.append(regex_audit.worst_case(max(units, key=len), 20_000).replace("\n", " "))
            bait.append(regex_audit.worst_case(units[0], 20_000).replace("\n", " "))
    put("regex_bait.txt", "\n".join(bait).encode("utf-8", "replace"))
    put("deep_html.html", (b"<html><body>" + b"<div><span>x" * 200_000 + b"deep" + b"</span></div>" * 200_000))
    put("wide_html.html", b"<html><body>" + b"<p>A short paragraph of page text.</p>" * 300_000)
    put("unclosed_html.html", b"<html><body>" + b"<noscript><div><p a='" * 200_000)
    jsonl = [b'{"id": "ok", "text": "A normal page.\\nWith two lines."}', b'{"id": "bad", "text": ',
             b'{"id": "no-text"}', b'{"id": "num", "text": 5}', b'{"id": "empty", "text": ""}',
             b'{"id": "bytes", "text": "\xff\xfe"}', b'{"id": "nul", "text": "a\x00b"}',
             json.dumps({"id": "huge", "text": "word " * (8 * MB)}).encode(), b"[1, 2]"]
    put("broken.jsonl", b"\n".join(jsonl) + b"\n", records=len(jsonl))
    return files


def _run(paths: list[Path], rejects: Path, jobs: int = 1) -> tuple[float, int, int, int, str]:
    t0 = time.perf_counter()
    p = subprocess.run([*CLI, "classify", "--no-text", "--jobs", str(jobs), "--rejects", str(rejects),
                        *map(str, paths)], capture_output=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        print(p.stderr.decode("utf-8", "replace")[-2000:], file=sys.stderr)
    out = p.stdout.splitlines()
    reasons = sorted({r for line in out for r in json.loads(line)["reasons"]})
    n_rej = len(rejects.read_bytes().splitlines()) if rejects.exists() else 0
    return wall, len(out), n_rej, p.returncode, ",".join(reasons)


def _page_times(clf: Classifier, path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the slowest record of ``path`` on the CLI's code path."""
    worst_wall = worst_cpu = 0.0
    for item in iter_items([str(path)]):
        w0, c0 = time.perf_counter(), time.process_time()
        _work(clf, Fields(), "classify", {"no_text": True}, [item])
        worst_wall = max(worst_wall, time.perf_counter() - w0)
        worst_cpu = max(worst_cpu, time.process_time() - c0)
    return worst_wall, worst_cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="write the inputs here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    d = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="newswinnow-patho-"))
    d.mkdir(parents=True, exist_ok=True)
    try:
        files = _write_inputs(d)
        clf = Classifier.load()
        print("| input | MB | records | results | rejects | in = out + rejects | exit | process wall s "
              "| slowest page wall s | its CPU s | reasons |")
        print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
        ok = True
        for name, n in files.items():
            wall, n_out, n_rej, rc, reasons = _run([d / name], d / f"{name}.rejects")
            page_wall, page_cpu = _page_times(clf, d / name)
            fine = n_out + n_rej == n
            ok &= fine and page_wall < TARGET_SECONDS
            size = (d / name).stat().st_size / MB
            print(f"| {name} | {size:.1f} | {n} | {n_out} | {n_rej} | {'yes' if fine else 'NO'} | {rc} "
                  f"| {wall:.2f} | {page_wall:.2f} | {page_cpu:.2f} | {reasons} |", flush=True)
        total = sum(files.values())
        wall, n_out, n_rej, rc, _ = _run([d / name for name in files], d / "all.rejects", jobs=2)
        fine = n_out + n_rej == total
        ok &= fine
        print(f"\nall files, --jobs 2: {total} records in, {n_out} results + {n_rej} rejects "
              f"({'equal' if fine else 'NOT EQUAL'}), exit {rc}, {wall:.1f} s")
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
