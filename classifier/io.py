"""Readers: paths or stdin -> work items, one per document, in input order.

A work item is ``(name, lineno, kind, payload)``: ``kind`` is ``text``, ``html`` or ``jsonl``
(payload: the record's raw bytes, parsed later in the worker so a bad record can be written
to ``--rejects`` verbatim). Nothing is decoded or parsed here beyond what choosing the format
needs, so reading stays cheap and streaming.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

FORMATS = ("auto", "text", "html", "jsonl")
JSONL_EXT = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
HTML_EXT = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
# Bytes looked at to guess the format of stdin or of a file with an unknown extension.
SNIFF_BYTES = 4096
_HTML_HINTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<p>", b"<p ", b"<meta")

WorkItem = tuple[str, int, str, bytes]


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def sniff(head: bytes) -> str:
    """Guess text / html / jsonl from the first bytes."""
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if h.startswith(b"{"):
        return "jsonl"
    low = h[:SNIFF_BYTES].lower()
    if low.startswith(b"<") and any(x in low for x in _HTML_HINTS):
        return "html"
    return "text"


def format_for(path: str, fmt: str, head: bytes) -> str:
    """The format of one input: the explicit one, else by extension, else by content."""
    if fmt != "auto":
        return fmt
    low = path.lower()
    if low.endswith(JSONL_EXT):
        return "jsonl"
    if low.endswith(HTML_EXT):
        return "html"
    if low.endswith((".txt", ".txt.gz", ".text")):
        return "text"
    return sniff(head)


def iter_items(paths: list[str], fmt: str = "auto") -> Iterator[WorkItem]:
    """Work items from each path (``-`` = stdin) in order."""
    for path in paths or ["-"]:
        name = "<stdin>" if path == "-" else os.path.basename(path)
        fh = _open(path)
        try:
            buffered = fh if isinstance(fh, io.BufferedReader) else io.BufferedReader(fh)  # type: ignore[arg-type]
            head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
            kind = format_for(path, fmt, head)
            if kind == "jsonl":
                for lineno, line in enumerate(buffered, 1):
                    if line.strip():
                        yield name, lineno, "jsonl", line.rstrip(b"\r\n")
            else:
                yield name, 1, kind, buffered.read()
        finally:
            if path != "-":
                fh.close()


def input_size(paths: list[str]) -> int | None:
    """Total bytes of the input files (None for stdin), for the progress bar."""
    if not paths or "-" in paths:
        return None
    try:
        return sum(os.path.getsize(p) for p in paths)
    except OSError:
        return None
