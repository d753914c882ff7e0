"""aiomailru-style ``cookies=``: a mapping, a cookie jar, or dicts with ``name``/``value``."""

from __future__ import annotations

import http.cookiejar
from collections.abc import Mapping
from typing import cast

from requests.cookies import RequestsCookieJar

from ._options import CookiesOption
from .exceptions import ConfigurationError

__all__ = ["seed_cookies"]


def seed_cookies(jar: RequestsCookieJar, cookies: CookiesOption) -> None:
    """Put aiomailru-style ``cookies`` into the jar: a mapping, a cookie jar, or dicts with
    ``name``/``value`` (and optional ``domain``, ``path``, ``secure``)."""
    if isinstance(cookies, http.cookiejar.CookieJar):
        jar.update(cookies)
        return
    if isinstance(cookies, Mapping):
        for name, value in cookies.items():
            jar.set(str(name), str(value))
        return
    if isinstance(cast(object, cookies), (str, bytes)):
        raise ConfigurationError("cookies must be a mapping or a list of cookie dicts")
    for cookie in cookies:
        if not isinstance(cookie, Mapping) or "name" not in cookie or "value" not in cookie:
            raise ConfigurationError(
                "each cookie must be a dict with 'name' and 'value' (and optionally "
                "'domain', 'path', 'secure')"
            )
        jar.set(
            str(cookie["name"]),
            str(cookie["value"]),
            domain=str(cookie.get("domain") or ""),
            path=str(cookie.get("path") or "/"),
            secure=bool(cookie.get("secure", False)),
        )
