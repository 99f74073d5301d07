"""Metrics: per-label precision/recall/F1, confusion matrix, page-level comment detection."""

from __future__ import annotations

import numpy as np

from classifier.model import LABELS

K = len(LABELS)


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Rows = gold label, columns = predicted label."""
    return np.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)


def per_label(cm: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label from a confusion matrix."""
    out = {}
    for i, lab in enumerate(LABELS):
        tp = cm[i, i]
        p = tp / cm[:, i].sum() if cm[:, i].sum() else 0.0
        r = tp / cm[i].sum() if cm[i].sum() else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[lab] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(cm[i].sum())}
    return out


def macro_f1(report: dict[str, dict[str, float]]) -> float:
    """Mean F1 over labels that occur in the gold."""
    f = [v["f1"] for v in report.values() if v["support"] > 0]
    return round(float(np.mean(f)), 4) if f else 0.0


def binary_f1(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    """Precision/recall/F1 of a page-level yes/no decision (has_comments)."""
    g, p = np.array(gold, bool), np.array(pred, bool)
    tp, fp, fn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f, 4), "pages": len(gold),
            "positives": int(g.sum())}


def format_report(report: dict, cm: np.ndarray) -> str:
    """A plain-text table of per-label metrics and the confusion matrix."""
    lines = [f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for lab, v in report.items():
        lines.append(f"{lab:<12}{v['precision']:>10.3f}{v['recall']:>10.3f}{v['f1']:>10.3f}{v['support']:>10d}")
    lines.append("")
    lines.append("confusion (rows gold, columns predicted)")
    lines.append(" " * 12 + "".join(f"{lab[:10]:>12}" for lab in LABELS))
    for i, lab in enumerate(LABELS):
        lines.append(f"{lab:<12}" + "".join(f"{int(c):>12d}" for c in cm[i]))
    return "\n".join(lines)


def markdown_report(report: dict, cm: np.ndarray) -> str:
    """The same as Markdown tables (for the model card)."""
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for lab, v in report.items():
        lines.append(f"| {lab} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    lines += ["", "| gold \\ predicted | " + " | ".join(LABELS) + " |", "|---|" + "---:|" * K]
    for i, lab in enumerate(LABELS):
        lines.append(f"| {lab} | " + " | ".join(str(int(c)) for c in cm[i]) + " |")
    return "\n".join(lines)


def kind_table(summary: dict) -> list[str]:
    """Markdown lines: per corpus/rendering (``summary``'s keys but "overall"), pages, the F1 of
    each label and page-level has_comments F1 ("n/a" where there is nothing to find)."""
    lines = ["| pages | n | editorial F1 | comment F1 | spam F1 | boilerplate F1 | has_comments F1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, v in summary.items():
        if kind == "overall":
            continue
        r = v["report"]
        hc = v["has_comments"]
        hc_s = f"{hc['f1']:.3f}" if hc["positives"] else "n/a"
        lines.append(f"| {kind} | {v['pages']} | " + " | ".join(
            f"{r[lab]['f1']:.3f}" if r[lab]["support"] else "n/a" for lab in LABELS) + f" | {hc_s} |")
    return lines
