"""The Python API: ``Classifier`` turns pages into ``DocumentResult`` objects.

Flow per page (one direction): segment -> features -> model -> decode -> scores -> result.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from features import ext, jsonfile, mt_soft, reading
from features.charset import decode_bytes
from features.extract import PageFeatures, extract_batch
from features.headers import meta_rows
from features.segment import Block, segment_text
from features.text_schema import DOM_SCHEMA_VERSION, TEXT_SCHEMA_VERSION, TEXT_SCHEMAS, extra_columns, text_matrix

from . import decode, limits, page_gate, scores, thread_start, thread_template
from .model import LABELS, BlockModel, ModelError, one_blas_thread
from .parallel import BATCH_RECORDS, batched, parallel_map, record_size
from .source import registered_domain

if TYPE_CHECKING:
    from features.html import HtmlPage

MODEL_STEM = "model-text"
ENV_MODEL = "NEWSWINNOW_MODEL"
# Text models shipped in data/, by the name ``--model``, ``$NEWSWINNOW_MODEL`` and
# ``Classifier.load`` accept in place of a path (a file of that name wins). ``fast``: three
# networks (the first three of the default shipped until 2026-12-06), with temperature and page
# gate fitted for three: 0.870 macro-F1 held out by site against the default's 0.877, for less
# CPU (README, Speed; data/MODEL_CARD-fast.md).
SHIPPED_TEXT_MODELS: dict[str, str] = {"default": MODEL_STEM, "fast": "model-text-fast"}
# The HTML model (schema html-2) sits beside the text model; without it HTML pages go through
# the text model (same blocks, text columns only).
HTML_MODEL_STEM = "model-html"
ENV_HTML_MODEL = "NEWSWINNOW_HTML_MODEL"
# Decimal places kept in the JSON output for probabilities and scores.
ROUND = 4
# Pages are classified in batches (``parallel.BATCH_RECORDS`` pages, amortising numpy call
# overhead) of at most about this many characters of block text per batch (bounds memory).
BATCH_CHARS = 4_000_000
_COMMENT = LABELS.index("comment")
# Label names by index (one gather for a batch's names; the same str objects as LABELS).
_LABEL_NAMES = np.array(LABELS, dtype=object)
# The compiled assembly of the results' block dicts (classifier/_results_ext.pyx), or None.
_RESULTS = ext.load("classifier._results_ext")


@dataclass(slots=True)
class PageInput:
    """A segmented page waiting for the model: its blocks and what the result carries along."""

    blocks: list[Block]
    id: str | int | None
    url: str | None
    is_html: bool
    html: HtmlPage | None = None  # DOM facts, for the HTML model
    flags: tuple[str, ...] = ()  # reasons known before analysis (limits.TRUNCATED_PAGE for cut HTML)


try:  # orjson: ~6x faster serialisation of results (a declared dependency; fallback kept)
    import orjson
except ImportError:  # pragma: no cover - exercised only when orjson is missing
    orjson = None


def dumps(obj: object) -> str:
    """One JSON line: orjson when it can (not: ints over 64 bits from user ids), else json."""
    return dumps_bytes(obj).decode()


def dumps_bytes(obj: object) -> bytes:
    """``dumps`` as UTF-8 bytes (what a file or pipe gets; saves a decode and an encode)."""
    if orjson is not None:
        try:
            return orjson.dumps(obj)
        except TypeError:
            pass
    # ASCII escapes: also valid for text orjson refuses (a lone surrogate from a "\\ud800" escape).
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def default_model_path(stem: str = MODEL_STEM, env_var: str = ENV_MODEL) -> Path:
    """Where the shipped model lives: $NEWSWINNOW_MODEL (a path or a shipped name), the repo's
    data/, or the installed share/."""
    env = os.environ.get(env_var)
    if env:
        return shipped_model_path(env) or Path(env)
    return _data_path(stem)


def shipped_model_path(name: str | Path) -> Path | None:
    """The header of the shipped text model called ``name`` (``SHIPPED_TEXT_MODELS``); None when
    ``name`` is an existing file (the file wins) or not a shipped name."""
    stem = SHIPPED_TEXT_MODELS.get(str(name))
    if stem is None or Path(name).is_file():
        return None
    return _data_path(stem)


def _data_path(stem: str) -> Path:
    """``stem``.json in the repo's data/ or the installed share/ (the first that exists)."""
    candidates = [
        Path(__file__).resolve().parent.parent / "data" / f"{stem}.json",
        Path(sys.prefix) / "share" / "newswinnow" / "data" / f"{stem}.json",
    ]
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


