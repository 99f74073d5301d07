"""Train the block model with grouped cross-validation and write it with its model card.

    newswinnow train --corpora ../shared/corpora --out data/model-text --card data/MODEL_CARD.md

1. Read the labelled pages (``training.dataset.load_pages``) and run the feature pass.
2. Cross-validate by group (source domain where known, else page): out-of-fold probabilities
   give honest per-label metrics, fit the calibration temperature and check decoding.
3. Fit the final network on every page, count the decoding transitions, save arrays + JSON.
Everything is seeded; the same command gives the same model on the same data and versions.

``--distill``: the model is one network fitted to the ensemble's logits (``fit_student``), in
every fold (each fold's student learns from that fold's teacher, so its figures stay out of
fold) and at the end; ``--teacher MODEL`` takes an already trained ensemble as the final teacher.
``--jobs N`` runs the folds in N processes; ``--checkpoint DIR`` keeps each finished fold so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import click
import joblib
import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor

from classifier import decode, page_gate, thread_start
from classifier.model import CLIP_SIGMA, LABELS, MAX_MEMBERS, BlockModel, ModelError, one_blas_thread
from features.changepoint import CHANGE_NAMES
from features.extract import FEATURE_NAMES
from features.headers import HEADER_NAMES
from features.spamctx import SPAMCTX_NAMES
from features.spamshape import SPAMSHAPE_NAMES
from features.text_schema import TEXT_SCHEMAS, TRAIN_SCHEMA, TRAINABLE_SCHEMAS

from . import lexicon, metrics
from .corpora import LabeledPage
from .dataset import (
    DEFAULT_BBC_PAGES,
    DEFAULT_CORPORA,
    DRAGNET_VARIANTS,
    SMS_ROUNDS_BY_SCHEMA,
    Matrix,
    featurize,
    load_pages,
    page_kind,
)
from .options import HIDDEN_LAYERS, HIDDEN_OPTION, IGNORE_COLUMN_OPTION, ignore_column_names, require_corpora
from .user_data import Reject, read_labelled

# Networks averaged per model: one network's decisions on borderline blocks moved by several
# F1 points between seeds. Eight (was three): on the 5-fold out-of-fold logits of every network
# (``--save-oof`` keeps them), the mean of eight beat three disjoint triples of the same run on
# macro-F1 (0.870 against 0.864-0.866, seed 0; 0.876 against 0.868-0.872, seed 1) and spam F1,
# for ~10% more classify CPU (docs/text-model.md).
ENSEMBLE_SIZE = 8
# The networks' L2 penalty (sklearn's alpha; ``--l2``). 0.2 since 2026-12-04 (was 0.01, never
# swept until then): by source, eight networks at 0.2 gained 0.004 macro-F1 and 0.007 spam F1 on
# the same folds, with gains on editorial and comment F1 of every thread rendering but gold+spam
# editorial (-0.009) and no page-gated has_comments loss over 0.004 (docs/text-model.md).
L2_ALPHA = 0.2
MAX_EPOCHS = 60
BATCH = 512
LEARNING_RATE = 1e-3
# Rare labels are oversampled until they make up at least this share of training rows.
MIN_LABEL_SHARE = 0.04
# Fewest training rows a network is fitted on: early stopping holds out 10% of them and sklearn
# needs at least two rows there.
MIN_FIT_ROWS = 11
# Scale floor for constant columns.
MIN_SCALE = 1e-3
TEMPERATURES = np.round(np.arange(0.5, 12.01, 0.1), 3)
# Distillation: the student regresses the teacher's logits centred per row and divided by this
# (about the shipped ensemble's temperature, so the targets are of unit scale); its output layer
# is multiplied back, so its logits are on the teacher's scale and calibrate like any model's.
DISTILL_SCALE = 5.2
# Corpora whose gold marks content and furniture but not article and comment: CleanEval's forum
# posts, hotel reviews and blog comments are "content" there. Trained as editorial they taught the
# networks that a page of chat is an article (a Slashdot thread held out by site was decoded as
# article, comment probability ~0.01 on "Ummm, no. Thousands times NO!"). With ``--content-labels
# pseudo`` their content rows are labelled editorial or comment by a labeller fitted without them
# (``pseudo_labels``), in every fold on that fold's training pages only. Not the default: it
# raised held-out comment F1 on every rendering but decoded threads later, and seed 002's thread
# start moved from line 8 to 11 (docs/text-model.md, session 29).
CONTENT_ONLY_CORPORA = ("cleaneval",)
CONTENT_LABELS = ("given", "pseudo")
# The labeller: this many networks (the shipped ensembles' settings otherwise), its probabilities
# scaled by the shipped ensembles' out-of-fold temperature before decoding.
LABELLER_NETWORKS = 3
LABELLER_TEMPERATURE = 2.5
LABELLER_SEED_OFFSET = 500
# Thread-boundary emphasis (``--boundary-copies``): the blocks either side of where a thread
# begins are the ones the context columns blur (the first comments sit next to the article and
# read like its last paragraphs when they carry no name line), so with ``--boundary-copies N``
# the editorial blocks among the BOUNDARY_BLOCKS blocks right before a page's first comment and
# its first BOUNDARY_BLOCKS comment blocks are each given N extra copies among the networks'
# training rows. Only editorial blocks that touch the thread: emphasising an article's last
# blocks wherever they are (on full pages furniture often follows them) cost full-page editorial
# F1 0.015 in the fold experiments (docs/text-model.md, session 30). Not the default: it moved
# thread starts nearer the gold (comment bodies, gold text) but called more article tails a thread
# (has_comments on gold text -0.02), and failed its rule (trimmed pages with spam: editorial -0.012).
BOUNDARY_BLOCKS = 3
# Cross-validation groupings (``--cv-by``) and how the model card words each.
CV_GROUPINGS = ("source", "page")
CV_BY_SOURCE_TEXT = "grouped by source domain (pages of one site never straddle train and test)"
CV_BY_PAGE_TEXT = ("grouped by page (a page's renderings and spam-inserted copies stay together; other pages "
                   "of its site may be in training)")


def _balanced_index(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices with rare labels repeated up to ``MIN_LABEL_SHARE`` of the rows."""
    idx = [np.arange(len(y))]
    for k in range(len(LABELS)):
        rows = np.flatnonzero(y == k)
        want = int(MIN_LABEL_SHARE * len(y))
        if 0 < len(rows) < want:
            idx.append(rng.choice(rows, want - len(rows), replace=True))
    out = np.concatenate(idx)
    rng.shuffle(out)
    return out


