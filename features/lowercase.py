"""The feature pass's lower-cased text as code points and UTF-8 bytes, without ``str.lower``.

``local_features`` needs the blocks lower-cased twice over: as code points (the tokens,
features.tokens; reused by features.mt_soft) and as UTF-8 (the literal patterns and
features.spamctx). ``str.lower`` and the two encodings of its result cost ~60 ms of CPU in a
bench run (10.8 M characters; the kernel ~20 ms); the compiled kernel (features/_lower_ext.pyx)
gives both, and where each block starts in the bytes, from the code points of the original
text in one loop, through a table of Python's own ``chr(c).lower()``.

The table is built lazily, one block of 256 code points at a time, the first time a batch
holds a code point of that block (a few blocks per process: no start-up cost, nothing on
disk). A code point gets ``BAIL`` when its lower case is not exactly one code point or
depends on the characters around it (U+0130 and U+03A3 in CPython 3.11, found by the build,
not listed here); a batch holding one is lower-cased by ``str.lower`` instead
(``lower_reference``, which is also the reference the kernel is tested against).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from . import ext

__all__ = ["BAIL", "block_lowercase", "code_points", "code_points_reference", "lower_codepoints", "lower_reference"]

_LOWER_EXT = ext.load("features._lower_ext")
BLOCK_BITS = 8
BLOCK = 1 << BLOCK_BITS  # code points per block of the table
N_BLOCKS = 0x110000 >> BLOCK_BITS
BAIL = 0xFFFFFFFF  # table entry: leave the batch to str.lower
if _LOWER_EXT is not None and (_LOWER_EXT.BLOCK, _LOWER_EXT.BLOCKS, _LOWER_EXT.BAIL) != (BLOCK, N_BLOCKS, BAIL):
    raise RuntimeError("features._lower_ext's table layout differs from features.lowercase's")  # pragma: no cover

# ``code_points``'s kernel writes native uint32 values, which are UTF-32-LE only on such machines.
_LITTLE_ENDIAN = sys.byteorder == "little"
# Text around each code point when its block is built: its lower case must be the same with a
# cased letter before it, after it, and on both sides (what final sigma looks at), and after
# the code point before it in the block.
_CONTEXTS = (("A", ""), ("", "A"), ("A", "A"))
# Between the code points of a block when they are lower-cased together, one context at a time.
_SEPARATOR = "\x00"


def block_lowercase(block: int) -> np.ndarray:
    """uint32 [BLOCK]: ``chr(c).lower()`` of each code point c of ``block`` (c >> 8 == block),
    or ``BAIL`` where that is not one code point or changes with the context."""
    first = block << BLOCK_BITS
    chars = [chr(c) for c in range(first, first + BLOCK)]
    lows = [ch.lower() for ch in chars]
    bail = [len(low) != 1 for low in lows]
    # Each context for the whole block at once (one str.lower; ~0.1 ms a block in all); only a
    # block where some code point's lower case differs there is looked at code point by code point.
    contexts = [(pre, post, _SEPARATOR) for pre, post in _CONTEXTS] + [("", "", "")]  # + neighbours
    for pre, post, sep in contexts:
        glue = post + sep + pre
        if (pre + glue.join(chars) + post).lower() == pre.lower() + glue.lower().join(lows) + post.lower():
            continue
        for j, (ch, low) in enumerate(zip(chars, lows)):
            if sep or j == 0:
                piece, want = pre + ch + post, pre.lower() + low + post.lower()
            else:  # the code point after its neighbour in the block
                piece, want = chars[j - 1] + ch, lows[j - 1] + low
            if piece.lower() != want:
                bail[j] = True
                if not sep:
                    bail[j - 1] = True
    return np.array([BAIL if b else ord(low) for b, low in zip(bail, lows)], dtype=np.uint32)


class _Table:
    """The blocks built so far: ``arrays`` = (block_of, table), ``block_of[c >> 8]`` being c's
    row of ``table`` (BLOCK entries a row), or -1."""

    def __init__(self) -> None:
        self.arrays = (np.full(N_BLOCKS, -1, dtype=np.int32), np.zeros(0, dtype=np.uint32))
        self._lock = threading.Lock()

    def add(self, blocks: np.ndarray) -> None:
        """Build ``blocks`` (those not built yet) into a new pair of arrays, swapped in as one
        tuple: a kernel call in another thread keeps reading the old, consistent pair."""
        with self._lock:
            block_of, table = self.arrays
            todo = [int(b) for b in blocks if block_of[b] < 0]
            if not todo:
                return
            block_of = block_of.copy()
            base = len(table) // BLOCK
            block_of[todo] = np.arange(base, base + len(todo), dtype=np.int32)
            self.arrays = (block_of, np.concatenate([table] + [block_lowercase(b) for b in todo]))


_TABLE = _Table()
# Calls of the kernel per batch at most: one, or two when the batch meets blocks not built yet.
_ATTEMPTS = 2


def code_points(text: str) -> np.ndarray:
    """``text``'s code points as uint32 (read-only), what ``code_points_reference`` gives: by the
    compiled kernel (the str's own code units widened, no codec: ~10-20 ms less a bench pass),
    else by the codec."""
    if _LOWER_EXT is not None and _LITTLE_ENDIAN and type(text) is str:
        got = _LOWER_EXT.code_points(text)
        if got is not None:
            return got
    return code_points_reference(text)


def code_points_reference(text: str) -> np.ndarray:
    """``text``'s code points (lone surrogates included) as uint32, by the UTF-32 codec: the
    reference of ``code_points``."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def lower_codepoints(cp: np.ndarray, pieces: int = 1) -> tuple[np.ndarray, bytes, np.ndarray | None] | None:
    """``lower_reference`` of the text whose code points are ``cp`` (uint32, as
    ``encode("utf-32-le", "surrogatepass")`` gives them), by the compiled kernel, and where each
    of its ``pieces`` newline-separated pieces starts in the UTF-8 bytes (int64; None unless
    the text holds exactly ``pieces - 1`` newlines). None when the kernel is not built or the
    text holds a code point ``str.lower`` must handle itself."""
    if (_LOWER_EXT is None or not isinstance(cp, np.ndarray) or cp.dtype != np.uint32 or cp.ndim != 1
            or pieces < 1):
        return None
    cp = np.ascontiguousarray(cp)
    for _ in range(_ATTEMPTS):
        block_of, table = _TABLE.arrays
        missing = np.zeros(N_BLOCKS, dtype=np.uint8)
        got = _LOWER_EXT.lower_utf8(cp, block_of, table, missing, pieces)
        if got is None or isinstance(got, tuple):
            return got
        _TABLE.add(np.flatnonzero(missing))
    return None  # pragma: no cover - the second call has every block it needs


def lower_reference(text: str) -> tuple[np.ndarray, bytes]:
    """``text.lower()`` as UTF-32 code points and as UTF-8 bytes (lone surrogates kept): the
    Python form, and the reference of ``lower_codepoints``."""
    low = text.lower()
    return (np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32),
            low.encode("utf-8", "surrogatepass"))
