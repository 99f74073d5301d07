"""Thread-start refinement: where a decoded comment section begins, moved by a learned scorer.

Viterbi (with the page gate) decides well *whether* a page has a reader thread, less well
*where* it starts: its first comments, when they carry no name or date line, read like the
article's last paragraphs, so the decoded start is often late (they are labelled editorial),
sometimes early. This layer looks, on every page with a decoded thread, at the candidate start
positions in a window of ``window`` blocks either side of Viterbi's start, scores each with a
small logistic regression over windowed calibrated probabilities (the comment-vs-editorial
evidence of the blocks the move would hand over, the probabilities at and around the
candidate, its offset and position), and when the best candidate beats Viterbi's own start by
more than ``margin`` the page is decoded again with the start fixed there
(``decode.viterbi_fixed_start``: the article part ends in the article phase, the thread part
begins with a comment).

Everything is numpy over the batch (one gather per feature over [pages, candidates]); only the
pages whose start moves are decoded again. The scorer is a plain JSON file beside the model
(``STEM.start.json``) tied to the text model's arrays sha256: a file fitted for another model
is refused with a clear error, and a model without one decodes as before. Fit it with
``python -m training.thread_start``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import decode, layer_file
from .model import LABELS, ModelError

START_FORMAT = "newswinnow-thread-start"
START_VERSION = 1
START_SUFFIX = ".start.json"
_E, _C, _S, _B = (LABELS.index(lab) for lab in ("editorial", "comment", "spam", "boilerplate"))
# Probabilities are clipped here before logs (a confident network must not give inf).
LOG_CLIP = 1e-4
# Blocks either side of a candidate whose mean probabilities are columns ("does a thread read
# on after it, does an article read before it").
NEAR_BLOCKS = 3
# Article blocks before the earlier of (candidate, Viterbi's start) that the contrast is taken against.
CONTEXT_BLOCKS = 16
# Scale of the squashed evidence sums (tanh(x / scale)): a few confident blocks saturate it.
GAIN_SCALE = 8.0
# The largest window a file may ask for (candidate arrays are [pages, 2 * window + 1]).
MAX_WINDOW = 64

FEATURE_NAMES: tuple[str, ...] = (
    "offset_log",  # sign(d) * log(1 + |d|), d = candidate - Viterbi's start
    "is_viterbi",  # d == 0
    "offset_share",  # d / page length
    "position",  # candidate / page length
    "gain_ce",  # sum of log(p_comment / p_editorial) over the blocks the move hands to the thread
    # (negative for blocks it hands back), squashed
    "gain_cb",  # the same against boilerplate
    "gain_ce_mean",  # gain_ce per moved block (0 at d == 0)
    "contrast_ce",  # mean log(p_comment / p_editorial) of the moved blocks minus that of the
    # CONTEXT_BLOCKS before them: blocks that read more like comments than the article around them
    # (a thread whose first comments the network half-believes); signed like gain_ce (+ when
    # the move hands such blocks to the thread, - when it hands them back), 0 at d == 0
    "moved_comment_mean",  # mean p_comment of the moved blocks, signed like gain_ce
    "comment_at",  # p_comment of the candidate block
    "editorial_at",
    "boilerplate_at",
    "comment_before",  # p_comment of the block before it (0 at the page's start)
    "editorial_before",
    "boilerplate_before",
    "comment_after_mean",  # mean p_comment of the NEAR_BLOCKS blocks from the candidate on
    "editorial_after_mean",
    "editorial_before_mean",  # mean p_editorial of the NEAR_BLOCKS blocks before it
    "comment_before_mean",
    "decoded_comment_at",  # Viterbi labelled the candidate comment
    "decoded_editorial_before",  # Viterbi labelled the block before it editorial
)


class ThreadStartError(ModelError):
    """A thread-start file that is unreadable, of another version, or fitted for another model."""


def candidates(probas: Sequence[np.ndarray], decoded: Sequence[np.ndarray], window: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate starts and their features for every page with a decoded comment.

    Returns (page ids [P], Viterbi starts [P], candidate starts [P, 2w+1] with validity mask,
    features [P, 2w+1, FEATURE_NAMES]) - all gathers over the concatenated batch."""
    ids = np.fromiter((i for i, d in enumerate(decoded) if d.shape[0] and (d == _C).any()), dtype=np.int64)
    k = 2 * window + 1
    if ids.size == 0:
        return ids, np.zeros(0, np.int64), np.zeros((0, k), np.int64), np.zeros((0, k, len(FEATURE_NAMES)))
    P = np.concatenate([probas[i] for i in ids]).astype(np.float64, copy=False)
    D = np.concatenate([decoded[i] for i in ids])
    n = np.fromiter((probas[i].shape[0] for i in ids), dtype=np.int64, count=ids.size)
    off = np.zeros(ids.size, dtype=np.int64)
    np.cumsum(n[:-1], out=off[1:])
    v = np.fromiter((int(np.argmax(decoded[i] == _C)) for i in ids), dtype=np.int64, count=ids.size)
    d = np.arange(-window, window + 1)
    s = v[:, None] + d[None, :]
    valid = (s >= 0) & (s < n[:, None])
    sc = np.clip(s, 0, n[:, None] - 1)
    g = off[:, None] + sc  # global index of the candidate block
    gp = off[:, None] + np.maximum(sc - 1, 0)  # ... and of the block before it
    has_prev = sc > 0
    q = np.clip(P, LOG_CLIP, 1.0)
    lq = np.log(q)

    def cum(x: np.ndarray) -> np.ndarray:
        """Prefix sums with a leading 0: cum(x)[j] = sum of x[:j]."""
        return np.concatenate([[0.0], np.cumsum(x)])

    cs_ce, cs_cb = cum(lq[:, _C] - lq[:, _E]), cum(lq[:, _C] - lq[:, _B])
    cs_pc, cs_pe = cum(P[:, _C]), cum(P[:, _E])
    gv = (off + v)[:, None]
    gain_ce = cs_ce[gv] - cs_ce[g]
    gain_cb = cs_cb[gv] - cs_cb[g]
    first = np.minimum(g, gv)  # the moved span is [first, last) in global indices
    last = np.maximum(g, gv)
    ctx_lo = np.maximum(first - CONTEXT_BLOCKS, off[:, None])
    n_ctx = (first - ctx_lo).astype(np.float64)
    ctx_mean = np.where(n_ctx > 0, (cs_ce[first] - cs_ce[ctx_lo]) / np.maximum(n_ctx, 1.0), 0.0)
    n_moved = np.maximum(last - first, 1).astype(np.float64)
    moved_ce_mean = np.where(last > first, (cs_ce[last] - cs_ce[first]) / n_moved, 0.0)
    hi = off[:, None] + np.minimum(sc + NEAR_BLOCKS, n[:, None])
    lo = off[:, None] + np.maximum(sc - NEAR_BLOCKS, 0)
    n_after = (hi - g).astype(np.float64)
    n_before = np.maximum(g - lo, 1).astype(np.float64)
    nn = n[:, None].astype(np.float64)
    df = d[None, :].astype(np.float64) * np.ones_like(nn)
    cols = {
        "offset_log": np.sign(df) * np.log1p(np.abs(df)),
        "is_viterbi": (df == 0).astype(np.float64),
        "offset_share": df / nn,
        "position": sc / nn,
        "gain_ce": np.tanh(gain_ce / GAIN_SCALE),
        "gain_cb": np.tanh(gain_cb / GAIN_SCALE),
        "gain_ce_mean": np.where(df != 0, gain_ce / np.maximum(np.abs(df), 1.0), 0.0) / GAIN_SCALE,
        "contrast_ce": -np.sign(df) * np.where(last > first, moved_ce_mean - ctx_mean, 0.0) / GAIN_SCALE,
        "moved_comment_mean": -np.sign(df) * np.where(last > first, (cs_pc[last] - cs_pc[first]) / n_moved, 0.0),
        "comment_at": P[g, _C],
        "editorial_at": P[g, _E],
        "boilerplate_at": P[g, _B],
        "comment_before": np.where(has_prev, P[gp, _C], 0.0),
        "editorial_before": np.where(has_prev, P[gp, _E], 0.0),
        "boilerplate_before": np.where(has_prev, P[gp, _B], 0.0),
        "comment_after_mean": (cs_pc[hi] - cs_pc[g]) / n_after,
        "editorial_after_mean": (cs_pe[hi] - cs_pe[g]) / n_after,
        "editorial_before_mean": np.where(has_prev, (cs_pe[g] - cs_pe[lo]) / n_before, 0.0),
        "comment_before_mean": np.where(has_prev, (cs_pc[g] - cs_pc[lo]) / n_before, 0.0),
        "decoded_comment_at": (D[g] == _C).astype(np.float64),
        "decoded_editorial_before": np.where(has_prev, D[gp] == _E, False).astype(np.float64),
    }
    F = np.stack([cols[f] for f in FEATURE_NAMES], axis=-1)
    return ids, v, np.where(valid, s, -1), F


