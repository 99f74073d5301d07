"""``newswinnow report``: one self-contained static HTML page about a corpus of classify results.

One streaming pass over the results collects corpus totals, a histogram of page quality, label
shares, reasons, per-source statistics (``sources.SourceTable``) and a fixed-seed reservoir
sample of pages; only the sampled pages are kept whole. The page needs no network and no
script: charts are inline SVG, and each sampled page's view is a section shown by the CSS
``:target`` rule when its label strip is clicked.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import LABELS
from .sources import SourceTable, iter_results

DEFAULT_SAMPLE = 300
DEFAULT_TOP_SOURCES = 15
# Sources with fewer pages than this are left out of the worst/best tables (one bad page is
# not a bad site); when no source has that many, all sources are shown.
DEFAULT_MIN_SOURCE_PAGES = 3
HIST_BINS = 20
SAMPLE_SEED = 0
# A block's text is cut to this many characters in the page views (keeps the file small).
MAX_BLOCK_CHARS = 1500
# At or above these scores a block shows its mt / profanity score as a badge.
BADGE_SCORE = 0.5
COLOURS = {"editorial": "#2e9d4f", "comment": "#2c7fb8", "spam": "#d7301f", "boilerplate": "#9e9e9e"}
SHORT = {"editorial": "e", "comment": "c", "spam": "s", "boilerplate": "b"}
PROFANITY_KIND = "profanity"

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#222}
h1{margin:18px 0 4px}h2{margin:26px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child,#worst-sources :is(td,th):last-child,#best-sources :is(td,th):last-child{text-align:left}
.tot td{text-align:left}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;
margin-right:4px;vertical-align:-1px}
.e{background:#2e9d4f}.c{background:#2c7fb8}.s{background:#d7301f}.b{background:#9e9e9e}
.strips a{display:grid;grid-template-columns:260px 50px 1fr;gap:8px;align-items:center;color:#222;
text-decoration:none;padding:1px 0}.strips a:hover{background:#f4f4f4}
.sid{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:12px}
.strip{display:flex;height:12px;background:#eee;min-width:0;overflow:hidden}.strip i{display:block;min-width:0}
.page{display:none;border:1px solid #ccc;padding:8px 12px;margin:16px 0}.page:target{display:block}
.blk{padding:2px 6px 2px 8px;margin:2px 0;border-left:6px solid;white-space:pre-wrap;word-wrap:break-word}
.blk.e{border-color:#2e9d4f;background:#eef8f1}.blk.c{border-color:#2c7fb8;background:#eaf2f8}
.blk.s{border-color:#d7301f;background:#fdecea}.blk.b{border-color:#9e9e9e;background:#f5f5f5;color:#555}
.ln{display:inline-block;min-width:44px;color:#888;font-size:11px}
mark.mt{background:#ffd54f}mark.pf{background:#ff8a80}
.badge{font-size:11px;padding:0 4px;margin-left:6px;border-radius:3px;background:#333;color:#fff}
.meta{color:#555;font-size:13px}
"""


@dataclass
class _Sample:
    """A fixed-size uniform sample of a stream (reservoir sampling, fixed seed)."""

    size: int
    rng: random.Random = field(default_factory=lambda: random.Random(SAMPLE_SEED))
    items: list = field(default_factory=list)
    seen: int = 0

    def offer(self, item: dict) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append((self.seen, item))
            return
        j = self.rng.randrange(self.seen)
        if j < self.size:
            self.items[j] = (self.seen, item)


