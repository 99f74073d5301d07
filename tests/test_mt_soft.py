"""Tests for the soft translationese signal (features/mt_soft.py) and its training (training/mt_soft.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from classifier.api import Classifier
from classifier.model import ModelError
from features import mt_soft, tablecache
from features.mt_soft import (
    SOFT_BLOCK_WEIGHT,
    SOFT_PAGE_WEIGHT,
    SYMBOLS,
    SoftModel,
    SoftModelError,
    V,
    combine,
    prose_mask,
    soft_scores,
    symbol_ngrams,
)

SHARED = Path(__file__).parents[1] / ".." / "shared"
HTMT = SHARED / "corpora" / "mt" / "htmt_deen_wmt" / "htmt_deen_wmt08-19.jsonl.gz"


def _symbols(text: str) -> list[str]:
    ng = symbol_ngrams([text])
    return [SYMBOLS[i] for i in ng.uni.tolist()]


def test_symbols_of_a_sentence() -> None:
    assert _symbols("The Bundestag said on Monday that it wouldn't budge, as NATO's 12 nations unanimously.") == [
        "the", "<cap>", "said", "on", "<cap>", "that", "it", "wouldn't", "<short>", ",", "as",
        "<acronym>", "<num>", "<-s>", "<-ly>", ".",
    ]
    assert _symbols("Germany's army")[0] == "<cap_first>" and _symbols("in Germany's army")[1] == "<cap>"
    assert _symbols("the people's vote")[1] == "<contraction>"
    assert _symbols("Berlin (AP) - EU data")[:3] == ["<cap_first>", "(", "<acronym>"]


def test_word_endings_are_shapes_of_their_own() -> None:
    """Nominalisations, adverbs, participles and plurals by their ending; short words, names,
    function words and endings that are no suffix ("congress", "status") stay as they were."""
    assert _symbols("the nation moved its government's development quickly") == [
        "the", "<-tion>", "<-ed>", "its", "<contraction>", "<-ment>", "<-ly>"]
    assert _symbols("kindness capacity rising finance capable national massive famous teacher") == [
        "<-ness>", "<-ness>", "<-ing>", "<-ance>", "<-able>", "<-al>", "<-ive>", "<-ous>", "<-er>"]
    assert _symbols("congress status crisis cars Stations nothing") == [
        "<long>", "<short>", "<short>", "<short>", "<cap>", "nothing"]
    assert _symbols("NATIONS rely") == ["<acronym>", "<short>"]


def test_numbers_keep_their_separators_out() -> None:
    """'15,000.50' is numbers, not a comma and a full stop."""
    assert _symbols("paid 15,000.50 to him") == ["<short>", "<num>", "<num>", "<num>", "to", "him"]


def test_typography_is_flattened() -> None:
    """Curly quotes and dashes (WMT references) give exactly the symbols of straight ones (MT)."""
    curly = "\u201cIt\u2019s over\u201d \u2013 he said \u2026 in Kiel\u00a0today"
    straight = "\"It's over\" - he said . in Kiel today"
    a, b = symbol_ngrams([curly]), symbol_ngrams([straight])
    assert a.uni.tolist() == b.uni.tolist()
    assert a.pair.tolist() == b.pair.tolist()
    # A run of one mark is one symbol, like the one character it stands for.
    assert _symbols("he said -- no...") == _symbols("he said \u2014 no\u2026") == ["he", "said", "-", "no", "."]
    assert _symbols("Sure?! Fine!!") == ["<cap_first>", "?", "!", "<cap>", "!"]
    # Single vs double quotation marks is house style: both are the '"' symbol.
    assert _symbols("the 'reform' failed") == _symbols('the "reform" failed')


def test_pairs_stay_inside_blocks() -> None:
    texts = ["the tail", "", "of it"]
    ng = symbol_ngrams(texts)
    assert ng.uni_block.tolist() == [0, 0, 2, 2]
    assert ng.pair_block.tolist() == [0, 2]
    the, end, of, it = (SYMBOLS.index(s) for s in ("the", "<short>", "of", "it"))
    assert ng.pair.tolist() == [the * V + end, of * V + it]


def test_no_pairs_across_a_sentence_end() -> None:
    """A paragraph of sentences gives the pairs of its sentences, bar the mark that closes one:
    no (".", "the"), but ("<-ed>", ".") and (".", '"') stay."""
    ng = symbol_ngrams(['It ended. The tail failed!" Then'])
    pairs = [(SYMBOLS[k // V], SYMBOLS[k % V]) for k in ng.pair.tolist()]
    assert pairs == [("it", "<-ed>"), ("<-ed>", "."), ("the", "<short>"), ("<short>", "<-ed>"), ("<-ed>", "!"),
                     ("!", '"'), ('"', "then")]


def test_prose_mask_skips_furniture_and_other_languages() -> None:
    texts = ["Home | News | Sport | Weather | Contact us | Login",
             "Der Bundestag hat am Montag das Gesetz mit großer Mehrheit beschlossen.",
             "The committee said that it would publish the report before the end of the year.",
             "Short line."]
    assert prose_mask(symbol_ngrams(texts)).tolist() == [False, False, True, False]


def _toy_model(weight_the: float) -> SoftModel:
    uni = np.zeros(V)
    uni[SYMBOLS.index("the")] = weight_the
    return SoftModel(uni, np.zeros(V * V), 0.0, 1.0, 0.0, {})


def test_scores_follow_the_weights_and_pages_add_up() -> None:
    line = "The minister said that the plan of the government was the best of the options."
    texts = [line] * 4 + [line, "Home"]
    page = np.array([0, 0, 0, 0, 1, 1])
    sc = soft_scores(texts, page, 2, _toy_model(2.0))
    assert sc.block[:5].min() > 0.8 and sc.block[5] == 0.0  # "Home" is not prose: unscored
    # Four agreeing blocks are stronger evidence than one: S = sum(z) / sqrt(n).
    assert sc.page_stat[0] == pytest.approx(2 * sc.page_stat[1])
    assert sc.page[0] > sc.page[1] > 0.5
    low = soft_scores(texts, page, 2, _toy_model(-2.0))
    assert (low.page < 0.5).all() and low.block[:5].max() < 0.2


def test_page_score_does_not_depend_on_how_the_page_is_cut() -> None:
    """The same sentences as four blocks or as one paragraph: about the same page statistic,
    even with a large block bias (it would count four times in one and once in the other)."""
    uni = np.zeros(V)
    uni[SYMBOLS.index("the")] = 1.0
    model = SoftModel(uni, np.zeros(V * V), 3.0, 1.0, 0.0, {})
    line = "The minister said that the plan of the government was the best of the options."
    sentences = soft_scores([line] * 4, np.zeros(4, dtype=np.int64), 1, model)
    paragraph = soft_scores([" ".join([line] * 4)], np.zeros(1, dtype=np.int64), 1, model)
    assert paragraph.page_stat[0] == pytest.approx(sentences.page_stat[0], rel=0.05)


def test_batch_equals_page_by_page() -> None:
    model = mt_soft.load_soft_model()
    pages = [["The minister said on Monday that the government would not raise taxes this year.",
              "Menu"],
             ["It's a great day, isn't it? We've had loads of fun at the beach and we'll be back.",
              "According to the report, the number of the employees of the company has increased."]]
    flat = [t for p in pages for t in p]
    page = np.array([0, 0, 1, 1])
    together = soft_scores(flat, page, 2, model)
    for i, p in enumerate(pages):
        alone = soft_scores(p, np.zeros(len(p), dtype=np.int64), 1, model)
        assert alone.page[0] == pytest.approx(together.page[i])
        assert alone.block.tolist() == pytest.approx(together.block[page == i].tolist())


def test_empty_input() -> None:
    sc = soft_scores([], np.zeros(0, dtype=np.int64), 1, _toy_model(1.0))
    assert sc.block.shape == (0,) and sc.page.tolist() == [0.0]


def test_combine_lets_artefacts_dominate() -> None:
    soft = np.array([0.0, 0.5, 1.0, 1.0, 0.0])
    art = np.array([0.0, 0.0, 0.0, 0.95, 0.95])
    out = combine(art, soft, SOFT_BLOCK_WEIGHT)
    assert out[0] == 0.0
    assert 0.0 < out[1] < out[2] <= SOFT_BLOCK_WEIGHT + 1e-12  # style alone never flags a block
    assert out[3] >= out[4] >= 0.95
    assert combine(np.array([0.0]), np.array([1.0]), SOFT_PAGE_WEIGHT)[0] == pytest.approx(SOFT_PAGE_WEIGHT)
    assert SOFT_BLOCK_WEIGHT < 0.5 and SOFT_PAGE_WEIGHT < 0.5


def test_model_json_round_trip_and_checks(tmp_path: Path) -> None:
    model = mt_soft.load_soft_model()
    again = SoftModel.from_json(json.loads(json.dumps(model.to_json())))
    assert np.allclose(again.unigram, model.unigram, atol=1e-5) and np.allclose(again.pair, model.pair, atol=1e-5)
    data = model.to_json()
    with pytest.raises(SoftModelError, match="schema"):
        SoftModel.from_json({**data, "schema": "mt-soft-0"})
    with pytest.raises(SoftModelError, match="alphabet"):
        SoftModel.from_json({**data, "symbols": data["symbols"][:-1]})
    for pairs in ([[1, 2]], [[1, 2, 0.5, 7]], [[1, 2, "x"]], "pairs", [[V, V, 0.5]], [[1, 2, 0.5], [3, 4]]):
        with pytest.raises(SoftModelError, match="malformed"):
            SoftModel.from_json({**data, "pairs": pairs})
    with pytest.raises(SoftModelError, match="finite"):
        SoftModel.from_json({**data, "pairs": [[1, 2, float("inf")]]})
    one = SoftModel.from_json({**data, "pairs": [[3, 4, 0.25], [1, 2, -0.5]]})
    assert one.pair[3 * V + 4] == 0.25 and one.pair[1 * V + 2] == -0.5 and np.count_nonzero(one.pair) == 2
    with pytest.raises(SoftModelError, match="finite"):
        SoftModel.from_json({**data, "unigram": [float("nan")] * V})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(SoftModelError, match="not JSON"):
        mt_soft.load_soft_model(str(bad))


def test_soft_model_from_the_table_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's model read back from the table cache is the parsed one, bit for bit, without
    parsing the file again; an edited file is parsed (and checked) again."""
    monkeypatch.setenv("NEWSWINNOW_CACHE_DIR", str(tmp_path / "cache"))
    shipped = mt_soft.default_soft_path()
    copy = tmp_path / "mt-soft.json"
    copy.write_bytes(shipped.read_bytes())
    parses: list[Path] = []
    real = mt_soft._parsed

    def spy(raw: bytes, p: Path) -> SoftModel:
        parses.append(p)
        return real(raw, p)

    monkeypatch.setattr(mt_soft, "_parsed", spy)
    mt_soft._load_soft_model.cache_clear()
    first = mt_soft.load_soft_model(str(copy))
    mt_soft._load_soft_model.cache_clear()
    again = mt_soft.load_soft_model(str(copy))
    assert parses == [copy]
    parsed = real(shipped.read_bytes(), shipped)
    for got in (first, again):
        assert got.unigram.tobytes() == parsed.unigram.tobytes() and got.pair.tobytes() == parsed.pair.tobytes()
        assert (got.bias, got.page_a, got.page_b, got.meta) == (parsed.bias, parsed.page_a, parsed.page_b, parsed.meta)
        assert got.unigram.dtype == got.pair.dtype == np.float64
    (entry,) = (tmp_path / "cache").glob(f"{mt_soft.SOFT_CACHE_NAME}-*.tab")  # an entry of other shapes:
    key, arrays = tablecache.read_entry(entry)                                # the file is parsed again
    tablecache._write(entry, key, {**arrays, "unigram": arrays["unigram"][:-1]})
    mt_soft._load_soft_model.cache_clear()
    damaged = mt_soft.load_soft_model(str(copy))
    assert parses == [copy, copy] and damaged.unigram.tobytes() == parsed.unigram.tobytes()
    assert damaged.bias == parsed.bias
    parses.clear()
    data = json.loads(copy.read_text(encoding="utf-8"))
    copy.write_text(json.dumps({**data, "bias": data["bias"] + 1.0}), encoding="utf-8")
    mt_soft._load_soft_model.cache_clear()
    edited = mt_soft.load_soft_model(str(copy))
    assert parses == [copy] and edited.bias == pytest.approx(parsed.bias + 1.0)
    copy.write_text(json.dumps({**data, "schema": "mt-soft-0"}), encoding="utf-8")
    mt_soft._load_soft_model.cache_clear()
    with pytest.raises(SoftModelError, match="schema"):
        mt_soft.load_soft_model(str(copy))
    mt_soft._load_soft_model.cache_clear()


