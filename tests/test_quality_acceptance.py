"""Issue 5's quality acceptance on real pages, with the shipped model: the seeds' order and
reasons, clean BBC articles scoring high, and quality falling as the comment share rises on
Dragnet pages with comments (pages the shipped model was trained on; the held-out figure comes
from ``benchmarks/bench_quality.py --heldout-after``). Fixed subsets, to keep the suite fast;
the full-corpus figures come from ``benchmarks/bench_quality.py``. Skips when ../shared is absent."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
CORPORA = SHARED / "corpora"
BBC_EVERY = 8            # every 8th BBC article: 279 pages
DRAGNET_EVERY = 3        # every 3rd Dragnet page with comments: ~100 pages
BBC_MEDIAN_FLOOR = 0.8
# Spearman correlation of quality with the gold comment share must be at most this (negative).
MAX_CORRELATION = -0.5


@pytest.fixture(scope="module")
def clf():
    from classifier import Classifier

    return Classifier.load()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds absent")
def test_seed_quality_order_and_reasons(clf) -> None:
    docs = {}
    for prefix in ("000", "001", "002", "003", "004"):
        path = next(SEEDS.glob(f"{prefix}_*.txt"))
        docs[prefix] = clf.classify_text(path.read_text(encoding="utf-8"), id=path.name)
    clean = min(docs["003"].quality, docs["004"].quality)
    for bad in ("000", "001", "002"):
        assert docs[bad].quality < clean, (bad, docs[bad].quality, clean)
    assert "duplicated_content" in docs["000"].reasons
    assert {"machine_translated", "autoblog_markers"} & set(docs["001"].reasons)
    assert "comment_heavy" in docs["002"].reasons


@pytest.mark.skipif(not (CORPORA / "bbc_news").is_dir(), reason="../shared/corpora/bbc_news absent")
def test_bbc_articles_median_quality(clf) -> None:
    from features.segment import decode_bytes

    paths = sorted((CORPORA / "bbc_news").glob("*/*.txt"))[::BBC_EVERY]
    recs = [{"id": str(p), "text": "\n".join(s.strip() for s in decode_bytes(p.read_bytes()).splitlines()
                                             if s.strip())} for p in paths]
    q = np.array([d.quality for d in clf.classify_many(recs)])
    assert len(q) > 250
    assert float(np.median(q)) >= BBC_MEDIAN_FLOOR


@pytest.mark.skipif(not (CORPORA / "dragnet_train").is_dir(), reason="../shared/corpora/dragnet_train absent")
def test_quality_falls_with_comment_share_on_dragnet(clf) -> None:
    from features.segment import decode_bytes
    from training.corpora import split_dragnet_gold

    root = CORPORA / "dragnet_train"
    recs, share = [], []
    for gold in sorted((root / "Corrected").glob("*.txt")):
        article, comments = split_dragnet_gold(decode_bytes(gold.read_bytes()))
        c = sum(len(s.strip()) for s in comments)
        html = root / "HTML" / f"{gold.stem}.html.gz"
        if c and html.exists():
            a = sum(len(s.strip()) for s in article)
            recs.append({"id": gold.stem, "html": decode_bytes(gzip.decompress(html.read_bytes()))})
            share.append(c / (a + c))
    recs, share = recs[::DRAGNET_EVERY], share[::DRAGNET_EVERY]
    q = [d.quality for d in clf.classify_many(recs)]
    assert len(q) > 80
    rho = float(spearmanr(q, share)[0])
    assert rho <= MAX_CORRELATION, rho
