"""Mapping a platform error object to the right :class:`~mailru_sync.APIError` subclass.

Each platform keeps its own code table (``mailru_sync.mailru.errors``, ``mailru_sync.ok.errors``);
this module only holds the one function both use, so the mapping logic exists once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exceptions import APIError

__all__ = ["build_api_error", "coerce_code"]


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
