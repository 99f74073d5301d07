"""Labelled HTML pages for the HTML model: segmented with ``features.html``, labelled by alignment.

Dragnet (``dragnet_train``) and CleanEval pages are segmented exactly as ``classify --format
html`` segments them, and each block gets the label of the gold part covering most of its
tokens (``training.corpora.align_blocks``, the aligner the text model uses). The page's DOM
facts ride along in ``LabeledPage.meta["html"]`` so the DOM columns are computed by the same
code as in use.

A fixed share of source groups (``HOLDOUT_FRACTION``, chosen by a hash of the group, so the
split never depends on the order or the run) is held out: never trained on, only benchmarked
(``benchmarks/bench_html.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import random
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
# Spam comments swapped into each training thread page (min, max), replacing comment bodies.
SPAM_PER_PAGE = (1, 4)
# Comment blocks shorter than this are names/dates/buttons, never replaced by spam.
MIN_SPAM_SLOT_CHARS = 40
_R = {n: i for i, n in enumerate(RAW_COLUMNS)}


def is_holdout(group: str, fraction: float = HOLDOUT_FRACTION) -> bool:
    """Whether a source group belongs to the held-out benchmark split (stable hash)."""
    h = hashlib.sha256(f"{HOLDOUT_SALT}:{group}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64 < fraction


def _labeled(page_id: str, corpus: str, url: str | None, hp: HtmlPage,
             gold_parts: list[tuple[str, list[str]]]) -> corpora.LabeledPage | None:
    texts = [b.text for b in hp.blocks]
    headings = [b.tag in corpora.HEADING_TAGS for b in hp.blocks]
    al = corpora.align_blocks(texts, gold_parts, headings)
    if all(lab == corpora.BOILERPLATE for lab in al.labels):
        return None
    domain = corpora.registered_domain(url) if url else None
    meta = {"url": url, "html": hp, "gold_tokens": al.gold_tokens, "recovered": al.recovered,
            "gold": dict(gold_parts)}
    return corpora.LabeledPage(page_id, corpus, domain or page_id, texts, al.labels, domain or page_id, meta)


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
    """Every labelled HTML page (Dragnet, then CleanEval), training and held-out alike."""
    root = Path(root)
    pages: list[corpora.LabeledPage] = []
    for i, p in enumerate(read_dragnet_html(root / "dragnet_train")):
        if max_dragnet is not None and i >= max_dragnet:
            break
        pages.append(p)
    if (root / "cleaneval").exists():
        pages.extend(read_cleaneval_html(root / "cleaneval"))
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
