"""Page-level comment-section decision on top of Viterbi ("does this page have a thread?").

Viterbi decides ``has_comments`` as a side effect of the best block path: a page has a thread
when the path puts at least one comment. That misses short threads (one or two comments with
no name line: the best path prefers to absorb them into the article) and sometimes opens a
thread on a few comment-like lines at the end of an article. A small logistic regression over
page aggregates of the calibrated probabilities and of the decoded run sees the page as a
whole and overrules the path in the clear cases:

- Viterbi put a thread but the gate's probability is below ``off`` -> the page is decoded
  again with the path forced to end in the article phase (no comment section);
- Viterbi put none but the gate's probability is above ``on`` -> decoded again with the path
  forced to end in the thread phase (the best-scoring comment section).
- optionally (``extend``, off in the shipped gate: the guarded search rejected it) a decoded
  thread on a page the gate is sure of is decoded again with a comment bias, to start earlier.

Everything is numpy over the whole batch (segment reductions, no per-block Python); only the
overruled pages (a few percent) are decoded a second time. The gate is a plain JSON file
beside the model (``STEM.gate.json``) with the text model's arrays sha256, so a gate fitted for
another model is refused with a clear error; a model without a gate file decodes as before.
Fit it with ``python -m training.page_gate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from features import ext

from . import decode, layer_file
from .model import LABELS, ModelError

GATE_FORMAT = "newswinnow-page-gate"
GATE_VERSION = 1
GATE_SUFFIX = ".gate.json"
_E, _C, _S, _B = (LABELS.index(lab) for lab in ("editorial", "comment", "spam", "boilerplate"))
# Probabilities are clipped here before log-odds (a confident network must not give inf).
LOGIT_CLIP = 1e-4
# A block counts as comment-ish when its comment probability is above this.
COMMENTISH = 0.5

FEATURE_NAMES: tuple[str, ...] = (
    "log_blocks",  # log(1 + blocks on the page)
    "comment_mean",  # mean comment probability over the page
    "comment_max",  # highest comment probability on the page
    "commentish_share",  # share of blocks with comment probability > COMMENTISH
    "has_run",  # Viterbi put a comment section
    "run_share",  # share of the page from the decoded section's first comment on
    "run_log_len",  # log(1 + blocks from the first decoded comment on)
    "run_comment_mean",  # mean comment probability inside the decoded section
    "before_comment_mean",  # mean comment probability before it (whole page when none)
    "run_editorial_mean",  # mean editorial probability inside the decoded section
    "run_comment_share",  # share of the section's blocks decoded as comment
    "commentish_before",  # log(1 + comment-ish blocks before the section)
    "best_suffix",  # best sum of comment log-odds over a suffix of the page, squashed
    "best_suffix_share",  # share of the page that best suffix covers
    "tail_comment_mean",  # mean comment probability of the last TAIL_BLOCKS blocks
    "spam_mean",  # mean spam probability (spam sits inside threads)
    "editorial_mean",  # mean editorial probability
    "boilerplate_mean",  # mean boilerplate probability (how much furniture the rendering kept)
    "run_boilerplate_mean",  # mean boilerplate probability inside the decoded section
    "viterbi_margin",  # best thread-ending path score minus best article-ending one, squashed
)
TAIL_BLOCKS = 3
# Scales of the squashed scores (tanh(x / scale)): typical magnitudes on Dragnet pages.
SUFFIX_SCALE = 10.0
MARGIN_SCALE = 5.0
# The compiled page reductions (classifier/_pages_ext.pyx), or None: the numpy forms below.
_PAGES = ext.load("classifier._pages_ext")
# Columns the kernel leaves to numpy's log1p / tanh (from its ``aux`` rows), and the margin's.
_LOG1P_COLUMNS = tuple(FEATURE_NAMES.index(f) for f in ("log_blocks", "run_log_len", "commentish_before"))
_SUFFIX_COLUMN = FEATURE_NAMES.index("best_suffix")
_MARGIN_COLUMN = FEATURE_NAMES.index("viterbi_margin")


class PageGateError(ModelError):
    """A gate file that is unreadable, of another version, or fitted for another model."""


@dataclass
class PageGate:
    """Logistic regression over ``FEATURE_NAMES`` plus the overrule thresholds and biases."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    off: float  # below: a decoded thread is dropped
    on: float  # above: a missing thread is forced
    bias: float = 0.0  # log-factor on comment probabilities when a thread is forced (finds its extent)
    extend: float = 1.01  # above: a decoded thread is decoded again with ``extend_bias`` (starts earlier)
    extend_bias: float = 0.0
    transition_scale: float = 1.0  # times the decoder's log-transitions (chosen jointly with the gate)
    model_sha256: str = ""
    meta: dict | None = None

    def probability(self, F: np.ndarray) -> np.ndarray:
        """P(page has a comment section) per row of page features."""
        z = ((F - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def decode(self, probas: Sequence[np.ndarray], prior: np.ndarray, log_start: np.ndarray,
               log_trans: np.ndarray, post: tuple[np.ndarray, np.ndarray] | None = None) -> list[np.ndarray]:
        """``decode.viterbi_batch`` with this gate's transition scale and overrules (what the
        classifier calls); ``post``: the model's eight-state tables (``BlockModel.post``)."""
        log_trans, post = self.log_trans(log_trans), self.post(post)
        use = None if post is None else decode.furniture_pages(probas)  # once: decode and overrules
        final = np.zeros((len(probas), decode.scores_width(log_start, post)))
        decoded = decode.viterbi_batch(probas, prior, log_start, log_trans, final_scores=final, post=post,
                                       use_post=use)
        return self.apply(probas, decoded, prior, log_start, log_trans, margin(final), post=post, use_post=use)

    def log_trans(self, log_trans: np.ndarray) -> np.ndarray:
        """The model's log-transitions as this gate decodes with them."""
        return log_trans if self.transition_scale == 1.0 else log_trans * self.transition_scale

    def post(self, post: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """The model's eight-state tables (if any) with this gate's transition scale."""
        return None if post is None else (post[0], self.log_trans(post[1]))

    def apply(self, probas: Sequence[np.ndarray], decoded: list[np.ndarray], prior: np.ndarray,
              log_start: np.ndarray, log_trans: np.ndarray, margins: np.ndarray | None = None,
              post: tuple[np.ndarray, np.ndarray] | None = None,
              use_post: np.ndarray | None = None) -> list[np.ndarray]:
        """Overrule Viterbi's comment-section choice where the page-level model is confident.

        ``margins`` come from Viterbi's final scores (``decode`` passes them); without them the
        margin column is 0, which the fitted weights did not see - use ``decode``. Tables as
        scaled by this gate (``log_trans``, ``post``); each page is re-decoded on its own chain
        (``use_post``, as ``decode.viterbi_batch``; computed here when not given)."""
        if not decoded:
            return decoded
        use = None if post is None else use_post if use_post is not None else decode.furniture_pages(probas)
        F = page_features(probas, decoded, margins)
        p = self.probability(F)
        has = F[:, FEATURE_NAMES.index("has_run")] > 0
        lens = np.fromiter((d.shape[0] for d in decoded), dtype=np.int64, count=len(decoded))
        out = list(decoded)
        boost, extend = np.ones(len(LABELS)), np.ones(len(LABELS))
        boost[_C], extend[_C] = math.exp(self.bias), math.exp(self.extend_bias)
        live = lens > 0
        for ids, mask, scale in ((np.flatnonzero(has & (p < self.off) & live), decode.ARTICLE_END, None),
                                 (np.flatnonzero(~has & (p > self.on) & live), decode.THREAD_END, boost),
                                 (np.flatnonzero(has & (p > self.extend) & live), decode.THREAD_END, extend)):
            if ids.size:
                redone = decode.viterbi_batch([probas[i] if scale is None else probas[i] * scale for i in ids],
                                              prior, log_start, log_trans, end_states=mask, post=post,
                                              use_post=None if use is None else use[ids])
                for i, lab in zip(ids.tolist(), redone):
                    out[i] = lab
        return out

    # --- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": GATE_FORMAT, "version": GATE_VERSION, "features": list(FEATURE_NAMES),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "off": self.off, "on": self.on, "bias": self.bias,
                "extend": self.extend, "extend_bias": self.extend_bias,
                "transition_scale": self.transition_scale, "model_sha256": self.model_sha256, "meta": self.meta or {}}

    def save(self, path: Path) -> None:
        layer_file.save(path, self.to_json())

    @classmethod
    def load(cls, path: Path, model_sha256: str | None = None) -> PageGate:
        """Read and check a gate file; every error names the file and what was expected."""
        h, arrs = layer_file.read(path, fmt=GATE_FORMAT, version=GATE_VERSION, features=list(FEATURE_NAMES),
                                  model_sha256=model_sha256, what="page gate", fit_module="training.page_gate",
                                  error=PageGateError)
        try:
            nums = [float(h[f]) for f in ("intercept", "off", "on", "bias", "extend", "extend_bias")]
            # Gates written before the joint transition scale decode with the plain table.
            nums.append(float(h.get("transition_scale", 1.0)))
        except (KeyError, TypeError, ValueError) as e:
            raise PageGateError(f"{path}: malformed page gate ({type(e).__name__}: {e})") from e
        if not all(math.isfinite(x) for x in nums) or nums[-1] <= 0:
            raise PageGateError(f"{path}: page gate numbers are not finite (transition_scale > 0)")
        return cls(*arrs, *nums, model_sha256=str(h.get("model_sha256", "")), meta=h.get("meta") or {})


def gate_path(model_path: Path) -> Path:
    """``STEM.gate.json`` beside the model's ``STEM.json``."""
    return layer_file.beside(model_path, GATE_SUFFIX)


def load_for(model_path: Path, model_sha256: str) -> PageGate | None:
    """The gate beside a model, or None when there is none (the model decodes as before)."""
    gp = gate_path(model_path)
    return PageGate.load(gp, model_sha256) if gp.exists() else None


def margin(final_scores: np.ndarray) -> np.ndarray:
    """Best thread-ending minus best article-ending path score per page (``final_scores`` of
    ``decode.viterbi_batch``): how close Viterbi came to the other decision."""
    k = final_scores.shape[1]
    return final_scores[:, decode.THREAD_END[:k]].max(axis=1) - final_scores[:, decode.ARTICLE_END[:k]].max(axis=1)


def page_features(probas: Sequence[np.ndarray], decoded: Sequence[np.ndarray],
                  margins: np.ndarray | None = None) -> np.ndarray:
    """Page aggregates [pages, FEATURE_NAMES] of calibrated probabilities and the decoded path.

    Segment reductions over the concatenated batch; empty pages get a row of zeros. Without
    ``margins`` (see ``margin``) that column is 0."""
    n_pages = len(probas)
    F = np.zeros((n_pages, len(FEATURE_NAMES)))
    lens = np.fromiter((p.shape[0] for p in probas), dtype=np.int64, count=n_pages)
    keep = np.flatnonzero(lens > 0)
    if keep.size == 0:
        return F
    P = np.concatenate([probas[i] for i in keep]).astype(np.float64, copy=False)
    D = np.concatenate([decoded[i] for i in keep])
    pc = P[:, _C]
    if _PAGES is not None and D.dtype == np.int64:
        G = _page_features_compiled(P, D, pc, lens[keep], margins, keep)
        if G is not None:
            F[keep] = G
            return F
    n = lens[keep].astype(np.float64)
    starts = np.zeros(keep.size, dtype=np.int64)
    np.cumsum(lens[keep][:-1], out=starts[1:])
    page = np.repeat(np.arange(keep.size), lens[keep])
    pos = np.arange(P.shape[0]) - starts[page]  # block index inside its page

    def seg_sum(v: np.ndarray) -> np.ndarray:
        return np.add.reduceat(v, starts)

    # First decoded comment per page (n when none), then the section = blocks from it on.
    first = np.minimum.reduceat(np.where(D == _C, pos, np.iinfo(np.int64).max), starts)
    has = first < lens[keep]
    first = np.where(has, first, lens[keep])
    in_run = pos >= first[page]
    run_len = (lens[keep] - first).astype(np.float64)
    before_len = first.astype(np.float64)
    safe_run = np.maximum(run_len, 1.0)
    commentish = pc > COMMENTISH
    # Best suffix: suffix sums of comment log-odds within each page via one global cumsum.
    q = np.clip(pc, LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    lo = np.log(q) - np.log1p(-q)
    cs = np.cumsum(lo)
    ends = starts + lens[keep] - 1
    suffix = cs[ends][page] - cs + lo  # sum from this block to the page's end
    best = np.maximum.reduceat(suffix, starts)
    # Position of the best suffix (first block attaining it): its share of the page.
    at_best = np.where(suffix >= best[page], pos, np.iinfo(np.int64).max)
    best_pos = np.minimum.reduceat(at_best, starts)
    tail = pos >= (lens[keep] - TAIL_BLOCKS)[page]
    cols = {
        "log_blocks": np.log1p(n),
        "comment_mean": seg_sum(pc) / n,
        "comment_max": np.maximum.reduceat(pc, starts),
        "commentish_share": seg_sum(commentish.astype(np.float64)) / n,
        "has_run": has.astype(np.float64),
        "run_share": run_len / n,
        "run_log_len": np.log1p(run_len),
        "run_comment_mean": np.where(has, seg_sum(np.where(in_run, pc, 0.0)) / safe_run, 0.0),
        "before_comment_mean": seg_sum(np.where(in_run, 0.0, pc)) / np.maximum(before_len, 1.0),
        "run_editorial_mean": np.where(has, seg_sum(np.where(in_run, P[:, _E], 0.0)) / safe_run, 0.0),
        "run_comment_share": np.where(has, seg_sum((in_run & (D == _C)).astype(np.float64)) / safe_run, 0.0),
        "commentish_before": np.log1p(seg_sum((commentish & ~in_run).astype(np.float64))),
        "best_suffix": np.tanh(best / SUFFIX_SCALE),
        "best_suffix_share": (lens[keep] - best_pos) / n,
        "tail_comment_mean": seg_sum(np.where(tail, pc, 0.0)) / np.minimum(n, TAIL_BLOCKS),
        "spam_mean": seg_sum(P[:, _S]) / n,
        "editorial_mean": seg_sum(P[:, _E]) / n,
        "boilerplate_mean": seg_sum(P[:, _B]) / n,
        "run_boilerplate_mean": np.where(has, seg_sum(np.where(in_run, P[:, _B], 0.0)) / safe_run, 0.0),
        "viterbi_margin": (np.zeros(keep.size) if margins is None
                           else np.tanh(np.nan_to_num(margins[keep]) / MARGIN_SCALE)),
    }
    F[keep] = np.column_stack([cols[f] for f in FEATURE_NAMES])
    return F


def _page_features_compiled(P: np.ndarray, D: np.ndarray, pc: np.ndarray, lens: np.ndarray,
                            margins: np.ndarray | None, keep: np.ndarray) -> np.ndarray | None:
    """``page_features``' rows of the non-empty pages with the segment reductions in C
    (classifier/_pages_ext.pyx); the log-odds, log1p and tanh stay numpy's, on arrays laid out
    as in the numpy form. None when the kernel declines (non-finite probabilities)."""
    q = np.clip(pc, LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    lo = np.log(q) - np.log1p(-q)
    res = _PAGES.page_features(np.ascontiguousarray(P), D, lo, lens, COMMENTISH)
    if res is None:
        return None
    G, aux = res
    for col, row in zip(_LOG1P_COLUMNS, range(3)):
        G[:, col] = np.log1p(aux[row])
    G[:, _SUFFIX_COLUMN] = np.tanh(aux[3] / SUFFIX_SCALE)
    if margins is not None:
        G[:, _MARGIN_COLUMN] = np.tanh(np.nan_to_num(margins[keep]) / MARGIN_SCALE)
    return G
