"""Rules a banner's link URL must follow, shared by the API and the legacy importer."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

ALLOWED_SCHEMES = ("http", "https")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class LinkRejected(ValueError):
    """A link URL breaks a rule; the message says which, in words a planner understands."""


def check_link_url(url: str, *, max_length: int, allowed_hosts: Iterable[str] = ()) -> str:
    """Return the URL (surrounding whitespace trimmed) if a mail reader may safely follow it, else raise."""
    candidate = url.strip()
    if not candidate:
        raise LinkRejected("a link URL is required")
    if len(candidate) > max_length:
        raise LinkRejected(f"the link is {len(candidate)} characters long; the limit is {max_length}")
    if any(_is_space_or_control(char) for char in candidate):
        raise LinkRejected("the link must not contain spaces or control characters")
    if "\\" in candidate:
        # Browsers read a backslash as a slash, so the host they visit could differ from the one checked.
        raise LinkRejected("the link must not contain backslashes")
    parts = urlsplit(candidate)
    scheme = parts.scheme.lower()
    if not scheme or not candidate.lower().startswith(f"{scheme}:"):
        raise LinkRejected("the link must be absolute, starting with http:// or https://")
    if scheme not in ALLOWED_SCHEMES:
        raise LinkRejected(f"the link must start with http:// or https:// (not {scheme}:)")
    if not candidate[len(scheme) + 1 :].startswith("//") or not parts.netloc:
        raise LinkRejected(f"the link has no host; write it as {scheme}://host/path")
    if "@" in parts.netloc:
        raise LinkRejected("the link must not contain a user name or password")
    host = _checked_host(parts.hostname or "")
    _check_port(parts)
    hosts = tuple(_normalise_host(allowed) for allowed in allowed_hosts if allowed.strip())
    if hosts and not any(host == allowed or host.endswith("." + allowed) for allowed in hosts):
        raise LinkRejected(f"links may only point to {', '.join(hosts)} (or their subdomains), not {host}")
    return candidate


def _is_space_or_control(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _checked_host(raw_host: str) -> str:
    host = _normalise_host(raw_host)
    if not host:
        raise LinkRejected("the link has no host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise LinkRejected(f"the host {raw_host!r} is not a valid host name") from exc
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise LinkRejected(f"the host {raw_host!r} is not a valid host name")
    return host


def _check_port(parts: SplitResult) -> None:
    try:
        _ = parts.port  # urllib validates the port only when it is read
    except ValueError as exc:
        raise LinkRejected("the port must be a number between 0 and 65535") from exc
