"""features/charset.py: the one decoder of page bytes (both HTML readers, text files, WARC records)."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from features import charset
from features.charset import codec_for, content_type_charset, decode_bytes

RUSSIAN = "Новости города"


def test_both_html_readers_and_the_api_use_the_one_decoder() -> None:
    from classifier import api
    from features import html, segment

    assert segment.decode_bytes is charset.decode_bytes
    assert html.decode_html is charset.decode_bytes
    page = "<meta charset='iso-8859-1'><p>it\u2019s</p>".encode("cp1252")
    assert api.decode_html(page) == decode_bytes(page)


def test_a_utf8_page_with_pasted_windows_1252_bytes_keeps_both() -> None:
    """A UTF-8 page with one stray byte was mojibake from its first curly quote ("â€™")."""
    data = "<meta charset='utf-8'><p>caf\u00e9 \u2022 ".encode() + b"it\x92s \xa9 2004</p>"
    out = decode_bytes(data)
    assert "caf\u00e9 \u2022 it\u2019s \u00a9 2004" in out
    assert "\ufffd" not in out and "\u00e2\u20ac" not in out


def test_windows_1252_bytes_declared_utf8_read_as_windows_1252() -> None:
    out = decode_bytes("<meta charset='utf-8'><p>caf\u00e9 \u201cquoted\u201d</p>".encode("cp1252"))
    assert "caf\u00e9 \u201cquoted\u201d" in out and "\ufffd" not in out


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "us-ascii", "windows-1252"])
def test_latin1_labels_read_as_windows_1252(label: str) -> None:
    """As browsers do: 0x80-0x9F are quotes and dashes, not C1 control characters ("don\\x92t")."""
    out = decode_bytes(f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'.encode()
                       + b"<p>don\x92t \x96 \x93yes\x94 caf\xe9</p>")
    assert "don\u2019t \u2013 \u201cyes\u201d caf\u00e9" in out
    assert not any("\x80" <= c <= "\x9f" for c in out)


def test_the_transport_charset_goes_before_the_meta() -> None:
    data = b"<meta charset='windows-1251'><p>" + RUSSIAN.encode("koi8-r") + b"</p>"
    assert RUSSIAN in decode_bytes(data, "koi8-r")
    assert RUSSIAN not in decode_bytes(data)  # the <meta> alone names another codec
    assert decode_bytes(data, "no-such-codec") == decode_bytes(data)  # an unknown label: the <meta> decides


def test_a_transport_utf8_label_on_other_bytes_defers_to_the_meta() -> None:
    """A server's default "charset=utf-8" over a windows-1251 page whose <meta> names its codec."""
    data = b"<meta charset='windows-1251'><p>" + RUSSIAN.encode("cp1251") + b"</p>"
    assert RUSSIAN in decode_bytes(data, "utf-8") and RUSSIAN in decode_bytes(data, "UTF8")


def test_valid_utf8_wins_over_a_legacy_declaration() -> None:
    data = f"<meta charset='iso-8859-1'><p>{RUSSIAN}</p>".encode()
    assert RUSSIAN in decode_bytes(data) and RUSSIAN in decode_bytes(data, "windows-1252")


def test_a_bom_wins_over_every_declaration() -> None:
    data = "\ufeff<meta charset='koi8-r'><p>caf\u00e9</p>".encode("utf-16-le")
    assert decode_bytes(data, "windows-1251") == "<meta charset='koi8-r'><p>caf\u00e9</p>"


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-32", "utf-7", "unicode_escape", "rot13", "idna",
                                   "x-user-defined", "no-such-codec"])
def test_labels_that_cannot_be_right_are_ignored(label: str) -> None:
    """A <meta> saying UTF-16 on 8-bit bytes (the standard reads it as UTF-8), codecs that are not
    web encodings (utf-7, unicode_escape) and unknown names: read as if nothing were declared."""
    data = f"<meta charset='{label}'><p>caf".encode() + b"\xe9 \\x41 +ADw-</p>"
    out = decode_bytes(data)
    assert out.endswith("<p>caf\u00e9 \\x41 +ADw-</p>")
    assert decode_bytes(data, label) == out


@pytest.mark.parametrize("label,codec", [
    ("ISO-8859-1", "cp1252"), ("ascii", "cp1252"), ("iso-8859-9", "cp1254"), ("tis-620", "cp874"),
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("euc-kr", "cp949"), ("Shift_JIS", "cp932"), ("big5", "big5hkscs"),
    ("iso-8859-8-i", "iso8859-8"), ("latin2", "iso8859-2"), ("windows-1251", "cp1251"), ("KOI8-R", "koi8-r"),
    ("macintosh", "mac-roman"), (" utf8 ", "utf-8"), ("utf-16", None), ("utf-7", None), ("bogus", None),
])
def test_codec_for(label: str, codec: str | None) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize("value,label", [
    ("text/html; charset=UTF-8", "UTF-8"), ('text/html;charset="ISO-8859-1"', "ISO-8859-1"),
    ("text/html; Charset = 'koi8-r'; q=1", "koi8-r"), ("text/html", None), ("", None), (None, None),
])
def test_content_type_charset(value: str | None, label: str | None) -> None:
    assert content_type_charset(value) == label