def fit_network(X: np.ndarray, y: np.ndarray, seed: int, max_epochs: int = MAX_EPOCHS,
                n_networks: int = ENSEMBLE_SIZE, schema: str = TRAIN_SCHEMA, l2: float | None = None,
                emphasis: np.ndarray | None = None, copies: int = 0, ignore: Sequence[str] = (),
                hidden: Sequence[int] | None = None) -> BlockModel:
    """Standardise, fit ``n_networks`` MLPs (different seeds and oversampling draws), and
    export their parameters as plain arrays; the model averages their logits. ``l2``: the
    networks' L2 penalty (``L2_ALPHA`` when None). ``emphasis``: rows of X given ``copies``
    extra copies (``boundary_rows``), before the standardisation and the label balancing.
    ``ignore``: names of ``schema``'s columns the networks must not read (``--ignore-column``): their
    standardised input is held at 0 and their first-layer weights are 0, so no output depends on them.
    ``hidden``: the hidden layers' widths (``HIDDEN_LAYERS`` when None; ``--hidden``)."""
    if emphasis is not None and copies > 0 and emphasis.size:
        rows = np.concatenate([np.arange(len(y))] + [emphasis] * copies)
        X, y = X[rows], y[rows]
    mean = X.mean(axis=0).astype(np.float32)
    scale = np.maximum(X.std(axis=0), MIN_SCALE).astype(np.float32)
    Z = np.clip((X - mean) / scale, -6, 6)
    names = TEXT_SCHEMAS[schema]
    # (a matrix of another width is not described by the schema's names: nothing to skip)
    cols = ignored_indices(names, ignore) if X.shape[1] == len(names) else np.zeros(0, dtype=np.int64)
    Z[:, cols] = 0
    nets = [_fit_one(Z, y, seed + 1000 * j, max_epochs, l2, hidden) for j in range(n_networks)]
    capped = sum(n_iter >= max_epochs for *_, n_iter in nets)
    if capped:
        click.echo(f"note: {capped} of {n_networks} networks stopped at --max-epochs {max_epochs} "
                   "before early stopping", err=True)
    nets = [(w, b) for w, b, _ in nets]
    for w, _ in nets:
        w[0][cols] = 0  # (held at 0 in training, their weights only decayed: now exactly unread)
    return BlockModel(feature_names=names, schema=schema, mean=mean, scale=scale,
                      weights=nets[0][0], biases=nets[0][1], members=nets[1:],
                      meta={"ignored_columns": [names[i] for i in cols]} if cols.size else {})


def ignored_indices(names: Sequence[str], ignore: Sequence[str]) -> np.ndarray:
    """Positions in ``names`` of the columns named in ``ignore`` (names the schema lacks are
    skipped: an older schema may not have them)."""
    wanted = set(ignore)
    return np.array([i for i, n in enumerate(names) if n in wanted], dtype=np.int64)


def _fit_one(Z: np.ndarray, y: np.ndarray, seed: int, max_epochs: int,
             l2: float | None = None, hidden: Sequence[int] | None = None
             ) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """One MLP on standardised inputs -> (weights, biases) with outputs in ``LABELS`` order, and
    the epochs it ran. ``hidden``: its hidden layers' widths (``HIDDEN_LAYERS`` when None, read at
    call time: ``training.train_html`` sets its own)."""
    rng = np.random.default_rng(seed)
    idx = _balanced_index(y, rng)
    net = MLPClassifier(hidden_layer_sizes=tuple(hidden or HIDDEN_LAYERS), alpha=L2_ALPHA if l2 is None else l2,
                        batch_size=BATCH,
                        learning_rate_init=LEARNING_RATE, max_iter=max_epochs, early_stopping=True,
                        validation_fraction=0.1, n_iter_no_change=5, random_state=seed)
    with warnings.catch_warnings():
        # The epoch cap is a setting, not a fault: fit_network reports it in one line.
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(Z[idx], y[idx])
    weights = [w.astype(np.float32) for w in net.coefs_]
    biases = [b.astype(np.float32) for b in net.intercepts_]
    # Map the network's classes onto the four labels (a label absent from training gets -inf-ish).
    classes = list(net.classes_)
    if len(classes) == 2:  # binary MLP has one sigmoid output: expand to two logits
        weights[-1] = np.hstack([np.zeros_like(weights[-1]), weights[-1]])
        biases[-1] = np.concatenate([[0.0], biases[-1]]).astype(np.float32)
    w_out = np.zeros((weights[-1].shape[0], len(LABELS)), dtype=np.float32)
    b_out = np.full(len(LABELS), -20.0, dtype=np.float32)
    for j, c in enumerate(classes):
        w_out[:, int(c)] = weights[-1][:, j]
        b_out[int(c)] = biases[-1][j]
    weights[-1], biases[-1] = w_out, b_out
    return weights, biases, int(net.n_iter_)


def fit_student(X: np.ndarray, y: np.ndarray, teacher: BlockModel, seed: int,
                max_epochs: int = MAX_EPOCHS, teacher_logits: np.ndarray | None = None,
                l2: float | None = None) -> BlockModel:
    """One network of the teacher's shape fitted to the teacher's logits on X (the rows it was
    trained on): it runs a single network per block, against the teacher's N, and on a held-out
    fold kept nearly all of eight networks' gain over one (docs/text-model.md).

    sklearn's ``MLPClassifier`` takes hard labels only, so the student is an ``MLPRegressor`` on
    the centred, scaled logits, on the same standardised inputs and oversampled rows as a
    network of ``fit_network``; ``y`` only drives that oversampling. ``teacher_logits``: the
    teacher's logits on X when already computed (a checkpointed fold keeps them)."""
    t = (teacher.logits(X) if teacher_logits is None else teacher_logits).astype(np.float64)
    target = (t - t.mean(axis=1, keepdims=True)) / DISTILL_SCALE
    del t
    Z = np.clip((X - teacher.mean) / teacher.scale, -CLIP_SIGMA, CLIP_SIGMA)
    cols = ignored_indices(teacher.feature_names, teacher.meta.get("ignored_columns", ()))
    Z[:, cols] = 0  # the columns the teacher does not read, the student does not either
    idx = _balanced_index(y, np.random.default_rng(seed))
    net = MLPRegressor(hidden_layer_sizes=hidden_widths(teacher), alpha=L2_ALPHA if l2 is None else l2,
                       batch_size=BATCH,
                       learning_rate_init=LEARNING_RATE, max_iter=max_epochs, early_stopping=True,
                       validation_fraction=0.1, n_iter_no_change=5, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the epoch cap is a setting
        net.fit(Z[idx], target[idx])
    if net.n_iter_ >= max_epochs:
        click.echo(f"note: the student stopped at --max-epochs {max_epochs} before early stopping", err=True)
    weights = [w.astype(np.float32) for w in net.coefs_]
    biases = [b.astype(np.float32) for b in net.intercepts_]
    weights[-1] *= np.float32(DISTILL_SCALE)
    biases[-1] *= np.float32(DISTILL_SCALE)
    weights[0][cols] = 0
    return BlockModel(feature_names=teacher.feature_names, schema=teacher.schema, mean=teacher.mean,
                      scale=teacher.scale, weights=weights, biases=biases,
                      meta={k: v for k, v in teacher.meta.items() if k == "ignored_columns"})


def hidden_widths(model: BlockModel) -> tuple[int, ...]:
    """The hidden layers' widths of a model's networks, read from its first network's weights."""
    return tuple(int(w.shape[1]) for w in model.weights[:-1])


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising out-of-fold log-loss."""
    best, best_t = np.inf, 1.0
    for t in TEMPERATURES:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        ll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if ll < best:
            best, best_t = ll, float(t)
    return best_t


def label_prior(y: np.ndarray) -> np.ndarray:
    """Label frequencies (smoothed) for the hybrid-HMM emissions."""
    c = np.bincount(y, minlength=len(LABELS)).astype(np.float64) + 1.0
    return c / c.sum()


def content_only_pages(pages: Sequence[LabeledPage]) -> np.ndarray:
    """Which pages come from a corpus of ``CONTENT_ONLY_CORPORA`` (their content rows are relabelled)."""
    return np.array([p.corpus.startswith(CONTENT_ONLY_CORPORA) for p in pages], dtype=bool)


def unlabelled_rows(content_only: np.ndarray, offsets: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The content rows of content-only pages: their gold says content, not article or comment, so
    the temperature, the lexicon and the page gate do not learn from their labels."""
    return np.repeat(content_only, np.diff(offsets)) & (y != LABELS.index("boilerplate"))


def boundary_rows(y: np.ndarray, offsets: np.ndarray, pages: np.ndarray) -> np.ndarray:
    """Rows (indices into ``y``) either side of each page's thread start: of the ``pages`` with an
    editorial block before their first comment, the editorial rows among the BOUNDARY_BLOCKS rows
    right before it, and the first BOUNDARY_BLOCKS comment rows from it (``--boundary-copies``)."""
    editorial, comment = LABELS.index("editorial"), LABELS.index("comment")
    out = []
    for i in np.asarray(pages).tolist():
        a, b = int(offsets[i]), int(offsets[i + 1])
        c = np.flatnonzero(y[a:b] == comment)
        if not c.size:
            continue
        s = int(c[0])
        e = np.flatnonzero(y[a: a + s] == editorial)
        if e.size:
            out.append(a + e[e >= s - BOUNDARY_BLOCKS])
            out.append(a + c[:BOUNDARY_BLOCKS])
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)