@dataclass
class DocumentResult:
    """One page's result; ``to_dict`` gives exactly the contract's JSON object."""

    id: str | int | None
    url: str | None
    source: str | None
    blocks: list[dict]
    has_comments: bool
    comment_start: int | None
    fractions: dict[str, float]
    mt_score: float
    dup_fraction: float
    quality: float
    reasons: list[str]
    model: str
    labels: list[str] = field(default_factory=list, repr=False)

    # Results of the pipeline may come without their ``blocks`` dicts: ``_lazy`` (in the instance
    # dict, no field) then holds the batch's facts (``_results_ext.PageBlocks``) and the first read
    # of ``blocks`` builds the very dicts ``_block_dicts`` would have (and drops ``_lazy``), so a
    # caller sees the same list of dicts, mutable as before. Until then ``to_json`` writes the
    # blocks straight from the facts (~40% of the cost of building the dicts and serialising them).

    def __getattr__(self, name: str) -> object:
        """Only reached when ``name`` is not set: ``blocks`` not built yet are built now."""
        if name == "blocks":
            d = self.__dict__
            lazy = d.get(_LAZY)
            if lazy is not None:  # (setdefault: two threads reading at once get the same list)
                blocks = d.setdefault("blocks", lazy.blocks())
                d.pop(_LAZY, None)
                return blocks
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)

    def __delattr__(self, name: str) -> None:
        """``del doc.blocks`` also forgets blocks not built yet (a later read fails, as before)."""
        if name == "blocks" and self.__dict__.pop(_LAZY, None) is not None and "blocks" not in self.__dict__:
            return
        object.__delattr__(self, name)

    def __getstate__(self) -> dict:
        """Pickles and copies carry the built ``blocks`` (as before), never the batch's facts."""
        self.blocks  # noqa: B018 - builds them when not built yet
        return self.__dict__

    def _fields(self, blocks: object) -> dict:
        """The contract's JSON object around the given ``blocks`` value (the keys in their order)."""
        return {
            "id": self.id, "url": self.url, "source": self.source, "blocks": blocks,
            "has_comments": self.has_comments, "comment_start": self.comment_start,
            "fractions": self.fractions, "mt_score": self.mt_score,
            "dup_fraction": self.dup_fraction, "quality": self.quality, "reasons": self.reasons,
            "model": self.model,
        }

    def to_dict(self, include_text: bool = True) -> dict:
        """The contract's JSON object (``include_text=False`` drops ``blocks[].text``)."""
        blocks = self.blocks if include_text else [{k: v for k, v in b.items() if k != "text"}
                                                   for b in self.blocks]
        return self._fields(blocks)

    def to_json(self, include_text: bool = True) -> str:
        """``to_dict`` as one JSON line (what ``newswinnow classify`` writes)."""
        return self._json(include_text, True)  # type: ignore[return-value]

    def to_json_bytes(self, include_text: bool = True) -> bytes:
        """``to_json`` as UTF-8 bytes (what a file or pipe gets): ``dumps_bytes(self.to_dict())``."""
        return self._json(include_text, False)  # type: ignore[return-value]

    def _json(self, include_text: bool, as_str: bool) -> str | bytes:
        """``dumps_bytes(self.to_dict(include_text))``, decoded when ``as_str``.

        While the blocks were never read (so nobody can have changed them) the compiled writer
        gives their JSON without building them, in orjson's line of the other fields (read now,
        as ``to_dict`` would); every other case, and any the writer declines (module
        ``_results_ext``), serialises ``to_dict``."""
        d = self.__dict__
        lazy = d.get(_LAZY)
        if (lazy is not None and "blocks" not in d and orjson is not None
                and type(self).to_dict is DocumentResult.to_dict):
            if type(self) is DocumentResult:  # the whole line compiled, when its fields allow
                line = lazy.doc_json(self, bool(include_text), as_str)
                if line is not None:
                    return line
            try:
                around = orjson.dumps(self._fields(_BLOCKS_MARK))
            except TypeError:  # e.g. an id over 64 bits: the whole line falls back to json, as before
                pass
            else:
                line = lazy.json(bool(include_text), around, as_str)
                if line is not None:
                    return line
        out = dumps_bytes(self.to_dict(include_text))
        return out.decode() if as_str else out

    def kept_text(self, keep: Iterable[str]) -> str:
        """The page's text reduced to blocks with the given labels, one per line."""
        keep = set(keep)
        d = self.__dict__
        lazy = d.get(_LAZY)
        if lazy is not None and "blocks" not in d:  # the same texts and labels, without the dicts
            return lazy.kept_text(keep)
        return "\n".join(b["text"] for b in self.blocks if b["label"] in keep)


# The instance-dict key of a result's blocks not built yet (DocumentResult).
_LAZY = "_lazy"
# A DocumentResult without running its __init__ (``_classify_group`` sets its dict whole).
_new_object = object.__new__
# Where the compiled writer puts a result's blocks in orjson's line of its other fields: one NUL
# byte, which orjson writes nowhere else (it escapes it in strings).
_BLOCKS_MARK = orjson.Fragment(b"\x00") if orjson is not None else None


