"""Evaluate a model on a labelled corpus: per-label P/R/F1, confusion matrix, has_comments.

    newswinnow evaluate dragnet --variant trimmed       # a public corpus from ../shared/corpora
    newswinnow evaluate my_pages.jsonl                  # your own labelled pages (training/user_data.py)
    newswinnow evaluate spam-lovo                       # leave-one-YouTube-video-out spam protocol

Evaluating the shipped model on a corpus it was trained on measures fit, not generalisation;
the held-out figures are the cross-validated ones in the model card and ``spam-lovo``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from classifier.api import Classifier
from classifier.cli import MODEL_HELP, MODEL_PARAM
from classifier.model import MAX_MEMBERS
from features.text_schema import TEXT_SCHEMAS, TRAIN_SCHEMA, TRAINABLE_SCHEMAS

from . import corpora, metrics
from .dataset import DEFAULT_CORPORA, LABEL_INDEX
from .options import HIDDEN_LAYERS, HIDDEN_OPTION, IGNORE_COLUMN_OPTION, ignore_column_names, require_corpora
from .user_data import read_labelled

CORPUS_NAMES = ("dragnet", "cleaneval", "bbc", "spam-lovo")
# spam-lovo: every k-th source group (sorted) provides the test threads.
TEST_GROUP_EVERY = 3


@dataclass
class PageLabels:
    """Gold and predicted label indices of every non-empty block of some pages, in order, with
    which blocks a page lists in ``meta["inserted"]`` (``corpora.spam_threads``), and per page
    whether the gold and the prediction have a comment section."""

    gold: np.ndarray
    pred: np.ndarray
    inserted: np.ndarray
    gold_has: list[bool]
    pred_has: list[bool]


def classify_pages(clf: Classifier, pages: list[corpora.LabeledPage]) -> PageLabels:
    """Classify each page's lines with the full pipeline (decoding included)."""
    gold, pred, inserted, gold_has, pred_has = [], [], [], [], []
    for p in pages:
        ins = set(p.meta.get("inserted", ()))
        keep = [(t, lab, i in ins) for i, (t, lab) in enumerate(zip(p.texts, p.labels)) if t.strip()]
        if not keep:
            continue
        doc = clf.classify_text("\n".join(t for t, _, _ in keep))
        gold.extend(LABEL_INDEX[lab] for _, lab, _ in keep)
        inserted.extend(i for _, _, i in keep)
        pred.extend(LABEL_INDEX[b["label"]] for b in doc.blocks)
        gold_has.append(any(lab == "comment" for _, lab, _ in keep))
        pred_has.append(doc.has_comments)
    return PageLabels(np.array(gold, dtype=np.int64), np.array(pred, dtype=np.int64), np.array(inserted, dtype=bool),
                      gold_has, pred_has)


def scores(labels: PageLabels) -> dict:
    """Per-label P/R/F1, confusion matrix, macro-F1 and has_comments of classified pages."""
    cm = metrics.confusion(labels.gold, labels.pred)
    rep = metrics.per_label(cm)
    return {"report": rep, "confusion": cm.tolist(), "macro_f1": metrics.macro_f1(rep),
            "has_comments": metrics.binary_f1(labels.gold_has, labels.pred_has), "pages": len(labels.gold_has)}


def evaluate_pages(clf: Classifier, pages: list[corpora.LabeledPage]) -> dict:
    """Classify each page's lines with the full pipeline (decoding included) and score."""
    return scores(classify_pages(clf, pages))


def video_spam(labels: PageLabels) -> dict:
    """Spam found among the held-out video's own comments, and the threads' comments called spam.

    spam-lovo's pooled figure counts every block of its test pages, so a Dragnet thread's own
    self-promotion ("check out my blog!"), which the corpus labels ``comment``, costs precision
    when it is called spam as LABELS.md asks. ``video``: spam P/R/F1 over the inserted YouTube
    comments only (the held-out video's spam against its ham, each inside a real thread);
    ``thread_comments`` / ``thread_comments_spam``: the threads' own ``comment`` blocks, and
    how many of them were called spam (the cost on real news comments, reported beside it)."""
    g, p, ins = labels.gold, labels.pred, labels.inserted
    video = metrics.per_label(metrics.confusion(g[ins], p[ins]))["spam"]
    own = ~ins & (g == LABEL_INDEX["comment"])
    return {"video": video, "thread_comments": int(own.sum()),
            "thread_comments_spam": int((own & (p == LABEL_INDEX["spam"])).sum())}