def _local(rows: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """Positions in ``X[tr]`` of the global ``rows`` (all of them rows of ``tr``)."""
    pos = np.full(int(tr.max()) + 1 if tr.size else 0, -1, dtype=np.int64)
    pos[tr] = np.arange(tr.size)
    return pos[rows]


def pseudo_labels(X: np.ndarray, y: np.ndarray, offsets: np.ndarray, train_pages: np.ndarray,
                  content_only: np.ndarray, seed: int, max_epochs: int, schema: str, l2: float | None,
                  decoder: str, ignore: Sequence[str] = (), hidden: Sequence[int] | None = None) -> np.ndarray:
    """``y`` with the content rows of the content-only pages among ``train_pages`` labelled
    editorial or comment by a labeller fitted on the other training pages.

    The labeller is an ensemble of ``LABELLER_NETWORKS`` fitted on ``train_pages`` that are not
    content-only, decoded with tables counted on those pages; a content row it decodes as comment
    becomes comment, every other content row editorial. Furniture rows keep their gold label.
    Only training pages are read, so a fold's labels never see its test pages."""
    y = y.copy()
    target = [i for i in train_pages if content_only[i]]
    other = [i for i in train_pages if not content_only[i]]
    if not target or not other:
        return y
    rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in other])
    labeller = fit_network(X[rows], y[rows], seed + LABELLER_SEED_OFFSET, max_epochs, LABELLER_NETWORKS,
                           schema=schema, l2=l2, ignore=ignore, hidden=hidden)
    start, trans, post = decode.fit_decoder(([LABELS[k] for k in y[offsets[i]: offsets[i + 1]]] for i in other),
                                            decoder)
    prior = label_prior(y[rows])
    spans = [(int(offsets[i]), int(offsets[i + 1])) for i in target]
    trows = np.concatenate([np.arange(a, b) for a, b in spans])
    starts = np.cumsum([0] + [b - a for a, b in spans[:-1]])
    proba = calibrated(labeller.logits(X[trows], starts), LABELLER_TEMPERATURE)
    decoded = decode.viterbi_batch([proba[k: k + b - a] for k, (a, b) in zip(starts, spans)], prior, start, trans,
                                   post=post)
    editorial, comment, furniture = (LABELS.index(k) for k in ("editorial", "comment", "boilerplate"))
    for (a, b), lab in zip(spans, decoded):
        content = y[a:b] != furniture
        y[a:b][content] = np.where(np.asarray(lab)[content] == comment, comment, editorial)
    return y


