"""Heuristics as data for the DOM features: class/id vocabularies and tag groups.

Kept apart from ``features/html.py`` (which applies them) so they can be read, extended and
versioned on their own. Any change here changes the ``html-*`` feature schema: bump
``features.dom.DOM_SCHEMA_VERSION`` and retrain (``newswinnow train --html``).

Sources: the class/id names site templates use for these regions, as collected by
readability.js (``unlikelyCandidates``/``positive``/``negative`` regexes), boilerpipe,
Dragnet's ``css`` feature tokens and trafilatura's ``xpaths.py`` (comments, discard and
teaser lists); WordPress, Disqus, Livefyre and Facebook comment plugin markup.
"""

from __future__ import annotations

# Class/id token groups. A class or id string matches a group when one of its words (split
# at anything not a letter or digit, camelCase not split) *starts with* one of the group's
# prefixes (so "commentlist", "comments", "comment-body" all hit "comment").
CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "comment": ("comment", "disqus", "dsq", "livefyre", "discuss", "fbcomment", "talkback",
                "usercontent", "ugc"),
    "reply": ("repl", "respond", "response", "thread", "children", "depth", "odd", "even",
              "alt", "bypostauthor"),
    "author_meta": ("author", "byline", "vcard", "avatar", "user", "said", "says", "commenter",
                    "posted", "postedby", "date", "time", "meta", "permalink", "gravatar", "fn"),
    "share": ("share", "sharing", "social", "twitter", "facebook", "addthis", "sharethis",
              "tweet", "print", "email", "mail", "linkedin", "pinterest", "whatsapp", "reddit"),
    "nav": ("nav", "menu", "breadcrumb", "topbar", "masthead", "pagination", "pager", "tabs",
            "skip", "toolbar", "dropdown", "header", "top"),
    "footer": ("foot", "copyright", "legal", "bottom", "colophon", "disclaimer", "terms"),
    "sidebar": ("sidebar", "side", "aside", "widget", "rail", "secondary", "right", "left", "col"),
    "related": ("related", "recommend", "popular", "trending", "teaser", "promo", "outbrain",
                "taboola", "more", "also", "next", "prev", "latest", "recent", "most", "similar",
                "archive", "list"),
    "ad": ("ad", "ads", "advert", "sponsor", "banner", "dfp", "adsense", "commercial", "partner"),
    "content": ("article", "content", "entry", "post", "story", "body", "text", "main", "blog",
                "hentry", "single", "detail", "paragraph", "lede", "intro", "summary"),
    "caption": ("caption", "credit", "figure", "photo", "image", "img", "media", "gallery",
                "video", "thumb", "picture"),
    "title": ("title", "headline", "heading", "head", "kicker", "deck", "subtitle", "standfirst"),
    "form": ("form", "login", "signup", "register", "subscribe", "newsletter", "search", "input",
             "captcha", "submit", "button", "btn"),
    "tag": ("tag", "categor", "keyword", "topic", "label", "filed"),
    "count": ("count", "rating", "vote", "like", "score", "karma", "points"),
    "cookie": ("cookie", "consent", "gdpr", "privacy", "modal", "popup", "overlay"),
}
# Prefixes this short must match a whole word ("ad" is a word, "add"/"adress" are not).
WHOLE_WORD_MAX = 3

# Ancestor tags tracked as "inside a ...": one bit each.
ANCESTOR_TAGS: tuple[str, ...] = (
    "a", "li", "table", "blockquote", "form", "article", "aside", "nav", "footer", "header",
    "main", "section", "figure", "dl", "address", "ol", "h", "pre", "center", "font",
)
# Block tags one-hot encoded (others fall in "other"); h1-h6 share "h" (their level is a column).
TAG_GROUPS: dict[str, str] = {
    "p": "p", "div": "div", "li": "li", "td": "td", "th": "td", "h1": "h", "h2": "h", "h3": "h",
    "h4": "h", "h5": "h", "h6": "h", "blockquote": "blockquote", "pre": "pre", "dd": "dl",
    "dt": "dl", "dl": "dl", "figcaption": "caption", "caption": "caption", "address": "address",
    "span": "inline", "body": "inline", "section": "section", "article": "section", "tr": "td",
    "header": "furniture", "footer": "furniture", "nav": "furniture", "aside": "furniture",
    "form": "form", "fieldset": "form", "label": "form", "legend": "form", "ul": "li", "ol": "li",
    "center": "div", "main": "section", "figure": "caption", "table": "td", "tbody": "td",
}
TAG_GROUP_NAMES: tuple[str, ...] = ("p", "div", "li", "td", "h", "blockquote", "pre", "dl", "caption",
                                    "address", "inline", "section", "furniture", "form", "other")
