"""Build of the optional compiled kernels; the package's metadata is declared in setup.cfg.

Each kernel is a Cython module with a numpy twin that gives the same output (features/ext.py);
``optional=True`` lets the install go on without a C compiler, on the numpy forms.
"""
import os

from setuptools import Extension, setup

# Module name -> source; keep in step with features.ext.MODULES.
KERNELS = {
    "classifier._viterbi": "classifier/_viterbi.pyx",
}


def extensions() -> list:
    """The kernels to build: none when Cython is missing or NEWSWINNOW_PURE_PYTHON is set."""
    if os.environ.get("NEWSWINNOW_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    exts = [Extension(name, [src], optional=True) for name, src in KERNELS.items()]
    return cythonize(exts, language_level=3, quiet=True)


setup(ext_modules=extensions())
