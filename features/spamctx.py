"""Spam-in-context columns for the text model (schema ``text-6``), appended after ``text-5``'s.

Comment spam is a comment that is not about the page: it promotes the poster (a channel, a
song, a shop), begs for subscribers, offers money, or is a bare promotional link. Two kinds of
columns, each a few numpy calls over the whole batch:

- how many matches of each family of ``features.spam_lexicon.SPAM_PATTERNS`` a block holds
  (one compiled regex per family, one scan of the batch's text);
- how much of the block's vocabulary the rest of its page shares: a real reply reuses the
  article's and the thread's words, spam pasted under any page does not. Tokens come from
  ``features.tokens`` (hashes, no Python string per token); content words are those of at
  least ``CONTENT_MIN_CHARS`` characters that are not stopwords or numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .lexicons import STOPWORDS
from .spam_lexicon import SPAM_PATTERNS
from .tokens import HashVocab, tokenize

# Shorter words ("that", "with") are shared by any two English texts.
CONTENT_MIN_CHARS = 4
# A block shares a word with the page when the word occurs in at least one *other* block.
_STOP = HashVocab(tuple(w for w in STOPWORDS if len(w) >= CONTENT_MIN_CHARS))
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
    "page_overlap",
    "page_overlap_none",
    "log_content_words",
)


def _per_block(rx: re.Pattern[bytes], data: bytes, starts: np.ndarray, n: int) -> np.ndarray:
    """Matches of ``rx`` in each block (``data``: the blocks joined by newlines, block i from
    byte ``starts[i]``)."""
    pos = [m.start() for m in rx.finditer(data)]
    if not pos:
        return np.zeros(n, dtype=np.float32)
    blk = np.searchsorted(starts, np.asarray(pos, dtype=np.int64), side="right") - 1
    return np.bincount(blk, minlength=n).astype(np.float32)


def _overlap(text: str, page: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per block: the share of its content-word tokens that occur in another block of its page,
    and its number of content-word tokens."""
    tb = tokenize(text)
    block = np.cumsum(tb.newline) - tb.newline  # the newline token belongs to the block it ends
    keep = ~tb.newline & ~tb.digits & (tb.lengths >= CONTENT_MIN_CHARS)
    keep &= _STOP.lookup(tb.hashes) == 0
    blk = block[keep]
    n_content = np.bincount(blk, minlength=n).astype(np.float64)
    shared = np.zeros(n, dtype=np.float64)
    if len(blk):
        # One key per (page, word): the word's hash mixed with its page number.
        key = tb.hashes[keep] ^ (page[blk].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        pairs = np.unique(np.stack([key, blk.astype(np.uint64)], axis=1), axis=0)  # distinct (word, block)
        words, blocks_per_word = np.unique(pairs[:, 0], return_counts=True)
        in_other = blocks_per_word[np.searchsorted(words, key)] > 1
        shared = np.bincount(blk, weights=in_other, minlength=n)
    share = np.divide(shared, n_content, out=np.zeros(n), where=n_content > 0)
    return share.astype(np.float32), n_content.astype(np.float32)


def spamctx_columns(texts: Sequence[str], page_starts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The ``SPAMCTX_NAMES`` columns [n, len(SPAMCTX_NAMES)] for the blocks ``texts`` of the
    non-empty pages starting at ``page_starts``; written into ``out`` when given."""
    n = len(texts)
    if out is None:
        out = np.empty((n, len(SPAMCTX_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    # Newlines inside a block would shift the block boundaries: a block is one line.
    lower = "\n".join(t.replace("\n", " ") for t in texts).lower()
    data = lower.encode("utf-8", "surrogatepass")
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
    page_starts = np.asarray(page_starts, dtype=np.int64)
    page = np.repeat(np.arange(len(page_starts)), np.diff(page_starts, append=n))
    share, n_content = _overlap(lower, page, n)
    out[:, j + 1] = share
    out[:, j + 2] = n_content == 0
    out[:, j + 3] = np.log1p(n_content)
    return out
