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
larger page is ignored), libxml2 stops nesting at its own depth limit (256 without
``huge_tree``), and the walk does not descend below ``MAX_DEPTH``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from lxml import etree
from lxml import html as lxml_html

from .dom_lexicon import ANCESTOR_TAGS, CLASS_GROUPS, TAG_GROUP_NAMES, TAG_GROUPS, WHOLE_WORD_MAX
from .segment import BLOCK_TAGS, DROP_TAGS, Block

__all__ = ["HtmlPage", "segment_html", "decode_html", "RAW_COLUMNS", "CLASS_GROUP_NAMES"]

# Characters of HTML parsed per page; a larger page is cut here (bounded time and memory).
MAX_HTML_CHARS = 8_000_000
# The walk does not descend below this depth (the subtree's text joins the block above).
MAX_DEPTH = 300
# Bytes searched for a <meta charset> declaration.
CHARSET_SNIFF_BYTES = 4096
# Distinct class/id strings remembered per process (their group masks).
MASK_CACHE_SIZE = 50_000

CLASS_GROUP_NAMES: tuple[str, ...] = tuple(CLASS_GROUPS)
# Raw per-block DOM facts (int64 columns of ``HtmlPage.dom``).
RAW_COLUMNS: tuple[str, ...] = (
    "chars", "link_chars", "link_count", "depth", "heading", "tag_group", "own_mask", "anc_mask",
    "anc_tags", "el_no", "container", "signature",
)
_C = {n: i for i, n in enumerate(RAW_COLUMNS)}

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_DECL = re.compile(r"^\ufeff?\s*<\?xml[^>]{0,500}>", re.I)
_END_BODY_HTML = re.compile(r"</(?:body|html)\s*>", re.I)
_NOSCRIPT = re.compile(r"<noscript\b[^>]{0,2000}>.*?</noscript\s*>", re.I | re.S)
# Format characters that leave a block visibly empty.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad "
_HEADING_LEVEL = {f"h{i}": i for i in range(1, 7)}
_TAG_GROUP_INDEX = {t: TAG_GROUP_NAMES.index(g) for t, g in TAG_GROUPS.items()}
_OTHER_TAG = TAG_GROUP_NAMES.index("other")
_ANC_BIT = {t: 1 << i for i, t in enumerate(ANCESTOR_TAGS)}
_ANC_BIT.update({f"h{i}": _ANC_BIT["h"] for i in range(1, 7)})


def _group_rx(prefixes: tuple[str, ...]) -> re.Pattern:
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
    return re.compile("|".join(alts))


_GROUP_RX = tuple(_group_rx(p) for p in CLASS_GROUPS.values())
_mask_cache: dict[str, int] = {}


def class_mask(attrs: str) -> int:
    """Bit mask of the ``CLASS_GROUPS`` a class/id string belongs to (cached per string)."""
    m = _mask_cache.get(attrs)
    if m is None:
        low = attrs.lower()
        m = 0
        for i, rx in enumerate(_GROUP_RX):
            if rx.search(low):
                m |= 1 << i
        if len(_mask_cache) >= MASK_CACHE_SIZE:
            _mask_cache.clear()
        _mask_cache[attrs] = m
    return m


