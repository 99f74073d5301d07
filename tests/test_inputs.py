"""Inputs (classifier/io.py): gzip/zstd JSONL, plain text, directories with --glob, stdin, WARC/WET."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import sys
from pathlib import Path

import pytest

from classifier.io import InputError, WorkItem, expand_paths, iter_items

ARTICLE = ("Council approves the harbour bridge budget\n"
           "The city council voted 7-2 on Tuesday to fund the new bridge, officials said.\n"
           "Work is due to start in the spring.\n")
HTML = ("<html><head><title>t</title></head><body><h1>Council approves the bridge budget</h1>"
        "<p>The council voted on Tuesday.</p><p>Work starts in spring.</p></body></html>")
RECORDS = [{"id": f"r{i}", "url": f"https://www.news{i}.example.co.uk/a", "text": ARTICLE * (i + 1)}
           for i in range(5)]


def _jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def _zst(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


def _results(stdout: str) -> list[dict]:
    return [json.loads(x) for x in stdout.splitlines() if x.strip()]


# --- compressed JSONL, stdin, directories -------------------------------------------------

def test_gz_and_zst_jsonl_give_the_same_results_as_plain(tmp_path: Path, run_cli, model_path: Path) -> None:
    raw = _jsonl_bytes(RECORDS)
    (tmp_path / "a.jsonl").write_bytes(raw)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.jsonl.zst").write_bytes(_zst(raw))
    outs = []
    for name in ("a.jsonl", "a.jsonl.gz", "a.jsonl.zst"):
        p = run_cli(["classify", "--model", model_path, tmp_path / name])
        assert p.returncode == 0, p.stderr
        outs.append(_results(p.stdout))
    assert [d["id"] for d in outs[0]] == [r["id"] for r in RECORDS]
    assert outs[0][1]["source"] == "example.co.uk"
    assert outs[0] == outs[1] == outs[2]


def test_zst_with_several_frames_is_read_to_the_end(tmp_path: Path) -> None:
    # zstd files written in chunks (e.g. by `zstd` on a stream) hold several frames.
    data = _zst(_jsonl_bytes(RECORDS[:2])) + _zst(_jsonl_bytes(RECORDS[2:]))
    (tmp_path / "multi.jsonl.zst").write_bytes(data)
    items = list(iter_items([str(tmp_path / "multi.jsonl.zst")]))
    assert [json.loads(it.payload)["id"] for it in items] == [r["id"] for r in RECORDS]


def test_compressed_stdin_is_recognised_by_magic_bytes(run_cli, model_path: Path) -> None:
    raw = _jsonl_bytes(RECORDS[:3])
    plain = run_cli(["classify", "--model", model_path], stdin=raw)
    zst = run_cli(["classify", "--model", model_path, "-"], stdin=_zst(raw))
    gz = run_cli(["classify", "--model", model_path], stdin=gzip.compress(raw))
    assert plain.returncode == zst.returncode == gz.returncode == 0, zst.stderr + gz.stderr
    assert _results(plain.stdout) == _results(zst.stdout) == _results(gz.stdout)
    assert [d["id"] for d in _results(plain.stdout)] == ["r0", "r1", "r2"]


def test_plain_text_on_stdin_is_one_document(run_cli, model_path: Path) -> None:
    p = run_cli(["classify", "--model", model_path], stdin=ARTICLE)
    assert p.returncode == 0, p.stderr
    (doc,) = _results(p.stdout)
    assert doc["id"] is None and [b["line"] for b in doc["blocks"]] == [1, 2, 3]


def test_directory_is_walked_recursively_with_glob(tmp_path: Path, run_cli, model_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b.txt").write_text(ARTICLE)
    (tmp_path / "sub" / "a.txt").write_text(ARTICLE)
    (tmp_path / "sub" / "deeper" / "c.txt.gz").write_bytes(gzip.compress(ARTICLE.encode()))
    (tmp_path / "sub" / "notes.md").write_text("# not a page\n")
    (tmp_path / ".hidden" / "x.txt").write_text(ARTICLE)
    (tmp_path / "pages.jsonl.zst").write_bytes(_zst(_jsonl_bytes(RECORDS[:2])))

    p = run_cli(["classify", "--model", model_path, "--glob", "*.txt*", tmp_path])
    assert p.returncode == 0, p.stderr
    assert [d["id"] for d in _results(p.stdout)] == ["b.txt", "sub/a.txt", "sub/deeper/c.txt.gz"]
    assert all(len(d["blocks"]) == 3 for d in _results(p.stdout))

    p = run_cli(["classify", "--model", model_path, tmp_path])  # no glob: every (visible) file
    ids = [d["id"] for d in _results(p.stdout)]
    assert ids == ["b.txt", "r0", "r1", "sub/a.txt", "sub/deeper/c.txt.gz", "sub/notes.md"]


def test_broken_links_in_a_folder_are_reported_not_skipped(tmp_path: Path, run_cli, model_path: Path) -> None:
    """A link to a missing file (or a loop of links) in a walked folder is an input that could
    not be read: reported on stderr with its name, the other files still classified. Before, a
    broken link was not ``is_file()`` and its data was lost without a word, exit status 0."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(ARTICLE)
    (tmp_path / "sub" / "c.txt").write_text(ARTICLE)
    (tmp_path / "sub" / "gone.txt").symlink_to(tmp_path / "elsewhere" / "gone.txt")
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")  # a working link is read as before
    for jobs in ("1", "2"):
        p = run_cli(["classify", "--model", model_path, "--jobs", jobs, tmp_path])
        assert p.returncode == 0, p.stderr
        assert [d["id"] for d in _results(p.stdout)] == ["a.txt", "link.txt", "sub/c.txt"]
        assert "sub/gone.txt:0: rejected: cannot open (No such file or directory)" in p.stderr
        assert "loop.txt:0: rejected: cannot open (Too many levels of symbolic links)" in p.stderr
    got = expand_paths([str(tmp_path)])
    assert [n for _, n in got] == ["a.txt", "link.txt", "loop.txt", "sub/c.txt", "sub/gone.txt"]
    from classifier.io import input_size

    assert input_size([str(tmp_path)]) == 3 * len(ARTICLE)  # the progress bar's total: the readable files


