"""``newswinnow report``: the HTML page's content, and its rendering in real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from classifier.report import HIST_BINS, build_report

ARTICLE = ("The council approved the new bridge budget on Tuesday after a long debate, officials said.\n"
           "Construction is expected to begin in the spring and to last about two years.\n"
           "The mayor said the river crossing would cut travel times for thousands of commuters.\n")
THREAD = ("I think this is a waste of money, honestly.\n"
          "In my opinion the old bridge was fine, I disagree with the council.\n"
          "Subscribe to my channel for more videos, check out my page!\n")
FURNITURE = "Share this article\nLeave a Reply\nSource link\n"
PAGES = [
    ("https://www.harbour-news.co.uk/a/1", ARTICLE),
    ("https://www.harbour-news.co.uk/a/2", ARTICLE + THREAD),
    ("http://blog.example.com/p?id=3", "Home / Uncategorized / Bridge\n" + ARTICLE + FURNITURE),
    ("http://blog.example.com/p?id=4", ARTICLE + "<script>alert('x')</script> The U. S. Army said so.\n" + THREAD),
    (None, ARTICLE + ARTICLE),
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As the machine notes advise: no sandbox as root, no GPU, no background network traffic.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, rigged_clf) -> Path:
    """Real classify output (rigged model, so labels are predictable) of the pages above."""
    path = tmp_path_factory.mktemp("results") / "results.jsonl"
    docs = [rigged_clf.classify_text(text, id=f"page-{i}", url=url) for i, (url, text) in enumerate(PAGES)]
    path.write_text("".join(d.to_json() + "\n" for d in docs), encoding="utf-8")
    return path


def _noop(*args: object) -> None:
    raise AssertionError(f"unexpected reject {args}")


def test_report_content(results: Path) -> None:
    page, stats = build_report([str(results)], _noop, sample=3, min_source_pages=1)
    assert stats.pages == len(PAGES) and sum(stats.hist) == len(PAGES)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count('class="bar"') == HIST_BINS
    assert page.count('class="row"') == 3                      # label strips of the sample only
    assert len(re.findall(r'<section class="page" id="p\d+">', page)) == 3
    for k in range(3):
        assert f'href="#p{k}"' in page and f'id="p{k}"' in page  # each strip links to its page view
    assert 'id="worst-sources"' in page and "harbour-news.co.uk" in page and "example.com" in page
    # Self-contained: no external resource, no script at all.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<script" not in page and "<link" not in page


def test_report_escapes_text_and_highlights_evidence(results: Path) -> None:
    page, _ = build_report([str(results)], _noop, sample=len(PAGES))
    assert "<script" not in page and "&lt;/script&gt;" in page and "alert(&#x27;x&#x27;)" in page
    assert re.search(r'<mark class="mt" title="[a-z_]+">U\. S\.</mark> Army', page)
    assert '<span class="badge">mt ' in page


def test_report_strip_segments_follow_block_labels(results: Path) -> None:
    page, _ = build_report([str(results)], _noop, sample=len(PAGES))
    docs = [json.loads(line) for line in results.read_text().splitlines()]
    short = {"editorial": "e", "comment": "c", "spam": "s", "boilerplate": "b"}
    strips = re.findall(r'<span class="sid" title="([^"]+)">.*?<span class="strip">(.*?)</span></a>', page)
    assert len(strips) == len(PAGES)
    for pid, segs in strips:
        doc = next(d for d in docs if d["id"] == pid)
        got = re.findall(r'<i class="(\w)" style="flex-grow:(\d+)">', segs)
        assert got == [(short[b["label"]], str(len(b["text"]))) for b in doc["blocks"]]


def test_report_cli_rejects_and_exit_codes(results: Path, tmp_path: Path, run_cli) -> None:
    bad = tmp_path / "mixed.jsonl"
    bad.write_text(results.read_text() + "{oops\n" + '{"id": 3}\n', encoding="utf-8")
    out = tmp_path / "r.html"
    p = run_cli(["report", bad, "-o", out, "--rejects", tmp_path / "rej.jsonl"])
    assert p.returncode == 0, p.stderr
    assert "mixed.jsonl:6: rejected" in p.stderr and "mixed.jsonl:7: rejected" in p.stderr
    assert (tmp_path / "rej.jsonl").read_text() == '{oops\n{"id": 3}\n'
    assert re.search(r"lines not read \(rejected\)</td><td>2<", out.read_text())
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text("nope\n")
    assert run_cli(["report", only_bad, "-o", tmp_path / "x.html"]).returncode == 1
    assert run_cli(["report", results]).returncode == 2  # -o is required


# --- in a real browser -----------------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", () => {
  const box = e => { const r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const q = s => Array.from(document.querySelectorAll(s));
  const out = {
    histogram: box(document.getElementById("quality-histogram")),
    bars: q("#quality-histogram rect.bar").filter(r => r.getBoundingClientRect().height > 0).length,
    labelShares: box(document.getElementById("label-shares")),
    strips: q(".strips a .strip").map(box),
    segmentColours: q(".strips a .strip i").map(e => e.className + " " + getComputedStyle(e).backgroundColor),
    targetShown: q("section.page").filter(e => e.offsetHeight > 0).map(e => e.id),
    marks: q("section.page:target mark").length,
    scrollWidth: document.documentElement.scrollWidth,
  };
  document.body.setAttribute("data-probe", JSON.stringify(out));
});
</script>"""


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
def test_report_renders_in_headless_chromium(results: Path, tmp_path: Path, run_cli) -> None:
    """Open the report in Chromium: the histogram, label bar and strips have a size, strip segments
    take their label's colour, a strip's link shows its page view (CSS :target) with its evidence;
    a screenshot is saved in the test's temp dir."""
    assert CHROMIUM is not None, "CI must install chromium (.ci/run)"
    report = tmp_path / "report.html"
    p = run_cli(["report", results, "-o", report, "--sample", str(len(PAGES)), "--min-pages", "1"])
    assert p.returncode == 0, p.stderr
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(["--window-size=1200,900", "--dump-dom", probe.as_uri() + "#p1"], tmp_path)
    m = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert m, dom.stderr[-2000:]
    got = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert got["histogram"][0] > 300 and got["histogram"][1] > 100
    assert got["bars"] >= 1 and got["labelShares"][0] > 300
    assert len(got["strips"]) == len(PAGES) and all(w > 100 and h >= 8 for w, h in got["strips"])
    colours = {"e": "rgb(46, 157, 79)", "c": "rgb(44, 127, 184)", "s": "rgb(215, 48, 31)", "b": "rgb(158, 158, 158)"}
    assert got["segmentColours"] and all(c.split(" ", 1)[1] == colours[c[0]] for c in got["segmentColours"])
    assert got["targetShown"] == ["p1"]
    assert got["scrollWidth"] <= 1200
    shot = tmp_path / "report.png"
    s = _chromium(["--window-size=1200,2200", f"--screenshot={shot}", report.as_uri()], tmp_path)
    assert shot.exists(), s.stderr[-2000:]
    assert _png_size(shot) == (1200, 2200) and shot.stat().st_size > 10_000