def decode_html(data: bytes) -> str:
    """Bytes -> text without ever raising: BOM, UTF-8 if it decodes, a declared non-UTF-8
    charset if the bytes fit it, else cp1252 (a wrong declaration loses nothing: every byte
    maps to a character)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:CHARSET_SNIFF_BYTES])
    if m:
        name = m.group(1).decode("ascii", "replace").lower()
        if name.replace("-", "").replace("_", "") not in ("utf8", "utf16"):
            try:
                return data.decode(name)
            except (LookupError, UnicodeDecodeError):
                pass
    return data.decode("cp1252", "replace")


def _hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


@dataclass(slots=True)
class HtmlPage:
    """Blocks of one HTML page and their raw DOM facts (``dom[i]`` = ``RAW_COLUMNS`` of block i)."""

    blocks: list[Block]
    dom: np.ndarray
    n_elements: int


def _parse(html: str) -> etree._Element | None:
    html = html[:MAX_HTML_CHARS].replace("\x00", "")
    html = _NOSCRIPT.sub("", _END_BODY_HTML.sub(" ", _XML_DECL.sub("", html, count=1)))
    if not html.strip():
        return None
    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, recover=True, huge_tree=False)
        return lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def segment_html(html: str | bytes) -> HtmlPage:
    """Blocks in document order with their DOM facts; never raises on bad markup."""
    if isinstance(html, bytes):
        html = decode_html(html)
    root = _parse(html)
    if root is None:
        return HtmlPage([], np.zeros((0, len(RAW_COLUMNS)), dtype=np.int64), 0)
    return _Walker().run(root)


class _Walker:
    """One iterative pass over the tree (explicit stack: no recursion limit)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.rows: list[tuple] = []
        self.buf: list[str] = []
        self.lbuf: list[str] = []
        self.acc_anc = 0
        self.acc_tags = 0
        self.link_count = 0
        self.link_depth = 0
        self.sigs: dict[str, int] = {}
        # owner = innermost open block element: (tag, depth, el_no, container, signature, heading)
        self.owners: list[tuple] = [("body", 0, 0, -1, 0, 0)]

    def add(self, text: str, anc: int, tags: int) -> None:
        self.buf.append(text)
        if self.link_depth:
            self.lbuf.append(text)
        self.acc_anc |= anc
        self.acc_tags |= tags

    def flush(self) -> None:
        if not self.buf:
            return
        text = _WS.sub(" ", "".join(self.buf)).strip()
        link = _WS.sub("", "".join(self.lbuf)) if self.lbuf else ""
        self.buf.clear()
        self.lbuf.clear()
        if text.strip(_INVISIBLE):
            tag, depth, el_no, container, sig, heading = self.owners[-1]
            self.blocks.append(Block(len(self.blocks), text, None, tag))
            chars = len(text) - text.count(" ")
            self.rows.append((chars, min(len(link), chars), self.link_count, depth, heading,
                              _TAG_GROUP_INDEX.get(tag, _OTHER_TAG), self.owner_mask, self.acc_anc,
                              self.acc_tags, el_no, container, sig))
        self.acc_anc = self.acc_tags = self.link_count = 0

    def run(self, root: etree._Element) -> HtmlPage:
        add, flush = self.add, self.flush
        # per open element: (is_block, is_anchor, own_mask, anc_mask, anc_tags)
        info: list[tuple[bool, bool, int, int, int]] = [(False, False, 0, 0, 0)]
        iters = [iter((root,))]
        iters_el: list[etree._Element] = []  # the elements whose children ``iters`` walk
        self.owner_mask = 0
        owner_masks = [0]
        el_no = 0
        while iters:
            el = next(iters[-1], None)
            if el is None:
                iters.pop()
                is_block, is_a, _, _, _ = info.pop()
                if not iters:
                    break
                if is_block:
                    flush()
                    self.owners.pop()
                    owner_masks.pop()
                    self.owner_mask = owner_masks[-1]
                if is_a:
                    self.link_depth -= 1
                closed = iters_el.pop()
                if closed.tail:
                    _, _, _, anc, tags = info[-1]
                    add(closed.tail, anc, tags)
                continue
            el_no += 1
            parent_anc, parent_tags = info[-1][3], info[-1][4]
            tag = el.tag
            if not isinstance(tag, str):  # comments, entities, processing instructions
                if el.tail:
                    add(el.tail, parent_anc, parent_tags)
                continue
            tag = tag.lower()
            if tag in DROP_TAGS or _hidden(el):
                if el.tail:
                    add(el.tail, parent_anc, parent_tags)
                continue
            if tag == "br":
                flush()
                if el.tail:
                    add(el.tail, parent_anc, parent_tags)
                continue
            cls, ident = el.get("class"), el.get("id")
            own = class_mask(f"{cls or ''} {ident or ''}") if (cls or ident) else 0
            anc = parent_anc | own
            tags = parent_tags | _ANC_BIT.get(tag, 0)
            is_block = tag in BLOCK_TAGS
            is_a = tag == "a"
            depth = len(iters)
            if is_block:
                flush()
                sig_key = f"{tag}.{_DIGITS.sub('', cls)}" if cls else tag
                sig = self.sigs.setdefault(sig_key, len(self.sigs))
                self.owners.append((tag, depth, el_no, self.owners[-1][2], sig, _HEADING_LEVEL.get(tag, 0)))
                owner_masks.append(own)
                self.owner_mask = own
            if is_a:
                self.link_depth += 1
                self.link_count += 1
            if depth >= MAX_DEPTH:
                add("".join(t for t in el.itertext() if isinstance(t, str)), anc, tags)
                info.append((is_block, is_a, own, anc, tags))
                iters.append(iter(()))
                iters_el.append(el)
                continue
            if el.text:
                add(el.text, anc, tags)
            info.append((is_block, is_a, own, anc, tags))
            iters.append(iter(el))
            iters_el.append(el)
        flush()
        dom = np.array(self.rows, dtype=np.int64).reshape(len(self.rows), len(RAW_COLUMNS))
        return HtmlPage(self.blocks, dom, el_no)
