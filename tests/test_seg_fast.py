"""The faster HTML segmenter gives exactly what the straightforward one gave.

``reference_segment`` below is the segmenter as it was before the speed work (the predicate
XPath for hidden elements, one tuple of four on the stack per element, the per-block numbers
computed inside the walk); every output of ``segment_html`` (blocks, tags, all raw DOM facts,
element count) must equal it: on hand-written pages, on hypothesis's hostile HTML, with the
depth and block bounds lowered so their branches run, on trees that keep comments and
processing instructions, and on a sample of the corpus pages (skipped without ../shared).
``benchmarks/seg_identity.py`` does the same, plus the feature matrix and the final JSON, on
all 1,996 corpus pages.
"""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED
from hypothesis import given, settings
from lxml import etree
from strategies import html_pages

from features import html as fhtml
from features.dom import dom_matrix, html_features
from features.extract import extract_batch
from features.segment import BLOCK_TAGS, DROP_TAGS, Block

# --- the reference: the segmenter before the speed work -------------------------------------

_OLD_HIDDEN_XPATH = "//*[@hidden or @aria-hidden='true' or @style]"


def reference_parse(html: str, parser: etree.HTMLParser | None = None) -> etree._Element | None:
    html = html[:fhtml.MAX_HTML_CHARS].replace("\x00", "")
    html = fhtml.clean_markup(html)
    if not html.strip():
        return None
    try:
        parser = parser or etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, huge_tree=False)
        root = etree.fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    for el in root.xpath(_OLD_HIDDEN_XPATH):
        if fhtml.is_hidden(el):
            fhtml._remove_keep_tail(el)
    return root


def reference_class_mask(attrs: str) -> int:
    m = 0
    for w in fhtml._WORD.findall(attrs.lower()):
        for i, rx in enumerate(fhtml._GROUP_RX):
            if rx.search(w):
                m |= 1 << i
    return m


def reference_walk(root: etree._Element) -> fhtml.HtmlPage:  # noqa: C901 - kept as it was
    blocks: list[Block] = []
    rows: list[tuple] = []
    buf: list[str] = []
    lbuf: list[str] = []
    sigs: dict[str, int] = {}
    acc_anc = acc_tags = link_count = link_depth = 0
    owners: list[tuple] = [("body", 0, 0, -1, 0, 0, 0, -1, -1)]
    ends: dict[int, int] = {}
    stack: list[tuple[int, int, bool, bool]] = [(0, 0, False, False)]
    el_no = 0
    tag_index, anc_bit, headings = fhtml._TAG_GROUP_INDEX, fhtml._ANC_BIT, fhtml._HEADING_LEVEL

    def flush() -> None:
        nonlocal acc_anc, acc_tags, link_count
        text = " ".join("".join(buf).split())
        link = "".join("".join(lbuf).split()) if lbuf else ""
        buf.clear()
        lbuf.clear()
        if text and text.strip(fhtml._INVISIBLE):
            tag, depth, no, container, sig, heading, own, container_sig, grand = owners[-1]
            blocks.append(Block(len(blocks), text, None, tag))
            chars = len(text) - text.count(" ")
            cjk = len(fhtml._CJK.findall(text)) if not text.isascii() and max(text) >= fhtml._CJK_FIRST else 0
            rows.append((chars, min(len(link), chars), link_count, depth, heading,
                         tag_index.get(tag, fhtml._OTHER_TAG), own, acc_anc, acc_tags, no, container, sig,
                         container_sig, grand, cjk, 0, 0))
        acc_anc = acc_tags = link_count = 0

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        if event == "start":
            el_no += 1
            tag = el.tag
            if not isinstance(tag, str):
                continue
            anc, tags, _, _ = stack[-1]
            if tag == "br":
                if buf:
                    flush()
                stack.append((anc, tags, False, False))
                continue
            cls = el.get("class")
            ident = el.get("id")
            own = reference_class_mask(f"{cls or ''} {ident or ''}") if cls or ident else 0
            anc |= own
            tags |= anc_bit.get(tag, 0)
            is_block = tag in BLOCK_TAGS
            is_a = tag == "a"
            depth = len(stack)
            if is_block:
                if buf:
                    flush()
                    if len(blocks) >= fhtml.MAX_BLOCKS:
                        break
                key = fhtml._sig_key(tag, cls) if cls else tag
                sig = sigs.get(key)
                if sig is None:
                    sig = sigs[key] = len(sigs)
                parent = owners[-1]
                owners.append((tag, depth, el_no, parent[2], sig, headings.get(tag, 0), own, parent[4], parent[3]))
            if is_a:
                link_depth += 1
                link_count += 1
            stack.append((anc, tags, is_block, is_a))
            if depth >= fhtml.MAX_DEPTH:
                walker.skip_subtree()
                text = "".join(t for t in el.itertext() if isinstance(t, str))
            else:
                text = el.text
            if text:
                if not text.isspace():
                    buf.append(text)
                    if link_depth:
                        lbuf.append(text)
                    acc_anc |= anc
                    acc_tags |= tags
                elif buf:
                    buf.append(" ")
        else:
            if isinstance(el.tag, str):
                _, _, is_block, is_a = stack.pop()
                if is_block:
                    if buf:
                        flush()
                    ends[owners.pop()[2]] = el_no
                if is_a:
                    link_depth -= 1
            tail = el.tail
            if tail:
                if not tail.isspace():
                    buf.append(tail)
                    if link_depth:
                        lbuf.append(tail)
                    acc_anc |= stack[-1][0]
                    acc_tags |= stack[-1][1]
                elif buf:
                    buf.append(" ")
    else:
        if buf:
            flush()
    del blocks[fhtml.MAX_BLOCKS:], rows[fhtml.MAX_BLOCKS:]
    dom = np.array(rows, dtype=np.int64).reshape(len(rows), len(fhtml.RAW_COLUMNS))
    fhtml._mark_top(dom, ends, el_no)
    return fhtml.HtmlPage(blocks, dom, el_no)


