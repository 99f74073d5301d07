"""``--jobs`` scaling of the CLI on a large JSONL input: wall time of ``--jobs 1`` against ``--jobs N``.

The input is bench_text's pages (every BBC News article and every Dragnet gold text) written
as JSONL records, repeated with fresh ids until it is at least ``--min-mb`` MB (issue 6 asks for
the scaling on inputs over 50 MB), into a temporary directory. Each timed run is a whole
``newswinnow classify --jobs J FILE > /dev/null`` process (start-up included); the commands
alternate (1, N, 1, N, ...) after one warm-up run of each, so that a change in machine load hits
both alike, and the speed-up is reported per pair and as the ratio of the medians. Before the
timed runs, one run of each writes its output to a file and the two files must be identical
(``--jobs`` keeps input order and content). Peak RSS is each process tree's largest
(``ru_maxrss`` of the main process and of its workers, from ``wait4`` in a small launcher
process forked for each run, so the benchmark's own memory is not counted).

Each pair is followed by a pair of the **machine's own ceiling**: a fixed CPU-bound reference job
that is not newswinnow (float32 products of the networks' shapes and a Python loop), two units of
it in one process against one unit in each of two processes at once. A machine whose cores slow
each other down (shared caches, SMT siblings, a VM's neighbours) cannot give ``--jobs`` more
than that ratio, so ``--jobs`` is read against it: the speed-up as a share of the ceiling is what
newswinnow's own serial parts and overheads leave.

And each pair is followed by **N shards**: the input cut into N files of about equal bytes (at line
boundaries), one ``--jobs 1`` process on each, all started at once. That is what a user gets by
sharding the input by hand, each process paying its own start-up and the machine's contention,
with no coordination at all: ``--jobs N`` cannot beat it by more than the one start-up it saves,
so its wall time against the shards' is what ``--jobs``' own machinery (the feeder, the spool, the
ordered output) costs. The shards' outputs, concatenated, must be the ``--jobs 1`` output.

``--wet`` runs them on the input written as a Common Crawl WET file instead (``.warc.wet.gz``,
one conversion record a page, each its own gzip member). ``--compress gz|zst`` runs every
command on the input compressed (the shards too), where the
parent decompresses and sends the workers chunks of lines; ``--records lines`` makes each line
of a page of at least ``SHORT_MIN_CHARS`` characters a record of its own (~330 bytes: the short
records of comment and social-media dumps, where what each task costs counts most).

    python benchmarks/bench_jobs.py [--corpora DIR] [--min-mb 55] [--jobs 2] [--pairs 4] [--no-shards]
                                    [--compress none|gz|zst | --wet] [--records pages|lines] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_text  # noqa: E402 - the same pages, CLI command and idle check as the text benchmark

DEFAULT_MIN_MB = 55.0
DEFAULT_PAIRS = 4
DEFAULT_JOBS = 2
BYTES_PER_MB = 1_000_000


# --records lines: a page's lines of at least this many characters, each a record.
SHORT_MIN_CHARS = 40
# gzip level of --compress gz (the gzip tool's default) and zstd level of --compress zst (zstd's).
GZIP_LEVEL = 6
ZSTD_LEVEL = 3


def write_input(path: Path, corpora: Path, min_mb: float, records: str = "pages") -> tuple[int, int]:
    """bench_text's pages as JSONL (``records="lines"``: their lines of ``SHORT_MIN_CHARS`` or
    more, one a record), repeated until ``min_mb`` MB; returns (records, bytes)."""
    pages, _ = bench_text.load_pages(corpora, None)
    texts = [p.text for p in pages] if records == "pages" else \
        [line for p in pages for line in p.text.split("\n") if len(line) >= SHORT_MIN_CHARS]
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in texts]
    n = size = 0
    with open(path, "w", encoding="utf-8") as fh:
        copy = 0
        while size < min_mb * BYTES_PER_MB:
            for i, line in enumerate(lines):
                rec = f'{{"id": "c{copy}-{i}", {line[1:]}\n'
                fh.write(rec)
                size += len(rec.encode("utf-8"))
                n += 1
            copy += 1
    return n, size


# Runs the measured command in a fresh fork of a small process and reports its rusage: the
# benchmark's own memory (the pages, ~300 MB) would otherwise show up as the command's peak RSS,
# since Linux carries a process's RSS high-water mark across exec.
_LAUNCHER = """
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
t1 = time.monotonic()
with open(out, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": t1 - t0, "start": t0, "end": t1,
               "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}, fh)
"""


# The reference job of the ceiling: each unit is REF_GEMMS products of a 240 x 492 block by a
# 492 x 96 layer (the networks' first layer, float32, one BLAS thread) and REF_LOOP additions in
# Python; about 0.5 s a unit on the benchmark's VM.
REF_GEMMS = 1500
REF_LOOP = 3_000_000
_REFERENCE = f"""
import sys, time, numpy as np
a = np.ones((240, 492), np.float32); w = np.ones((492, 96), np.float32)
t0 = time.monotonic()
for _ in range(int(sys.argv[1])):
    for _ in range({REF_GEMMS}):
        a @ w
    s = 0
    for i in range({REF_LOOP}):
        s += i
print(t0, time.monotonic())
"""


def _reference(units: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _REFERENCE, str(units)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))


def _span(procs: list[subprocess.Popen]) -> float:
    """From the first process's start of work to the last one's end (``time.monotonic`` is one
    clock for all processes), interpreter start-up left out."""
    marks = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            sys.exit("bench_jobs: the reference job failed")
        marks.append([float(x) for x in out.split()])
    return max(end for _, end in marks) - min(start for start, _ in marks)


def ceiling_pair(jobs: int) -> float:
    """One pair of the reference job: the time of ``jobs`` units in one process over that of one
    unit in each of ``jobs`` processes at once (the machine's speed-up ceiling), start-up left out."""
    serial = _span([_reference(jobs)])
    return serial / _span([_reference(1) for _ in range(jobs)])


def timed(cmd: Sequence[str], out: Path | None = None) -> dict:
    """Run ``cmd`` to completion: wall s, CPU s and peak RSS MB (the process and its reaped
    workers, from ``wait4`` in a small launcher process)."""
    return timed_together([cmd], [out])


def timed_together(cmds: Sequence[Sequence[str]], outs: Sequence[Path | None]) -> dict:
    """Run ``cmds`` at once, each from its own launcher: wall s from the first one's start to the
    last one's end, CPU s summed, peak RSS MB the largest."""
    with tempfile.TemporaryDirectory(prefix="bench_jobs-res-") as tmp, contextlib.ExitStack() as stack:
        res = [Path(tmp) / f"{i}.json" for i in range(len(cmds))]
        procs = [subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(r), *cmd],
                                  stdout=stack.enter_context(open(out if out is not None else os.devnull, "wb")),
                                  stderr=subprocess.DEVNULL, env=bench_text.cli_env())
                 for cmd, out, r in zip(cmds, outs, res)]
        codes = [p.wait() for p in procs]
        infos = [json.loads(r.read_text() or "{}") if r.exists() else {} for r in res]
    for cmd, code, info in zip(cmds, codes, infos):
        if code != 0 or info.get("code") != 0:
            sys.exit(f"bench_jobs: {' '.join(cmd)} failed (exit {info.get('code', code)})")
    return {"wall": max(i["end"] for i in infos) - min(i["start"] for i in infos),
            "cpu": sum(i["cpu"] for i in infos), "maxrss_mb": max(i["maxrss_kb"] for i in infos) / 1024}


