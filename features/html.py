"""HTML segmentation for the HTML model: blocks in document order plus the DOM facts of each.

One block per block-level element's *own* text (text inside nested block elements makes
their own blocks), ``<br>`` runs split, ``script``/``style``/``noscript``/``template`` and
hidden elements dropped. Alongside each block we keep what the DOM says about it (link
characters, tag, depth, class/id vocabulary of the block and its ancestors, its container,
its sibling signature); ``features.dom`` turns those raw facts into feature columns.

Why a second walker beside ``features.segment.html_to_blocks``: that renderer feeds the
text model's training renderings and must not change under it; this one is iterative (no
recursion limit on hostile nesting), records DOM facts, and decodes bytes more carefully.

Bounded on hostile input: at most ``MAX_HTML_CHARS`` characters are parsed (the rest of a
larger page is ignored), at most ``MAX_BLOCKS`` blocks are kept, libxml2 stops nesting at its
own depth limit (256 without ``huge_tree``), and the walk does not descend below ``MAX_DEPTH``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import TYPE_CHECKING

import numpy as np

from . import tablecache
from .charset import decode_bytes as decode_html  # one decoder for every reader (features/charset.py)
from .dom_lexicon import ANCESTOR_TAGS, CLASS_GROUPS, TAG_GROUP_NAMES, TAG_GROUPS, WHOLE_WORD_MAX
from .segment import BLOCK_TAGS, DROP_TAGS, Block, clean_markup, is_hidden
from .tablecache import banked_regex

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["HtmlPage", "segment_html", "decode_html", "RAW_COLUMNS", "CLASS_GROUP_NAMES"]

# Characters of HTML parsed per page; a larger page is cut here (bounded time and memory).
MAX_HTML_CHARS = 8_000_000
# Blocks kept per page; the walk stops there (bounds the feature matrix of a hostile page).
MAX_BLOCKS = 20_000
# The walk does not descend below this depth (the subtree's text joins the block above).
MAX_DEPTH = 300
# Distinct class/id strings remembered per process (their group masks).
MASK_CACHE_SIZE = 50_000

CLASS_GROUP_NAMES: tuple[str, ...] = tuple(CLASS_GROUPS)
# Raw per-block DOM facts (int64 columns of ``HtmlPage.dom``). ``cjk_chars``: characters of
# scripts written without spaces (word counts say nothing there); ``in_top`` / ``top_chars``: the
# block lies in the page's main-content candidate / that candidate's prose characters (below).
RAW_COLUMNS: tuple[str, ...] = (
    "chars", "link_chars", "link_count", "depth", "heading", "tag_group", "own_mask", "anc_mask",
    "anc_tags", "el_no", "container", "signature", "container_signature", "grand_container",
    "cjk_chars", "in_top", "top_chars",
)
_C = {n: i for i, n in enumerate(RAW_COLUMNS)}

# Main-content candidate: the block element whose subtree maximises prose characters minus
# TOP_NOISE_WEIGHT x its other characters. Prose = unlinked characters of blocks with at least
# TOP_MIN_CHARS non-space characters and a link density under TOP_MAX_LINK_DENSITY.
TOP_MIN_CHARS = 25
TOP_MAX_LINK_DENSITY = 0.5
TOP_NOISE_WEIGHT = 1.0

_WS = banked_regex(r"\s+")
# Hiragana, katakana, CJK ideographs, Hangul, CJK compatibility ideographs.
_CJK = banked_regex("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_FIRST = "\u3040"  # below it no block needs the regex (curly quotes, dashes, accents)
_DIGITS = banked_regex(r"\d+")
# Format characters that leave a block visibly empty.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad "
_HEADING_LEVEL = {f"h{i}": i for i in range(1, 7)}
_TAG_GROUP_INDEX = {t: TAG_GROUP_NAMES.index(g) for t, g in TAG_GROUPS.items()}
_OTHER_TAG = TAG_GROUP_NAMES.index("other")
_ANC_BIT = {t: 1 << i for i, t in enumerate(ANCESTOR_TAGS)}
_ANC_BIT.update({f"h{i}": _ANC_BIT["h"] for i in range(1, 7)})


def _group_source(prefixes: tuple[str, ...]) -> str:
    """Short prefixes match whole words, middle ones a word start, long ones anywhere."""
    short = [re.escape(p) for p in prefixes if len(p) <= WHOLE_WORD_MAX]
    mid = [re.escape(p) for p in prefixes if WHOLE_WORD_MAX < len(p) < 6]
    long = [re.escape(p) for p in prefixes if len(p) >= 6]
    alts = []
    if short:
        alts.append(rf"(?<![a-z0-9])(?:{'|'.join(short)})(?![a-z0-9])")
    if mid:
        alts.append(rf"(?<![a-z0-9])(?:{'|'.join(mid)})")
    if long:
        alts.append(f"(?:{'|'.join(long)})")
    return "|".join(alts)


# (Compiled in one call to the table cache, as are the long-prefix patterns below: together
# they took ~10 ms of every start-up, HTML or not.)
_GROUP_RX = tuple(tablecache.compile_many([_group_source(p) for p in CLASS_GROUPS.values()], "html-class-groups"))
_WORD = banked_regex(r"[a-z]+")
_mask_cache: dict[str, int] = {}
_word_cache: dict[str, int] = {}


# The same test as ``_GROUP_RX`` for one lowercase ASCII word (what ``class_mask`` passes), as
# lookups: a short prefix must be the whole word, a middle one its start, a long one anywhere in
# it; one regex of all long prefixes says whether any group's long prefixes need a look. About
# 5x fewer operations per new word than 17 regex searches (every page brings new ids and
# classes). Exact only for prefixes of ASCII letters: anything else in the lexicon is an error.
_ASCII_WORD = banked_regex(r"[a-z]+")
if not all(_ASCII_WORD.fullmatch(p) for ps in CLASS_GROUPS.values() for p in ps):
    raise ValueError("features.dom_lexicon.CLASS_GROUPS: prefixes must be lowercase ASCII letters")
_SHORT_MASK: dict[str, int] = {}
_MID_MASK: dict[str, int] = {}
for _bit, _ps in enumerate(CLASS_GROUPS.values()):
    for _p in _ps:
        if len(_p) <= WHOLE_WORD_MAX:
            _SHORT_MASK[_p] = _SHORT_MASK.get(_p, 0) | 1 << _bit
        elif len(_p) < 6:
            _MID_MASK[_p] = _MID_MASK.get(_p, 0) | 1 << _bit
_MID_LENGTHS = tuple(sorted({len(p) for p in _MID_MASK}))
# (bit, long prefixes) of each group that has any
_LONG_GROUPS = [(1 << i, [p for p in ps if len(p) >= 6]) for i, ps in enumerate(CLASS_GROUPS.values())]
_LONG_GROUPS = [(bit, ps) for bit, ps in _LONG_GROUPS if ps]
_LONG_ANY, *_long_rx = tablecache.compile_many(
    ["|".join(p for _, ps in _LONG_GROUPS for p in ps)] + ["|".join(ps) for _, ps in _LONG_GROUPS], "html-class-long")
_LONG_RX = tuple((bit, rx) for (bit, _), rx in zip(_LONG_GROUPS, _long_rx))


def _word_mask(word: str) -> int:
    """Group bits of one word of ``_WORD`` (cached); equal to testing it with ``_GROUP_RX``."""
    m = _SHORT_MASK.get(word, 0)
    n = len(word)
    for k in _MID_LENGTHS:
        if k <= n:
            m |= _MID_MASK.get(word[:k], 0)
    if _LONG_ANY.search(word):
        for bit, rx in _LONG_RX:
            if rx.search(word):
                m |= bit
    if len(_word_cache) >= MASK_CACHE_SIZE:
        _word_cache.clear()
    _word_cache[word] = m
    return m


def class_mask(attrs: str) -> int:
    """Bit mask of the ``CLASS_GROUPS`` a class/id string belongs to.

    Computed per word (words repeat across sites far more than whole class strings do) and
    cached per string and per word.
    """
    m = _mask_cache.get(attrs)
    if m is None:
        m = 0
        get = _word_cache.get
        for w in _WORD.findall(attrs.lower()):
            wm = get(w)
            m |= _word_mask(w) if wm is None else wm
        if len(_mask_cache) >= MASK_CACHE_SIZE:
            _mask_cache.clear()
        _mask_cache[attrs] = m
    return m


@dataclass(slots=True)
class HtmlPage:
    """Blocks of one HTML page and their raw DOM facts (``dom[i]`` = ``RAW_COLUMNS`` of block i)."""

    blocks: list[Block]
    dom: np.ndarray
    n_elements: int


def _parse(html: str) -> etree._Element | None:
    etree, hidden_candidates = _lxml()
    html = clean_markup(html[:MAX_HTML_CHARS].replace("\x00", ""))
    if not html.strip():
        return None
    try:
        # Plain etree elements (no lxml.html class lookup per element): the walk is cheaper. No
        # table of id attributes (collect_ids): nothing looks elements up by id; same tree.
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, huge_tree=False,
                                  collect_ids=False)
        root = etree.fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    # Content no reader sees goes before the walk, in C: dropped tags, then hidden elements.
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    for el in hidden_candidates(root):
        if is_hidden(el):
            _remove_keep_tail(el)
    return root


# Elements that may be hidden, in document order: the elements of "//*[@hidden or
# @aria-hidden='true' or @style]", found from the attribute axis (libxml2 tests a predicate on
# every element far more slowly than it lists attributes: about half the time on news pages).
HIDDEN_CANDIDATES_XPATH = "(//@hidden | //@aria-hidden[.='true'] | //@style)/.."


@functools.cache
def _lxml() -> tuple:
    """``lxml.etree`` and the compiled ``HIDDEN_CANDIDATES_XPATH``, imported at the first HTML
    page: importing lxml is ~20 ms of every start-up, which a plain-text run never needs."""
    from lxml import etree

    return etree, etree.XPath(HIDDEN_CANDIDATES_XPATH)


def _remove_keep_tail(el: etree._Element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = _xml_safe((prev.tail or "") + el.tail)
        else:
            parent.text = _xml_safe((parent.text or "") + el.tail)
    parent.remove(el)


# Control characters libxml2 keeps in parsed text but lxml refuses to set (tab, LF, CR allowed).
_XML_UNSAFE = banked_regex("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` with the characters lxml's setters refuse replaced by a space."""
    return _XML_UNSAFE.sub(" ", text)