class Classifier:
    """Label the blocks of pages and score them; load once, call many times."""

    def __init__(self, model: BlockModel, path: Path | None = None, html_model: BlockModel | None = None,
                 html_path: Path | None = None, page_limits: limits.Limits | None = None):
        self.model = model
        self.path = path  # the model file, when loaded from one
        self._html_model = html_model
        # Loads the shipped HTML model on first use (``load``); None once called or not lazy.
        self._html_loader: Callable[[], BlockModel | None] | None = None
        self.html_path = html_path
        self.limits = page_limits or limits.Limits()  # per-page size and time limits (classifier/limits.py)
        # Read hard-wrapped and markdown plain-text pages as paragraphs of visible text
        # (features/reading.py); False: every page line by line, as written.
        self.reread = True

    @classmethod
    def load(cls, path: str | Path | None = None, html_path: str | Path | None = None,
             page_limits: limits.Limits | None = None) -> Classifier:
        """Load the shipped models (or the model at ``path``, or the shipped text model of that
        name, ``SHIPPED_TEXT_MODELS``); never executes code from the files.

        The HTML model comes from ``html_path``, else ``$NEWSWINNOW_HTML_MODEL``, else (only
        when no text model ``path`` is given, so that ``Classifier.load(my_model)`` means that
        model for every page) the shipped ``model-html`` when present, read at the first HTML page
        (``html_model``). A missing or unreadable default only means HTML pages use the text model
        (with a warning then); an explicit path is read here, and one that fails raises.
        ``path`` may also name an HTML model: it is then the HTML model, with the default text model.
        """
        shipped = shipped_model_path(path) if path is not None else None
        # A shipped name is not the caller's own model: HTML pages keep the shipped HTML model.
        explicit_text = path is not None and shipped is None
        p = shipped or (Path(path) if path is not None else default_model_path())
        try:  # the soft MT signal's model: fail here, clearly, not page by page
            mt_soft.load_soft_model()
        except mt_soft.SoftModelError as e:
            raise ModelError(str(e)) from e
        header = _header_of(p)  # parsed once, for its schema and for the load (~3 ms a parse)
        if path is not None and html_path is None and _schema_of(header) == DOM_SCHEMA_VERSION:
            html_path, p, explicit_text = p, default_model_path(), False
            header = _header_of(p)
        schema = _schema_of(header)
        if html_path is None and os.environ.get(ENV_HTML_MODEL):
            html_path = os.environ[ENV_HTML_MODEL]
        # Text models of schema text-4 and text-5 still load; any other schema is checked
        # against the current one (features.text_schema), so the error names what this version reads.
        schema = schema if schema in TEXT_SCHEMAS else TEXT_SCHEMA_VERSION
        text = BlockModel.load(p, expected_schema=schema, expected_features=TEXT_SCHEMAS[schema], header=header)
        # The page-level comment-section gate beside the model (STEM.gate.json), if there is one.
        text.page_gate = page_gate.load_for(p, text.sha256)  # type: ignore[attr-defined]
        # The thread-start refinement beside it (STEM.start.json), if there is one.
        text.thread_start = thread_start.load_for(p, text.sha256)  # type: ignore[attr-defined]
        if html_path is not None:  # the caller's: loaded now, so a bad file fails here
            hp = Path(html_path)
            html_model = _load_html_model(hp)
            return cls(text, p.resolve(), html_model, hp.resolve(), page_limits)
        clf = cls(text, p.resolve(), None, None, page_limits)
        if not explicit_text:
            hp = default_model_path(HTML_MODEL_STEM, ENV_HTML_MODEL)
            if hp.exists():  # the shipped one: loaded at the first HTML page
                clf.html_path = hp.resolve()
                clf._html_loader = functools.partial(_default_html_model, hp)
        return clf

    @property
    def html_model(self) -> BlockModel | None:
        """The HTML model (schema html-2); None: HTML pages use the text model. The shipped one is
        loaded here, on first use: a plain-text run never needs it, and its loading (~15 ms, and
        more in its first forward pass) was a tenth of every process's start-up."""
        if self._html_loader is not None:
            loader, self._html_loader = self._html_loader, None
            self._html_model = loader()
            if self._html_model is None:
                self.html_path = None
        return self._html_model

    @html_model.setter
    def html_model(self, model: BlockModel | None) -> None:
        self._html_model, self._html_loader = model, None

    def __reduce__(self):
        """Pickle a file-backed classifier as its path and checksum, not its arrays: worker
        processes (``--jobs``) then load the model once each instead of receiving it per batch."""
        if self.path is None or (self.html_model is not None and self.html_path is None):
            return super().__reduce__()
        html = (str(self.html_path), self.html_model.sha256) if self.html_model is not None else (None, None)
        return _cached_classifier, (str(self.path), self.model.sha256, *html, self.limits, self.reread)

    def warm_up(self, html: bool = True) -> None:
        """Build now what the first batch would build (the lexicon's hash table, the profanity
        matcher): called before forking ``--jobs`` workers, so they inherit it instead of each
        building it again.

        ``html=False`` leaves the HTML model's tables to the first HTML page: before the fork
        they are serial time a plain-text run never uses (~0.1 s), and workers that do meet HTML
        build them side by side, in the same wall time.
        """
        from features import profanity

        profanity.warm_up()
        self.classify_text("Warm-up line.")
        if html and self.html_model is not None:
            self.classify_html("<p>Warm-up line.</p>")

    # --- single pages -------------------------------------------------------------------
    def classify_text(self, text: str, id: str | int | None = None, url: str | None = None) -> DocumentResult:
        """Classify a plain-text page: one block per non-empty line."""
        return self.classify_pages([PageInput(segment_text(text), id, url, False)])[0]

    def classify_html(self, html: str | bytes, id: str | int | None = None,
                      url: str | None = None, charset: str | None = None) -> DocumentResult:
        """Classify an HTML page: one block per block-level element's text. Bytes are decoded by
        ``features.charset.decode_bytes``; ``charset``: the transport's label (an HTTP
        Content-Type's), which goes before the page's own ``<meta>``."""
        text = html if isinstance(html, str) else decode_html(html, charset)
        return self.classify_pages([self.prepare({"html": text, "id": id, "url": url}, page_limits=self.limits)])[0]

    # --- many pages -----------------------------------------------------------------------
    def classify_many(self, records: Iterable[dict], n_jobs: int = 1,
                      text_field: str = "text", html_field: str = "html", id_field: str = "id",
                      url_field: str = "url") -> Iterator[DocumentResult]:
        """Classify records ({"text": ...} or {"html": ...}) lazily, in input order.

        Pages go through the model in batches (``BATCH_RECORDS`` records, at most ``BATCH_BYTES``
        of text or HTML): features, the network and decoding then cost a few numpy calls per
        batch instead of per page.
        """
        if n_jobs == 1:
            fields = (text_field, html_field, id_field, url_field)
            for batch in batched(enumerate(records, 1), BATCH_RECORDS,
                                 lambda item: record_size(item[1], text_field, html_field)):
                yield from self.classify_pages([self.prepare(rec, i, *fields, self.limits) for i, rec in batch])
            return

        yield from parallel_map(self, records, n_jobs, text_field, html_field, id_field, url_field)

    def classify_record(self, rec: dict, default_id: int | None = None, text_field: str = "text",
                        html_field: str = "html", id_field: str = "id", url_field: str = "url") -> DocumentResult:
        """Classify one record; raises ``ValueError`` when it holds no usable text or html."""
        return self.classify_pages([self.prepare(rec, default_id, text_field, html_field, id_field, url_field,
                                                 self.limits)])[0]

    @staticmethod
    def prepare(rec: dict, default_id: int | None = None, text_field: str = "text", html_field: str = "html",
                id_field: str = "id", url_field: str = "url", page_limits: limits.Limits | None = None) -> PageInput:
        """Segment one record into blocks; raises ``ValueError`` when it holds no usable text or html."""
        if not isinstance(rec, dict):
            raise ValueError("record is not a JSON object")
        rid = rec.get(id_field, default_id)
        url = rec.get(url_field)
        url = url if isinstance(url, str) else None
        if isinstance(rec.get(text_field), str):
            return PageInput(segment_text(rec[text_field]), rid, url, False)
        if isinstance(rec.get(html_field), str):
            page_limits = page_limits or limits.Limits()
            html, cut = limits.cut_html(rec[html_field], page_limits)
            # Parsing runs before any batch (and its alarm) exists: it gets the page budget of
            # its own. A page that overruns it has no blocks to report, so it is rejected whole.
            try:
                with limits.deadline(page_limits.page_timeout):
                    page = _html_input(html, rid, url)
            except limits.PageTimeout:
                raise ValueError(f"HTML not parsed within the page timeout ({page_limits.page_timeout:g} s)") from None
            if cut:
                page.flags = (limits.TRUNCATED_PAGE,)
            return page
        if text_field in rec or html_field in rec:
            raise ValueError(f"field {text_field!r}/{html_field!r} is not a string")
        raise ValueError(f"record has no {text_field!r} or {html_field!r} field")

    def classify_or_reject(self, items: Sequence[tuple[int, dict]], text_field: str = "text",
                           html_field: str = "html", id_field: str = "id",
                           url_field: str = "url") -> list[DocumentResult | str]:
        """(line number, record) pairs -> a result, or the reason it was rejected, per record.

        A record that cannot be segmented is rejected alone; the rest of the batch goes on.
        """
        out: list[DocumentResult | str] = []
        ready: list[tuple[int, PageInput]] = []
        for pos, (lineno, rec) in enumerate(items):
            try:
                ready.append((pos, self.prepare(rec, lineno, text_field, html_field, id_field, url_field,
                                                self.limits)))
                out.append("")
            except ValueError as e:
                out.append(str(e))
            except RecursionError:
                out.append("page too deeply nested")
        try:
            results = self.classify_pages([p for _, p in ready])
        except Exception:  # noqa: BLE001 - any failure: isolate the page that broke the batch
            # Classify one by one; a page that still fails is rejected with the reason, the run goes on.
            results = []
            for _, p in ready:
                try:
                    results.extend(self.classify_pages([p]))
                except Exception as e:  # noqa: BLE001 - reported as the record's reject reason
                    results.append(f"page could not be classified ({type(e).__name__}: {e})")
        for (pos, _), r in zip(ready, results):
            out[pos] = r
        return out

    # --- the pipeline -------------------------------------------------------------------
    def classify_pages(self, pages: Sequence[PageInput]) -> list[DocumentResult]:
        """Segmented pages -> results, in order; batches are cut at ``BATCH_RECORDS`` pages or
        ``BATCH_CHARS`` characters, whichever comes first. Pages are cut to ``self.limits`` first
        (and put back whole in the results); each batch runs within its time budget."""
        full_pages = pages
        pages, cuts, sizes = limits.apply_sized(pages, self.limits)
        out: list[DocumentResult] = []
        start, chars = 0, 0
        for i, p in enumerate(pages):
            # A page's characters: counted by apply_sized when it could (and not cut), else here.
            chars += sizes[i] if sizes is not None and i not in cuts else sum(len(b.text) for b in p.blocks)
            if chars >= BATCH_CHARS or i + 1 - start >= BATCH_RECORDS:
                out.extend(self._run_batch(pages[start: i + 1]))
                start, chars = i + 1, 0
        if start < len(pages):
            out.extend(self._run_batch(pages[start:]))
        if cuts:
            limits.restore(out, full_pages, cuts)
        return out

    def _run_batch(self, pages: Sequence[PageInput]) -> list[DocumentResult]:
        """``_classify_batch`` under the page time budget (limits.run_batch), with BLAS on one
        thread: a multi-threaded float32 product can round the 4th decimal of a probability
        differently, so the API would disagree with the CLI (which runs single-threaded) on a
        few pages per thousand; our matrices are too small to gain from threads anyway."""
        with one_blas_thread():
            return limits.run_batch(self._classify_batch, pages, self.limits, self.model.name)

    def _classify_batch(self, pages: Sequence[PageInput]) -> list[DocumentResult]:
        """HTML pages to the HTML model (when there is one), the rest to the text model."""
        html_idx = [i for i, p in enumerate(pages) if p.html is not None]
        if not html_idx or self.html_model is None:  # (not loaded for plain text)
            return self._classify_group(pages, self.model)
        out: list[DocumentResult | None] = [None] * len(pages)
        text_idx = [i for i, p in enumerate(pages) if p.html is None]
        for idx, m in ((text_idx, self.model), (html_idx, self.html_model)):
            if idx:
                for i, r in zip(idx, self._classify_group([pages[i] for i in idx], m)):
                    out[i] = r
        return out  # type: ignore[return-value]

    def _classify_group(self, pages: Sequence[PageInput], m: BlockModel) -> list[DocumentResult]:
        """One feature pass, one forward pass, one batched decode and batched page scores."""
        # Compiled: the texts, and the blocks' index and line for the results read with them (the
        # blocks are in the cache now, not after the feature pass: _lazy_blocks); else in Python.
        fields = _RESULTS.block_fields(list(pages), Block) if _RESULTS is not None else None
        if fields is not None:
            texts, page_texts = fields.texts, fields.page_texts
        else:
            texts = [b.text for p in pages for b in p.blocks]
            page_texts = [[b.text for b in p.blocks] for p in pages]
        # The page scores read the blocks joined by newlines with one more in front (``lead``).
        if fields is not None and not fields.newlines:  # str texts without newlines: joined as is
            lead = "\n".join(["", *texts])  # (one copy of the batch's text, not two)
        else:
            joined = "\n".join(texts)
            if joined.count("\n") != max(len(texts) - 1, 0):  # blocks made outside the segmenters
                # The feature pass joins a batch's blocks with newlines, one block a line: a newline
                # inside a block reads as a space there (same length: evidence offsets still fit
                # the block's own text, which the result keeps).
                texts = [t.replace("\n", " ") for t in texts]
                page_texts = [[t.replace("\n", " ") for t in pt] for pt in page_texts]
                joined = "\n".join(texts)
            lead = "\n" + joined
        pf, offsets = extract_batch(page_texts, m.lexical, extra_columns(m.schema))
        text_lengths = pf.lengths  # len of each of ``texts`` (the feature pass's own blocks)
        X = pf.X
        meta_lines = meta_rows(pf.X)  # rows of the blocks' meta lines, for the thread-template step (below)
        if m.schema == DOM_SCHEMA_VERSION:
            from features.dom import html_features

            pf, offsets = html_features([p.html for p in pages], text_pf=pf)
            X = pf.X
        elif m.schema in TEXT_SCHEMAS:  # change and spam-context columns (features.text_schema)
            X = text_matrix(pf.X, texts, offsets[:-1][np.diff(offsets) > 0], m.schema, pf.low_utf8,
                            pf.low_starts, pf.wide)
        proba = m.predict_proba(X, offsets[:-1])  # per page: see BlockModel.logits
        spans = list(zip(offsets[:-1].tolist(), offsets[1:].tolist()))
        decoded = _decode_pages(m, [proba[a:b] for a, b in spans])
        reread: set[int] = set()
        if self.reread and m.schema in TEXT_SCHEMAS:
            reread = _reread_pages(m, pages, page_texts, pf, offsets, lead, proba, decoded)
        if m.schema == DOM_SCHEMA_VERSION:  # decode constraints of HTML pages (classifier/html_decode.py)
            from . import html_decode

            top, cc = pf.X[:, html_decode.IN_TOP_COLUMN], html_decode.comment_class(pf.X)
            decoded = html_decode.constrain(decoded, [proba[a:b] for a, b in spans], [top[a:b] for a, b in spans],
                                            m.meta, in_comment=[cc[a:b] for a, b in spans])
        # A thread starts at its own first commenter line (thread_template.py): after the page gate
        # on text, after the decode constraints on HTML.
        thread_template.extend_starts(decoded, None, texts, offsets, skip=reread, meta=meta_lines)
        label_all = np.concatenate(decoded) if decoded else np.zeros(0, dtype=np.int64)
        page_of = np.repeat(np.arange(len(pages)), np.diff(offsets))
        first_comment = _first_comments(decoded, label_all).tolist()
        has_comments = np.array([f >= 0 for f in first_comment], dtype=bool)
        block_starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(pf.lengths[:-1] + 1, out=block_starts[1:])
        # MT: artefacts (pf.mt, also a model feature) plus the soft translationese signal.
        soft = mt_soft.soft_scores(texts, page_of, len(pages), tokens=pf.tokens, lengths=text_lengths)
        mt_block = mt_soft.combine(pf.mt, soft.block, mt_soft.SOFT_BLOCK_WEIGHT)
        fracs, mt_page, dup_page, quality, reasons, _ = scores.batch_fields(
            label_all, pf.lengths, page_of, len(pages), mt_block, pf.dup, pf.profanity, None, block_starts,
            has_comments, mt_soft_page=soft.page, lead_doc=lead)
        names_all = _LABEL_NAMES[label_all].tolist()
        lazy = _lazy_blocks(pages, spans, names_all, proba, mt_block, pf.profanity, pf.mt_evidence,
                            pf.profanity_evidence, fields)
        page_blocks = lazy if lazy is not None else _block_dicts(
            pages, spans, names_all, proba, mt_block, pf.profanity, pf.mt_evidence, pf.profanity_evidence)
        results = []
        name = m.name
        both = round_list(mt_page + dup_page, ROUND)  # round(x, ROUND) of each, in one call
        mt_page, dup_page = both[: len(pages)], both[len(pages):]
        for page, (a, b), first, fr, mt, dup, q, rs, out_blocks in zip(pages, spans, first_comment, fracs, mt_page,
                                                                        dup_page, quality, reasons, page_blocks):
            comment_start = None
            if first >= 0:
                b0 = page.blocks[first]
                comment_start = b0.index if page.is_html else b0.line
            url = page.url
            # The instance dict DocumentResult(...) would make (its fields in order), set whole: the
            # dataclass __init__ took ~3 us a page. Lazy blocks: the facts under _LAZY, last, where
            # deleting "blocks" and adding them put them (see DocumentResult).
            doc = _new_object(DocumentResult)
            if lazy is not None:
                doc.__dict__ = {
                    "id": page.id, "url": url, "source": registered_domain(url), "has_comments": first >= 0,
                    "comment_start": comment_start, "fractions": fr, "mt_score": mt,
                    "dup_fraction": dup, "quality": q, "reasons": rs, "model": name,
                    "labels": names_all[a:b], _LAZY: out_blocks}
            else:
                doc.__dict__ = {
                    "id": page.id, "url": url, "source": registered_domain(url), "blocks": out_blocks,
                    "has_comments": first >= 0, "comment_start": comment_start, "fractions": fr,
                    "mt_score": mt, "dup_fraction": dup, "quality": q, "reasons": rs,
                    "model": name, "labels": names_all[a:b]}
            results.append(doc)
        return results


