"""The seed pages' acceptance checks (issue 2), run with each shipped text model (``default``
and ``fast``, classifier.api.SHIPPED_TEXT_MODELS).

These are the behaviours LABELS.md states for the five pages the project started from; they
are checks, not training data (the model never sees the seeds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds absent")


def _doc(clf, prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return clf.classify_text(path.read_text(encoding="utf-8"), id=path.name)


@pytest.fixture(scope="module", params=["default", "fast"])
def docs(request: pytest.FixtureRequest) -> dict:
    from classifier import Classifier

    clf = Classifier.load(request.param)
    return {p: _doc(clf, p) for p in ("000", "001", "002", "003", "004")}


# The text-5 model missed two of these (seed 002's thread found from line 9, seed 001's
# breadcrumb labelled editorial) and they were kept as strict xfails; the text-6 model
# (data/MODEL_CARD.md) gets both right, so they are plain tests again.


def test_002_has_comments(docs: dict) -> None:
    assert docs["002"].has_comments


def test_thread_starts_at_line_7(docs: dict) -> None:
    d = docs["002"]
    assert d.has_comments
    assert abs(d.comment_start - 7) <= 1


@pytest.mark.parametrize("seed", ["000", "001", "003", "004"])
def test_no_comment_section(docs: dict, seed: str) -> None:
    assert not docs[seed].has_comments
    assert docs[seed].comment_start is None


def test_duplicated_article(docs: dict) -> None:
    assert docs["000"].dup_fraction >= 0.4


def test_profane_lines_of_002(docs: dict) -> None:
    prof = {b["line"]: b["profanity"] for b in docs["002"].blocks}
    texts = {b["line"]: b["text"] for b in docs["002"].blocks}
    for word in ("buttfucked", "p1ss"):
        line = next(n for n, t in texts.items() if word in t)
        assert prof[line] >= 0.5, (word, prof[line])


@pytest.mark.parametrize("seed", ["000", "003", "004"])
def test_clean_pages_have_no_profanity(docs: dict, seed: str) -> None:
    assert max(b["profanity"] for b in docs[seed].blocks) < 0.5


def test_002_labels(docs: dict) -> None:
    """Lines 1-6 editorial, line 7 on comment (LABELS.md); at least 95% right."""
    blocks = docs["002"].blocks
    want = ["editorial" if b["line"] < 7 else "comment" for b in blocks]
    right = sum(b["label"] == w for b, w in zip(blocks, want))
    assert right / len(blocks) >= 0.95


def test_001_breadcrumb(docs: dict) -> None:
    """001 opens with a breadcrumb ("Home / Uncategorized / ..."): boilerplate."""
    assert docs["001"].blocks[0]["label"] == "boilerplate"


def test_001_furniture(docs: dict) -> None:
    """001 ends with auto-blog furniture (boilerplate)."""
    blocks = docs["001"].blocks
    tail = {b["text"].strip(): b["label"] for b in blocks[-3:]}
    assert tail.get("Source link") == "boilerplate"
    assert tail.get("Leave a Reply") == "boilerplate"
