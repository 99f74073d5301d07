"""Hypothesis strategies for hostile pages (property tests and ``benchmarks/fuzz.py``)."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters that stress the pipeline: controls, NUL, line/paragraph separators, BOM, the
# replacement character, combining marks, RTL, CJK, emoji with modifiers and joiners.
NASTY = ("\x00", "\x01", "\x0b", "\x0c", "\r", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffd",
         "\u0301", "\u200d", "\u202e", "\u05d0", "\u4e2d", "\U0001f600", "\U0001f3fd", "\U0001f1ec",
         "\t", " ", "\n", "\n\n", "'", "\u2019", "$", "*", "@", "#", ":)", "...", "http://x.co/",
         "EE. UU.", "[19659008]", "f**k", "s h i t", "Reply", "Posted by", "&amp;", "<", ">")
# Tags (with closing ones, unclosed ones and attributes) for HTML-like strings.
TAGS = ("p", "div", "span", "br", "li", "ul", "table", "td", "tr", "script", "style", "noscript",
        "a", "b", "h1", "article", "section", "comment", "iframe", "svg", "body", "html", "head", "?xml")

chunks = st.one_of(st.text(max_size=40), st.sampled_from(NASTY),
                   st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
# Random Unicode pages: free text mixed with the nasty pieces above.
unicode_pages = st.lists(chunks, max_size=30).map("".join)


@st.composite
def html_pages(draw) -> str:
    """HTML-like strings: random tags (opened, closed, unclosed, attributes), text, comments."""
    parts = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.integers(0, 5))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            parts.append(f"<{tag}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            attr = draw(st.sampled_from(('class="c"', 'style="display:none"', "hidden", 'id="x', "a=b")))
            parts.append(f"<{tag} {attr}>")
        elif kind == 3:
            parts.append(draw(st.sampled_from(("<!--", "-->", "<!DOCTYPE html>", "<![CDATA[", "&#0;", "&#x1F600;"))))
        else:
            parts.append(draw(chunks))
    return "".join(parts)