def reference_segment(html: str | bytes) -> fhtml.HtmlPage:
    if isinstance(html, bytes):
        html = fhtml.decode_html(html)
    root = reference_parse(html)
    if root is None:
        return fhtml.HtmlPage([], np.zeros((0, len(fhtml.RAW_COLUMNS)), dtype=np.int64), 0)
    return reference_walk(root)


def assert_same(got: fhtml.HtmlPage, want: fhtml.HtmlPage) -> None:
    assert [(b.index, b.text, b.line, b.tag, b.extra) for b in got.blocks] == \
        [(b.index, b.text, b.line, b.tag, b.extra) for b in want.blocks]
    assert got.dom.dtype == want.dom.dtype and got.dom.shape == want.dom.shape
    assert np.array_equal(got.dom, want.dom)
    assert got.n_elements == want.n_elements


# --- pages ------------------------------------------------------------------------------------

PAGES = [
    "",
    "<p>one</p>",
    "<html><body><div class='nav menu' id='top'><a href='/'>Home</a> | <a href='/n'>News <b>now</b></a></div>"
    "<article class='post-123 entry'><h2>Title <span>here</span></h2><p>First <a>link</a> tail<br>"
    "after br <i>ital</i> end.</p><ul><li class='comment depth-1'>c1<div>inner</div>tail of div</li>"
    "<li class='comment depth-2' aria-hidden='true'>gone</li><li class='comment'>c3 \u4e2d\u6587 \u3042</li>"
    "</ul></article><div style='Display : NONE'>hidden</div>after hidden<span hidden>x</span>y"
    "<table><tr><td>cell <a href='#'>a</a></td><td>\u200b</td></tr></table><footer>\u00a9 2024</footer>"
    "</body></html>",
    "<div>text<p>para</p>tail<p>p2</p>  \n <span> </span> more</div><div><br><br>after brs</div>",
    "<p>x<a>in link<div>block in link</div>still link</a>after</p>",
    "<p>a</p></html><p>after html end</p></body><div>more</div>",
    "<noscript><p>ns</p></noscript><p>kept</p><template><p>t</p></template><script>s</script>",
    "<div id='comments'><ol class='commentlist'>" + "".join(
        f"<li class='comment {'even' if i % 2 else 'odd'} c{i}'><p>Comment number {i} text.</p></li>"
        for i in range(30)) + "</ol></div>",
    "<p style='visibility:hidden'>h</p><p style='color:red'>shown</p><p hidden=''>h2</p>tail\x01ctl",
    "<?xml version='1.0' encoding='utf-8'?><html><body><p>xml decl</p></body></html>",
    "plain text without tags",
    "<h1>h</h1><h3>h3</h3><dl><dt>t</dt><dd>d</dd></dl><pre>  pre  text </pre><blockquote>q</blockquote>",
]


@pytest.mark.parametrize("page", PAGES)
def test_pages_equal_the_reference(page: str) -> None:
    assert_same(fhtml.segment_html(page), reference_segment(page))
    assert_same(fhtml.segment_html(page.encode("utf-8")), reference_segment(page.encode("utf-8")))


@settings(max_examples=300, deadline=None)
@given(html_pages())
def test_hostile_pages_equal_the_reference(page: str) -> None:
    assert_same(fhtml.segment_html(page), reference_segment(page))


