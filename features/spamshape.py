"""Spam-shape columns for the text model (schema ``text-7``), appended after ``text-6``'s
(schema ``text-8`` adds ``link_other``, see ``LINK_KINDS8``).

The text-6 columns (``features.spamctx``) name the *things* comment spam promotes; on YouTube
campaigns the model never trained on (spam-lovo) it still missed spam that is a bare link to an
unlisted site, or that reads like ham ("help me click on the subscribe"). These columns describe
the *shape* of a spam request instead of its vocabulary, so they carry over to new campaigns:

- grammar (``features.spam_lexicon.SHAPE_PATTERNS``, matched where a lead word starts, with
  ``features.spamctx``'s byte-shape tables): an imperative aimed at the poster's own things
  ("check out my", "go watch our"), a message to every reader ("hey guys", "everyone who
  reads this"), pleading ("help me", "it would mean a lot"), and talk about the host video
  ("2 billion views", "this song": ham that shares words with growth begging);
- links by their character shape rather than a list of services: a link with a path or query
  on a site that is not a news or reference site, a shortener-shaped link (a short name on a
  non-generic top-level domain and one short path segment: "abc.xy/1a2b3c"), a bare domain
  without scheme or ``www`` ("murdev.com"), a domain spelled out to dodge link filters
  ("kidsmediausa . com", "site dot com"), a video or social-profile link, and - the counter-
  signal - links to reference and news sites.

Each column is log(1 + matches in the block). Link candidates are found with numpy (a dot
between a letter or digit and two letters), so the URL pattern runs only at the few tokens that
can be links; every pattern is linear-time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .spam_lexicon import (
    REFERENCE_DOMAINS,
    REFERENCE_TLDS,
    SHAPE_LEAD_CHARS,
    SHAPE_LEADS,
    SHAPE_PATTERNS,
    VIDEO_HOSTS,
)
from .spamctx import BlockLayout, WordSpans, block_layout, build_tables, family_counts
from .tablecache import banked_regex

SHAPE_TABLES = build_tables(SHAPE_PATTERNS, SHAPE_LEADS, {}, SHAPE_LEAD_CHARS, cache_name="spamshape-heads")
LINK_KINDS = ("promo_path", "short", "bare", "spaced", "video", "reference")
SPAMSHAPE_NAMES: tuple[str, ...] = (
    *(f"shape_{name}" for name in SHAPE_PATTERNS),
    *(f"link_{kind}" for kind in LINK_KINDS),
)
# text-8 (``features.text_schema``): every link that is neither a reference nor a video or
# social link, whatever its shape. "Check out my site www.quick-cash-easy.biz" (``www`` and no
# path) fell in none of the text-7 kinds; a promotional host alone is the signal there.
LINK_KINDS8 = (*LINK_KINDS, "other")
SPAMSHAPE8_NAMES: tuple[str, ...] = ("link_other",)
_K = {kind: i for i, kind in enumerate(LINK_KINDS8)}

# A link token: optional leading punctuation, scheme, www, dotted host, port, path/query.
# Each host label ends in a dot its class excludes, so the repetition cannot backtrack.
URL_RX = banked_regex(
    rb"[^a-z0-9\s]{0,4}(https?://)?(www\d?\.)?((?:[a-z0-9-]{1,63}\.){1,8}([a-z]{2,24}))(?![a-z0-9-])"
    rb"(?::\d{1,5})?([/?#][^\s]{0,400})?"
)

# Top-level domains accepted for a bare host (any two-letter country code, and these): "end.the"
# (a missing space after a full stop) is not a link.
GENERIC_TLDS: frozenset[str] = frozenset({
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "xyz", "online", "site", "club", "top",
    "store", "shop", "blog", "app", "dev", "io", "tv", "me", "name", "pro", "mobi", "live", "news", "link",
    "click", "website", "space", "tech", "music", "video",
})
# Second-level labels under a country code ("bbc.co.uk"): the registered domain has three labels.
COUNTRY_SECOND_LEVELS: frozenset[str] = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go"})
# Top-level domains of ordinary sites; a shortener's is a country code or a vanity TLD.
SHORTENER_EXCLUDED_TLDS: frozenset[str] = frozenset({"com", "org", "net", "edu", "gov", "mil", "int", "info"})
# Shortener shape: a host name of at most this many characters, one path segment of this length.
SHORT_HOST_MAX = 6
SHORT_PATH = (3, 12)
_SHORT_PATH_RX = banked_regex(rb"/[a-z0-9_-]{%d,%d}/?" % SHORT_PATH)
# Video links without a host ("watch?v=vtaRGgvGtWQ") and spelled-out domains ("site . com").
_BARE_WATCH = b"watch?v="
# Spelled-out domains ("site . com", "site dot com", "site(dot)com"): tried where their first
# bytes are (a space before a dot, or one of SPELLED_NEEDLES found with bytes.find).
_SPELLED_TLDS = rb"(?:com|net|org|info|co|tk|ru|de|us|uk|biz|tv|me)\b"
SPELLED_RX = banked_regex(rb"(?: \. ?| dot |\(dot\)|\[dot\])" + _SPELLED_TLDS)
SPELLED_NEEDLES = (b" dot ", b"(dot)", b"[dot]")
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[list(b"abcdefghijklmnopqrstuvwxyz0123456789")] = True
_ALPHA = np.zeros(256, dtype=bool)
_ALPHA[list(b"abcdefghijklmnopqrstuvwxyz")] = True
_TOKEN_END = banked_regex(rb"[ \n]")
# Bytes a link token is looked for around its dot (URL_RX matches at most ~1,000 bytes).
MAX_TOKEN = 1024


def registered_domain(host: str) -> str:
    """The last two labels of ``host``, three under a country code's second level (co.uk)."""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in COUNTRY_SECOND_LEVELS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def link_kinds(scheme: bool, www: bool, host: str, tld: str, path: str) -> list[str]:
    """The ``LINK_KINDS`` one link counts towards (none when its top-level domain is not one)."""
    if len(tld) != 2 and tld not in GENERIC_TLDS:
        return []
    regd = registered_domain(host)
    labels = host.split(".")
    if (regd in REFERENCE_DOMAINS or host in REFERENCE_DOMAINS or tld in REFERENCE_TLDS
            or (len(labels) >= 3 and labels[-2] in ("gov", "ac", "edu"))):
        return ["reference"]
    if regd in VIDEO_HOSTS or host in VIDEO_HOSTS:
        return ["video"]
    out = []
    if len(path) > 1:
        out.append("promo_path")
    if (len(labels) == 2 and len(labels[0]) <= SHORT_HOST_MAX and tld not in SHORTENER_EXCLUDED_TLDS
            and _SHORT_PATH_RX.fullmatch(path.encode("ascii", "replace"))):
        out.append("short")
    if not scheme and not www:
        out.append("bare")
    out.append("other")
    return out


