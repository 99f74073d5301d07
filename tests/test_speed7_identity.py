"""Session 7's speed rewrites give bit-identical results to the code they replaced.

``reference_viterbi_batch`` and ``reference_logits`` below are ``decode.viterbi_batch`` and
``BlockModel.logits`` as they were before the rewrite (per-page emission logs, a numpy gather
per backtracking step; ``nan_to_num`` and ``h @ w + b``). The new code must return the same
labels, the same final scores and the same float32 logits bit for bit: on random pages with
many exact ties (probabilities on a coarse grid), with end-state masks, several groups, and on
feature rows holding NaN and infinities.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_decode import SEQUENCES

from classifier import decode
from classifier.decode import _STATE_LABEL, MIN_PROBA, PRIOR_WEIGHT, TRANSITION_WEIGHT
from classifier.model import (
    CLIP_SIGMA,
    LABELS,
    BlockModel,
    _chunks,
    _page_offsets,
    _slots,
    one_blas_thread,
    row_period,
    tail_rows,
)

# --- the references: the code before the rewrite ---------------------------------------------


def reference_viterbi_batch(probas, prior, log_start, log_trans, end_states=None, final_scores=None,
                            group_size=decode.BATCH_GROUP):
    out = [np.zeros(0, dtype=np.int64)] * len(probas)
    lens = np.fromiter((p.shape[0] for p in probas), dtype=np.int64, count=len(probas))
    order = [i for i in np.argsort(lens, kind="stable").tolist() if lens[i] > 0]
    lt = TRANSITION_WEIGHT * log_trans
    k = log_start.shape[0]  # the table's chain: seven states, or eight with the post-thread phase
    if end_states is not None:
        end_states = end_states[:k]
    log_prior = PRIOR_WEIGHT * np.log(np.maximum(prior, MIN_PROBA))
    for g in range(0, len(order), group_size):
        group = order[g: g + group_size]
        glen = lens[group]
        n_pages, width = len(group), int(glen.max())
        em = np.zeros((width, n_pages, k))
        for r, i in enumerate(group):
            em[: glen[r], r] = (np.log(np.maximum(probas[i], MIN_PROBA)) - log_prior)[:, _STATE_LABEL[:k]]
        lo = np.searchsorted(glen, np.arange(width), side="right")
        final = np.zeros((n_pages, k))
        back = np.zeros((width, n_pages, k), dtype=np.int8)
        lt_to_from = np.ascontiguousarray(lt.T)
        flat_rows = np.arange(n_pages * k)
        score = log_start + em[0]
        for t in range(1, width):
            a = int(lo[t])
            if a > int(lo[t - 1]):
                final[lo[t - 1]: a] = score[lo[t - 1]: a]
            m = n_pages - a
            cand = (score[a:, None, :] + lt_to_from).reshape(-1, k)
            b = cand.argmax(axis=1)
            back[t, a:] = b.reshape(m, k)
            score[a:] = cand[flat_rows[: m * k], b].reshape(m, k) + em[t, a:]
        final[lo[width - 1]:] = score[lo[width - 1]:]
        if final_scores is not None:
            final_scores[group] = final
        if end_states is not None:
            final[:, ~end_states] = -np.inf
        path = np.zeros((width, n_pages), dtype=np.int64)
        best = final.argmax(axis=1)
        rows = np.arange(n_pages)
        for t in range(width - 1, -1, -1):
            a, z = int(lo[t]), (int(lo[t + 1]) if t + 1 < width else n_pages)
            path[t, a:z] = best[a:z]
            if t:
                path[t - 1, a:] = back[t, rows[a:], path[t, a:]]
        for r, i in enumerate(group):
            out[i] = _STATE_LABEL[path[: glen[r], r]]
    return out


def reference_logits(model: BlockModel, X: np.ndarray) -> np.ndarray:
    """The expression form, with the rows placed as ``BlockModel.logits`` places them (X as one
    page) and on the same chunks: BLAS rounds by shape, and on some CPUs by a row's position, so
    one product over all rows is not the same float32 sums everywhere."""
    z = np.subtract(X, model.mean, dtype=np.float32)
    np.divide(z, model.scale, out=z)
    np.clip(z, -CLIP_SIGMA, CLIP_SIGMA, out=z)
    np.nan_to_num(z, copy=False)
    n = len(z)
    shapes = tuple(w.shape for w in model.weights)
    period = row_period(shapes)
    lengths = np.array([n])
    dest, rows = (np.arange(n), n) if period == 1 else _slots(lengths, period, _page_offsets(X, lengths, period))
    chunks, padded = _chunks(rows, tail_rows(shapes, period))
    placed = np.zeros((padded, z.shape[1]), np.float32)
    placed[dest] = z
    out_chunks = []
    with one_blas_thread():
        for a, size in chunks:
            out = None
            for weights, biases in [(model.weights, model.biases), *model.members]:
                h = placed[a: a + size]
                last = len(weights) - 1
                for i, (w, b) in enumerate(zip(weights, biases)):
                    h = h @ w + b
                    if i < last:
                        np.maximum(h, 0.0, out=h)
                out = h if out is None else out + h
            out_chunks.append(out)
    return np.concatenate(out_chunks)[dest] / (1 + len(model.members))


# --- Viterbi -----------------------------------------------------------------------------------


def _pages(seed: int, lengths: list[int], grid: int | None) -> list[np.ndarray]:
    """Random probability rows; on a coarse grid (``grid`` steps) many path scores tie exactly."""
    rng = np.random.default_rng(seed)
    out = []
    for n in lengths:
        if grid is None:
            z = np.exp(rng.normal(size=(n, len(LABELS))) * 3)
        else:
            z = rng.integers(0, grid + 1, size=(n, len(LABELS))).astype(np.float64)
        out.append(z / np.maximum(z.sum(axis=1, keepdims=True), 1e-12))
    return out


@pytest.mark.parametrize("post_thread", [False, True])
@pytest.mark.parametrize("grid", [None, 2, 4])
@pytest.mark.parametrize("end_states", [None, decode.ARTICLE_END, decode.THREAD_END])
def test_viterbi_batch_equals_reference(grid: int | None, end_states: np.ndarray | None, post_thread: bool) -> None:
    log_start, log_trans = decode.fit_transitions(SEQUENCES, post_thread)
    k = log_start.shape[0]
    prior = np.full(len(LABELS), 1.0 / len(LABELS))
    # Two longest pages of equal length; one page much longer than the rest (the one-page tail
    # of the steps); a single page.
    cases = ([0, 1, 2, 5, 40, 3, 0, 120, 7, 1, 64, 65, 300, 300, 2], [5, 301, 3, 0, 300, 40], [257])
    for seed, lengths in enumerate(cases * 2):
        probas = _pages(seed, lengths, grid)
        got_final, ref_final = np.full((len(probas), k), 7.0), np.full((len(probas), k), 7.0)
        got = decode.viterbi_batch(probas, prior, log_start, log_trans, end_states=end_states, final_scores=got_final)
        ref = reference_viterbi_batch(probas, prior, log_start, log_trans, end_states=end_states,
                                      final_scores=ref_final)
        assert len(got) == len(ref)
        for a, b in zip(got, ref):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert np.array_equal(got_final, ref_final)  # -inf where a state is impossible, bit for bit


def test_viterbi_batch_equals_reference_in_small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    log_start, log_trans = decode.fit_transitions(SEQUENCES)
    prior = np.full(len(LABELS), 1.0 / len(LABELS))
    probas = _pages(11, [9, 2, 30, 4, 17, 1, 1, 8], 3)
    ref = reference_viterbi_batch(probas, prior, log_start, log_trans, group_size=3)
    monkeypatch.setattr(decode, "BATCH_GROUP", 3)
    for a, b in zip(decode.viterbi_batch(probas, prior, log_start, log_trans), ref):
        np.testing.assert_array_equal(a, b)


def test_viterbi_batch_on_views_of_one_matrix() -> None:
    """The classifier passes row slices of one probability matrix (what the emissions' one log reads)."""
    log_start, log_trans = decode.fit_transitions(SEQUENCES)
    prior = np.full(len(LABELS), 1.0 / len(LABELS))
    P = _pages(5, [500], None)[0]
    cuts = [0, 3, 3, 50, 51, 200, 500]
    probas = [P[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    for a, b in zip(decode.viterbi_batch(probas, prior, log_start, log_trans),
                    reference_viterbi_batch(probas, prior, log_start, log_trans)):
        np.testing.assert_array_equal(a, b)


# --- the networks -------------------------------------------------------------------------------


def _model(rng: np.random.Generator, n_features: int, members: int) -> BlockModel:
    def net() -> tuple[list[np.ndarray], list[np.ndarray]]:
        shapes = [(n_features, 16), (16, 8), (8, len(LABELS))]
        return ([rng.normal(size=s).astype(np.float32) for s in shapes],
                [rng.normal(size=s[1]).astype(np.float32) for s in shapes])
    w, b = net()
    return BlockModel(feature_names=tuple(f"f{i}" for i in range(n_features)), schema="test",
                      mean=rng.normal(size=n_features).astype(np.float32),
                      scale=rng.uniform(0.1, 3.0, size=n_features).astype(np.float32),
                      weights=w, biases=b, members=[net() for _ in range(members)])


@pytest.mark.parametrize("members", [0, 2])
def test_logits_equal_reference(members: int) -> None:
    rng = np.random.default_rng(members)
    model = _model(rng, 30, members)
    X = (rng.normal(size=(257, 30)) * 5).astype(np.float32)
    X[3, 4] = np.nan
    X[7, :] = np.nan
    X[9, 2], X[9, 5] = np.inf, -np.inf
    got, ref = model.logits(X), reference_logits(model, X)
    assert got.dtype == ref.dtype == np.float32
    assert np.array_equal(got, ref)
    assert np.isfinite(got).all()
    clean = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    assert np.array_equal(model.logits(clean), reference_logits(model, clean))


def test_logits_leave_the_input_alone() -> None:
    rng = np.random.default_rng(9)
    model = _model(rng, 12, 1)
    X = rng.normal(size=(20, 12)).astype(np.float32)
    X[0, 0] = np.nan
    before = X.copy()
    model.logits(X)
    np.testing.assert_array_equal(X, before)


# --- the feature pass's code points, reused by the soft MT signal and the artefact screen -------


def test_soft_symbols_from_the_feature_pass_code_points_equal_their_own() -> None:
    """``local_features`` hands its original-case code points on (``TokenBatch.text_cp``);
    ``symbol_ngrams`` reads case from them instead of encoding the text again."""
    from test_mt_soft import _TOKEN_REUSE_TEXTS, _same_ngrams

    from features import mt_soft
    from features.extract import local_features

    texts = [*_TOKEN_REUSE_TEXTS, "The EU and UN. Mr Smith's", "\u00c9COLE Paris", "", "X"]
    _, pf = local_features(texts)
    assert pf.tokens.text_cp is not None and len(pf.tokens.text_cp) == len("\n".join(texts))
    assert _same_ngrams(mt_soft.symbol_ngrams(texts, pf.tokens), mt_soft.symbol_ngrams(texts))
    # Code points of other text of the same length are not taken for these blocks' case.
    pf.tokens.text_cp = np.frombuffer("\n".join(texts).lower().encode("utf-32-le"), dtype=np.uint32)
    assert not _same_ngrams(mt_soft.symbol_ngrams(texts, pf.tokens), mt_soft.symbol_ngrams(texts))


def test_mt_artefacts_with_the_callers_join_equal_their_own() -> None:
    from features.mt import mt_artefacts

    texts = ["The EE. UU. said", "plain", "\u05d0\u05d1\u05d2 in the middle of English words here", "",
             "[19659008] x", "caf\u00e9 \U0001F600 ok"]
    joined = "\n".join(texts)
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    s1, e1 = mt_artefacts(texts)
    s2, e2 = mt_artefacts(texts, joined, cp)
    assert np.array_equal(s1, s2) and e1 == e2
    assert (s1 > 0).sum() >= 2


# --- character counts: class triples in uint16 --------------------------------------------------


def reference_char_counts(cp: np.ndarray, starts: np.ndarray, n: int, doc: str = "") -> np.ndarray:
    from features import extract as fx
    c = len(cp)
    cls = np.empty(c + 2, dtype=np.uint16)
    cls[0] = cls[-1] = fx._SPACE_COMBO
    np.take(fx._COMBO, cp, out=cls[1:-1])
    idx = cls[:-2].astype(np.int64)
    idx *= fx._N_COMBOS
    idx += cls[1:-1]
    idx *= fx._N_COMBOS
    idx += cls[2:]
    vec = fx._VECTOR_OF[idx]
    lengths = np.diff(np.append(starts, c + 1))
    blk = np.repeat(np.arange(n, dtype=np.int64) * len(fx._VECTORS), lengths)[:c]
    blk += vec
    counts = np.bincount(blk, minlength=n * len(fx._VECTORS)).reshape(n, len(fx._VECTORS))
    props = counts @ fx._VECTORS
    out = props[:, :-1].astype(np.float32)
    for b in np.flatnonzero(props[:, -1]).tolist():
        a = int(starts[b])
        out[b, fx._CC["money"]] += len(fx._MONEY_SPACE_RX.findall(doc, a, a + int(lengths[b])))
    out[: n - 1, fx._CC["space"]] -= 1
    return out


CHAR_BLOCKS = ["$ 5 and \u00a3 7", "ERBIL, Kurdistan -", "\u201cQuoted\u201d ... \u2026 :) \U0001F600",
               "\u00a9 2012 | Home", "ALL CAPS. Next one? Yes!", "  double  space\tand tab ", ""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40) | st.sampled_from(CHAR_BLOCKS), min_size=1, max_size=10))
def test_char_counts_equal_reference(texts: list[str]) -> None:
    from features import extract as fx
    texts = [t.replace("\n", " ") for t in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    doc = "\n".join(texts)
    cp = np.frombuffer(doc.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    np.testing.assert_array_equal(fx._char_counts(cp, starts, len(texts), doc),
                                  reference_char_counts(cp, starts, len(texts), doc))


# --- literal-prefixed patterns found by bytes.find ---------------------------------------------

_PREFIXED = [rb"abab(?:ab)*c?", rb"aaaa(?!a)", rb"ab\.c[a-c]{0,3}", rb"abcabcab(?:c|x)", rb"bbbbbbbb"]


def test_literal_prefix_reads_the_leading_literals() -> None:
    import re

    from features.extract import literal_prefix
    assert literal_prefix(re.compile(rb"instagram\.com/p/")) == b"instagram.com/p/"
    assert literal_prefix(re.compile(rb"https?://x")) == b"http"
    assert literal_prefix(re.compile(rb"a|b")) == b""
    assert literal_prefix(re.compile(rb"(?i)abc")) == b""
    assert literal_prefix(re.compile(rb"abc", re.IGNORECASE)) == b""
    assert literal_prefix(re.compile(r"abc")) == b""


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abcx.", max_size=400), st.sampled_from(_PREFIXED), st.booleans())
def test_match_spans_equal_finditer(text: str, pattern: bytes, first_byte: bool) -> None:
    """Also past the budget of find steps (a frequent prefix: "a" in a page of a, b, c)."""
    import re

    from features.extract import literal_prefix, match_spans
    rx = re.compile(pattern)
    data = text.encode()
    prefix = literal_prefix(rx)
    assert prefix
    needle = prefix[:1] if first_byte else prefix
    assert match_spans(rx, data, needle) == [m.span() for m in rx.finditer(data)]


_SHIPPED_SAMPLE = (b"see instagram.com/p/x and pic.twitter.com/y, youtu.be/z youtube.com/watch?v=1 youtu.be/ "
                   b"@name :) :-( ;-) ;p =) =d <3 ^_^ ... 12:30 (#12345 (123456) (c) 2012 (c)2013 a+ a- a+a- "
                   b"http://x.co/a www.y.org z.com x.net. " * 40)


def test_shipped_patterns_use_find_and_equal_finditer() -> None:
    from features.extract import _FIND_NEEDLE, find_needle, match_spans
    assert b"instagram.com/p/" in _FIND_NEEDLE.values()
    assert find_needle(b"<3") == b"<" and find_needle(b"@") == b"@" and find_needle(b"http") == b"http"
    assert find_needle(b"a+") == find_needle(b".") == find_needle(b"") == b""
    assert sum(map(bool, _FIND_NEEDLE.values())) >= 10  # most shipped literal patterns use find
    for rx, needle in _FIND_NEEDLE.items():
        for data in (_SHIPPED_SAMPLE, _SHIPPED_SAMPLE[:300], b"", b"nothing here"):
            assert match_spans(rx, data, needle) == [m.span() for m in rx.finditer(data)]
        assert match_spans(rx, _SHIPPED_SAMPLE, needle) != []


def test_viterbi_batch_equals_reference_on_mixed_dtypes() -> None:
    """float32 and float64 pages in one group: each page's emissions in its own precision."""
    log_start, log_trans = decode.fit_transitions(SEQUENCES)
    prior = np.full(len(LABELS), 1.0 / len(LABELS))
    probas = _pages(21, [30, 31, 5, 200], None)
    probas = [p.astype(np.float32) if i % 2 else p for i, p in enumerate(probas)]
    got_final, ref_final = np.zeros((4, log_start.shape[0])), np.zeros((4, log_start.shape[0]))
    got = decode.viterbi_batch(probas, prior, log_start, log_trans, final_scores=got_final)
    ref = reference_viterbi_batch(probas, prior, log_start, log_trans, final_scores=ref_final)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    assert np.array_equal(got_final, ref_final)
