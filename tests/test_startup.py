"""Start-up: a plain-text run does not import what only HTML pages, ``--jobs`` or training need.

Every ``newswinnow`` process pays its imports before the first page, and with ``--jobs`` they are
serial time before the workers fork; lxml (~20 ms), numpy.random (10-20 ms) and multiprocessing
(~15 ms, with socket) were a sixth of it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imported lazily: by the HTML functions, ``--jobs`` > 1 and the training code respectively.
LAZY_MODULES = ("lxml", "numpy.random", "multiprocessing")

_CHILD = """
import sys
from classifier import Classifier
from classifier.cli import main  # the CLI's own imports too
clf = Classifier.load(None)
clf.warm_up(html=False)
doc = clf.classify_text("A headline\\nThe minister said on Monday that the plan would go ahead.\\nGreat post!")
assert doc.blocks, doc
print(" ".join(m for m in {mods!r} if m in sys.modules))
{then}
print(" ".join(m for m in {mods!r} if m in sys.modules))
"""


def _imported(then: str) -> list[str]:
    code = _CHILD.format(mods=LAZY_MODULES, then=then)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_plain_text_run_skips_html_jobs_and_training_imports() -> None:
    before, after = _imported('clf.classify_html("<p>Hello <b>there</b></p><div hidden>x</div>")')
    assert before == "", f"imported at start-up by a plain-text run: {before}"
    assert after == "lxml", after  # the first HTML page imports lxml, and still works


def test_forked_jobs_import_multiprocessing_when_needed() -> None:
    then = ("from classifier.parallel import ordered_map\n"
            "assert list(ordered_map(lambda b: [x * 2 for x in b], range(10), 2, 3)) == [x * 2 for x in range(10)]")
    before, after = _imported(then)
    assert before == "" and "multiprocessing" in after.split(), (before, after)
