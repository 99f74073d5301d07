"""Your own labelled pages, for ``newswinnow train --labelled FILE`` and ``newswinnow evaluate FILE``.

A labelled file is JSONL, one page per line, in either of two shapes:

- ``{"id": ..., "source": ..., "texts": ["line", ...], "labels": ["editorial", ...]}``;
- newswinnow's own output with corrected labels: ``{"id": ..., "url": ..., "blocks":
  [{"text": ..., "label": ...}, ...]}`` - so ``newswinnow classify`` output that someone fixed
  by hand can go straight back into training.

Labels are the four of ``../shared/design/LABELS.md``. ``source`` (else the registered domain of
``url``, else the page's id) is the cross-validation group: pages of one source never straddle
train and test folds, which is what keeps the reported figures honest for a site-heavy data set.
Whitespace inside a block is collapsed (as the feature pass sees it) and empty blocks are
dropped with their labels. A record that cannot be used is reported with its line number and the
reason, handed to ``on_reject`` with its raw bytes, and the rest of the file is read on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.model import LABELS
from classifier.source import registered_domain

from .corpora import LabeledPage

__all__ = ["Reject", "read_labelled", "page_from_record"]


@dataclass(frozen=True)
class Reject:
    """A record of a labelled file that was not used, and why (snake_case reason first)."""

    path: str
    line: int
    reason: str
    raw: bytes


def _blocks(rec: dict) -> tuple[list, list]:
    """(texts, labels) from either record shape; ValueError says what is wrong."""
    if "blocks" in rec and "texts" not in rec:
        blocks = rec["blocks"]
        if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
            raise ValueError("bad_blocks: 'blocks' must be a list of objects")
        return [b.get("text") for b in blocks], [b.get("label") for b in blocks]
    texts, labels = rec.get("texts"), rec.get("labels")
    if not isinstance(texts, list) or not isinstance(labels, list):
        raise ValueError("missing_texts_or_labels: needs 'texts' and 'labels' lists (or 'blocks')")
    if len(texts) != len(labels):
        raise ValueError(f"length_mismatch: {len(texts)} texts but {len(labels)} labels")
    return texts, labels


def page_from_record(rec: object, default_id: str, corpus: str) -> LabeledPage:
    """One labelled page from a decoded JSON record; ValueError (reason first) if unusable."""
    if not isinstance(rec, dict):
        raise ValueError("not_an_object: a record must be a JSON object")
    texts, labels = _blocks(rec)
    if not all(isinstance(t, str) for t in texts):
        raise ValueError("non_string_text: every block text must be a string")
    bad = sorted({str(lab) for lab in labels if lab not in LABELS})
    if bad:
        raise ValueError(f"unknown_label: {bad[:3]} (labels are {', '.join(LABELS)})")
    kept = [(" ".join(t.split()), lab) for t, lab in zip(texts, labels)]
    kept = [(t, lab) for t, lab in kept if t]
    if not kept:
        raise ValueError("empty_page: no block with text")
    pid = default_id if rec.get("id") in (None, "") else str(rec["id"])
    source = rec.get("source") or registered_domain(rec.get("url") if isinstance(rec.get("url"), str) else None)
    group = str(source or pid)
    return LabeledPage(id=pid, corpus=corpus, source=group, texts=[t for t, _ in kept],
                       labels=[lab for _, lab in kept], group=group)


def read_labelled(path: Path, on_reject: Callable[[Reject], None] | None = None) -> Iterator[LabeledPage]:
    """The usable pages of one labelled JSONL file, in order; the others go to ``on_reject``."""
    path = Path(path)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                try:
                    rec = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise ValueError(f"invalid_utf8: {exc.reason} at byte {exc.start}") from None
                except json.JSONDecodeError as exc:
                    raise ValueError(f"bad_json: {exc.msg} (column {exc.colno})") from None
                page = page_from_record(rec, f"{path.stem}:{lineno}", path.stem)
            except ValueError as exc:
                if on_reject is not None:
                    on_reject(Reject(str(path), lineno, str(exc), raw))
                continue
            yield page
