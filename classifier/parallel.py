"""Worker processes: batches of records out, results back in input order.

Where the platform can fork (Linux), workers are forked from the process that already holds
the loaded classifier (its model, lexicon table and compiled patterns), so a worker starts in
milliseconds instead of re-importing and re-loading (about 0.6 s each), and the function is
inherited, not pickled. Elsewhere joblib's processes are used, and each worker gets the
classifier with its first batch. Either way the input is consumed lazily, a bounded number of
batches ahead, so memory stays flat in the size of the input.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

# Records per batch: the classifier runs its features, networks and decoding once per batch, and
# a batch pays ~1.75 ms of numpy calls whatever its size (~11% of a 64-page batch of news text).
# 128 pages took 4-7% less CPU than 64 on plain text (in process, the CLI with --jobs 1 and 2;
# alternated A/Bs, 2026-12-06, docs/speed.md session 25).
BATCH_RECORDS = 128
# ... and at most about this many bytes of input (a record's text or HTML; one larger record
# makes a batch alone): a batch of 128 HTML pages (~75 KB each) held 422 MB at its peak against
# 280 MB for 64. Plain news text (~3.5 KB a page) fills the 128 records first.
BATCH_BYTES = 2 << 20
# Batches dispatched ahead of the consumer, per worker.
PREDISPATCH_PER_JOB = 4


def batched(items: Iterable[Any], size: int, size_of: Callable[[Any], int] | None = None,
            max_bytes: int = BATCH_BYTES) -> Iterator[list[Any]]:
    """Yield lists of up to ``size`` items; given ``size_of``, also of at most ``max_bytes`` by it
    (an item larger than that makes a list alone), so a batch of long pages stays small."""
    if size_of is None:
        it = iter(items)
        while batch := list(islice(it, size)):
            yield batch
        return
    batch: list[Any] = []
    total = 0
    for item in items:
        n = size_of(item)
        if batch and (len(batch) >= size or total + n > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += n
    if batch:
        yield batch


def ordered_map(fn: Callable[[list[Any]], list[Any]], items: Iterable[Any], n_jobs: int,
                batch_size: int = BATCH_RECORDS, size_of: Callable[[Any], int] | None = None) -> Iterator[Any]:
    """Apply ``fn`` to batches of ``items`` in ``n_jobs`` processes; yield results in input order.
    Batches are cut as ``batched`` cuts them (``size_of``: an item's bytes)."""
    if n_jobs == 1:
        for batch in batched(items, batch_size, size_of):
            yield from fn(batch)
        return
    import multiprocessing  # here: ~15 ms of start-up (it imports socket) that --jobs 1 does not need

    if "fork" in multiprocessing.get_all_start_methods():
        yield from _forked_map(fn, items, n_jobs, batch_size, size_of)
        return
    from joblib import Parallel, delayed  # imported here: ~0.1 s of start-up a --jobs 1 run does not need

    par = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch=f"{PREDISPATCH_PER_JOB}*n_jobs",
                   batch_size=1)
    for out in par(delayed(fn)(b) for b in batched(items, batch_size, size_of)):
        yield from out


# The function forked workers run: set just before the pool forks, so each worker inherits it.
_FORKED_FN: Callable[[list[Any]], list[Any]] | None = None


def _run_forked(batch: list[Any]) -> list[Any]:
    assert _FORKED_FN is not None
    return _FORKED_FN(batch)


def _forked_map(fn: Callable[[list[Any]], list[Any]], items: Iterable[Any], n_jobs: int,
                batch_size: int, size_of: Callable[[Any], int] | None = None) -> Iterator[Any]:
    """``ordered_map`` on forked workers; at most ``PREDISPATCH_PER_JOB * n_jobs`` batches in flight
    (``Pool.imap`` alone would read the whole input ahead)."""
    global _FORKED_FN
    window = threading.BoundedSemaphore(PREDISPATCH_PER_JOB * n_jobs)
    stop = threading.Event()

    def gated() -> Iterator[list[Any]]:
        for batch in batched(items, batch_size, size_of):
            window.acquire()  # in the pool's feeder thread: waits while the window is full
            if stop.is_set():
                return
            yield batch

    import multiprocessing

    _FORKED_FN = fn
    pool = multiprocessing.get_context("fork").Pool(n_jobs)
    finished = False
    try:
        for out in pool.imap(_run_forked, gated()):
            window.release()
            yield from out
        finished = True
    finally:
        # The caller stopped early (closed pipe, an error): wake a feeder waiting on the window
        # so it sees ``stop`` and ends, then stop the workers.
        stop.set()
        while True:
            try:
                window.release()
            except ValueError:  # the window is open all the way
                break
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def _classify_batch(clf, batch: list[tuple[int, dict]], fields: tuple[str, str, str, str]) -> list:
    out = clf.classify_or_reject(batch, *fields)
    for (lineno, _), r in zip(batch, out):
        if isinstance(r, str):
            raise ValueError(f"record {lineno}: {r}")
    return out