@dataclass
class CorpusStats:
    """Everything the report shows, gathered in one pass."""

    pages: int = 0
    blocks: int = 0
    with_comments: int = 0
    quality_sum: float = 0.0
    hist: list[int] = field(default_factory=lambda: [0] * HIST_BINS)
    label_chars: Counter = field(default_factory=Counter)
    label_blocks: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    qualities: list[float] = field(default_factory=list)
    sources: SourceTable = field(default_factory=SourceTable)
    rejected: int = 0

    def add(self, rec: dict) -> None:
        q = float(rec["quality"])
        self.pages += 1
        self.quality_sum += q
        self.qualities.append(q)
        self.hist[min(int(q * HIST_BINS), HIST_BINS - 1)] += 1
        self.with_comments += bool(rec["has_comments"])
        self.reasons.update(rec["reasons"])
        self.sources.add(rec)
        blocks = rec.get("blocks") or []
        self.blocks += len(blocks)
        if blocks and all(isinstance(b, dict) and "text" in b for b in blocks):
            for b in blocks:
                self.label_chars[b.get("label")] += len(b["text"] or "")
                self.label_blocks[b.get("label")] += 1
        else:  # --no-text output: weigh each page's fractions by 1
            for lab, v in rec["fractions"].items():
                self.label_chars[lab] += float(v)
            for b in blocks:
                if isinstance(b, dict):
                    self.label_blocks[b.get("label")] += 1


def _esc(s: object) -> str:
    from html import escape  # here: ``classify`` imports this module for its defaults; html costs ~2 ms

    return escape(str(s), quote=True)


def _median(values: list[float]) -> float:
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2 if v else 0.0