def segment_html(html: str | bytes) -> HtmlPage:
    """Blocks in document order with their DOM facts; never raises on bad markup."""
    if isinstance(html, bytes):
        html = decode_html(html)
    root = _parse(html)
    if root is None:
        return HtmlPage([], np.zeros((0, len(RAW_COLUMNS)), dtype=np.int64), 0)
    return _walk(root)


_sig_cache: dict[tuple[str, str], str] = {}  # never holds "": the walk tests hits with `or`


def _sig_key(tag: str, cls: str) -> str:
    """An element's signature: its tag and class without digits ("li.comment depth-")."""
    key = _sig_cache.get((tag, cls))
    if key is None:
        if len(_sig_cache) >= MASK_CACHE_SIZE:
            _sig_cache.clear()
        key = _sig_cache[(tag, cls)] = f"{tag}.{_DIGITS.sub('', cls)}"
    return key


# What the walk does with an element, by tag (one dict lookup per element instead of four set
# and dict tests): its ancestor-tag bit and its kind. Tags absent here are plain inline elements
# (span, b, img...): no bit, nothing but their class/id and text.
_INLINE, _BLOCK, _LINK, _BR = 0, 1, 2, 3
_TAG_KIND: dict[str, tuple[int, int]] = {
    t: (_ANC_BIT.get(t, 0), _BR if t == "br" else _LINK if t == "a" else _BLOCK if t in BLOCK_TAGS else _INLINE)
    for t in (*BLOCK_TAGS, *_ANC_BIT, "br")
}
_NO_TAG_KIND = (0, _INLINE)
# Per block tag: (heading level, tag group), the owner facts that depend on the tag alone.
_BLOCK_INFO: dict[str, tuple[int, int]] = {
    t: (_HEADING_LEVEL.get(t, 0), _TAG_GROUP_INDEX.get(t, _OTHER_TAG)) for t in BLOCK_TAGS
}


