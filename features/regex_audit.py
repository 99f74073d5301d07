"""Regex audit: find every compiled regex of the project and build its worst-case inputs.

Why: Python's ``re`` backtracks, so a pattern with nested or overlapping quantifiers can take
quadratic or exponential time on hostile text (a 40 MB page, an emoji storm, "aaaa...!").
The worst cases of a pattern are built from its own alphabet: long runs of one character it
matches, of all of them, and of its literal fragments and near-misses (a fragment without its
last character). ``tests/test_regex_linear.py`` times each pattern on them at growing sizes;
``benchmarks/bench_pathological.py`` feeds a few through the whole classifier.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import random
import re
import types
from collections.abc import Iterator
from re import _parser as _sre_p  # type: ignore[attr-defined]
from types import ModuleType

# Modules whose compiled regexes are audited (module-level patterns, and patterns held in
# module-level tuples, dicts and dataclasses such as the MT artefact patterns).
AUDITED_MODULES = (
    "features.extract", "features.lexical", "features.lexicons", "features.mt", "features.mt_patterns",
    "features.markdown", "features.profanity", "features.segment", "features.spamctx", "features.spamshape",
    "features.tokens", "features.unwrap",
    "classifier.api", "classifier.cli", "classifier.decode", "classifier.io", "classifier.limits",
    "classifier.model", "classifier.parallel", "classifier.scores", "classifier.source",
)
# Representative characters of the regex categories (\d, \w, \s and their negations).
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a!", "CATEGORY_SPACE": " \n",
    "CATEGORY_NOT_SPACE": "a.", "CATEGORY_WORD": "a_0é", "CATEGORY_NOT_WORD": "!- ",
    "CATEGORY_LINEBREAK": "\n", "CATEGORY_NOT_LINEBREAK": "a ",
}
# Bounds on the inputs generated per pattern (the big profanity / MT alternations have
# thousands of literals; a seeded sample of them is enough to expose a bad construct).
MAX_CHARS = 24
MAX_FRAGMENTS = 12
# Characters that are not in a pattern's alphabet, used to make near-misses fail late.
FILLERS = (" ", "x", "\n", "!", "\U0001f600")


@dataclasses.dataclass(frozen=True)
class FoundPattern:
    """A compiled regex and where it lives (``module.NAME`` or ``module.NAME[key]``)."""

    where: str
    pattern: re.Pattern


def _walk(obj: object, where: str, depth: int) -> Iterator[FoundPattern]:
    if isinstance(obj, re.Pattern):
        yield FoundPattern(where, obj)
    elif depth <= 0:
        return
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{where}[{k!r}]", depth - 1)
    elif isinstance(obj, (tuple, list)):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{where}[{i}]", depth - 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name, None), f"{where}.{f.name}", depth - 1)
    elif _lazy_builder(obj):
        # A pattern compiled on first use (``functools.cache`` over a builder without arguments).
        yield from _walk(obj(), f"{where}()", depth - 1)  # type: ignore[operator]


def _lazy_builder(obj: object) -> bool:
    """A ``functools.cache``-wrapped function of no arguments defined in this project."""
    wrapped = getattr(obj, "__wrapped__", None)
    if not (callable(obj) and hasattr(obj, "cache_info") and isinstance(wrapped, types.FunctionType)):
        return False
    if not wrapped.__module__.startswith(("features", "classifier")):
        return False
    return not inspect.signature(wrapped).parameters


def find_patterns(modules: tuple[str, ...] = AUDITED_MODULES) -> list[FoundPattern]:
    """Every distinct compiled regex reachable from the modules' globals (deduplicated)."""
    seen: set[tuple[object, int]] = set()
    out: list[FoundPattern] = []
    for name in modules:
        try:
            mod: ModuleType = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for attr, value in vars(mod).items():
            if attr.startswith("__"):
                continue
            for found in _walk(value, f"{name}.{attr}", 3):
                key = (found.pattern.pattern, found.pattern.flags)
                if key not in seen:
                    seen.add(key)
                    out.append(found)
    return out


