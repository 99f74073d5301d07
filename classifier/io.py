"""Readers: paths, directories or stdin -> work items, one per document, in input order.

A work item is ``(name, lineno, kind, payload, id, url)``: ``kind`` is ``text``, ``html`` or
``jsonl`` (payload: the record's raw bytes, parsed later in the worker so a bad record can be
written to ``--rejects`` verbatim). ``id``/``url`` are set only where the container carries
them (WARC/WET records); otherwise the record or the file name supplies them. Nothing is
decoded or parsed here beyond what choosing the format needs, and every input is read as a
stream (gzip and zstd decompress on the fly; WARC files record by record), so memory stays
flat in the size of the input.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from features.charset import content_type_charset

from .parallel import BATCH_BYTES, BATCH_RECORDS

FORMATS = ("auto", "text", "html", "jsonl", "warc")
# Compression is recognised by its magic bytes, not by the file name (stdin works too).
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSED_EXT = (".gz", ".zst", ".zstd")
JSONL_EXT = (".jsonl", ".ndjson")
HTML_EXT = (".html", ".htm", ".xhtml")
TEXT_EXT = (".txt", ".text")
WARC_EXT = (".warc", ".wet", ".arc")
# Bytes looked at to guess the format of stdin or of a file with an unknown extension.
SNIFF_BYTES = 4096
# Read buffer of decompressing streams (bigger than io's 8 KiB default: fewer Python calls).
STREAM_BUFFER = 1 << 20
_HTML_HINTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<p>", b"<p ", b"<meta")
# Lines of a plain JSONL file per worker task with --jobs: one of the classifier's batches
# (``parallel.BATCH_RECORDS``), so a worker classifies the batches ``--jobs 1`` makes. Byte-sized
# ranges (~140 news pages at 512 KiB) were cut into three batches of ~47, and a 47-page batch
# cost ~4% more a page than one of 64 (the per-batch fixed cost).
RANGE_LINES = BATCH_RECORDS
# ... and at most this many bytes (a longer line makes a longer range): a batch's byte limit, so
# a task of long records (HTML) holds as many pages as one of --jobs 1's batches.
RANGE_BYTES = BATCH_BYTES
# ... and consecutive ranges are joined until a task holds at least this many bytes (a worker
# still classifies them in batches of ``BATCH_RECORDS``): each task costs the parent and the
# worker ~0.3-0.6 ms whatever its size, and 128 short records (tweets, comments; ~330 bytes
# each) make a task of ~42 KB. A batch of news pages (~3.5 KB each) is over it alone.
RANGE_MIN_BYTES = 128 << 10
# Read size of the parent's newline scan over a plain JSONL file.
RANGE_READ_BYTES = 1 << 20
_NEWLINE = ord("\n")
# WARC payloads worth classifying; anything else (images, PDFs, robots.txt...) is skipped.
WARC_HTML_TYPES = ("text/html", "application/xhtml+xml")
WARC_TEXT_TYPES = ("text/plain",)
# WARC record types read (the others are skipped), and those whose block is an HTTP message,
# which the fast reader leaves to warcio (``_warc_items``).
WARC_PLAIN_TYPES = (b"conversion", b"resource")
WARC_HTTP_TYPES = (b"response",)
# Read size of the fast WARC reader.
WARC_READ_BYTES = 1 << 20
_CRLF = b"\r\n"
_CR = ord("\r")
# Items of a stream between two reports of its read position to a progress callback (the
# position costs a system call; a bar needs no finer steps).
PROGRESS_EVERY = 64
# Directory walk: every file when no --glob is given.
DEFAULT_GLOB = "*"


class WorkItem(NamedTuple):
    """One document to classify, still as raw bytes."""

    name: str
    lineno: int
    kind: str
    payload: bytes
    id: str | None = None
    url: str | None = None
    error: str | None = None  # kind "error": why the rest of this input could not be read
    charset: str | None = None  # the transport's charset label (a WARC record's HTTP Content-Type)


# A progress callback: told each number of input bytes read.
Progress = Callable[[int], None]


class InputError(ValueError):
    """An input that cannot be read at all (missing optional dependency, unreadable stream)."""


def _decompressed(raw: BinaryIO) -> io.BufferedReader:
    """``raw`` as a buffered stream, decompressing gzip or zstd found by their magic bytes."""
    buf = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, STREAM_BUFFER)  # type: ignore[arg-type]
    head = buf.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        return io.BufferedReader(_gzip_reader(buf), STREAM_BUFFER)  # type: ignore[arg-type]
    if head.startswith(ZSTD_MAGIC):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(buf, read_across_frames=True)
        return io.BufferedReader(reader, STREAM_BUFFER)  # type: ignore[arg-type]
    return buf


def _gzip_reader(buf: io.BufferedReader) -> BinaryIO:
    """A gzip stream's decompressed bytes: through ISA-L where python-isal is installed (the
    ``gzip`` extra; 0.10 against 0.28 s of CPU for 58.7 MB of JSONL here, and with ``--jobs`` the
    parent decompresses while the workers classify), else through the standard library's zlib.
    The bytes are the same; so are the errors of a damaged stream, but for zlib's own
    (``_read_errors`` takes both)."""
    try:
        from isal import igzip
    except ImportError:
        import gzip  # here, not at the top: ~1 ms of every start, for .gz input only

        return gzip.GzipFile(fileobj=buf, mode="rb")  # type: ignore[return-value]
    return igzip.IGzipFile(fileobj=buf, mode="rb")  # type: ignore[return-value]


def _strip_compression(path: str) -> str:
    low = path.lower()
    for ext in COMPRESSED_EXT:
        if low.endswith(ext):
            return low[: -len(ext)]
    return low


def sniff(head: bytes) -> str:
    """Guess text / html / jsonl / warc from the first (decompressed) bytes."""
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if h.startswith(b"{"):
        return "jsonl"
    if h.startswith(b"WARC/"):
        return "warc"
    low = h[:SNIFF_BYTES].lower()
    if low.startswith(b"<") and any(x in low for x in _HTML_HINTS):
        return "html"
    return "text"


def format_for(path: str, fmt: str, head: bytes) -> str:
    """The format of one input: the explicit one, else by extension (under any .gz/.zst),
    else by content."""
    if fmt != "auto":
        return fmt
    low = _strip_compression(path)
    if low.endswith(JSONL_EXT):
        return "jsonl"
    if low.endswith(HTML_EXT):
        return "html"
    if low.endswith(WARC_EXT):
        return "warc"
    if low.endswith(TEXT_EXT):
        return "text"
    return sniff(head)


def expand_paths(paths: list[str], glob: str | None = None) -> list[tuple[str, str]]:
    """``(path, name)`` per input file: files as given, directories walked recursively (sorted,
    files matching ``glob``; hidden files and folders skipped). ``name`` is the file's name, or
    its path relative to the directory given, so ids stay unique across sub-folders. A matching
    symbolic link whose target is missing is kept, so that opening it reports it; folders that
    cannot be listed are left out here (``_expand`` reports them)."""
    return [(path, name) for path, name, error in _expand(paths, glob) if error is None]


def _expand(paths: list[str], glob: str | None = None) -> list[tuple[str, str, str | None]]:
    """``expand_paths`` with an entry ``(folder, name, reason)`` in sorted place for each folder
    of a walk that could not be listed (``reason`` is None for the files).

    Why: ``Path.rglob`` skips a folder it may not read without a word, and a broken link is not a
    file, so both used to lose their data silently with exit status 0. A folder given with no file
    to read in it is reported the same way: a mistyped ``--glob`` read nothing, without a word."""
    out: list[tuple[str, str, str | None]] = []
    for p in paths or ["-"]:
        if p == "-":
            out.append(("-", "<stdin>", None))
        elif os.path.isdir(p):
            root = Path(p)
            found: list[tuple[Path, str | None]] = [(f, None) for f in root.rglob(glob or DEFAULT_GLOB)]
            found += _unlistable(root)
            before = len(out)
            for f, error in sorted(found, key=lambda e: e[0]):
                rel = f.relative_to(root)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if error is not None:
                    out.append((str(f), rel.as_posix() if rel.parts else f.name, error))
                elif f.is_file() or (f.is_symlink() and not f.exists()):
                    out.append((str(f), rel.as_posix(), None))
            if len(out) == before:  # a folder given with nothing to read (a --glob that matches nothing?)
                out.append((p, root.name or p, f"no file matches {glob or DEFAULT_GLOB!r} in this folder"))
        else:
            out.append((p, os.path.basename(p), None))
    return out


def _unlistable(root: Path) -> list[tuple[Path, str]]:
    """The folders under ``root`` (itself included) whose listing failed, with the reason; the
    same walk as ``rglob``'s (symbolic links to folders are not followed)."""
    errors: list[tuple[Path, str]] = []

    def note(e: OSError) -> None:
        errors.append((Path(e.filename) if e.filename else root, f"cannot list folder ({e.strerror or e})"))

    for _ in os.walk(root, onerror=note):
        pass
    return errors


