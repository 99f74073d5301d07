"""Feature columns: blocks -> a float32 matrix with a fixed, named, versioned schema.

Two passes, as in jusText: block-local columns first (character classes, word classes,
phrase patterns, profanity, MT artefacts), then context columns computed from them
(neighbours, windowed and cumulative means, position, page statistics). A reader comment
looks like prose on its own; what gives it away is stance and style *and* where it sits.

Speed: the page's blocks are joined once into one string; character classes are counted
with numpy over its UTF-32 code points, every phrase regex runs once over the joined text and
its matches are mapped back to blocks with ``searchsorted``; words are looked up in a single
dict of class bitmasks through ``map`` (no Python bytecode per token).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import NamedTuple

import numpy as np

from . import ext, lexicons, prefilter, tablecache
from .lexical import LEXICAL_COLUMNS, LEXICAL_LABELS, LexicalScorer
from .lowercase import code_points, lower_codepoints
from .mt import mt_artefacts
from .mt_soft_data import FUNCTION_WORDS
from .profanity import profanity_scores
from .tablecache import banked_regex
from .tokens import HashVocab, TokenBatch, tokenize, tokenize_cp

SCHEMA_VERSION = "text-4"

# Word tokens, apostrophes kept ("don't"), "$" as a word for the spam vocabulary, and the
# newline between blocks as a token of its own so one findall tokenises the whole page.
TOKEN_RX = banked_regex(r"\w+(?:['\u2019]\w+)*|\$|\n")
# Code points counted directly: question and exclamation marks, full stops (sentence ends).
QUESTION_MARK, EXCLAMATION_MARK, FULL_STOP = ord("?"), ord("!"), ord(".")
NUM_TOKEN = "<num>"
# Columns filled by the model's learned lexicon (zero when features run without one).
LEXICAL_NAMES = ("lex_editorial", "lex_comment", "lex_spam", "lex_boilerplate", "lex_spam_vs_comment")

_WORD_CLASS_NAMES = tuple(lexicons.WORD_CLASSES)
_PHRASE_NAMES = tuple(lexicons.PHRASES)
# Run on the UTF-8 bytes of the lower-cased page: a str with one emoji in it is 4 bytes a
# character, its UTF-8 mostly 1, and a scan is bound by memory. (So \\w, \\d, \\s and \\b
# are ASCII-only here, which these ASCII patterns are about anyway.)
_LITERAL_RX = {name: tuple(banked_regex(src.encode("ascii")) for src in srcs)
               for name, srcs in lexicons.LITERAL_PATTERNS.items()}
# Patterns whose matches all start with a literal are found by ``bytes.find`` and matched there:
# the regex engine looks for the literal one byte at a time, ``find`` uses memchr for one byte
# and skips ahead by the needle for long ones. Two- and three-byte needles are slow in ``find``
# (slower than the regex), so for those prefixes the needle is their first byte ("<" of "<3") -
# unless that byte is common in text (a letter, a digit, ".", ":"): then the regex scans.
LONG_NEEDLE = 4
COMMON_BYTES = frozenset(b" .,:0123456789abcdefghijklmnopqrstuvwxyz")
# ... while the prefix turns up at most once per this many bytes (beyond a few places); past
# that, one ``finditer`` from there on (a find and a match cost ~0.5 us a place).
FIND_BYTES_PER_STEP = 2048
FIND_MIN_STEPS = 16


def literal_prefix(rx: re.Pattern) -> bytes:
    """The bytes every match of ``rx`` starts with: its leading plain literals (b"" if unknown).

    Read from the parsed pattern; a case-insensitive or str pattern gets b"" (no shortcut).
    """
    if not isinstance(rx.pattern, bytes) or rx.flags & re.IGNORECASE:
        return b""
    from re import _parser as sre_parser  # (python_requires >= 3.11: no sre_parse fallback)
    try:
        parsed = sre_parser.parse(rx.pattern, rx.flags)
        if parsed.state.flags & re.IGNORECASE:
            return b""
        out = bytearray()
        for op, arg in parsed:
            if op is not sre_parser.LITERAL:
                break
            out.append(arg)
        return bytes(out)
    except Exception:  # noqa: BLE001 - a change of this private parser may cost speed, never results
        return b""


def find_needle(prefix: bytes) -> bytes:
    """What ``match_spans`` looks for: a long prefix itself, else its first byte when that is
    not common in text (b"": the regex engine scans)."""
    if len(prefix) >= LONG_NEEDLE:
        return prefix
    return prefix[:1] if prefix and prefix[0] not in COMMON_BYTES else b""


_FIND_NEEDLE = {rx: find_needle(literal_prefix(rx)) for rxs in _LITERAL_RX.values() for rx in rxs}
_CONTINUATION_RX = banked_regex(rb"[\x80-\xbf]")  # UTF-8 continuation bytes (not characters)
_START_NAMES = tuple(lexicons.START_PATTERNS)
_START_RX = banked_regex("|".join(f"({src})" for src in lexicons.START_PATTERNS.values()))
_CHAR_SET_CODES = {name: np.array(sorted(map(ord, chars)), dtype=np.uint32)
                   for name, chars in lexicons.CHAR_SETS.items()}
CHAR_FEATURES: tuple[str, ...] = (
    *(n for n in lexicons.LITERAL_PATTERNS if n != "url_span"), "quote_mark", "boiler_char", "money",
    "emoji", *_START_NAMES,
)


def _build_vocab() -> tuple[dict[str, int], np.ndarray, dict[int, int], dict[int, int], int]:
    """Token -> id for every lexicon word; class bitmask per id; n-gram code -> phrase families."""
    vocab: dict[str, int] = {"": 0, NUM_TOKEN: 1, "\n": 2}
    for words in lexicons.WORD_CLASSES.values():
        for w in words:
            vocab.setdefault(w, len(vocab))
    for phrases in lexicons.PHRASES.values():
        for ph in phrases:
            for w in ph.split():
                vocab.setdefault(w, len(vocab))
    # features.mt_soft's function words (either apostrophe), so its pass reuses these lookups;
    # words without a class or phrase leave every feature as it was.
    for w in FUNCTION_WORDS:
        vocab.setdefault(w, len(vocab))
        vocab.setdefault(w.replace("'", "\u2019"), len(vocab))
    bits = np.zeros(len(vocab), dtype=np.int64)
    for b, name in enumerate(_WORD_CLASS_NAMES):
        for w in lexicons.WORD_CLASSES[name]:
            bits[vocab[w]] |= 1 << b
    size = len(vocab)
    ngram2: dict[int, int] = {}
    ngram3: dict[int, int] = {}
    for f, phrases in enumerate(lexicons.PHRASES.values()):
        for ph in phrases:
            ids = [vocab[w] for w in ph.split()]
            if len(ids) == 2:
                code = ids[0] * size + ids[1]
                ngram2[code] = ngram2.get(code, 0) | (1 << f)
            elif len(ids) == 3:
                code = (ids[0] * size + ids[1]) * size + ids[2]
                ngram3[code] = ngram3.get(code, 0) | (1 << f)
            else:
                raise ValueError(f"phrase {ph!r}: phrases are 2 or 3 words")
    return vocab, bits, ngram2, ngram3, size


_VOCAB, _BITS, _NGRAM2, _NGRAM3, _VSIZE = _build_vocab()


def _position_members(keys: Iterable[int], n_words: int) -> list[np.ndarray]:
    """Per word position of the n-gram keys (id1 * V + id2 ...): which vocabulary ids occur
    there. A token pair/triple outside these sets cannot be a phrase: it is skipped before
    the per-candidate dict lookup (most adjacent known words are no phrase)."""
    sets = [np.zeros(_VSIZE, dtype=bool) for _ in range(n_words)]
    for key in keys:
        for pos in range(n_words - 1, -1, -1):
            key, word = divmod(key, _VSIZE)
            sets[pos][word] = True
    for member in sets:  # as before: only known words ("<num>" phrases never fire; see notes)
        member[: _VOCAB["\n"] + 1] = False
    return sets


_NG2_AT = _position_members(_NGRAM2, 2)
_NG3_AT = _position_members(_NGRAM3, 3)
# Vocabulary id -> 1 + index in FUNCTION_WORDS (0: not a function word), for features.mt_soft.
_FUNCTION_WORD_OF = np.zeros(len(_VOCAB), dtype=np.int64)
for _i, _w in reversed(list(enumerate(FUNCTION_WORDS))):
    _FUNCTION_WORD_OF[[_VOCAB[_w], _VOCAB[_w.replace("'", "\u2019")]]] = _i + 1
# Word classes by bit pattern: few distinct patterns occur, so per-block class counts are one
# bincount over (block, pattern) pairs and a small matrix product (pattern -> its class bits).
_PATTERNS, _PATTERN_OF = np.unique(_BITS, return_inverse=True)
_PATTERN_OF = _PATTERN_OF.reshape(-1)
_PATTERN_CLASSES = ((_PATTERNS[:, None] >> np.arange(len(_WORD_CLASS_NAMES))) & 1).astype(np.float64)
# The word-class vocabulary as a hash table (for pages scored without a learned lexicon).
_BASE_WORDS = [w for w in _VOCAB if w]
_BASE_TABLE = HashVocab(_BASE_WORDS)
_BASE_IDS = np.array([0, *(_VOCAB[w] for w in _BASE_WORDS)], dtype=np.int64)

# Character classes over code points (< 128 by table, >= 128 "other").
_CH_OTHER, _CH_UPPER, _CH_LOWER, _CH_DIGIT, _CH_PUNCT, _CH_SPACE, _CH_NONASCII = range(7)
_LUT = np.zeros(128, dtype=np.int8)
for _c in range(128):
    _ch = chr(_c)
    if _ch.isupper():
        _LUT[_c] = _CH_UPPER
    elif _ch.islower():
        _LUT[_c] = _CH_LOWER
    elif _ch.isdigit():
        _LUT[_c] = _CH_DIGIT
    elif _ch.isspace():
        _LUT[_c] = _CH_SPACE
    elif 33 <= _c < 127:
        _LUT[_c] = _CH_PUNCT
_ASCII_LIMIT = 128


def _flag_table(spaces: Sequence[int]) -> np.ndarray:
    """Code point -> bit flags (one bit per ``CHAR_FLAGS`` entry), for one gather per page batch;
    ``spaces``: ``_UNICODE_SPACES``."""
    table = np.zeros(_CODE_SPACE, dtype=np.uint32)
    for c in range(_ASCII_LIMIT):
        cls = int(_LUT[c])
        if cls:
            table[c] |= 1 << _ASCII_FLAG[cls]
    table[_ASCII_LIMIT:] |= 1 << CHAR_FLAGS.index("nonascii")
    for name, chars in lexicons.CHAR_SETS.items():
        for ch in chars:
            table[ord(ch)] |= 1 << CHAR_FLAGS.index(name)
    for lo_cp, hi_cp in lexicons.EMOJI_RANGES:
        table[lo_cp: hi_cp + 1] |= 1 << CHAR_FLAGS.index("emoji")
    for name, ch in (("question", "?"), ("exclaim", "!"), ("full_stop", ".")):
        table[ord(ch)] |= 1 << CHAR_FLAGS.index(name)
    for c in spaces:
        if c not in (10, 32):  # not " ", nor the newline that joins blocks
            table[c] |= 1 << CHAR_FLAGS.index("odd_space")
    return table


# One bit per character property; ``_FLAGS[cp]`` holds them all for code point ``cp``.
CHAR_FLAGS: tuple[str, ...] = ("upper", "lower", "digit", "punct", "space", "nonascii",
                               *lexicons.CHAR_SETS, "emoji", "question", "exclaim", "full_stop",
                               "odd_space")
# Code points below this one are scanned for the spaces ``str.split()`` splits on (all of them are).
_SPACE_SCAN_END = 0x3001
# A block "ends a sentence" when its last non-space character is one of these.
_SENTENCE_END_CPS = np.array([ord(c) for c in '.!?"\u201d\u2019)'], dtype=np.uint32)
_COLON_CP = ord(":")
_ASCII_FLAG = {_CH_UPPER: 0, _CH_LOWER: 1, _CH_DIGIT: 2, _CH_PUNCT: 3, _CH_SPACE: 4}
_CODE_SPACE = 0x110000  # every code point, surrogates included (utf-32 with surrogatepass)


def _char_tables() -> dict[str, np.ndarray]:
    """The spaces and the flag table, ~4 ms to build and kept in the table cache (keyed by the
    sources and the Unicode database, through ``tablecache``'s environment)."""
    spaces = np.array([c for c in range(_SPACE_SCAN_END) if chr(c).isspace()], dtype=np.int64)
    return {"spaces": spaces, "flags": _flag_table(spaces.tolist())}


_CHAR_TABLES = tablecache.cached_arrays("char-flags", [tablecache.source_fingerprint()], _char_tables)
# Code points that ``str.split()`` splits on (all below U+3001).
_UNICODE_SPACES = tuple(_CHAR_TABLES["spaces"].tolist())
_IS_SPACE = np.zeros(_CODE_SPACE, dtype=bool)  # str.isspace() by code point
_IS_SPACE[list(_UNICODE_SPACES)] = True
_FLAGS = _CHAR_TABLES["flags"]
_BIT = {name: np.uint32(1 << i) for i, name in enumerate(CHAR_FLAGS)}
# Per-character columns summed per block in one ``reduceat`` (order of the stacked matrix).
_CHAR_COUNTS = ("upper", "lower", "digit", "punct", "space", "nonascii", "quote_mark", "boiler_char",
                "money", "ellipsis_char", "emoji", "question", "exclaim", "sentence_end", "capword",
                "allcaps", "odd_space")
_CC = {name: i for i, name in enumerate(_CHAR_COUNTS)}
_NEWLINE_ID = _VOCAB["\n"]
_CHROME_FIRST_IDS = np.array(sorted(_VOCAB[w] for w in lexicons.CHROME_FIRST_WORDS if w in _VOCAB))
# The same tables for the compiled word counts (features/_vocab_ext.pyx): position sets as
# bytes, n-gram code -> families as sorted arrays, vocabulary id -> first-word chrome.
_NG_MEMBERS = tuple(m.view(np.uint8) for m in (*_NG2_AT, *_NG3_AT))
_NG_CODES = tuple(np.array([pairs[i] for pairs in sorted(d.items())], dtype=np.int64)
                  for d in (_NGRAM2, _NGRAM3) for i in (0, 1))  # codes2, families2, codes3, families3
_CHROME_FIRST = np.zeros(_VSIZE, dtype=np.uint8)
_CHROME_FIRST[_CHROME_FIRST_IDS.astype(np.int64)] = 1
_VOCAB_EXT = ext.load("features._vocab_ext")

LOCAL_NAMES: tuple[str, ...] = (
    "log_chars", "log_words", "mean_word_len", "upper_frac", "digit_frac", "punct_frac",
    "nonascii_frac", "space_frac", "starts_upper", "starts_lower", "starts_digit",
    "ends_sentence", "ends_colon", "ends_question", "question_rate", "exclaim_rate",
    "log_sentences", "capword_rate", "allcaps_rate",
    *(f"w_{n}" for n in _WORD_CLASS_NAMES),
    *(f"p_{n}" for n in _PHRASE_NAMES),
    *(f"c_{n}" for n in CHAR_FEATURES),
    "url_char_frac", "first_token_chrome", "profanity", "profanity_hits", "mt", "dup", "short",
    "shape_repeats",
    *LEXICAL_NAMES,
)
# Local columns carried into the context pass (neighbours, windows, prefix/suffix means).
CONTEXT_KEYS: tuple[str, ...] = (
    "log_chars", "ends_sentence", "starts_upper", "capword_rate", "w_first_singular",
    "w_second_person", "w_opinion", "w_informal", "w_reporting", "w_boiler_word",
    "w_comment_meta", "w_stopword", "w_spam_word", "w_laughter", "c_url", "c_clock",
    "p_comment_meta_phrase", "first_token_chrome", "p_comment_header", "p_boiler_phrase",
    "c_boiler_char", "p_opinion_phrase", "p_call_to_action", "c_quote_mark", "question_rate",
    "profanity", "dup", "short", "shape_repeats", *LEXICAL_NAMES,
)
NEIGHBOUR_OFFSETS = (-3, -2, -1, 1, 2, 3)
# The context pass's column groups, per carried column: neighbours, windows, before/after/page.
WINDOWS = (3, 10)
CONTEXT_BLOCKS: tuple[str, ...] = (*(f"n{o:+d}" for o in NEIGHBOUR_OFFSETS), *(f"win{w}" for w in WINDOWS),
                                   "before", "after", "page")
# Blocks up to this length get a character shape for ``shape_repeats`` (thread header lines).
SHAPE_MAX_CHARS = 100
_SHAPE_TABLE = str.maketrans({**dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "A"),
                              **dict.fromkeys("abcdefghijklmnopqrstuvwxyz", "a"),
                              **dict.fromkeys("0123456789", "0")})
