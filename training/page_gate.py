"""Fit the page-level comment-section gate (classifier/page_gate.py) on out-of-fold logits.

Input: the ``--save-oof`` file of ``newswinnow train`` (out-of-fold logits of every training
page, labels, page offsets and renderings) and the page groups (source domains) of that run,
read from the oof file when it has them, else rebuilt with the training reader and checked
against the oof labels block by block. Every page is decoded with the transition table of its
cross-validation fold (as ``newswinnow train`` reports it), so the gate learns from paths like
the ones it will see on unseen pages.

Figures are from NESTED grouped cross-validation: for each outer fold (the training run's
GroupKFold by source), the regularisation and the two thresholds are chosen by an inner grouped
CV on the other folds' pages only, the gate is fitted on those pages, and it is applied to the
outer fold. The shipped gate is then fitted on all pages with settings chosen by grouped CV on all.

    python -m training.page_gate --oof OOF.npz --model data/model-text.json

writes ``data/model-text.gate.json`` (plain JSON, tied to the model's arrays sha256) and prints
per-rendering has_comments / editorial / comment F1 before and after.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from classifier import decode, page_gate
from classifier.model import LABELS, BlockModel

from .train import calibrated, fit_temperature, label_prior, splits_of, unlabelled_rows

FOLDS = 5  # newswinnow train's default: the outer folds are its folds (oof files before ``folds``)
INNER_FOLDS = 4
C_GRID = (0.03, 0.3, 3.0)
# Threshold grids: a decoded thread is dropped below OFF, a missing one forced above ON.
OFF_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
ON_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)
# A decoded thread on a page the gate is sure of (above EXTEND) is decoded again with a comment
# bias: Viterbi tends to start threads late (the first comments go to the article).
EXTEND_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
EXTEND_BIAS_GRID = (0.25, 0.5)
# Log-factors on the comment probability of pages whose thread is forced (0: the cheapest
# thread-phase ending, usually one block; larger: the section spreads over comment-ish blocks).
BIAS_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
# Multipliers on decode.TRANSITION_WEIGHT chosen jointly with the gate (the gate file carries
# it as ``transition_scale``): a lighter transition table opens short threads more readily,
# which the gate can then drop where it is sure. The first is the plain decoder (the "before"
# of the report and the floors of the guard).
SCALE_GRID = (1.0, 0.75, 0.5)
# What the settings maximise: page-level has_comments F1 over all pages plus block-level
# comment F1 and editorial F1 over all blocks (so a gate that finds threads but mislabels their
# blocks, or eats articles, does not win on the page count alone).
OBJECTIVE_WEIGHTS = {"has_comments": 1.0, "comment": 1.0, "editorial": 1.0}
# ... subject to no rendering losing: settings whose inner-CV has_comments F1 on any of these
# renderings falls more than MAX_KIND_LOSS under plain Viterbi's are not chosen (the pooled
# figure alone traded the gold rendering for the full-page one).
GUARD_KINDS = ("dragnet/gold", "dragnet/trimmed", "dragnet/full", "dragnet/bodies", "cleaneval", "bbc")
MAX_KIND_LOSS = 0.0
GUARDED = ("has_comments", "comment", "editorial")
REPORT_KINDS = ("dragnet/gold", "dragnet/trimmed", "dragnet/full", "dragnet/bodies", "dragnet/gold+spam",
                "dragnet/trimmed+spam", "dragnet/bodies+spam", "cleaneval", "bbc")
_C, _E = LABELS.index("comment"), LABELS.index("editorial")


class Oof:
    """Out-of-fold data: calibrated probabilities per page, labels, renderings, groups."""

    def __init__(self, path: Path, corpora: Path | None, groups_path: Path | None = None,
                 folds: int | None = None):
        d = np.load(path, allow_pickle=False)
        self.y, self.offsets, self.kinds = d["y"], d["offsets"], d["kinds"]
        # The training run's fold count: its folds are the outer folds here, each page decoded
        # with tables counted without its fold. Saved in the file since 2026-12-04; ``folds``
        # for older files of a run with other than FOLDS.
        self.folds = folds or (int(d["folds"]) if "folds" in d.files else FOLDS)
        self.logits = d["logits"]
        self.n = len(self.offsets) - 1
        self.pages = [slice(int(a), int(b)) for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        # Pages of a content-only corpus trained with pseudo labels (``train --content-labels
        # pseudo``): their gold says content, not article or comment, so no comment section either.
        # They are left out of the temperature, the tables, and the gate's fit and guard.
        self.content_only = (d["content_only"].astype(bool) if "content_only" in d.files
                             else np.zeros(self.n, dtype=bool))
        known = ~unlabelled_rows(self.content_only, self.offsets, self.y)
        self.calibrate(fit_temperature(self.logits[known], self.y[known]))
        self.ys = [self.y[s] for s in self.pages]
        self.gold_has = np.array([bool((y == _C).any()) for y in self.ys])
        if "groups" in d.files:
            self.groups = d["groups"]
        elif groups_path is not None:
            self.groups = np.load(groups_path, allow_pickle=False)["groups"]
        else:
            self.groups = rebuild_groups(corpora, self.y, self.offsets)
        if len(self.groups) != self.n:
            raise click.ClickException(f"{len(self.groups)} page groups for {self.n} oof pages")
        # The fold each page was held out in (saved by train since 2026-12-05; older files: None,
        # and the folds are GroupKFold's over the groups again, as train made them then).
        self.page_fold = d["page_fold"] if "page_fold" in d.files else None
        if self.page_fold is not None and (len(self.page_fold) != self.n or self.page_fold.min() < 0
                                           or self.page_fold.max() >= self.folds):
            raise click.ClickException(f"{path}: page_fold does not give each of the {self.n} pages one of "
                                       f"{self.folds} folds")

    def calibrate(self, temperature: float) -> None:
        """Per-page probabilities at ``temperature``: the one fitted on these logits when loaded,
        a model's own to see what its classifier would do (``apply_gate``)."""
        self.temperature = temperature
        proba = calibrated(self.logits, temperature)
        self.probas = [proba[s] for s in self.pages]


