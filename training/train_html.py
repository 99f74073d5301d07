"""Train the HTML block model (schema ``html-2``) with grouped cross-validation and its card.

    newswinnow train --html --corpora ../shared/corpora --out data/model-html --card data/MODEL_CARD_HTML.md

1. Segment Dragnet and CleanEval HTML with ``features.html`` and label blocks by alignment
   with the gold (``training.html_data``); hold out ``HOLDOUT_FRACTION`` of the source groups
   (never trained on; ``benchmarks/bench_html.py`` measures on them).
2. Swap YouTube spam into comment slots of training threads (spam label in real DOM slots).
3. Fit the lexicon out-of-fold, cross-validate by source domain (out-of-fold probabilities give
   the card's metrics and the temperature), fit the final networks on all training pages,
   count decoding transitions on them; save arrays + JSON and the model card.
4. Choose the decode constraints' thresholds (``classifier.html_decode``) on the out-of-fold
   predictions: the editorial ones by mean page editorial F1, the comment-thread ones by token
   F1 as the benchmark scores (``training.html_oof``); ``--save-oof`` keeps those predictions.
Reuses ``training.train`` (networks, CV, temperature, metrics); seeded, so reproducible.
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
import time
from datetime import date
from pathlib import Path

import click
import numpy as np
import sklearn

from classifier import decode, html_decode
from features.dom import DOM_NAMES, DOM_SCHEMA_VERSION, HTML_FEATURE_NAMES

from . import corpora, html_oof, lexicon, metrics
from . import train as text_train
from .dataset import DEFAULT_CORPORA
from .html_data import (
    HOLDOUT_FRACTION,
    READABILITY_HOLDOUT_FRACTION,
    featurize_html,
    is_holdout,
    load_html_pages,
    spam_pages,
)
from .options import require_corpora
from .train import MAX_EPOCHS, cross_validate, fit_network, label_prior, summarise

# The decoding tables of the HTML model: the seven-state chain it was measured with (the text
# model's per-page choice of chain, classifier/decode.py, was evaluated on plain text only).
HTML_DECODER = "thread"

# Networks averaged in the shipped model and in each cross-validation fold (fewer than the
# text model's three: the HTML matrix is wider, and CV on two shared cores must stay short).
ENSEMBLE_SIZE = 2
CV_NETWORKS = 1
# Rare labels (spam) are oversampled to this share of training rows, as for the text model.
# (0.01 was tried: 5-fold CV comment F1 0.929 vs 0.931, spam F1 0.775 vs 0.756 - no clear gain.
# Swapping YouTube ham in beside the spam was tried too: editorial 0.885 vs 0.878, comment 0.932
# vs 0.931, spam 0.713 vs 0.756, macro-F1 0.869 vs 0.877 - not kept.)
MIN_LABEL_SHARE = 0.04
# Each training page of Mozilla Readability (sites unlike Dragnet's and CleanEval's, and few:
# ~45 pages against ~1,600) is used this many times, so the network does not treat what those
# sites share (how-to pages, wikis, non-Latin scripts) as noise. Copies keep their group, so
# cross-validation never splits them.
READABILITY_COPIES = 3
# The HTML network's own size and L2 penalty, pinned here so that retuning the text model
# (``training.train``, whose first layer became 96 units) does not silently change this one.
# Chosen by 5-fold grouped CV on the training pages (out-of-fold, before/after the decode
# constraints; see the model card): mean per-page editorial F1
# after the constraints 0.9303 with (96, 64) and alpha 0.01, 0.9322 with (128, 64) and 0.01,
# 0.9320 with 0.05, 0.9334 with 0.2 (editorial/comment/boilerplate block F1 0.877/0.927/0.944
# -> 0.883/0.936/0.947, temperature 4.5 -> 2.4; spam block F1 0.759 -> 0.724 on 488 blocks).
# The stronger penalty generalises better across sites; its cost is the rare spam label.
HTML_HIDDEN_LAYERS: tuple[int, ...] = (128, 64)
HTML_L2_ALPHA = 0.2


def choose_constraints(M, cv: dict) -> dict[str, dict]:
    """The decode constraints' thresholds (``classifier.html_decode``), one after the other, each
    chosen on the out-of-fold probabilities and decodings of the training pages (mean per-page
    character-weighted editorial F1)."""
    z = cv["logits"].astype(np.float64) / cv["temperature"]
    z -= z.max(axis=1, keepdims=True)
    proba = np.exp(z)
    proba /= proba.sum(axis=1, keepdims=True)
    rows = [M.page_rows(i) for i in range(len(M.pages))]
    probas = [proba[s] for s in rows]
    top = [M.X[s, html_decode.IN_TOP_COLUMN] for s in rows]
    gold = [M.y[s] for s in rows]
    weights = [np.array([len(t) for t in p.texts], dtype=np.float64) for p in M.pages]
    decoded = [cv["decoded"][s] for s in rows]
    out = {}
    steps = ((html_decode.META_KEY, lambda d, t: html_decode.fill_empty_pages(d, probas, t)),
             (html_decode.TOP_META_KEY, lambda d, t: html_decode.fill_main_content(d, probas, top, t)))
    for key, apply in steps:
        best, scores = html_decode.choose_threshold(apply, decoded, gold, weights)
        out[key] = {"chosen": best, "mean_page_editorial_f1": scores}
        decoded = apply(decoded, best)
    # The comment-thread constraint, on token scores (html_oof.thread_objective).
    in_comment = [html_decode.comment_class(M.X[s]) for s in rows]
    tg = html_oof.token_gold(M.pages)
    before = html_oof.summary(tg, decoded)
    (hi, lo), scores = html_oof.choose_thread_thresholds(tg, decoded, probas, in_comment)
    after = html_oof.summary(tg, html_decode.fill_threads(decoded, probas, in_comment, hi, lo))
    out[html_decode.COMMENT_META_KEY] = {"chosen": hi, "thread_objective": scores, "before": before, "after": after}
    out[html_decode.THREAD_META_KEY] = {"chosen": lo}
    return out


def save_oof_npz(path: Path, M, cv: dict) -> None:
    """Out-of-fold logits and decodings with what decode rules read (DOM facts, page ids),
    as plain arrays (no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dom = np.vstack([p.meta["html"].dom for p in M.pages])
    np.savez(path, logits=cv["logits"], decoded=cv["decoded"], temperature=cv["temperature"], y=M.y,
             offsets=M.offsets, dom=dom, ids=np.array([p.id for p in M.pages]),
             in_top=M.X[:, html_decode.IN_TOP_COLUMN], in_comment=html_decode.comment_class(M.X))


def write_card(path: Path, result: dict, command: str, n_rows: int, n_pages: int, n_held: int,
               temperature: float, n_networks: int, l2_alpha: float = HTML_L2_ALPHA) -> None:
    """The HTML model card: data, split, held-out-fold block metrics, versions, the command."""
    cv = result.get("cv_decoded")
    lines = [
        "# newswinnow HTML model card", "",
        f"- Trained: {date.today().isoformat()} with `{command}`",
        f"- scikit-learn {sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}",
        f"- Feature schema `{DOM_SCHEMA_VERSION}` ({len(HTML_FEATURE_NAMES)} columns: the text schema's "
        f"columns + {len(DOM_NAMES)} DOM columns); network {HTML_HIDDEN_LAYERS}, L2 alpha {l2_alpha}, "
        f"{n_networks} networks averaged, "
        f"temperature {temperature}",
        f"- {n_rows} blocks from {n_pages} training pages (Readability pages counted {READABILITY_COPIES} times); "
        f"{n_held} pages held out entirely: {HOLDOUT_FRACTION:.0%} of the Dragnet and CleanEval source domains, "
        f"{READABILITY_HOLDOUT_FRACTION:.0%} of the Readability sites (never trained on; `benchmarks/bench_html.py` "
        "measures on them)",
        "", "## Training data (read from `../shared/corpora`, never copied into the repo)", "",
        "| data set | used as | licence |", "|---|---|---|",
        "| dragnet_train (Moz) | HTML segmented by `features.html`, blocks labelled by alignment with the "
        "gold article / comments | AGPLv3 |",
        "| cleaneval (dev + final) | HTML, editorial vs boilerplate by alignment with the gold | none stated |",
        "| mozilla_readability | HTML, editorial vs boilerplate by alignment with the expected main content; grouped "
        f"by site, x{READABILITY_COPIES} | Apache-2.0 (upstream repo) |",
        "| youtube_spam | spam comments swapped into comment slots of Dragnet threads (`#spam` pages); "
        "lexicon spam column | cite Alberto et al. 2015 |",
        "| sms_spam | lexicon spam column only | not stated |",
    ]
    constraints = result.get("decode_constraints")
    if constraints:
        lines += ["", "## Decode constraints (`classifier/html_decode.py`)", "",
                  "Thresholds chosen one after the other on the out-of-fold predictions of the training pages "
                  "(mean per-page character-weighted editorial F1 by threshold; 0 = off):", ""]
        for key, c in constraints.items():
            if "mean_page_editorial_f1" in c:
                by_t = ", ".join(f"{t}: {v:.4f}" for t, v in c["mean_page_editorial_f1"].items())
                lines.append(f"- `{key}` = {c['chosen']} ({by_t})")
        thread = constraints.get(html_decode.COMMENT_META_KEY)
        if thread:
            lo = constraints[html_decode.THREAD_META_KEY]["chosen"]
            top5 = sorted(thread["thread_objective"].items(), key=lambda kv: -kv[1])[:5]
            fmt = lambda d: ", ".join(f"{k} {v:.4f}" for k, v in d.items())  # noqa: E731
            lines += [
                f"- `{html_decode.COMMENT_META_KEY}` = {thread['chosen']}, `{html_decode.THREAD_META_KEY}` = {lo}, "
                "chosen together on a grid by mean comment token F1 of the Dragnet pages with gold comments plus "
                "has-comments F1 of all Dragnet pages (`training/html_oof.py`; best five "
                f"`comment_min/thread_comment_min`: {', '.join(f'{k}: {v:.4f}' for k, v in top5)}; "
                f"off: {thread['thread_objective']['0.0/0.0']:.4f})",
                "", "Out-of-fold token F1 of the training pages (as `benchmarks/bench_html.py` scores), before the "
                f"comment-thread constraint: {fmt(thread['before'])}; after it: {fmt(thread['after'])}."]
    if cv:
        lines += [
            "", f"## Held-out-fold results ({result['folds']}-fold CV grouped by source domain, "
            f"{CV_NETWORKS} network per fold, after sequence decoding; training pages only)", "",
            metrics.markdown_report(cv["overall"]["report"], np.array(cv["overall"]["confusion"])),
            "", f"Macro-F1 {cv['overall']['macro_f1']:.3f}.", "",
            *metrics.kind_table(cv),
        ]
    lines += ["", "Token-level editorial/comment P/R/F1 on the held-out pages beside trafilatura: "
              "`python benchmarks/bench_html.py` (table in README.md).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


@click.command()
@click.option("--corpora", "corpora_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPORA,
              show_default=True, help="Folder holding the public corpora (see shared/corpora/README.md).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/model-html"), show_default=True,
              help="Model stem: writes STEM.json and STEM.npz.")
@click.option("--card", type=click.Path(path_type=Path), default=Path("data/MODEL_CARD_HTML.md"), show_default=True)
@click.option("--folds", type=click.IntRange(0, 20), default=5, show_default=True, help="0 skips cross-validation.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--networks", type=click.IntRange(1, 8), default=ENSEMBLE_SIZE, show_default=True)
@click.option("--max-dragnet", type=int, default=None, help="Use only the first N Dragnet pages (quick runs).")
@click.option("--max-epochs", type=int, default=MAX_EPOCHS, show_default=True)
@click.option("--metrics-json", type=click.Path(path_type=Path), help="Also write the CV metrics here.")
@click.option("--min-label-share", type=click.FloatRange(0, 0.5), default=MIN_LABEL_SHARE, show_default=True,
              help="Oversample rare labels (spam) up to this share of training rows.")
@click.option("--save-oof", type=click.Path(path_type=Path),
              help="Save the out-of-fold logits, decodings and DOM facts of the training pages (.npz), "
                   "for choosing decode rules offline (training.html_oof).")
@click.option("--l2-alpha", type=float, default=HTML_L2_ALPHA, show_default=True,
              help="L2 penalty of the networks (for CV sweeps; the shipped value is chosen by CV).")
@click.option("--decoder", type=click.Choice(decode.DECODERS), default=HTML_DECODER, show_default=True,
              help="The decoding tables (`newswinnow train --decoder`); the shipped HTML model's are the default.")
def main(corpora_dir, out, card, folds, seed, networks, max_dragnet, max_epochs, metrics_json, min_label_share,
         save_oof, l2_alpha, decoder):
    """Train the HTML block model on Dragnet, CleanEval and Mozilla Readability HTML."""
    # The networks' widths and penalty are passed to every fit; the label share has no parameter
    # (train._balanced_index reads it), so it is set for this run and put back after it: a text
    # training later in the same process keeps its own.
    require_corpora(corpora_dir, ("dragnet_train",))
    kept = text_train.MIN_LABEL_SHARE
    text_train.MIN_LABEL_SHARE = min_label_share
    try:
        _train(corpora_dir, out, card, folds, seed, networks, max_dragnet, max_epochs, metrics_json,
               min_label_share, save_oof, l2_alpha, decoder)
    finally:
        text_train.MIN_LABEL_SHARE = kept


def _train(corpora_dir, out, card, folds, seed, networks, max_dragnet, max_epochs, metrics_json, min_label_share,
           save_oof, l2_alpha, decoder) -> None:
    """``main``'s run, with ``MIN_LABEL_SHARE`` set."""
    argv = sys.argv[1:]
    argv = argv[1:] if argv[:1] == ["train"] else argv  # `newswinnow train --html` or `python -m`
    command = "newswinnow train --html " + " ".join(shlex.quote(a) for a in argv if a != "--html")
    t0 = time.time()
    log = lambda s: click.echo(s, err=True)  # noqa: E731
    pages = load_html_pages(corpora_dir, max_dragnet)
    train = [p for p in pages if not is_holdout(p.group)]
    if not train:
        raise click.ClickException(f"--corpora {corpora_dir}: no HTML page with its gold to train on")
    n_held = len(pages) - len(train)
    spam = [t for t, s in lexicon.spam_examples(corpora_dir, use_sms=False) if s]
    train += [corpora.LabeledPage(f"{p.id}#copy+{k}", p.corpus, p.source, p.texts, p.labels, p.group, p.meta)
              for p in train if p.corpus == "readability" for k in range(1, READABILITY_COPIES)]
    threads = [p for p in train if corpora.COMMENT in p.labels]
    train += spam_pages(threads, spam, seed)
    M = featurize_html(train)
    log(f"{len(M.pages)} training pages ({n_held} held out), {len(M.y)} blocks, {M.X.shape[1]} features "
        f"({time.time() - t0:.0f}s); label counts {np.bincount(M.y, minlength=4).tolist()}")
    scorer, oof = lexicon.fit_with_oof([t for p in M.pages for t in p.texts], M.y, M.groups, seed,
                                       spam=lexicon.spam_examples(corpora_dir))
    M.set_lexical(oof)
    log(f"lexicon: {len(scorer.words)} words ({time.time() - t0:.0f}s)")
    result: dict = {"folds": folds}
    temperature = 1.0
    if folds >= 2:
        cv = cross_validate(M, folds, seed, max_epochs, log=log, n_networks=CV_NETWORKS, decoder=decoder,
                            l2=l2_alpha, hidden=HTML_HIDDEN_LAYERS)
        temperature = cv["temperature"]
        result["cv_decoded"] = summarise(M, cv["decoded"])
        log(metrics.format_report(result["cv_decoded"]["overall"]["report"],
                                  np.array(result["cv_decoded"]["overall"]["confusion"])))
        constraints = choose_constraints(M, cv)
        result["decode_constraints"] = constraints
        log(f"decode constraints (out-of-fold mean page editorial F1 by threshold): {constraints}")
        if save_oof:
            save_oof_npz(save_oof, M, cv)
    else:
        constraints = {}
    # (Subnormal weights left by the strong L2 penalty are zeroed when any model loads:
    # classifier/model.py ``_flushed``.)
    model = fit_network(M.X, M.y, seed, max_epochs, n_networks=networks, l2=l2_alpha, hidden=HTML_HIDDEN_LAYERS)
    model.feature_names, model.schema = HTML_FEATURE_NAMES, DOM_SCHEMA_VERSION
    model.temperature = temperature
    model.lexical = scorer
    model.set_tables(*decode.fit_decoder((p.labels for p in M.pages), decoder))
    model.prior = label_prior(M.y)
    model.meta = {"version": "1.0", "kind": "html", "decoder": decoder, "trained": date.today().isoformat(),
                  "command": command,
                  "sklearn": sklearn.__version__, "rows": int(len(M.y)), "pages": len(M.pages),
                  "held_out_pages": n_held, "holdout_fraction": HOLDOUT_FRACTION,
                  "min_label_share": min_label_share,
                  **{k: v["chosen"] for k, v in constraints.items()},
                  "readability_copies": READABILITY_COPIES,
                  "hidden_layers": list(HTML_HIDDEN_LAYERS), "l2_alpha": l2_alpha}
    model.save(out)
    log(f"wrote {out}.json / {out}.npz ({time.time() - t0:.0f}s)")
    write_card(card, result, command, len(M.y), len(M.pages), n_held, temperature, networks, l2_alpha)
    log(f"wrote {card}")
    if metrics_json:
        metrics_json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":  # pragma: no cover
    main()
