"""The start-up table cache (features/tablecache.py): what it stores is what a fresh build gives,
it never gets in the way (bad files, unwritable directories, switched off), and the classifier's
output does not depend on it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from features import extract, mt, mt_patterns, profanity, spamctx, tablecache, tokens
from features import html as fhtml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test's own."""
    monkeypatch.setenv(tablecache.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(tablecache.NO_CACHE_ENV, raising=False)
    return tmp_path


class Builds:
    """A ``build`` callable that counts its calls."""

    def __init__(self, value: float = 1.0) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"a": np.full(3, self.value, dtype=np.float32), "b": np.arange(4, dtype=np.uint16)}


def _same(x: dict[str, np.ndarray], y: dict[str, np.ndarray]) -> bool:
    return x.keys() == y.keys() and all(x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]) for k in x)


def test_built_once_then_read(cache: Path) -> None:
    build = Builds()
    first = tablecache.cached_arrays("t", [b"in"], build)
    second = tablecache.cached_arrays("t", [b"in"], build)
    assert build.calls == 1
    assert _same(first, second) and _same(first, Builds()())
    assert len(list(cache.glob("t-*.tab"))) == 1


def test_other_inputs_other_entry_and_the_old_one_goes(cache: Path) -> None:
    """A new key for other inputs; the entry it replaces is removed, entries of other names stay
    (also a name that starts like it)."""
    tablecache.cached_arrays("t", [b"one"], Builds())
    tablecache.cached_arrays("t-x", [b"one"], Builds())
    build = Builds(2.0)
    got = tablecache.cached_arrays("t", [b"two"], build)
    assert build.calls == 1 and got["a"][0] == 2.0
    assert len(list(cache.glob("t-*.tab"))) == 2  # t-<new key> and t-x-<key>
    assert len([p for p in cache.glob("t-*.tab") if p.name.rsplit("-", 1)[0] == "t"]) == 1
    # parts are length-prefixed: ("ab", "c") and ("a", "bc") are different inputs
    a, b = Builds(), Builds()
    tablecache.cached_arrays("u", [b"ab", b"c"], a)
    tablecache.cached_arrays("u", [b"a", b"bc"], b)
    assert a.calls == b.calls == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong key", "empty"])
def test_damaged_entry_is_rebuilt(cache: Path, damage: str) -> None:
    tablecache.cached_arrays("t", [b"in"], Builds())
    (path,) = cache.glob("t-*.tab")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a table cache entry at all")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        tablecache._write(path, "0" * 64, {"a": np.zeros(3, dtype=np.float32)})
    build = Builds()
    got = tablecache.cached_arrays("t", [b"in"], build)
    assert build.calls == 1 and _same(got, Builds()())
    again = Builds()
    tablecache.cached_arrays("t", [b"in"], again)
    assert again.calls == 0  # rewritten whole


def _rewrite_header(path: Path, change) -> None:
    """Rewrite an entry's JSON header through ``change`` (its data unchanged)."""
    raw = path.read_bytes()
    n = len(tablecache.MAGIC)
    length = int.from_bytes(raw[n: n + 8], "little")
    header = json.loads(raw[n + 8: n + 8 + length])
    change(header)
    new = json.dumps(header).encode()
    path.write_bytes(raw[:n] + len(new).to_bytes(8, "little") + new + raw[n + 8 + length:])


@pytest.mark.parametrize("dtype", ["O", "|O", "V8", [["x", "O"]], None, "i4,f8", "U0"])
def test_object_and_record_arrays_are_never_loaded(cache: Path, dtype: object) -> None:
    """An entry whose header claims objects, records, no dtype or an empty one is refused and
    rebuilt; none is written either."""
    tablecache.cached_arrays("t", [b"in"], Builds())
    (path,) = cache.glob("t-*.tab")
    _rewrite_header(path, lambda h: h["arrays"][0].update(dtype=dtype))
    with pytest.raises(tablecache._READ_ERRORS):
        tablecache.read_entry(path)
    build = Builds()
    assert _same(tablecache.cached_arrays("t", [b"in"], build), Builds()())
    assert build.calls == 1
    tablecache._write(path, "k", {"a": np.array([object()], dtype=object)})
    assert tablecache.read_entry(path)[0] != "k"  # not written: the rebuilt entry is still there


