"""Sequence decoding: per-block probabilities -> labels for the whole page at once.

A reader-comment section is one contiguous run, usually near the end: once the thread starts,
article text does not come back, and one comment-like line inside an article should not open
a thread. We model the page as a hidden Markov chain over *states* = (label, phase), where the
phase flips from "article" to "thread" at the first comment and never flips back. Editorial
text in the thread phase and comments in the article phase are thereby structural
exceptions with learned (low) probabilities. The transition table is counted from the gold
label sequences of the training pages; emissions are the model's calibrated probabilities
divided by the label prior (the hybrid-HMM trick); Viterbi finds the best path.

A third phase, "after the thread" (the eight-state chain, 2026-12-05), holds the furniture that
follows the thread's last block of another label. Without it, boilerplate in the thread phase
mixes two kinds of run: the name and date lines between comments (short runs that go back to a
comment) and the page's closing furniture (one long run that does not). Its self-transition is
then far below the article phase's (probability 0.74 against 0.94), a cost paid on every block
after a thread, so on a whole page rendered to text, a short thread with 150 lines of furniture
after it costs ~8 nats more than one at the page's end and is decoded as boilerplate even at
comment probability 0.9. The eight-state chain fixes that but loses a little on extracted text
(short furniture tails pay the entry into phase 2), so the shipped models carry both tables and
decode each page with the one its share of furniture selects (``furniture_pages``: mean
boilerplate probability above 0.5): has_comments F1 on whole pages +0.015 on unseen sites and
+0.034 on new pages of known sites, the other renderings within 0.003 (docs/text-model.md).
Every function here takes its chain from the table's size (``chain_size``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from features import ext

from .model import LABELS

# (label, phase): phase 0 = before the first comment, phase 1 = from the first comment to the
# thread's last block that is not boilerplate, phase 2 = the boilerplate after it. Phase 2 has
# no editorial state: gold pages have no editorial block after a thread, and one learned from
# smoothing alone would let an article go on after a stray comment-like line at little cost.
STATES: tuple[tuple[str, int], ...] = (
    ("editorial", 0), ("spam", 0), ("boilerplate", 0),
    ("comment", 1), ("spam", 1), ("boilerplate", 1), ("editorial", 1),
    ("boilerplate", 2),
)
# The chain without the post-thread phase: STATES' first seven, same order (the tables of
# models made before 2026-12-05, and of the pages that are not mostly furniture since).
LEGACY_STATES = 7
CHAIN_SIZES = (LEGACY_STATES, len(STATES))
# ``train --decoder``: the seven-state chain for every page, the eight-state one for every page,
# or both, each page decoded with the one its boilerplate share selects (``furniture_pages``).
DECODERS = ("thread", "post-thread", "auto")
# What ``newswinnow train`` fits unless told otherwise: the shipped models' kind since 2026-12-05
# (docs/text-model.md, "Each page on the chain that suits it").
DEFAULT_DECODER = "auto"
# The label of phase 2: the furniture after the thread's last other block.
POST_THREAD_LABEL = "boilerplate"
_STATE_LABEL = np.array([LABELS.index(lab) for lab, _ in STATES])
_BOILERPLATE = LABELS.index("boilerplate")
# A model with both chains' tables decodes a page with the eight-state chain when the networks'
# mean boilerplate probability over its blocks is above this: pages that are mostly furniture,
# i.e. whole pages rendered to text (median 0.81-0.83 on Dragnet's full renderings, 0.28 on its
# trimmed ones, under 0.1 on extracted article and thread text). The midpoint, not a tuned value
# (0.3-0.7 moved has_comments F1 by at most 0.003; docs/text-model.md).
POST_THREAD_MIN_BOILERPLATE = 0.5
_STATE_INDEX = {s: i for i, s in enumerate(STATES)}
# Additive smoothing for transition counts (keeps every allowed move possible).
TRANSITION_SMOOTHING = 1.0
# How strongly the label prior is divided out of the emissions (1 = full hybrid HMM); 0 keeps
# the calibrated probabilities as they are (dividing by the tiny spam prior made spam over-fire).
PRIOR_WEIGHT = 0.0
# Scale on log-transition scores (tuned on out-of-fold Dragnet pages: 0.2 gave the best
# has_comments F1 with the text-3 model; with text-4, 0.1 gives +0.04 has_comments F1 on
# full-page renderings but lets one confident comment-like line open a thread - see the
# decode tests - so 0.2 stays; 1.0 let long threads swallow the article).
TRANSITION_WEIGHT = 0.2
# A probability floor so a confident model never makes a state impossible.
MIN_PROBA = 1e-6


def chain_size(table: np.ndarray) -> int:
    """The number of states a fitted start vector or transition table is for (7 or 8)."""
    k = int(np.shape(table)[0])
    if k not in CHAIN_SIZES:
        raise ValueError(f"a decoding table of {k} states; this decoder knows chains of {CHAIN_SIZES}")
    return k


def state_sequence(labels: Sequence[str], post_thread: bool = False) -> list[int]:
    """Gold labels -> decode states: phase 1 from the first comment, phase 2 (``post_thread``)
    for the boilerplate after the thread's last block of another label."""
    labels = list(labels)
    last = len(labels)
    if post_thread and "comment" in labels:
        first = labels.index("comment")
        last = max(i for i in range(first, len(labels)) if labels[i] != POST_THREAD_LABEL)
    phase = 0
    out = []
    for i, lab in enumerate(labels):
        if lab == "comment":
            phase = 1
        out.append(_STATE_INDEX[(lab, 2 if i > last else phase)])
    return out


