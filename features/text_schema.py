"""The text model's feature schemas: which columns each version reads and how to build them.

- ``text-4``: ``features.extract``'s columns alone;
- ``text-5``: those and ``features.changepoint``'s thread-start columns;
- ``text-6``: those and ``features.spamctx``'s spam-in-context columns;
- ``text-7``: those and ``features.spamshape``'s spam-shape columns;
- ``text-8``: those and one more link column (``link_other``, every link that is neither a
  reference nor a video/social link), with every spam column read on blocks whose look-alike
  characters (full-width, mathematical, circled letters) are NFKC-folded
  (``features.spamfold``);
- ``text-9``: text-6's columns and ``features.headers``' repeated commenter-line columns (the
  spam-shape columns of text-7/8 left out: neither was shipped) - the current schema.

Older schemas still load (a model file records its schema and column names), so a shipped
model and a retrained one can be compared on the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .changepoint import TEXT_FEATURE_NAMES as TEXT5_FEATURE_NAMES
from .changepoint import TEXT_SCHEMA_VERSION as TEXT5_SCHEMA_VERSION
from .changepoint import change_columns
from .extract import FEATURE_NAMES, SCHEMA_VERSION
from .headers import HEADER_NAMES, header_columns
from .spamctx import SPAMCTX_NAMES, block_layout, spamctx_columns, word_spans
from .spamfold import folded_layout
from .spamshape import SPAMSHAPE8_NAMES, SPAMSHAPE_NAMES, spamshape_columns

TEXT6_SCHEMA_VERSION = "text-6"
TEXT6_FEATURE_NAMES: tuple[str, ...] = TEXT5_FEATURE_NAMES + SPAMCTX_NAMES
TEXT7_SCHEMA_VERSION = "text-7"
TEXT7_FEATURE_NAMES: tuple[str, ...] = TEXT6_FEATURE_NAMES + SPAMSHAPE_NAMES
TEXT8_SCHEMA_VERSION = "text-8"
TEXT8_FEATURE_NAMES: tuple[str, ...] = TEXT7_FEATURE_NAMES + SPAMSHAPE8_NAMES
TEXT_SCHEMA_VERSION = "text-9"
# The HTML model's schema (its columns: features/dom.py). Named here, with the text schemas, so
# that the classifier can tell a model's kind without importing the HTML modules (~10 ms of
# start-up a plain-text run never uses).
DOM_SCHEMA_VERSION = "html-2"
TEXT_FEATURE_NAMES: tuple[str, ...] = TEXT6_FEATURE_NAMES + HEADER_NAMES
# What `newswinnow train` builds unless `--schema` says otherwise: the schema of the shipped
# model, so the model card's command reproduces it. A text-7 model was trained and measured on
# 2026-12-03 and not shipped (README, Accuracy): `train --schema text-7` builds one; text-8 did
# not win spam-lovo on both seeds, so no model was trained with it (`train --schema text-8`);
# text-9 failed the two-partition rule of 2026-12-06 (docs/text-model.md, session 33).
TRAIN_SCHEMA = TEXT6_SCHEMA_VERSION
TEXT_SCHEMAS: dict[str, tuple[str, ...]] = {
    SCHEMA_VERSION: FEATURE_NAMES, TEXT5_SCHEMA_VERSION: TEXT5_FEATURE_NAMES,
    TEXT6_SCHEMA_VERSION: TEXT6_FEATURE_NAMES, TEXT7_SCHEMA_VERSION: TEXT7_FEATURE_NAMES,
    TEXT8_SCHEMA_VERSION: TEXT8_FEATURE_NAMES, TEXT_SCHEMA_VERSION: TEXT_FEATURE_NAMES,
}
# Schemas that `train --schema` and `evaluate spam-lovo --schema` build.
TRAINABLE_SCHEMAS: tuple[str, ...] = (TEXT6_SCHEMA_VERSION, TEXT7_SCHEMA_VERSION, TEXT8_SCHEMA_VERSION,
                                      TEXT_SCHEMA_VERSION)


def extra_columns(schema: str) -> int:
    """Columns ``schema`` adds to ``FEATURE_NAMES`` (``extract_batch``'s ``extra_columns``)."""
    return len(TEXT_SCHEMAS[schema]) - len(FEATURE_NAMES) if schema in TEXT_SCHEMAS else 0


def text_matrix(X: np.ndarray, texts: Sequence[str], page_starts: np.ndarray,
                schema: str = TEXT_SCHEMA_VERSION, low_utf8: bytes | None = None,
                low_starts: np.ndarray | None = None, wide: np.ndarray | None = None) -> np.ndarray:
    """The columns of ``schema`` for blocks ``texts`` with ``extract_batch``'s matrix ``X``, on
    the non-empty pages starting at ``page_starts`` (one allocation, columns written in place);
    ``low_utf8`` / ``low_starts``: ``PageFeatures.low_utf8`` / ``low_starts`` of the same
    blocks, when at hand; ``wide``: ``PageFeatures.wide`` (X is its left part), filled in place
    when it has the schema's width (``extra_columns(schema)``), which saves copying X."""
    names = TEXT_SCHEMAS[schema]
    if schema == SCHEMA_VERSION:
        return X
    w = X.shape[1]
    if (wide is not None and wide.shape == (X.shape[0], len(names)) and wide.dtype == X.dtype == np.float32
            and wide.strides == X.strides
            and wide.__array_interface__["data"][0] == X.__array_interface__["data"][0]):
        out = wide  # X already sits in its left columns
    else:
        out = np.empty((X.shape[0], len(names)), dtype=np.float32)
        out[:, :w] = X
    w5 = len(TEXT5_FEATURE_NAMES)
    change_columns(X, page_starts, out=out[:, w:w5])
    if schema in (TEXT6_SCHEMA_VERSION, TEXT7_SCHEMA_VERSION, TEXT8_SCHEMA_VERSION, TEXT_SCHEMA_VERSION):
        w6 = len(TEXT6_FEATURE_NAMES)
        spam_texts = texts
        data, starts, _ = layout = block_layout(texts, low_utf8, low_starts=low_starts)  # once for both families
        if schema in (TEXT7_SCHEMA_VERSION, TEXT8_SCHEMA_VERSION):
            layout = (data, starts, word_spans(np.frombuffer(data, dtype=np.uint8)))
        if schema == TEXT8_SCHEMA_VERSION:
            layout, folded = folded_layout(texts, layout)
            spam_texts = folded if folded is not None else texts
        spamctx_columns(spam_texts, page_starts, out=out[:, w5:w6], layout=layout)
        if schema in (TEXT7_SCHEMA_VERSION, TEXT8_SCHEMA_VERSION):
            spamshape_columns(spam_texts, out=out[:, w6:], layout=layout, text8=schema == TEXT8_SCHEMA_VERSION)
        elif schema == TEXT_SCHEMA_VERSION:
            header_columns(X, texts, page_starts, out=out[:, w6:])
    return out