def test_a_folder_that_cannot_be_listed_is_reported_in_its_place(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``Path.rglob`` skips a folder it may not list without a word; the walk reports it as one
    error item where its files would have come, and reads everything else. (Simulated: the tests
    run as root, whom permissions do not stop.)"""
    import os

    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.txt").write_text(ARTICLE)
    (tmp_path / "b" / "deeper").mkdir()
    (tmp_path / "b" / "deeper" / "y.txt").write_text(ARTICLE)
    real_scandir = os.scandir
    locked = str(tmp_path / "b")

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(iter_items([str(tmp_path)]))
    assert [(it.name, it.kind) for it in items] == [("a/x.txt", "text"), ("b", "error"), ("c/x.txt", "text")]
    assert items[1].error == "cannot list folder (Permission denied)"
    from classifier.io import iter_tasks

    assert [(it.name, it.kind) for it in iter_tasks([str(tmp_path)])] == [(it.name, it.kind) for it in items]
    assert [n for _, n in expand_paths([str(tmp_path)])] == ["a/x.txt", "c/x.txt"]
    monkeypatch.setattr(os, "scandir", lambda path=".": (_ for _ in ()).throw(
        PermissionError(13, "Permission denied", os.fspath(path))))
    items = list(iter_items([str(tmp_path)]))  # the folder given cannot be listed at all
    assert [(it.name, it.kind, it.error) for it in items] == [
        (tmp_path.name, "error", "cannot list folder (Permission denied)")]


def test_expand_paths_keeps_the_order_given(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "2.jsonl").write_text("")
    (tmp_path / "d" / "1.jsonl").write_text("")
    (tmp_path / "z.txt").write_text("x")
    got = expand_paths([str(tmp_path / "z.txt"), str(tmp_path / "d"), "-"], "*.jsonl")
    assert [n for _, n in got] == ["z.txt", "1.jsonl", "2.jsonl", "<stdin>"]


def test_damaged_input_is_reported_and_the_others_still_read(tmp_path: Path, run_cli, model_path: Path) -> None:
    big = _jsonl_bytes(RECORDS * 40)
    (tmp_path / "a_broken.jsonl.gz").write_bytes(gzip.compress(big)[: len(gzip.compress(big)) // 2])
    (tmp_path / "b_good.jsonl").write_bytes(_jsonl_bytes(RECORDS[:2]))
    rej = tmp_path / "rejects.jsonl"
    p = run_cli(["classify", "--model", model_path, "--rejects", rej, tmp_path / "a_broken.jsonl.gz",
                 tmp_path / "b_good.jsonl"])
    assert p.returncode == 0, p.stderr
    assert "a_broken.jsonl.gz" in p.stderr and "input damaged" in p.stderr
    docs = _results(p.stdout)
    assert 0 < len(docs) < 200 + 2  # what was readable before the damage, then the good file
    assert [d["id"] for d in docs[-2:]] == ["r0", "r1"]
    assert rej.read_bytes() == b""  # no record to write verbatim: the damage is reported on stderr


def _corrupt_gzip(data: bytes) -> bytes:
    """``data`` gzipped with one byte flipped past the middle of the deflate stream, at the first
    place (searched in a fixed order) where the standard library's zlib fails with ``zlib.error``
    (a CRC failure would raise ``BadGzipFile``, an ``OSError``, which was always caught)."""
    import zlib

    packed = gzip.compress(data, mtime=0)
    for at in range(len(packed) * 3 // 4, len(packed) - 16, 97):
        bad = bytearray(packed)
        bad[at] ^= 0xFF
        try:
            gzip.GzipFile(fileobj=io.BytesIO(bytes(bad))).read()
        except zlib.error:
            return bytes(bad)
        except (OSError, EOFError):
            continue
    raise AssertionError("no flip gave zlib.error")  # pragma: no cover


@pytest.mark.parametrize("isal", [False, True])
def test_corrupt_deflate_stream_is_damage_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      isal: bool) -> None:
    """A corrupt deflate stream inside a .gz (``zlib.error``, or ISA-L's ``IsalError``) ends that
    input with an "input damaged" item after the records read before it; the run goes on."""
    if isal:
        pytest.importorskip("isal")
    else:
        monkeypatch.setitem(sys.modules, "isal", None)  # `from isal import ...` raises ImportError
    big = _jsonl_bytes([{"id": f"p{i}", "text": f"Line {i} of a long input. " * 40} for i in range(4000)])
    (tmp_path / "a.jsonl.gz").write_bytes(_corrupt_gzip(big))
    (tmp_path / "b.jsonl").write_bytes(_jsonl_bytes(RECORDS[:1]))
    items = list(iter_items([str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.jsonl")]))
    errors = [it for it in items if it.kind == "error"]
    assert len(errors) == 1 and errors[0].name == "a.jsonl.gz" and "input damaged" in errors[0].error
    before = items[:items.index(errors[0])]
    assert 0 < len(before) < 4000 and all(it.name == "a.jsonl.gz" and it.kind == "jsonl" for it in before)
    assert [json.loads(it.payload)["id"] for it in before] == [f"p{i}" for i in range(len(before))]
    assert [it.name for it in items[items.index(errors[0]) + 1:]] == ["b.jsonl"]


def test_isal_and_zlib_read_the_same_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``gzip`` extra (python-isal) changes the speed of reading a .gz, not what is read."""
    pytest.importorskip("isal")
    raw = _jsonl_bytes(RECORDS * 30)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw[:9000]) + gzip.compress(raw[9000:]))  # two members
    fast = list(iter_items([str(tmp_path / "a.jsonl.gz")]))
    monkeypatch.setitem(sys.modules, "isal", None)
    assert list(iter_items([str(tmp_path / "a.jsonl.gz")])) == fast
    assert b"".join(it.payload + b"\n" for it in fast) == raw


