"""``API(session)``: attribute-style access to REST methods, as in aiomailru/aiookru.

``api.friends.get(**params)`` and ``api("friends.get", **params)`` both become
``session.call("friends.get", params)``. Attribute chains may be as deep as the method names
(``api.photos.getAlbums``). Per-call transport options (GET/POST, write) are on
:meth:`BaseSession.call`, so parameter names stay free for the platform.
"""

from __future__ import annotations

from typing import Any

from ._session import BaseSession
from .exceptions import ConfigurationError

__all__ = ["API", "APIMethod"]


class APIMethod:
    """A (possibly partial) method name bound to a session; call it to run the method."""

    __slots__ = ("_name", "_session")

    def __init__(self, session: BaseSession, name: str) -> None:
        self._session = session
        self._name = name

    @property
    def name(self) -> str:
        """The dotted method name, e.g. ``"photos.getAlbums"``."""
        return self._name

    def __getattr__(self, name: str) -> APIMethod:
        if name.startswith("_"):  # keep copy/pickle/inspection protocols working
            raise AttributeError(name)
        return APIMethod(self._session, f"{self._name}.{name}")

    def __call__(self, **params: Any) -> Any:
        return self._session.call(self._name, params)

    def __repr__(self) -> str:
        return f"<APIMethod {self._name!r} of {self._session!r}>"


class API:
    """Entry point for API calls: ``API(session).friends.get()``."""

    __slots__ = ("_session",)

    def __init__(self, session: BaseSession) -> None:
        if not isinstance(session, BaseSession):
            raise ConfigurationError(
                f"API needs a mailru_sync session (e.g. TokenSession), got {type(session).__name__}"
            )
        self._session = session

    @property
    def session(self) -> BaseSession:
        """The session that signs and sends the calls."""
        return self._session

    def __getattr__(self, name: str) -> APIMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        return APIMethod(self._session, name)

    def __call__(self, method: str, **params: Any) -> Any:
        return self._session.call(method, params)

    def __repr__(self) -> str:
        return f"<API of {self._session!r}>"
