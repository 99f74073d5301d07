"""Throughput of plain-text classification: newswinnow (in-process and CLI), jusText and a floor.

All systems see the same pages in the same run: every BBC News article and the gold text of every
Dragnet training page (comment marker line removed), each page reduced to its non-empty lines.
Throughput is MB (10^6 bytes) of that UTF-8 input text per second of wall time, and pages per
second; see ``benchmarks/README.md`` for what each row measures.

    python benchmarks/bench_text.py [--corpora DIR] [--limit N] [--repeat R] [--model PATH|NAME]
                                    [--also-model PATH|NAME ...] [--json OUT] [--profile]

``--also-model fast`` adds in-process and CLI rows for another model (e.g. the shipped ``fast``)
in the same run, so the two models' figures share the machine's state. ``--numpy-row`` adds the
in-process row with the compiled kernels switched off (``NEWSWINNOW_PURE_PYTHON=1``, each run in
a child process that loads the same pages and times its second run), which is what an install
without a C compiler gets.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import datetime as dt
import html
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
BBC_GLOB = "bbc_news/*/*.txt"
DRAGNET_GLOB = "dragnet_train/Corrected/*.txt"
# Dragnet's hand-typed marker between the article and the comments (see the corpora README).
COMMENT_MARKER = re.compile(r"^\s*[!@#$%^&*() ]{5,}\s*COMMENTS\s*$")
FLOOR_PATTERN = r"\w+"
# Pages are shuffled with this seed so that --limit takes a mix of both corpora.
SHUFFLE_SEED = 0
DEFAULT_REPEAT = 3
DEFAULT_CLI_REPEAT = 3
CLI_JOBS = (1, 2)
JUSTEXT_LANGUAGE = "English"
BYTES_PER_MB = 1_000_000
PROFILE_TOP = 15
# Before the run, sample how busy the CPUs are (other processes) for this long, and warn above
# this fraction of all CPUs' time: competing work makes the figures far too low.
IDLE_SAMPLE_S = 1.0
BUSY_FRACTION = 0.15
PROC_STAT = Path("/proc/stat")
ENV_MODEL = "NEWSWINNOW_MODEL"
# The import packages of this repository (byte-compiled before the CLI rows are timed).
PACKAGES = ("classifier", "features", "training")
JUSTEXT_ROW = "jusText"
FLOOR_ROW = "findall floor"
DATATROVE_ROW = "DataTrove Gopher+repetition+C4+FineWeb"
# DataTrove's four English quality filters (issue 6's reference chain), in pipeline order.
DATATROVE_FILTERS = ("GopherQualityFilter", "GopherRepetitionFilter", "C4QualityFilter", "FineWebQualityFilter")
# The chain runs at about 0.1 MB/s: one run over the whole input takes minutes.
DEFAULT_DATATROVE_REPEAT = 1
NUMPY_ROW = "newswinnow in-process (numpy forms, no compiled kernels)"
# The child of a --numpy-row run: loads the pages, runs once to warm up, prints the second run's seconds.
_NUMPY_CHILD = (
    "import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/benchmarks']\n"
    "import bench_text as bt\n"
    "from classifier import Classifier\n"
    "from classifier.malloc import tune_malloc; tune_malloc()\n"
    "pages, _ = bt.load_pages(Path(sys.argv[2]), None if sys.argv[3] == '-' else int(sys.argv[3]))\n"
    "recs = [{'id': p.id, 'text': p.text} for p in pages]\n"
    "clf = Classifier.load(Path(sys.argv[4]))\n"
    "bt.run_inprocess(clf, recs)\n"
    "print(bt.run_inprocess(clf, recs))\n"
)


@dataclass
class Page:
    """One input page: its id (corpus-relative path) and text (non-empty lines, ``\\n``-joined)."""

    id: str
    text: str


@dataclass
class Row:
    """One system's figures: best wall time over ``runs`` runs and the derived rates."""

    system: str
    seconds: float
    runs: int
    mb_per_s: float = 0.0
    pages_per_s: float = 0.0
    vs_justext: float | None = None
    vs_floor: float | None = None
    vs_datatrove: float | None = None
    # Every run's seconds, in round order (``seconds`` is their minimum).
    times: list[float] = field(default_factory=list)
    # Median over the rounds of (the floor's time / this system's time in the same round): the
    # ratio to the floor paired round by round (``paired_floor``), None where it does not apply.
    vs_floor_paired: float | None = None


