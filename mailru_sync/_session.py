"""The platform-independent session: a ``requests.Session`` that calls REST API methods.

Why a ``requests.Session`` subclass: users keep everything they know from requests (mount,
proxies, verify, hooks, headers, cookies), and the OAuth grants live on the same object, as in
requests-oauthlib. This module owns the call pipeline, which is the same for both platforms:

    serialize → (refresh if due) → pace → sign → send → decode → map errors → retry/refresh/raise

Platform differences (URLs, signing, error envelopes, which methods write) are the abstract
hooks at the bottom of :class:`BaseSession`, implemented once per platform.

Thread safety: one session may be shared by many threads. Calls only read the configuration;
the token is replaced under a lock (single-flight refresh), the limiter reserves slots under its
own lock and sleeps outside it, and urllib3's pool hands each thread its own connection.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import http.client
import http.cookiejar
import importlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast
from urllib.parse import unquote, urlencode, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from . import _budget
from ._fastpath import route_for
from ._redact import Redactor, SecretAttribute, install_urllib3_filter, mask, redact_params
from ._response import decode_json, parse_retry_after, snippet_of
from ._retry import RetryPolicy
from ._transport import (
    DEFAULT_MAX_BODY_SIZE,
    SafeAdapter,
    read_body,
    reset_pools,
    safe_location,
    transport_error,
    where,
)
from ._urls import check_base_url, rebase
from ._watchdog import watching
from .exceptions import (
    APIError,
    ConfigurationError,
    Error,
    HostNotFound,
    HTTPStatusError,
    RateLimitError,
    RequestTimeout,
    ResponseError,
    ServiceUnavailableError,
    SessionExpiredError,
    TLSError,
    TransportError,
)
from .signer import Platform, serialize_params

if TYPE_CHECKING:
    from ._paging import Paging
    from ._ratelimit import Limiter
    from .stores import TokenStore

__all__ = ["DEFAULT_TIMEOUT", "BaseSession", "PagingTable", "TokenData", "TokenUpdater"]

logger = logging.getLogger("mailru_sync")
install_urllib3_filter()

#: (connect, read) seconds used when a call gives no ``timeout``; each is also capped by what
#: is left of the call's ``deadline``.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
#: Seconds one call may take in all (attempts, backoff sleeps, a refresh): less than the 30 s
#: after which gunicorn and most proxies give up on a web request, so a view can still answer.
DEFAULT_DEADLINE = 20.0
#: Keep-alive connections kept per host: enough for the threads of a typical threaded web
#: server (gunicorn gthread, uWSGI, mod_wsgi) sharing one session, so bursts reuse them.
DEFAULT_POOL_MAXSIZE = 32
#: A GET whose URL would be longer than this goes as a form POST instead.
MAX_GET_URL_LENGTH = 2000

_SessionT = TypeVar("_SessionT", bound="BaseSession")

TokenData = dict[str, Any]
TokenUpdater = Callable[[TokenData], None]
TimeoutOption = float | tuple[float | None, float | None] | None
CookiesOption = Mapping[str, str] | Iterable[Mapping[str, Any]] | http.cookiejar.CookieJar


def _check_timeout(timeout: object) -> TimeoutOption:
    if timeout is None:
        return None
    if isinstance(timeout, bool):
        raise ConfigurationError(
            "timeout must be seconds (float) or a (connect, read) pair, not a bool"
        )
    if isinstance(timeout, (int, float)):
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        return float(timeout)
    if isinstance(timeout, tuple) and len(timeout) == 2:
        for part in timeout:
            if part is not None and (
                isinstance(part, bool) or not isinstance(part, (int, float)) or part <= 0
            ):
                raise ConfigurationError(
                    f"timeout parts must be > 0 seconds or None, got {timeout!r}"
                )
        connect, read = timeout
        return (
            None if connect is None else float(connect),
            None if read is None else float(read),
        )
    raise ConfigurationError(
        f"timeout must be seconds (float) or a (connect, read) pair, got {timeout!r}"
    )


class BaseSession(requests.Session):
    """Common machinery of every Mail.ru and OK session. Not used directly."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Run :meth:`_after_init` once the outermost ``__init__`` of a session finished.

        Why: ``token=`` (and a stored token) must win over what the platform classes set up
        from their positional arguments, which happens after ``BaseSession.__init__`` ran.
        """
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_mailru_wrapped", False):
            return

        @functools.wraps(init)
        def wrapped(self: BaseSession, *args: Any, **options: Any) -> None:
            depth = self.__dict__.get("_init_depth", 0)
            self.__dict__["_init_depth"] = depth + 1
            try:
                init(self, *args, **options)
            finally:
                self.__dict__["_init_depth"] = depth
            if depth == 0:
                self._after_init()

        wrapped._mailru_wrapped = True  # type: ignore[attr-defined]
        cls.__init__ = wrapped  # type: ignore[method-assign]

    def _after_init(self) -> None:
        """Apply ``token=``, else the store's token, over what the constructor set."""
        token = self._initial_token
        if token is None and self.store is not None:
            token = _checked_token(self.store.load(), type(self).__name__)
        if token:
            self.apply_token(token, notify=False)

    platform: ClassVar[Platform]
    #: API method names that change state; never resent automatically (see ``retry_writes``).
    WRITE_METHODS: ClassVar[frozenset[str]] = frozenset()
    #: How each listing method pages (``mailru_sync.mailru.paging``, ``mailru_sync.ok.paging``).
    PAGING: ClassVar[Mapping[str, Paging]] = {}
    refresh_token = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        *,
        pass_error: bool = False,
        base_url: str | None = None,
        timeout: TimeoutOption = DEFAULT_TIMEOUT,
        max_retries: int | Retry | RetryPolicy | None = None,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        rate_limit: float | Limiter | None = None,
        retry_on_flood: int | bool = 0,
        flood_wait: float = 1.0,
        retry_writes: bool = False,
        write_methods: Iterable[str] = (),
        token_updater: TokenUpdater | None = None,
        token_loader: Callable[[], TokenData | None] | None = None,
        refresh_lock: AbstractContextManager[Any] | None = None,
        refresh_margin: float = 60.0,
        deadline: float = DEFAULT_DEADLINE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        session: requests.Session | None = None,
        cookies: CookiesOption = (),
        token: Mapping[str, Any] | None = None,
        store: TokenStore | None = None,
    ) -> None:
        super().__init__()
        #: Return the platform's raw error dict instead of raising :class:`APIError`.
        self.pass_error = bool(pass_error)
        #: Origin (and path prefix) replacing the platform hosts; ``None`` = the real hosts.
        self.base_url = check_base_url(base_url)
        #: Default timeout of every request this session sends (``requests`` semantics).
        self.timeout = _check_timeout(timeout)
        if self.timeout is None:
            raise ConfigurationError(
                "timeout=None would let a call hang forever; give seconds instead"
            )
        self.retry_policy = RetryPolicy.from_option(max_retries)
        if isinstance(pool_maxsize, bool) or not isinstance(pool_maxsize, int):
            raise ConfigurationError(f"pool_maxsize must be an int, got {pool_maxsize!r}")
        if pool_maxsize < 1:
            raise ConfigurationError(f"pool_maxsize must be >= 1, got {pool_maxsize}")
        self.pool_maxsize = pool_maxsize
        #: Client-side pacing: a limiter with ``acquire()`` (``RateLimiter``, or a shared
        #: ``mailru_sync.stores.RedisRateLimiter``), built from a number of calls per second.
        self.rate_limiter: Limiter | None = None
        if rate_limit is not None:
            from ._ratelimit import Limiter, RateLimiter  # only pacing sessions load it

            self.rate_limiter = (
                rate_limit if isinstance(rate_limit, Limiter) else RateLimiter(rate_limit)
            )
        if isinstance(retry_on_flood, bool):
            retry_on_flood = 3 if retry_on_flood else 0
        if not isinstance(retry_on_flood, int) or retry_on_flood < 0:
            raise ConfigurationError(
                f"retry_on_flood must be a bool or an int >= 0, got {retry_on_flood!r}"
            )
        #: How many times a call is retried after a flood/limit error (0 = raise at once).
        self.retry_on_flood = retry_on_flood
        if isinstance(flood_wait, bool) or not isinstance(flood_wait, (int, float)):
            raise ConfigurationError(f"flood_wait must be seconds, got {flood_wait!r}")
        if flood_wait < 0:
            raise ConfigurationError(f"flood_wait must be >= 0 seconds, got {flood_wait!r}")
        #: First wait after a flood error; doubles on each further one.
        self.flood_wait = float(flood_wait)
        #: Opt in to resending writes after transport failures and 5xx (may post twice!).
        self.retry_writes = bool(retry_writes)
        if isinstance(write_methods, str):
            raise ConfigurationError(
                "write_methods must be a collection of method names, not one str"
            )
        #: Extra API methods to treat as writes, besides :attr:`WRITE_METHODS`.
        self.write_methods = frozenset(write_methods)
        if token_updater is not None and not callable(token_updater):
            raise ConfigurationError("token_updater must be callable: token_updater(token_dict)")
        if token_loader is not None and not callable(token_loader):
            raise ConfigurationError(
                "token_loader must be callable: token_loader() -> token dict or None"
            )
        #: Called with the new token data after every grant/refresh, to persist it.
        self.token_updater = token_updater
        #: Called inside the refresh lock to pick up a token another process stored.
        self.token_loader = token_loader
        self._refresh_lock: AbstractContextManager[Any] = refresh_lock or threading.Lock()
        if isinstance(refresh_margin, bool) or not isinstance(refresh_margin, (int, float)):
            raise ConfigurationError(f"refresh_margin must be seconds, got {refresh_margin!r}")
        #: Refresh this many seconds before the known expiry.
        self.refresh_margin = float(refresh_margin)
        if isinstance(deadline, bool) or not isinstance(deadline, (int, float)):
            raise ConfigurationError(f"deadline must be seconds, got {deadline!r}")
        if deadline <= 0:
            raise ConfigurationError(f"deadline must be > 0 seconds, got {deadline!r}")
        #: The longest one call may take in all: every attempt (status line, headers and body
        #: included, however slowly they trickle), backoff sleeps and a refresh it triggers;
        #: also bounds a whole login flow. The read timeout bounds each socket read only.
        self.deadline = float(deadline)
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise ConfigurationError(
                f"max_body_size must be a number of bytes, got {max_body_size!r}"
            )
        if max_body_size < 1:
            raise ConfigurationError(f"max_body_size must be >= 1 byte, got {max_body_size!r}")
        #: The largest decoded response body read; a larger one raises ResponseTooLarge.
        self.max_body_size = max_body_size

        self._redact = Redactor()
        if self.base_url:  # userinfo in base_url is a credential too
            userinfo = urlsplit(self.base_url).netloc.rpartition("@")[0]
            self._redact.add(userinfo, unquote(userinfo), *userinfo.split(":")[1:],
                             *(unquote(p) for p in userinfo.split(":")[1:]))
        # Token fields change together under this lock, and signing reads them under it, so a
        # thread never signs with a new token and an old session secret (or vice versa).
        self._state_lock = threading.RLock()
        self._access_token = ""
        #: Refresh token, when the platform gave one.
        self.refresh_token = ""
        #: Lifetime of the access token in seconds as the platform reported it, if it did.
        self.expires_in: int | None = None
        #: Absolute expiry (``time.time()`` seconds) of the access token, if known.
        self.expires_at: float | None = None
        #: Number of refreshes this session performed (for monitoring).
        self.refresh_count = 0
        self._refresh_attempts = 0
        self._last_refresh_error: tuple[str, float, Error] | None = None

        adapter = SafeAdapter(pool_maxsize)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.headers["User-Agent"] = (
            f"mailru_sync/{_version()} {requests.utils.default_user_agent()}"
        )
        if session is not None:
            self._share_pools(session)
        self._seed_cookies(cookies)
        if store is not None and not _is_token_store(store):
            raise ConfigurationError(
                "store must have load(), save(token) and lock() (see mailru_sync.stores), "
                f"got {type(store).__name__}"
            )
        #: Where tokens are loaded from and saved to (see :mod:`mailru_sync.stores`).
        self.store = store
        if token is not None and not isinstance(token, Mapping):
            raise ConfigurationError(
                f"token must be the dict session.token exported, got {type(token).__name__}"
            )
        self._initial_token = token
        #: The last exception raised by ``store.save`` or ``token_updater`` (logged, not
        #: raised: the call that refreshed still succeeds and the session keeps the token).
        self.last_persist_error: Exception | None = None
        self._refresh_owner: int | None = None
        #: The ``state`` of the last :meth:`authorization_url` (random unless given).
        self.oauth_state: str | None = None
        self._own_refresh_lock = refresh_lock is None
        self._pid = os.getpid()
        _SESSIONS.add(self)

    def _share_pools(self, other: object) -> None:
        """Mount ``other``'s adapters here, so both sessions use the same connection pools.

        Why: a web app building one session per user (aiomailru's ``session=`` argument) would
        otherwise open connections per user; sharing the adapters keeps one pool per process.
        """
        if not isinstance(other, requests.Session):
            raise ConfigurationError(
                f"session must be a requests.Session (or a mailru_sync session) whose "
                f"connection pools to share, got {type(other).__name__}"
            )
        for prefix, adapter in other.adapters.items():
            self.mount(prefix, adapter)

    def _seed_cookies(self, cookies: CookiesOption) -> None:
        """Put aiomailru-style ``cookies`` into the jar: a mapping, a cookie jar, or dicts with
        ``name``/``value`` (and optional ``domain``, ``path``, ``secure``)."""
        if isinstance(cookies, http.cookiejar.CookieJar):
            self.cookies.update(cookies)
            return
        if isinstance(cookies, Mapping):
            for name, value in cookies.items():
                self.cookies.set(str(name), str(value))
            return
        if isinstance(cast(object, cookies), (str, bytes)):
            raise ConfigurationError("cookies must be a mapping or a list of cookie dicts")
        for cookie in cookies:
            if not isinstance(cookie, Mapping) or "name" not in cookie or "value" not in cookie:
                raise ConfigurationError(
                    "each cookie must be a dict with 'name' and 'value' (and optionally "
                    "'domain', 'path', 'secure')"
                )
            self.cookies.set(
                str(cookie["name"]),
                str(cookie["value"]),
                domain=str(cookie.get("domain") or ""),
                path=str(cookie.get("path") or "/"),
                secure=bool(cookie.get("secure", False)),
            )

    # --- fork safety ----------------------------------------------------------------------------

    def _reset_after_fork(self) -> None:
        """In a forked child: drop the pooled connections and locks inherited from the parent.

        Why: a keep-alive socket inherited by a child (gunicorn ``--preload``, multiprocessing)
        is the same socket in both processes, so each would read the other's answers; and a lock
        held by another parent thread at fork time would never be released in the child.
        """
        for adapter in self.adapters.values():
            if isinstance(adapter, HTTPAdapter):
                reset_pools(adapter)
        self._state_lock = threading.RLock()
        if self._own_refresh_lock:
            self._refresh_lock = threading.Lock()
        self._pid = os.getpid()

    # --- token state --------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """The current access token (Mail.ru calls it ``session_key``)."""
        return self._access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self._access_token = value or ""
        self._redact.add(self._access_token)

    def _remember_secrets(self, *secrets: object) -> None:
        """Make sure these values never show in messages or logs."""
        self._redact.add(*secrets)

    def _set_expiry(self, expires_in: object) -> None:
        try:
            seconds = int(str(expires_in)) if expires_in not in (None, "") else None
        except ValueError:
            seconds = None
        self.expires_in = seconds
        self.expires_at = None if seconds is None else time.time() + seconds

    def _set_expires_at(self, expires_at: object) -> None:
        """A stored absolute expiry wins over ``expires_in`` (which counts from the grant, not
        from now: recomputing it on restore would make a day-old token look fresh)."""
        if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float, str)):
            return
        try:
            self.expires_at = float(expires_at)
        except ValueError:
            return

    def apply_token(self, token: Mapping[str, Any], *, notify: bool = True) -> None:
        """Take over token data returned by a grant (platform field names), then notify.

        ``token_updater`` (if set) receives a plain dict with the platform's fields plus
        ``expires_at``; storing it lets another process or a later run continue the session.
        """
        with self._state_lock:
            self._apply_token_fields(token)
            if token.get("expires_at") is not None:
                self._set_expires_at(token["expires_at"])
            self._after_token_change()
            persisted = dict(token) | {"expires_at": self.expires_at}
            if self.refresh_token and not persisted.get("refresh_token"):
                # OK answers a refresh without a new refresh token (protocol-notes §2.6): the
                # one in use stays valid, so what is stored must keep it, or the next process
                # could never refresh again.
                persisted["refresh_token"] = self.refresh_token
        if notify:
            self._persist(persisted)

    def _persist(self, data: TokenData) -> None:
        """Hand a new token to the store and ``token_updater``; their failure never loses it.

        Why: the refresh already worked; failing the call (and dropping the new token) because
        a database was down would turn a storage hiccup into an outage. The error is logged and
        kept in :attr:`last_persist_error`.
        """
        for target in (self.store.save if self.store is not None else None, self.token_updater):
            if target is None:
                continue
            try:
                target(data)
            except Exception as exc:
                self.last_persist_error = exc
                logger.error(
                    "%s: saving the new token failed (%s); the session keeps it and goes on",
                    type(self).__name__, self._redact(f"{type(exc).__name__}: {exc}"),
                )

    @property
    def token(self) -> TokenData:
        """The token as a plain dict (platform field names plus ``expires_at``), what
        ``token_updater`` and stores receive; ``Cls(..., token=old.token)`` restores it."""
        with self._state_lock:
            data: TokenData = {"access_token": self.access_token}
            if self.refresh_token:
                data["refresh_token"] = self.refresh_token
            if self.expires_in is not None:
                data["expires_in"] = self.expires_in
            data["expires_at"] = self.expires_at
            data.update(self._extra_token_fields())
        return data

    def _extra_token_fields(self) -> TokenData:
        """Platform fields a restored session needs besides the access token (uid, secret)."""
        return {}

    @property
    def can_refresh(self) -> bool:
        """True when this session holds a refresh token and knows how to use it."""
        return bool(self.refresh_token) and self._supports_refresh()

    def code_from_callback(self, callback: str, state: str | None = None) -> str:
        """The authorization code from the platform's redirect to your callback.

        ``callback`` is the full callback URL or its query string; ``state`` the value the
        login started with (default: the one the last :meth:`authorization_url` generated on
        this session; keep it in the user's web session between the two requests). Raises
        :class:`~mailru_sync.AccessDeniedError` if the user refused and
        :class:`~mailru_sync.StateMismatchError` for a forged or foreign callback.
        """
        from ._oauth import code_from_callback

        expected = state if state is not None else self.oauth_state
        if expected is None:
            raise ConfigurationError(
                "code_from_callback needs the state the login started with: pass state= (as "
                "authorization_url made it) so forged callbacks are refused"
            )
        return code_from_callback(callback, expected)

    def refresh(self) -> BaseSession:
        """Exchange the refresh token for a new access token now (single flight)."""
        self._refresh_single_flight(self.access_token, force=True)
        return self

    def refresh_access_token(self, refresh_token: str | None = None) -> TokenData:
        """Refresh grant: a new access token from ``refresh_token`` (default: the session's).

        Goes through the same lock as automatic refreshes; returns the platform's token data.
        """
        if refresh_token:
            with self._state_lock:
                self.refresh_token = refresh_token
                self._remember_secrets(refresh_token)
        token = self._refresh_single_flight(self.access_token, force=True)
        assert token is not None  # forced: never skipped
        return token

    def _refresh_single_flight(self, stale_token: str, *, force: bool = False) -> TokenData | None:
        """Refresh unless another thread (or process, via ``token_loader``) already did.

        Threads that waited while another one refreshed share its outcome: its new token, or
        its failure (re-raised, without a token request of their own), so a failing token
        endpoint costs one request, not one per waiting thread. Waiting is bounded by the
        call's budget.
        """
        attempt_seen = self._refresh_attempts
        with self.budget_scope("token refresh") as budget, self._hold_refresh_lock(budget):
            if self._last_refresh_error is not None and not force:  # explicit: try anew
                failed_token, failed_at, error = self._last_refresh_error
                recent = time.monotonic() - failed_at < _SHARED_FAILURE_SECONDS
                waited = self._refresh_attempts != attempt_seen
                if failed_token == stale_token == self.access_token and (waited or recent):
                    raise copy.copy(error)
            loader = self.token_loader or (self.store.load if self.store is not None else None)
            if loader is not None:
                stored = _checked_token(loader(), type(self).__name__)
                if stored:
                    self.apply_token(stored, notify=False)
            if not force and self.access_token != stale_token and not self._token_due():
                return None
            if not self.can_refresh:
                raise SessionExpiredError(
                    102,
                    f"{type(self).__name__} has no refresh token; authorize again (a new code, "
                    "login or token) to get a new access token",
                    platform=self.platform,
                )
            self._refresh_attempts += 1
            try:
                token = self._refresh_grant()
            except Error as exc:
                self._last_refresh_error = (stale_token, time.monotonic(), exc)
                raise
            self._last_refresh_error = None
            self.refresh_count += 1
            logger.info("%s: access token refreshed", type(self).__name__)
            self.apply_token(token)
            return token

    @contextlib.contextmanager
    def _hold_refresh_lock(self, budget: _budget.Budget) -> Iterator[None]:
        """Take the refresh lock (then the store's), waiting no longer than the budget allows.

        A refresh needed by a callback running inside a refresh (``token_updater`` calling
        the API) is refused at once: waiting for our own lock would never end.
        """
        if self._refresh_owner == threading.get_ident():
            raise ConfigurationError(
                f"{type(self).__name__}: a token refresh was needed while this thread was "
                "already refreshing (did token_updater or a store call the API with an "
                "expired token?); call the API after the callback returns"
            )
        with self._hold_local_refresh_lock(budget):
            self._refresh_owner = threading.get_ident()
            try:
                if self.store is not None:
                    with self.store.lock():
                        yield
                else:
                    yield
            finally:
                self._refresh_owner = None

    @contextlib.contextmanager
    def _hold_local_refresh_lock(self, budget: _budget.Budget) -> Iterator[None]:
        lock = self._refresh_lock
        acquire = getattr(lock, "acquire", None)
        if isinstance(lock, _LOCK_TYPES) and callable(acquire):
            if not acquire(timeout=max(0.0, budget.remaining())):
                raise RequestTimeout(
                    f"{budget.what}: another thread was still refreshing the token when the "
                    f"{budget.seconds:g} s deadline passed",
                    may_have_reached=False,
                )
            try:
                yield
            finally:
                lock.release()
        else:  # a user's lock (file, Redis...): its own timeout applies
            with lock:
                yield

    def _token_due(self) -> bool:
        if self.expires_at is None:
            return False
        margin = self.refresh_margin
        if self.expires_in:
            # A token living 30 s with a 60 s margin would be refreshed on every call.
            margin = min(margin, self.expires_in / 2)
        return time.time() >= self.expires_at - margin

    def _ensure_ready(self) -> None:
        if not self.is_authorized:
            raise ConfigurationError(
                f"{type(self).__name__} is not authorized yet: call session.authorize() or use "
                f"'with {type(self).__name__}(...) as session:' before calling API methods"
            )
        if self.can_refresh and self._token_due():
            self._refresh_single_flight(self.access_token)

    # --- requests integration -----------------------------------------------------------------

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``requests.Session.request`` with this session's default timeout filled in."""
        if len(args) < 8 and kwargs.get("timeout") is None:  # timeout is the 8th positional
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def budget_scope(self, what: str) -> _BudgetScope:
        """Bound everything inside (calls, refreshes, login hops) by one :attr:`deadline`.

        ``with session.budget_scope("my job") as budget:``. Nested scopes of the same thread
        join the outermost one, so a refresh inside a call, or every page of a login flow,
        spends the budget of what the user called. A library exception leaving the outermost
        scope is stamped with ``attempts`` and ``elapsed`` and scrubbed of every secret this
        session knows (message, attributes, chain).
        """
        return _BudgetScope(self, what)

    def url(self, url: str) -> str:
        """``url`` moved to ``base_url`` when one is set (the paths stay)."""
        return rebase(url, self.base_url)

    def __enter__(self: _SessionT) -> _SessionT:
        try:
            self.authorize()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def authorize(self) -> BaseSession:
        """Obtain the access token if this kind of session needs one. Token sessions: no-op."""
        return self

    def __repr__(self) -> str:
        fields = " ".join(f"{k}={v}" for k, v in self._repr_fields().items())
        return f"<{type(self).__name__} {fields}>"

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        raise ConfigurationError(
            f"{type(self).__name__} holds credentials and live connections and cannot be "
            "pickled; pass the keys and tokens instead and build a session in the other process"
        )

    # --- the call pipeline --------------------------------------------------------------------

    def is_write(self, method: str) -> bool:
        """Whether ``method`` changes state (then it is POSTed and never resent by default)."""
        return method in self.WRITE_METHODS or method in self.write_methods

    def prepare_call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        http_method: Literal["GET", "POST"] | None = None,
        write: bool | None = None,
    ) -> requests.PreparedRequest:
        """The exact HTTP request a call would send (signed), without sending it."""
        self._check_method_name(method)
        if not self.is_authorized:
            raise ConfigurationError(
                f"{type(self).__name__} is not authorized yet: call session.authorize() first"
            )
        serialized = serialize_params(params or {}, self.platform)
        with self._state_lock:
            signed = self._sign(method, serialized)
        verb = self._choose_verb(method, signed, http_method, write)
        return self.prepare_request(self._build_request(verb, method, signed))

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        http_method: Literal["GET", "POST"] | None = None,
        write: bool | None = None,
    ) -> Any:
        """Call an API method and return the decoded JSON.

        ``http_method`` forces GET or POST (default: GET for reads, POST for writes and for
        parameters too long for a URL). ``write`` overrides whether the method is a write.
        Raises :class:`~mailru_sync.APIError` subclasses for platform errors (unless
        ``pass_error``), :class:`~mailru_sync.TransportError` and
        :class:`~mailru_sync.ResponseError` for transport and body problems.
        """
        self._check_method_name(method)
        serialized = serialize_params(params or {}, self.platform)
        is_write = self.is_write(method) if write is None else bool(write)
        with self.budget_scope(method) as budget:
            try:
                return self._call_within(budget, method, serialized, http_method, is_write)
            except TransportError as exc:
                if is_write and exc.may_have_reached and exc.args:
                    exc.args = (
                        f"{exc.args[0]}; the server may have processed this write "
                        "(may_have_reached=True), so it was not resent: check before repeating",
                        *exc.args[1:],
                    )
                raise

    def _call_within(
        self,
        budget: _budget.Budget,
        method: str,
        serialized: dict[str, str],
        http_method: Literal["GET", "POST"] | None,
        is_write: bool,
    ) -> Any:
        resend_ok = not is_write or self.retry_writes
        retries = self.retry_policy.start()
        floods_left = self.retry_on_flood
        flood_delay = self.flood_wait
        refreshed = False
        sleep = self.retry_policy.sleep
        while True:
            self._ensure_ready()
            with self._state_lock:
                token_used = self.access_token
                signed = self._sign(method, serialized)
            encoded = urlencode(signed)
            verb = self._choose_verb(method, signed, http_method, is_write, encoded)
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            try:
                body, status = self._send(verb, method, signed, encoded)
            except TransportError as exc:
                kind = "read" if exc.may_have_reached else "connect"
                if (
                    not isinstance(exc, (HostNotFound, TLSError))
                    and not budget.expired()
                    and (resend_ok or not exc.may_have_reached)
                    and retries.allow(kind)
                ):
                    self._log_retry(method, exc, retries.used)
                    if budget.sleep(retries.delay() or 0.0, sleep):
                        continue
                raise
            except ResponseError as exc:
                if (
                    resend_ok
                    and exc.status in self.retry_policy.status_forcelist
                    and retries.allow("status")
                ):
                    self._log_retry(method, exc, retries.used)
                    delay = retries.delay(exc.retry_after)
                    if delay is not None and budget.sleep(delay, sleep):
                        continue
                raise
            error = self._extract_error(body, method)
            if error is None:
                if body is None:
                    raise ResponseError(
                        f"{method}: the platform answered 'null' where a result was expected "
                        f"(HTTP {status})",
                        method=method,
                        status=status,
                        snippet="null",
                    )
                return body
            api_error = self._api_error(error, body, method)
            if isinstance(api_error, SessionExpiredError) and not refreshed and self.can_refresh:
                # The platform rejected the call without running it: replaying once is safe.
                refreshed = True
                logger.info("%s: session expired, refreshing the token", method)
                self._refresh_single_flight(token_used)
                continue
            if (
                isinstance(api_error, ServiceUnavailableError)
                and resend_ok
                and retries.allow("status")
            ):
                self._log_retry(method, api_error, retries.used)
                if budget.sleep(retries.delay() or 0.0, sleep):
                    continue
            if isinstance(api_error, RateLimitError) and floods_left > 0:
                # Flood control rejects a call before running it, so writes may wait too.
                floods_left -= 1
                logger.info("%s: flood control (%s), waiting %.2fs", method, api_error.code,
                            flood_delay)
                if budget.sleep(flood_delay, sleep):
                    flood_delay *= 2
                    continue
            if self.pass_error:
                return body
            raise api_error

    def iter(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_items: int | None = None,
        page_size: int | None = None,
        progress: bool = False,
    ) -> Iterator[Any]:
        """Yield the items of every page of listing ``method``, lazily (see :attr:`PAGING`)."""
        from ._paging import iterate  # the paging engine loads on first use

        return iterate(
            self, method, params, max_items=max_items, page_size=page_size, progress=progress
        )

    def _check_method_name(self, method: object) -> None:
        if not isinstance(method, str) or not method or method.startswith(".") or " " in method:
            raise ConfigurationError(
                f"API method must be a name like 'friends.get', got {method!r}"
            )

    def _choose_verb(
        self,
        method: str,
        signed: Mapping[str, str],
        http_method: str | None,
        write: bool | None,
        encoded: str | None = None,
    ) -> str:
        if http_method is not None:
            verb = str(http_method).upper()
            if verb not in ("GET", "POST"):
                raise ConfigurationError(
                    f"http_method must be 'GET' or 'POST', got {http_method!r}"
                )
            return verb
        if write if write is not None else self.is_write(method):
            return "POST"
        if encoded is None:
            encoded = urlencode(signed)
        length = len(self._api_url(method)) + 1 + len(encoded)
        return "POST" if length > MAX_GET_URL_LENGTH else "GET"

    def _build_request(self, verb: str, method: str, signed: Mapping[str, str]) -> requests.Request:
        url = self._api_url(method)
        if verb == "GET":
            return requests.Request("GET", url, params=dict(signed))
        return requests.Request("POST", url, data=dict(signed))

    def _send(
        self, verb: str, method: str, signed: Mapping[str, str], encoded: str | None = None
    ) -> tuple[Any, int]:
        url = self._api_url(method)
        started = time.monotonic()
        route = route_for(self, url) if encoded is not None else None
        if route is not None:
            query = cast(str, encoded)

            def direct(timeout: tuple[float | None, float | None]) -> requests.Response:
                return route.send(self, verb, query, timeout)

            response = self._exchange(
                url,
                what=method,
                limit=self.max_body_size,
                configured=self.timeout,
                refuse_redirects=True,
                send=direct,
            )
        else:
            payload: dict[str, Any] = (
                {"params": dict(signed)} if verb == "GET" else {"data": dict(signed)}
            )
            response = self.transport(verb, url, what=method, **payload)
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s -> HTTP %s in %.1f ms",
                verb,
                method,
                redact_params(signed),
                status,
                (time.monotonic() - started) * 1000,
            )
        # A successful body is nobody else's once decoded (a response hook may have kept the
        # response to read later, so then it stays): dropping it as soon as it is text keeps
        # a large answer from being held three times over while its objects are built.
        release = status < 400 and not self.hooks.get("response")
        body = decode_json(response, method=method, redact=self._redact, release=release)
        if status >= 400:
            try:
                envelope = self._extract_error(body, method)
            except ResponseError:
                envelope = None
            if envelope is None:
                raise _http_status_error(response, response.content, method, self._redact)
        return body, status

    def transport(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        max_body: int | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one HTTP request, bounded, and return the response with its body read.

        The one door to the network for API calls, token requests, login pages and uploads:

        * never follows redirects. By default a 3xx raises :class:`HTTPStatusError` (the APIs and
          token endpoints never redirect; following would resend the signed body wherever
          ``Location`` points). ``allow_redirects=False`` returns the 3xx to a caller that
          handles redirects itself (the login browser checks each hop's origin).
        * joins the current :meth:`budget_scope` (or opens one): socket timeouts are capped by
          what is left, and the watchdog interrupts a status line, headers or body trickled in
          past the deadline.
        * reads at most ``max_body`` decoded bytes (default :attr:`max_body_size`).
        * turns every failure into a library exception chained to nothing (urllib3's messages
          carry URLs with tokens). ``what`` names the operation in messages.
        """
        follow = kwargs.pop("allow_redirects", None)
        if follow:
            raise ConfigurationError(
                f"{what}: session.transport never follows redirects; pass allow_redirects=False "
                "and follow each hop after checking where it goes"
            )
        kwargs.pop("stream", None)
        configured = kwargs.pop("timeout", None) or self.timeout

        def through_requests(timeout: tuple[float | None, float | None]) -> requests.Response:
            return self.request(
                verb, url, allow_redirects=False, stream=True, timeout=timeout, **kwargs
            )

        return self._exchange(
            url,
            what=what,
            limit=self.max_body_size if max_body is None else max_body,
            configured=configured,
            refuse_redirects=follow is None,
            send=through_requests,
        )

    def _exchange(
        self,
        url: str,
        *,
        what: str,
        limit: int,
        configured: TimeoutOption,
        refuse_redirects: bool,
        send: Callable[[tuple[float | None, float | None]], requests.Response],
    ) -> requests.Response:
        """One bounded exchange (see :meth:`transport`); ``send`` puts the request on the wire."""
        if self._pid != os.getpid():
            self._reset_after_fork()
        with self.budget_scope(what) as budget:
            if budget.expired():
                raise RequestTimeout(
                    f"{what}: the {budget.seconds:g} s deadline passed before the request "
                    "was sent",
                    method=what,
                )
            connect, read = (
                configured if isinstance(configured, tuple) else (configured, configured)
            )
            timeout = (budget.socket_timeout(connect), budget.socket_timeout(read))
            budget.attempts += 1
            with watching(budget.deadline) as watch:
                _transport_local.active = True
                try:
                    response = send(timeout)
                    response._content = read_body(
                        response, what=what, budget=budget, max_body=limit
                    )
                    if watch.fired:  # cut short by the watchdog: whatever parsed is partial
                        raise RequestTimeout(
                            f"{what}: no complete answer from {where(url)} within the "
                            f"{budget.seconds:g} s deadline",
                            method=what,
                        )
                except Error:
                    raise
                except (
                    requests.exceptions.RequestException,
                    urllib3.exceptions.HTTPError,
                    http.client.HTTPException,
                    OSError,
                    ValueError,
                    LookupError,
                    RecursionError,
                ) as exc:
                    raise transport_error(
                        exc, what=what, url=url, timeout=configured, watch=watch, budget=budget
                    ) from None
                finally:
                    _transport_local.active = False
            if 300 <= response.status_code < 400 and refuse_redirects:
                raise HTTPStatusError(
                    f"{what}: {where(url)} answered HTTP {response.status_code}, a redirect to "
                    f"{self._redact(safe_location(response.headers.get('Location')))}; API and "
                    "token requests never follow redirects (check base_url)",
                    method=what,
                    status=response.status_code,
                    content_type=response.headers.get("Content-Type", ""),
                    snippet=snippet_of(
                        response.content.decode("utf-8", "replace"), self._redact
                    ),
                )
            return response

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """``requests`` hook: inside :meth:`transport`, redirects are never even prepared.

        Why: with ``allow_redirects=False`` requests still builds the next request from
        ``Location`` (for ``response.next``), and a malformed ``Location`` then raises a bare
        ``ValueError`` out of ``send``. Outside transport (the user's own ``session.get``), the
        requests behaviour is untouched.
        """
        if getattr(_transport_local, "active", False):
            return iter(())
        redirects: Iterator[Any] = super().resolve_redirects(*args, **kwargs)
        return redirects

    def _where(self, url: str) -> str:
        """A URL fit for messages: no userinfo, query string or fragment (they carry secrets)."""
        return where(url)

    def _log_retry(self, method: str, exc: Error, attempt: int) -> None:
        reason = str(exc)
        if reason.startswith(f"{method}: "):  # the line names the method once
            reason = reason[len(method) + 2:]
        logger.info("%s: retry %d after %s", method, attempt, self._redact(reason))

    # --- platform hooks -----------------------------------------------------------------------

    @property
    def is_authorized(self) -> bool:
        """True once the session holds what it needs to sign calls."""
        raise NotImplementedError

    def _repr_fields(self) -> dict[str, str]:
        return {"access_token": repr(mask(self.access_token))}

    def _api_url(self, method: str) -> str:
        raise NotImplementedError

    def _sign(self, method: str, params: dict[str, str]) -> dict[str, str]:
        raise NotImplementedError

    def _extract_error(self, body: Any, method: str = "") -> dict[str, Any] | None:
        """The platform's error object in ``body``; raise ResponseError for a malformed one."""
        raise NotImplementedError

    def _api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        """Build the exception for ``error`` (the code/msg fields); ``body`` is the raw dict."""
        raise NotImplementedError

    def _apply_token_fields(self, token: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _after_token_change(self) -> None:
        """Hook run after new token data arrived (e.g. re-infer the signature circuit)."""

    def _supports_refresh(self) -> bool:
        return False

    def _refresh_grant(self) -> TokenData:
        raise NotImplementedError


class _BudgetScope:
    """The context manager of :meth:`BaseSession.budget_scope` (a class: it runs twice a call)."""

    __slots__ = ("_scope", "_session")

    def __init__(self, session: BaseSession, what: str) -> None:
        self._session = session
        self._scope = _budget.scope(session.deadline, what)

    def __enter__(self) -> _budget.Budget:
        return self._scope.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        scope = self._scope
        scope.__exit__()
        if scope.outermost and isinstance(exc, Error):
            budget = scope.budget
            exc.attempts = budget.attempts
            exc.elapsed = budget.elapsed()
            if isinstance(exc, (TransportError, ResponseError)) and exc.args:
                exc.args = (f"{exc.args[0]} [{budget.summary()}]", *exc.args[1:])
            self._session._redact.scrub(exc)


def _http_status_error(
    response: requests.Response, raw: bytes, method: str, redact: Callable[[str], str]
) -> Error:
    text = raw.decode("utf-8", errors="replace")
    snippet = snippet_of(text, redact)
    return HTTPStatusError(
        f"{method}: HTTP {response.status_code} without a platform error object: {snippet!r}",
        method=method,
        status=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        snippet=snippet,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
#: A failed refresh is reused, without a new token request, by threads that waited for it and
#: by calls that hit the same stale token this soon after: a storm of calls on a broken token
#: endpoint costs one request, while a later call still gets a fresh attempt.
_SHARED_FAILURE_SECONDS = 2.0


def _is_token_store(store: object) -> bool:
    from .stores import TokenStore  # loaded only by sessions given a store

    return isinstance(store, TokenStore)


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


def _checked_token(value: object, owner: str) -> Mapping[str, Any] | None:
    """What ``token_loader`` returned, if it is usable token data; else a clear error."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{owner}: token_loader (or the store's load()) must return a dict of token "
            f"fields (as token_updater received it) or None, got {type(value).__name__}"
        )
    token = value.get("access_token") or value.get("session_key")
    if not isinstance(token, str) or not token:
        raise ConfigurationError(
            f"{owner}: the dict token_loader (or the store) returned has no access_token; "
            "return None when nothing is stored"
        )
    return value


_SESSIONS: weakref.WeakSet[BaseSession] = weakref.WeakSet()
_transport_local = threading.local()


def _reset_sessions_after_fork() -> None:
    for session in list(_SESSIONS):
        session._reset_after_fork()


os.register_at_fork(after_in_child=_reset_sessions_after_fork)


def _version() -> str:
    from . import __version__

    return __version__
