"""Long fuzz run: random Unicode and HTML-like pages through the classifier, checking every result.

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/fuzz.py --examples 100000

Each input is classified with the shipped model (``classify_text`` or ``classify_html``) and its
``to_dict()`` checked with ``classifier.contract.problems`` and serialised with ``to_json``.
Hypothesis drives the generation (and shrinks a failure to a minimal input, printed). The
bounded version runs in CI as ``tests/test_robust.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import html_pages, unicode_pages  # noqa: E402

from classifier import Classifier  # noqa: E402
from classifier.contract import problems  # noqa: E402

# Progress lines (so a long run can be followed, or reported when cut short).
PROGRESS_EVERY = 5_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    clf = Classifier.load(args.model)
    count = {"text": 0, "html": 0}

    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(unicode_pages.map(lambda t: ("text", t)), html_pages().map(lambda h: ("html", h))))
    def check(item: tuple[str, str]) -> None:
        kind, page = item
        count[kind] += 1
        if (count["text"] + count["html"]) % PROGRESS_EVERY == 0:
            print(f"fuzz: {count['text'] + count['html']} inputs so far, no failure", flush=True)
        doc = clf.classify_text(page) if kind == "text" else clf.classify_html(page)
        found = problems(doc.to_dict(), page if kind == "text" else None)
        assert not found, found
        json.loads(doc.to_json())

    t0 = time.perf_counter()
    status = "no failure"
    try:
        check()
    except Exception as e:  # report, then exit 1
        status = f"FAILED: {type(e).__name__}: {e}"
    n = count["text"] + count["html"]
    took = time.perf_counter() - t0
    print(f"fuzz: {n} inputs ({count['text']} text, {count['html']} html) in {took:.0f} s: {status}")
    return 0 if status == "no failure" else 1


if __name__ == "__main__":
    sys.exit(main())