def cross_validate(M: Matrix, folds: int, seed: int, max_epochs: int = MAX_EPOCHS, log=print,
                   n_networks: int = ENSEMBLE_SIZE, by: str = "source", distill: bool = False, jobs: int = 1,
                   checkpoint: Path | None = None, final: tuple | None = None, l2: float | None = None,
                   decoder: str = decode.DEFAULT_DECODER, cv_seed: int | None = None,
                   content_labels: str = "given", final_y: np.ndarray | None = None,
                   boundary_copies: int = 0, ignore: Sequence[str] = (),
                   hidden: Sequence[int] | None = None) -> dict:
    """Out-of-fold logits, the temperature fit on them, and labels decoded as in use.

    Each fold's test pages are decoded with transitions and prior counted on that fold's
    training pages only, from probabilities scaled by the out-of-fold temperature (one scalar
    fit on all out-of-fold logits, as the shipped model does). With ``distill`` the logits are
    the students' and the teachers' are kept beside them (``teacher_logits``, ``teacher_decoded``).
    Folds run in ``jobs`` processes; with ``checkpoint`` each finished fold is kept there and
    reused by a later run of the same data and settings. ``final``: the arguments of ``fit_final``
    after X and y, to fit the shipped model in the same pool (``cv["final"]``), so that the last
    round of folds does not leave a process idle. ``decoder``: the fold tables' kind
    (``decode.DECODERS``, ``train --decoder``). ``cv_seed``: a seeded partition (``fold_pages``);
    every result has ``page_fold``, the fold each page was held out in. ``content_labels``
    "pseudo": each fold relabels the content rows of its content-only training pages
    (``pseudo_labels``) and fits, and counts its tables, on those labels; ``final_y``: the labels
    the final model is fitted on (default ``M.y``). The temperature is fit on the other rows.
    ``boundary_copies``: each fold's networks see the rows either side of its training pages'
    thread starts (``boundary_rows``, on the fold's own labels) that many extra times.
    ``ignore`` and ``hidden``: as ``fit_network``'s, for every network the folds fit.
    """
    splits = fold_pages(M, folds, by, cv_seed)
    content_only = content_only_pages(M.pages) if content_labels == "pseudo" else None
    rows = [(np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in tr_pages]),
             np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in te_pages]))
            for tr_pages, te_pages in splits]
    settings = {"seed": seed, "max_epochs": max_epochs, "networks": n_networks, "distill": distill,
                "schema": M.schema, "sklearn": sklearn.__version__, "folds": folds, "by": by,
                # the effective penalty, always: the default moved (0.01 -> 0.2), and a fold kept at
                # the old default must not stand in for the new one
                "l2": L2_ALPHA if l2 is None else l2}
    if content_only is not None:  # only then: the checkpoints of earlier runs keep their keys
        settings["content_labels"] = content_labels
    if cv_seed is not None:  # only then: the checkpoints of earlier runs keep their keys
        settings["cv_seed"] = cv_seed
    if boundary_copies:  # only then: the checkpoints of earlier runs keep their keys
        settings["boundary_copies"] = boundary_copies
    if ignore:  # only then: the checkpoints of earlier runs keep their keys
        settings["ignored_columns"] = sorted(ignore)
    if hidden is not None and tuple(hidden) != HIDDEN_LAYERS:  # likewise
        settings["hidden_layers"] = list(hidden)
    done: dict[int, dict] = {}
    keys: dict[int, str] = {}
    if checkpoint is not None:
        checkpoint.mkdir(parents=True, exist_ok=True)
        data_digest = _matrix_digest(M)
        for f, (tr, _) in enumerate(rows):
            keys[f] = _fold_key(data_digest, settings, f, tr)
            got = _load_fold(checkpoint, f, keys[f])
            if got is not None:
                done[f] = got
                log(f"fold {f + 1}/{folds}: reused from {checkpoint}")
    todo = [f for f in range(folds) if f not in done]
    t0 = time.time()
    # Each fold is kept as soon as it ends (by its own process): a run stopped mid-way loses
    # only the folds still running.
    relabel = None if content_only is None else {"offsets": M.offsets, "content_only": content_only,
                                                 "decoder": decoder}
    tasks = [joblib.delayed(_fold)(M.X, M.y, tr, te, seed + f, max_epochs, n_networks, M.schema, distill,
                                   None if checkpoint is None else (checkpoint, f, keys[f]), l2=l2,
                                   relabel=None if relabel is None else {**relabel, "pages": splits[f][0]},
                                   boundary=None if not boundary_copies else
                                   {"offsets": M.offsets, "pages": splits[f][0], "copies": boundary_copies},
                                   ignore=tuple(ignore), hidden=hidden)
             for f, (tr, te) in ((f, rows[f]) for f in todo)]
    if final is not None:
        tasks.append(joblib.delayed(fit_final)(M.X, M.y if final_y is None else final_y, *final))
    results = joblib.Parallel(n_jobs=min(jobs, max(1, len(tasks))))(tasks)
    final_model = results.pop() if final is not None else None
    for f, got in zip(todo, results):
        done[f] = got
        log(f"fold {f + 1}/{folds}: {len(rows[f][0])} train rows, {len(rows[f][1])} test rows, "
            f"{got['seconds']:.0f}s")
    if todo:
        log(f"{len(todo)} fold(s) in {time.time() - t0:.0f}s with --jobs {jobs}")
    logits = np.zeros((len(M.y), len(LABELS)), dtype=np.float32)
    members = np.zeros((n_networks, len(M.y), len(LABELS)), dtype=np.float32)
    student = np.zeros_like(logits) if distill else None
    tables = []
    page_fold = np.zeros(len(M.pages), dtype=np.int64)
    for f, ((tr_pages, te_pages), (tr, te)) in enumerate(zip(splits, rows)):
        page_fold[te_pages] = f
        logits[te] = done[f]["logits"]
        members[:, te] = done[f]["members"]
        if student is not None:
            student[te] = done[f]["student"]
        y_tr = done[f].get("y_train", M.y[tr])  # the fold's training labels (relabelled with "pseudo")
        bounds = np.cumsum([0] + [int(M.offsets[i + 1] - M.offsets[i]) for i in tr_pages])
        ls, lt, post = decode.fit_decoder(([LABELS[k] for k in y_tr[a:b]] for a, b in zip(bounds[:-1], bounds[1:])),
                                          decoder)
        tables.append((te_pages, ls, lt, label_prior(y_tr), post))
    # Content rows of content-only corpora have no article/comment gold: left out of the temperature.
    fit_rows = np.ones(len(M.y), dtype=bool) if content_only is None else ~unlabelled_rows(content_only, M.offsets, M.y)
    if student is None:
        temperature = fit_temperature(logits[fit_rows], M.y[fit_rows])
        return {"logits": logits, "member_logits": members, "temperature": temperature, "final": final_model,
                "page_fold": page_fold, **decode_folds(M, logits, temperature, tables)}
    temperature = fit_temperature(student[fit_rows], M.y[fit_rows])
    teacher_temperature = fit_temperature(logits[fit_rows], M.y[fit_rows])
    return {"logits": student, "member_logits": members, "temperature": temperature, "final": final_model,
            "page_fold": page_fold, "teacher_logits": logits, "teacher_temperature": teacher_temperature,
            "teacher_decoded": decode_folds(M, logits, teacher_temperature, tables)["decoded"],
            **decode_folds(M, student, temperature, tables)}


def _fold(X: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, seed: int, max_epochs: int,
          n_networks: int, schema: str, distill: bool, keep: tuple[Path, int, str] | None = None,
          l2: float | None = None, relabel: dict | None = None, boundary: dict | None = None,
          ignore: Sequence[str] = (), hidden: Sequence[int] | None = None) -> dict:
    """One fold: the ensemble (and with ``distill`` its student) fitted on ``tr``, scored on ``te``;
    written to ``keep`` = (checkpoint dir, fold, key) when given.

    On one BLAS thread, as in a ``--jobs`` worker: the threads split the products differently and
    so move the float sums, and a kept fold must be what any ``--jobs`` would have computed."""
    t0 = time.time()
    out = {}
    with one_blas_thread():
        if relabel is not None:  # (``cross_validate``'s "pseudo" content labels)
            y = pseudo_labels(X, y, relabel["offsets"], relabel["pages"], relabel["content_only"], seed, max_epochs,
                              schema, l2, relabel["decoder"], ignore, hidden)
            out["y_train"] = y[tr]
        emphasis, copies = None, 0
        if boundary is not None:  # (``cross_validate``'s boundary_copies)
            emphasis = _local(boundary_rows(y, boundary["offsets"], boundary["pages"]), tr)
            copies = boundary["copies"]
        model = fit_network(X[tr], y[tr], seed, max_epochs, n_networks, schema=schema, l2=l2,
                            emphasis=emphasis, copies=copies, ignore=ignore, hidden=hidden)
        out.update(logits=model.logits(X[te]), members=member_logits(model, X[te]))
        if distill:
            # Kept with the fold: another student (other settings) can learn from them later
            # without the hour of fitting this fold's teacher again.
            out["teacher_train_logits"] = model.logits(X[tr])
            out["student"] = fit_student(X[tr], y[tr], model, seed, max_epochs,
                                         teacher_logits=out["teacher_train_logits"], l2=l2).logits(X[te])
    out["seconds"] = time.time() - t0
    if keep is not None:
        _save_fold(*keep, out)
    return out


