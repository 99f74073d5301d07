"""Start-up tables kept on disk between runs, as plain arrays.

Why: every process builds the same few tables before its first page, and the largest is the
profanity matcher, one regular expression of ~56,000 characters whose parsing and compiling in
Python's ``re`` takes ~0.1 s. Before ``--jobs`` forks its workers that time is serial (it caps
the speed-up), and for a one-page call it is a large part of the run. A table is written once,
as plain arrays behind a JSON header (numbers and fixed-width strings only: reading one executes
nothing), under a name derived from everything it was built from plus the Python, numpy and
Unicode versions. A missing, unreadable or mismatched file is rebuilt; a directory that cannot
be written is not used; ``NEWSWINNOW_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

__all__ = ["CACHE_DIR_ENV", "NO_CACHE_ENV", "RegexBank", "cache_dir", "cached_arrays", "banked_regex", "compile_many",
           "compile_regex", "read_entry", "source_fingerprint", "stored"]

# Where the tables go (default: $XDG_CACHE_HOME/newswinnow, else ~/.cache/newswinnow).
CACHE_DIR_ENV = "NEWSWINNOW_CACHE_DIR"
# Set to anything but "" or "0" to build every table in memory and touch no file.
NO_CACHE_ENV = "NEWSWINNOW_NO_CACHE"
# Bumped when the layout of an entry changes; part of every entry's key (2: compiled regex
# programs stored several to an entry, ``compile_many``; 3: the entry file below, not ``.npz``).
CACHE_FORMAT = 3
# An entry file: MAGIC, the header's length (8 bytes, little-endian), the header (JSON: the
# entry's key, the size of its data and each array's name, dtype, shape and offset in the
# data), then the data, each array at a multiple of ALIGN bytes. It is read with one
# ``readinto`` (~2 ms for the ~14 MB of tables a process starts with, against ~18 ms as
# ``.npz``: a zip member per array, each CRC-checked). No checksum, as for Python's own
# bytecode cache: an entry is written to a temporary file and renamed whole, and a file of
# another size, header or key than expected is not used.
MAGIC = b"NWTABLE\0"
ALIGN = 64
# A header longer than this is not an entry's (a damaged length is not read as one).
MAX_HEADER = 1 << 20
ENTRY_SUFFIX = ".tab"
# Suffixes of entries in earlier formats: removed with the older entries of the same name.
_OLD_SUFFIXES = (".npz",)
# Array kinds an entry may hold: booleans, numbers, fixed-width byte and text strings (never
# objects or records).
_KINDS = frozenset("biufcSU")
# The package's own files a table may be built from: any edit of one gives every table that
# depends on the source (``source_fingerprint``) a new key.
_SOURCE_GLOBS = ("*.py", "wordlists/*")
# Errors that mean "this file is not a usable entry": build the table instead.
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, OverflowError, RecursionError)


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is turned off."""
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    where = os.environ.get(CACHE_DIR_ENV)
    if where:
        return Path(where)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newswinnow"


def _environment() -> bytes:
    """What every table may depend on besides its own inputs: the interpreter (``re`` and
    ``str`` semantics, the compiled-regex format), numpy and the Unicode database."""
    return json.dumps([CACHE_FORMAT, sys.version, sys.implementation.cache_tag, np.__version__,
                       unicodedata.unidata_version]).encode()


@functools.lru_cache(maxsize=1)
def source_fingerprint() -> bytes:
    """A digest of the ``features`` package's Python sources and word lists (~1 ms): the input
    part of a table built from module constants, so that no edit can leave a stale table."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for pattern in _SOURCE_GLOBS:
        for path in sorted(here.glob(pattern)):
            if path.is_file():
                h.update(path.relative_to(here).as_posix().encode() + b"\0")
                h.update(path.read_bytes())
    return h.digest()


def _key(name: str, parts: Iterable[bytes]) -> str:
    h = hashlib.sha256(_environment())
    h.update(name.encode())
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def cached_arrays(name: str, parts: Iterable[bytes],
                  build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``build()``'s arrays, read from the cache when an entry for ``name`` and exactly these
    input ``parts`` exists, else built and stored. ``build`` must depend on nothing but ``parts``
    and the environment (``_environment``); arrays of other kinds than ``_KINDS`` (objects,
    records) are returned but not stored."""
    key = _key(name, parts)
    where = cache_dir()
    path = _path(where, name, key) if where is not None else None
    if path is not None:
        got = _read(path, key)
        if got is not None:
            return got
    arrays = build()
    if path is not None:
        _write(path, key, arrays)
    return arrays


