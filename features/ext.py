"""The optional compiled kernels (Cython, built by ``setup.py`` when a C compiler is there).

Why optional: a machine without a compiler still installs and runs newswinnow, on the numpy
forms, with the same output (each kernel is checked against its numpy form in
tests/test_ext.py); the kernels only make it faster. ``NEWSWINNOW_PURE_PYTHON=1`` switches
them off, e.g. to compare the two forms or to rule the kernels out when chasing a bug.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

PURE_ENV = "NEWSWINNOW_PURE_PYTHON"
# Every compiled module setup.py builds (tests/test_ext.py checks that CI built them all).
MODULES = ("classifier._viterbi", "features._context_ext", "features._tokens_ext", "features._profanity_ext",
           "features._vocab_ext", "features._mt_soft_ext", "features._spamctx_ext", "features._dedup_ext",
           "features._change_ext", "classifier._pages_ext", "features._literal_ext", "features._mt_ext",
           "features._segment_ext", "classifier._results_ext", "classifier._model_ext", "features._lower_ext",
           "features._glue_ext")


def pure_python() -> bool:
    """True when the environment asks for the numpy forms only."""
    return os.environ.get(PURE_ENV, "").strip() not in ("", "0")


def load(name: str) -> ModuleType | None:
    """The compiled module ``name``, or None when it was not built or ``PURE_ENV`` is set."""
    if pure_python():
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def built() -> dict[str, bool]:
    """Which of ``MODULES`` import (whatever ``PURE_ENV`` says)."""
    out = {}
    for name in MODULES:
        try:
            importlib.import_module(name)
            out[name] = True
        except ImportError:
            out[name] = False
    return out
