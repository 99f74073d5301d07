"""Model files never run code, and every bad model file says which file and what is expected."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, save_tiny_model

from classifier import model as model_mod
from classifier.api import Classifier
from classifier.model import ModelError
from features.text_schema import TEXT_SCHEMAS  # the text schemas Classifier.load reads

# Calls that can execute code from a file they read.
UNSAFE_LOADERS = re.compile(r"\b(?:pickle\.loads?|joblib\.load|torch\.load|yaml\.load|marshal\.loads?|dill\.)\(")
NP_LOAD = re.compile(r"\bnp\.load\(([^)]*)\)")


def _project_sources() -> list[Path]:
    return [p for d in ("classifier", "features", "training") for p in (ROOT / d).rglob("*.py")]


def test_no_code_executing_loader_in_the_project() -> None:
    sources = _project_sources()
    assert len(sources) > 10
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not UNSAFE_LOADERS.search(text), path
        for m in NP_LOAD.finditer(text):
            assert "allow_pickle=False" in m.group(1), f"{path}: {m.group(0)}"


def test_np_load_is_called_without_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model whose members np.savez does not write (here compressed) is read by ``np.load``,
    never with pickles allowed; a stored one (what ``BlockModel.save`` writes) is read from
    its bytes without it, to the same arrays."""
    header = save_tiny_model(tmp_path)
    npz = header.with_suffix(".npz")
    calls: list[dict] = []
    real = np.load

    def spy(*args, **kw):
        calls.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(model_mod.np, "load", spy)
    stored = Classifier.load(header).model
    assert calls == []
    with real(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    with open(npz, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    _rehash(header)
    compressed = Classifier.load(header).model
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)
    pairs = zip(stored.weights + stored.biases, compressed.weights + compressed.biases)
    assert all(np.array_equal(a, b) for a, b in pairs)
    assert np.array_equal(stored.mean, compressed.mean) and np.array_equal(stored.transitions, compressed.transitions)


def test_the_header_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Classifier.load`` reads a model's header once, for its schema and for the load."""
    from features import jsonfile

    header = save_tiny_model(tmp_path)
    reads: list[Path] = []
    real = jsonfile.read

    def spy(path):
        reads.append(Path(path))
        return real(path)

    monkeypatch.setattr(jsonfile, "read", spy)
    clf = Classifier.load(header)
    assert reads.count(header) == 1 and clf.model.sha256


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("*.npz")), ids=lambda p: p.name)
def test_stored_arrays_are_np_loads_arrays(path: Path) -> None:
    """The shipped models' arrays read from their bytes are np.load's, bit for bit: names in
    order, dtypes, shapes, memory order, each a writable, aligned array owning its memory."""
    got = model_mod._stored_arrays(path.read_bytes())
    with np.load(path, allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    assert got is not None and list(got) == list(want) and len(got) >= 10
    for k, a in got.items():
        b = want[k]
        assert (a.dtype, a.shape, a.tobytes()) == (b.dtype, b.shape, b.tobytes()), k
        assert a.flags.writeable and a.flags.owndata and a.flags.aligned, k
        assert (a.flags.c_contiguous, a.flags.f_contiguous) == (b.flags.c_contiguous, b.flags.f_contiguous), k


def test_stored_arrays_of_every_layout() -> None:
    """0-d, empty, Fortran-ordered, big-endian and string arrays come back as np.load gives them."""
    arrays = {"scalar": np.array(3.5), "empty": np.zeros((0, 3), np.float32), "fortran": np.asfortranarray(
        np.arange(6.0).reshape(2, 3)), "big": np.arange(6, dtype=">i4").reshape(3, 2), "text": np.array(["ab", "c"]),
        "last_empty": np.zeros(0)}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    got = model_mod._stored_arrays(buf.getvalue())
    assert got is not None and list(got) == list(arrays)
    for k, a in arrays.items():
        assert got[k].dtype == a.dtype and got[k].shape == a.shape and np.array_equal(got[k], a), k
        assert got[k].flags.f_contiguous == a.flags.f_contiguous and got[k].flags.writeable, k


def _member_offsets(raw: bytes) -> dict[str, int]:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return {i.filename: i.header_offset for i in zf.infolist()}


@pytest.mark.parametrize("damage", ["local_signature", "items_past_member", "npy_magic"])
def test_damaged_member_with_matching_checksum(tmp_path: Path, damage: str) -> None:
    """A member whose local header, .npy magic or item count does not hold is refused at load,
    naming the file, whichever reader sees it (the checksum forged to match)."""
    header = save_tiny_model(tmp_path)
    npz = header.with_suffix(".npz")
    raw = bytearray(npz.read_bytes())
    at = _member_offsets(bytes(raw))["mean.npy"]
    if damage == "local_signature":
        raw[at: at + 4] = b"PK\x07\x08"
    else:
        name_len, extra_len = struct.unpack_from("<HH", raw, at + 26)
        data = at + 30 + name_len + extra_len
        if damage == "npy_magic":
            raw[data: data + 6] = b"NOTNPY"
        else:  # the header's shape grown so its items run past the member's end
            head = bytes(raw[data: data + 128])
            grown = head.replace(b"'shape': (", b"'shape': (9")
            assert grown != head
            raw[data: data + 128] = grown[:128]
    with pytest.raises(ValueError, match="local header|magic|do not fit"):
        model_mod._stored_arrays(bytes(raw))
    npz.write_bytes(bytes(raw))
    _rehash(header)
    _names_file_and_schema(_error(header), npz)


def _rehash(header: Path) -> None:
    """Make the header's checksum match its (modified) arrays file: only the content checks remain."""
    h = json.loads(header.read_text())
    h["arrays_sha256"] = hashlib.sha256((header.parent / h["arrays"]).read_bytes()).hexdigest()
    header.write_text(json.dumps(h))


def _error(header: Path) -> str:
    with pytest.raises(ModelError) as exc:
        Classifier.load(header)
    return str(exc.value)


def _names_file_and_schema(msg: str, path: Path) -> None:
    assert path.name in msg, msg
    assert any(f"schema {s!r}" in msg for s in TEXT_SCHEMAS) and "format version" in msg, msg


def test_tampered_model(tmp_path: Path) -> None:
    header = save_tiny_model(tmp_path)
    npz = header.with_suffix(".npz")
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    msg = _error(header)
    assert "checksum" in msg
    _names_file_and_schema(msg, npz)


@pytest.mark.parametrize("keep", [0, 10, 200, 0.5])
def test_truncated_model_even_with_matching_checksum(tmp_path: Path, keep: float) -> None:
    header = save_tiny_model(tmp_path)
    npz = header.with_suffix(".npz")
    data = npz.read_bytes()
    npz.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    assert "checksum" in _error(header)
    _rehash(header)  # a consistent but truncated file: the zip reader must fail cleanly
    _names_file_and_schema(_error(header), npz)


@pytest.mark.parametrize("field,value", [("format_version", 99), ("schema", "text-0"), ("format", "other")])
def test_wrong_version_or_schema(tmp_path: Path, field: str, value: object) -> None:
    header = save_tiny_model(tmp_path)
    h = json.loads(header.read_text())
    h[field] = value
    header.write_text(json.dumps(h))
    _names_file_and_schema(_error(header), header)


@pytest.mark.parametrize("content", ["[" * 100_000, '{"format": "newswinnow-model"', "\xff\xfe"])
def test_hostile_header(tmp_path: Path, content: str) -> None:
    header = save_tiny_model(tmp_path)
    header.write_text(content, encoding="latin-1")
    _names_file_and_schema(_error(header), header)


def test_header_field_of_the_wrong_type(tmp_path: Path) -> None:
    header = save_tiny_model(tmp_path)
    h = json.loads(header.read_text())
    h["temperature"] = "hot"
    header.write_text(json.dumps(h))
    _names_file_and_schema(_error(header), header)


def test_user_trained_model_with_pickle_payload_is_refused(tmp_path: Path) -> None:
    """A user's model file is read exactly like the shipped one: an object array is refused
    (never unpickled), even when the header's checksum was forged to match."""
    header = save_tiny_model(tmp_path, stem="user")
    npz = header.with_suffix(".npz")
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(marker)
    arrays["mean"] = evil
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)  # savez pickles object arrays
    _rehash(header)
    msg = _error(header)
    _names_file_and_schema(msg, npz)
    assert not marker.exists()