def stored(name: str, parts: Iterable[bytes]) -> bool:
    """Whether an entry for ``name`` and these ``parts`` is on disk and readable (then
    ``cached_arrays`` will not build it): for tables worth building only when they are cheap."""
    where = cache_dir()
    if where is None:
        return False
    key = _key(name, parts)
    path = _path(where, name, key)
    try:  # the header only: the caller reads the entry itself when it needs the table
        with open(path, "rb") as fh:
            return _read_header(fh, path)[0] == key
    except _READ_ERRORS:
        return False


def _path(where: Path, name: str, key: str) -> Path:
    return where / f"{name}-{key[:32]}{ENTRY_SUFFIX}"


def _storable(dtype: np.dtype) -> bool:
    """Whether an entry may hold arrays of ``dtype`` (one of ``_KINDS``, not a record or a
    sub-array, not empty): what is written and what is read back are checked alike."""
    return dtype.kind in _KINDS and dtype.fields is None and dtype.subdtype is None and dtype.itemsize > 0


def _read_header(fh, path: Path) -> tuple[str, int, list]:
    """An open entry's key, data size and array layout, with ``fh`` at the data; raises one of
    ``_READ_ERRORS`` when the file is not a whole entry (its size not the header's)."""
    if fh.read(len(MAGIC)) != MAGIC:
        raise ValueError(f"{path}: not a table cache entry")
    length = int.from_bytes(fh.read(8), "little")
    if not 0 < length <= MAX_HEADER:
        raise ValueError(f"{path}: bad header length")
    header = json.loads(fh.read(length))
    key, size, layout = header["key"], header["size"], header["arrays"]
    if not isinstance(key, str) or not isinstance(size, int) or not isinstance(layout, list):
        raise ValueError(f"{path}: malformed header")
    if os.fstat(fh.fileno()).st_size != fh.tell() + size:
        raise ValueError(f"{path}: not the size its header gives")
    return key, size, layout


def read_entry(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """An entry file's key and arrays; raises one of ``_READ_ERRORS`` on a file that is not a
    whole, well-formed entry. The arrays are writable views of one buffer read from the file."""
    with open(path, "rb") as fh:
        key, size, layout = _read_header(fh, path)
        data = np.empty(size, dtype=np.uint8)
        if fh.readinto(memoryview(data)) != size:
            raise EOFError(f"{path}: short read")
    arrays: dict[str, np.ndarray] = {}
    for item in layout:
        if not isinstance(item["dtype"], str):  # np.dtype(None) would be float64, np.dtype([...]) records
            raise ValueError(f"{path}: malformed array {item['name']!r}")
        name, dtype, shape, offset = item["name"], np.dtype(item["dtype"]), item["shape"], item["offset"]
        if (not isinstance(name, str) or not _storable(dtype) or not isinstance(shape, list)
                or not all(isinstance(d, int) and d >= 0 for d in shape)
                or not isinstance(offset, int) or offset < 0 or offset % ALIGN):
            raise ValueError(f"{path}: malformed array {name!r}")
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=object))
        if offset + nbytes > size:
            raise ValueError(f"{path}: array {name!r} runs past the data")
        arrays[name] = data[offset: offset + nbytes].view(dtype).reshape(shape)
    return key, arrays


