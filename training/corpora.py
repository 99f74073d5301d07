"""Readers that turn the labelled public corpora into labelled plain-text pages.

Every reader yields :class:`LabeledPage`: the page as a scraper would emit it (one block per
line, rendered by :func:`features.segment.html_to_blocks` so training sees the same text as
use) and one label per line from ``LABELS`` (see ``shared/design/LABELS.md``).

Dragnet and CleanEval label no blocks: their gold is the copy-pasted visible text of the
article (and, for Dragnet, of the comments). Labels therefore come from aligning the page with
the gold, which is done on normalised word tokens, not on lines, because the two rarely agree
on line breaks, whitespace, entities or quote characters:

1. Both sides are normalised (NFKC, casefold) and cut into word tokens; punctuation and
   whitespace vanish, so ``&amp;``/``&``, curly/straight quotes and re-wrapped lines match.
2. The page's token stream (all blocks in order) is aligned with the gold's token stream
   (article lines, then comment lines) monotonically: first on word 5-grams that occur once on
   each side (the longest consistent chain of them, as in patience diff, each grown to its whole
   exact match; where two grown runs claim the same tokens the longer keeps them), then the gaps
   between these anchors by longest common substrings (:class:`difflib.SequenceMatcher` on token
   ids, no junk heuristic). Being monotonic, the alignment puts a short line that also occurs
   in page furniture ("Reply", a byline) where its neighbours are; the unique anchors keep a
   passage that occurs both in the article and in a comment that quotes it on its own side
   (plain greedy longest-match gave the article's sentences to the quote when an ad split them).
3. A matched run shorter than ``MIN_RUN_TOKENS`` is kept only when it is one or more whole
   gold lines ("by garaged (579941)") or sits in a small mismatch bubble between two kept runs
   (a typo or a dropped character in the hand-made gold); other short runs are chance hits of
   common words in the gaps between real matches.
4. Longest-match alignment takes the first copy of a repeated short text, so a kept run whose
   text the page repeats between its neighbours is moved to the best copy: one that makes its
   block content, in a heading element, nearest the gold neighbour it touches. This puts the
   headline on the ``<h1>`` rather than on the breadcrumb or "trending" link above it.
5. A block takes the label of the gold part that covers most of its tokens, if the matched
   share of its tokens is at least ``MIN_BLOCK_COVERAGE``; otherwise it is ``boilerplate``.
   Blocks are nearly always all-or-nothing: on Dragnet, 46 of 165k blocks fall in (0, 0.5).

Pages on which no block matches the gold at all (an error page saved instead of the article)
are skipped: labelling all of them ``boilerplate`` would contradict the gold.

YouTube comments (``youtube_spam``) supply spam: :func:`spam_threads` inserts them into real
comment threads so that a model sees spam in context, for leave-one-video-out evaluation.
"""

from __future__ import annotations

import csv
import gzip
import html as html_lib
import random
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from features.segment import _XML_DECL, decode_bytes, html_to_blocks  # the HTML readers' XML-declaration pattern

__all__ = [
    "LABELS", "LabeledPage", "Alignment", "tokenize", "align_blocks", "read_dragnet",
    "read_cleaneval", "read_bbc", "read_youtube", "spam_threads", "alignment_stats",
    "registered_domain", "split_dragnet_gold",
]

LABELS = ("editorial", "comment", "spam", "boilerplate")
EDITORIAL, COMMENT, SPAM, BOILERPLATE = LABELS

# --- alignment thresholds -------------------------------------------------------------------
# A matched run of fewer tokens counts only if it is made of whole gold lines: three-word chance
# matches ("of the new") between real matches are common, whole short lines are not.
MIN_RUN_TOKENS = 4
# Length of the word n-grams that anchor the alignment when unique on both sides.
ANCHOR_NGRAM = 5
# Short runs are believed inside a mismatch bubble no longer than this on both sides (a typo).
MAX_BUBBLE_TOKENS = 12
# Runs up to this long are moved to the best copy when the page repeats their text.
SNAP_MAX_TOKENS = 40
# Share of a block's tokens that must be matched to gold for the block to be content.
MIN_BLOCK_COVERAGE = 0.5

# --- the "trimmed" variant ------------------------------------------------------------------
# Blocks of furniture kept before the first and after the last content block (uniform, per page).
TRIM_MARGIN = (0, 3)

