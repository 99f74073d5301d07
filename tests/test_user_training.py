"""Training on users' own labelled pages: ``newswinnow train --labelled FILE [--no-public]``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from training.train import L2_ALPHA
from training.user_data import Reject, page_from_record, read_labelled


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_both_record_shapes_read_alike(tmp_path: Path) -> None:
    texts = ["Home | News", "The council voted  on Tuesday.", "   ", "Great article, thanks!"]
    labels = ["boilerplate", "editorial", "editorial", "comment"]
    flat = {"id": "p1", "source": "example.org", "texts": texts, "labels": labels}
    blocks = {"id": "p1", "url": "https://www.news.example.org/a?b=1",
              "blocks": [{"text": t, "label": lab, "proba": {}} for t, lab in zip(texts, labels)]}
    path = _write(tmp_path / "mine.jsonl", [json.dumps(flat).encode(), json.dumps(blocks).encode()])
    a, b = list(read_labelled(path))
    # Whitespace collapsed as the feature pass sees it; the empty block is dropped with its label.
    assert a.texts == b.texts == ["Home | News", "The council voted on Tuesday.", "Great article, thanks!"]
    assert a.labels == b.labels == ["boilerplate", "editorial", "comment"]
    assert a.group == "example.org" and b.group == "example.org"  # url -> registered domain
    assert a.corpus == "mine"


def test_group_falls_back_to_the_id_then_the_line(tmp_path: Path) -> None:
    recs = [{"id": 0, "texts": ["x"], "labels": ["editorial"]}, {"texts": ["y"], "labels": ["comment"]}]
    path = _write(tmp_path / "f.jsonl", [json.dumps(r).encode() for r in recs])
    first, second = read_labelled(path)
    assert (first.id, first.group) == ("0", "0")
    assert (second.id, second.group) == ("f:2", "f:2")


@pytest.mark.parametrize(("record", "reason"), [
    (b'{"texts": ["a"], "labels": ["news"]}', "unknown_label"),
    (b'{"texts": ["a", "b"], "labels": ["comment"]}', "length_mismatch"),
    (b'{"texts": ["a"]}', "missing_texts_or_labels"),
    (b'{"texts": [3], "labels": ["spam"]}', "non_string_text"),
    (b'{"texts": [" "], "labels": ["spam"]}', "empty_page"),
    (b'{"blocks": "nope"}', "bad_blocks"),
    (b'["texts"]', "not_an_object"),
    (b'{"texts": ["a"], "labels": ["spam"]', "bad_json"),
    (b'{"texts": ["\xff"], "labels": ["spam"]}', "invalid_utf8"),
])
def test_bad_records_are_rejected_with_a_reason_and_the_rest_is_read(tmp_path: Path, record: bytes,
                                                                     reason: str) -> None:
    good = b'{"id": "ok", "texts": ["fine"], "labels": ["editorial"]}'
    path = _write(tmp_path / "f.jsonl", [good, record, b"", good])
    rejects: list[Reject] = []
    pages = list(read_labelled(path, rejects.append))
    assert [p.id for p in pages] == ["ok", "ok"]
    assert len(rejects) == 1
    assert rejects[0].line == 2 and rejects[0].reason.startswith(reason + ":")
    assert rejects[0].raw == record + b"\n"


def test_page_from_record_keeps_labels_aligned() -> None:
    page = page_from_record({"texts": ["a", "", "b", "c"], "labels": ["spam", "comment", "comment", "editorial"]},
                            "d", "c")
    assert list(zip(page.texts, page.labels)) == [("a", "spam"), ("b", "comment"), ("c", "editorial")]


def test_no_public_needs_labelled_files(run_cli) -> None:
    r = run_cli(["train", "--no-public", "--folds", "0"])
    assert r.returncode == 2 and "--labelled" in r.stderr


def test_too_few_sources_for_the_folds_is_a_clear_error(run_cli, tmp_path: Path) -> None:
    recs = [{"id": f"p{i}", "source": "one.example", "texts": ["Some text here.", "Nice post!"],
             "labels": ["editorial", "comment"]} for i in range(4)]
    path = _write(tmp_path / "f.jsonl", [json.dumps(r).encode() for r in recs])
    r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "3", "--out", tmp_path / "m"])
    assert r.returncode == 1
    assert "at least 3 sources, got 1" in r.stderr
    assert not (tmp_path / "m.json").exists()


def _pages_of(tmp_path: Path, sources: list[str]) -> Path:
    recs = [{"id": f"p{i}", "source": src, "texts": [f"Some text here about item {i}.", "Nice post!", "Home | About"],
             "labels": ["editorial", "comment", "boilerplate"]} for i, src in enumerate(sources)]
    return _write(tmp_path / "f.jsonl", [json.dumps(r).encode() for r in recs])


def test_cv_by_page_counts_pages_not_sources(run_cli, tmp_path: Path) -> None:
    """Six pages from two sites: too few sites for 3 folds by source, enough pages by page."""
    path = _pages_of(tmp_path, ["one.example", "two.example"] * 3)
    common = ["train", "--no-public", "--labelled", path, "--folds", "3", "--max-epochs", "3", "--networks", "1",
              "--card", tmp_path / "card.md", "--out", tmp_path / "m"]
    by_source = run_cli(common)
    assert by_source.returncode == 1 and "at least 3 sources, got 2" in by_source.stderr
    by_page = run_cli([*common, "--cv-by", "page"], timeout=300)
    assert by_page.returncode == 0, by_page.stderr
    assert "cross-validation by page: 6 groups" in by_page.stderr
    card = (tmp_path / "card.md").read_text()
    assert "grouped by page" in card and "one network," in card
    assert json.loads((tmp_path / "m.json").read_text())["members"] == 1


def test_cv_by_page_still_needs_enough_pages_and_two_sources(run_cli, tmp_path: Path) -> None:
    few = _pages_of(tmp_path, ["one.example", "two.example"])
    r = run_cli(["train", "--no-public", "--labelled", few, "--folds", "3", "--cv-by", "page", "--out", tmp_path / "m"])
    assert r.returncode == 1 and "by page needs at least 3 pages, got 2" in r.stderr
    one_site = _pages_of(tmp_path, ["one.example"] * 4)
    r = run_cli(["train", "--no-public", "--labelled", one_site, "--folds", "3", "--cv-by", "page",
                 "--out", tmp_path / "m"])
    assert r.returncode == 1 and "at least 2 sources" in r.stderr  # the lexicon's out-of-fold scores
    assert not (tmp_path / "m.json").exists()


@pytest.fixture(scope="module")
def dragnet_pages() -> list:
    root = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "dragnet_train"
    if not root.is_dir():
        pytest.skip("../shared/corpora/dragnet_train is not present")
    from training import corpora
    pages = [p for _, p in zip(range(80), corpora.read_dragnet(root, variant="trimmed"))]
    return pages


def test_a_model_trained_on_your_labels_uses_them(run_cli, tmp_path: Path, dragnet_pages: list) -> None:
    """A user who calls reader comments `spam` gets a model that labels threads `spam`, never
    `comment` - which only happens if the user's labels, not the shipped model, drove training."""
    train, test = dragnet_pages[:50], [p for p in dragnet_pages[50:] if "comment" in p.labels]
    assert len(test) >= 3
    lines = []
    for i, p in enumerate(train):
        labels = ["spam" if lab == "comment" else lab for lab in p.labels]
        rec = ({"id": p.id, "source": p.group, "texts": p.texts, "labels": labels} if i % 2 else
               {"id": p.id, "url": f"http://{p.group}/", "blocks": [{"text": t, "label": lab}
                                                                    for t, lab in zip(p.texts, labels)]})
        lines.append(json.dumps(rec).encode())
    bad = b'{"texts": ["a"], "labels": ["news"]}'
    user = _write(tmp_path / "mine.jsonl", [*lines[:10], bad, *lines[10:]])
    out, card, rejects = tmp_path / "m", tmp_path / "card.md", tmp_path / "rejects.jsonl"
    stale_gate = tmp_path / "m.gate.json"  # a page gate of an earlier model at the same stem
    stale_gate.write_text("{}")
    stale_start = tmp_path / "m.start.json"  # and its thread-start scorer
    stale_start.write_text("{}")
    r = run_cli(["train", "--no-public", "--labelled", user, "--rejects", rejects, "--folds", "2",
                 "--max-epochs", "20", "--out", out, "--card", card], timeout=600)
    assert r.returncode == 0, r.stderr
    assert "mine.jsonl:11: record skipped: unknown_label" in r.stderr
    assert rejects.read_bytes() == bad + b"\n"
    assert not stale_gate.exists() and "removed" in r.stderr  # else the new model would not load
    assert not stale_start.exists() and "thread-start scorer" in r.stderr
    text = card.read_text()
    assert "your labelled files only, no public corpus" in text and "mine.jsonl" in text
    assert "dragnet_train" not in text
    meta = json.loads((tmp_path / "m.json").read_text())["meta"]
    assert meta["public_corpora"] is False
    assert meta["labelled"][0]["pages"] == 50 and meta["labelled"][0]["rejected"] == 1

    records = "".join(json.dumps({"id": p.id, "text": "\n".join(p.texts)}) + "\n" for p in test)
    gold = [lab for p in test for lab in p.labels]
    mine = run_cli(["classify", "--model", tmp_path / "m.json", "-"], stdin=records)
    shipped = run_cli(["classify", "-"], stdin=records)
    assert mine.returncode == 0 and shipped.returncode == 0
    mine_labels = [b["label"] for line in mine.stdout.splitlines() for b in json.loads(line)["blocks"]]
    shipped_labels = [b["label"] for line in shipped.stdout.splitlines() for b in json.loads(line)["blocks"]]
    assert len(mine_labels) == len(gold) == len(shipped_labels)
    on_threads = Counter(m for m, g in zip(mine_labels, gold) if g == "comment")
    shipped_on_threads = Counter(s for s, g in zip(shipped_labels, gold) if g == "comment")
    assert shipped_on_threads["comment"] > 0.5 * sum(shipped_on_threads.values())  # the pages do have threads
    assert "comment" not in mine_labels
    assert on_threads["spam"] > 0.3 * sum(on_threads.values())