def _error_item(name: str, reason: str) -> WorkItem:
    """The one item that reports an input which could not be read at all."""
    return WorkItem(name, 0, "error", b"", error=reason)


def _warc_items(stream: BinaryIO, name: str) -> Iterator[WorkItem]:
    """One work item per HTML response (WARC) or text conversion (WET) record, streamed.

    Records without an HTTP message (WET's ``conversion``; ``resource``, ``warcinfo``,
    ``metadata``, ``request``...) are read here: a header block, then ``Content-Length`` bytes of
    the decompressed stream (a ``.warc.gz`` is one gzip member a record, joined by the reader).
    warcio spent ~58 us of Python a record on them: 0.93 s of CPU for the 15,955 records of a
    58.7 MB WET file, 17% of classifying them, all of it the parent's with ``--jobs``. From the
    first ``response`` record (HTTP headers, chunked or compressed bodies) or anything that is
    not a WARC header (an ARC file), the rest of the stream goes to warcio (``_warcio_items``)."""
    buf, pos, n = b"", 0, 0  # bytes read, the first one not consumed, records read
    at_end = False

    def more() -> bool:
        """Another block onto ``buf`` (indices into it stay valid); False at the stream's end."""
        nonlocal buf, at_end
        block = b"" if at_end else stream.read(WARC_READ_BYTES)
        if not block:
            at_end = True
            return False
        buf += block
        return True

    while True:
        if pos >= WARC_READ_BYTES:  # drop what is consumed, at a record boundary
            buf, pos = buf[pos:], 0
        while True:  # the blank lines between records
            while pos < len(buf) and buf[pos] in _CRLF:
                pos += 1
            if pos < len(buf) or not more():
                break
        if pos >= len(buf):
            return
        eol = buf.find(b"\n", pos)
        while eol < 0 and more():
            eol = buf.find(b"\n", pos)
        fields = None  # lines not ending in CRLF (some writers use a bare LF): warcio's to read
        if eol > pos and buf[eol - 1] == _CR:
            head_end = buf.find(b"\r\n\r\n", pos)
            while head_end < 0:
                searched = len(buf)
                if not more():
                    raise EOFError(f"truncated WARC header after record {n}")
                head_end = buf.find(b"\r\n\r\n", max(pos, searched - 3))
            fields = _warc_fields(buf[pos:head_end])
        rec_type = fields.get(b"warc-type", b"").lower() if fields is not None else b""
        if fields is None or rec_type in WARC_HTTP_TYPES:
            yield from _warcio_items(io.BufferedReader(_Prefixed(buf[pos:], stream), STREAM_BUFFER), name, n)
            return
        try:
            length = int(fields[b"content-length"])
        except (KeyError, ValueError):
            raise ValueError(f"WARC record {n + 1} has no valid Content-Length") from None
        body = head_end + 4
        while len(buf) < body + length:
            if not more():
                raise EOFError(f"truncated WARC record {n + 1}: {len(buf) - body} of {length} bytes")
        payload = buf[body: body + length]
        pos = body + length
        n += 1
        if rec_type not in WARC_PLAIN_TYPES:
            continue
        declared = _header_str(fields.get(b"content-type") or b"")
        ctype = _header_str(fields.get(b"warc-identified-payload-type") or b"") or declared
        ctype = ctype.split(";", 1)[0].strip().lower()
        kind = "html" if ctype in WARC_HTML_TYPES else "text" if ctype in WARC_TEXT_TYPES else None
        if kind is None or not payload.strip():
            continue
        rec_id, url = fields.get(b"warc-record-id"), fields.get(b"warc-target-uri")
        yield WorkItem(name, n, kind, payload, None if rec_id is None else _header_str(rec_id),
                       None if url is None else _header_str(url), charset=content_type_charset(declared))


