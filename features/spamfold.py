"""Compatibility folding of the blocks the spam patterns read (schema ``text-8``).

Comment spam dodges link and word filters with look-alike characters: full-width forms
("ｈｔｔｐ://ｗｗｗ.ｅｂａｙ.ｃｏｍ"), mathematical bold or italic letters ("𝐜𝐡𝐞𝐜𝐤 𝐨𝐮𝐭"), circled
letters ("ⓢⓤⓑⓢⓒⓡⓘⓑⓔ"). The spam patterns (``features.spamctx``, ``features.spamshape``) match
ASCII bytes, so they never saw those. NFKC maps each of them to its ASCII letter; applying it to
every block would cost a Python call per block and change ordinary text ("…" -> "..."), so only
the blocks that hold a character of these ranges are folded. They are found with numpy over the
batch's UTF-8 bytes (lead bytes, then the continuation byte that selects the range), and the
batch's bytes are rebuilt only when some block was folded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from .spamctx import BlockLayout, block_layout, word_spans

# UTF-8 prefixes of the look-alike ranges: (lead byte, second byte low, second byte high).
# EF BC 80 - EF BD BF: U+FF00-U+FF7F (full-width ASCII forms); F0 9D 90 - F0 9D 9F: U+1D400-
# U+1D7FF (mathematical alphanumerics); E2 91 - E2 93: U+2440-U+24FF (enclosed alphanumerics);
# E3 80: U+3000-U+303F (the ideographic space among CJK punctuation).
FOLD_PREFIXES: tuple[tuple[int, int, int], ...] = (
    (0xEF, 0xBC, 0xBD),
    (0xF0, 0x9D, 0x9D),
    (0xE2, 0x91, 0x93),
    (0xE3, 0x80, 0x80),
)
# F0 9D is also the prefix of musical symbols (U+1D100-U+1D1FF); the third byte tells them apart.
_MATH_THIRD = (0x90, 0x9F)


def blocks_to_fold(data: bytes, starts: np.ndarray) -> np.ndarray:
    """Indices of the blocks of ``data`` (``block_bytes``, blocks starting at ``starts``) that
    hold a look-alike character (``FOLD_PREFIXES``); sorted, unique."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if len(arr) < 3:
        return np.zeros(0, dtype=np.int64)
    lead = np.flatnonzero(arr[:-2] >= 0xE2)
    if not len(lead):
        return np.zeros(0, dtype=np.int64)
    b0, b1, b2 = arr[lead], arr[lead + 1], arr[lead + 2]
    hit = np.zeros(len(lead), dtype=bool)
    for first, lo, hi in FOLD_PREFIXES:
        m = (b0 == first) & (b1 >= lo) & (b1 <= hi)
        if first == 0xF0:
            m &= (b2 >= _MATH_THIRD[0]) & (b2 <= _MATH_THIRD[1])
        hit |= m
    if not hit.any():
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.searchsorted(starts, lead[hit], side="right") - 1)


def folded_layout(texts: Sequence[str], layout: BlockLayout) -> tuple[BlockLayout, list[str] | None]:
    """``layout`` (``spamctx.block_layout`` of ``texts``) with the look-alike blocks NFKC-folded,
    and the folded texts (None, and ``layout`` as it is, when no block needed folding). The word
    spans are rebuilt whenever the bytes are."""
    data, starts, spans = layout
    idx = blocks_to_fold(data, starts)
    if not len(idx):
        return layout, None
    folded = list(texts)
    for i in idx.tolist():
        folded[i] = unicodedata.normalize("NFKC", folded[i])
    data2, starts2, _ = block_layout(folded)
    return (data2, starts2, word_spans(np.frombuffer(data2, dtype=np.uint8)) if spans is not None else None), folded