def _decode_pages(m: BlockModel, probas: list[np.ndarray]) -> list[np.ndarray]:
    """Each page's label sequence: the model's chain (with its page gate and thread-start
    refinement, when it has them), or each block's most probable label."""
    if m.transitions is None:
        return [np.argmax(p, axis=1) for p in probas]
    gate = getattr(m, "page_gate", None)  # classifier/page_gate.py: overrules has_comments
    decoded = (gate.decode if gate is not None else decode.viterbi_batch)(
        probas, m.prior, m.start, m.transitions, post=m.post)
    starts = getattr(m, "thread_start", None)  # classifier/thread_start.py: moves thread starts
    if starts is not None:
        decoded = starts.refine(probas, decoded, m.prior, m.start,
                                m.transitions if gate is None else gate.log_trans(m.transitions),
                                post=m.post if gate is None else gate.post(m.post))
    return decoded


def _reread_pages(m: BlockModel, pages: Sequence[PageInput], page_texts: Sequence[Sequence[str]],
                  feats: PageFeatures, offsets: np.ndarray, lead: str, proba: np.ndarray,
                  decoded: list[np.ndarray]) -> set[int]:
    """Plain-text pages not written one paragraph per line - hard-wrapped, markdown
    (features/reading.py) - read again as the model was trained to read them: every line takes
    the probabilities and decoded label of the text it belongs to, in ``proba`` and ``decoded``
    (the thread-template step included). Returns the batch indices of the pages read again.

    The blocks stay lines, as the contract counts them, and everything else (profanity, MT
    evidence, duplicates) stays per line.
    """
    readings = reading.batch_readings(page_texts, lambda k: [b.line for b in pages[k].blocks],
                                      lambda k: not pages[k].is_html, feats.lengths, offsets, lead, 1,
                                      feats.low_utf8, feats.low_starts)
    if not readings:
        return set()
    order = sorted(readings)
    texts = [readings[k].texts for k in order]
    flat = [t for ts in texts for t in ts]
    pf, offs = extract_batch(texts, m.lexical, extra_columns(m.schema))
    X = text_matrix(pf.X, flat, offs[:-1][np.diff(offs) > 0], m.schema, pf.low_utf8, pf.low_starts, pf.wide)
    rproba = m.predict_proba(X, offs[:-1])
    rdecoded = [np.asarray(d) for d in _decode_pages(m, [rproba[a:b] for a, b in zip(offs[:-1], offs[1:])])]
    # The thread-template step on the paragraphs, as on a page written one paragraph a line (the
    # line-level pass then skips these pages: a wrapped paragraph's short last line is no name line).
    thread_template.extend_starts(rdecoded, pf.X, flat, offs)
    for j, k in enumerate(order):
        owner = readings[k].owner
        proba[offsets[k]: offsets[k + 1]] = rproba[offs[j] + owner]
        decoded[k] = rdecoded[j][owner]
    return set(order)


