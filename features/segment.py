"""Segmentation: a page becomes a list of blocks, the unit that gets a label.

Plain text: one block per non-empty line, keeping the 1-based line number exactly (blank
lines counted) because acceptance checks align gold labels by it.

HTML: one block per block-level element's own text, in document order, with ``<br>``
splitting runs. The same renderer turns HTML training pages into the one-paragraph-per-line
plain text that scrapers and Common Crawl WET files produce, so the text model sees at
training time what it will see in use.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING

from . import ext
from .charset import decode_bytes
from .tablecache import banked_regex

if TYPE_CHECKING:  # lxml is imported by the HTML functions themselves (~20 ms a plain-text run saves)
    from lxml import etree

__all__ = ["Block", "segment_text", "html_to_blocks", "html_to_text", "decode_bytes"]

# Tags whose content never reaches a reader.
DROP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "meta", "link", "svg",
     "iframe", "object", "embed", "select", "option", "textarea", "button", "input", "form-hidden"}
)
# Tags that start and end a block of their own (HTML block-level and table-ish elements).
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption",
     "section", "article", "aside", "header", "footer", "nav", "main", "figure", "figcaption",
     "address", "form", "fieldset", "legend", "center", "body", "html", "hr", "details",
     "summary", "menu", "dir", "frame", "frameset", "noframes", "label"}
)
_WS = banked_regex(r"\s+")
_HIDDEN_STYLE = banked_regex(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Markup that libxml2 reads unlike a browser, removed before parsing:
# an XML declaration (lxml refuses a str that declares an encoding, so the page rendered empty);
_XML_DECL = banked_regex(r"^\ufeff?\s*<\?xml[^>]*>", re.I)
# </body> and </html> (a browser goes on parsing after them; libxml2 dropped what follows);
_END_BODY_HTML = banked_regex(r"</(?:body|html)\s*>", re.I)
# <noscript> with its content (a scripting browser reads it as raw text up to </noscript>;
# libxml2 parses it as markup, and an unclosed <div> inside it swallowed the rest of the page).
# Removed by ``_strip_noscript``, which finds what ``<noscript\b[^>]*>.*?</noscript\s*>`` (re.I,
# re.S) matches in linear time: that regex rescans to the end of the page from every unclosed
# "<noscript" (quadratic on hostile pages).
_NOSCRIPT_OPEN = banked_regex(r"<noscript\b", re.I)
_NOSCRIPT_CLOSE = banked_regex(r"</noscript\s*>", re.I)


@dataclass(slots=True)
class Block:
    """One labelled unit: its position in the page and its text."""

    index: int
    text: str
    line: int | None = None
    tag: str | None = None
    extra: dict | None = None  # renderer details (the old HTML renderer's element path)


def _kernel_fits_block() -> bool:
    """True when ``Block`` is still what the compiled segmenter builds: the fields ``index, text,
    line, tag, extra`` (the last two defaulting to None) and no ``__post_init__``."""
    names = tuple(f.name for f in fields(Block))
    defaults = tuple(f.default for f in fields(Block))
    return (names == ("index", "text", "line", "tag", "extra") and defaults[:2] == (MISSING, MISSING)
            and defaults[3:] == (None, None) and not hasattr(Block, "__post_init__"))


# The compiled segmenter (features/_segment_ext.pyx), or None: the Python form below then runs.
_SEGMENT = ext.load("features._segment_ext") if _kernel_fits_block() else None


def segment_text(text: str) -> list[Block]:
    """One block per non-empty line; ``line`` is the 1-based line number in ``text``.

    Lines are split on ``\\n`` only (as the contract counts them); a trailing ``\\r`` is
    stripped from the block text so CRLF files keep their line numbers.
    """
    if _SEGMENT is not None and type(text) is str:  # a str subclass may redefine split/isspace
        return _SEGMENT.segment_text(text, Block)
    return _segment_text_python(text)


def _segment_text_python(text: str) -> list[Block]:
    """``segment_text`` in Python: the reference of the compiled form, and its fallback."""
    lines = text.split("\n")
    keep = [i for i, raw in enumerate(lines, 1) if raw and not raw.isspace()]
    return [Block(n, lines[i - 1].rstrip("\r"), i) for n, i in enumerate(keep)]


def _strip_noscript(html: str) -> str:
    """Remove each ``<noscript ...>...</noscript>`` (see ``_NOSCRIPT_OPEN``), in linear time: once
    an opening tag has no ``>`` or no closing tag after it, no later one has either."""
    out: list[str] = []
    pos = 0
    while (m := _NOSCRIPT_OPEN.search(html, pos)) is not None:
        gt = html.find(">", m.end())
        close = _NOSCRIPT_CLOSE.search(html, gt + 1) if gt >= 0 else None
        if close is None:
            break
        out.append(html[pos:m.start()])
        pos = close.end()
    if not out:
        return html
    out.append(html[pos:])
    return "".join(out)


def is_hidden(el: etree._Element) -> bool:
    """Whether no reader sees ``el``: the ``hidden`` attribute, ``aria-hidden``, or an inline
    style that hides it (both HTML readers drop such elements)."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def clean_markup(html: str) -> str:
    """``html`` without the markup libxml2 reads unlike a browser (the patterns above): an XML
    declaration, ``</body>``/``</html>`` (to a space), ``<noscript>`` elements. Both HTML
    readers parse what this returns."""
    return _strip_noscript(_END_BODY_HTML.sub(" ", _XML_DECL.sub("", html, count=1)))


def html_to_blocks(html: str | bytes) -> list[Block]:
    """Render HTML into text blocks in document order (robust to malformed markup).

    Each block records its tag and the class/id tokens of its ancestors in ``extra``
    (``path``) for DOM-aware features.
    """
    if isinstance(html, bytes):
        html = decode_bytes(html)
    html = clean_markup(html.replace("\x00", ""))
    if not html.strip():
        return []
    from lxml import etree
    from lxml import html as lxml_html

    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                                      huge_tree=False)
        root = lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return []
    blocks: list[Block] = []
    buf: list[str] = []
    state = {"tag": "body", "path": ""}
    stack_attrs: list[str] = []

    def flush() -> None:
        if buf:
            txt = _WS.sub(" ", "".join(buf)).strip()
            buf.clear()
            if txt:
                blocks.append(Block(len(blocks), txt, None, state["tag"], {"path": state["path"]}))

    def walk(el: etree._Element, depth: int) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in DROP_TAGS or is_hidden(el):
            if el.tail:
                buf.append(el.tail)
            return
        is_block = tag in BLOCK_TAGS
        if is_block or tag == "br":
            flush()
        if is_block:
            state["tag"] = tag
            toks = " ".join(filter(None, (el.get("class"), el.get("id"))))
            stack_attrs.append(toks)
            state["path"] = " ".join(t for t in stack_attrs if t)
        if el.text and tag != "br":
            buf.append(el.text)
        if depth < MAX_DEPTH:
            for child in el:
                walk(child, depth + 1)
        if is_block:
            flush()
            stack_attrs.pop()
            state["path"] = " ".join(t for t in stack_attrs if t)
            state["tag"] = tag
        if el.tail:
            buf.append(el.tail)

    walk(root, 0)
    flush()
    return blocks


# Deeper nesting than this is treated as one block (protects the recursion on hostile pages).
MAX_DEPTH = 400


def html_to_text(html: str | bytes) -> str:
    """Render HTML as scraped plain text: one block per line."""
    return "\n".join(b.text for b in html_to_blocks(html))
