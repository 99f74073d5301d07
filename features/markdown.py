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

import re
from collections.abc import Sequence

__all__ = ["is_markdown", "plain", "markup_positions", "MIN_MARKUP"]

# A page is markdown when it has a link or image in markdown syntax and, with its heading
# lines, at least MIN_MARKUP pieces of markup. Headings alone do not make a page markdown:
# plain text starts lines with "#" too ("# posted by Joe", "# of Houses Sold", "# # #", code
# comments: 2 of the 966 Dragnet pages and 8 of the 732 CleanEval pages have two such lines).
MIN_MARKUP = 2
# The character a batch's text is scanned for before any page's lines are looked at: a link's
# "](". A single character: str.find runs it at memchr speed (~5 GB/s); a two-character needle
# runs at ~0.6 GB/s (2.5% of a plain-text run).
LINK_CLOSE = "]"

# A link target: anything in parentheses on one line, one level of parentheses inside it
# (a URL, a "title", html2text's javascript:f('...', '...') targets).
_TARGET = r"\((?:[^()\n]|\([^()\n]*\))*\)"
# Anchors without brackets: the innermost link of "[a [b](u)](v)" first, then the outer one.
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,300})\]" + _TARGET)
_LINK = re.compile(r"\[([^\[\]\n]{0,1000})\]" + _TARGET)
# Links nested deeper than this are left as they are.
MAX_NESTING = 3
_REF_LINK = re.compile(r"\[([^\[\]\n]{1,1000})\]\[[^\[\]\n]{0,100}\]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)")
_ITEM = re.compile(r"^\s*[*+-]\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_STRONG = re.compile(r"\*\*|__")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_RULE = re.compile(r"^\s*(?:[*_-]\s*){3,}$")
_SPACES = re.compile(r"\s{2,}")


def markup_positions(text: str, start: int = 0) -> list[int]:
    """Where in ``text`` (from ``start``) a link's "](" stands."""
    hits = []
    at = text.find(LINK_CLOSE, start)
    while at >= 0:
        if text.startswith("(", at + 1):
            hits.append(at)
        at = text.find(LINK_CLOSE, at + 1)
    return hits


def is_markdown(lines: Sequence[str]) -> bool:
    """True when the page's lines carry markdown: a link or image, and MIN_MARKUP pieces of
    markup in all (links, images, heading lines)."""
    links = headings = 0
    for t in lines:
        if "](" in t:
            links += len(_LINK.findall(t))
        if "#" in t and _HEADING.match(t):
            headings += 1
    return links >= 1 and links + headings >= MIN_MARKUP


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
