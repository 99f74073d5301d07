"""The ``newswinnow`` command line (click): classify, filter, show, train, evaluate, sources, report.

Exit status: 0 on success (bad records are reported and go to ``--rejects``), 1 only when no
document could be read, 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from itertools import groupby
from pathlib import Path
from typing import IO

import click
from threadpoolctl import threadpool_limits

from features.segment import decode_bytes

from .api import SHIPPED_TEXT_MODELS, Classifier, DocumentResult, orjson
from .api import dumps_bytes as _dumps
from .io import (
    FORMATS,
    InputError,
    Task,
    WorkItem,
    input_size,
    iter_items,
    iter_tasks,
    task_items,
)
from .limits import (
    DEFAULT_MAX_BLOCK_CHARS,
    DEFAULT_MAX_PAGE_BLOCKS,
    DEFAULT_MAX_PAGE_BYTES,
    DEFAULT_PAGE_TIMEOUT,
    Limits,
)
from .malloc import tune_malloc
from .model import LABELS, ModelError
from .parallel import BATCH_BYTES, BATCH_RECORDS, Spool, WorkerLost, batched, ordered_map
from .report import DEFAULT_MIN_SOURCE_PAGES, DEFAULT_SAMPLE, DEFAULT_TOP_SOURCES
from .sources import DEFAULT_TOP_REASONS

COLOURS = {"editorial": "green", "comment": "cyan", "spam": "red", "boilerplate": "bright_black"}
TAGS = {"editorial": "EDIT", "comment": "COMM", "spam": "SPAM", "boilerplate": "BOIL"}


class Fields:
    """Record field names (``--text-field`` etc.), passed to workers."""

    def __init__(self, text: str = "text", html: str = "html", id: str = "id", url: str = "url"):
        self.text, self.html, self.id, self.url = text, html, id, url


class ModelParam(click.ParamType):
    """``--model``: a model header file, or the name of a shipped text model (``fast``)."""

    name = "PATH|NAME"

    def convert(self, value, param, ctx):
        if Path(value).is_file() or str(value) in SHIPPED_TEXT_MODELS:
            return str(value)
        what = "a directory" if Path(value).is_dir() else "no such file"
        self.fail(f"{value!r}: {what}, and not a shipped model name ({', '.join(SHIPPED_TEXT_MODELS)})",
                  param, ctx)


MODEL_PARAM = ModelParam()
MODEL_HELP = ("Model header (.json), or a shipped model by name: default (eight networks) or fast "
              "(three: ~0.6-0.9x the CPU, macro-F1 0.004 lower on unseen sites).")


def _loads(payload: bytes) -> object:
    """Parse one JSON record: orjson first (fast); json for what orjson refuses (a BOM, NaN,
    integers over 64 bits) and for its error messages."""
    if orjson is not None:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass
    rec = json.loads(payload.decode("utf-8-sig"))  # -sig: a BOM before the first record
    return _scrub(rec) if b"\\u" in payload or b"\\U" in payload else rec


def _scrub(obj: object) -> object:
    """Lone surrogates ("\\ud800", which json accepts and orjson refuses) -> U+FFFD in every
    string, so the output stays valid UTF-8 (they crashed the writer)."""
    if isinstance(obj, str):
        return obj.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(obj, dict):
        return {_scrub(k): _scrub(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


def _to_record(item: WorkItem, f: Fields) -> tuple[dict | None, str | None]:
    """A work item -> (record, None) or (None, reason) for a reject."""
    name, lineno, kind, payload = item[:4]
    if kind in ("text", "html"):
        rid = item.id if item.id is not None else (None if name == "<stdin>" else name)
        # The transport's charset (a WARC record's HTTP Content-Type) before the page's own <meta>.
        rec = {f.text if kind == "text" else f.html: decode_bytes(payload, item.charset)}
        rec[f.id] = rid
        if item.url is not None:
            rec[f.url] = item.url
        return rec, None
    if kind == "error":
        return None, item.error
    try:
        rec = _loads(payload)
    except UnicodeDecodeError as e:
        return None, f"undecodable bytes ({e.reason} at byte {e.start})"
    except json.JSONDecodeError as e:
        return None, f"bad JSON ({e.msg} at column {e.colno})"
    if not isinstance(rec, dict):
        return None, "record is not a JSON object"
    return rec, None  # no id field: classify_record falls back to the line number (not added to the record)


def _work(clf: Classifier, f: Fields, mode: str, opts: dict, batch: list[WorkItem]) -> list[tuple]:
    """Worker: classify a batch -> [("ok", line | None, extra) | ("err", reason, item)]."""
    parsed = [_to_record(item, f) for item in batch]
    good = [(item[1], rec) for item, (rec, err) in zip(batch, parsed) if err is None]
    docs = iter(clf.classify_or_reject(good, f.text, f.html, f.id, f.url))
    out: list[tuple] = []
    for item, (rec, err) in zip(batch, parsed):
        doc = next(docs) if err is None else err
        if isinstance(doc, str):
            out.append(("err", doc, item))
        elif mode == "classify":
            out.append(("ok", doc.to_json_bytes(include_text=not opts["no_text"]), None))
        elif mode == "filter":
            out.append(_filter_one(doc, rec, f, opts))
        else:
            out.append(("ok", doc, None))
    return out


def _work_batched(clf: Classifier, f: Fields, mode: str, opts: dict, items: list[WorkItem]) -> list[tuple]:
    """``_work`` over a worker's task in batches of ``BATCH_RECORDS``, as ``--jobs 1`` runs. A
    task is one batch's worth (a JSONL range of ``RANGE_LINES`` lines and ``RANGE_BYTES``, or
    work items grouped by ``_grouped``); should one hold more, it is cut into batches of equal
    size (140 records at 64: 47, 47, 46 rather than 64, 64, 12): a page in a batch of 12 cost
    ~1.3x one in a batch of 64 (a fixed ~2 ms of numpy calls per batch)."""
    n_batches = -(-len(items) // BATCH_RECORDS)
    if n_batches <= 1:
        return _work(clf, f, mode, opts, items)
    bounds = [len(items) * k // n_batches for k in range(n_batches + 1)]
    return [r for a, b in zip(bounds, bounds[1:]) for r in _work(clf, f, mode, opts, items[a:b])]


def _filter_one(doc: DocumentResult, rec: dict, f: Fields, opts: dict) -> tuple:
    """Replace the text by the kept blocks; drop (or reject) pages failing a threshold."""
    failed = []
    if opts["min_quality"] is not None and doc.quality < opts["min_quality"]:
        failed.append("below_min_quality")
    if opts["max_mt"] is not None and doc.mt_score > opts["max_mt"]:
        failed.append("above_max_mt")
    out = dict(rec)
    if not failed:  # a dropped record keeps its original text, so --rejects loses nothing
        out.pop(f.html, None)
        out[f.text] = doc.kept_text(opts["keep"])
    out["newswinnow"] = {
        "quality": doc.quality, "reasons": doc.reasons, "mt_score": doc.mt_score,
        "has_comments": doc.has_comments, "fractions": doc.fractions, "dup_fraction": doc.dup_fraction,
        "source": doc.source, "model": doc.model,
    }
    if failed:
        out["newswinnow"]["filtered"] = failed
        return ("drop", _dumps(out), None)
    return ("ok", _dumps(out), None)


# Exit status of a run stopped by SIGTERM or SIGINT (Ctrl-C), as a shell reports a process the
# signal killed (128 + the signal's number).
SIGTERM_EXIT = 143
SIGINT_EXIT = 130


# What an interrupted classify or filter run says on stderr.
INTERRUPTED = "newswinnow: interrupted; the output stops where the run did (its last line may be cut off)"
# ... and an interrupted training run (the model and its card are written at its end).
_NOT_WRITTEN = "newswinnow: interrupted before the end of training"
# ... and an interrupted evaluation.
_EVALUATION_INTERRUPTED = "newswinnow: interrupted"


@contextmanager
def _stop_on_signals(interrupted: str = INTERRUPTED) -> Iterator[None]:
    """SIGTERM (``kill``, a scheduler's stop) ends the run as an exception would: the workers are
    stopped and the spool directory deleted, where the default action left both behind (for
    ``train``, joblib's worker processes, which finished their fold and then waited forever).
    Ctrl-C does the same, and both exit with the status a shell gives a process the signal
    killed, so a caller can tell an interrupted run from a finished one (click's own "Aborted!"
    exits 1, the status of a run that could read no document)."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers: main thread only
        yield
        return

    def stop(signum, frame):
        raise SystemExit(SIGTERM_EXIT)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except KeyboardInterrupt:
        click.echo(interrupted, err=True)
        raise SystemExit(SIGINT_EXIT) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(paths: tuple[str, ...], fmt: str, fields: Fields, jobs: int, model: str | None,
         rejects: str | None, mode: str, opts: dict, sink: IO[bytes], glob: str | None = None) -> int:
    """Shared driver of classify and filter: stream, write results and rejects, pick exit code."""
    try:
        clf = Classifier.load(model, page_limits=opts.get("limits"))
    except ModelError as e:
        raise click.ClickException(str(e)) from e
    clf.reread = not opts.get("as_written")  # workers are forked from here and keep it
    if jobs > 1:
        clf.warm_up(html=False)  # forked workers inherit the built tables (classifier/parallel.py)
    # The model, vocabularies and tables live as long as the process: moved out of the collector's
    # reach, full collections stop traversing them (2-3% of classify's time on plain text and on
    # HTML), and forked workers do not copy their pages by touching them (the gc docs' advice).
    gc.freeze()
    n_ok = n_err = n_drop = 0
    rej_fh = open(rejects, "wb") if rejects else None  # noqa: SIM115 - closed in the finally below
    # --rejects-log: one JSON line per unreadable record (file, line, reason), in the order of --rejects.
    log_fh = open(opts["rejects_log"], "wb") if opts.get("rejects_log") else None  # noqa: SIM115
    total = input_size(list(paths), glob)
    show_bar = total is not None and sys.stderr.isatty()
    spool = _make_spool() if jobs > 1 else None

    def fn(batch: list[WorkItem]) -> list[tuple]:
        return _work(clf, fields, mode, opts, batch)

    def fn_tasks(tasks: list[tuple[list[WorkItem] | Task, list[str]]]) -> list[tuple]:
        ((task, freed),) = tasks
        out = _work_batched(clf, fields, mode, opts, task_items(task) if isinstance(task, Task) else task)
        if spool is None:
            return out
        spool.adopt(freed)  # spool files the parent has copied: this worker's to fill again
        return spool.stash(out)

    bar_ctx = click.progressbar(length=total, file=sys.stderr, label="newswinnow") if show_bar else nullcontext()
    results: Iterator[tuple] | None = None
    try:
        with bar_ctx as bar:
            progress = bar.update if bar is not None else None  # the input's bytes as they are read
            if jobs == 1:
                results = ordered_map(fn, iter_items(list(paths), fmt, glob, progress), 1, size_of=_item_bytes)
            else:  # workers read plain JSONL files themselves and spool their output (parallel.py)
                tasks = _grouped(iter_tasks(list(paths), fmt, glob, progress=progress), BATCH_RECORDS)
                # Each task carries the spool files copied since the last one (Spool.take_freed).
                freed = spool.take_freed if spool is not None else list
                results = ordered_map(fn_tasks, ((task, freed()) for task in tasks), jobs, batch_size=1)
            for status, payload, item in results:
                if status == "spooled":
                    spool.copy_to(payload, sink)
                    n_ok += item
                    continue
                if status == "err":
                    n_err += 1
                    name, lineno, _, raw = item[:4]
                    click.echo(f"newswinnow: {name}:{lineno}: rejected: {payload}", err=True)
                    if rej_fh is not None and raw:
                        rej_fh.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    if log_fh is not None:
                        log_fh.write(_dumps({"file": name, "line": lineno, "reason": payload}) + b"\n")
                    continue
                n_ok += 1
                if status == "drop":
                    n_drop += 1
                    if rej_fh is not None:
                        rej_fh.write(payload + b"\n")
                    continue
                sink.write(payload + b"\n")
    except BrokenPipeError:  # downstream closed (e.g. `| head`): stop quietly
        sys.stderr.close()
        return 0
    except (OSError, InputError) as e:
        raise click.ClickException(str(e)) from e
    except WorkerLost as e:  # e.g. out of memory: what was written is a whole prefix of the input's results
        raise click.ClickException(f"{e}; stopped after the first {n_ok + n_err} records, whose results are "
                                   "written in input order") from e
    finally:
        if rej_fh is not None:
            rej_fh.close()
        if log_fh is not None:
            log_fh.close()
        if results is not None:
            results.close()  # stops the workers before their spool directory goes
        if spool is not None:
            shutil.rmtree(spool.directory, ignore_errors=True)
    sink.flush()
    if n_drop:
        where = f"written to {rejects} with their reasons" if rejects else "dropped (keep them with --rejects FILE)"
        click.echo(f"newswinnow: {n_drop} of {n_ok} records failed --min-quality/--max-mt: {where}", err=True)
    if n_ok == 0 and n_err > 0:
        click.echo("newswinnow: no document could be read", err=True)
        return 1
    return 0


def _make_spool() -> Spool | None:
    """A private directory for the workers' output; None (results through the pipe) if there is
    no writable temporary directory. Its files are used again only by forked workers, which live
    as long as the run (``Spool``)."""
    import multiprocessing

    try:
        return Spool(tempfile.mkdtemp(prefix="newswinnow-"), reuse="fork" in multiprocessing.get_all_start_methods())
    except OSError:
        return None


def _item_bytes(item: WorkItem) -> int:
    """A work item's payload bytes (its JSONL line, text or HTML), for ``BATCH_BYTES``."""
    return len(item[3])


def _grouped(stream: Iterator[WorkItem | Task], size: int,
             max_bytes: int = BATCH_BYTES) -> Iterator[list[WorkItem] | Task]:
    """Worker tasks: each range or chunk on its own, consecutive work items in lists of up to
    ``size`` items and ``max_bytes`` of payload, as ``--jobs 1`` batches them (lazily: ``groupby``
    hands over each run of items as it is read)."""
    for is_range, run in groupby(stream, key=lambda it: isinstance(it, Task)):
        if is_range:
            yield from run
        else:
            yield from batched(run, size, _item_bytes, max_bytes)


def _limit_options(f):
    """--max-page-bytes, --max-page-blocks, --max-block-chars, --page-timeout (classifier/limits.py) and
    --rejects-log, passed on as ``page_limits`` and ``rejects_log``."""

    @functools.wraps(f)
    def wrapper(*args, max_page_bytes, max_block_chars, page_timeout, max_page_blocks, **kw):
        return f(*args, page_limits=Limits(max_page_bytes, max_block_chars, page_timeout, max_page_blocks), **kw)

    wrapper = click.option("--rejects-log", type=click.Path(dir_okay=False, writable=True),
                           help="Write one JSON line per unreadable record here: its file, input line "
                                "number and reason, in the order of --rejects.")(wrapper)
    wrapper = click.option("--page-timeout", type=click.FloatRange(0), default=DEFAULT_PAGE_TIMEOUT,
                           show_default=True,
                           help="Seconds of wall-clock time per page; a page over it gets a result "
                                "flagged 'timeout' (0: no limit).")(wrapper)
    wrapper = click.option("--max-page-blocks", type=click.IntRange(0), default=DEFAULT_MAX_PAGE_BLOCKS,
                           show_default=True,
                           help="Analyse at most this many blocks of a page; later blocks are output "
                                "unanalysed (flagged 'truncated_page'; 0: no limit).")(wrapper)
    wrapper = click.option("--max-block-chars", type=click.IntRange(0), default=DEFAULT_MAX_BLOCK_CHARS,
                           show_default=True,
                           help="Analyse at most this many characters of a block (the output keeps "
                                "the whole text; flagged 'truncated_block'; 0: no limit).")(wrapper)
    wrapper = click.option("--max-page-bytes", type=click.IntRange(0), default=DEFAULT_MAX_PAGE_BYTES,
                           show_default=True,
                           help="Analyse the blocks of a page's first N bytes; later blocks are output "
                                "unanalysed (flagged 'truncated_page'; 0: no limit).")(wrapper)
    return wrapper


# Plain-text pages are read as newswinnow reads them unless this is given (features/reading.py).
AS_WRITTEN_OPTION = click.option(
    "--as-written", is_flag=True,
    help="Read every plain-text page line by line as written: hard-wrapped paragraphs are not "
         "joined and markdown is not read as the text it shows (the labels stay per line either way).")


def _common(f):
    """Options shared by classify and filter."""
    f = click.option("--rejects", type=click.Path(dir_okay=False, writable=True),
                     help="Write unreadable records here, verbatim; the run goes on.")(f)
    f = AS_WRITTEN_OPTION(f)
    f = click.option("--model", type=MODEL_PARAM, help=MODEL_HELP)(f)
    f = click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
                     help="Worker processes; output order = input order.")(f)
    for opt, default in (("--url-field", "url"), ("--id-field", "id"), ("--html-field", "html"),
                         ("--text-field", "text")):
        f = click.option(opt, default=default, show_default=True)(f)
    f = click.option("--glob", default=None, metavar="PATTERN",
                     help="Files to read in directories given as PATH (recursive; default: all), e.g. '*.zst'.")(f)
    f = click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)(f)
    f = click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, allow_dash=True))(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswinnow")
def main() -> None:
    """Label the blocks of scraped news pages: editorial, comment, spam, boilerplate."""
    # Our matrices are small: BLAS threads only add contention (4-5x slower when another
    # process holds a core), so one thread per process; --jobs scales across processes.
    threadpool_limits(limits=1, user_api="blas")
    tune_malloc()  # batch arrays stay in the heap between batches (classifier/malloc.py); forked workers inherit it


@main.command()
@_common
@_limit_options
@click.option("--no-text", is_flag=True, help="Drop blocks[].text from the output.")
def classify(paths, fmt, glob, text_field, html_field, id_field, url_field, jobs, model, as_written, rejects,
             no_text, page_limits=None, rejects_log=None):
    """Classify pages; one JSON result per document on stdout (JSONL)."""
    fields = Fields(text_field, html_field, id_field, url_field)
    opts = {"no_text": no_text, "limits": page_limits, "rejects_log": rejects_log, "as_written": as_written}
    with _stop_on_signals():
        code = _run(paths, fmt, fields, jobs, model, rejects, "classify", opts, sys.stdout.buffer, glob)
    _finished(code)


def _parse_keep(ctx, param, value: str) -> tuple[str, ...]:
    keep = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [k for k in keep if k not in LABELS]
    if bad or not keep:
        raise click.BadParameter(f"labels must be among {', '.join(LABELS)}")
    return keep


@main.command(name="filter")
@_common
@_limit_options
@click.option("--keep", default="editorial", show_default=True, callback=_parse_keep,
              help="Labels whose blocks are kept, comma-separated.")
@click.option("--min-quality", type=click.FloatRange(0, 1), help="Drop pages below this quality.")
@click.option("--max-mt", type=click.FloatRange(0, 1), help="Drop pages above this mt_score.")
def filter_cmd(paths, fmt, glob, text_field, html_field, id_field, url_field, jobs, model, as_written, rejects,
               keep, min_quality, max_mt, page_limits=None, rejects_log=None):
    """Pre-filter for pipelines: JSONL in, JSONL out with only the kept blocks' text."""
    fields = Fields(text_field, html_field, id_field, url_field)
    opts = {"keep": keep, "min_quality": min_quality, "max_mt": max_mt, "limits": page_limits,
            "rejects_log": rejects_log, "as_written": as_written}
    with _stop_on_signals():
        code = _run(paths, fmt, fields, jobs, model, rejects, "filter", opts, sys.stdout.buffer, glob)
    _finished(code)


def _underline(text: str, evidence: list[dict]) -> str:
    """Underline evidence spans (ANSI; stripped by click when not a terminal)."""
    if not evidence:
        return text
    out, pos = [], 0
    for e in sorted(evidence, key=lambda e: e["start"]):
        s, t = max(e["start"], pos), e["end"]
        if t <= s:
            continue
        out += [text[pos:s], "\x1b[4m", text[s:t], "\x1b[24m"]
        pos = t
    out.append(text[pos:])
    return "".join(out)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--model", type=MODEL_PARAM, help=MODEL_HELP)
@click.option("--color/--no-color", default=None, help="Force colour on or off (default: if a terminal).")
@AS_WRITTEN_OPTION
def show(path, fmt, model, color, as_written):
    """A person's view of a page: each block tagged and coloured by its label."""
    try:
        clf = Classifier.load(model)
    except ModelError as e:
        raise click.ClickException(str(e)) from e
    clf.reread = not as_written
    fields = Fields()
    n = 0
    for item in iter_items([path], fmt):
        rec, err = _to_record(item, fields)
        if err is None:
            try:
                doc = clf.classify_record(rec, item[1])
            except ValueError as e:
                err = str(e)
        if err is not None:
            click.echo(f"newswinnow: {item[0]}:{item[1]}: rejected: {err}", err=True)
            continue
        n += 1
        head = (f"== {doc.id}  quality={doc.quality:.2f}  mt={doc.mt_score:.2f}  dup={doc.dup_fraction:.2f}"
                f"  comments={'from ' + str(doc.comment_start) if doc.has_comments else 'none'}"
                f"  reasons={','.join(doc.reasons) or '-'}")
        click.echo(click.style(head, bold=True), color=color)
        for b in doc.blocks:
            where = b["line"] if b["line"] is not None else b["index"]
            extra = ""
            if b["mt"] >= 0.5:
                extra += f" [mt {b['mt']:.2f}]"
            if b["profanity"] >= 0.5:
                extra += f" [profanity {b['profanity']:.2f}]"
            tag = click.style(f"{where:>5} {TAGS[b['label']]}", fg=COLOURS[b["label"]], bold=True)
            body = click.style(_underline(b["text"], b["evidence"]), fg=COLOURS[b["label"]])
            click.echo(f"{tag} {body}{extra}", color=color)
    sys.exit(0 if n else 1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.pass_context
def train(ctx):
    """Retrain the model on labelled corpora (see `newswinnow train --help`; `--html`: the HTML model)."""
    if "--html" in ctx.args:
        from training.train_html import main as html_main

        args = [a for a in ctx.args if a != "--html"]
        with _stop_on_signals(_NOT_WRITTEN):
            html_main.main(args=args, prog_name="newswinnow train --html", standalone_mode=True)
        return
    from training.train import main as train_main

    with _stop_on_signals(_NOT_WRITTEN):  # SIGTERM: joblib stops the fold workers (see there)
        train_main.main(args=ctx.args, prog_name="newswinnow train", standalone_mode=True)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.pass_context
def evaluate(ctx):
    """Per-label precision/recall/F1 and confusion matrix on a labelled corpus."""
    from training.evaluate import main as eval_main

    with _stop_on_signals(_EVALUATION_INTERRUPTED):
        eval_main.main(args=ctx.args, prog_name="newswinnow evaluate", standalone_mode=True)


def _results_error_handler(rejects_fh) -> tuple[list[int], object]:
    """For ``sources``/``report``: report a bad results line on stderr, copy it to --rejects."""
    count = [0]

    def on_error(path: str, lineno: int, reason: str, raw: bytes) -> None:
        count[0] += 1
        click.echo(f"newswinnow: {path}:{lineno}: rejected: {reason}", err=True)
        if rejects_fh is not None:
            rejects_fh.write(raw if raw.endswith(b"\n") else raw + b"\n")

    return count, on_error


@main.command()
@click.argument("results", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.option("--min-pages", type=click.IntRange(1), default=1, show_default=True,
              help="Only sources with at least this many pages.")
@click.option("--top-reasons", type=click.IntRange(0), default=DEFAULT_TOP_REASONS, show_default=True,
              help="How many of each source's most frequent reasons to list.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not stdout.")
@click.option("--rejects", type=click.Path(dir_okay=False, writable=True),
              help="Write lines that are not classify results here, verbatim.")
def sources(results, fmt, min_pages, top_reasons, output, rejects):
    """Aggregate classify output (JSONL) by source, worst first: pages, quality, comments, spam,
    MT, duplication, top reasons."""
    from .sources import SourceTable, iter_results, write_rows

    table = SourceTable()
    n_ok = 0
    with open(rejects, "wb") if rejects else nullcontext() as rej:
        count, on_error = _results_error_handler(rej)
        for rec in iter_results(results or ("-",), on_error):
            table.add(rec)
            n_ok += 1
    rows = table.rows(min_pages, top_reasons)
    with open(output, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
        write_rows(rows, fmt, out)
    sys.exit(1 if n_ok == 0 and count[0] else 0)


@main.command()
@click.argument("results", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The HTML file to write.")
@click.option("--sample", type=click.IntRange(0), default=DEFAULT_SAMPLE, show_default=True,
              help="Pages shown as label strips with their own view (a uniform sample, fixed seed).")
@click.option("--top-sources", type=click.IntRange(1), default=DEFAULT_TOP_SOURCES, show_default=True)
@click.option("--min-pages", type=click.IntRange(1), default=DEFAULT_MIN_SOURCE_PAGES, show_default=True,
              help="Sources with fewer pages are left out of the worst/best tables.")
@click.option("--title", default="newswinnow report", show_default=True)
@click.option("--rejects", type=click.Path(dir_okay=False, writable=True),
              help="Write lines that are not classify results here, verbatim.")
def report(results, output, sample, top_sources, min_pages, title, rejects):
    """One self-contained HTML report of classify output: totals, quality histogram, label
    shares, worst/best sources, label strips and per-page views of a sample."""
    from .report import build_report

    with open(rejects, "wb") if rejects else nullcontext() as rej:
        count, on_error = _results_error_handler(rej)
        page, stats = build_report(results or ("-",), on_error, sample, top_sources, min_pages, title)
    if stats.pages == 0 and count[0]:
        click.echo("newswinnow: no result could be read", err=True)
        sys.exit(1)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(page)
    click.echo(f"newswinnow: report of {stats.pages:,} pages written to {output}", err=True)


class _Finished(SystemExit):
    """``sys.exit`` of a classify or filter run that has flushed and closed all it wrote: the
    console script may end the process without the interpreter's teardown (``entry``)."""


def _finished(code: int) -> None:
    raise _Finished(code)


def entry() -> None:
    """The ``newswinnow`` console script: ``main``; after a finished classify or filter run, the
    process ends without the interpreter's teardown (freeing the model's objects one by one:
    ~7 ms of a one-page run, ~17 ms after 58.7 MB). Everything else exits as ``main`` does, and
    ``main`` itself (tests, callers in-process) never ends the process this way."""
    try:
        main()
    except _Finished as done:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe downstream: nothing more to say
                stream.flush()
        os._exit(done.code if isinstance(done.code, int) else 1)


if __name__ == "__main__":  # pragma: no cover
    entry()
