"""``source``: the registered domain of a page's url, from the bundled public-suffix list."""

from __future__ import annotations

import pytest

from classifier.source import domain_of_host, registered_domain


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.nytimes.com/2012/07/x", "nytimes.com"),              # www.
    ("http://news.bbc.co.uk/sport/x.stm", "bbc.co.uk"),                # subdomain + two-part suffix
    ("https://www.abc.net.au/news", "abc.net.au"),
    ("http://www.childrensabilityfund.ab.ca/", "childrensabilityfund.ab.ca"),  # three-part suffix
    ("http://city.kawasaki.jp/x", "city.kawasaki.jp"),                 # exception rule (!city.kawasaki.jp)
    ("http://foo.bar.kawasaki.jp/", "foo.bar.kawasaki.jp"),            # wildcard rule (*.kawasaki.jp)
    ("http://alice.blogspot.com/post", "alice.blogspot.com"),          # private suffix: one blog, one source
    ("https://www.news.bbc.co.uk:443/x", "bbc.co.uk"),                 # port
    ("//example.org:8080/", "example.org"),                            # scheme-relative
    ("bbc.co.uk/news/1", "bbc.co.uk"),                                 # missing scheme
    ("Example.COM.", "example.com"),                                   # case, trailing dot
    ("http://user:secret@Sub.Example.com/a", "example.com"),           # credentials
    ("https://www.münchen.de/x", "xn--mnchen-3ya.de"),                 # IDN -> ASCII
    ("http://xn--mnchen-3ya.de/", "xn--mnchen-3ya.de"),
    ("http://www.例え.jp/", "xn--r8jz45g.jp"),
    ("http://a.b.公司.香港/", "b.xn--55qx5d.xn--j6w193g"),                # IDN public suffix of two labels
    ("http://a.b.xn--55qx5d.xn--j6w193g/", "b.xn--55qx5d.xn--j6w193g"),
    ("http://192.168.0.1:8080/x", "192.168.0.1"),                      # IP addresses as they are
    ("http://[2001:db8::1]:80/", "2001:db8::1"),
    ("http://localhost:8000/", "localhost"),
    ("http://abc.unknowntld/", "abc.unknowntld"),                      # unlisted TLD: last two labels
])
def test_registered_domain(url: str, expected: str) -> None:
    assert registered_domain(url) == expected


@pytest.mark.parametrize("url", [None, "", "   ", "not a url", "http://", "http://example.com:99999/",
                                 "http://exa mple.com/", "http://a..b.com/"])
def test_no_domain(url: str | None) -> None:
    assert registered_domain(url) is None


def test_domain_of_host_is_cached_and_consistent() -> None:
    assert domain_of_host("www.bbc.co.uk") == domain_of_host("WWW.BBC.CO.UK") == "bbc.co.uk"
    hits = domain_of_host.cache_info().hits
    assert domain_of_host("www.bbc.co.uk") == "bbc.co.uk"
    assert domain_of_host.cache_info().hits == hits + 1


def test_classifier_fills_source(rigged_clf) -> None:
    doc = rigged_clf.classify_text("The council approved the bridge budget.", url="https://www.example.co.uk:8443/n/1")
    assert doc.source == "example.co.uk" and doc.to_dict()["source"] == "example.co.uk"
    assert rigged_clf.classify_text("No url here.").source is None
