"""Every compiled regex of features/ and classifier/ runs in linear time on its worst cases.

Each pattern is scanned (``finditer``: what search/sub/findall do at most) over inputs built from
its own alphabet (``features.regex_audit``): runs of one character, of all of them, of its literal
fragments and of near-misses. A linear pattern takes ~10x longer on 10x more text; a quadratic
one ~100x. The bound is generous for CI noise (small inputs run from cache, hence the floor).
The 1 MB size runs when NEWSWINNOW_SLOW_TESTS=1 (``benchmarks/README.md``).
"""

from __future__ import annotations

import os
import re
import time

import pytest

from features import regex_audit

SMALL, LARGE, HUGE = 10_000, 100_000, 1_000_000
# Allowed time ratio for 10x more text (linear: ~10; quadratic: ~100).
MAX_RATIO = 45.0
# Below this many seconds at the larger size a pattern passes whatever the ratio (timer noise).
FLOOR_SECONDS = 0.008
# Scans per size; the minimum is kept (other processes share the machine).
REPEATS = 2
# Units (of the slowest at the small size) timed again at the large size.
SCALED_UNITS = 4
SLOW = os.environ.get("NEWSWINNOW_SLOW_TESTS") == "1"

PATTERNS = regex_audit.find_patterns()


def _time(pattern: re.Pattern, text: str, repeats: int = REPEATS) -> float:
    """CPU seconds of this thread (not wall-clock: on a shared machine a long scan is preempted
    more often than a short one, which looked like super-linear growth)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.thread_time()
        regex_audit.run_pattern(pattern, text)
        best = min(best, time.thread_time() - t0)
    return best


def _non_linear(pattern: re.Pattern, small: int, large: int) -> list[str]:
    """Worst cases whose scan time grows faster than the bound from ``small`` to ``large``
    characters. Every unit is timed at ``small``; the slowest ``SCALED_UNITS`` of them (where a
    super-linear construct shows first) are timed again at ``large``."""
    timed = sorted(((_time(pattern, regex_audit.worst_case(u, small)), u) for u in regex_audit.units(pattern)),
                   reverse=True)
    bad = []
    for t_small, unit in timed[:SCALED_UNITS]:
        text = regex_audit.worst_case(unit, large)
        t_large = _time(pattern, text, repeats=1)
        if t_large > FLOOR_SECONDS and t_large / max(t_small, 1e-6) > MAX_RATIO:
            t_large = _time(pattern, text, repeats=2)  # confirm: not a noisy neighbour
            if t_large > FLOOR_SECONDS and t_large / max(t_small, 1e-6) > MAX_RATIO:
                bad.append(f"{unit[:30]!r}: {t_small * 1e3:.2f} ms at {small} -> {t_large * 1e3:.1f} ms at {large}")
    return bad


def test_the_audit_finds_the_project_patterns() -> None:
    where = {p.where for p in PATTERNS}
    # Module-level patterns, patterns in dicts/tuples, and the MT artefact dataclasses.
    assert "features.profanity._matcher()" in where  # compiled on first use
    assert "features.mt.COMBINED" in where
    assert "features.segment._WS" in where
    assert any(".PATTERNS[" in w and w.endswith(".regex") for w in where)
    assert any(w.startswith("features.extract._LITERAL_RX[") for w in where)
    assert "classifier.scores.AUTOBLOG_RX" in where
    assert len(PATTERNS) >= 60


def test_worst_cases_come_from_the_pattern_alphabet() -> None:
    units = regex_audit.units(re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.I | re.S))
    assert "<noscript" in units and "</noscript" in units  # fragments
    assert "<noscrip" in units  # a near-miss
    assert ">" in units  # a single character of the alphabet


def test_the_check_catches_a_quadratic_pattern() -> None:
    """The check must be able to fail: the old <noscript> remover rescans from every opening tag."""
    quadratic = re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.I | re.S)
    assert _non_linear(quadratic, 2_000, 20_000)


@pytest.mark.parametrize("found", PATTERNS, ids=[p.where for p in PATTERNS])
def test_regex_is_linear(found: regex_audit.FoundPattern) -> None:
    assert not _non_linear(found.pattern, SMALL, LARGE), found.where


@pytest.mark.skipif(not SLOW, reason="1 MB worst cases: set NEWSWINNOW_SLOW_TESTS=1")
@pytest.mark.parametrize("found", PATTERNS, ids=[p.where for p in PATTERNS])
def test_regex_is_linear_to_1mb(found: regex_audit.FoundPattern) -> None:
    assert not _non_linear(found.pattern, LARGE, HUGE), found.where
