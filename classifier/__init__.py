"""newswinnow: the model, decoding, scores, the Classifier API and the CLI.

Pipeline adapters load lazily so their engines stay optional: ``NewswinnowFilter`` (DataTrove,
``newswinnow[datatrove]``) and ``classify_spark`` (PySpark, ``newswinnow[spark]``).
"""

from importlib import import_module

from .api import Classifier, DocumentResult, ModelError

# Name -> module of the optional adapters, imported on first access.
_LAZY = {"NewswinnowFilter": ".datatrove", "classify_spark": ".spark"}

__all__ = ["Classifier", "DocumentResult", "ModelError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
