"""The keyword options of the session classes, as ``TypedDict`` s for type checkers and IDEs.

Every public session constructor declares its options as ``**options: Unpack[...]`` of one of
these, so mypy and editors see and check each option (``timeout='soon'`` or ``base_ulr=`` is
an error in your editor). At run time the session checks the names again (a misspelling raises
:class:`~mailru_sync.ConfigurationError` with the closest valid name) and validates the values.

You rarely import this module; wrappers that pass options through can::

    from mailru_sync.options import SessionOptions
    def make(**options: Unpack[SessionOptions]) -> TokenSession: ...
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypedDict

from ._options import TokenData, TokenUpdater

if TYPE_CHECKING:
    import sys

    import requests
    from urllib3.util import Retry

    from ._ratelimit import Limiter
    from ._retry import RetryPolicy
    from .stores import TokenStore

    # For the session modules' annotations (``**options: Unpack[SessionOptions]``).
    if sys.version_info >= (3, 11):
        from typing import Unpack as Unpack
    else:
        from typing_extensions import Unpack as Unpack

__all__ = [
    "BaseSessionOptions",
    "CallManyOptions",
    "CookieSessionOptions",
    "OkBaseSessionOptions",
    "SessionOptions",
    "TokenData",
    "TokenUpdater",
]


class SessionOptions(TypedDict, total=False):
    """The keyword options every session class takes (see the README's option table)."""

    #: Origin (and path prefix) replacing the platform hosts, e.g. the emulator's.
    base_url: str | None
    #: Seconds, or a (connect, read) pair, for each socket operation.
    timeout: float | tuple[float | None, float | None]
    #: Retries of transport failures and 5xx: a count, a urllib3 ``Retry`` or a ``RetryPolicy``.
    max_retries: int | Retry | RetryPolicy | None
    #: Keep-alive connections kept per host.
    pool_maxsize: int
    #: Client-side pacing: calls per second, or a limiter (``RedisRateLimiter``).
    rate_limit: float | Limiter | None
    #: Retries after the platform's flood/limit errors (``True`` = 3).
    retry_on_flood: int | bool
    #: First wait after a flood error, doubling each time.
    flood_wait: float
    #: Resend writes after transport failures and 5xx too (may post twice).
    retry_writes: bool
    #: API methods to treat as writes besides the platform's list.
    write_methods: Iterable[str]
    #: Called with the new token data after every grant or refresh.
    token_updater: TokenUpdater | None
    #: Called inside the refresh lock to pick up a token another process saved.
    token_loader: Callable[[], TokenData | None] | None
    #: A lock shared by the processes that share one token (the stores bring their own).
    refresh_lock: AbstractContextManager[Any] | None
    #: Refresh this many seconds before the known expiry.
    refresh_margin: float
    #: The longest one call may take in all, attempts and waits included.
    deadline: float
    #: The largest decoded response body read.
    max_body_size: int
    #: A token as ``session.token`` exported it; wins over the positional arguments.
    token: Mapping[str, Any] | None
    #: Where tokens are loaded from and saved to (``mailru_sync.stores``).
    store: TokenStore | None


class CookieSessionOptions(SessionOptions, total=False):
    """:class:`SessionOptions` plus ``cookies``, for classes that do not take it positionally."""

    #: aiomailru-style cookies: a mapping, a cookie jar, or dicts with name/value.
    cookies: Mapping[str, str] | Iterable[Mapping[str, Any]] | http.cookiejar.CookieJar


class BaseSessionOptions(CookieSessionOptions, total=False):
    """Everything, for the platform base classes that take no option positionally."""

    #: Return the platform's raw error dict instead of raising ``APIError``.
    pass_error: bool
    #: A session whose connection pools to share.
    session: requests.Session | None


class OkBaseSessionOptions(BaseSessionOptions, total=False):
    """:class:`BaseSessionOptions` plus OK's ``format`` (only ``'json'`` is read)."""

    format: str


class CallManyOptions(TypedDict, total=False):
    """The keyword options of ``session.call_many`` and ``api.call_many``."""

    #: Threads running the calls (default 8); at most ``pool_maxsize`` keeps the connections
    #: at ``workers`` (a worker beyond it opens connections the pool cannot keep).
    workers: int
    #: Raise the first error (in input order) once every call finished, instead of returning
    #: each error in its call's place (default False, like ``api.batch``).
    raise_errors: bool
    #: On OK, send the reads in ``batch.executeV2`` requests of up to 50 (default True).
    batch: bool
