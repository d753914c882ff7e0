"""``API(session)``: attribute-style access to REST methods, as in aiomailru/aiookru.

``api.friends.get(**params)`` and ``api("friends.get", **params)`` both become
``session.call("friends.get", params)``. Attribute chains may be as deep as the method names
(``api.photos.getAlbums``). Per-call transport options (GET/POST, write) are on
:meth:`BaseSession.call`, so parameter names stay free for the platform.

Two helpers ride on the same names: ``api.stream.get.iter(**params)`` pages through a listing
(:meth:`BaseSession.iter`), and ``api.batch(calls)`` runs many OK calls in few
``batch.executeV2`` requests, while ``api.batch.executeV2(...)`` stays the raw method.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._session import BaseSession
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .options import CallManyOptions, Unpack

__all__ = ["API", "APIMethod", "BatchMethod"]


class APIMethod:
    """A (possibly partial) method name bound to a session; call it to run the method.

    ``api.photos`` is the partial name ``"photos"``; each attribute adds a part
    (``api.photos.getAlbums``), and calling it runs the method with the keyword arguments as
    its parameters. ``.iter(**params)`` pages through a listing instead of returning one page.
    """

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
        """Run this method with ``params`` (``session.call(name, params)``): the decoded JSON,
        or an :class:`~mailru_sync.APIError` subclass for the platform's error."""
        return self._session.call(self._name, params)

    def iter(
        self,
        *,
        max_items: int | None = None,
        page_size: int | None = None,
        progress: bool = False,
        **params: Any,
    ) -> Iterator[Any]:
        """Yield the items of every page of this listing, lazily (see ``session.PAGING``)."""
        return self._session.iter(
            self._name, params, max_items=max_items, page_size=page_size, progress=progress
        )

    def __repr__(self) -> str:
        return f"<APIMethod {self._name!r} of {self._session!r}>"


class BatchMethod(APIMethod):
    """``api.batch``: call it with ``(method, params)`` pairs to batch them (OK only); its
    attributes stay methods (``api.batch.executeV2(methods=...)`` is the raw call)."""

    __slots__ = ()

    def __call__(  # type: ignore[override]
        self,
        calls: Iterable[tuple[str, Mapping[str, Any] | None]],
        *,
        raise_errors: bool = False,
        batch_size: int | None = None,
    ) -> list[Any]:
        """Results in order, each the call's value or the ``APIError`` it produced.

        ``batch_size``: sub-calls per request, 1 to 50; ``None`` sends the most (50).
        """
        from ._batch import MAX_BATCH_SIZE, execute_batch  # loads on the first batch

        if batch_size is None:
            batch_size = MAX_BATCH_SIZE
        return execute_batch(self._session, calls, raise_errors=raise_errors, batch_size=batch_size)


class API:
    """Entry point for API calls, on either platform: ``API(session).friends.get()``.

    * **Attribute chaining**: ``api.friends.get`` is an :class:`APIMethod` named
      ``"friends.get"``; calling it, ``api.friends.get(uid=1)``, sends the method with the
      keyword arguments as parameters and returns the decoded JSON (the session signs it).
    * **Calling the API itself**: ``api("friends.get", uid=1)`` does the same with the name as
      a string (for names built at run time).
    * **Paging**: ``api.stream.get.iter(**params)`` yields the items of every page of a
      listing, lazily (``max_items=``, ``page_size=``); see ``session.PAGING``.
    * **Many calls at once**: ``api.call_many([("users.getInfo", {...}), ...], workers=8)``
      runs them concurrently over the shared pool, results in order (``session.call_many``).
    * **Batches** (OK): ``api.batch([("users.getInfo", {...}), ...])`` runs many calls in few
      ``batch.executeV2`` requests and returns each result (or its ``APIError``) in order;
      ``api.batch.executeV2(methods=...)`` stays the raw method.

    Per-call transport options (GET/POST, write) are on ``session.call``, so every keyword of
    a method call stays free for the platform's parameters.
    """

    __slots__ = ("_session",)

    if TYPE_CHECKING:
        #: For type checkers: ``api.batch([...])`` is the batch helper (OK; see above).
        batch: BatchMethod

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
        if name == "batch":
            return BatchMethod(self._session, name)
        return APIMethod(self._session, name)

    def call_many(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any] | None]],
        **options: Unpack[CallManyOptions],
    ) -> list[Any]:
        """Run independent ``(method, params)`` calls concurrently (``session.call_many``):
        results in input order, each the value or the library error it produced; on OK, reads
        travel in ``batch.executeV2`` requests unless ``batch=False``."""
        return self._session.call_many(calls, **options)

    def __call__(self, method: str, **params: Any) -> Any:
        """Run ``method`` (a dotted name, e.g. ``"friends.get"``) with ``params``:
        ``api("friends.get", uid=1)`` is ``api.friends.get(uid=1)``."""
        return self._session.call(method, params)

    def __dir__(self) -> list[str]:
        # ``batch`` is reached through __getattr__; list it where the platform has batches.
        names = set(super().__dir__())
        if self._session.platform == "ok":
            names.add("batch")
        return sorted(names)

    def __repr__(self) -> str:
        return f"<API of {self._session!r}>"
