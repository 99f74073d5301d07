"""The compiled page reductions (classifier/_pages_ext.pyx) give their numpy twins' output, bit for bit.

``page_gate.page_features``, ``decode.furniture_pages`` and ``scores.batch_scores`` are called with
the kernel and with it switched off, on random pages of every length around numpy's pairwise
summation block sizes (8, 128, 256), on awkward ones (empty pages, one block, ties, probabilities
at 0, 1 and the comment-ish threshold, non-finite values) and on the bench pages' own model output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_pages

from classifier import decode, page_gate, scores
from classifier.model import LABELS
from features import ext

ROOT = Path(__file__).resolve().parents[1]
MODULE = "classifier._pages_ext"
# Page lengths around the pairwise summation's plain-loop (8), block (128) and halving sizes.
LENGTHS = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 300, 1000, 0, 5]


def needs(name: str):
    """The compiled module, or skip (tests/test_ext.py checks that CI builds every kernel)."""
    mod = ext.load(name)
    if mod is None:
        pytest.skip(f"{name} is not built (no C compiler at install, or {ext.PURE_ENV} set)")
    return mod


def _probas(rng: np.random.Generator, lengths: list[int], spread: float = 3.0) -> list[np.ndarray]:
    out = []
    for n in lengths:
        p = np.exp(rng.normal(size=(n, len(LABELS))) * spread)
        out.append(p / p.sum(axis=1, keepdims=True))
    return out


def _decoded(rng: np.random.Generator, probas: list[np.ndarray]) -> list[np.ndarray]:
    """Random paths: some pages without a comment, some starting with one, some ending in one."""
    out = []
    for i, p in enumerate(probas):
        d = rng.integers(0, len(LABELS), size=p.shape[0]).astype(np.int64)
        if i % 3 == 0:
            d[d == LABELS.index("comment")] = LABELS.index("editorial")
        out.append(d)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _features_both(monkeypatch: pytest.MonkeyPatch, probas, decoded, margins) -> tuple[np.ndarray, np.ndarray]:
    got = page_gate.page_features(probas, decoded, margins)
    with monkeypatch.context() as m:
        m.setattr(page_gate, "_PAGES", None)
        want = page_gate.page_features(probas, decoded, margins)
    return got, want


@pytest.mark.parametrize("seed", range(6))
def test_page_features_random(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(MODULE)
    rng = np.random.default_rng(seed)
    lengths = list(rng.permutation(LENGTHS)) + rng.integers(0, 40, size=30).tolist()
    probas = _probas(rng, lengths, spread=[0.3, 3.0, 12.0][seed % 3])
    decoded = _decoded(rng, probas)
    margins = rng.normal(size=len(probas)) * 10
    margins[::7] = [np.inf, -np.inf, np.nan, 0.0][: len(margins[::7])] if len(margins[::7]) <= 4 else np.nan
    for mg in (margins, None):
        got, want = _features_both(monkeypatch, probas, decoded, mg)
        _same(got, want)


def test_page_features_awkward(monkeypatch: pytest.MonkeyPatch) -> None:
    needs(MODULE)
    k = len(LABELS)
    c = LABELS.index("comment")
    flat = np.full((9, k), 1.0 / k)  # ties everywhere: first maximum, first best suffix
    hard = np.eye(k)[np.arange(12) % k]  # exact 0 and 1 (clipped before the log-odds)
    edge = np.full((5, k), 0.5 / (k - 1))
    edge[:, c] = 0.5  # exactly the comment-ish threshold (not above it)
    cases = [
        ([], []),
        ([np.zeros((0, k))], [np.zeros(0, dtype=np.int64)]),
        ([flat[:1]], [np.array([c])]),
        ([flat[:1]], [np.array([0])]),
        ([flat, hard, edge], [np.full(9, c), np.arange(12) % k, np.array([0, 0, 0, 0, c])]),
        ([hard[:3], np.zeros((0, k)), flat],
         [np.array([c, c, 0]), np.zeros(0, dtype=np.int64), np.zeros(9, dtype=np.int64)]),
    ]
    for probas, decoded in cases:
        got, want = _features_both(monkeypatch, probas, [np.asarray(d, dtype=np.int64) for d in decoded],
                                   np.zeros(len(probas)))
        _same(got, want)
    # float32 probabilities and int32 paths take the numpy form (or the kernel after a cast): same.
    rng = np.random.default_rng(5)
    probas = _probas(rng, [3, 0, 20])
    decoded = _decoded(rng, probas)
    got, want = _features_both(monkeypatch, [p.astype(np.float32) for p in probas],
                               [d.astype(np.int32) for d in decoded], None)
    _same(got, want)


def test_page_features_non_finite_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A NaN or inf probability: the kernel declines and the numpy form answers (same NaN rows)."""
    mod = needs(MODULE)
    rng = np.random.default_rng(3)
    probas = _probas(rng, [4, 6, 3])
    probas[1][2, LABELS.index("spam")] = np.nan
    probas[2][0, LABELS.index("comment")] = np.inf
    decoded = _decoded(rng, probas)
    P = np.concatenate(probas)
    assert mod.page_features(P, np.concatenate(decoded), np.zeros(len(P)), np.array([4, 6, 3]), 0.5) is None
    got, want = _features_both(monkeypatch, probas, decoded, None)
    _same(got, want)


