"""Worker processes (classifier/parallel.py): input order, lazy input, errors, both back-ends."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from classifier import parallel


def _square_with_pid(batch: list[int]) -> list[tuple[int, int]]:
    return [(x * x, os.getpid()) for x in batch]


@pytest.mark.parametrize("forked", [True, False])
def test_results_in_input_order_from_several_workers(forked: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if forked and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    if not forked:  # the joblib back-end, as on platforms without fork
        monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    out = list(parallel.ordered_map(_square_with_pid, range(1000), n_jobs=2, batch_size=7))
    assert [v for v, _ in out] == [x * x for x in range(1000)]
    assert os.getpid() not in {pid for _, pid in out}  # the work ran in workers


def test_forked_workers_read_the_input_lazily() -> None:
    """At most PREDISPATCH_PER_JOB * n_jobs batches are in flight: the input is not read ahead."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    pulled = 0

    def items():
        nonlocal pulled
        for i in range(100_000):
            pulled += 1
            yield i

    gen = parallel.ordered_map(_square_with_pid, items(), n_jobs=2, batch_size=10)
    next(gen)
    limit = (parallel.PREDISPATCH_PER_JOB * 2 + 2) * 10
    assert pulled <= limit
    gen.close()


def _fail_on_13(batch: list[int]) -> list[int]:
    if 13 in batch:
        raise ValueError("bad record 13")
    return batch


def test_a_worker_error_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="bad record 13"):
        list(parallel.ordered_map(_fail_on_13, range(100), n_jobs=2, batch_size=5))


@pytest.mark.parametrize("sink_kind", ["file", "append", "bytesio"])
def test_spooled_batches_reach_the_sink_in_order(tmp_path, sink_kind: str) -> None:
    """Worker output through spool files: lines in order, rejects left in the result; sendfile
    where it works, a plain copy where it does not (O_APPEND, no descriptor). A copied file is
    handed back (``take_freed``) and, adopted by a worker, filled again in place: a shorter batch
    leaves nothing of the longer one it replaces, and no new file is made while one is free."""
    import io

    spool = parallel.Spool(str(tmp_path / "spool"))
    os.mkdir(spool.directory)
    batches = [[("ok", f"a{i}-{j}".encode() * (5 - i), None) for j in range(3)] for i in range(4)]
    batches[1].insert(1, ("err", "bad json", ("f", 2, "jsonl", b"{")))
    stashed = [spool.stash(b) for b in batches]
    assert stashed[1][0][0] == "spooled" and stashed[1][0][2] == 3 and stashed[1][1][0] == "err"
    files = [out[0][1] for out in stashed]
    assert sorted(os.listdir(spool.directory)) == sorted(os.path.basename(f) for f in files)
    sink_path = tmp_path / "out.jsonl"
    if sink_kind == "bytesio":
        sink = io.BytesIO()
    else:
        sink = open(sink_path, "ab" if sink_kind == "append" else "wb")  # noqa: SIM115
    sink.write(b"head\n")

    def copy(outs) -> None:
        for out in outs:
            for status, payload, _ in out:
                if status == "spooled":
                    spool.copy_to(payload, sink)

    copy(stashed)
    assert spool.take_freed() == files and spool.take_freed() == []
    spool.adopt(files[:2])  # a worker handed two of them: the next two batches go there
    again = [spool.stash([("ok", f"b{i}".encode(), None)]) for i in range(3)]
    assert {out[0][1] for out in again[:2]} == set(files[:2]) and again[2][0][1] not in files
    copy(again)
    sink.write(b"tail\n")
    sink.flush()
    data = sink.getvalue() if sink_kind == "bytesio" else sink_path.read_bytes()
    expected = (b"head\n" + b"".join(f"a{i}-{j}".encode() * (5 - i) + b"\n" for i in range(4) for j in range(3))
                + b"b0\nb1\nb2\ntail\n")
    assert data == expected
    assert len(os.listdir(spool.directory)) == 5  # four files and one more: the pool, not a file a batch


