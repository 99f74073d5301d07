"""Per-source aggregation of classify output (``newswinnow sources``), and the result reader
shared with ``newswinnow report``.

Streaming: results are read one line at a time and folded into one ``SourceStats`` per source;
the only per-page memory is each page's quality as a 2-byte integer (quality is rounded to 4
decimals, so ``round(q * 10000)`` is exact and the median is exact too).
"""

from __future__ import annotations

import json
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from .source import registered_domain

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None  # type: ignore[assignment]

# The source of results that carry neither ``source`` nor a url with a host.
NO_SOURCE = "(no source)"
# Quality is stored per page as round(q * QUALITY_SCALE) in an unsigned 16-bit array.
QUALITY_SCALE = 10_000
DEFAULT_TOP_REASONS = 3
# Fields every result must carry to be aggregated (INTERFACE.md).
REQUIRED = ("quality", "reasons", "fractions", "has_comments", "mt_score", "dup_fraction")
COLUMNS = ("source", "pages", "mean_quality", "median_quality", "comment_page_share", "mean_comment_share",
           "spam_page_share", "mean_spam_share", "mean_mt_score", "mean_dup_fraction", "top_reasons")
ROUND = 4


class BadResult(ValueError):
    """A line of the results file that is not a classify result."""


@dataclass
class SourceStats:
    """Running totals of one source."""

    source: str
    pages: int = 0
    quality_sum: float = 0.0
    qualities: array = field(default_factory=lambda: array("H"))
    with_comments: int = 0
    comment_sum: float = 0.0
    with_spam: int = 0
    spam_sum: float = 0.0
    mt_sum: float = 0.0
    dup_sum: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    def add(self, rec: dict) -> None:
        q = float(rec["quality"])
        frac = rec["fractions"]
        self.pages += 1
        self.quality_sum += q
        self.qualities.append(round(min(1.0, max(0.0, q)) * QUALITY_SCALE))
        self.with_comments += bool(rec["has_comments"])
        self.comment_sum += float(frac.get("comment", 0.0))
        spam = float(frac.get("spam", 0.0))
        self.with_spam += spam > 0
        self.spam_sum += spam
        self.mt_sum += float(rec["mt_score"])
        self.dup_sum += float(rec["dup_fraction"])
        self.reasons.update(rec["reasons"])

    def median_quality(self) -> float:
        """Exact median (mean of the two middle values for an even count)."""
        v = sorted(self.qualities)
        n = len(v)
        if not n:
            return 0.0
        mid = (v[(n - 1) // 2] + v[n // 2]) / 2
        return mid / QUALITY_SCALE

    def row(self, top_reasons: int = DEFAULT_TOP_REASONS) -> dict:
        n = max(self.pages, 1)
        return {
            "source": self.source, "pages": self.pages,
            "mean_quality": round(self.quality_sum / n, ROUND), "median_quality": round(self.median_quality(), ROUND),
            "comment_page_share": round(self.with_comments / n, ROUND),
            "mean_comment_share": round(self.comment_sum / n, ROUND),
            "spam_page_share": round(self.with_spam / n, ROUND), "mean_spam_share": round(self.spam_sum / n, ROUND),
            "mean_mt_score": round(self.mt_sum / n, ROUND), "mean_dup_fraction": round(self.dup_sum / n, ROUND),
            "top_reasons": dict(self.reasons.most_common(top_reasons)),
        }


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def parse_result(line: bytes) -> dict:
    """One JSONL line -> a result dict, or ``BadResult`` saying what is wrong."""
    try:
        rec = orjson.loads(line) if orjson is not None else json.loads(line)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadResult(f"bad JSON ({e})") from None
    if not isinstance(rec, dict):
        raise BadResult("not a JSON object")
    missing = [k for k in REQUIRED if k not in rec]
    if missing:
        raise BadResult(f"not a classify result (missing {', '.join(missing)})")
    q = rec["quality"]
    if not isinstance(q, (int, float)) or not 0.0 <= q <= 1.0 or not isinstance(rec["fractions"], dict) \
            or not isinstance(rec["reasons"], list):
        raise BadResult("malformed quality, fractions or reasons")
    return rec


def iter_results(paths: Iterable[str], on_error) -> Iterator[dict]:
    """Results from JSONL files (``-``: stdin; ``.gz`` read as gzip), one at a time.

    ``on_error(path, lineno, reason, raw_line)`` is called for each line that is not a result;
    blank lines are skipped.
    """
    for path in paths:
        fh = _open(path)
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield parse_result(line)
                except BadResult as e:
                    on_error(path, lineno, str(e), line)
        finally:
            if fh is not sys.stdin.buffer:
                fh.close()


def source_of(rec: dict) -> str:
    """The result's ``source``, else the registered domain of its url, else ``NO_SOURCE``."""
    src = rec.get("source")
    if isinstance(src, str) and src:
        return src
    url = rec.get("url")
    return (registered_domain(url) if isinstance(url, str) else None) or NO_SOURCE


class SourceTable:
    """All sources' running totals."""

    def __init__(self) -> None:
        self.stats: dict[str, SourceStats] = {}

    def add(self, rec: dict) -> None:
        src = source_of(rec)
        st = self.stats.get(src)
        if st is None:
            st = self.stats[src] = SourceStats(src)
        st.add(rec)

    def rows(self, min_pages: int = 1, top_reasons: int = DEFAULT_TOP_REASONS) -> list[dict]:
        """Sources with at least ``min_pages`` pages, worst first (mean quality, then median,
        then the larger source first, then the name)."""
        rows = [s.row(top_reasons) for s in self.stats.values() if s.pages >= min_pages]
        rows.sort(key=lambda r: (r["mean_quality"], r["median_quality"], -r["pages"], r["source"]))
        return rows


def write_rows(rows: list[dict], fmt: str, out: IO[str]) -> None:
    """``csv`` (top reasons as ``reason:count;...``) or ``json`` (one array of objects,
    ``top_reasons`` an object from reason to page count, most frequent first)."""
    if fmt == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    import csv

    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([*(r[c] for c in COLUMNS[:-1]), ";".join(f"{k}:{v}" for k, v in r["top_reasons"].items())])

