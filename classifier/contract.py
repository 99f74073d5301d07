"""Check one result against the contract (``../shared/design/INTERFACE.md``), without ../shared.

The same checks as ``../shared/tools/check_contract.py``'s ``check_doc`` (keys, labels,
probabilities, 0..1 scores, fractions, comment section, exact line numbers and block texts for
plain text), usable where ../shared is absent: the property tests and the fuzz run call it on
every result.
"""

from __future__ import annotations

import math

from .model import LABELS

DOC_KEYS = ("id", "url", "source", "blocks", "has_comments", "comment_start", "fractions",
            "mt_score", "dup_fraction", "quality", "reasons", "model")
BLOCK_KEYS = ("index", "line", "text", "label", "proba", "mt", "profanity", "evidence")
# Sums of rounded probabilities / fractions may be off by this much.
SUM_TOLERANCE = 1e-3


def _unit(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and not math.isnan(x) and 0.0 <= x <= 1.0


def problems(doc: dict, text: str | None = None) -> list[str]:
    """Every way ``doc`` (a result's ``to_dict()``) departs from the contract; ``text``: the
    plain-text input, to check line numbers and block texts (None for HTML)."""
    out: list[str] = [f"missing key {k!r}" for k in DOC_KEYS if k not in doc]
    if set(doc) - set(DOC_KEYS):
        out.append(f"extra keys {sorted(set(doc) - set(DOC_KEYS))}")
    blocks = doc.get("blocks") or []
    if text is not None:
        lines = text.split("\n")
        expected = [i + 1 for i, line in enumerate(lines) if line.strip()]
        got = [b.get("line") for b in blocks]
        if got != expected:
            out.append(f"block lines {got[:8]} differ from the non-empty lines {expected[:8]}")
    for pos, b in enumerate(blocks):
        w = f"block {pos}"
        out += [f"{w}: missing key {k!r}" for k in BLOCK_KEYS if k not in b]
        if b.get("index") != pos:
            out.append(f"{w}: index {b.get('index')!r}")
        if b.get("label") not in LABELS:
            out.append(f"{w}: label {b.get('label')!r}")
        p = b.get("proba") or {}
        if set(p) != set(LABELS) or not all(_unit(v) for v in p.values()) \
                or abs(sum(p.values()) - 1) > SUM_TOLERANCE:
            out.append(f"{w}: proba {p} is not a distribution over the four labels")
        for k in ("mt", "profanity"):
            if not _unit(b.get(k)):
                out.append(f"{w}: {k}={b.get(k)!r} is not in 0..1")
        t = b.get("text")
        if text is not None and isinstance(b.get("line"), int) and t is not None \
                and t.strip() != lines[b["line"] - 1].strip():
            out.append(f"{w}: text does not match input line {b['line']}")
        for e in b.get("evidence") or []:
            if not {"kind", "start", "end"} <= set(e) or not (
                    isinstance(t, str) and 0 <= e["start"] <= e["end"] <= len(t)):
                out.append(f"{w}: evidence {e} is not a span of the block text")
    for k in ("mt_score", "dup_fraction", "quality"):
        if not _unit(doc.get(k)):
            out.append(f"{k}={doc.get(k)!r} is not in 0..1")
    f = doc.get("fractions") or {}
    if set(f) != set(LABELS) or not all(_unit(v) for v in f.values()) or (
            blocks and abs(sum(f.values()) - 1) > SUM_TOLERANCE):
        out.append(f"fractions {f} are not shares of the four labels")
    if not isinstance(doc.get("has_comments"), bool):
        out.append("has_comments is not a boolean")
    cs = doc.get("comment_start")
    if doc.get("has_comments"):
        key = "index" if blocks and blocks[0].get("line") is None else "line"  # HTML: an index
        if not isinstance(cs, int) or cs not in {b.get(key) for b in blocks if b.get("label") == "comment"}:
            out.append(f"has_comments but comment_start={cs!r} is not a comment block's {key}")
    elif cs is not None:
        out.append(f"no comments but comment_start={cs!r}")
    reasons = doc.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) and r == r.lower() and " " not in r
                                                for r in reasons):
        out.append(f"reasons {reasons!r} are not snake_case strings")
    return out
