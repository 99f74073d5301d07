"""Byte-identity check of the HTML path: decode, blocks, DOM facts, feature columns, final JSON.

A faster segmenter must not change a single output. This dumps, for every HTML page the HTML
benchmark and training read (Dragnet, CleanEval, Mozilla Readability inputs and Readability's
gold HTML, which training segments too), the SHA-256 of ``decode_html`` of its bytes, of its
blocks (text, tag, index), of its raw DOM facts, of its ``html_features`` matrix (float32
bytes) and the ``classify_many`` JSON of the page, as one JSONL line. Run it on the reference
code (``--code`` another checkout) with ``--out``, then on the changed code with ``--compare``:

    python benchmarks/seg_identity.py --code /work/main --out /tmp/seg/ref.jsonl
    python benchmarks/seg_identity.py --compare /tmp/seg/ref.jsonl

Exit code 1 and the first differing pages when anything differs.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
# Differences printed before giving up on the details.
MAX_REPORTED = 10


def _pages(corpora: Path) -> Iterator[tuple[str, bytes]]:
    """(page id, raw HTML bytes) of every HTML page of the three corpora, in a fixed order."""
    for path in sorted((corpora / "dragnet_train" / "HTML").glob("*.html.gz")):
        yield f"dragnet/{path.name}", gzip.decompress(path.read_bytes())
    for split in ("cleaneval-dev", "cleaneval-final"):
        for path in sorted((corpora / "cleaneval" / split / "input").glob("*.html.gz")):
            yield f"{split}/{path.name}", gzip.decompress(path.read_bytes())
    rd = corpora / "mozilla_readability"
    for path in sorted((rd / "input").glob("*.html.gz")):
        yield f"readability/{path.name}", gzip.decompress(path.read_bytes())
    for path in sorted((rd / "GoldStandard").glob("*.txt")):
        yield f"readability-gold/{path.name}", path.read_bytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def dump(corpora: Path, limit: int | None) -> Iterator[dict]:
    """One record per page (see the module docstring); imports the code under test lazily."""
    import numpy as np

    from classifier import Classifier
    from features.dom import html_features
    from features.html import decode_html, segment_html

    pages = []
    for i, (pid, raw) in enumerate(_pages(corpora)):
        if limit is not None and i >= limit:
            break
        pages.append((pid, raw))
    rows = []
    texts = []
    for pid, raw in pages:
        text = decode_html(raw)
        texts.append(text)
        hp = segment_html(raw)
        blocks = json.dumps([[b.index, b.text, b.tag] for b in hp.blocks], ensure_ascii=False)
        X = html_features([hp])[0].X if hp.blocks else np.zeros((0, 0), dtype=np.float32)
        rows.append({"id": pid, "decoded": _sha(text.encode("utf-8", "surrogatepass")),
                     "blocks": _sha(blocks.encode("utf-8", "surrogatepass")),
                     "n_blocks": len(hp.blocks), "n_elements": hp.n_elements,
                     "dom": _sha(np.ascontiguousarray(hp.dom, dtype=np.int64).tobytes()),
                     "X": _sha(np.ascontiguousarray(X, dtype=np.float32).tobytes())})
    clf = Classifier.load()
    docs = clf.classify_many({"id": pid, "html": t} for (pid, _), t in zip(pages, texts))
    for row, doc in zip(rows, docs):
        row["json"] = doc.to_json()
        yield row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--code", type=Path, default=REPO, help="Checkout whose code is run (default: this one).")
    ap.add_argument("--limit", type=int, default=None, help="Only the first N pages.")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", type=Path, help="Write the records here.")
    g.add_argument("--compare", type=Path, help="Compare with the records of an earlier --out.")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, str(args.code.resolve()))
    import features.html

    print(f"code: {Path(features.html.__file__).resolve().parent.parent}", file=sys.stderr)
    if not (args.corpora / "dragnet_train").is_dir():
        print(f"no corpora under {args.corpora}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with args.out.open("w", encoding="utf-8") as f:
            for row in dump(args.corpora, args.limit):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        print(f"{n} pages written to {args.out}", file=sys.stderr)
        return 0
    ref = [json.loads(line) for line in args.compare.open(encoding="utf-8")]
    bad = n = 0
    for want, got in zip(ref, dump(args.corpora, args.limit)):
        n += 1
        diff = [k for k in want if want[k] != got.get(k)]
        if diff:
            bad += 1
            if bad <= MAX_REPORTED:
                print(f"DIFF {want['id']}: {', '.join(diff)}", file=sys.stderr)
    if n != len(ref) and args.limit is None:
        print(f"page count differs: {n} compared, {len(ref)} in the reference", file=sys.stderr)
        bad += 1
    print(f"{n} pages compared, {bad} differ", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
