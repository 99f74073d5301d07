"""Worker processes: batches of records out, results back in input order.

Where the platform can fork (Linux), workers are forked from the process that already holds
the loaded classifier (its model, lexicon table and compiled patterns), so a worker starts in
milliseconds instead of re-importing and re-loading (about 0.6 s each), and the function is
inherited, not pickled. Elsewhere joblib's processes are used, and each worker gets the
classifier with its first batch. Either way the input is consumed lazily, a bounded number of
batches ahead, so memory stays flat in the size of the input.
"""

from __future__ import annotations

import collections
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


# Batches sent to one forked worker ahead of its results: the one it runs and the next, so it
# never waits for the parent between batches, and a slow batch holds back at most one other.
QUEUED_PER_WORKER = 2


class WorkerLost(RuntimeError):
    """A worker process ended without returning its batches (killed, e.g. by the out-of-memory
    killer): the results from that batch on are lost, so the run cannot go on."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (the ``__cause__`` of the re-raised one)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _worker_loop(fn: Callable[[list[Any]], list[Any]], tasks: Any, results: Any, parents_ends: list[Any]) -> None:
    """A forked worker: ``(seq, batch)`` in, ``(seq, ok, value)`` out, until ``None`` or the end
    of its task pipe (the parent is gone)."""
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's stop (terminate) ends us at once
    for conn in parents_ends:  # inherited by the fork; held here, they would hide the parent's death
        conn.close()
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        seq, batch = task
        try:
            message = (seq, True, fn(batch))
        except Exception as e:  # re-raised in the parent, at this batch's place in the output
            message = (seq, False, (e, traceback.format_exc()))
        try:
            results.send(message)
        except OSError:  # the parent is gone
            return
        except Exception as e:  # the result, or the exception, would not pickle
            what, tb = (e, traceback.format_exc()) if message[1] else message[2]
            try:
                results.send((seq, False, (RuntimeError(f"{type(what).__name__}: {what}"), tb)))
            except OSError:
                return


def _exit_reason(code: int | None) -> str:
    """How a worker ended, for ``WorkerLost``'s message."""
    import signal

    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (as the out-of-memory killer does)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"


