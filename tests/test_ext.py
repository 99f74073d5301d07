"""The compiled kernels (features/ext.py) give their numpy twins' output, bit for bit.

Each kernel is called beside its numpy form on the same inputs, including the awkward ones
(empty pages, ties, -inf starts, end-state masks, mixed dtypes); and the whole pipeline's
JSON is compared with the kernels on and off (``NEWSWINNOW_PURE_PYTHON``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier import decode
from classifier.model import LABELS
from features import ext

ROOT = Path(__file__).resolve().parents[1]
PRIOR = np.full(len(LABELS), 1.0 / len(LABELS))
SEQUENCES = (
    ("boilerplate",) + ("editorial",) * 8 + ("boilerplate",) * 2 + ("comment", "comment", "boilerplate") * 4,
    ("editorial",) * 10 + ("boilerplate",),
    ("editorial",) * 6 + ("comment",) * 10 + ("spam",) + ("comment",) * 3,
    ("boilerplate",) * 2 + ("editorial",) * 5 + ("spam",) + ("editorial",) * 5 + ("boilerplate", "comment"),
)


def needs(name: str):
    """The compiled module, or skip (it is checked to be built in CI by the first test)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def test_ci_builds_every_kernel() -> None:
    """In CI every kernel must be built, or the tests below would skip and check nothing."""
    if not os.environ.get("CI"):
        pytest.skip("only in CI (a local install without a compiler runs on the numpy forms)")
    assert ext.built() == dict.fromkeys(ext.MODULES, True)


def test_pure_python_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ext.PURE_ENV, "1")
    assert ext.pure_python() and ext.load(ext.MODULES[0]) is None
    monkeypatch.setenv(ext.PURE_ENV, "0")
    assert not ext.pure_python()
    assert ext.load("classifier.no_such_kernel") is None


def _pages(rng: np.random.Generator, lengths: list[int], dtype=np.float64) -> list[np.ndarray]:
    out = []
    for n in lengths:
        z = rng.normal(size=(n, len(LABELS))) * 3
        p = np.exp(z)
        out.append((p / p.sum(axis=1, keepdims=True)).astype(dtype))
    return out


@pytest.mark.parametrize("post_thread", [True, False], ids=["eight_states", "seven_states"])
def test_viterbi_kernel_equals_numpy(post_thread: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    needs("classifier._viterbi")
    log_start, log_trans = decode.fit_transitions(SEQUENCES, post_thread=post_thread)
    k = decode.chain_size(log_start)
    rng = np.random.default_rng(11)
    probas = _pages(rng, [0, 1, 2, 5, 40, 3, 0, 300, 7, 1, 64, 65])
    # Ties everywhere: uniform rows (argmax must take the first maximum, as numpy does).
    probas += [np.full((6, len(LABELS)), 0.25), np.full((1, len(LABELS)), 0.25)]
    # Probabilities below MIN_PROBA and exactly zero (clipped before the log).
    hard = np.zeros((9, len(LABELS)))
    hard[np.arange(9), rng.integers(0, len(LABELS), 9)] = 1.0
    probas.append(hard)
    thread_start = np.full(k, -np.inf)
    thread_start[decode._STATE_INDEX[("comment", 1)]] = 0.0
    cases = [
        {"log_start": log_start, "end_states": None},
        {"log_start": log_start, "end_states": decode.ARTICLE_END},
        {"log_start": log_start, "end_states": decode.THREAD_END},
        {"log_start": thread_start, "end_states": None},  # -inf starts (viterbi_fixed_start's tails)
        {"log_start": thread_start, "end_states": decode.ARTICLE_END},  # no allowed path at all
    ]
    for case in cases:
        fs_c = np.full((len(probas), k), 7.0)
        got = decode._viterbi_chain(probas, PRIOR, case["log_start"], log_trans, case["end_states"], fs_c)
        monkeypatch.setattr(decode, "_VITERBI", None)
        fs_n = np.full((len(probas), k), 7.0)
        want = decode._viterbi_chain(probas, PRIOR, case["log_start"], log_trans, case["end_states"], fs_n)
        monkeypatch.undo()
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(fs_c, fs_n)  # bit for bit, -inf and untouched rows included


def test_viterbi_kernel_mixed_dtypes_and_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """float32 and float64 pages in one call (each page's log in its own precision), through
    viterbi_batch with the eight-state chain on furniture pages."""
    needs("classifier._viterbi")
    log_start, log_trans = decode.fit_transitions(SEQUENCES, post_thread=False)
    post = decode.fit_transitions(SEQUENCES, post_thread=True)
    rng = np.random.default_rng(5)
    probas = _pages(rng, [4, 30, 1], np.float32) + _pages(rng, [17, 0, 2], np.float64)
    fs_c = np.zeros((len(probas), decode.scores_width(log_start, post)))
    got = decode.viterbi_batch(probas, PRIOR, log_start, log_trans, final_scores=fs_c, post=post)
    monkeypatch.setattr(decode, "_VITERBI", None)
    fs_n = np.zeros_like(fs_c)
    want = decode.viterbi_batch(probas, PRIOR, log_start, log_trans, final_scores=fs_n, post=post)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fs_c, fs_n)


def _classify(paths: list[Path], pure: bool) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NEWSWINNOW_MODEL", None)
    env[ext.PURE_ENV] = "1" if pure else "0"
    p = subprocess.run([sys.executable, "-c", "from classifier.cli import main; main()", "classify",
                        *map(str, paths)], capture_output=True, cwd=ROOT, env=env, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def test_pipeline_output_is_the_same_with_and_without_kernels(shared_dir: Path) -> None:
    """Seeds and the bundled example through the CLI: the JSON is byte-identical either way."""
    if all(v is False for v in ext.built().values()):
        pytest.skip("no kernel is built")
    paths = sorted((shared_dir / "seeds").glob("*.txt")) + sorted((ROOT / "data" / "examples").glob("*.txt"))
    assert paths
    compiled, pure = _classify(paths, pure=False), _classify(paths, pure=True)
    assert compiled.count("\n") == len(paths)
    assert compiled == pure


def test_kernel_identity_script(shared_dir: Path) -> None:
    """benchmarks/kernel_identity.py (the maintainers' check over the bench pages) runs and finds
    no difference on a slice of them."""
    if not all(ext.built().values()):
        pytest.skip("not every kernel is built")
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "kernel_identity.py"), "--corpora",
                        str(shared_dir / "corpora"), "--limit", "40"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "pages: 40, differing: 0" in p.stdout