def link_counts(data: bytes, starts: np.ndarray, n: int, kinds: int = len(LINK_KINDS)) -> np.ndarray:
    """Links of each of the first ``kinds`` of ``LINK_KINDS8`` per block [n, kinds] in the
    lower-cased bytes ``data`` (the text-7 columns are the first ``len(LINK_KINDS)``)."""
    out = np.zeros((n, len(LINK_KINDS8)), dtype=np.float32)
    arr = np.frombuffer(data, dtype=np.uint8)
    if len(arr) < 4:  # too short for any link (a batch of one tiny or empty block)
        return out[:, :kinds]
    # Dots between a letter or digit and two letters: every host has one, prose rarely does.
    all_dots = np.flatnonzero(arr[1:-2] == 46) + 1
    spelled = (all_dots[arr[all_dots - 1] == 32] - 1).tolist()
    dot = all_dots[_ALNUM[arr[all_dots - 1]] & _ALPHA[arr[all_dots + 1]] & _ALPHA[arr[all_dots + 2]]]
    hits: list[tuple[int, int]] = []
    # Each candidate's token: from the whitespace before it to the whitespace after it (found
    # with rfind/find per candidate - a few thousand in 10 MB of news - instead of indexing every
    # space of the batch, which cost four times the rest of this function).
    # Both searches look at most MAX_TOKEN bytes away, so a page without spaces stays linear.
    starts_seen: set[int] = set()
    for p in dot.tolist():
        lo = max(0, p - MAX_TOKEN)
        a = max(data.rfind(b" ", lo, p), data.rfind(b"\n", lo, p), lo - 1) + 1
        if a in starts_seen:
            continue
        starts_seen.add(a)
        e = _TOKEN_END.search(data, p, p + MAX_TOKEN)
        m = URL_RX.match(data, a, e.start() if e is not None else min(len(data), p + MAX_TOKEN))
        if m is None:
            continue
        host = m.group(3).decode("ascii")
        for kind in link_kinds(m.group(1) is not None, m.group(2) is not None, host,
                               m.group(4).decode("ascii"), (m.group(5) or b"").decode("utf-8", "replace")):
            hits.append((a, _K[kind]))
    at = data.find(_BARE_WATCH)
    while at >= 0:
        if at == 0 or data[at - 1] != 47:  # "/watch?v=" belongs to a host already counted
            hits.append((at, _K["video"]))
        at = data.find(_BARE_WATCH, at + 1)
    for needle in SPELLED_NEEDLES:
        at = data.find(needle)
        while at >= 0:
            spelled.append(at)
            at = data.find(needle, at + 1)
    hits.extend((at, _K["spaced"]) for at in spelled if SPELLED_RX.match(data, at))
    if hits:
        pos = np.array([h[0] for h in hits], dtype=np.int64)
        kind = np.array([h[1] for h in hits], dtype=np.int64)
        np.add.at(out, (np.searchsorted(starts, pos, side="right") - 1, kind), 1.0)
    return out[:, :kinds]


def spamshape_columns(texts: Sequence[str], out: np.ndarray | None = None, low_utf8: bytes | None = None,
                      spans: WordSpans | None = None, layout: BlockLayout | None = None,
                      text8: bool = False) -> np.ndarray:
    """The ``SPAMSHAPE_NAMES`` columns [n, len(SPAMSHAPE_NAMES)] for the blocks ``texts``
    (block-local), and ``SPAMSHAPE8_NAMES`` after them when ``text8``; written into ``out``
    when given. ``low_utf8`` as in ``spamctx_columns``; ``spans``: ``spamctx.word_spans`` of
    ``low_utf8``, when the text-6 columns built them; ``layout``: ``spamctx.block_layout`` of
    the same blocks, when the caller built it."""
    n = len(texts)
    width = len(SPAMSHAPE_NAMES) + (len(SPAMSHAPE8_NAMES) if text8 else 0)
    if out is None:
        out = np.empty((n, width), dtype=np.float32)
    if n == 0:
        return out
    data, starts, spans = layout if layout is not None else block_layout(texts, low_utf8, spans)
    k = len(SHAPE_PATTERNS)
    np.log1p(family_counts(data, starts, n, SHAPE_TABLES, spans), out=out[:, :k])
    kinds = len(LINK_KINDS8) if text8 else len(LINK_KINDS)
    np.log1p(link_counts(data, starts, n, kinds), out=out[:, k:k + kinds])
    return out