def _forked_map(fn: Callable[[list[Any]], list[Any]], items: Iterable[Any], n_jobs: int,
                batch_size: int, size_of: Callable[[Any], int] | None = None) -> Iterator[Any]:
    """``ordered_map`` on forked workers, each with a pipe of its own for batches and one for results.

    Written for this job rather than ``multiprocessing.Pool``: a Pool waits forever for the batch
    of a worker that was killed (here: ``WorkerLost``), and its worker-handler thread wakes on
    every result that reaches the shared result pipe. A feeder thread reads the input and gives
    each batch to the worker with the fewest batches queued (at most ``QUEUED_PER_WORKER``; at
    most ``PREDISPATCH_PER_JOB * n_jobs`` batches between the input and the caller, so the input
    is read lazily), whose sender thread sends it; this generator reads the results as they come
    and yields them in input order."""
    import multiprocessing
    import queue
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    procs: list[Any] = []
    task_conns: list[Any] = []
    result_conns: list[Any] = []
    for _ in range(n_jobs):
        task_r, task_w = ctx.Pipe(duplex=False)
        result_r, result_w = ctx.Pipe(duplex=False)
        parents_ends = [task_w, result_r, *task_conns, *result_conns]
        proc = ctx.Process(target=_worker_loop, args=(fn, task_r, result_w, parents_ends), daemon=True)
        proc.start()
        task_r.close()  # the worker's ends, closed here so that its death breaks its pipes
        result_w.close()
        procs.append(proc)
        task_conns.append(task_w)
        result_conns.append(result_r)

    window = threading.BoundedSemaphore(PREDISPATCH_PER_JOB * n_jobs)
    room = threading.Condition()
    # Each worker's batches not yet answered, by number, in the order it runs them.
    sent: list[collections.deque] = [collections.deque() for _ in range(n_jobs)]
    alive = [True] * n_jobs

    def load(w: int) -> int:
        """Batches queued at worker ``w`` (a dead one counts as full: nothing more for it)."""
        return len(sent[w]) if alive[w] else QUEUED_PER_WORKER
    stop = threading.Event()
    feed_end: queue.SimpleQueue = queue.SimpleQueue()  # (batches sent, the input's error or None)
    wake_r, wake_w = ctx.Pipe(duplex=False)  # tells the loop below that feed_end has its entry

    outbox: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(n_jobs)]

    def send_to(w: int) -> None:
        """Worker ``w``'s sender thread: owns its task pipe. A send blocks until the worker reads
        (a batch of records is larger than a pipe's buffer), so each worker has its own sender,
        and a busy worker holds back no other's next batch."""
        conn = task_conns[w]
        try:
            while (task := outbox[w].get()) is not None:
                conn.send(task)
            conn.send(None)
        except OSError:  # the worker is gone: its sentinel tells the loop below, with its batches
            pass
        finally:
            conn.close()

    def feed() -> None:
        """The feeder thread: owns the input and ``wake_w``; assigns each batch to a worker."""
        seq = 0
        error: BaseException | None = None
        try:
            for batch in batched(items, batch_size, size_of):
                window.acquire()
                with room:
                    room.wait_for(lambda: stop.is_set() or min(map(load, range(n_jobs))) < QUEUED_PER_WORKER)
                    if stop.is_set():
                        return
                    w = min(range(n_jobs), key=load)
                    sent[w].append(seq)
                outbox[w].put((seq, batch))
                seq += 1
        except BaseException as e:  # the input's error: raised to the caller in order
            error = e
        finally:
            for box in outbox:
                box.put(None)
            feed_end.put((seq, error))
            with contextlib.suppress(OSError):
                wake_w.send_bytes(b"")
            wake_w.close()

    for w in range(n_jobs):
        threading.Thread(target=send_to, args=(w,), name=f"newswinnow-sender-{w}", daemon=True).start()
    threading.Thread(target=feed, name="newswinnow-feeder", daemon=True).start()
    from_conn = {conn: i for i, conn in enumerate(result_conns)}  # result pipes still open
    from_sentinel = {proc.sentinel: i for i, proc in enumerate(procs)}  # workers not yet seen ending
    feeding = True  # wake_r not yet read
    done: dict[int, tuple[bool, Any]] = {}
    next_seq = 0
    total: int | None = None
    input_error: BaseException | None = None
    lost: tuple[int, str] | None = None  # the first batch a dead worker took with it, and why
    finished = False

    def receive(i: int) -> bool:
        """One result from worker ``i``; False at the end of its pipe."""
        try:
            seq, ok, value = result_conns[i].recv()
        except EOFError:
            from_conn.pop(result_conns[i], None)
            return False
        done[seq] = (ok, value)
        with room:
            sent[i].remove(seq)
            room.notify()
        return True

    try:
        while True:
            if next_seq in done:
                ok, value = done.pop(next_seq)
                next_seq += 1
                window.release()
                if not ok:
                    exc, tb = value
                    raise exc from RemoteTraceback(tb)
                yield from value
                continue
            if lost is not None and next_seq == lost[0]:
                raise WorkerLost(lost[1])
            if total is not None and next_seq >= total:
                if input_error is not None:
                    raise input_error
                finished = True
                return
            for ready in wait([*from_conn, *from_sentinel, *([wake_r] if feeding else [])]):
                if ready is wake_r:
                    feeding = False
                    total, input_error = feed_end.get()
                elif ready in from_conn:
                    receive(from_conn[ready])
                elif ready in from_sentinel:  # the worker has ended
                    i = from_sentinel.pop(ready)
                    while result_conns[i] in from_conn and result_conns[i].poll() and receive(i):
                        pass  # what it sent before it ended
                    procs[i].join()
                    with room:
                        unfinished = sorted(sent[i])
                        alive[i] = False
                    if unfinished or procs[i].exitcode != 0:
                        # The results before its first unfinished batch are still yielded.
                        why = (f"worker process {procs[i].pid} {_exit_reason(procs[i].exitcode)} "
                               f"with {len(unfinished)} batch(es) unfinished")
                        first = unfinished[0] if unfinished else next_seq
                        if lost is None or first < lost[0]:
                            lost = (first, why)
    finally:
        stop.set()
        with room:
            room.notify_all()
        with contextlib.suppress(ValueError):  # wake a feeder waiting on the window
            for _ in range(PREDISPATCH_PER_JOB * n_jobs):
                window.release()
        for proc in procs:
            if not finished and proc.exitcode is None:
                proc.terminate()  # stopped early or failed: the workers' batches are not wanted
        for proc in procs:
            proc.join()
        for conn in (*result_conns, wake_r):
            conn.close()


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


