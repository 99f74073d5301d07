"""``train --boundary-copies``: the rows either side of a thread's start seen more often in training."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.model import LABELS
from training import train
from training.train import BOUNDARY_BLOCKS, boundary_rows, fit_network

E, C, S, B = (LABELS.index(k) for k in ("editorial", "comment", "spam", "boilerplate"))


def _pages(*pages: list[int]) -> tuple[np.ndarray, np.ndarray]:
    y = np.concatenate([np.array(p, dtype=np.int64) for p in pages])
    return y, np.cumsum([0] + [len(p) for p in pages])


def test_boundary_rows_are_the_article_tail_and_thread_head() -> None:
    y, offsets = _pages(
        [B, E, E, E, E, E, B, B, C, C, C, C, C, B],  # furniture between article and thread
        [E, E, E, E],  # no thread
        [B, C, C, C, C],  # a thread with no article before it
        [E, C, S, C, E, C],  # short article, spam inside the thread, a quoted line labelled editorial
    )
    got = boundary_rows(y, offsets, np.arange(4))
    assert BOUNDARY_BLOCKS == 3
    # Page 0: furniture rows 6-7 sit between article and thread, so only row 5 touches it.
    assert got.tolist() == [5, 8, 9, 10, 23, 24, 26, 28]
    assert (y[got[:1]] == E).all() and (y[got[1:4]] == C).all()
    # Only the pages asked for, in their order.
    assert boundary_rows(y, offsets, np.array([3, 1])).tolist() == [23, 24, 26, 28]
    assert boundary_rows(y, offsets, np.array([1, 2])).size == 0


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat([E, C, B], 60)
    X = rng.normal(size=(y.size, 5)).astype(np.float32)
    X[:, 0] += np.where(y == E, 1.0, np.where(y == C, -1.0, 0.0))
    return X, y


@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_no_copies_is_the_unweighted_fit_and_copies_change_it() -> None:
    X, y = _data(0)
    rows = np.arange(55, 65)
    plain = fit_network(X, y, 0, max_epochs=5, n_networks=1, l2=0.01)
    zero = fit_network(X, y, 0, max_epochs=5, n_networks=1, l2=0.01, emphasis=rows, copies=0)
    more = fit_network(X, y, 0, max_epochs=5, n_networks=1, l2=0.01, emphasis=rows, copies=3)
    assert all(np.array_equal(a, b) for a, b in zip(plain.weights, zero.weights))
    assert np.array_equal(plain.mean, zero.mean)
    assert not all(np.array_equal(a, b) for a, b in zip(plain.weights, more.weights))


def test_fold_emphasises_its_training_pages_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows a fold hands the networks are its training pages' boundary rows, at their place in X[tr]."""
    page = [B, E, E, E, E, C, C, C, C, B]
    y, offsets = _pages(*[page] * 6)
    X = np.arange(y.size * 2, dtype=np.float32).reshape(-1, 2)  # row r holds 2r, 2r + 1
    train_pages = np.array([4, 0, 2])
    tr = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in train_pages])
    te = np.arange(offsets[1], offsets[2])
    seen = {}

    class _Model:
        def logits(self, X):
            return np.zeros((len(X), len(LABELS)), dtype=np.float32)

    def fake_fit(Xt, yt, *args, emphasis=None, copies=0, **kw):
        seen.update(X=Xt, emphasis=emphasis, copies=copies)
        return _Model()

    monkeypatch.setattr(train, "fit_network", fake_fit)
    monkeypatch.setattr(train, "member_logits", lambda model, X: np.zeros((1, len(X), len(LABELS)), np.float32))
    train._fold(X, y, tr, te, 0, 1, 1, "text-6", False,
                boundary={"offsets": offsets, "pages": train_pages, "copies": 2})
    want = boundary_rows(y, offsets, train_pages)
    assert seen["copies"] == 2
    assert np.array_equal(seen["X"][seen["emphasis"]], X[want])
    assert set((seen["X"][seen["emphasis"]][:, 0] // 2).astype(int).tolist()) == {
        int(offsets[i]) + k for i in train_pages for k in (2, 3, 4, 5, 6, 7)}  # rows 2-4 touch the thread
