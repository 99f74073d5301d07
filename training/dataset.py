"""Labelled pages -> feature matrices, with the same ``features`` code the classifier runs."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.model import LABELS
from features.changepoint import CHANGE_NAMES, change_columns
from features.extract import FEATURE_NAMES, LEXICAL_NAMES, LOCAL_NAMES, context_features, extract
from features.text_schema import TRAIN_SCHEMA, text_matrix

from . import corpora

LABEL_INDEX = {lab: i for i, lab in enumerate(LABELS)}
DEFAULT_CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
# How many BBC articles join the training mix (clean editorial pages without furniture).
DEFAULT_BBC_PAGES = 400
# Dragnet renderings trained on: full page, scraper-like trimmed span, gold text alone. (The reader
# also renders trafilatura's output, corpora.DRAGNET_VARIANTS; training on it cost editorial F1 on
# every rendering without thread chrome and did not help on its own, docs/text-model.md.)
DRAGNET_VARIANTS = ("full", "trimmed", "gold")
# Spam is inserted into threads this many times (new draws each round): every spam comment is
# then seen in several contexts instead of being repeated verbatim by oversampling. Round r uses
# the threads of rendering SPAM_ROUND_VARIANTS[r % 3] (when loaded, else trimmed), so threads
# without commenter lines keep their share of the training mix.
SPAM_ROUNDS = 3
SPAM_ROUND_VARIANTS = ("trimmed", "gold", "bodies")
# SMS spam and ham (``sms_spam``) inserted into real threads, this many rounds, per schema: the
# spam of four YouTube videos is a few campaigns, each repeated, and a campaign never seen
# (money offers without a link, say) was missed; the SMS Spam Collection adds other kinds of
# unsolicited messages (prizes, offers, subscriptions) in context. Schemas not listed: none
# (the text-6 model is rebuilt as it was).
SMS_ROUNDS_BY_SCHEMA: dict[str, int] = {"text-8": 1}
# Comment metadata lines (names, dates, "Reply") dropped to make the "bodies" rendering: many
# scrapers (trafilatura's comment output, forum dumps) keep only the comment texts.
THREAD_META_RX = re.compile(
    r"\d:\d\d|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d"
    r"|\b\d+ (?:minutes?|hours?|days?|weeks?|months?|years?) ago\b|^\s*by \S+|^\s*(?:reply|report|quote|share)\b",
    re.I,
)
# Comment lines at most this long with at most this many words are names/chrome, not bodies.
META_MAX_CHARS = 40
META_MAX_WORDS = 3


def comment_bodies(page: corpora.LabeledPage) -> corpora.LabeledPage | None:
    """The gold page with its thread's metadata lines removed (comment texts only)."""
    keep = [(t, lab) for t, lab in zip(page.texts, page.labels)
            if lab != "comment" or not (THREAD_META_RX.search(t)
                                         or (len(t) <= META_MAX_CHARS and len(t.split()) <= META_MAX_WORDS))]
    if not any(lab == "comment" for _, lab in keep):
        return None
    return corpora.LabeledPage(id=page.id.replace("#gold", "#bodies"), corpus=page.corpus, source=page.source,
                               texts=[t for t, _ in keep], labels=[lab for _, lab in keep], group=page.group)