def numbered_record_size(item: tuple[int, dict]) -> int:
    """``record_size`` of a ``(number, record)`` pair, the shape ``classify_or_reject`` takes."""
    return record_size(item[1])


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
    taken from the workers' cores. A worker writes each batch's output lines to a file in a
    private directory and sends back only its name; the parent copies the files to the sink in
    input order (``os.sendfile``: in the kernel).

    The files are slots used again: a copied file goes back to the workers with the next task
    the parent sends (``take_freed`` -> ``adopt``), and a worker overwrites one it was handed
    before it makes a new one. Creating, filling and deleting a file per batch cost ~0.3 ms of
    CPU a batch (~0.1 ms of it the parent's unlink: ext4 frees the file's pages and buffers),
    against ~0.07 ms to overwrite one whose pages are already there. The directory holds about
    as many files as there are batches in flight, until the run ends and removes it. Workers
    that do not outlive a batch (joblib's, where the platform cannot fork) could not keep what
    they were handed: with ``reuse`` false a copied file is deleted, as before.
    """

    def __init__(self, directory: str, reuse: bool = True) -> None:
        self.directory = directory
        self.reuse = reuse
        self._freed: collections.deque[str] = collections.deque()  # parent: copied, not yet handed back
        self._free: list[str] = []  # worker: slots it was handed and may overwrite

    def take_freed(self) -> list[str]:
        """Parent side (the feeder thread): the slots copied since the last call, for a worker."""
        out = []
        with contextlib.suppress(IndexError):
            while True:
                out.append(self._freed.popleft())
        return out

    def adopt(self, paths: list[str]) -> None:
        """Worker side: slots the parent has copied, this process's to overwrite."""
        self._free.extend(paths)

    def stash(self, out: list[tuple]) -> list[tuple]:
        """Worker side: ``("ok", line, None)`` entries -> one ``("spooled", path, n)`` entry first,
        the others (rejects, drops) kept in order. On a write error the lines stay in the result."""
        lines = [t[1] for t in out if t[0] == "ok"]
        if not lines:
            return out
        lines.append(b"")
        data = b"\n".join(lines)
        path = self._free.pop() if self._free else ""
        fd = -1
        try:
            if path:
                fd = os.open(path, os.O_WRONLY)
            else:
                fd, path = tempfile.mkstemp(dir=self.directory)  # unique across workers, however started
            done = 0
            while done < len(data):
                done += os.pwrite(fd, memoryview(data)[done:], done)
            os.ftruncate(fd, len(data))  # a used slot may have held a longer batch
        except OSError:
            if path:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return out
        finally:
            if fd >= 0:
                os.close(fd)
        return [("spooled", path, len(lines) - 1), *(t for t in out if t[0] != "ok")]

    def copy_to(self, path: str, sink: IO[bytes]) -> None:
        """Parent side: append a spooled file to ``sink``; the file is then a free slot (deleted
        without ``reuse``)."""
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
        if self.reuse:
            self._freed.append(path)
        else:
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
