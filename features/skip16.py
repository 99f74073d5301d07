"""The byte ranges of the 16-wide skip tests in ``_mt_ext`` (the MT pre-screen's start scan) and
``_mt_soft_ext`` (pass 1 of the symbol n-grams).

Each kernel packs 16 code points to bytes with saturation (``min(c, 255)``; one at or above
2**31 packs to 0) and skips the 16 when every byte lies in one of a few ranges of "quiet"
characters, which nothing the scan looks for begins with. Plain Python: run once per table.
"""

from __future__ import annotations

from collections.abc import Sequence


def skip_ranges(quiet: Sequence[bool], anchors: str, limit: int) -> list[tuple[int, int]]:
    """(lo, hi) byte ranges: the runs of characters in 1..254 with ``quiet[c]`` true that hold
    each anchor character, in the anchors' order, at most ``limit`` of them (0 and 255 stay out:
    what a code point at or above 2**31, or at or above 255, packs to)."""
    out: list[tuple[int, int]] = []
    for a in map(ord, anchors):
        if not 1 <= a <= 254 or not quiet[a] or any(lo <= a <= hi for lo, hi in out):
            continue
        lo = hi = a
        while lo > 1 and quiet[lo - 1]:
            lo -= 1
        while hi < 254 and quiet[hi + 1]:
            hi += 1
        out.append((lo, hi))
    return out[:limit]
