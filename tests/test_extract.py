"""Feature extraction: schema, finiteness, batch == per page, no context across pages, column meanings."""

from __future__ import annotations

import numpy as np
import pytest

from features.extract import CONTEXT_NAMES, FEATURE_NAMES, LOCAL_NAMES, extract, extract_batch

PAGE_A = [
    "Council approves new harbour bridge budget",
    "By Jane Smith, Staff Writer",
    "The city council voted 7-2 on Tuesday to fund the bridge, officials said.",
    "\u201cThis is a good day for the city,\u201d the mayor told reporters.",
    "Read more: https://example.com/news/bridge",
]
PAGE_B = [
    "I think you are wrong about the bridge.",
    "Dear SF \u2013 could you please fix the potholes first?",
    "Check out my channel!!! I make $85 an hour from home www.spam.tk",
    "Reply",
    "Reply",
]
PAGE_C = ["Home / Uncategorized / Bridge", "\u00a9 2024 Example News. All rights reserved.", "Source link"]


def col(X: np.ndarray, name: str) -> np.ndarray:
    return X[:, FEATURE_NAMES.index(name)]


def test_schema_names_are_unique_and_split() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert FEATURE_NAMES == LOCAL_NAMES + CONTEXT_NAMES


@pytest.mark.parametrize("page", [PAGE_A, PAGE_B, PAGE_C, ["x"], ["\u00e9\u00e8 \U0001F600 \u4e2d\u6587"]])
def test_shape_and_finite(page: list[str]) -> None:
    pf = extract(page)
    assert pf.X.shape == (len(page), len(FEATURE_NAMES))
    assert pf.X.dtype == np.float32
    assert np.isfinite(pf.X).all()
    assert pf.lengths.tolist() == [len(t) for t in page]


def test_empty_page() -> None:
    pf = extract([])
    assert pf.X.shape == (0, len(FEATURE_NAMES))
    assert pf.lengths.shape == (0,)


def test_batch_equals_per_page() -> None:
    pages = [PAGE_A, PAGE_B, PAGE_C]
    pf, offsets = extract_batch(pages)
    assert offsets.tolist() == [0, 5, 10, 13]
    stacked = np.vstack([extract(p).X for p in pages])
    assert pf.X.shape == stacked.shape
    assert np.allclose(pf.X, stacked, atol=1e-6)


def test_batch_with_empty_pages_equals_per_page() -> None:
    pages = [[], PAGE_B, [], [], PAGE_A, []]
    pf, offsets = extract_batch(pages)
    assert offsets.tolist() == [0, 0, 5, 5, 5, 10, 10]
    assert np.allclose(pf.X, np.vstack([extract(PAGE_B).X, extract(PAGE_A).X]), atol=1e-6)


def test_all_pages_empty() -> None:
    pf, offsets = extract_batch([[], []])
    assert pf.X.shape == (0, len(FEATURE_NAMES))
    assert offsets.tolist() == [0, 0, 0]


def test_context_never_crosses_pages() -> None:
    """The first block of a page has no previous neighbour and no header above it, whatever came before."""
    header_page = ["524 comments", "Leave a Reply", "I think so too"]
    pf, _ = extract_batch([header_page, ["Plain article sentence number one."]])
    last = pf.X[-1]
    assert last[FEATURE_NAMES.index("n-1_log_chars")] == -1.0
    assert last[FEATURE_NAMES.index("n+1_log_chars")] == -1.0
    assert last[FEATURE_NAMES.index("comment_header_above")] == 0.0
    assert last[FEATURE_NAMES.index("rel_pos")] == 0.0
    assert last[FEATURE_NAMES.index("log_n_blocks")] == pytest.approx(np.log1p(1))


def test_duplicate_flag_is_per_page() -> None:
    """A line repeated on another page is not a duplicate; repeated on the same page it is."""
    pf, _ = extract_batch([["Same line here"], ["Same line here", "Other", "same  LINE here"]])
    assert pf.dup.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert col(pf.X, "dup").tolist() == [0.0, 0.0, 0.0, 1.0]


