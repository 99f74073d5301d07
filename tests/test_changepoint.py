"""The text model's thread-start columns (features.changepoint) against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from features.changepoint import (
    CHANGE_NAMES,
    SHIFT_KEYS,
    SHIFT_SPANS,
    SPLIT_SIGNALS,
    TEXT_FEATURE_NAMES,
    WEIGHT_FULL_CHARS,
    WEIGHT_MIN,
    change_columns,
    text_matrix,
)
from features.extract import FEATURE_NAMES, extract_batch


def _reference(X: np.ndarray, starts: list[int]) -> np.ndarray:
    """The same columns, one block and one candidate split at a time."""
    n = X.shape[0]
    ends = starts[1:] + [n]
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    out = np.zeros((n, len(CHANGE_NAMES)))
    wt = np.clip(np.expm1(X[:, col["log_chars"]].astype(np.float64)) / WEIGHT_FULL_CHARS, WEIGHT_MIN, 1.0)

    def mean(v: np.ndarray, lo: int, hi: int) -> float:
        return float((v[lo:hi] * wt[lo:hi]).sum() / wt[lo:hi].sum())
    for p0, p1 in zip(starts, ends):
        for i in range(p0, p1):
            c = 0
            for span in SHIFT_SPANS:
                for k in SHIFT_KEYS:
                    v = X[:, col[k]].astype(np.float64)
                    if i > p0:
                        out[i, c] = mean(v, i, min(i + span, p1)) - mean(v, max(i - span, p0), i)
                    c += 1
            for terms in SPLIT_SIGNALS.values():
                sig = np.zeros(n)
                sig[p0:p1] = sum(w * X[p0:p1, col[name]].astype(np.float64) for name, w in terms)
                stats = []
                for s in range(p0 + 1, p1):
                    a, b = wt[p0:s].sum(), wt[s:p1].sum()
                    stats.append((mean(sig, s, p1) - mean(sig, p0, s)) * np.sqrt(a * b / (a + b)))
                if stats:
                    s_best = 1 + int(np.argmax(stats))
                    best = max(stats)
                    off = (i - p0) - s_best
                    here = stats[i - p0 - 1] / max(abs(best), 1e-6) if i > p0 else 0.0
                    out[i, c: c + 4] = (best, off >= 0, np.sign(off) * np.log1p(abs(off)), here)
                c += 4
    return out


def test_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, len(FEATURE_NAMES))).astype(np.float32)
    X[:, FEATURE_NAMES.index("log_chars")] = rng.uniform(0, 6, size=40)  # weights from 0.05 to 1
    starts = [0, 1, 4, 25]  # a one-block page, short pages and a long one
    got = change_columns(X, np.array(starts))
    assert got.shape == (40, len(CHANGE_NAMES))
    assert np.allclose(got, _reference(X, starts), atol=1e-4)


def test_pages_do_not_leak_into_each_other() -> None:
    rng = np.random.default_rng(1)
    A = rng.normal(size=(12, len(FEATURE_NAMES))).astype(np.float32)
    B = rng.normal(size=(9, len(FEATURE_NAMES))).astype(np.float32)
    both = change_columns(np.vstack([A, B]), np.array([0, 12]))
    assert np.allclose(both[:12], change_columns(A, np.array([0])), atol=1e-5)
    assert np.allclose(both[12:], change_columns(B, np.array([0])), atol=1e-5)


def test_thread_after_article_is_split_there() -> None:
    """An article of reporting lines, then first/second-person replies: the stance split falls
    on the first reply and every reply is "after" it."""
    article = [f"The ministry said on Monday that the plan for region {i} would be announced later."
               for i in range(6)]
    thread = ["I think you are wrong about this, honestly.", "Do you really believe that? I don't.",
              "My view: you should read it again.", "I agree with you, I guess."]
    pf, offsets = extract_batch([article + thread])
    X = text_matrix(pf.X, offsets[:-1])
    assert X.shape == (10, len(TEXT_FEATURE_NAMES))
    after = X[:, TEXT_FEATURE_NAMES.index("split_stance_after")]
    assert after.tolist() == [0.0] * 6 + [1.0] * 4
    assert X[6, TEXT_FEATURE_NAMES.index("split_stance_here")] == pytest.approx(1.0)


def test_empty_batch() -> None:
    X = np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    assert text_matrix(X, np.zeros(0, dtype=np.int64)).shape == (0, len(TEXT_FEATURE_NAMES))


def test_text5_model_reads_the_change_columns(tmp_path) -> None:
    """A text-5 model file loads through Classifier and is fed extract_batch's columns plus the
    change columns: its probabilities are those of the model on ``text_matrix``."""
    from classifier import Classifier
    from classifier.model import LABELS, BlockModel
    from features.changepoint import TEXT_SCHEMA_VERSION

    rng = np.random.default_rng(2)
    n = len(TEXT_FEATURE_NAMES)
    w = np.zeros((n, len(LABELS)), dtype=np.float32)
    w[len(FEATURE_NAMES):] = rng.normal(0, 1.0, size=(n - len(FEATURE_NAMES), len(LABELS)))
    model = BlockModel(feature_names=TEXT_FEATURE_NAMES, schema=TEXT_SCHEMA_VERSION,
                       mean=np.zeros(n, dtype=np.float32), scale=np.ones(n, dtype=np.float32),
                       weights=[w], biases=[np.zeros(len(LABELS), dtype=np.float32)], meta={"version": "test"})
    model.save(tmp_path / "m")
    clf = Classifier.load(tmp_path / "m.json")
    lines = ["The ministry said the plan would be announced.", "Officials declined to comment further.",
             "I think you are wrong.", "Do you really believe that?"]
    doc = clf.classify_text("\n".join(lines))
    pf, offsets = extract_batch([lines])
    want = model.predict_proba(text_matrix(pf.X, offsets[:-1]))
    got = np.array([[b["proba"][lab] for lab in LABELS] for b in doc.blocks])
    assert np.allclose(got, want, atol=1e-3)
    assert not np.allclose(want, want[0])  # only the change columns carry weight, and they vary
