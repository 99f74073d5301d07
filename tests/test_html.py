"""HTML input: segmentation with DOM facts, DOM features, the HTML model's routing and fallback,
robustness to hostile pages, and the HTML training data (skips without ../shared/corpora)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import GOLD_SEQUENCES, SHARED

from classifier import decode
from classifier.api import ENV_HTML_MODEL, Classifier
from classifier.model import LABELS, BlockModel, ModelError
from features import html as fhtml
from features.dom import DOM_NAMES, DOM_SCHEMA_VERSION, HTML_FEATURE_NAMES, html_features
from features.html import CLASS_GROUP_NAMES, RAW_COLUMNS, class_mask, decode_html, segment_html

R = {n: i for i, n in enumerate(RAW_COLUMNS)}
L = {n: i for i, n in enumerate(DOM_NAMES)}

THREAD_PAGE = (
    "<html><head><title>t</title><script>var x = '<p>not text</p>';</script><style>p{}</style></head><body>"
    "<div class='nav'><a href='/'>Home</a> | <a href='/news'>News</a></div>"
    "<article><h1>Harbour bridge to close</h1><p>The bridge will close for <b>repairs</b> in May.</p>"
    "<p>Engineers said the work<br>would take six weeks.</p></article>"
    "<template><p>template text</p></template><noscript>enable javascript</noscript>"
    "<div hidden>hidden one</div><div style='display:none'>hidden two</div>"
    "<div id='comments'><ol class='commentlist'>"
    "<li class='comment even'><p>Great news, finally.</p></li>"
    "<li class='comment odd'><p>About time they fixed it.</p></li>"
    "<li class='comment even'><p>I drive over it every day.</p></li></ol></div>"
    "<footer>Copyright 2024</footer></body></html>"
)


def texts(html: str | bytes) -> list[str]:
    return [b.text for b in segment_html(html).blocks]


# --- segmentation ---------------------------------------------------------------------------

def test_blocks_in_document_order_without_invisible_content() -> None:
    assert texts(THREAD_PAGE) == [
        "Home | News", "Harbour bridge to close", "The bridge will close for repairs in May.",
        "Engineers said the work", "would take six weeks.", "Great news, finally.",
        "About time they fixed it.", "I drive over it every day.", "Copyright 2024"]


def test_own_text_only_and_tails_stay_with_their_block() -> None:
    html = "<div>before <p>inner</p> after <span>span</span></div><li>item <a>link</a> tail</li>"
    assert texts(html) == ["before", "inner", "after span", "item link tail"]


def test_dom_facts_of_blocks() -> None:
    page = segment_html(THREAD_PAGE)
    dom = page.dom
    assert dom.shape == (len(page.blocks), len(RAW_COLUMNS))
    nav, title, comment = dom[0], dom[1], dom[5]
    assert nav[R["link_chars"]] == len("HomeNews") and nav[R["link_count"]] == 2
    assert title[R["heading"]] == 1 and title[R["link_chars"]] == 0
    bit = 1 << CLASS_GROUP_NAMES.index("comment")
    assert comment[R["anc_mask"]] & bit and not title[R["anc_mask"]] & bit
    assert nav[R["own_mask"]] & (1 << CLASS_GROUP_NAMES.index("nav"))
    # each comment <p> sits in its own <li>; the <li>s share their parent (the items of a thread)
    assert len({int(r[R["container"]]) for r in dom[5:8]}) == 3
    assert len({int(r[R["grand_container"]]) for r in dom[5:8]}) == 1


# A page whose article sits in a div with no telling class, beside a link-heavy menu and a
# long "related" list: the main-content candidate must be the article's div.
PROSE = "The council voted on Tuesday to rebuild the old harbour wall before the winter storms. "
TOP_PAGE = (
    "<body><div><ul>" + "".join(f"<li><a href='/{i}'>Section number {i} of the site menu</a></li>" for i in range(12))
    + "</ul></div><div class='x1'><h1>Harbour wall</h1>"
    + "".join(f"<div><p>{PROSE * 2}</p></div>" for _ in range(4)) + "<p>Step 1</p></div>"
    + "<div><p>Short.</p><p>" + "<a href='/r'>A related headline with many words</a> " * 3 + "</p></div>"
    + "<footer>Copyright 2024 Harbour Times</footer></body>"
)


def test_main_content_candidate() -> None:
    page = segment_html(TOP_PAGE)
    by_text = {b.text: r for b, r in zip(page.blocks, page.dom)}
    article = [r for b, r in zip(page.blocks, page.dom) if b.text.startswith("The council")]
    assert len(article) == 4
    assert article and all(r[R["in_top"]] for r in article)
    # the heading and a short line inside the same div are in it; menu, related list, footer not
    assert by_text["Harbour wall"][R["in_top"]] and by_text["Step 1"][R["in_top"]]
    outside = [t for t in by_text if t.startswith(("Section", "A related", "Copyright", "Short"))]
    assert outside and not any(by_text[t][R["in_top"]] for t in outside)
    prose = sum(int(r[R["chars"]]) for r in article)
    assert set(page.dom[:, R["top_chars"]]) == {prose}
    # no prose at all: nothing is marked, nothing breaks
    bare = segment_html("<ul><li><a href='/'>Home</a></li><li>x</li></ul>")
    assert not bare.dom[:, R["in_top"]].any()


def test_cjk_characters_are_counted() -> None:
    page = segment_html("<p>肉をくわえたイヌが、橋を渡っていました。</p><p>Plain English.</p><p>café 日本</p>")
    assert page.dom[:, R["cjk_chars"]].tolist() == [18, 0, 2]
    D = html_features([page])[0].X[:, -len(DOM_NAMES):]
    share = D[:, L["dom_cjk_share"]]
    assert share[0] > 0.85 and share[1] == 0


@pytest.mark.parametrize(("attrs", "groups"), [
    ("comment even depth-1", {"comment", "reply"}),
    ("postComment", {"comment", "content"}),
    ("share-buttons", {"share", "form"}),
    ("add-to load", set()),  # "ad" only as a whole word
    ("sidebar widget_ad", {"sidebar", "ad"}),
])
def test_class_groups(attrs: str, groups: set[str]) -> None:
    m = class_mask(attrs)
    assert {g for i, g in enumerate(CLASS_GROUP_NAMES) if m >> i & 1} == groups


def test_charset_handling() -> None:
    utf8_declared_latin1 = "<meta charset='iso-8859-1'><p>café – ok</p>".encode()
    assert "café – ok" in decode_html(utf8_declared_latin1)
    cp1252_declared_utf8 = "<meta charset='utf-8'><p>café “quoted”</p>".encode("cp1252")
    out = decode_html(cp1252_declared_utf8)
    assert "café “quoted”" in out and "\ufffd" not in out
    latin2 = b'<meta charset="iso-8859-2"><p>\xb1</p>'
    assert "\u0105" in decode_html(latin2)
    assert "p" in decode_html(b"<meta charset='no-such-charset'><p>\xff\xfe x</p>")
    assert texts("<p>caf\u00e9</p>".encode("utf-16")) == ["caf\u00e9"]


# --- robustness -----------------------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "", "   ", "<", "<<<>>>", "<p>unclosed <b>bold <i>italic <div>div", "</p></div></body>",
    "<html><body><table><tr><td>cell<td>cell2<tr><td>row2</table>", "\x00\x00<p>nul</p>",
    "<?xml version='1.0' encoding='utf-8'?><html><body><p>xml decl</p></body></html>",
    "<p>text</p></html><p>after html end</p>",
])
def test_malformed_markup_never_raises(html: str) -> None:
    page = segment_html(html)
    assert len(page.blocks) == page.dom.shape[0]


def test_unclosed_tags_keep_text() -> None:
    assert texts("<p>unclosed <b>bold <div>div text") == ["unclosed bold", "div text"]
    assert texts("<p>text</p></html><p>after html end</p>") == ["text", "after html end"]


def test_nested_tables_10000_deep_are_bounded() -> None:
    html = "<p>before</p>" + "<table><tr><td>x" * 10_000 + "deep" + "</td></tr></table>" * 10_000
    t0 = time.perf_counter()
    page = segment_html(html)
    assert time.perf_counter() - t0 < 10
    assert page.blocks[0].text == "before"
    assert int(page.dom[:, R["depth"]].max()) <= fhtml.MAX_DEPTH + 1


def test_binary_garbage_gives_a_result() -> None:
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    page = segment_html(data)
    assert len(page.blocks) == page.dom.shape[0]


def test_block_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhtml, "MAX_BLOCKS", 50)
    page = segment_html("<p>para</p>" * 500)
    assert len(page.blocks) == page.dom.shape[0] == 50


def test_huge_page_is_cut_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhtml, "MAX_HTML_CHARS", 10_000)
    html = "<p>first paragraph</p>" + "<p>filler text here</p>" * 5_000 + "<p>LAST</p>"
    out = texts(html)
    assert out[0] == "first paragraph" and "LAST" not in out and len(out) < 600


# --- DOM features ----------------------------------------------------------------------------

def test_dom_features_shape_and_values() -> None:
    pages = [segment_html(THREAD_PAGE), segment_html("<p>one block only</p>"), segment_html("")]
    pf, offsets = html_features(pages)
    assert pf.X.shape == (int(offsets[-1]), len(HTML_FEATURE_NAMES))
    assert np.isfinite(pf.X).all()
    D = pf.X[:, len(HTML_FEATURE_NAMES) - len(DOM_NAMES):]
    assert D[0, L["dom_link_density"]] == pytest.approx(8 / 9)  # "Home | News": the bar is not a link
    assert D[2, L["dom_link_density"]] == 0.0
    assert D[1, L["dom_is_heading"]] == 1.0 and D[1, L["dom_heading_level"]] == 1.0
    comments = D[5:8]
    assert (comments[:, L["dom_anc_comment"]] == 1).all() and D[1, L["dom_anc_comment"]] == 0
    assert (comments[:, L["dom_in_li"]] == 1).all()
    # each comment is one block in its own <li>; the two li.comment.even items form one group
    # of two under the <ol>, li.comment.odd a group of one
    assert (comments[:, L["dom_log_container_blocks"]] == pytest.approx(np.log1p(1)))
    assert comments[:, L["dom_log_items"]] == pytest.approx(np.log1p([2, 1, 2]))
    # context columns do not cross pages: the single-block page has no neighbours
    j = DOM_NAMES.index("n-1_dom_link_density")
    assert D[9, j] == -1.0


# --- the HTML model: routing and fallback -----------------------------------------------------

def make_html_model(seed: int = 0) -> BlockModel:
    """A small seeded MLP over the HTML schema with hand-made transitions."""
    rng = np.random.default_rng(seed)
    n = len(HTML_FEATURE_NAMES)
    w = [rng.normal(0, 0.3, size=(n, 8)).astype(np.float32), rng.normal(0, 0.3, size=(8, 4)).astype(np.float32)]
    b = [np.zeros(8, dtype=np.float32), np.zeros(4, dtype=np.float32)]
    log_start, log_trans = decode.fit_transitions(GOLD_SEQUENCES)
    return BlockModel(feature_names=HTML_FEATURE_NAMES, schema=DOM_SCHEMA_VERSION,
                      mean=np.zeros(n, dtype=np.float32), scale=np.ones(n, dtype=np.float32),
                      weights=w, biases=b, transitions=log_trans, start=log_start,
                      prior=np.full(4, 0.25), meta={"version": "html-test"})


@pytest.fixture(scope="module")
def html_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("htmlmodel")
    make_html_model().save(d / "model-html")
    return d / "model-html.json"


def test_html_pages_go_to_the_html_model(model_path: Path, html_model_path: Path) -> None:
    clf = Classifier.load(model_path, html_path=html_model_path)
    html_name, text_name = clf.html_model.name, clf.model.name
    assert html_name != text_name
    d = clf.classify_html(THREAD_PAGE, id="p")
    assert d.model == html_name and [b["line"] for b in d.blocks] == [None] * 9
    assert abs(sum(d.blocks[0]["proba"].values()) - 1) < 1e-3
    docs = list(clf.classify_many([{"text": "A line.\nAnother line."}, {"html": THREAD_PAGE},
                                   {"text": "Third page."}]))
    assert [x.model for x in docs] == [text_name, html_name, text_name]
    assert docs[1].to_dict()["blocks"] == d.to_dict()["blocks"]


def test_html_model_given_as_model_path(html_model_path: Path) -> None:
    clf = Classifier.load(html_model_path)
    assert clf.html_model is not None and clf.model.schema != DOM_SCHEMA_VERSION


def test_without_html_model_html_uses_the_text_model(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_HTML_MODEL, raising=False)
    clf = Classifier.load(model_path)
    assert clf.html_model is None
    d = clf.classify_html(THREAD_PAGE)
    assert d.model == clf.model.name and len(d.blocks) == 9


def test_missing_or_broken_default_html_model_falls_back(model_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import classifier.api as api

    monkeypatch.delenv(ENV_HTML_MODEL, raising=False)
    monkeypatch.setattr(api, "default_model_path",
                        lambda stem=api.MODEL_STEM, env_var=api.ENV_MODEL:
                        model_path if stem == api.MODEL_STEM else tmp_path / f"{stem}.json")
    assert Classifier.load().html_model is None  # missing
    (tmp_path / "model-html.json").write_text(json.dumps({"format": "newswinnow-model"}))
    clf = Classifier.load()  # broken: a warning, then the text model
    assert clf.html_model is None and clf.classify_html("<p>x</p>").model == clf.model.name


def test_shipped_html_model_is_loaded_at_the_first_html_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped HTML model is read when an HTML page needs it, not by ``load``: a plain-text
    run never pays for it (~15 ms of every start-up). Its path is known from the start."""
    import classifier.api as api

    if not (Path(api.__file__).resolve().parents[1] / "data" / "model-html.json").exists():
        pytest.skip("no shipped HTML model")
    monkeypatch.delenv(ENV_HTML_MODEL, raising=False)
    calls = []
    real = api._default_html_model
    monkeypatch.setattr(api, "_default_html_model", lambda p: calls.append(p) or real(p))
    clf = Classifier.load()
    assert clf.html_path is not None and clf.html_path.name == "model-html.json"
    clf.classify_text("Harbour bridge to close.\nGreat news, finally.")
    clf.classify_pages([clf.prepare({"text": "One more plain page."})])
    assert calls == []
    d = clf.classify_html(THREAD_PAGE)
    assert len(calls) == 1 and d.model == clf.html_model.name != clf.model.name
    clf.classify_html(THREAD_PAGE)
    assert len(calls) == 1


