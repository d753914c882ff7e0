"""Endpoint URLs and the ``base_url`` rewrite.

Why: with ``base_url="http://127.0.0.1:8080"`` every URL a session uses (API, OAuth, login pages,
default redirect URIs) moves to that origin with its path kept, so one option reaches the
emulator, a proxy or a test server. The real hosts stay the trusted origins otherwise.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .exceptions import ConfigurationError

__all__ = ["check_base_url", "origin_of", "rebase"]


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


def rebase(url: str, base_url: str | None) -> str:
    """Move ``url`` to ``base_url``'s origin (and path prefix), keeping its own path and query."""
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