def write_shards(data: Path, n: int) -> list[Path]:
    """``data`` cut at line boundaries into ``n`` files of about equal bytes, beside it."""
    raw = data.read_bytes()
    cuts = [0]
    for k in range(1, n):
        at = raw.find(b"\n", len(raw) * k // n)
        cuts.append(len(raw) if at < 0 else at + 1)
    cuts.append(len(raw))
    paths = []
    for k, (a, b) in enumerate(zip(cuts, cuts[1:])):
        paths.append(data.with_name(f"shard{k}.jsonl"))
        paths[-1].write_bytes(raw[a:b])
    return paths


def packed(path: Path, how: str) -> Path:
    """``path`` compressed beside it (``gz``, ``zst``), or ``path`` itself for ``none``."""
    if how == "none":
        return path
    raw = path.read_bytes()
    out = path.with_name(f"{path.name}.{how}")
    if how == "gz":
        out.write_bytes(gzip.compress(raw, GZIP_LEVEL, mtime=0))
    else:
        import zstandard

        out.write_bytes(zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw))
    return out


def as_wet(path: Path) -> Path:
    """The JSONL file ``path`` as a WET file beside it: a conversion record per line (its text;
    its id as record id and in the URL, so shards' outputs join up), a gzip member each."""
    out = path.with_name(path.name.replace(".jsonl", ".warc.wet.gz"))
    with open(path, "rb") as src, open(out, "wb") as dst:
        for line in src:
            rec = json.loads(line)
            body = rec["text"].encode("utf-8")
            head = (f"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://bench.example/{rec['id']}\r\n"
                    f"WARC-Record-ID: <urn:bench:{rec['id']}>\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            dst.write(gzip.compress(head + body + b"\r\n\r\n", GZIP_LEVEL, mtime=0))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=bench_text.DEFAULT_CORPORA)
    ap.add_argument("--min-mb", type=float, default=DEFAULT_MIN_MB)
    ap.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="the worker count compared with --jobs 1")
    ap.add_argument("--pairs", type=int, default=DEFAULT_PAIRS, help="timed (--jobs 1, --jobs N) pairs")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the machine's ceiling (the reference job)")
    ap.add_argument("--no-shards", action="store_true",
                    help="skip the N shards (one --jobs 1 process on each Nth of the input, all at once)")
    ap.add_argument("--compress", choices=("none", "gz", "zst"), default="none",
                    help="run on the input (and the shards) compressed")
    ap.add_argument("--wet", action="store_true", help="run on the input (and the shards) as WET files")
    ap.add_argument("--records", choices=("pages", "lines"), default="pages",
                    help=f"a record per page, or per line of a page ({SHORT_MIN_CHARS}+ characters)")
    ap.add_argument("--model", default=None, help="text model (default: the shipped one)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    busy = bench_text.cpu_busy()
    if busy is not None and busy > bench_text.BUSY_FRACTION:
        print(f"bench_jobs: warning: the CPUs are {busy:.0%} busy with other work before the run", file=sys.stderr)
    bench_text.compile_package()
    model = bench_text.resolve_model(args.model)
    with tempfile.TemporaryDirectory(prefix="bench_jobs-") as tmp:
        data = Path(tmp) / "pages.jsonl"
        n_records, n_bytes = write_input(data, args.corpora, args.min_mb, args.records)
        mb = n_bytes / BYTES_PER_MB

        def prepared(path: Path) -> Path:
            """A JSONL file as the commands read it: as written, compressed, or as WET."""
            return as_wet(path) if args.wet else packed(path, args.compress)

        source = prepared(data)
        print(f"input: {n_records} records, {mb:.1f} MB ({source}, {source.stat().st_size / BYTES_PER_MB:.1f} MB)")
        cmds = {j: [*bench_text.cli_command(), "classify", "--model", str(model), "--jobs", str(j), str(source)]
                for j in (1, args.jobs)}
        outs = {j: Path(tmp) / f"out{j}.jsonl" for j in cmds}
        for j, cmd in cmds.items():  # warm-up (page cache) and the identity check
            timed(cmd, outs[j])
        identical = outs[1].read_bytes() == outs[args.jobs].read_bytes()
        print(f"--jobs 1 and --jobs {args.jobs} outputs identical: {identical}")
        shard_cmds: list[list[str]] = []
        if not args.no_shards:
            shards = write_shards(data, args.jobs)
            shard_cmds = [[*cmds[1][:-1], str(prepared(p))] for p in shards]
            shard_outs = [p.with_suffix(".out") for p in shards]
            timed_together(shard_cmds, shard_outs)  # warm-up, and the shards' outputs checked
            shards_same = b"".join(p.read_bytes() for p in shard_outs) == outs[1].read_bytes()
            print(f"{args.jobs} shards' outputs, concatenated, identical to --jobs 1's: {shards_same}")
            identical = identical and shards_same
        runs: dict[int, list[dict]] = {j: [] for j in cmds}
        shard_runs: list[dict] = []
        ceilings: list[float] = []
        for _ in range(args.pairs):
            for j, cmd in cmds.items():
                runs[j].append(timed(cmd))
            if shard_cmds:
                shard_runs.append(timed_together(shard_cmds, [None] * len(shard_cmds)))
            if not args.no_ceiling:
                ceilings.append(ceiling_pair(args.jobs))
    one, many = runs[1], runs[args.jobs]
    pair_ratios = [a["wall"] / b["wall"] for a, b in zip(one, many)]
    med = {j: statistics.median(r["wall"] for r in rs) for j, rs in runs.items()}
    print("\n| --jobs | wall s (median) | runs | CPU s (median) | MB/s | peak RSS MB (max) |")
    print("|---:|---:|---|---:|---:|---:|")
    for j, rs in runs.items():
        walls = ", ".join(f"{r['wall']:.2f}" for r in rs)
        cpu = statistics.median(r["cpu"] for r in rs)
        rss = max(r["maxrss_mb"] for r in rs)
        print(f"| {j} | {med[j]:.2f} | {walls} | {cpu:.2f} | {mb / med[j]:.2f} | {rss:.0f} |")
    speedup = med[1] / med[args.jobs]
    print(f"\n--jobs {args.jobs} speed-up: {speedup:.2f}x (ratio of medians); per pair "
          f"{', '.join(f'{r:.2f}' for r in pair_ratios)}")
    ceiling = statistics.median(ceilings) if ceilings else None
    if ceiling is not None:
        print(f"machine's ceiling ({args.jobs} processes of a reference job against one): {ceiling:.2f}x "
              f"(median; per pair {', '.join(f'{c:.2f}' for c in ceilings)}); --jobs {args.jobs} reached "
              f"{speedup / ceiling:.0%} of it")
    shards_speedup = None
    if shard_runs:
        shard_med = statistics.median(r["wall"] for r in shard_runs)
        shards_speedup = med[1] / shard_med
        walls = ", ".join(f"{r['wall']:.2f}" for r in shard_runs)
        cpu = statistics.median(r["cpu"] for r in shard_runs)
        print(f"{args.jobs} shards, one --jobs 1 process each, all at once: {shard_med:.2f} s (median; runs "
              f"{walls}; CPU {cpu:.2f} s), "
              f"{shards_speedup:.2f}x against --jobs 1; --jobs {args.jobs} took {med[args.jobs] / shard_med:.3f}x "
              "the shards' wall time")
    if args.json:
        args.json.write_text(json.dumps({
            "records": n_records, "mb": mb, "jobs": args.jobs, "compress": args.compress, "wet": args.wet,
            "record_kind": args.records, "identical": identical, "runs": runs,
            "speedup_median": speedup, "speedup_pairs": pair_ratios,
            "ceiling_median": ceiling, "ceiling_pairs": ceilings, "cpus_busy_before": busy,
            "shard_runs": shard_runs, "shards_speedup_median": shards_speedup,
            "time": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        }, indent=2))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