def test_plain_text_runs_do_not_import_the_html_modules(tmp_path: Path) -> None:
    """``features.html``, ``features.dom`` and ``classifier.html_decode`` (~10 ms of start-up)
    are imported at the first HTML page: a fresh process classifying plain text through the CLI
    never imports them, and one that meets an HTML record does."""
    import subprocess
    import sys

    probe = ("import sys\n"
             "from classifier import cli\n"
             "try:\n"
             "    cli.main()\n"
             "except SystemExit:\n"
             "    pass\n"
             "html = ('features.html', 'features.dom', 'classifier.html_decode')\n"
             "sys.stderr.write('HTML-MODULES ' + ' '.join(m for m in html if m in sys.modules) + '\\n')\n")
    root = Path(__file__).resolve().parents[1]
    every = "features.html features.dom classifier.html_decode"
    for kind, record, expected in (("text", {"text": "Harbour bridge to close.\nGreat news."}, ""),
                                   ("html", {"html": THREAD_PAGE}, every)):
        path = tmp_path / f"{kind}.jsonl"
        path.write_text(json.dumps(record) + "\n")
        run = subprocess.run([sys.executable, "-c", probe, "classify", str(path)], cwd=root, capture_output=True,
                             text=True, timeout=120)
        line = [ln for ln in run.stderr.splitlines() if ln.startswith("HTML-MODULES")]
        assert line and line[0].split(" ", 1)[1:] == ([expected] if expected else [""]), run.stderr
        assert json.loads(run.stdout)["blocks"]


