"""``newswinnow evaluate spam-lovo --l2``: the penalty reaches the networks it fits."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
pytestmark = pytest.mark.skipif(not (CORPORA / "youtube_spam").exists() or not (CORPORA / "dragnet_train").exists(),
                                reason="no ../shared/corpora")


class _Fitted(Exception):
    pass


@pytest.mark.parametrize("given, expected", [(["--l2", "0.5"], 0.5), ([], None)])
def test_spam_lovo_passes_the_penalty(monkeypatch: pytest.MonkeyPatch, given: list, expected) -> None:
    from training import evaluate, train

    seen = {}

    def fake_fit(*args, **kwargs):
        seen.update(kwargs)
        raise _Fitted  # what comes after the fit is not this test's business

    monkeypatch.setattr(train, "fit_network", fake_fit)
    r = CliRunner().invoke(evaluate.main, ["spam-lovo", "--corpora", str(CORPORA), "--max-pages", "12",
                                           "--videos", "01", "--networks", "1", *given])
    assert isinstance(r.exception, _Fitted), r.output
    assert seen["l2"] == expected and seen["schema"] == train.TRAIN_SCHEMA