def test_position_columns() -> None:
    X = extract(["a", "b", "c", "d", "e"]).X
    assert col(X, "rel_pos").tolist() == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert col(X, "log_index").tolist() == pytest.approx(np.log1p(np.arange(5)).tolist())


def test_url_line_has_high_url_char_frac() -> None:
    X = extract(["https://www.example.com/2024/05/some-story.html", "No links in this sentence."]).X
    assert col(X, "url_char_frac")[0] > 0.5
    assert col(X, "url_char_frac")[1] == 0.0
    assert col(X, "c_url")[0] >= 1


def test_first_person_opinion() -> None:
    X = extract(["I think you are wrong", "The minister announced the budget on Monday."]).X
    assert col(X, "w_first_singular")[0] > 0
    assert col(X, "p_opinion_phrase")[0] >= 1
    assert col(X, "w_first_singular")[1] == 0
    assert col(X, "p_opinion_phrase")[1] == 0


def test_address_start_pattern() -> None:
    X = extract(["Dear SF \u2013 could you tell us more?", "SF could you tell us more?",
                 "@bob you are right"]).X
    assert col(X, "c_address").tolist() == [1.0, 0.0, 1.0]


def test_phrase_does_not_span_blocks() -> None:
    """"I" at the end of one line and "think" at the start of the next are not the phrase "i think"."""
    X = extract(["Me and I", "think about it"]).X
    assert col(X, "p_opinion_phrase").tolist() == [0.0, 0.0]


def test_dup_column_marks_the_repeat_only() -> None:
    X = extract(["A line that repeats.", "Something else.", "A line that repeats."]).X
    assert col(X, "dup").tolist() == [0.0, 0.0, 1.0]


def test_short_and_length_columns() -> None:
    X = extract(["Reply", "x" * 100]).X
    assert col(X, "short").tolist() == [1.0, 0.0]
    assert col(X, "log_chars").tolist() == pytest.approx([np.log1p(5), np.log1p(100)])


def test_money_and_call_to_action() -> None:
    X = extract([PAGE_B[2], PAGE_A[2]]).X
    assert col(X, "c_money")[0] >= 1
    assert col(X, "p_call_to_action")[0] >= 1
    assert col(X, "p_call_to_action")[1] == 0



# --- per-character counts: the one-bincount implementation against a direct one -------------
def _char_counts_direct(texts: list[str]) -> np.ndarray:
    """Each property by its definition, character by character (slow, obviously right)."""
    from features.extract import _CC, _CHAR_COUNTS, _FLAGS, CHAR_FLAGS

    def has(c: str, name: str) -> bool:
        return bool(_FLAGS[ord(c)] & (1 << CHAR_FLAGS.index(name)))

    doc = "\n".join(texts)
    out = np.zeros((len(texts), len(_CHAR_COUNTS)), dtype=np.float32)
    pos = 0
    for b, t in enumerate(texts):
        span = t + ("\n" if b < len(texts) - 1 else "")
        for k, c in enumerate(span):
            i = pos + k
            prv = doc[i - 1] if i else " "
            nxt = doc[i + 1] if i + 1 < len(doc) else " "
            nxt2 = doc[i + 2] if i + 2 < len(doc) else ""
            for name in ("upper", "lower", "digit", "punct", "space", "nonascii", "quote_mark",
                         "ellipsis_char", "emoji", "question", "exclaim"):
                out[b, _CC[name]] += has(c, name)
            out[b, _CC["boiler_char"]] += (has(c, "separator") and nxt in " \n") or has(c, "copyright")
            out[b, _CC["money"]] += has(c, "currency") and (
                has(nxt, "digit") or (nxt == " " and nxt2 != "" and has(nxt2, "digit")))
            out[b, _CC["sentence_end"]] += (has(c, "question") or has(c, "exclaim") or has(c, "full_stop")) \
                and has(nxt, "space")
            out[b, _CC["capword"]] += has(c, "upper") and (has(prv, "space") or has(prv, "punct")) \
                and has(nxt, "lower")
            out[b, _CC["allcaps"]] += has(c, "upper") and has(nxt, "upper")
            out[b, _CC["odd_space"]] += has(c, "odd_space") or (c == " " and nxt == " ")
        out[b, _CC["space"]] -= b < len(texts) - 1  # the joining newline is not the block's
        pos += len(span)
    return out


