"""A ``--corpora`` folder without the corpora a command reads: a usage error that names the missing
folders, before any page is read (it was a reader's traceback, or for ``evaluate`` an F1 of 0.000
over zero pages with exit status 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from training import evaluate, train


@pytest.mark.parametrize("corpus", sorted(evaluate.CORPUS_FOLDERS))
def test_evaluate_names_the_missing_folders(tmp_path: Path, corpus: str) -> None:
    r = CliRunner().invoke(evaluate.main, [corpus, "--corpora", str(tmp_path)])
    assert r.exit_code == 2, r.output
    assert all(f in r.output for f in evaluate.CORPUS_FOLDERS[corpus]) and str(tmp_path) in r.output


def test_evaluate_with_no_labelled_page_fails(tmp_path: Path) -> None:
    """A labelled file whose every record is rejected leaves nothing to score: an error, not F1 0."""
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "a"}\nnot json\n')
    r = CliRunner().invoke(evaluate.main, [str(f)])
    assert r.exit_code == 1 and "no labelled pages to evaluate" in r.output


def test_spam_lovo_refuses_videos_it_does_not_have(tmp_path: Path) -> None:
    """``--videos`` matching none of the videos stops before any thread is read or model fitted."""
    for name in ("youtube_spam", "dragnet_train", "bbc_news"):
        (tmp_path / name).mkdir()
    (tmp_path / "youtube_spam" / "01-abc.csv").write_text("CONTENT,CLASS\nnice video,0\n")
    r = CliRunner().invoke(evaluate.main, ["spam-lovo", "--corpora", str(tmp_path), "--videos", "99"])
    assert r.exit_code == 2 and "'99' matches none of the videos (01)" in r.output


def test_train_names_the_missing_folders_and_the_way_without_them(tmp_path: Path) -> None:
    (tmp_path / "cleaneval").mkdir()
    r = CliRunner().invoke(train.main, ["--corpora", str(tmp_path), "--out", str(tmp_path / "m"),
                                        "--card", str(tmp_path / "card.md")])
    assert r.exit_code == 2
    assert "no dragnet_train, bbc_news folders" in r.output and "--no-public --labelled FILE" in r.output
    r = CliRunner().invoke(train.main, ["--corpora", str(tmp_path), "--bbc-pages", "0", "--out", str(tmp_path / "m"),
                                        "--card", str(tmp_path / "card.md")])
    assert r.exit_code == 2 and "no dragnet_train folder there" in r.output  # no BBC pages asked for
    assert not (tmp_path / "m.json").exists()
