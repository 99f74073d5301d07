"""The Python API: ``Classifier`` turns pages into ``DocumentResult`` objects.

Flow per page (one direction): segment -> features -> model -> decode -> scores -> result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from features.extract import FEATURE_NAMES, SCHEMA_VERSION, extract
from features.mt import mt_page_score
from features.segment import Block, html_to_blocks, segment_text

from . import decode, scores
from .model import LABELS, BlockModel, ModelError
from .source import registered_domain

MODEL_STEM = "model-text"
ENV_MODEL = "NEWSWINNOW_MODEL"
# Decimal places kept in the JSON output for probabilities and scores.
ROUND = 4


def default_model_path() -> Path:
    """Where the shipped model lives: $NEWSWINNOW_MODEL, the repo's data/, or the installed share/."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env)
    candidates = [
        Path(__file__).resolve().parent.parent / "data" / f"{MODEL_STEM}.json",
        Path(sys.prefix) / "share" / "newswinnow" / "data" / f"{MODEL_STEM}.json",
    ]
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


@dataclass
class DocumentResult:
    """One page's result; ``to_dict`` gives exactly the contract's JSON object."""

    id: str | int | None
    url: str | None
    source: str | None
    blocks: list[dict]
    has_comments: bool
    comment_start: int | None
    fractions: dict[str, float]
    mt_score: float
    dup_fraction: float
    quality: float
    reasons: list[str]
    model: str
    labels: list[str] = field(default_factory=list, repr=False)

    def to_dict(self, include_text: bool = True) -> dict:
        """The contract's JSON object (``include_text=False`` drops ``blocks[].text``)."""
        blocks = self.blocks if include_text else [{k: v for k, v in b.items() if k != "text"}
                                                   for b in self.blocks]
        return {
            "id": self.id, "url": self.url, "source": self.source, "blocks": blocks,
            "has_comments": self.has_comments, "comment_start": self.comment_start,
            "fractions": self.fractions, "mt_score": self.mt_score,
            "dup_fraction": self.dup_fraction, "quality": self.quality, "reasons": self.reasons,
            "model": self.model,
        }

    def kept_text(self, keep: Iterable[str]) -> str:
        """The page's text reduced to blocks with the given labels, one per line."""
        keep = set(keep)
        return "\n".join(b["text"] for b in self.blocks if b["label"] in keep)


class Classifier:
    """Label the blocks of pages and score them; load once, call many times."""

    def __init__(self, model: BlockModel):
        self.model = model

    @classmethod
    def load(cls, path: str | Path | None = None) -> Classifier:
        """Load the shipped model (or the model at ``path``); never executes code from the file."""
        p = Path(path) if path is not None else default_model_path()
        return cls(BlockModel.load(p, expected_schema=SCHEMA_VERSION, expected_features=FEATURE_NAMES))

    # --- single pages -------------------------------------------------------------------
    def classify_text(self, text: str, id: str | int | None = None, url: str | None = None) -> DocumentResult:
        """Classify a plain-text page: one block per non-empty line."""
        return self._classify_blocks(segment_text(text), id, url, is_html=False)

    def classify_html(self, html: str | bytes, id: str | int | None = None,
                      url: str | None = None) -> DocumentResult:
        """Classify an HTML page: one block per block-level element's text."""
        return self._classify_blocks(html_to_blocks(html), id, url, is_html=True)

    def classify_many(self, records: Iterable[dict], n_jobs: int = 1,
                      text_field: str = "text", html_field: str = "html", id_field: str = "id",
                      url_field: str = "url") -> Iterator[DocumentResult]:
        """Classify records ({"text": ...} or {"html": ...}) lazily, in input order."""
        if n_jobs == 1:
            for i, rec in enumerate(records):
                yield self.classify_record(rec, i + 1, text_field, html_field, id_field, url_field)
            return
        from .parallel import parallel_map

        yield from parallel_map(self, records, n_jobs, text_field, html_field, id_field, url_field)

    def classify_record(self, rec: dict, default_id: int | None = None, text_field: str = "text",
                        html_field: str = "html", id_field: str = "id", url_field: str = "url") -> DocumentResult:
        """Classify one record; raises ``ValueError`` when it holds no usable text or html."""
        if not isinstance(rec, dict):
            raise ValueError("record is not a JSON object")
        rid = rec.get(id_field, default_id)
        url = rec.get(url_field)
        url = url if isinstance(url, str) else None
        if isinstance(rec.get(text_field), str):
            return self.classify_text(rec[text_field], rid, url)
        if isinstance(rec.get(html_field), str):
            return self.classify_html(rec[html_field], rid, url)
        if text_field in rec or html_field in rec:
            raise ValueError(f"field {text_field!r}/{html_field!r} is not a string")
        raise ValueError(f"record has no {text_field!r} or {html_field!r} field")

    # --- the pipeline -------------------------------------------------------------------
    def _classify_blocks(self, blocks: list[Block], id, url, is_html: bool) -> DocumentResult:
        texts = [b.text for b in blocks]
        pf = extract(texts, self.model.lexical)
        m = self.model
        proba = m.predict_proba(pf.X)
        if len(blocks) and m.transitions is not None:
            labels = decode.viterbi(proba, m.prior, m.start, m.transitions)
        else:
            labels = np.argmax(proba, axis=1) if len(blocks) else np.zeros(0, dtype=np.int64)
        lengths = pf.lengths
        comment = LABELS.index("comment")
        first = np.flatnonzero(labels == comment)
        has_comments = bool(first.size)
        comment_start = None
        if has_comments:
            b0 = blocks[int(first[0])]
            comment_start = b0.index if is_html else b0.line
        frac = scores.fractions(labels, lengths)
        mt_score = float(mt_page_score(pf.mt, lengths)) if len(blocks) else 0.0
        dup = scores.dup_fraction(pf.dup, lengths)
        # Quality judges every rule but spam on the page without its spam blocks (see scores.quality).
        clean = labels != LABELS.index("spam")
        mt_q = float(mt_page_score(pf.mt[clean], lengths[clean])) if clean.any() else 0.0
        dup_q = scores.dup_fraction(pf.dup[clean], lengths[clean], scores.MIN_DUP_CHARS_FOR_QUALITY)
        q, reasons = scores.quality(frac, mt_q, dup_q, texts, has_comments, pf.profanity, lengths, labels)
        label_names = [LABELS[i] for i in labels]
        out_blocks = []
        for i, b in enumerate(blocks):
            p = proba[i]
            out_blocks.append({
                "index": b.index,
                "line": None if is_html else b.line,
                "text": b.text,
                "label": label_names[i],
                "proba": {lab: round(float(p[j]), ROUND) for j, lab in enumerate(LABELS)},
                "mt": round(float(pf.mt[i]), ROUND),
                "profanity": round(float(pf.profanity[i]), ROUND),
                "evidence": pf.mt_evidence[i] + pf.profanity_evidence[i],
            })
        return DocumentResult(
            id=id, url=url, source=registered_domain(url), blocks=out_blocks,
            has_comments=has_comments, comment_start=comment_start, fractions=frac,
            mt_score=round(mt_score, ROUND), dup_fraction=round(dup, ROUND), quality=q,
            reasons=reasons, model=m.name, labels=label_names,
        )


__all__ = ["Classifier", "DocumentResult", "ModelError", "default_model_path"]