def _read(path: Path, key: str) -> dict[str, np.ndarray] | None:
    try:
        got, arrays = read_entry(path)
    except _READ_ERRORS:
        return None
    return arrays if got == key else None


def _write(path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store atomically (a finished file or none: concurrent writers each rename a whole file),
    and remove older entries of the same name. Any error leaves the cache as it was; arrays of
    other kinds than ``_KINDS`` are not stored."""
    blocks = {name: np.asarray(a, order="C") for name, a in arrays.items()}  # ascontiguousarray makes 0-d 1-d
    if not all(_storable(a.dtype) for a in blocks.values()):
        return
    layout, size = [], 0
    for name, a in blocks.items():
        size = -(-size // ALIGN) * ALIGN
        layout.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": size})
        size += a.nbytes
    header = json.dumps({"key": key, "size": size, "arrays": layout}).encode()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=ENTRY_SUFFIX)
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
            at = 0
            for item, a in zip(layout, blocks.values()):
                fh.write(bytes(item["offset"] - at))
                fh.write(a.tobytes())
                at = item["offset"] + a.nbytes
        os.replace(tmp, path)
        tmp = None
        stem = path.name.rsplit("-", 1)[0]
        for suffix in (ENTRY_SUFFIX, *_OLD_SUFFIXES):
            for old in path.parent.glob(f"{stem}-*{suffix}"):
                if old != path and old.name.rsplit("-", 1)[0] == stem:
                    old.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# Compiled regular expressions
# --------------------------------------------------------------------------------------------
def _sre_parts():
    """``re``'s parser and code generator and ``_sre``, or None where they are not as CPython
    3.11-3.13 has them (then every pattern goes through ``re.compile``)."""
    try:
        import _sre
        from re import _compiler, _parser
    except ImportError:  # pragma: no cover - other interpreters
        return None
    if not (hasattr(_parser, "parse") and hasattr(_compiler, "_code") and hasattr(_sre, "compile")
            and getattr(_sre, "CODESIZE", 0) == 4):
        return None  # pragma: no cover
    return _sre, _compiler, _parser


def _sre_compile(sre, pattern: str | bytes, code: list[int], meta: dict) -> re.Pattern:
    groupindex = meta["groupindex"]
    indexgroup = [None] * (meta["groups"] + 1)
    for k, i in groupindex.items():
        indexgroup[i] = k
    return sre.compile(pattern, meta["flags"], code, meta["groups"], groupindex, tuple(indexgroup))


def _program(parts, pattern: str | bytes, flags: int = 0) -> tuple[list[int], dict] | None:
    """``pattern``'s program and its metadata as ``re._compiler.compile`` hands them to
    ``_sre.compile``, or None when the result would not equal ``re.compile(pattern, flags)`` (an
    interpreter whose ``re`` works differently: that pattern then always goes through ``re``).
    Raises what ``re.compile`` raises for a bad pattern."""
    sre, compiler, parser = parts
    theirs = re.compile(pattern, flags)
    flags = int(flags)
    try:
        p = parser.parse(pattern, flags)
        code = compiler._code(p, flags)
        meta = {"flags": int(flags | p.state.flags), "groups": p.state.groups - 1,
                "groupindex": dict(p.state.groupdict)}
        ours = _sre_compile(sre, pattern, code, meta)
    except Exception:  # noqa: BLE001 - internals that differ from CPython 3.11-3.13's
        return None
    if ours != theirs or ours.groupindex != theirs.groupindex or ours.groups != theirs.groups:
        return None
    return code, meta


def _pattern_part(pattern: str | bytes) -> bytes:
    """A pattern as a key part: its type and its code units (str and bytes never collide)."""
    if isinstance(pattern, str):
        return b"s" + pattern.encode("utf-8", "surrogatepass")
    return b"b" + bytes(pattern)


def _packed_programs(codes: list, metas: list) -> dict[str, np.ndarray]:
    """Programs end to end (``code``), where each starts (``offsets``) and each one's metadata
    (``meta``, JSON): the arrays of ``compile_many``'s entries and of the regex bank."""
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in codes], out=offsets[1:])
    code = np.concatenate([np.asarray(c, dtype=np.uint32) for c in codes]) if codes else np.zeros(0, dtype=np.uint32)
    return {"code": code, "offsets": offsets, "meta": np.frombuffer(json.dumps(metas).encode(), dtype=np.uint8)}