def test_teacher_needs_distill_and_a_model_of_the_same_columns(run_cli, tmp_path: Path) -> None:
    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"])
    root = Path(__file__).resolve().parents[1] / "data"
    r = run_cli(["train", "--no-public", "--labelled", path, "--teacher", root / "model-text.json",
                 "--out", tmp_path / "m"])
    assert r.returncode == 2 and "--teacher is the final teacher of --distill" in r.stderr
    r = run_cli(["train", "--no-public", "--labelled", path, "--distill", "--teacher", root / "model-html.json",
                 "--out", tmp_path / "m"])
    assert r.returncode == 1 and "--teacher" in r.stderr and "schema" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "m.json").exists()


def test_jobs_fit_the_same_student_and_figures(run_cli, tmp_path: Path) -> None:
    """`--jobs 2` (folds and the final model in two processes) writes what `--jobs 1` writes."""
    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"] * 4)
    heads, cards = [], []
    for jobs in ("1", "2"):
        out = tmp_path / f"m{jobs}"
        r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "3", "--max-epochs", "3",
                     "--networks", "2", "--distill", "--jobs", jobs, "--out", out, "--card", tmp_path / f"c{jobs}.md",
                     "--save-oof", tmp_path / f"oof{jobs}.npz"],
                    timeout=300)
        assert r.returncode == 0, r.stderr
        assert "student of 2 networks" in r.stderr
        heads.append(json.loads((tmp_path / f"m{jobs}.json").read_text()))
        cards.append((tmp_path / f"c{jobs}.md").read_text().split("\n", 3)[3])  # after the command line
    assert heads[0]["members"] == heads[1]["members"] == 1  # one network, distilled from two
    assert heads[0]["meta"]["distilled_from"] == {"networks": 2, "teacher": "fitted in this run"}
    assert heads[0]["arrays_sha256"] == heads[1]["arrays_sha256"]
    assert heads[0]["temperature"] == heads[1]["temperature"]
    assert cards[0] == cards[1] and "one network distilled from 2" in cards[0]
    oofs = [np.load(tmp_path / f"oof{jobs}.npz") for jobs in ("1", "2")]
    assert int(oofs[0]["folds"]) == 3  # the page gate's outer folds are the run's
    for k in ("logits", "teacher_logits", "member_logits", "groups", "folds", "page_fold"):
        assert np.array_equal(oofs[0][k], oofs[1][k]), k
    fold_of_site = {}  # the saved partition: every site held out in one of the 3 folds
    for g, f in zip(oofs[0]["groups"].tolist(), oofs[0]["page_fold"].tolist()):
        assert fold_of_site.setdefault(g, f) == f
    assert sorted(set(fold_of_site.values())) == [0, 1, 2]