def _warc_fields(block: bytes) -> dict[bytes, bytes] | None:
    """A WARC header block's fields (lower-case names; the first of a repeated one; folded lines
    joined), or None when its first line is not a WARC version line."""
    lines = block.split(b"\r\n")
    if not lines[0].startswith(b"WARC/"):
        return None
    fields: dict[bytes, bytes] = {}
    last = b""
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and last:  # a folded continuation of the field before
            fields[last] += b" " + line.strip()
            continue
        key, sep, value = line.partition(b":")
        if sep:
            last = key.strip().lower()
            if last not in fields:
                fields[last] = value.strip()
            else:
                last = b""
    return fields


def _header_str(value: bytes) -> str:
    """A header value as warcio gives it: UTF-8, else ISO-8859-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("iso-8859-1")


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``stream``: hands a stream read into a buffer to warcio."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head, self.stream = memoryview(head), stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if len(self.head):
            k = min(len(b), len(self.head))
            b[:k] = self.head[:k]
            self.head = self.head[k:]
            return k
        data = self.stream.read(len(b))
        b[: len(data)] = data
        return len(data)


def _warcio_items(stream: BinaryIO, name: str, before: int = 0) -> Iterator[WorkItem]:
    """``_warc_items`` through warcio, for records with an HTTP message and for ARC files;
    ``before``: records of the file already read (the numbering goes on from there)."""
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError as e:
        raise InputError(f"{name}: reading WARC/WET files needs warcio: pip install 'newswinnow[warc]'") from e
    for n, record in enumerate(ArchiveIterator(stream), before + 1):
        if record.rec_type not in ("response", "conversion", "resource"):
            continue
        headers = record.http_headers if record.http_headers is not None else record.rec_headers
        declared = headers.get_header("Content-Type") or ""
        ctype = record.rec_headers.get_header("WARC-Identified-Payload-Type") or declared
        ctype = ctype.split(";", 1)[0].strip().lower()
        if ctype in WARC_HTML_TYPES:
            kind = "html"
        elif ctype in WARC_TEXT_TYPES:
            kind = "text"
        else:
            continue
        payload = record.content_stream().read()
        if not payload.strip():
            continue
        yield WorkItem(name, n, kind, payload, record.rec_headers.get_header("WARC-Record-ID"),
                       record.rec_headers.get_header("WARC-Target-URI"), charset=content_type_charset(declared))


def _read_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "this input is damaged" (truncated gzip, bad zstd frame, bad WARC).
    Called only once something was raised: importing warcio costs ~0.1 s of every start-up."""
    errs: list[type[BaseException]] = [OSError, EOFError, ValueError, zlib.error]  # zlib: a corrupt deflate stream
    try:
        from isal import isal_zlib

        errs.append(isal_zlib.error)  # ISA-L's for the same (the ``gzip`` extra, ``_gzip_reader``)
    except ImportError:
        pass
    try:
        import zstandard

        errs.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover
        pass
    try:
        from warcio.recordloader import ArchiveLoadFailed

        errs.append(ArchiveLoadFailed)
    except ImportError:
        pass
    return tuple(errs)


