"""What the helpers that run many calls need of a session, as a protocol.

Why a module of its own: the batch engine (:mod:`._batch`) and ``call_many`` (:mod:`._many`)
are loaded by the session on first use; typing them against ``BaseSession`` itself would make
an import cycle (``_session`` → helper → ``_session``). Any mailru_sync session satisfies this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["Caller"]


class Caller(Protocol):
    """A session as seen by a helper that only calls methods."""

    @property
    def platform(self) -> str: ...

    def is_write(self, method: str) -> bool: ...

    def call(
        self, method: str, params: Mapping[str, Any] | None = None, *, write: bool | None = None
    ) -> Any:
        """``session.call`` (the helpers use no other option of it)."""