@dataclass
class Matrix:
    """Stacked features of many pages with what cross-validation and evaluation need."""

    X: np.ndarray  # features.text_schema.TEXT_FEATURE_NAMES columns
    y: np.ndarray
    groups: np.ndarray  # cross-validation group per row
    page: np.ndarray  # page number per row
    pages: list[corpora.LabeledPage]
    offsets: np.ndarray  # row offset of each page (len(pages) + 1)
    schema: str = TRAIN_SCHEMA  # text schema of X's columns (features.text_schema)

    def page_rows(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def set_lexical(self, scores: np.ndarray) -> None:
        """Fill the lex_* columns (e.g. out-of-fold lexicon scores) and redo the context and
        change passes, which read them (the spam-context columns do not)."""
        j = LOCAL_NAMES.index(LEXICAL_NAMES[0])
        self.X[:, j: j + len(LEXICAL_NAMES)] = scores
        width = len(FEATURE_NAMES)
        self.X[:, len(LOCAL_NAMES): width] = context_features(self.X[:, : len(LOCAL_NAMES)], self.offsets[:-1])
        change_columns(self.X[:, :width], self.offsets[:-1], out=self.X[:, width: width + len(CHANGE_NAMES)])


def page_kind(p: corpora.LabeledPage) -> str:
    """The corpus and rendering a page belongs to, for per-kind metrics ("dragnet/trimmed+spam")."""
    if "#" not in p.id:
        return p.corpus.split(":")[0]
    rendering = p.id.rsplit("#", 1)[1]
    return p.corpus.split(":")[0] + "/" + rendering.split("+")[0] + (
        "+spam" if "+yt:" in rendering else "+sms" if "+sms:" in rendering else "")


def featurize(pages: Iterable[corpora.LabeledPage], schema: str = TRAIN_SCHEMA) -> Matrix:
    """Run the feature pass on every page and stack the results (``schema``'s columns)."""
    Xs, ys, gs, ps, kept = [], [], [], [], []
    offsets = [0]
    for p in pages:
        if not p.texts:
            continue
        pf = extract(p.texts)
        Xs.append(pf.X)
        ys.append(np.array([LABEL_INDEX[lab] for lab in p.labels], dtype=np.int64))
        gs.extend([p.group] * len(p.texts))
        ps.append(np.full(len(p.texts), len(kept), dtype=np.int64))
        kept.append(p)
        offsets.append(offsets[-1] + len(p.texts))
    offsets_arr = np.array(offsets)
    texts = [t for p in kept for t in p.texts]
    return Matrix(text_matrix(np.vstack(Xs), texts, offsets_arr[:-1], schema), np.concatenate(ys), np.array(gs),
                  np.concatenate(ps), kept, offsets_arr, schema)


def load_pages(root: Path, variants: tuple[str, ...] = DRAGNET_VARIANTS, bbc_pages: int = DEFAULT_BBC_PAGES,
               cleaneval: bool = True, spam_videos: tuple[str, ...] | None = None, seed: int = 0,
               max_dragnet: int | None = None, spam_rounds: int = SPAM_ROUNDS,
               sms_rounds: int = 0) -> list[corpora.LabeledPage]:
    """The training mix: Dragnet (each variant), CleanEval, BBC, and spam in real threads
    (YouTube comments ``spam_rounds`` times, SMS messages ``sms_rounds`` times)."""
    root = Path(root)
    pages: list[corpora.LabeledPage] = []
    threads: dict[str, list[corpora.LabeledPage]] = {}
    for v in variants:
        for i, p in enumerate(corpora.read_dragnet(root / "dragnet_train", variant=v)):
            if max_dragnet is not None and i >= max_dragnet:
                break
            p.id = f"{p.id}#{v}"
            pages.append(p)
            if "comment" in p.labels:
                threads.setdefault(v, []).append(p)
            if v == "gold" and "comment" in p.labels:
                bodies = comment_bodies(p)
                if bodies is not None:
                    pages.append(bodies)
                    threads.setdefault("bodies", []).append(bodies)
    if cleaneval:
        pages.extend(corpora.read_cleaneval(root / "cleaneval"))
    if bbc_pages:
        bbc = list(corpora.read_bbc(root / "bbc_news"))
        random.Random(seed).shuffle(bbc)
        pages.extend(bbc[:bbc_pages])
    yt_root = root / "youtube_spam"
    if yt_root.exists() and spam_videos != ():
        yt = corpora.read_youtube(yt_root)
        videos = sorted(yt) if spam_videos is None else list(spam_videos)
        for r in range(spam_rounds):
            hosts = threads.get(SPAM_ROUND_VARIANTS[r % len(SPAM_ROUND_VARIANTS)]) or threads.get("trimmed", [])
            for p in corpora.spam_threads(hosts, yt, videos, seed=seed + 1000 * r):
                p.id = f"{p.id}+r{r}"
                pages.append(p)
    sms_root = root / "sms_spam"
    if sms_rounds and sms_root.exists():
        sms = {"sms": corpora.read_sms(sms_root)}
        for r in range(sms_rounds):
            hosts = threads.get(SPAM_ROUND_VARIANTS[r % len(SPAM_ROUND_VARIANTS)]) or threads.get("trimmed", [])
            for p in corpora.spam_threads(hosts, sms, ["sms"], seed=seed + 7919 + 1000 * r):
                p.id = p.id.replace("+yt:sms", f"+sms:r{r}")  # its own kind in the per-kind metrics
                pages.append(p)
    return pages
