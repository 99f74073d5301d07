"""DOM feature columns for HTML pages: schema ``html-2`` = the text schema + DOM columns.

The text columns are ``features.extract.extract_batch`` unchanged (same code, same names),
so everything the text model knows carries over; the DOM columns add what plain text loses:

- link density and link count of the block (navigation, related lists, share bars);
- tag group, depth, heading level; the ancestor tags it sits in (``li``, ``nav``, ``footer``...);
- class/id vocabulary (``features.dom_lexicon.CLASS_GROUPS``) of the block's own element and
  of all its ancestors: ``comment``/``reply``/``respond`` wrap threads, ``share``/``nav``/
  ``footer``/``sidebar``/``related`` wrap furniture;
- position in the DOM (element order over the page's element count);
- the enclosing container: its characters, blocks and link density (text density);
- same-container siblings: how many blocks of the page share the block's container and
  element signature (tag + class without digits), the length of the consecutive run of such
  blocks and the page frequency of the signature (a thread is a run of similar siblings);
- the page's main-content candidate (``features.html._mark_top``, readability.js-style: the
  element under which most unlinked prose sits): whether the block lies inside it and how much
  of the page's text it holds; this carries across site templates where class names do not;
- characters of scripts written without spaces (CJK), whose word counts are meaningless;
- neighbour/window/page context of the main DOM columns (``features.extract.context_of``).

All columns of a batch are numpy operations over the stacked raw facts of ``features.html``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .dom_lexicon import ANCESTOR_TAGS, TAG_GROUP_NAMES
from .extract import CONTEXT_BLOCKS, FEATURE_NAMES, PageFeatures, context_of, extract_batch
from .html import CLASS_GROUP_NAMES, RAW_COLUMNS, HtmlPage
from .lexical import LexicalScorer
from .text_schema import DOM_SCHEMA_VERSION

__all__ = ["DOM_SCHEMA_VERSION", "HTML_FEATURE_NAMES", "html_features"]
# A block whose link density is at least this is "all link" (menu items, related headlines).
ALL_LINK_DENSITY = 0.9

DOM_LOCAL_NAMES: tuple[str, ...] = (
    "dom_link_density", "dom_log_link_count", "dom_all_link", "dom_log_depth", "dom_depth_vs_page",
    "dom_heading_level", "dom_is_heading", "dom_pos", "dom_char_share",
    "dom_log_container_chars", "dom_log_container_blocks", "dom_container_link_density",
    "dom_share_of_container", "dom_log_sibling_count", "dom_log_sibling_run", "dom_run_pos",
    "dom_log_signature_count", "dom_signature_share", "dom_log_item_blocks", "dom_log_items",
    "dom_log_chars", "dom_cjk_share", "dom_in_top", "dom_log_top_chars", "dom_top_share",
    *(f"dom_tag_{t}" for t in TAG_GROUP_NAMES),
    *(f"dom_own_{g}" for g in CLASS_GROUP_NAMES),
    *(f"dom_anc_{g}" for g in CLASS_GROUP_NAMES),
    *(f"dom_in_{t}" for t in ANCESTOR_TAGS),
)
# DOM columns carried into the context pass (neighbours, windows, before/after/page means).
DOM_CONTEXT_KEYS: tuple[str, ...] = (
    "dom_link_density", "dom_anc_comment", "dom_anc_reply", "dom_anc_content", "dom_anc_nav",
    "dom_anc_footer", "dom_anc_sidebar", "dom_anc_related", "dom_log_sibling_count",
    "dom_in_li", "dom_in_a", "dom_log_items", "dom_in_top",
)
DOM_CONTEXT_NAMES: tuple[str, ...] = tuple(f"{c}_{k}" for c in CONTEXT_BLOCKS for k in DOM_CONTEXT_KEYS)
DOM_NAMES: tuple[str, ...] = DOM_LOCAL_NAMES + DOM_CONTEXT_NAMES
HTML_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + DOM_NAMES

_R = {n: i for i, n in enumerate(RAW_COLUMNS)}
_L = {n: i for i, n in enumerate(DOM_LOCAL_NAMES)}
_CTX = np.array([_L[k] for k in DOM_CONTEXT_KEYS])


def _group_ids(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id of each row for the combination of integer keys, and each group's size.

    Keys are folded in one at a time as dense ranks (``rank * (max + 1) + next rank`` stays
    below n squared), so every ``np.unique`` is 1-D: several times faster than ``axis=0``, and
    the same ids (lexicographic order of the key tuples).
    """
    _, inv = np.unique(keys[0], return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    for k in keys[1:]:
        _, r = np.unique(k, return_inverse=True)
        r = r.reshape(-1).astype(np.int64)
        _, inv = np.unique(inv * (int(r.max()) + 1) + r, return_inverse=True)
        inv = inv.reshape(-1).astype(np.int64)
    counts = np.bincount(inv)
    return inv, counts


def _first_rows(*keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each distinct key combination (``np.unique(..., return_index=True)``)."""
    inv, _ = _group_ids(*keys)
    _, first = np.unique(inv, return_index=True)
    return first


def _bits(mask: np.ndarray, n_bits: int) -> np.ndarray:
    return ((mask[:, None] >> np.arange(n_bits, dtype=np.int64)) & 1).astype(np.float32)


def dom_local(raw: np.ndarray, page: np.ndarray, n_elements: np.ndarray) -> np.ndarray:
    """``DOM_LOCAL_NAMES`` columns for stacked raw facts (``page`` = page number per row)."""
    n = raw.shape[0]
    out = np.zeros((n, len(DOM_LOCAL_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    n_pages = int(page.max()) + 1
    chars = raw[:, _R["chars"]].astype(np.float64)
    link = raw[:, _R["link_chars"]].astype(np.float64)
    depth = raw[:, _R["depth"]].astype(np.float64)
    dens = link / np.maximum(chars, 1)
    out[:, _L["dom_link_density"]] = dens
    out[:, _L["dom_log_link_count"]] = np.log1p(raw[:, _R["link_count"]])
    out[:, _L["dom_all_link"]] = dens >= ALL_LINK_DENSITY
    out[:, _L["dom_log_depth"]] = np.log1p(depth)
    page_rows = np.bincount(page, minlength=n_pages).astype(np.float64)
    mean_depth = np.bincount(page, weights=depth, minlength=n_pages) / np.maximum(page_rows, 1)
    out[:, _L["dom_depth_vs_page"]] = depth - mean_depth[page]
    heading = raw[:, _R["heading"]]
    out[:, _L["dom_heading_level"]] = heading
    out[:, _L["dom_is_heading"]] = heading > 0
    out[:, _L["dom_pos"]] = raw[:, _R["el_no"]] / np.maximum(n_elements[page], 1)
    page_chars = np.bincount(page, weights=chars, minlength=n_pages)
    out[:, _L["dom_char_share"]] = chars / np.maximum(page_chars[page], 1)
    cont, cont_blocks = _group_ids(page, raw[:, _R["container"]])
    cont_chars = np.bincount(cont, weights=chars)
    cont_link = np.bincount(cont, weights=link)
    out[:, _L["dom_log_container_chars"]] = np.log1p(cont_chars[cont])
    out[:, _L["dom_log_container_blocks"]] = np.log1p(cont_blocks[cont])
    out[:, _L["dom_container_link_density"]] = cont_link[cont] / np.maximum(cont_chars[cont], 1)
    out[:, _L["dom_share_of_container"]] = chars / np.maximum(cont_chars[cont], 1)
    sig = raw[:, _R["signature"]]
    sib, sib_count = _group_ids(page, raw[:, _R["container"]], sig)
    out[:, _L["dom_log_sibling_count"]] = np.log1p(sib_count[sib])
    # Runs of consecutive rows in the same (page, container, signature) group.
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = sib[1:] != sib[:-1]
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, n))
    pos_in_run = np.arange(n) - run_start[run_id]
    out[:, _L["dom_log_sibling_run"]] = np.log1p(run_len[run_id])
    out[:, _L["dom_run_pos"]] = pos_in_run / np.maximum(run_len[run_id] - 1, 1)
    sg, sg_count = _group_ids(page, sig)
    out[:, _L["dom_log_signature_count"]] = np.log1p(sg_count[sg])
    out[:, _L["dom_signature_share"]] = sg_count[sg] / np.maximum(page_rows[page], 1)
    # Items: the block's container among same-signature siblings (the <li>s of a thread, the
    # comment <div>s of a comment list), grouped under their common parent.
    item, item_blocks = _group_ids(page, raw[:, _R["grand_container"]], raw[:, _R["container_signature"]])
    out[:, _L["dom_log_item_blocks"]] = np.log1p(item_blocks[item])
    first = _first_rows(item, raw[:, _R["container"]])
    n_items = np.bincount(item[first], minlength=int(item.max()) + 1)
    out[:, _L["dom_log_items"]] = np.log1p(n_items[item])
    out[:, _L["dom_log_chars"]] = np.log1p(chars)
    out[:, _L["dom_cjk_share"]] = raw[:, _R["cjk_chars"]] / np.maximum(chars, 1)
    out[:, _L["dom_in_top"]] = raw[:, _R["in_top"]]
    top_chars = raw[:, _R["top_chars"]].astype(np.float64)
    out[:, _L["dom_log_top_chars"]] = np.log1p(top_chars)
    out[:, _L["dom_top_share"]] = top_chars / np.maximum(page_chars[page], 1)
    t0 = _L[f"dom_tag_{TAG_GROUP_NAMES[0]}"]
    out[np.arange(n), t0 + raw[:, _R["tag_group"]]] = 1.0
    k = len(CLASS_GROUP_NAMES)
    o0 = _L[f"dom_own_{CLASS_GROUP_NAMES[0]}"]
    out[:, o0: o0 + k] = _bits(raw[:, _R["own_mask"]], k)
    a0 = _L[f"dom_anc_{CLASS_GROUP_NAMES[0]}"]
    out[:, a0: a0 + k] = _bits(raw[:, _R["anc_mask"]], k)
    i0 = _L[f"dom_in_{ANCESTOR_TAGS[0]}"]
    out[:, i0: i0 + len(ANCESTOR_TAGS)] = _bits(raw[:, _R["anc_tags"]], len(ANCESTOR_TAGS))
    return out


def html_features(pages: Sequence[HtmlPage], lexical: LexicalScorer | None = None,
                  text_pf: PageFeatures | None = None) -> tuple[PageFeatures, np.ndarray]:
    """``HTML_FEATURE_NAMES`` for many pages: text columns, then DOM columns (in ``pf.X``).

    ``text_pf`` lets training pass a text pass it already ran. Returns the page features and
    each page's first row (+ the total), as ``extract_batch`` does.
    """
    if text_pf is None:
        text_pf, offsets = extract_batch([[b.text for b in p.blocks] for p in pages], lexical)
    else:
        sizes = np.fromiter((len(p.blocks) for p in pages), dtype=np.int64, count=len(pages))
        offsets = np.concatenate(([0], np.cumsum(sizes)))
    # One matrix filled in place (what np.hstack of the two would give, without two copies).
    n_text = text_pf.X.shape[1]
    X = np.empty((text_pf.X.shape[0], n_text + len(DOM_NAMES)), dtype=np.result_type(text_pf.X, np.float32))
    X[:, :n_text] = text_pf.X
    dom_matrix(pages, offsets, out=X[:, n_text:])
    text_pf.X = X
    return text_pf, offsets


def dom_matrix(pages: Sequence[HtmlPage], offsets: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The ``DOM_NAMES`` columns of many pages (rows in page order), in ``out`` when given."""
    n = int(offsets[-1])
    if out is None:
        out = np.empty((n, len(DOM_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    raw = np.vstack([p.dom for p in pages if len(p.blocks)])
    sizes = np.diff(offsets)
    page = np.repeat(np.arange(len(pages)), sizes)
    n_elements = np.array([p.n_elements for p in pages], dtype=np.float64)
    local = dom_local(raw, page, n_elements)
    row = np.arange(n)
    p0, p1 = offsets[:-1][page], offsets[1:][page]
    out[:, : local.shape[1]] = local
    context_of(local[:, _CTX], row, p0, p1, out=out[:, local.shape[1]:])
    return out