def test_declared_multibyte_codec_with_bad_bytes_still_decodes() -> None:
    data = b"<meta charset='shift_jis'><p>" + "\u65e5\u672c".encode("cp932") + b"\x81</p>"
    out = decode_bytes(data)
    assert "\u65e5\u672c" in out and out.endswith("</p>")


def test_pages_of_many_invalid_sequences_are_read_whole() -> None:
    """Past MAX_FALLBACK_SEQUENCES the handler (a Python call per invalid sequence: 1.6 s for 3 MB
    of random bytes) is not used: binary junk or a long legacy page reads as windows-1252, a UTF-8
    page with very many stray bytes as UTF-8 with U+FFFD."""
    n = charset.MAX_FALLBACK_SEQUENCES
    junk = random.Random(1).randbytes(8 * n)
    assert decode_bytes(junk) == junk.decode("cp1252", "replace")  # per byte, chance UTF-8 pairs would decode
    stray = ("\u65e5\u672c " * (3 * n)).encode() + b"\x92" * (n + 1)
    assert decode_bytes(stray) == stray.decode("utf-8", "replace")
    few = ("\u65e5\u672c " * (3 * n)).encode() + b"\x92" * n
    assert decode_bytes(few).endswith("\u2019" * n)


def test_random_bytes_never_raise() -> None:
    rng = random.Random(0)
    heads = [b"", b"<meta charset='utf-8'>", b"<meta charset='shift_jis'>", b"<meta charset='utf-16'>",
             b"\xef\xbb\xbf", b"\xff\xfe", b"\x00\x00\xfe\xff"]
    for i in range(2000):
        data = heads[i % len(heads)] + bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        assert isinstance(decode_bytes(data), str)
        assert isinstance(decode_bytes(data, rng.choice(["koi8-r", "utf-8", "bogus", None])), str)


def test_the_fallback_handler_is_for_decoding_only() -> None:
    with pytest.raises(UnicodeEncodeError):
        "\u65e5".encode("ascii", charset.UTF8_FALLBACK_ERRORS)


# --- the transport's charset through the WARC readers ---------------------------------------

def _warc(path: Path) -> None:
    """A response with an HTTP charset its page's <meta> contradicts, and a resource record."""
    pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = (b"<html><head><meta charset='windows-1251'></head><body><p>" + RUSSIAN.encode("koi8-r")
            + b"</p></body></html>")
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=False)
        w.write_record(w.create_warc_record("https://a.example.ru/", "resource", payload=io.BytesIO(body),
                                            warc_content_type="text/html; charset=KOI8-R"))
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=KOI8-R")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://b.example.ru/", "response", payload=io.BytesIO(body),
                                            http_headers=http))


def test_warc_records_carry_their_content_type_charset(tmp_path: Path) -> None:
    from classifier.cli import Fields, _to_record
    from classifier.io import iter_items

    path = tmp_path / "crawl.warc"
    _warc(path)
    items = list(iter_items([str(path)]))
    assert [(it.kind, it.charset) for it in items] == [("html", "KOI8-R"), ("html", "KOI8-R")]
    fields = Fields("text", "html", "id", "url")
    for it in items:
        rec, reason = _to_record(it, fields)
        assert reason is None and RUSSIAN in rec["html"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_warc_page_decoded_by_its_http_charset_end_to_end(tmp_path: Path, run_cli, model_path: Path,
                                                         jobs: str) -> None:
    import json

    path = tmp_path / "crawl.warc"
    _warc(path)
    p = run_cli(["classify", "--model", model_path, "--jobs", jobs, path])
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    assert len(docs) == 2
    for d in docs:
        assert any(RUSSIAN in b["text"] for b in d["blocks"])


def test_classify_html_takes_the_transport_charset() -> None:
    from classifier import Classifier

    clf = Classifier.load()
    body = (b"<html><head><meta charset='windows-1251'></head><body><p>" + RUSSIAN.encode("koi8-r")
            + b"</p></body></html>")
    assert any(RUSSIAN in b["text"] for b in clf.classify_html(body, charset="KOI8-R").to_dict()["blocks"])
    assert not any(RUSSIAN in b["text"] for b in clf.classify_html(body).to_dict()["blocks"])
