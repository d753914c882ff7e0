"""Mapping a platform error object to the right :class:`~mailru_sync.APIError` subclass.

Each platform keeps its own code table (``mailru_sync.mailru.errors``, ``mailru_sync.ok.errors``);
this module only holds the one function both use, so the mapping logic exists once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exceptions import APIError, ResponseError

__all__ = ["build_api_error", "coerce_code", "is_error_code", "malformed_envelope"]


def coerce_code(value: object) -> int:
    """The numeric error code; garbage becomes ``0`` (unknown) rather than a stray exception."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def is_error_code(value: object) -> bool:
    """Whether ``value`` is an error code as the platforms send it: an int or a str of digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def malformed_envelope(method: str, field: str, body: Mapping[str, Any]) -> ResponseError:
    """The error for a body that has the platform's error field but not its error object.

    Why not an :class:`APIError`: a proxy's ``{"error": "unavailable"}`` or a body whose
    ``error`` key was shadowed by a duplicate ``"error": null`` is not the platform speaking;
    calling it "error 0" hides the real cause and stops the read from being retried.
    """
    return ResponseError(
        f"{method}: the body has {field!r} but not the platform's error object "
        f"(keys {sorted(str(k) for k in body)[:10]}); a proxy or a broken server answered",
        method=method,
    )


def build_api_error(
    table: Mapping[int, type[APIError]],
    fields: Mapping[str, Any],
    body: Any,
    *,
    method: str,
    platform: str,
) -> APIError:
    """Instantiate the class ``table`` names for the code in ``fields`` (``APIError`` if none)."""
    code = coerce_code(fields.get("error_code"))
    msg = fields.get("error_msg")
    cls = table.get(code, APIError)
    return cls(
        code,
        str(msg) if msg is not None else "(no error message)",
        method=method,
        data=fields.get("error_data"),
        error=body if isinstance(body, Mapping) else dict(fields),
        platform=platform,
    )
