"""Does one network distilled from the ensemble keep the ensemble's accuracy? One held-out fold.

Fold ``--fold`` of ``newswinnow train``'s 5-fold cross-validation by source (same pages, features,
lexicon out-of-fold columns and seed as ``train``). Teacher: ``fit_network`` with ``--networks``
networks on the fold's training rows. Student: ``training.train.fit_student``, the one network
``newswinnow train --distill`` ships, fitted to the teacher's logits on those rows. On the fold's
test rows it prints macro-F1 (argmax and
after Viterbi decoding with tables from the training pages; each model's temperature fitted on
the test rows alike) for 1 network, 3, all of the teacher's, and the student.

    OPENBLAS_NUM_THREADS=1 python benchmarks/distill_fold.py [--networks 8] [--fold 0]

About 45 minutes on a 2-core EPYC VM (featurising 4 min, eight networks 34, the student 5).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Train teacher and student on one fold's training rows; print the test-row figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--networks", type=int, default=8, help="teacher networks (default: %(default)s)")
    ap.add_argument("--fold", type=int, default=0, help="which of the 5 folds to hold out (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-dragnet", type=int, default=None, help="fewer Dragnet pages (a quick smoke run)")
    ap.add_argument("--bbc-pages", type=int, default=None, help="BBC pages (default: train's)")
    args = ap.parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from sklearn.metrics import f1_score

    from classifier import decode
    from classifier.model import LABELS
    from features.text_schema import TRAIN_SCHEMA
    from training import lexicon
    from training.dataset import DEFAULT_BBC_PAGES, DRAGNET_VARIANTS, SMS_ROUNDS_BY_SCHEMA, featurize, load_pages
    from training.train import (
        MAX_EPOCHS,
        calibrated,
        fit_network,
        fit_student,
        fit_temperature,
        fold_pages,
        label_prior,
        member_logits,
    )

    t0 = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - t0:6.0f}s] {msg}", file=sys.stderr, flush=True)

    schema = TRAIN_SCHEMA
    bbc = args.bbc_pages if args.bbc_pages is not None else DEFAULT_BBC_PAGES
    pages = load_pages(args.corpora, DRAGNET_VARIANTS, bbc, seed=args.seed, max_dragnet=args.max_dragnet,
                       sms_rounds=SMS_ROUNDS_BY_SCHEMA.get(schema, 0))
    M = featurize(pages, schema)
    n_groups = len(set(M.groups.tolist()))
    _, oof = lexicon.fit_with_oof([t for p in M.pages for t in p.texts], M.y, M.groups, args.seed,
                                  folds=min(lexicon.OOF_FOLDS, n_groups), spam=lexicon.spam_examples(args.corpora))
    M.set_lexical(oof)
    tr_pages, te_pages = fold_pages(M, 5, "source")[args.fold]
    tr = np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in tr_pages])
    te = np.concatenate([np.arange(M.offsets[i], M.offsets[i + 1]) for i in te_pages])
    log(f"{M.X.shape[0]} rows; fold {args.fold}: {len(tr)} training rows, {len(te)} test rows")

    teacher = fit_network(M.X[tr], M.y[tr], args.seed, MAX_EPOCHS, args.networks, schema=schema)
    log(f"teacher: {args.networks} networks")
    members = member_logits(teacher, M.X[te]).astype(np.float64)
    student = fit_student(M.X[tr], M.y[tr], teacher, args.seed, MAX_EPOCHS)
    log("student")
    s_te = student.logits(M.X[te]).astype(np.float64)

    y = M.y[te]
    log_start, log_trans = decode.fit_transitions(M.pages[i].labels for i in tr_pages)
    prior = label_prior(M.y[tr])
    sizes = [int(M.offsets[i + 1] - M.offsets[i]) for i in te_pages]  # te rows are these pages in order
    cuts = np.cumsum([0, *sizes])

    def report(name: str, logits: np.ndarray) -> None:
        t = fit_temperature(logits, y)
        P = calibrated(logits, t)
        dec = np.concatenate([decode.viterbi(P[a:b], prior, log_start, log_trans) for a, b in zip(cuts[:-1], cuts[1:])])
        f_arg = f1_score(y, P.argmax(axis=1), average=None, labels=range(len(LABELS)))
        f_dec = f1_score(y, dec, average=None, labels=range(len(LABELS)))
        per = " ".join(f"{LABELS[k]} {f_dec[k]:.3f}" for k in range(len(LABELS)))
        print(f"{name:14s} T={t:4.1f}  argmax macro-F1 {f_arg.mean():.4f}  decoded {f_dec.mean():.4f}  ({per})")

    report("1 network", members[0])
    if args.networks > 3:
        report("3 networks", members[:3].mean(axis=0))
    report(f"{args.networks} networks", members.mean(axis=0))
    report("student", s_te)
    agree = float((s_te.argmax(axis=1) == members.mean(axis=0).argmax(axis=1)).mean())
    print(f"student argmax = teacher argmax on {agree:.4f} of test rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
