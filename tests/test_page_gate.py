"""Page-level comment-section gate: constrained decoding, batch features, overrules, the gate file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_decode import BO, CO, ED, PRIOR, SP
from test_decode import SEQUENCES as DECODE_SEQUENCES

from classifier import decode, page_gate
from classifier.model import LABELS
from classifier.page_gate import FEATURE_NAMES, PageGate, PageGateError

SEQUENCES = DECODE_SEQUENCES[:3]  # the hand-made gold pages without the spam-in-article one
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def tables() -> tuple[np.ndarray, np.ndarray]:
    return decode.fit_transitions(SEQUENCES)


def random_pages(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 30))
        p = rng.dirichlet(np.full(len(LABELS), 0.5), size=k)
        out.append(p)
    return out


def test_end_states_force_and_forbid_a_thread(tables) -> None:
    ls, lt = tables
    pages = random_pages(60)
    free = decode.viterbi_batch(pages, PRIOR, ls, lt)
    article = decode.viterbi_batch(pages, PRIOR, ls, lt, end_states=decode.ARTICLE_END)
    thread = decode.viterbi_batch(pages, PRIOR, ls, lt, end_states=decode.THREAD_END)
    assert not any((a == CO).any() for a in article)
    assert all((t == CO).any() for t in thread)
    # Free decoding ends in one of the two: the constrained decode of that phase agrees with it.
    for f, a, t in zip(free, article, thread):
        assert np.array_equal(f, t if (f == CO).any() else a)
    # The batched form equals the per-page form under a constraint too.
    for p, t in zip(pages, thread):
        assert np.array_equal(decode.viterbi(p, PRIOR, ls, lt, end_states=decode.THREAD_END), t)


def naive_features(p: np.ndarray, d: np.ndarray, margin: float) -> list[float]:
    """Per-page reference for page_features, written plainly."""
    n = len(p)
    pc = p[:, CO]
    idx = np.flatnonzero(d == CO)
    first = int(idx[0]) if idx.size else n
    run = slice(first, n)
    q = np.clip(pc, page_gate.LOGIT_CLIP, 1 - page_gate.LOGIT_CLIP)
    lo = np.log(q / (1 - q))
    suffix = [lo[k:].sum() for k in range(n)]
    best = max(suffix)
    best_pos = next(k for k in range(n) if suffix[k] >= best - 1e-9)
    has = idx.size > 0
    vals = {
        "log_blocks": np.log1p(n), "comment_mean": pc.mean(), "comment_max": pc.max(),
        "commentish_share": (pc > page_gate.COMMENTISH).mean(), "has_run": float(has),
        "run_share": (n - first) / n, "run_log_len": np.log1p(n - first),
        "run_comment_mean": pc[run].mean() if has else 0.0,
        "before_comment_mean": pc[:first].mean() if first else 0.0,
        "run_editorial_mean": p[run, ED].mean() if has else 0.0,
        "run_comment_share": (d[run] == CO).mean() if has else 0.0,
        "commentish_before": np.log1p((pc[:first] > page_gate.COMMENTISH).sum()),
        "best_suffix": np.tanh(best / 10.0), "best_suffix_share": (n - best_pos) / n,
        "tail_comment_mean": pc[-page_gate.TAIL_BLOCKS:].mean(), "spam_mean": p[:, SP].mean(),
        "editorial_mean": p[:, ED].mean(), "boilerplate_mean": p[:, BO].mean(),
        "run_boilerplate_mean": p[run, BO].mean() if has else 0.0,
        "viterbi_margin": np.tanh(margin / page_gate.MARGIN_SCALE),
    }
    return [vals[f] for f in FEATURE_NAMES]


def test_page_features_match_a_plain_per_page_computation(tables) -> None:
    ls, lt = tables
    pages = random_pages(40, seed=1)
    pages.insert(3, np.zeros((0, len(LABELS))))  # an empty page gets zeros and breaks nothing
    final = np.zeros((len(pages), ls.shape[0]))
    decoded = decode.viterbi_batch(pages, PRIOR, ls, lt, final_scores=final)
    assert any((d == CO).any() for d in decoded) and any(d.size and not (d == CO).any() for d in decoded)
    margins = page_gate.margin(final)
    # The margin is Viterbi's own decision seen from the page: positive exactly when it put a thread.
    assert all((m > 0) == bool((d == CO).any()) for m, d in zip(margins, decoded) if d.size)
    F = page_gate.page_features(pages, decoded, margins)
    assert F.shape == (len(pages), len(FEATURE_NAMES))
    assert not F[3].any()
    for i, (p, d) in enumerate(zip(pages, decoded)):
        if len(p):
            np.testing.assert_allclose(F[i], naive_features(p, d, margins[i]), rtol=1e-9, atol=1e-9,
                                       err_msg=f"page {i}")


def constant_gate(prob: float, off: float, on: float) -> PageGate:
    """A gate whose probability is ``prob`` on every page (all weight in the intercept)."""
    k = len(FEATURE_NAMES)
    return PageGate(np.zeros(k), np.ones(k), np.zeros(k), float(np.log(prob / (1 - prob))), off, on)


def test_apply_drops_forces_or_keeps(tables) -> None:
    ls, lt = tables
    pages = random_pages(50, seed=2)
    free = decode.viterbi_batch(pages, PRIOR, ls, lt)
    has = np.array([(d == CO).any() for d in free])
    assert has.any() and (~has).any()
    kept = constant_gate(0.5, off=0.3, on=0.7).apply(pages, list(free), PRIOR, ls, lt)
    assert all(np.array_equal(a, b) for a, b in zip(kept, free))
    dropped = constant_gate(0.01, off=0.3, on=0.7).apply(pages, list(free), PRIOR, ls, lt)
    assert not any((d == CO).any() for d in dropped)
    assert all(np.array_equal(a, b) for a, b, h in zip(dropped, free, has) if not h)  # only threads change
    forced = constant_gate(0.99, off=0.3, on=0.7).apply(pages, list(free), PRIOR, ls, lt)
    assert all((d == CO).any() for d in forced)
    # decode() (what the classifier calls) = Viterbi then apply().
    via = constant_gate(0.99, off=0.3, on=0.7).decode(pages, PRIOR, ls, lt)
    assert all(np.array_equal(a, b) for a, b in zip(via, forced))
    assert all(np.array_equal(a, b) for a, b, h in zip(forced, free, has) if h)
    # A comment bias on forced pages widens the forced section (never narrows it).
    wide = constant_gate(0.99, off=0.3, on=0.7)
    wide.bias = 3.0
    widened = wide.apply(pages, list(free), PRIOR, ls, lt)
    assert sum(int((d == CO).sum()) for d in widened) > sum(int((d == CO).sum()) for d in forced)
    # Extension: sure pages that have a thread are decoded again with a comment bias (earlier start).
    ext = constant_gate(0.99, off=0.3, on=1.01)
    ext.extend, ext.extend_bias = 0.9, 1.0
    extended = ext.apply(pages, list(free), PRIOR, ls, lt)
    assert all(np.array_equal(a, b) for a, b, h in zip(extended, free, has) if not h)
    firsts = [(np.flatnonzero(a == CO)[0], np.flatnonzero(b == CO)[0]) for a, b, h in zip(extended, free, has) if h]
    assert all(x <= y for x, y in firsts) and any(x < y for x, y in firsts)


def test_gate_file_round_trip_and_errors(tmp_path: Path) -> None:
    g = constant_gate(0.8, 0.2, 0.7)
    g.model_sha256, g.bias, g.extend, g.extend_bias = "ab" * 32, 0.5, 0.9, 0.25
    path = tmp_path / "m.gate.json"
    g.save(path)
    back = PageGate.load(path, "ab" * 32)
    fields = ("off", "on", "bias", "extend", "extend_bias", "intercept")
    assert [getattr(back, f) for f in fields] == [getattr(g, f) for f in fields]
    np.testing.assert_array_equal(back.coef, g.coef)
    with pytest.raises(PageGateError, match="fitted for model"):
        PageGate.load(path, "cd" * 32)
    good = path.read_text()
    for change, msg in (({"version": 99}, "version 99"), ({"features": ["x"]}, "features differ"),
                        ({"coef": [1.0]}, "finite numbers"), ({"scale": [0.0] * len(FEATURE_NAMES)}, "scale"),
                        ({"format": "other"}, "not a newswinnow-page-gate"), ({"on": "high"}, "malformed")):
        h = json.loads(good)
        h.update(change)
        path.write_text(json.dumps(h))
        with pytest.raises(PageGateError, match=msg):
            PageGate.load(path)
    path.write_text("{not json")
    with pytest.raises(PageGateError, match="unreadable"):
        PageGate.load(path)


def test_gate_path_beside_the_model() -> None:
    assert page_gate.gate_path(Path("d/model-text.json")) == Path("d/model-text.gate.json")
    assert page_gate.gate_path(Path("d/model-text")) == Path("d/model-text.gate.json")


@pytest.mark.skipif(not (DATA / "model-text.gate.json").exists(), reason="no shipped gate")
def test_shipped_gate_belongs_to_the_shipped_model_and_old_models_still_load(tmp_path: Path) -> None:
    from classifier.api import Classifier

    clf = Classifier.load(DATA / "model-text.json")
    assert clf.model.page_gate is not None and clf.model.page_gate.model_sha256 == clf.model.sha256
    # A model without a gate file (older models, user-trained ones) decodes as before.
    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"model-text{suffix}", tmp_path / f"model-text{suffix}")
    bare = Classifier.load(tmp_path / "model-text.json")
    assert bare.model.page_gate is None
    assert bare.classify_text("Hello.\nA line.").labels
    # A gate of another model beside it is refused with a clear error, not used silently.
    h = json.loads((DATA / "model-text.gate.json").read_text())
    h["model_sha256"] = "0" * 64
    (tmp_path / "model-text.gate.json").write_text(json.dumps(h))
    with pytest.raises(PageGateError, match="refit"):
        Classifier.load(tmp_path / "model-text.json")


def synthetic_oof(path: Path, n_pages: int = 240, seed: int = 0) -> None:
    """An oof file shaped like `newswinnow train --save-oof`'s: articles, some with a thread,
    logits that mostly point at the gold label; short threads are the hard cases."""
    rng = np.random.default_rng(seed)
    ys, kinds, groups = [], [], []
    for i in range(n_pages):
        art = [BO] * int(rng.integers(0, 3)) + [ED] * int(rng.integers(4, 15))
        thread = [CO] * int(rng.integers(1, 8)) if i % 2 else []
        ys.append(np.array(art + thread + [BO] * int(rng.integers(0, 2))))
        kinds.append(("dragnet/gold", "dragnet/full", "cleaneval")[i % 3])
        groups.append(f"site{i % 40}")
    y = np.concatenate(ys)
    logits = rng.normal(0.0, 1.0, (len(y), len(LABELS))).astype(np.float32)
    logits[np.arange(len(y)), y] += 2.0
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in ys])])
    np.savez(path, logits=logits, y=y, offsets=offsets, kinds=np.array(kinds), groups=np.array(groups))


def test_fit_script_writes_a_gate_that_loads_for_its_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from classifier.model import BlockModel
    from training import page_gate as fit

    oof = tmp_path / "oof.npz"
    synthetic_oof(oof)
    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"model-text{suffix}", tmp_path / f"model-text{suffix}")
    model = tmp_path / "model-text.json"
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# card\n\n## Page gate (an old gate)\n\n| stale |\n\n## Later section\n\nkept\n")
    res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model),
                                        "--metrics-json", str(tmp_path / "m.json"), "--card", str(card)])
    assert res.exit_code == 0, res.output
    text = card.read_text()
    # the old section is replaced, what follows it is kept, the table is the run's own
    assert "stale" not in text and text.count("## Page gate") == 1 and text.endswith("## Later section\n\nkept\n")
    assert "outer folds = the 5 folds" in text and "| dragnet/full | 80 |" in text
    gate = page_gate.load_for(model, BlockModel.load(model).sha256)
    assert gate is not None and 0.0 <= gate.off <= gate.on
    rows = {r["kind"]: r for r in json.loads((tmp_path / "m.json").read_text())["nested_cv"]}
    assert set(rows) == {"dragnet/gold", "dragnet/full", "cleaneval", "all"}
    # The guard: settings never lower a guarded rendering's figures in the inner CV, and the
    # reported outer figures are computed, not copied (before and after are both there).
    assert all(0.0 <= r["after"]["has_comments"] <= 1.0 for r in rows.values())
    # An oof file whose page count does not match its groups is refused with a clear message.
    d = dict(np.load(oof))
    d["groups"] = d["groups"][:-1]
    np.savez(oof, **d)
    res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model), "--no-nested"])
    assert res.exit_code != 0 and "page groups" in res.output


def test_transition_scale_is_the_decoders_weight_and_old_files_default_to_one(tables, tmp_path: Path) -> None:
    ls, lt = tables
    pages = random_pages(40, seed=5)
    neutral = constant_gate(0.5, off=0.0, on=1.01)  # never overrules: only the scale acts
    neutral.transition_scale = 3.0
    scaled = decode.viterbi_batch(pages, PRIOR, ls, lt * 3.0)
    got = neutral.decode(pages, PRIOR, ls, lt)
    assert all(np.array_equal(a, b) for a, b in zip(got, scaled))
    plain = decode.viterbi_batch(pages, PRIOR, ls, lt)
    assert any(not np.array_equal(a, b) for a, b in zip(plain, scaled))  # the scale does act here
    f = tmp_path / "g.gate.json"
    neutral.save(f)
    assert PageGate.load(f).transition_scale == 3.0
    h = json.loads(f.read_text())
    del h["transition_scale"]  # a gate written before the field: the plain table
    f.write_text(json.dumps(h))
    assert PageGate.load(f).transition_scale == 1.0
    f.write_text(json.dumps(dict(h, transition_scale=0.0)))
    with pytest.raises(PageGateError, match="transition_scale > 0"):
        PageGate.load(f)


def test_apply_gate_reports_a_fitted_gate_without_fitting(tmp_path: Path) -> None:
    """`--apply-gate`: a neutral gate leaves plain Viterbi's figures; one that drops every thread
    reports no comment anywhere; a gate of another model is refused."""
    from click.testing import CliRunner

    from classifier.model import BlockModel
    from training import page_gate as fit

    oof = tmp_path / "oof.npz"
    synthetic_oof(oof)
    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"model-text{suffix}", tmp_path / f"model-text{suffix}")
    model = tmp_path / "model-text.json"
    sha = BlockModel.load(model).sha256
    rows = {}
    for name, prob, on in (("neutral", 0.5, 1.01), ("drop", 0.01, 1.01)):
        gate = constant_gate(prob, off=0.3 if name == "drop" else 0.0, on=on)
        gate.model_sha256 = sha
        gate.save(tmp_path / f"{name}.gate.json")
        res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model), "--apply-gate",
                                            str(tmp_path / f"{name}.gate.json"),
                                            "--metrics-json", str(tmp_path / f"{name}.json")])
        assert res.exit_code == 0, res.output
        rows[name] = {r["kind"]: r for r in json.loads((tmp_path / f"{name}.json").read_text())["apply_gate"]}
    for kind in ("dragnet/gold", "dragnet/full", "all"):
        before = rows["neutral"][kind]["before"]
        assert before["has_comments"] > 0.5 and rows["neutral"][kind]["after"] == before
        assert rows["drop"][kind]["before"] == before
        assert rows["drop"][kind]["after"]["has_comments"] == 0.0 and rows["drop"][kind]["after"]["comment"] == 0.0
        # Where threads start: unchanged by the neutral gate, nowhere once every thread is dropped.
        start_before, start_after = rows["neutral"][kind]["start"]
        assert start_after == start_before and 0.0 < start_before["exact"] <= start_before["near"] <= 1.0
        assert rows["drop"][kind]["start"][1] == {"exact": 0.0, "near": 0.0}
    other = constant_gate(0.5, off=0.0, on=1.01)
    other.model_sha256 = "0" * 64
    other.save(tmp_path / "other.gate.json")
    res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model), "--apply-gate",
                                        str(tmp_path / "other.gate.json")])
    assert res.exit_code != 0 and "refit" in str(res.exception or res.output)


def test_card_section_is_appended_when_the_card_has_none(tmp_path: Path) -> None:
    from training.page_gate import write_card_section

    card = tmp_path / "c.md"
    card.write_text("# card\n\nWithout decoding: macro-F1 0.865.\n")
    write_card_section(card, "## Page gate (x)\n\ntable\n")
    assert card.read_text() == "# card\n\nWithout decoding: macro-F1 0.865.\n\n## Page gate (x)\n\ntable\n"
    write_card_section(card, "## Page gate (y)\n\nnew\n")  # a second fit replaces the first
    assert card.read_text().endswith("0.865.\n\n## Page gate (y)\n\nnew\n")


def test_start_hits_counts_exact_near_and_missed_threads() -> None:
    """Thread-start accuracy over the pages with a gold thread: exact, within START_TOLERANCE,
    a missed thread against both; pages without a gold thread are not counted."""
    from types import SimpleNamespace

    from training.page_gate import START_TOLERANCE, start_hits

    E_, C_ = 0, 1
    ys = [np.array([E_, E_, C_, C_]), np.array([E_, E_, E_, C_, C_]), np.array([E_, C_, C_]), np.array([E_, E_])]
    labels = [np.array([E_, E_, C_, C_]),            # exact
              np.array([E_, E_, E_, E_, C_]),        # one block late
              np.array([E_, E_, E_]),                # missed
              np.array([E_, C_])]                    # no gold thread: not counted
    oof = SimpleNamespace(ys=ys, gold_has=np.array([True, True, True, False]))
    got = start_hits(oof, labels, np.arange(4))
    assert START_TOLERANCE == 1 and got == {"exact": 1 / 3, "near": 2 / 3}
    assert start_hits(oof, labels, np.array([3])) == {"exact": 0.0, "near": 0.0}


def test_max_loss_lets_a_setting_trade_a_small_loss_for_a_gain() -> None:
    """``select`` refuses a setting that lowers any guarded rendering's figure unless
    ``max_loss`` allows that much: forcing threads here finds every gold thread (has_comments and
    comment F1 from 0 to 1) but costs full pages a little editorial F1 (1.0 -> 0.947)."""
    from types import SimpleNamespace

    from training import page_gate as fit

    n = 40
    gold_has = np.arange(n) % 2 == 1
    kinds = np.array(["dragnet/gold"] * 20 + ["dragnet/full"] * 20)
    oof = SimpleNamespace(n=n, groups=np.array([f"site{i % 8}" for i in range(n)]), kinds=kinds, gold_has=gold_has)
    counts = np.zeros((len(fit.MODES), n, 6))
    counts[:, :, 3] = 10.0  # editorial tp on every page, in every mode
    counts[:, gold_has, 2] = 5.0  # free / article decodes miss the thread's 5 comment blocks
    pred_has = np.zeros((len(fit.MODES), n), dtype=bool)
    for m, key in enumerate(fit.MODES):
        if key.startswith("thread"):
            counts[m, gold_has] = (5.0, 0.0, 0.0, 10.0, 0.0, 0.0)
            counts[m, gold_has & (kinds == "dragnet/full")] = (5.0, 0.0, 0.0, 9.0, 0.0, 1.0)
            pred_has[m] = True
    rng = np.random.default_rng(0)
    F = (gold_has + rng.normal(0.0, 0.05, n))[:, None]
    has = np.zeros(n, dtype=bool)  # Viterbi put no thread anywhere
    plain = fit.objective(fit.evaluate(oof, (counts, pred_has), np.arange(n)))  # 0 + 0 + 1
    strict = fit.select(oof, (counts, pred_has), F, has, np.arange(n), folds=4)
    assert strict["objective"] == pytest.approx(plain)  # forces nothing: full pages' editorial F1 would fall
    loose = fit.select(oof, (counts, pred_has), F, has, np.arange(n), folds=4, max_loss=0.1)
    assert loose["on"] <= 1.0 and loose["objective"] > plain + 1.0  # threads found: has_comments and comment up


def test_content_only_pages_do_not_shape_the_gate(tmp_path: Path) -> None:
    """Pages of a corpus trained with pseudo content labels (``train --content-labels pseudo`` saves
    ``content_only``) have no article/comment gold: their labels must not move the temperature, the
    fold tables or the gate. Their threads relabelled as article give the same gate, byte for byte."""
    from click.testing import CliRunner

    from training import page_gate as fit

    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"model-text{suffix}", tmp_path / f"model-text{suffix}")
    model = tmp_path / "model-text.json"
    oof = tmp_path / "oof.npz"
    synthetic_oof(oof)
    d = dict(np.load(oof))
    content_only = d["kinds"] == "cleaneval"
    d["content_only"] = content_only
    gates = []
    for relabel in (False, True):
        y = d["y"].copy()
        if relabel:
            rows = np.repeat(content_only, np.diff(d["offsets"]))
            y[rows & (y == CO)] = ED
        np.savez(oof, **{**d, "y": y})
        out = tmp_path / f"gate{int(relabel)}.json"
        res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model), "--no-nested", "--out", str(out)])
        assert res.exit_code == 0, res.output
        gate = json.loads(out.read_text())
        assert gate["meta"]["pages"] == int((~content_only).sum())
        gate["meta"].pop("command")
        gates.append(gate)
    assert gates[0] == gates[1]
    # Without the marks the same relabelling moves what the gate is fitted on (the test can fail).
    del d["content_only"]
    np.savez(oof, **d)
    base = fit.Oof(oof, None)
    np.savez(oof, **{**d, "y": np.where(np.repeat(content_only, np.diff(d["offsets"])) & (d["y"] == CO), ED, d["y"])})
    assert not np.array_equal(fit.Oof(oof, None).gold_has, base.gold_has)