_RUNS_RX = banked_regex(r"(.)(?=\1)")  # deleting a character equal to the next one squeezes runs
# The same shape map as code-point ranges, for ``_squeeze_shape``.
_SHAPE_RANGES = ((ord("A"), ord("Z"), ord("A")), (ord("a"), ord("z"), ord("a")), (ord("0"), ord("9"), ord("0")))
_NEWLINE_CP = ord("\n")
_WORDS_RX = banked_regex(r"[Aa][Aa ]*")  # a run of words (names of any length) -> "w"
# A block shorter than this many characters is "short" (nav items, names, buttons).
SHORT_CHARS = 40

CONTEXT_NAMES: tuple[str, ...] = (
    "rel_pos", "log_index", "log_from_end", "log_n_blocks", "log_page_chars",
    "len_vs_page_mean", "comment_header_above", "comment_header_dist",
    *(f"{c}_{k}" for c in CONTEXT_BLOCKS for k in CONTEXT_KEYS),
)
FEATURE_NAMES: tuple[str, ...] = LOCAL_NAMES + CONTEXT_NAMES
_IDX = {n: i for i, n in enumerate(LOCAL_NAMES)}
_CTX_IDX = np.array([_IDX[k] for k in CONTEXT_KEYS])
_CTX_COLS = _CTX_IDX.astype(np.int64)  # (for the kernel)
# The compiled context pass (features/_context_ext.pyx), or None: ``context_of``'s numpy form.
_CONTEXT = ext.load("features._context_ext")
_NEIGHBOURS = np.array(NEIGHBOUR_OFFSETS, dtype=np.int64)
_WINDOWS = np.array(WINDOWS, dtype=np.int64)


