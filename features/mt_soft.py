"""Soft page-level signal of translationese, and how it joins the artefact scores of ``features/mt.py``.

Artefacts (``mt.py``) catch careless machine translation; fluent MT (DeepL, Google) has none.
What is left is *how* its sentences are built: a little more "the" and "of", fewer
contractions and pronouns, commas in other places. Any one sentence says almost nothing; a
page of them says more. So:

1. Each block is reduced to symbols (``features/mt_soft_data.py``: function words kept, other
   words replaced by their shape, punctuation kept, typography flattened first) and scored by a
   logistic model over symbol unigrams and adjacent pairs, the weights learned from WMT news
   (``training/mt_soft.py``): ``z = w . counts / sqrt(n) + bias``, where ``n`` counts the
   block's unigrams and pairs (a longer sentence may say more, not linearly more).
2. Only English-looking prose blocks are scored: at least ``MIN_WORDS`` words, of which at
   least ``MIN_FUNCTION_SHARE`` are function words (a menu, a list of names, a page in another
   language carries no signal the model knows).
3. Page: ``S = sum(z) / sqrt(number of scored blocks)`` (independent weak votes add up like
   that), and a calibrated probability ``p = sigmoid(a * S + b)`` fitted out of fold on pages of
   5 to 40 sentences.

Combining with the artefacts (issue 4: strong artefacts dominate, fluent MT is scored honestly
low-confidence). Every weight below is a named constant:

- block: ``mt = 1 - (1 - artefact) * (1 - SOFT_BLOCK_WEIGHT * p_block ** SOFT_POWER)``: soft
  evidence alone stays below ``SOFT_BLOCK_WEIGHT`` (0.2), far from the 0.5 that flags a block;
- page: ``mt_score = 1 - (1 - artefact_page) * (1 - SOFT_PAGE_WEIGHT * p_page ** SOFT_POWER)``:
  at most ``SOFT_PAGE_WEIGHT`` (0.35) from style alone; raising ``p`` to ``SOFT_POWER`` keeps a
  page the model is unsure about (p near 0.5) near 0.04 while keeping the order of pages (the
  ROC-AUC) intact.

The model file (``data/mt-soft.json``) is plain JSON: the symbol alphabet (checked against
``SYMBOLS``: a model trained on another alphabet is refused with a clear error), unigram
weights, the pair weights as a sparse list, the bias and the page calibration.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from features.mt_soft_data import FLATTEN, FUNCTION_WORDS, LONG_WORD, PUNCTUATION, SHAPES, SYMBOLS
from features.tokens import WORD_CHAR, HashVocab, tokenize

__all__ = ["SoftModel", "SoftScores", "symbol_ngrams", "soft_scores", "combine", "default_soft_path",
           "load_soft_model", "SoftModelError", "SOFT_SCHEMA"]

SOFT_SCHEMA = "mt-soft-1"
SOFT_STEM = "mt-soft"
ENV_SOFT_MODEL = "NEWSWINNOW_MT_SOFT"
MIN_WORDS = 6
MIN_FUNCTION_SHARE = 0.25
SOFT_BLOCK_WEIGHT = 0.2
SOFT_PAGE_WEIGHT = 0.35
SOFT_POWER = 3.0

_N_FW = len(FUNCTION_WORDS)
_PUNCT_BASE = _N_FW
_SHAPE_BASE = _N_FW + len(PUNCTUATION)
(NUM, CAP_FIRST, CAP, ACRONYM, CONTRACTION, LONG, SHORT) = (_SHAPE_BASE + i for i in range(len(SHAPES)))
V = len(SYMBOLS)
# ASCII code point -> punctuation symbol id (-1: not a punctuation symbol).
_PUNCT_TABLE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(PUNCTUATION):
    _PUNCT_TABLE[ord(_c)] = _PUNCT_BASE + _i
_APOSTROPHE = ord("'")
_NUMBER_JOINERS = np.array([ord("."), ord(",")], dtype=np.uint32)
_FW_VOCAB = HashVocab(list(FUNCTION_WORDS))
_FLATTEN_TABLE = str.maketrans(FLATTEN)


class SoftModelError(ValueError):
    """The soft-signal model file is missing, malformed, or built for another symbol alphabet."""


@dataclass(frozen=True)
class Ngrams:
    """Symbol unigrams and adjacent pairs of a batch of blocks, as flat arrays.

    ``uni``/``uni_block``: symbol id and block of every token; ``pair``/``pair_block``: code
    ``a * V + b`` of every adjacent pair inside a block; ``words``/``function_words``: per block.
    """

    uni: np.ndarray
    uni_block: np.ndarray
    pair: np.ndarray
    pair_block: np.ndarray
    words: np.ndarray
    function_words: np.ndarray


def _lower_same_length(text: str) -> str:
    """``text.lower()``, except characters whose lower case is longer ('İ') stay as they are."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def symbol_ngrams(texts: Sequence[str]) -> Ngrams:
    """Every block's symbols and symbol pairs, for the whole batch at once (numpy, no per-token Python)."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    flat = "\n".join(texts).translate(_FLATTEN_TABLE)
    low = _lower_same_length(flat)
    cp = np.frombuffer(flat.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cpl = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    tok = tokenize(low)
    word = ~tok.newline
    ws, we = tok.starts[word], tok.ends[word]
    wlen = we - ws
    fw = _FW_VOCAB.lookup(tok.hashes[word])
    upper = cp != cpl
    upper_cum = np.concatenate(([0], np.cumsum(upper, dtype=np.int64)))
    apos_cum = np.concatenate(([0], np.cumsum(cpl == _APOSTROPHE, dtype=np.int64)))
    n_upper = upper_cum[we] - upper_cum[ws]
    w_block = np.searchsorted(starts, ws, side="right") - 1
    first = np.ones(len(ws), dtype=bool)
    first[1:] = w_block[1:] != w_block[:-1]
    shape = np.where(wlen > LONG_WORD, LONG, SHORT)
    shape = np.where(apos_cum[we] - apos_cum[ws] > 0, CONTRACTION, shape)
    shape = np.where(upper[ws] & first, CAP_FIRST, np.where(upper[ws], CAP, shape))
    shape = np.where((n_upper == wlen) & (wlen >= 2), ACRONYM, shape)
    shape = np.where(tok.digits[word], NUM, shape)
    wid = np.where(fw > 0, fw - 1, shape)
    # Punctuation: ASCII marks (after flattening), not the "." / "," inside a number, not an
    # apostrophe inside a word (the tokeniser keeps those in the word).
    pid = np.where(cpl < 128, _PUNCT_TABLE[np.minimum(cpl, 127)], -1)
    ppos = np.flatnonzero(pid >= 0)
    if len(ppos):
        digit = np.zeros(len(cp) + 2, dtype=bool)
        digit[1:-1] = (cp >= 48) & (cp <= 57)
        in_number = np.isin(cp[ppos], _NUMBER_JOINERS) & digit[ppos] & digit[ppos + 2]
        wc = np.zeros(len(cp) + 2, dtype=bool)
        wc[1:-1] = WORD_CHAR[cp]
        in_word = (cp[ppos] == _APOSTROPHE) & wc[ppos] & wc[ppos + 2]
        ppos = ppos[~(in_number | in_word)]
    pos = np.concatenate((ws, ppos))
    ids = np.concatenate((wid, pid[ppos]))
    order = np.argsort(pos, kind="stable")
    pos, ids = pos[order], ids[order]
    block = np.searchsorted(starts, pos, side="right") - 1
    same = block[1:] == block[:-1]
    pair = (ids[:-1] * V + ids[1:])[same]
    pair_block = block[:-1][same]
    words = np.bincount(w_block, minlength=n)
    function_words = np.bincount(w_block, weights=(fw > 0).astype(np.float64), minlength=n)
    return Ngrams(ids, block, pair, pair_block, words, function_words)


def prose_mask(ng: Ngrams) -> np.ndarray:
    """Blocks the model scores: enough words, and enough of them English function words."""
    return (ng.words >= MIN_WORDS) & (ng.function_words >= MIN_FUNCTION_SHARE * np.maximum(ng.words, 1))


def ngram_counts(ng: Ngrams, n_blocks: int) -> np.ndarray:
    """Unigrams + pairs per block (the ``n`` of ``z = w . counts / sqrt(n)``)."""
    return (np.bincount(ng.uni_block, minlength=n_blocks) + np.bincount(ng.pair_block, minlength=n_blocks)
            ).astype(np.float64)


@dataclass(frozen=True)
class SoftModel:
    """Logistic weights over symbol unigrams and pairs, plus the page calibration."""

    unigram: np.ndarray  # (V,)
    pair: np.ndarray     # (V * V,), zero for pairs the model does not know
    bias: float
    page_a: float
    page_b: float
    meta: dict

    def block_logits(self, ng: Ngrams, n_blocks: int) -> np.ndarray:
        """``z`` per block (every block; callers mask non-prose blocks)."""
        total = (np.bincount(ng.uni_block, weights=self.unigram[ng.uni], minlength=n_blocks)
                 + np.bincount(ng.pair_block, weights=self.pair[ng.pair], minlength=n_blocks))
        return total / np.sqrt(ngram_counts(ng, n_blocks) + 1.0) + self.bias

    def to_json(self) -> dict:
        nz = np.flatnonzero(self.pair)
        return {
            "schema": SOFT_SCHEMA, "symbols": list(SYMBOLS),
            "unigram": [round(float(x), 5) for x in self.unigram],
            "pairs": [[int(k // V), int(k % V), round(float(self.pair[k]), 5)] for k in nz],
            "bias": self.bias, "page_a": self.page_a, "page_b": self.page_b, "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict, where: str = "model") -> SoftModel:
        if not isinstance(data, dict) or data.get("schema") != SOFT_SCHEMA:
            raise SoftModelError(f"{where}: not a {SOFT_SCHEMA} soft-signal model "
                                 f"(schema {data.get('schema') if isinstance(data, dict) else None!r})")
        if data.get("symbols") != list(SYMBOLS):
            raise SoftModelError(f"{where}: trained on another symbol alphabet than features/mt_soft_data.py; "
                                 "retrain with training/mt_soft.py")
        try:
            unigram = np.asarray(data["unigram"], dtype=np.float64)
            pair = np.zeros(V * V, dtype=np.float64)
            for a, b, w in data["pairs"]:
                pair[int(a) * V + int(b)] = float(w)
            model = cls(unigram, pair, float(data["bias"]), float(data["page_a"]), float(data["page_b"]),
                        dict(data.get("meta", {})))
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise SoftModelError(f"{where}: malformed soft-signal model ({type(e).__name__}: {e})") from e
        if unigram.shape != (V,) or not np.isfinite(unigram).all() or not np.isfinite(pair).all():
            raise SoftModelError(f"{where}: unigram weights must be {V} finite numbers")
        return model


def default_soft_path() -> Path:
    """$NEWSWINNOW_MT_SOFT, the repo's data/, or the installed share/newswinnow/data."""
    env = os.environ.get(ENV_SOFT_MODEL)
    if env:
        return Path(env)
    candidates = [Path(__file__).resolve().parent.parent / "data" / f"{SOFT_STEM}.json",
                  Path(sys.prefix) / "share" / "newswinnow" / "data" / f"{SOFT_STEM}.json"]
    return next((c for c in candidates if c.exists()), candidates[0])


