"""Model files: JSON header + .npz arrays, checksum and schema checks, never unpickling."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from classifier.api import Classifier
from classifier.model import LABELS, BlockModel, ModelError
from features.extract import FEATURE_NAMES, SCHEMA_VERSION, extract
from features.text_schema import TEXT_SCHEMA_VERSION

TEXTS = ["Council approves bridge budget", "I think you are wrong!!", "Reply", "Home / News / Local",
         "Check out my channel www.spam.tk", "The vote was 7-2, officials said."]


def _load(header: Path) -> BlockModel:
    return BlockModel.load(header, expected_schema=SCHEMA_VERSION, expected_features=FEATURE_NAMES)


def _rewrite_header(header: Path, **changes) -> None:
    h = json.loads(header.read_text())
    h.update(changes)
    header.write_text(json.dumps(h))


@pytest.fixture
def saved(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> tuple[BlockModel, Path]:
    model = tiny_model()
    model.save(tmp_path / "m")
    return model, tmp_path / "m.json"


@pytest.mark.parametrize("layers", [1, 2])
def test_round_trip_identical_proba(tmp_path: Path, tiny_model: Callable[..., BlockModel],
                                    layers: int) -> None:
    model = tiny_model(seed=3, layers=layers)
    model.save(tmp_path / "m")
    assert (tmp_path / "m.json").exists() and (tmp_path / "m.npz").exists()
    loaded = _load(tmp_path / "m.json")
    X = extract(TEXTS).X
    assert np.array_equal(model.predict_proba(X), loaded.predict_proba(X))
    assert loaded.feature_names == FEATURE_NAMES
    assert loaded.schema == SCHEMA_VERSION
    assert np.array_equal(loaded.transitions, model.transitions)
    assert np.array_equal(loaded.start, model.start)
    assert loaded.sha256 == model.sha256 == hashlib.sha256((tmp_path / "m.npz").read_bytes()).hexdigest()
    assert loaded.sha256[:16] in loaded.name


def test_load_by_stem_and_classifier(saved: tuple[BlockModel, Path]) -> None:
    model, header = saved
    by_stem = BlockModel.load(header.with_suffix(""))
    assert by_stem.sha256 == model.sha256
    assert Classifier.load(header).model.sha256 == model.sha256


def test_proba_rows_sum_to_one(saved: tuple[BlockModel, Path]) -> None:
    model, _ = saved
    X = extract(TEXTS).X
    P = model.predict_proba(X)
    assert P.shape == (len(TEXTS), len(LABELS))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (P >= 0).all() and (P <= 1).all()
    assert model.predict_proba(X[:0]).shape == (0, len(LABELS))


def test_extreme_inputs_stay_finite(saved: tuple[BlockModel, Path]) -> None:
    model, _ = saved
    X = np.full((2, len(FEATURE_NAMES)), 1e30, dtype=np.float32)
    X[1] = np.nan
    P = model.predict_proba(X)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)


def test_tampered_arrays_fail_checksum(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    npz = header.with_suffix(".npz")
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(ModelError) as exc:
        _load(header)
    assert "checksum" in str(exc.value)
    assert "m.npz" in str(exc.value)


def test_truncated_arrays_fail_checksum(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    npz = header.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:100])
    with pytest.raises(ModelError, match="checksum"):
        _load(header)


def test_missing_arrays_file(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    header.with_suffix(".npz").unlink()
    with pytest.raises(ModelError, match="m.npz"):
        _load(header)


def test_missing_header(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nothere.json"):
        _load(tmp_path / "nothere.json")


def test_truncated_header(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    text = header.read_text()
    header.write_text(text[: len(text) // 2])
    with pytest.raises(ModelError) as exc:
        _load(header)
    assert "m.json" in str(exc.value)


@pytest.mark.parametrize("content", ["[1, 2, 3]", '{"format": "something-else"}', "\x00\x01binary", ""])
def test_not_a_model_header(saved: tuple[BlockModel, Path], content: str) -> None:
    _, header = saved
    header.write_text(content)
    with pytest.raises(ModelError, match="m.json"):
        _load(header)


def test_wrong_schema_names_expected_schema(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    _rewrite_header(header, schema="text-0")
    with pytest.raises(ModelError) as exc:
        _load(header)
    msg = str(exc.value)
    assert SCHEMA_VERSION in msg and "text-0" in msg and "m.json" in msg


def test_wrong_schema_via_classifier(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    _rewrite_header(header, schema="text-0")
    with pytest.raises(ModelError, match=TEXT_SCHEMA_VERSION):  # the current text schema
        Classifier.load(header)


def test_feature_names_mismatch(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    h = json.loads(header.read_text())
    h["feature_names"] = list(reversed(h["feature_names"]))
    header.write_text(json.dumps(h))
    with pytest.raises(ModelError, match="feature names"):
        _load(header)


def test_wrong_format_version_and_labels(saved: tuple[BlockModel, Path]) -> None:
    _, header = saved
    original = header.read_text()
    _rewrite_header(header, format_version=99)
    with pytest.raises(ModelError, match="version"):
        _load(header)
    header.write_text(original)
    _rewrite_header(header, labels=["a", "b", "c", "d"])
    with pytest.raises(ModelError, match="labels"):
        _load(header)


@pytest.mark.parametrize("n_layers", [0, 1, 3, -1, "two"])
def test_header_layer_count_mismatch(saved: tuple[BlockModel, Path], n_layers) -> None:
    """The header is not covered by the checksum: a wrong layer count must still be a ModelError."""
    _, header = saved
    _rewrite_header(header, n_layers=n_layers)
    with pytest.raises(ModelError, match="m.npz|m.json"):
        _load(header)


def _write_npz_with_header(header: Path, arrays: dict[str, np.ndarray]) -> None:
    npz = header.with_suffix(".npz")
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)
    _rewrite_header(header, arrays_sha256=hashlib.sha256(npz.read_bytes()).hexdigest())


class _Boom:
    """Unpickling this object would create a marker file (it must never happen)."""

    marker: Path

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled!"))


def test_pickled_object_array_is_never_unpickled(saved: tuple[BlockModel, Path], tmp_path: Path) -> None:
    model, header = saved
    marker = tmp_path / "pwned"
    boom = _Boom()
    boom.marker = marker
    evil = np.empty(1, dtype=object)
    evil[0] = boom
    # Sanity: a pickling load of this object would indeed run code.
    assert b"write_text" in pickle.dumps(evil)
    arrays = {"mean": evil, "scale": model.scale, "w0": model.weights[0], "b0": model.biases[0],
              "w1": model.weights[1], "b1": model.biases[1]}
    _write_npz_with_header(header, arrays)
    with pytest.raises(ModelError) as exc:
        _load(header)
    assert "m.npz" in str(exc.value)
    assert not marker.exists()


def test_wrong_array_shapes(saved: tuple[BlockModel, Path]) -> None:
    model, header = saved
    arrays = {"mean": model.mean[:-1], "scale": model.scale[:-1], "w0": model.weights[0][:-1],
              "b0": model.biases[0], "w1": model.weights[1], "b1": model.biases[1]}
    _write_npz_with_header(header, arrays)
    with pytest.raises(ModelError, match="shapes"):
        _load(header)


def test_missing_array(saved: tuple[BlockModel, Path]) -> None:
    model, header = saved
    arrays = {"mean": model.mean, "scale": model.scale, "w0": model.weights[0], "b0": model.biases[0]}
    _write_npz_with_header(header, arrays)
    with pytest.raises(ModelError, match="missing array"):
        _load(header)


def test_inconsistent_layer_shapes(saved: tuple[BlockModel, Path]) -> None:
    """Layer shapes that do not chain (or a scale of the wrong size) fail at load, not at predict."""
    model, header = saved
    arrays = {"mean": model.mean, "scale": model.scale, "w0": model.weights[0], "b0": model.biases[0],
              "w1": np.zeros((model.weights[1].shape[0] + 1, 4), dtype=np.float32), "b1": model.biases[1]}
    _write_npz_with_header(header, arrays)
    with pytest.raises(ModelError, match="shapes"):
        _load(header)
    arrays.update(w1=model.weights[1], scale=model.scale[:3])
    _write_npz_with_header(header, arrays)
    with pytest.raises(ModelError, match="shapes"):
        _load(header)


def test_ensemble_round_trip_and_mean_of_logits(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    """An ensemble file keeps every network; its logits are the mean of the networks' logits."""
    a, b, c = tiny_model(seed=1), tiny_model(seed=2), tiny_model(seed=3)
    ens = tiny_model(seed=1)
    ens.members = [(b.weights, b.biases), (c.weights, c.biases)]
    ens.save(tmp_path / "e")
    loaded = _load(tmp_path / "e.json")
    assert len(loaded.members) == 2
    X = extract(TEXTS).X
    want = (a.logits(X) + b.logits(X) + c.logits(X)) / 3
    np.testing.assert_allclose(loaded.logits(X), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(loaded.predict_proba(X).sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("members", [0, -1, 17, "3", True])
def test_bad_ensemble_size_in_header(saved: tuple[BlockModel, Path], members) -> None:
    _, header = saved
    h = json.loads(header.read_text())
    h["members"] = members
    header.write_text(json.dumps(h))
    with pytest.raises(ModelError, match="ensemble size"):
        _load(header)


def test_ensemble_member_missing_or_misshapen(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    ens = tiny_model(seed=1)
    other = tiny_model(seed=2, layers=1)  # one layer: shapes differ from the two-layer primary
    ens.members = [(other.weights, other.biases)]
    ens.save(tmp_path / "e")
    with pytest.raises(ModelError):
        _load(tmp_path / "e.json")
    h = json.loads((tmp_path / "e.json").read_text())
    h["members"] = 3  # claims a network the arrays file does not hold
    (tmp_path / "e.json").write_text(json.dumps(h))
    with pytest.raises(ModelError, match="missing array|shapes"):
        _load(tmp_path / "e.json")


def test_subnormal_weights_are_flushed_on_load_with_the_same_proba(
        tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    """A decayed first-layer row (subnormal floats, slow on every CPU path) loads as zeros; the
    probabilities do not move."""
    model = tiny_model(seed=5, layers=2)
    model.weights[0][3, :] = np.float32(1e-40)  # subnormal in float32
    model.save(tmp_path / "m")
    loaded = _load(tmp_path / "m.json")
    assert not np.any((loaded.weights[0] != 0) & (np.abs(loaded.weights[0]) < np.finfo(np.float32).tiny))
    assert np.all(loaded.weights[0][3, :] == 0) and np.any(model.weights[0][3, :] != 0)
    X = extract(TEXTS).X
    assert np.array_equal(model.predict_proba(X), loaded.predict_proba(X))
    assert loaded.sha256 == hashlib.sha256((tmp_path / "m.npz").read_bytes()).hexdigest()


def _pages_alone_and_batched(model, X: np.ndarray, cuts: list[int]) -> None:
    starts = np.array(cuts[:-1])
    batched = model.logits(X, starts)
    for a, b in zip(cuts[:-1], cuts[1:]):
        np.testing.assert_array_equal(model.logits(X[a:b]), batched[a:b])


@pytest.mark.parametrize("times", [None, 4, 5])
def test_shipped_model_pages_do_not_depend_on_the_batch(times: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's logits are the same bit for bit alone or at any position of a batch of pages.
    BLAS picks kernels by shape, so without fixed-shape products (LOGIT_ROWS) single rows and
    tail rows rounded differently (4th-decimal differences on 0.6% of bench pages); and some
    kernels round a row by its position in the tile (period 12 on an AMD EPYC VM), so each row
    sits at a residue modulo ``row_period`` fixed by its page alone (``_slots``). With the period
    forced to ``times`` the probed one
    (still a multiple of it), the placement itself is checked on any CPU, also where the
    probed period is 1 (a wrong row mapping shows up as wrong rows)."""
    from classifier import model as model_module
    from classifier.api import Classifier

    model = Classifier.load().model
    if times is not None:
        forced = times * model_module.row_period(model._shapes())
        monkeypatch.setattr(model_module, "row_period", lambda shapes: forced)
    rng = np.random.default_rng(5)
    n_features = len(model.feature_names)
    X = (rng.normal(size=(700, n_features)) * model.scale + model.mean).astype(np.float32)
    _pages_alone_and_batched(model, X, [0, 1, 6, 10, 47, 47, 100, 357, 699, 700])
    _pages_alone_and_batched(model, X, [0, 250, 700])
    for shift in (1, 7, 129):
        shifted = np.concatenate([X[:shift] * 0.5, X])
        np.testing.assert_array_equal(model.logits(shifted, np.array([0, shift]))[shift:], model.logits(X))


@pytest.mark.parametrize("period", [2, 12, 240])
def test_slots_fix_each_row_by_its_page_and_waste_little(period: int) -> None:
    """Every row gets its own slot, at residue (k + offset) mod period (k: its index in its page,
    offset: its page's, from ``_page_offsets``), whatever the other pages; and on 64 pages of 0-79
    rows the buffer is only a few rows larger than the input, far fewer than padding each page to
    whole periods."""
    from classifier.model import _page_offsets, _slots

    rng = np.random.default_rng(period)
    lengths = rng.integers(0, 80, size=64)
    X = rng.normal(size=(int(lengths.sum()), 3)).astype(np.float32)
    offsets = _page_offsets(X, lengths, period)
    assert offsets.shape == lengths.shape and int(offsets.max()) < period
    dest, rows = _slots(lengths, period, offsets)
    n = int(lengths.sum())
    assert len(np.unique(dest)) == n and dest.max() < rows
    k = np.concatenate([np.arange(L) for L in lengths])
    assert np.array_equal(dest % period, (k + np.repeat(offsets, lengths)) % period)
    if period <= 12:  # against padding each page to whole periods
        padded = int((-(-lengths // period) * period).sum())
        assert rows - n <= 0.75 * (padded - n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_page_offsets_follow_the_page_alone(dtype) -> None:
    """A page's offset is the same whatever pages (and empty pages) surround it, and pages of
    equal length but other content get spread over the residues (offsets from the length alone
    stacked the short pages of a batch on the same residues: 18% more rows on the bench pages)."""
    from classifier.model import _page_offsets

    rng = np.random.default_rng(3)
    page = rng.normal(size=(6, 4)).astype(dtype)
    alone = _page_offsets(page, np.array([6]), 12)
    for before in (0, 1, 5, 13):
        X = np.concatenate([rng.normal(size=(before, 4)).astype(dtype), page, rng.normal(size=(7, 4)).astype(dtype)])
        lengths = np.array([before, 0, 6, 0, 7])
        assert _page_offsets(X, lengths, 12)[2] == alone[0]
    same_length = rng.normal(size=(6 * 200, 4)).astype(dtype)
    offsets = _page_offsets(same_length, np.full(200, 6), 12)
    assert np.bincount(offsets, minlength=12).max() < 40  # 200 / 12 ~ 17 each


def test_tail_chunks_give_the_rows_of_whole_chunks() -> None:
    """The rows after the last whole chunk go through ``tail_rows``-row chunks; every row's logits
    are those it gets inside whole LOGIT_ROWS chunks (the probe's promise, on the shipped
    networks and real shapes: 1, 47, 240 + 5 and 2 x 240 + 100 rows)."""
    from classifier.api import Classifier
    from classifier.model import LOGIT_ROWS, _chunks, row_period, tail_rows

    model = Classifier.load().model
    period = row_period(model._shapes())
    tail = tail_rows(model._shapes(), period)
    assert tail % period == 0 and tail <= LOGIT_ROWS
    chunks, padded = _chunks(2 * LOGIT_ROWS + 100, tail)
    assert chunks[:2] == [(0, LOGIT_ROWS), (LOGIT_ROWS, LOGIT_ROWS)]
    assert all(size == tail for _, size in chunks[2:]) and padded - (2 * LOGIT_ROWS + 100) < tail
    assert [a for a, _ in chunks] == sorted({a for a, _ in chunks}) and chunks[-1][0] + tail == padded
    rng = np.random.default_rng(4)
    X = (rng.normal(size=(3 * LOGIT_ROWS, len(model.feature_names))) * model.scale + model.mean).astype(np.float32)
    whole = model._forward(X, None)  # three whole chunks, no tail
    for n in (1, 47, LOGIT_ROWS + 5, 2 * LOGIT_ROWS + 100):
        # the first n rows: whole chunks, then the rest through tail chunks, at the same positions
        np.testing.assert_array_equal(model._forward(X[:n], None), whole[:n])


def test_probed_row_period_holds_for_the_shipped_networks() -> None:
    """The probed period holds for the shipped networks: rows shifted by whole periods (inside a
    chunk and across chunk boundaries) give the same logits as at position 0."""
    from classifier.api import Classifier
    from classifier.model import LOGIT_ROWS, ROW_PERIODS, row_period

    model = Classifier.load().model
    period = row_period(model._shapes())
    assert period in ROW_PERIODS and LOGIT_ROWS % period == 0
    rng = np.random.default_rng(8)
    X = (rng.normal(size=(300, len(model.feature_names))) * model.scale + model.mean).astype(np.float32)
    base = model._forward(X, None)  # rows in order: the kernel's own behaviour
    for k in (1, 2, 7, 19):
        shift = k * period
        padded = np.concatenate([np.zeros((shift, X.shape[1]), np.float32) + model.mean, X])
        np.testing.assert_array_equal(model._forward(padded, None)[shift:], base)


def test_page_output_same_alone_and_in_a_batch() -> None:
    """The JSON of a page does not depend on the pages classified with it (guards the feature
    pass too: a batch-wide float prefix sum or statistic would break it)."""
    from classifier.api import Classifier

    clf = Classifier.load()
    text = (Path(__file__).resolve().parents[1] / "data" / "examples" / "harbour_bridge.txt").read_text()
    lines = text.splitlines()
    rng = np.random.default_rng(2)
    others = [{"id": f"o{i}", "text": "\n".join(rng.permutation(lines)[: 5 + 7 * i])} for i in range(12)]
    page = {"id": "p", "text": text}
    alone = next(iter(clf.classify_many([page]))).to_json()
    for pos in (0, 5, 12):
        batch = others[:pos] + [page] + others[pos:]
        assert list(clf.classify_many(batch))[pos].to_json() == alone


def test_tail_probe_refuses_sizes_that_round_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tail_rows`` takes a tail size only if its chunks give every row what whole chunks give:
    a network whose results moved with the chunk size (as a BLAS kernel's rounding can) is kept on
    whole chunks, and of the sizes that pass, the first of TAIL_ROWS wins."""
    from classifier import model as model_module
    from classifier.model import LOGIT_ROWS, TAIL_ROWS, _probe_tail_rows

    shapes = ((7, 5), (5, 4))
    real = model_module._network

    def moved_by(sizes: set[int]):
        return lambda chunk, w, b: real(chunk, w, b) + np.float32(1e-3 if len(chunk) in sizes else 0.0)

    monkeypatch.setattr(model_module, "_network", moved_by(set(TAIL_ROWS)))
    assert _probe_tail_rows(shapes, 1) == LOGIT_ROWS
    monkeypatch.setattr(model_module, "_network", moved_by({TAIL_ROWS[0]}))
    assert _probe_tail_rows(shapes, 1) == TAIL_ROWS[1]
    monkeypatch.setattr(model_module, "_network", moved_by(set()))
    assert _probe_tail_rows(shapes, 1) == TAIL_ROWS[0]
    assert _probe_tail_rows(shapes, 7) == LOGIT_ROWS  # no tail size is a multiple of 7


def _first_networks(model: BlockModel, k: int) -> BlockModel:
    """The same model with only its first ``k`` networks and no cascade."""
    return dataclasses.replace(model, members=model.members[:k - 1], cascade=None)


def _cascade_rows() -> np.ndarray:
    """Real feature rows (the bundled example page, repeated to several chunks) and random ones:
    both confident and unsure rows for the shipped networks."""
    clf = Classifier.load()
    text = (Path(__file__).resolve().parents[1] / "data" / "examples" / "harbour_bridge.txt").read_text()
    captured: list[np.ndarray] = []
    model = clf.model
    original = type(model).logits

    def spy(self, X, starts=None):
        captured.append(np.array(X))
        return original(self, X, starts)

    try:
        type(model).logits = spy
        list(clf.classify_many([{"id": str(i), "text": text} for i in range(12)]))
    finally:
        type(model).logits = original
    rng = np.random.default_rng(11)
    noise = (rng.normal(size=(150, len(model.feature_names))) * model.scale + model.mean).astype(np.float32)
    return np.concatenate([np.concatenate(captured).astype(np.float32), noise])


def test_confident_rows_is_the_softmax_test_bit_for_bit() -> None:
    """The column-by-column form gives the same rows as the plain softmax expression (axis-1
    max, exp, axis-1 sum in float64), also for rows on the boundary, ties, huge logits and NaN."""
    from classifier.model import confident_rows

    rng = np.random.default_rng(5)
    rows = [rng.normal(scale=s, size=(20000, len(LABELS))) for s in (0.5, 3.0, 12.0)]
    rows.append(np.repeat(rng.normal(size=(50, 1)), len(LABELS), axis=1))  # ties: probability 1/4
    rows.append(np.array([[1e30, -1e30, 0.0, 5.0], [np.nan, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]]))
    logits = np.concatenate(rows).astype(np.float32)

    def reference(tau: float, temperature: float) -> np.ndarray:
        z = logits.astype(np.float64) / temperature
        z -= z.max(axis=1, keepdims=True)
        return np.exp(z).sum(axis=1) * tau <= 1.0

    for temperature in (1.0, 2.4, 5.2):
        for tau in (0.25, 0.5, 0.85, 0.95, 0.999, 1.0):
            got = confident_rows(logits, temperature, tau)
            assert got.dtype == bool and got.shape == (logits.shape[0],)
            np.testing.assert_array_equal(got, reference(tau, temperature))
    assert not confident_rows(logits[-2:-1], 2.4, 0.1)[0]  # NaN: never sure
    assert confident_rows(logits[-4:-3], 2.4, 0.25)[0]  # a tie of four meets 1/4 exactly
    # On the boundary: for each row the largest tau the reference still calls sure, and the next
    # float up, which it does not; a sum that differs in the last bit moves one of the two.
    z = logits[:300].astype(np.float64) / 2.4
    z -= z.max(axis=1, keepdims=True)
    for row, total in zip(logits[:300], np.exp(z).sum(axis=1)):
        tau = 1.0 / total
        while total * tau > 1.0:
            tau = np.nextafter(tau, 0.0)
        while total * np.nextafter(tau, 2.0) <= 1.0:
            tau = np.nextafter(tau, 2.0)
        assert confident_rows(row[None], 2.4, tau)[0] and not confident_rows(row[None], 2.4, np.nextafter(tau, 2.0))[0]


@pytest.mark.parametrize("times", [None, 4])
@pytest.mark.parametrize("setting", [(1, 0.9), (3, 0.9), (7, 0.8)])
def test_cascade_rows_are_the_full_or_the_first_networks_ensemble(
        setting: tuple[int, float], times: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two-stage ensemble: a row the first k networks are sure of (calibrated top probability
    >= tau) gets their mean, bit for bit; every other row gets the full ensemble's logits, bit
    for bit (the second stage keeps each row's buffer residue and the order of the sums). With
    the row period forced to a multiple of the probed one, the residue bookkeeping is checked
    on any CPU."""
    from classifier import model as model_module

    full = Classifier.load().model
    if times is not None:
        forced = times * model_module.row_period(full._shapes())
        monkeypatch.setattr(model_module, "row_period", lambda shapes: forced)
    k, tau = setting
    X = _cascade_rows()
    starts = np.array([0, 5, 40, 41, X.shape[0] - 150])
    cascade = dataclasses.replace(full, cascade=(setting,))
    exact = dataclasses.replace(full, cascade=None)
    first = _first_networks(full, k).logits(X, starts)
    sure = model_module.confident_rows(first, full.temperature, tau)
    assert 0 < sure.sum() < sure.size, "the rows must exercise both stages"
    got = cascade.logits(X, starts)
    np.testing.assert_array_equal(got[sure], first[sure])
    np.testing.assert_array_equal(got[~sure], exact.logits(X, starts)[~sure])
    _pages_alone_and_batched(cascade, X, [0, 1, 6, 40, 41, 200, X.shape[0]])


@pytest.mark.parametrize("times", [None, 4])
@pytest.mark.parametrize("stages", [((1, 0.95), (3, 0.9)), ((2, 0.95), (4, 0.9), (6, 0.8))])
def test_staged_rows_are_the_mean_of_the_networks_they_stopped_at(
        stages: tuple[tuple[int, float], ...], times: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three or four stages: a row stops at the first stage whose networks' mean is sure of it
    and gets that mean bit for bit; a row no stage is sure of gets the full ensemble's logits bit
    for bit. Every stage must see rows stop and rows go on, or the test proves nothing."""
    from classifier import model as model_module

    full = Classifier.load().model
    if times is not None:
        forced = times * model_module.row_period(full._shapes())
        monkeypatch.setattr(model_module, "row_period", lambda shapes: forced)
    X = _cascade_rows()
    starts = np.array([0, 5, 40, 41, X.shape[0] - 150])
    got = dataclasses.replace(full, cascade=stages).logits(X, starts)
    going = np.ones(X.shape[0], dtype=bool)
    for k, tau in stages:
        mean_k = _first_networks(full, k).logits(X, starts)
        stop = going & model_module.confident_rows(mean_k, full.temperature, tau)
        assert 0 < stop.sum() < going.sum(), f"stage {k}: rows must both stop and go on"
        np.testing.assert_array_equal(got[stop], mean_k[stop])
        going &= ~stop
    np.testing.assert_array_equal(got[going], dataclasses.replace(full, cascade=None).logits(X, starts)[going])
    _pages_alone_and_batched(dataclasses.replace(full, cascade=stages), X, [0, 1, 6, 40, 41, 200, X.shape[0]])


def test_cascade_header_round_trip_and_bad_settings(tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    """The staged setting is stored in the header and checked on load: one stage as a dict (the
    form files had before several stages), more as a list with rising network counts; a model
    without one runs every network on every row."""
    ens = tiny_model(seed=1)
    b, c, d = tiny_model(seed=2), tiny_model(seed=3), tiny_model(seed=4)
    ens.members = [(m.weights, m.biases) for m in (b, c, d)]
    ens.save(tmp_path / "plain")
    assert _load(tmp_path / "plain.json").cascade is None
    ens.cascade = ((1, 0.9),)
    ens.save(tmp_path / "e")
    assert json.loads((tmp_path / "e.json").read_text())["cascade"] == {"networks": 1, "min_proba": 0.9}
    assert _load(tmp_path / "e.json").cascade == ((1, 0.9),)
    ens.cascade = ((1, 0.9), (3, 0.8))
    ens.save(tmp_path / "s")
    assert json.loads((tmp_path / "s.json").read_text())["cascade"] == [
        {"networks": 1, "min_proba": 0.9}, {"networks": 3, "min_proba": 0.8}]
    assert _load(tmp_path / "s.json").cascade == ((1, 0.9), (3, 0.8))
    for bad in ({"networks": 4, "min_proba": 0.9}, {"networks": 0, "min_proba": 0.9},
                {"networks": 1, "min_proba": 0.0}, {"networks": 1, "min_proba": 1.5},
                {"networks": True, "min_proba": 0.9}, {"networks": 1}, [1, 0.9], "fast", [],
                [{"networks": 2, "min_proba": 0.9}, {"networks": 2, "min_proba": 0.8}],
                [{"networks": 3, "min_proba": 0.9}, {"networks": 1, "min_proba": 0.8}],
                [{"networks": 1, "min_proba": 0.9}, {"networks": 4, "min_proba": 0.8}],
                [{"networks": 1, "min_proba": 0.9}, {"networks": 2}]):
        _rewrite_header(tmp_path / "e.json", cascade=bad)
        with pytest.raises(ModelError, match="cascade"):
            _load(tmp_path / "e.json")


def test_probes_read_back_from_the_table_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``row_period`` and ``tail_rows`` are probed once per key and then read from the table
    cache: the values read are the fresh probes', and a key part that changes (the BLAS library
    described, the shapes, the CPU) probes again. Without /proc/cpuinfo there is no key: always
    probed. An Arm cpuinfo is keyed by its own fields."""
    from classifier import model as model_module
    from features import tablecache

    monkeypatch.setenv(tablecache.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(tablecache.NO_CACHE_ENV, raising=False)
    shapes = ((492, 96), (96, 64), (64, 4))
    with model_module.one_blas_thread():
        fresh_period = model_module._probe_row_period(shapes)
        fresh = (fresh_period, model_module._probe_tail_rows(shapes, fresh_period))
    calls = []
    real_probe = model_module._probe_row_period

    def counted(s):
        calls.append(s)
        return real_probe(s)

    monkeypatch.setattr(model_module, "_probe_row_period", counted)

    def probed(s) -> tuple[int, int]:
        model_module._probed.cache_clear()  # a new process, as far as the lru caches go
        return model_module._probed(s)

    try:
        assert probed(shapes) == fresh and len(calls) == 1  # built and stored
        assert list(tmp_path.glob("blas-probes-*.tab"))
        assert probed(shapes) == fresh and len(calls) == 1  # read back, not probed
        small = ((7, 5), (5, 4))
        probed(small)
        assert len(calls) == 2  # other shapes, another key
        other = [{**lib, "architecture": "SomeOtherKernel"} for lib in model_module._blas_libraries()]
        monkeypatch.setattr(model_module, "_blas_libraries", lambda: other)
        assert probed(shapes) == fresh and len(calls) == 3  # another BLAS kernel: probed again
        monkeypatch.setattr(model_module, "_CPUINFO", str(tmp_path / "no-cpuinfo"))
        assert model_module._probe_key_parts(shapes) is None
        assert probed(shapes) == fresh and len(calls) == 4  # no key: probed, not cached
        # An Arm CPU names itself by other fields: keyed (so cached), and another part is
        # another key.
        arm = ("processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"
               "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: {part}\n"
               "CPU revision\t: 1\n\nprocessor\t: 1\n")
        (tmp_path / "arm-cpuinfo").write_text(arm.format(part="0xd0c"))
        monkeypatch.setattr(model_module, "_CPUINFO", str(tmp_path / "arm-cpuinfo"))
        key = model_module._probe_key_parts(shapes)
        assert key is not None and b"CPU part\t: 0xd0c" in key[-1] and b"asimd" in key[-1]
        assert probed(shapes) == fresh and len(calls) == 5
        assert probed(shapes) == fresh and len(calls) == 5  # read back
        (tmp_path / "arm-cpuinfo").write_text(arm.format(part="0xd40"))
        assert probed(shapes) == fresh and len(calls) == 6  # another core: probed again
    finally:
        model_module._probed.cache_clear()


def _ensemble_ignoring(tiny_model: Callable[..., BlockModel], cols: list[int]) -> BlockModel:
    """A two-network model whose first-layer rows of ``cols`` are 0, as ``fit_network`` leaves them
    for ``--ignore-column``, with the header field that names them."""
    ens, other = tiny_model(seed=11), tiny_model(seed=12)
    ens.members = [(other.weights, other.biases)]
    for ws in (ens.weights, other.weights):
        ws[0][cols] = 0
    ens.meta = {**ens.meta, "ignored_columns": [FEATURE_NAMES[i] for i in cols]}
    return ens


def test_ignored_columns_are_left_out_of_the_products_with_the_same_logits(
        tmp_path: Path, tiny_model: Callable[..., BlockModel]) -> None:
    """A model trained with ``--ignore-column`` multiplies only the columns it reads (fewer
    multiply-adds), through save and load, and its logits are those of the full product."""
    cols = list(range(0, len(FEATURE_NAMES), 3))
    model = _ensemble_ignoring(tiny_model, cols)
    X = extract(TEXTS).X
    full = dataclasses.replace(model, meta={"version": "test"})  # the same arrays, nothing skipped
    assert full._shapes()[0] == (len(FEATURE_NAMES), model.weights[0].shape[1])
    read = len(FEATURE_NAMES) - len(cols)
    assert model._shapes()[0] == (read, model.weights[0].shape[1])
    assert model._network_view() is model._network_view()  # made once, not on every call
    np.testing.assert_allclose(model.logits(X), full.logits(X), rtol=1e-5, atol=1e-5)
    X2 = X.copy()
    X2[:, cols] = np.nan  # what the networks do not read cannot reach the result
    assert np.array_equal(model.logits(X2), model.logits(X))
    model.cascade = ((1, 0.9),)
    full.cascade = model.cascade
    np.testing.assert_allclose(model.logits(X), full.logits(X), rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "m")
    loaded = _load(tmp_path / "m.json")
    assert loaded.weights[0].shape[0] == len(FEATURE_NAMES)  # the file keeps the schema's shapes
    assert loaded._shapes()[0][0] == read
    assert np.array_equal(loaded.logits(X), model.logits(X))


def test_a_header_naming_read_columns_changes_nothing(tiny_model: Callable[..., BlockModel]) -> None:
    """``ignored_columns`` whose weights are not all 0 (a hand-edited header, or new arrays put in
    after the first call) are multiplied as they are: the header cannot change what the networks compute."""
    few = _ensemble_ignoring(tiny_model, [0, 1, 2])  # under MIN_SKIPPED_SHARE: not worth a gathered read
    assert few._shapes()[0][0] == len(FEATURE_NAMES)
    cols = list(range(0, len(FEATURE_NAMES), 4))
    model = _ensemble_ignoring(tiny_model, cols)
    X = extract(TEXTS).X
    assert model._shapes()[0][0] == len(FEATURE_NAMES) - len(cols)
    fresh = tiny_model(seed=13)
    model.weights = fresh.weights  # the ignored rows are not 0 in these
    assert model._shapes()[0][0] == len(FEATURE_NAMES)
    both = dataclasses.replace(model, meta={"version": "test"})
    assert np.array_equal(model.logits(X), both.logits(X))