class _Payload:
    """Unpickling this writes a marker file (what a malicious model would do)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


@pytest.mark.parametrize("shapes", [((5, 5), (5,)), ((8, 7), (8,)), ((8, 8), (7,)), ((7,), (7,))])
def test_decoding_tables_of_an_unknown_chain_are_refused_at_load(tmp_path: Path, shapes: tuple) -> None:
    """Tables of 7 (older files) or 8 states load; any other shape fails at load, naming the file."""
    header = save_tiny_model(tmp_path)
    npz = header.with_suffix(".npz")
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for k in (7, 8):  # both known chains load
        arrays["transitions"], arrays["start"] = np.zeros((k, k)), np.zeros(k)
        with open(npz, "wb") as fh:
            np.savez(fh, **arrays)
        _rehash(header)
        assert Classifier.load(header).model.transitions.shape == (k, k)
    arrays["transitions"], arrays["start"] = np.zeros(shapes[0]), np.zeros(shapes[1])
    with open(npz, "wb") as fh:
        np.savez(fh, **arrays)
    _rehash(header)
    msg = _error(header)
    assert "decoding tables" in msg
    _names_file_and_schema(msg, npz)


@pytest.mark.parametrize("case", ["ok", "start_missing", "seven_states", "no_main_tables"])
def test_post_thread_tables_are_checked_at_load(tmp_path: Path, case: str) -> None:
    """The "auto" decoder's eight-state tables sit beside the main ones: they load and round-trip
    when complete and of eight states, and a model with a broken pair is refused at load."""
    from classifier import decode

    model = model_mod.BlockModel.load(save_tiny_model(tmp_path, stem="base"))
    model.post_start, model.post_transitions = decode.fit_transitions([["editorial", "comment", "boilerplate"]],
                                                                      post_thread=True)
    if case == "start_missing":
        model.post_start = None
    elif case == "seven_states":
        model.post_start, model.post_transitions = model.start, model.transitions
    elif case == "no_main_tables":
        model.start = model.transitions = None
    model.save(tmp_path / "m")
    header = tmp_path / "m.json"
    if case == "ok":
        loaded = Classifier.load(header).model
        assert loaded.post is not None
        np.testing.assert_array_equal(loaded.post[1], model.post_transitions)
        return
    msg = _error(header)
    assert "post-thread decoding tables" in msg
    _names_file_and_schema(msg, header.with_suffix(".npz"))