def test_iter_items_streams_without_reading_ahead(tmp_path: Path) -> None:
    """The first record comes out before the reader has consumed the whole (large) input."""
    zstandard = pytest.importorskip("zstandard")
    line = json.dumps({"id": "x", "text": ARTICLE}).encode() + b"\n"
    n = 200_000  # ~36 MB decompressed, a few hundred KB compressed
    path = tmp_path / "big.jsonl.zst"
    with open(path, "wb") as fh, zstandard.ZstdCompressor().stream_writer(fh) as w:
        for _ in range(n // 1000):
            w.write(line * 1000)
    it = iter_items([str(path)])
    first = next(it)
    assert first.lineno == 1 and json.loads(first.payload)["id"] == "x"
    assert sum(1 for _ in it) == n - 1


# --- WARC / WET -----------------------------------------------------------------------------

def _write_warc(path: Path, gz: bool) -> list[tuple[str, str]]:
    """A small WARC: two HTML responses, an image response, a request; returns (id, url) of the HTML."""
    warcio = pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    del warcio
    out = []
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        for i, body in enumerate((HTML, HTML.replace("Tuesday", "Monday"))):
            url = f"https://www.paper{i}.example.com/news/{i}"
            req = w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.0\r\n\r\n"))
            w.write_record(req)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            rec = w.create_warc_record(url, "response", payload=io.BytesIO(body.encode()), http_headers=http)
            w.write_record(rec)
            out.append((rec.rec_headers.get_header("WARC-Record-ID"), url))
        img = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://www.paper0.example.com/logo.png", "response",
                                            payload=io.BytesIO(b"\x89PNG...."), http_headers=img))
    return out


def _write_wet(path: Path) -> list[tuple[str, str]]:
    pytest.importorskip("warcio")
    from warcio.warcwriter import WARCWriter

    out = []
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warc_record("", "warcinfo", payload=io.BytesIO(b"software: test\r\n"),
                                            warc_content_type="application/warc-fields"))
        for i in range(3):
            url = f"http://blog{i}.example.org/post/{i}"
            rec = w.create_warc_record(url, "conversion", payload=io.BytesIO((ARTICLE * (i + 1)).encode()),
                                       warc_content_type="text/plain")
            w.write_record(rec)
            out.append((rec.rec_headers.get_header("WARC-Record-ID"), url))
    return out


