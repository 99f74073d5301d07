"""Token-level scores of out-of-fold HTML predictions on the training pages, for choosing decode rules.

The held-out pages measure the HTML model (``benchmarks/bench_html.py``); settings are chosen on
the training pages' out-of-fold predictions (each page predicted by a network that never saw its
source domain). This module scores labelings of those pages as the benchmark scores the held-out
ones - bags of word tokens per page, precision/recall/F1 of the editorial and of the comment text
against the gold, averaged over pages (comment scores over the pages whose gold has comments) -
and chooses the comment-thread thresholds of ``classifier.html_decode.fill_threads`` with it.

Pages scored: the training pages themselves (not their ``#spam`` renderings or Readability
copies). Gold: the page's aligned gold parts (``training.html_data``; Readability's is its
expected main content segmented by the same segmenter).

``train --html --save-oof FILE`` writes the out-of-fold arrays;
``python -m training.html_oof --oof FILE`` prints the scores of the plain decoding, of the
decode constraints with the thresholds chosen on them, and of the thread-template step after
them (``classifier.thread_template``, as the classifier runs it on HTML).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np
from scipy import sparse

from classifier import html_decode
from classifier.model import LABELS

from . import corpora
from .dataset import DEFAULT_CORPORA
from .html_data import is_holdout, load_html_pages
from .train import calibrated

EDITORIAL, COMMENT = LABELS.index("editorial"), LABELS.index("comment")


@dataclass
class TokenGold:
    """Per scored page: block x page-vocabulary token counts and the gold token counts."""

    index: list[int] = field(default_factory=list)   # the page's position among all pages
    kinds: list[str] = field(default_factory=list)
    bags: list[sparse.csr_matrix] = field(default_factory=list)
    gold_ed: list[np.ndarray] = field(default_factory=list)
    gold_cm: list[np.ndarray] = field(default_factory=list)


def _bags(texts: Sequence[str], gold: dict[str, list[str]]) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for tok in corpora.tokenize(t):
            rows.append(i)
            cols.append(vocab.setdefault(tok, len(vocab)))
    gold_ids = [[vocab.setdefault(tok, len(vocab)) for line in gold.get(part, []) for tok in corpora.tokenize(line)]
                for part in (corpora.EDITORIAL, corpora.COMMENT)]
    v = len(vocab)
    bag = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), v))
    ed, cm = (np.bincount(np.array(g, dtype=np.int64), minlength=v).astype(np.float64) for g in gold_ids)
    return bag, ed, cm


def token_gold(pages: Sequence[corpora.LabeledPage]) -> TokenGold:
    """Token bags of the pages that carry their gold (``meta["gold"]``), renderings and copies left out."""
    out = TokenGold()
    for i, p in enumerate(pages):
        if "#" in p.id or "gold" not in p.meta:
            continue
        bag, ed, cm = _bags(p.texts, p.meta["gold"])
        out.index.append(i)
        out.kinds.append(p.corpus.split(":")[0])
        out.bags.append(bag)
        out.gold_ed.append(ed)
        out.gold_cm.append(cm)
    return out


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    n_p, n_g = pred.sum(), gold.sum()
    if n_p == 0 and n_g == 0:
        return 1.0
    common = np.minimum(pred, gold).sum()
    return 0.0 if common == 0 else float(2 * common / (n_p + n_g))


def page_scores(tg: TokenGold, labels: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per scored page (editorial token F1, comment token F1; NaN without gold comments).
    ``labels`` holds every page's labels (indexed like the pages ``tg`` was built from)."""
    ed = np.zeros(len(tg.index))
    cm = np.full(len(tg.index), np.nan)
    for k, i in enumerate(tg.index):
        lab, bag = labels[i], tg.bags[k]
        ed[k] = _f1(bag.T @ (lab == EDITORIAL).astype(np.float64), tg.gold_ed[k])
        if tg.gold_cm[k].sum() > 0:
            cm[k] = _f1(bag.T @ (lab == COMMENT).astype(np.float64), tg.gold_cm[k])
    return ed, cm