def _combo_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Character classes and the (previous, current, next) class -> counted-properties table.

    A class is a distinct ``_FLAGS`` value, with " " and "\\n" apart from other spaces (the
    properties below tell them apart). Every ``_CHAR_COUNTS`` property of a character depends
    only on its own class and its neighbours' classes, except the "$ 5" case of ``money``
    (see ``_char_counts``). Distinct property vectors are numbered, so counting them per block
    is one ``bincount``; ``vectors`` turns those counts back into property counts.
    """
    width = len(CHAR_FLAGS)
    key = _FLAGS.astype(np.int64)
    key[32] |= 1 << width
    key[10] |= 1 << (width + 1)
    # Distinct keys in key order without a sort: presence bitmap, then running ids.
    present = np.bincount(key, minlength=1 << (width + 2)) > 0
    values = np.flatnonzero(present)
    combo = (np.cumsum(present) - 1).astype(np.uint16)[key]
    flags = (values & ((1 << width) - 1)).astype(np.uint32)
    c = len(values)

    def has(bit: str) -> np.ndarray:
        return (flags & _BIT[bit]) > 0

    is32, is10 = (values >> width) & 1 == 1, (values >> (width + 1)) & 1 == 1
    cur = {name: has(name) for name in CHAR_FLAGS}
    props = np.zeros((c, c, c, len(_CHAR_COUNTS) + 1), dtype=bool)  # [prev, cur, next, property]
    P, C, N = (np.arange(c)[:, None, None], np.arange(c)[None, :, None], np.arange(c)[None, None, :])
    for name in ("upper", "lower", "digit", "punct", "space", "nonascii", "quote_mark", "ellipsis_char",
                 "emoji", "question", "exclaim"):
        props[..., _CC[name]] = cur[name][C]
    nxt_space_cp = (is32 | is10)[N]
    props[..., _CC["boiler_char"]] = (cur["separator"][C] & nxt_space_cp) | cur["copyright"][C]
    props[..., _CC["money"]] = cur["currency"][C] & cur["digit"][N]
    props[..., -1] = cur["currency"][C] & is32[N]  # "$ " : money when a digit follows the space
    props[..., _CC["sentence_end"]] = (cur["question"] | cur["exclaim"] | cur["full_stop"])[C] & cur["space"][N]
    props[..., _CC["capword"]] = cur["upper"][C] & (cur["space"] | cur["punct"])[P] & cur["lower"][N]
    props[..., _CC["allcaps"]] = cur["upper"][C] & cur["upper"][N]
    props[..., _CC["odd_space"]] = cur["odd_space"][C] | (is32[C] & is32[N])
    packed = props.reshape(c * c * c, -1).astype(np.int64) @ (1 << np.arange(props.shape[-1], dtype=np.int64))
    codes, vector_of = np.unique(packed, return_inverse=True)
    vectors = ((codes[:, None] >> np.arange(props.shape[-1])) & 1).astype(np.float64)
    return combo, vector_of.reshape(-1).astype(np.uint16), vectors, np.uint16(c)


def _cached_combo_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.uint16]:
    """``_combo_tables()`` through the table cache: building them took ~15 ms of every start-up,
    and they depend on nothing but this package's sources and the Unicode database."""
    def build() -> dict[str, np.ndarray]:
        combo, vector_of, vectors, n = _combo_tables()
        return {"combo": combo, "vector_of": vector_of, "vectors": vectors, "n": np.asarray(n)}

    got = tablecache.cached_arrays("char-combos", [tablecache.source_fingerprint()], build)
    return got["combo"], got["vector_of"], got["vectors"], np.uint16(got["n"])


_COMBO, _VECTOR_OF, _VECTORS, _N_COMBOS = _cached_combo_tables()
if int(_N_COMBOS) ** 3 > np.iinfo(np.uint16).max + 1:  # pragma: no cover - a guard for new classes
    raise RuntimeError(f"{_N_COMBOS} character classes: their triples no longer fit uint16 (_char_counts)")
_SPACE_COMBO = _COMBO[32]
# The compiled class-triple count (features/_tokens_ext.pyx), or None: the numpy form below.
# Its loop trusts every class to be below _N_COMBOS, which holds by construction of _COMBO.
_TOKENS_EXT = ext.load("features._tokens_ext")
if int(_COMBO.max()) >= int(_N_COMBOS):  # pragma: no cover - a guard for edits of _combo_tables
    raise RuntimeError("a character class beyond _N_COMBOS")


def _packed_tables() -> tuple[np.ndarray, np.ndarray] | None:
    """``_VECTOR_OF`` indexed by ``prev << 10 | cur << 5 | next`` (uint8; shifts instead of
    multiplications in the compiled loop, unused slots 0) and each vector's properties as bits
    (uint32), for ``char_property_counts``; None when the classes, vectors or properties
    outgrow those widths (then ``_char_counts`` takes its numpy form)."""
    nc, nv, n_props = int(_N_COMBOS), len(_VECTORS), _VECTORS.shape[1]
    if nc > 1 << _CLASS_BITS or nv > _MAX_PACKED_VECTORS or n_props > _MAX_PACKED_PROPS:
        return None
    p, c, x = np.meshgrid(*(np.arange(nc, dtype=np.int64),) * 3, indexing="ij")
    packed = np.zeros(1 << (3 * _CLASS_BITS), dtype=np.uint8)
    packed[(p << (2 * _CLASS_BITS)) | (c << _CLASS_BITS) | x] = _VECTOR_OF[(p * nc + c) * nc + x]
    bits = (_VECTORS.astype(np.uint32) << np.arange(n_props, dtype=np.uint32)).sum(axis=1, dtype=np.uint32)
    return packed, bits


# The compiled loop's widths (features/_tokens_ext.pyx: CLASS_BITS, MAX_VECTORS, MAX_PROPS).
_CLASS_BITS = 5
_MAX_PACKED_VECTORS = 64
_MAX_PACKED_PROPS = 32
_PACKED = _packed_tables() if _TOKENS_EXT is not None else None
_MONEY_SPACE_RX = banked_regex("[" + re.escape(lexicons.CHAR_SETS["currency"]) + "] (?=[0-9])")


def _char_counts(cp: np.ndarray, starts: np.ndarray, n: int, doc: str = "") -> np.ndarray:
    """Per block, counts of each ``_CHAR_COUNTS`` property: [n, len(_CHAR_COUNTS)] float32.

    ``cp`` is the code points of the blocks joined by ``\\n`` (``doc``). Properties that look at
    the next or previous character (a sentence end is ".!?" before a space; a capitalised word
    is an upper-case letter after a space or punctuation and before a lower-case letter) come
    from the (previous, current, next) character classes; before the first and after the last
    character is a space, and the newline between blocks counts as a space of the block before.
    One table gather gives each character's property vector and one ``bincount`` counts the
    vectors per block; a currency sign, a space, then a digit ("$ 5") is checked by regex in the
    few blocks that have a currency sign before a space. The per-character part (classes,
    triples, property counts per block) is one C loop when features/_tokens_ext.pyx is built.
    """
    c = len(cp)
    lengths = np.diff(np.append(starts, c + 1))
    props = None
    if (_TOKENS_EXT is not None and _PACKED is not None and cp.dtype == np.uint32 and cp.ndim == 1
            and len(lengths) == n):
        # None: inputs the kernel leaves to the numpy form (and its error).
        props = _TOKENS_EXT.char_property_counts(np.ascontiguousarray(cp), lengths.astype(np.int64, copy=False),
                                                 _COMBO, *_PACKED, _VECTORS.shape[1], _SPACE_COMBO)
    if props is None:
        props = _class_triple_counts_numpy(cp, lengths, n) @ _VECTORS
    out = props[:, :-1].astype(np.float32)
    for b in np.flatnonzero(props[:, -1]).tolist():
        a = int(starts[b])
        out[b, _CC["money"]] += len(_MONEY_SPACE_RX.findall(doc, a, a + int(lengths[b])))
    out[: n - 1, _CC["space"]] -= 1
    return out


def _class_triple_counts_numpy(cp: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Per block (the next ``lengths[i]`` characters), how many characters have each property
    vector: [n, len(_VECTORS)] int64 (the reference of the compiled kernel)."""
    c = len(cp)
    cls = np.empty(c + 2, dtype=np.uint16)
    cls[0] = cls[-1] = _SPACE_COMBO
    np.take(_COMBO, cp, out=cls[1:-1])
    # (previous, current, next) class triple as one number: below _N_COMBOS ** 3 (12,167 for 23
    # classes), so uint16 arithmetic is exact and moves a quarter of the bytes of int64.
    idx = cls[:-2] * _N_COMBOS
    idx += cls[1:-1]
    idx *= _N_COMBOS
    idx += cls[2:]
    vec = np.take(_VECTOR_OF, idx)
    blk = np.repeat(np.arange(n, dtype=np.int64) * len(_VECTORS), lengths)[:c]
    blk += vec
    return np.bincount(blk, minlength=n * len(_VECTORS)).reshape(n, len(_VECTORS))


def match_spans(rx: re.Pattern, data: bytes, prefix: bytes = b"") -> list[tuple[int, int]]:
    """``[m.span() for m in rx.finditer(data)]``; with ``prefix`` (every match starts with it),
    ``rx.match`` at each place ``bytes.find`` gives - after a match, from its end, as finditer's
    matches do not overlap - and, once the prefix proves frequent, ``finditer`` from the next
    place (no match starts before it). Linear: each step moves on by at least one byte."""
    if not prefix:
        return [m.span() for m in rx.finditer(data)]
    spans = []
    find, match = data.find, rx.match
    budget = max(len(data) // FIND_BYTES_PER_STEP, FIND_MIN_STEPS)
    p = find(prefix)
    while p >= 0:
        budget -= 1
        if budget < 0:  # a frequent prefix: the regex engine's own scan is cheaper from here
            spans.extend(m.span() for m in rx.finditer(data, p))
            break
        m = match(data, p)
        if m is None:
            p = find(prefix, p + 1)
        else:
            spans.append(m.span())
            p = find(prefix, max(m.end(), p + 1))
    return spans


def _matches_per_block(rx: re.Pattern, data: bytes, starts: np.ndarray, n: int,
                       chars: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Count matches of ``rx`` in each block (``data``: UTF-8, block i from byte ``starts[i]``),
    and with ``chars`` the characters they cover, in one scan."""
    spans = match_spans(rx, data, _FIND_NEEDLE.get(rx, b""))
    if not spans:
        z = np.zeros(n, dtype=np.float32)
        return z, (z if chars else None)
    arr = np.asarray(spans, dtype=np.int64)
    blk = np.searchsorted(starts, arr[:, 0], side="right") - 1
    counts = np.bincount(blk, minlength=n).astype(np.float32)
    if not chars:
        return counts, None
    width = [e - s - len(_CONTINUATION_RX.findall(data, s, e)) for s, e in spans]
    return counts, np.bincount(blk, weights=width, minlength=n).astype(np.float32)


# The compiled literal-pattern pass (features/_literal_ext.pyx), or None: one ``_matches_per_block``
# per pattern (the reference).
_LITERAL_EXT = ext.load("features._literal_ext")
# Every literal pattern in feature order, with its feature name.
_LITERAL_LIST: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, rx) for name, rxs in _LITERAL_RX.items() for rx in rxs)
# Bits of the kernel's uint64 tables: patterns beyond stay on ``_matches_per_block``.
MAX_TABLE_PATTERNS = 64


class _LiteralPlan(NamedTuple):
    """What the compiled pass needs: its tables and, per pattern, its row in them (-1: none)."""

    tables: np.ndarray  # [prefilter.DEPTH, 256] uint64
    matchers: list  # ``rx.match`` of the patterns with tables, in row order
    want_chars: np.ndarray  # [rows] uint8: count covered characters too (url_span)
    rows: tuple[int, ...]  # per ``_LITERAL_LIST`` entry