def fit_final(X: np.ndarray, y: np.ndarray, seed: int, max_epochs: int, n_networks: int, schema: str,
              distill: bool, teacher: BlockModel | None, l2: float | None = None,
              emphasis: np.ndarray | None = None, copies: int = 0, ignore: Sequence[str] = (),
              hidden: Sequence[int] | None = None) -> BlockModel:
    """The model to ship, fitted on every row: the ensemble, or with ``distill`` the student of
    ``teacher`` (``--teacher``; fitted here when None). One BLAS thread, like the folds, so
    ``--jobs`` does not change it."""
    with one_blas_thread():
        if teacher is None:
            teacher = fit_network(X, y, seed, max_epochs, n_networks, schema=schema, l2=l2, emphasis=emphasis,
                                  copies=copies, ignore=ignore, hidden=hidden)
        return fit_student(X, y, teacher, seed, max_epochs, l2=l2) if distill else teacher


def _matrix_digest(M: Matrix) -> str:
    """What a checkpointed fold was computed from: the feature matrix, labels and page bounds."""
    h = hashlib.sha256()
    for a in (M.X, M.y, M.offsets):
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _fold_key(data_digest: str, settings: dict, fold: int, tr: np.ndarray) -> str:
    """A fold's identity: data, settings and its training rows."""
    h = hashlib.sha256(data_digest.encode())
    h.update(json.dumps({**settings, "fold": fold}, sort_keys=True).encode())
    h.update(np.ascontiguousarray(tr, dtype=np.int64).tobytes())
    return h.hexdigest()


def _fold_file(checkpoint: Path, fold: int) -> Path:
    return checkpoint / f"fold-{fold}.npz"


def _save_fold(checkpoint: Path, fold: int, key: str, got: dict) -> None:
    """Write atomically (a half-written file from a killed run is never read back)."""
    path = _fold_file(checkpoint, fold)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, key=np.array(key), **{k: np.asarray(v) for k, v in got.items()})
    tmp.replace(path)


def _load_fold(checkpoint: Path, fold: int, key: str) -> dict | None:
    """A kept fold of the same data and settings, else None (plain arrays, no pickle)."""
    path = _fold_file(checkpoint, fold)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        if str(z["key"]) != key:
            return None
        return {k: (float(z[k]) if k == "seconds" else z[k]) for k in z.files if k != "key"}


def member_logits(model: BlockModel, X: np.ndarray) -> np.ndarray:
    """Each network's logits [networks, n, 4] (``model.logits`` is their mean): saved with the
    out-of-fold logits so one run shows what any smaller ensemble would have scored."""
    nets = [(model.weights, model.biases), *model.members]
    return np.stack([BlockModel(feature_names=model.feature_names, schema=model.schema, mean=model.mean,
                                scale=model.scale, weights=w, biases=b).logits(X) for w, b in nets])


def cv_groups(M: Matrix, by: str = "source") -> np.ndarray:
    """The cross-validation group of each page.

    ``source``: its site, so the figures are for sites the model never saw. ``page``: the page
    itself with all its renderings and spam-inserted copies (they share the id before "#"), so a
    site's other pages may be in training - the figures for new pages of sites it was trained
    on, as a test split drawn from the same crawl (Dragnet's own) has them."""
    if by == "page":
        return np.array([p.id.split("#", 1)[0] for p in M.pages])
    if by != "source":
        raise ValueError(f"unknown cross-validation grouping {by!r} (one of {CV_GROUPINGS})")
    return np.array([M.groups[M.offsets[i]] for i in range(len(M.pages))])


def fold_pages(M: Matrix, folds: int, by: str = "source", cv_seed: int | None = None
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train pages, test pages) per fold, grouped as ``cv_groups`` says.

    Without ``cv_seed``: scikit-learn's GroupKFold (groups by size, each to the lightest fold),
    the partition of every figure so far. It moves when a few pages are added: the corrected
    Dragnet markers of 2026-12-05 added 10 pages to three sites and moved 259 of 1,385 sites to
    another fold (docs/text-model.md). With ``cv_seed``: the groups in a seeded random order,
    dealt to the folds in turn (equal group counts), for a second and third partition of the same
    data to see how much the figures owe to the partition."""
    groups = cv_groups(M, by)
    if cv_seed is None:
        return list(GroupKFold(n_splits=folds).split(np.zeros(len(M.pages)), groups=groups))
    names, page_group = np.unique(groups, return_inverse=True)
    fold_of_group = np.empty(names.size, dtype=np.int64)
    fold_of_group[np.random.default_rng(cv_seed).permutation(names.size)] = np.arange(names.size) % folds
    return splits_of(fold_of_group[page_group], folds)


def splits_of(page_fold: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train pages, test pages) per fold from each page's fold (``fold_pages``, an oof file's ``page_fold``)."""
    return [(np.flatnonzero(page_fold != f), np.flatnonzero(page_fold == f)) for f in range(folds)]


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature-scaled softmax of logits (float64)."""
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    proba = np.exp(z)
    return proba / proba.sum(axis=1, keepdims=True)


def decode_folds(M: Matrix, logits: np.ndarray, temperature: float, tables: list) -> dict:
    """Decode every fold's out-of-fold pages with the tables counted on its training pages."""
    proba = calibrated(logits, temperature)
    decoded = np.argmax(proba, axis=1)
    for te_pages, log_start, log_trans, prior, post in tables:
        rows = [M.page_rows(i) for i in te_pages]
        for s, lab in zip(rows, decode.viterbi_batch([proba[s] for s in rows], prior, log_start, log_trans,
                                                      post=post)):
            decoded[s] = lab
    return {"decoded": decoded}


def summarise(M: Matrix, pred: np.ndarray) -> dict:
    """Metrics overall, per corpus/variant, and page-level comment detection."""
    cm = metrics.confusion(M.y, pred)
    rep = metrics.per_label(cm)
    out = {"overall": {"report": rep, "confusion": cm.tolist(), "macro_f1": metrics.macro_f1(rep)}}
    kinds: dict[str, list[int]] = {}
    for i, p in enumerate(M.pages):
        kind = page_kind(p)
        kinds.setdefault(kind, []).append(i)
    comment = LABELS.index("comment")
    for kind, ids in sorted(kinds.items()):
        rows = np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in ids])
        kcm = metrics.confusion(M.y[rows], pred[rows])
        krep = metrics.per_label(kcm)
        gold_has = [bool((M.y[M.page_rows(i)] == comment).any()) for i in ids]
        pred_has = [bool((pred[M.page_rows(i)] == comment).any()) for i in ids]
        out[kind] = {"report": krep, "confusion": kcm.tolist(), "macro_f1": metrics.macro_f1(krep),
                     "has_comments": metrics.binary_f1(gold_has, pred_has), "pages": len(ids)}
    return out