def test_kernel_declines_inconsistent_rows() -> None:
    mod = needs(MODULE)
    P = np.full((5, len(LABELS)), 0.25)
    D = np.zeros(5, dtype=np.int64)
    assert mod.page_features(P, D, np.zeros(5), np.array([2, 2]), 0.5) is None  # 4 rows != 5
    assert mod.page_features(P, D, np.zeros(5), np.array([5, 0]), 0.5) is None  # empty page
    assert mod.page_features(P, D[:4], np.zeros(5), np.array([5]), 0.5) is None
    one = np.zeros(1, dtype=np.int64)
    assert mod.rule_masses(one, np.ones(1), one + 1, 1, np.zeros(1), np.zeros(1, np.uint8), np.zeros(1, np.uint8),
                           30.0, 0.5, 2, 0) is None  # page out of range
    assert mod.rule_masses(one + 4, np.ones(1), one, 1, np.zeros(1), np.zeros(1, np.uint8), np.zeros(1, np.uint8),
                           30.0, 0.5, 2, 0) is None  # label out of range


@pytest.mark.parametrize("seed", range(4))
def test_furniture_pages(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(MODULE)
    rng = np.random.default_rng(100 + seed)
    probas = _probas(rng, list(rng.permutation(LENGTHS)), spread=[0.1, 1.0, 3.0, 10.0][seed])
    # Pages whose mean sits on the threshold, in values whose sum order matters.
    b = LABELS.index("boilerplate")
    for n in (1, 2, 10, 200):
        p = np.full((n, len(LABELS)), 0.5 / 3)
        p[:, b] = decode.POST_THREAD_MIN_BOILERPLATE
        probas.append(p)
        q = p.copy()
        q[:, b] = rng.permutation(np.linspace(0.1, 0.9, n)) if n > 1 else 0.5
        probas.append(q)
    # Means on the threshold to the last bit: the summation order decides (the kernel must sum
    # as np.mean does, or some of these flip).
    for _ in range(300):
        n = int(rng.integers(9, 300))
        p = np.full((n, len(LABELS)), 0.5 / 3)
        v = decode.POST_THREAD_MIN_BOILERPLATE + rng.normal(size=n) * 1e-3
        p[:, b] = v - (v.mean() - decode.POST_THREAD_MIN_BOILERPLATE)
        probas.append(p)
    got = decode.furniture_pages(probas)
    with monkeypatch.context() as m:
        m.setattr(decode, "_PAGES", None)
        want = decode.furniture_pages(probas)
    _same(got, want)
    assert decode.furniture_pages([]).shape == (0,)


def _scores_args(rng: np.random.Generator, lengths: list[int]) -> tuple:
    n = sum(lengths)
    page = np.repeat(np.arange(len(lengths)), lengths)
    texts = [("Source link" if i % 17 == 0 else "x" * int(rng.integers(0, 80))) for i in range(n)]
    lens = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lens[:-1] + 1, out=starts[1:])
    mt = rng.random(n) ** 3
    mt[::11] = 0.5  # exactly MT_BLOCK
    mt[::13] = 1.5  # clipped
    prof = rng.random(n).astype(np.float32)
    prof[::5] = 0.5
    dup = rng.random(n) < 0.2
    labels = rng.integers(0, len(LABELS), size=n).astype(np.int64)
    return (labels, lens, page, len(lengths), mt, dup, prof, "\n".join(texts), starts,
            np.zeros(len(lengths), dtype=bool), rng.random(len(lengths)))


