"""Session attributes that live in one of the session's parts, and the lazy paging table.

Why: the session is composed of parts (token state, platform dialect), but its public
attributes stay where users know them (``session.refresh_token``, ``session.uid``). A
:class:`PartField` reads and writes the attribute of the same name on the part, so there is one
copy of each value and no code that keeps two in sync.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._options import Setting

if TYPE_CHECKING:
    from ._options import TokenData, TokenUpdater
    from ._paging import Paging
    from ._ratelimit import Limiter
    from ._retry import RetryPolicy
    from .stores import TokenStore

__all__ = ["PagingTable", "PartField", "SettingAttributes", "TokenAttributes"]

_T = TypeVar("_T")


class PartField(Generic[_T]):
    """``session.<name>`` backed by ``session.<part>.<attribute>`` (default: the same name)."""

    __slots__ = ("attribute", "name", "part")

    def __init__(self, part: str, attribute: str = "") -> None:
        self.part = part
        self.attribute = attribute
        self.name = attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if not self.attribute:
            self.attribute = name

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        if instance is None:
            return self  # type: ignore[return-value]  # the class attribute is the descriptor
        value: _T = getattr(instance.__dict__[self.part], self.attribute)
        return value

    def __set__(self, instance: Any, value: object) -> None:
        setattr(instance.__dict__[self.part], self.attribute, value)


class SettingAttributes:
    """The options a call reads, each backed by the session's immutable ``Settings``
    (``self._settings``, see :mod:`._options`): a mixin of :class:`BaseSession`."""

    #: Return the platform's raw error dict instead of raising :class:`APIError`.
    pass_error: Setting[bool] = Setting("pass_error")
    #: Origin (and path prefix) replacing the platform hosts; ``None`` = the real hosts.
    base_url: Setting[str | None] = Setting("base_url")
    #: Default timeout of every request this session sends (``requests`` semantics).
    timeout: Setting[float | tuple[float | None, float | None]] = Setting("timeout")
    #: Retries of transport failures and 5xx statuses (from ``max_retries``).
    retry_policy: Setting[RetryPolicy] = Setting("retry_policy")
    #: Keep-alive connections kept per host.
    pool_maxsize: Setting[int] = Setting("pool_maxsize")
    #: Client-side pacing: a limiter with ``acquire()`` (``RateLimiter``, or a shared
    #: ``mailru_sync.stores.RedisRateLimiter``), built from a number of calls per second.
    rate_limiter: Setting[Limiter | None] = Setting("rate_limiter")
    #: How many times a call is retried after a flood/limit error (0 = raise at once).
    retry_on_flood: Setting[int] = Setting("retry_on_flood")
    #: First wait after a flood error; doubles on each further one.
    flood_wait: Setting[float] = Setting("flood_wait")
    #: Opt in to resending writes after transport failures and 5xx (may post twice!).
    retry_writes: Setting[bool] = Setting("retry_writes")
    #: Extra API methods to treat as writes, besides :attr:`WRITE_METHODS`.
    write_methods: Setting[frozenset[str]] = Setting("write_methods")
    #: Refresh this many seconds before the known expiry.
    refresh_margin: Setting[float] = Setting("refresh_margin")
    #: The longest one call may take in all: every attempt (status line, headers and body
    #: included, however slowly they trickle), backoff sleeps and a refresh it triggers;
    #: also bounds a whole login flow. The read timeout bounds each socket read only.
    deadline: Setting[float] = Setting("deadline")
    #: The largest decoded response body read; a larger one raises ResponseTooLarge.
    max_body_size: Setting[int] = Setting("max_body_size")


class TokenAttributes:
    """The token fields, each backed by the session's ``TokenState`` (``self._tokens``, see
    :mod:`._tokens`): a mixin of :class:`BaseSession`."""

    #: The current access token (Mail.ru calls it ``session_key``).
    access_token: PartField[str] = PartField("_tokens")
    #: Refresh token, when the platform gave one.
    refresh_token: PartField[str] = PartField("_tokens")
    #: Lifetime of the access token in seconds as the platform reported it, if it did.
    expires_in: PartField[int | None] = PartField("_tokens")
    #: Absolute expiry (``time.time()`` seconds) of the access token, if known.
    expires_at: PartField[float | None] = PartField("_tokens")
    #: Number of refreshes this session performed (for monitoring).
    refresh_count: PartField[int] = PartField("_tokens")
    #: The last exception raised by ``store.save`` or ``token_updater`` (logged, not raised:
    #: the call that refreshed still succeeds and the session keeps the token).
    last_persist_error: PartField[Exception | None] = PartField("_tokens")
    #: Where tokens are loaded from and saved to (see :mod:`mailru_sync.stores`).
    store: PartField[TokenStore | None] = PartField("_tokens")
    #: Called inside the refresh lock to pick up a token another process stored.
    token_loader: PartField[Callable[[], TokenData | None] | None] = PartField("_tokens", "loader")
    #: Called with the new token data after every grant/refresh, to persist it.
    token_updater: PartField[TokenUpdater | None] = PartField("_tokens", "updater")


class PagingTable:
    """A session class's ``PAGING``, read from the platform's table module on first access.

    Why a descriptor: the tables are built with the paging engine, which only ``iter`` needs;
    an app that just calls methods never loads either. ``Cls.PAGING`` and ``session.PAGING``
    still give the table itself, and a subclass may assign a plain mapping instead.
    """

    __slots__ = ("_module",)

    def __init__(self, module: str) -> None:
        self._module = module

    def __get__(self, instance: object, owner: type | None = None) -> Mapping[str, Paging]:
        table: Mapping[str, Paging] = importlib.import_module(self._module).PAGING
        return table
