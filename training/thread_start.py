"""Fit the thread-start refinement (classifier/thread_start.py) on out-of-fold logits.

Input: the ``--save-oof`` file of ``newswinnow train`` and the page groups of that run (as
``training.page_gate`` reads them). Every page is decoded as the classifier decodes it: Viterbi
with the transition table of its cross-validation fold, then the page gate's overrules (the
gate's settings and weights chosen by nested CV without the page's fold, so the starts the
scorer learns from are those of unseen pages). For every page with a decoded thread, each
candidate start in the window is decoded with the start fixed, once, and its comment and
editorial counts are kept, so any scorer and margin is scored by sums.

Figures are from NESTED grouped cross-validation over the training run's source-grouped folds:
for each outer fold the regularisation, window and margin are chosen by an inner grouped CV on
the other folds' pages only (no rendering's comment or editorial F1 may fall there), the
scorer is fitted on those pages and applied to the outer fold. The shipped scorer is then
fitted on all pages with settings chosen by grouped CV on all.

    python -m training.thread_start --oof OOF.npz --model data/model-text.json

prints per-rendering has_comments / editorial / comment F1 with the gate alone and with the
scorer and, when those figures show a gain (pooled comment + editorial F1 up by MIN_GAIN, no
rendering down), writes ``data/model-text.start.json`` (plain JSON, tied to the model's arrays
sha256); ``--force`` writes it regardless.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from datetime import date
from pathlib import Path

import click
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from classifier import decode, thread_start
from classifier.model import LABELS, BlockModel

from . import page_gate as tpg

C_GRID = (0.1, 1.0, 10.0)
WINDOW_GRID = (16, 32, 48)  # candidate windows (blocks either side of Viterbi's start)
MAX_FIT_WINDOW = max(WINDOW_GRID)
MARGIN_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 1e9)  # 1e9: never move
GUARD_KINDS = tpg.GUARD_KINDS
GUARDED = ("comment", "editorial")
MAX_KIND_LOSS = 0.0
OBJECTIVE_WEIGHTS = {"comment": 1.0, "editorial": 1.0}
# What the nested-CV report must show for the scorer to be written (without --force): a pooled
# gain, and no rendering falling by more than rounding.
MIN_GAIN = 0.002
MAX_REPORT_LOSS = 0.0005
_C, _E = LABELS.index("comment"), LABELS.index("editorial")


class Candidates:
    """Every page decoded with the gate, its candidate starts, their features and counts."""

    def __init__(self, oof: tpg.Oof, log=print, decoder: str = "thread"):
        t0 = time.time()
        self.oof = oof
        self.fold_of, self.tables = tpg.fold_tables(oof, decoder)
        dc = tpg.Decodes(oof, self.fold_of, self.tables)
        mode = tpg.nested_cv(oof, dc, self.fold_of, log=lambda s: None)
        self.gated = dc.labels(mode)
        self.base = dc.stats[0][mode, np.arange(oof.n)]  # [pages, 6] counts as the gate decodes
        self.scale_of = np.array(tpg.SCALE_GRID)[mode // len(tpg.MODES)]  # the gate's transition scale
        log(f"gated decode ({time.time() - t0:.0f}s)")
        w = MAX_FIT_WINDOW
        self.ids, self.v, self.s, self.F = thread_start.candidates(oof.probas, self.gated, w)
        gold = np.array([int(np.argmax(y == _C)) if (y == _C).any() else -2 for y in oof.ys])
        self.y = (self.s == gold[self.ids][:, None]) & (self.s >= 0)
        # counts[P, 2w+1, 6] of each candidate decoded with its start fixed
        self.counts = np.zeros(self.s.shape + (6,))
        for (f, (ls, lt0, prior, post0)), scale in ((ft, sc) for ft in enumerate(self.tables)
                                                     for sc in tpg.SCALE_GRID):
            rows = np.flatnonzero((self.fold_of[self.ids] == f) & (self.scale_of[self.ids] == scale))
            lt = lt0 * scale
            post = None if post0 is None else (post0[0], post0[1] * scale)
            for j in range(self.s.shape[1]):
                r = rows[self.s[rows, j] >= 0]
                if j == w:  # Viterbi's own start: the gated decode
                    self.counts[r, j] = self.base[self.ids[r]]
                    continue
                redone = decode.viterbi_fixed_start([oof.probas[self.ids[i]] for i in r], self.s[r, j].tolist(),
                                                    prior, ls, lt, post)
                for i, q in zip(r.tolist(), redone):
                    y = oof.ys[self.ids[i]]
                    for k, lab in enumerate((_C, _E)):
                        g, p = y == lab, q == lab
                        self.counts[i, j, 3 * k: 3 * k + 3] = ((g & p).sum(), (~g & p).sum(), (g & ~p).sum())
        self.row_of = np.full(oof.n, -1)
        self.row_of[self.ids] = np.arange(self.ids.size)
        log(f"{self.ids.size} pages with a decoded thread, {int(self.y.any(axis=1).sum())} with the gold start "
            f"within {w} blocks; candidates decoded ({time.time() - t0:.0f}s)")

    def sub(self, rows: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, labels and validity of ``rows`` restricted to a smaller window."""
        c = MAX_FIT_WINDOW
        cols = slice(c - window, c + window + 1)
        return self.F[rows, cols], self.y[rows, cols], self.s[rows, cols] >= 0

    def choice(self, z: np.ndarray, valid: np.ndarray, window: int, margin: float) -> np.ndarray:
        """Column (into the full window) each row moves to, or the centre when it stays."""
        z = np.where(valid, z, -np.inf)
        best = z.argmax(axis=1)
        stay = (z[np.arange(z.shape[0]), best] - z[:, window] <= margin) | (best == window)
        return np.where(stay, MAX_FIT_WINDOW, best - window + MAX_FIT_WINDOW)

    def page_counts(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """[pages, 6] counts with ``rows`` (candidate rows) decoded from column ``cols``."""
        out = self.base.copy()
        out[self.ids[rows]] = self.counts[rows, cols]
        return out


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def metrics(cnt: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    c = cnt[ids].sum(axis=0)
    return {"comment": _f1(*c[:3]), "editorial": _f1(*c[3:])}


def fit_lr(F: np.ndarray, y: np.ndarray, valid: np.ndarray, c: float, window: int) -> thread_start.ThreadStart:
    X, t = F[valid], y[valid]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    lr = LogisticRegression(C=c, max_iter=3000).fit((X - mean) / scale, t)
    return thread_start.ThreadStart(mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]),
                                    window, 0.0)


