"""Thread-start refinement: fixed-start decoding, candidate features, moves, the scorer file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_decode import BO, CO, ED, PRIOR
from test_decode import SEQUENCES as DECODE_SEQUENCES

from classifier import decode, thread_start
from classifier.model import LABELS
from classifier.thread_start import FEATURE_NAMES, ThreadStart, ThreadStartError

SEQUENCES = DECODE_SEQUENCES[:3]  # the hand-made gold pages without the spam-in-article one
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def tables() -> tuple[np.ndarray, np.ndarray]:
    return decode.fit_transitions(SEQUENCES)


def page(labels: list[int], sure: float = 0.9) -> np.ndarray:
    """Probabilities that put ``sure`` on each block's label and spread the rest."""
    p = np.full((len(labels), len(LABELS)), (1.0 - sure) / (len(LABELS) - 1))
    p[np.arange(len(labels)), labels] = sure
    return p


def random_pages(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.full(len(LABELS), 0.5), size=int(rng.integers(1, 40))) for _ in range(n)]


def test_fixed_start_begins_the_thread_exactly_there(tables) -> None:
    ls, lt = tables
    pages = random_pages(50)
    starts = [int(np.random.default_rng(i).integers(0, p.shape[0] + 1)) for i, p in enumerate(pages)]
    for p, s, lab in zip(pages, starts, decode.viterbi_fixed_start(pages, starts, PRIOR, ls, lt)):
        assert lab.shape == (p.shape[0],)
        if s < p.shape[0]:
            assert lab[s] == CO and not (lab[:s] == CO).any()
        else:
            assert not (lab == CO).any()
    # Fixing the start where a thread-forced Viterbi put it changes nothing before it, and the
    # blocks from it on are the best thread-phase path (the thread-forced decode's, here).
    forced = decode.viterbi_batch(pages, PRIOR, ls, lt, end_states=decode.THREAD_END)
    v = [int(np.argmax(f == CO)) for f in forced]
    again = decode.viterbi_fixed_start(pages, v, PRIOR, ls, lt)
    same = sum(np.array_equal(a, f) for a, f in zip(again, forced))
    assert same >= 45  # the omitted entry transition may tip a near tie on a few random pages


