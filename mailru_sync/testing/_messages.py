"""Request and response values shared by the HTTP server core and the platform emulators.

Why a module of their own: the server core, the fault injection and every platform handler
speak these values, and none of them should need another to read a request or build an answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["EmulatorRequest", "EmulatorResponse", "LoggedRequest", "check_redirect_uri"]


@dataclass(frozen=True)
class EmulatorRequest:
    """One decoded HTTP request, as a platform emulator sees it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    params: dict[str, str]
    duplicate_keys: frozenset[str]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    raw_query: str


@dataclass
class EmulatorResponse:
    """What a platform emulator answers; the server adds Content-Length, Date, Connection."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, obj: object, content_type: str, status: int = 200) -> EmulatorResponse:
        """Compact UTF-8 JSON (non-ASCII kept as is, like the real platforms)."""
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return cls(status=status, body=text.encode("utf-8"), content_type=content_type)

    @classmethod
    def html(cls, text: str, status: int = 200) -> EmulatorResponse:
        """An HTML page (UTF-8), as the login and consent dialogs are served."""
        body = text.encode("utf-8")
        return cls(status=status, body=body, content_type="text/html; charset=utf-8")

    @classmethod
    def redirect(
        cls, location: str, status: int = 302, headers: Iterable[tuple[str, str]] = ()
    ) -> EmulatorResponse:
        """A redirect to ``location`` (302 unless ``status``), with a tiny HTML body."""
        body = f'<html><body><a href="{_html_attr(location)}">Redirect</a></body></html>'
        return cls(
            status=status,
            body=body.encode("utf-8"),
            content_type="text/html; charset=utf-8",
            headers=[("Location", location), *headers],
        )


@dataclass(frozen=True)
class LoggedRequest:
    """One entry of :attr:`BaseEmulator.requests` (what the client sent, and any injected fault)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float
    fault: str | None



def _html_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )



def check_redirect_uri(uri: str) -> str:
    """An absolute http(s) URL without query or fragment, as the platforms register them.

    Both platforms match the redirect URI of a request against the registered one without its
    query (OK documents it; Mail.ru clients such as social-auth-core rely on it), so a registered
    URI carrying a query could never match: refuse it early with a message that says so.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"redirect URI {uri!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise ValueError(f"register the redirect URI {uri!r} without its query and fragment")
    return uri

