"""Batched classification (many pages per feature pass) gives what page-by-page classification gives."""

from __future__ import annotations

import pickle

import pytest

from classifier.api import Classifier, PageInput
from features.segment import segment_text

PAGES = [
    "Home | News | Sport\nThe council met on Tuesday.\nIt approved the bridge budget, officials said.\n"
    "3 comments\nMike 07.18.12 at 20:22\nI think this is a waste of money lol\nReply",
    "",
    "One line only.",
    "Breaking: markets fell.\n\nAnalysts said the drop was expected.\nSubscribe to our newsletter!",
    "I know. UU officials said [19659008] the plan was approved.\nClick here to p1ss off",
] * 5


def test_classify_many_equals_one_by_one(clf: Classifier) -> None:
    recs = [{"text": t, "id": i} for i, t in enumerate(PAGES)]
    batched = [d.to_dict() for d in clf.classify_many(recs)]
    single = [clf.classify_text(t, id=i).to_dict() for i, t in enumerate(PAGES)]
    assert batched == single


def test_classify_pages_cut_by_characters(clf: Classifier, monkeypatch) -> None:
    """A batch cut into several by the character budget gives the same results."""
    import classifier.api as api

    pages = [PageInput(segment_text(t), i, None, False) for i, t in enumerate(PAGES)]
    whole = [d.to_dict() for d in clf.classify_pages(pages)]
    monkeypatch.setattr(api, "BATCH_CHARS", 50)
    cut = [d.to_dict() for d in clf.classify_pages(pages)]
    assert whole == cut


def test_classify_or_reject_keeps_order_and_reasons(clf: Classifier) -> None:
    items = [(1, {"text": "Fine page.\nSecond line."}), (2, {"nothing": 1}), (3, {"text": 5}),
             (4, {"text": "Another fine page."})]
    out = clf.classify_or_reject(items)
    assert [isinstance(o, str) for o in out] == [False, True, True, False]
    assert "no 'text'" in out[1] and "not a string" in out[2]
    assert out[0].id == 1 and out[3].id == 4


def test_file_backed_classifier_pickles_as_its_path(clf: Classifier) -> None:
    """Worker processes get the path and checksum (a few bytes), never the arrays."""
    blob = pickle.dumps(clf)
    assert len(blob) < 2000
    again = pickle.loads(blob)
    assert again.model.sha256 == clf.model.sha256
    assert again.classify_text(PAGES[0]).to_dict() == clf.classify_text(PAGES[0]).to_dict()


def test_api_runs_blas_single_threaded(monkeypatch):
    """The Python API limits BLAS to one thread while it classifies, as the CLI does: a
    multi-threaded float32 product can round a probability differently, and API and CLI
    output must agree. Fails if the limit is dropped (on a machine with 2+ BLAS threads)."""
    from threadpoolctl import threadpool_info

    from classifier.api import Classifier
    from classifier.model import BlockModel

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    outside = blas_threads()
    if not outside or max(outside) < 2:
        pytest.skip("BLAS already runs one thread here (one core or OPENBLAS_NUM_THREADS=1)")
    seen: list[list[int]] = []
    real = BlockModel.logits

    def spy(self, X, starts=None):
        seen.append(blas_threads())
        return real(self, X, starts)

    monkeypatch.setattr(BlockModel, "logits", spy)
    clf = Classifier.load()
    list(clf.classify_many([{"id": "a", "text": "A headline\nSome words of an article said the minister."}]))
    assert seen and all(max(t) == 1 for t in seen)
    assert blas_threads() == outside  # the limit is lifted after the call


def _cut_as_limits_say(batches: list[list[int]], limit_items: int, limit_bytes: int) -> None:
    """Each batch within both limits (one record alone may be larger) and as full as they allow."""
    for b in batches:
        assert len(b) <= limit_items and (sum(b) <= limit_bytes or len(b) == 1)
    for b, nxt in zip(batches, batches[1:]):
        assert len(b) == limit_items or sum(b) + nxt[0] > limit_bytes


def test_long_pages_make_smaller_batches(model_path, tmp_path, monkeypatch) -> None:
    """A batch holds at most ``BATCH_RECORDS`` pages and ``BATCH_BYTES`` of their text, in the API
    and in the CLI (``--jobs 1``, and ``--jobs 2``'s worker tasks): 128 HTML pages at once held
    422 MB at the peak. The results are those of one page at a time."""
    import json

    from click.testing import CliRunner

    from classifier import api, cli, parallel
    from classifier.api import Classifier

    clf = Classifier.load(model_path)
    page = "I think this is a long comment line, you know.\nThe minister said on Monday that it was over.\n"
    long_recs = [{"id": f"l{i}", "text": page * (6500 + 100 * i)} for i in range(12)]  # 0.62-0.72 MB
    short_recs = [{"id": f"s{i}", "text": page} for i in range(parallel.BATCH_RECORDS + 5)]
    seen: list[list[int]] = []
    real_batched = api.batched

    def batched_spy(items, size, size_of=None, **kw):
        for b in real_batched(items, size, size_of, **kw):
            seen.append([len(r["text"]) for _, r in b])
            yield b

    monkeypatch.setattr(api, "batched", batched_spy)
    docs = [d.to_json() for d in clf.classify_many(long_recs + short_recs)]
    assert sum(map(len, seen)) == len(docs) and len(seen) >= 5
    _cut_as_limits_say(seen, parallel.BATCH_RECORDS, parallel.BATCH_BYTES)
    assert docs[:2] == [next(clf.classify_many([r])).to_json() for r in long_recs[:2]]

    batches: list[list[int]] = []
    real_work = cli._work

    def work_spy(clf_, f, mode, opts, items):
        batches.append([len(it[3]) for it in items])
        return real_work(clf_, f, mode, opts, items)

    monkeypatch.setattr(cli, "_work", work_spy)
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in long_recs + short_recs))
    outs = []
    for jobs in ("1", "2"):
        r = CliRunner().invoke(cli.main, ["classify", "--model", str(model_path), "--jobs", jobs, str(path)])
        assert r.exit_code == 0, r.output
        outs.append(r.stdout)
        if jobs == "1":  # --jobs 2's workers count in their own processes; their ranges: test_inputs
            assert sum(map(len, batches)) == len(docs) and len(batches) >= 5
            _cut_as_limits_say(batches, parallel.BATCH_RECORDS, parallel.BATCH_BYTES)
    assert outs[0] == outs[1]
    assert [json.loads(line)["id"] for line in outs[0].splitlines()] == [r["id"] for r in long_recs + short_recs]