def _unpacked_programs(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list]:
    """``_packed_programs`` undone: (code, offsets, metas); ValueError (or KeyError, ...) on
    arrays that disagree."""
    code, offsets = arrays["code"], arrays["offsets"]
    metas = json.loads(arrays["meta"].tobytes())
    if not isinstance(metas, list) or offsets.shape != (len(metas) + 1,) or int(offsets[-1]) != code.shape[0]:
        raise ValueError("programs, offsets and metadata disagree")
    return code, offsets, metas


def _programs(parts, patterns: list) -> dict[str, np.ndarray]:
    """One entry for ``patterns``: ``_packed_programs`` of their programs, the metadata null (and
    the program empty) for a pattern left to ``re``."""
    got = [_program(parts, pattern) for pattern in patterns]
    return _packed_programs([g[0] if g else [] for g in got], [g[1] if g else None for g in got])


def _from_programs(sre, patterns: list, arrays: dict[str, np.ndarray]) -> list[re.Pattern]:
    """The compiled patterns of an entry; raises (ValueError, KeyError, ...) on one that is not
    a well-formed entry of exactly these patterns. ``_sre.compile`` checks every program before
    it accepts it, so a damaged program raises too and never runs."""
    code, offsets, metas = _unpacked_programs(arrays)
    if len(metas) != len(patterns):
        raise ValueError("not an entry of these patterns")
    return [re.compile(pattern) if meta is None else
            _sre_compile(sre, pattern, code[offsets[i]: offsets[i + 1]].tolist(), meta)
            for i, (pattern, meta) in enumerate(zip(patterns, metas))]


def compile_many(patterns: Iterable[str | bytes], name: str) -> list[re.Pattern]:
    """``[re.compile(p) for p in patterns]`` (no flags; str or bytes), with the compiled programs
    of all of them kept in one cache entry.

    Why: a module's patterns parsed and compiled at import cost every start-up tens of
    milliseconds (the MT artefact patterns alone ~25 ms); read back, each is one
    ``_sre.compile`` of a stored program. A program is what ``re`` itself hands to
    ``_sre.compile`` after parsing, stored only when the result equals ``re.compile(pattern)``
    (patterns compare by flags and program); ``_sre.compile`` checks every program it is given,
    so a damaged file raises (and is rebuilt), never runs wild.
    """
    patterns = list(patterns)
    parts = _sre_parts()
    if parts is None or cache_dir() is None:
        return [re.compile(p) for p in patterns]
    inputs = [_pattern_part(p) for p in patterns]
    arrays = cached_arrays(name, inputs, lambda: _programs(parts, patterns))
    for attempt in range(2):
        try:
            return _from_programs(parts[0], patterns, arrays)
        except (RuntimeError, ValueError, TypeError, KeyError, OverflowError, IndexError):
            if attempt:  # pragma: no cover - a fresh build that _sre refuses
                break
            arrays = _programs(parts, patterns)  # a damaged entry: build it again and replace it
            where, key = cache_dir(), _key(name, inputs)
            if where is not None:
                _write(_path(where, name, key), key, arrays)
    return [re.compile(p) for p in patterns]


def compile_regex(pattern: str, name: str) -> re.Pattern[str]:
    """``re.compile(pattern)`` (no flags), with the compiled program kept in the cache: one
    pattern's ``compile_many``."""
    if not isinstance(pattern, str):
        return re.compile(pattern)
    return compile_many([pattern], name)[0]


