"""Sequence decoding: per-block probabilities -> labels for the whole page at once.

A reader-comment section is one contiguous run, usually near the end: once the thread starts,
article text does not come back, and one comment-like line inside an article should not open
a thread. We model the page as a hidden Markov chain over *states* = (label, phase), where the
phase flips from "article" to "thread" at the first comment and never flips back. Editorial
text in the thread phase and comments in the article phase are thereby structural
exceptions with learned (low) probabilities. The transition table is counted from the gold
label sequences of the training pages; emissions are the model's calibrated probabilities
divided by the label prior (the hybrid-HMM trick); Viterbi finds the best path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .model import LABELS

# (label, phase): phase 0 = before the first comment, phase 1 = from the first comment on.
STATES: tuple[tuple[str, int], ...] = (
    ("editorial", 0), ("spam", 0), ("boilerplate", 0),
    ("comment", 1), ("spam", 1), ("boilerplate", 1), ("editorial", 1),
)
_STATE_LABEL = np.array([LABELS.index(lab) for lab, _ in STATES])
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


def state_sequence(labels: Sequence[str]) -> list[int]:
    """Gold labels -> decode states (phase flips at the first comment)."""
    phase = 0
    out = []
    for lab in labels:
        if lab == "comment":
            phase = 1
        out.append(_STATE_INDEX[(lab, phase)])
    return out


def fit_transitions(label_seqs: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Count start and transition frequencies over gold pages -> (log_start, log_trans)."""
    k = len(STATES)
    start = np.full(k, TRANSITION_SMOOTHING)
    trans = np.full((k, k), TRANSITION_SMOOTHING)
    # Phase never goes back: forbid thread -> article moves outright.
    for i, (_, pi) in enumerate(STATES):
        for j, (lab_j, pj) in enumerate(STATES):
            if pj < pi or (pi == 0 and pj == 1 and lab_j != "comment"):
                trans[i, j] = 0.0
    start[[i for i, (_, ph) in enumerate(STATES) if ph == 1 and STATES[i][0] != "comment"]] = 0.0
    for labels in label_seqs:
        s = state_sequence(labels)
        if not s:
            continue
        start[s[0]] += 1
        for a, b in zip(s[:-1], s[1:]):
            trans[a, b] += 1
    with np.errstate(divide="ignore"):
        log_start = np.log(start / start.sum())
        log_trans = np.log(trans / trans.sum(axis=1, keepdims=True))
    return log_start, log_trans


# Masks over STATES for ``end_states``: the phase is monotone, so ending in the article phase
# means "no comment section" and ending in the thread phase means "a comment section" - the
# page-level gate (classifier/page_gate.py) uses them to overrule Viterbi's own choice.
ARTICLE_END = np.array([ph == 0 for _, ph in STATES])
THREAD_END = ~ARTICLE_END


def viterbi(proba: np.ndarray, prior: np.ndarray, log_start: np.ndarray, log_trans: np.ndarray,
            end_states: np.ndarray | None = None) -> np.ndarray:
    """Best label index per block under the phase-structured chain (ending in ``end_states``)."""
    n = proba.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    emit = np.log(np.maximum(proba, MIN_PROBA)) - PRIOR_WEIGHT * np.log(np.maximum(prior, MIN_PROBA))
    em = emit[:, _STATE_LABEL]  # [n, states]
    lt = TRANSITION_WEIGHT * log_trans
    score = log_start + em[0]
    back = np.zeros((n, len(STATES)), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + lt  # [from, to]
        back[t] = np.argmax(cand, axis=0)
        score = cand[back[t], np.arange(len(STATES))] + em[t]
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


def viterbi_batch(probas: Sequence[np.ndarray], prior: np.ndarray, log_start: np.ndarray,
                  log_trans: np.ndarray, end_states: np.ndarray | None = None,
                  final_scores: np.ndarray | None = None) -> list[np.ndarray]:
    """``viterbi`` for many pages at once: one numpy step per block position, not per block.

    Same result as calling ``viterbi`` on each page (checked in the tests); the speed-up is
    that a step costs a few numpy calls for a whole group of pages instead of for one page.
    Pages shorter than the group's longest are padded; their best final state is taken at
    their own last block, and backtracking starts there. ``end_states`` (a boolean mask over
    STATES, e.g. ``THREAD_END``) restricts the final state of every page. ``final_scores``
    ([pages, states], optional) receives each page's best path score ending in each state
    (before that restriction), so a caller can compare the best thread and article endings.
    """
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(probas)
    lens = np.fromiter((p.shape[0] for p in probas), dtype=np.int64, count=len(probas))
    order = [i for i in np.argsort(lens, kind="stable").tolist() if lens[i] > 0]
    lt = TRANSITION_WEIGHT * log_trans
    k = len(STATES)
    log_prior = PRIOR_WEIGHT * np.log(np.maximum(prior, MIN_PROBA))
    lt_to_from = np.ascontiguousarray(lt.T)
    for g in range(0, len(order), BATCH_GROUP):
        group = order[g: g + BATCH_GROUP]
        glen = lens[group]
        n_pages, width = len(group), int(glen.max())
        # Emissions of the whole group in one log (elementwise: the same values page by page),
        # scattered time-major: each step reads one contiguous slab.
        rows = [probas[i] for i in group]
        if len({r.dtype for r in rows}) == 1:
            emit = (np.log(np.maximum(np.concatenate(rows), MIN_PROBA)) - log_prior)[:, _STATE_LABEL]
        else:  # mixed dtypes: each page's log in its own precision, as page by page
            emit = np.concatenate([(np.log(np.maximum(r, MIN_PROBA)) - log_prior)[:, _STATE_LABEL] for r in rows])
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
                s = cand[_STATE_ROWS, b] + e
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
            out[i] = _STATE_LABEL[path]
    return out


def viterbi_fixed_start(probas: Sequence[np.ndarray], starts: Sequence[int], prior: np.ndarray,
                        log_start: np.ndarray, log_trans: np.ndarray) -> list[np.ndarray]:
    """Best path per page whose comment section begins exactly at block ``starts[i]``.

    The blocks before the start are decoded ending in the article phase, the blocks from it on
    starting in the comment state (then the thread phase's own moves): two ``viterbi_batch``
    calls over the affected pages only, so a start chosen by another layer (the thread-start
    refinement of classifier/thread_start.py) is re-decoded at batch speed. A start of 0 leaves
    no article part; a start at or past a page's end means no comment section at all."""
    out: list[np.ndarray] = []
    heads, tails = [], []
    for p, s in zip(probas, starts):
        s = int(min(max(s, 0), p.shape[0]))
        heads.append(p[:s])
        tails.append(p[s:])
    thread_start = np.full(len(STATES), -np.inf)
    thread_start[_STATE_INDEX[("comment", 1)]] = 0.0
    head = viterbi_batch(heads, prior, log_start, log_trans, end_states=ARTICLE_END)
    tail = viterbi_batch(tails, prior, thread_start, log_trans)
    for a, b in zip(head, tail):
        out.append(np.concatenate([a, b]))
    return out