def select(cd: Candidates, pages: np.ndarray, folds: int = tpg.INNER_FOLDS) -> dict:
    """C, window and margin with the best objective in grouped CV over ``pages`` only; no guarded
    rendering's comment or editorial F1 may fall below the gate's own."""
    oof = cd.oof
    rows_all = cd.row_of[pages]
    rows_all = rows_all[rows_all >= 0]
    guards = [g for g in (pages[oof.kinds[pages] == k] for k in GUARD_KINDS) if g.size]
    floors = [{k: v - MAX_KIND_LOSS - 1e-9 for k, v in metrics(cd.base, g).items()} for g in guards]
    base_obj = sum(w * metrics(cd.base, pages)[k] for k, w in OBJECTIVE_WEIGHTS.items())
    best = {"C": C_GRID[0], "window": WINDOW_GRID[0], "margin": 1e9, "objective": base_obj}
    splits = list(GroupKFold(n_splits=folds).split(pages, groups=oof.groups[pages]))
    for window in WINDOW_GRID:
        for c in C_GRID:
            z = np.full((cd.ids.size, 2 * window + 1), -np.inf)
            for tr, _ in splits:
                tr_rows = cd.row_of[pages[tr]]
                tr_rows = tr_rows[tr_rows >= 0]
                te_rows = np.setdiff1d(rows_all, tr_rows)
                F, y, valid = cd.sub(tr_rows, window)
                m = fit_lr(F, y, valid, c, window)
                z[te_rows] = m.scores(cd.sub(te_rows, window)[0])
            _, _, valid = cd.sub(rows_all, window)
            for margin in MARGIN_GRID[:-1]:
                cnt = cd.page_counts(rows_all, cd.choice(z[rows_all], valid, window, margin))
                if any(metrics(cnt, g)[k] < fl[k] for g, fl in zip(guards, floors) for k in GUARDED):
                    continue
                v = sum(w * metrics(cnt, pages)[k] for k, w in OBJECTIVE_WEIGHTS.items())
                if v > best["objective"] + 1e-9:
                    best = {"C": c, "window": window, "margin": margin, "objective": v}
    return best


def nested_cv(cd: Candidates, log=print) -> np.ndarray:
    """[pages, 6] counts with every page's start chosen by a scorer that never saw its fold."""
    cnt = cd.base.copy()
    for f in range(int(cd.fold_of.max()) + 1):
        tr, te = np.flatnonzero(cd.fold_of != f), np.flatnonzero(cd.fold_of == f)
        s = select(cd, tr)
        te_rows = cd.row_of[te]
        te_rows = te_rows[te_rows >= 0]
        moved = 0
        if s["margin"] < 1e8:
            tr_rows = cd.row_of[tr]
            tr_rows = tr_rows[tr_rows >= 0]
            m = fit_lr(*cd.sub(tr_rows, s["window"]), s["C"], s["window"])
            F, _, valid = cd.sub(te_rows, s["window"])
            col = cd.choice(m.scores(F), valid, s["window"], s["margin"])
            cnt[cd.ids[te_rows]] = cd.counts[te_rows, col]
            moved = int((col != MAX_FIT_WINDOW).sum())
        log(f"outer fold {f + 1}: C={s['C']} window={s['window']} margin={s['margin']}; moved {moved} of "
            f"{te_rows.size} decoded threads ({te.size} pages)")
    return cnt


