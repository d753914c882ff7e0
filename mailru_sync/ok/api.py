"""``aiookru.api`` under its upstream path: :class:`~mailru_sync.api.API` and its method objects.

One ``API`` serves both platforms (the session decides where a call goes), so this module only
re-exports the names of :mod:`mailru_sync.api`.
"""

from __future__ import annotations

from ..api import API, APIMethod, BatchMethod

__all__ = ["API", "APIMethod", "BatchMethod"]
