"""Peak memory of ``newswinnow classify`` on a large JSONL input, and --jobs output identity.

Builds a JSONL file of about ``--size-mb`` MB (default 1000) under /tmp by repeating real
pages (every BBC News article and the gold text of every Dragnet training page, as
``bench_text.py`` reads them; each repeat gets new ids), then runs
``newswinnow classify --jobs N FILE`` for each N in ``--jobs`` while sampling the resident
memory of the whole process tree (the CLI and its worker processes) from /proc. The output is
hashed as it streams (nothing is stored), so the runs' outputs can be compared byte for byte.

Memory is reported three ways: the main process's own peak (VmHWM, exact, from the kernel),
the largest worker's peak, and the largest sum of all the tree's RSS seen in one sample (an
upper bound: pages shared between processes count once per process). The RSS of the tree at
each tenth of the run shows whether memory grows with the input read so far.

    python benchmarks/bench_memory.py [--size-mb 1000] [--jobs 1 2] [--corpora DIR] [--model PATH]
                                      [--input FILE] [--keep-input] [--json OUT]
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_text import DEFAULT_CORPORA, cli_command, cli_env, load_pages, resolve_model  # noqa: E402

DEFAULT_SIZE_MB = 1000
DEFAULT_JOBS = (1, 2)
TARGET_RSS_MB = 500
BYTES_PER_MB = 1_000_000
KB = 1024
# How often the process tree's memory is sampled (seconds).
SAMPLE_S = 0.2
# Tree RSS reported at each of this many equal slices of the run (flat = streaming).
TRACE_POINTS = 10
# Output is read from the CLI in chunks of this size while being hashed.
READ_CHUNK = 1 << 20


@dataclass
class RunResult:
    """One CLI run: time, output digest, and memory figures in MB."""

    jobs: int
    seconds: float
    output_sha256: str
    output_mb: float
    main_peak_mb: float
    worker_peak_mb: float
    tree_peak_mb: float
    n_processes: int
    tree_trace_mb: list[float] = field(default_factory=list)


def build_input(path: Path, corpora: Path, size_mb: float) -> tuple[int, int]:
    """Write JSONL records (real pages, repeated with fresh ids) until ``size_mb``; (records, bytes)."""
    pages, _ = load_pages(corpora, None)
    target = int(size_mb * BYTES_PER_MB)
    written = n = 0
    with open(path, "wb") as fh:
        rep = 0
        while written < target:
            for p in pages:
                line = json.dumps({"id": f"{rep}/{p.id}", "text": p.text}, ensure_ascii=False).encode() + b"\n"
                fh.write(line)
                written += len(line)
                n += 1
                if written >= target:
                    break
            rep += 1
    return n, written


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _descendants(pid: int) -> list[int]:
    """``pid``'s descendants (from /proc/*/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                out.append(k)
                todo.append(k)
    return out