def iter_items(paths: list[str], fmt: str = "auto", glob: str | None = None,
               progress: Progress | None = None) -> Iterator[WorkItem]:
    """Work items from each path (``-`` = stdin; a directory = its files matching ``glob``) in order.

    A damaged input (truncated or corrupt compression, a broken WARC record) ends that input
    with one ``error`` item, so the caller can report it; the other inputs are still read.
    """
    for path, name, error in _expand(paths, glob):
        if error is not None:
            yield _error_item(name, error)
        else:
            yield from _file_items(path, name, fmt, progress=progress)


def _file_items(path: str, name: str, fmt: str, chunked: tuple[int, int] | None = None,
                progress: Progress | None = None) -> Iterator[WorkItem | ChunkTask]:
    """The work items of one input file (or stdin), streamed; JSONL as ``ChunkTask`` pieces of at
    most ``chunked`` = (bytes, lines) when given. ``progress`` is told the file's bytes as they
    are read (compressed bytes for a compressed file, as ``input_size`` counts them)."""
    lineno = 0
    try:
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        yield _error_item(name, f"cannot open ({e.strerror or e})")
        return
    if path == "-":
        progress = None
    told = items = 0

    def tell(every: int = PROGRESS_EVERY) -> None:
        """Every ``every`` items: the bytes read from the file since the last report to
        ``progress`` (called only when there is one)."""
        nonlocal told, items
        items += 1
        if items % every == 0 and (pos := raw.tell()) > told:
            progress(pos - told)
            told = pos

    try:
        fh = _decompressed(raw)
        head = fh.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        kind = format_for("" if path == "-" else path, fmt, head)
        if kind == "jsonl" and chunked is not None:
            for chunk in _chunks(fh, name, *chunked):
                lineno = chunk.lineno + chunk.lines - 1
                yield chunk
                if progress is not None:
                    tell(1)  # a chunk is 128 KiB or more
        elif kind == "jsonl":
            for lineno, line in enumerate(fh, 1):  # noqa: B007 - lineno is reported on error
                if line.strip():
                    yield WorkItem(name, lineno, "jsonl", line.rstrip(b"\r\n"))
                    if progress is not None:  # no call a record when no bar is shown
                        tell()
        elif kind == "warc":
            for item in _warc_items(fh, name):
                lineno = item.lineno
                yield item
                if progress is not None:
                    tell()
        else:
            yield WorkItem(name, 1, kind, fh.read())
    except InputError:
        raise
    except _read_errors() as e:  # evaluated only when something was raised: no warcio import up front
        yield WorkItem(name, lineno + 1, "error", b"",
                       error=f"input damaged, rest of it skipped ({type(e).__name__}: {e})")
    finally:
        if path != "-":
            if progress is not None:  # the whole file, read or skipped, as input_size counted it
                with contextlib.suppress(OSError, ValueError):
                    if (rest := os.fstat(raw.fileno()).st_size - told) > 0:
                        progress(rest)
            raw.close()


