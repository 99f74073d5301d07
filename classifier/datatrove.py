"""newswinnow as a DataTrove pipeline step (``pip install 'newswinnow[datatrove]'``).

``NewswinnowFilter`` classifies each Document, writes the page result into
``doc.metadata["newswinnow"]``, and optionally drops pages below a quality threshold or above an
MT score (the reason shows in DataTrove's stats as ``dropped_<reason>``) and/or replaces the
text by its kept blocks (e.g. editorial only). Documents go through the classifier in batches
(``batch_size`` pages): features, the network and the decoding cost a few numpy calls per
batch, which is several times faster than one page at a time. The model is loaded lazily, once
per worker process, so the step pickles small for DataTrove's executors.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from classifier import NewswinnowFilter

    LocalPipelineExecutor(pipeline=[
        JsonlReader("in/"),
        NewswinnowFilter(min_quality=0.5, keep=["editorial"]),
        JsonlWriter("out/"),
    ], tasks=4).run()
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("classifier.datatrove needs DataTrove: pip install 'newswinnow[datatrove]'") from e

from .io import sniff
from .model import LABELS
from .parallel import BATCH_BYTES, BATCH_RECORDS, batched, numbered_record_size

# Documents DataTrove hands the step at a time: the CLI's and the API's batch (128 pages; in this
# step 7.5% less CPU than 64 on the bench pages, docs/speed.md session 26). Each call into the
# classifier is also cut at parallel.BATCH_BYTES of input, as theirs are, so a batch of long HTML
# documents stays small in memory.
DEFAULT_BATCH_SIZE = BATCH_RECORDS
METADATA_KEY = "newswinnow"
# Drop reasons (DataTrove counts them as ``dropped_<reason>``).
REASON_LOW_QUALITY = "newswinnow_low_quality"
REASON_HIGH_MT = "newswinnow_machine_translated"
REASON_NOTHING_KEPT = "newswinnow_nothing_kept"
REASON_UNREADABLE = "newswinnow_unreadable"
INPUT_FORMATS = ("auto", "text", "html")
# Characters of a document looked at to tell HTML from plain text (input_format="auto").
SNIFF_CHARS = 4096


class NewswinnowFilter(BaseFilter):
    """Annotate Documents with newswinnow's page result; drop or strip them on request.

    Args:
        model: model header (.json) or a shipped model's name ("fast"); default: the shipped model.
        min_quality: drop pages whose ``quality`` is below this.
        max_mt: drop pages whose ``mt_score`` is above this.
        keep: labels whose blocks are kept: the document's text is replaced by those blocks,
            one per line (pages with nothing kept are dropped). ``None`` leaves the text alone.
        include_blocks: also store every block's label, probabilities and line in the metadata.
        input_format: ``text`` (one block per line), ``html``, or ``auto`` (sniffed per document).
        url_key: the metadata key holding the page's URL (for ``source``).
        metadata_key: where the result goes in ``doc.metadata``.
        batch_size: documents per classifier call.
        exclusion_writer: a DataTrove writer for dropped documents (reason in ``filter_reason``).
        tune_malloc: apply :func:`classifier.malloc.tune_malloc` in each worker before the model
            loads (glibc's allocator thresholds, as the CLI sets them; see the README's Python API).
            Off by default: it changes the allocator of the whole worker process.
    """

    name = "📰 newswinnow"
    _requires_dependencies = ["numpy", "lxml"]

    def __init__(self, model: str | Path | None = None, min_quality: float | None = None,
                 max_mt: float | None = None, keep: Iterable[str] | None = None, include_blocks: bool = False,
                 input_format: str = "auto", url_key: str = "url", metadata_key: str = METADATA_KEY,
                 batch_size: int = DEFAULT_BATCH_SIZE, exclusion_writer: DiskWriter | None = None,
                 tune_malloc: bool = False):
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        if input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {INPUT_FORMATS}, not {input_format!r}")
        self.keep = tuple(keep) if keep is not None else None
        if self.keep is not None and (not self.keep or any(k not in LABELS for k in self.keep)):
            raise ValueError(f"keep: labels must be among {', '.join(LABELS)}")
        self.model_path = str(model) if model is not None else None
        self.min_quality, self.max_mt = min_quality, max_mt
        self.include_blocks, self.input_format = include_blocks, input_format
        self.url_key, self.metadata_key = url_key, metadata_key
        self.tune_malloc = tune_malloc
        self._clf = None

    def __getstate__(self) -> dict:
        """Ship the step without a loaded model; each worker loads it once on first use."""
        state = dict(self.__dict__)
        state["_clf"] = None
        return state

    @property
    def classifier(self):
        """The classifier, loaded on first use (once per process)."""
        if self._clf is None:
            from .api import Classifier

            if self.tune_malloc:
                from .malloc import tune_malloc

                tune_malloc()
            self._clf = Classifier.load(self.model_path)
        return self._clf

    def _is_html(self, text: str) -> bool:
        if self.input_format != "auto":
            return self.input_format == "html"
        return sniff(text[:SNIFF_CHARS].encode("utf-8", "replace")) == "html"

    def _annotation(self, res) -> dict:
        meta = {
            "quality": res.quality, "reasons": res.reasons, "mt_score": res.mt_score,
            "has_comments": res.has_comments, "comment_start": res.comment_start, "fractions": res.fractions,
            "dup_fraction": res.dup_fraction, "source": res.source, "model": res.model,
        }
        if self.include_blocks:
            meta["blocks"] = [{k: v for k, v in b.items() if k not in ("text", "evidence")} for b in res.blocks]
        return meta

    def filter_batch(self, batch: Sequence[Document]) -> list[bool | tuple[bool, str]]:
        """Classify the batch in one call; annotate, strip and decide per document."""
        records = []
        for i, doc in enumerate(batch):
            url = doc.metadata.get(self.url_key)
            key = "html" if self._is_html(doc.text) else "text"
            records.append((i, {key: doc.text, "id": doc.id, "url": url if isinstance(url, str) else None}))
        clf = self.classifier  # loaded here, on the first batch, even an empty one
        results = [r for part in batched(records, BATCH_RECORDS, numbered_record_size, BATCH_BYTES)
                   for r in clf.classify_or_reject(part)]
        out: list[bool | tuple[bool, str]] = []
        for doc, res in zip(batch, results):
            if isinstance(res, str):
                doc.metadata[self.metadata_key] = {"error": res}
                out.append((False, REASON_UNREADABLE))
                continue
            doc.metadata[self.metadata_key] = self._annotation(res)
            if res.has_comments:
                self.stat_update("newswinnow_has_comments")
            if self.min_quality is not None and res.quality < self.min_quality:
                out.append((False, REASON_LOW_QUALITY))
                continue
            if self.max_mt is not None and res.mt_score > self.max_mt:
                out.append((False, REASON_HIGH_MT))
                continue
            if self.keep is not None:
                doc.text = res.kept_text(self.keep)
                if not doc.text:
                    out.append((False, REASON_NOTHING_KEPT))
                    continue
            out.append(True)
        return out

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        """One document (DataTrove calls ``filter_batch`` when ``batch_size`` > 1)."""
        return self.filter_batch([doc])[0]


__all__ = ["NewswinnowFilter"]
