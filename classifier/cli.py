"""The ``newswinnow`` command line (click): classify, filter, show, train, evaluate.

Exit status: 0 on success (bad records are reported and go to ``--rejects``), 1 only when no
document could be read, 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from typing import IO

import click
from threadpoolctl import threadpool_limits

from features.segment import decode_bytes

from .api import Classifier, DocumentResult, orjson
from .api import dumps as _dumps
from .io import FORMATS, WorkItem, input_size, iter_items
from .limits import (
    DEFAULT_MAX_BLOCK_CHARS,
    DEFAULT_MAX_PAGE_BLOCKS,
    DEFAULT_MAX_PAGE_BYTES,
    DEFAULT_PAGE_TIMEOUT,
    Limits,
)
from .model import LABELS, ModelError
from .parallel import ordered_map

COLOURS = {"editorial": "green", "comment": "cyan", "spam": "red", "boilerplate": "bright_black"}
TAGS = {"editorial": "EDIT", "comment": "COMM", "spam": "SPAM", "boilerplate": "BOIL"}


class Fields:
    """Record field names (``--text-field`` etc.), passed to workers."""

    def __init__(self, text: str = "text", html: str = "html", id: str = "id", url: str = "url"):
        self.text, self.html, self.id, self.url = text, html, id, url


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
    name, lineno, kind, payload = item
    if kind == "text":
        return {f.text: decode_bytes(payload), f.id: None if name == "<stdin>" else name}, None
    if kind == "html":
        return {f.html: decode_bytes(payload), f.id: None if name == "<stdin>" else name}, None
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
            out.append(("ok", _dumps(doc.to_dict(include_text=not opts["no_text"])), None))
        elif mode == "filter":
            out.append(_filter_one(doc, rec, f, opts))
        else:
            out.append(("ok", doc, None))
    return out


def _filter_one(doc: DocumentResult, rec: dict, f: Fields, opts: dict) -> tuple:
    """Replace the text by the kept blocks; drop (or reject) pages failing a threshold."""
    failed = []
    if opts["min_quality"] is not None and doc.quality < opts["min_quality"]:
        failed.append("below_min_quality")
    if opts["max_mt"] is not None and doc.mt_score > opts["max_mt"]:
        failed.append("above_max_mt")
    out = dict(rec)
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


def _run(paths: tuple[str, ...], fmt: str, fields: Fields, jobs: int, model: str | None,
         rejects: str | None, mode: str, opts: dict, sink: IO[str]) -> int:
    """Shared driver of classify and filter: stream, write results and rejects, pick exit code."""
    try:
        clf = Classifier.load(model, opts.get("limits"))
    except ModelError as e:
        raise click.ClickException(str(e)) from e
    n_ok = n_err = 0
    rej_fh = open(rejects, "wb") if rejects else None  # noqa: SIM115 - closed in the finally below
    # --rejects-log: one JSON line per unreadable record (file, line, reason), in the order of --rejects.
    log_fh = open(opts["rejects_log"], "w", encoding="utf-8") if opts.get("rejects_log") else None  # noqa: SIM115
    total = input_size(list(paths))
    show_bar = total is not None and sys.stderr.isatty()
    items = iter_items(list(paths), fmt)

    def fn(batch: list[WorkItem]) -> list[tuple]:
        return _work(clf, fields, mode, opts, batch)

    bar_ctx = click.progressbar(length=total, file=sys.stderr, label="newswinnow") if show_bar else nullcontext()
    try:
        with bar_ctx as bar:
            for status, payload, item in ordered_map(fn, _counted(items, bar), jobs):
                if status == "err":
                    n_err += 1
                    name, lineno, _, raw = item
                    click.echo(f"newswinnow: {name}:{lineno}: rejected: {payload}", err=True)
                    if rej_fh is not None:
                        rej_fh.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    if log_fh is not None:
                        log_fh.write(_dumps({"file": name, "line": lineno, "reason": payload}) + "\n")
                    continue
                n_ok += 1
                if status == "drop":
                    if rej_fh is not None:
                        rej_fh.write(payload.encode() + b"\n")
                    continue
                sink.write(payload + "\n")
    except BrokenPipeError:  # downstream closed (e.g. `| head`): stop quietly
        sys.stderr.close()
        return 0
    except OSError as e:
        raise click.ClickException(str(e)) from e
    finally:
        if rej_fh is not None:
            rej_fh.close()
        if log_fh is not None:
            log_fh.close()
    sink.flush()
    if n_ok == 0 and n_err > 0:
        click.echo("newswinnow: no document could be read", err=True)
        return 1
    return 0


def _counted(items: Iterator[WorkItem], bar) -> Iterator[WorkItem]:
    for it in items:
        if bar is not None:
            bar.update(len(it[3]))
        yield it


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


def _common(f):
    """Options shared by classify and filter."""
    f = click.option("--rejects", type=click.Path(dir_okay=False, writable=True),
                     help="Write unreadable records here, verbatim; the run goes on.")(f)
    f = click.option("--model", type=click.Path(exists=True, dir_okay=False),
                     help="Model header (.json); default: the shipped model.")(f)
    f = click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
                     help="Worker processes; output order = input order.")(f)
    for opt, default in (("--url-field", "url"), ("--id-field", "id"), ("--html-field", "html"),
                         ("--text-field", "text")):
        f = click.option(opt, default=default, show_default=True)(f)
    f = click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)(f)
    f = click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswinnow")
def main() -> None:
    """Label the blocks of scraped news pages: editorial, comment, spam, boilerplate."""
    # Our matrices are small: BLAS threads only add contention (4-5x slower when another
    # process holds a core), so one thread per process; --jobs scales across processes.
    threadpool_limits(limits=1, user_api="blas")


@main.command()
@_common
@_limit_options
@click.option("--no-text", is_flag=True, help="Drop blocks[].text from the output.")
def classify(paths, fmt, text_field, html_field, id_field, url_field, jobs, model, rejects, no_text,
             page_limits=None, rejects_log=None):
    """Classify pages; one JSON result per document on stdout (JSONL)."""
    fields = Fields(text_field, html_field, id_field, url_field)
    opts = {"no_text": no_text, "limits": page_limits, "rejects_log": rejects_log}
    sys.exit(_run(paths, fmt, fields, jobs, model, rejects, "classify", opts, sys.stdout))


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
def filter_cmd(paths, fmt, text_field, html_field, id_field, url_field, jobs, model, rejects, keep,
               min_quality, max_mt, page_limits=None, rejects_log=None):
    """Pre-filter for pipelines: JSONL in, JSONL out with only the kept blocks' text."""
    fields = Fields(text_field, html_field, id_field, url_field)
    opts = {"keep": keep, "min_quality": min_quality, "max_mt": max_mt, "limits": page_limits,
            "rejects_log": rejects_log}
    sys.exit(_run(paths, fmt, fields, jobs, model, rejects, "filter", opts, sys.stdout))


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
@click.option("--model", type=click.Path(exists=True, dir_okay=False))
@click.option("--color/--no-color", default=None, help="Force colour on or off (default: if a terminal).")
def show(path, fmt, model, color):
    """A person's view of a page: each block tagged and coloured by its label."""
    try:
        clf = Classifier.load(model)
    except ModelError as e:
        raise click.ClickException(str(e)) from e
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
    """Retrain the model on labelled corpora (see `newswinnow train --help`)."""
    from training.train import main as train_main

    train_main.main(args=ctx.args, prog_name="newswinnow train", standalone_mode=True)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.pass_context
def evaluate(ctx):
    """Per-label precision/recall/F1 and confusion matrix on a labelled corpus."""
    from training.evaluate import main as eval_main

    eval_main.main(args=ctx.args, prog_name="newswinnow evaluate", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()