def report(cd: Candidates, cnt: np.ndarray) -> list[dict]:
    """Per rendering: has_comments (the gate's, unchanged), editorial and comment F1 before/after."""
    oof = cd.oof
    pred_has = np.array([bool((d == _C).any()) for d in cd.gated])
    rows = []
    for kind in tpg.REPORT_KINDS + ("all",):
        ids = np.arange(oof.n) if kind == "all" else np.flatnonzero(oof.kinds == kind)
        if not ids.size:
            continue
        ph, gh = pred_has[ids], oof.gold_has[ids]
        has = _f1(float((ph & gh).sum()), float((ph & ~gh).sum()), float((~ph & gh).sum()))
        rows.append({"kind": kind, "pages": int(ids.size), "with_comments": int(gh.sum()),
                     "before": {"has_comments": has, **metrics(cd.base, ids)},
                     "after": {"has_comments": has, **metrics(cnt, ids)}})
    return rows


def wins(rows: list[dict]) -> tuple[bool, str]:
    """Whether the nested-CV figures justify shipping the scorer: the pooled comment + editorial
    F1 rises by at least MIN_GAIN and no reported rendering loses more than MAX_REPORT_LOSS."""
    by = {r["kind"]: r for r in rows}
    gain = sum(by["all"]["after"][k] - by["all"]["before"][k] for k in OBJECTIVE_WEIGHTS)
    worst = min((r["after"][k] - r["before"][k], r["kind"], k) for r in rows for k in GUARDED
                if r["with_comments"] or k == "editorial")
    if gain < MIN_GAIN:
        return False, f"pooled comment + editorial F1 gain {gain:+.4f} < {MIN_GAIN}"
    if worst[0] < -MAX_REPORT_LOSS:
        return False, f"{worst[1]} {worst[2]} F1 falls by {-worst[0]:.4f}"
    return True, ""


@click.command()
@tpg.layer_fit_options("scorer", "Scorer file (default: STEM.start.json beside the model).")
@click.option("--force", is_flag=True, help="Write the scorer even when nested CV shows no gain.")
def main(oof_path, model_path, out, corpora, groups_path, no_nested, folds, metrics_json, force):
    """Fit the thread-start refinement and report nested-CV figures."""
    t0 = time.time()
    say = lambda s: click.echo(s, err=True)  # noqa: E731
    model = BlockModel.load(model_path)
    oof = tpg.Oof(oof_path, corpora, groups_path, folds)
    say(f"{oof.n} pages, temperature {oof.temperature} (model {model.temperature})")
    cd = Candidates(oof, log=say, decoder=tpg.model_decoder(model))
    rows = None
    if not no_nested:
        rows = report(cd, nested_cv(cd, log=say))
        click.echo("Nested grouped CV (page gate -> page gate + thread start):\n" + tpg.format_rows(rows))
    if rows is not None and not force and not (verdict := wins(rows))[0]:
        click.echo(f"not written: {verdict[1]} (the classifier decodes as before; --force writes it anyway)")
        if metrics_json:
            Path(metrics_json).write_text(json.dumps({"nested_cv": rows, "written": False}, indent=1))
        return
    best = select(cd, np.arange(oof.n), folds=tpg.FOLDS)
    rows_all = np.flatnonzero(cd.row_of >= 0)
    scorer = fit_lr(*cd.sub(cd.row_of[rows_all], best["window"]), best["C"], best["window"])
    scorer.margin, scorer.model_sha256 = min(best["margin"], 1e9), model.sha256
    command = "python -m training.thread_start " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    scorer.meta = {"fitted": date.today().isoformat(), "command": command, "C": best["C"],
                   "cv_objective": round(best["objective"], 4), "pages": oof.n, "nested_cv": rows}
    out = out or thread_start.start_path(model_path)
    scorer.save(out)
    click.echo(f"wrote {out}: " + " ".join(f"{k}={v}" for k, v in best.items()) + f" ({time.time() - t0:.0f}s)")
    if metrics_json:
        Path(metrics_json).write_text(json.dumps({"nested_cv": rows, **best, "written": True}, indent=1))


if __name__ == "__main__":
    main()