def _histogram_svg(hist: list[int]) -> str:
    """Quality histogram as inline SVG: one bar per bin, counts in the bars' titles."""
    w, h, pad_l, pad_b, pad_t = 640, 220, 44, 28, 10
    top = max(hist) or 1
    bw = (w - pad_l - 10) / len(hist)
    parts = [f'<svg id="quality-histogram" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'viewBox="0 0 {w} {h}" role="img" aria-label="histogram of page quality">',
             f'<line x1="{pad_l}" y1="{h - pad_b}" x2="{w - 10}" y2="{h - pad_b}" stroke="#444"/>']
    for i, n in enumerate(hist):
        bh = (h - pad_b - pad_t) * n / top
        x = pad_l + i * bw
        lo, hi = i / len(hist), (i + 1) / len(hist)
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{h - pad_b - bh:.1f}" width="{bw - 2:.1f}" '
                     f'height="{bh:.1f}" fill="#4a7ab5"><title>quality {lo:.2f}-{hi:.2f}: {n} pages</title></rect>')
    for i in range(0, len(hist) + 1, max(1, len(hist) // 5)):
        x = pad_l + i * bw
        parts.append(f'<text x="{x:.1f}" y="{h - pad_b + 16}" font-size="11" text-anchor="middle">'
                     f'{i / len(hist):.1f}</text>')
    for frac in ((0.0, 0.5, 1.0) if top >= 2 else (0.0, 1.0)):
        y = h - pad_b - (h - pad_b - pad_t) * frac
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                     f'{round(top * frac)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label_bar_svg(shares: dict[str, float]) -> str:
    """Label shares as one stacked horizontal bar (inline SVG)."""
    w, h = 640, 26
    x = 0.0
    parts = [f'<svg id="label-shares" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'viewBox="0 0 {w} {h}" role="img" aria-label="label shares">']
    for lab in LABELS:
        bw = w * shares.get(lab, 0.0)
        if bw > 0:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{bw:.1f}" height="{h}" fill="{COLOURS[lab]}">'
                         f'<title>{lab}: {shares[lab]:.1%}</title></rect>')
        x += bw
    parts.append("</svg>")
    return "".join(parts)


def _sources_table(rows: list[dict], table_id: str) -> str:
    head = ("<tr><th>source</th><th>pages</th><th>mean quality</th><th>median</th><th>pages with comments</th>"
            "<th>comment share</th><th>spam pages</th><th>mean mt</th><th>dup</th><th>top reasons</th></tr>")
    body = "".join(
        f"<tr><td>{_esc(r['source'])}</td><td>{r['pages']}</td><td>{r['mean_quality']:.3f}</td>"
        f"<td>{r['median_quality']:.3f}</td><td>{r['comment_page_share']:.0%}</td>"
        f"<td>{r['mean_comment_share']:.0%}</td><td>{r['spam_page_share']:.0%}</td>"
        f"<td>{r['mean_mt_score']:.2f}</td><td>{r['mean_dup_fraction']:.0%}</td>"
        f"<td>{_esc(', '.join(f'{k} ({v})' for k, v in r['top_reasons'].items()))}</td></tr>"
        for r in rows)
    return f'<table id="{table_id}">{head}{body}</table>'


def _highlight(text: str, evidence: list) -> str:
    """Escaped text with evidence spans in ``<mark>`` (mt: ``mark.mt``, profanity: ``mark.pf``)."""
    spans = sorted((int(e["start"]), int(e["end"]), str(e.get("kind", ""))) for e in evidence or []
                   if isinstance(e, dict) and "start" in e and "end" in e)
    out, pos = [], 0
    for s, t, kind in spans:
        s, t = max(s, pos), min(t, len(text))
        if t <= s:
            continue
        cls = "pf" if kind == PROFANITY_KIND else "mt"
        out += [_esc(text[pos:s]), f'<mark class="{cls}" title="{_esc(kind)}">', _esc(text[s:t]), "</mark>"]
        pos = t
    out.append(_esc(text[pos:]))
    return "".join(out)


def _page_view(k: int, rec: dict) -> str:
    """One sampled page: its scores and every block coloured by label, evidence highlighted."""
    reasons = ", ".join(rec.get("reasons") or []) or "none"
    frac = rec.get("fractions") or {}
    head = (f'<section class="page" id="p{k}"><h3>{_esc(rec.get("id"))}</h3>'
            f'<p class="meta">source {_esc(rec.get("source") or "-")} &middot; url {_esc(rec.get("url") or "-")}'
            f' &middot; quality <b>{float(rec["quality"]):.3f}</b> &middot; reasons {_esc(reasons)}'
            f' &middot; mt {float(rec["mt_score"]):.2f} &middot; dup {float(rec["dup_fraction"]):.2f}'
            f' &middot; comments {"from " + _esc(rec.get("comment_start")) if rec.get("has_comments") else "none"}'
            f' &middot; {_esc(", ".join(f"{lab} {float(frac.get(lab, 0)):.0%}" for lab in LABELS))}'
            f' &middot; <a href="#strips">back to the strips</a></p>')
    parts = [head]
    for b in rec.get("blocks") or []:
        if not isinstance(b, dict):
            continue
        lab = b.get("label")
        cls = SHORT.get(lab, "b")
        where = b.get("line") if b.get("line") is not None else b.get("index")
        text = b.get("text")
        evidence = b.get("evidence") or []
        if text is None:
            body = f"<i>({_esc(lab)}; text not in the results: classify without --no-text)</i>"
        elif len(text) > MAX_BLOCK_CHARS:
            cut = text[:MAX_BLOCK_CHARS]
            body = _highlight(cut, [e for e in evidence if isinstance(e, dict) and e.get("end", 0) <= len(cut)]) + "…"
        else:
            body = _highlight(text, evidence)
        badges = ""
        if float(b.get("mt") or 0) >= BADGE_SCORE:
            badges += f'<span class="badge">mt {float(b["mt"]):.2f}</span>'
        if float(b.get("profanity") or 0) >= BADGE_SCORE:
            badges += f'<span class="badge">profanity {float(b["profanity"]):.2f}</span>'
        parts.append(f'<div class="blk {cls}" title="{_esc(lab)}"><span class="ln">{_esc(where)}</span>'
                     f'{body}{badges}</div>')
    parts.append("</section>")
    return "".join(parts)


def _strip(k: int, rec: dict) -> str:
    """A thin bar for one page: one segment per block, width by characters, coloured by label."""
    segs = []
    for b in rec.get("blocks") or []:
        if not isinstance(b, dict):
            continue
        n = len(b["text"]) if isinstance(b.get("text"), str) else 1
        segs.append(f'<i class="{SHORT.get(b.get("label"), "b")}" style="flex-grow:{max(n, 1)}"></i>')
    return (f'<a href="#p{k}" class="row"><span class="sid" title="{_esc(rec.get("id"))}">{_esc(rec.get("id"))}'
            f'</span><span>{float(rec["quality"]):.2f}</span><span class="strip">{"".join(segs)}</span></a>')


def build_report(paths: Iterable[str], on_error, sample: int = DEFAULT_SAMPLE,
                 top_sources: int = DEFAULT_TOP_SOURCES, min_source_pages: int = DEFAULT_MIN_SOURCE_PAGES,
                 title: str = "newswinnow report") -> tuple[str, CorpusStats]:
    """Read results once and return (the HTML page, the stats it shows)."""
    stats = CorpusStats()
    reservoir = _Sample(sample)

    def rejected(*args: object) -> None:
        stats.rejected += 1
        on_error(*args)

    for rec in iter_results(paths, rejected):
        stats.add(rec)
        if sample:
            reservoir.offer(rec)
    return render(stats, [r for _, r in sorted(reservoir.items, key=lambda x: x[0])], top_sources,
                  min_source_pages, title), stats


def render(stats: CorpusStats, sampled: list[dict], top_sources: int, min_source_pages: int, title: str) -> str:
    """The HTML page for gathered stats and the sampled pages."""
    total_chars = sum(stats.label_chars[lab] for lab in LABELS) or 1.0
    shares = {lab: stats.label_chars[lab] / total_chars for lab in LABELS}
    rows = stats.sources.rows(min_source_pages) or stats.sources.rows()
    worst = rows[:top_sources]
    best = sorted(rows, key=lambda r: (-r["mean_quality"], -r["median_quality"], -r["pages"],
                                       r["source"]))[:top_sources]
    n = max(stats.pages, 1)
    totals = [
        ("pages", f"{stats.pages:,}"), ("blocks", f"{stats.blocks:,}"), ("sources", f"{len(stats.sources.stats):,}"),
        ("mean quality", f"{stats.quality_sum / n:.3f}"), ("median quality", f"{_median(stats.qualities):.3f}"),
        ("pages with comments", f"{stats.with_comments / n:.1%}"),
        ("lines not read (rejected)", f"{stats.rejected:,}"),
    ]
    legend = "".join(f'<span><i class="{SHORT[lab]}"></i>{lab} {shares[lab]:.1%}</span>' for lab in LABELS)
    reasons = "".join(f"<tr><td>{_esc(r)}</td><td>{c:,}</td><td>{c / n:.1%}</td></tr>"
                      for r, c in stats.reasons.most_common())
    order = sorted(range(len(sampled)), key=lambda i: float(sampled[i]["quality"]))
    strips = "".join(_strip(i, sampled[i]) for i in order)
    views = "".join(_page_view(i, sampled[i]) for i in order)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        f'<h1>{_esc(title)}</h1>'
        f'<h2>Corpus</h2><table id="totals" class="tot">'
        + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in totals) + "</table>"
        f'<h2>Page quality</h2>{_histogram_svg(stats.hist)}'
        f'<h2>Label shares (of characters)</h2>{_label_bar_svg(shares)}<p class="legend">{legend}</p>'
        f'<h2>Reasons</h2><table id="reasons"><tr><th>reason</th><th>pages</th><th>share</th></tr>{reasons}</table>'
        f'<h2>Worst sources</h2>{_sources_table(worst, "worst-sources")}'
        f'<h2>Best sources</h2>{_sources_table(best, "best-sources")}'
        f'<h2 id="strips">Pages (a sample of {len(sampled):,}, worst first)</h2>'
        f'<p class="legend">{legend} &middot; click a strip for the page</p>'
        f'<div class="strips" id="strip-list">{strips}</div>{views}'
        "</body></html>\n"
    )