def test_classifier_load_reports_a_broken_soft_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     model_path: Path) -> None:
    bad = tmp_path / "mt-soft.json"
    bad.write_text(json.dumps({"schema": "other"}), encoding="utf-8")
    monkeypatch.setenv(mt_soft.ENV_SOFT_MODEL, str(bad))
    with pytest.raises(ModelError, match="soft-signal"):
        Classifier.load(model_path)


def test_classifier_output_combines_the_signals(clf: Classifier) -> None:
    """Block mt = artefact combined with style; an artefact line stays >= 0.5, clean prose < 0.5."""
    text = ("The government said on Monday that it would expel I know. UU From the region.\n"
            "The minister of the interior of the country said that the measures of the state were right.\n"
            "Home")
    doc = clf.classify_text(text)
    mts = [b["mt"] for b in doc.blocks]
    assert mts[0] >= 0.5 and 0.0 < mts[1] < SOFT_BLOCK_WEIGHT and mts[2] == 0.0
    assert 0.0 < doc.mt_score <= 1.0


def _synthetic_htmt(path: Path) -> None:
    """Made-up rows in htmt's format: 'MT' sentences use 'of the' chains, 'human' ones contractions."""
    rng = np.random.default_rng(0)
    rows = []
    for year in range(2008, 2016):
        for g in range(40):
            group = f"wmt{year % 100:02d}-deorig-{g:04d}"
            n = int(rng.integers(3, 7))
            human = "We're sure it's fine and they'll say so, won't they, " + "and it's done " * n + "today."
            mt = "The decision of the board of the company " + "of the state " * n + "was taken by the members."
            rows.append({"wmt_year": year, "direction": "de->en", "label": "human_translation",
                         "system": "human", "group": group, "text": human})
            rows.append({"wmt_year": year, "direction": "de->en", "label": "machine_translation",
                         "system": "DeepL", "group": group, "text": mt})
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": i, "source_text": None, **r}) + "\n")