def literal_plan(patterns: Sequence[tuple[str, re.Pattern]]) -> _LiteralPlan:
    """The kernel's tables for ``patterns`` ((feature name, bytes regex) pairs): a pattern
    without a known, non-empty first position (``prefilter.position_sets``), or past the 64th
    with one, stays on ``_matches_per_block``."""
    tables = np.zeros((prefilter.DEPTH, 256), dtype=np.uint64)
    matchers, want, rows = [], [], []
    for name, rx in patterns:
        sets = prefilter.position_sets(rx)
        if not sets or len(matchers) >= MAX_TABLE_PATTERNS:
            rows.append(-1)
            continue
        bit = np.uint64(1) << np.uint64(len(matchers))
        for j in range(prefilter.DEPTH):
            if j < len(sets):
                tables[j, sorted(sets[j])] |= bit
            else:
                tables[j, :] |= bit
        rows.append(len(matchers))
        matchers.append(rx.match)
        want.append(name == "url_span")
    return _LiteralPlan(tables, matchers, np.array(want, dtype=np.uint8), tuple(rows))


_PLAN: list[_LiteralPlan] = []  # literal_plan(_LITERAL_LIST), built on first use


def _cached_literal_plan() -> _LiteralPlan:
    """``literal_plan(_LITERAL_LIST)``, its tables kept between runs (~3 ms of start-up to build:
    ``prefilter.position_sets`` reads each pattern's parse; features/tablecache.py)."""
    def build() -> dict[str, np.ndarray]:
        plan = literal_plan(_LITERAL_LIST)
        return {"tables": plan.tables, "want_chars": plan.want_chars, "rows": np.array(plan.rows, dtype=np.int64)}

    got = tablecache.cached_arrays("literal-plan", [tablecache.source_fingerprint()], build)
    rows = tuple(int(r) for r in got["rows"])
    # Rows are numbered in pattern order (literal_plan): the matchers of the patterns with one.
    matchers = [rx.match for (_, rx), row in zip(_LITERAL_LIST, rows) if row >= 0]
    return _LiteralPlan(got["tables"], matchers, got["want_chars"], rows)


def _literal_matches(data: bytes, starts: np.ndarray, n: int,
                     patterns: Sequence[tuple[str, re.Pattern]] = _LITERAL_LIST,
                     plan: _LiteralPlan | None = None) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``_matches_per_block`` of every pattern (chars for url_span) in ``patterns`` order; with
    the kernel, one pass over ``data`` for all patterns with tables (``plan``: of ``patterns``)."""
    if _LITERAL_EXT is None or n == 0:
        return [_matches_per_block(rx, data, starts, n, chars=name == "url_span") for name, rx in patterns]
    if plan is None:
        if patterns is not _LITERAL_LIST:
            plan = literal_plan(patterns)
        else:
            if not _PLAN:
                _PLAN.append(_cached_literal_plan())
            plan = _PLAN[0]
    counts, chars = _literal_kernel_counts(data, starts, n, plan)
    # int64 -> float32 as the Python form's bincount -> float32 (integers: the same values); one
    # conversion of the whole table, each pattern's row a view of it.
    counts_f = counts.astype(np.float32)
    out = []
    for (name, rx), row in zip(patterns, plan.rows):
        if row < 0:
            out.append(_matches_per_block(rx, data, starts, n, chars=name == "url_span"))
        else:
            width = chars[row].astype(np.float32) if plan.want_chars[row] else None
            out.append((counts_f[row], width))
    return out


def _literal_kernel_counts(data: bytes, starts: np.ndarray, n: int,
                           plan: _LiteralPlan) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's matches and covered characters per (table row, block): int64 [rows, n] each."""
    counts = np.zeros((len(plan.matchers), n), dtype=np.int64)
    chars = np.zeros((len(plan.matchers), n), dtype=np.int64)
    _LITERAL_EXT.literal_counts(data, np.ascontiguousarray(starts, dtype=np.int64), plan.tables, plan.matchers,
                                plan.want_chars, counts, chars)
    return counts, chars


