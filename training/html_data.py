"""Labelled HTML pages for the HTML model: segmented with ``features.html``, labelled by alignment.

Dragnet (``dragnet_train``), CleanEval and Mozilla Readability pages are segmented exactly as
``classify --format html`` segments them, and each block gets the label of the gold part
covering most of its tokens (``training.corpora.align_blocks``, the aligner the text model
uses). Readability's gold is its expected main-content HTML, segmented by the same segmenter
(one gold line per block). The page's DOM facts ride along in ``LabeledPage.meta["html"]`` so
the DOM columns are computed by the same code as in use.

A fixed share of source groups (chosen by a hash of the group, so the split never depends on
the order or the run) is held out: never trained on, only benchmarked
(``benchmarks/bench_html.py``). Dragnet and CleanEval group by registered domain
(``HOLDOUT_FRACTION``); Readability's pages have no URL, so they group by site (the file name's
first word: ``nytimes-1`` .. ``nytimes-5`` are one site) and a larger share is held out
(``READABILITY_HOLDOUT_FRACTION``) so its held-out figure rests on more than a dozen pages.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from features.dom import html_features
from features.extract import FEATURE_NAMES, LEXICAL_NAMES, LOCAL_NAMES, context_features, extract_batch
from features.html import RAW_COLUMNS, HtmlPage, segment_html
from features.segment import Block

from . import corpora
from .dataset import LABEL_INDEX, Matrix

# Share of source groups (domains) held out of training for the benchmark.
HOLDOUT_FRACTION = 0.2
HOLDOUT_SALT = "newswinnow-html-holdout-1"
# Share of Readability sites held out (their pages are few: ~90 with a usable gold).
READABILITY_HOLDOUT_FRACTION = 0.5
READABILITY_GROUP_PREFIX = "readability/"
# Readability fixtures whose gold is filler text, not an article (left out everywhere).
LOREM = re.compile(r"lorem ipsum", re.I)
# Spam comments swapped into each training thread page (min, max), replacing comment bodies.
SPAM_PER_PAGE = (1, 4)
# Comment blocks shorter than this are names/dates/buttons, never replaced by spam.
MIN_SPAM_SLOT_CHARS = 40
_R = {n: i for i, n in enumerate(RAW_COLUMNS)}


def is_holdout(group: str, fraction: float | None = None) -> bool:
    """Whether a source group belongs to the held-out benchmark split (stable hash).

    ``fraction`` defaults to ``READABILITY_HOLDOUT_FRACTION`` for Readability groups, else
    ``HOLDOUT_FRACTION``.
    """
    if fraction is None:
        fraction = READABILITY_HOLDOUT_FRACTION if group.startswith(READABILITY_GROUP_PREFIX) else HOLDOUT_FRACTION
    h = hashlib.sha256(f"{HOLDOUT_SALT}:{group}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64 < fraction


def readability_group(name: str) -> str:
    """Source group of a Readability test page: its site, the file name's first word."""
    return READABILITY_GROUP_PREFIX + name.split("-")[0]


def readability_files(root: Path) -> Iterator[tuple[str, bytes, str]]:
    """(name, page bytes, gold HTML) of each Readability test page with a usable gold.

    Pages whose gold is empty or Lorem ipsum filler (synthetic fixtures) are left out.
    """
    root = Path(root)
    for html_path in sorted((root / "input").glob("*.html.gz")):
        name = html_path.name[: -len(".html.gz")]
        gold_path = root / "GoldStandard" / f"{name}.txt"
        if not gold_path.exists():
            continue
        gold_html = corpora._read_text(gold_path)
        if not gold_html.strip() or LOREM.search(gold_html):
            continue
        yield name, gzip.decompress(html_path.read_bytes()), gold_html


def read_readability_html(root: Path) -> Iterator[corpora.LabeledPage]:
    """Readability pages: blocks aligned with the gold main content are editorial, the rest boilerplate."""
    for name, raw, gold_html in readability_files(root):
        gold = [b.text for b in segment_html(gold_html).blocks]
        if not gold:
            continue
        page = _labeled(f"readability/{name}", "readability", None, segment_html(raw),
                        [(corpora.EDITORIAL, gold)], group=readability_group(name))
        if page is not None:
            yield page


def _labeled(page_id: str, corpus: str, url: str | None, hp: HtmlPage,
             gold_parts: list[tuple[str, list[str]]], group: str | None = None) -> corpora.LabeledPage | None:
    texts = [b.text for b in hp.blocks]
    headings = [b.tag in corpora.HEADING_TAGS for b in hp.blocks]
    al = corpora.align_blocks(texts, gold_parts, headings)
    if all(lab == corpora.BOILERPLATE for lab in al.labels):
        return None
    domain = corpora.registered_domain(url) if url else None
    meta = {"url": url, "html": hp, "gold_tokens": al.gold_tokens, "recovered": al.recovered,
            "gold": dict(gold_parts)}
    group = group or domain or page_id
    return corpora.LabeledPage(page_id, corpus, domain or group, texts, al.labels, group, meta)


