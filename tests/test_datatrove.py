"""The DataTrove step inside real LocalPipelineExecutor pipelines (reader -> newswinnow -> writer)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

import classifier  # noqa: E402
from classifier.api import Classifier  # noqa: E402
from classifier.datatrove import REASON_LOW_QUALITY, REASON_NOTHING_KEPT, NewswinnowFilter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "data" / "examples" / "harbour_bridge.txt").read_text(encoding="utf-8")
ARTICLE_LINES = EXAMPLE.splitlines()[1:8]
FURNITURE = "Home | News | Sport\nSign in\nCookie settings\nPrivacy policy | Terms of use\n© 2024 Example Media"
SHORT = "\n".join(ARTICLE_LINES[:3])
HTML = ("<html><body><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav><h1>" + ARTICLE_LINES[0] +
        "</h1>" + "".join(f"<p>{ln}</p>" for ln in ARTICLE_LINES[2:7]) + "<footer>© 2024 Porthaven Gazette</footer>"
        "</body></html>")
DOCS = [
    {"id": "bridge", "text": EXAMPLE, "url": "https://www.porthaven-gazette.co.uk/news/bridge"},
    {"id": "furniture", "text": FURNITURE, "url": "https://example.com/"},
    {"id": "short", "text": SHORT},
    {"id": "html", "text": HTML, "url": "http://news.example.org/a"},
    {"id": "comments", "text": "\n".join(EXAMPLE.splitlines()[11:24])},
]
SUMMARY_KEYS = {"quality", "reasons", "mt_score", "has_comments", "comment_start", "fractions", "dup_fraction",
                "source", "model"}


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return Classifier.load()


@pytest.fixture(scope="module")
def expected(shipped: Classifier) -> dict[str, dict]:
    """The Classifier's own results for the same documents (what the step must carry)."""
    out = {}
    for d in DOCS:
        is_html = d["text"].startswith("<html")
        res = (shipped.classify_html if is_html else shipped.classify_text)(d["text"], id=d["id"], url=d.get("url"))
        out[d["id"]] = res
    return out


def _write_input(folder: Path, docs: list[dict], files: int = 1) -> None:
    folder.mkdir(parents=True)
    for f in range(files):
        with open(folder / f"part{f}.jsonl", "w", encoding="utf-8") as fh:
            for d in docs[f::files]:
                fh.write(json.dumps(d) + "\n")


def _read_output(folder: Path) -> dict[str, dict]:
    out = {}
    for p in sorted(folder.glob("*.jsonl")):
        for line in p.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out[rec["id"]] = rec
    return out


def _filter_stats(logs: Path) -> dict:
    stats = json.loads((logs / "stats.json").read_text())
    (step,) = [s for s in stats if "newswinnow" in s["name"]]
    return {k: (v["total"] if isinstance(v, dict) else v) for k, v in step["stats"].items()}


def _run(tmp_path: Path, step: NewswinnowFilter, files: int = 1, workers: int = 1) -> tuple[dict, dict]:
    _write_input(tmp_path / "in", DOCS, files)
    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(tmp_path / "in")), step, JsonlWriter(str(tmp_path / "out"), compression=None)],
        tasks=files, workers=workers, logging_dir=str(tmp_path / "logs"),
    ).run()
    return _read_output(tmp_path / "out"), _filter_stats(tmp_path / "logs")


def test_annotates_every_document_with_the_page_result(tmp_path: Path, expected: dict) -> None:
    out, stats = _run(tmp_path, NewswinnowFilter(batch_size=3))
    assert set(out) == {d["id"] for d in DOCS}  # nothing dropped without a threshold
    for doc_id, rec in out.items():
        meta = rec["metadata"]["newswinnow"]
        want = expected[doc_id]
        assert set(meta) == SUMMARY_KEYS
        assert meta["quality"] == want.quality and meta["reasons"] == want.reasons
        assert meta["has_comments"] == want.has_comments and meta["comment_start"] == want.comment_start
        assert meta["fractions"] == want.fractions and meta["source"] == want.source
        assert rec["text"] == next(d["text"] for d in DOCS if d["id"] == doc_id)  # text untouched
    assert out["bridge"]["metadata"]["newswinnow"]["has_comments"] is True
    assert out["bridge"]["metadata"]["newswinnow"]["source"] == "porthaven-gazette.co.uk"
    assert stats["forwarded"] == len(DOCS) and stats["batches"] == 2
    assert stats["newswinnow_has_comments"] == sum(r.has_comments for r in expected.values())