class TreeSampler(threading.Thread):
    """Samples a process tree's RSS every ``SAMPLE_S`` seconds until ``stop`` is set."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.samples: list[tuple[float, int]] = []  # (time, tree RSS in kB)
        self.hwm: dict[int, int] = {}  # pid -> its own peak RSS (VmHWM, kB)

    def run(self) -> None:
        t0 = time.perf_counter()
        while not self.stop.is_set():
            total = 0
            for p in [self.pid, *_descendants(self.pid)]:
                rss = _status_kb(p, "VmRSS")
                hwm = _status_kb(p, "VmHWM")
                if rss is not None:
                    total += rss
                if hwm is not None:
                    self.hwm[p] = max(self.hwm.get(p, 0), hwm)
            self.samples.append((time.perf_counter() - t0, total))
            self.stop.wait(SAMPLE_S)


def trace(samples: list[tuple[float, int]], points: int = TRACE_POINTS) -> list[float]:
    """The largest tree RSS (MB) within each of ``points`` equal slices of the run."""
    if not samples:
        return []
    end = samples[-1][0] or 1.0
    out = [0.0] * points
    for t, kb in samples:
        i = min(int(t / end * points), points - 1)
        out[i] = max(out[i], kb * KB / BYTES_PER_MB)
    return [round(x, 1) for x in out]


def run_cli(path: Path, jobs: int, model: Path) -> RunResult:
    """Run the CLI on ``path`` with ``jobs`` workers, hashing its output and sampling its memory."""
    cmd = [*cli_command(), "classify", "--jobs", str(jobs), "--model", str(model), str(path)]
    env = cli_env()
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        digest, n_out = hashlib.sha256(), 0
        assert proc.stdout is not None
        while chunk := proc.stdout.read(READ_CHUNK):
            digest.update(chunk)
            n_out += len(chunk)
        rc = proc.wait()
        sampler.stop.set()
        sampler.join()
        elapsed = time.perf_counter() - t0
        if rc != 0:
            err.seek(0)
            sys.exit(f"bench_memory: {' '.join(cmd)} exited {rc}:\n{err.read().decode(errors='replace')[-4000:]}")
    main_hwm = sampler.hwm.get(proc.pid, 0)
    workers = [v for p, v in sampler.hwm.items() if p != proc.pid]
    return RunResult(
        jobs=jobs, seconds=round(elapsed, 1), output_sha256=digest.hexdigest(),
        output_mb=round(n_out / BYTES_PER_MB, 1), main_peak_mb=round(main_hwm * KB / BYTES_PER_MB, 1),
        worker_peak_mb=round(max(workers, default=0) * KB / BYTES_PER_MB, 1),
        tree_peak_mb=round(max((kb for _, kb in sampler.samples), default=0) * KB / BYTES_PER_MB, 1),
        n_processes=len(sampler.hwm), tree_trace_mb=trace(sampler.samples),
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=DEFAULT_SIZE_MB, help="size of the generated input")
    ap.add_argument("--jobs", type=int, nargs="+", default=list(DEFAULT_JOBS))
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--model", help="model header (.json); default: the shipped model")
    ap.add_argument("--input", type=Path, help="use this JSONL file instead of generating one")
    ap.add_argument("--keep-input", action="store_true", help="do not delete the generated input")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path("/proc/self/status").exists():
        sys.exit("bench_memory: needs Linux /proc")
    model = resolve_model(args.model)
    generated = args.input is None
    if generated:
        fd, name = tempfile.mkstemp(prefix="newswinnow-mem-", suffix=".jsonl", dir="/tmp")
        os.close(fd)
        path = Path(name)
        t0 = time.perf_counter()
        n, size = build_input(path, args.corpora, args.size_mb)
        print(f"input: {path} ({size / BYTES_PER_MB:.0f} MB, {n:,} records, built in "
              f"{time.perf_counter() - t0:.0f} s)", flush=True)
    else:
        path = args.input
        size = path.stat().st_size
        print(f"input: {path} ({size / BYTES_PER_MB:.0f} MB)", flush=True)
    results = []
    try:
        for jobs in args.jobs:
            r = run_cli(path, jobs, model)
            results.append(r)
            print(f"--jobs {jobs}: {r.seconds:.0f} s ({size / BYTES_PER_MB / r.seconds:.2f} MB/s), "
                  f"peak RSS main {r.main_peak_mb:.0f} MB, largest worker {r.worker_peak_mb:.0f} MB, "
                  f"tree sum {r.tree_peak_mb:.0f} MB over {r.n_processes} processes; output "
                  f"{r.output_mb:.0f} MB sha256 {r.output_sha256[:16]}", flush=True)
            print(f"  tree RSS (MB) per tenth of the run: {r.tree_trace_mb}", flush=True)
    finally:
        if generated and not args.keep_input:
            path.unlink(missing_ok=True)
    identical = len({r.output_sha256 for r in results}) == 1
    worst = max(max(r.main_peak_mb, r.worker_peak_mb) for r in results)
    print(f"outputs identical across --jobs {args.jobs}: {identical}")
    print(f"largest single-process peak RSS: {worst:.0f} MB (target < {TARGET_RSS_MB} MB): "
          f"{'met' if worst < TARGET_RSS_MB else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"input_mb": round(size / BYTES_PER_MB, 1), "identical": identical,
                                         "runs": [asdict(r) for r in results]}, indent=2) + "\n")
    return 0 if identical and worst < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