def _file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """A labelled file's checksum for the model card, read in chunks (a large file is not held whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_user_files(paths: Sequence[Path], rejects: Path | None) -> tuple[list[LabeledPage], list[dict]]:
    """The usable pages of the ``--labelled`` files, and per file what the model card records.

    Unusable records are reported on stderr (file, line, reason), copied verbatim to ``rejects``
    when given, and skipped: one bad line does not cost the rest of the data.
    """
    pages: list[LabeledPage] = []
    files: list[dict] = []
    with ExitStack() as stack:
        sink = stack.enter_context(open(rejects, "wb")) if rejects else None
        for path in paths:
            bad: list[Reject] = []

            def on_reject(r: Reject, bad: list[Reject] = bad) -> None:
                bad.append(r)
                click.echo(f"{r.path}:{r.line}: record skipped: {r.reason}", err=True)
                if sink is not None:
                    sink.write(r.raw if r.raw.endswith(b"\n") else r.raw + b"\n")

            got = list(read_labelled(path, on_reject))
            labels = Counter(lab for p in got for lab in p.labels)
            files.append({"file": path.name, "sha256": _file_sha256(path),
                          "pages": len(got), "rejected": len(bad), "sources": len({p.group for p in got}),
                          "labels": {lab: labels.get(lab, 0) for lab in LABELS}})
            click.echo(f"{path}: {len(got)} pages, {sum(labels.values())} blocks, {len(bad)} records skipped",
                       err=True)
            pages.extend(got)
    return pages, files


# How the card names each ``--decoder`` (classifier/decode.py).
DECODER_TEXT = {
    "thread": "the seven-state chain for every page",
    "post-thread": "the eight-state chain (a state for the furniture after a thread) for every page",
    "auto": "both chains, each page decoded on the eight-state one when its mean boilerplate "
            f"probability is above {decode.POST_THREAD_MIN_BOILERPLATE}",
}


def write_card(path: Path, result: dict, command: str, n_rows: int, n_pages: int, temperature: float,
               schema: str = TRAIN_SCHEMA,
               public: bool = True, user_files: Sequence[dict] = (), cv_by: str = "source",
               networks: int = ENSEMBLE_SIZE, distill: bool = False, l2: float = L2_ALPHA,
               decoder: str = decode.DEFAULT_DECODER, content_labels: str = "given",
               boundary_copies: int = 0, hidden: Sequence[int] = HIDDEN_LAYERS) -> None:
    """The model card: data, licences, held-out-fold metrics, versions, the exact command."""
    cv = result["cv_decoded"]
    cleaneval = ("content rows labelled editorial or comment by a labeller fitted without CleanEval "
                 f"({LABELLER_NETWORKS} networks; in each fold on its training pages only), furniture as the gold "
                 "aligns it; the lexicon does not learn from its content rows. Its figures below score every "
                 "content block of the gold as editorial" if content_labels == "pseudo"
                 else "editorial vs boilerplate by alignment with the gold")
    public_rows = [
        "| dragnet_train (Moz, 966 pages) | rendered to lines (full page, scraper-like trimmed span, gold "
        "text alone), labels aligned to the gold article / comments | AGPLv3 |",
        f"| cleaneval (dev + final) | {cleaneval} | none stated |",
        "| bbc_news | clean editorial pages | research use, copyright BBC |",
        "| youtube_spam | spam and ham comments inserted into real Dragnet threads (3 rounds of draws); "
        "spam-vs-comment lexicon column | cite Alberto et al. 2015 |",
        "| sms_spam (UCI SMS Spam Collection) | spam-vs-comment lexicon column only | not stated |",
    ] if public else []
    user_rows = [
        f"| {f['file']} (your labelled pages: {f['pages']} pages from {f['sources']} sources, "
        f"{f['rejected']} records skipped; sha256 {f['sha256'][:16]}) | blocks as labelled: "
        + ", ".join(f"{n} {lab}" for lab, n in f["labels"].items()) + " | yours |"
        for f in user_files
    ]
    lines = [
        "# newswinnow text model card", "",
        f"- Trained: {date.today().isoformat()} with `{command}`",
        f"- scikit-learn {sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}",
        f"- Feature schema `{schema}` ({len(TEXT_SCHEMAS[schema])} columns: `features.extract`'s "
        f"{len(FEATURE_NAMES)}, {len(CHANGE_NAMES)} thread-start columns of `features.changepoint`, "
        f"{len(SPAMCTX_NAMES)} spam-context columns of `features.spamctx`"
        + (f" and {len(SPAMSHAPE_NAMES)} spam-shape columns of `features.spamshape`" if schema == "text-7" else "")
        + (f" and {len(SPAMSHAPE_NAMES) + 1} spam-shape columns of `features.spamshape` (`link_other` the "
           "text-8 one), spam columns read on NFKC-folded look-alike characters (`features.spamfold`); "
           f"SMS spam and ham inserted into threads {SMS_ROUNDS_BY_SCHEMA.get(schema, 0)} time(s)"
           if schema == "text-8" else "")
        + (f" and {len(HEADER_NAMES)} repeated commenter-line columns of `features.headers`"
           if schema == "text-9" else "")
        + "); "
        f"network {tuple(hidden)}" + (f" with L2 penalty {l2}" if l2 != L2_ALPHA else "") + ", "
        + (f"one network distilled from {networks} (in every cross-validation fold the student of that "
           "fold's own teacher)" if distill else
           f"{networks} networks averaged (also in every cross-validation fold)" if networks > 1 else "one network")
        + (f", the article blocks among the {BOUNDARY_BLOCKS} right before each page's first comment and its "
           f"first {BOUNDARY_BLOCKS} comment blocks seen {1 + boundary_copies} times per epoch"
           if boundary_copies else "")
        + f", temperature {temperature}; decoding tables: {DECODER_TEXT[decoder]}",
        f"- {n_rows} blocks from {n_pages} pages; {result['folds']}-fold cross-validation "
        + (CV_BY_SOURCE_TEXT if cv_by == "source" else CV_BY_PAGE_TEXT),
        "", "## Training data (" + ("read from `../shared/corpora`, never copied into the repo"
                                     if public else "your labelled files only, no public corpus") + ")", "",
        "| data set | used as | licence |", "|---|---|---|",
        *public_rows, *user_rows,
        "", "## Held-out-fold results, after sequence decoding (all pages)", "",
        metrics.markdown_report(cv["overall"]["report"], np.array(cv["overall"]["confusion"])),
        "", f"Macro-F1 {cv['overall']['macro_f1']:.3f}.", "",
        "## Per corpus and rendering (held-out folds, decoded)", "",
        *metrics.kind_table(cv),
    ]
    raw = result["cv_argmax"]["overall"]
    lines += ["", f"Without decoding (argmax of calibrated probabilities): macro-F1 {raw['macro_f1']:.3f}.", ""]
    if distill:
        lines += [f"## The teacher ({networks} networks) on the same folds, decoded", "",
                  f"Temperature {result['teacher_temperature']}; macro-F1 "
                  f"{result['teacher_decoded']['overall']['macro_f1']:.3f} against the student's "
                  f"{cv['overall']['macro_f1']:.3f}.", "", *metrics.kind_table(result["teacher_decoded"]), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _load_teacher(path: Path, schema: str) -> BlockModel:
    """A trained ensemble for ``--teacher``: safe load, and its columns must be this run's."""
    try:
        model = BlockModel.load(path, expected_schema=schema)
    except ModelError as e:
        raise click.ClickException(f"--teacher {path}: {e}") from None
    if not model.members:
        click.echo(f"note: --teacher {path} is a single network; its student will not be cheaper", err=True)
    model.cascade = None  # a student learns the whole ensemble's logits, not the two-stage shortcut's
    return model


