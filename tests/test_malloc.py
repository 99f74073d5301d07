"""classifier/malloc.py: the allocator thresholds take effect, only where they should.

Each check runs in a fresh interpreter (the settings are process-wide and cannot be undone) and
reads glibc's own counters (``mallinfo2``): with the thresholds, an 8 MiB block comes from the
heap and stays there when freed; with glibc's defaults it is a separate ``mmap``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MALLOC_PY = ROOT / "classifier" / "malloc.py"
BLOCK = 8 << 20  # over glibc's 128 KiB default mmap threshold, under ours (32 MiB)

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the thresholds are glibc's")

# Loads malloc.py alone (not the package, whose imports would move glibc's dynamic thresholds),
# optionally tunes, then mallocs and frees one block and reports glibc's counters around it.
_PROBE = r"""
import ctypes, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("nw_malloc", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    print(json.dumps(None)); sys.exit()
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
tuned = [m.tune_malloc() for _ in range(int(sys.argv[2]))]
before = libc.mallinfo2()
p = libc.malloc(int(sys.argv[3]))
held = libc.mallinfo2()
libc.free(p)
after = libc.mallinfo2()
print(json.dumps({"tuned": tuned, "mmapped": held.hblks - before.hblks,
                  "heap_kept": after.arena - before.arena}))
"""


def _probe(calls: int, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "NEWSWINNOW_"))}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(MALLOC_PY), str(calls), str(BLOCK)],
                         capture_output=True, text=True, check=True, env={**clean, **env})
    result = json.loads(out.stdout)
    if result is None:
        pytest.skip("glibc without mallinfo2 (older than 2.33)")
    return result


def test_defaults_put_a_large_block_in_its_own_mapping() -> None:
    """The control: without the call, glibc maps the block (else the next test proves nothing)."""
    r = _probe(0)
    assert r["mmapped"] == 1
    assert r["heap_kept"] < BLOCK


def test_tuned_block_comes_from_the_heap_and_stays_there() -> None:
    r = _probe(2)
    assert r["tuned"] == [True, True]  # applied once, reported on every call
    assert r["mmapped"] == 0
    assert r["heap_kept"] >= BLOCK  # freed, but not trimmed: the next batch reuses it without faults


@pytest.mark.parametrize("env", [{"NEWSWINNOW_NO_MALLOC_TUNING": "1"}, {"MALLOC_ARENA_MAX": "2"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_opt_out_and_user_settings_leave_glibc_alone(env: dict[str, str]) -> None:
    r = _probe(1, **env)
    assert r["tuned"] == [False]
    assert r["mmapped"] == 1


def test_the_cli_tunes(tmp_path: Path) -> None:
    """``newswinnow`` applies the settings in its group callback, before any batch (and before
    ``--jobs`` forks its workers)."""
    page = tmp_path / "p.jsonl"
    page.write_text(json.dumps({"id": "a", "text": "A line of text.\nAnother line here."}) + "\n")
    code = ("import sys; from classifier import cli, malloc\n"
            "sys.argv = ['newswinnow', 'classify', sys.argv[1]]\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "print('APPLIED', malloc._applied, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "NEWSWINNOW_NO_"))}
    out = subprocess.run([sys.executable, "-c", code, str(page)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "APPLIED True" in out.stderr
    assert json.loads(out.stdout)["id"] == "a"


# The pipeline steps apply the settings only when asked (tune_malloc=True), in the worker, before
# the model loads. Run in fresh interpreters: ``_applied`` is process-wide.
_STEP = r"""
import sys
from classifier import malloc
tune = sys.argv[2] == "1"
if sys.argv[1] == "datatrove":
    try:
        from datatrove.data import Document
    except ImportError:
        print("SKIP"); sys.exit()
    from classifier.datatrove import NewswinnowFilter
    step = NewswinnowFilter(tune_malloc=tune)
    doc = Document(text="A line of text.\nAnother line here.", id="a")
    step.filter_batch([doc])
    assert "quality" in doc.metadata["newswinnow"], doc.metadata
else:
    try:
        import pandas as pd
    except ImportError:
        print("SKIP"); sys.exit()
    from classifier.spark import classify_partition
    (out,) = classify_partition(iter([pd.DataFrame({"id": ["a"], "text": ["A line of text.\nAnother line."]})]),
                                tune_malloc=tune)
    assert out["newswinnow"].iloc[0]["error"] is None
print("APPLIED", malloc._applied)
"""


@pytest.mark.parametrize("step", ["datatrove", "spark"])
def test_pipeline_steps_tune_only_when_asked(step: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "NEWSWINNOW_NO_"))}
    seen = []
    for flag in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", _STEP, step, flag], capture_output=True, text=True, env=env,
                             cwd=ROOT)
        assert out.returncode == 0, out.stderr
        if out.stdout.strip() == "SKIP":
            pytest.skip(f"the {step} extra is not installed")
        seen.append(out.stdout.strip())
    assert seen == ["APPLIED None", "APPLIED True"]