def read_dragnet_html(root: Path, ids: Iterable[str] | None = None) -> Iterator[corpora.LabeledPage]:
    """Dragnet pages segmented as HTML, blocks labelled editorial/comment/boilerplate by alignment."""
    root = Path(root)
    wanted = None if ids is None else set(ids)
    for gold_path in sorted((root / "Corrected").glob("*.txt"), key=corpora._numeric_key):
        pid = gold_path.name[: -len(".txt")]
        html_path = root / "HTML" / f"{pid}.html.gz"
        if (wanted is not None and pid not in wanted) or not html_path.exists():
            continue
        article, comments = corpora.split_dragnet_gold(corpora._read_text(gold_path))
        raw = gzip.decompress(html_path.read_bytes())
        page = _labeled(f"dragnet/{pid}", "dragnet", corpora._page_url(raw), segment_html(raw),
                        [(corpora.EDITORIAL, article), (corpora.COMMENT, comments)])
        if page is not None:
            yield page


def read_cleaneval_html(root: Path) -> Iterator[corpora.LabeledPage]:
    """CleanEval dev and final pages segmented as HTML: gold text editorial, the rest boilerplate."""
    for page_id, url, gold, raw in corpora.cleaneval_raw(root):
        page = _labeled(page_id, "cleaneval", url, segment_html(raw), [(corpora.EDITORIAL, gold)])
        if page is not None:
            yield page


def load_html_pages(root: Path, max_dragnet: int | None = None) -> list[corpora.LabeledPage]:
    """Every labelled HTML page (Dragnet, CleanEval, Readability), training and held-out alike."""
    root = Path(root)
    pages: list[corpora.LabeledPage] = []
    for i, p in enumerate(read_dragnet_html(root / "dragnet_train")):
        if max_dragnet is not None and i >= max_dragnet:
            break
        pages.append(p)
    if (root / "cleaneval").exists():
        pages.extend(read_cleaneval_html(root / "cleaneval"))
    if (root / "mozilla_readability").exists():
        pages.extend(read_readability_html(root / "mozilla_readability"))
    return pages


def spam_pages(pages: Sequence[corpora.LabeledPage], spam: Sequence[str], seed: int) -> list[corpora.LabeledPage]:
    """Copies of thread pages where a few comment bodies are replaced by YouTube spam.

    The spam takes over a real comment's DOM slot (same element, container and siblings), which
    is where comment spam sits on a real page; only the text and its character counts change.
    """
    rng = random.Random(seed)
    out: list[corpora.LabeledPage] = []
    for page in pages:
        slots = [i for i, (t, lab) in enumerate(zip(page.texts, page.labels))
                 if lab == corpora.COMMENT and len(t) >= MIN_SPAM_SLOT_CHARS]
        if not slots or not spam:
            continue
        chosen = rng.sample(slots, min(len(slots), rng.randint(*SPAM_PER_PAGE)))
        hp: HtmlPage = page.meta["html"]
        texts, labels, dom = list(page.texts), list(page.labels), hp.dom.copy()
        for i in chosen:
            t = rng.choice(spam)
            texts[i], labels[i] = t, corpora.SPAM
            dom[i, _R["chars"]] = len(t) - t.count(" ")
            dom[i, _R["link_chars"]] = 0
        blocks = [Block(i, t, None, b.tag) for i, (t, b) in enumerate(zip(texts, hp.blocks))]
        meta = {"html": HtmlPage(blocks, dom, hp.n_elements), "base": page.id}
        out.append(corpora.LabeledPage(f"{page.id}#spam", page.corpus, page.source, texts, labels,
                                       page.group, meta))
    return out


class HtmlMatrix(Matrix):
    """``Matrix`` whose columns are ``HTML_FEATURE_NAMES`` (text columns first, then DOM)."""

    def set_lexical(self, scores: np.ndarray) -> None:
        """Fill the lex_* columns and redo the text context pass (DOM columns do not use them)."""
        j = LOCAL_NAMES.index(LEXICAL_NAMES[0])
        self.X[:, j: j + len(LEXICAL_NAMES)] = scores
        self.X[:, len(LOCAL_NAMES): len(FEATURE_NAMES)] = context_features(
            self.X[:, : len(LOCAL_NAMES)], self.offsets[:-1])


def featurize_html(pages: Sequence[corpora.LabeledPage], batch: int = 64) -> HtmlMatrix:
    """Text + DOM columns of every page (batched as in use), stacked with labels and groups."""
    pages = [p for p in pages if p.texts]
    Xs = []
    for s in range(0, len(pages), batch):
        chunk = pages[s: s + batch]
        pf, _ = extract_batch([p.texts for p in chunk])
        pf, _ = html_features([p.meta["html"] for p in chunk], text_pf=pf)
        Xs.append(pf.X)
    sizes = [len(p.texts) for p in pages]
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    y = np.array([LABEL_INDEX[lab] for p in pages for lab in p.labels], dtype=np.int64)
    groups = np.array([p.group for p in pages for _ in p.texts])
    page_no = np.repeat(np.arange(len(pages)), sizes)
    return HtmlMatrix(np.vstack(Xs), y, groups, page_no, list(pages), offsets)
