"""Network options that ``newswinnow train`` and ``newswinnow evaluate spam-lovo`` share.

The feature columns the networks may be told not to read (``--ignore-column``) and their hidden
widths (``--hidden``): one place for both commands, so a model trained with an option can be
scored under the same spam protocol as the shipped one. Light on purpose: ``evaluate`` imports
it before it knows whether it will train anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

# The networks' hidden layers (``--hidden``'s default): the shipped model's. 96 first-layer units
# (was 128): the text-5 columns cost about what the smaller first layer saves at classify time
# (features.changepoint).
HIDDEN_LAYERS: tuple[int, ...] = (96, 64)
# ``--hidden`` takes at most this many layers (the classifier runs any depth; deeper is not cheap).
MAX_HIDDEN_LAYERS = 4

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


def parse_hidden(value: str) -> tuple[int, ...]:
    """``--hidden`` "96,64" -> (96, 64); a usage error unless one to ``MAX_HIDDEN_LAYERS`` positive widths."""
    try:
        widths = tuple(int(v) for v in value.split(","))
    except ValueError:
        widths = ()
    if not 1 <= len(widths) <= MAX_HIDDEN_LAYERS or min(widths) < 1:
        raise click.BadParameter(f"{value!r}: give 1 to {MAX_HIDDEN_LAYERS} positive widths, comma-separated "
                                 "(e.g. 96,64)", param_hint="--hidden")
    return widths


HIDDEN_OPTION = click.option(
    "--hidden", default=",".join(map(str, HIDDEN_LAYERS)), show_default=True, metavar="W[,W...]",
    callback=lambda ctx, param, value: parse_hidden(value),
    help="The networks' hidden layers, widths comma-separated (a student takes its teacher's). Narrower "
         "first layers are cheaper to run: the first layer holds most of a pass's multiply-adds "
         "(docs/speed.md, session 44).")


def require_corpora(root: Path, folders: Sequence[str], hint: str = "") -> None:
    """A usage error naming every folder of ``folders`` missing under ``--corpora``, before any
    page is read: a wrong path otherwise ended deep in a reader with a traceback, or (``evaluate``)
    scored zero pages as F1 0 with exit status 0."""
    missing = [f for f in folders if not (Path(root) / f).is_dir()]
    if missing:
        raise click.UsageError(f"--corpora {root}: no {', '.join(missing)} folder{'s' * (len(missing) > 1)} there "
                               f"(the public corpora: shared/corpora/README.md){hint}")
