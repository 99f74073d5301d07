"""The registered domain of a page's URL (its ``source``), for per-source aggregation.

The public-suffix rules come from the ``publicsuffixlist`` package, which bundles a snapshot of
the Mozilla Public Suffix List (ICANN and private sections) and reads it from the installed
package: nothing is fetched at run time, and upgrading the package updates the list. Private
suffixes count, so ``alice.blogspot.com`` and ``bob.blogspot.com`` are two sources, as they are
two publishers.

The result is lower-case ASCII (IDNs in their ``xn--`` form), so ``münchen.de`` and
``xn--mnchen-3ya.de`` are one source. Hosts without a registered domain (an IP address, an
intranet name such as ``localhost``, a bare public suffix) are returned as they are.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from features.tablecache import banked_regex

# Distinct hosts remembered (pages of one crawl come from far fewer hosts than pages).
HOST_CACHE_SIZE = 1 << 16
# A host name: letters (any script), digits, hyphens, underscores and dots; nothing else.
_HOST_RX = banked_regex(r"[\w.-]+")
_psl: PublicSuffixList | None = None


def _suffix_list() -> PublicSuffixList:
    """The bundled list, parsed once per process on first use (~0.1 s)."""
    global _psl
    if _psl is None:
        _psl = PublicSuffixList()
    return _psl


def _to_unicode(host: str) -> str:
    """``xn--`` labels decoded, so they match the list's Unicode rules for IDN suffixes."""
    if "xn--" not in host:
        return host
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def _to_ascii(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@lru_cache(maxsize=HOST_CACHE_SIZE)
def domain_of_host(host: str) -> str | None:
    """``news.bbc.co.uk`` -> ``bbc.co.uk``; None for a string that is not a host name."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if not _HOST_RX.fullmatch(host) or host.startswith(".") or ".." in host:
        return None
    uni = _to_unicode(host)
    registered = _suffix_list().privatesuffix(uni)
    return _to_ascii(registered or uni)


def registered_domain(url: str | None) -> str | None:
    """``https://www.news.bbc.co.uk:443/x`` -> ``bbc.co.uk``; None when there is no host.

    Accepts a missing scheme (``bbc.co.uk/news``, ``//bbc.co.uk``), credentials, ports, IPv6
    literals and IDNs.
    """
    if not url or not isinstance(url, str):
        return None
    u = url.strip()
    if "://" not in u:
        u = "http://" + u.lstrip("/")
    try:
        parts = urlsplit(u)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if not host:
        return None
    return domain_of_host(host)
