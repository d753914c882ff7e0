"""The HTTP request of one signed API call: GET or POST, and its ``requests.Request``.

Why GET by default: the platforms take both, and a GET's answer is what proxies and logs show
plainly; writes go as POST (never cached, never prefetched), and so does a call whose URL would
pass :data:`MAX_GET_URL_LENGTH` (servers and proxies cut long URLs).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import requests

from .exceptions import ConfigurationError

__all__ = ["MAX_GET_URL_LENGTH", "build_request", "choose_verb"]

#: A GET whose URL would be longer than this goes as a form POST instead.
MAX_GET_URL_LENGTH = 2000


def choose_verb(
    url: str,
    signed: Mapping[str, str],
    http_method: str | None,
    is_write: bool,
    encoded: str | None = None,
) -> str:
    """``http_method`` if given (checked), else POST for writes and long calls, else GET."""
    if http_method is not None:
        verb = str(http_method).upper()
        if verb not in ("GET", "POST"):
            raise ConfigurationError(
                f"http_method must be 'GET' or 'POST', got {http_method!r}"
            )
        return verb
    if is_write:
        return "POST"
    if encoded is None:
        encoded = urlencode(signed)
    return "POST" if len(url) + 1 + len(encoded) > MAX_GET_URL_LENGTH else "GET"


def build_request(verb: str, url: str, signed: Mapping[str, str]) -> requests.Request:
    """The ``requests.Request`` of a call (``prepare_call`` shows it without sending)."""
    if verb == "GET":
        return requests.Request("GET", url, params=dict(signed))
    return requests.Request("POST", url, data=dict(signed))