def test_spool_without_reuse_deletes_each_copied_file(tmp_path) -> None:
    """Where workers do not outlive a batch (joblib's), a copied spool file is deleted, not kept
    for a worker that could not remember it."""
    import io

    spool = parallel.Spool(str(tmp_path / "spool"), reuse=False)
    os.mkdir(spool.directory)
    sink = io.BytesIO()
    for i in range(3):
        ((status, path, n),) = spool.stash([("ok", f"line {i}".encode(), None)])
        spool.copy_to(path, sink)
        assert status == "spooled" and n == 1 and not os.path.exists(path)
    assert sink.getvalue() == b"line 0\nline 1\nline 2\n"
    assert spool.take_freed() == [] and os.listdir(spool.directory) == []


def test_spool_keeps_lines_in_the_result_when_it_cannot_write(tmp_path) -> None:
    spool = parallel.Spool(str(tmp_path / "missing"))
    out = [("ok", b"x", None), ("drop", b"y", None)]
    assert spool.stash(out) == out


def test_batches_are_cut_by_count_and_by_bytes() -> None:
    """``batched`` with ``size_of``: at most ``size`` items and ``max_bytes`` by it, an item larger
    than ``max_bytes`` alone, nothing lost or reordered; every batch is as full as both limits allow."""
    sizes = [5, 5, 5, 30, 1, 1, 1, 1, 1, 1, 12, 0, 9]
    out = list(parallel.batched(list(enumerate(sizes)), 4, lambda it: it[1], max_bytes=12))
    assert [i for b in out for i, _ in b] == list(range(len(sizes)))
    assert [[n for _, n in b] for b in out] == [[5, 5], [5], [30], [1, 1, 1, 1], [1, 1], [12, 0], [9]]
    for b, nxt in zip(out, out[1:]):  # the next item would have broken a limit
        assert len(b) == 4 or sum(n for _, n in b) + nxt[0][1] > 12
    assert list(parallel.batched(range(10), 4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_record_size_is_the_text_else_the_html() -> None:
    assert parallel.record_size({"text": "abc", "html": "<p>abcdef</p>"}) == 3
    assert parallel.record_size({"html": "<p>x</p>"}) == 8
    assert parallel.record_size({"body": "x" * 9}, "body") == 9
    assert parallel.record_size({"text": None, "html": b"<p>"}) == 3
    assert parallel.record_size({"text": 5}) == 0 and parallel.record_size("not a dict") == 0


def _needs_fork() -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")


def _new_children(before: set) -> set:
    """Child processes started since ``before`` and still running (joblib's test keeps its own)."""
    return set(multiprocessing.active_children()) - before


def _run_bounded(gen_fn, seconds: float = 60):
    """Run ``gen_fn()`` in a thread; fail instead of hanging the suite (the bug these tests guard)."""
    import threading

    box: dict = {}

    def target() -> None:
        try:
            box["value"] = gen_fn()
        except BaseException as e:  # noqa: B036 - handed to the test
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"ordered_map still running after {seconds} s"
    return box


def _killed_on_13(batch: list[int]) -> list[int]:
    import signal

    if 13 in batch:
        os.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does
    return batch


def test_a_killed_worker_ends_the_map_with_worker_lost() -> None:
    """multiprocessing.Pool waited forever for a killed worker's batch; the map must stop with
    WorkerLost after yielding every result before that batch, and leave no worker behind."""
    _needs_fork()
    before = set(multiprocessing.active_children())
    got: list[int] = []

    def consume() -> None:
        for x in parallel.ordered_map(_killed_on_13, range(200), n_jobs=2, batch_size=5):
            got.append(x)

    box = _run_bounded(consume)
    assert isinstance(box.get("error"), parallel.WorkerLost), box
    assert "SIGKILL" in str(box["error"])
    assert got == list(range(10))  # the batches before [10..14], in order, and nothing after
    assert _new_children(before) == set()


def test_an_input_error_comes_after_the_results_before_it() -> None:
    _needs_fork()
    before = set(multiprocessing.active_children())

    def items():
        yield from range(23)
        raise OSError("input damaged")

    got: list[int] = []

    def consume() -> None:
        for x in parallel.ordered_map(lambda b: b, items(), n_jobs=2, batch_size=5):
            got.append(x)

    box = _run_bounded(consume)
    assert isinstance(box.get("error"), OSError) and "input damaged" in str(box["error"])
    assert got == list(range(20))  # the four whole batches; the fifth was cut by the error
    assert _new_children(before) == set()


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot pickle this")


def _raise_unpicklable(batch: list[int]) -> list[int]:
    raise _Unpicklable("local state")


def test_a_worker_exception_that_cannot_be_pickled_still_reaches_the_caller() -> None:
    _needs_fork()
    box = _run_bounded(lambda: list(parallel.ordered_map(_raise_unpicklable, range(10), n_jobs=2, batch_size=5)))
    err = box.get("error")
    assert isinstance(err, RuntimeError) and "_Unpicklable: local state" in str(err), box
    assert isinstance(err.__cause__, parallel.RemoteTraceback) and "_raise_unpicklable" in str(err.__cause__)


def test_closing_the_map_early_stops_the_workers() -> None:
    _needs_fork()
    before = set(multiprocessing.active_children())
    gen = parallel.ordered_map(_square_with_pid, range(100_000), n_jobs=2, batch_size=10)
    pids = {pid for _, (_, pid) in zip(range(50), gen)}
    assert len(pids) >= 1 and os.getpid() not in pids
    gen.close()
    assert _new_children(before) == set()
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # ended and reaped
            os.kill(pid, 0)


@pytest.mark.parametrize("payload", [0, 1 << 20])
def test_batches_go_to_the_least_loaded_worker(payload: int) -> None:
    """One slow batch does not hold the batches behind it: the other worker takes them, and
    finishes them while the slow one runs, also when each batch is larger than a pipe's buffer
    (records read from stdin or text files: the batch queued behind the slow one cannot be sent
    until that worker reads it, which must not stop the other worker's batches)."""
    _needs_fork()
    QUEUED = parallel.QUEUED_PER_WORKER  # noqa: N806
    import time

    def work(batch: list[tuple[int, bytes]]) -> list[tuple[int, int, float]]:
        if batch[0][0] == 0:
            time.sleep(1.0)
        return [(x, os.getpid(), time.monotonic()) for x, _ in batch]

    out = list(parallel.ordered_map(work, ((i, b"x" * payload) for i in range(40)), n_jobs=2, batch_size=1))
    assert [x for x, _, _ in out] == list(range(40))
    slow, slow_end = out[0][1], out[0][2]
    # Batches 1-7 are given out while batch 0 runs (PREDISPATCH_PER_JOB * 2 in flight): at most
    # one of them waits behind it, queued before it was known to be slow ...
    assert sum(pid == slow for _, pid, _ in out[1:8]) <= QUEUED - 1
    # ... and the other worker has done the rest of them before it ends.
    assert all(t < slow_end for _, pid, t in out[1:8] if pid != slow)


def test_a_worker_killed_while_idle_ends_the_map_with_worker_lost() -> None:
    """A worker killed while it waits for work, with no batch of its own unfinished: WorkerLost
    too (its exit status tells), after the results before it; never an OSError from sending it
    the next batch, which a caller would take for its own output's broken pipe."""
    _needs_fork()
    import signal
    import threading

    before = set(multiprocessing.active_children())
    gate = threading.Event()

    def items():
        yield from range(10)
        gate.wait(60)
        yield from range(10, 20)

    gen = parallel.ordered_map(_square_with_pid, items(), n_jobs=2, batch_size=5)
    got = [next(gen) for _ in range(10)]
    workers = _new_children(before)
    assert len(workers) == 2
    for proc in workers:  # both: whichever the next batch goes to is dead
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    gate.set()
    box = _run_bounded(lambda: got.extend(gen))
    assert isinstance(box.get("error"), parallel.WorkerLost), box
    assert [v for v, _ in got] == [x * x for x in range(10)]
    assert _new_children(before) == set()


def test_cli_spool_reuses_files_only_with_forked_workers(monkeypatch) -> None:
    """The CLI's spool keeps copied files for its workers only where they are forked (and live as
    long as the run); with joblib's workers it deletes them."""
    import shutil

    from classifier import cli

    for methods, reuse in ((["fork", "spawn"], True), (["spawn"], False)):
        monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda m=methods: m)
        spool = cli._make_spool()
        try:
            assert spool is not None and spool.reuse is reuse
        finally:
            shutil.rmtree(spool.directory, ignore_errors=True)
