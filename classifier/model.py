"""The block model: a small neural network over the feature schema, stored as plain arrays.

Why an MLP and not trees: its forward pass is three numpy matrix products, fast on millions
of blocks, and its parameters are a handful of dense arrays. The model file is a JSON header
plus an ``.npz`` of arrays loaded with ``allow_pickle=False``: loading never executes code
and does not depend on scikit-learn at all, so a model keeps loading across scikit-learn
releases (Dragnet's pickled models broke on every upgrade; we do not repeat that).

Files: ``<stem>.json`` (format, schema, labels, feature names, decoding tables, temperature,
the sha256 of the arrays file) and ``<stem>.npz`` (scaler mean/scale, layer weights/biases).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from features import ext, jsonfile, tablecache
from features.lexical import LexicalScorer

LABELS: tuple[str, ...] = ("editorial", "comment", "spam", "boilerplate")
FORMAT = "newswinnow-model"
FORMAT_VERSION = 1
# Most networks an ensemble model file may hold (a sanity bound on the header).
MAX_MEMBERS = 16
# Standardised inputs are clipped to this many standard deviations (robust to outliers).
CLIP_SIGMA = 6.0
# Every matrix product of the forward pass runs on exactly this many rows (the last chunk
# zero-padded). BLAS picks its kernel by the matrix's shape, and a float32 product of one row,
# or of the tail rows of an odd-sized matrix, rounds differently from the same row inside a
# large one: without fixed shapes a block's probabilities (0.6% of the bench pages, in the 4th
# decimal) depended on which other pages shared its batch. 240 rows cost no more than one
# product over the whole batch, and 240 is a multiple of every period in ROW_PERIODS.
LOGIT_ROWS = 240
# Fixed shapes are not enough on every CPU: some BLAS kernels round a row by its position in
# the micro-tile (OpenBLAS's Haswell kernels on an AMD EPYC: a row's logits repeat with period
# 12 in its position, not 1). So each row is placed at a position whose residue modulo the
# kernel's period is fixed by the row and its page alone (``_slots``); the period is found once
# per process and network shape by probing (``row_period``); candidates in increasing order,
# the last one a fallback that is always right.
ROW_PERIODS: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 16, 24, 48, LOGIT_ROWS)
# Random rows the probe pushes through one network, and the shifts it checks each period with.
PROBE_ROWS = 2 * LOGIT_ROWS
PROBE_SHIFTS_IN_PERIODS: tuple[int, ...] = (1, 3)
# The rows after the last whole LOGIT_ROWS chunk go through chunks of the first of these sizes
# (a multiple of the period) that ``tail_rows`` finds to give every row the same float32 result
# as a LOGIT_ROWS chunk: on the bench pages (batches of ~1,100 rows) padding the tail to 240
# rows computed ~10% zero rows. None passing: the tail is padded to one LOGIT_ROWS chunk.
TAIL_ROWS: tuple[int, ...] = (48, 120)
# A staged ensemble (``BlockModel.cascade``, the header's "cascade": {"networks": k,
# "min_proba": tau}, or a list of such stages with k rising): the first k networks run on every
# row, the rest only on rows whose calibrated top probability from those k is under tau
# (docs/speed.md, session 15); with a further stage (k2, tau2), those rows first get networks
# k..k2-1, and only the ones still under tau2 from the k2 networks' mean get the rest.
CASCADE_KEYS = ("networks", "min_proba")
# A model trained with ``--ignore-column`` leaves those columns out of its products only when they
# are at least this share of the columns: reading the others through an index costs ~0.8 ns a
# column a row more than the contiguous pass (the gather does not vectorise), and each column
# left out saves ~5.7 ns a row of first-layer products (96 multiply-adds on ~2.5 network rows a
# row with the cascade's padding and stages), so below ~1/8 it costs more than it saves
# (docs/speed.md, session 45). The three page-size columns stay in the products.
MIN_SKIPPED_SHARE = 0.125
# Multiplier of the page-offset hash (2**64 / golden ratio, odd).
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


class ModelError(Exception):
    """A model file that is missing, truncated, tampered with or of the wrong schema."""


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """One scan of the loaded BLAS libraries per process (a scan costs ~0.15 ms, a limit ~10 us)."""
    return ThreadpoolController()


def one_blas_thread():
    """Context with BLAS on one thread. The probes and the forward pass run under it whoever
    calls them: a multi-threaded product splits its rows between threads by the matrix's shape,
    so a row's rounding would follow the shape (and the caller's thread count) again; on a
    2-core EPYC VM, 48-row chunks matched 240-row ones on one thread and not on two."""
    return _blas_controller().limit(limits=1, user_api="blas")


def _check_tables(npz: Path, arrays: dict[str, np.ndarray]) -> None:
    """The decoder's tables must be of a chain it knows (7 states, or 8 with the post-thread
    phase; ``post_*`` 8): a wrong shape would otherwise fail at the first page, not at load."""
    from .decode import CHAIN_SIZES, STATES  # decode imports LABELS from here

    post, post_start = arrays.get("post_transitions"), arrays.get("post_start")
    k = len(STATES)
    if (post is None) != (post_start is None) or (post is not None and (
            post.shape != (k, k) or post_start.shape != (k,) or arrays.get("transitions") is None)):
        raise ModelError(f"{npz}: post-thread decoding tables of shapes {None if post is None else post.shape} / "
                         f"{None if post_start is None else post_start.shape}, expected ({k}, {k}) / ({k},) "
                         "beside the main tables")
    trans, start, prior = arrays.get("transitions"), arrays.get("start"), arrays.get("prior")
    if trans is None:
        return
    k = trans.shape[0] if trans.ndim == 2 else -1
    if k not in CHAIN_SIZES or trans.shape != (k, k) or (start is not None and start.shape != (k,)) \
            or (prior is not None and prior.shape != (len(LABELS),)):
        raise ModelError(f"{npz}: decoding tables of shapes {trans.shape} / "
                         f"{None if start is None else start.shape}, expected a chain of {CHAIN_SIZES} states")


def _flushed(a: np.ndarray) -> np.ndarray:
    """float32 copy with subnormal values set to zero.

    Training leaves a few weights subnormal (a first-layer row of a near-constant column decays
    below 1e-38); every product of one with a non-zero input takes the CPU's slow path (the first
    layer's matrix product was ~35% slower on random inputs; on the bench pages that column is
    zero after scaling, so no change there). They add less than 1e-37 to any logit.
    """
    out = np.array(a, dtype=np.float32)
    out[np.abs(out) < np.finfo(np.float32).tiny] = 0.0
    return out


def _standardise_numpy(X: np.ndarray, mean: np.ndarray, scale: np.ndarray, z: np.ndarray) -> None:
    """``BlockModel._standardise`` in numpy, in place in ``z`` (same float32 results as the
    expression form when mean/scale are float32)."""
    np.subtract(X, mean, out=z, dtype=np.float32)
    np.divide(z, scale, out=z)
    np.clip(z, -CLIP_SIGMA, CLIP_SIGMA, out=z)
    # After the clip only NaN is left to replace (what nan_to_num did, at a seventh of its
    # cost: nan_to_num also scans for both infinities).
    nan = np.isnan(z)
    if nan.any():
        z[nan] = 0.0


# A zip member's local file header: signature, 22 bytes up to the name's and the extra field's
# lengths, then those two lengths; the member's data follows the name and the extra field.
_ZIP_LOCAL_HEADER = struct.Struct("<4s22xHH")
_ZIP_LOCAL_SIGNATURE = b"PK\x03\x04"
# The .npy header readers for the versions np.savez writes (3.0, for non-ASCII field names,
# goes through np.load).
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
# Bytes of a member read for its .npy header: the magic string, the header's length and the
# header itself (np.lib.format refuses headers over 10,000 bytes unless told otherwise).
_NPY_HEADER_MAX = 12 + 10_000


def _stored_arrays(raw: bytes) -> dict[str, np.ndarray] | None:
    """The arrays of a model's ``.npz`` from its bytes, already read and checksummed; None when
    a member is not a stored ``.npy`` of version 1.0 or 2.0 (the caller then uses ``np.load``).

    Why: ``np.load`` opens each member as a zip stream, checks its CRC (the sha256 of the whole
    file already covers it) and reads it in pieces: ~10 ms of every start for the 57 arrays of
    the default model, against ~2 ms here. The same arrays (names, dtypes, shapes, values, each
    a writable copy owning its memory), and the same refusals: object dtypes (pickles), members
    cut short, bad headers (tests/test_model.py)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        infos = zf.infolist()
    arrays: dict[str, np.ndarray] = {}
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
            return None
        try:
            signature, name_len, extra_len = _ZIP_LOCAL_HEADER.unpack_from(raw, info.header_offset)
        except struct.error as e:
            raise ValueError(f"member {info.filename!r}: local header cut short") from e
        if signature != _ZIP_LOCAL_SIGNATURE:
            raise ValueError(f"member {info.filename!r}: bad local header")
        start = info.header_offset + _ZIP_LOCAL_HEADER.size + name_len + extra_len
        end = start + info.file_size
        if end > len(raw):
            raise ValueError(f"member {info.filename!r}: cut short")
        fp = io.BytesIO(raw[start: min(end, start + _NPY_HEADER_MAX)])
        read_header = _NPY_HEADER_READERS.get(np.lib.format.read_magic(fp))
        if read_header is None:
            return None
        shape, fortran_order, dtype = read_header(fp)
        if dtype.hasobject:
            raise ValueError(f"member {info.filename!r}: object arrays are not loaded (they are pickles)")
        count = math.prod(shape)
        offset = start + fp.tell()
        if offset + count * dtype.itemsize > end:
            raise ValueError(f"member {info.filename!r}: {count} items of {dtype} do not fit "
                             f"its {info.file_size} bytes")
        flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        shaped = flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)
        arrays[info.filename[:-4]] = shaped.copy(order="K")
    return arrays


