"""newswinnow on Spark DataFrames (``pip install 'newswinnow[spark]'``).

``classify_spark(df)`` returns ``df`` with one more column, ``newswinnow``: a struct holding the
page result (quality, reasons, mt_score, fractions, has_comments, comment_start, labels...).
It runs with ``mapInPandas``: each partition streams through as Arrow batches of pandas rows,
the classifier is loaded once per Python worker (cached across the partitions that worker
serves) and pages go through it in batches, which is much faster than a row-at-a-time UDF.

    from classifier import classify_spark
    out = classify_spark(spark.read.json("pages.jsonl"), keep=["editorial"])
    out.where("newswinnow.quality >= 0.5").select("id", "newswinnow.kept_text").write.parquet("clean/")

The executors need newswinnow installed (its shipped models come with it: ``model="fast"`` names
the three-network one); a ``model`` path given here must be readable on every executor.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .model import LABELS
from .parallel import BATCH_BYTES, BATCH_RECORDS, batched, numbered_record_size

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame

RESULT_COLUMN = "newswinnow"
# Pages per call into the classifier, and at most parallel.BATCH_BYTES of input, as the CLI and
# the API cut their batches.
BATCH_PAGES = BATCH_RECORDS
# The struct's fields, in order (types in ``result_schema``).
RESULT_FIELDS = ("quality", "reasons", "mt_score", "dup_fraction", "has_comments", "comment_start",
                 "fractions", "source", "labels", "kept_text", "model", "error")


def result_schema():
    """The Spark type of the ``newswinnow`` column."""
    from pyspark.sql import types as T

    fractions = T.StructType([T.StructField(label, T.DoubleType()) for label in LABELS])
    return T.StructType([
        T.StructField("quality", T.DoubleType()),
        T.StructField("reasons", T.ArrayType(T.StringType())),
        T.StructField("mt_score", T.DoubleType()),
        T.StructField("dup_fraction", T.DoubleType()),
        T.StructField("has_comments", T.BooleanType()),
        T.StructField("comment_start", T.LongType()),
        T.StructField("fractions", fractions),
        T.StructField("source", T.StringType()),
        T.StructField("labels", T.ArrayType(T.StringType())),
        T.StructField("kept_text", T.StringType()),
        T.StructField("model", T.StringType()),
        T.StructField("error", T.StringType()),
    ])


@functools.lru_cache(maxsize=4)
def _classifier(model: str | None):
    """One classifier per model per Python worker process (Spark reuses workers across tasks)."""
    from .api import Classifier

    return Classifier.load(model)


def _result(res: Any, keep: tuple[str, ...] | None) -> dict:
    if isinstance(res, str):
        return dict.fromkeys(RESULT_FIELDS) | {"error": res}
    return {
        "quality": res.quality, "reasons": res.reasons, "mt_score": res.mt_score,
        "dup_fraction": res.dup_fraction, "has_comments": res.has_comments, "comment_start": res.comment_start,
        "fractions": res.fractions, "source": res.source, "labels": res.labels,
        "kept_text": res.kept_text(keep) if keep else None, "model": res.model, "error": None,
    }


def _column(pdf: pd.DataFrame, name: str | None) -> list:
    if name is None or name not in pdf.columns:
        return [None] * len(pdf)
    return [None if _is_null(v) else v for v in pdf[name].tolist()]


def _is_null(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)  # None or NaN (pandas' missing value)


def classify_partition(batches: Iterable[pd.DataFrame], text_col: str = "text", html_col: str | None = None,
                       id_col: str | None = "id", url_col: str | None = "url", model: str | None = None,
                       keep: tuple[str, ...] | None = None, tune_malloc: bool = False) -> Iterator[pd.DataFrame]:
    """``mapInPandas`` body: pandas batches in, the same rows plus the ``newswinnow`` struct out.

    A row without a usable text (null, not a string) gets a struct with only ``error`` set.
    ``tune_malloc``: see ``classify_spark``.
    """
    clf = None
    for pdf in batches:
        if clf is None:
            if tune_malloc:
                from .malloc import tune_malloc as tune

                tune()
            clf = _classifier(model)  # on the first batch: a partition with no rows loads nothing
        texts, htmls = _column(pdf, text_col), _column(pdf, html_col)
        ids, urls = _column(pdf, id_col), _column(pdf, url_col)
        results: list[dict] = []
        records = []
        for i in range(len(pdf)):
            rec = {"id": ids[i], "url": urls[i] if isinstance(urls[i], str) else None}
            if texts[i] is not None:
                rec["text"] = texts[i]
            elif htmls[i] is not None:
                rec["html"] = htmls[i]
            records.append((i + 1, rec))
        for part in batched(records, BATCH_PAGES, numbered_record_size, BATCH_BYTES):
            results.extend(_result(r, keep) for r in clf.classify_or_reject(part))
        out = pdf.copy()
        out[RESULT_COLUMN] = results
        yield out


def classify_spark(df: DataFrame, text_col: str = "text", html_col: str | None = None, id_col: str | None = "id",
                   url_col: str | None = "url", model: str | None = None,
                   keep: Iterable[str] | None = None, tune_malloc: bool = False) -> DataFrame:
    """``df`` with a ``newswinnow`` struct column holding each page's result.

    ``text_col`` holds plain text (one block per line); ``html_col``, if given, is used for rows
    whose text is null. ``keep`` (labels) fills ``newswinnow.kept_text`` with those blocks' text.
    ``tune_malloc`` applies :func:`classifier.malloc.tune_malloc` in each Python worker before
    its model loads (glibc's allocator thresholds, as the CLI sets them); off by default, as it
    changes the whole worker process's allocator.
    """
    from pyspark.sql import types as T

    keep_t = tuple(keep) if keep is not None else None
    if keep_t is not None and (not keep_t or any(k not in LABELS for k in keep_t)):
        raise ValueError(f"keep: labels must be among {', '.join(LABELS)}")
    if text_col not in df.columns and (html_col is None or html_col not in df.columns):
        raise ValueError(f"DataFrame has no {text_col!r} column (columns: {', '.join(df.columns)})")
    if RESULT_COLUMN in df.columns:
        raise ValueError(f"DataFrame already has a {RESULT_COLUMN!r} column")
    schema = T.StructType([*df.schema.fields, T.StructField(RESULT_COLUMN, result_schema())])
    cols = {c: (c if c is not None and c in df.columns else None) for c in (html_col, id_col, url_col)}

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return classify_partition(batches, text_col, cols[html_col] if html_col else None,
                                  cols[id_col] if id_col else None, cols[url_col] if url_col else None,
                                  model, keep_t, tune_malloc)

    return df.mapInPandas(run, schema)


__all__ = ["RESULT_COLUMN", "classify_partition", "classify_spark", "result_schema"]