def _walk(root: etree._Element) -> HtmlPage:
    """One pass over the elements in document order (iterative: no recursion on deep nesting).

    A block's text is its element's own text and the tails of its inline children, up to the
    next block element or ``<br>``; each block takes the DOM facts of its innermost enclosing
    block element (the "owner") and the class/tag masks of every element its text came from.

    Per element event the loop does as little Python as it can (this is most of the segmenter's
    time): the class/tag masks in force are locals, saved on a stack at an element's start and
    restored at its end; the per-block numbers that need the whole text (characters, CJK
    characters) are computed once after the walk over all blocks (``_rows``). The elements come
    from ``iter`` (about twice as fast as ``iterwalk``'s start/end events): an element's end is
    handled when the next element whose parent it is not begins (or the document ends), which is
    where ``iterwalk`` would give its "end" event; comments and PIs, which ``iterwalk`` gives no
    events either, are not iterated.
    """
    texts: list[str] = []
    btags: list[str] = []  # per block: its owner's tag
    rows: list[tuple] = []  # per block: RAW_COLUMNS from link_chars to grand_container
    buf: list[str] = []
    lbuf: list[str] = []
    sigs: dict[str, int] = {}
    acc_anc = acc_tags = link_count = link_depth = 0
    # owner stack: (tag, depth, el_no, container el_no, signature, heading level, own mask,
    # + the container's signature and the container's own container (items of a list/thread),
    # + the tag group)
    owners: list[tuple] = [("body", 0, 0, -1, 0, 0, 0, -1, -1, _TAG_GROUP_INDEX.get("body", _OTHER_TAG))]
    ends: dict[int, int] = {}  # block element number -> number of the last element inside it
    # Masks in force inside the current element (class/id groups, ancestor tags); the stack
    # holds, per open element, the masks of its parent, the element's kind and the element (the
    # first entry stands for the document: the root element's parent is None).
    anc = tags = 0
    stack: list[tuple] = [(0, 0, _INLINE, None)]
    el_no = 0
    stopped = False

    def flush() -> None:
        nonlocal acc_anc, acc_tags, link_count
        text = " ".join("".join(buf).split())
        buf.clear()
        if lbuf:
            link = len("".join("".join(lbuf).split()))
            lbuf.clear()
        else:
            link = 0
        if text and text.strip(_INVISIBLE):
            o = owners[-1]
            texts.append(text)
            btags.append(o[0])
            rows.append((link, link_count, o[1], o[5], o[9], o[6], acc_anc, acc_tags, o[2], o[3], o[4], o[7], o[8]))
        acc_anc = acc_tags = link_count = 0

    # The elements, then None: the end of the document closes every element still open.
    element = _lxml()[0].Element
    walker = chain(root.iter(element), (None,))
    # Module globals and methods bound to locals: this loop runs once per element.
    mask_cache, sig_cache, block_info = _mask_cache, _sig_cache, _BLOCK_INFO
    tag_kind, no_kind = _TAG_KIND, _NO_TAG_KIND
    max_depth, max_blocks, push, pop = MAX_DEPTH, MAX_BLOCKS, stack.append, stack.pop
    for el in walker:
        parent = None if el is None else el.getparent()
        # The ends of the open elements that do not contain this one, innermost first.
        while stack[-1][3] is not parent:
            anc, tags, kind, done = pop()
            if kind:
                if kind == _BLOCK:
                    if buf:
                        flush()
                    ends[owners.pop()[2]] = el_no
                else:
                    link_depth -= 1
            tail = done.tail
            if tail:
                if not tail.isspace():
                    buf.append(tail)
                    if link_depth:
                        lbuf.append(tail)
                    acc_anc |= anc
                    acc_tags |= tags
                elif buf:
                    buf.append(" ")
        if el is None:
            break
        el_no += 1
        tag = el.tag
        bit, kind = tag_kind.get(tag, no_kind)
        if kind == _BR:
            if buf:
                flush()
            push((anc, tags, _INLINE, el))
            continue
        cls = el.get("class")
        ident = el.get("id")
        if cls or ident:
            key = f"{cls or ''} {ident or ''}"
            own = mask_cache.get(key)
            if own is None:
                own = class_mask(key)
        else:
            own = 0
        depth = len(stack)
        if kind == _BLOCK:
            if buf:
                flush()
                if len(texts) >= max_blocks:
                    stopped = True
                    break
            key = (sig_cache.get((tag, cls)) or _sig_key(tag, cls)) if cls else tag
            sig = sigs.get(key)
            if sig is None:
                sig = sigs[key] = len(sigs)
            owner = owners[-1]
            heading, group = block_info[tag]
            owners.append((tag, depth, el_no, owner[2], sig, heading, own, owner[4], owner[3], group))
        elif kind == _LINK:
            link_depth += 1
            link_count += 1
        push((anc, tags, kind, el))
        anc |= own
        tags |= bit
        if depth >= max_depth:
            # Not below here: the subtree's text joins this element's, its elements are skipped.
            text = "".join(t for t in el.itertext() if isinstance(t, str))
            for _ in islice(walker, sum(1 for _ in el.iterdescendants(element))):
                pass
        else:
            text = el.text
        if text:
            if not text.isspace():
                buf.append(text)
                if link_depth:
                    lbuf.append(text)
                acc_anc |= anc
                acc_tags |= tags
            elif buf:  # layout whitespace: only a word separator inside a block's text
                buf.append(" ")
    if not stopped and buf:
        flush()
    del texts[MAX_BLOCKS:], btags[MAX_BLOCKS:], rows[MAX_BLOCKS:]
    blocks, dom = _rows(texts, btags, rows)
    _mark_top(dom, ends, el_no)
    return HtmlPage(blocks, dom, el_no)