def test_training_learns_and_writes_a_loadable_model(tmp_path: Path) -> None:
    from training import mt_soft as train_mt_soft
    from training.mt_corpora import HTMT

    corpora = tmp_path / "corpora"
    _synthetic_htmt(corpora / HTMT)
    out = tmp_path / "soft.json"
    train_mt_soft.main(["--corpora", str(corpora), "--out", str(out)])
    model = mt_soft.load_soft_model(str(out))
    texts = ["The decision of the board of the company of the state was taken by the members.",
             "We're sure it's fine and they'll say so, won't they, and it's done today."]
    sc = soft_scores(texts, np.array([0, 1]), 2, model)
    assert sc.block[0] > 0.5 > sc.block[1]
    assert sc.page[0] > sc.page[1]


@pytest.mark.skipif(not HTMT.is_file(), reason="shared MT corpus not available")
def test_shipped_model_separates_held_out_mt_pages() -> None:
    """WMT 2016-19 (never trained on): MT pages score above the human references of the same
    sentences (issue 4's target, ROC-AUC >= 0.72)."""
    from sklearn.metrics import roc_auc_score

    from training.mt_corpora import make_pages, read_htmt

    rows = [s for s in read_htmt(SHARED / "corpora") if s.year >= 2016 and s.direction == "de->en"]
    pages = make_pages(rows, 20)
    texts = [t for p in pages for t in p.sentences]
    page = np.repeat(np.arange(len(pages)), [len(p.sentences) for p in pages])
    sc = soft_scores(texts, page, len(pages))
    y = np.array([p.is_mt for p in pages])
    assert roc_auc_score(y, sc.page) >= 0.72


