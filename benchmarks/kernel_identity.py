"""The compiled kernels change nothing: classify the benchmark pages with them on and off and
compare every JSON line.

    python benchmarks/kernel_identity.py [--corpora DIR] [--limit N] [--model PATH]

Each mode runs in a child process of its own (``NEWSWINNOW_PURE_PYTHON`` is read at import);
the pages are bench_text's (BBC News + Dragnet gold text). Prints how many pages differ and the
first difference; exits 1 when any page differs, 2 when a kernel is not built (the comparison
would then compare the numpy forms with themselves).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_MODEL = REPO / "data" / "model-text.json"
CONTEXT_CHARS = 160  # shown either side of the first differing character
_CHILD = (
    "import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/benchmarks']\n"
    "import bench_text as bt\n"
    "from classifier import Classifier\n"
    "pages, _ = bt.load_pages(Path(sys.argv[2]), None if sys.argv[3] == '-' else int(sys.argv[3]))\n"
    "clf = Classifier.load(Path(sys.argv[4]))\n"
    "with open(sys.argv[5], 'w', encoding='utf-8') as fh:\n"
    "    for d in clf.classify_many({'id': p.id, 'text': p.text} for p in pages):\n"
    "        fh.write(d.to_json() + '\\n')\n"
)


def classify(corpora: Path, limit: int | None, model: Path, pure: bool, out: Path) -> list[str]:
    """The JSON lines of every page, kernels off (``pure``) or on."""
    env = dict(os.environ, NEWSWINNOW_PURE_PYTHON="1" if pure else "0", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    subprocess.run([sys.executable, "-c", _CHILD, str(REPO), str(corpora), "-" if limit is None else str(limit),
                    str(model), str(out)], check=True, env=env, cwd=REPO)
    return out.read_text(encoding="utf-8").split("\n")[:-1]  # not splitlines: U+2028 is text


def first_difference(a: str, b: str) -> int:
    """Index of the first differing character of two strings."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of bench_text's shuffled mix")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from features import ext

    missing = [name for name, ok in ext.built().items() if not ok]
    if missing:
        print(f"kernel_identity: not built: {', '.join(missing)} (pip install -e . with a C compiler)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kernel_identity_") as tmp:
        on = classify(args.corpora, args.limit, args.model, False, Path(tmp) / "on.jsonl")
        off = classify(args.corpora, args.limit, args.model, True, Path(tmp) / "off.jsonl")
    if len(on) != len(off):
        print(f"kernel_identity: {len(on)} lines with the kernels, {len(off)} without", file=sys.stderr)
        return 1
    diff = [i for i, (x, y) in enumerate(zip(on, off)) if x != y]
    print(f"pages: {len(on)}, differing: {len(diff)}")
    if diff:
        x, y = on[diff[0]], off[diff[0]]
        j = first_difference(x, y)
        lo, hi = max(0, j - CONTEXT_CHARS), j + CONTEXT_CHARS
        print(f"first difference, page {diff[0] + 1}, character {j}:\n  kernels: {x[lo:hi]}\n  numpy:   {y[lo:hi]}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