def has_comments_f1(tg: TokenGold, labels: Sequence[np.ndarray], kind: str = "dragnet") -> float:
    """F1 of "the page has comments" (any block labelled comment) against the gold, over the
    scored pages of ``kind``."""
    gold = np.array([c.sum() > 0 for c, k in zip(tg.gold_cm, tg.kinds) if k == kind])
    pred = np.array([(labels[i] == COMMENT).any() for i, k in zip(tg.index, tg.kinds) if k == kind])
    tp = int((gold & pred).sum())
    return 2 * tp / max(int(gold.sum() + pred.sum()), 1)


def summary(tg: TokenGold, labels: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean token F1 per kind (editorial over all its pages, comment over those with gold comments)
    and the page-level has-comments F1 of Dragnet."""
    ed, cm = page_scores(tg, labels)
    kinds = np.array(tg.kinds)
    out: dict[str, float] = {}
    for k in sorted(set(tg.kinds)):
        m = kinds == k
        out[f"{k}_editorial"] = float(ed[m].mean())
        c = cm[m & ~np.isnan(cm)]
        if c.size:
            out[f"{k}_comment"] = float(c.mean())
            out[f"{k}_has_comments"] = has_comments_f1(tg, labels, k)
    return out


def thread_objective(tg: TokenGold, labels: Sequence[np.ndarray]) -> float:
    """What the comment-thread thresholds maximise: mean comment token F1 of the Dragnet pages with
    gold comments plus the has-comments F1 of all Dragnet pages (more comment text must not come
    from labelling comments on pages that have none)."""
    _, cm = page_scores(tg, labels)
    dragnet = np.array(tg.kinds) == "dragnet"
    return float(np.nanmean(cm[dragnet])) + has_comments_f1(tg, labels)


def choose_thread_thresholds(tg: TokenGold, decoded: list[np.ndarray], probas: Sequence[np.ndarray],
                             in_comment: Sequence[np.ndarray]) -> tuple[tuple[float, float], dict[str, float]]:
    """(``comment_min``, ``thread_comment_min``) with the best ``thread_objective`` over the grid
    (0 = off; the thread threshold never above the other), applied after the other constraints.
    Ties go to the higher (more conservative) thresholds."""
    grid = (0.0, *html_decode.COMMENT_GRID)
    scores: dict[str, float] = {}
    best, best_key = -1.0, (0.0, 0.0)
    for hi in grid:
        for lo in grid:
            if hi and lo and lo > hi:
                continue
            s = thread_objective(tg, html_decode.fill_threads(decoded, probas, in_comment, hi, lo))
            scores[f"{hi}/{lo}"] = s
            key = (s, hi or 1.0, lo or 1.0)
            if key > (best, best_key[0] or 1.0, best_key[1] or 1.0):
                best, best_key = s, (hi, lo)
    return best_key, scores


def load(oof_path: Path, corpora_dir: Path) -> tuple[TokenGold, dict]:
    """``train --html --save-oof`` arrays split per page, with the token gold of the training pages."""
    with np.load(oof_path, allow_pickle=False) as npz:
        z = {k: npz[k] for k in npz.files}  # each npz[k] re-reads the archive: read once
    ids = [str(i) for i in z["ids"]]
    off = z["offsets"]
    spans = [slice(int(off[i]), int(off[i + 1])) for i in range(len(ids))]
    pages = {p.id: p for p in load_html_pages(corpora_dir) if not is_holdout(p.group)}
    stand_in = corpora.LabeledPage("#", "", "", [], [], "", {})
    found = [pages.get(pid, stand_in) for pid in ids]
    tg = token_gold(found)
    for k, i in enumerate(tg.index):
        if tg.bags[k].shape[0] != spans[i].stop - spans[i].start:
            raise ValueError(f"{ids[i]}: block count differs from {oof_path} (segmenter changed?)")
    proba = calibrated(z["logits"], float(z["temperature"]))
    texts = [page.texts if page is not stand_in and len(page.texts) == s.stop - s.start else None
             for page, s in zip(found, spans)]
    arrays = {"ids": ids, "proba": [proba[s] for s in spans], "decoded": [z["decoded"][s] for s in spans],
              "in_top": [z["in_top"][s] for s in spans], "in_comment": [z["in_comment"][s] for s in spans],
              "y": [z["y"][s] for s in spans], "texts": texts}
    return tg, arrays


# Pages per feature pass when the thread-template step is replayed (the classifier's batch size).
STEP_BATCH = 128


def with_thread_template(labels: Sequence[np.ndarray], texts: Sequence[Sequence[str] | None]) -> list[np.ndarray]:
    """``labels`` after ``classifier.thread_template.extend_starts``, as the classifier runs it on
    HTML pages (after the decode constraints, on the meta lines of the blocks' text columns);
    pages without their texts (``None``) are left as they are."""
    from classifier import thread_template
    from features.extract import extract_batch

    out = list(labels)
    have = [i for i, t in enumerate(texts) if t is not None]
    for k in range(0, len(have), STEP_BATCH):
        chunk = have[k:k + STEP_BATCH]
        page_texts = [[t.replace("\n", " ") for t in texts[i]] for i in chunk]
        pf, offsets = extract_batch(page_texts)
        decoded = [out[i].copy() for i in chunk]  # the caller's labels stay as they were
        thread_template.extend_starts(decoded, pf.X, [t for pt in page_texts for t in pt], offsets)
        for i, d in zip(chunk, decoded):
            out[i] = d
    return out


@click.command()
@click.option("--oof", "oof_path", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--corpora", "corpora_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPORA)
@click.option("--empty-page-min", type=float, default=0.1, show_default=True)
@click.option("--top-min", type=float, default=0.4, show_default=True)
@click.option("--card", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the thread-template step's section into this model card, replacing its old one.")
def main(oof_path: Path, corpora_dir: Path, empty_page_min: float, top_min: float, card: Path | None) -> None:
    """Print out-of-fold token scores: plain decoding, the editorial constraints, then the thread one."""
    tg, a = load(oof_path, corpora_dir)
    fmt = lambda s: ", ".join(f"{k} {v:.4f}" for k, v in s.items())  # noqa: E731
    click.echo(f"{len(tg.index)} pages; decoded: {fmt(summary(tg, a['decoded']))}")
    base = html_decode.fill_empty_pages(a["decoded"], a["proba"], empty_page_min)
    base = html_decode.fill_main_content(base, a["proba"], a["in_top"], top_min)
    click.echo(f"editorial constraints: {fmt(summary(tg, base))}")
    (hi, lo), _ = choose_thread_thresholds(tg, base, a["proba"], a["in_comment"])
    threads = html_decode.fill_threads(base, a["proba"], a["in_comment"], hi, lo)
    click.echo(f"comment threads {hi}/{lo}: {fmt(summary(tg, threads))}")
    stepped = with_thread_template(threads, a["texts"])
    click.echo(f"then the thread-template step: {fmt(summary(tg, stepped))}")
    if card:
        from .page_gate import write_card_section
        from .thread_template import CARD_HEADING

        before, after = summary(tg, threads), summary(tg, stepped)
        moved = sum(not np.array_equal(x, y) for x, y in zip(threads, stepped))
        with_texts = sum(t is not None for t in a["texts"])
        rows = "\n".join(f"| {k} | {before[k]:.4f} | {after[k]:.4f} |" for k in before)
        command = "python -m training.html_oof " + " ".join(shlex.quote(x) for x in sys.argv[1:])
        write_card_section(card, f"""{CARD_HEADING}

The classifier runs `classifier/thread_template.py` on HTML pages after the decode constraints: a
decoded thread starts at its own first commenter block where the thread repeats that block's
template. Out-of-fold token F1 of the training pages of the oof file in the command below (which
training run made it: docs/html.md), with the comment thresholds {hi}/{lo} chosen on it, before ->
after the step (`{command}`; the step moved
{moved} of the {with_texts} pages read with their texts):

| scores | before | after |
|---|---:|---:|
{rows}
""", CARD_HEADING)
        click.echo(f"wrote the thread-template section of {card}")


if __name__ == "__main__":  # pragma: no cover
    main()