class RangeTask(NamedTuple):
    """Lines ``[start, end)`` (bytes) of an uncompressed JSONL file, read by the worker itself,
    so that with ``--jobs`` the parent process does not read, copy or pickle the records."""

    path: str
    name: str
    start: int
    end: int
    lineno: int  # line number of the line starting at ``start``


class ChunkTask(NamedTuple):
    """Whole lines of a JSONL stream the workers cannot read themselves (a compressed file, stdin,
    a pipe), cut by the parent as a plain file's ranges are and sent as one bytes object: the
    parent does no work per record (it used to make, batch and pickle one work item per line)."""

    name: str
    lineno: int  # line number of the chunk's first line
    lines: int  # lines in the chunk (blank ones included)
    data: bytes


Task = RangeTask | ChunkTask


def iter_tasks(paths: list[str], fmt: str = "auto", glob: str | None = None, chunk_bytes: int | None = None,
               chunk_lines: int | None = None, progress: Progress | None = None) -> Iterator[WorkItem | Task]:
    """``iter_items``, except that JSONL comes as line-aligned pieces of ``chunk_lines`` lines and at
    most ``chunk_bytes`` bytes (``RANGE_LINES``, ``RANGE_BYTES``): ranges of a plain (regular,
    uncompressed) file, which the worker reads itself, and chunks of any other JSONL stream, bytes
    included (``task_items`` turns either into the same work items)."""
    chunk_bytes = chunk_bytes or RANGE_BYTES
    for path, name, error in _expand(paths, glob):
        if error is not None:
            yield _error_item(name, error)
        elif path != "-" and _is_plain_jsonl(path, fmt):
            for task in _ranges(path, name, chunk_bytes, chunk_lines):
                yield task
                if progress is not None and isinstance(task, RangeTask):
                    progress(task.end - task.start)
        else:
            yield from _file_items(path, name, fmt, (chunk_bytes, chunk_lines or RANGE_LINES), progress)