MQM_TED = SHARED / "corpora" / "mt" / "google_mqm_zhen" / "mqm_ted_zhen.tsv.gz"


@pytest.mark.skipif(not MQM_TED.is_file(), reason="shared MT corpus not available")
def test_shipped_model_separates_another_language_pair() -> None:
    """Chinese->English TED talks (never trained on, another pair and domain): MT pages score
    above the human English of the same talks. Against the original English transcripts and a
    human translation together the soft signal alone reaches issue 4's 0.72 (0.727 when
    measured); against the human translation alone it does not (0.669), so that bound only
    guards against falling back (0.632 before the word endings and the new words)."""
    from sklearn.metrics import roc_auc_score

    from training.mt_corpora import make_pages, read_mqm_ted

    rows = read_mqm_ted(SHARED / "corpora")
    for human, bound in ((("ref", "refB"), 0.72), (("refB",), 0.65)):
        pages = make_pages([s for s in rows if s.is_mt or s.system in human], 20, by_document=True)
        texts = [t for p in pages for t in p.sentences]
        page = np.repeat(np.arange(len(pages)), [len(p.sentences) for p in pages])
        sc = soft_scores(texts, page, len(pages))
        y = np.array([p.is_mt for p in pages])
        assert roc_auc_score(y, sc.page) >= bound, human


