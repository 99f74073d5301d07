"""The registered domain of a page's URL, for per-source aggregation.

A first version without a public-suffix list: it lower-cases the host, drops credentials,
port and a leading ``www.``, converts IDNs to their ASCII form, and keeps the last two labels,
or three under the common two-part country suffixes in ``TWO_PART_SECOND_LEVEL``
(``bbc.co.uk``, ``abc.net.au``). Issue 5 replaces the heuristic with a maintained suffix list.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Second-level labels under which country-code TLDs register names ("co.uk", "com.au").
TWO_PART_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go", "gob", "nic"})
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def registered_domain(url: str | None) -> str | None:
    """``https://www.news.bbc.co.uk:443/x`` -> ``bbc.co.uk``; None when there is no host."""
    if not url or not isinstance(url, str):
        return None
    u = url.strip()
    if "://" not in u:
        u = "http://" + u.lstrip("/")
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if _IPV4.match(host) or ":" in host:
        return host
    parts = [p for p in host.split(".") if p]
    if len(parts) <= 2:
        return ".".join(parts) or None
    if len(parts[-1]) == 2 and parts[-2] in TWO_PART_SECOND_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])
