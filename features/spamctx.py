"""Spam-in-context columns for the text model (schema ``text-6``), appended after ``text-5``'s.

Comment spam is a comment that is not part of the conversation: it promotes the poster (a
channel, a song, a shop), begs for subscribers, offers money, or is a bare promotional link.
Each column counts matches of one family of ``features.spam_lexicon.SPAM_PATTERNS`` in a block
(one compiled regex per family, one scan of the whole batch's text, matches mapped to blocks
with ``searchsorted``), plus all families pooled and runs of a repeated character. The
neighbours' and page's view of a block (``features.extract``'s context columns) already let the
network compare a comment with the thread around it.

Tried and left out: the share of a block's content words found elsewhere on its page (a real
reply reuses the article's words, pasted spam does not). Under the leave-one-video-out protocol
it cost spam precision (held-out video 01: 0.693 with it against 0.792 without, one network):
the protocol's ham YouTube comments are as unrelated to the news page as its spam.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .spam_lexicon import SPAM_PATTERNS

_FAMILY_RX: dict[str, re.Pattern[bytes]] = {
    name: re.compile("|".join(f"(?:{p})" for p in pats).encode("utf-8")) for name, pats in SPAM_PATTERNS.items()
}
# Runs of one character repeated REPEAT_RUN times or more ("!!!!", "sooooo", "<3<3" excluded).
REPEAT_RUN = 4
_REPEAT_RX = re.compile(rb"([^\s\d])\1{%d,}" % (REPEAT_RUN - 1))

SPAMCTX_NAMES: tuple[str, ...] = (
    *(f"spam_{name}" for name in SPAM_PATTERNS),
    "spam_promo_any",
    "spam_repeat_runs",
)


def _per_block(rx: re.Pattern[bytes], data: bytes, starts: np.ndarray, n: int) -> np.ndarray:
    """Matches of ``rx`` in each block (``data``: the blocks joined by newlines, block i from
    byte ``starts[i]``)."""
    pos = [m.start() for m in rx.finditer(data)]
    if not pos:
        return np.zeros(n, dtype=np.float32)
    blk = np.searchsorted(starts, np.asarray(pos, dtype=np.int64), side="right") - 1
    return np.bincount(blk, minlength=n).astype(np.float32)


def spamctx_columns(texts: Sequence[str], page_starts: np.ndarray | None = None,
                    out: np.ndarray | None = None) -> np.ndarray:
    """The ``SPAMCTX_NAMES`` columns [n, len(SPAMCTX_NAMES)] for the blocks ``texts`` (of one or
    many pages: the columns are block-local, ``page_starts`` is accepted for symmetry with the
    other column families); written into ``out`` when given."""
    n = len(texts)
    if out is None:
        out = np.empty((n, len(SPAMCTX_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    # Newlines inside a block would shift the block boundaries: a block is one line.
    data = "\n".join(t.replace("\n", " ") for t in texts).lower().encode("utf-8", "surrogatepass")
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], nl + 1))
    total = np.zeros(n, dtype=np.float32)
    for j, rx in enumerate(_FAMILY_RX.values()):
        counts = _per_block(rx, data, starts, n)
        total += counts
        out[:, j] = np.log1p(counts)
    # All families pooled: a campaign the training spam never used (money offers, say) still
    # shares this column with the kinds it did use.
    j = len(_FAMILY_RX)
    out[:, j] = np.log1p(total)
    j += 1
    out[:, j] = np.log1p(_per_block(_REPEAT_RX, data, starts, n))
    return out
