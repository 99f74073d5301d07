"""Tests for training/mt_soft_variants.py (the soft MT model's variants, scored alike)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from features.mt_soft import SYMBOLS, symbol_ngrams
from training import mt_soft_variants as mv
from training.mt_corpora import HTMT


def _corpus(root: Path) -> Path:
    """Made-up htmt rows, both halves, every year: MT writes 'of the' chains and no contractions."""
    rng = np.random.default_rng(1)
    rows = []
    for year in range(2008, 2020):
        for g in range(30):
            n = int(rng.integers(2, 6))
            human = "We're sure it's fine and they'll say so, won't they, " + "and it's done " * n + "today."
            mt = "The decision of the board of the company " + "of the state " * n + "was taken by the members."
            for direction, hl, ml in (("de->en", "human_translation", "machine_translation"),
                                      ("en->de->en", "original", "machine_translation_roundtrip")):
                group = f"wmt{year % 100:02d}-{direction}-{g:04d}"
                rows.append({"wmt_year": year, "direction": direction, "label": hl, "system": "human",
                             "group": group, "text": human})
                rows.append({"wmt_year": year, "direction": direction, "label": ml, "system": "DeepL",
                             "group": group, "text": mt})
    path = root / HTMT
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": i, "source_text": None, **r}) + "\n")
    return root


def test_sentence_edges_mark_first_and_last_words() -> None:
    ng = symbol_ngrams(["He left. Then she came, and they stayed!", "Reply now"])
    start, end = mv._sentence_edges(ng)
    names = [SYMBOLS[i] for i in ng.uni.tolist()]
    assert [n for n, s in zip(names, start) if s] == ["he", "then", "<cap_first>"]
    assert [i for i, e in enumerate(end) if e] == [1, 9, 12]  # "left", "stayed" (<-ed>), "now"
    assert names[9] == "<-ed>"


def test_sentence_features_count_what_sentences_start_with() -> None:
    page = ["When he came, we left. The board met. And so it goes, again, and again.", "Quickly, they ran."]
    f = dict(zip(mv.STAGE_FEATURES, mv.sentence_features(page)))
    assert f["subordinator"] == f["article"] == f["conjunction"] == f["ly_adverb_start"] == pytest.approx(0.25)
    assert f["pronoun"] == f["preposition"] == 0.0
    assert f["commas_per_sentence"] == pytest.approx((1 + 0 + 2 + 1) / 4)
    assert f["sentences_with_comma"] == pytest.approx(0.75)
    assert mv.sentence_features([""]).tolist() == [0.0] * len(mv.STAGE_FEATURES)


def test_contraction_columns_cover_unigrams_and_pairs() -> None:
    v = len(SYMBOLS)
    cols = mv._contraction_columns(v + v * v)
    it_s = SYMBOLS.index("it's")
    assert it_s in cols and v + it_s * v + SYMBOLS.index("the") in cols
    assert SYMBOLS.index("the") not in cols and v + SYMBOLS.index("the") * v + SYMBOLS.index("of") not in cols


def test_variants_run_on_a_corpus_and_separate_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpora = _corpus(tmp_path / "corpora")
    assert mv.main(["--corpora", str(corpora), "--variants", "base,sentence_starts,no_contractions",
                    "--second-stage"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split("  ")[0].strip() for ln in lines[:3]] == ["base", "sentence_starts", "no_contractions"]
    assert len(lines) == 3 + len(mv.STAGE_SETS)
    for ln in lines:
        figures = {k: float(v) for k, v in re.findall(r"(\S+) (\d\.\d{3}|nan)", ln)}
        for key in ("oof_de", "oof_rt", "deen16-19", "rt16-19"):
            assert figures[key] > 0.9, ln
    assert "de->rt" in lines[0] and "rt->de" in lines[0]


def test_variants_refuse_unknown_names_and_missing_corpora(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        mv.main(["--corpora", str(tmp_path), "--variants", "base,nonsense"])
    assert mv.main(["--corpora", str(tmp_path), "--variants", "base"]) == 2
