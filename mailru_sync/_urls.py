"""Endpoint URLs and the ``base_url`` rewrite.

Why: with ``base_url="http://127.0.0.1:8080"`` every URL a session uses (API, OAuth, login pages,
default redirect URIs) moves to that origin with its path kept, so one option reaches the
emulator, a proxy or a test server. The real hosts stay the trusted origins otherwise.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .exceptions import ConfigurationError

__all__ = ["check_base_url", "credential_origin", "origin_of", "rebase"]


def check_base_url(base_url: str | None) -> str | None:
    """Validate the ``base_url`` option; return it without a trailing slash."""
    if base_url is None:
        return None
    if not isinstance(base_url, str):
        raise ConfigurationError(
            f"base_url must be a str like 'http://127.0.0.1:8080', got {base_url!r}"
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL like 'http://127.0.0.1:8080', "
            f"got {base_url!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


@functools.lru_cache(maxsize=256)
def rebase(url: str, base_url: str | None) -> str:
    """Move ``url`` to ``base_url``'s origin (and path prefix), keeping its own path and query.

    Cached: every API call asks for the same few URLs, and splitting them twice per call showed
    in the per-call profile.
    """
    if not base_url:
        return url
    base = urlsplit(base_url)
    original = urlsplit(url)
    path = base.path.rstrip("/") + (original.path or "/")
    return urlunsplit((base.scheme, base.netloc, path, original.query, original.fragment))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def credential_origin(url: str) -> str | None:
    """The origin the transport will connect to for ``url``, or ``None`` if that is ambiguous.

    Why: trust must be decided on the URL exactly as the transport parses it. ``urlsplit`` and
    urllib3 disagree on ``http://good\\@evil/`` (backslash), on userinfo, on stray whitespace
    and on percent-encoded or non-ASCII hosts; a check built on one parser can pass a URL that
    the other sends elsewhere. So the URL is prepared as requests prepares it, parsed with
    urllib3 (what connects), compared with the stdlib's view, and refused outright when it has
    userinfo, a backslash, whitespace or control characters, or when the two views differ.
    """
    if "\\" in url or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return None
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        parsed = parse_url(prepared.url or "")
        stdlib = urlsplit(url)
        stdlib_origin = origin_of(url)
    except (requests.exceptions.RequestException, LocationParseError, ValueError):
        return None
    if parsed.auth or "@" in stdlib.netloc or parsed.scheme not in ("http", "https"):
        return None
    host = (parsed.host or "").strip("[]").lower()
    if not host or "%" in host or not host.isascii():
        return None
    scheme = parsed.scheme
    port = parsed.port
    origin = (
        f"{scheme}://{host}"
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else f"{scheme}://{host}:{port}"
    )
    return origin if origin == stdlib_origin else None