def record_size(rec: object, text_field: str = "text", html_field: str = "html") -> int:
    """A record's length for ``BATCH_BYTES``: its text, else its HTML (characters or bytes)."""
    if not isinstance(rec, dict):
        return 0
    value = rec.get(text_field)
    if not isinstance(value, str | bytes):
        value = rec.get(html_field)
    return len(value) if isinstance(value, str | bytes) else 0


def parallel_map(clf, records: Iterable[dict], n_jobs: int, text_field: str, html_field: str,
                 id_field: str, url_field: str) -> Iterator:
    """``Classifier.classify_many`` with worker processes."""
    fields = (text_field, html_field, id_field, url_field)

    def work(batch: list[tuple[int, dict]]) -> list:
        return _classify_batch(clf, batch, fields)

    yield from ordered_map(work, ((i + 1, r) for i, r in enumerate(records)), n_jobs,
                           size_of=lambda item: record_size(item[1], text_field, html_field))


class Spool:
    """Workers' output lines through files instead of the result pipe.

    With ``--jobs``, the classified records (about twice the input's size) would otherwise be
    pickled by each worker, copied through a pipe and unpickled by the parent, whose CPU time is
    taken from the workers' cores. A worker writes each batch's output lines to a file of its own
    in a private directory and sends back only its name; the parent copies the files to the sink
    in input order (``os.sendfile``: in the kernel) and deletes them, so the directory holds only
    the batches in flight.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def stash(self, out: list[tuple]) -> list[tuple]:
        """Worker side: ``("ok", line, None)`` entries -> one ``("spooled", path, n)`` entry first,
        the others (rejects, drops) kept in order. On a write error the lines stay in the result."""
        lines = [t[1] for t in out if t[0] == "ok"]
        if not lines:
            return out
        path = ""
        try:
            fd, path = tempfile.mkstemp(dir=self.directory)  # unique across workers, however started
            with open(fd, "wb") as fh:
                fh.write(b"\n".join(lines))
                fh.write(b"\n")
        except OSError:
            if path:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return out
        return [("spooled", path, len(lines)), *(t for t in out if t[0] != "ok")]

    @staticmethod
    def copy_to(path: str, sink: IO[bytes]) -> None:
        """Parent side: append a spooled file to ``sink`` and delete it."""
        with open(path, "rb") as fh:
            sink.flush()
            try:
                out_fd = sink.fileno()
            except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
                out_fd = None
            done = _sendfile(out_fd, fh.fileno()) if out_fd is not None else 0
            if done is not None:  # sendfile unusable here (no descriptor, O_APPEND, a tty): copy
                fh.seek(done)
                shutil.copyfileobj(fh, sink, SPOOL_COPY_BUFFER)
        os.unlink(path)


# Read size when a spooled file is copied through Python (no usable ``sendfile``).
SPOOL_COPY_BUFFER = 1 << 20
_SENDFILE_UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF, errno.ENOTSOCK)


def _sendfile(out_fd: int, in_fd: int) -> int | None:
    """Copy all of ``in_fd`` to ``out_fd`` in the kernel; None when done, else the offset reached
    before ``sendfile`` turned out unusable (the caller copies the rest)."""
    size = os.fstat(in_fd).st_size
    offset = 0
    while offset < size:
        try:
            n = os.sendfile(out_fd, in_fd, offset, size - offset)
        except OSError as e:
            if e.errno in _SENDFILE_UNSUPPORTED:
                return offset
            raise
        if n == 0:
            return offset
        offset += n
    return None