@pytest.mark.parametrize("gz", [False, True])
def test_warc_html_responses_carry_record_id_and_url(tmp_path: Path, run_cli, model_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    expected = _write_warc(path, gz)
    p = run_cli(["classify", "--model", model_path, path])
    assert p.returncode == 0, p.stderr
    docs = _results(p.stdout)
    assert [(d["id"], d["url"]) for d in docs] == expected
    assert [d["source"] for d in docs] == ["example.com", "example.com"]
    assert all(d["blocks"][0]["line"] is None for d in docs)  # HTML blocks
    assert "Monday" in " ".join(b["text"] for b in docs[1]["blocks"])


def test_wet_conversion_records_are_text_pages(tmp_path: Path, run_cli, model_path: Path) -> None:
    path = tmp_path / "CC-MAIN-x.warc.wet.gz"
    expected = _write_wet(path)
    p = run_cli(["classify", "--model", model_path, "--jobs", "2", path])
    assert p.returncode == 0, p.stderr
    docs = _results(p.stdout)
    assert [(d["id"], d["url"]) for d in docs] == expected
    assert [len(d["blocks"]) for d in docs] == [3, 6, 9]
    assert [b["line"] for b in docs[0]["blocks"]] == [1, 2, 3]
    assert docs[0]["source"] == "example.org"


def test_wet_on_stdin_and_filter_keeps_url(tmp_path: Path, run_cli, model_path: Path) -> None:
    path = tmp_path / "x.wet.gz"
    expected = _write_wet(path)
    p = run_cli(["filter", "--model", model_path, "--keep", "editorial,comment,spam,boilerplate"],
                stdin=path.read_bytes())
    assert p.returncode == 0, p.stderr
    recs = _results(p.stdout)
    assert [(r["id"], r["url"]) for r in recs] == expected
    assert recs[0]["text"] == ARTICLE.rstrip("\n")
    assert recs[0]["newswinnow"]["source"] == "example.org"


def test_warc_without_warcio_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP responses need warcio (the ``warc`` extra); records without an HTTP message do not."""
    info = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n\r\n\r\n"
    text = b"Some text of a page."
    conv = (b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://a.example/\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n" % (len(text), text))
    resp = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 0\r\n\r\n\r\n\r\n"
    (tmp_path / "a.warc").write_bytes(info + resp)
    (tmp_path / "b.warc.wet").write_bytes(info + conv)
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)
    with pytest.raises(InputError, match=r"newswinnow\[warc\]"):
        list(iter_items([str(tmp_path / "a.warc")]))
    items = list(iter_items([str(tmp_path / "b.warc.wet")]))
    assert [(it.kind, it.lineno, it.payload, it.url) for it in items] == [("text", 2, text, "http://a.example/")]


def _write_mixed_warc(path: Path, gz: bool, with_response: bool) -> None:
    """Records of every kind the fast reader meets: warcinfo, conversions (one empty, one of 2.5
    MB with blank lines inside, one typed by WARC-Identified-Payload-Type, a UTF-8 and a Latin-1
    URL), HTML and image resources, metadata, a request; with ``with_response``, an HTTP response
    in the middle (the rest then goes to warcio) and more conversions after it."""
    pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)

        def put(uri: str, kind: str, body: bytes, ctype: str | None = None, **extra: str) -> None:
            rec = w.create_warc_record(uri, kind, payload=io.BytesIO(body), warc_content_type=ctype,
                                       warc_headers_dict=extra or None)
            w.write_record(rec)

        put("", "warcinfo", b"software: test\r\n", "application/warc-fields")
        put("http://a.example/1", "conversion", ARTICLE.encode(), "text/plain")
        put("http://a.example/empty", "conversion", b"  \n", "text/plain")
        put("http://a.example/big", "conversion", (ARTICLE + "\r\n\r\n") .encode() * 16000, "text/plain")
        put("http://a.example/typed", "conversion", ARTICLE.encode(), "application/octet-stream",
            **{"WARC-Identified-Payload-Type": "text/plain; charset=utf-8"})
        put("http://ü.example/ß", "conversion", ARTICLE.encode(), "text/plain")
        put("http://a.example/page", "resource", HTML.encode(), "text/html; charset=utf-8")
        put("http://a.example/logo.png", "resource", b"\x89PNG....", "image/png")
        put("http://a.example/1", "metadata", b"fetchTimeMs: 12\r\n", "application/warc-fields")
        req = w.create_warc_record("http://a.example/1", "request", payload=io.BytesIO(b"GET / HTTP/1.0\r\n\r\n"))
        w.write_record(req)
        if with_response:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record("http://a.example/r", "response", payload=io.BytesIO(HTML.encode()),
                                                http_headers=http))
            put("http://a.example/after", "conversion", ARTICLE.encode(), "text/plain")
    if not gz:  # a Latin-1 byte in a header, which warcio reads as ISO-8859-1
        raw = path.read_bytes().replace(b"http://a.example/1", b"http://a.example/\xe91", 1)
        path.write_bytes(raw)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("with_response", [False, True])
def test_fast_warc_reader_gives_warcios_items(tmp_path: Path, gz: bool, with_response: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The WARC reader parses records without an HTTP message itself (warcio spent ~58 us of
    Python on each): the same items, numbers, ids and URLs as warcio gives, over reads that cut
    records anywhere, and warcio takes over from the first HTTP response."""
    from classifier import io as nio

    path = tmp_path / ("mixed.warc.gz" if gz else "mixed.warc")
    _write_mixed_warc(path, gz, with_response)
    monkeypatch.setattr(nio, "WARC_READ_BYTES", 1000)  # many reads, records and headers cut across them

    def read(reader) -> list[WorkItem]:
        with open(path, "rb") as fh:
            return list(reader(nio._decompressed(fh), path.name))

    fast, slow = read(nio._warc_items), read(nio._warcio_items)
    assert fast == slow
    urls = [it.url for it in fast]
    assert urls[:4] == ["http://a.example/\xe91" if not gz else "http://a.example/1", "http://a.example/big",
                        "http://a.example/typed", "http://ü.example/ß"]
    assert urls[4:] == ["http://a.example/page"] + (["http://a.example/r", "http://a.example/after"]
                                                  if with_response else [])
    assert [it.lineno for it in fast][:2] == [2, 4] and fast[1].payload.count(b"\r\n\r\n") == 16000


def test_warc_with_bare_lf_lines_goes_to_warcio(tmp_path: Path) -> None:
    """Some writers end WARC header lines with a bare LF, which warcio reads; the fast reader,
    which looks for CRLF, hands such a file to warcio instead of calling it damaged."""
    from classifier import io as nio

    pytest.importorskip("warcio")
    records = []
    for i, body in enumerate((ARTICLE.encode(), "Zweite Seite, ü.\n".encode())):
        records.append(b"WARC/1.0\nWARC-Type: conversion\nWARC-Target-URI: http://a.example/%d\n"
                       b"Content-Type: text/plain\nContent-Length: %d\n\n%s\n\n" % (i, len(body), body))
    lf = tmp_path / "lf.warc"
    lf.write_bytes(b"".join(records))
    with open(lf, "rb") as fh:
        slow = list(nio._warcio_items(nio._decompressed(fh), lf.name))
    items = list(iter_items([str(lf)]))
    assert items == slow
    assert [(it.kind, it.url) for it in items] == [("text", "http://a.example/0"), ("text", "http://a.example/1")]


def test_truncated_warc_is_damage_after_its_whole_records(tmp_path: Path) -> None:
    """A WET file cut inside a record (uncompressed: no gzip error to tell) ends with one "input
    damaged" item after the records before the cut; warcio returned the cut record's bytes short."""
    path = tmp_path / "cut.warc"
    _write_mixed_warc(path, gz=False, with_response=False)
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.index(b"WARC-Target-URI: http://a.example/big") + 40_000])
    items = list(iter_items([str(path)]))
    assert [it.kind for it in items] == ["text", "error"]
    assert "input damaged" in items[1].error and "truncated WARC record 4: 39757 of 2576000 bytes" in items[1].error
    assert items[1].lineno == items[0].lineno + 1  # as for any damaged input: after the last item read