def cpu_busy(sample_s: float = IDLE_SAMPLE_S) -> float | None:
    """Fraction of all CPUs' time spent busy during ``sample_s`` seconds (Linux), else None."""

    def times() -> tuple[int, int]:
        fields = [int(x) for x in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return idle, sum(fields)

    try:
        idle0, total0 = times()
        time.sleep(sample_s)
        idle1, total1 = times()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1.0 - (idle1 - idle0) / total if total > 0 else None


def decode(data: bytes) -> str:
    """UTF-8 when valid, else Latin-1 (a few Dragnet pages are not UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def page_text(raw: str, drop_marker: bool) -> str:
    """The page's non-empty lines joined by ``\\n``; the Dragnet comment marker dropped if asked."""
    lines = [ln.rstrip("\r") for ln in raw.split("\n") if ln.strip()]
    if drop_marker:
        lines = [ln for ln in lines if not COMMENT_MARKER.match(ln)]
    return "\n".join(lines)


def load_pages(corpora: Path, limit: int | None) -> tuple[list[Page], dict[str, int]]:
    """Read both corpora; return the (shuffled, limited) pages and the page count per corpus."""
    pages: list[Page] = []
    for pattern, drop_marker in ((BBC_GLOB, False), (DRAGNET_GLOB, True)):
        for path in sorted(corpora.glob(pattern)):
            text = page_text(decode(path.read_bytes()), drop_marker)
            if text:
                pages.append(Page(path.relative_to(corpora).as_posix(), text))
    if not pages:
        sys.exit(f"bench_text: no pages under {corpora} ({BBC_GLOB}, {DRAGNET_GLOB}); see --corpora")
    random.Random(SHUFFLE_SEED).shuffle(pages)
    if limit is not None:
        pages = pages[:limit]
    counts: dict[str, int] = {}
    for p in pages:
        corpus = p.id.split("/", 1)[0]
        counts[corpus] = counts.get(corpus, 0) + 1
    return pages, counts


def best_of(run: Callable[[], float], repeat: int) -> float:
    """The shortest of ``repeat`` timed runs (seconds)."""
    return min(run() for _ in range(repeat))


def run_rounds(plan: Sequence[tuple[str, Callable[[], float], int]]) -> list[Row]:
    """Time each ``(system, run, repeat)`` of ``plan`` ``repeat`` times, one run of every system
    per round (a system drops out once its repeats are done); each row keeps its best run, and all
    of its runs in ``times``."""
    times: list[list[float]] = [[] for _ in plan]
    for r in range(max((repeat for _, _, repeat in plan), default=0)):
        for i, (_, run, repeat) in enumerate(plan):
            if r < repeat:
                times[i].append(run())
        print(f"  round {r + 1} done", file=sys.stderr)
    rows = [Row(system, min(t), repeat, times=t) for (system, _, repeat), t in zip(plan, times)]
    for row in rows:
        print(f"  {row.system}: {row.seconds:.2f} s (best of {row.runs})", file=sys.stderr)
    return rows


# --- the systems --------------------------------------------------------------------------------
def run_inprocess(clf: Any, records: Sequence[dict]) -> float:
    """newswinnow's Python API, every output serialised to a JSON line; returns seconds."""
    t0 = time.perf_counter()
    for doc in clf.classify_many(records):
        doc.to_json()
    return time.perf_counter() - t0


def kernels_state() -> str:
    """Which compiled kernels this process runs (features.ext), e.g. "4 of 4 built"."""
    from features import ext

    built = ext.built()
    if ext.pure_python():
        return f"off ({ext.PURE_ENV} set)"
    missing = [name for name, ok in built.items() if not ok]
    state = f"{len(built) - len(missing)} of {len(built)} built"
    return state + (f" (missing: {', '.join(missing)})" if missing else "")


def table_cache_state() -> str:
    """Where the start-up tables are kept and which are there (features/tablecache.py): a cold
    cache makes the first CLI run's start-up longer, not the others'."""
    from features import tablecache

    where = tablecache.cache_dir()
    if where is None:
        return "off"
    names = sorted(p.name.rsplit("-", 1)[0] for p in where.glob("*.npz")) if where.is_dir() else []
    return f"{where} ({', '.join(names) if names else 'empty'})"


def run_numpy_child(corpora: Path, limit: int | None, model: Path) -> float:
    """``run_inprocess`` in a child process with the compiled kernels off (``features.ext``);
    seconds of its second, warm run (start-up and page loading are not timed)."""
    env = dict(cli_env(), NEWSWINNOW_PURE_PYTHON="1")
    proc = subprocess.run([sys.executable, "-c", _NUMPY_CHILD, str(REPO), str(corpora),
                           "-" if limit is None else str(limit), str(model)],
                          capture_output=True, env=env, check=False, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench_text: the numpy-forms child exited {proc.returncode}:\n{proc.stderr}")
    return float(proc.stdout.strip().splitlines()[-1])


def cli_command() -> list[str]:
    """The ``newswinnow`` console script of this interpreter's environment (or ``-m`` fallback)."""
    script = Path(sys.executable).parent / "newswinnow"
    if script.exists():
        return [str(script)]
    found = shutil.which("newswinnow")
    return [found] if found else [sys.executable, "-m", "classifier.cli"]


def compile_package() -> None:
    """Byte-compile the package before timing the CLI: an installed copy has its .pyc files, but
    with PYTHONDONTWRITEBYTECODE set every CLI process would compile them again (~0.05 s)."""
    for pkg in PACKAGES:
        compileall.compile_dir(str(REPO / pkg), quiet=1)


def cli_env() -> dict[str, str]:
    """The environment for the CLI: this repository first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def run_cli(jsonl: Path, jobs: int, model: Path) -> float:
    """``newswinnow classify --format jsonl FILE > /dev/null``, wall time including start-up."""
    cmd = [*cli_command(), "classify", "--format", "jsonl", "--jobs", str(jobs), "--model", str(model),
           str(jsonl)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=cli_env(), check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")
        sys.exit(f"bench_text: {' '.join(cmd)} exited {proc.returncode}:\n{err}")
    rejected = proc.stderr.count(b"rejected:")
    if rejected:
        print(f"bench_text: warning: the CLI rejected {rejected} records", file=sys.stderr)
    return elapsed


def to_html(text: str) -> str:
    """jusText's input: each line as an escaped ``<p>`` inside ``<html><body>``."""
    paras = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
    return f"<html><body>{paras}</body></html>"


def run_justext(justext: Any, stoplist: frozenset[str], htmls: Sequence[str]) -> float:
    """``justext.justext`` over every page (HTML wrapping done beforehand); returns seconds."""
    t0 = time.perf_counter()
    for doc in htmls:
        justext.justext(doc, stoplist)
    return time.perf_counter() - t0


def load_datatrove() -> tuple[Any, list[Any]] | None:
    """DataTrove's Document class and the four filters, or None (with a note) when unavailable.

    Its English word tokenizer needs spaCy; one probe document checks that before timing.
    """
    try:
        from datatrove.data import Document
        from datatrove.pipeline import filters

        chain = [getattr(filters, name)() for name in DATATROVE_FILTERS]
        chain[0].filter(Document(text="A probe sentence for the word tokenizer.", id="probe"))
    except ImportError as e:
        print(f"bench_text: DataTrove row skipped ({e}); pip install -e '.[bench,datatrove]'", file=sys.stderr)
        return None
    return Document, chain


def run_datatrove(document: Any, chain: Sequence[Any], texts: Sequence[str]) -> float:
    """Every page through the four filters' ``filter`` (each filter sees every page, and C4's
    line removal carries on to FineWeb as in a pipeline); returns seconds."""
    t0 = time.perf_counter()
    for i, text in enumerate(texts):
        doc = document(text=text, id=str(i))
        for f in chain:
            f.filter(doc)
    return time.perf_counter() - t0


def run_floor(texts: Sequence[str]) -> float:
    """``re.findall(r"\\w+", text)`` over every page: the least work any classifier must do."""
    t0 = time.perf_counter()
    for text in texts:
        re.findall(FLOOR_PATTERN, text)
    return time.perf_counter() - t0


# --- set-up, report -----------------------------------------------------------------------------
def resolve_model(arg: str | None) -> Path:
    """--model (a path or a shipped model's name), else $NEWSWINNOW_MODEL, else the shipped
    model (``data/model-text.json``)."""
    from classifier.api import default_model_path, shipped_model_path

    path = (shipped_model_path(arg) or Path(arg)) if arg else default_model_path()
    if not path.exists():
        sys.exit(f"bench_text: no model at {path}; pass --model PATH or set ${ENV_MODEL}")
    return path.resolve()


def load_justext() -> tuple[Any, frozenset[str]] | None:
    """jusText and its English stop list, or None (with a note) when it cannot be imported."""
    try:
        import justext
    except ImportError as e:
        print(f"bench_text: jusText unavailable ({e}); install the bench extra: pip install -e '.[bench]'",
              file=sys.stderr)
        return None
    return justext, justext.get_stoplist(JUSTEXT_LANGUAGE)


def version(dist: str) -> str | None:
    """An installed distribution's version, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def fill_rates(rows: list[Row], mb: float, n_pages: int) -> None:
    """MB/s, pages/s and the ratios to jusText and to the floor (ratios of MB/s)."""
    for r in rows:
        r.mb_per_s = mb / r.seconds
        r.pages_per_s = n_pages / r.seconds
    ref = {r.system: r.mb_per_s for r in rows}
    for r in rows:
        r.vs_justext = r.mb_per_s / ref[JUSTEXT_ROW] if JUSTEXT_ROW in ref else None
        r.vs_floor = r.mb_per_s / ref[FLOOR_ROW] if FLOOR_ROW in ref else None
        r.vs_datatrove = r.mb_per_s / ref[DATATROVE_ROW] if DATATROVE_ROW in ref else None


def floor_pairs(rows: Sequence[Row], row: Row) -> list[float]:
    """The floor's time over ``row``'s time, round by round (empty without a floor row)."""
    floor = next((r for r in rows if r.system == FLOOR_ROW), None)
    return [] if floor is None else [f / t for f, t in zip(floor.times, row.times)]


def paired_floor(rows: list[Row], systems: Sequence[str]) -> None:
    """Set ``vs_floor_paired`` of the ``systems`` rows: the median over rounds of the floor's time
    over the system's time in that round. The best-of-N ratio compares two minima taken at
    different moments, and on a VM whose speed moves by 20-40% within a minute the floor's short
    runs (~0.4 s) catch a fast moment more often than a ~1 s pass does; a round's two runs are
    seconds apart (the floor runs right after the first in-process row), so their ratio keeps
    less of that noise."""
    for r in rows:
        pairs = floor_pairs(rows, r) if r.system in systems else []
        r.vs_floor_paired = statistics.median(pairs) if pairs else None


def paired_line(rows: Sequence[Row]) -> str:
    """The paired ratios as one line of text (empty when there are none)."""
    parts = []
    for r in rows:
        if r.vs_floor_paired is not None:
            pairs = floor_pairs(rows, r)
            parts.append(f"{r.system} {r.vs_floor_paired:.3f} (rounds {min(pairs):.3f}-{max(pairs):.3f})")
    if not parts:
        return ""
    return ("× floor paired by round (median over rounds of the floor's time / the system's time in the "
            "same round): " + "; ".join(parts))


def fmt_ratio(x: float | None) -> str:
    """A ratio with three significant digits, or n/a."""
    return "n/a" if x is None else f"{x:.3g}"


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table."""
    lines = ["| system | MB/s | pages/s | × jusText | × floor | × DataTrove | runs |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.system} | {r.mb_per_s:.3g} | {r.pages_per_s:,.0f} | {fmt_ratio(r.vs_justext)} "
                     f"| {fmt_ratio(r.vs_floor)} | {fmt_ratio(r.vs_datatrove)} | {r.runs} |")
    return "\n".join(lines)


def profile_inprocess(clf: Any, records: Sequence[dict], top: int = PROFILE_TOP) -> str:
    """One in-process run under cProfile; the ``top`` functions by own time."""
    prof = cProfile.Profile()
    prof.enable()
    run_inprocess(clf, records)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                    help="folder holding bbc_news/ and dragnet_train/ (default: %(default)s)")
    ap.add_argument("--limit", type=int, default=None, help="use only N pages (a fixed shuffled mix)")
    ap.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                    help="best of R runs for in-process, jusText and the floor (default: %(default)s)")
    ap.add_argument("--cli-repeat", type=int, default=DEFAULT_CLI_REPEAT,
                    help="best of R runs for each CLI row (default: %(default)s)")
    ap.add_argument("--model", help=f"model header (.json) or shipped model name; default: ${ENV_MODEL} or "
                    "data/model-text.json")
    ap.add_argument("--also-model", action="append", default=[], metavar="PATH|NAME",
                    help="also measure this model (in-process and CLI rows), e.g. fast; repeatable")
    ap.add_argument("--json", type=Path, dest="json_out", help="also write the figures to this JSON file")
    ap.add_argument("--numpy-row", action="store_true",
                    help="also measure in-process with the compiled kernels off (child processes)")
    ap.add_argument("--datatrove-repeat", type=int, default=DEFAULT_DATATROVE_REPEAT,
                    help="best of R runs of the DataTrove filter chain (0 skips it)")
    ap.add_argument("--profile", action="store_true",
                    help=f"profile one in-process run; print the top {PROFILE_TOP} by own time to stderr")
    args = ap.parse_args(argv)
    for name in ("limit", "repeat", "cli_repeat"):
        value = getattr(args, name)
        if value is not None and value < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every system on the same pages, print the table, optionally save JSON."""
    args = parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from classifier import Classifier, ModelError
    from classifier.malloc import tune_malloc

    malloc_tuned = tune_malloc()  # as the CLI does (classifier/malloc.py), so the in-process rows match it
    model_path = resolve_model(args.model)
    also = [(name, resolve_model(name)) for name in args.also_model]
    compile_package()
    try:
        clf = Classifier.load(model_path)
        also_clfs = [Classifier.load(path) for _, path in also]
    except ModelError as e:
        sys.exit(f"bench_text: the model does not load: {e}")

    busy_before = cpu_busy()
    if busy_before is not None and busy_before > BUSY_FRACTION:
        print(f"bench_text: warning: the CPUs were {busy_before:.0%} busy before the run; other processes "
              "compete for them and the figures will be low", file=sys.stderr)
    pages, counts = load_pages(args.corpora, args.limit)
    texts = [p.text for p in pages]
    records = [{"id": p.id, "text": p.text} for p in pages]
    n_pages = len(pages)
    mb = sum(len(t.encode("utf-8")) for t in texts) / BYTES_PER_MB
    print(f"input: {n_pages} pages ({', '.join(f'{k} {v}' for k, v in counts.items())}), {mb:.2f} MB; "
          f"model {model_path} ({clf.model.name}); compiled kernels: {kernels_state()}; "
          f"table cache: {table_cache_state()}; malloc tuning: {'on' if malloc_tuned else 'off'}", file=sys.stderr)

    # Every system's runs, taken in rounds (one run of each system per round, in the same order),
    # so that a change in the machine's load during the run falls on all systems alike instead of
    # on whichever was measured then; each row keeps its best run.
    # The floor runs right after the first in-process row, so each round's pair of them is seconds
    # apart (paired_floor).
    plan: list[tuple[str, Callable[[], float], int]] = [
        ("newswinnow in-process", lambda: run_inprocess(clf, records), args.repeat),
        (FLOOR_ROW, lambda: run_floor(texts), args.repeat)]
    if args.numpy_row:
        plan.append((NUMPY_ROW, lambda: run_numpy_child(args.corpora, args.limit, model_path), args.repeat))
    for (name, _), other in zip(also, also_clfs):
        plan.append((f"newswinnow in-process ({name})", lambda c=other: run_inprocess(c, records), args.repeat))
    with tempfile.TemporaryDirectory(prefix="bench_text_") as tmp:
        jsonl = Path(tmp) / "pages.jsonl"
        with jsonl.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(records[0], ensure_ascii=False) + "\n", encoding="utf-8")
        startup = best_of(lambda: run_cli(one, 1, model_path), args.cli_repeat)
        print(f"  CLI start-up (one page): {startup:.2f} s", file=sys.stderr)
        for jobs in CLI_JOBS:
            plan.append((f"newswinnow CLI --jobs {jobs}", lambda j=jobs: run_cli(jsonl, j, model_path),
                         args.cli_repeat))
            for name, path in also:
                plan.append((f"newswinnow CLI --jobs {jobs} ({name})", lambda j=jobs, p=path: run_cli(jsonl, j, p),
                             args.cli_repeat))
        jt = load_justext()
        if jt is not None:
            htmls = [to_html(t) for t in texts]
            plan.append((JUSTEXT_ROW, lambda: run_justext(jt[0], jt[1], htmls), args.repeat))
        dtr = load_datatrove() if args.datatrove_repeat > 0 else None
        if dtr is not None:
            plan.append((DATATROVE_ROW, lambda: run_datatrove(dtr[0], dtr[1], texts), args.datatrove_repeat))
        rows = run_rounds(plan)
    fill_rates(rows, mb, n_pages)
    paired_floor(rows, [r.system for r in rows if r.system.startswith("newswinnow in-process")])

    print(f"\nInput: {mb:.2f} MB of text, {n_pages} pages; {os.cpu_count()} CPUs; "
          f"CLI start-up {startup:.2f} s\n")
    print(markdown_table(rows))
    if line := paired_line(rows):
        print(f"\n{line}")

    if args.profile:
        print(f"\ncProfile of one in-process run (top {PROFILE_TOP} by tottime):", file=sys.stderr)
        print(profile_inprocess(clf, records), file=sys.stderr)

    if args.json_out is not None:
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "processor": platform.processor() or platform.machine(),
                        "python": platform.python_version()},
            "versions": {d: version(d) for d in ("newswinnow", "jusText", "numpy", "lxml", "datatrove", "spacy")},
            "model": {"path": str(model_path), "name": clf.model.name},
            "also_models": [{"arg": name, "path": str(path), "name": c.model.name}
                            for (name, path), c in zip(also, also_clfs)],
            "input": {"corpora": str(args.corpora), "pages": n_pages, "pages_by_corpus": counts,
                      "mb": mb, "limit": args.limit},
            "cpu_busy_before": busy_before, "kernels": kernels_state(), "table_cache": table_cache_state(),
            "malloc_tuned": malloc_tuned,
            "repeat": args.repeat, "cli_repeat": args.cli_repeat, "cli_startup_s": startup,
            "results": [asdict(r) for r in rows],
        }
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