def _allowed(k: int) -> np.ndarray:
    """Moves the chain of ``k`` states allows: the phase never goes back, the article phase
    leaves only into a comment, phase 2 is entered only from phase 1."""
    ok = np.ones((k, k), dtype=bool)
    for i, (_, pi) in enumerate(STATES[:k]):
        for j, (lab_j, pj) in enumerate(STATES[:k]):
            if pj < pi or (pi == 0 and pj >= 1 and not (pj == 1 and lab_j == "comment")):
                ok[i, j] = False
    return ok


def fit_transitions(label_seqs: Iterable[Sequence[str]], post_thread: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Count start and transition frequencies over gold pages -> (log_start, log_trans): the
    seven-state chain, or with ``post_thread`` the eight-state one (``fit_decoder`` for both)."""
    k = len(STATES) if post_thread else LEGACY_STATES
    start = np.full(k, TRANSITION_SMOOTHING)
    trans = np.where(_allowed(k), TRANSITION_SMOOTHING, 0.0)
    # A page starts in the article phase or with a comment.
    start[[i for i, (lab, ph) in enumerate(STATES[:k]) if ph >= 1 and lab != "comment"]] = 0.0
    for labels in label_seqs:
        s = state_sequence(labels, post_thread)
        if not s:
            continue
        start[s[0]] += 1
        for a, b in zip(s[:-1], s[1:]):
            trans[a, b] += 1
    with np.errstate(divide="ignore"):
        log_start = np.log(start / start.sum())
        log_trans = np.log(trans / trans.sum(axis=1, keepdims=True))
    return log_start, log_trans


def fit_decoder(label_seqs: Iterable[Sequence[str]], decoder: str
                ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """(log_start, log_trans, post) for a ``DECODERS`` name: ``post`` is the eight-state tables
    of the "auto" decoder (None otherwise), for ``viterbi_batch``'s ``post``."""
    if decoder not in DECODERS:
        raise ValueError(f"decoder {decoder!r}, expected one of {DECODERS}")
    seqs = [list(s) for s in label_seqs]
    start, trans = fit_transitions(seqs, post_thread=decoder == "post-thread")
    return start, trans, fit_transitions(seqs, post_thread=True) if decoder == "auto" else None


# Masks over STATES for ``end_states``: the phase is monotone, so ending in the article phase
# means "no comment section" and ending in a later phase means "a comment section" - the
# page-level gate (classifier/page_gate.py) uses them to overrule Viterbi's own choice. A
# seven-state table uses their first seven entries (``_mask``).
ARTICLE_END = np.array([ph == 0 for _, ph in STATES])
THREAD_END = ~ARTICLE_END


# The compiled dynamic programme (classifier/_viterbi.pyx), or None: the numpy form below.
_VITERBI = ext.load("classifier._viterbi")
# The compiled page reductions (``furniture_pages``), or None: the numpy form.
_PAGES = ext.load("classifier._pages_ext")


def _mask(end_states: np.ndarray | None, k: int) -> np.ndarray | None:
    """``end_states`` for a chain of ``k`` states (masks are written for the full chain)."""
    if end_states is None:
        return None
    end_states = np.asarray(end_states, dtype=bool)
    if end_states.shape[0] not in (k, len(STATES)):
        raise ValueError(f"an end-state mask of {end_states.shape[0]} states for a chain of {k}")
    return end_states[:k]


def viterbi(proba: np.ndarray, prior: np.ndarray, log_start: np.ndarray, log_trans: np.ndarray,
            end_states: np.ndarray | None = None) -> np.ndarray:
    """Best label index per block under the phase-structured chain (ending in ``end_states``)."""
    n = proba.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = chain_size(log_start)
    end_states = _mask(end_states, k)
    emit = np.log(np.maximum(proba, MIN_PROBA)) - PRIOR_WEIGHT * np.log(np.maximum(prior, MIN_PROBA))
    em = emit[:, _STATE_LABEL[:k]]  # [n, states]
    lt = TRANSITION_WEIGHT * log_trans
    score = log_start + em[0]
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + lt  # [from, to]
        back[t] = np.argmax(cand, axis=0)
        score = cand[back[t], np.arange(k)] + em[t]
    if end_states is not None:
        score = np.where(end_states, score, -np.inf)
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return _STATE_LABEL[path]


_STATE_ROWS = np.arange(len(STATES))
# Pages decoded together by ``viterbi_batch`` (sorted by length): a step costs a few numpy calls
# whatever the group's size, so one group per batch is cheapest until the arrays get large.
BATCH_GROUP = 512


def furniture_pages(probas: Sequence[np.ndarray]) -> np.ndarray:
    """Pages decoded with the ``post`` chain: mean boilerplate probability over the page's
    blocks above POST_THREAD_MIN_BOILERPLATE (whole pages rendered to text; an empty page is not)."""
    if _PAGES is not None and len(probas) and all(p.dtype == np.float64 and p.ndim == 2 and p.shape[1] == len(LABELS)
                                                  for p in probas):
        offsets = np.zeros(len(probas) + 1, dtype=np.int64)
        np.cumsum([p.shape[0] for p in probas], out=offsets[1:])
        return _PAGES.furniture(np.concatenate(probas), offsets, POST_THREAD_MIN_BOILERPLATE)
    return np.fromiter((float(p[:, _BOILERPLATE].mean()) > POST_THREAD_MIN_BOILERPLATE if p.shape[0] else False
                        for p in probas), dtype=bool, count=len(probas))


def scores_width(log_start: np.ndarray, post: tuple[np.ndarray, np.ndarray] | None = None) -> int:
    """Columns of ``viterbi_batch``'s ``final_scores`` for these tables."""
    return chain_size(log_start if post is None else post[0])


def viterbi_batch(probas: Sequence[np.ndarray], prior: np.ndarray, log_start: np.ndarray,
                  log_trans: np.ndarray, end_states: np.ndarray | None = None,
                  final_scores: np.ndarray | None = None, post: tuple[np.ndarray, np.ndarray] | None = None,
                  use_post: np.ndarray | None = None) -> list[np.ndarray]:
    """Viterbi over many pages, each with its chain: ``(log_start, log_trans)``, or ``post``'s
    eight-state tables (``(log_start, log_trans)`` too) for the pages ``use_post`` marks
    (default: ``furniture_pages``). ``final_scores`` then has ``scores_width`` columns, -inf
    in the eighth for pages of a seven-state chain. See ``_viterbi_chain``."""
    if post is None:
        return _viterbi_chain(probas, prior, log_start, log_trans, end_states, final_scores)
    use = furniture_pages(probas) if use_post is None else np.asarray(use_post, dtype=bool)
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(probas)
    for sel, (ls, lt) in ((~use, (log_start, log_trans)), (use, post)):
        ids = np.flatnonzero(sel)
        if not ids.size:
            continue
        fs = None if final_scores is None else np.zeros((ids.size, chain_size(ls)))
        for i, lab in zip(ids.tolist(), _viterbi_chain([probas[i] for i in ids], prior, ls, lt, end_states, fs)):
            out[i] = lab
        if final_scores is not None:
            final_scores[ids] = -np.inf
            final_scores[ids, : fs.shape[1]] = fs
    return out


def _viterbi_chain(probas: Sequence[np.ndarray], prior: np.ndarray, log_start: np.ndarray,
                   log_trans: np.ndarray, end_states: np.ndarray | None = None,
                   final_scores: np.ndarray | None = None) -> list[np.ndarray]:
    """``viterbi`` for many pages at once: one numpy step per block position, not per block.

    Same result as calling ``viterbi`` on each page (checked in the tests); the speed-up is
    that a step costs a few numpy calls for a whole group of pages instead of for one page.
    Pages shorter than the group's longest are padded; their best final state is taken at
    their own last block, and backtracking starts there. ``end_states`` (a boolean mask over
    STATES, e.g. ``THREAD_END``) restricts the final state of every page. ``final_scores``
    ([pages, states], optional) receives each page's best path score ending in each state
    (before that restriction), so a caller can compare the best thread and article endings;
    it has one column per state of the table's chain (``chain_size(log_start)``).
    """
    k = chain_size(log_start)
    end_states = _mask(end_states, k)
    state_label = _STATE_LABEL[:k]
    state_rows = _STATE_ROWS[:k]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(probas)
    lens = np.fromiter((p.shape[0] for p in probas), dtype=np.int64, count=len(probas))
    lt = TRANSITION_WEIGHT * log_trans
    log_prior = PRIOR_WEIGHT * np.log(np.maximum(prior, MIN_PROBA))
    lt_to_from = np.ascontiguousarray(lt.T)
    if _VITERBI is not None and len(probas):
        return _viterbi_compiled(probas, lens, log_prior, log_start, lt_to_from, end_states, final_scores)
    order = [i for i in np.argsort(lens, kind="stable").tolist() if lens[i] > 0]
    for g in range(0, len(order), BATCH_GROUP):
        group = order[g: g + BATCH_GROUP]
        glen = lens[group]
        n_pages, width = len(group), int(glen.max())
        # Emissions of the whole group in one log (elementwise: the same values page by page),
        # scattered time-major: each step reads one contiguous slab.
        rows = [probas[i] for i in group]
        if len({r.dtype for r in rows}) == 1:
            emit = (np.log(np.maximum(np.concatenate(rows), MIN_PROBA)) - log_prior)[:, state_label]
        else:  # mixed dtypes: each page's log in its own precision, as page by page
            emit = np.concatenate([(np.log(np.maximum(r, MIN_PROBA)) - log_prior)[:, state_label] for r in rows])
        page_row = np.repeat(np.arange(n_pages), glen)
        first_row = np.cumsum(glen) - glen
        em = np.zeros((width, n_pages, k))
        em[np.arange(len(page_row)) - first_row[page_row], page_row] = emit
        # Pages are sorted by length, so the pages still running at step t are a suffix of the
        # group (from row lo[t]): each step works on those only, not on padding.
        lo = np.searchsorted(glen, np.arange(width), side="right").tolist()
        final = np.zeros((n_pages, k))
        back = np.zeros((width, n_pages, k), dtype=np.int8)
        flat_rows = np.arange(n_pages * k)
        score = log_start + em[0]
        prev = lo[0]
        tail = width  # the first step with one page left running
        for t in range(1, width):
            a = lo[t]
            if a > prev:  # pages whose last block was t - 1
                final[prev: a] = score[prev: a]
                prev = a
            if a == n_pages - 1:
                tail = t
                break
            m = n_pages - a
            # cand[page, to, from]: the reductions run along the last, contiguous axis (argmax
            # there and a gather are several times faster than max/argmax over a middle axis,
            # and than max with ``out=``).
            cand = (score[a:, None, :] + lt_to_from).reshape(-1, k)
            b = cand.argmax(axis=1)
            back[t, a:] = b.reshape(m, k)
            score[a:] = cand[flat_rows[: m * k], b].reshape(m, k) + em[t, a:]
        if tail < width:
            # One page left (most steps of a group: its longest page's tail): the same sums on
            # its states alone, without the slicing and reshaping the group step needs.
            r = n_pages - 1
            s = score[r]
            steps = []
            for e in em[tail:, r]:
                cand = s + lt_to_from  # cand[to, from]
                b = cand.argmax(axis=1)
                steps.append(b)
                s = cand[state_rows, b] + e
            back[tail:, r] = steps
            score[r] = s
        final[prev:] = score[prev:]
        if final_scores is not None:
            final_scores[group] = final
        if end_states is not None:
            final[:, ~end_states] = -np.inf
        # Backtracking page by page over Python lists: most steps of a group have one page
        # left running, where a numpy gather per step costs ~20x a list index per block.
        best = final.argmax(axis=1).tolist()
        for r, i in enumerate(group):
            n_r = int(glen[r])
            state = best[r]
            path = [state] * n_r
            for t, row in zip(range(n_r - 2, -1, -1), reversed(back[1:n_r, r].tolist())):
                state = row[state]
                path[t] = state
            out[i] = state_label[path]
    return out


def _viterbi_compiled(probas: Sequence[np.ndarray], lens: np.ndarray, log_prior: np.ndarray,
                      log_start: np.ndarray, lt_to_from: np.ndarray, end_states: np.ndarray | None,
                      final_scores: np.ndarray | None) -> list[np.ndarray]:
    """``_viterbi_chain`` with the dynamic programme in C (classifier/_viterbi.pyx): the same
    emissions (one log per page's own dtype), sums and tie-breaking, so the same paths and
    final scores."""
    k = log_start.shape[0]
    state_label = _STATE_LABEL[:k]
    rows = [p for p in probas if p.shape[0]]
    if not rows:
        return [np.zeros(0, dtype=np.int64)] * len(probas)
    if len({r.dtype for r in rows}) == 1:
        emit = np.log(np.maximum(np.concatenate(rows), MIN_PROBA)) - log_prior
    else:  # mixed dtypes: each page's log in its own precision, as page by page
        emit = np.concatenate([np.log(np.maximum(r, MIN_PROBA)) - log_prior for r in rows])
    em = np.ascontiguousarray(emit[:, state_label], dtype=np.float64)
    offsets = np.zeros(len(probas) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    ends = np.ones(k, dtype=np.uint8) if end_states is None else end_states.astype(np.uint8)
    want = final_scores is not None
    fs = np.zeros((len(probas), k)) if want else np.zeros((0, k))
    states = _VITERBI.viterbi_pages(em, offsets, np.ascontiguousarray(log_start, dtype=np.float64),
                                    lt_to_from.astype(np.float64, copy=False), ends, fs, want)
    if want:
        nonempty = lens > 0
        final_scores[nonempty] = fs[nonempty]
    labels = state_label[states]
    bounds = offsets.tolist()
    return [labels[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def viterbi_fixed_start(probas: Sequence[np.ndarray], starts: Sequence[int], prior: np.ndarray,
                        log_start: np.ndarray, log_trans: np.ndarray,
                        post: tuple[np.ndarray, np.ndarray] | None = None) -> list[np.ndarray]:
    """Best path per page whose comment section begins exactly at block ``starts[i]``.

    The blocks before the start are decoded ending in the article phase, the blocks from it on
    starting in the comment state (then the thread phase's own moves): two ``viterbi_batch``
    calls over the affected pages only, so a start chosen by another layer (the thread-start
    refinement of classifier/thread_start.py) is re-decoded at batch speed. A start of 0 leaves
    no article part; a start at or past a page's end means no comment section at all. With
    ``post``, each page keeps the chain its whole page selects (``viterbi_batch``)."""
    out: list[np.ndarray] = []
    heads, tails = [], []
    for p, s in zip(probas, starts):
        s = int(min(max(s, 0), p.shape[0]))
        heads.append(p[:s])
        tails.append(p[s:])
    def thread_start(ls: np.ndarray) -> np.ndarray:
        v = np.full(chain_size(ls), -np.inf)
        v[_STATE_INDEX[("comment", 1)]] = 0.0
        return v

    use = None if post is None else furniture_pages(probas)
    head = viterbi_batch(heads, prior, log_start, log_trans, end_states=ARTICLE_END, post=post, use_post=use)
    tail = viterbi_batch(tails, prior, thread_start(log_start), log_trans,
                         post=None if post is None else (thread_start(post[0]), post[1]), use_post=use)
    for a, b in zip(head, tail):
        out.append(np.concatenate([a, b]))
    return out
