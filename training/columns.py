"""Feature columns the networks may be told not to read (``--ignore-column``).

One place for ``newswinnow train`` and ``newswinnow evaluate spam-lovo``, so a model trained
with the option can be scored under the same protocol as the shipped one. Light on purpose:
``evaluate`` imports it before it knows whether it will train anything.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

# The page-size columns (``train --ignore-column``, not the default): the page's length in blocks
# and in characters, and a block's distance to the page's end (which, with its index, gives that
# length again). A model trained on the first 700 Dragnet pages and tested on the other 246 called
# two long comment threads (1,133 and 1,736 lines) editorial almost throughout, and networks that
# do not read these columns did better there; but by source the same change cost gold text with
# spam 0.019 editorial F1, over the bar its rule set, so the shipped model reads them
# (docs/text-model.md, session 43).
PAGE_SIZE_COLUMNS: tuple[str, ...] = ("log_n_blocks", "log_page_chars", "log_from_end")
# The name that stands for all of them.
PAGE_SIZE_ALIAS = "page-size"

IGNORE_COLUMN_OPTION = click.option(
    "--ignore-column", "ignore_columns", multiple=True, metavar="NAME",
    help=f"A feature column the networks must not read (repeatable; '{PAGE_SIZE_ALIAS}' names the three "
         f"page-size columns {', '.join(PAGE_SIZE_COLUMNS)}): held at 0 in training, first-layer "
         "weights 0, recorded in the model header (docs/text-model.md, session 43).")


def ignore_column_names(given: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """``--ignore-column`` values as column names of the schema (``page-size``: ``PAGE_SIZE_COLUMNS``);
    an unknown name is a usage error, before any page is read."""
    out: list[str] = []
    for g in given:
        for name in PAGE_SIZE_COLUMNS if g == PAGE_SIZE_ALIAS else (g,):
            if name not in names:
                raise click.BadParameter(f"{name!r} is not a column of this schema", param_hint="--ignore-column")
            if name not in out:
                out.append(name)
    return tuple(out)