# Dragnet's hand-typed separator between article and comments (see corpora/README.md): the
# shifted number row "!@#$%^&*()" and, in 288 of the 291 gold files with one, "COMMENTS". Three
# mistype the word or leave it out ("COMMNENTS" in R162, "CORRECTED" in 248, the symbols alone in
# R136), and their comments were read as article until 2026-12-05; so the word is optional and
# the symbols must be varied instead (at least MARKER_MIN_SYMBOLS distinct ones: "*****" rules
# and "(*)" footnotes are not markers). Every other file splits where the old pattern split it.
_MARKER_LINE = re.compile(r"^[^\S\n]*([!@#$%^&*() ]{5,}?)[^\S\n]*([A-Z]+)?[^\S\n]*$", re.M)
MARKER_MIN_SYMBOLS = 5
DRAGNET_VARIANTS = ("full", "trimmed", "gold", "trafilatura")

# CleanEval gold: first line "URL: ...", paragraphs introduced by <p>, <h> or <l>.
_CLEANEVAL_URL = re.compile(r"^\ufeff?\s*URL:\s*(\S+)")
_CLEANEVAL_MARK = re.compile(r"<[phl]>", re.I)
_CLEANEVAL_TEXT_ID = re.compile(rb"""<text\s+id=["']([^"']+)""", re.I)

# Word tokens; CJK characters are tokens of their own since those scripts do not space words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_WS = re.compile(r"\s+")

# Second-level labels under which registrations happen one level lower (co.uk, com.au ...), besides
# any label of one or two letters under a country code (ab.ca, ne.jp). A short rule is enough for
# grouping pages by site; it is not the public-suffix list (so x.blogspot.com -> blogspot.com).
_SECOND_LEVEL = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "mil", "nic", "ltd", "plc",
     "sch", "nhs", "police", "asn", "id", "info", "biz", "nom", "gen", "firm", "web"}
)

# The page URL is looked for in the <head>, or in this many leading characters when there is none.
MAX_HEAD_CHARS = 100_000
# Where a page names itself, best first; then links that always point into the page's own site
# (a blog's pingback/EditURI endpoint, its archive and prev/next/start navigation).
_SELF_RELS = ("shortlink", "pingback", "archives", "index", "start", "prev", "next", "home", "edituri")
_URL_XPATHS = (
    "//link[contains(translate(@rel,'CANONICAL','canonical'),'canonical')]/@href",
    "//meta[@property='og:url']/@content", "//meta[@name='og:url']/@content",
    "//meta[@name='twitter:url']/@content", "//meta[@property='twitter:url']/@content",
    "//base/@href",
    *(f"//link[translate(@rel,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')='{r}']/@href"
      for r in _SELF_RELS),
)

# YouTube comment markup: line breaks become spaces, other tags keep their text.
_YT_BR = re.compile(r"<br\s*/?>", re.I)
_YT_TAG = re.compile(r"<[^>]{0,500}>")


@dataclass
class LabeledPage:
    """A page as one block per line, with one label per block, ready for feature extraction."""

    id: str
    corpus: str
    source: str
    texts: list[str]
    labels: list[str]
    group: str
    # Alignment bookkeeping for :func:`alignment_stats` (gold token counts, recovered tokens).
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{self.id}: {len(self.texts)} texts but {len(self.labels)} labels")


# --- normalisation and alignment ------------------------------------------------------------