def test_group_weights_balance_groups() -> None:
    from training.mt_soft import group_weights

    w = group_weights(np.array(["a", "a", "a", "b"]))
    assert w[:3].sum() == pytest.approx(w[3]) and w.sum() == pytest.approx(4)


def test_read_roundtrips_pairs_articles_and_survives_a_cut(tmp_path: Path) -> None:
    from training.mt_corpora import read_roundtrips

    path = tmp_path / "rt.jsonl.gz"
    rows = [{"file": f"bbc_news/{cat}/{i:03d}.txt", "line": 2, "original": f"Original {cat} {i}.",
             "roundtrip": f"Round trip {cat} {i}."} for cat in ("business", "politics") for i in range(40)]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    pages = read_roundtrips(path)
    assert len(pages) == 160 and [p.is_mt for p in pages[:2]] == [False, True]
    assert pages[0].sentences == ["Original business 0."] and pages[1].sentences == ["Round trip business 0."]
    assert len(read_roundtrips(path, ["politics"])) == 80
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # generation stopped mid-stream
    cut = read_roundtrips(path)
    assert 0 < len(cut) < 160 and all(len(p.sentences) == 1 for p in cut)


def test_read_mqm_ted_dedupes_and_strips_markers(tmp_path: Path) -> None:
    from training.mt_corpora import MQM_TED, make_pages, read_mqm_ted

    path = tmp_path / MQM_TED
    path.parent.mkdir(parents=True)
    header = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
    lines = ["ref\ttalk.1\t1\t2\tr1\tx\tSecond <v>line</v>.\tStyle\tMinor\n",
             "ref\ttalk.1\t1\t2\tr2\tx\tSecond line<v>.</v>\tFluency\tMinor\n",
             "ref\ttalk.1\t1\t1\tr1\tx\tFirst line.\tNo-error\tNo-error\n",
             "sysA\ttalk.1\t1\t1\tr1\tx\tFirst line MT.\tNo-error\tNo-error\n"]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(header + "".join(lines))
    rows = read_mqm_ted(tmp_path)
    assert [(r.system, r.text, r.is_mt) for r in rows] == [
        ("ref", "First line.", False), ("ref", "Second line.", False), ("sysA", "First line MT.", True)]
    pages = make_pages(rows, 20, by_document=True)
    assert [(p.system, p.sentences) for p in pages] == [("ref", ["First line.", "Second line."]),
                                                         ("sysA", ["First line MT."])]
    assert make_pages(rows, 20) == []  # fixed-size pages drop a short tail


_NGRAM_FIELDS = ("uni", "uni_block", "pair", "pair_block", "words", "function_words")
_TOKEN_REUSE_TEXTS = [
    "Don\u2019t DON'T it\u2019s we're, I'M sure: the U.S. said (again) that $5 is 3.5%!",
    "caf\u00e9's na\u00efve \u201cquoted\u201d \u2014 text... \u00bfqu\u00e9?",
    "Reply", "12,000 people; 2.5 million", "a'b'c it's o'clock",
    "Government year`s decision, the Year's best; problem-free",
]


def _same_ngrams(a, b) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in _NGRAM_FIELDS)


@pytest.mark.parametrize("extra", [[], ["it`s a \u2018twas it\u00b4s, don`t", "5\u203211 a`b`c"],
                                   ["\u0130stanbul \u0130S big"],
                                   ["", "$ $5 $", "x`y", "`a b`", "a`b`c`d e`f", "", "$", "don`t`s won`t"]])