def test_work_item_defaults_keep_the_old_four_fields() -> None:
    it = WorkItem("a.jsonl", 3, "jsonl", b"{}")
    assert it[:4] == ("a.jsonl", 3, "jsonl", b"{}") and it.id is None and it.url is None


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("lines_per_range", [1, 2, 128])
@pytest.mark.parametrize("read", [1, 5, 1 << 20])
def test_ranges_give_the_items_iter_items_gives(tmp_path: Path, chunk: int, lines_per_range: int, read: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers read plain JSONL files as line ranges: the same records, line numbers and bytes as
    the streaming reader, whatever the byte and line limits and the parent's read size (blank
    lines, CRLF, a line longer than a range, no final newline)."""
    from classifier import io as nio
    from classifier.io import RangeTask, iter_tasks, range_items

    monkeypatch.setattr(nio, "RANGE_READ_BYTES", read)
    monkeypatch.setattr(nio, "RANGE_MIN_BYTES", 0)  # the cuts alone (joining: its own test)
    lines = [b'{"id": "a"}', b"", b'{"id": "b", "text": "' + b"x" * 200 + b'"}\r', b"  ", b"{bad", b'{"id": "c"}']
    f = tmp_path / "in.jsonl"
    f.write_bytes(b"\n".join(lines))
    tasks = list(iter_tasks([str(f)], chunk_bytes=chunk, chunk_lines=lines_per_range))
    assert all(isinstance(t, RangeTask) for t in tasks)
    assert tasks[0].start == 0 and tasks[-1].end == f.stat().st_size
    assert all(a.end == b.start for a, b in zip(tasks, tasks[1:]))
    got = [it for t in tasks for it in range_items(t)]
    assert got == list(iter_items([str(f)]))
    assert [it.lineno for it in got] == [1, 3, 5, 6]
    data = f.read_bytes()

    def n_lines(part: bytes) -> int:
        return part.count(b"\n") + (not part.endswith(b"\n"))

    for t in tasks:  # within both limits (a range of one line may exceed the bytes), and none cut early
        part = data[t.start:t.end]
        assert n_lines(part) <= lines_per_range
        assert len(part) <= chunk or n_lines(part) == 1
    for t, nxt in zip(tasks, tasks[1:]):
        grown = data[t.start: data.find(b"\n", nxt.start) + 1 or len(data)]
        assert n_lines(grown) > lines_per_range or len(grown) > chunk


def test_ranges_are_whole_batches_of_records(tmp_path: Path) -> None:
    """A plain JSONL file's ranges hold ``RANGE_LINES`` lines (one batch of ``BATCH_RECORDS``, as
    ``--jobs 1`` makes it), not a byte count's worth (byte ranges of ~140 news pages were
    classified as three batches of ~47, which cost ~4% more a page); records longer than
    ``RANGE_BYTES`` / ``RANGE_LINES`` (a batch's ``BATCH_BYTES``) make shorter ranges."""
    from classifier import io as nio
    from classifier.parallel import BATCH_BYTES, BATCH_RECORDS

    assert nio.RANGE_LINES == BATCH_RECORDS and nio.RANGE_BYTES == BATCH_BYTES
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"".join(b'{"id": "%d", "text": "%s"}\n' % (i, b"x" * (3000 + i % 700)) for i in range(1000)))
    tasks = list(nio.iter_tasks([str(short)]))
    assert [t.lineno for t in tasks] == list(range(1, 1001, nio.RANGE_LINES))
    long = tmp_path / "long.jsonl"
    size = nio.RANGE_BYTES // 10
    long.write_bytes(b"".join(b'{"id": "%d", "text": "%s"}\n' % (i, b"x" * size) for i in range(50)))
    tasks = list(nio.iter_tasks([str(long)]))
    assert all(t.end - t.start <= nio.RANGE_BYTES for t in tasks) and len(tasks) == 6
    assert [t.lineno for t in tasks] == [1, 10, 19, 28, 37, 46]


