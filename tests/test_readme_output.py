"""The README's output example is the shipped model's real output on the bundled example page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from classifier.api import Classifier

ROOT = Path(__file__).resolve().parents[1]


def test_readme_output_example_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Output"):]
    shown = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    page = ROOT / "data" / "examples" / "harbour_bridge.txt"
    doc = Classifier.load().classify_text(page.read_text(encoding="utf-8"), id=page.name).to_dict()
    for key, value in shown.items():
        if key == "blocks":
            assert value[0] == doc["blocks"][0]
        else:
            assert doc[key] == value, key
