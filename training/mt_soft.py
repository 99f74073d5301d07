"""Train the soft translationese model (``features/mt_soft.py``) and write it as JSON.

    python -m training.mt_soft --corpora ../shared/corpora --out data/mt-soft.json

Data: ``mt/htmt_deen_wmt``, WMT years ``TRAIN_YEARS`` only (2016-2019 and the Chinese->English
MQM talks stay unseen for ``benchmarks/mt_acceptance.py``). Positives: DeepL/Google outputs of
German news and German->English round trips of English news; negatives: the WMT human
references and the original English. Class weights balance the two (one human text per two
MT texts), so ``z = 0`` means even odds.

1. Block model: every sentence is one block; its symbol unigram and pair counts
   (``features.mt_soft.symbol_ngrams``), pairs seen in fewer than ``MIN_PAIR_DF`` sentences
   dropped, divided by ``sqrt(n + 1)``; L2 logistic regression (``C = BLOCK_C``).
2. Page calibration: the block model is refitted ``CALIBRATION_FOLDS`` times leaving whole
   years out; the out-of-fold block logits of pages of ``CALIBRATION_PAGE_SIZES`` sentences
   give ``S``, and a 1-D logistic regression ``p = sigmoid(a * S + b)`` on them.
Seeded; the same command gives the same file on the same data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from features.mt_soft import SOFT_SCHEMA, SoftModel, V, ngram_counts, prose_mask, soft_scores, symbol_ngrams

from .dataset import DEFAULT_CORPORA
from .mt_corpora import make_pages, read_htmt

TRAIN_YEARS = range(2008, 2016)
MIN_PAIR_DF = 5
BLOCK_C = 1.0
CALIBRATION_FOLDS = 4
CALIBRATION_PAGE_SIZES = (5, 40)
SEED = 0
MAX_ITER = 5000


def block_matrix(texts: list[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Unigram + pair counts per block (columns: V unigrams, then V*V pairs), and prose mask."""
    ng = symbol_ngrams(texts)
    n = len(texts)
    rows = np.concatenate((ng.uni_block, ng.pair_block))
    cols = np.concatenate((ng.uni, V + ng.pair))
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, V + V * V))
    X.sum_duplicates()
    scale = 1.0 / np.sqrt(ngram_counts(ng, n) + 1.0)
    return sparse.diags(scale) @ X, prose_mask(ng)


def fit_blocks(X: sparse.csr_matrix, y: np.ndarray, keep: np.ndarray) -> LogisticRegression:
    """L2 logistic regression on the kept columns, classes balanced."""
    model = LogisticRegression(C=BLOCK_C, class_weight="balanced", max_iter=MAX_ITER)
    return model.fit(X[:, keep], y)


def to_soft_model(clf: LogisticRegression, keep: np.ndarray, page_a: float, page_b: float, meta: dict) -> SoftModel:
    w = np.zeros(V + V * V)
    w[keep] = clf.coef_[0]
    return SoftModel(w[:V].copy(), w[V:].copy(), float(clf.intercept_[0]), page_a, page_b, meta)


def main(argv: list[str] | None = None) -> None:
    """Train the soft MT model on htmt_deen_wmt (TRAIN_YEARS) and write it."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--out", type=Path, default=Path("data/mt-soft.json"))
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = [s for s in read_htmt(args.corpora) if s.year in TRAIN_YEARS]
    texts = [s.text for s in rows]
    y = np.array([s.is_mt for s in rows])
    years = np.array([s.year for s in rows])
    X, prose = block_matrix(texts)
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero((np.arange(X.shape[1]) < V) | (df >= MIN_PAIR_DF))
    print(f"{len(texts)} sentences ({int(y.sum())} MT), {int(prose.sum())} scored as prose, "
          f"{len(keep) - V} pairs kept", file=sys.stderr)

    # Out-of-fold block logits, whole years left out, for an honest page calibration.
    uniq_years = np.array(sorted(set(years.tolist())))
    folds = np.array_split(uniq_years, CALIBRATION_FOLDS)
    pages_S, pages_y = [], []
    oof_block = np.zeros(len(texts))
    for held in folds:
        test = np.isin(years, held)
        clf = fit_blocks(X[~test], y[~test], keep)
        fold_model = to_soft_model(clf, keep, 1.0, 0.0, {})
        oof_block[test] = clf.decision_function(X[test][:, keep])
        fold_rows = [s for s, t in zip(rows, test) if t]
        pages = make_pages(fold_rows, CALIBRATION_PAGE_SIZES, seed=SEED)
        for p in pages:
            sc = soft_scores(p.sentences, np.zeros(len(p.sentences), dtype=np.int64), 1, fold_model)
            pages_S.append(sc.page_stat[0])
            pages_y.append(p.is_mt)
    S = np.array(pages_S).reshape(-1, 1)
    cal = LogisticRegression(C=1e6, max_iter=MAX_ITER).fit(S, np.array(pages_y))
    page_auc = roc_auc_score(pages_y, S[:, 0])
    block_auc = roc_auc_score(y[prose], oof_block[prose])
    print(f"leave-years-out on {TRAIN_YEARS.start}-{TRAIN_YEARS.stop - 1}: block AUC {block_auc:.3f} "
          f"(prose blocks), page AUC {page_auc:.3f} ({len(pages_y)} pages of "
          f"{CALIBRATION_PAGE_SIZES[0]}-{CALIBRATION_PAGE_SIZES[1]} sentences)", file=sys.stderr)

    clf = fit_blocks(X, y, keep)
    meta = {
        "trained_on": f"htmt_deen_wmt years {TRAIN_YEARS.start}-{TRAIN_YEARS.stop - 1} "
                      "(human reference + original English vs DeepL/Google and round trips)",
        "command": "python -m training.mt_soft --corpora ../shared/corpora --out data/mt-soft.json",
        "sentences": len(texts), "block_C": BLOCK_C, "min_pair_df": MIN_PAIR_DF,
        "oof_block_auc": round(float(block_auc), 4), "oof_page_auc": round(float(page_auc), 4),
        "sklearn": sklearn.__version__,
    }
    model = to_soft_model(clf, keep, float(cal.coef_[0, 0]), float(cal.intercept_[0]), meta)
    data = model.to_json()
    assert data["schema"] == SOFT_SCHEMA
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