def _rows(texts: list[str], btags: list[str], rows: list[tuple]) -> tuple[list[Block], np.ndarray]:
    """The blocks and their ``RAW_COLUMNS`` rows from the walk's per-block texts, tags and facts.

    Character counts are whole-column operations here (``map`` over the texts runs in C)
    rather than a few Python operations per block inside the walk.
    """
    n = len(texts)
    if not n:
        return [], np.zeros((0, len(RAW_COLUMNS)), dtype=np.int64)
    blocks = list(map(Block, range(n), texts, repeat(None, n), btags))
    dom = np.zeros((n, len(RAW_COLUMNS)), dtype=np.int64)
    dom[:, _C["link_chars"]: _C["cjk_chars"]] = np.array(rows, dtype=np.int64)
    chars = np.fromiter(map(len, texts), np.int64, n) - np.fromiter(map(str.count, texts, repeat(" ", n)), np.int64, n)
    dom[:, _C["chars"]] = chars
    np.minimum(dom[:, _C["link_chars"]], chars, out=dom[:, _C["link_chars"]])
    for i, text in enumerate(texts):
        if not text.isascii() and max(text) >= _CJK_FIRST:
            dom[i, _C["cjk_chars"]] = len(_CJK.findall(text))
    return blocks, dom


def _mark_top(dom: np.ndarray, ends: dict[int, int], n_elements: int) -> None:
    """Fill ``in_top`` / ``top_chars``: the main-content candidate's subtree, in numpy.

    Generalises across sites where class names do not: whatever the template, the article is
    the element whose subtree holds the most prose net of everything else in it (links, short
    lines): the whole page holds all the prose but all the furniture too, one paragraph's
    element holds little. Each block element's subtree is the run of element numbers up to its
    last descendant (``ends``), so its sums are two lookups in a cumulative sum.
    """
    if not len(dom) or not ends:
        return
    chars = dom[:, _C["chars"]]
    unlinked = chars - dom[:, _C["link_chars"]]
    prose = (chars >= TOP_MIN_CHARS) & (unlinked >= (1 - TOP_MAX_LINK_DENSITY) * chars)
    weight = np.where(prose, unlinked, 0).astype(np.float64)
    if not weight.any():
        return
    gain = weight - TOP_NOISE_WEIGHT * (chars - weight)
    no = dom[:, _C["el_no"]]
    order = np.argsort(no, kind="stable")
    sorted_no = no[order]
    cum = np.concatenate(([0.0], np.cumsum(gain[order])))
    els = np.fromiter(ends.keys(), np.int64, len(ends))
    last = np.fromiter(ends.values(), np.int64, len(ends))
    lo = np.searchsorted(sorted_no, els, side="left")
    hi = np.searchsorted(sorted_no, last, side="right")
    best = int(np.argmax(cum[hi] - cum[lo]))
    inside = (no >= els[best]) & (no <= last[best])
    dom[:, _C["in_top"]] = inside
    dom[:, _C["top_chars"]] = int(weight[inside].sum())