def _literal_table(data: bytes, starts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``_LITERAL_LIST``'s matches and covered characters per (pattern, block), int64 [patterns, n]
    each, from the kernel's one pass; None without the kernel or when a pattern has no table
    (then ``_literal_matches`` serves them one by one)."""
    if _LITERAL_EXT is None or n == 0:
        return None
    if not _PLAN:
        _PLAN.append(_cached_literal_plan())
    plan = _PLAN[0]
    if not _LIT_GROUPED_OK or plan.rows != tuple(range(len(_LITERAL_LIST))):
        return None
    return _literal_kernel_counts(data, starts, n, plan)


# The patterns the kernel's start filter (``start_candidates``) was written for: with any others
# every block is tried (keep the two in step when START_PATTERNS change).
_START_FILTER_FOR = {
    "list_item": r"\s*(?:\d{1,2}[.)]|[-*\u2022\u00b7])\s",
    "dateline": r"[A-Z][A-Z .'-]{2,30}(?:,\s?[A-Z][\w .'-]{1,40})?\s?(?:\([A-Za-z .]{2,20}\)\s?)?[-\u2013\u2014:]\s",
    "address": r"(?:[Dd]ear [A-Z]\w*|@\w|[A-Z][a-z]{1,20}, (?:you|your|i|thanks|agreed|yes|no|exactly|well|sorry)\b)",
}
_START_FILTER_OK = lexicons.START_PATTERNS == _START_FILTER_FOR


def _start_blocks(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray, n: int) -> Iterable[int]:
    """The blocks ``_START_RX`` is tried on: every one, or with the kernel only those where one of
    the patterns can match (a superset, see ``start_candidates``)."""
    if _LITERAL_EXT is None or not _START_FILTER_OK or n == 0:
        return range(n)
    return _LITERAL_EXT.start_candidates(cp, np.ascontiguousarray(starts, dtype=np.int64),
                                         np.ascontiguousarray(lengths, dtype=np.int64)).tolist()


# The compiled block lengths (features/_glue_ext.pyx), or None: ``_str_lengths``' Python form.
_GLUE_EXT = ext.load("features._glue_ext")


def _str_lengths(texts: Sequence[str]) -> np.ndarray:
    """int64 length of each block (the kernel's for a list of exact strs)."""
    if _GLUE_EXT is not None:
        got = _GLUE_EXT.str_lengths(texts)
        if got is not None:
            return got
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _hit_counts(evidence: Sequence[Sequence], n: int) -> np.ndarray:
    """float32 min(len(evidence[i]), 5) per block (the lengths from the kernel for a list of
    lists: integers, so min then float32 is float32 then min)."""
    if _GLUE_EXT is not None:
        got = _GLUE_EXT.list_lengths(evidence)
        if got is not None and len(got) == n:
            return np.minimum(got, 5).astype(np.float32)
    return np.minimum(np.fromiter(map(len, evidence), dtype=np.float32, count=n), 5.0)


def _cols(names: Sequence[str]) -> slice | np.ndarray:
    """``LOCAL_NAMES`` columns of ``names``: a slice when they are adjacent and in order (one
    strided write instead of a gather and scatter), else their indices."""
    idx = [_IDX[nm] for nm in names]
    if idx == list(range(idx[0], idx[0] + len(idx))):
        return slice(idx[0], idx[0] + len(idx))
    return np.array(idx, dtype=np.int64)


def _literal_target(name: str) -> str:
    """The ``CHAR_FEATURES`` column a literal pattern's matches are counted in."""
    return {"url_span": "url", "boiler_literal": "boiler_char"}.get(name, name)


# local_features' column groups written in one step each: word classes, phrases, the c_* columns.
_W_COLS = _cols([f"w_{nm}" for nm in _WORD_CLASS_NAMES])
_P_COLS = _cols([f"p_{nm}" for nm in _PHRASE_NAMES])
_C_COLS = _cols([f"c_{nm}" for nm in CHAR_FEATURES])
_LEX_COLS = slice(_IDX["lex_editorial"], _IDX["lex_editorial"] + len(LEXICAL_NAMES))
# ``_word_columns``'s kernel: the word-class bits of each pattern (``_PATTERN_CLASSES`` as int64
# bits) and whether the layout is the one it was checked against (both column groups slices, the
# lexicon's five columns with four labels centred).
_PATTERN_BITS = np.ascontiguousarray(_PATTERNS, dtype=np.int64)
_W_COLS_SLICE = isinstance(_W_COLS, slice)
_WORD_COLUMNS_OK = (bool(np.array_equal(_PATTERN_CLASSES,
                                         (_PATTERN_BITS[:, None] >> np.arange(len(_WORD_CLASS_NAMES))) & 1))
                    and LEXICAL_COLUMNS == 5 and LEXICAL_LABELS == 4 and len(_WORD_CLASS_NAMES) <= 64
                    and _LEX_COLS.stop - _LEX_COLS.start == LEXICAL_COLUMNS)
# Per literal pattern, its column in the c_* block; the patterns as runs of one column each (their
# first rows for ``np.add.reduceat`` and their columns), when no column has two runs.
_LIT_COL = {name: CHAR_FEATURES.index(_literal_target(name)) for name, _ in _LITERAL_LIST}
_LIT_RUN_FIRST = [r for r in range(len(_LITERAL_LIST))
                  if r == 0 or _LIT_COL[_LITERAL_LIST[r][0]] != _LIT_COL[_LITERAL_LIST[r - 1][0]]]
_LIT_GROUP_FIRST = np.array(_LIT_RUN_FIRST, dtype=np.intp)
_LIT_GROUP_COLS = np.array([_LIT_COL[_LITERAL_LIST[r][0]] for r in _LIT_RUN_FIRST], dtype=np.int64)
_LIT_GROUPED_OK = len(_LITERAL_LIST) > 0 and len(set(_LIT_GROUP_COLS.tolist())) == len(_LIT_GROUP_COLS)
# The other rows of each run, as (row, its run): added onto the run's first row. (``np.add.reduceat``
# over the rows loops once per block: ~4 ms a bench pass, the additions of whole rows ~1 ms.)
_LIT_RUN_REST = tuple((r, sum(f <= r for f in _LIT_RUN_FIRST) - 1)
                      for r in range(len(_LITERAL_LIST)) if r not in _LIT_RUN_FIRST)
_URL_SPAN_ROWS = tuple(r for r, (name, _) in enumerate(_LITERAL_LIST) if name == "url_span")
# Character counts copied into (set) or added to (add) the c_* block: (its column, ``_CC`` column).
_CC_SET = (("quote_mark", "quote_mark"), ("money", "money"), ("emoji", "emoji"))
_CC_ADD = (("boiler_char", "boiler_char"), ("ellipsis", "ellipsis_char"))
_CC_SET_COLS, _CC_SET_SRC, _CC_ADD_COLS, _CC_ADD_SRC = (
    np.array([CHAR_FEATURES.index(c) if k == 0 else _CC[c] for c in (pair[k] for pair in pairs)], dtype=np.int64)
    for pairs in (_CC_SET, _CC_ADD) for k in (0, 1))
_START_COLS = np.array([CHAR_FEATURES.index(nm) for nm in _START_NAMES], dtype=np.int64)
# Code point -> it ends a sentence (``_SENTENCE_END_CPS``); the last entry (False) stands for
# every code point past the table.
_ENDS_SENTENCE = np.zeros(int(_SENTENCE_END_CPS.max()) + 2, dtype=bool)
_ENDS_SENTENCE[_SENTENCE_END_CPS] = True


def _byte_starts(data: bytes, texts: Sequence[str], n: int) -> np.ndarray:
    """Where each block starts in ``data`` (the blocks lower-cased, joined by newlines, UTF-8)."""
    if data.count(b"\n") == n - 1:
        return np.concatenate(([0], np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1))
    sizes = np.fromiter((len(t.lower().encode("utf-8", "surrogatepass")) for t in texts), dtype=np.int64, count=n)
    return np.concatenate(([0], np.cumsum(sizes + 1)[:-1]))


def _keyed_pairs(keys: list[str], page: np.ndarray | None) -> list[tuple[int, str]] | list[str]:
    """Keys made page-local: (page, key) pairs when the batch holds several pages."""
    return keys if page is None else list(zip(page.tolist(), keys))


# The compiled grouping of blocks by exact text (features/_dedup_ext.pyx), or None: the numpy forms
# of ``duplicate_flags`` and ``shape_repeats``.
_DEDUP_EXT = ext.load("features._dedup_ext")


def _page_ok(page: np.ndarray | None, n: int) -> bool:
    """Whether the kernels take ``page`` as it is: none, or one integer per block (whose
    values compare as int64 ones do; anything else is left to the numpy forms)."""
    return page is None or (isinstance(page, np.ndarray) and page.shape == (n,) and page.dtype.kind in "biu")


def _squeeze_shape(text: str) -> str:
    """``_RUNS_RX.sub("", text.translate(_SHAPE_TABLE))`` with numpy over code points:
    letters -> A/a, digits -> 0, then each run of one character squeezed to one (newlines kept)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    for lo_cp, hi_cp, to in _SHAPE_RANGES:
        cp[(cp >= lo_cp) & (cp <= hi_cp)] = to
    keep = np.ones(len(cp), dtype=bool)
    keep[:-1] = (cp[:-1] != cp[1:]) | (cp[:-1] == _NEWLINE_CP)
    return cp[keep].tobytes().decode("utf-32-le", "surrogatepass")


def shape_repeats(texts: Sequence[str], lengths: np.ndarray, page: np.ndarray | None) -> np.ndarray:
    """log1p(how many other short blocks of the page share this block's character shape).

    A reader thread repeats its header line ("Mike 07.18.12 at 20:22", "by vlm (69642)")
    once per comment; the shape (digit runs -> 0, runs of words -> w) makes those lines equal
    while their words differ. Menus repeat shapes too; other columns tell them apart.
    The compiled kernel shapes and counts the short blocks in one loop; else
    ``_shape_repeats_numpy``.
    """
    n = len(texts)
    if (_DEDUP_EXT is not None and type(texts) is list and _page_ok(page, n)
            and isinstance(lengths, np.ndarray) and lengths.shape == (n,)):
        short = np.flatnonzero(lengths <= SHAPE_MAX_CHARS).astype(np.int64, copy=False)
        pages = np.zeros(len(short), dtype=np.int64) if page is None else page[short].astype(np.int64)
        counts = _DEDUP_EXT.shape_counts(texts, short, pages)
        if counts is not None:  # None: a block that is not exactly a str
            out = np.zeros(n, dtype=np.float32)
            out[short] = np.log1p(counts.astype(np.float32) - 1)
            return out
    return _shape_repeats_numpy(texts, lengths, page)


def _shape_repeats_numpy(texts: Sequence[str], lengths: np.ndarray, page: np.ndarray | None) -> np.ndarray:
    """``shape_repeats`` in Python and numpy (the reference of the kernel): the short blocks
    are shaped together as one string (numpy over code points, one regex)."""
    n = len(texts)
    out = np.zeros(n, dtype=np.float32)
    short_mask = lengths <= SHAPE_MAX_CHARS
    short = np.flatnonzero(short_mask)
    if not len(short):
        return out
    joined = "\n".join(compress(texts, short_mask.tolist()))
    shaped = _WORDS_RX.sub("w", _squeeze_shape(joined)).split("\n")
    if len(shaped) != len(short):  # a block with a newline of its own: shape one by one
        shaped = [_WORDS_RX.sub("w", _RUNS_RX.sub("", texts[i].translate(_SHAPE_TABLE))) for i in short]
    keys = _keyed_pairs(shaped, page[short] if page is not None else None)
    counts = Counter(keys)
    out[short] = np.log1p(np.fromiter(map(counts.__getitem__, keys), dtype=np.float32, count=len(keys)) - 1)
    return out


def duplicate_flags(texts: Sequence[str], page: np.ndarray | None = None,
                    odd_space: np.ndarray | None = None, low_doc: str | None = None,
                    low_cp: np.ndarray | None = None, low_spans: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> np.ndarray:
    """1.0 for a block whose normalised text already appeared earlier on the same page.

    Normalised = lower-cased, stripped, whitespace runs collapsed to one space. ``odd_space``
    (per block, from the character pass) says which blocks hold a run or a non-" " space;
    only those need the collapsing, the rest are lower-cased together as one string
    (``low_doc``: that string, when the caller has it already; or ``low_cp``: its code points,
    uint32, when the caller has those and no string). The compiled kernel groups the blocks
    straight from that string or those code points; else ``_duplicate_flags_numpy``.
    ``low_spans`` (int64 starts, ends; with ``low_cp``): where each block lies in ``low_cp``,
    given only when those code points hold a newline between blocks and nowhere else (as
    ``local_features`` knows from the lower-casing kernel): the kernel then reads each block at
    its place instead of searching for the newlines.
    """
    n = len(texts)
    if low_doc is None and low_cp is not None and not _cp_ok(low_cp):
        low_cp = None  # not code points the kernel reads: lower-case the blocks afresh
    if _DEDUP_EXT is not None and n and _page_ok(page, n) and (odd_space is None or (
            isinstance(odd_space, np.ndarray) and odd_space.shape == (n,) and odd_space.dtype.kind in "biuf")):
        pages = np.zeros(n, dtype=np.int64) if page is None else page.astype(np.int64)
        collapse = np.ones(n, dtype=np.uint8) if odd_space is None else odd_space.astype(bool).view(np.uint8)
        rows = None
        if low_doc is None and low_cp is not None:
            spans = _spans_ok(low_spans, n)
            rows = _DEDUP_EXT.normalised_first_rows_cp(np.ascontiguousarray(low_cp), n, collapse, pages, *spans)
            if rows is None:  # a block with a newline of its own: the string path below
                low_doc = _decode_cp(low_cp)
        if rows is None:
            low = low_doc if low_doc is not None else "\n".join(texts).lower()
            if type(low) is str:
                rows = _DEDUP_EXT.normalised_first_rows(low, n, collapse, pages)
                if rows is None and low.count("\n") != n - 1:  # a block with a newline of its own
                    lows = [t.lower() for t in texts]
                    sizes = np.fromiter(map(len, lows), dtype=np.int64, count=n)
                    ends = np.cumsum(sizes)
                    rows = _DEDUP_EXT.normalised_first_rows("".join(lows), n, np.ones(n, dtype=np.uint8), pages,
                                                            ends - sizes, ends)
        if rows is not None:
            return (rows != np.arange(n)).astype(np.float32)
    if low_doc is None and low_cp is not None:
        low_doc = _decode_cp(low_cp)
    return _duplicate_flags_numpy(texts, page, odd_space, low_doc)


def _spans_ok(spans: object, n: int) -> tuple[np.ndarray, np.ndarray] | tuple[()]:
    """``spans`` as the dedup kernel takes them (two int64 arrays of n), or () for none."""
    if (isinstance(spans, tuple) and len(spans) == 2
            and all(isinstance(v, np.ndarray) and v.shape == (n,) and v.dtype == np.int64 for v in spans)):
        return tuple(np.ascontiguousarray(v) for v in spans)
    return ()


def _cp_ok(cp: object) -> bool:
    """Whether ``cp`` is a one-dimensional uint32 array (code points, as the kernels take them)."""
    return isinstance(cp, np.ndarray) and cp.dtype == np.uint32 and cp.ndim == 1


def _decode_cp(cp: np.ndarray) -> str:
    """The str of the code points ``cp`` (lone surrogates kept)."""
    return cp.tobytes().decode("utf-32-le", "surrogatepass")


def _duplicate_flags_numpy(texts: Sequence[str], page: np.ndarray | None = None,
                           odd_space: np.ndarray | None = None, low_doc: str | None = None) -> np.ndarray:
    """``duplicate_flags`` in Python (the reference of the kernel): one string per block,
    (page, text) keys, the first row of each from a dict."""
    n = len(texts)
    low = (low_doc if low_doc is not None else "\n".join(texts).lower()).split("\n")
    if len(low) != n:  # a block with a newline of its own
        low = [t.lower() for t in texts]
        odd_space = None
    norm = list(map(str.strip, low))
    redo = range(n) if odd_space is None else np.flatnonzero(odd_space).tolist()
    for i in redo:
        norm[i] = " ".join(low[i].split())
    keys = _keyed_pairs(norm, page)
    first = dict(zip(reversed(keys), range(n - 1, -1, -1)))  # key -> its first row
    rows = np.fromiter(map(first.__getitem__, keys), dtype=np.int64, count=n)
    return (rows != np.arange(n)).astype(np.float32)


class PageFeatures:
    """Everything the feature pass learns about one page, kept for the scores and output."""

    __slots__ = ("X", "profanity", "profanity_evidence", "mt", "mt_evidence", "dup", "lengths", "tokens",
                 "low_utf8", "low_starts", "wide")

    def __init__(self, X: np.ndarray, profanity: np.ndarray, profanity_evidence: list[list[dict]],
                 mt: np.ndarray, mt_evidence: list[list[dict]], dup: np.ndarray, lengths: np.ndarray,
                 tokens: TokenBatch | None = None, low_utf8: bytes | None = None,
                 low_starts: np.ndarray | None = None):
        self.tokens = tokens  # of the lower-cased blocks joined by newlines (reused by features.mt_soft)
        self.low_utf8 = low_utf8  # those blocks as UTF-8 (reused by features.spamctx)
        # Where each block starts in ``low_utf8``, when the lower-casing kernel found exactly one
        # newline between blocks (features.lowercase; reused by features.spamctx), else None.
        self.low_starts = low_starts
        self.X = X
        self.profanity = profanity
        self.profanity_evidence = profanity_evidence
        self.mt = mt
        self.mt_evidence = mt_evidence
        self.dup = dup
        self.lengths = lengths
        # The matrix X is the left part of, when ``extract_batch`` was asked for more columns
        # (``features.text_schema.text_matrix`` fills the rest in place instead of copying X).
        self.wide: np.ndarray | None = None


def _first_last(texts: Sequence[str], cp: np.ndarray, starts: np.ndarray,
                lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code points of each block's first and last non-space character (" " for a blank block).

    Read straight off ``cp`` at the block bounds; only blocks that begin or end with white
    space (a fifth of the bench blocks) are stripped in Python. The compiled form
    (``_dedup_ext.first_last``) strips every block from ``cp`` with ``str.strip``'s white space.
    """
    n = len(texts)
    if _DEDUP_EXT is not None and n and _cp_ok(cp) and all(
            isinstance(v, np.ndarray) and v.shape == (n,) and v.dtype == np.int64 for v in (starts, lengths)):
        # The compiled form: every block stripped from ``cp`` (the same white space test).
        bounds = _DEDUP_EXT.first_last(np.ascontiguousarray(cp), starts, lengths)
        if bounds is not None:
            return bounds
    ends = starts + np.maximum(lengths, 1) - 1
    first = cp[np.minimum(starts, max(len(cp) - 1, 0))] if len(cp) else np.full(n, 32, dtype=np.uint32)
    last = cp[np.minimum(ends, max(len(cp) - 1, 0))] if len(cp) else np.full(n, 32, dtype=np.uint32)
    first, last = first.copy(), last.copy()
    for i in np.flatnonzero(_IS_SPACE[first] | _IS_SPACE[last] | (lengths == 0)).tolist():
        t = texts[i].strip()
        first[i], last[i] = (ord(t[0]), ord(t[-1])) if t else (32, 32)
    return first, last


class WordCounts(NamedTuple):
    """The word-level counts of a batch of ``n`` blocks (``_word_counts``)."""

    function_words: np.ndarray  # per token, 1 + index in FUNCTION_WORDS (0: none), int64
    words: np.ndarray  # per block, word tokens (all but the newlines), int64
    length_sums: np.ndarray  # per block, sum of the word tokens' lengths (as float32), float64
    lexical_sums: np.ndarray | None  # per block, sums of the words' lexicon weight rows, float64
    patterns: np.ndarray  # per block and word-class bit pattern, words, int64 [n, len(_PATTERNS)]
    phrases: np.ndarray  # per block and phrase family, bigrams + trigrams, int64 [n, len(_PHRASE_NAMES)]
    chrome: np.ndarray  # per block, its first word (or the next block's with words) is chrome, bool


# ``_vocab_ext.word_counts``' row records: bytes per table row (base id int64, then the lexicon
# row's float32 weights), aligned to a cache line; the last records built (see ``_word_records``).
_RECORD_BYTES, _RECORD_ID_BYTES, _CACHE_LINE = 32, 8, 64
_RECORDS: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []


def _word_records(base_id: np.ndarray, lex_row: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Per table row its base id and lexicon weight row ``weights[lex_row[row]]`` in one 32-byte
    record (the kernel's ``records_obj``); None when they do not fit one (the kernel then reads
    the three arrays). Why: one cache line per token instead of three scattered reads.

    Kept while ``base_id``, ``lex_row`` and ``weights`` are the same read-only arrays (the
    scorer's are, features.lexical; training replaces its weights rather than writing into
    them). A writeable one could change under a snapshot: then None (the kernel reads the three
    arrays themselves, as fast as before the records; rebuilding them per call would cost more).
    """
    if any(a.flags.writeable or not a.flags.owndata for a in (base_id, lex_row, weights)):
        return None  # (a read-only view of a writeable array could change too)
    if _RECORDS and all(a is b for a, b in zip(_RECORDS[0][:3], (base_id, lex_row, weights))):
        return _RECORDS[0][3]
    if (weights.ndim != 2 or _RECORD_ID_BYTES + weights.shape[1] * 4 > _RECORD_BYTES or weights.dtype != np.float32
            or len(lex_row) != len(base_id) or not len(base_id) or lex_row.min() < 0 or lex_row.max() >= len(weights)):
        return None
    rows = len(base_id)
    buf = np.zeros(rows * _RECORD_BYTES + _CACHE_LINE, dtype=np.uint8)
    skip = -buf.ctypes.data % _CACHE_LINE
    rec = buf[skip: skip + rows * _RECORD_BYTES].reshape(rows, _RECORD_BYTES)
    rec[:, :_RECORD_ID_BYTES] = np.ascontiguousarray(base_id, dtype=np.int64).view(np.uint8).reshape(rows, -1)
    rec[:, _RECORD_ID_BYTES: _RECORD_ID_BYTES + weights.shape[1] * 4] = np.ascontiguousarray(
        weights[lex_row]).view(np.uint8).reshape(rows, -1)
    rec.flags.writeable = False
    _RECORDS[:] = [(base_id, lex_row, weights, rec)]
    return rec


def _word_counts(tb: TokenBatch, key: np.ndarray, base_id: np.ndarray, lex_row: np.ndarray | None,
                 lexical: LexicalScorer | None, n: int) -> WordCounts:
    """Per-block word counts of the tokens ``tb`` (``key``: their rows in the lookup table;
    ``base_id``/``lex_row``: row -> word-class vocabulary id / lexicon row). One C loop over the
    tokens when features/_vocab_ext.pyx is built, else ``_word_counts_numpy``."""
    lex = (lex_row is not None and lexical is not None and lex_row.dtype == np.int64 and lex_row.ndim == 1
           and lexical.weights.dtype == np.float32 and lexical.weights.ndim == 2)
    if (_VOCAB_EXT is not None and key.dtype == base_id.dtype == np.int64 and key.ndim == base_id.ndim == 1
            and tb.digits.dtype == tb.newline.dtype == np.bool_ and lex == (lex_row is not None)):
        got = _VOCAB_EXT.word_counts(
            np.ascontiguousarray(key), np.ascontiguousarray(tb.digits).view(np.uint8),
            np.ascontiguousarray(tb.newline).view(np.uint8),
            np.ascontiguousarray(tb.lengths, dtype=np.int64), n, np.ascontiguousarray(base_id), _FUNCTION_WORD_OF,
            _VOCAB[NUM_TOKEN], _PATTERN_OF, len(_PATTERNS), *_NG_MEMBERS, *_NG_CODES, _VSIZE, len(_PHRASE_NAMES),
            _CHROME_FIRST, np.ascontiguousarray(lex_row) if lex else None,
            np.ascontiguousarray(lexical.weights) if lex else None,
            _word_records(base_id, lex_row, lexical.weights) if lex else None)
        if got is not None:  # None: inputs left to the numpy form (out of range: its answer or error)
            return WordCounts(*got)
    return _word_counts_numpy(tb, key, base_id, lex_row, lexical, n)


def _word_counts_numpy(tb: TokenBatch, key: np.ndarray, base_id: np.ndarray, lex_row: np.ndarray | None,
                       lexical: LexicalScorer | None, n: int) -> WordCounts:
    """``_word_counts`` in numpy (the reference of the compiled kernel)."""
    ids = base_id[key]
    function_words = _FUNCTION_WORD_OF[ids]
    ids[tb.digits] = _VOCAB[NUM_TOKEN]
    nl = tb.newline
    blk_all = np.cumsum(nl)  # block of each token (a newline token: the next block's)
    word = ~nl
    blk = blk_all[word]
    nw = np.bincount(blk, minlength=n)
    wlen = tb.lengths[word].astype(np.float32)
    # (np.bincount gives int64 zeros for no tokens at all: float64 as in any other batch, same values.)
    length_sums = np.bincount(blk, weights=wlen, minlength=n).astype(np.float64, copy=False)
    lexical_sums = None
    if lex_row is not None and lexical is not None:
        lexical_sums = lexical.token_sums(lex_row[key[word]], blk, n)
    # Word classes: one bincount over (block, bit pattern) pairs.
    n_pat = len(_PATTERNS)
    patterns = np.bincount(blk * n_pat + _PATTERN_OF[ids[word]], minlength=n * n_pat).reshape(n, n_pat)
    # Phrases as token bigrams / trigrams (the newline token breaks n-grams across blocks):
    # only pairs of known words are candidates; one dict lookup gives the phrase families.
    phrases = np.zeros((n, len(_PHRASE_NAMES)), dtype=np.int64)
    if len(ids) >= 2:
        # Candidates: adjacent tokens whose words occur at those positions of some phrase.
        cand2 = np.flatnonzero(_NG2_AT[0][ids[:-1]] & _NG2_AT[1][ids[1:]])
        c2 = ids[cand2] * _VSIZE + ids[cand2 + 1]
        fam2 = np.fromiter(map(_NGRAM2.get, c2.tolist(), repeat(0)), dtype=np.int64, count=len(c2))
        cand3 = np.flatnonzero(_NG3_AT[0][ids[:-2]] & _NG3_AT[1][ids[1:-1]] & _NG3_AT[2][ids[2:]])
        c3 = (ids[cand3] * _VSIZE + ids[cand3 + 1]) * _VSIZE + ids[cand3 + 2]
        fam3 = np.fromiter(map(_NGRAM3.get, c3.tolist(), repeat(0)), dtype=np.int64, count=len(c3))
        b2, b3 = blk_all[cand2], blk_all[cand3]
        for f in range(len(_PHRASE_NAMES)):
            counts = np.bincount(b2[(fam2 >> f) & 1 == 1], minlength=n)
            phrases[:, f] = counts + np.bincount(b3[(fam3 >> f) & 1 == 1], minlength=n)
    # The first word of the block is thread chrome ("Reply", "Report", "by <name>", "Posted");
    # a block without words takes the next block's first word.
    first_idx = np.searchsorted(blk, np.arange(n))
    has = first_idx < len(blk)
    fw = np.zeros(n, dtype=np.int64)
    fw[has] = ids[word][first_idx[has]]
    chrome = np.isin(fw, _CHROME_FIRST_IDS) & has
    return WordCounts(function_words, nw, length_sums, lexical_sums, patterns, phrases, chrome)


def _word_columns(F: np.ndarray, wc: WordCounts, lexical: LexicalScorer | None, words: np.ndarray) -> None:
    """The lexicon and word-class columns of ``F`` from the word counts (``words``: float32
    max(word count, 1)). One compiled pass writing both into ``F`` (features/_vocab_ext.pyx
    ``word_columns``: ~8 ms of numpy temporaries, strided writes and a float64 matrix product
    per bench pass), else ``_word_columns_numpy``."""
    lex = lexical is not None and wc.lexical_sums is not None
    if (_VOCAB_EXT is not None and _WORD_COLUMNS_OK and isinstance(F, np.ndarray) and F.dtype == np.float32
            and F.ndim == 2 and _W_COLS_SLICE and _ok_array(wc.words, np.int64, 1)
            and _ok_array(wc.patterns, np.int64, 2) and (not lex or (
                type(lexical).from_sums is LexicalScorer.from_sums and _ok_array(wc.lexical_sums, np.float64, 2)
                and _ok_array(lexical.bias, np.float32, 1)))):
        lex_args = (np.ascontiguousarray(wc.lexical_sums), np.ascontiguousarray(lexical.bias),
                    F[:, _LEX_COLS]) if lex else ()
        if _VOCAB_EXT.word_columns(np.ascontiguousarray(wc.words), np.ascontiguousarray(wc.patterns),
                                   _PATTERN_BITS, F[:, _W_COLS], *lex_args):
            if not lex:
                F[:, _LEX_COLS] = 0.0
            return
    _word_columns_numpy(F, wc, lexical, words)


def _word_columns_numpy(F: np.ndarray, wc: WordCounts, lexical: LexicalScorer | None, words: np.ndarray) -> None:
    """``_word_columns`` in numpy (the reference of the compiled form)."""
    if lexical is not None and wc.lexical_sums is not None:
        F[:, _LEX_COLS] = lexical.from_sums(wc.lexical_sums, wc.words)
    else:
        F[:, _LEX_COLS] = 0.0
    # Word classes: counts per (block, bit pattern), then pattern -> class bits.
    F[:, _W_COLS] = (wc.patterns @ _PATTERN_CLASSES) / words[:, None]


def _ok_array(a: object, dtype: type, ndim: int) -> bool:
    """Whether ``a`` is an ndarray of that dtype and number of dimensions (a kernel's input)."""
    return isinstance(a, np.ndarray) and a.dtype == dtype and a.ndim == ndim


def _within_page(chrome: np.ndarray, words: np.ndarray, page: np.ndarray | None) -> np.ndarray:
    """``chrome`` with a word-less block's flag dropped where the next block with words (whose
    first word it took) is on another page of the batch. Why: training extracts page by page,
    where such a block at a page's end has no next word; in a batch it took the next page's
    first word ("By ...") and a page's features depended on the page after it."""
    if page is None or not len(chrome):
        return chrome
    with_words = np.flatnonzero(words > 0)
    nxt = np.searchsorted(with_words, np.arange(len(chrome)))
    has_next = nxt < len(with_words)
    same = np.zeros(len(chrome), dtype=bool)
    same[has_next] = page[with_words[nxt[has_next]]] == page[has_next]
    return chrome & same


def local_features(texts: Sequence[str], page: np.ndarray | None = None,
                   lexical: LexicalScorer | None = None,
                   out: np.ndarray | None = None) -> tuple[np.ndarray, PageFeatures]:
    """Block-local columns (``LOCAL_NAMES``) for a list of blocks (of one or many pages);
    written into ``out`` ([n, len(LOCAL_NAMES)], e.g. the left part of the full matrix) if given."""
    n = len(texts)
    lengths = _str_lengths(texts)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    doc = "\n".join(texts)
    if out is None:
        F = np.zeros((n, len(LOCAL_NAMES)), dtype=np.float32)
    else:
        # Every column below is assigned whole (the lexicon's set to 0 without one), so ``out``
        # is not zeroed first: one pass less over its rows (tests/test_ext_feat.py fills it with NaN).
        F = out
        if F.shape != (n, len(LOCAL_NAMES)):
            F[:] = 0.0  # (an ``out`` of another shape: its other cells zeroed, as they always were)
    nchars = np.maximum(lengths, 1).astype(np.float32)

    # Character properties: one table gather per character, one reduceat over all blocks.
    cp = code_points(doc)  # (the codec's UTF-32 values; features.lowercase)
    cc = _char_counts(cp, starts, n, doc)
    for name, col in (("digit_frac", "digit"), ("punct_frac", "punct"), ("nonascii_frac", "nonascii"),
                      ("space_frac", "space")):
        F[:, _IDX[name]] = cc[:, _CC[col]] / nchars
    letters = cc[:, _CC["upper"]] + cc[:, _CC["lower"]]
    F[:, _IDX["upper_frac"]] = cc[:, _CC["upper"]] / np.maximum(letters, 1)

    # First and last visible characters.
    first, last = _first_last(texts, cp, starts, lengths)
    fcls = np.where(first < _ASCII_LIMIT, _LUT[np.minimum(first, _ASCII_LIMIT - 1)], _CH_NONASCII)
    F[:, _IDX["starts_upper"]] = fcls == _CH_UPPER
    F[:, _IDX["starts_lower"]] = fcls == _CH_LOWER
    F[:, _IDX["starts_digit"]] = fcls == _CH_DIGIT
    F[:, _IDX["ends_sentence"]] = _ENDS_SENTENCE[np.minimum(last, len(_ENDS_SENTENCE) - 1)]
    F[:, _IDX["ends_colon"]] = last == _COLON_CP
    F[:, _IDX["ends_question"]] = last == QUESTION_MARK

    # Words: one findall over the lower-cased page, ids via one dict lookup per token (C-level
    # map), block of each token from the running count of newline tokens. The lower-cased text
    # as code points and UTF-8 from ``cp`` in one compiled pass (features.lowercase), no str;
    # else (no kernel, or a code point str.lower must handle itself) by str.lower.
    lowered = lower_codepoints(cp, max(n, 1))
    if lowered is not None:
        low, (low_cp, low_b, byte_starts) = None, lowered
        tb = tokenize_cp(low_cp)
    else:
        low = doc.lower()
        # Tokens as arrays (features.tokens: same tokens as TOKEN_RX.findall, one hash-table probe
        # per token for both vocabularies).
        tb = tokenize(low)
        low_cp, low_b, byte_starts = tb.cp, low.encode("utf-8", "surrogatepass"), None
    tb.text_cp = cp  # the code points before lower-casing (reused by features.mt_soft)
    if lexical is not None:
        table, base_id, lex_row = lexical.merged_vocab(_VOCAB)
    else:
        table, base_id, lex_row = _BASE_TABLE, _BASE_IDS, None
    key = table.lookup(tb.hashes)
    wc = _word_counts(tb, key, base_id, lex_row, lexical, n)
    tb.function_words = wc.function_words
    words = np.maximum(wc.words, 1).astype(np.float32)
    F[:, _IDX["log_words"]] = np.log1p(wc.words)
    F[:, _IDX["mean_word_len"]] = wc.length_sums / words
    _word_columns(F, wc, lexical, words)
    F[:, _P_COLS] = np.minimum(wc.phrases, 5.0)
    F[:, _IDX["first_token_chrome"]] = _within_page(wc.chrome, wc.words, page)

    # Character patterns: one compiled pass over the lower-cased page (``low_b``) for all of them
    # (the Python form: one scan per pattern).
    kernel_starts = byte_starts if n else None
    if kernel_starts is None:  # (the kernel's: the same offsets, found in its pass)
        byte_starts = _byte_starts(low_b, texts, n)
    # The c_* columns are built in ``C`` (contiguous, [n, len(CHAR_FEATURES)]) and written once.
    C = np.zeros((n, len(CHAR_FEATURES)), dtype=np.float32)
    url_frac = np.zeros(n, dtype=np.float32)
    table = _literal_table(low_b, byte_starts, n)
    if table is not None:
        # Each target column's patterns summed in int64, then float32: the same values as the
        # Python form's float32 additions (exact below 2 ** 24; beyond it both are past the
        # clip at 5 below, as every addend is >= 0).
        counts, chars = table
        runs = counts[_LIT_GROUP_FIRST]  # each run's sums (``np.add.reduceat(counts, _LIT_GROUP_FIRST)``)
        for row, run in _LIT_RUN_REST:
            runs[run] += counts[row]
        C[:, _LIT_GROUP_COLS] = runs.T
        for row in _URL_SPAN_ROWS:  # (float32 additions in pattern order, as below)
            url_frac += chars[row].astype(np.float32) / nchars
    else:
        for (name, _rx), (counts, chars) in zip(_LITERAL_LIST, _literal_matches(low_b, byte_starts, n)):
            if name == "url_span":
                url_frac += chars / nchars
            C[:, _LIT_COL[name]] += counts
    C[:, _CC_SET_COLS] = cc[:, _CC_SET_SRC]
    C[:, _CC_ADD_COLS] += cc[:, _CC_ADD_SRC]
    # Patterns at the start of each block (one combined match call per block that can match).
    cand = _start_blocks(cp, starts, lengths, n)
    hits = [(i, m.lastindex) for i, m in zip(cand, map(_START_RX.match, map(texts.__getitem__, cand)))
            if m is not None]
    if hits:
        rows, group = np.array(hits, dtype=np.int64).T
        C[rows, _START_COLS[group - 1]] = 1.0
    F[:, _IDX["url_char_frac"]] = np.minimum(url_frac, 1.0)
    F[:, _C_COLS] = np.minimum(C, 5.0, out=C)
    # Punctuation-based counts (from the same per-character pass).
    F[:, _IDX["question_rate"]] = cc[:, _CC["question"]] / words
    F[:, _IDX["exclaim_rate"]] = cc[:, _CC["exclaim"]] / words
    F[:, _IDX["log_sentences"]] = np.log1p(cc[:, _CC["sentence_end"]])
    F[:, _IDX["capword_rate"]] = cc[:, _CC["capword"]] / words
    F[:, _IDX["allcaps_rate"]] = cc[:, _CC["allcaps"]] / words

    # Profanity and MT artefacts (their scores and evidence are reused for the output).
    prof, prof_ev = profanity_scores(list(texts))
    F[:, _IDX["profanity"]] = prof
    F[:, _IDX["profanity_hits"]] = _hit_counts(prof_ev, n)
    mt, mt_ev = mt_artefacts(list(texts), doc, cp)
    F[:, _IDX["mt"]] = mt
    # (the blocks' places in ``low_cp`` when the kernel found a newline between blocks and no other)
    low_spans = (starts, starts + lengths) if kernel_starts is not None else None
    dup = duplicate_flags(texts, page, cc[:, _CC["odd_space"]] > 0, low, low_cp, low_spans)
    F[:, _IDX["dup"]] = dup
    F[:, _IDX["short"]] = lengths < SHORT_CHARS
    F[:, _IDX["shape_repeats"]] = shape_repeats(texts, lengths, page)
    F[:, _IDX["log_chars"]] = np.log1p(lengths)
    pf = PageFeatures(F, np.asarray(prof, dtype=np.float32), prof_ev, np.asarray(mt, dtype=np.float32),
                      mt_ev, dup, lengths, tb, low_b, kernel_starts)
    return F, pf


def _segment_cumsum(A: np.ndarray) -> np.ndarray:
    """Cumulative sums with a leading zero row (float64 for exact differences)."""
    return np.vstack((np.zeros((1, A.shape[1])), np.cumsum(A, axis=0, dtype=np.float64)))


def context_features(F: np.ndarray, page_starts: np.ndarray | None = None,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Context columns (``CONTEXT_NAMES``) for the blocks of many pages at once.

    ``page_starts`` holds the first row of each page (default: one page). Every column looks
    only within the block's own page; shifts, windows and prefix sums are computed on the
    whole batch and clipped at page boundaries, so the cost per page is a few numpy calls.
    """
    n = F.shape[0]
    if page_starts is None:
        page_starts = np.zeros(1, dtype=np.int64)
    page_starts = np.asarray(page_starts, dtype=np.int64)
    page_ends = np.append(page_starts[1:], n)
    sizes = page_ends - page_starts
    page = np.repeat(np.arange(len(page_starts)), sizes)
    p0, p1 = page_starts[page], page_ends[page]  # page bounds of each row
    if out is None:
        out = np.empty((n, len(CONTEXT_NAMES)), dtype=np.float32)
    row = np.arange(n)
    idx = (row - p0).astype(np.float64)
    npg = (p1 - p0).astype(np.float64)
    out[:, 0] = idx / np.maximum(npg - 1, 1)
    out[:, 1] = np.log1p(idx)
    out[:, 2] = np.log1p(npg - 1 - idx)
    out[:, 3] = np.log1p(npg)
    log_chars = F[:, _IDX["log_chars"]].astype(np.float64)
    page_chars = np.bincount(page, weights=np.expm1(log_chars), minlength=len(sizes))
    out[:, 4] = np.log1p(page_chars[page])
    page_mean_len = np.bincount(page, weights=log_chars, minlength=len(sizes)) / np.maximum(sizes, 1)
    out[:, 5] = log_chars - page_mean_len[page]
    hdr = F[:, _IDX["p_comment_header"]] > 0
    last_hdr = np.maximum.accumulate(np.where(hdr, row, -1)) if n else np.zeros(0, dtype=np.int64)
    prev_hdr = np.concatenate(([-1], last_hdr[:-1])) if n else last_hdr
    above = prev_hdr >= p0
    out[:, 6] = above
    out[:, 7] = np.where(above, np.log1p(row - prev_hdr), -1.0)
    if (_CONTEXT is not None and n and F.dtype == np.float32 and out.dtype == np.float32 and len(p0) == n
            and _CONTEXT.context_rows(F, _CTX_COLS, p0, p1, _NEIGHBOURS, _WINDOWS, out[:, 8:])):
        return out  # (the compiled form: the carried columns gathered and summed in its pass)
    context_of(F[:, _CTX_IDX].astype(np.float64), row, p0, p1, out[:, 8:])
    return out


def context_of(A: np.ndarray, row: np.ndarray, p0: np.ndarray, p1: np.ndarray,
               out: np.ndarray | None = None) -> np.ndarray:
    """Neighbours, window means, before/after means and page means of columns ``A``.

    ``row`` is each row's index and ``p0``/``p1`` its page's bounds; nothing crosses a page.
    Output: ``len(CONTEXT_BLOCKS) * A.shape[1]`` columns in the order of ``CONTEXT_BLOCKS``.
    """
    n, k = A.shape
    A = A.astype(np.float64, copy=False)
    if out is None:
        out = np.empty((n, len(CONTEXT_BLOCKS) * k), dtype=np.float32)
    if _CONTEXT is not None and n and out.dtype == np.float32 and _CONTEXT.context_cells(
            np.ascontiguousarray(A), np.ascontiguousarray(_segment_cumsum(A)),
            *(np.ascontiguousarray(v, dtype=np.int64) for v in (row, p0, p1, _NEIGHBOURS, _WINDOWS)), out):
        # The compiled form (features/_context_ext.pyx): each cell written once, same float64 sums
        # (False: a row outside its page, left to the numpy form below).
        return out
    idx = (row - p0).astype(np.float64)
    npg = (p1 - p0).astype(np.float64)
    col = 0
    for o in NEIGHBOUR_OFFSETS:
        # Row i gets row i + o (a shifted slice: no gather), or -1 outside its own page.
        dst = out[:, col: col + k]
        if o > 0:
            dst[: max(n - o, 0)] = A[o:]
            dst[max(n - o, 0):] = -1.0
        else:
            dst[-o:] = A[: max(n + o, 0)]
            dst[: min(-o, n)] = -1.0
        src = row + o
        dst[(src < p0) | (src >= p1)] = -1.0
        col += k
    cs = _segment_cumsum(A)
    for w in WINDOWS:
        lo = np.maximum(row - w, p0)
        hi = np.minimum(row + w + 1, p1)
        tot = cs[hi] - cs[lo] - A
        out[:, col: col + k] = tot / np.maximum(hi - lo - 1, 1)[:, None]
        col += k
    before = cs[row] - cs[p0]
    after = cs[p1] - cs[row + 1]
    out[:, col: col + k] = before / np.maximum(idx, 1)[:, None]
    col += k
    out[:, col: col + k] = after / np.maximum(npg - 1 - idx, 1)[:, None]
    col += k
    out[:, col: col + k] = (cs[p1] - cs[p0]) / np.maximum(npg, 1)[:, None]
    return out


def page_bounds(n: int, page_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index and the first/end row of its page, for ``context_of``."""
    page_starts = np.asarray(page_starts, dtype=np.int64)
    page_ends = np.append(page_starts[1:], n)
    page = np.repeat(np.arange(len(page_starts)), page_ends - page_starts)
    return np.arange(n), page_starts[page], page_ends[page]


def extract_batch(pages: Sequence[Sequence[str]], lexical: LexicalScorer | None = None,
                  extra_columns: int = 0) -> tuple[PageFeatures, np.ndarray]:
    """Features for many pages in one pass; returns them and each page's first row (+ total).

    ``extra_columns``: room for that many more columns to the right of ``FEATURE_NAMES`` in one
    buffer (``pf.wide``; ``pf.X`` is its left part), for a schema that adds columns in place.
    """
    sizes = np.fromiter(map(len, pages), dtype=np.int64, count=len(pages))
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    texts = [t for p in pages for t in p]
    if not texts:
        z = np.zeros(0, dtype=np.float32)
        empty = np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
        return PageFeatures(empty, z, [], z, [], z, np.zeros(0, dtype=np.int64)), offsets
    page = np.repeat(np.arange(len(pages)), sizes)
    width = len(FEATURE_NAMES)
    wide = np.empty((len(texts), width + extra_columns), dtype=np.float32)  # filled in place, no hstack
    X = wide[:, :width] if extra_columns else wide
    F, pf = local_features(texts, page, lexical, out=X[:, : len(LOCAL_NAMES)])
    context_features(F, _starts_nonempty(offsets), out=X[:, len(LOCAL_NAMES):])
    pf.X = X
    pf.wide = wide if extra_columns else None
    return pf, offsets


def _starts_nonempty(offsets: np.ndarray) -> np.ndarray:
    """Page start rows, skipping empty pages (they own no rows)."""
    starts = offsets[:-1]
    keep = offsets[1:] > starts
    return starts[keep]


def extract(texts: Sequence[str], lexical: LexicalScorer | None = None) -> PageFeatures:
    """The full feature matrix (``FEATURE_NAMES``) for the blocks of one page."""
    return extract_batch([texts], lexical)[0]