# --------------------------------------------------------------------------------------------
# The regex bank: the programs of every pattern compiled through ``banked_regex``, one entry
# --------------------------------------------------------------------------------------------
REGEX_BANK = "regex-bank"
# Patterns the bank holds at most; past this it starts again from the pattern at hand (patterns
# of older sources pile up in it otherwise, since it is keyed by the environment alone).
REGEX_BANK_MAX = 2048
_BANK_ERRORS = (RuntimeError, ValueError, TypeError, KeyError, OverflowError, IndexError)


class RegexBank:
    """Compiled programs by (flags, pattern), read from one cache entry and rewritten whole when
    a pattern is new (the first run of an interpreter/numpy/Unicode environment, an edited
    pattern). A program comes from ``_program`` (equal to ``re.compile``'s) and ``_sre.compile``
    checks it again at every use, so a damaged program costs a compile and never runs. Like the
    other entries (and Python's bytecode cache) the bank trusts its directory: a program crafted
    into another pattern's place would be used."""

    def __init__(self, where: Path) -> None:
        self.key = _key(REGEX_BANK, [])
        self.path = _path(where, REGEX_BANK, self.key)
        self.programs: dict[bytes, tuple[np.ndarray, dict]] = {}
        arrays = _read(self.path, self.key)
        if arrays is not None:
            try:
                self.programs = _unpack_bank(arrays)
            except _BANK_ERRORS:  # (JSON and UTF-8 errors are ValueErrors)
                self.programs = {}

    def compile(self, parts, pattern: str | bytes, flags: int = 0) -> re.Pattern:
        key = str(int(flags)).encode() + b":" + _pattern_part(pattern)
        got = self.programs.get(key)
        if got is not None:
            code, meta = got
            try:
                return _sre_compile(parts[0], pattern, code.tolist(), meta)
            except _BANK_ERRORS:
                self.programs.pop(key, None)
        compiled = re.compile(pattern, flags)
        program = _program(parts, pattern, flags)
        if program is not None:
            if len(self.programs) >= REGEX_BANK_MAX:
                self.programs = {}
            self.programs[key] = (np.asarray(program[0], dtype=np.uint32), program[1])
            _write(self.path, self.key, _pack_bank(self.programs))
        return compiled


def _pack_bank(programs: dict[bytes, tuple[np.ndarray, dict]]) -> dict[str, np.ndarray]:
    """The bank's entry: ``_packed_programs`` of its programs, and their keys end to end."""
    keys = list(programs)
    key_offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(k) for k in keys], out=key_offsets[1:])
    return {"keys": np.frombuffer(b"".join(keys), dtype=np.uint8), "key_offsets": key_offsets,
            **_packed_programs([programs[k][0] for k in keys], [programs[k][1] for k in keys])}


def _unpack_bank(arrays: dict[str, np.ndarray]) -> dict[bytes, tuple[np.ndarray, dict]]:
    """``_pack_bank`` undone; raises on an entry whose parts disagree."""
    code, offsets, metas = _unpacked_programs(arrays)
    keys, key_offsets = arrays["keys"], arrays["key_offsets"]
    n = len(metas)
    if key_offsets.shape != (n + 1,) or int(key_offsets[-1]) != keys.shape[0]:
        raise ValueError("not a regex bank")
    raw = keys.tobytes()
    return {raw[key_offsets[i]: key_offsets[i + 1]]: (code[offsets[i]: offsets[i + 1]], metas[i]) for i in range(n)}


_BANKS: dict[Path, RegexBank] = {}


def banked_regex(pattern: str | bytes, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, its program kept with every other such pattern's in one
    cache entry (``RegexBank``).

    Why: the modules' patterns compiled at import and in the first batch (95 compiles, the
    module-level ones through here) took ~10 ms of every start in parsing and code generation;
    read back, each is one ``_sre.compile``."""
    parts = _sre_parts()
    where = cache_dir() if parts is not None else None
    if where is None:
        return re.compile(pattern, flags)
    bank = _BANKS.get(where)
    if bank is None:
        bank = _BANKS[where] = RegexBank(where)
    return bank.compile(parts, pattern, flags)