def test_explicit_broken_html_model_raises(model_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ModelError):
        Classifier.load(model_path, html_path=bad)


def test_text_model_refused_as_html_model(model_path: Path) -> None:
    with pytest.raises(ModelError, match="schema"):
        Classifier.load(model_path, html_path=model_path)


# --- CLI ---------------------------------------------------------------------------------------

def test_cli_classify_and_filter_html(run_cli, model_path: Path, html_model_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(THREAD_PAGE)
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    deep = tmp_path / "deep.html"
    deep.write_text("<p>top</p>" + "<table><tr><td>x" * 10_000)
    r = run_cli(["classify", "--format", "html", "--model", html_model_path, "--rejects", tmp_path / "rej",
                 page, garbage, deep])
    assert r.returncode == 0, r.stderr
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    rejected = (tmp_path / "rej").read_bytes().count(b"\n") if (tmp_path / "rej").exists() else 0
    assert len(docs) + rejected == 3 and docs[0]["id"] == "page.html"
    assert docs[0]["model"].startswith("newswinnow-model html-test")
    r = run_cli(["filter", "--format", "html", "--model", html_model_path, "--keep", "editorial,comment", page])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    kept = set(out["text"].split("\n")) - {""}
    assert kept <= set(texts(THREAD_PAGE)) and "html" not in out
    labels = {b["label"] for b in docs[0]["blocks"] if b["text"] in kept}
    assert labels <= {"editorial", "comment"}


# --- training data (real corpora) ---------------------------------------------------------------

@pytest.fixture
def corpora_dir() -> Path:
    d = SHARED / "corpora"
    if not (d / "dragnet_train").is_dir():
        pytest.skip("../shared/corpora is not present")
    return d


def test_dragnet_html_pages_are_labelled(corpora_dir: Path) -> None:
    from training.html_data import featurize_html, is_holdout, read_dragnet_html, spam_pages

    ids = sorted(p.name.split(".")[0] for p in (corpora_dir / "dragnet_train" / "Corrected").glob("*.txt"))[:40]
    pages = list(read_dragnet_html(corpora_dir / "dragnet_train", ids=ids))
    assert len(pages) >= 20
    for p in pages:
        assert len(p.texts) == len(p.labels) == p.meta["html"].dom.shape[0]
        rec = p.meta["recovered"]["editorial"] / max(p.meta["gold_tokens"]["editorial"], 1)
        assert rec > 0.5, p.id  # most of the gold article is found in the page's blocks
    threads = [p for p in pages if "comment" in p.labels]
    assert threads
    spam = spam_pages(threads, ["Check out my channel for free gift cards!!! " * 2], seed=0)
    assert spam and all("spam" in p.labels for p in spam)
    M = featurize_html(pages[:5] + spam[:2])
    assert M.X.shape == (len(M.y), len(HTML_FEATURE_NAMES)) and np.isfinite(M.X).all()
    assert is_holdout("example.com") == is_holdout("example.com")
    share = np.mean([is_holdout(f"site{i}.com") for i in range(2000)])
    assert 0.15 < share < 0.25


def test_readability_pages_are_labelled_and_split_by_site(corpora_dir: Path) -> None:
    from training.html_data import READABILITY_HOLDOUT_FRACTION, is_holdout, read_readability_html, readability_group

    assert readability_group("nytimes-3") == readability_group("nytimes-1") == "readability/nytimes"
    share = np.mean([is_holdout(readability_group(f"site{i}-1")) for i in range(2000)])
    assert abs(share - READABILITY_HOLDOUT_FRACTION) < 0.05
    root = corpora_dir / "mozilla_readability"
    if not root.is_dir():
        pytest.skip("no mozilla_readability corpus")
    pages = list(read_readability_html(root))
    assert len(pages) >= 80
    for p in pages:
        assert len(p.texts) == len(p.labels) == p.meta["html"].dom.shape[0]
        assert set(p.labels) <= {"editorial", "boilerplate"} and "editorial" in p.labels
    held = {p.group for p in pages if is_holdout(p.group)}
    assert held and len(held) < len({p.group for p in pages})


def test_shipped_html_model_loads_when_present() -> None:
    root = Path(__file__).resolve().parents[1] / "data" / "model-html.json"
    if not root.exists():
        pytest.skip("no shipped HTML model")
    m = BlockModel.load(root, expected_schema=DOM_SCHEMA_VERSION, expected_features=HTML_FEATURE_NAMES)
    assert m.weights[-1].shape[1] == len(LABELS)


def test_shipped_html_model_has_the_html_network_settings() -> None:
    """The HTML network's size and penalty are its own (``train_html``), not the text model's: a
    retrain that picked up ``training.train``'s settings would change the shipped model unseen."""
    from training.train_html import HTML_HIDDEN_LAYERS, HTML_L2_ALPHA

    root = Path(__file__).resolve().parents[1] / "data" / "model-html.json"
    if not root.exists():
        pytest.skip("no shipped HTML model")
    m = BlockModel.load(root, expected_schema=DOM_SCHEMA_VERSION, expected_features=HTML_FEATURE_NAMES)
    assert [w.shape[1] for w in m.weights[:-1]] == list(HTML_HIDDEN_LAYERS)
    assert m.meta["l2_alpha"] == HTML_L2_ALPHA and m.meta["hidden_layers"] == list(HTML_HIDDEN_LAYERS)


def test_control_characters_before_a_hidden_element() -> None:
    """Removing a hidden element moves the text after it onto its neighbour; a control character
    in that text (which libxml2 keeps but lxml's setters refuse) must not crash the page
    (found by the hypothesis test in tests/test_robust.py)."""
    from features.html import segment_html

    page = '<div>\x08<div style="display:none"><p>x</p></div>tail \x0b text</div><p>After it.</p>'
    texts = [b.text for b in segment_html(page).blocks]
    assert any("After it." in t for t in texts)


# What the shared ``features.segment._strip_noscript`` (both HTML readers') must match.
NOSCRIPT_REGEX = r"<noscript\b[^>]*>.*?</noscript\s*>"


@pytest.mark.parametrize("page", [
    "a<noscript>x</noscript>b<NOSCRIPT class='n'>y</noscript >c",
    "<noscript>one<noscript>two</noscript>three</noscript>end",
    "a<noscript>never closed",
    "<noscript>x</noscript>b<noscript>unclosed</noscrip",
    "<noscript <noscript>x</noscript>", "</noscript><noscript>", "<noscriptx>kept</noscript>",
    "a<noscript data-x='" + "y" * 3000 + "'>gone</noscript>b",  # a long opening tag is still one
])
def test_noscript_removal_matches_the_regex(page: str) -> None:
    import re

    from features.segment import _strip_noscript

    assert _strip_noscript(page) == re.compile(NOSCRIPT_REGEX, re.I | re.S).sub("", page)


def test_unclosed_noscript_is_linear() -> None:
    """200,000 unclosed <noscript> took hours with the regex (it rescanned the page from each)."""
    page = "<html><body>" + "<noscript><div><p a='" * 200_000
    t = time.process_time()
    segment_html(page)
    assert time.process_time() - t < 2.0


def test_html_training_keeps_the_seven_state_decoder_by_default() -> None:
    """The HTML model's tables stay seven-state unless asked (the per-page chain did not win on
    HTML out of fold: docs/text-model.md), while the option accepts every decoder."""
    from classifier import decode
    from training.train_html import HTML_DECODER, main

    opt = next(p for p in main.params if p.name == "decoder")
    assert HTML_DECODER == "thread" and opt.default == HTML_DECODER
    assert tuple(opt.type.choices) == decode.DECODERS


def test_html_training_leaves_the_text_training_settings_alone(tmp_path) -> None:
    """`train --html` passes its networks' widths and penalty to each fit and puts the label share
    back when it ends (here: on a Dragnet folder with no page in it), so a text training later in
    the same process (a test run, a notebook) is not fitted with the HTML settings."""
    from click.testing import CliRunner

    from training import train as text_train
    from training.train_html import main

    before = (text_train.HIDDEN_LAYERS, text_train.L2_ALPHA, text_train.MIN_LABEL_SHARE)
    (tmp_path / "dragnet_train").mkdir()
    result = CliRunner().invoke(main, ["--corpora", str(tmp_path), "--out", str(tmp_path / "m"),
                                       "--card", str(tmp_path / "card.md"), "--min-label-share", "0.3",
                                       "--l2-alpha", "7"])
    assert result.exit_code == 1 and "no HTML page with its gold" in result.output  # stops before any fit
    assert before == (text_train.HIDDEN_LAYERS, text_train.L2_ALPHA, text_train.MIN_LABEL_SHARE)


def test_html_training_fits_with_the_html_widths_and_penalty(tmp_path, monkeypatch) -> None:
    """Every fit of `train --html` (the folds' and the final one) is given the HTML networks' widths
    and the run's penalty, not the text model's defaults (the readers are stubbed: the fits are
    what is checked, and the run stops at the first)."""
    from click.testing import CliRunner

    from training import train_html
    from training.train_html import HTML_HIDDEN_LAYERS

    class Stop(Exception):
        pass

    page = SimpleNamespace(group="g", corpus="dragnet", labels=["editorial"], texts=["x"])
    matrix = SimpleNamespace(pages=[page], y=np.zeros(1, dtype=np.int64), groups=np.zeros(1), X=np.zeros((1, 2)),
                             set_lexical=lambda oof: None)
    seen: list[dict] = []

    def fit(*args, **kw):
        seen.append(kw)
        raise Stop

    monkeypatch.setattr(train_html, "load_html_pages", lambda *a: [page])
    monkeypatch.setattr(train_html, "is_holdout", lambda group: False)
    monkeypatch.setattr(train_html, "spam_pages", lambda *a: [])
    monkeypatch.setattr(train_html, "featurize_html", lambda pages: matrix)
    monkeypatch.setattr(train_html.lexicon, "spam_examples", lambda *a, **k: [])
    monkeypatch.setattr(train_html.lexicon, "fit_with_oof", lambda *a, **k: (SimpleNamespace(words=[]), None))
    monkeypatch.setattr(train_html, "cross_validate", fit)
    monkeypatch.setattr(train_html, "fit_network", fit)
    (tmp_path / "dragnet_train").mkdir()
    for folds in ("5", "0"):  # the folds' fits, then (no folds) the final one
        result = CliRunner().invoke(train_html.main, ["--corpora", str(tmp_path), "--folds", folds,
                                                      "--l2-alpha", "0.7"])
        assert isinstance(result.exception, Stop)
    assert [(kw.get("hidden"), kw.get("l2")) for kw in seen] == [(HTML_HIDDEN_LAYERS, 0.7)] * 2