def rebuilt_pages(corpora: Path, y: np.ndarray, offsets: np.ndarray) -> list:
    """The training run's pages, read again with its reader (default arguments, seed 0) and
    checked block for block against an oof file's labels ``y`` and page ``offsets``."""
    from .dataset import load_pages

    pages = [p for p in load_pages(corpora) if p.texts]
    lens = np.array([len(p.texts) for p in pages])
    ok = len(pages) == len(offsets) - 1 and np.array_equal(lens, np.diff(offsets)) and np.array_equal(
        np.concatenate([[LABELS.index(lab) for lab in p.labels] for p in pages]), y)
    if not ok:
        raise click.ClickException("the rebuilt training pages do not match the oof file (another reader, "
                                   "other reader arguments or other corpora?)")
    return pages


def rebuild_groups(corpora: Path | None, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Page groups of the training run, rebuilt with its reader."""
    if corpora is None:
        raise click.ClickException("the oof file has no page groups: give --corpora (or --groups)")
    try:
        pages = rebuilt_pages(corpora, y, offsets)
    except click.ClickException as e:
        raise click.ClickException(f"{e.message}: save the oof with groups or pass --groups") from None
    return np.array([p.group for p in pages])


def fold_tables(oof: Oof, decoder: str = "thread") -> tuple[np.ndarray, list]:
    """Outer fold of each page (the training run's folds) and the (log_start, log_trans, prior,
    post) counted without it, for a ``decode.DECODERS`` decoder (the model's: ``model_decoder``)."""
    if oof.page_fold is not None:
        fold_of = oof.page_fold.astype(np.int64)
        splits = splits_of(fold_of, oof.folds)
    else:
        fold_of = np.zeros(oof.n, dtype=np.int64)
        splits = list(GroupKFold(n_splits=oof.folds).split(np.zeros(oof.n), groups=oof.groups))
    tables = []
    for f, (tr, te) in enumerate(splits):
        fold_of[te] = f
        tr = tr[~oof.content_only[tr]]
        ls, lt, post = decode.fit_decoder(([LABELS[k] for k in oof.ys[i]] for i in tr), decoder)
        tables.append((ls, lt, label_prior(np.concatenate([oof.ys[i] for i in tr])), post))
    return fold_of, tables


def decode_all(oof: Oof, fold_of: np.ndarray, tables: list, transition_scale: float = 1.0
               ) -> dict[str, list[np.ndarray]]:
    """Each page decoded with its fold's tables (log-transitions times ``transition_scale``):
    free, article-only, thread-forced per bias."""
    out: dict[str, list] = {k: [None] * oof.n for k in MODES}
    margins = np.zeros(oof.n)
    for f, (ls, lt, prior, post) in enumerate(tables):
        lt = lt * transition_scale
        post = None if post is None else (post[0], post[1] * transition_scale)
        ids = np.flatnonzero(fold_of == f)
        probas = [oof.probas[i] for i in ids]
        use = decode.furniture_pages(probas)  # each page's chain, from its unscaled probabilities
        final = np.zeros((ids.size, decode.scores_width(ls, post)))
        runs = [("free", None, 0.0), ("article", decode.ARTICLE_END, 0.0)]
        runs += [(f"thread{b}", decode.THREAD_END, b) for b in BIAS_GRID]
        for key, mask, b in runs:
            scale = np.ones(len(LABELS))
            scale[_C] = np.exp(b)
            for i, lab in zip(ids.tolist(), decode.viterbi_batch([q * scale for q in probas], prior, ls, lt,
                                                                 end_states=mask, final_scores=final, post=post,
                                                                 use_post=use)):
                out[key][i] = lab
            if key == "free":
                margins[ids] = page_gate.margin(final)
    out["margin"] = list(margins)
    return out


MODES = ("free", "article") + tuple(f"thread{b}" for b in BIAS_GRID)
# Blocks a decoded thread start may be off the gold one and still count in the report's
# "within" column (a name or "N comments" line either side of the first comment).
START_TOLERANCE = 1


class Decodes:
    """Every page decoded under every transition scale of SCALE_GRID and every decode mode.

    ``stats`` stacks the per-scale ``page_counts`` along the mode axis (mode index = scale index *
    len(MODES) + MODES index), so a decode choice per page is still one index into it; ``F`` and
    ``has`` are the gate features and Viterbi's own thread decision per scale."""

    def __init__(self, oof: Oof, fold_of: np.ndarray, tables: list):
        self.decs = [decode_all(oof, fold_of, tables, s) for s in SCALE_GRID]
        per = [page_counts(oof, d) for d in self.decs]
        self.stats = (np.concatenate([c for c, _ in per]), np.concatenate([h for _, h in per]))
        self.F = [page_gate.page_features(oof.probas, d["free"], np.array(d["margin"])) for d in self.decs]
        self.has = [F[:, page_gate.FEATURE_NAMES.index("has_run")] > 0 for F in self.F]

    def labels(self, mode: np.ndarray) -> list[np.ndarray]:
        """The decoded labels of every page under a per-page mode index."""
        k = len(MODES)
        return [self.decs[m // k][MODES[m % k]][i] for i, m in enumerate(mode.tolist())]


def page_counts(oof: Oof, dec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per page and decode mode: (tp, fp, fn) of comment and of editorial blocks, and has_comments.

    Any choice of decode per page is then scored by sums, without touching blocks again."""
    counts = np.zeros((len(MODES), oof.n, 6))
    pred_has = np.zeros((len(MODES), oof.n), bool)
    for m, key in enumerate(MODES):
        for i in range(oof.n):
            y, q = oof.ys[i], dec[key][i]
            for j, lab in enumerate((_C, _E)):
                g, p = y == lab, q == lab
                counts[m, i, 3 * j: 3 * j + 3] = ((g & p).sum(), (~g & p).sum(), (g & ~p).sum())
            pred_has[m, i] = bool((q == _C).any())
    return counts, pred_has


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(oof: Oof, stats: tuple, ids: np.ndarray, mode: np.ndarray | None = None) -> dict[str, float]:
    """has_comments F1 of pages ``ids`` and comment / editorial F1 of their blocks, each page
    decoded as ``mode`` says (an index into MODES per page; default all free)."""
    counts, pred_has = stats
    m = np.zeros(ids.size, dtype=np.int64) if mode is None else mode[ids]
    c = counts[m, ids].sum(axis=0)
    ph, gh = pred_has[m, ids], oof.gold_has[ids]
    return {"has_comments": _f1(float((ph & gh).sum()), float((ph & ~gh).sum()), float((~ph & gh).sum())),
            "comment": _f1(*c[:3]), "editorial": _f1(*c[3:])}


def modes(has: np.ndarray, p: np.ndarray, s: dict) -> np.ndarray:
    """The decode each page takes under a gate's settings (index into MODES); the same rules
    as ``PageGate.apply``."""
    mode = np.zeros(has.size, dtype=np.int64)
    mode[has & (p < s["off"])] = MODES.index("article")
    mode[~has & (p > s["on"])] = MODES.index(f"thread{s['bias']}")
    mode[has & (p > s["extend"])] = MODES.index(f"thread{s['extend_bias']}")
    return mode


def objective(m: dict[str, float]) -> float:
    return sum(w * m[k] for k, w in OBJECTIVE_WEIGHTS.items())


def fit_lr(F: np.ndarray, y: np.ndarray, c: float) -> page_gate.PageGate:
    """Standardised logistic regression -> a PageGate with plain arrays (thresholds set later)."""
    mean, scale = F.mean(axis=0), F.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    lr = LogisticRegression(C=c, max_iter=2000).fit((F - mean) / scale, y)
    return page_gate.PageGate(mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), 0.0, 1.01)


def select(oof: Oof, stats: tuple, F: np.ndarray, has: np.ndarray, ids: np.ndarray,
           folds: int = INNER_FOLDS, offset: int = 0, max_loss: float = MAX_KIND_LOSS) -> dict:
    """Settings with the best objective in grouped CV over pages ``ids`` only: C, the drop and
    force thresholds with the forced pages' bias, then (given those) the extension threshold
    and bias. No setting may lower a guarded rendering's has_comments, comment or editorial F1
    by more than ``max_loss``."""
    best: dict = {"C": C_GRID[0], "off": 0.0, "on": 1.01, "bias": 0.0, "extend": 1.01, "extend_bias": 0.0,
                  "objective": -np.inf}
    splits = list(GroupKFold(n_splits=folds).split(ids, groups=oof.groups[ids]))
    guards = [g for g in (ids[oof.kinds[ids] == k] for k in GUARD_KINDS) if g.size]
    floors = [{k: v - max_loss - 1e-9 for k, v in evaluate(oof, stats, g).items()} for g in guards]

    def score(p: np.ndarray, s: dict) -> float:
        mode = modes(has, p, s) + offset
        for g, floor in zip(guards, floors):
            m = evaluate(oof, stats, g, mode)
            if any(m[k] < floor[k] for k in GUARDED):
                return -np.inf
        return objective(evaluate(oof, stats, ids, mode))

    for c in C_GRID:
        p = np.zeros(oof.n)
        for tr, te in splits:
            p[ids[te]] = fit_lr(F[ids[tr]], oof.gold_has[ids[tr]], c).probability(F[ids[te]])
        local = dict(best, C=c, objective=-np.inf)
        for off in OFF_GRID:
            for on in ON_GRID:
                for bias in BIAS_GRID if on <= 1.0 else BIAS_GRID[:1]:
                    s = dict(local, off=off, on=on, bias=bias, extend=1.01, extend_bias=0.0)
                    if (v := score(p, s)) > local["objective"] + 1e-9:
                        local = dict(s, objective=v)
        for extend in EXTEND_GRID[:-1]:
            for eb in EXTEND_BIAS_GRID:
                s = dict(local, extend=extend, extend_bias=eb)
                if (v := score(p, s)) > local["objective"] + 1e-9:
                    local = dict(s, objective=v)
        if local["objective"] > best["objective"] + 1e-9:
            best = local
    return best


def select_joint(oof: Oof, dc: Decodes, ids: np.ndarray, folds: int = INNER_FOLDS,
                 scales: tuple[float, ...] = SCALE_GRID, max_loss: float = MAX_KIND_LOSS) -> dict:
    """``select`` under each transition scale; the best objective wins (the guard's floors are
    always the plain decoder's)."""
    best: dict = {"objective": -np.inf}
    for k, scale in enumerate(SCALE_GRID):
        if scale not in scales:
            continue
        s = select(oof, dc.stats, dc.F[k], dc.has[k], ids, folds, offset=k * len(MODES), max_loss=max_loss)
        if "scale" not in best or s["objective"] > best["objective"] + 1e-9:  # (every guard may fail)
            best = dict(s, scale=scale, scale_index=k)
    return best


def nested_cv(oof: Oof, dc: Decodes, fold_of: np.ndarray, log=print,
              scales: tuple[float, ...] = SCALE_GRID, max_loss: float = MAX_KIND_LOSS) -> np.ndarray:
    """The decode mode of every page (an index into ``dc.stats``) from gates that never saw its
    outer fold."""
    mode = np.zeros(oof.n, dtype=np.int64)
    for f in range(int(fold_of.max()) + 1):
        tr, te = np.flatnonzero((fold_of != f) & ~oof.content_only), np.flatnonzero(fold_of == f)
        s = select_joint(oof, dc, tr, scales=scales, max_loss=max_loss)
        k = s["scale_index"]
        F, has = dc.F[k], dc.has[k]
        p = fit_lr(F[tr], oof.gold_has[tr], s["C"]).probability(F[te])
        m = modes(has[te], p, s)
        mode[te] = m + k * len(MODES)
        shown = {k: v for k, v in s.items() if k not in ("objective", "scale_index")}
        log(f"outer fold {f + 1}: " + " ".join(f"{k}={v}" for k, v in shown.items())
            + f"; dropped {int((m == 1).sum())}, forced {int((~has[te] & (m > 1)).sum())}, "
            f"extended {int((has[te] & (m > 1)).sum())} of {te.size} pages")
    return mode


def start_hits(oof: Oof, labels: list[np.ndarray], ids: np.ndarray) -> dict[str, float]:
    """Where the thread starts (``comment_start``): of the pages ``ids`` with a gold thread, the
    share whose decoded thread starts exactly at the gold thread's first block, and within
    START_TOLERANCE blocks of it; a missed thread counts against both."""
    gold = [i for i in ids.tolist() if oof.gold_has[i]]
    exact = near = 0
    for i in gold:
        found = np.flatnonzero(labels[i] == _C)
        if found.size:
            d = abs(int(found[0]) - int(np.argmax(oof.ys[i] == _C)))
            exact += d == 0
            near += d <= START_TOLERANCE
    n = len(gold)
    return {"exact": exact / n if n else 0.0, "near": near / n if n else 0.0}


def report(oof: Oof, stats: tuple, mode: np.ndarray, labels: tuple[list, list] | None = None) -> list[dict]:
    """Per rendering, before (plain Viterbi) and after (``mode``); with ``labels`` (the decoded
    labels before and after) also where the threads start (``start_hits``)."""
    rows = []
    for kind in REPORT_KINDS + ("all",):
        ids = np.arange(oof.n) if kind == "all" else np.flatnonzero(oof.kinds == kind)
        if ids.size:
            row = {"kind": kind, "pages": int(ids.size), "with_comments": int(oof.gold_has[ids].sum()),
                   "before": evaluate(oof, stats, ids), "after": evaluate(oof, stats, ids, mode)}
            if labels is not None:
                row["start"] = [start_hits(oof, lab, ids) for lab in labels]
            rows.append(row)
    return rows


def format_rows(rows: list[dict]) -> str:
    """The report as a markdown table (a thread-start column when the rows have one)."""
    starts = bool(rows) and all("start" in r for r in rows)
    lines = ["| pages (rendering) | n | has_comments F1 | editorial F1 | comment F1 |"
             + (f" thread start exact / within {START_TOLERANCE} |" if starts else ""),
             "|---|---:|---:|---:|---:|" + ("---:|" if starts else "")]
    for r in rows:
        b, a = r["before"], r["after"]
        cells = [f"{b[k]:.3f} -> {a[k]:.3f}" if r["with_comments"] or k == "editorial" else "n/a"
                 for k in ("has_comments", "editorial", "comment")]
        if starts:
            sb, sa = r["start"]
            cells.append(f"{sb['exact']:.3f} / {sb['near']:.3f} -> {sa['exact']:.3f} / {sa['near']:.3f}"
                         if r["with_comments"] else "n/a")
        lines.append(f"| {r['kind']} | {r['pages']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def apply_gate(oof: Oof, gate: page_gate.PageGate, temperature: float, decoder: str = "thread") -> list[dict]:
    """Per-rendering figures of a fitted gate, unchanged, on an oof file's pages.

    The pages are calibrated with the model's own temperature and decoded with their fold's
    tables, as the classifier would decode them: what the shipped classifier does on pages held
    out as that oof file's folds held them out (e.g. a ``train --cv-by page`` run's)."""
    dec, mode = gate_decodes(oof, gate, temperature, decoder)
    gated = [dec[MODES[m]][i] for i, m in enumerate(mode.tolist())]
    return report(oof, page_counts(oof, dec), mode, labels=(dec["free"], gated))


def gate_decodes(oof: Oof, gate: page_gate.PageGate, temperature: float, decoder: str = "thread"
                 ) -> tuple[dict[str, list[np.ndarray]], np.ndarray]:
    """Every page decoded every way (``decode_all``) at the model's ``temperature`` and the gate's
    transition scale, and the decode the gate picks for each (an index into MODES)."""
    missing = [b for b in (gate.bias, gate.extend_bias) if b not in BIAS_GRID]
    if missing or gate.transition_scale not in SCALE_GRID:
        raise click.ClickException(f"the gate's biases / transition scale {missing or gate.transition_scale} "
                                   f"are outside this script's grids {BIAS_GRID} / {SCALE_GRID}")
    oof.calibrate(temperature)
    fold_of, tables = fold_tables(oof, decoder)
    dec = decode_all(oof, fold_of, tables, gate.transition_scale)
    F = page_gate.page_features(oof.probas, dec["free"], np.array(dec["margin"]))
    has = F[:, page_gate.FEATURE_NAMES.index("has_run")] > 0
    settings = {k: getattr(gate, k) for k in ("off", "on", "bias", "extend", "extend_bias")}
    return dec, modes(has, gate.probability(F), settings)


def model_decoder(model: BlockModel) -> str:
    """The decoder a model's tables are for (``decode.DECODERS``): the oof pages are decoded with
    fold tables of the same kind, as the classifier decodes them."""
    if model.post is not None:
        return "auto"
    return "post-thread" if model.start is not None and decode.chain_size(model.start) > decode.LEGACY_STATES \
        else "thread"


CARD_HEADING = "## Page gate"


def _loss_words(max_loss: float) -> str:
    """How the card says the guard's allowance ("any" for none, "more than 0.002 of" otherwise)."""
    return "any" if max_loss <= 0 else f"more than {max_loss:g} of"


def card_section(gate: page_gate.PageGate, gate_file: Path, folds: int, rows: list[dict] | None) -> str:
    """The model card's page-gate section: how the gate was fitted, its settings and, unless
    --no-nested, its nested-CV figures (so the card never shows figures of another gate)."""
    text = (f"{CARD_HEADING} (has_comments decision, `{gate_file.name}`)\n\n"
            f"Fitted on this model's out-of-fold logits with `OPENBLAS_NUM_THREADS=1 {gate.meta['command']}` "
            f"({gate.meta['fitted']}): a logistic regression over {len(page_gate.FEATURE_NAMES)} page aggregates of "
            "the calibrated probabilities and the Viterbi path (`classifier/page_gate.py`); a decoded thread is "
            f"dropped when its probability is below {gate.off}, a missing one forced above {gate.on} "
            f"(C={gate.meta['C']}, decoder transitions x{gate.transition_scale}, threads re-decoded with bias "
            f"{gate.extend_bias} above {gate.extend}; chosen by grouped CV with no rendering allowed to lose "
            f"{_loss_words(gate.meta.get('max_loss', MAX_KIND_LOSS))} has_comments, comment or editorial F1).")
    if rows is None:
        return text + " No nested-CV figures (fitted with --no-nested).\n"
    return (text + f" Plain Viterbi -> with the gate, by nested grouped CV (outer folds = the {folds} folds of "
            "the run, settings chosen on the other folds only):\n\n" + format_rows(rows) + "\n")


def write_card_section(card: Path, section: str, heading: str = CARD_HEADING) -> None:
    """Replace the card's section under ``heading`` (the page gate's by default; up to the next
    ``## `` heading), or append one."""
    text = card.read_text() if card.exists() else ""
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    card.write_text(text)


# The outer folds of an oof file that does not record them (train's --save-oof before 2026-12-04).
FOLDS_OPTION = click.option("--folds", type=click.IntRange(2, 20), default=None,
                            help=f"The training run's --folds, for oof files saved before it was recorded "
                                 f"(default: the file's, else {FOLDS}).")


def layer_fit_options(layer: str, file_help: str) -> Callable[[Callable], Callable]:
    """The options every decode-layer fit script takes (this one, training.thread_start)."""
    options = [
        click.option("--oof", "oof_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
                     help="The --save-oof file of the `newswinnow train` run that made the model."),
        click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     default=Path("data/model-text.json"), show_default=True, help=f"The model the {layer} is for."),
        click.option("--out", type=click.Path(path_type=Path), help=file_help),
        click.option("--corpora", type=click.Path(file_okay=False, path_type=Path), default=Path("../shared/corpora"),
                     show_default=True, help="To rebuild the page groups when the oof file has none."),
        click.option("--groups", "groups_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="An .npz with a `groups` array (one per oof page), instead of rebuilding them."),
        click.option("--no-nested", is_flag=True, help=f"Skip the nested-CV report (just fit the {layer})."),
        FOLDS_OPTION,
        click.option("--metrics-json", type=click.Path(path_type=Path), help="Also write the report here."),
    ]

    def apply(f: Callable) -> Callable:
        for option in reversed(options):
            f = option(f)
        return f
    return apply


@click.command()
@layer_fit_options("gate", "Gate file (default: STEM.gate.json beside the model).")
@click.option("--fixed-transitions", is_flag=True, help="Keep the decoder's transition weight (no joint scale).")
@click.option("--card", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the gate's section (settings, nested-CV table) into this model card, replacing "
                   "its old one.")
@click.option("--max-loss", type=click.FloatRange(0.0, 0.05), default=MAX_KIND_LOSS, show_default=True,
              help="How far a setting may lower any guarded rendering's has_comments, comment or editorial F1 "
                   "in the grouped CV that chooses it (0: not at all).")
@click.option("--apply-gate", "gate_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fit nothing: report what this fitted gate (e.g. the shipped one) does on the oof's pages, "
                   "with the model's temperature, as the classifier decodes them.")
def main(oof_path, model_path, out, corpora, groups_path, no_nested, folds, metrics_json, fixed_transitions,
         card, max_loss, gate_file):
    """Fit the page-level comment-section gate and report nested-CV figures."""
    t0 = time.time()
    say = lambda s: click.echo(s, err=True)  # noqa: E731
    model = BlockModel.load(model_path)
    oof = Oof(oof_path, corpora, groups_path, folds)
    if gate_file is not None:
        rows = apply_gate(oof, page_gate.PageGate.load(gate_file, model.sha256), model.temperature,
                          model_decoder(model))
        click.echo(f"{gate_file} on {oof_path} (model temperature {model.temperature}; plain Viterbi -> "
                   "with the gate):\n" + format_rows(rows))
        if metrics_json:
            Path(metrics_json).write_text(json.dumps({"apply_gate": rows}, indent=1))
        return
    say(f"{oof.n} pages, temperature {oof.temperature} (model {model.temperature}); {time.time() - t0:.0f}s")
    fold_of, tables = fold_tables(oof, model_decoder(model))
    dc = Decodes(oof, fold_of, tables)
    say(f"decoded ({time.time() - t0:.0f}s)")
    scales = SCALE_GRID[:1] if fixed_transitions else SCALE_GRID
    rows = None
    if not no_nested:
        mode = nested_cv(oof, dc, fold_of, log=say, scales=scales, max_loss=max_loss)
        rows = report(oof, dc.stats, mode, labels=(dc.labels(np.zeros(oof.n, dtype=np.int64)), dc.labels(mode)))
        click.echo("Nested grouped CV (before -> after):\n" + format_rows(rows))
    known = np.flatnonzero(~oof.content_only)
    best = select_joint(oof, dc, known, folds=FOLDS, scales=scales, max_loss=max_loss)
    c, score = best["C"], best["objective"]
    gate = fit_lr(dc.F[best["scale_index"]][known], oof.gold_has[known], c)
    gate.off, gate.on, gate.bias, gate.model_sha256 = best["off"], best["on"], best["bias"], model.sha256
    gate.extend, gate.extend_bias, gate.transition_scale = best["extend"], best["extend_bias"], best["scale"]
    command = "python -m training.page_gate " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    gate.meta = {"fitted": date.today().isoformat(), "command": command, "C": c, "cv_objective": round(score, 4),
                 "pages": int(known.size), "max_loss": max_loss, "nested_cv": rows}
    out = out or page_gate.gate_path(model_path)
    gate.save(out)
    click.echo(f"wrote {out}: " + " ".join(f"{k}={v}" for k, v in best.items()) + f" ({time.time() - t0:.0f}s)")
    if metrics_json:
        Path(metrics_json).write_text(json.dumps({"nested_cv": rows, **best}, indent=1))
    if card:
        write_card_section(card, card_section(gate, out, oof.folds, rows))
        click.echo(f"wrote the page-gate section of {card}")


if __name__ == "__main__":
    main()
