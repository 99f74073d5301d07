"""``train --content-labels pseudo``: content-only corpora (CleanEval) relabelled editorial or comment by
a model fitted without them, and a lexicon that never learns from those rows."""

from __future__ import annotations

import numpy as np

from classifier.model import LABELS
from training import lexicon
from training.train import content_only_pages, pseudo_labels

EDITORIAL, COMMENT, BOILERPLATE = (LABELS.index(k) for k in ("editorial", "comment", "boilerplate"))
ROWS = 20


def _pages(rng: np.random.Generator, n_pages: int, content_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pages of 20 rows: 3 furniture rows, 10 article rows, 7 thread rows. Column 0 tells article (+2)
    from thread (-2), column 1 marks furniture. A content-only page's article and thread rows are
    both labelled editorial, as CleanEval's gold says "content" for both."""
    X, y = [], []
    for _ in range(n_pages):
        kind = np.array([BOILERPLATE] * 3 + [EDITORIAL] * 10 + [COMMENT] * 7)
        x = rng.normal(0.0, 0.5, size=(ROWS, 6)).astype(np.float32)
        x[:, 0] += np.where(kind == EDITORIAL, 2.0, np.where(kind == COMMENT, -2.0, 0.0))
        x[:, 1] += np.where(kind == BOILERPLATE, 3.0, 0.0)
        X.append(x)
        y.append(np.where(kind == COMMENT, EDITORIAL, kind) if content_only else kind)
    return np.vstack(X), np.concatenate(y)


def test_content_rows_take_the_labellers_article_or_thread_and_nothing_else_moves() -> None:
    rng = np.random.default_rng(0)
    Xa, ya = _pages(rng, 40, content_only=False)
    Xb, yb = _pages(rng, 12, content_only=True)
    X, y = np.vstack([Xa, Xb]), np.concatenate([ya, yb])
    offsets = np.arange(0, len(y) + 1, ROWS)
    content_only = np.array([False] * 40 + [True] * 12)
    train_pages = np.arange(50)  # the last two content-only pages are a test fold's: never relabelled
    got = pseudo_labels(X, y, offsets, train_pages, content_only, seed=0, max_epochs=30, schema="text-6",
                        l2=0.01, decoder="auto")
    assert got is not y and np.array_equal(y, np.concatenate([ya, yb]))  # the input is not written to
    first_cleaneval, first_test = 40 * ROWS, 50 * ROWS
    assert np.array_equal(got[:first_cleaneval], y[:first_cleaneval])  # pages with article/comment gold
    assert np.array_equal(got[first_test:], y[first_test:])  # content-only pages outside training
    part = slice(first_cleaneval, first_test)
    furniture = y[part] == BOILERPLATE
    assert np.array_equal(got[part][furniture], y[part][furniture])
    assert set(np.unique(got[part][~furniture]).tolist()) <= {EDITORIAL, COMMENT}
    # The thread rows (column 0 near -2) become comment, the article rows stay editorial.
    thread = Xb[: 10 * ROWS, 0] < -1.0
    content = ~furniture
    assert (got[part][thread & content] == COMMENT).mean() > 0.9
    assert (got[part][~thread & content] == EDITORIAL).mean() > 0.9


def test_nothing_to_relabel_without_content_only_training_pages() -> None:
    rng = np.random.default_rng(1)
    X, y = _pages(rng, 6, content_only=False)
    offsets = np.arange(0, len(y) + 1, ROWS)
    got = pseudo_labels(X, y, offsets, np.arange(6), np.zeros(6, dtype=bool), seed=0, max_epochs=5,
                        schema="text-6", l2=0.01, decoder="auto")
    assert np.array_equal(got, y)


def test_content_only_pages_are_cleaneval_pages() -> None:
    class Page:
        def __init__(self, corpus: str) -> None:
            self.corpus = corpus

    got = content_only_pages([Page("cleaneval-dev"), Page("dragnet"), Page("cleaneval-final"), Page("bbc")])
    assert got.tolist() == [True, False, True, False]


def test_lexicon_rows_left_out_do_not_train_it_and_are_scored_by_it() -> None:
    rng = np.random.default_rng(2)
    words = {EDITORIAL: ["minister", "said", "government", "report"], COMMENT: ["lol", "you", "agree", "dude"],
             BOILERPLATE: ["login", "menu", "copyright", "share"]}
    y = rng.choice([EDITORIAL, COMMENT, BOILERPLATE], size=600)
    texts = [" ".join(rng.choice(words[k], size=6)) for k in y]
    groups = np.arange(600) % 30
    fit_rows = np.arange(600) >= 100
    scorer, oof = lexicon.fit_with_oof_rows(texts, y, groups, 0, fit_rows)
    flipped = y.copy()
    flipped[:100] = BOILERPLATE  # other labels on the rows left out: the same lexicon
    scorer2, oof2 = lexicon.fit_with_oof_rows(texts, flipped, groups, 0, fit_rows)
    assert np.array_equal(scorer.weights, scorer2.weights) and np.array_equal(oof, oof2)
    # Those rows carry the fitted lexicon's own scores, as it scores a block at classify time.
    tokens = [t for text in texts[:100] for t in lexicon._tokens(text)]
    block = np.repeat(np.arange(100), [len(lexicon._tokens(text)) for text in texts[:100]])
    assert np.allclose(oof[:100], scorer.score(tokens, block, 100), atol=1e-5)
    # and the lexicon learnt from the other rows: comment words score comment above editorial
    assert (oof[100:][y[100:] == COMMENT, COMMENT] > oof[100:][y[100:] == COMMENT, EDITORIAL]).mean() > 0.9