@pytest.mark.parametrize("damage", ["offset", "unaligned", "shape", "size", "header length", "deep"])
def test_malformed_header_is_refused(cache: Path, damage: str) -> None:
    """A header whose arrays run past the data, sit unaligned, have a bad shape, or that gives
    another data size, a bad length or nesting no reader should follow: refused, rebuilt."""
    tablecache.cached_arrays("t", [b"in"], Builds())
    (path,) = cache.glob("t-*.tab")
    if damage == "offset":
        _rewrite_header(path, lambda h: h["arrays"][-1].update(offset=h["size"]))
    elif damage == "unaligned":
        _rewrite_header(path, lambda h: h["arrays"][-1].update(offset=h["arrays"][-1]["offset"] - 1))
    elif damage == "shape":
        _rewrite_header(path, lambda h: h["arrays"][0].update(shape=[-3]))
    elif damage == "size":
        _rewrite_header(path, lambda h: h.update(size=h["size"] + 1))
    elif damage == "header length":
        raw = bytearray(path.read_bytes())
        raw[len(tablecache.MAGIC): len(tablecache.MAGIC) + 8] = (1 << 40).to_bytes(8, "little")
        path.write_bytes(bytes(raw))
    else:  # nesting past the JSON reader's recursion limit
        raw = path.read_bytes()
        n = len(tablecache.MAGIC)
        deep = ('{"key": "k", "size": 0, "arrays": ' + "[" * 100000 + "]" * 100000 + "}").encode()
        path.write_bytes(raw[:n] + len(deep).to_bytes(8, "little") + deep)
    with pytest.raises(tablecache._READ_ERRORS):
        tablecache.read_entry(path)
    build = Builds()
    assert _same(tablecache.cached_arrays("t", [b"in"], build), Builds()())
    assert build.calls == 1


def test_entry_round_trip(cache: Path) -> None:
    """Every kind an entry holds comes back equal, with its dtype, shape and byte order, as
    writable arrays; an entry of an earlier format under the same name is removed."""
    arrays = {"b": np.array([True, False]), "i": np.arange(-3, 3, dtype="<i8").reshape(2, 3),
              "u": np.array([1, 2**63], dtype=">u8"), "f": np.array([0.5, -np.inf], dtype=np.float32),
              "c": np.array([1 + 2j]), "s": np.array([b"ab", b"c\x00d"]), "t": np.array(["\u00e9t\u00e9", ""]),
              "scalar": np.array(7, dtype=np.uint16), "empty": np.zeros((0, 4), dtype=np.float64),
              "strided": np.arange(10, dtype=np.int32)[::3]}
    old = cache / "e-0123.npz"
    old.write_bytes(b"an entry of format 2")
    path = cache / f"e-{'5' * 32}.tab"
    tablecache._write(path, "the key", arrays)
    key, got = tablecache.read_entry(path)
    assert key == "the key" and _same(got, arrays) and not old.exists()
    assert all(a.flags.writeable and a.ctypes.data % 16 == 0 for a in got.values())
def test_unwritable_or_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(tablecache.CACHE_DIR_ENV, str(blocker / "cache"))  # a directory under a file
    build = Builds()
    assert _same(tablecache.cached_arrays("t", [b"in"], build), Builds()())
    tablecache.cached_arrays("t", [b"in"], build)
    assert build.calls == 2
    monkeypatch.setenv(tablecache.CACHE_DIR_ENV, str(tmp_path / "off"))
    monkeypatch.setenv(tablecache.NO_CACHE_ENV, "1")
    assert tablecache.cache_dir() is None
    tablecache.cached_arrays("t", [b"in"], build)
    assert build.calls == 3 and not (tmp_path / "off").exists()
    assert tablecache.compile_regex("a+b", "r").pattern == "a+b"
    monkeypatch.setenv(tablecache.NO_CACHE_ENV, "0")
    assert tablecache.cache_dir() == tmp_path / "off"