def test_symbol_ngrams_reusing_feature_tokens_equal_their_own(extra: list[str]) -> None:
    """With the feature pass's tokens the symbols are the same as computed from scratch, also when
    the tokens cannot be reused (odd apostrophes between letters, a letter whose lower case grows)."""
    from features.tokens import tokenize

    texts = _TOKEN_REUSE_TEXTS + extra
    own = mt_soft.symbol_ngrams(texts)
    reused = mt_soft.symbol_ngrams(texts, tokenize("\n".join(texts).lower()))
    assert _same_ngrams(own, reused)
    assert own.function_words.sum() > 5


def test_symbol_ngrams_ignore_tokens_of_other_blocks() -> None:
    """Tokens of a text as long as the batch but cut into other blocks are not reused."""
    from features.tokens import tokenize

    texts = ["The decision of", "the government, it`s"]
    other = tokenize(" ".join(texts).lower())  # same length, one block
    assert len(other.cp) == len("\n".join(texts))
    assert _same_ngrams(mt_soft.symbol_ngrams(texts, other), mt_soft.symbol_ngrams(texts))


def test_one_probe_table_finds_exactly_its_words() -> None:
    """The one-probe frequent-word table gives the rows HashVocab gives (first row of a repeated
    word wins), offset as asked, and 0 for every other word."""
    from features.mt_soft_data import FREQUENT_WORDS
    from features.tokens import HashVocab

    words = [*FREQUENT_WORDS, FREQUENT_WORDS[0]]
    table = mt_soft.OneProbeTable(words, offset=7)
    probe = [*FREQUENT_WORDS, "zebra", "the", "governments", "decisionx", "a"]
    hashes = HashVocab._word_hashes(probe)
    want = HashVocab(words).lookup(hashes)
    got = table.lookup(hashes)
    assert np.array_equal(got, np.where(want > 0, want + 7, 0))
    assert got[: len(FREQUENT_WORDS)].tolist() == list(range(8, 8 + len(FREQUENT_WORDS)))
    assert not got[len(FREQUENT_WORDS):].any()
    assert not table.lookup(np.arange(1, 5000, dtype=np.uint64)).any()


def test_symbol_ngrams_reuse_skips_word_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    from features.tokens import tokenize

    texts = [*_TOKEN_REUSE_TEXTS, "it`s 5\u203211, don\u00b4t"]  # marks the tokens do not join over
    tokens = tokenize("\n".join(texts).lower())
    want = mt_soft.symbol_ngrams(texts)

    def boom(*_a, **_k):
        raise AssertionError("words found again although the tokens could be reused")

    monkeypatch.setattr(mt_soft, "_word_spans", boom)
    monkeypatch.setattr(mt_soft, "_function_word_rows", boom)
    assert _same_ngrams(mt_soft.symbol_ngrams(texts, tokens), want)


def test_symbol_ngrams_with_the_feature_pass_function_words() -> None:
    """The feature pass marks function words during its vocabulary lookup; the symbols built on
    that equal the symbols built from scratch (with and without a learned lexicon)."""
    from features.extract import extract

    texts = [*_TOKEN_REUSE_TEXTS, "it`s 5\u203211, don\u00b4t", "They're here and we've been there."]
    for lexical in (None, Classifier.load().model.lexical):
        pf = extract(texts, lexical)
        assert pf.tokens is not None and pf.tokens.function_words is not None
        assert pf.tokens.function_words.sum() > 0
        assert _same_ngrams(mt_soft.symbol_ngrams(texts, pf.tokens), mt_soft.symbol_ngrams(texts))


def test_frequent_words_are_symbols_of_their_own() -> None:
    """A word of the shipped frequency list is itself (whatever its case or ending), after the
    shapes in the alphabet; it does not count as a function word for the prose test."""
    from features.mt_soft_data import FREQUENT_WORDS

    assert {"decision", "government", "believe", "problem"} <= set(FREQUENT_WORDS)
    assert SYMBOLS[-len(FREQUENT_WORDS):] == FREQUENT_WORDS
    assert _symbols("Government decision quickly resolved the problem") == [
        "government", "decision", "<-ly>", "<-ed>", "the", "problem"]
    assert _symbols("governments decisions") == ["<-s>", "<-s>"]
    ng = symbol_ngrams(["the decision of the government"])
    assert ng.words.tolist() == [5] and ng.function_words.tolist() == [3]


