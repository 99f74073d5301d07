"""Session 22, round 2 (kern-pipe): the classifier's per-page glue.

- ``api.round_list`` against ``round`` (random values, values a few ulps around every half of
  the 4th decimal, signed zeros, non-finite and huge values, other ``ndigits``);
- the results ``_classify_group`` builds without running DocumentResult's __init__: the same
  instance dict (keys in the same order, the same values) as ``DocumentResult(...)`` and its
  lazy-blocks edit, with the result writer on and off, and every public behaviour after it;
- ``mt_soft.soft_scores`` given the feature pass's block lengths: the same arrays as without.
"""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
from conftest import bench_pages
from test_ext_json import RECORDS

from classifier import api
from classifier.api import DocumentResult, round_list
from features import mt_soft
from features.extract import extract_batch
from features.segment import segment_text


def _same_float(a: float, b: float) -> bool:
    """Equal bits as Python floats see them (signed zeros apart, NaN equal to NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _round_cases() -> list[list[float]]:
    """Lists of values for ``round_list``: each list goes one way (the numpy pass, with ``round``
    near halves, or ``round`` for the whole list when it holds a huge or non-finite value)."""
    rng = np.random.default_rng(22)
    groups = [list(rng.random(200_000)), list(-rng.random(20_000)), list(rng.random(20_000) * 1e5),
              list(rng.random(2_000) * 1e300)]
    k = np.arange(0, 10_001, dtype=np.float64)
    for d in range(-4, 5):  # a few ulps around every half of the 4th decimal, and every 4-place value
        half = (k + 0.5) / 1e4
        groups += [list(half + d * np.spacing(half)), list(-(half + d * np.spacing(half)))]
        exact = k / 1e4
        groups.append(list(exact + d * np.spacing(exact + 1e-300)))
    edges = [0.0, -0.0, 5e-324, -5e-324, 2.0 ** 31 / 1e4 * 0.999, 0.00005, -0.00005, 0.00015, 0.5, 0.99995, 1.0,
             2.5e-5, 1.5, 2.5]
    groups += [edges, [*edges, math.inf], [*edges, -math.inf], [*edges, math.nan], [*edges, 1e300],
               [*edges, 2.0 ** 31 / 1e4], [*edges, -(2.0 ** 31) / 1e4], [], [0.5], [-0.0]]
    return [[float(v) for v in g] for g in groups]


@pytest.mark.parametrize("ndigits", [4, 0, 1, 2, 7, 15, 16, 30, -1])
def test_round_list_is_round(ndigits: int) -> None:
    for vals in _round_cases():
        got = round_list(vals, ndigits)
        assert type(got) is list and len(got) == len(vals)
        bad = [(v, g, round(v, ndigits)) for v, g in zip(vals, got) if not _same_float(g, round(v, ndigits))]
        assert not bad, bad[:5]
        assert all(type(g) is float for g in got[:1000])


def test_round_list_inputs() -> None:
    assert round_list([], 4) == []
    arr = np.array([0.12345, -0.00004, 0.33335], dtype=np.float64)
    assert round_list(arr, 4) == [round(v, 4) for v in arr.tolist()]
    assert round_list([0.12345, 2.675], 4) == [0.1235, 2.675] and round_list([2.675], 2) == [2.67]  # (as round)


def _dict_by_init(doc: DocumentResult, lazy: bool) -> dict:
    """The instance dict DocumentResult's own __init__ makes from ``doc``'s values (and the
    lazy-blocks edit the classifier made before: "blocks" deleted, the facts added last)."""
    d = doc.__dict__
    blocks = d[api._LAZY] if lazy else d["blocks"]
    ref = DocumentResult(d["id"], d["url"], d["source"], blocks, d["has_comments"], d["comment_start"],
                         d["fractions"], d["mt_score"], d["dup_fraction"], d["quality"], d["reasons"], d["model"],
                         d["labels"])
    rd = ref.__dict__
    if lazy:
        del rd["blocks"]
        rd[api._LAZY] = blocks
    return rd


def _check_results(docs: list[DocumentResult], lazy: bool) -> None:
    for doc in docs:
        assert type(doc) is DocumentResult
        d = doc.__dict__
        ref = _dict_by_init(doc, lazy)
        assert list(d) == list(ref)  # the same keys in the same order
        assert all(d[k] is ref[k] for k in d)


def _records(limit: int = 150) -> list[dict]:
    recs = [dict(r) for r in RECORDS]
    try:
        recs += [{"id": p.id, "text": p.text} for p in bench_pages(limit)]
    except pytest.skip.Exception:
        pass
    return recs


@pytest.mark.parametrize("writer", [True, False])
def test_results_dict_as_init_makes_it(writer: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    clf = api.Classifier.load()
    recs = _records()
    want_json = [d.to_json() for d in clf.classify_many(recs)]
    if not writer:
        monkeypatch.setattr(api, "_RESULTS", None)
    docs = list(clf.classify_many(recs))
    lazy = api._RESULTS is not None
    _check_results(docs, lazy)
    assert [d.to_json() for d in docs] == want_json
    # Every way of reading a result still works as with an __init__-made one.
    for doc, line in zip(docs[:20], want_json):
        copied = copy.copy(doc)
        assert pickle.loads(pickle.dumps(doc)).to_json() == line
        assert doc.to_dict() == DocumentResult(**{k: getattr(doc, k) for k in doc.__dataclass_fields__}).to_dict()
        assert doc.blocks == copied.blocks
        assert api._LAZY not in doc.__dict__
        assert doc.to_json() == line
        assert doc == DocumentResult(**{k: getattr(doc, k) for k in doc.__dataclass_fields__})


def test_page_numbers_rounded_as_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """mt_score and dup_fraction: what ``round(x, 4)`` of batch_fields's values gives."""
    seen: list[tuple[list[float], list[float]]] = []
    real = api.scores.batch_fields

    def spy(*a, **k):
        out = real(*a, **k)
        seen.append((list(out[1]), list(out[2])))
        return out

    monkeypatch.setattr(api.scores, "batch_fields", spy)
    recs = [r for r in _records(60) if "html" not in r]  # one group: the results in batch order
    docs = list(api.Classifier.load().classify_many(recs))
    mts = [v for m, _ in seen for v in m]
    dups = [v for _, d in seen for v in d]
    assert len(mts) == len(dups) == len(docs)
    for doc, mt, dup in zip(docs, mts, dups):
        assert _same_float(doc.mt_score, round(mt, 4)) and _same_float(doc.dup_fraction, round(dup, 4))


def _soft_batches() -> list[list[list[str]]]:
    pages = [[b.text for b in segment_text(r["text"])] for r in _records(120) if "text" in r]
    return [pages[i: i + 40] for i in range(0, len(pages), 40)] + [[["one block only"]], [[""]], [["", "x"], []]]


def test_soft_scores_with_lengths() -> None:
    for batch in _soft_batches():
        pf, offsets = extract_batch(batch)
        texts = [t for p in batch for t in p]
        page_of = np.repeat(np.arange(len(batch)), np.diff(offsets))
        want = mt_soft.soft_scores(texts, page_of, len(batch), tokens=pf.tokens)
        for lengths in (pf.lengths, np.fromiter(map(len, texts), dtype=np.int64), pf.lengths.astype(np.int32),
                        None, pf.lengths[:-1]):
            got = mt_soft.soft_scores(texts, page_of, len(batch), tokens=pf.tokens, lengths=lengths)
            for a, b in ((got.block, want.block), (got.page, want.page), (got.page_stat, want.page_stat)):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
