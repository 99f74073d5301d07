"""``newswinnow evaluate spam-lovo --l2``, ``--ignore-column`` and ``--hidden``: each reaches the networks it fits."""

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


@pytest.mark.parametrize("given, key, expected", [
    (["--ignore-column", "page-size", "--ignore-column", "rel_pos"], "ignore",
     ("log_n_blocks", "log_page_chars", "log_from_end", "rel_pos")),
    ([], "ignore", ()),
    (["--hidden", "48,32"], "hidden", (48, 32)),
    ([], "hidden", (96, 64)),
])
def test_spam_lovo_passes_the_network_options(monkeypatch: pytest.MonkeyPatch, given: list, key: str,
                                              expected) -> None:
    """A model trained with ``train --ignore-column`` or ``--hidden`` can be scored by the same spam protocol."""
    from training import evaluate, train

    seen = {}

    def fake_fit(*args, **kwargs):
        seen.update(kwargs)
        raise _Fitted

    monkeypatch.setattr(train, "fit_network", fake_fit)
    r = CliRunner().invoke(evaluate.main, ["spam-lovo", "--corpora", str(CORPORA), "--max-pages", "12",
                                           "--videos", "01", "--networks", "1", *given])
    assert isinstance(r.exception, _Fitted), r.output
    assert seen[key] == expected


@pytest.mark.parametrize("args, message", [
    (["spam-lovo", "--ignore-column", "log_n_block"], "'log_n_block' is not a column of this schema"),
    (["bbc", "--ignore-column", "page-size"], "for spam-lovo only"),
    (["bbc", "--hidden", "48"], "for spam-lovo only"),
    (["spam-lovo", "--hidden", "48,0"], "positive widths"),
])
def test_network_options_are_refused_before_any_training(monkeypatch: pytest.MonkeyPatch, args: list,
                                                      message: str) -> None:
    from training import evaluate, train

    def fake_fit(*args, **kwargs):
        raise _Fitted

    monkeypatch.setattr(train, "fit_network", fake_fit)
    r = CliRunner().invoke(evaluate.main, [*args, "--corpora", str(CORPORA), "--max-pages", "12"])
    assert r.exit_code == 2 and message in r.output, r.output