def tokenize(text: str) -> list[str]:
    """Normalised word tokens: NFKC, casefolded, punctuation and whitespace dropped."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


@dataclass
class Alignment:
    """Result of aligning page blocks with gold parts."""

    labels: list[str]
    coverage: list[float]          # matched share of each block's tokens
    gold_tokens: dict[str, int]    # gold tokens per part label
    recovered: dict[str, int]      # gold tokens that ended in a block of their own part's label
    gold_line_coverage: list[float] = field(default_factory=list)  # per non-empty gold line, matched share


def _anchor_runs(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    """Runs built from word n-grams that occur exactly once on each side, in a consistent order.

    Unique n-grams cannot be matched to the wrong copy, and the longest increasing chain of
    them (patience diff) fixes the page-to-gold correspondence before the greedy pass.
    """
    k = ANCHOR_NGRAM
    if len(a) < k or len(b) < k:
        return []
    grams_a = [tuple(a[i:i + k]) for i in range(len(a) - k + 1)]
    grams_b = [tuple(b[j:j + k]) for j in range(len(b) - k + 1)]
    count_a, count_b = Counter(grams_a), Counter(grams_b)
    pos_b = {g: j for j, g in enumerate(grams_b) if count_b[g] == 1}
    pairs = [(i, pos_b[g]) for i, g in enumerate(grams_a) if count_a[g] == 1 and g in pos_b]
    # Longest chain increasing in both i (given) and j: patience sorting with back-pointers.
    tails: list[int] = []          # j of the last pair of the best chain of each length
    tail_idx: list[int] = []
    back = [-1] * len(pairs)
    for idx, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        back[idx] = tail_idx[pos - 1] if pos else -1
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(idx)
        else:
            tails[pos], tail_idx[pos] = j, idx
    chain: list[tuple[int, int]] = []
    idx = tail_idx[-1] if tail_idx else -1
    while idx >= 0:
        chain.append(pairs[idx])
        idx = back[idx]
    chain.reverse()
    # n-grams on one diagonal that overlap or touch form one run; a run starting inside the
    # previous one (on either side) is clipped so runs never overlap.
    runs: list[tuple[int, int, int]] = []
    for i, j in chain:
        if runs:
            ri, rj, rn = runs[-1]
            if i - j == ri - rj and i <= ri + rn:
                runs[-1] = (ri, rj, max(rn, i + k - ri))
                continue
            skip = max(0, ri + rn - i, rj + rn - j)
            if skip >= k:
                continue
            i, j = i + skip, j + skip
            runs.append((i, j, k - skip))
        else:
            runs.append((i, j, k))
    return runs


def _extend(a: list[int], b: list[int], i: int, j: int, n: int) -> tuple[int, int, int]:
    """Grow a run to the whole exact match around it."""
    while i > 0 and j > 0 and a[i - 1] == b[j - 1]:
        i, j, n = i - 1, j - 1, n + 1
    while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
        n += 1
    return i, j, n


def _resolve_overlaps(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Make grown runs disjoint on both sides; where two claim the same tokens, the longer keeps them.

    A "latest article" teaser repeats the headline and the opening words; its run and the run
    of the real first paragraph both claim those opening words, and the paragraph's is longer.
    """
    out: list[tuple[int, int, int]] = []
    for i, j, n in runs:
        while out and n > 0:
            pi, pj, pn = out[-1]
            overlap = max(0, pi + pn - i, pj + pn - j)
            if not overlap:
                break
            if n >= pn:
                out.pop()
                if pn > overlap:
                    out.append((pi, pj, pn - overlap))
                    break
            else:
                i, j, n = i + overlap, j + overlap, n - overlap
        if n > 0:
            out.append((i, j, n))
    return out