# The folders under --corpora each named corpus reads (spam-lovo: the videos, the threads they are put
# into, and the BBC pages of its training mix).
CORPUS_FOLDERS: dict[str, tuple[str, ...]] = {
    "dragnet": ("dragnet_train",), "cleaneval": ("cleaneval",), "bbc": ("bbc_news",),
    "spam-lovo": ("youtube_spam", "dragnet_train", "bbc_news"),
}


def spam_lovo(corpora_dir: Path, max_dragnet: int | None, max_epochs: int, seed: int, log=print,
              use_sms: bool = True, schema: str = TRAIN_SCHEMA, videos: tuple[str, ...] = (),
              sms_rounds: int | None = None, networks: int | None = None, l2: float | None = None,
              ignore: tuple[str, ...] = (), hidden: tuple[int, ...] | None = None) -> dict:
    """Train without one YouTube video's comments, test on threads carrying that video's comments.

    ``videos``: the held-out videos to run (prefixes such as "01"; all when empty);
    ``sms_rounds``: SMS threads in the training mix (default: the schema's, as ``train``);
    ``networks``: networks averaged per model (default: ``train``'s); ``l2``: their L2 penalty
    (default: ``train``'s); ``ignore``: columns the networks must not read (``train --ignore-column``);
    ``hidden``: the networks' hidden widths (``train --hidden``; default: ``train``'s)."""
    from .dataset import SMS_ROUNDS_BY_SCHEMA, featurize, load_pages
    from .lexicon import fit_with_oof, spam_examples
    from .train import ENSEMBLE_SIZE, fit_network

    yt = corpora.read_youtube(corpora_dir / "youtube_spam")
    all_videos = sorted(yt)
    held_out = [v for v in all_videos if not videos or any(v.startswith(w) for w in videos)]
    if not held_out:
        raise click.BadParameter(f"{','.join(videos)!r} matches none of the videos "
                                 f"({', '.join(v.split('-')[0] for v in all_videos)})", param_hint="--videos")
    threads = [p for p in corpora.read_dragnet(corpora_dir / "dragnet_train", variant="trimmed")
               if "comment" in p.labels]
    if max_dragnet:
        threads = threads[:max_dragnet]
    # Test threads come from sites the model never trains on (split by source group), so
    # neither the held-out video's comments nor the surrounding thread text leak into training.
    test_groups = set(sorted({p.group for p in threads})[::TEST_GROUP_EVERY])
    threads = [p for p in threads if p.group in test_groups]
    out = {}
    sms_rounds = SMS_ROUNDS_BY_SCHEMA.get(schema, 0) if sms_rounds is None else sms_rounds
    for held in held_out:
        t0 = time.time()
        train_videos = tuple(v for v in all_videos if v != held)
        pages = load_pages(corpora_dir, ("trimmed",), bbc_pages=100, cleaneval=False, spam_videos=train_videos,
                           seed=seed, max_dragnet=max_dragnet, sms_rounds=sms_rounds)
        M = featurize([p for p in pages if p.group not in test_groups], schema)
        scorer, oof = fit_with_oof([t for p in M.pages for t in p.texts], M.y, M.groups, seed,
                                   spam=spam_examples(corpora_dir, train_videos, use_sms))
        M.set_lexical(oof)
        model = fit_network(M.X, M.y, seed, max_epochs, networks or ENSEMBLE_SIZE, schema=schema, l2=l2,
                            ignore=ignore, hidden=hidden)
        model.lexical = scorer
        test_pages = corpora.spam_threads(threads, yt, [held], seed=seed + 1)
        from classifier import decode

        model.set_tables(*decode.fit_decoder((p.labels for p in M.pages), decode.DEFAULT_DECODER))
        model.prior = np.bincount(M.y, minlength=4) / len(M.y)
        labels = classify_pages(Classifier(model), test_pages)
        res, vid = scores(labels), video_spam(labels)
        # "spam": over every block of the test pages; "video_spam": over the held-out video's
        # comments only (video_spam's docstring says why both).
        out[held] = {"spam": res["report"]["spam"], "comment": res["report"]["comment"], "video_spam": vid["video"],
                     "thread_comments": vid["thread_comments"], "thread_comments_spam": vid["thread_comments_spam"]}
        log(f"held-out {held}: spam F1 {res['report']['spam']['f1']:.3f} "
            f"(P {res['report']['spam']['precision']:.3f} R {res['report']['spam']['recall']:.3f}); "
            f"on the video's comments {vid['video']['f1']:.3f} (P {vid['video']['precision']:.3f}); "
            f"{vid['thread_comments_spam']} of the threads' {vid['thread_comments']} comments called spam; "
            f"{time.time() - t0:.0f}s")
    runs = list(out.values())
    for key, name in (("spam", "spam_f1"), ("video_spam", "video_spam_f1")):
        f1s = [v[key]["f1"] for v in runs]
        out[f"mean_{name}"] = round(float(np.mean(f1s)), 4)
        out[f"min_{name}"] = round(float(np.min(f1s)), 4)
    return out