def _block_dicts(pages: Sequence[PageInput], spans: list[tuple[int, int]], names_all: list[str],
                 proba: np.ndarray, mt_block: np.ndarray, profanity: np.ndarray, mt_evidence: list[list[dict]],
                 profanity_evidence: list[list[dict]]) -> list[list[dict]]:
    """Each page's result ``blocks`` (one dict per block; rows ``spans[p]`` of the batch arrays), the
    numbers rounded to ``ROUND`` places: compiled (classifier/_results_ext.pyx) when built."""
    proba_r, mt_r, prof_r = _rounded(proba, mt_block, profanity)
    if _RESULTS is not None and type(mt_evidence) is list and type(profanity_evidence) is list:
        # float64 (a no-op here): ``tolist`` of a float32 array gives the same Python floats.
        out = _RESULTS.block_dicts(list(pages), spans, names_all, np.ascontiguousarray(proba_r, dtype=np.float64),
                                   np.ascontiguousarray(mt_r, dtype=np.float64),
                                   np.ascontiguousarray(prof_r, dtype=np.float64),
                                   mt_evidence, profanity_evidence, tuple(LABELS))
        if out is not None:
            return out
    return _block_dicts_python(pages, spans, names_all, proba_r, mt_r, prof_r, mt_evidence, profanity_evidence)


