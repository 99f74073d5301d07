"""features.jsonfile: start-up JSON files parsed by orjson read as ``json`` reads them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from features import jsonfile

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_shipped_files_parse_as_json_parses_them(name: str) -> None:
    """Every shipped model file gives the same objects, floats bit for bit (``==`` on nested
    lists and dicts compares them exactly)."""
    raw = (DATA / name).read_bytes()
    assert jsonfile.read(DATA / name) == json.loads(raw)


def test_what_orjson_refuses_goes_to_json(tmp_path: Path) -> None:
    """NaN, Infinity and integers over 64 bits are JSON to Python's ``json``, not to orjson."""
    p = tmp_path / "h.json"
    p.write_text('{"t": NaN, "u": -Infinity, "big": 123456789012345678901234567890, "s": "\\u00e9"}')
    got = jsonfile.read(p)
    assert math.isnan(got["t"]) and got["u"] == -math.inf
    assert got["big"] == 123456789012345678901234567890 and got["s"] == "\u00e9"


def test_bad_json_raises_json_error(tmp_path: Path) -> None:
    """Callers catch ``json.JSONDecodeError`` (a ValueError) and OSError, as before."""
    p = tmp_path / "bad.json"
    p.write_text('{"format": ')
    with pytest.raises(json.JSONDecodeError):
        jsonfile.read(p)
    with pytest.raises(OSError):
        jsonfile.read(tmp_path / "missing.json")
