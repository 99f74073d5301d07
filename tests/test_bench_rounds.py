"""benchmarks/bench_text.py takes its systems' runs in rounds, so load drift hits every system alike."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import load_script

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_text.py"


def _bench_text():
    """Import the benchmark script as a module (it is not part of the package)."""
    return load_script(BENCH, "bench_text_under_test")


def test_runs_interleave_and_keep_the_best():
    bt = _bench_text()
    calls: list[str] = []

    def timer(name: str, times: list[float]):
        def run() -> float:
            calls.append(name)
            return times[len([c for c in calls if c == name]) - 1]
        return run

    plan = [("a", timer("a", [3.0, 1.0, 2.0]), 3), ("b", timer("b", [5.0, 4.0]), 2), ("c", timer("c", [7.0]), 1)]
    rows = bt.run_rounds(plan)
    # One run of each system per round; a system leaves once its repeats are done.
    assert calls == ["a", "b", "c", "a", "b", "a"]
    assert [(r.system, r.seconds, r.runs) for r in rows] == [("a", 1.0, 3), ("b", 4.0, 2), ("c", 7.0, 1)]
    assert [r.times for r in rows] == [[3.0, 1.0, 2.0], [5.0, 4.0], [7.0]]


def test_kernels_state_names_what_runs(monkeypatch):
    """The benchmark says whether its in-process figures had the compiled kernels (features.ext)."""
    from features import ext

    bt = _bench_text()
    monkeypatch.setenv(ext.PURE_ENV, "1")
    assert bt.kernels_state() == f"off ({ext.PURE_ENV} set)"
    monkeypatch.delenv(ext.PURE_ENV)
    built = ext.built()
    state = bt.kernels_state()
    assert state.startswith(f"{sum(built.values())} of {len(built)} built")
    assert ("missing" in state) == (not all(built.values()))


def test_floor_ratio_paired_by_round():
    """The paired ratio is the median of floor/system within each round, not a ratio of minima
    taken in different rounds (here: best-of gives 1/4 = 0.25, the rounds 0.4, 0.5, 0.6)."""
    bt = _bench_text()
    rows = [bt.Row("newswinnow in-process", 4.0, 3, times=[5.0, 4.0, 5.0]),
            bt.Row(bt.FLOOR_ROW, 1.0, 3, times=[2.0, 2.0, 3.0]),
            bt.Row("other", 1.0, 3, times=[1.0, 1.0, 1.0])]
    bt.fill_rates(rows, mb=10.0, n_pages=10)
    bt.paired_floor(rows, ["newswinnow in-process"])
    assert rows[0].vs_floor == 0.25
    assert rows[0].vs_floor_paired == 0.5
    assert rows[2].vs_floor_paired is None  # only the systems asked for
    assert "newswinnow in-process 0.500 (rounds 0.400-0.600)" in bt.paired_line(rows)
    assert "other" not in bt.paired_line(rows)
    # Without a floor row there is nothing to pair with.
    bt.paired_floor(rows[:1], ["newswinnow in-process"])
    assert rows[0].vs_floor_paired is None and bt.paired_line(rows[:1]) == ""


def _bench_jobs():
    return load_script(BENCH.parent / "bench_jobs.py", "bench_jobs_under_test")  # (it imports bench_text)


class _FakeProc:
    def __init__(self, out: str, code: int = 0) -> None:
        self.out, self.returncode = out, code

    def communicate(self):
        return self.out, None


def test_ceiling_spans_first_start_to_last_end(monkeypatch):
    """The reference job's parallel time runs from the first process's start of work to the last
    one's end; the ceiling is the serial span (``jobs`` units in one process) over it."""
    bj = _bench_jobs()
    assert bj._span([_FakeProc("10.0 14.0\n")]) == 4.0
    assert bj._span([_FakeProc("10.0 12.0\n"), _FakeProc("10.5 12.5\n")]) == 2.5
    # Two units in one process: 4 s; one unit in each of two: 100-102 and 100.2-102.2, so 2.2 s.
    late = iter(["100 102", "100.2 102.2"])
    calls = []

    def reference(units):
        calls.append(units)
        return _FakeProc("0 4" if units == 2 else next(late))

    monkeypatch.setattr(bj, "_reference", reference)
    assert abs(bj.ceiling_pair(2) - 4.0 / 2.2) < 1e-9
    assert calls == [2, 1, 1]