def _rounded(proba: np.ndarray, mt_block: np.ndarray,
             profanity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block numbers of the results, rounded once for the whole batch (k / 10**ROUND is the
    shortest float for its decimal)."""
    return np.round(proba, ROUND), np.round(mt_block, ROUND), np.round(profanity.astype(np.float64), ROUND)


def _lazy_blocks(pages: Sequence[PageInput], spans: list[tuple[int, int]], names_all: list[str],
                 proba: np.ndarray, mt_block: np.ndarray, profanity: np.ndarray, mt_evidence: list[list[dict]],
                 profanity_evidence: list[list[dict]], fields: object = None) -> list | None:
    """``_block_dicts``' answer not built yet: per page a ``_results_ext.PageBlocks`` holding the
    batch's rounded numbers and the blocks' index, line and text (read now: a caller's pages may
    change later), whose ``blocks()`` are those dicts and whose ``json()`` their orjson line.
    None when the module is not built, or it declines (the caller then runs ``_block_dicts``).
    ``fields``: ``_results_ext.block_fields(pages)`` read earlier in the batch, or None."""
    if _RESULTS is None or type(mt_evidence) is not list or type(profanity_evidence) is not list:
        return None
    proba_r, mt_r, prof_r = _rounded(proba, mt_block, profanity)
    return _RESULTS.capture(list(pages), spans, names_all, np.ascontiguousarray(proba_r, dtype=np.float64),
                            np.ascontiguousarray(mt_r, dtype=np.float64),
                            np.ascontiguousarray(prof_r, dtype=np.float64),
                            mt_evidence, profanity_evidence, tuple(LABELS), fields)


def _block_dicts_python(pages: Sequence[PageInput], spans: list[tuple[int, int]], names_all: list[str],
                        proba_r: np.ndarray, mt_r: np.ndarray, prof_r: np.ndarray, mt_evidence: list[list[dict]],
                        profanity_evidence: list[list[dict]]) -> list[list[dict]]:
    """``_block_dicts`` in Python (the rounded arrays given): the compiled form's reference and fallback."""
    e_, c_, s_, b_ = LABELS  # a dict display is several times faster than dict(zip(...))
    probs = [{e_: e, c_: c, s_: s, b_: b} for e, c, s, b in proba_r.tolist()]
    mt_l = mt_r.tolist()
    prof_l = prof_r.tolist()
    evidence = [a + b for a, b in zip(mt_evidence, profanity_evidence)]
    return [
        [{"index": blk.index, "line": None if page.is_html else blk.line, "text": blk.text,
          "label": lab, "proba": pr, "mt": mt, "profanity": pf_, "evidence": ev}
         for blk, lab, pr, mt, pf_, ev in zip(page.blocks, names_all[a:b], probs[a:b], mt_l[a:b], prof_l[a:b],
                                               evidence[a:b])]
        for page, (a, b) in zip(pages, spans)
    ]


# Where ``round_list`` takes numpy's product: |x * 10**n| below this (so the product's error is
# below 2**-22) and farther than _HALF_MARGIN from a half (so the exact product rounds the same way).
_ROUND_LIMIT = float(2 ** 31)
_HALF_MARGIN = 2.0 ** -20


def round_list(values: Sequence[float], ndigits: int) -> list[float]:
    """``[round(v, ndigits) for v in values]`` (Python floats), one numpy pass for most values.

    Why exact: ``round`` gives the double nearest to k / 10**n, k the integer nearest to the exact
    x * 10**n (ties to even). Where ``y = fl(x * 10**n)`` is below _ROUND_LIMIT its error is below
    2**-22, so when y is farther than _HALF_MARGIN from a half, k = rint(y); and k / 10**n in
    IEEE division is the double nearest to that quotient (k and 10**n exact): the same double,
    signed zeros included. Values near a half go through ``round`` itself, and so does the whole
    list when it holds a value past _ROUND_LIMIT / 10**n or a NaN, or ``ndigits`` is not in 0..15."""
    x = np.array(values, dtype=np.float64)
    scale = 10.0 ** ndigits if 0 <= ndigits <= 15 else 0.0  # exact for ndigits <= 22
    if x.ndim != 1 or not scale or not (np.abs(x) < _ROUND_LIMIT / scale).all():
        return [round(float(v), ndigits) for v in x.ravel().tolist()] if x.ndim else [round(float(x), ndigits)]
    y = x * scale
    k = np.rint(y)
    got = (k / scale).tolist()
    near = np.flatnonzero(np.abs(y - k) > 0.5 - _HALF_MARGIN)  # (a tie: exactly 0.5)
    if near.size:
        xs = x.tolist()
        for i in near.tolist():
            got[i] = round(xs[i], ndigits)
    return got


def _first_comments(decoded: Sequence[np.ndarray], label_all: np.ndarray) -> np.ndarray:
    """Index of each page's first comment block (-1 for none), int64: two numpy passes over the
    batch's labels (``label_all``, the pages' labels one after the other) instead of a pair per page."""
    lens = np.array([d.shape[0] for d in decoded], dtype=np.int64)
    starts = np.zeros(len(decoded), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    at = np.flatnonzero(label_all == _COMMENT)
    page = np.repeat(np.arange(len(decoded)), lens)[at]
    lead = np.ones(at.size, dtype=bool)
    lead[1:] = page[1:] != page[:-1]  # the first comment of its page (``at`` is in page order)
    first = np.full(len(decoded), -1, dtype=np.int64)
    first[page[lead]] = at[lead] - starts[page[lead]]
    return first


def segment_html(html: str | bytes) -> HtmlPage:
    """``features.html.segment_html``. The HTML modules (and ``features.dom``, ``html_decode``)
    are imported at the first HTML page or HTML model: ~10 ms of start-up that a plain-text
    run, and each ``--jobs`` start, would otherwise spend."""
    from features.html import segment_html as segment

    return segment(html)


# HTML bytes -> text: the one decoder of every reader (kept under the name callers import).
decode_html = decode_bytes


def _load_html_model(path: Path) -> BlockModel:
    """An HTML model file, checked against the HTML schema's columns."""
    from features.dom import HTML_FEATURE_NAMES

    return BlockModel.load(path, expected_schema=DOM_SCHEMA_VERSION, expected_features=HTML_FEATURE_NAMES)


def _html_input(html: str | bytes, id: str | int | None, url: str | None) -> PageInput:
    """Segment an HTML page, keeping its DOM facts for the HTML model."""
    hp = segment_html(html)
    return PageInput(hp.blocks, id, url, True, hp)


def _default_html_model(path: Path) -> BlockModel | None:
    """The shipped HTML model, or None (with a warning) when it cannot be read: a broken default
    only means HTML pages go through the text model."""
    try:
        return _load_html_model(path)
    except ModelError as e:
        print(f"newswinnow: HTML model not used, HTML pages go through the text model ({e})", file=sys.stderr)
        return None


def _header_of(path: Path) -> dict | None:
    """A model's header, parsed (None when unreadable or not a JSON object; load reports why)."""
    try:
        header = jsonfile.read(path if path.suffix == ".json" else path.with_suffix(".json"))
    except (OSError, ValueError, RecursionError):  # hostile headers: load reports them
        return None
    return header if isinstance(header, dict) else None


def _schema_of(header: dict | None) -> str | None:
    """The feature schema a parsed model header declares."""
    schema = header.get("schema") if header is not None else None
    return schema if isinstance(schema, str) else None


@functools.lru_cache(maxsize=4)
def _cached_models(path: str, sha256: str, html_path: str | None = None,
                   html_sha256: str | None = None) -> tuple[BlockModel, BlockModel | None]:
    """The models of files, loaded once per process; the checksums must still match."""
    clf = Classifier.load(path, html_path)
    if clf.model.sha256 != sha256:
        raise ModelError(f"{path}: model file changed while running (sha256 {clf.model.sha256[:16]} != {sha256[:16]})")
    if html_sha256 is not None and (clf.html_model is None or clf.html_model.sha256 != html_sha256):
        raise ModelError(f"{html_path}: HTML model file changed while running")
    return clf.model, (clf.html_model if html_sha256 is not None else None)


def _cached_classifier(path: str, sha256: str, html_path: str | None = None, html_sha256: str | None = None,
                       page_limits: limits.Limits | None = None, reread: bool = True) -> Classifier:
    """A classifier over the cached models of files, with the sender's limits and reading."""
    model, html_model = _cached_models(path, sha256, html_path, html_sha256)
    clf = Classifier(model, Path(path), html_model, Path(html_path) if html_model is not None else None,
                     page_limits)
    clf.reread = reread
    return clf


__all__ = ["Classifier", "DocumentResult", "ModelError", "default_model_path", "dumps", "dumps_bytes"]