@click.command()
@click.option("--corpora", "corpora_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPORA,
              show_default=True, help="Folder holding the public corpora (see shared/corpora/README.md).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/model-text"), show_default=True,
              help="Model stem: writes STEM.json and STEM.npz.")
@click.option("--card", type=click.Path(path_type=Path), default=Path("data/MODEL_CARD.md"), show_default=True)
@click.option("--folds", type=click.IntRange(0, 20), default=5, show_default=True, help="0 skips cross-validation.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--bbc-pages", type=int, default=DEFAULT_BBC_PAGES, show_default=True)
@click.option("--max-dragnet", type=int, default=None, help="Use only the first N Dragnet pages (quick runs).")
@click.option("--max-epochs", type=int, default=MAX_EPOCHS, show_default=True)
@click.option("--metrics-json", type=click.Path(path_type=Path), help="Also write the CV metrics here.")
@click.option("--save-oof", type=click.Path(path_type=Path), help="Save out-of-fold logits and labels (.npz).")
@click.option("--labelled", "labelled", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
              help="Your own labelled pages (JSONL, see training/user_data.py); repeatable. Added to the public "
                   "corpora, or used alone with --no-public.")
@click.option("--schema", type=click.Choice(TRAINABLE_SCHEMAS), default=TRAIN_SCHEMA, show_default=True,
              help="Feature schema (features/text_schema.py); the default is the shipped model's.")
@click.option("--cv-by", type=click.Choice(CV_GROUPINGS), default="source", show_default=True,
              help="Cross-validation groups: whole sites (figures for unseen sites) or single pages with all "
                   "their renderings (figures for new pages of the sites trained on). The model is the same.")
@click.option("--cv-seed", type=int, default=None,
              help="Deal the cross-validation groups to the folds in a seeded random order (another partition "
                   "of the same groups) instead of GroupKFold's by-size order; the oof file records each page's fold.")
@click.option("--networks", type=click.IntRange(1, MAX_MEMBERS), default=ENSEMBLE_SIZE, show_default=True,
              help="Networks averaged per model (and per cross-validation fold): more are steadier between "
                   "seeds and cost about 3% of classify time each.")
@click.option("--distill", is_flag=True,
              help="Ship one network fitted to the --networks ensemble's logits (in every fold too): the "
                   "ensemble's accuracy, nearly, at one network's classify cost.")
@click.option("--teacher", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --distill: an ensemble already trained on this data (MODEL.json) as the final "
                   "teacher, instead of fitting one (the folds still fit their own).")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Cross-validation folds (and the final fit) run at once, one process each (memory: the "
                   "feature matrix is shared, each fold needs its own copy of its training rows).")