def test_ceiling_fails_loudly():
    bj = _bench_jobs()
    with pytest.raises(SystemExit):
        bj._span([_FakeProc("0 1", code=1)])


def test_shards_cut_at_line_boundaries(tmp_path):
    """The N shards hold the input's lines in order, each whole, in about equal bytes."""
    bj = _bench_jobs()
    lines = [f'{{"id": {i}, "text": "{"x" * (i % 7 * 10)}"}}\n'.encode() for i in range(101)]
    data = tmp_path / "pages.jsonl"
    data.write_bytes(b"".join(lines))
    for n in (1, 2, 3):
        shards = bj.write_shards(data, n)
        assert len(shards) == n
        parts = [p.read_bytes() for p in shards]
        assert b"".join(parts) == data.read_bytes()
        assert all(part.endswith(b"\n") for part in parts)
        assert max(map(len, parts)) - min(map(len, parts)) <= max(map(len, lines))


def test_shards_run_together(tmp_path):
    """The shards run at once (each waits for the other to have started: run one after the other,
    the first would give up and fail), the wall time is one span over both, and a failing one
    stops the benchmark."""
    bj = _bench_jobs()
    meet = ("import os, sys, time\n"
            "open(sys.argv[1], 'w').close()\n"
            "t = time.monotonic()\n"
            "while not os.path.exists(sys.argv[2]):\n"
            "    if time.monotonic() - t > 60: sys.exit(1)\n"
            "    time.sleep(0.01)\n")
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    res = bj.timed_together([[sys.executable, "-c", meet, a, b], [sys.executable, "-c", meet, b, a]],
                            [tmp_path / "a.out", None])
    assert res["wall"] > 0 and res["maxrss_mb"] > 0 and res["cpu"] >= 0
    with pytest.raises(SystemExit):
        bj.timed_together([[sys.executable, "-c", "pass"], [sys.executable, "-c", "raise SystemExit(3)"]],
                          [None, None])


@pytest.mark.parametrize("how", ["none", "gz", "zst"])
def test_packed_input_holds_the_same_bytes(tmp_path, how):
    """``--compress``: the commands read the same records, compressed as asked."""
    import gzip

    bj = _bench_jobs()
    data = tmp_path / "pages.jsonl"
    data.write_bytes(b"".join(b'{"text": "line %d"}\n' % i for i in range(500)))
    out = bj.packed(data, how)
    if how == "none":
        assert out == data
        return
    assert out.name == f"pages.jsonl.{how}" and out.stat().st_size < data.stat().st_size
    if how == "gz":
        assert gzip.decompress(out.read_bytes()) == data.read_bytes()
    else:
        zstandard = pytest.importorskip("zstandard")
        assert zstandard.ZstdDecompressor().decompressobj().decompress(out.read_bytes()) == data.read_bytes()


def test_wet_input_holds_the_same_pages(tmp_path):
    """``--wet``: each record a conversion record with its text, its id in the record id and the
    URL, read back alike by newswinnow's reader and by warcio."""
    import json

    from classifier.io import _warcio_items, iter_items

    bj = _bench_jobs()
    data = tmp_path / "pages.jsonl"
    recs = [{"id": f"c0-{i}", "text": f"Page {i}.\nSecond line, ü."} for i in range(30)]
    data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    out = bj.as_wet(data)
    assert out.name == "pages.warc.wet.gz"
    items = list(iter_items([str(out)]))
    assert [(it.id, it.url, it.payload.decode()) for it in items] == [
        (f"<urn:bench:{r['id']}>", f"http://bench.example/{r['id']}", r["text"]) for r in recs]
    pytest.importorskip("warcio")
    import gzip

    with gzip.open(out, "rb") as fh:
        assert list(_warcio_items(fh, out.name)) == items