def _bbc_corpus(root: Path) -> Path:
    articles = {
        "business/001.txt": "Blair said the colour of the programme was the decision.\nThe decision stands.",
        "politics/002.txt": "Mr Blair and the BBC: decision, decision, problem, problem.\nBlair, Blair, BBC.",
        "tech/003.txt": "The problem is a decision about colour. Colour, colour; favourite problem too.",
    }
    for name, text in articles.items():
        (root / "bbc_news" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "bbc_news" / name).write_text(text, encoding="utf-8")
    return root


def test_frequent_word_list_leaves_out_names_titles_and_british_spelling(tmp_path: Path) -> None:
    from training.mt_soft import frequent_words, write_frequent_words

    corpora = _bbc_corpus(tmp_path)
    # "blair" and "bbc" are capitalised, "mr" a title, "colour"/"favourite"/"programme" British
    # spellings, "the"/"said"/"about" function words; commonest first.
    assert frequent_words(corpora, 10) == ["decision", "problem", "stands"]
    assert frequent_words(corpora, 1) == ["decision"]
    out = tmp_path / "words.txt"
    assert write_frequent_words(corpora, out, 2) == ["decision", "problem"]
    from features.mt_soft_data import _read_frequent_words

    assert _read_frequent_words(out) == ("decision", "problem")
    assert _read_frequent_words(tmp_path / "absent.txt") == ()
    with pytest.raises(FileNotFoundError):
        frequent_words(tmp_path / "nowhere")


@pytest.mark.skipif(not (SHARED / "corpora" / "bbc_news").is_dir(), reason="needs ../shared/corpora")
def test_shipped_frequent_words_are_rebuilt_from_bbc_news() -> None:
    """The shipped list is what --build-words makes of the corpus (no hand edits), and the
    shipped model was trained on that alphabet."""
    from features.mt_soft_data import FREQUENT_WORDS, FREQUENT_WORDS_K
    from training.mt_soft import frequent_words

    assert tuple(frequent_words(SHARED / "corpora", FREQUENT_WORDS_K)) == FREQUENT_WORDS
    assert mt_soft.load_soft_model().unigram.shape == (V,)


def test_benchmark_bootstrap_interval_holds_the_auc() -> None:
    """benchmarks/mt_acceptance.py's page-AUC interval: around the AUC, wider for fewer pages,
    the same for the same seed."""
    import sys

    from sklearn.metrics import roc_auc_score

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    try:
        from mt_acceptance import bootstrap_auc
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.8
    s = np.round(rng.normal(size=400) + 0.8 * y, 1)  # ties too
    lo, hi = bootstrap_auc(y, s)
    assert lo < roc_auc_score(y, s) < hi and hi - lo < 0.2
    few = np.r_[np.flatnonzero(y)[:40], np.flatnonzero(~y)[:10]]
    lo2, hi2 = bootstrap_auc(y[few], s[few])
    assert hi2 - lo2 > hi - lo
    assert bootstrap_auc(y, s) == (lo, hi)
    assert bootstrap_auc(y, np.where(y, 1.0, 0.0)) == (1.0, 1.0)


def test_ngram_counts_equal_a_bincount() -> None:
    """The per-block n-gram counts (searched in the ascending blocks) are what a bincount gives,
    also with empty blocks and blocks without pairs."""
    texts = ["", *_TOKEN_REUSE_TEXTS, "", "Word", "$", "a b c d. E f g!"]
    ng = symbol_ngrams(texts)
    want = np.bincount(ng.uni_block, minlength=len(texts)) + np.bincount(ng.pair_block, minlength=len(texts))
    assert np.array_equal(mt_soft.ngram_counts(ng, len(texts)), want.astype(np.float64))
    assert want[0] == 0 and want[-1] > 0


def test_default_soft_path_is_found_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every batch asks for the default soft model: the shipped file is looked up once per process
    (no path resolution or stat per batch), and $NEWSWINNOW_MT_SOFT is still read each time."""
    first = mt_soft.default_soft_path()

    def no_fs(*_a, **_k):
        raise AssertionError("filesystem touched")

    monkeypatch.setattr(Path, "resolve", no_fs)
    monkeypatch.setattr(Path, "exists", no_fs)
    monkeypatch.delenv(mt_soft.ENV_SOFT_MODEL, raising=False)
    assert mt_soft.default_soft_path() == first
    mt_soft.load_soft_model()
    monkeypatch.setenv(mt_soft.ENV_SOFT_MODEL, str(tmp_path / "other.json"))
    assert mt_soft.default_soft_path() == tmp_path / "other.json"