def _is_plain_jsonl(path: str, fmt: str) -> bool:
    """A regular file, not compressed, read as JSONL."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False  # _file_items reports it
    if head.startswith((GZIP_MAGIC, ZSTD_MAGIC)):
        return False
    return format_for(path, fmt, head) == "jsonl"


def _cuts(reads: Iterator[bytes], max_bytes: int, max_lines: int) -> Iterator[tuple[int, int, int, int]]:
    """Line-aligned pieces of a byte stream given as successive reads: ``(start, end, lineno,
    lines)``, ``max_lines`` lines each, fewer where ``max_bytes`` comes first (a single longer line
    is a piece of its own). Newlines are found with numpy, per read. Should a read fail, the
    whole lines before it come out as a last piece and the error goes on to the caller."""
    start = pos = 0  # the open piece's first byte; the stream offset of the next read
    lineno = 1  # line number of the open piece's first line
    count = 0  # newlines in the open piece so far
    last_nl = -1  # offset of the open piece's last newline (when count > 0)
    try:
        for buf in reads:
            nls = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == _NEWLINE) + pos
            pos += len(buf)
            i, n = 0, len(nls)
            while i < n:
                # The newline completing max_lines lines, and the last one within max_bytes.
                j = i + max_lines - count - 1
                k = int(np.searchsorted(nls, start + max_bytes)) - 1
                if k < i:  # the next newline is past the byte limit
                    if count:
                        end, lines = last_nl + 1, count
                    else:
                        end, lines, i = int(nls[i]) + 1, 1, i + 1
                elif j < n and j <= k:
                    end, lines, i = int(nls[j]) + 1, max_lines, j + 1
                elif k < n - 1:  # the byte limit comes first, within this read
                    end, lines, i = int(nls[k]) + 1, count + k - i + 1, k + 1
                else:  # every newline left in this read belongs to the open piece
                    count += n - i
                    last_nl = int(nls[n - 1])
                    break
                yield start, end, lineno, lines
                lineno += lines
                start, count = end, 0
    except Exception:
        if count:
            yield start, last_nl + 1, lineno, count
        raise
    if pos > start and count and pos - start > max_bytes:  # the unterminated last line breaks the byte limit
        yield start, last_nl + 1, lineno, count
        start, lineno = last_nl + 1, lineno + count
    if pos > start:
        yield start, pos, lineno, count + 1


def _joined(cuts: Iterator[tuple[int, int, int, int]], min_bytes: int,
            max_bytes: int) -> Iterator[tuple[int, int, int, int]]:
    """Consecutive pieces of ``_cuts`` joined while the open one is under ``min_bytes`` and the
    join stays within ``max_bytes`` (``RANGE_MIN_BYTES``); on a failed read, the open one first."""
    open_piece: tuple[int, int, int, int] | None = None
    try:
        for piece in cuts:
            if open_piece is None:
                open_piece = piece
            elif open_piece[1] - open_piece[0] < min_bytes and piece[1] - open_piece[0] <= max_bytes:
                open_piece = (open_piece[0], piece[1], open_piece[2], open_piece[3] + piece[3])
            else:
                yield open_piece
                open_piece = piece
    except Exception:  # a failed read (``_cuts``): what was read before it still goes out
        if open_piece is not None:
            yield open_piece
        raise
    if open_piece is not None:
        yield open_piece


def _pieces(reads: Iterator[bytes], max_bytes: int, max_lines: int) -> Iterator[tuple[int, int, int, int]]:
    """A task's worth of lines at a time: ``_cuts`` joined up to ``RANGE_MIN_BYTES`` (``_joined``)."""
    return _joined(_cuts(reads, max_bytes, max_lines), min(RANGE_MIN_BYTES, max_bytes), max_bytes)


