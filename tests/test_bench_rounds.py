"""benchmarks/bench_text.py takes its systems' runs in rounds, so load drift hits every system alike."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_text.py"


def _bench_text():
    """Import the benchmark script as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("bench_text_under_test", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


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