@click.option("--checkpoint", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each finished fold here; a later run of the same data and settings reuses it.")
@click.option("--l2", type=click.FloatRange(min=0.0), default=L2_ALPHA, show_default=True,
              help="The networks' L2 penalty (sklearn's alpha); the student's too with --distill.")
@HIDDEN_OPTION
@click.option("--decoder", type=click.Choice(decode.DECODERS), default=decode.DEFAULT_DECODER, show_default=True,
              help="The decoding chain's tables: 'post-thread' adds a state for the furniture after a thread "
                   "(better comment-section recall on whole pages rendered to text, a little worse on "
                   "extracted text), 'auto' keeps both and decodes each page with the one its share of "
                   "boilerplate selects (docs/text-model.md).")
@click.option("--content-labels", type=click.Choice(CONTENT_LABELS), default="given", show_default=True,
              help="CleanEval's content rows (its gold says content, not article or comment): 'given' trains them "
                   "as editorial; 'pseudo' labels them editorial or comment with a model fitted without them (in "
                   "each fold on its training pages only), and the lexicon does not learn from them: higher "
                   "held-out comment and editorial F1 on Dragnet's renderings, threads decoded later "
                   "(docs/text-model.md, session 29).")
@click.option("--boundary-copies", type=click.IntRange(min=0), default=0, show_default=True,
              help=f"Give the article blocks among the {BOUNDARY_BLOCKS} right before each training page's first "
                   f"comment, and its first {BOUNDARY_BLOCKS} comment blocks, this many extra copies among the "
                   "networks' training rows (the ensemble's; the teacher's with --distill): held out, threads "
                   "started nearer their first comment, and more article tails were called a thread "
                   "(docs/text-model.md, session 30).")
@IGNORE_COLUMN_OPTION
@click.option("--no-public", is_flag=True, help="Train on the --labelled files only (no public corpora).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write unusable records of the --labelled files here, verbatim.")
def main(corpora_dir, out, card, folds, seed, bbc_pages, max_dragnet, max_epochs, metrics_json, save_oof,
         labelled, schema, cv_by, cv_seed, networks, distill, teacher, jobs, checkpoint, no_public, rejects, l2,
         decoder, content_labels, boundary_copies, ignore_columns, hidden):
    """Train the plain-text block model on the real corpora and/or your own labelled pages."""
    command = "newswinnow train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    t0 = time.time()
    ignore = ignore_column_names(ignore_columns, TEXT_SCHEMAS[schema])
    if no_public and not labelled:
        raise click.UsageError("--no-public needs at least one --labelled FILE")
    if teacher is not None and not distill:
        raise click.UsageError("--teacher is the final teacher of --distill")
    if not no_public:
        require_corpora(corpora_dir, ("dragnet_train", "cleaneval") + ("bbc_news",) * (bbc_pages > 0),
                        "; or train on your own pages alone: --no-public --labelled FILE")
    final_teacher = _load_teacher(teacher, schema) if teacher is not None else None
    pages = [] if no_public else load_pages(corpora_dir, DRAGNET_VARIANTS, bbc_pages, seed=seed,
                                            max_dragnet=max_dragnet,
                                            sms_rounds=SMS_ROUNDS_BY_SCHEMA.get(schema, 0))
    user_pages, user_files = read_user_files(labelled, rejects)
    pages = pages + user_pages
    if not pages:
        raise click.ClickException("no usable labelled page to train on")
    M = featurize(pages, schema)
    n_groups = len(set(M.groups.tolist()))
    n_cv_groups = len(set(cv_groups(M, cv_by).tolist()))
    if folds >= 2 and n_cv_groups < folds:
        what = "sources" if cv_by == "source" else "pages"
        raise click.ClickException(
            f"{folds}-fold cross-validation by {cv_by} needs at least {folds} {what}, got {n_cv_groups} "
            "(give records a 'source' or 'url', use --cv-by page, or lower --folds; --folds 0 skips the "
            "evaluation)" if cv_by == "source" else
            f"{folds}-fold cross-validation by {cv_by} needs at least {folds} {what}, got {n_cv_groups} "
            "(lower --folds; --folds 0 skips the evaluation)")
    if n_groups < 2:
        raise click.ClickException("the lexicon's out-of-fold scores need pages from at least 2 sources "
                                   "(give records a 'source' or 'url')")
    fewest = min([len(M.y)] + ([sum(int(M.offsets[i + 1] - M.offsets[i]) for i in tr)
                                for tr, _ in fold_pages(M, folds, cv_by, cv_seed)] if folds >= 2 else []))
    if fewest < MIN_FIT_ROWS:
        raise click.ClickException(f"too few labelled blocks to fit a network: {fewest} training blocks "
                                   + ("in a cross-validation fold " if fewest < len(M.y) else "")
                                   + f"(at least {MIN_FIT_ROWS}; label more pages)")
    click.echo(f"{len(M.pages)} pages, {len(M.y)} blocks, {M.X.shape[1]} features "
               f"({time.time() - t0:.0f}s); label counts {np.bincount(M.y, minlength=4).tolist()}", err=True)
    spam = [] if no_public else lexicon.spam_examples(corpora_dir)
    spam += [(t, True) for p in user_pages for t, lab in zip(p.texts, p.labels) if lab == "spam"]
    content_only = content_only_pages(M.pages) if content_labels == "pseudo" else np.zeros(len(M.pages), bool)
    unlabelled = unlabelled_rows(content_only, M.offsets, M.y)
    scorer, oof = lexicon.fit_with_oof_rows([t for p in M.pages for t in p.texts], M.y, M.groups, seed, ~unlabelled,
                                            folds=min(lexicon.OOF_FOLDS, n_groups), spam=spam)
    M.set_lexical(oof)
    click.echo(f"lexicon: {len(scorer.words)} words ({time.time() - t0:.0f}s)", err=True)
    final_y = M.y
    if unlabelled.any():
        final_y = pseudo_labels(M.X, M.y, M.offsets, np.arange(len(M.pages)), content_only, seed, max_epochs,
                                schema, l2, decoder, ignore, hidden)
        comment = LABELS.index("comment")
        click.echo(f"content labels: {int(unlabelled.sum())} content rows of {int(content_only.sum())} "
                   f"{'/'.join(CONTENT_ONLY_CORPORA)} pages, {int((final_y[unlabelled] == comment).sum())} labelled "
                   f"comment by a model fitted without them ({time.time() - t0:.0f}s)", err=True)
    if final_teacher is not None and (final_teacher.meta.get("rows"), final_teacher.meta.get("pages")) != (
            len(M.y), len(M.pages)):
        click.echo(f"note: --teacher {teacher} was trained on {final_teacher.meta.get('rows')} blocks from "
                   f"{final_teacher.meta.get('pages')} pages, this run has {len(M.y)} from {len(M.pages)}: its "
                   "student learns it on other data than it saw", err=True)
    result: dict = {"folds": folds}
    temperature = 1.0
    emphasis = boundary_rows(final_y, M.offsets, np.arange(len(M.pages))) if boundary_copies else None
    final_args = (seed, max_epochs, networks, schema, distill, final_teacher, l2, emphasis, boundary_copies, ignore,
                  hidden)
    model = None
    if folds >= 2:
        groups = cv_groups(M, cv_by)  # the folds' groups, also saved for the page gate's nested CV
        click.echo(f"cross-validation by {cv_by}: {len(set(groups.tolist()))} groups", err=True)
        cv = cross_validate(M, folds, seed, max_epochs, log=lambda s: click.echo(s, err=True),
                            n_networks=networks, by=cv_by, distill=distill, jobs=jobs, checkpoint=checkpoint,
                            final=final_args if jobs > 1 else None, l2=l2, decoder=decoder, cv_seed=cv_seed,
                            content_labels=content_labels if unlabelled.any() else "given", final_y=final_y,
                            boundary_copies=boundary_copies, ignore=ignore, hidden=hidden)
        model = cv["final"]
        temperature = cv["temperature"]
        if save_oof:
            kinds = np.array([page_kind(p) for p in M.pages])
            save_oof.parent.mkdir(parents=True, exist_ok=True)
            extra = {"teacher_logits": cv["teacher_logits"]} if distill else {}
            if unlabelled.any():  # (training.page_gate leaves these pages out of the gate's fit)
                extra["content_only"] = content_only
            np.savez(save_oof, logits=cv["logits"], member_logits=cv["member_logits"], y=M.y, offsets=M.offsets,
                     kinds=kinds, groups=groups, folds=np.array(folds), page_fold=cv["page_fold"], **extra)
        result["cv_decoded"] = summarise(M, cv["decoded"])
        result["cv_argmax"] = summarise(M, np.argmax(cv["logits"], axis=1))
        if distill:
            result["teacher_decoded"] = summarise(M, cv["teacher_decoded"])
            result["teacher_temperature"] = cv["teacher_temperature"]
        click.echo(metrics.format_report(result["cv_decoded"]["overall"]["report"],
                                         np.array(result["cv_decoded"]["overall"]["confusion"])), err=True)
    if model is None:
        model = fit_final(M.X, final_y, *final_args)
    teacher_networks = networks if final_teacher is None else 1 + len(final_teacher.members)
    if distill:
        click.echo(f"student of {teacher_networks} networks ({time.time() - t0:.0f}s)", err=True)
    model.temperature = temperature
    model.lexical = scorer
    bounds = zip(M.offsets[:-1], M.offsets[1:])
    model.set_tables(*decode.fit_decoder(([LABELS[k] for k in final_y[a:b]] for a, b in bounds), decoder))
    model.prior = label_prior(final_y)
    model.meta = {**{k: v for k, v in model.meta.items() if k == "ignored_columns"},
                  "version": "1.0", "trained": date.today().isoformat(), "command": command,
                  "sklearn": sklearn.__version__, "rows": int(len(M.y)), "pages": len(M.pages),
                  "hidden_layers": list(hidden_widths(model)), "l2_alpha": l2, "decoder": decoder,
                  "content_labels": content_labels,
                  **({"boundary_copies": boundary_copies} if boundary_copies else {}),
                  "public_corpora": not no_public,
                  "labelled": user_files}
    if distill:
        model.meta["distilled_from"] = {"networks": teacher_networks,
                                        "teacher": final_teacher.name if teacher is not None else "fitted in this run"}
    model.save(out)
    click.echo(f"wrote {out}.json / {out}.npz ({time.time() - t0:.0f}s)", err=True)
    stale = page_gate.gate_path(out)
    if stale.exists():  # fitted for the model just overwritten: it would refuse to load with this one
        stale.unlink()
        click.echo(f"removed {stale} (the previous model's page gate); refit it for this model with "
                   f"`python -m training.page_gate --oof OOF --model {out}.json` (train with --save-oof OOF)",
                   err=True)
    stale = thread_start.start_path(out)
    if stale.exists():  # the thread-start scorer of the overwritten model: refused with this one too
        stale.unlink()
        click.echo(f"removed {stale} (the previous model's thread-start scorer); refit it with "
                   f"`python -m training.thread_start --oof OOF --model {out}.json`", err=True)
    if folds >= 2:
        write_card(card, result, command, len(M.y), len(M.pages), temperature, schema, public=not no_public,
                   user_files=user_files, cv_by=cv_by, networks=networks, distill=distill, l2=l2,
                   decoder=decoder, content_labels=content_labels if unlabelled.any() else "given",
                   boundary_copies=boundary_copies, hidden=hidden_widths(model))
        click.echo(f"wrote {card}", err=True)
        if metrics_json:
            metrics_json.write_text(json.dumps(dict(result.items()), indent=1))