def test_drops_below_quality_with_reason_in_stats(tmp_path: Path, expected: dict) -> None:
    qualities = sorted({r.quality for r in expected.values()})
    assert len(qualities) >= 2, "the test pages must differ in quality"
    threshold = (qualities[0] + qualities[-1]) / 2
    low = {k for k, r in expected.items() if r.quality < threshold}
    out, stats = _run(tmp_path, NewswinnowFilter(min_quality=threshold), files=2, workers=2)
    assert set(out) == {d["id"] for d in DOCS} - low
    assert 0 < len(low) < len(DOCS)
    assert stats["dropped"] == len(low) and stats[f"dropped_{REASON_LOW_QUALITY}"] == len(low)


def test_keep_strips_non_editorial_blocks(tmp_path: Path, expected: dict) -> None:
    out, stats = _run(tmp_path, NewswinnowFilter(keep=["editorial"], include_blocks=True))
    nothing = {k for k, r in expected.items() if not r.kept_text(["editorial"])}
    assert set(out) == {d["id"] for d in DOCS} - nothing
    assert stats.get(f"dropped_{REASON_NOTHING_KEPT}", 0) == len(nothing)
    bridge = out["bridge"]
    assert bridge["text"] == expected["bridge"].kept_text(["editorial"])
    assert "Reply" not in bridge["text"].splitlines() and ARTICLE_LINES[3] in bridge["text"]
    labels = [b["label"] for b in bridge["metadata"]["newswinnow"]["blocks"]]
    assert labels == expected["bridge"].labels and "comment" in labels


def test_lazy_export_and_pickles_without_the_model(shipped: Classifier) -> None:
    assert classifier.NewswinnowFilter is NewswinnowFilter
    step = NewswinnowFilter()
    step.filter_batch([])
    assert step._clf is not None
    clone = pickle.loads(pickle.dumps(step))
    assert clone._clf is None and clone.model_path is None


def test_a_shipped_model_by_name(shipped: Classifier) -> None:
    """``model="fast"`` is the shipped three-network text model, HTML model kept, and travels
    to workers as its name."""
    step = NewswinnowFilter(model="fast")
    clone = pickle.loads(pickle.dumps(step))
    assert clone.model_path == "fast"
    fast = clone.classifier
    assert fast.model.name == Classifier.load("fast").model.name != shipped.model.name
    assert fast.html_model is not None and fast.html_model.sha256 == shipped.html_model.sha256


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="keep"):
        NewswinnowFilter(keep=["article"])
    with pytest.raises(ValueError, match="input_format"):
        NewswinnowFilter(input_format="pdf")


def test_a_batch_is_cut_by_count_and_bytes_into_classifier_calls(shipped: Classifier,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """DataTrove hands the step ``batch_size`` documents; each classifier call takes at most
    BATCH_RECORDS of them and BATCH_BYTES of input (one larger document alone), as the CLI's and
    the API's batches do, and the results are those of one call per document, in order."""
    from datatrove.data import Document

    from classifier import datatrove as nw_datatrove

    monkeypatch.setattr(nw_datatrove, "BATCH_RECORDS", 3)
    monkeypatch.setattr(nw_datatrove, "BATCH_BYTES", 600)
    texts = [d["text"] for d in DOCS] * 2
    step = NewswinnowFilter(batch_size=len(texts))
    calls: list[list[int]] = []
    real = step.classifier.classify_or_reject

    def recording(records, *args, **kwargs):
        calls.append([len(rec.get("text") or rec.get("html")) for _, rec in records])
        return real(records, *args, **kwargs)

    monkeypatch.setattr(step.classifier, "classify_or_reject", recording)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    step.filter_batch(docs)
    assert [n for c in calls for n in c] == [len(t) for t in texts]
    assert all(len(c) <= 3 and (len(c) == 1 or sum(c) <= 600) for c in calls), calls
    for doc, text in zip(docs, texts):
        one = Document(text=text, id=doc.id)
        NewswinnowFilter().filter_batch([one])
        assert doc.metadata["newswinnow"] == one.metadata["newswinnow"]
