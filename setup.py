"""Build of the optional compiled kernels; the package's metadata is declared in setup.cfg.

Each kernel is a Cython module with a numpy twin that gives the same output (features/ext.py);
``optional=True`` lets the install go on without a C compiler, on the numpy forms.
"""
import os
import sys

from setuptools import Extension, setup

# Bit-identical floats with the numpy forms: no fused multiply-add (GCC contracts ``a * b + c`` by
# default where the target has FMA, e.g. every aarch64); not an MSVC flag.
FLOAT_FLAGS = [] if sys.platform == "win32" else ["-ffp-contract=off"]

# Module name -> source; keep in step with features.ext.MODULES.
KERNELS = {
    "classifier._viterbi": "classifier/_viterbi.pyx",
    "classifier._model_ext": "classifier/_model_ext.pyx",
    "features._context_ext": "features/_context_ext.pyx",
    "features._tokens_ext": "features/_tokens_ext.pyx",
    "features._profanity_ext": "features/_profanity_ext.pyx",
    "features._vocab_ext": "features/_vocab_ext.pyx",
    "features._mt_soft_ext": "features/_mt_soft_ext.pyx",
    "features._spamctx_ext": "features/_spamctx_ext.pyx",
    "features._dedup_ext": "features/_dedup_ext.pyx",
    "features._change_ext": "features/_change_ext.pyx",
    "classifier._pages_ext": "classifier/_pages_ext.pyx",
    "features._literal_ext": "features/_literal_ext.pyx",
    "features._mt_ext": "features/_mt_ext.pyx",
    "features._segment_ext": "features/_segment_ext.pyx",
    "classifier._results_ext": "classifier/_results_ext.pyx",
    "features._lower_ext": "features/_lower_ext.pyx",
    "features._glue_ext": "features/_glue_ext.pyx",
}


def extensions() -> list:
    """The kernels to build: none when Cython is missing or NEWSWINNOW_PURE_PYTHON is set."""
    if os.environ.get("NEWSWINNOW_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    exts = cythonize([Extension(name, [src], extra_compile_args=FLOAT_FLAGS) for name, src in KERNELS.items()],
                     language_level=3, quiet=True)
    for e in exts:  # set after cythonize, which does not carry ``optional`` over to its copies
        e.optional = True
    return exts


setup(ext_modules=extensions())
