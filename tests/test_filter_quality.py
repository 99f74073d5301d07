"""``filter --min-quality``: pages below the threshold go to --rejects whole, with their reasons."""

from __future__ import annotations

import json
from pathlib import Path

_ART = [f"Paragraph {i} of the article reports what the council decided about the bridge budget."
        for i in range(12)]
_COM = [f"I think the council is wrong about bridge number {i}, honestly, and so do my neighbours."
        for i in range(30)]
CLEAN = "\n".join(_ART)
CHATTY = "\n".join(_ART[:3] + _COM)


def test_min_quality_rejects_carry_reasons_and_original_text(run_cli, rigged_model_path: Path,
                                                              tmp_path: Path) -> None:
    recs = [{"id": "clean", "text": CLEAN, "k": 1}, {"id": "chatty", "text": CHATTY, "k": 2}]
    stdin = "".join(json.dumps(r) + "\n" for r in recs)
    rejects = tmp_path / "rej.jsonl"
    p = run_cli(["filter", "--model", rigged_model_path, "--min-quality", "0.8", "--rejects", rejects], stdin=stdin)
    assert p.returncode == 0, p.stderr
    kept = [json.loads(x) for x in p.stdout.splitlines()]
    dropped = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [d["id"] for d in kept] == ["clean"] and [d["id"] for d in dropped] == ["chatty"]
    (d,) = dropped
    assert d["text"] == CHATTY and d["k"] == 2                 # nothing lost: the original record
    assert d["newswinnow"]["filtered"] == ["below_min_quality"]
    assert d["newswinnow"]["reasons"][0] == "comment_heavy"
    assert d["newswinnow"]["quality"] < 0.8 <= kept[0]["newswinnow"]["quality"]
    assert "1 of 2 records failed" in p.stderr and str(rejects) in p.stderr


def test_min_quality_without_rejects_says_what_was_dropped(run_cli, rigged_model_path: Path) -> None:
    stdin = json.dumps({"id": "chatty", "text": CHATTY}) + "\n"
    p = run_cli(["filter", "--model", rigged_model_path, "--min-quality", "0.8"], stdin=stdin)
    assert p.returncode == 0 and p.stdout == ""
    assert "1 of 1 records failed" in p.stderr and "--rejects" in p.stderr