PATTERNS = [
    r"(?P<word>\w+)(?P<tail>[!?]+)?",
    r"(?<![\w'])f[u*]ck(?:ing|ed|er)?(?!\w)",
    r"(?i)HeLLo\s++w[o0]rld|\bcolou?r\b",
    "\u00e9t\u00e9|\U0001d400+|[\u0400-\u04ff]{2,}",
    r"(a)|(b)(?P<c>c)?|(?=d)d\1?",
]
TEXTS = ["Hello  w0rld! What the f*ck, colour.", "\u00e9t\u00e9 \U0001d400\U0001d400 \u043f\u0440\u0438",
         "abcd dd a b c", "", "fucking fuckers mother'fucker"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_cached_regex_matches_as_re_compile(cache: Path, pattern: str) -> None:
    """Built, then read back: equal to ``re.compile`` (flags and program), the same groups, and
    the same matches on texts made to hit every branch."""
    ref = re.compile(pattern)
    for _ in range(2):  # the second time from the file
        got = tablecache.compile_regex(pattern, "r")
        assert got == ref and got.groupindex == ref.groupindex and got.groups == ref.groups
        for text in TEXTS:
            assert [(m.span(), m.groups(), m.lastgroup) for m in got.finditer(text)] == \
                   [(m.span(), m.groups(), m.lastgroup) for m in ref.finditer(text)]
    assert len(list(cache.glob("r-*.tab"))) == 1


def _parses(monkeypatch: pytest.MonkeyPatch) -> list:
    """Count ``re``'s parser calls from now on (``re``'s own cache purged, so a pattern it has
    seen is not handed back without parsing)."""
    from re import _parser

    calls: list = []
    real = _parser.parse
    re.purge()
    monkeypatch.setattr(_parser, "parse", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    return calls


def test_cached_regex_is_read_not_parsed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tablecache.compile_regex(PATTERNS[0], "r")
    ref = re.compile(PATTERNS[0])
    calls = _parses(monkeypatch)
    got = tablecache.compile_regex(PATTERNS[0], "r")
    assert calls == [] and got == ref


def test_damaged_program_is_refused_and_rebuilt(cache: Path) -> None:
    """``_sre`` checks a program before it runs one: a file with a broken program (under the
    right key) gives a correct pattern all the same, and the entry is written again."""
    pattern = PATTERNS[1]
    tablecache.compile_regex(pattern, "r")
    (path,) = cache.glob("r-*.tab")
    key, arrays = tablecache.read_entry(path)
    code = arrays["code"].copy()
    code[len(code) // 2:] = 0xFFFF
    tablecache._write(path, key, {**arrays, "code": code})
    got = tablecache.compile_regex(pattern, "r")
    assert got == re.compile(pattern)
    assert np.array_equal(tablecache.read_entry(path)[1]["code"], arrays["code"])


BANK_CASES = [(p, 0) for p in PATTERNS] + [(PATTERNS[1], re.I | re.M), (r"^colou?r$", re.M), (r"a.b", re.S | re.I),
                                           (rb"(?P<x>w[o0]rld)\b", re.I), (b"d+", 0)]


def test_banked_regex_equals_re_compile_then_reads_without_parsing(cache: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Patterns of both types, with and without flags, through one bank: equal to
    ``re.compile`` (flags and program), the same groups and matches; a new bank on the same
    directory (a new process) hands them back without parsing, from one entry."""
    parts = tablecache._sre_parts()
    refs = [re.compile(pattern, flags) for pattern, flags in BANK_CASES]
    first = tablecache.RegexBank(cache)
    assert [first.compile(parts, pattern, flags) for pattern, flags in BANK_CASES] == refs
    assert len(list(cache.glob(f"{tablecache.REGEX_BANK}-*.tab"))) == 1
    calls = _parses(monkeypatch)
    again = [tablecache.RegexBank(cache).compile(parts, pattern, flags) for pattern, flags in BANK_CASES]
    assert calls == [] and again == refs
    for ref, got in zip(refs, again):
        assert got.groupindex == ref.groupindex and got.groups == ref.groups and got.flags == ref.flags
        texts = [t.encode() for t in TEXTS] if isinstance(ref.pattern, bytes) else TEXTS
        for text in texts:
            assert [(m.span(), m.groups()) for m in got.finditer(text)] == \
                   [(m.span(), m.groups()) for m in ref.finditer(text)]


def test_banked_regex_refuses_a_damaged_program_and_mends_the_bank(cache: Path) -> None:
    parts = tablecache._sre_parts()
    tablecache.RegexBank(cache).compile(parts, PATTERNS[1], re.I)
    (path,) = cache.glob(f"{tablecache.REGEX_BANK}-*.tab")
    key, arrays = tablecache.read_entry(path)
    code = arrays["code"].copy()
    code[len(code) // 2:] = 0xFFFF
    tablecache._write(path, key, {**arrays, "code": code})
    assert tablecache.RegexBank(cache).compile(parts, PATTERNS[1], re.I) == re.compile(PATTERNS[1], re.I)
    assert np.array_equal(tablecache.read_entry(path)[1]["code"], arrays["code"])
    tablecache._write(path, key, {**arrays, "offsets": arrays["offsets"][:-1]})  # parts that disagree
    assert tablecache.RegexBank(cache).programs == {}


def test_banked_regex_starts_again_when_full(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tablecache, "REGEX_BANK_MAX", 2)
    parts = tablecache._sre_parts()
    bank = tablecache.RegexBank(cache)
    for pattern in ("a+", "b+", "c+"):
        bank.compile(parts, pattern)
    assert len(tablecache.RegexBank(cache).programs) == 1 and len(bank.programs) == 1


def test_banked_regex_without_a_cache_and_bad_patterns(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(re.error):
        tablecache.banked_regex("(unclosed")
    monkeypatch.setenv(tablecache.NO_CACHE_ENV, "1")
    assert tablecache.banked_regex(PATTERNS[0], re.I) == re.compile(PATTERNS[0], re.I)
    assert not list(cache.glob("*.tab"))


def test_bad_pattern_raises_as_re_does(cache: Path) -> None:
    with pytest.raises(re.error):
        tablecache.compile_regex("(unclosed", "r")
    assert tablecache.compile_regex(b"bytes", "r") == re.compile(b"bytes")


def test_meta_is_plain_json(cache: Path) -> None:
    tablecache.compile_regex(PATTERNS[0], "r")
    (path,) = cache.glob("r-*.tab")
    z = tablecache.read_entry(path)[1]
    (meta,) = json.loads(z["meta"].tobytes())
    assert z["code"].dtype == np.uint32 and z["offsets"].tolist() == [0, len(z["code"])]
    assert meta["groups"] == 2 and meta["groupindex"] == {"word": 1, "tail": 2}


MIXED = [*PATTERNS, rb"(?<![a-z])spam\d{2,}|buy(?:now)?", b"", ""]
BYTES_TEXTS = [t.encode("utf-8") for t in TEXTS] + [b"spam12 buynow xspam99 buy"]


def _same_matches(got: re.Pattern, ref: re.Pattern) -> bool:
    texts = TEXTS if isinstance(ref.pattern, str) else BYTES_TEXTS
    return got == ref and got.groupindex == ref.groupindex and all(
        [(m.span(), m.groups(), m.lastgroup) for m in got.finditer(t)]
        == [(m.span(), m.groups(), m.lastgroup) for m in ref.finditer(t)] for t in texts)


def test_compile_many_equals_re_compile_str_and_bytes(cache: Path) -> None:
    """Several patterns, str and bytes, in one entry: built, then read back, each equal to its
    ``re.compile`` with the same matches; one file for all of them."""
    refs = [re.compile(p) for p in MIXED]
    for _ in range(2):
        got = tablecache.compile_many(MIXED, "many")
        assert len(got) == len(refs) and all(_same_matches(g, r) for g, r in zip(got, refs))
    assert len(list(cache.glob("many-*.tab"))) == 1


def test_compile_many_is_read_not_parsed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tablecache.compile_many(MIXED, "many")
    refs = [re.compile(p) for p in MIXED]
    calls = _parses(monkeypatch)
    got = tablecache.compile_many(MIXED, "many")
    assert calls == [] and got == refs


def test_compile_many_leaves_a_pattern_to_re_when_its_program_differs(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern whose rebuilt program would not equal ``re.compile``'s (another interpreter's
    ``re``) is stored as null and compiled by ``re`` every time; the others are still read."""
    real = tablecache._program
    monkeypatch.setattr(tablecache, "_program", lambda parts, p: None if p == MIXED[1] else real(parts, p))
    tablecache.compile_many(MIXED, "many")
    (path,) = cache.glob("many-*.tab")
    metas = json.loads(tablecache.read_entry(path)[1]["meta"].tobytes())
    assert metas[1] is None and all(m is not None for i, m in enumerate(metas) if i != 1)
    assert tablecache.compile_many(MIXED, "many") == [re.compile(p) for p in MIXED]


@pytest.mark.parametrize("damage", ["offsets", "meta"])
def test_compile_many_rebuilds_a_damaged_entry(cache: Path, damage: str) -> None:
    tablecache.compile_many(MIXED, "many")
    (path,) = cache.glob("many-*.tab")
    key, arrays = tablecache.read_entry(path)
    bad = dict(arrays)
    if damage == "offsets":
        bad["offsets"] = arrays["offsets"][:-1]
    else:
        bad["meta"] = np.frombuffer(b"[]", dtype=np.uint8)
    tablecache._write(path, key, bad)
    assert tablecache.compile_many(MIXED, "many") == [re.compile(p) for p in MIXED]
    z = tablecache.read_entry(path)[1]
    assert np.array_equal(z["offsets"], arrays["offsets"]) and np.array_equal(z["meta"], arrays["meta"])


def test_compile_many_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tablecache.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(tablecache.NO_CACHE_ENV, "1")
    assert tablecache.compile_many(MIXED, "many") == [re.compile(p) for p in MIXED]
    assert not list(tmp_path.iterdir())
    with pytest.raises(re.error):
        tablecache.compile_many(["ok", "(unclosed"], "many")


def test_shipped_tables_equal_fresh_builds() -> None:
    """The tables the package loaded (from this run's cache or built) are what the builders give
    now: the tokens' code-point tables, the profanity screen's key tables and its matcher, the
    compiled MT and spam patterns, and the character-class tables."""
    word, digit, bits = tokens._tables()
    for got, want in ((tokens.WORD_CHAR, word), (tokens.DIGIT_CHAR, digit), (tokens._CHAR_BITS, bits)):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    groups, rest = profanity._key_tables(profanity._STEMS)
    assert profanity._KEY_GROUPS.dtype == groups.dtype and np.array_equal(profanity._KEY_GROUPS, groups)
    assert profanity._KEY_REST.dtype == rest.dtype and np.array_equal(profanity._KEY_REST, rest)
    matcher = profanity._build_matcher()
    assert matcher == re.compile(matcher.pattern) and matcher.groupindex == re.compile(matcher.pattern).groupindex
    assert matcher.pattern == profanity._matcher_source()  # the cached pattern is today's build
    # The MT artefact patterns, the spam families' patterns, the innocent phrases and the
    # character-class tables.
    for rx in ([p.regex for p in mt_patterns.PATTERNS] + list(spamctx._FAMILY_RX.values()) + list(spamctx.TABLES.rx)
               + [mt_patterns.IDEOGRAPHIC, mt_patterns.LATIN_LETTER, mt_patterns.FOREIGN_SEPARATOR,
                  mt_patterns.FOREIGN_SCRIPT, mt_patterns.FOREIGN_GATE, mt.COMBINED, *mt._TRIGGERS.values(),
                  profanity._INNOCENT_RE,
                  *fhtml._GROUP_RX, fhtml._LONG_ANY, *(rx for _, rx in fhtml._LONG_RX)]):
        fresh = re.compile(rx.pattern)
        assert rx == fresh and rx.groupindex == fresh.groupindex
    for got, want in zip((extract._COMBO, extract._VECTOR_OF, extract._VECTORS, extract._N_COMBOS),
                         extract._combo_tables()):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    # The character flags and the spaces str.split() splits on, against str.isspace itself.
    fresh = extract._char_tables()
    assert extract._FLAGS.dtype == fresh["flags"].dtype and np.array_equal(extract._FLAGS, fresh["flags"])
    spaces = tuple(c for c in range(0x110000) if chr(c).isspace())
    assert spaces == extract._UNICODE_SPACES and np.flatnonzero(extract._IS_SPACE).tolist() == list(spaces)


def test_source_fingerprint_follows_the_word_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited word list (here: a copy of the package with one lexicon line added) gets another
    fingerprint, so no table built from the old list is used."""
    import shutil

    copy = tmp_path / "features"
    shutil.copytree(ROOT / "features", copy, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    monkeypatch.setattr(tablecache, "__file__", str(copy / "tablecache.py"))
    tablecache.source_fingerprint.cache_clear()
    try:
        before = tablecache.source_fingerprint()
        tablecache.source_fingerprint.cache_clear()
        with open(copy / "wordlists" / "profanity.txt", "a", encoding="utf-8") as fh:
            fh.write("\nzzqx 0.5\n")
        assert tablecache.source_fingerprint() != before
    finally:
        tablecache.source_fingerprint.cache_clear()


def _classify_seeds(env: dict[str, str]) -> str:
    seeds = ROOT.parent / "shared" / "seeds"
    example = ROOT / "data" / "examples"
    inputs = sorted(seeds.glob("*.txt")) if seeds.is_dir() else []
    inputs += sorted(example.glob("*.txt"))
    assert inputs
    code = ("import sys, json; from classifier import Classifier; clf = Classifier.load(None)\n"
            "for p in sys.argv[1:]:\n"
            "    print(clf.classify_text(open(p, encoding='utf-8').read(), id=p).to_json())")
    out = subprocess.run([sys.executable, "-c", code, *map(str, inputs)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_output_independent_of_the_cache(tmp_path: Path) -> None:
    """Seeds and the bundled example classified with the cache off, cold (built and written) and
    warm (read back): the same JSON, byte for byte."""
    base = {k: v for k, v in os.environ.items() if k not in (tablecache.NO_CACHE_ENV, tablecache.CACHE_DIR_ENV)}
    off = _classify_seeds({**base, tablecache.NO_CACHE_ENV: "1"})
    where = tmp_path / "cache"
    cold = _classify_seeds({**base, tablecache.CACHE_DIR_ENV: str(where)})
    names = {p.name.rsplit("-", 1)[0] for p in where.glob("*.tab")}
    assert {"profanity-keys", "tokens-tables", tablecache.REGEX_BANK} <= names  # (+ the matcher, pre-filter)
    warm = _classify_seeds({**base, tablecache.CACHE_DIR_ENV: str(where)})
    assert off == cold == warm
    # A warm-up stores the profanity pre-filter; the next process uses it from its first line.
    env = {**base, tablecache.CACHE_DIR_ENV: str(where)}
    probe = ("from features import ext, profanity as p; "
             "print(int(p._scanned >= p.PREFILTER_AFTER), int(ext.load('features._profanity_ext') is not None))")
    run = [sys.executable, "-c"]
    first = subprocess.run([*run, probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    subprocess.run([*run, "from features import profanity; profanity.warm_up()"], env=env, cwd=ROOT, check=True)
    second = subprocess.run([*run, probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert first[0] == "0" and second[0] == second[1]  # with the kernel: pre-filtered from the start
    assert _classify_seeds(env) == off


_COMPILE_PROBE = """
import os, sys, traceback
from re import _compiler
ours = []
real = _compiler.compile

def compile(p, flags=0):
    for f in reversed(traceback.extract_stack()[:-1]):  # the innermost frame outside re
        if os.sep + "re" + os.sep not in f.filename:
            if os.sep + "features" + os.sep in f.filename or os.sep + "classifier" + os.sep in f.filename:
                ours.append(f"{f.filename}:{f.lineno}")
            break
    return real(p, flags)

_compiler.compile = compile
from classifier.api import Classifier
clf = Classifier.load()
text = open(sys.argv[1], encoding="utf-8").read()
clf.classify_text(text)
clf.classify_html("<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>")
print(len(ours), ours)
"""


def test_a_warm_process_compiles_no_pattern_of_ours(tmp_path: Path) -> None:
    """With the cache warm, importing the package, loading the models and classifying the example
    as text and as HTML compiles no regular expression of the package's own: every module-level
    pattern comes from the regex bank or its module's entry (each compile costs start-up)."""
    env = {**{k: v for k, v in os.environ.items() if k != tablecache.NO_CACHE_ENV},
           tablecache.CACHE_DIR_ENV: str(tmp_path / "cache")}
    page = str(ROOT / "data" / "examples" / "harbour_bridge.txt")
    runs = [subprocess.run([sys.executable, "-c", _COMPILE_PROBE, page], env=env, cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    assert int(runs[0].split()[0]) > 20  # cold: the probe sees the package's compiles
    assert runs[1].split()[0] == "0", runs[1]


def test_spam_heads_from_the_cache_equal_a_fresh_build(cache: Path) -> None:
    """The spam-context tables' match heads read back from the cache are the ones read off the
    patterns (features.spamctx.build_tables, both shipped sets)."""
    from features import spamctx, spamshape

    sets = [(spamctx.SPAM_PATTERNS, spamctx.SPAM_LEADS, spamctx.SPAM_LEAD_PREFIXES, spamctx.SPAM_LEAD_CHARS),
            (spamshape.SHAPE_PATTERNS, spamshape.SHAPE_LEADS, {}, spamshape.SHAPE_LEAD_CHARS)]
    for k, args in enumerate(sets):
        fresh = spamctx.build_tables(*args)
        built = spamctx.build_tables(*args, cache_name=f"heads{k}")
        assert len(list(cache.glob(f"heads{k}-*.tab"))) == 1
        read = spamctx.build_tables(*args, cache_name=f"heads{k}")
        for t in (built, read):
            assert t.heads == fresh.heads and len(t.heads) == len(args[0])
            assert t.head_blob == fresh.head_blob
            assert t.head_offsets.dtype == t.head_families.dtype == np.int64
            assert np.array_equal(t.head_offsets, fresh.head_offsets)
            assert np.array_equal(t.head_families, fresh.head_families)
    assert spamctx.TABLES.heads == spamctx.build_tables(*sets[0]).heads


def _merged_lookups(lex, base: dict[str, int], words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What ``merged_vocab`` answers for ``words`` and for hashes of no word: rows, base ids, lexicon rows."""
    table, base_id, lex_row = lex.merged_vocab(base)
    hashes = tokens.HashVocab._word_hashes(words)
    strangers = np.arange(1, 5001, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rows = table.lookup(np.concatenate([hashes, strangers]))
    return rows, base_id[rows], lex_row[rows]


def test_merged_vocabulary_from_the_cache_answers_as_a_fresh_build(cache: Path) -> None:
    """The merged vocabulary (the token vocabulary and a model's lexicon in one hash table) is
    built once, then read from the cache, and both answer every lookup alike; another lexicon
    gets another key."""
    from features.lexical import LEXICAL_COLUMNS, LexicalScorer

    base = {w: i for w, i in extract._VOCAB.items() if w}  # ("" is no word: merged_vocab drops it)
    words = [f"w{i}" for i in range(3000)] + ["the", "said", "lol", "\u00e9t\u00e9"]
    weights = np.zeros((len(words) + 1, LEXICAL_COLUMNS), np.float32)
    bias = np.zeros(LEXICAL_COLUMNS, np.float32)
    probe = [*base, *words, "not-a-word", "zzzq"]
    built = _merged_lookups(LexicalScorer(words, weights, bias), base, probe)
    (entry,) = cache.glob("merged-vocab-*.tab")
    again = LexicalScorer(words, weights, bias)
    builds = []
    real = again._merge
    again._merge = lambda b: builds.append(1) or real(b)  # type: ignore[method-assign]
    read = _merged_lookups(again, base, probe)
    assert builds == []  # read, not built
    for x, y in zip(built, read):
        assert np.array_equal(x, y)
    rows, base_ids, lex_rows = read
    n = len(probe)
    assert (rows[:n - 2] > 0).all() and (rows[n - 2:] == 0).all() and (rows[n:] == 0).all()
    assert base_ids[: len(base)].tolist() == [base[w] for w in base]
    assert lex_rows[len(base): len(base) + len(words)].tolist() == list(range(1, len(words) + 1))
    _merged_lookups(LexicalScorer(words[:-1], weights[:-1], bias), base, probe)
    assert [p.name for p in cache.glob("merged-vocab-*.tab")] != [entry.name]  # another key


def test_profanity_pattern_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profanity matcher's pattern (~7 ms to build from the stems) is built once, then read:
    the matcher read back is the fresh one, and matches the same hits."""
    fresh = profanity._build_matcher()
    assert list(cache.glob("profanity-pattern-*.tab"))

    def no_build() -> str:
        raise AssertionError("the pattern was built again")

    monkeypatch.setattr(profanity, "_matcher_source", no_build)
    read = profanity._build_matcher()
    assert read == fresh and read.pattern == fresh.pattern and read.groupindex == fresh.groupindex
    text = "what the f**k, you p1ss artist; a buttfucked plan, s h i t happens"
    assert [m.span() for m in read.finditer(text)] == [m.span() for m in fresh.finditer(text)] != []


def test_mt_scanner_and_literal_plan_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MT pre-screen's start-scanner tables and the literal patterns' kernel plan are built
    once, then read back equal to a fresh build (and not built again)."""
    fresh_scanner = mt._scanner_arrays()
    fresh_plan = extract.literal_plan(extract._LITERAL_LIST)
    mt._start_scanner.cache_clear()
    try:
        mt._start_scanner()
        built_plan = extract._cached_literal_plan()
        assert list(cache.glob("mt-start-scanner-*.tab")) and list(cache.glob("literal-plan-*.tab"))

        def no_build(*args):
            raise AssertionError("built again")

        monkeypatch.setattr(mt, "_scanner_arrays", no_build)
        monkeypatch.setattr(extract, "literal_plan", no_build)
        mt._start_scanner.cache_clear()
        assert (mt._start_scanner() is None) == (mt._MT_EXT is None or not fresh_scanner["usable"][0])
        read = tablecache.cached_arrays("mt-start-scanner", [tablecache.source_fingerprint()], no_build)
        assert _same(read, fresh_scanner)
        read_plan = extract._cached_literal_plan()
        for plan in (built_plan, read_plan):
            assert plan.rows == fresh_plan.rows and plan.matchers == fresh_plan.matchers
            assert np.array_equal(plan.tables, fresh_plan.tables) and plan.tables.dtype == fresh_plan.tables.dtype
            assert np.array_equal(plan.want_chars, fresh_plan.want_chars)
    finally:
        mt._start_scanner.cache_clear()


def test_mt_required_strings_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MT patterns' required strings are read off the regexes once, then read back from the
    cache equal to a fresh reading (and not read again); an entry that does not fit today's
    patterns is not used."""
    if mt._MT_EXT is None:
        pytest.skip("the MT kernel is not built")
    from features import rx_starts

    fresh = [tuple(g for g in (rx_starts.required_strings(p.regex),
                               rx_starts.required_strings(mt._TRIGGERS[p.name]) if p.name in mt._TRIGGERS else None)
                   if g is not None) for p in mt_patterns.PATTERNS]
    assert any(len(groups) == 2 for groups in fresh) and any(len(groups) < 2 for groups in fresh)
    assert mt._required_groups(mt._required_arrays()) == fresh
    mt._pattern_plan.cache_clear()
    try:
        built = mt._pattern_plan()
        assert list(cache.glob("mt-required-strings-*.tab"))
        calls = []

        def counted() -> dict[str, np.ndarray]:
            calls.append(1)
            return built_arrays

        built_arrays = mt._required_arrays()
        monkeypatch.setattr(mt, "_required_arrays", counted)
        mt._pattern_plan.cache_clear()
        read = mt._pattern_plan()
        assert not calls
        assert [g for _, _, g in read[0]] == [g for _, _, g in built[0]] == fresh
        assert [t for _, t, _ in read[0]] == [mt._TRIGGERS.get(p.name) for p in mt_patterns.PATTERNS]
        text = "I know. UU and the EE. UU, [19659008] ( the word , word"
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        span = (np.zeros(1, dtype=np.int64), np.full(1, len(text), dtype=np.int64))
        assert read[1].candidates(cp, *span) == built[1].candidates(cp, *span) != [[]]
        # An entry one pattern short (another module's patterns under the same key): read again.
        short = dict(built_arrays, pattern_ends=built_arrays["pattern_ends"][:-1])
        monkeypatch.setattr(tablecache, "cached_arrays", lambda name, parts, build: short)
        mt._pattern_plan.cache_clear()
        assert [g for _, _, g in mt._pattern_plan()[0]] == fresh and calls
    finally:
        mt._pattern_plan.cache_clear()


def test_required_strings_round_trip_any_string() -> None:
    """The flat arrays give back the strings exactly, where numpy's str arrays would not: a
    trailing NUL, a lone surrogate, a character beyond the BMP, an empty group."""
    groups = [(("a\x00", "\ud800", "\U0001f600x"), ()), (), (("zz",),), ((),)]
    assert mt._required_groups(mt._flat_groups(groups)) == groups
    assert mt._required_groups(mt._flat_groups([])) == []


def test_stored_reads_the_header_only_and_refuses_what_read_refuses(cache: Path) -> None:
    """``stored`` is true for a whole entry of this key, false when there is none, when the file
    is cut short or when it holds another key (what ``cached_arrays`` would rebuild)."""
    assert not tablecache.stored("t", [b"in"])
    tablecache.cached_arrays("t", [b"in"], Builds())
    assert tablecache.stored("t", [b"in"]) and not tablecache.stored("t", [b"other"])
    (path,) = cache.glob("t-*.tab")
    whole = path.read_bytes()
    path.write_bytes(whole[:-1])
    assert not tablecache.stored("t", [b"in"])
    tablecache._write(path, "0" * 64, {"a": np.zeros(3, dtype=np.float32)})
    assert not tablecache.stored("t", [b"in"])