@click.command()
@click.argument("corpus")
@click.option("--corpora", "corpora_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPORA,
              show_default=True)
@click.option("--model", type=MODEL_PARAM, help=MODEL_HELP)
@click.option("--variant", type=click.Choice(corpora.DRAGNET_VARIANTS), default="trimmed", show_default=True)
@click.option("--max-pages", type=int, default=None)
@click.option("--max-epochs", type=int, default=40, show_default=True, help="spam-lovo only.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--schema", type=click.Choice(TRAINABLE_SCHEMAS), default=TRAIN_SCHEMA, show_default=True,
              help="spam-lovo only: feature schema of the models it trains.")
@click.option("--videos", default="", help="spam-lovo only: held-out videos to run, comma-separated prefixes "
              "(e.g. 01,04); default all.")
@click.option("--sms-rounds", type=int, default=None, help="spam-lovo only: SMS threads in the training mix "
              "(default: the schema's, as train).")
@click.option("--networks", type=click.IntRange(1, MAX_MEMBERS), default=None,
              help="spam-lovo only: networks averaged per model (default: train's).")
@click.option("--l2", type=click.FloatRange(min=0.0), default=None,
              help="spam-lovo only: the networks' L2 penalty (default: train's).")
@IGNORE_COLUMN_OPTION
@HIDDEN_OPTION
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Also write the figures here.")
def main(corpus, corpora_dir, model, variant, max_pages, max_epochs, seed, schema, videos, sms_rounds, networks,
         l2, ignore_columns, hidden, json_out):
    """Evaluate on CORPUS: dragnet, cleaneval, bbc, spam-lovo, or a labelled JSONL file."""
    if (ignore_columns or hidden != HIDDEN_LAYERS) and corpus != "spam-lovo":
        raise click.UsageError("--ignore-column and --hidden train networks: they are for spam-lovo only")
    if corpus in CORPUS_FOLDERS:
        require_corpora(corpora_dir, CORPUS_FOLDERS[corpus])
    if corpus == "spam-lovo":
        ignore = ignore_column_names(ignore_columns, TEXT_SCHEMAS[schema])
        res = spam_lovo(corpora_dir, max_pages, max_epochs, seed, log=lambda s: click.echo(s, err=True),
                        schema=schema, videos=tuple(v for v in videos.split(",") if v), sms_rounds=sms_rounds,
                        networks=networks, l2=l2, ignore=ignore, hidden=hidden)
        click.echo(f"spam F1, leave-one-video-out: mean {res['mean_spam_f1']:.3f}, min {res['min_spam_f1']:.3f} "
                   f"(every block of the test pages); mean {res['mean_video_spam_f1']:.3f}, "
                   f"min {res['min_video_spam_f1']:.3f} (the held-out video's comments)")
    else:
        if corpus == "dragnet":
            pages = corpora.read_dragnet(corpora_dir / "dragnet_train", variant=variant)
        elif corpus == "cleaneval":
            pages = corpora.read_cleaneval(corpora_dir / "cleaneval")
        elif corpus == "bbc":
            pages = corpora.read_bbc(corpora_dir / "bbc_news")
        elif Path(corpus).is_file():
            pages = read_labelled(Path(corpus), lambda r: click.echo(f"{r.path}:{r.line}: record skipped: "
                                                                     f"{r.reason}", err=True))
        else:
            raise click.BadParameter(f"not a corpus name ({', '.join(CORPUS_NAMES)}) or a file", param_hint="CORPUS")
        page_list = [p for _, p in zip(range(max_pages or 10**9), pages)]
        if not page_list:
            raise click.ClickException(f"{corpus}: no labelled pages to evaluate")
        res = evaluate_pages(Classifier.load(model), page_list)
        click.echo(metrics.format_report(res["report"], np.array(res["confusion"])))
        hc = res["has_comments"]
        click.echo(f"\nhas_comments: precision {hc['precision']:.3f} recall {hc['recall']:.3f} "
                   f"F1 {hc['f1']:.3f} ({hc['positives']} of {hc['pages']} pages have comments)")
    if json_out:
        json_out.write_text(json.dumps(res, indent=1))
