"""``train --cv-seed``: another partition of the same groups, every group held out once."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from training.train import fold_pages


def _matrix(sizes: list[int]) -> SimpleNamespace:
    """Pages of sites with these page counts (cv_groups reads a page's group at its first row)."""
    pages = [SimpleNamespace(id=f"p{i}#gold") for i in range(sum(sizes))]
    groups = np.repeat([f"site{k}.example" for k in range(len(sizes))], sizes)
    return SimpleNamespace(pages=pages, groups=groups, offsets=np.arange(len(pages) + 1))


def test_seeded_partition_holds_each_site_out_once_and_is_reproducible() -> None:
    M = _matrix([9, 7, 5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1])
    splits = fold_pages(M, 5, cv_seed=3)
    test_pages = np.concatenate([te for _, te in splits])
    assert sorted(test_pages.tolist()) == list(range(len(M.pages)))
    for tr, te in splits:
        assert not set(M.groups[tr]) & set(M.groups[te])  # a site never straddles train and test
    per_fold = [len(set(M.groups[te])) for _, te in splits]
    assert max(per_fold) - min(per_fold) <= 1  # sites dealt in turn
    again = fold_pages(M, 5, cv_seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))
    other = fold_pages(M, 5, cv_seed=4)
    default = fold_pages(M, 5)
    as_sets = lambda s: sorted(tuple(te.tolist()) for _, te in s)  # noqa: E731
    assert as_sets(other) != as_sets(splits) and as_sets(default) != as_sets(splits)