def _ranges(path: str, name: str, max_bytes: int, max_lines: int | None = None) -> Iterator[WorkItem | RangeTask]:
    """Line-aligned ranges of ``path`` (``_cuts``). The file is read once here, only to find
    newlines, so the parent does no work per record."""
    lineno = 1
    try:
        with open(path, "rb", buffering=0) as fh:
            reads = iter(lambda: fh.read(RANGE_READ_BYTES), b"")
            for start, end, lineno, lines in _pieces(reads, max_bytes, max_lines or RANGE_LINES):
                yield RangeTask(path, name, start, end, lineno)
                lineno += lines
    except OSError as e:
        yield WorkItem(name, lineno, "error", b"", error=f"input damaged, rest of it skipped ({type(e).__name__}: {e})")


def _chunks(fh: io.BufferedReader, name: str, max_bytes: int, max_lines: int) -> Iterator[ChunkTask]:
    """``_cuts`` of a stream, each piece with its bytes. ``read1``: what the stream has, so a
    pipe's records are not held back waiting for a full read."""
    keep = bytearray()  # the stream's bytes from ``base`` on: the open piece and what follows
    base = 0

    def reads() -> Iterator[bytes]:
        while buf := fh.read1(RANGE_READ_BYTES):
            keep.extend(buf)
            yield buf

    for start, end, lineno, lines in _pieces(reads(), max_bytes, max_lines):
        yield ChunkTask(name, lineno, lines, bytes(keep[start - base: end - base]))
        del keep[: end - base]
        base = end


def range_items(task: RangeTask) -> list[WorkItem]:
    """The work items of one range: what ``iter_items`` yields for those lines."""
    try:
        with open(task.path, "rb", buffering=0) as fh:
            data = os.pread(fh.fileno(), task.end - task.start, task.start)
    except OSError as e:
        return [WorkItem(task.name, task.lineno, "error", b"",
                         error=f"input damaged, rest of it skipped ({type(e).__name__}: {e})")]
    return _line_items(task.name, task.lineno, data)


def task_items(task: Task) -> list[WorkItem]:
    """The work items of a range or a chunk: what ``iter_items`` yields for those lines."""
    if isinstance(task, ChunkTask):
        return _line_items(task.name, task.lineno, task.data)
    return range_items(task)


def _line_items(name: str, first: int, data: bytes) -> list[WorkItem]:
    """One JSONL work item per non-blank line of ``data``, whose first line is line ``first``."""
    return [WorkItem(name, first + i, "jsonl", line.rstrip(b"\r\n"))
            for i, line in enumerate(data.split(b"\n")) if line.strip()]


def input_size(paths: list[str], glob: str | None = None) -> int | None:
    """Total bytes of the input files (None for stdin), for the progress bar."""
    if not paths or "-" in paths:
        return None
    try:
        return sum(os.path.getsize(p) for p, _ in expand_paths(paths, glob) if os.path.isfile(p))
    except OSError:
        return None
