"""Decision layers stored beside a text model (the page gate, the thread-start scorer).

Why one reader: each layer is a standardised logistic regression fitted on one model's
out-of-fold logits, so each file is plain JSON with the same checks - its format and version,
the feature names it was fitted on, the sha256 of the model it belongs to (a layer of another
model is refused, not used silently) and its ``mean``/``scale``/``coef`` arrays. The layer
modules check their own extra fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from features import jsonfile

from .model import ModelError


def beside(model_path: Path, suffix: str) -> Path:
    """``STEM<suffix>`` beside the model's ``STEM.json``."""
    p = Path(model_path)
    return p.with_suffix("").with_name(p.with_suffix("").name + suffix) if p.suffix == ".json" \
        else p.with_name(p.name + suffix)


def read(path: Path, *, fmt: str, version: int, features: list[str], model_sha256: str | None,
         what: str, fit_module: str, error: type[ModelError]) -> tuple[dict, list[np.ndarray]]:
    """The checked header and its (mean, scale, coef) arrays; every error names the file, what
    was expected and, where a refit helps, the command (``python -m fit_module``)."""
    refit = f"`python -m {fit_module}`"
    try:
        h = jsonfile.read(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise error(f"{path}: {what} unreadable ({type(e).__name__}: {e})") from e
    if not isinstance(h, dict) or h.get("format") != fmt:
        raise error(f"{path}: not a {fmt} file")
    if h.get("version") != version:
        raise error(f"{path}: {what} version {h.get('version')!r}, this newswinnow reads version {version} "
                    f"- refit with {refit}")
    if h.get("features") != features:
        raise error(f"{path}: {what} features differ from this newswinnow's - refit with {refit}")
    if model_sha256 is not None and h.get("model_sha256") != model_sha256:
        raise error(f"{path}: {what} was fitted for model sha256 {str(h.get('model_sha256'))[:16]}, "
                    f"not this model ({model_sha256[:16]}) - refit it with {refit} or delete it")
    try:
        arrs = [np.asarray(h[f], dtype=np.float64) for f in ("mean", "scale", "coef")]
    except (KeyError, TypeError, ValueError) as e:
        raise error(f"{path}: malformed {what} ({type(e).__name__}: {e})") from e
    k = len(features)
    if any(a.shape != (k,) or not np.isfinite(a).all() for a in arrs) or (arrs[1] <= 0).any():
        raise error(f"{path}: {what} arrays are not {k} finite numbers (scale > 0)")
    return h, arrs


def save(path: Path, header: dict) -> None:
    Path(path).write_text(json.dumps(header, indent=1) + "\n")