@dataclass
class ThreadStart:
    """Logistic scorer over ``FEATURE_NAMES`` per candidate start, plus the move margin."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    window: int
    margin: float  # the best candidate must beat Viterbi's start by this (log-odds) to move it
    model_sha256: str = ""
    meta: dict | None = None

    def scores(self, F: np.ndarray) -> np.ndarray:
        """Log-odds that each candidate is the thread's first block."""
        return ((F - self.mean) / self.scale) @ self.coef + self.intercept

    def choose(self, probas: Sequence[np.ndarray], decoded: Sequence[np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray]:
        """(page ids, new starts) of the pages whose start moves."""
        ids, _, s, F = candidates(probas, decoded, self.window)
        if ids.size == 0:
            return ids, ids
        z = np.where(s >= 0, self.scores(F), -np.inf)
        best = z.argmax(axis=1)
        rows = np.arange(ids.size)
        move = (z[rows, best] - z[:, self.window] > self.margin) & (best != self.window)
        return ids[move], s[rows, best][move]

    def refine(self, probas: Sequence[np.ndarray], decoded: list[np.ndarray], prior: np.ndarray,
               log_start: np.ndarray, log_trans: np.ndarray,
               post: tuple[np.ndarray, np.ndarray] | None = None) -> list[np.ndarray]:
        """``decoded`` with the moved pages decoded again from their new start."""
        ids, starts = self.choose(probas, decoded)
        if ids.size == 0:
            return decoded
        out = list(decoded)
        for i, lab in zip(ids.tolist(), decode.viterbi_fixed_start([probas[i] for i in ids], starts.tolist(),
                                                                   prior, log_start, log_trans, post)):
            out[i] = lab
        return out

    # --- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": START_FORMAT, "version": START_VERSION, "features": list(FEATURE_NAMES),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "window": self.window, "margin": self.margin,
                "model_sha256": self.model_sha256, "meta": self.meta or {}}

    def save(self, path: Path) -> None:
        layer_file.save(path, self.to_json())

    @classmethod
    def load(cls, path: Path, model_sha256: str | None = None) -> ThreadStart:
        """Read and check a thread-start file; every error names the file and what was expected."""
        h, arrs = layer_file.read(path, fmt=START_FORMAT, version=START_VERSION, features=list(FEATURE_NAMES),
                                  model_sha256=model_sha256, what="thread-start scorer",
                                  fit_module="training.thread_start", error=ThreadStartError)
        try:
            intercept, margin = float(h["intercept"]), float(h["margin"])
            window = h["window"]
        except (KeyError, TypeError, ValueError) as e:
            raise ThreadStartError(f"{path}: malformed thread-start scorer ({type(e).__name__}: {e})") from e
        if not (math.isfinite(intercept) and math.isfinite(margin)):
            raise ThreadStartError(f"{path}: thread-start intercept and margin are not finite numbers")
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= MAX_WINDOW:
            raise ThreadStartError(f"{path}: thread-start window {window!r} is not an integer in 1..{MAX_WINDOW}")
        return cls(*arrs, intercept, window, margin, model_sha256=str(h.get("model_sha256", "")),
                   meta=h.get("meta") or {})


def start_path(model_path: Path) -> Path:
    """``STEM.start.json`` beside the model's ``STEM.json``."""
    return layer_file.beside(model_path, START_SUFFIX)


def load_for(model_path: Path, model_sha256: str) -> ThreadStart | None:
    """The thread-start scorer beside a model, or None when there is none (decodes as before)."""
    sp = start_path(model_path)
    return ThreadStart.load(sp, model_sha256) if sp.exists() else None