def load_soft_model(path: str | None = None) -> SoftModel:
    """The soft-signal model at ``path`` (default: :func:`default_soft_path`), loaded once per path."""
    return _load_soft_model(str(path) if path else str(default_soft_path()))


@functools.lru_cache(maxsize=4)
def _load_soft_model(path: str) -> SoftModel:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise SoftModelError(f"{p}: cannot read the soft-signal model ({e.strerror or e})") from e
    except json.JSONDecodeError as e:
        raise SoftModelError(f"{p}: not JSON ({e})") from e
    return SoftModel.from_json(data, str(p))


@dataclass(frozen=True)
class SoftScores:
    """Per block: probability-like soft score (0 for blocks not scored); per page: calibrated p."""

    block: np.ndarray
    page: np.ndarray
    page_stat: np.ndarray


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


def soft_scores(texts: Sequence[str], page: np.ndarray, n_pages: int, model: SoftModel | None = None) -> SoftScores:
    """Soft translationese probability per block and per page (``page`` gives each block's page)."""
    model = model or load_soft_model()
    n = len(texts)
    if n == 0:
        z = np.zeros(0)
        return SoftScores(z, np.zeros(n_pages), np.zeros(n_pages))
    ng = symbol_ngrams(texts)
    z = model.block_logits(ng, n)
    prose = prose_mask(ng)
    block = np.where(prose, _sigmoid(z), 0.0)
    page = np.asarray(page)
    votes = np.bincount(page, weights=np.where(prose, z, 0.0), minlength=n_pages)
    count = np.bincount(page, weights=prose.astype(np.float64), minlength=n_pages)
    stat = votes / np.sqrt(np.maximum(count, 1.0))
    page_p = np.where(count > 0, _sigmoid(model.page_a * stat + model.page_b), 0.0)
    return SoftScores(block, page_p, stat)


def soft_contribution(p: np.ndarray, weight: float) -> np.ndarray:
    """What a soft probability adds to an mt score: ``weight * p ** SOFT_POWER``."""
    return weight * np.power(np.clip(p, 0.0, 1.0), SOFT_POWER)


def combine(artefact: np.ndarray, soft_p: np.ndarray, weight: float) -> np.ndarray:
    """``1 - (1 - artefact) * (1 - weight * soft_p ** SOFT_POWER)``: artefacts dominate, style adds a little."""
    a = np.clip(np.asarray(artefact, dtype=np.float64), 0.0, 1.0)
    return 1.0 - (1.0 - a) * (1.0 - soft_contribution(soft_p, weight))