def test_candidate_features_match_a_plain_reference() -> None:
    pages = random_pages(30, seed=3)
    decoded = [np.where(np.arange(p.shape[0]) >= p.shape[0] // 2, CO, ED) for p in pages]
    w = 5
    ids, v, s, F = thread_start.candidates(pages, decoded, w)
    assert ids.tolist() == [i for i, d in enumerate(decoded) if (d == CO).any()]
    col = {f: k for k, f in enumerate(FEATURE_NAMES)}
    for r, i in enumerate(ids.tolist()):
        p, n = pages[i], pages[i].shape[0]
        assert v[r] == n // 2
        lo = np.log(np.clip(p[:, CO], thread_start.LOG_CLIP, 1)) - np.log(np.clip(p[:, ED], thread_start.LOG_CLIP, 1))
        for j, d in enumerate(range(-w, w + 1)):
            c = v[r] + d
            if not 0 <= c < n:
                assert s[r, j] == -1
                continue
            assert s[r, j] == c
            gain = lo[c: v[r]].sum() if d < 0 else -lo[v[r]: c].sum()
            assert F[r, j, col["gain_ce"]] == pytest.approx(np.tanh(gain / thread_start.GAIN_SCALE))
            assert F[r, j, col["comment_at"]] == p[c, CO]
            assert F[r, j, col["comment_before"]] == (p[c - 1, CO] if c else 0.0)
            after = p[c: c + thread_start.NEAR_BLOCKS, CO].mean()
            assert F[r, j, col["comment_after_mean"]] == pytest.approx(after)
            assert F[r, j, col["is_viterbi"]] == (d == 0)
            assert F[r, j, col["decoded_comment_at"]] == (decoded[i][c] == CO)


def half_believed() -> np.ndarray:
    """A comment the network half-believes: editorial 0.55, comment 0.4."""
    row = np.full(len(LABELS), 0.025)
    row[ED], row[CO] = 0.55, 0.4
    return row


def scorer_on(feature: str, weight: float, window: int = 6, margin: float = 0.5) -> ThreadStart:
    k = len(FEATURE_NAMES)
    coef = np.zeros(k)
    coef[FEATURE_NAMES.index(feature)] = weight
    return ThreadStart(np.zeros(k), np.ones(k), coef, 0.0, window, margin, model_sha256="ab" * 32)


def test_layer_moves_a_late_start_earlier(tables) -> None:
    ls, lt = tables
    # An article of 10 blocks, then 4 comments the network half-believes (p_comment 0.4 against
    # editorial 0.55: Viterbi keeps them in the article), then sure comments.
    labels = [ED] * 10 + [CO] * 4 + [CO] * 8
    p = page(labels, 0.9)
    p[10:14] = half_believed()
    viterbi = decode.viterbi_batch([p], PRIOR, ls, lt)[0]
    assert int(np.argmax(viterbi == CO)) == 14
    # A scorer that trusts the comment evidence handed over moves the start to block 10.
    out = scorer_on("contrast_ce", 20.0).refine([p], [viterbi], PRIOR, ls, lt)[0]
    assert int(np.argmax(out == CO)) == 10 and not (out[:10] == CO).any()
    assert (out[10:] == CO).all()
    # One that is not sure enough (margin above its best gain) leaves the page alone.
    kept = scorer_on("contrast_ce", 20.0, margin=1e9).refine([p], [viterbi], PRIOR, ls, lt)[0]
    assert np.array_equal(kept, viterbi)
    # Pages without a decoded thread are never touched (no thread is opened).
    plain = page([ED] * 12)
    assert np.array_equal(scorer_on("contrast_ce", 20.0).refine([plain], [np.full(12, ED)], PRIOR, ls, lt)[0],
                          np.full(12, ED))


def test_window_bounds_the_move(tables) -> None:
    ls, lt = tables
    labels = [ED] * 10 + [CO] * 12
    p = page(labels, 0.9)
    p[2:14] = half_believed()
    viterbi = decode.viterbi_batch([p], PRIOR, ls, lt)[0]
    v = int(np.argmax(viterbi == CO))
    out = scorer_on("contrast_ce", 20.0, window=3).refine([p], [viterbi], PRIOR, ls, lt)[0]
    assert int(np.argmax(out == CO)) == v - 3


def test_file_round_trip_and_refusals(tmp_path) -> None:
    s = scorer_on("comment_at", 1.5, window=7, margin=0.25)
    f = tmp_path / "m.start.json"
    s.save(f)
    back = ThreadStart.load(f, "ab" * 32)
    assert np.array_equal(back.coef, s.coef) and back.window == 7 and back.margin == 0.25
    with pytest.raises(ThreadStartError, match="fitted for model sha256"):
        ThreadStart.load(f, "cd" * 32)
    h = json.loads(f.read_text())
    for key, value, msg in (("version", 99, "version 99"), ("features", ["x"], "features differ"),
                            ("window", 0, "window 0"), ("window", 1.5, "window 1.5"),
                            ("coef", [1.0], "finite numbers"), ("format", "x", "not a newswinnow-thread-start")):
        bad = dict(h, **{key: value})
        f.write_text(json.dumps(bad))
        with pytest.raises(ThreadStartError, match=msg):
            ThreadStart.load(f)
    f.write_text("{not json")
    with pytest.raises(ThreadStartError, match="unreadable"):
        ThreadStart.load(f)
    assert thread_start.start_path(Path("x/model-text.json")) == Path("x/model-text.start.json")


def test_classifier_loads_a_scorer_for_its_model_and_refuses_another(tmp_path) -> None:
    from classifier.api import Classifier
    from classifier.model import BlockModel, ModelError

    for name in ("model-text.json", "model-text.npz"):
        shutil.copy(DATA / name, tmp_path / name)
    model = tmp_path / "model-text.json"
    sha = BlockModel.load(model).sha256
    # Without a scorer file the model decodes as before.
    assert Classifier.load(model).model.thread_start is None
    text = "\n".join(["The council approved the budget on Monday, officials said."] * 6
                     + ["I think this is a terrible idea, who pays for it?", "Agreed. Typical council."] * 3)
    before = Classifier.load(model).classify_text(text)
    s = scorer_on("contrast_ce", 1.0, window=4, margin=1e9)  # never moves: output unchanged
    s.model_sha256 = sha
    s.save(thread_start.start_path(model))
    clf = Classifier.load(model)
    assert clf.model.thread_start is not None and clf.model.thread_start.window == 4
    assert clf.classify_text(text).labels == before.labels
    # The same scorer beside another model is refused with a clear error.
    s.model_sha256 = "0" * 64
    s.save(thread_start.start_path(model))
    with pytest.raises(ModelError, match="thread-start scorer was fitted for model sha256"):
        Classifier.load(model)


def test_the_fit_script_writes_only_what_wins() -> None:
    from training.thread_start import wins

    def row(kind: str, before: tuple, after: tuple) -> dict:
        keys = ("has_comments", "editorial", "comment")
        return {"kind": kind, "with_comments": 1, "before": dict(zip(keys, before)), "after": dict(zip(keys, after))}

    up = [row("dragnet/bodies", (0.8, 0.77, 0.86), (0.8, 0.79, 0.87)), row("all", (0.9, 0.82, 0.88), (0.9, 0.83, 0.89))]
    assert wins(up)[0]
    flat = [row("dragnet/bodies", (0.8, 0.77, 0.86), (0.8, 0.771, 0.86)), row("all", (0.9, 0.82, 0.88),
                                                                            (0.9, 0.8205, 0.88))]
    assert not wins(flat)[0] and "gain" in wins(flat)[1]
    loses = [row("cleaneval", (0.0, 0.83, 0.0), (0.0, 0.82, 0.0)), *up]
    assert not wins(loses)[0] and "cleaneval editorial" in wins(loses)[1]


def synthetic_oof(path: Path, n_pages: int = 200, seed: int = 0) -> None:
    """An oof file shaped like `newswinnow train --save-oof`'s, whose threads' first comments the
    logits half-believe (the late starts the layer is for)."""
    rng = np.random.default_rng(seed)
    ys, kinds, groups, soft = [], [], [], []
    for i in range(n_pages):
        art = [BO] * int(rng.integers(0, 3)) + [ED] * int(rng.integers(4, 15))
        thread = [CO] * int(rng.integers(3, 10)) if i % 2 else []
        ys.append(np.array(art + thread))
        soft.append(np.array([0] * len(art) + [1] * min(len(thread), int(rng.integers(0, 4))) + [0] * max(
            0, len(thread) - 3))[: len(art) + len(thread)])
        kinds.append(("dragnet/gold", "dragnet/bodies", "cleaneval")[i % 3])
        groups.append(f"site{i % 40}")
    y = np.concatenate(ys)
    logits = rng.normal(0.0, 0.5, (len(y), len(LABELS))).astype(np.float32)
    logits[np.arange(len(y)), y] += 3.0
    s = np.concatenate([np.pad(v, (0, len(w) - len(v))) for v, w in zip(soft, ys)]).astype(bool)
    logits[s, ED] += 3.3  # a half-believed comment: editorial a little ahead
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in ys])])
    np.savez(path, logits=logits, y=y, offsets=offsets, kinds=np.array(kinds), groups=np.array(groups))


def test_fit_script_writes_a_scorer_that_loads_for_its_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from classifier.model import BlockModel
    from training import thread_start as fit

    oof = tmp_path / "oof.npz"
    synthetic_oof(oof)
    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"model-text{suffix}", tmp_path / f"model-text{suffix}")
    model = tmp_path / "model-text.json"
    res = CliRunner().invoke(fit.main, ["--oof", str(oof), "--model", str(model),
                                        "--metrics-json", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    scorer = thread_start.load_for(model, BlockModel.load(model).sha256)
    assert scorer is not None and scorer.window in fit.WINDOW_GRID
    report = json.loads((tmp_path / "m.json").read_text())
    rows = {r["kind"]: r for r in report["nested_cv"]}
    assert set(rows) == {"dragnet/gold", "dragnet/bodies", "cleaneval", "all"}
    # The late starts are there to be found: the chosen settings move some (a margin, not "never"),
    # and the outer folds' comment F1 does not fall.
    assert report["written"] and report["margin"] < 1e8
    assert rows["all"]["after"]["comment"] >= rows["all"]["before"]["comment"]
