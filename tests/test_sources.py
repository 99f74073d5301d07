"""``newswinnow sources``: per-source aggregation of classify output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from classifier.sources import NO_SOURCE, SourceTable, iter_results


def result(source: str | None, quality: float, reasons: list[str], comment: float = 0.0, spam: float = 0.0,
           mt: float = 0.0, dup: float = 0.0, url: str | None = None) -> dict:
    """A classify result with the page-level fields the aggregation reads (blocks omitted)."""
    edit = round(1.0 - comment - spam, 4)
    return {"id": "x", "url": url, "source": source, "blocks": [], "has_comments": comment > 0,
            "comment_start": 3 if comment > 0 else None,
            "fractions": {"editorial": edit, "comment": comment, "spam": spam, "boilerplate": 0.0},
            "mt_score": mt, "dup_fraction": dup, "quality": quality, "reasons": reasons, "model": "m"}


RESULTS = [
    result("good.com", 1.0, []),
    result("good.com", 0.9, ["boilerplate_heavy"]),
    result("good.com", 0.8, ["thin_content"], dup=0.3),
    result("chatty.org", 0.4, ["comment_heavy"], comment=0.8),
    result("chatty.org", 0.5, ["comment_heavy", "spam"], comment=0.6, spam=0.1),
    result("chatty.org", 0.3, ["comment_heavy", "profanity"], comment=0.9, mt=0.2),
    result("chatty.org", 0.6, ["spam"], spam=0.2),
    result(None, 0.2, ["machine_translated", "autoblog_markers"], mt=0.8, url="https://www.spun.co.uk/p/1"),
    result(None, 0.7, [], url=None),
]


def write_jsonl(path: Path, rows: list[dict], extra: list[str] = ()) -> Path:
    lines = [json.dumps(r) for r in rows] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_aggregates_per_source() -> None:
    t = SourceTable()
    for r in RESULTS:
        t.add(r)
    rows = {r["source"]: r for r in t.rows()}
    assert set(rows) == {"good.com", "chatty.org", "spun.co.uk", NO_SOURCE}
    c = rows["chatty.org"]
    assert c["pages"] == 4
    assert c["mean_quality"] == pytest.approx(0.45)
    assert c["median_quality"] == pytest.approx(0.45)          # even count: mean of 0.4 and 0.5
    assert c["comment_page_share"] == pytest.approx(0.75)
    assert c["mean_comment_share"] == pytest.approx((0.8 + 0.6 + 0.9) / 4)
    assert c["spam_page_share"] == pytest.approx(0.5)
    assert c["mean_spam_share"] == pytest.approx(0.3 / 4)
    assert c["mean_mt_score"] == pytest.approx(0.05)
    assert list(c["top_reasons"].items())[:2] == [("comment_heavy", 3), ("spam", 2)]
    g = rows["good.com"]
    assert g["median_quality"] == pytest.approx(0.9) and g["mean_dup_fraction"] == pytest.approx(0.1)
    assert rows["spun.co.uk"]["pages"] == 1  # source from the url when the result has none


def test_sorted_worst_first_and_min_pages() -> None:
    t = SourceTable()
    for r in RESULTS:
        t.add(r)
    rows = t.rows()
    assert [r["source"] for r in rows] == ["spun.co.uk", "chatty.org", NO_SOURCE, "good.com"]
    assert [r["source"] for r in t.rows(min_pages=3)] == ["chatty.org", "good.com"]
    assert t.rows(min_pages=5) == []


def test_median_is_exact_for_many_pages() -> None:
    t = SourceTable()
    qs = [round(i / 997, 4) for i in range(997)]
    for q in reversed(qs):
        t.add(result("a.com", q, []))
    assert t.rows()[0]["median_quality"] == qs[498]


def test_bad_lines_reported_and_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", RESULTS[:2], ['{"id": 1}', "not json", "[1, 2]", ""])
    errors: list[tuple[int, str]] = []
    got = list(iter_results([str(path)], lambda p, n, reason, raw: errors.append((n, reason))))
    assert len(got) == 2
    assert [n for n, _ in errors] == [3, 4, 5]
    assert "missing quality" in errors[0][1] and "bad JSON" in errors[1][1]


def test_cli_csv_json_rejects_and_exit_codes(tmp_path: Path, run_cli) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", RESULTS, ["{broken"])
    p = run_cli(["sources", path, "--rejects", tmp_path / "rej.jsonl"])
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["source"] for r in rows] == ["spun.co.uk", "chatty.org", NO_SOURCE, "good.com"]
    assert rows[1]["top_reasons"].startswith("comment_heavy:3;spam:2")
    assert "r.jsonl:10: rejected" in p.stderr
    assert (tmp_path / "rej.jsonl").read_text() == "{broken\n"

    p = run_cli(["sources", "--format", "json", "--min-pages", "2", "-o", tmp_path / "s.json", path])
    assert p.returncode == 0
    data = json.loads((tmp_path / "s.json").read_text())
    assert [r["source"] for r in data] == ["chatty.org", "good.com"]
    assert data[0]["pages"] == 4

    p = run_cli(["sources", "-"], stdin="\n".join(json.dumps(r) for r in RESULTS[:3]) + "\n")
    assert p.returncode == 0 and p.stdout.count("\n") == 2

    write_jsonl(tmp_path / "bad.jsonl", [], ["nope"])
    assert run_cli(["sources", tmp_path / "bad.jsonl"]).returncode == 1
    assert run_cli(["sources", "--min-pages", "0", path]).returncode == 2


def test_cli_on_real_classify_output(tmp_path: Path, run_cli, rigged_model_path: Path) -> None:
    """End to end: classify -> sources, with urls on two sites."""
    recs = [{"id": i, "url": u, "text": t} for i, (u, t) in enumerate([
        ("https://www.a.co.uk/1", "The council approved the bridge budget on Tuesday.\nIt will open in May."),
        ("http://news.a.co.uk/2", "The mayor said the river road will close next week for repairs."),
        ("https://b.com/x", "I think this is wrong.\nI think so too, honestly."),
    ])]
    inp = write_jsonl(tmp_path / "in.jsonl", recs)
    c = run_cli(["classify", "--model", rigged_model_path, inp])
    assert c.returncode == 0, c.stderr
    (tmp_path / "out.jsonl").write_text(c.stdout)
    p = run_cli(["sources", "--format", "json", tmp_path / "out.jsonl"])
    data = {r["source"]: r for r in json.loads(p.stdout)}
    assert data["a.co.uk"]["pages"] == 2 and data["b.com"]["pages"] == 1


def test_reads_gzip_and_stdin(tmp_path: Path, run_cli) -> None:
    import gzip

    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in RESULTS).encode()))
    p = run_cli(["sources", "--format", "json", gz])
    assert p.returncode == 0, p.stderr
    assert sum(r["pages"] for r in json.loads(p.stdout)) == len(RESULTS)
    out = tmp_path / "r.html"
    p = run_cli(["report", "-o", out, "--min-pages", "1"], stdin="".join(json.dumps(r) + "\n" for r in RESULTS))
    assert p.returncode == 0, p.stderr
    assert f"report of {len(RESULTS)} pages" in p.stderr and "chatty.org" in out.read_text()
