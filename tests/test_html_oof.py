"""Out-of-fold token scoring of HTML labelings and the choice of the comment-thread thresholds
(training/html_oof.py): the scores match the benchmark's, and the choice follows the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import load_script

from classifier.model import LABELS
from training import corpora, html_oof

E, C, B = LABELS.index("editorial"), LABELS.index("comment"), LABELS.index("boilerplate")
ROOT = Path(__file__).resolve().parents[1]


def _page(pid: str, texts: list[str], article: list[str], comments: list[str], corpus: str = "dragnet"):
    gold = {corpora.EDITORIAL: article, corpora.COMMENT: comments}
    return corpora.LabeledPage(pid, corpus, "x", texts, ["boilerplate"] * len(texts), pid, {"gold": gold})


def _bench():
    return load_script(ROOT / "benchmarks" / "bench_html.py", "bench_html")


def test_token_scores_match_the_benchmark() -> None:
    texts = ["The cat sat on the mat.", "Home | News", "Great post, thanks!", "the cat again"]
    page = _page("dragnet/1", texts, ["The cat sat on the mat, the dog too."], ["Great post, thanks a lot!"])
    tg = html_oof.token_gold([page])
    labels = [np.array([E, B, C, E])]
    ed, cm = html_oof.page_scores(tg, labels)
    bench = _bench()
    want_ed = bench.prf("\n".join([texts[0], texts[3]]), page.meta["gold"][corpora.EDITORIAL][0])[2]
    want_cm = bench.prf(texts[2], page.meta["gold"][corpora.COMMENT][0])[2]
    assert abs(ed[0] - want_ed) < 1e-9 and abs(cm[0] - want_cm) < 1e-9
    assert 0 < ed[0] < 1 and 0 < cm[0] < 1


def test_renderings_are_not_scored_and_pages_without_comments_have_no_comment_score() -> None:
    pages = [_page("dragnet/1", ["a b c"], ["a b c"], []), _page("dragnet/1#spam", ["a b c"], ["a b c"], []),
             _page("cleaneval/2", ["x y", "z"], ["x y"], [], corpus="cleaneval")]
    tg = html_oof.token_gold(pages)
    assert tg.index == [0, 2] and tg.kinds == ["dragnet", "cleaneval"]
    labels = [np.array([E]), np.array([E]), np.array([E, B])]
    ed, cm = html_oof.page_scores(tg, labels)
    assert ed.tolist() == [1.0, 1.0] and np.isnan(cm).all()


def test_thread_thresholds_follow_the_data() -> None:
    # Page 1: a two-comment thread the decoder missed (comment probability 0.6 and 0.3);
    # page 2: a "leave a comment" form (probability 0.35) on a page without comments.
    p1 = _page("dragnet/1", ["Article text here.", "Nice article, agreed.", "Me too, well said."],
               ["Article text here."], ["Nice article, agreed.", "Me too, well said."])
    p2 = _page("dragnet/2", ["Article two.", "Leave a comment"], ["Article two."], [])
    tg = html_oof.token_gold([p1, p2])
    decoded = [np.array([E, B, B]), np.array([E, B])]
    probas = []
    for pc in ([0.0, 0.6, 0.3], [0.0, 0.35]):
        p = np.zeros((len(pc), len(LABELS)))
        p[:, C] = pc
        p[:, B] = 1 - np.array(pc)
        probas.append(p)
    in_comment = [np.array([False, True, True]), np.array([False, True])]
    (hi, lo), scores = html_oof.choose_thread_thresholds(tg, decoded, probas, in_comment)
    # the sure comment must open the thread (hi <= 0.6) without labelling the form (hi > 0.35),
    # and the second comment must join it (lo <= 0.3)
    assert 0.35 < hi <= 0.6 and 0 < lo <= 0.3
    assert scores[f"{hi}/{lo}"] == 2.0 and scores["0.0/0.0"] < 1.0