def test_a_teacher_trained_on_other_data_is_named_in_a_note(run_cli, tmp_path: Path) -> None:
    tiny = _pages_of(tmp_path, ["one.example", "two.example", "three.example"])
    r = run_cli(["train", "--no-public", "--labelled", tiny, "--folds", "0", "--out", tmp_path / "m"])
    assert r.returncode == 1 and "too few labelled blocks to fit a network: 9 training blocks" in r.stderr
    assert "Traceback" not in r.stderr
    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"] * 4)
    teacher = Path(__file__).resolve().parents[1] / "data" / "model-text-fast.json"
    r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "0", "--max-epochs", "2", "--distill",
                 "--teacher", teacher, "--out", tmp_path / "m"], timeout=300)
    assert r.returncode == 0, r.stderr
    assert "was trained on 463470 blocks from 5216 pages, this run has 36 from 12" in r.stderr
    head = json.loads((tmp_path / "m.json").read_text())
    assert head["members"] == 1 and head["meta"]["distilled_from"]["networks"] == 3
    from classifier.model import BlockModel

    assert head["meta"]["distilled_from"]["teacher"] == BlockModel.load(teacher).name  # the teacher file's sha


def test_l2_penalty_is_used_recorded_and_keys_the_checkpoint(run_cli, tmp_path: Path) -> None:
    """`--l2`: another penalty fits other networks, the model and its card say which, and a kept
    fold of one penalty is not reused for another."""
    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"] * 4)
    heads = {}
    for name, l2 in (("default", str(L2_ALPHA)), ("strong", "5")):
        r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "3", "--max-epochs", "3",
                     "--networks", "1", "--l2", l2, "--checkpoint", tmp_path / "ck", "--out", tmp_path / name,
                     "--card", tmp_path / f"{name}.md"], timeout=300)
        assert r.returncode == 0, r.stderr
        assert "reused" not in r.stderr  # the default's kept folds do not stand in for L2 5
        heads[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert heads["default"]["meta"]["l2_alpha"] == L2_ALPHA and heads["strong"]["meta"]["l2_alpha"] == 5.0
    assert heads["default"]["arrays_sha256"] != heads["strong"]["arrays_sha256"]
    assert "L2 penalty 5.0" in (tmp_path / "strong.md").read_text()
    assert "L2 penalty" not in (tmp_path / "default.md").read_text()  # the default is not spelled out
    assert "decoding tables: both chains" in (tmp_path / "default.md").read_text()  # --decoder auto, the default
    r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "3", "--max-epochs", "3", "--networks", "1",
                 "--l2", "5", "--checkpoint", tmp_path / "ck", "--out", tmp_path / "again",
                 "--card", tmp_path / "again.md"], timeout=300)
    assert r.returncode == 0 and r.stderr.count("reused") == 3


