"""The contract (design/INTERFACE.md): DocumentResult.to_dict, and the classify / filter / show commands."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.api import Classifier
from classifier.cli import main
from classifier.model import LABELS

DOC_KEYS = ["id", "url", "source", "blocks", "has_comments", "comment_start", "fractions",
            "mt_score", "dup_fraction", "quality", "reasons", "model"]
BLOCK_KEYS = ["index", "line", "text", "label", "proba", "mt", "profanity", "evidence"]
# A page with blank lines, a thread of opinion lines (comments under the rigged model) and spam.
PAGE = ("\n"
        "Council approves the harbour bridge budget\n"
        "\n"
        "The city council voted 7-2 on Tuesday to fund the new bridge, officials said.\n"
        "   \n"
        "Work is due to start in the spring.\n"
        "\n"
        "I think you are wrong about the cost.\n"
        "Do you even read the article?\n"
        "Check out my channel for bridge videos\n"
        "I agree with the council on this one.\n")
PAGE_LINES = [2, 4, 6, 8, 9, 10, 11]
HTML_PAGE = ("<html><head><title>t</title><script>x()</script></head><body>"
             "<h1>Council approves the bridge budget</h1><p>The council voted on Tuesday.</p>"
             "<p>Work starts in spring.</p><div class='comments'><p>I think you are wrong.</p>"
             "<p>Do you even read the article?</p></div></body></html>")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
Run = Callable[..., subprocess.CompletedProcess]


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- Python API and the result object -------------------------------------------------------

def test_to_dict_has_exactly_the_contract_keys(clf: Classifier) -> None:
    d = clf.classify_text(PAGE, id="p1", url="https://www.news.example.co.uk/a/b").to_dict()
    assert list(d) == DOC_KEYS
    assert d["id"] == "p1" and d["url"] == "https://www.news.example.co.uk/a/b"
    assert d["source"] == "example.co.uk"
    assert all(list(b) == BLOCK_KEYS for b in d["blocks"])
    assert set(d["fractions"]) == set(LABELS)
    assert sum(d["fractions"].values()) == pytest.approx(1.0, abs=1e-3)
    for b in d["blocks"]:
        assert b["label"] in LABELS
        assert set(b["proba"]) == set(LABELS) and sum(b["proba"].values()) == pytest.approx(1.0, abs=1e-3)
        assert 0.0 <= b["mt"] <= 1.0 and 0.0 <= b["profanity"] <= 1.0
        assert isinstance(b["evidence"], list)
    for k in ("mt_score", "dup_fraction", "quality"):
        assert 0.0 <= d[k] <= 1.0
    assert isinstance(d["reasons"], list) and isinstance(d["has_comments"], bool)
    assert d["model"].startswith("newswinnow-model")
    json.dumps(d)  # plain JSON types only


def test_line_numbers_are_exact(clf: Classifier) -> None:
    d = clf.classify_text(PAGE).to_dict()
    assert [b["line"] for b in d["blocks"]] == PAGE_LINES
    assert [b["index"] for b in d["blocks"]] == list(range(len(PAGE_LINES)))
    lines = PAGE.split("\n")
    assert all(b["text"] == lines[b["line"] - 1] for b in d["blocks"])


def test_crlf_line_numbers(clf: Classifier) -> None:
    d = clf.classify_text(PAGE.replace("\n", "\r\n")).to_dict()
    assert [b["line"] for b in d["blocks"]] == PAGE_LINES
    assert not any(b["text"].endswith("\r") for b in d["blocks"])


def test_no_text_drops_only_text(clf: Classifier) -> None:
    doc = clf.classify_text(PAGE, id="x")
    full, slim = doc.to_dict(), doc.to_dict(include_text=False)
    assert all("text" not in b for b in slim["blocks"])
    for b in full["blocks"]:
        del b["text"]
    assert slim == full


def test_text_comment_start_is_a_line_number(rigged_clf: Classifier) -> None:
    doc = rigged_clf.classify_text(PAGE)
    labels = [b["label"] for b in doc.to_dict()["blocks"]]
    assert labels == ["editorial"] * 3 + ["comment", "comment", "spam", "comment"]
    assert doc.has_comments and doc.comment_start == 8  # the line, not the block index (3)


def test_html_line_is_none_and_comment_start_is_an_index(rigged_clf: Classifier) -> None:
    d = rigged_clf.classify_html(HTML_PAGE, id="h").to_dict()
    assert [b["text"] for b in d["blocks"]] == [
        "Council approves the bridge budget", "The council voted on Tuesday.", "Work starts in spring.",
        "I think you are wrong.", "Do you even read the article?"]
    assert all(b["line"] is None for b in d["blocks"])
    assert d["has_comments"] is True and d["comment_start"] == 3


def test_no_comments_means_null_comment_start(rigged_clf: Classifier) -> None:
    d = rigged_clf.classify_text("The council voted.\nWork starts in spring.").to_dict()
    assert d["has_comments"] is False and d["comment_start"] is None


def test_empty_page(clf: Classifier) -> None:
    d = clf.classify_text("\n\n  \n").to_dict()
    assert d["blocks"] == [] and d["has_comments"] is False and d["comment_start"] is None
    assert sum(d["fractions"].values()) == pytest.approx(1.0)
    assert 0.0 <= d["quality"] <= 1.0


def test_classify_many_order_ids_and_errors(clf: Classifier) -> None:
    recs = [{"text": "First page."}, {"html": "<p>Second page.</p>", "id": "two"},
            {"text": "Third.", "url": "x.org"}]
    docs = list(clf.classify_many(recs))
    assert [d.id for d in docs] == [1, "two", 3]
    assert docs[1].blocks[0]["line"] is None and docs[0].blocks[0]["line"] == 1
    assert docs[2].source == "x.org"
    with pytest.raises(ValueError, match="not a string"):
        clf.classify_record({"text": 42})
    with pytest.raises(ValueError, match="no 'text' or 'html'"):
        clf.classify_record({"body": "x"})


def test_classify_many_parallel_equals_serial(clf: Classifier) -> None:
    recs = [{"text": f"Page {i} opens here.\n\nI think {i} is right.", "url": f"https://s{i}.example.com/"}
            for i in range(10)]
    serial = [d.to_dict() for d in clf.classify_many(recs)]
    parallel = [d.to_dict() for d in clf.classify_many(iter(recs), n_jobs=2)]
    assert [d["id"] for d in serial] == list(range(1, 11))
    assert parallel == serial


# --- classify --------------------------------------------------------------------------------

def test_classify_text_files(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "b_page.txt", tmp_path / "a_page.txt"
    a.write_text(PAGE)
    b.write_text("Only line\n\nsecond line")
    p = run_cli(["classify", "--model", model_path, a, b])
    assert p.returncode == 0, p.stderr
    docs = _jsonl(p.stdout)
    assert [d["id"] for d in docs] == ["b_page.txt", "a_page.txt"]  # argument order, ids = file names
    assert [bl["line"] for bl in docs[0]["blocks"]] == PAGE_LINES
    assert [bl["line"] for bl in docs[1]["blocks"]] == [1, 3]
    assert all(list(d) == DOC_KEYS for d in docs)


def test_classify_in_process_with_clirunner(model_path: Path) -> None:
    """``main`` is a plain click group, usable in-process (stdout only: stderr capture varies by click)."""
    recs = ({"id": "a", "text": "One.\n\nThree."}, {"id": "b", "text": "Two."})
    stdin = "".join(json.dumps(r) + "\n" for r in recs)
    args = ["classify", "--model", str(model_path), "--format", "jsonl"]
    result = CliRunner().invoke(main, args, input=stdin)
    assert result.exit_code == 0, result.output
    docs = _jsonl(result.stdout)
    assert [d["id"] for d in docs] == ["a", "b"]
    assert [b["line"] for b in docs[0]["blocks"]] == [1, 3]


def test_classify_html_file(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "page.html"
    f.write_text(HTML_PAGE)
    p = run_cli(["classify", "--model", model_path, "--no-text", f])
    assert p.returncode == 0, p.stderr
    (d,) = _jsonl(p.stdout)
    assert d["id"] == "page.html" and len(d["blocks"]) == 5
    assert all(b["line"] is None and "text" not in b for b in d["blocks"])


def test_classify_jsonl_stdin_with_rejects(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    good = [json.dumps({"id": f"doc{i}", "text": f"Line one of {i}.\n\nLine three of {i}."})
            for i in range(3)]
    bad_json = '{"id": "broken", "text": "unterminated'
    no_text = json.dumps({"id": "notext", "body": "nothing here"})
    num_text = json.dumps({"id": "number", "text": 12345})
    lines = [good[0], bad_json, good[1], "", no_text, num_text, json.dumps({"text": "No id here."}), good[2]]
    rejects = tmp_path / "rejects.jsonl"
    p = run_cli(["classify", "--model", model_path, "--format", "jsonl", "--rejects", rejects, "-"],
                stdin="\n".join(lines) + "\n")
    assert p.returncode == 0, p.stderr
    docs = _jsonl(p.stdout)
    assert [d["id"] for d in docs] == ["doc0", "doc1", 7, "doc2"]  # input order; no id -> line number
    assert [b["line"] for b in docs[0]["blocks"]] == [1, 3]
    assert rejects.read_text().splitlines() == [bad_json, no_text, num_text]  # verbatim, in order
    for lineno in (2, 5, 6):
        assert re.search(rf":{lineno}: rejected", p.stderr), p.stderr
    assert len(re.findall("rejected", p.stderr)) == 3


def test_classify_undecodable_record_is_rejected_verbatim(run_cli: Run, model_path: Path,
                                                          tmp_path: Path) -> None:
    bad = b'{"id": "latin1", "text": "caf\xe9"}'
    data = json.dumps({"id": "ok", "text": "Fine."}).encode() + b"\n" + bad + b"\n"
    rejects = tmp_path / "rej.jsonl"
    p = run_cli(["classify", "--model", model_path, "--format", "jsonl", "--rejects", rejects], stdin=data)
    assert p.returncode == 0, p.stderr
    assert [d["id"] for d in _jsonl(p.stdout)] == ["ok"]
    assert rejects.read_bytes() == bad + b"\n"
    assert ":2: rejected" in p.stderr


def test_classify_utf8_bom_files(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    """A BOM (Windows editors) neither rejects the first JSONL record nor enters the first block's text."""
    jl = tmp_path / "bom.jsonl"
    jl.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "text": "Hello."}\n{"id": "b", "text": "World."}\n')
    txt = tmp_path / "bom.txt"
    txt.write_bytes(b"\xef\xbb\xbfFirst line\r\n\r\nThird line\r\n")
    p = run_cli(["classify", "--model", model_path, jl, txt])
    assert p.returncode == 0 and "rejected" not in p.stderr, p.stderr
    docs = _jsonl(p.stdout)
    assert [d["id"] for d in docs] == ["a", "b", "bom.txt"]
    assert [(b["line"], b["text"]) for b in docs[2]["blocks"]] == [(1, "First line"), (3, "Third line")]


