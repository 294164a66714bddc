"""The link URL rules shared by the API and the legacy importer."""

from __future__ import annotations

import pytest

from banner_common.links import LinkRejected, check_link_url


def check(url: str, *, max_length: int = 2048, allowed_hosts: tuple[str, ...] = ()) -> str:
    return check_link_url(url, max_length=max_length, allowed_hosts=allowed_hosts)


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/winter?utm_source=mail&x=%20",
        "http://example.com",
        "HTTPS://Example.COM/Path",
        "https://example.com:8443/a#top",
        "http://[2001:db8::1]/promo",
        "http://192.0.2.10/promo",
        "https://例え.jp/セール",
    ],
)
def test_absolute_http_and_https_links_are_accepted_unchanged(url: str) -> None:
    assert check(url) == url


def test_surrounding_whitespace_is_trimmed() -> None:
    assert check("  https://example.com/a \n") == "https://example.com/a"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", "not javascript:"),
        ("JavaScript:alert(1)", "not javascript:"),
        ("data:text/html,<b>hi</b>", "not data:"),
        ("vbscript:msgbox", "not vbscript:"),
        ("ftp://example.com/file", "not ftp:"),
        ("mailto:sales@example.com", "not mailto:"),
    ],
)
def test_schemes_other_than_http_and_https_are_refused(url: str, expected: str) -> None:
    with pytest.raises(LinkRejected, match=expected):
        check(url)


@pytest.mark.parametrize(
    "url", ["/winter-sale", "winter-sale.html", "www.example.com/sale", "//example.com/x"]
)
def test_relative_and_scheme_less_links_are_refused(url: str) -> None:
    with pytest.raises(LinkRejected, match="absolute"):
        check(url)


@pytest.mark.parametrize("url", ["https://", "https:///path", "http:example.com", "https://:443/x"])
def test_links_without_a_host_are_refused(url: str) -> None:
    with pytest.raises(LinkRejected, match="no host"):
        check(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/winter sale",
        "https://example.com/a\tb",
        "https://exa\nmple.com/",
        "https://example.com/\x00",
        "https://example.com/\u200bhidden",
        "https://example.com/a\u3000b",
    ],
)
def test_whitespace_and_control_characters_inside_are_refused(url: str) -> None:
    with pytest.raises(LinkRejected, match="spaces or control characters"):
        check(url)


def test_a_link_of_exactly_the_limit_is_accepted_and_one_longer_refused() -> None:
    base = "https://example.com/"
    at_limit = base + "a" * (100 - len(base))
    assert check(at_limit, max_length=100) == at_limit
    with pytest.raises(LinkRejected, match="101 characters long; the limit is 100"):
        check(at_limit + "a", max_length=100)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:secret@example.com/", "user name or password"),
        ("https://example.com@evil.test/", "user name or password"),
        ("https://example.com\\@evil.test/", "backslashes"),
        ("https://example.com:99999/", "port"),
        ("https://exa mple.com/", "spaces"),
        ("https://-bad-.example.com/", "not a valid host name"),
        ("https://example..com/", "not a valid host name"),
    ],
)
def test_malformed_or_deceptive_links_are_refused(url: str, expected: str) -> None:
    with pytest.raises(LinkRejected, match=expected):
        check(url)


def test_an_empty_link_is_refused() -> None:
    with pytest.raises(LinkRejected, match="required"):
        check("   ")


@pytest.mark.parametrize(
    "url", ["https://example.com/x", "https://shop.example.com/x", "https://A.Shop.EXAMPLE.com./x"]
)
def test_allowed_hosts_admit_the_host_and_its_subdomains(url: str) -> None:
    assert check(url, allowed_hosts=("example.com", "partner.test")) == url


@pytest.mark.parametrize(
    "url", ["https://evil.test/", "https://notexample.com/", "https://example.com.evil.test/"]
)
def test_allowed_hosts_refuse_every_other_host(url: str) -> None:
    with pytest.raises(LinkRejected, match=r"may only point to example\.com"):
        check(url, allowed_hosts=("Example.com",))


def test_rejection_is_a_value_error_for_callers_that_catch_those() -> None:
    with pytest.raises(ValueError, match="not javascript:"):
        check("javascript:void(0)")
