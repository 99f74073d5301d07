"""Page bytes -> text: the one decoder of both HTML readers and of plain-text inputs.

Why one: the two HTML readers (``features.segment`` for the text model's training pages,
``features.html`` for the HTML model) each had a decoder, and they disagreed on real pages.
One turned a UTF-8 page with a single stray byte into mojibake from its first curly quote
("â€™"); the other read "charset=utf-8" on a page of windows-1252 bytes as UTF-8 and
replaced every accented letter with U+FFFD. Both read a declared ISO-8859-1 as Python's
latin-1, so the windows-1252 quotes and dashes such pages hold became C1 control characters
("don\\x92t"), as no browser shows them.

The order is the WHATWG encoding-sniffing order (a byte-order mark, then the transport's
charset, then a ``<meta>`` in the first bytes; a UTF-8 label on bytes that are not UTF-8
defers to the next), with two content checks before any
declaration, as a scraper needs: UTF-16 without a BOM, and strict UTF-8 (legacy bytes
almost never form valid UTF-8, while legacy declarations on UTF-8 pages are common). Labels
map as browsers map them (``CHARSET_ALIASES``). Bytes that are not valid UTF-8 and declare
no legacy charset are read as UTF-8 whose invalid bytes are windows-1252 each: a UTF-8 page
with a few pasted windows-1252 characters keeps both kinds, and a windows-1252 page reads as
windows-1252 (its bytes almost never form valid UTF-8); a page of very many invalid bytes is
read whole (``MAX_FALLBACK_SEQUENCES``). Every byte decodes: nothing raises,
NUL and control characters are kept (a text must match its input line for line).
"""

from __future__ import annotations

import codecs
import functools
import re

from .tablecache import banked_regex

__all__ = ["decode_bytes", "content_type_charset", "codec_for"]

# Byte-order marks, longest first (the UTF-32LE mark starts with the UTF-16LE one).
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# UTF-16 without a BOM: in its first bytes, at least this share of the even (big-endian) or odd
# (little-endian) positions are NUL, and at most NUL_OTHER_MAX of the others (ASCII-range text).
UTF16_SNIFF_BYTES = 4096
UTF16_NUL_SHARE = 0.4
NUL_OTHER_MAX = 0.05
# Bytes searched for a <meta charset> declaration.
CHARSET_SNIFF_BYTES = 4096
# The codec of bytes with no usable declaration that are not (mostly) UTF-8: what browsers
# use for ISO-8859-1 and ASCII labels, and the commonest legacy encoding of the web.
FALLBACK_CODEC = "cp1252"

_META_CHARSET = banked_regex(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_CONTENT_TYPE_CHARSET = banked_regex(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)

# Charset labels as browsers read them (the WHATWG Encoding Standard's label table, the labels
# whose decoders differ from Python's codec of the same name) -> Python codec. ``None``: read as
# if nothing were declared (a UTF-16/32 label on bytes with no BOM that are not UTF-16: the
# standard reads a <meta> saying UTF-16 as UTF-8).
CHARSET_ALIASES: dict[str, str | None] = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "latin1", "l1",
                     "cp819", "ibm819", "iso-ir-100", "csisolatin1", "ascii", "us-ascii", "ansi_x3.4-1968",
                     "x-cp1252", "windows-1252", "cp1252"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "iso88599", "iso_8859-9", "iso_8859-9:1989", "latin5", "l5",
                     "iso-ir-148", "csisolatin5", "windows-1254", "cp1254"), "cp1254"),
    **dict.fromkeys(("iso-8859-11", "iso8859-11", "iso885911", "tis-620", "dos-874", "windows-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "gb_2312-80", "iso-ir-58", "cp936",
                     "gb18030"), "gb18030"),
    **dict.fromkeys(("euc-kr", "euc_kr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601", "korean",
                     "csksc56011987", "iso-ir-149", "windows-949", "cp949"), "cp949"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "ms932", "windows-31j", "csshiftjis",
                     "cp932"), "cp932"),
    **dict.fromkeys(("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"), "big5hkscs"),
    **dict.fromkeys(("iso-8859-8-i", "csiso88598i", "logical"), "iso8859-8"),
    **dict.fromkeys(("macintosh", "mac", "x-mac-roman", "csmacintosh"), "mac-roman"),
    **dict.fromkeys(("x-mac-cyrillic", "x-mac-ukrainian"), "mac-cyrillic"),
    **dict.fromkeys(("utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "unicode", "ucs-2",
                     "unicodefffe", "csunicode", "iso-10646-ucs-2", "unicodefeff"), None),
}
# Python codecs a declaration may name (through an alias above or any of Python's own names for
# them): ASCII-compatible text encodings of the web. Anything else declared (utf-7, rot13,
# unicode_escape, idna, a codec Python lacks) is ignored, as browsers ignore labels they lack.
WEB_CODECS: frozenset[str] = frozenset((
    "utf-8", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874",
    "cp866", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8",
    "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16", "koi8-r", "koi8-u", "mac-roman",
    "mac-cyrillic", "gb18030", "cp949", "cp932", "big5hkscs", "euc_jp", "iso2022_jp", "euc_kr", "gbk", "big5",
    "shift_jis",
))
# The codec error handler that reads each byte invalid in UTF-8 as FALLBACK_CODEC.
UTF8_FALLBACK_ERRORS = "newswinnow.utf8-fallback"
# The handler runs once per invalid sequence, in Python (~0.5 us): up to this many a page. Past it
# (binary junk, a long legacy page) the page is read whole, at C speed: as UTF-8 with U+FFFD when
# its valid multi-byte characters outnumber the invalid sequences, else as FALLBACK_CODEC.
MAX_FALLBACK_SEQUENCES = 10_000
# The replacement character as UTF-8 (a literal one is not an invalid sequence).
_FFFD_UTF8 = "\ufffd".encode()