# The compiled standardisation (classifier/_model_ext.pyx), None for the numpy form.
_MODEL_EXT = ext.load("classifier._model_ext")


def _network(chunk: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray]) -> np.ndarray:
    """One network's forward pass over one chunk (ReLU hidden layers, linear output)."""
    h = chunk
    last = len(weights) - 1
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = h @ w
        h += b  # in place: the same float32 sums as ``h @ w + b``, one temporary fewer
        if i < last:
            np.maximum(h, 0.0, out=h)
    return h


def _accumulate(buf: np.ndarray, chunks: list[tuple[int, int]], nets: list, out: np.ndarray,
                add: bool = False) -> None:
    """Sum of the networks' logits over each chunk of ``buf`` into ``out`` (added to what
    ``out`` holds when ``add``); the networks in order, so the float32 sums are reproducible."""
    for start, size in chunks:
        chunk = buf[start: start + size]
        acc = out[start: start + size] if add else None
        for weights, biases in nets:
            h = _network(chunk, weights, biases)
            if acc is None:
                acc = h
            else:
                acc += h
        if not add:
            out[start: start + size] = acc


def _slots(lengths: np.ndarray, period: int, offsets: np.ndarray) -> tuple[np.ndarray, int]:
    """Buffer row of every input row, and the rows the buffer needs.

    Row k of a page of L rows must sit at a position congruent to (k + offset) mod ``period``,
    where the page's offset is a rule of the page alone (``_page_offsets``); any free slot of
    that residue will do, so rows are dealt out by residue rather than pages padded to whole
    periods. The offsets spread the pages' last, partial periods over the residues: on the bench
    pages (17 rows a page, median 6, batches of 64 pages) with period 12, 7% more rows than
    blocks with offsets hashed from the pages' content, 18% with offsets from their lengths
    alone (pages of equal length all start at the same residue) and 37% when each page was
    padded to whole periods."""
    n = int(lengths.sum())
    k = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return _deal((k + np.repeat(offsets, lengths)) % period, period)


