"""Phase-structured Viterbi: one comment section, isolated comment-like lines do not open a thread."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import decode
from classifier.model import LABELS

ED, CO, SP, BO = (LABELS.index(x) for x in ("editorial", "comment", "spam", "boilerplate"))
PRIOR = np.full(len(LABELS), 1.0 / len(LABELS))
# Hand-made gold pages: articles with furniture, threads with "Reply" lines and a spam comment.
SEQUENCES = (
    ("boilerplate",) + ("editorial",) * 8 + ("boilerplate",) * 2 + ("comment", "comment", "boilerplate") * 4,
    ("editorial",) * 10 + ("boilerplate",),
    ("editorial",) * 6 + ("comment",) * 10 + ("spam",) + ("comment",) * 3,
    ("boilerplate",) * 2 + ("editorial",) * 5 + ("spam",) + ("editorial",) * 5
    + ("boilerplate", "comment", "comment"),
)
E = [0.85, 0.05, 0.05, 0.05]  # confident editorial
C = [0.10, 0.80, 0.05, 0.05]  # confident comment
C_STRONG = [0.05, 0.90, 0.03, 0.02]
E_MILD = [0.50, 0.40, 0.05, 0.05]  # a comment that looks a bit like prose


@pytest.fixture(scope="module", params=[True, False], ids=["post_thread", "legacy"])
def tables(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    """Both chains: the nine-state one fitted now and the seven-state one of older model files."""
    return decode.fit_transitions(SEQUENCES, post_thread=request.param)


def run(rows: list[list[float]], tables: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    log_start, log_trans = tables
    return decode.viterbi(np.asarray(rows, dtype=np.float64), PRIOR, log_start, log_trans)


def contiguous_comments(labels: np.ndarray) -> bool:
    idx = np.flatnonzero(labels == CO)
    return idx.size == 0 or bool((labels[idx[0]: idx[-1] + 1] == CO).all())


def test_state_sequence_phase_flips_at_first_comment() -> None:
    s = decode.state_sequence(["editorial", "boilerplate", "comment", "editorial", "spam"])
    assert [decode.STATES[i] for i in s] == [("editorial", 0), ("boilerplate", 0), ("comment", 1),
                                             ("editorial", 1), ("spam", 1)]


def test_state_sequence_post_thread_phase() -> None:
    """Furniture after the thread's last block of another label is phase 2; name lines between
    comments (and anything before the thread's last non-furniture block) stay phase 1; the
    legacy chain has no phase 2."""
    labels = ["editorial", "boilerplate", "comment", "boilerplate", "comment", "spam", "boilerplate",
              "editorial", "boilerplate"]
    got = [decode.STATES[i] for i in decode.state_sequence(labels, post_thread=True)]
    assert got == [("editorial", 0), ("boilerplate", 0), ("comment", 1), ("boilerplate", 1), ("comment", 1),
                   ("spam", 1), ("boilerplate", 1), ("editorial", 1), ("boilerplate", 2)]
    legacy = [decode.STATES[i] for i in decode.state_sequence(labels)]  # the default chain
    assert [ph for _, ph in legacy] == [0, 0, 1, 1, 1, 1, 1, 1, 1]
    # No comment: no thread, whatever the spam and furniture.
    assert {decode.STATES[i][1] for i in decode.state_sequence(["spam", "boilerplate"], post_thread=True)} == {0}


def test_fit_transitions_structure(tables: tuple[np.ndarray, np.ndarray]) -> None:
    log_start, log_trans = tables
    k = log_start.shape[0]
    assert k in (len(decode.STATES), decode.LEGACY_STATES) and log_trans.shape == (k, k)
    assert np.exp(log_start).sum() == pytest.approx(1.0)
    assert np.allclose(np.exp(log_trans).sum(axis=1), 1.0)
    states = decode.STATES[:k]
    for i, (_, pi) in enumerate(states):
        for j, (lab_j, pj) in enumerate(states):
            # Phases never go back; the article phase is left only into a comment.
            if pj < pi or (pi == 0 and pj >= 1 and (pj, lab_j) != (1, "comment")):
                assert log_trans[i, j] == -np.inf, (states[i], states[j])
            else:
                assert np.isfinite(log_trans[i, j])
        if pi >= 1 and states[i][0] != "comment":
            assert log_start[i] == -np.inf


def test_chain_size_checks_the_table() -> None:
    log_start, log_trans = decode.fit_transitions(SEQUENCES, post_thread=True)
    with pytest.raises(ValueError, match="6 states"):
        decode.viterbi(np.full((3, 4), 0.25), PRIOR, log_start[:6], log_trans[:6, :6])
    with pytest.raises(ValueError, match="mask of 5"):
        decode.viterbi_batch([np.full((3, 4), 0.25)], PRIOR, log_start, log_trans, end_states=np.ones(5, bool))


# Gold pages of full-page renderings: furniture, an article, a thread whose comments are
# separated by name lines, then the page's long closing furniture.
FULL_PAGES = tuple(
    ("boilerplate",) * 6 + ("editorial",) * 8 + ("boilerplate",) * 3
    + ("comment", "boilerplate") * n + ("boilerplate",) * tail
    for n, tail in ((20, 10), (30, 5), (15, 20), (25, 10))
) + (("boilerplate",) * 6 + ("editorial",) * 12 + ("boilerplate",) * 80,) * 3
B = [0.04, 0.04, 0.02, 0.90]  # confident boilerplate


def test_short_thread_before_long_furniture_is_found() -> None:
    """Three confident comments followed by 150 lines of furniture: the post-thread phase keeps
    the furniture as cheap after a thread as before one, so the thread is decoded; the legacy
    chain, whose thread-phase boilerplate also stands for the lines between comments, pays on
    every furniture line after the thread and drops it (what happened on full pages)."""
    rows = np.asarray([B] * 5 + [E] * 10 + [B] * 2 + [C_STRONG] * 3 + [B] * 150)
    new = decode.viterbi(rows, PRIOR, *decode.fit_transitions(FULL_PAGES, post_thread=True))
    assert new.tolist() == [BO] * 5 + [ED] * 10 + [BO] * 2 + [CO] * 3 + [BO] * 150
    old = decode.viterbi(rows, PRIOR, *decode.fit_transitions(FULL_PAGES, post_thread=False))
    assert not (old == CO).any()
    # Short furniture after the thread: both chains find it.
    short = rows[:25]
    for post in (True, False):
        assert (decode.viterbi(short, PRIOR, *decode.fit_transitions(FULL_PAGES, post_thread=post)) == CO).sum() == 3


def test_post_thread_phase_does_not_reopen_the_article() -> None:
    """After a stray comment-like line the article would have to go on as thread-phase
    editorial (phase 2 is furniture only), which gold pages never show: the line stays editorial."""
    log_start, log_trans = decode.fit_transitions(FULL_PAGES, post_thread=True)
    for odd in (C, C_STRONG):
        labels = decode.viterbi(np.asarray([B] * 4 + [E] * 20 + [odd] + [E] * 20 + [B] * 30), PRIOR,
                                log_start, log_trans)
        assert not (labels == CO).any(), labels


def test_fit_transitions_counts(tables: tuple[np.ndarray, np.ndarray]) -> None:
    """The most frequent move out of article-phase editorial is to stay editorial."""
    _, log_trans = tables
    e0 = decode.STATES.index(("editorial", 0))
    c1 = decode.STATES.index(("comment", 1))
    assert int(np.argmax(log_trans[e0])) == e0
    assert int(np.argmax(log_trans[c1])) == c1


def test_empty_and_single_row(tables: tuple[np.ndarray, np.ndarray]) -> None:
    assert run(np.zeros((0, 4)).tolist(), tables).shape == (0,)
    assert run([E], tables).tolist() == [ED]


def test_isolated_comment_like_row_does_not_open_a_thread(tables: tuple[np.ndarray, np.ndarray]) -> None:
    for odd in (C, C_STRONG):
        labels = run([E] * 20 + [odd] + [E] * 20, tables)
        assert (labels == ED).all(), labels


def test_strong_comment_run_at_the_end(tables: tuple[np.ndarray, np.ndarray]) -> None:
    labels = run([E] * 30 + [C] * 3, tables)
    assert labels.tolist() == [ED] * 30 + [CO] * 3
    labels = run([E] * 8 + [C_STRONG] * 4, tables)
    assert labels.tolist() == [ED] * 8 + [CO] * 4


def test_prose_like_comments_inside_a_thread_stay_comments(tables: tuple[np.ndarray, np.ndarray]) -> None:
    rows = [E] * 6 + [C, C, E_MILD, C, E_MILD, E_MILD, C, C]
    assert np.argmax(rows, axis=1).tolist().count(ED) == 9  # argmax alone would split the thread
    labels = run(rows, tables)
    assert labels.tolist() == [ED] * 6 + [CO] * 8


def test_comment_labels_form_one_run_on_noisy_pages(tables: tuple[np.ndarray, np.ndarray]) -> None:
    """Seeded noisy pages (article then thread); argmax splits many threads, Viterbi none."""
    rng = np.random.default_rng(1234)
    split_by_argmax = found = 0
    for _ in range(200):
        rows = [np.array([0.8, 0.1, 0.05, 0.05]) + rng.uniform(0, 0.1, 4) for _ in range(rng.integers(3, 15))]
        for _ in range(rng.integers(2, 12)):
            rows.append(np.array(E_MILD) if rng.random() < 0.25
                        else np.array([0.15, 0.7, 0.1, 0.05]) + rng.uniform(0, 0.1, 4))
        P = np.array([r / r.sum() for r in rows])
        labels = decode.viterbi(P, PRIOR, *tables)
        assert contiguous_comments(labels), (np.round(P, 2), labels)
        # Once the thread starts it runs to the end (these pages have no furniture after it).
        first = np.flatnonzero(labels == CO)
        assert first.size == 0 or (labels[first[0]:] == CO).all()
        found += bool(first.size)
        split_by_argmax += not contiguous_comments(P.argmax(axis=1))
    assert found > 150 and split_by_argmax > 50  # the test is not vacuous


def test_decoded_labels_are_valid_indices(tables: tuple[np.ndarray, np.ndarray]) -> None:
    rng = np.random.default_rng(7)
    P = rng.dirichlet(np.ones(4), size=50)
    labels = decode.viterbi(P, PRIOR, *tables)
    assert labels.shape == (50,)
    assert set(labels.tolist()) <= {ED, CO, SP, BO}


def test_batched_viterbi_equals_page_by_page(tables: tuple[np.ndarray, np.ndarray]) -> None:
    """Padding, length sorting and per-page end states must not change any page's path."""
    log_start, log_trans = tables
    rng = np.random.default_rng(7)
    probas = []
    for n in [0, 1, 2, 5, 40, 3, 0, 120, 7, 1, 64, 65]:
        z = rng.normal(size=(n, len(LABELS))) * 3
        p = np.exp(z)
        probas.append(p / p.sum(axis=1, keepdims=True))
    single = [decode.viterbi(p, PRIOR, log_start, log_trans) for p in probas]
    batched = decode.viterbi_batch(probas, PRIOR, log_start, log_trans)
    assert len(batched) == len(probas)
    for a, b in zip(single, batched):
        np.testing.assert_array_equal(a, b)


def test_batched_viterbi_small_groups(tables: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    """Several groups per call (group size 2) give the same paths as one group."""
    log_start, log_trans = tables
    rng = np.random.default_rng(3)
    probas = [rng.dirichlet(np.ones(len(LABELS)), size=n) for n in (9, 2, 30, 4, 17)]
    whole = decode.viterbi_batch(probas, PRIOR, log_start, log_trans)
    monkeypatch.setattr(decode, "BATCH_GROUP", 2)
    grouped = decode.viterbi_batch(probas, PRIOR, log_start, log_trans)
    for a, b in zip(whole, grouped):
        np.testing.assert_array_equal(a, b)


def test_each_page_on_the_chain_its_furniture_selects() -> None:
    """With ``post``, pages whose mean boilerplate probability is above the threshold are
    decoded exactly as with the eight-state tables alone, the others as with the seven-state
    ones; ``final_scores`` has eight columns, the eighth -inf for seven-state pages; ``use_post``
    overrides the choice."""
    seven = decode.fit_transitions(FULL_PAGES)
    eight = decode.fit_transitions(FULL_PAGES, post_thread=True)
    rng = np.random.default_rng(5)
    probas = [np.asarray([B] * 5 + [E] * 10 + [B] * 2 + [C_STRONG] * 3 + [B] * 150)]
    for n in (0, 1, 7, 40, 90, 33):
        p = rng.dirichlet(np.ones(4), size=n)
        if n % 2:  # mostly furniture
            p[:, BO] += 3.0
            p /= p.sum(axis=1, keepdims=True)
        probas.append(p)
    use = decode.furniture_pages(probas)
    assert use.tolist() == [True, False, True, True, False, False, True]
    final = np.zeros((len(probas), decode.scores_width(*seven[:1], eight)))
    got = decode.viterbi_batch(probas, PRIOR, *seven, final_scores=final, post=eight)
    f7, f8 = np.zeros((len(probas), 7)), np.zeros((len(probas), 8))
    alone7 = decode.viterbi_batch(probas, PRIOR, *seven, final_scores=f7)
    alone8 = decode.viterbi_batch(probas, PRIOR, *eight, final_scores=f8)
    for i, u in enumerate(use.tolist()):
        np.testing.assert_array_equal(got[i], (alone8 if u else alone7)[i])
        if probas[i].shape[0]:
            np.testing.assert_array_equal(final[i], f8[i] if u else np.append(f7[i], -np.inf))
    assert (got[0] == CO).sum() == 3 and not (alone7[0] == CO).any()  # the choice matters here
    flipped = decode.viterbi_batch(probas, PRIOR, *seven, post=eight, use_post=~use)
    for i, u in enumerate(use.tolist()):
        np.testing.assert_array_equal(flipped[i], (alone7 if u else alone8)[i])


def test_fixed_start_keeps_the_whole_page_chain() -> None:
    """A thread start fixed by another layer: head and tail are decoded on the chain the whole
    page selects, even where the head alone would select the other one."""
    seven = decode.fit_transitions(FULL_PAGES)
    eight = decode.fit_transitions(FULL_PAGES, post_thread=True)
    page = np.asarray([E] * 30 + [C_STRONG] * 3 + [B] * 120)  # head: article, not furniture
    assert decode.furniture_pages([page]).tolist() == [True]
    got = decode.viterbi_fixed_start([page], [30], PRIOR, *seven, post=eight)[0]
    want = decode.viterbi_fixed_start([page], [30], PRIOR, *eight)[0]
    np.testing.assert_array_equal(got, want)
    assert got[:30].tolist() == [ED] * 30 and got[30:33].tolist() == [CO] * 3


def test_fit_decoder_names() -> None:
    ls, lt, post = decode.fit_decoder(iter(FULL_PAGES), "auto")  # a generator is read once
    assert lt.shape == (7, 7) and post is not None and post[1].shape == (8, 8)
    np.testing.assert_array_equal(lt, decode.fit_transitions(FULL_PAGES)[1])
    np.testing.assert_array_equal(post[1], decode.fit_transitions(FULL_PAGES, post_thread=True)[1])
    assert decode.fit_decoder(FULL_PAGES, "thread")[2] is None
    assert decode.fit_decoder(FULL_PAGES, "post-thread")[1].shape == (8, 8)
    with pytest.raises(ValueError, match="decoder"):
        decode.fit_decoder(FULL_PAGES, "both")