def _char_counts_fast(texts: list[str]) -> np.ndarray:
    from features.extract import _char_counts

    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    doc = "\n".join(texts)
    cp = np.frombuffer(doc.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _char_counts(cp, starts, len(texts), doc)


@pytest.mark.parametrize("texts", [
    ["a $ 5 b", "$ 5", "x $", "\u20ac 12 and \u00a33", "$"],
    ["Hello World. Yes! no?\tok  two  spaces\u00a0x", "\u00c9COLE \u00dcber | \u00bb \u203a \u2022x", "\u00a9 2012 |"],
    ["A", "", " ", "AB CD. Ef", "\U0001F600\u2026 \u201cquoted\u201d"],
])
def test_char_counts_match_direct_definition(texts: list[str]) -> None:
    np.testing.assert_array_equal(_char_counts_fast(texts), _char_counts_direct(texts))


def test_char_counts_match_direct_definition_random() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    alphabet = st.sampled_from(list("aZ9 .!?$\u00a3|\u00bb\u00a9\u00a0\t\u2026\u201c\U0001F600\u00e9:-"))

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.lists(st.text(alphabet, max_size=12), min_size=1, max_size=5))
    def check(texts: list[str]) -> None:
        np.testing.assert_array_equal(_char_counts_fast(texts), _char_counts_direct(texts))

    check()


def test_squeeze_shape_matches_translate_and_regex() -> None:
    """The numpy shape squeeze equals its definition: translate, then delete a character equal to the next."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    from features.extract import _RUNS_RX, _SHAPE_TABLE, _squeeze_shape

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.text(st.sampled_from(list("aAzZ09 \n\n.:-\u00e9\u00c9\U0001F600bQ5")), max_size=40))
    def check(text: str) -> None:
        assert _squeeze_shape(text) == _RUNS_RX.sub("", text.translate(_SHAPE_TABLE))

    check()
    assert _squeeze_shape("Mike 07.18.12 at 20:22") == "Aa 0.0.0 a 0:0"


def test_first_last_match_strip() -> None:
    """First/last non-space characters read off the code points equal str.strip()'s."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    from features.extract import _first_last

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(st.text(st.sampled_from(list("a. ?\t\u00a0\u3000:\u201d\U0001F600Z")), max_size=6),
                               min_size=1, max_size=6))
    def check(texts: list[str]) -> None:
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
        cp = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        first, last = _first_last(texts, cp, starts, lengths)
        want = [(ord(t.strip()[0]), ord(t.strip()[-1])) if t.strip() else (32, 32) for t in texts]
        assert list(zip(first.tolist(), last.tolist())) == want

    check()


def test_word_less_last_block_does_not_take_the_next_pages_first_word() -> None:
    """A page's features do not depend on the page batched after it: a block without words
    ("***") takes the next block's first word for first_token_chrome only within its page."""
    from features.extract import FEATURE_NAMES, extract, extract_batch

    col = FEATURE_NAMES.index("first_token_chrome")
    page_a = ["The council met on Tuesday to discuss the budget.", "***"]
    page_b = ["By Jane Smith", "Reply"]
    alone = extract(page_a).X
    batched, offsets = extract_batch([page_a, page_b])
    assert alone[1, col] == 0.0
    np.testing.assert_array_equal(batched.X[: offsets[1]], alone)
    # Within a page the word-less block still takes the next block's first word (as trained).
    within = extract(["Great article.", "***", "Reply"]).X
    assert within[1, col] == 1.0 and within[2, col] == 1.0
    assert batched.X[offsets[1], col] == 1.0  # "By Jane Smith" itself is chrome-first