def _page_offsets(X: np.ndarray, lengths: np.ndarray, period: int) -> np.ndarray:
    """Each page's residue offset for ``_slots``: a hash of the bits of its rows' first column.

    The page's own content, so the same in any batch; integer sums of the bit patterns (exact
    and order-free, unlike a float sum whose rounding can follow the memory alignment)."""
    col = np.ascontiguousarray(X[:, 0])
    bits = col.view(np.dtype(f"u{col.itemsize}")).astype(np.uint64)
    key = np.zeros(len(lengths), dtype=np.uint64)
    nonempty = lengths > 0
    if nonempty.any():
        starts = (np.cumsum(lengths) - lengths)[nonempty]
        key[nonempty] = np.add.reduceat(bits, starts)
    key += lengths.astype(np.uint64)
    return (((key * _HASH_MULTIPLIER) >> np.uint64(32)) % np.uint64(period)).astype(np.int64)


def _gather_index(rows: int, dest: np.ndarray, source: np.ndarray, zero_row: int) -> np.ndarray:
    """For a buffer of ``rows`` rows: the source row of each (``source[i]`` at ``dest[i]``),
    ``zero_row`` for the rest."""
    index = np.full(rows, zero_row, dtype=np.intp)
    index[dest] = source
    return index


def _deal(residue: np.ndarray, period: int) -> tuple[np.ndarray, int]:
    """Buffer rows for rows that must sit at these residues modulo ``period``: each residue's
    rows in order at its free slots, densely; and the rows the buffer needs."""
    counts = np.bincount(residue, minlength=period)
    order = np.argsort(residue, kind="stable")
    rank = np.empty(residue.size, dtype=np.int64)
    rank[order] = np.arange(residue.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return residue + period * rank, period * int(counts.max())


def confident_rows(mean_logits: np.ndarray, temperature: float, min_proba: float) -> np.ndarray:
    """Rows whose calibrated top probability (softmax of logits / temperature) is at least
    ``min_proba``: 1 / sum(exp(z - max z)) >= min_proba, in float64.

    Column by column on a transposed copy: numpy's reductions along a 4-wide axis cost ~2.4x
    this. The values are those of ``z.max(axis=1)`` and ``exp(z).sum(axis=1)`` bit for bit
    (the maximum is exact; that sum adds the four terms left to right, as here)."""
    z = np.empty((mean_logits.shape[1], mean_logits.shape[0]), dtype=np.float64)
    np.divide(mean_logits.T, temperature, out=z, dtype=np.float64)
    top = z[0].copy()
    for column in z[1:]:
        np.maximum(top, column, out=top)
    z -= top
    np.exp(z, out=z)
    total = z[0]
    for column in z[1:]:
        total += column
    return total * min_proba <= 1.0


@functools.lru_cache(maxsize=16)
def row_period(shapes: tuple[tuple[int, ...], ...]) -> int:
    """The smallest row alignment at which a network of these layer shapes gives every row the
    same float32 result wherever it sits in a ``LOGIT_ROWS`` chunk, on this CPU and BLAS.

    Probed with random weights (kernels are chosen by shape, not by values): rows shifted by
    whole periods must come out bit for bit the same. Once per process and shape, on one BLAS
    thread as the forward pass runs; or read from the table cache (``_probed``)."""
    return _probed(shapes)[0]


# Fields of /proc/cpuinfo's first entry that name the CPU and its instruction sets (not its
# clock, which varies): part of the probes' cache key. x86 names them as in the first line; Arm
# (Graviton, Ampere, Apple under Linux) as in the second, with no "model name" or "flags".
_CPU_FIELDS = (b"vendor_id", b"cpu family", b"model", b"model name", b"stepping", b"flags",
               b"CPU implementer", b"CPU architecture", b"CPU variant", b"CPU part", b"CPU revision", b"Features")
_CPUINFO = "/proc/cpuinfo"
_CPUINFO_HEAD_BYTES = 1 << 14
# What the probes' results depend on, as threadpoolctl describes a BLAS library.
_BLAS_FIELDS = ("internal_api", "prefix", "filepath", "version", "threading_layer", "architecture")


def _probe_key_parts(shapes: tuple[tuple[int, ...], ...]) -> list[bytes] | None:
    """The probes' cache key: the shapes, this module's source (the probe code and constants),
    each BLAS library loaded (threadpoolctl's description, with its file's size and mtime) and
    the CPU; None where the CPU cannot be named (no /proc/cpuinfo): then the probes run."""
    try:
        with open(_CPUINFO, "rb") as fh:
            head = fh.read(_CPUINFO_HEAD_BYTES).split(b"\n\n", 1)[0]
        source = Path(__file__).read_bytes()
    except OSError:
        return None
    cpu = [line for line in head.splitlines() if line.split(b":", 1)[0].strip() in _CPU_FIELDS]
    if not cpu:
        return None
    libs = []
    for lib in _blas_libraries():
        entry = {k: lib.get(k) for k in _BLAS_FIELDS}
        try:
            st = os.stat(str(lib.get("filepath")))
            entry["file"] = [st.st_size, st.st_mtime_ns]
        except OSError:
            entry["file"] = None
        libs.append(entry)
    libs.sort(key=lambda e: json.dumps(e, sort_keys=True))
    return [json.dumps(shapes).encode(), hashlib.sha256(source).digest(),
            json.dumps(libs, sort_keys=True).encode(), b"\n".join(cpu)]


def _blas_libraries() -> list[dict]:
    """threadpoolctl's description of each BLAS library loaded in this process."""
    return [lib for lib in _blas_controller().info() if lib.get("user_api") == "blas"]


@functools.lru_cache(maxsize=16)
def _probed(shapes: tuple[tuple[int, ...], ...]) -> tuple[int, int]:
    """(``row_period``, ``tail_rows`` at that period) for these shapes: probed (~20 ms of every
    start-up, serial before ``--jobs`` forks), or read back from the table cache under a key of
    everything a probe's outcome depends on (``_probe_key_parts``)."""
    def probe() -> dict[str, np.ndarray]:
        with one_blas_thread():
            period = _probe_row_period(shapes)
            return {"row_period": np.array([period], dtype=np.int64),
                    "tail_rows": np.array([_probe_tail_rows(shapes, period)], dtype=np.int64)}

    parts = _probe_key_parts(shapes)
    got = probe() if parts is None else tablecache.cached_arrays("blas-probes", parts, probe)
    return int(got["row_period"][0]), int(got["tail_rows"][0])


def _probe_network(shapes: tuple[tuple[int, ...], ...], seed: int
                   ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Random weights and biases of these shapes and ``PROBE_ROWS`` random input rows: what the
    probes push through (BLAS picks kernels by shape, not by values)."""
    stream = _ProbeValues(seed)
    weights = [stream.take(s) for s in shapes]
    biases = [stream.take((s[1],)) for s in shapes]
    return weights, biases, stream.take((PROBE_ROWS, shapes[0][0]))


class _ProbeValues:
    """Deterministic values in [-1, 1) for the probes (splitmix64 of a counter, in numpy): any
    values that are not round numbers will do, and ``numpy.random`` costs 10-20 ms of start-up
    to import."""

    _GAMMA = np.uint64(0x9E3779B97F4A7C15)
    _MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
    _SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))

    def __init__(self, seed: int) -> None:
        self._next = np.uint64(seed) << np.uint64(40)  # seeds' streams never overlap

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        n = int(np.prod(shape))
        z = (np.arange(n, dtype=np.uint64) + self._next) * self._GAMMA  # wraps mod 2**64
        self._next += np.uint64(n)
        z ^= z >> self._SHIFTS[0]
        z *= self._MIX[0]
        z ^= z >> self._SHIFTS[1]
        z *= self._MIX[1]
        z ^= z >> self._SHIFTS[2]
        unit = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)  # 24 bits: exact in float32
        return (2.0 * unit - 1.0).astype(np.float32).reshape(shape)


def _probe_row_period(shapes: tuple[tuple[int, ...], ...]) -> int:
    weights, biases, rows = _probe_network(shapes, 0)

    def run(buf: np.ndarray) -> np.ndarray:
        return np.concatenate([_network(buf[a: a + LOGIT_ROWS], weights, biases)
                               for a in range(0, len(buf), LOGIT_ROWS)])

    base = run(rows)
    for period in ROW_PERIODS[:-1]:
        same = True
        for k in PROBE_SHIFTS_IN_PERIODS:
            shift = k * period
            moved = np.zeros((PROBE_ROWS + LOGIT_ROWS, rows.shape[1]), dtype=np.float32)
            moved[shift: shift + PROBE_ROWS] = rows
            same = same and np.array_equal(run(moved)[shift: shift + PROBE_ROWS], base)
        if same:
            return period
    return ROW_PERIODS[-1]


@functools.lru_cache(maxsize=16)
def tail_rows(shapes: tuple[tuple[int, ...], ...], period: int) -> int:
    """The chunk size for the rows after the last whole ``LOGIT_ROWS`` chunk: the first of
    ``TAIL_ROWS`` (a multiple of ``period``) whose chunks give random rows the same float32
    results, bit for bit, as ``LOGIT_ROWS`` chunks with each row at the same residue modulo
    ``period``; else ``LOGIT_ROWS``. Probed like ``row_period``, once per process and shape
    (at ``row_period``'s own period, with it: ``_probed``)."""
    probed_period, tail = _probed(shapes)
    if period == probed_period:
        return tail
    with one_blas_thread():
        return _probe_tail_rows(shapes, period)


def _probe_tail_rows(shapes: tuple[tuple[int, ...], ...], period: int) -> int:
    weights, biases, rows = _probe_network(shapes, 1)
    base = np.concatenate([_network(rows[a: a + LOGIT_ROWS], weights, biases)
                           for a in range(0, PROBE_ROWS, LOGIT_ROWS)])
    for size in TAIL_ROWS:
        if size % period:  # a tail chunk starts at a multiple of LOGIT_ROWS: residues are kept
            continue
        small = np.concatenate([_network(rows[a: a + size], weights, biases) for a in range(0, PROBE_ROWS, size)])
        if np.array_equal(small, base):
            return size
    return LOGIT_ROWS


def _chunks(rows: int, tail: int) -> tuple[list[tuple[int, int]], int]:
    """(start, size) of the products over a buffer of ``rows`` rows, and its padded length:
    whole ``LOGIT_ROWS`` chunks, then ``tail``-row chunks for the rest."""
    whole = rows - rows % LOGIT_ROWS
    padded = whole + -(-(rows - whole) // tail) * tail
    return ([(a, LOGIT_ROWS) for a in range(0, whole, LOGIT_ROWS)]
            + [(a, tail) for a in range(whole, padded, tail)]), padded


def header_cascade(header_path: Path | str, value: object, n_members: int) -> tuple[tuple[int, float], ...] | None:
    """The header's optional staged setting, checked: one stage as a dict, or a list of them
    whose network counts rise and stay under the model's, each probability in (0, 1]."""
    if value is None:
        return None
    stages = value if isinstance(value, list) and value else [value]
    out: list[tuple[int, float]] = []
    for stage in stages:
        ok = isinstance(stage, dict) and set(stage) == set(CASCADE_KEYS)
        k, tau = (stage.get("networks"), stage.get("min_proba")) if ok else (None, None)
        if not ok or not isinstance(k, int) or isinstance(k, bool) or not 1 <= k < n_members \
                or not isinstance(tau, (int, float)) or isinstance(tau, bool) or not 0.0 < tau <= 1.0 \
                or (out and k <= out[-1][0]):
            raise ModelError(f"{header_path}: bad cascade {value!r}: expected {{\"networks\": 1..{n_members - 1}, "
                             "\"min_proba\": a probability in (0, 1]}, or a list of them with rising networks")
        out.append((k, float(tau)))
    return tuple(out)


def cascade_header(cascade: tuple[tuple[int, float], ...]) -> dict | list[dict]:
    """The header's form of a staged setting: one stage as a dict (as files before the list form
    have it), several as a list."""
    stages = [dict(zip(CASCADE_KEYS, stage)) for stage in cascade]
    return stages[0] if len(stages) == 1 else stages


@dataclass(frozen=True)
class NetworkView:
    """The arrays a forward pass multiplies (``BlockModel._network_view``): ``columns`` are the
    feature columns the networks read (None: all, and the arrays are the model's own)."""

    columns: np.ndarray | None
    mean: np.ndarray
    scale: np.ndarray
    nets: list[tuple[list[np.ndarray], list[np.ndarray]]]


def network_view(names: tuple[str, ...], ignored: tuple[str, ...], mean: np.ndarray, scale: np.ndarray,
                 nets: list[tuple[list[np.ndarray], list[np.ndarray]]]) -> NetworkView:
    """The networks without the first-layer rows of ``ignored`` columns, when every network's rows
    there are exactly 0 (else the model's own arrays: a hand-edited header cannot change what the
    networks compute), and when they are at least ``MIN_SKIPPED_SHARE`` of the columns."""
    wanted = set(ignored)
    skip = np.array([i for i, name in enumerate(names) if name in wanted], dtype=np.int64)
    if skip.size < MIN_SKIPPED_SHARE * len(names) or any(np.any(ws[0][skip]) for ws, _ in nets):
        return NetworkView(None, mean, scale, nets)
    keep = np.setdiff1d(np.arange(len(names)), skip)
    return NetworkView(
        keep, np.ascontiguousarray(mean[keep]), np.ascontiguousarray(scale[keep]),
        [([np.ascontiguousarray(ws[0][keep]), *ws[1:]], bs) for ws, bs in nets])


@dataclass
class BlockModel:
    """Scaler + MLP weights + calibration temperature + sequence-decoding tables."""

    feature_names: tuple[str, ...]
    schema: str
    mean: np.ndarray
    scale: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    temperature: float = 1.0
    transitions: np.ndarray | None = None  # log transition matrix over decode states
    start: np.ndarray | None = None  # log initial state distribution
    prior: np.ndarray | None = None  # label prior (for hybrid emissions)
    # The eight-state chain's tables for pages that are mostly furniture (``decode.viterbi_batch``'s
    # ``post``): models trained with ``--decoder auto``; None decodes every page with the above.
    post_transitions: np.ndarray | None = None
    post_start: np.ndarray | None = None
    lexical: LexicalScorer | None = None  # learned lexicon feeding the lex_* columns
    # Further networks of an ensemble (same shapes); logits are the mean over all networks.
    members: list[tuple[list[np.ndarray], list[np.ndarray]]] = field(default_factory=list)
    # Staged ensemble: ((networks k, min_proba tau), ...) with k rising, or None: every network
    # on every row.
    cascade: tuple[tuple[int, float], ...] | None = None
    meta: dict = field(default_factory=dict)
    sha256: str = ""
    # ``_network_view``'s last result, the arrays it was made from (``is``-compared) and the
    # ignored columns' names (compared by value: the header's list is read again each call).
    _view: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The model string reported in every result."""
        return f"{FORMAT} {self.meta.get('version', '1.0')} (sha256 {self.sha256[:16]})"

    def logits(self, X: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
        """Uncalibrated class scores [n, 4].

        ``starts``: the first row of each page (ascending, from 0) when X holds several pages;
        a page's scores then depend on that page alone, not on the pages around it. The
        products run in chunks of ``LOGIT_ROWS`` rows, and where this CPU's BLAS rounds a row by
        its position (``row_period`` > 1) each row is placed by ``_slots`` at a position fixed
        by the row and its page alone."""
        n = X.shape[0]
        period = row_period(self._shapes()) if n else 1
        if period == 1:
            return self._forward(X, None)
        lengths = np.diff(np.append(np.asarray([0] if starts is None else starts, dtype=np.int64), n))
        dest, rows = _slots(lengths, period, _page_offsets(X, lengths, period))
        return self._forward(X, dest, rows)

    def _shapes(self) -> tuple[tuple[int, int], ...]:
        return tuple(w.shape for w in self._network_view().nets[0][0])

    def _network_view(self) -> NetworkView:
        """What the forward pass multiplies: every network with the first-layer rows of the
        columns it reads. A model trained with ``--ignore-column`` has those columns' rows at
        exactly 0 (``training.train.fit_network``), so dropping them, and the columns from the
        input, gives the same logits up to float32 summation order for fewer multiply-adds
        (docs/speed.md, session 45). Made once per set of arrays, not per call."""
        nets = [(self.weights, self.biases), *self.members]
        ignored = tuple(self.meta.get("ignored_columns") or ())
        made_from = (self.mean, self.scale, *(w for ws, _ in nets for w in ws))
        if self._view is not None and self._view[1] == ignored and len(self._view[0]) == len(made_from) \
                and all(a is b for a, b in zip(self._view[0], made_from)):
            return self._view[2]
        view = network_view(self.feature_names, ignored, self.mean, self.scale, nets)
        self._view = (made_from, ignored, view)
        return view

    def _forward(self, X: np.ndarray, dest: np.ndarray | None, rows: int = 0) -> np.ndarray:
        """The forward pass over X's rows placed at buffer rows ``dest`` (in order when None)."""
        n = X.shape[0]
        rows = n if dest is None else rows
        period = row_period(self._shapes()) if n else 1
        tail = tail_rows(self._shapes(), period) if n else LOGIT_ROWS
        chunks, padded = _chunks(rows, tail)
        # Standardised straight into the first stage's buffer (in row order, or each row at
        # ``dest``), whose other rows are zero, with one zero row more than the products use:
        # each later stage's buffer is gathered from it in one pass (``np.take``), its pad rows
        # pointing at that zero row.
        view = self._network_view()
        buf = np.empty((max(padded, n) + 1, view.mean.shape[0]), dtype=np.float32)
        if dest is None:
            buf[n:] = 0.0
            self._standardise(X, buf[:n], view)
            place = np.arange(n)
        else:
            free = np.ones(buf.shape[0], dtype=bool)
            free[dest] = False
            buf[free] = 0.0
            self._standardise(X, buf, view, dest)
            place = dest
        zero_row = buf.shape[0] - 1
        nets = view.nets
        first = len(nets) if self.cascade is None else self.cascade[0][0]
        out = np.empty((padded, self.biases[-1].shape[0]), dtype=np.float32)
        with one_blas_thread():
            _accumulate(buf, chunks, nets[:first], out)
            sums = out[:n] if dest is None else out[dest]
            if first == len(nets):
                return sums / len(nets)
            result = sums / first
            # Later stages: the next networks on the rows the ones so far are unsure of, each row
            # at a buffer row of its first-stage residue, summed on in the same order: a row's
            # logits are the mean of the first k networks, bit for bit, for the k it stopped at.
            rows_open = np.arange(n)
            slots = rows_open if dest is None else dest
            partial = out
            for i, (k, tau) in enumerate(self.cascade):
                upto = self.cascade[i + 1][0] if i + 1 < len(self.cascade) else len(nets)
                unsure = np.flatnonzero(~confident_rows(result[rows_open] if i else result, self.temperature, tau))
                if not unsure.size:
                    break
                rows_open, slots = rows_open[unsure], slots[unsure]
                dest2, rows2 = _deal(slots % period, period)
                chunks2, padded2 = _chunks(rows2, tail)
                buf2 = np.take(buf, _gather_index(padded2, dest2, place[rows_open], zero_row), axis=0)
                acc = np.zeros((padded2, out.shape[1]), dtype=np.float32)
                acc[dest2] = partial[slots]
                _accumulate(buf2, chunks2, nets[k:upto], acc, add=True)
                result[rows_open] = acc[dest2] / upto
                partial, slots = acc, dest2
        return result

    @staticmethod
    def _standardise(X: np.ndarray, z: np.ndarray, view: NetworkView, rows: np.ndarray | None = None) -> None:
        """``z`` (or its rows ``rows``, one per row of X) = the network's input: (X - mean) /
        scale clipped to +-CLIP_SIGMA, NaN as 0, over ``view``'s columns of X; in one compiled
        pass when the kernel is built and X is float32 as the feature pass makes it (the numpy
        form is the fallback and the reference)."""
        mean, scale = view.mean, view.scale
        if (_MODEL_EXT is not None and X.dtype == np.float32 and X.flags.c_contiguous and z.flags.c_contiguous
                and mean.dtype == np.float32 and scale.dtype == np.float32):
            _MODEL_EXT.standardise(X, mean, scale, CLIP_SIGMA, z,
                                   None if rows is None else np.ascontiguousarray(rows, dtype=np.int64),
                                   view.columns)
            return
        if view.columns is not None:
            X = np.take(X, view.columns, axis=1)
        if rows is None:
            _standardise_numpy(X, mean, scale, z)
            return
        own = np.empty((X.shape[0], X.shape[1]), dtype=np.float32)
        _standardise_numpy(X, mean, scale, own)
        z[rows] = own

    def set_tables(self, start: np.ndarray, transitions: np.ndarray,
                   post: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Install decoding tables as ``decode.fit_decoder`` returns them (``post``: the eight-state
        pair of the "auto" decoder, or None for one chain on every page)."""
        self.start, self.transitions = start, transitions
        self.post_start, self.post_transitions = post if post is not None else (None, None)

    @property
    def post(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The eight-state (log_start, log_trans) for ``decode.viterbi_batch``'s ``post``, or None."""
        return None if self.post_transitions is None else (self.post_start, self.post_transitions)

    def predict_proba(self, X: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities [n, 4] (temperature-scaled softmax); ``starts`` as in ``logits``."""
        if X.shape[0] == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float64)
        z = self.logits(X, starts).astype(np.float64) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    # --- persistence -------------------------------------------------------------------
    def save(self, stem: Path) -> None:
        """Write ``stem.npz`` (arrays) and ``stem.json`` (header with the arrays' sha256)."""
        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"mean": self.mean, "scale": self.scale}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"w{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        for k, (ws, bs) in enumerate(self.members, start=1):
            for i, (w, b) in enumerate(zip(ws, bs)):
                arrays[f"m{k}_w{i}"] = w.astype(np.float32)
                arrays[f"m{k}_b{i}"] = b.astype(np.float32)
        for k in ("transitions", "start", "prior", "post_transitions", "post_start"):
            v = getattr(self, k)
            if v is not None:
                arrays[k] = np.asarray(v, dtype=np.float64)
        if self.lexical is not None:
            arrays["lex_w"] = self.lexical.weights
            arrays["lex_b"] = self.lexical.bias
        npz = stem.with_suffix(".npz")
        with open(npz, "wb") as fh:
            np.savez(fh, **arrays)
        digest = hashlib.sha256(npz.read_bytes()).hexdigest()
        header = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "schema": self.schema,
            "labels": list(LABELS), "feature_names": list(self.feature_names),
            "n_layers": len(self.weights), "members": 1 + len(self.members), "temperature": self.temperature,
            "arrays": npz.name, "arrays_sha256": digest, "meta": self.meta,
            "lexicon": self.lexical.words if self.lexical is not None else None,
        }
        if self.cascade is not None:
            header["cascade"] = cascade_header(self.cascade)
        stem.with_suffix(".json").write_text(json.dumps(header, indent=1) + "\n")
        self.sha256 = digest

    @classmethod
    def load(cls, path: Path | str, expected_schema: str | None = None,
             expected_features: tuple[str, ...] | None = None, header: dict | None = None) -> BlockModel:
        """Load a model from its ``.json`` header (or stem); verify format, checksum and schema.

        Every error names the file and what this newswinnow expects (format version, schema),
        so a user-trained or downloaded model that does not fit says why. ``header``: the
        header file's content when the caller has already parsed it (~3 ms saved), else it is read."""
        try:
            try:
                return cls._load(path, expected_schema, expected_features, header)
            except (TypeError, ValueError, AttributeError) as e:  # a header field of the wrong type
                raise ModelError(f"{path}: malformed model header ({type(e).__name__}: {e})") from e
        except ModelError as e:
            want = f"{FORMAT} format version {FORMAT_VERSION}" + (
                f", feature schema {expected_schema!r}" if expected_schema else "")
            raise ModelError(f"{e} [this newswinnow reads {want}]") from e.__cause__

    @classmethod
    def _load(cls, path: Path | str, expected_schema: str | None,
              expected_features: tuple[str, ...] | None, parsed: dict | None = None) -> BlockModel:
        p = Path(path)
        header_path = p if p.suffix == ".json" else p.with_suffix(".json")
        try:
            header = parsed if parsed is not None else jsonfile.read(header_path)
        except FileNotFoundError as e:
            raise ModelError(f"{header_path}: model file not found") from e
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise ModelError(f"{header_path}: not a newswinnow model header (bad JSON: {e})") from e
        except OSError as e:
            raise ModelError(f"{header_path}: model header unreadable ({e})") from e
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ModelError(f"{header_path}: not a {FORMAT} file")
        if header.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"{header_path}: format version {header.get('format_version')!r}, "
                             f"this newswinnow reads version {FORMAT_VERSION}")
        if expected_schema is not None and header.get("schema") != expected_schema:
            raise ModelError(f"{header_path}: feature schema {header.get('schema')!r}, "
                             f"expected {expected_schema!r} - retrain with `newswinnow train`")
        names = tuple(header.get("feature_names") or ())
        if expected_features is not None and names != expected_features:
            raise ModelError(f"{header_path}: feature names differ from schema {expected_schema!r}")
        if tuple(header.get("labels") or ()) != LABELS:
            raise ModelError(f"{header_path}: labels {header.get('labels')} != {list(LABELS)}")
        npz = header_path.parent / str(header.get("arrays", ""))
        try:
            raw = npz.read_bytes()
        except OSError as e:
            raise ModelError(f"{npz}: model arrays file missing ({e})") from e
        digest = hashlib.sha256(raw).hexdigest()
        if digest != header.get("arrays_sha256"):
            raise ModelError(f"{npz}: checksum mismatch (file truncated or tampered with); "
                             f"expected sha256 {header.get('arrays_sha256')}")
        try:
            arrays = _stored_arrays(raw)
            if arrays is None:  # members np.savez does not write (compressed, another .npy version)
                with np.load(npz, allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
        except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise ModelError(f"{npz}: unreadable model arrays ({type(e).__name__}: {e})") from e
        n_layers = header.get("n_layers")
        if not isinstance(n_layers, int) or isinstance(n_layers, bool) or n_layers < 1:
            raise ModelError(f"{header_path}: bad layer count n_layers={n_layers!r}")
        n_members = header.get("members", 1)
        if not isinstance(n_members, int) or isinstance(n_members, bool) or not 1 <= n_members <= MAX_MEMBERS:
            raise ModelError(f"{header_path}: bad ensemble size members={n_members!r}")
        try:
            weights = [arrays[f"w{i}"] for i in range(n_layers)]
            biases = [arrays[f"b{i}"] for i in range(n_layers)]
            members = [([arrays[f"m{k}_w{i}"] for i in range(n_layers)],
                        [arrays[f"m{k}_b{i}"] for i in range(n_layers)]) for k in range(1, n_members)]
            mean, scale = arrays["mean"], arrays["scale"]
        except KeyError as e:
            raise ModelError(f"{npz}: missing array {e}") from e
        # The header is not covered by the checksum: every shape must chain, or predict would crash.
        dims = [len(names)] + [w.shape[1] if w.ndim == 2 else -1 for w in weights]
        if mean.shape != (len(names),) or scale.shape != mean.shape or dims[-1] != len(LABELS) \
                or any(w.shape != (a, b) or bias.shape != (b,)
                       for w, bias, a, b in zip(weights, biases, dims[:-1], dims[1:])) \
                or any(w.shape != w0.shape or b.shape != b0.shape
                       for ws, bs in members for w, b, w0, b0 in zip(ws, bs, weights, biases)):
            raise ModelError(f"{npz}: array shapes do not match the {len(names)} features / 4 labels")
        _check_tables(npz, arrays)
        cascade = header_cascade(header_path, header.get("cascade"), n_members)
        lexical = None
        if header.get("lexicon") is not None:
            try:
                lexical = LexicalScorer(header["lexicon"], arrays["lex_w"], arrays["lex_b"])
            except (KeyError, ValueError, TypeError) as e:
                raise ModelError(f"{npz}: lexicon does not match its weights ({e})") from e
        return cls(
            lexical=lexical,
            feature_names=names, schema=header["schema"], mean=mean.astype(np.float32),
            scale=scale.astype(np.float32), weights=[_flushed(w) for w in weights],
            biases=[_flushed(b) for b in biases],
            members=[([_flushed(w) for w in ws], [_flushed(b) for b in bs]) for ws, bs in members],
            temperature=float(header.get("temperature", 1.0)),
            transitions=arrays.get("transitions"), start=arrays.get("start"), prior=arrays.get("prior"),
            post_transitions=arrays.get("post_transitions"), post_start=arrays.get("post_start"),
            meta=header.get("meta") or {}, sha256=digest, cascade=cascade,
        )
