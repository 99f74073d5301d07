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
        monkeypatch.setattr(parallel.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
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
