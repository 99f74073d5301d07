"""JSON files read at start-up (model headers, the soft-signal model, the page gate).

Why: every process parses ~1.2 MB of them before its first page (the text model's header twice):
~14 ms with ``json``, ~12 ms with orjson (measured 2026-12-07; most of it is making the lexicons'
70,000 strings, which no parser avoids). What orjson refuses (NaN, Infinity, integers over 64
bits, text that is not UTF-8) goes to ``json``, which reads it as before or raises its own error,
so callers keep one behaviour and one set of exceptions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

try:  # a declared dependency; the fallback keeps a broken install working
    import orjson
except ImportError:  # pragma: no cover - exercised only when orjson is missing
    orjson = None


def loads(raw: bytes) -> Any:
    """Parse a JSON document: orjson first, ``json`` for what orjson refuses."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def read(path: str | Path) -> Any:
    """``loads`` of a file's bytes (OSError as ``Path.read_bytes`` raises it)."""
    return loads(Path(path).read_bytes())
