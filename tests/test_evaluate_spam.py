"""spam-lovo's two spam figures: every block of the test pages, and the held-out video's comments."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from training.corpora import COMMENT, EDITORIAL, SPAM, LabeledPage
from training.dataset import LABEL_INDEX
from training.evaluate import PageLabels, classify_pages, scores, video_spam

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
S, C, E = LABEL_INDEX[SPAM], LABEL_INDEX[COMMENT], LABEL_INDEX[EDITORIAL]


class _ByWord:
    """A stand-in classifier: a line is spam when it holds "promo", else comment after the first
    line (editorial)."""

    def classify_text(self, text: str) -> SimpleNamespace:
        lines = text.split("\n")
        labels = [EDITORIAL if i == 0 else SPAM if "promo" in t else COMMENT for i, t in enumerate(lines)]
        return SimpleNamespace(blocks=[{"label": lab} for lab in labels], has_comments=COMMENT in labels)


def test_classify_pages_keeps_the_inserted_flags_through_empty_lines() -> None:
    texts = ["Article.", "", "My promo blog!", "Reader one.", "promo spam", "", "ham from the video"]
    labels = [EDITORIAL, EDITORIAL, COMMENT, COMMENT, SPAM, COMMENT, COMMENT]
    page = LabeledPage("p/1", "test", "example.com", texts, labels, "g", {"inserted": [4, 6]})
    got = classify_pages(_ByWord(), [page])
    assert got.gold.tolist() == [E, C, C, S, C]
    assert got.pred.tolist() == [E, S, C, S, C]
    assert got.inserted.tolist() == [False, False, False, True, True]
    assert got.gold_has == [True] and got.pred_has == [True]


def test_video_spam_leaves_the_threads_own_blocks_out() -> None:
    # Inserted: spam found twice, missed once, one ham called spam; the thread's own comments:
    # two called spam (self-promotion Dragnet labels comment), one not; an editorial block.
    gold = np.array([S, S, S, C, C, C, C, E])
    pred = np.array([S, S, C, S, S, S, C, E])
    ins = np.array([True, True, True, True, False, False, False, False])
    labels = PageLabels(gold, pred, ins, [True], [True])
    v = video_spam(labels)
    assert v["video"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert v["video"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert v["video"]["support"] == 3
    assert v["thread_comments"] == 3 and v["thread_comments_spam"] == 2
    pooled = scores(labels)["report"]["spam"]
    assert pooled["precision"] == pytest.approx(2 / 5, abs=1e-4) and pooled["support"] == 3


@pytest.mark.skipif(not (CORPORA / "youtube_spam").exists() or not (CORPORA / "dragnet_train").exists(),
                    reason="no ../shared/corpora")
def test_spam_lovo_reports_both_figures(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A real run of the protocol on a few pages, the shipped networks standing in for the fit."""
    import json

    from classifier.model import BlockModel
    from training import evaluate, train

    shipped = Path(__file__).resolve().parents[1] / "data" / "model-text.json"
    monkeypatch.setattr(train, "fit_network", lambda *a, **k: BlockModel.load(shipped))
    out = tmp_path / "res.json"
    r = CliRunner().invoke(evaluate.main, ["spam-lovo", "--corpora", str(CORPORA), "--max-pages", "30",
                                           "--videos", "04", "--networks", "1", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "the held-out video's comments" in r.output
    res = json.loads(out.read_text())
    (held,) = [k for k in res if k.startswith("04")]
    run = res[held]
    # The video's spam blocks are every spam block of the pages (the threads have none of their own).
    assert run["video_spam"]["support"] == run["spam"]["support"] > 0
    assert run["thread_comments"] > run["spam"]["support"]
    assert run["video_spam"]["precision"] >= run["spam"]["precision"]
    assert res["mean_video_spam_f1"] == run["video_spam"]["f1"]
