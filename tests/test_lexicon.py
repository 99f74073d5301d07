"""The learned lexicon's columns, in particular the spam-vs-comment column (training mechanics)."""

from __future__ import annotations

import numpy as np

from features.extract import FEATURE_NAMES, extract
from features.lexical import LEXICAL_COLUMNS, LEXICAL_LABELS
from training import lexicon

SPAM = ["buy cheap pills now at my site", "cheap pills click my link now", "subscribe to my channel for cheap pills",
        "click my link and win cash now", "win cash now subscribe to my channel"] * 6
HAM = ["i love this song so much", "this video is great", "love the song and the video",
       "great song i love it", "the video made my day"] * 6
NEWS = ["i agree with the article about the council", "the council should not raise taxes again",
        "the mayor is wrong about the bridge", "good article on the bridge budget"] * 10
ARTICLE = ["the council approved the bridge budget on tuesday officials said"] * 40


def _pages() -> tuple[list[str], np.ndarray, np.ndarray]:
    texts = ARTICLE + NEWS + SPAM[:10] + HAM[:10]
    y = np.array([0] * len(ARTICLE) + [1] * len(NEWS) + [2] * 10 + [1] * 10)
    groups = np.arange(len(texts)) % 6
    return texts, y, groups


def test_spam_column_ranks_spam_above_ham_and_news() -> None:
    texts, y, groups = _pages()
    examples = [(t, True) for t in SPAM] + [(t, False) for t in HAM]
    scorer, oof = lexicon.fit_with_oof(texts, y, groups, seed=0, folds=3, spam=examples)
    assert scorer.weights.shape[1] == LEXICAL_COLUMNS and oof.shape == (len(texts), LEXICAL_COLUMNS)
    col = LEXICAL_LABELS
    spam_rows, news_rows = y == 2, np.arange(len(texts)) < len(ARTICLE) + len(NEWS)
    assert oof[spam_rows, col].mean() > oof[news_rows & (y == 1), col].mean() + 0.5
    # The shipped scorer gives the same arithmetic at run time: spam words score high.
    pf = extract(["cheap pills click my link now", "i agree with the article about the council"], scorer)
    j = FEATURE_NAMES.index("lex_spam_vs_comment")
    assert pf.X[0, j] > pf.X[1, j]


def test_without_examples_the_spam_column_is_zero() -> None:
    texts, y, groups = _pages()
    scorer, oof = lexicon.fit_with_oof(texts, y, groups, seed=0, folds=3)
    assert not oof[:, LEXICAL_LABELS].any()
    assert not scorer.weights[:, LEXICAL_LABELS].any() and scorer.bias[LEXICAL_LABELS] == 0.0


def test_label_columns_are_centred_and_spam_column_is_not() -> None:
    texts, y, groups = _pages()
    examples = [(t, True) for t in SPAM] + [(t, False) for t in HAM]
    scorer, _ = lexicon.fit_with_oof(texts, y, groups, seed=0, folds=3, spam=examples)
    pf = extract(["cheap pills click my link now"], scorer)
    j = FEATURE_NAMES.index("lex_editorial")
    lab = pf.X[0, j: j + LEXICAL_LABELS]
    assert abs(float(lab.sum())) < 1e-4
    assert pf.X[0, j + LEXICAL_LABELS] != 0.0