def test_only_plain_jsonl_files_become_ranges(tmp_path: Path) -> None:
    from classifier.io import RangeTask, iter_tasks

    plain = tmp_path / "a.jsonl"
    plain.write_bytes(b'{"id": "a"}\n')
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"id": "b"}\n'))
    text = tmp_path / "c.txt"
    text.write_bytes(b"Some text.\n")
    kinds = [type(t).__name__ for t in iter_tasks([str(plain), str(packed), str(text)])]
    assert kinds == ["RangeTask", "ChunkTask", "WorkItem"]  # other JSONL streams: chunks with their bytes
    assert list(iter_tasks([str(text)], fmt="jsonl"))[0].__class__ is RangeTask  # --format jsonl wins


@pytest.mark.parametrize("packed", [False, True])
def test_short_records_are_joined_into_tasks_of_whole_batches(tmp_path: Path, packed: bool) -> None:
    """Ranges (and chunks) of short records are joined until a task holds ``RANGE_MIN_BYTES``: 128
    records of ~330 bytes made a task of ~42 KB, each costing the parent and the worker a fixed
    fraction of a millisecond. The joins are whole pieces of ``RANGE_LINES`` lines, within
    ``RANGE_BYTES``; news-sized records (one piece over the minimum) are not joined."""
    from classifier import io as nio

    rec = b'{"id": "%d", "text": "%s"}\n'
    short = b"".join(rec % (i, b"y" * (300 + i % 50)) for i in range(5000))
    path = tmp_path / ("short.jsonl.gz" if packed else "short.jsonl")
    path.write_bytes(gzip.compress(short) if packed else short)
    tasks = list(nio.iter_tasks([str(path)]))
    sizes = [len(t.data) if packed else t.end - t.start for t in tasks]
    linenos = [t.lineno for t in tasks]
    assert all(s >= nio.RANGE_MIN_BYTES for s in sizes[:-1]) and max(sizes) <= nio.RANGE_BYTES
    assert all((b - a) % nio.RANGE_LINES == 0 for a, b in zip(linenos, linenos[1:]))
    assert all(b - a < 2 * nio.RANGE_MIN_BYTES // 300 for a, b in zip(linenos, linenos[1:]))  # no more than needed
    assert [it for t in tasks for it in nio.task_items(t)] == list(iter_items([str(path)]))
    news = tmp_path / "news.jsonl"
    news.write_bytes(b"".join(rec % (i, b"z" * 3500) for i in range(1000)))
    assert [t.lineno for t in nio.iter_tasks([str(news)])] == list(range(1, 1001, nio.RANGE_LINES))


# --- JSONL streams the workers cannot read themselves: chunks --------------------------------

_STREAM_LINES = [b'{"id": "a"}', b"", b'{"id": "b", "text": "' + b"x" * 200 + b'"}\r', b"  ", b"{bad",
                 b'{"id": "c"}']


@pytest.mark.parametrize("chunk", [1, 64, 1 << 20])
@pytest.mark.parametrize("lines_per_chunk", [1, 2, 128])
@pytest.mark.parametrize("pack", ["gz", "zst", "stdin"])
def test_chunks_give_the_items_iter_items_gives(tmp_path: Path, chunk: int, lines_per_chunk: int, pack: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``--jobs``, a compressed JSONL file or stdin goes to the workers as chunks of whole
    lines (the parent no longer makes a work item per record): the same records, line numbers and
    bytes as the streaming reader, in pieces within the line and byte limits (blank lines, CRLF, a
    line longer than a chunk, no final newline)."""
    from classifier import io as nio
    from classifier.io import ChunkTask, iter_tasks, task_items

    monkeypatch.setattr(nio, "RANGE_READ_BYTES", 7)  # many reads, newlines falling across them
    monkeypatch.setattr(nio, "RANGE_MIN_BYTES", 0)
    raw = b"\n".join(_STREAM_LINES * 3)
    if pack == "stdin":
        path = "-"

        def source() -> None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(raw))))
    else:
        path = str(tmp_path / f"in.jsonl.{pack}")
        Path(path).write_bytes(gzip.compress(raw) if pack == "gz" else _zst(raw))

        def source() -> None:
            pass
    source()
    tasks = list(iter_tasks([path], chunk_bytes=chunk, chunk_lines=lines_per_chunk))
    assert tasks and all(isinstance(t, ChunkTask) for t in tasks)
    assert b"".join(t.data for t in tasks) == raw
    assert [t.lineno for t in tasks] == list(itertools.accumulate([1] + [t.lines for t in tasks[:-1]]))
    for t in tasks:
        assert t.lines == t.data.count(b"\n") + (not t.data.endswith(b"\n"))
        assert t.lines <= lines_per_chunk and (len(t.data) <= chunk or t.lines == 1)
    source()
    expected = list(iter_items([path]))
    assert [it for t in tasks for it in task_items(t)] == expected
    assert [it.lineno for it in expected] == [1, 3, 5, 6, 7, 9, 11, 12, 13, 15, 17, 18]


@pytest.mark.parametrize("isal", [False, True])
def test_chunks_of_a_damaged_stream_keep_what_the_line_reader_keeps(tmp_path: Path, isal: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A corrupt .gz read as chunks: the whole lines read before the damage, then one "input
    damaged" item at the same line as the line reader's, then the next input."""
    from classifier.io import ChunkTask, iter_tasks, task_items

    if isal:
        pytest.importorskip("isal")
    else:
        monkeypatch.setitem(sys.modules, "isal", None)
    big = _jsonl_bytes([{"id": f"p{i}", "text": f"Line {i} of a long input. " * 40} for i in range(4000)])
    (tmp_path / "a.jsonl.gz").write_bytes(_corrupt_gzip(big))
    (tmp_path / "b.jsonl").write_bytes(_jsonl_bytes(RECORDS[:1]))
    paths = [str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.jsonl")]
    tasks = list(iter_tasks(paths))
    assert any(isinstance(t, ChunkTask) for t in tasks)
    got = [it for t in tasks for it in ([t] if isinstance(t, WorkItem) else task_items(t))]
    expected = list(iter_items(paths))
    assert got == expected
    assert [it.kind for it in expected].count("error") == 1 and 0 < expected.index(
        next(it for it in expected if it.kind == "error")) < 4000


@pytest.mark.parametrize("pack", ["gz", "zst", "stdin"])
def test_jobs_2_on_streams_writes_what_jobs_1_writes(tmp_path: Path, run_cli, model_path: Path, pack: str) -> None:
    """End to end through the workers: output, rejects and their order as ``--jobs 1``, over
    several chunks (300 records, two bad ones)."""
    recs = [json.dumps({"id": f"r{i}", "text": ARTICLE * (1 + i % 3)}).encode() for i in range(300)]
    recs[7] = b"{bad json"
    recs[250] = b'{"id": "no text"}'
    raw = b"\n".join(recs) + b"\n"
    args, stdin = ["classify", "--model", model_path], None
    if pack == "stdin":
        stdin = raw
    else:
        path = tmp_path / f"in.jsonl.{pack}"
        path.write_bytes(gzip.compress(raw) if pack == "gz" else _zst(raw))
        args.append(path)
    out = {}
    for jobs in ("1", "2"):
        rej = tmp_path / f"rejects{jobs}.jsonl"
        p = run_cli([*args[:3], "--jobs", jobs, "--rejects", rej, *args[3:]], stdin=stdin)
        assert p.returncode == 0, p.stderr
        out[jobs] = (p.stdout, rej.read_bytes(), sorted(x for x in p.stderr.splitlines() if "rejected" in x))
    assert out["1"] == out["2"]
    assert len(_results(out["2"][0])) == 298 and out["2"][1] == recs[7] + b"\n" + recs[250] + b"\n"


# --- the progress bar's counts --------------------------------------------------------------

@pytest.mark.parametrize("tasks", [False, True])
def test_progress_counts_the_files_bytes_as_input_size_does(tmp_path: Path, tasks: bool) -> None:
    """The bar's total is ``input_size``: the files' bytes on disk, compressed ones compressed.
    The readers tell the same bytes as they read them, so the bar ends at its total. (It used
    to advance by decompressed payload: a ``.gz`` of JSONL filled the bar a third of the way in.)"""
    import random

    from classifier.io import input_size, iter_tasks

    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    raw = _jsonl_bytes([{"id": f"p{i}", "text": " ".join(rng.choices(words, k=80))} for i in range(6000)])
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "b.jsonl").write_bytes(raw)
    (tmp_path / "c.txt").write_text(ARTICLE)
    (tmp_path / "d.jsonl.zst").write_bytes(_zst(raw))
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(raw)[:5000])  # damaged: counted whole all the same
    told: list[int] = []
    reader = iter_tasks if tasks else iter_items
    seen: dict[str, tuple[int, int]] = {}  # file -> (calls, bytes told) when its first item came
    for it in reader([str(tmp_path)], progress=told.append):
        seen.setdefault(it.name, (len(told), sum(told)))
    sizes = {f.name: f.stat().st_size for f in tmp_path.iterdir()}
    assert sum(told) == input_size([str(tmp_path)]) == sum(sizes.values())
    assert all(n > 0 for n in told)
    assert seen["b.jsonl"][1] == sizes["a.jsonl.gz"]  # all of the .gz and nothing more, when it ends
    assert seen["d.jsonl.zst"][1] == sizes["a.jsonl.gz"] + sizes["b.jsonl"] + sizes["c.txt"]
    assert seen["b.jsonl"][0] > 1  # in steps through the .gz, not one jump at its end


def test_a_folder_with_nothing_to_read_is_reported(tmp_path: Path, run_cli, model_path: Path) -> None:
    """A folder given whose walk finds no file (empty, or a --glob that matches nothing) is reported
    like an unreadable input: alone it is exit status 1, beside a good file the run goes on."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "page.txt").write_text("A line of text.\n")
    (tmp_path / "d" / ".hidden.txt").write_text("skipped\n")
    p = run_cli(["classify", "--model", model_path, "--glob", "*.jsonl", tmp_path / "d"])
    assert p.returncode == 1 and p.stdout == ""
    assert "d:0: rejected: no file matches '*.jsonl' in this folder" in p.stderr
    (tmp_path / "e").mkdir()
    p = run_cli(["classify", "--model", model_path, tmp_path / "e", tmp_path / "d"])
    assert p.returncode == 0, p.stderr
    assert [json.loads(line)["id"] for line in p.stdout.splitlines()] == ["page.txt"]
    assert "e:0: rejected: no file matches '*' in this folder" in p.stderr
    p = run_cli(["classify", "--model", model_path, "--jobs", "2", tmp_path / "e", tmp_path / "d"])
    assert p.returncode == 0 and "e:0: rejected: no file matches" in p.stderr
    assert [json.loads(line)["id"] for line in p.stdout.splitlines()] == ["page.txt"]