def _chars_of_in(items: list, out: list[str]) -> None:
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            out.append(chr(av))
        elif name == "RANGE":
            lo, hi = av
            out.extend({chr(lo), chr(hi), chr((lo + hi) // 2)})
        elif name == "CATEGORY":
            out.extend(_CATEGORY_CHARS.get(str(av), ""))
    if negate:
        out.extend("a0 .")


def _scan(parsed, chars: list[str], fragments: list[str]) -> None:
    """Collect the characters a parsed pattern can match and its runs of literals."""
    run: list[str] = []

    def close() -> None:
        if len(run) >= 2:
            fragments.append("".join(run))
        run.clear()

    for op, av in parsed:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            chars.append(chr(av))
            continue
        close()
        if name == "NOT_LITERAL":
            chars.extend(("a" if av != ord("a") else "b", chr(av)))
        elif name == "IN":
            _chars_of_in(av, chars)
        elif name == "ANY":
            chars.extend("a \n")
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _scan(av[2], chars, fragments)
        elif name == "SUBPATTERN":
            _scan(av[-1], chars, fragments)
        elif name == "BRANCH":
            for alt in av[1]:
                _scan(alt, chars, fragments)
        elif name in ("ASSERT", "ASSERT_NOT"):
            _scan(av[1], chars, fragments)
        elif name == "ATOMIC_GROUP":
            _scan(av, chars, fragments)
        elif name == "GROUPREF_EXISTS":
            _scan(av[1], chars, fragments)
            if av[2] is not None:
                _scan(av[2], chars, fragments)
    close()


def alphabet(pattern: re.Pattern, seed: int = 0) -> tuple[list[str], list[str]]:
    """(characters, literal fragments) of a pattern, a bounded seeded sample of each."""
    source = pattern.pattern
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    parsed = _sre_p.parse(text, pattern.flags & ~re.ASCII if isinstance(source, bytes) else pattern.flags)
    chars: list[str] = []
    fragments: list[str] = []
    _scan(parsed, chars, fragments)
    if isinstance(source, bytes):
        chars = [c for c in chars if ord(c) < 256]
    chars = list(dict.fromkeys(chars))
    fragments = list(dict.fromkeys(fragments))
    rng = random.Random(seed)
    if len(chars) > MAX_CHARS:
        chars = rng.sample(chars, MAX_CHARS)
    if len(fragments) > MAX_FRAGMENTS:
        longest = sorted(fragments, key=len, reverse=True)[: MAX_FRAGMENTS // 2]
        rest = [f for f in fragments if f not in longest]
        fragments = longest + rng.sample(rest, MAX_FRAGMENTS - len(longest))
    return chars, fragments


def units(pattern: re.Pattern, seed: int = 0) -> list[str]:
    """The repeating units of the worst-case inputs (each is repeated up to the target size)."""
    chars, fragments = alphabet(pattern, seed)
    joined = "".join(chars)
    out = list(chars)
    if joined:
        out += [joined, joined + " ", joined[::-1]]
    for frag in fragments:
        out += [frag, frag[:-1], frag + joined, frag[:-1] + " "]
        out += [frag + f for f in FILLERS[:2]]
    for c in chars[:8]:
        out += [c + f for f in FILLERS]
    return [u for u in dict.fromkeys(out) if u]


def worst_case(unit: str, size: int) -> str:
    """``unit`` repeated to ``size`` characters, ending with a character outside most alphabets
    (so a pattern anchored at the end, or needing a closing literal, fails as late as possible)."""
    reps = max(1, size // len(unit))
    return (unit * reps)[: max(1, size - 1)] + "\x07"


def run_pattern(pattern: re.Pattern, text: str) -> int:
    """Scan the whole text the way the project uses patterns (finditer covers search/sub)."""
    data: str | bytes = text.encode("utf-8", "replace") if isinstance(pattern.pattern, bytes) else text
    n = 0
    for _ in pattern.finditer(data):  # type: ignore[arg-type]
        n += 1
    return n