def test_bounds_equal_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Depth and block bounds lowered so that the skip and stop branches run."""
    monkeypatch.setattr(fhtml, "MAX_DEPTH", 6)
    monkeypatch.setattr(fhtml, "MAX_BLOCKS", 7)
    deep = "<div>" * 12 + "deep <b>bold</b> text" + "<p>inner</p>" + "</div>" * 12 + "<p>after</p>" * 3
    many = "".join(f"<p>para {i} <a>l</a></p>" for i in range(30))
    for page in (deep, many, deep + many, PAGES[2]):
        got, want = fhtml.segment_html(page), reference_segment(page)
        assert_same(got, want)
    assert len(fhtml.segment_html(many).blocks) == 7


def test_comments_and_processing_instructions_in_the_tree() -> None:
    """A tree that keeps comments and PIs (the walk's parser drops them) walks the same."""
    parser = etree.HTMLParser(remove_comments=False, remove_pis=False, recover=True)
    page = "<div>a<!-- c -->b<p>p<?pi x?>q</p><!-- d --><span>s</span>tail</div>"
    assert_same(fhtml._walk(reference_parse(page, parser)), reference_walk(reference_parse(page, parser)))
    # an element tree with a comment and a PI built by hand
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    p = etree.SubElement(body, "p")
    p.text = "start"
    c = etree.Comment("note")
    c.tail = " after comment"
    p.append(c)
    pi = etree.ProcessingInstruction("pi", "x")
    pi.tail = " after pi"
    body.append(pi)
    assert_same(fhtml._walk(root), reference_walk(root))
    # iterwalk gives no start/end events for comments and PIs (nor their tails), in both walks
    assert [b.text for b in fhtml._walk(root).blocks] == ["start"]


def test_hidden_candidates_equal_the_predicate_xpath() -> None:
    page = ("<div hidden>1</div><div aria-hidden='true'>2</div><div aria-hidden='false'>3</div>"
            "<p style='x'>4<span style='display:none' hidden>5</span></p><b>6</b>"
            "<i aria-hidden='true' style=''>7</i>")
    root = etree.fromstring(page, etree.HTMLParser())
    got = fhtml._lxml()[1](root)
    assert got == root.xpath(_OLD_HIDDEN_XPATH)
    assert [e.text for e in got] == ["1", "2", "4", "5", "7"]


def test_word_masks_equal_the_group_regexes() -> None:
    """The lookup form of the class-group test against the regexes that define it."""
    prefixes = [p for ps in fhtml.CLASS_GROUPS.values() for p in ps]
    words = set(prefixes)
    for p in prefixes:
        for x in ("", "s", "er", "ing", "x", "a"):
            words |= {p + x, x + p, p[:-1], "z" + p + x, p + p}
    rng = random.Random(0)
    letters = "".join(sorted(set("".join(prefixes))))
    words |= {"".join(rng.choice(letters) for _ in range(rng.randint(1, 14))) for _ in range(20_000)}
    fhtml._word_cache.clear()
    bad = [w for w in words if fhtml._word_mask(w) != reference_class_mask(w)]
    assert not bad, bad[:10]
    assert fhtml._word_mask("commenters") != 0 and fhtml._word_mask("zzz") == 0


@pytest.mark.parametrize("attrs", ["comment-list reply", "post-123 entry", "ImgCaption", "sidebar_LEFT",
                                   "\u0130nput", "dsq-widget  nav\tmenu", "a d ads ad1", ""])
def test_class_mask_equals_the_reference(attrs: str) -> None:
    fhtml._mask_cache.clear()
    fhtml._word_cache.clear()
    assert fhtml.class_mask(attrs) == reference_class_mask(attrs)


def test_dom_matrix_in_place_equals_hstack() -> None:
    pages = [fhtml.segment_html(p) for p in PAGES]
    pf, offsets = extract_batch([[b.text for b in p.blocks] for p in pages])
    text_X = pf.X.copy()
    dom = dom_matrix(pages, offsets)
    X = html_features(pages, text_pf=pf)[0].X
    ref = np.hstack((text_X, dom))
    assert X.dtype == ref.dtype and X.shape == ref.shape
    assert np.array_equal(X, ref, equal_nan=True)


# --- corpus sample ------------------------------------------------------------------------------

# Pages per corpus compared in CI (all of them: benchmarks/seg_identity.py).
CORPUS_SAMPLE = 25


def _corpus_pages() -> list[tuple[str, bytes]]:
    corpora = SHARED / "corpora"
    globs = [corpora / "dragnet_train" / "HTML", corpora / "cleaneval" / "cleaneval-dev" / "input",
             corpora / "mozilla_readability" / "input"]
    out = []
    for d in globs:
        paths = sorted(Path(d).glob("*.html.gz"))
        for path in random.Random(3).sample(paths, min(CORPUS_SAMPLE, len(paths))):
            out.append((path.name, gzip.decompress(path.read_bytes())))
    return out


def test_corpus_pages_equal_the_reference() -> None:
    if not (SHARED / "corpora" / "dragnet_train").is_dir():
        pytest.skip("../shared/corpora is not present")
    pages = _corpus_pages()
    assert len(pages) >= 3
    for name, raw in pages:
        got, want = fhtml.segment_html(raw), reference_segment(raw)
        try:
            assert_same(got, want)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


def test_reference_is_not_trivially_equal() -> None:
    """The comparison can fail: a changed fact shows."""
    page = fhtml.segment_html(PAGES[2])
    want = reference_segment(PAGES[2])
    want.dom[0, 0] += 1
    with pytest.raises(AssertionError):
        assert_same(page, want)
    assert re.search("Title", " ".join(b.text for b in page.blocks))
