"""Turning an HTTP response into decoded JSON or a library exception.

Why a separate module: every way a body can be wrong (HTML error page, empty, truncated, not
UTF-8, ``null``, a 5xx from a proxy) must end in a :class:`~mailru_sync.ResponseError` that names
the HTTP status and shows a short snippet — never a bare ``JSONDecodeError``.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import requests

from .exceptions import HTTPStatusError, ResponseError

__all__ = ["decode_json", "parse_retry_after", "snippet_of"]

_SNIPPET_LEN = 160


def snippet_of(text: str, redact: Callable[[str], str] = str) -> str:
    """First characters of a body, whitespace collapsed, secrets redacted: for messages."""
    flat = " ".join(text.split())
    short = flat[:_SNIPPET_LEN] + ("…" if len(flat) > _SNIPPET_LEN else "")
    return redact(short)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def decode_json(
    response: requests.Response,
    *,
    method: str,
    redact: Callable[[str], str] = str,
    raw: bytes | None = None,
    release: bool = False,
) -> Any:
    """Decode the body as JSON or raise :class:`ResponseError` / :class:`HTTPStatusError`.

    The platform's error objects are *not* interpreted here; that is each platform's job.
    A non-JSON body with an HTTP error status raises :class:`HTTPStatusError`. ``raw`` is the
    body when the caller already read it (streamed), else ``response.content`` is used.

    ``release=True`` (the caller keeps no reference to the bytes) drops the body from the
    response once it is decoded to text, so a large answer is held as bytes *or* text while
    its objects are built, never both: peak memory is about two sizes of the body, not three.
    """
    status = response.status_code
    content_type = response.headers.get("Content-Type", "")
    if raw is None:
        raw = response.content or b""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    kind = HTTPStatusError if status >= 400 else ResponseError

    def fail(problem: str, text: str) -> ResponseError:
        snippet = snippet_of(text, redact)
        shown = f": {snippet!r}" if snippet else ""
        return kind(
            f"{method or 'request'}: {problem} (HTTP {status}, "
            f"Content-Type {content_type or 'none'!r}){shown}",
            method=method,
            status=status,
            content_type=content_type,
            snippet=snippet,
            retry_after=retry_after,
        )

    if not raw or raw.isspace():  # isspace, not strip: no copy of a large body
        raise fail("empty response body where JSON was expected", "")
    try:
        # Decoded as UTF-8 explicitly: json.loads(bytes) would also guess UTF-16/32.
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(
            "response body is not UTF-8 text", raw[:4096].decode("utf-8", errors="replace")
        ) from None
    if release:
        response._content = b""
        raw = None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except _NonStandardNumber as exc:
        raise fail(f"response body uses {exc.args[0]}, which JSON does not allow", text) from None
    except RecursionError:
        raise fail("response body is JSON nested too deeply to decode", text) from None
    except ValueError:
        raise fail(
            "response body is not valid JSON (an HTML page or a truncated body?)", text
        ) from None


class _NonStandardNumber(ValueError):
    """``NaN``/``Infinity``: Python's json accepts them, no platform sends them, so a body that
    has them did not come from the platform; refusing them keeps floats finite for callers."""


def _refuse_constant(name: str) -> Any:
    raise _NonStandardNumber(name)