def _fallback_bytes(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode(FALLBACK_CODEC, "replace"), err.end


codecs.register_error(UTF8_FALLBACK_ERRORS, _fallback_bytes)


@functools.lru_cache(maxsize=256)
def codec_for(label: str) -> str | None:
    """The Python codec a declared charset ``label`` means, or None for "as if undeclared"
    (unknown, not a web encoding, or a UTF-16/32 label without the bytes to match)."""
    key = label.strip().lower()
    if key in CHARSET_ALIASES:
        return CHARSET_ALIASES[key]
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    return name if name in WEB_CODECS else None


def content_type_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value (``text/html; charset=UTF-8``)."""
    if not content_type:
        return None
    m = _CONTENT_TYPE_CHARSET.search(content_type)
    return m.group(1) if m else None


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the NUL bytes fall on one parity, as in UTF-16 text."""
    n = len(head) // 2
    if n < 8:
        return None
    even, odd = head[0:2 * n:2].count(0) / n, head[1:2 * n:2].count(0) / n
    if odd >= UTF16_NUL_SHARE and even <= NUL_OTHER_MAX:
        return "utf-16-le"
    if even >= UTF16_NUL_SHARE and odd <= NUL_OTHER_MAX:
        return "utf-16-be"
    return None


def _declared(data: bytes, declared: str | None) -> str | None:
    """The codec of the first usable declaration: ``declared`` (the transport's), else a <meta>.
    Called on bytes that are not UTF-8, so a UTF-8 label is evidently wrong and the next
    declaration is asked (a server's default "charset=utf-8" over a windows-1251 page whose
    <meta> says so)."""
    if declared:
        codec = codec_for(declared)
        if codec is not None and codec != "utf-8":
            return codec
    m = _META_CHARSET.search(data, 0, CHARSET_SNIFF_BYTES)
    return codec_for(m.group(1).decode("ascii")) if m else None


def _undeclared(data: bytes) -> str:
    """Bytes that are not valid UTF-8 and declare no legacy charset (``MAX_FALLBACK_SEQUENCES``)."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count(_FFFD_UTF8)
    if bad <= MAX_FALLBACK_SEQUENCES:
        return data.decode("utf-8", UTF8_FALLBACK_ERRORS)
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text if non_ascii - bad > bad else data.decode(FALLBACK_CODEC, "replace")


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode page bytes without ever raising (the order: this module's docstring).

    ``declared``: the transport's charset label (an HTTP ``Content-Type``'s ``charset``), which
    goes before a ``<meta>`` declaration in the page."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace")
    codec = _utf16_without_bom(data[:UTF16_SNIFF_BYTES])  # first: ASCII-range UTF-16 is also valid UTF-8
    if codec:
        return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _declared(data, declared)
    if codec is not None and codec != "utf-8":
        return data.decode(codec, "replace")
    return _undeclared(data)