def test_decoder_tables_follow_the_option(run_cli, tmp_path: Path) -> None:
    """`train` fits both chains' tables by default (`--decoder auto`: each page decoded on the one
    its furniture selects), one chain with `thread` / `post-thread`; the header records which."""
    from classifier import Classifier

    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"] * 2)
    shapes = {}
    for decoder in (None, "thread", "post-thread"):
        name = decoder or "default"
        r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "0", "--max-epochs", "2", "--networks", "1",
                     *(["--decoder", decoder] if decoder else []), "--out", tmp_path / name,
                     "--card", tmp_path / f"{name}.md"], timeout=300)
        assert r.returncode == 0, r.stderr
        m = Classifier.load(tmp_path / f"{name}.json").model
        shapes[name] = (m.meta["decoder"], m.transitions.shape[0], None if m.post is None else m.post[1].shape[0])
    assert shapes == {"default": ("auto", 7, 8), "thread": ("thread", 7, None), "post-thread": ("post-thread", 8, None)}


def test_boundary_copies_are_used_recorded_and_key_the_checkpoint(run_cli, tmp_path: Path) -> None:
    """`--boundary-copies`: other networks, the header and the card say so, and a kept fold without
    it is not reused with it."""
    path = _pages_of(tmp_path, ["one.example", "two.example", "three.example"] * 4)
    heads = {}
    for name, copies in (("plain", []), ("boundary", ["--boundary-copies", "2"])):
        r = run_cli(["train", "--no-public", "--labelled", path, "--folds", "3", "--max-epochs", "3",
                     "--networks", "1", *copies, "--checkpoint", tmp_path / "ck", "--out", tmp_path / name,
                     "--card", tmp_path / f"{name}.md"], timeout=300)
        assert r.returncode == 0, r.stderr
        assert "reused" not in r.stderr
        heads[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert heads["boundary"]["meta"]["boundary_copies"] == 2 and "boundary_copies" not in heads["plain"]["meta"]
    assert heads["plain"]["arrays_sha256"] != heads["boundary"]["arrays_sha256"]
    assert "seen 3 times per epoch" in (tmp_path / "boundary.md").read_text()
    assert "times per epoch" not in (tmp_path / "plain.md").read_text()
