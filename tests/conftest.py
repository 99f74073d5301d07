"""Shared fixtures: a tiny, deterministic block model built in a temp dir (no trained model needed)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Sequence
from pathlib import Path

# The start-up table cache (features/tablecache.py) of this test run: a directory of its own,
# set before the package is imported and shared with every CLI subprocess; the user's cache is
# not touched, and the directory goes at the end.
TABLE_CACHE = tempfile.mkdtemp(prefix="newswinnow-test-cache-")
os.environ["NEWSWINNOW_CACHE_DIR"] = TABLE_CACHE
atexit.register(shutil.rmtree, TABLE_CACHE, True)

import numpy as np  # noqa: E402 - after the cache directory is set
import pytest  # noqa: E402

from classifier import decode  # noqa: E402
from classifier.api import Classifier  # noqa: E402
from classifier.model import LABELS, BlockModel  # noqa: E402
from features.extract import FEATURE_NAMES, SCHEMA_VERSION  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The console entry point, runnable without installing the package.
CLI_PREFIX = [sys.executable, "-c", "from classifier.cli import main; main()"]
HIDDEN = 8

# Hand-made gold label sequences for the transition table: articles, threads, furniture, spam.
GOLD_SEQUENCES: tuple[tuple[str, ...], ...] = (
    ("boilerplate", "editorial", "editorial", "editorial", "editorial", "boilerplate"),
    ("editorial",) * 6 + ("boilerplate",) + ("comment",) * 5,
    ("editorial", "editorial", "editorial", "comment", "comment", "spam", "comment", "boilerplate"),
    ("boilerplate", "boilerplate", "editorial", "editorial", "spam", "editorial", "boilerplate"),
    ("editorial",) * 8 + ("comment", "comment", "comment"),
)


def make_tiny_model(seed: int = 0, layers: int = 2) -> BlockModel:
    """A small seeded MLP over the real feature schema with transitions from ``GOLD_SEQUENCES``."""
    rng = np.random.default_rng(seed)
    n = len(FEATURE_NAMES)
    sizes = [n, HIDDEN, len(LABELS)] if layers == 2 else [n, len(LABELS)]
    weights = [rng.normal(0, 0.3, size=(a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 0.1, size=b).astype(np.float32) for b in sizes[1:]]
    log_start, log_trans = decode.fit_transitions(GOLD_SEQUENCES)
    return BlockModel(
        feature_names=FEATURE_NAMES, schema=SCHEMA_VERSION,
        mean=np.zeros(n, dtype=np.float32), scale=np.ones(n, dtype=np.float32),
        weights=weights, biases=biases, temperature=1.0,
        transitions=log_trans, start=log_start, prior=np.full(len(LABELS), 1.0 / len(LABELS)),
        meta={"version": "test"},
    )


def make_rigged_model() -> BlockModel:
    """A one-layer model with hand-set weights: opinion phrases -> comment, calls to action -> spam,
    furniture phrases -> boilerplate, everything else editorial (predictable labels for API tests)."""
    model = make_tiny_model(layers=1)
    w = np.zeros_like(model.weights[0])
    for feature, label in (("p_opinion_phrase", "comment"), ("p_call_to_action", "spam"),
                           ("p_boiler_phrase", "boilerplate")):
        w[FEATURE_NAMES.index(feature), LABELS.index(label)] = 6.0
    model.weights = [w]
    model.biases = [np.array([2.0, 0.0, 0.0, 0.0], dtype=np.float32)]
    return model


def save_tiny_model(directory: Path, stem: str = "m", rigged: bool = False, **kw) -> Path:
    """Save a tiny (or the rigged) model under ``directory``; return the path of its ``.json`` header."""
    (make_rigged_model() if rigged else make_tiny_model(**kw)).save(directory / stem)
    return directory / f"{stem}.json"


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Header path of a tiny model shared by the whole session (read-only)."""
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def clf(model_path: Path) -> Classifier:
    """A ``Classifier`` over the tiny model."""
    return Classifier.load(model_path)


@pytest.fixture(scope="session")
def rigged_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Header path of the rigged model (see ``make_rigged_model``)."""
    return save_tiny_model(tmp_path_factory.mktemp("rigged"), rigged=True)


@pytest.fixture(scope="session")
def rigged_clf(rigged_model_path: Path) -> Classifier:
    """A ``Classifier`` whose labels follow a few phrase features (see ``make_rigged_model``)."""
    return Classifier.load(rigged_model_path)


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``newswinnow ARGS`` in a subprocess (no terminal); bytes in, text out."""

    def run(args: Sequence[str], stdin: bytes | str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("NEWSWINNOW_MODEL", None)
        p = subprocess.run([*CLI_PREFIX, *map(str, args)], input=data if data is not None else b"",
                           capture_output=True, cwd=ROOT, env=env, timeout=timeout)
        return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode("utf-8"),
                                           p.stderr.decode("utf-8", "replace"))

    return run


@pytest.fixture
def tiny_model() -> Callable[..., BlockModel]:
    """Factory for fresh tiny models (``tiny_model(seed=1, layers=1)``)."""
    return make_tiny_model


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` (seeds, contract checker); tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


# The corpora the benchmark pages come from: ``../shared/corpora``, or ``$NEWSWINNOW_CORPORA``.
CORPORA = Path(os.environ.get("NEWSWINNOW_CORPORA", SHARED / "corpora"))


def load_script(path: Path, name: str) -> types.ModuleType:
    """Import a script that is not part of the package (``benchmarks/*.py``) as module ``name``.

    Registered in ``sys.modules`` (dataclasses look their module up there), with the script's
    folder on ``sys.path`` while it runs (the benchmark scripts import one another)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(folder)
    return mod


def bench_pages(limit: int | None = None) -> list:
    """benchmarks/bench_text.py's pages (BBC News + Dragnet gold text, its shuffled mix; the first
    ``limit``), for the compiled kernels' tests on real text; skips when the corpora are absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is not present")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_text
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return bench_text.load_pages(CORPORA, limit)[0]


def with_and_without(fn: Callable, monkeypatch: pytest.MonkeyPatch, handles: Sequence[tuple[object, str]], *args):
    """``fn(*args)`` with the compiled kernels, then with the kernel handles ``(module, name)``
    set to None (the numpy forms): the pair the kernels' tests compare."""
    got = fn(*args)
    for module, name in handles:
        monkeypatch.setattr(module, name, None)
    want = fn(*args)
    monkeypatch.undo()
    return got, want
