"""Markdown input: the text a page's markdown rendering shows a reader, for the model to read.

html2text, Jina Reader, Firecrawl, crawl4ai and trafilatura's markdown output write links as
``[anchor](url)``, images as ``![alt](src)``, headings as ``# Title``, list items as ``* item``.
The text model was trained on pages rendered to their visible text, where a link is its anchor
and a URL in a line is what a commenter or a spammer typed. Read as it is, a markdown page's
article is full of URLs: on Dragnet pages rendered by html2text with links kept, the shipped
model's editorial F1 fell to 0.26 (0.86 with html2text's links dropped). A page that reads as
markdown (``is_markdown``) is given to the model as ``plain`` makes it; the blocks stay its
lines, with their own text.
"""

from __future__ import annotations

from collections.abc import Sequence

from .tablecache import banked_regex

__all__ = ["is_markdown", "plain", "markup_positions", "MIN_MARKUP"]

# A page is markdown when it has a link or image in markdown syntax and, with its heading
# lines, at least MIN_MARKUP pieces of markup; or, without links (trafilatura's default
# markdown, html2text told to drop them), at least MIN_HEADINGS heading lines and MIN_MARKUP
# list items or **bold** spans. Headings alone do not make a page markdown: plain text starts
# lines with "#" too ("# posted by Joe", "# of Houses Sold", "# # #", code comments: 2 of the
# 966 Dragnet pages and 8 of the 732 CleanEval pages have two such lines, none with list items
# or bold spans as well).
MIN_MARKUP = 2
MIN_HEADINGS = 2
# The characters a batch's text is scanned for before any page's lines are looked at: a link's
# "](" and a heading line's "#". Single characters: str.find runs them at memchr speed (~5 GB/s
# on UCS-1 text); a two-character needle runs at ~0.6 GB/s (2.5% of a plain-text run).
LINK_CLOSE = "]"
HEADING_MARK = "#"
# A heading's marks start a line after at most this many spaces.
HEADING_INDENT = 3

# A link target: anything in parentheses on one line, one level of parentheses inside it
# (a URL, a "title", html2text's javascript:f('...', '...') targets).
_TARGET = r"\((?:[^()\n]|\([^()\n]*\))*\)"
# Anchors without brackets: the innermost link of "[a [b](u)](v)" first, then the outer one.
_IMAGE = banked_regex(r"!\[([^\[\]\n]{0,300})\]" + _TARGET)
_LINK = banked_regex(r"\[([^\[\]\n]{0,1000})\]" + _TARGET)
# Links nested deeper than this are left as they are.
MAX_NESTING = 3
_REF_LINK = banked_regex(r"\[([^\[\]\n]{1,1000})\]\[[^\[\]\n]{0,100}\]")
_HEADING = banked_regex(r"^\s{0,3}#{1,6}(?:\s+|$)")
_ITEM = banked_regex(r"^\s*[*+-]\s+(?=\S)")
_QUOTE = banked_regex(r"^\s*(?:>\s?)+")
_STRONG = banked_regex(r"\*\*|__")
_ESCAPE = banked_regex(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_RULE = banked_regex(r"^\s*(?:[*_-]\s*){3,}$")
_SPACES = banked_regex(r"\s{2,}")


def markup_positions(text: str | bytes, start: int = 0) -> list[int]:
    """Where in ``text`` (from ``start``) a link's "](" or a heading line's first "#" stands.
    ``text`` may be the UTF-8 bytes of the same text (bytes.find runs at memchr speed on text
    that is UCS-2 as a str, which news text with curly quotes is)."""
    link, paren, mark, newline, space = (LINK_CLOSE, "(", HEADING_MARK, "\n", " ") if isinstance(text, str) else (
        LINK_CLOSE.encode(), b"(", HEADING_MARK.encode(), b"\n", b" ")
    hits = []
    at = text.find(link, start)
    while at >= 0:
        if text.startswith(paren, at + 1):
            hits.append(at)
        at = text.find(link, at + 1)
    at = text.find(mark, start)
    while at >= 0:
        line_start = text.rfind(newline, 0, at) + 1
        if at - line_start <= HEADING_INDENT and not text[line_start:at].strip(space):
            hits.append(at)
        at = text.find(mark, at + 1)
    return hits


def is_markdown(lines: Sequence[str]) -> bool:
    """True when the page's lines carry markdown (the rules above MIN_MARKUP)."""
    links = headings = items = 0
    for t in lines:
        if "](" in t:
            links += len(_LINK.findall(t))
        if "#" in t and _HEADING.match(t):
            headings += 1
        elif _ITEM.match(t):
            items += 1
        elif "**" in t:
            items += t.count("**") // 2
    if links:
        return links + headings >= MIN_MARKUP
    return headings >= MIN_HEADINGS and items >= MIN_MARKUP


def plain(text: str) -> str:
    """What a reader sees of one markdown line or paragraph: link anchors and image alt text
    in place of the markup, no heading, list, quote or emphasis marks, escapes undone; "" for
    a rule or an image without alt text."""
    if _RULE.match(text):
        return ""
    for _ in range(MAX_NESTING):
        if "](" not in text:
            break
        text = _LINK.sub(r"\1", _IMAGE.sub(r"\1", text))
    if "][" in text:
        text = _REF_LINK.sub(r"\1", text)
    heading = _HEADING.match(text)
    if heading is not None:
        text = _without_closing_hashes(text[heading.end():])
    text = _QUOTE.sub("", _ITEM.sub("", text))
    if "**" in text or "__" in text:
        text = _STRONG.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _without_closing_hashes(heading: str) -> str:
    """An ATX heading's text without its optional closing "#"s ("Title ##" -> "Title"); done
    with str methods, as a regex "\\s+#+\\s*$" rescans a long run of spaces from each start."""
    core = heading.rstrip()
    if not core.endswith("#"):
        return heading
    body = core.rstrip("#")
    return body.rstrip() if not body or body[-1].isspace() else heading
