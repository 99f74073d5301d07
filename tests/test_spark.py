"""The Spark adapter: classify_spark with mapInPandas on a local-mode SparkSession (real JVM)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java for Spark", allow_module_level=True)

import pandas as pd  # noqa: E402

import classifier  # noqa: E402
from classifier import spark as nw_spark  # noqa: E402
from classifier.api import Classifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "data" / "examples" / "harbour_bridge.txt").read_text(encoding="utf-8")
LINES = EXAMPLE.splitlines()
PAGES = [
    ("bridge", EXAMPLE, "https://www.porthaven-gazette.co.uk/news/bridge"),
    ("article", "\n".join(LINES[1:8]), None),
    ("thread", "\n".join(LINES[11:24]), "http://forum.example.org/t/1"),
    ("furniture", "Home | News | Sport\nSign in\nCookie settings\nPrivacy policy | Terms of use", None),
    ("missing", None, None),
]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("newswinnow-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
               .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
               .config("spark.driver.extraJavaOptions", "-Xss4m").getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return Classifier.load()


def test_classify_spark_gives_the_classifier_results(spark, shipped: Classifier) -> None:
    df = spark.createDataFrame(PAGES * 3, "id string, text string, url string").repartition(2)
    out = classifier.classify_spark(df, keep=["editorial"])
    assert out.columns == ["id", "text", "url", "newswinnow"]
    rows = out.collect()
    assert len(rows) == len(PAGES) * 3
    for row in rows:
        nw = row["newswinnow"].asDict(recursive=True)
        if row["text"] is None:
            assert nw["error"] and nw["quality"] is None
            continue
        want = shipped.classify_text(row["text"], id=row["id"], url=row["url"])
        assert nw["error"] is None
        assert nw["quality"] == want.quality and nw["reasons"] == want.reasons
        assert nw["labels"] == want.labels and nw["has_comments"] == want.has_comments
        assert nw["comment_start"] == want.comment_start and nw["source"] == want.source
        assert nw["fractions"] == want.fractions and nw["mt_score"] == want.mt_score
        assert nw["kept_text"] == want.kept_text(["editorial"])
    bridge = next(r for r in rows if r["id"] == "bridge")["newswinnow"]
    assert bridge["has_comments"] and "comment" in bridge["labels"]
    # filtering on the struct works as a Spark user would write it
    kept = {r["id"] for r in out.where("newswinnow.has_comments").select("id").collect()}
    assert kept == {i for i, t, u in PAGES if t is not None and shipped.classify_text(t).has_comments}


def test_classify_partition_loads_the_model_once_per_iterator(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    real = nw_spark._classifier.__wrapped__

    def counting(model):
        loads.append(model)
        return real(model)

    monkeypatch.setattr(nw_spark, "_classifier", counting)
    batches = [pd.DataFrame({"id": [f"{b}-{i}" for i in range(3)], "text": [p[1] or "x" for p in PAGES[:3]]})
               for b in range(4)]
    out = list(nw_spark.classify_partition(iter(batches)))
    assert loads == [None]
    assert [len(o) for o in out] == [3, 3, 3, 3]
    assert out[0]["newswinnow"][0]["labels"] == Classifier.load().classify_text(PAGES[0][1]).labels
    assert list(nw_spark.classify_partition(iter([]))) == [] and loads == [None]  # empty partition: no load


def test_bad_arguments_are_refused(spark) -> None:
    df = spark.createDataFrame([("a", "x")], "id string, body string")
    with pytest.raises(ValueError, match="no 'text' column"):
        classifier.classify_spark(df)
    with pytest.raises(ValueError, match="keep"):
        classifier.classify_spark(df, text_col="body", keep=["article"])


def test_partition_rows_are_cut_by_count_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pandas batch goes through the classifier in calls of at most BATCH_PAGES rows and
    BATCH_BYTES of input (a longer row alone), with each row's own result, in order."""
    monkeypatch.setattr(nw_spark, "BATCH_PAGES", 2)
    monkeypatch.setattr(nw_spark, "BATCH_BYTES", 300)
    calls: list[list[int]] = []
    clf = Classifier.load()
    real = clf.classify_or_reject

    def recording(records, *args, **kwargs):
        calls.append([len(rec.get("text") or "") for _, rec in records])
        return real(records, *args, **kwargs)

    monkeypatch.setattr(clf, "classify_or_reject", recording)
    monkeypatch.setattr(nw_spark, "_classifier", lambda model: clf)
    texts = [p[1] for p in PAGES if p[1]] * 2
    frame = pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts})
    (out,) = nw_spark.classify_partition(iter([frame]))
    assert [n for c in calls for n in c] == [len(t) for t in texts]
    assert all(len(c) <= 2 and (len(c) == 1 or sum(c) <= 300) for c in calls), calls
    assert len(calls) > -(-len(texts) // 2)  # the byte limit cut some calls short
    assert [r["labels"] for r in out["newswinnow"]] == [clf.classify_text(t).labels for t in texts]