def _match_runs(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    """Matched runs (page start, gold start, length) in order: unique anchors, then the gaps
    between them aligned by longest common substrings (difflib, no junk heuristic)."""
    anchors = _resolve_overlaps([_extend(a, b, *r) for r in _anchor_runs(a, b)])
    runs: list[tuple[int, int, int]] = []
    prev_i = prev_j = 0
    for i, j, n in [*anchors, (len(a), len(b), 0)]:
        if i > prev_i and j > prev_j:
            sm = SequenceMatcher(None, a[prev_i:i], b[prev_j:j], autojunk=False)
            runs.extend((prev_i + x, prev_j + y, m) for x, y, m in sm.get_matching_blocks() if m)
        if n:
            runs.append((i, j, n))
        prev_i, prev_j = i + n, j + n
    merged: list[tuple[int, int, int]] = []
    for i, j, n in runs:           # glue runs that continue each other (anchor + its extension)
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            mi, mj, mn = merged[-1]
            merged[-1] = (mi, mj, mn + n)
        else:
            merged.append((i, j, n))
    return merged


def _trusted_runs(runs: list, line_starts: set[int], line_ends: set[int], n_page: int,
                  n_gold: int) -> list[tuple[int, int, int]]:
    """The matched runs to believe: long runs, whole gold lines, and short runs in small bubbles.

    A bubble is the stretch between two trusted runs; when it is short on both sides
    (``MAX_BUBBLE_TOKENS``) it is the same text copied with a typo or a dropped character
    ("He's right" vs gold "He  right"), so its short runs are believed too.
    """
    trusted = [n >= MIN_RUN_TOKENS or (j in line_starts and j + n in line_ends) for i, j, n in runs]
    out: list[tuple[int, int, int]] = []
    prev_i = prev_j = 0           # end of the last trusted run (stream start counts as one)
    pending: list[tuple[int, int, int]] = []
    for (i, j, n), ok in zip([*runs, (n_page, n_gold, 0)], [*trusted, True]):
        if not ok:
            pending.append((i, j, n))
            continue
        if pending and i - prev_i <= MAX_BUBBLE_TOKENS and j - prev_j <= MAX_BUBBLE_TOKENS:
            out.extend(pending)
        pending = []
        if n:
            out.append((i, j, n))
        prev_i, prev_j = i + n, j + n
    return out


def _snap_runs(runs: list[tuple[int, int, int]], page_ids: list[int], page_block: list[int],
               block_len: list[int], headings: Sequence[bool]) -> list[tuple[int, int, int]]:
    """Move each short run to the right copy of its text when the page repeats it.

    Longest-match alignment takes the first copy of a repeated short text, so a headline that
    also sits in a breadcrumb or a "trending" list above the article went to the breadcrumb.
    Among the copies between the run's neighbours, prefer one that would make its block content
    (the run covers >= ``MIN_BLOCK_COVERAGE`` of it), then one in a heading element (the real
    headline is an ``<h1>``, its copies in breadcrumbs and teasers are not), then the copy nearest
    the neighbour the run touches in the gold (the headline touches the body that follows it).
    """
    out = list(runs)
    for k, (i, j, n) in enumerate(out):
        if n > SNAP_MAX_TOKENS:
            continue
        lo = out[k - 1][0] + out[k - 1][2] if k else 0
        hi = out[k + 1][0] if k + 1 < len(out) else len(page_ids)
        seq = page_ids[i:i + n]
        first = seq[0]
        cands = [p for p in range(lo, hi - n + 1) if page_ids[p] == first and page_ids[p:p + n] == seq]
        if len(cands) < 2:
            continue
        touches_next = k + 1 < len(out) and out[k + 1][1] == j + n
        touches_prev = k > 0 and out[k - 1][1] + out[k - 1][2] == j
        # Which way to look for the copy: towards the gold neighbour the run is glued to.
        pull = 1 if touches_next and not touches_prev else -1 if touches_prev and not touches_next else 0
        scores = []
        for p in cands:
            touched = set(page_block[p:p + n])
            fits = n >= MIN_BLOCK_COVERAGE * sum(block_len[b] for b in touched)
            heading = bool(headings) and any(headings[b] for b in touched)
            scores.append((fits, heading, pull * p if pull else -abs(p - i), p))
        out[k] = (max(scores)[-1], j, n)
    return out


def align_blocks(blocks: Sequence[str], gold_parts: Sequence[tuple[str, Sequence[str]]],
                 headings: Sequence[bool] = ()) -> Alignment:
    """Label each block by the gold part that covers most of its tokens (see module doc).

    ``gold_parts`` is a list of ``(label, lines)`` in page order, e.g. the article lines as
    ``editorial`` then the comment lines as ``comment``. ``headings`` optionally marks blocks
    rendered from ``<h1>``-``<h6>``, used only to choose between copies of a repeated text.
    Blocks without a word token (``|``, ``→``) are ``boilerplate``.
    """
    vocab: dict[str, int] = {}
    page_ids: list[int] = []
    page_block: list[int] = []
    block_len: list[int] = []
    for b, text in enumerate(blocks):
        toks = tokenize(text)
        block_len.append(len(toks))
        for t in toks:
            page_ids.append(vocab.setdefault(t, len(vocab)))
            page_block.append(b)

    part_names = [name for name, _ in gold_parts]
    gold_ids: list[int] = []
    gold_part: list[int] = []
    line_starts: set[int] = set()
    line_ends: set[int] = set()
    gold_line: list[int] = []
    gold_tokens = dict.fromkeys(part_names, 0)
    for p, (name, lines) in enumerate(gold_parts):
        for line in lines:
            toks = tokenize(line)
            if not toks:
                continue
            line_starts.add(len(gold_ids))
            for t in toks:
                gold_ids.append(vocab.setdefault(t, len(vocab)))
                gold_part.append(p)
                gold_line.append(len(line_ends))
            line_ends.add(len(gold_ids))
            gold_tokens[name] += len(toks)

    # matched[i] = gold position aligned to page token i, or -1
    matched = [-1] * len(page_ids)
    if page_ids and gold_ids:
        runs = _match_runs(page_ids, gold_ids)
        runs = _trusted_runs(runs, line_starts, line_ends, len(page_ids), len(gold_ids))
        for i, j, n in _snap_runs(runs, page_ids, page_block, block_len, headings):
            matched[i:i + n] = range(j, j + n)

    counts = [[0] * len(gold_parts) for _ in blocks]
    for i, j in enumerate(matched):
        if j >= 0:
            counts[page_block[i]][gold_part[j]] += 1

    labels: list[str] = []
    coverage: list[float] = []
    for b, row in enumerate(counts):
        n = block_len[b]
        cov = sum(row) / n if n else 0.0
        coverage.append(cov)
        if n and cov >= MIN_BLOCK_COVERAGE:
            labels.append(part_names[max(range(len(row)), key=row.__getitem__)])
        else:
            labels.append(BOILERPLATE)

    recovered = dict.fromkeys(part_names, 0)
    line_hits = [0] * len(line_ends)
    for i, j in enumerate(matched):
        if j >= 0:
            line_hits[gold_line[j]] += 1
            name = part_names[gold_part[j]]
            if labels[page_block[i]] == name:
                recovered[name] += 1
    line_len = Counter(gold_line)
    line_cov = [line_hits[k] / line_len[k] for k in range(len(line_ends))]
    return Alignment(labels, coverage, gold_tokens, recovered, line_cov)


# --- helpers -------------------------------------------------------------------------------

# Format characters that html_to_blocks keeps but that leave a line visibly empty.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _render(raw: bytes) -> tuple[list[str], list[bool]]:
    """The page's lines (shared renderer) minus lines with nothing visible, and which are headings."""
    blocks = [b for b in html_to_blocks(raw) if b.text.strip(_INVISIBLE + " ")]
    return [b.text for b in blocks], [b.tag in HEADING_TAGS for b in blocks]


def _one_line(text: str) -> str:
    """Collapse whitespace (including newlines) so a block is exactly one line."""
    return _WS.sub(" ", text).strip()


def registered_domain(url: str) -> str | None:
    """Registered domain of a URL ("news.bbc.co.uk/x" -> "bbc.co.uk"), or None if there is no host."""
    url = url.strip()
    if not url:
        return None
    if "//" not in url:
        url = "//" + url
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    if re.fullmatch(r"[\d.]+", host):
        return host
    labels = host.split(".")
    if labels[0] == "www":
        labels = labels[1:]
    if len(labels) >= 3 and len(labels[-1]) == 2 and (labels[-2] in _SECOND_LEVEL or len(labels[-2]) <= 2):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _page_url(raw: bytes) -> str | None:
    """The page's own URL from ``<link rel=canonical>``, ``og:url`` or ``<base href>`` in its head."""
    text = decode_bytes(raw).replace("\x00", "")
    end = text.find("</head")
    head = _XML_DECL.sub("", text[: end if end >= 0 else MAX_HEAD_CHARS], count=1)
    if not head.strip():
        return None
    try:
        root = lxml_html.document_fromstring(head)
    except (etree.ParserError, ValueError):
        return None
    for xp in _URL_XPATHS:
        for val in root.xpath(xp):
            if isinstance(val, str) and val.strip().lower().startswith(("http://", "https://", "//")):
                return val.strip()
    return None


def _render_trafilatura(raw: bytes) -> tuple[list[str], list[bool]]:
    """The page as trafilatura extracts it (plain text, comments included): the text a pipeline
    that runs trafilatura before newswinnow hands it, one paragraph a line. trafilatura comes with the
    test and bench extras, and is imported only for this rendering."""
    try:
        import trafilatura
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError("the trafilatura rendering needs the trafilatura package "
                           "(pip install -e '.[test]' or '.[bench]')") from e
    text = trafilatura.extract(raw, include_comments=True, output_format="txt") or ""
    texts = [t.strip() for t in text.split("\n") if t.strip()]
    return texts, [False] * len(texts)


def _read_text(path: Path) -> str:
    return decode_bytes(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n")


def _numeric_key(path: Path) -> tuple:
    stem = path.name.split(".")[0]
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


def _trim(labels: Sequence[str], key: str) -> tuple[int, int]:
    """Span [start, end) from a few furniture blocks before the first content block to a few after."""
    content = [i for i, lab in enumerate(labels) if lab != BOILERPLATE]
    if not content:
        return 0, 0
    rng = random.Random(f"trim:{key}")
    before, after = rng.randint(*TRIM_MARGIN), rng.randint(*TRIM_MARGIN)
    return max(0, content[0] - before), min(len(labels), content[-1] + 1 + after)


# --- Dragnet ---------------------------------------------------------------------------------

def dragnet_marker(text: str) -> re.Match[str] | None:
    """The first separator line of a Dragnet gold file (``_MARKER_LINE`` with varied symbols)."""
    for m in _MARKER_LINE.finditer(text):
        if len(set(m.group(1)) - {" "}) >= MARKER_MIN_SYMBOLS:
            return m
    return None


def split_dragnet_gold(text: str) -> tuple[list[str], list[str]]:
    """Article lines and comment lines of a Dragnet gold file (non-empty, whitespace collapsed)."""
    m = dragnet_marker(text)
    article, comments = (text[:m.start()], text[m.end():]) if m else (text, "")
    lines = lambda part: [s for s in (_one_line(x) for x in part.split("\n")) if s]  # noqa: E731
    return lines(article), lines(comments)


def read_dragnet(root: Path, variant: str = "full",
                 ids: Iterable[str] | None = None) -> Iterator[LabeledPage]:
    """Dragnet pages (``root/HTML/<id>.html.gz`` + ``root/Corrected/<id>.txt``), labelled by alignment.

    ``variant``: ``full`` = every rendered block; ``trimmed`` = content span plus 0-3 furniture
    blocks each side (seeded by page id), like a main-content scraper's output; ``gold`` = the
    gold file's own lines (article ``editorial``, comments ``comment``); ``trafilatura`` = the
    lines trafilatura extracts, comments included (needs the trafilatura package). ``ids``
    ("131", "R468") restricts the pages read.
    """
    if variant not in DRAGNET_VARIANTS:
        raise ValueError(f"variant must be one of {DRAGNET_VARIANTS}, not {variant!r}")
    root = Path(root)
    wanted = None if ids is None else set(ids)
    for gold_path in sorted((root / "Corrected").glob("*.txt"), key=_numeric_key):
        pid = gold_path.name[: -len(".txt")]
        if wanted is not None and pid not in wanted:
            continue
        html_path = root / "HTML" / f"{pid}.html.gz"
        if not html_path.exists():
            continue
        article, comments = split_dragnet_gold(_read_text(gold_path))
        raw = gzip.decompress(html_path.read_bytes())
        url = _page_url(raw)
        domain = registered_domain(url) if url else None
        page_id = f"dragnet/{pid}"
        source = domain or page_id
        meta = {"url": url, "has_gold_comments": bool(comments)}
        if variant == "gold":
            texts = article + comments
            labels = [EDITORIAL] * len(article) + [COMMENT] * len(comments)
            meta.update(gold_tokens={EDITORIAL: sum(len(tokenize(x)) for x in article),
                                     COMMENT: sum(len(tokenize(x)) for x in comments)})
            meta["recovered"] = dict(meta["gold_tokens"])
        else:
            texts, headings = _render_trafilatura(raw) if variant == "trafilatura" else _render(raw)
            al = align_blocks(texts, [(EDITORIAL, article), (COMMENT, comments)], headings)
            labels = al.labels
            meta.update(gold_tokens=al.gold_tokens, recovered=al.recovered)
            if variant == "trimmed":
                start, end = _trim(labels, page_id)
                texts, labels = texts[start:end], labels[start:end]
        if all(lab == BOILERPLATE for lab in labels):
            continue
        yield LabeledPage(page_id, "dragnet", source, texts, labels, domain or page_id, meta)


# --- CleanEval -------------------------------------------------------------------------------

def _cleaneval_gold(text: str) -> tuple[str | None, list[str]]:
    """URL and paragraph lines of a CleanEval gold file (markers removed, paragraphs joined)."""
    lines = text.split("\n")
    url = None
    if lines and (m := _CLEANEVAL_URL.match(lines[0])):
        url, lines = m.group(1), lines[1:]
    # A marker opens a paragraph; the paragraph's text may wrap over several lines.
    paras = [_one_line(p) for p in _CLEANEVAL_MARK.split("\n".join(lines))]
    return url, [p for p in paras if p]


def cleaneval_raw(root: Path, ids: Iterable[str] | None = None) -> Iterator[tuple[str, str | None, list[str], bytes]]:
    """CleanEval dev and final pages that have a gold text: (page id "cleaneval-dev/1", url, gold
    paragraphs, raw HTML bytes). The one walk of the corpus that the text reader, the HTML
    training data and the HTML benchmark share. ``ids`` restricts the pages read."""
    root = Path(root)
    wanted = None if ids is None else set(ids)
    for split in ("cleaneval-dev", "cleaneval-final"):
        gold_dir = root / split / "GoldStandard"
        for gold_path in sorted(gold_dir.glob("*.txt"), key=_numeric_key):
            n = gold_path.name[: -len(".txt")]
            if wanted is not None and f"{split}/{n}" not in wanted:
                continue
            html_path = root / split / "input" / f"{n}.html.gz"
            if not html_path.exists():
                continue
            url, gold = _cleaneval_gold(_read_text(gold_path))
            if not gold:
                continue
            raw = gzip.decompress(html_path.read_bytes())
            if url is None and (m := _CLEANEVAL_TEXT_ID.search(raw[:2000])):
                url = m.group(1).decode("latin-1")
            yield f"{split}/{n}", url, gold, raw


def read_cleaneval(root: Path, ids: Iterable[str] | None = None) -> Iterator[LabeledPage]:
    """CleanEval dev and final pages with gold: gold text ``editorial``, the rest ``boilerplate``.

    Pages whose gold is empty are skipped. ``ids`` ("cleaneval-dev/1") restricts the pages read.
    """
    for page_id, url, gold, raw in cleaneval_raw(root, ids):
        texts, headings = _render(raw)
        al = align_blocks(texts, [(EDITORIAL, gold)], headings)
        domain = registered_domain(url) if url else None
        meta = {"url": url, "has_gold_comments": False, "gold_tokens": al.gold_tokens,
                "recovered": al.recovered}
        if all(lab == BOILERPLATE for lab in al.labels):
            continue
        yield LabeledPage(page_id, "cleaneval", domain or page_id, texts, al.labels,
                          domain or page_id, meta)


# --- BBC -------------------------------------------------------------------------------------

BBC_SOURCE = "bbc.co.uk"


def read_bbc(root: Path) -> Iterator[LabeledPage]:
    """BBC News articles (``root/<category>/*.txt``): every non-empty line ``editorial``.

    All articles share one source, so ``group`` is the file (a single group would make grouped
    cross-validation put all of BBC in one fold).
    """
    root = Path(root)
    for cat_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(cat_dir.glob("*.txt"), key=_numeric_key):
            texts = [s for s in (_one_line(x) for x in _read_text(path).split("\n")) if s]
            if not texts:
                continue
            page_id = f"bbc/{cat_dir.name}/{path.stem}"
            yield LabeledPage(page_id, "bbc", BBC_SOURCE, texts, [EDITORIAL] * len(texts), page_id,
                              {"category": cat_dir.name})


# --- YouTube spam ----------------------------------------------------------------------------

def clean_youtube_comment(content: str) -> str:
    """Visible text of a YouTube comment on one line: ``<br />`` -> space, tags dropped, entities decoded."""
    text = _YT_TAG.sub("", _YT_BR.sub(" ", content))
    text = html_lib.unescape(text).replace("\ufeff", "")
    return _one_line(text)


def read_youtube(root: Path) -> dict[str, list[tuple[str, bool]]]:
    """YouTube Spam Collection: video file stem -> [(comment text, is_spam)], in file order."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(Path(root).glob("*.csv")):
        rows: list[tuple[str, bool]] = []
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.DictReader(fh):
                text = clean_youtube_comment(row.get("CONTENT") or "")
                if text:
                    rows.append((text, (row.get("CLASS") or "").strip() == "1"))
        out[path.stem] = rows
    return out


def read_sms(root: Path) -> list[tuple[str, bool]]:
    """UCI SMS Spam Collection: [(message, is_spam)] (a weak proxy for comment spam)."""
    out: list[tuple[str, bool]] = []
    for path in sorted(Path(root).glob("*.tsv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                text = (row.get("SMS") or "").strip()
                if text:
                    out.append((text, (row.get("Label") or "").strip() == "spam"))
    return out


# Fewer furniture-separated comment starts than this: insert at any boundary of the thread.
MIN_COMMENT_SLOTS = 2


class _Pool:
    """Draws items without replacement, reshuffling when exhausted, so every item is used evenly."""

    def __init__(self, items: Sequence, rng: random.Random) -> None:
        self.items, self.rng, self.queue = list(items), rng, []

    def draw(self, k: int) -> list:
        out = []
        while len(out) < k and self.items:
            if not self.queue:
                self.queue = self.items[:]
                self.rng.shuffle(self.queue)
            out.append(self.queue.pop())
        return out


def _comment_slots(labels: Sequence[str], first: int, last: int) -> list[int]:
    """Where a whole comment can go in the run ``first..last``: before the run, after it, and
    after furniture inside it ("Reply", a comment number), so an inserted comment does not split
    a commenter's name line from their text. Threads without such furniture take any boundary.
    """
    slots = [i for i in range(first + 1, last + 1) if labels[i - 1] != COMMENT and labels[i] == COMMENT]
    if len(slots) < MIN_COMMENT_SLOTS:
        return list(range(first, last + 2))
    return [first, *slots, last + 1]


def spam_threads(
    pages: Sequence[LabeledPage],
    youtube: dict[str, list[tuple[str, bool]]],
    videos: Sequence[str],
    seed: int,
    *,
    spam_per_page: tuple[int, int] = (1, 6),
    ham_per_page: tuple[int, int] = (0, 4),
    bbc_pages: Sequence[LabeledPage] = (),
    n_bbc: int = 0,
    bbc_thread_len: tuple[int, int] = (3, 8),
) -> list[LabeledPage]:
    """Pages whose comment threads carry YouTube spam (and ham) from ``videos`` in context.

    Every page of ``pages`` with at least one ``comment`` block gets ``spam_per_page`` spam and
    ``ham_per_page`` ham comments inserted at random block boundaries inside its comment run
    (first to last comment block); spam is labelled ``spam``, ham ``comment``. ``n_bbc`` extra
    pages put a short thread of YouTube comments only (at least one spam) after a BBC article.
    Deterministic for a given ``seed``. Train on some videos and test on pages built from another
    to measure how spam detection carries over to unseen spam campaigns. Each page's
    ``meta["inserted"]`` lists the positions of the blocks taken from ``videos`` (spam and ham),
    so that an evaluation can score those apart from the thread's own blocks, which Dragnet
    labels ``comment`` even where they are self-promotion.
    """
    rng = random.Random(seed)
    tag = "+".join(videos)
    items = [item for v in videos for item in youtube[v]]
    spam = _Pool([t for t, s in items if s], random.Random(rng.random()))
    ham = _Pool([t for t, s in items if not s], random.Random(rng.random()))
    out: list[LabeledPage] = []
    for page in pages:
        idx = [i for i, lab in enumerate(page.labels) if lab == COMMENT]
        if not idx:
            continue
        new = [(t, SPAM) for t in spam.draw(rng.randint(*spam_per_page))]
        new += [(t, COMMENT) for t in ham.draw(rng.randint(*ham_per_page))]
        slots = _comment_slots(page.labels, idx[0], idx[-1])
        inserts: dict[int, list[tuple[str, str]]] = {}
        for item in new:
            inserts.setdefault(rng.choice(slots), []).append(item)
        texts: list[str] = []
        labels: list[str] = []
        inserted: list[int] = []
        for i in range(len(page.texts) + 1):
            for t, lab in inserts.get(i, ()):
                inserted.append(len(texts))
                texts.append(t)
                labels.append(lab)
            if i < len(page.texts):
                texts.append(page.texts[i])
                labels.append(page.labels[i])
        out.append(LabeledPage(f"{page.id}+yt:{tag}", page.corpus, page.source, texts, labels,
                               page.group, {"videos": list(videos), "base": page.id, "inserted": inserted}))
    if n_bbc and bbc_pages:
        for page in rng.sample(list(bbc_pages), min(n_bbc, len(bbc_pages))):
            n = rng.randint(*bbc_thread_len)
            n_spam = rng.randint(1, max(1, n // 2))
            thread = [(t, SPAM) for t in spam.draw(n_spam)]
            thread += [(t, COMMENT) for t in ham.draw(n - n_spam)]
            rng.shuffle(thread)
            first = len(page.texts)
            out.append(LabeledPage(
                f"{page.id}+yt:{tag}", page.corpus, page.source, page.texts + [t for t, _ in thread],
                page.labels + [lab for _, lab in thread], page.group,
                {"videos": list(videos), "base": page.id, "inserted": list(range(first, first + len(thread)))}))
    return out


# --- statistics ------------------------------------------------------------------------------

def alignment_stats(pages: Iterable[LabeledPage]) -> dict:
    """Label counts and alignment recall over pages, to check a reader by numbers, not by eye.

    ``recall`` is the share of gold tokens (per part) that landed in a block with that part's
    label; ``comment_pages_found`` counts pages with gold comments that got a ``comment`` block.
    """
    blocks = Counter(dict.fromkeys(LABELS, 0))
    gold = Counter()
    rec = Counter()
    n = with_comments = gold_comment_pages = found = 0
    for page in pages:
        n += 1
        blocks.update(page.labels)
        has_comment = COMMENT in page.labels
        with_comments += has_comment
        if page.meta.get("has_gold_comments"):
            gold_comment_pages += 1
            found += has_comment
        gold.update(page.meta.get("gold_tokens", {}))
        rec.update(page.meta.get("recovered", {}))
    return {
        "pages": n,
        "blocks": dict(blocks),
        "pages_with_comment_blocks": with_comments,
        "share_pages_with_comments": with_comments / n if n else 0.0,
        "gold_comment_pages": gold_comment_pages,
        "comment_pages_found": found,
        "gold_tokens": dict(gold),
        "recall": {k: rec[k] / gold[k] for k in gold if gold[k]},
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print alignment statistics per reader: ``python -m training.corpora [CORPORA_DIR]``."""
    import argparse
    import importlib.util
    import json
    import time

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("corpora", nargs="?", type=Path,
                        default=Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora")
    args = parser.parse_args(argv)
    # The trafilatura rendering only where the package is installed (it is an extra).
    variants = [v for v in DRAGNET_VARIANTS if v != "trafilatura" or importlib.util.find_spec("trafilatura")]
    readers = {f"dragnet/{v}": (lambda v=v: read_dragnet(args.corpora / "dragnet_train", v)) for v in variants}
    readers["cleaneval"] = lambda: read_cleaneval(args.corpora / "cleaneval")
    readers["bbc"] = lambda: read_bbc(args.corpora / "bbc_news")
    for name, read in readers.items():
        start = time.perf_counter()
        stats = alignment_stats(read())
        stats["seconds"] = round(time.perf_counter() - start, 1)
        print(name, json.dumps(stats))


if __name__ == "__main__":
    main()