def test_classify_all_bad_input_exits_1(run_cli: Run, model_path: Path) -> None:
    p = run_cli(["classify", "--model", model_path, "--format", "jsonl"],
                stdin='{"x": 1}\nnot json\n[1, 2]\n')
    assert p.returncode == 1
    assert p.stdout == ""
    assert ":1: rejected" in p.stderr and ":2: rejected" in p.stderr and ":3: rejected" in p.stderr


@pytest.mark.parametrize("args", [
    ["classify", "--no-such-option"],
    ["classify", "--format", "pdf"],
    ["classify", "--jobs", "0"],
    ["classify", "/no/such/file.txt"],
    ["filter", "--keep", "editorial,gossip"],
    ["filter", "--min-quality", "2"],
    ["no-such-command"],
])
def test_usage_errors_exit_2(run_cli: Run, model_path: Path, args: list[str]) -> None:
    p = run_cli([*args[:1], "--model", model_path, *args[1:]] if args[0] != "no-such-command" else args,
                stdin="")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stdout == ""


def test_bad_model_is_reported(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    header = tmp_path / "broken.json"
    header.write_text(model_path.read_text()[:50])
    p = run_cli(["classify", "--model", header], stdin='{"text": "x"}\n')
    assert p.returncode not in (0, 2) and "broken.json" in p.stderr and "Traceback" not in p.stderr


def test_jobs_2_output_identical_to_jobs_1(run_cli: Run, model_path: Path) -> None:
    recs = [json.dumps({"id": f"r{i}", "text": "\n".join(f"Record {i} sentence {j}: I think so." * (j % 3 + 1)
                                                         for j in range(i % 5 + 1))}) for i in range(10)]
    recs.insert(4, "{bad json")
    stdin = "\n".join(recs) + "\n"
    one = run_cli(["classify", "--model", model_path, "--jobs", "1"], stdin=stdin)
    two = run_cli(["classify", "--model", model_path, "--jobs", "2"], stdin=stdin)
    assert one.returncode == two.returncode == 0, two.stderr
    assert [d["id"] for d in _jsonl(one.stdout)] == [f"r{i}" for i in range(10)]
    assert two.stdout == one.stdout
    assert ":5: rejected" in two.stderr


def test_no_text_cli(run_cli: Run, model_path: Path) -> None:
    stdin = json.dumps({"id": "a", "text": PAGE}) + "\n"
    full = _jsonl(run_cli(["classify", "--model", model_path], stdin=stdin).stdout)[0]
    slim = _jsonl(run_cli(["classify", "--model", model_path, "--no-text"], stdin=stdin).stdout)[0]
    for b in full["blocks"]:
        del b["text"]
    assert slim == full


def test_custom_field_names(run_cli: Run, model_path: Path) -> None:
    rec = {"key": "k1", "body": "Hello there.\n\nSecond.", "link": "https://www.bbc.co.uk/x"}
    stdin = json.dumps(rec) + "\n"
    p = run_cli(["classify", "--model", model_path, "--text-field", "body", "--id-field", "key",
                 "--url-field", "link"], stdin=stdin)
    assert p.returncode == 0, p.stderr
    (d,) = _jsonl(p.stdout)
    assert (d["id"], d["source"], [b["line"] for b in d["blocks"]]) == ("k1", "bbc.co.uk", [1, 3])


# --- filter ----------------------------------------------------------------------------------

def test_filter_min_quality_sends_dropped_records_to_rejects(run_cli: Run, model_path: Path,
                                                             tmp_path: Path) -> None:
    recs = [{"id": f"f{i}", "text": f"Short page {i}.\nAnother line {i}.", "extra": i} for i in range(3)]
    rejects = tmp_path / "dropped.jsonl"
    p = run_cli(["filter", "--model", model_path, "--keep", "editorial,comment", "--min-quality", "0.99",
                 "--rejects", rejects], stdin="".join(json.dumps(r) + "\n" for r in recs))
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""  # short pages are thin: quality < 0.99
    dropped = _jsonl(rejects.read_text())
    assert [d["id"] for d in dropped] == ["f0", "f1", "f2"]
    assert [d["extra"] for d in dropped] == [0, 1, 2]  # other fields kept
    assert all(d["newswinnow"]["filtered"] == ["below_min_quality"] for d in dropped)
    assert all(d["newswinnow"]["quality"] < 0.99 for d in dropped)


def test_filter_passes_records_through(run_cli: Run, model_path: Path) -> None:
    """Only the text field changes (plus the "newswinnow" annotation): no id is added to id-less records."""
    recs = [{"text": "A page.\n\nIts second line.", "meta": {"k": [1, 2]}}, {"doc": "d2", "text": "Other."}]
    p = run_cli(["filter", "--model", model_path, "--keep", "editorial,comment,spam,boilerplate"],
                stdin="".join(json.dumps(r) + "\n" for r in recs))
    assert p.returncode == 0, p.stderr
    out = _jsonl(p.stdout)
    assert [sorted(o) for o in out] == [["meta", "newswinnow", "text"], ["doc", "newswinnow", "text"]]
    assert out[0]["meta"] == {"k": [1, 2]} and out[1]["doc"] == "d2"
    assert out[0]["text"] == "A page.\nIts second line."  # all labels kept: the blocks, one per line


def test_filter_keeps_only_kept_blocks(run_cli: Run, rigged_model_path: Path) -> None:
    """Rigged model: opinion lines -> comment, calls to action -> spam, the rest editorial."""
    model = rigged_model_path
    stdin = json.dumps({"id": "p", "text": PAGE, "html": "<p>dropped</p>"}) + "\n"
    p = run_cli(["filter", "--model", model, "--keep", "editorial"], stdin=stdin)
    assert p.returncode == 0, p.stderr
    (out,) = _jsonl(p.stdout)
    assert out["text"].split("\n") == [PAGE.split("\n")[i - 1] for i in (2, 4, 6)]
    assert "html" not in out and out["id"] == "p"
    assert out["newswinnow"]["has_comments"] is True and "filtered" not in out["newswinnow"]
    p = run_cli(["filter", "--model", model, "--keep", "editorial,comment"], stdin=stdin)
    (out,) = _jsonl(p.stdout)
    assert "Check out my channel" not in out["text"] and "I think you are wrong" in out["text"]


# --- show ------------------------------------------------------------------------------------

def test_show_tags_blocks_without_a_terminal(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "page.txt"
    f.write_text(PAGE)
    p = run_cli(["show", "--model", model_path, f])
    assert p.returncode == 0, p.stderr
    assert not ANSI.search(p.stdout)  # no colour codes on a pipe
    lines = p.stdout.splitlines()
    assert lines[0].startswith("== page.txt")
    body = lines[1:]
    assert len(body) == len(PAGE_LINES)
    for line, lineno in zip(body, PAGE_LINES):
        m = re.match(r"\s*(\d+) (EDIT|COMM|SPAM|BOIL) (.*)$", line)
        assert m, line
        assert int(m.group(1)) == lineno and m.group(3) == PAGE.split("\n")[lineno - 1]


def test_show_color_forced(run_cli: Run, model_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "page.txt"
    f.write_text("One line.\n")
    p = run_cli(["show", "--model", model_path, "--color", f])
    assert p.returncode == 0 and ANSI.search(p.stdout)


# --- the shared contract checker ------------------------------------------------------------

def test_check_contract_passes(shared_dir: Path, model_path: Path) -> None:
    checker = shared_dir / "tools" / "check_contract.py"
    if not checker.exists() or not (shared_dir / "seeds").is_dir():
        pytest.skip("../shared/tools/check_contract.py or ../shared/seeds missing")
    root = Path(__file__).resolve().parents[1]
    cmd = " ".join([shlex.quote(sys.executable), "-c", shlex.quote("from classifier.cli import main; main()"),
                    "classify", "--model", shlex.quote(str(model_path))])
    env = {k: v for k, v in os.environ.items() if k != "NEWSWINNOW_MODEL"}
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, str(checker), "--cmd", cmd], capture_output=True, text=True,
                       cwd=root, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 problem(s)" in p.stdout


def test_jobs_2_on_jsonl_file_ranges_matches_jobs_1(model_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs, workers read a plain JSONL file as byte ranges and spool their output: many
    small ranges here (forked workers inherit the patched size); output, rejects and their order
    as with --jobs 1."""
    from classifier import io as nio

    monkeypatch.setattr(nio, "RANGE_BYTES", 300)
    monkeypatch.setattr(nio, "RANGE_MIN_BYTES", 0)
    recs = [json.dumps({"id": f"r{i}", "text": f"Record {i}. I think so.\n" * (i % 4 + 1)}) for i in range(40)]
    recs[7] = "{bad json"
    recs.insert(20, "")
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(recs) + "\n")
    outs = []
    for jobs in ("1", "2"):
        rej = tmp_path / f"rej{jobs}.jsonl"
        args = ["classify", "--model", str(model_path), "--jobs", jobs, "--rejects", str(rej), str(f)]
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 0, r.output
        outs.append((r.stdout, rej.read_text()))
    assert outs[0] == outs[1]
    assert [d["id"] for d in _jsonl(outs[0][0])] == [f"r{i}" for i in range(40) if i != 7]
    assert outs[0][1] == "{bad json\n"


def test_worker_tasks_are_classified_in_batches_of_batch_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``--jobs`` worker's task (a JSONL range of ``RANGE_LINES`` records, or fewer) is classified
    in batches of at most ``BATCH_RECORDS``, as ``--jobs 1`` does, of equal size (no small remainder batch), and
    the results come back in order."""
    from classifier import cli

    seen: list[int] = []

    def fake_work(clf, f, mode, opts, items):
        seen.append(len(items))
        return [("ok", item, None) for item in items]

    monkeypatch.setattr(cli, "_work", fake_work)
    items = list(range(2 * cli.BATCH_RECORDS + 13))
    out = cli._work_batched(None, cli.Fields(), "classify", {}, items)
    assert [item for _, item, _ in out] == items
    n = len(items)
    assert len(seen) == 3 and max(seen) - min(seen) <= 1 and sum(seen) == n
    for size in (1, 5, cli.BATCH_RECORDS, cli.BATCH_RECORDS + 1, 3 * cli.BATCH_RECORDS, 7 * cli.BATCH_RECORDS - 1):
        seen.clear()
        part = list(range(size))
        assert [item for _, item, _ in cli._work_batched(None, cli.Fields(), "classify", {}, part)] == part
        assert len(seen) == -(-size // cli.BATCH_RECORDS)
        assert max(seen) <= cli.BATCH_RECORDS and max(seen) - min(seen) <= 1


def test_worker_tasks_group_items_by_count_and_bytes_between_ranges() -> None:
    """``--jobs`` tasks from a stream of work items (compressed JSONL, text files, stdin) and ranges:
    each range alone, the items between them in lists of at most ``size`` items and ``max_bytes``
    of payload, in input order, read lazily (a list is handed over before the rest is read)."""
    from classifier import cli
    from classifier.io import RangeTask, WorkItem

    def item(i: int, n: int) -> WorkItem:
        return WorkItem("f", i, "jsonl", b"x" * n)

    rng = RangeTask("p", "p", 0, 10, 1)
    stream = [item(1, 4), item(2, 4), item(3, 4), item(4, 9), rng, item(5, 1), rng, rng, item(6, 20), item(7, 1)]
    got = list(cli._grouped(iter(stream), 2, max_bytes=8))
    shape = [t if isinstance(t, RangeTask) else [it.lineno for it in t] for t in got]
    assert shape == [[1, 2], [3], [4], rng, [5], rng, rng, [6], [7]]

    pulled = 0

    def endless():
        nonlocal pulled
        for i in range(10**9):
            pulled += 1
            yield item(i, 1)

    first = next(cli._grouped(endless(), 3, max_bytes=100))
    assert len(first) == 3 and pulled <= 4


def test_jobs_a_killed_worker_stops_the_run_with_a_clear_error(model_path: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``--jobs`` worker killed mid-run (the out-of-memory killer's SIGKILL) ends the run with
    exit status 1 and a message saying so, instead of waiting forever for its batch; the output
    holds the results of every record before that batch, in input order, as ``--jobs 1`` writes them."""
    import multiprocessing
    import signal
    import threading

    from classifier import cli
    from classifier import io as nio

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(nio, "RANGE_LINES", 5)  # ranges of 5 records (forked workers inherit it)
    monkeypatch.setattr(nio, "RANGE_MIN_BYTES", 0)  # not joined
    work = cli._work_batched

    def dies_on_record_23(clf, f, mode, opts, items):
        if any(getattr(it, "lineno", None) == 23 for it in items):
            os.kill(os.getpid(), signal.SIGKILL)
        return work(clf, f, mode, opts, items)

    monkeypatch.setattr(cli, "_work_batched", dies_on_record_23)
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": f"r{i}", "text": f"Record {i}. I think so."}) + "\n" for i in range(1, 61)))
    one = CliRunner().invoke(main, ["classify", "--model", str(model_path), "--jobs", "1", str(f)])
    box: dict = {}
    run = threading.Thread(daemon=True, target=lambda: box.setdefault(
        "r", CliRunner().invoke(main, ["classify", "--model", str(model_path), "--jobs", "2", str(f)])))
    run.start()
    run.join(120)
    assert not run.is_alive(), "--jobs 2 still waiting for the killed worker's batch after 120 s"
    r = box["r"]
    assert r.exit_code == 1, r.output
    assert "was killed by SIGKILL" in r.stderr and "stopped after the first 20 records" in r.stderr
    assert r.stdout == "".join(one.stdout.splitlines(keepends=True)[:20])  # records 1-20, then nothing


# The CLI with a slow worker task (0.25 s each, two records a range), so that a --jobs run is
# still going when a test stops it.
_SLOW_CLI = """
import time
from classifier import cli, io
io.RANGE_LINES = 2
io.RANGE_MIN_BYTES = 0  # tasks of 2 lines, not joined
work = cli._work_batched
def slow(*args):
    time.sleep(0.25)
    return work(*args)
cli._work_batched = slow
cli.main()
"""


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _ended(pid: int) -> bool:
    """Gone, or a zombie waiting for a reaper (a container's init may not reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _stop_and_watch(p: subprocess.Popen, workers: list[int], sig: int) -> tuple[int, list[int]]:
    """Send ``sig`` to ``p``: its exit status, and the ``workers`` still running 30 s after it ended."""
    import time

    p.send_signal(sig)
    code = p.wait(timeout=60)
    deadline = time.monotonic() + 30
    while not all(_ended(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return code, [w for w in workers if not _ended(w)]


def _kill_all(p: subprocess.Popen, workers: list[int]) -> None:
    """After a test: the process, and any worker left running (it would hold the pipes open)."""
    import signal

    p.kill()
    for w in workers:
        if not _ended(w):
            os.kill(w, signal.SIGKILL)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_jobs_a_run_stopped_from_outside_leaves_nothing_behind(sig: str, model_path: Path, tmp_path: Path) -> None:
    """SIGTERM (``kill``, a scheduler's stop) and SIGINT (Ctrl-C): the run stops its workers,
    deletes its spool directory and exits with 143 or 130, as a shell reports a process the signal
    killed. SIGKILL: the workers see their task pipes close and end on their own, instead of
    waiting for work forever."""
    import signal

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs Linux's /proc/PID/task/PID/children")
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": i, "text": f"Record {i}. I think so."}) + "\n" for i in range(60)))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # SIGINT at its default in the child, so Python raises KeyboardInterrupt there even when this
    # test runs with SIGINT ignored (a background job of a non-interactive shell).
    p = subprocess.Popen([sys.executable, "-c", _SLOW_CLI, "classify", "--model", str(model_path), "--jobs", "2",
                          str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers: list[int] = []
    try:
        assert p.stdout.readline()  # the run is under way: first result written
        workers = _children(p.pid)
        assert len(workers) == 2 and any(tmp.glob("newswinnow-*"))
        code, running = _stop_and_watch(p, workers, getattr(signal, sig))
    finally:
        _kill_all(p, workers)
        _, err = p.communicate(timeout=60)
    assert not running, f"workers still running 30 s after the parent's {sig}"
    if sig == "SIGINT":
        assert b"newswinnow: interrupted" in err and b"Aborted!" not in err
    if sig in ("SIGTERM", "SIGINT"):
        assert code == {"SIGTERM": 143, "SIGINT": 130}[sig]
        assert not any(tmp.glob("newswinnow-*")), "spool directory left behind"
    else:
        assert code == -signal.SIGKILL


# ``newswinnow train`` whose folds sleep (in joblib's worker processes: the function is pickled
# by value from __main__), so a signal always finds them running.
_SLOW_TRAIN = """
import sys, time
import training.train as tt
def slow_fold(*args, **kwargs):
    time.sleep(120)
tt._fold = slow_fold
from classifier import cli
sys.argv = ["newswinnow", *sys.argv[1:]]
cli.main()
"""


def test_train_stopped_by_sigterm_stops_its_fold_workers(tmp_path: Path) -> None:
    """SIGTERM to ``newswinnow train --jobs 2`` (a scheduler's stop): the fold workers end with
    it and it exits with 143. Before, the parent died alone and each worker ran its fold to the
    end and then waited for work forever, holding its memory."""
    import signal
    import time

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs Linux's /proc/PID/task/PID/children")
    recs = [{"id": f"p{i}", "source": f"s{i % 3}.example", "texts": [f"Some text about item {i}.", "Nice post!",
                                                                      "Home | About"],
             "labels": ["editorial", "comment", "boilerplate"]} for i in range(12)]
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text("".join(json.dumps(r) + "\n" for r in recs))
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-c", _SLOW_TRAIN, "train", "--no-public", "--labelled", str(labelled),
                          "--folds", "3", "--max-epochs", "2", "--networks", "1", "--jobs", "2",
                          "--out", str(tmp_path / "m"), "--card", str(tmp_path / "card.md")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
            workers = [c for c in _children(p.pid) if b"loky" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(workers) >= 2, "the fold workers never started"
        time.sleep(2)  # the folds handed out: the workers are in them
        code, running = _stop_and_watch(p, workers, signal.SIGTERM)
    finally:
        _kill_all(p, workers)
        p.communicate(timeout=60)
    assert not running, "fold workers still running 30 s after the parent's SIGTERM"
    assert code == 143
    assert not (tmp_path / "m.json").exists()


_ENTRY_PROBE = ("import atexit, sys\n"
                "atexit.register(lambda: sys.stderr.write('TEARDOWN\\n'))\n"
                "from classifier.cli import entry\n"
                "sys.argv = ['newswinnow', *sys.argv[1:]]\n"
                "entry()\n")


def test_console_script_exits_fast_after_classify_and_filter(tmp_path: Path, model_path: Path) -> None:
    """``entry`` (the console script) ends a finished classify or filter run without the
    interpreter's teardown, every line written and the exit status the run's (1: no document
    could be read); other commands and interrupted runs exit as ``main`` does."""
    root = Path(__file__).resolve().parents[1]
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"id": f"p{i}", "text": PAGE}) + "\n" for i in range(300)))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _ENTRY_PROBE, *args], capture_output=True, text=True,
                              cwd=root, env=env, timeout=300)

    for args in (("classify", "--model", str(model_path), str(good)),
                 ("classify", "--model", str(model_path), "--jobs", "2", str(good)),
                 ("filter", "--model", str(model_path), str(good))):
        p = run(*args)
        assert p.returncode == 0 and "TEARDOWN" not in p.stderr, p.stderr
        assert [d["id"] for d in _jsonl(p.stdout)] == [f"p{i}" for i in range(300)]
    p = run("classify", "--model", str(model_path), str(bad))
    assert p.returncode == 1 and "no document could be read" in p.stderr and "TEARDOWN" not in p.stderr
    p = run("--version")
    assert p.returncode == 0 and "TEARDOWN" in p.stderr