def _scores_both(monkeypatch: pytest.MonkeyPatch, args: tuple) -> None:
    got = scores.batch_scores(*args)
    with monkeypatch.context() as m:
        m.setattr(scores, "_PAGES", None)
        want = scores.batch_scores(*args)
    assert got == want
    assert repr(got) == repr(want)  # float bits (repr is the shortest round-trip form)


@pytest.mark.parametrize("seed", range(4))
def test_batch_scores_random(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    needs(MODULE)
    rng = np.random.default_rng(200 + seed)
    _scores_both(monkeypatch, _scores_args(rng, list(rng.permutation(LENGTHS))))
    _scores_both(monkeypatch, _scores_args(rng, [0]))
    _scores_both(monkeypatch, _scores_args(rng, []))
    _scores_both(monkeypatch, _scores_args(rng, [1]))


def test_bench_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench pages' own model output through the gate and the page scores, kernel on and off."""
    needs(MODULE)
    from classifier import Classifier

    pages = bench_pages()
    recs = [{"id": p.id, "text": p.text} for p in pages[:400]]
    clf = Classifier.load(ROOT / "data/model-text.json")
    calls: list[tuple] = []
    gate_calls: list[tuple] = []
    orig_scores, orig_features = scores.batch_scores, page_gate.page_features
    orig_fields = scores.batch_fields  # what the classifier calls (batch_scores' arguments)

    def spy_scores(*a, **k):
        calls.append((a, k))
        return orig_fields(*a, **k)

    def spy_features(*a, **k):
        gate_calls.append((a, k))
        return orig_features(*a, **k)

    monkeypatch.setattr(scores, "batch_fields", spy_scores)
    monkeypatch.setattr(page_gate, "page_features", spy_features)
    on = [d.to_json() for d in clf.classify_many(recs)]
    assert calls and gate_calls
    for a, k in gate_calls:
        got, got_f = orig_features(*a, **k), decode.furniture_pages(a[0])
        with monkeypatch.context() as m:
            m.setattr(page_gate, "_PAGES", None)
            m.setattr(decode, "_PAGES", None)
            _same(got, orig_features(*a, **k))
            _same(got_f, decode.furniture_pages(a[0]))
    monkeypatch.setattr(scores, "batch_fields", orig_fields)
    for a, k in calls:
        got = orig_scores(*a, **k)
        with monkeypatch.context() as m:
            m.setattr(scores, "_PAGES", None)
            assert repr(got) == repr(orig_scores(*a, **k))
    with monkeypatch.context() as m:
        for mod in (page_gate, decode, scores):
            m.setattr(mod, "_PAGES", None)
        assert on == [d.to_json() for d in clf.classify_many(recs)]


def test_marker_first_letters() -> None:
    """The marker pre-scan's letters are the markers' first letters, with re.I's case folding
    (e.g. U+017F LONG S for s) the same in the class as in the markers' literals."""
    import re

    firsts = {rx[0] for _, rx, _ in scores.AUTOBLOG_MARKERS}
    assert firsts == set(scores.MARKER_FIRST_LETTERS)
    cls = re.compile("[" + scores.MARKER_FIRST_LETTERS + "]", re.I)
    lits = re.compile("|".join(sorted(firsts)), re.I)
    matched = set()
    for cp in range(0x110000):
        ch = chr(cp)
        assert bool(cls.match(ch)) == bool(lits.match(ch)), hex(cp)
        if cls.match(ch):
            matched.add(ch)
    assert matched == set(scores.MARKER_FIRST_CHARS)


# White space of every kind re's \s knows (and some it does not), the first letters and their
# case variants, near misses, and characters that make the text UCS-2 or UCS-4.
SCAN_ALPHABET = ["\n", "\n", " ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u1680", "\u2000",
                 "\u2028", "\u2029", "\u202f", "\u3000", "\u200b", "\ufeff", "s", "S", "\u017f", "h", "H", "u",
                 "U", "l", "L", "\u0130", "\u212a", "x", "\u00df", "\U0001f600", "\U00010400"]


@pytest.mark.parametrize("seed", range(4))
def test_line_starts_kernel(seed: int) -> None:
    mod = needs(MODULE)
    rng = np.random.default_rng(400 + seed)
    for n in [0, 1, 2, 5, 50, 2000]:
        for alphabet in (SCAN_ALPHABET[:9] + ["s", "h", "x"], SCAN_ALPHABET[:27], SCAN_ALPHABET):
            text = "".join(rng.choice(alphabet, size=n))
            got = mod.line_starts(text, scores.MARKER_FIRST_CHARS)
            want = [m.start() for m in scores._MARKER_CANDIDATE_RX.finditer(text)]
            assert got.dtype == np.int64 and got.tolist() == want


@pytest.mark.parametrize("seed", range(3))
def test_markers_per_page(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-stage marker scan finds AUTOBLOG_RX.finditer's matches, on lines built to be near misses."""
    rng = np.random.default_rng(300 + seed)
    pieces = ["Source link", "source  link", "SOURCE LINKS", "Home / Uncategorized", "home \u00bb uncategorised x",
              "Uncategorized", " \t uncategorized  ", "Source: Reuters", "Source: Reuters and AP", "Leave a Reply",
              "leave a comment ", "\u017fource link", "S\u0307ource link", "ſource: x", "Hello", "u", "l", "s",
              "text \nSource link", "\u00a0Leave a reply", "\u2028Source link", "\U0001f600 Source link", ""]
    texts = [str(rng.choice(pieces)) + ("\n" + str(rng.choice(pieces)) if rng.random() < 0.2 else "")
             for _ in range(300)]
    page = np.sort(rng.integers(0, 7, size=len(texts)))
    lens = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lens[:-1] + 1, out=starts[1:])
    doc = "\n".join(texts)
    got = scores._markers_per_page(doc, starts, page, 7)
    with monkeypatch.context() as m:
        m.setattr(scores, "_PAGES", None)
        _same(got, scores._markers_per_page(doc, starts, page, 7))
    found = [(m.start(), scores.MARKER_WEIGHT[m.lastgroup]) for m in scores.AUTOBLOG_RX.finditer("\n" + doc)]
    blocks = np.searchsorted(starts, np.array([f[0] for f in found], dtype=np.int64), side="right") - 1
    want = np.bincount(page[blocks], weights=[f[1] for f in found], minlength=7)
    assert len(found) > 20
    _same(got, want)


def test_quality_and_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quality (product, clip, round half to even at 4 places) and reasons (largest penalty
    first, ties in rule order), kernel against numpy; NaN penalties go to the numpy form."""
    needs(MODULE)
    rng = np.random.default_rng(500)
    k = len(scores.RULE_NAMES)
    pens = [rng.random((200, k)) * scores._MAX_PEN,
            np.where(rng.random((200, k)) < 0.6, 0.0, rng.choice([0.1, 0.2, 0.35], size=(200, k))),  # ties
            np.zeros((3, k)), np.zeros((0, k)),
            scores.penalties(rng.random((300, k)) * 2.0)]
    # Qualities on a rounding boundary: 1 - pen = (j + 0.5) / 10**4 exactly representable or not.
    edge = np.zeros((400, k))
    edge[:, 0] = 1.0 - (np.arange(400) + 0.5) / 10**scores.ROUND
    edge[:200, 1] = 1.0 - 0.5 ** rng.integers(1, 12, size=200)
    pens.append(edge)
    nan = rng.random((4, k))
    nan[2, 3] = np.nan
    pens.append(nan)
    for pen in pens:
        got = scores._quality_and_reasons(pen)
        with monkeypatch.context() as m:
            m.setattr(scores, "_PAGES", None)
            want = scores._quality_and_reasons(pen)
        _same(got[0], want[0])
        assert got[1] == want[1]
