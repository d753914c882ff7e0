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

import functools
import http.client
import http.cookiejar
import importlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast
from urllib.parse import unquote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import _budget
from ._exchange import Exchange, http_status_error, inside_exchange
from ._fastpath import reproduced
from ._fields import PartField
from ._forksafe import reset_in_child
from ._options import (
    DEFAULT_TIMEOUT,
    KNOWN_OPTIONS,
    CookiesOption,
    Setting,
    TokenData,
    TokenUpdater,
    parse_options,
)
from ._pipeline import CallPipeline, Dialect, note_unsent_write
from ._pools import is_shared, lease
from ._redact import Redactor, install_urllib3_filter, mask
from ._tokens import TokenState, checked_token
from ._transport import reset_pools
from ._urls import rebase
from ._version import __version__
from .exceptions import (
    ConfigurationError,
    ResponseError,
    SessionExpiredError,
    TransportError,
)
from .signer import Platform, serialize_params

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._paging import Paging
    from ._ratelimit import Limiter
    from ._retry import RetryPolicy
    from .options import BaseSessionOptions, CallManyOptions, Unpack
    from .stores import TokenStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "BaseSession",
    "PagingTable",
    "TokenData",
    "TokenUpdater",
    "restores_token",
]

logger = logging.getLogger("mailru_sync")
install_urllib3_filter()

#: A GET whose URL would be longer than this goes as a form POST instead.
MAX_GET_URL_LENGTH = 2000

_SessionT = TypeVar("_SessionT", bound="BaseSession")



class BaseSession(requests.Session):
    """Common machinery of every Mail.ru and OK session. Not used directly."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Run :meth:`_after_init` once the outermost ``__init__`` of a session finished.

        Why: ``token=`` (and a stored token) must win over what the platform classes set up
        from their positional arguments, which happens after ``BaseSession.__init__`` ran.
        """
        super().__init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc and not cls.__name__.startswith("_") and _OPTIONS_NOTE not in doc:
            cls.__doc__ = f"{doc.rstrip()}\n\n    {_options_paragraph()}\n"
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
            token = checked_token(self.store.load(), type(self).__name__)
        if token:
            self.apply_token(token, notify=False)

    platform: ClassVar[Platform]
    #: API method names that change state; never resent automatically (see ``retry_writes``).
    WRITE_METHODS: ClassVar[frozenset[str]] = frozenset()
    #: How each listing method pages (``mailru_sync.mailru.paging``, ``mailru_sync.ok.paging``).
    PAGING: ClassVar[Mapping[str, Paging]] = {}

    # The options a call reads, each backed by the session's immutable Settings (see _options).
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

    def __init__(
        self, dialect: Dialect, redact: Redactor, **options: Unpack[BaseSessionOptions]
    ) -> None:
        """``dialect``: the platform's rules with the app's credentials; ``redact``: the
        redactor the dialect registers its secrets with (one per session)."""
        super().__init__()
        self._dialect = dialect
        owner = type(self).__name__
        self._settings = parse_options(owner, options)
        token_updater = options.get("token_updater")
        token_loader = options.get("token_loader")
        refresh_lock = options.get("refresh_lock")
        store = options.get("store")
        token = options.get("token")
        if token_updater is not None and not callable(token_updater):
            raise ConfigurationError("token_updater must be callable: token_updater(token_dict)")
        if token_loader is not None and not callable(token_loader):
            raise ConfigurationError(
                "token_loader must be callable: token_loader() -> token dict or None"
            )
        if store is not None and not _is_token_store(store):
            raise ConfigurationError(
                "store must have load(), save(token) and lock() (see mailru_sync.stores), "
                f"got {type(store).__name__}"
            )
        self._redact = redact
        if self.base_url:  # userinfo in base_url is a credential too
            userinfo = urlsplit(self.base_url).netloc.rpartition("@")[0]
            self._redact.add(userinfo, unquote(userinfo), *userinfo.split(":")[1:],
                             *(unquote(p) for p in userinfo.split(":")[1:]))
        self._tokens = TokenState(
            self._redact,
            store=store,
            loader=token_loader,
            updater=token_updater,
            refresh_lock=refresh_lock,
        )

        self._pool_lease = lease(self, self.pool_maxsize)  # the process-wide pool (_pools)
        adapter = self._pool_lease.adapter
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.headers["User-Agent"] = (
            f"mailru_sync/{__version__} {requests.utils.default_user_agent()}"
        )
        session = options.get("session")
        if session is not None:
            self._share_pools(session)
        self._seed_cookies(options.get("cookies", ()))
        if token is not None and not isinstance(token, Mapping):
            raise ConfigurationError(
                f"token must be the dict session.token exported, got {type(token).__name__}"
            )
        self._initial_token = token
        #: The ``state`` of the last :meth:`authorization_url` (random unless given).
        self.oauth_state: str | None = None
        self._exchange = Exchange(self, self._redact)
        self._calls = CallPipeline(
            dialect,
            self._tokens,
            self._redact,
            ensure_ready=self._ensure_ready,
            refresh=self._refresh_single_flight,
            can_refresh=lambda: self.can_refresh,
        )
        reset_in_child(self, BaseSession._reset_after_fork)

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
            if isinstance(adapter, HTTPAdapter) and not is_shared(adapter):  # shared: own reset
                reset_pools(adapter)
        self._tokens.reset_after_fork()

    def close(self) -> None:
        """Release this session's share of the process-wide pool and close the adapters it
        mounted itself; connections other sessions use stay open (see :mod:`._pools`)."""
        self._pool_lease.release()
        for adapter in self.adapters.values():
            if not is_shared(adapter):
                adapter.close()

    # --- token state --------------------------------------------------------------------------

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

    @property
    def _state_lock(self) -> threading.RLock:
        return self._tokens.lock

    def _remember_secrets(self, *secrets: object) -> None:
        """Make sure these values never show in messages or logs."""
        self._redact.add(*secrets)

    def _set_expiry(self, expires_in: object) -> None:
        self._tokens.set_expiry(expires_in)

    def apply_token(self, token: Mapping[str, Any], *, notify: bool = True) -> None:
        """Take over token data returned by a grant (platform field names), then notify.

        ``token_updater`` (if set) receives a plain dict with the platform's fields plus
        ``expires_at``; storing it lets another process or a later run continue the session.
        """
        tokens = self._tokens
        with tokens.lock:
            self._apply_token_fields(token)
            if token.get("expires_at") is not None:
                tokens.set_expires_at(token["expires_at"])
            self._after_token_change()
            persisted = tokens.to_persist(token)
        if notify:
            tokens.persist(persisted, type(self).__name__)

    @property
    def token(self) -> TokenData:
        """The token as a plain dict (platform field names plus ``expires_at``), what
        ``token_updater`` and stores receive; ``Cls(..., token=old.token)`` restores it."""
        with self._tokens.lock:
            return self._tokens.exported(self._extra_token_fields())

    def _extra_token_fields(self) -> TokenData:
        """Platform fields a restored session needs besides the access token (uid, secret)."""
        return self._dialect.extra_token_fields()

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
        return self._tokens.refresh(
            stale_token,
            force=force,
            budget_scope=self.budget_scope,
            can_refresh=lambda: self.can_refresh,
            grant=self._refresh_grant,
            apply=lambda token, notify: self.apply_token(token, notify=notify),
            margin=self.refresh_margin,
            owner=type(self).__name__,
            platform=self.platform,
        )

    def _ensure_ready(self) -> None:
        if not self.is_authorized:
            if self.store is not None and self._initial_token is None:
                raise SessionExpiredError(
                    102,
                    f"{type(self).__name__}: no token saved in {self.store!r}: authorize first "
                    "(an OAuth session saving to this store), then build this session again",
                    platform=self.platform,
                )
            raise ConfigurationError(
                f"{type(self).__name__} is not authorized yet: call session.authorize() or use "
                f"'with {type(self).__name__}(...) as session:' before calling API methods"
            )
        if self.can_refresh and self._tokens.due(self.refresh_margin):
            self._refresh_single_flight(self.access_token)

    # --- requests integration -----------------------------------------------------------------

    @reproduced
    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``requests.Session.request`` with this session's default timeout filled in."""
        if len(args) < 8 and kwargs.get("timeout") is None:  # timeout is the 8th positional
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def budget_scope(self, what: str) -> _budget.BudgetScope:
        """Bound everything inside (calls, refreshes, login hops) by one :attr:`deadline`.

        ``with session.budget_scope("my job") as budget:``. Nested scopes of the same thread
        join the outermost one, so a refresh inside a call, or every page of a login flow,
        spends the budget of what the user called. A library exception leaving the outermost
        scope is stamped with ``attempts`` and ``elapsed`` and scrubbed of every secret this
        session knows (message, attributes, chain).
        """
        return _budget.BudgetScope(self.deadline, what, self._redact)

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
        signed = self._calls.sign(method, serialized)
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

        def send(signed: dict[str, str]) -> tuple[Any, int]:
            encoded = urlencode(signed)
            verb = self._choose_verb(method, signed, http_method, is_write, encoded)
            return self._send(verb, method, signed, encoded)

        with self.budget_scope(method) as budget:
            try:
                return self._calls.run(
                    self._settings, budget, method, serialized, send, is_write=is_write
                )
            except TransportError as exc:
                if is_write:
                    note_unsent_write(exc)
                raise

    def call_many(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any] | None]],
        **options: Unpack[CallManyOptions],
    ) -> list[Any]:
        """Run independent ``(method, params)`` calls concurrently on ``workers`` threads over
        the shared pool; results in order, each the value or its error (see :mod:`._many`)."""
        from ._many import call_many  # loads on first use

        return call_many(self, calls, **options)

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
        self, verb: str, method: str, signed: Mapping[str, str], encoded: str
    ) -> tuple[Any, int]:
        response, body = self._exchange.api_call(
            verb,
            self._api_url(method),
            method,
            signed,
            encoded,
            deadline=self.deadline,
            limit=self.max_body_size,
            configured=self.timeout,
        )
        status = response.status_code
        if status >= 400:
            try:
                envelope = self._dialect.extract_error(body, method)
            except ResponseError:
                envelope = None
            if envelope is None:
                raise http_status_error(response, method, self._redact)
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
        return self._exchange.request(
            verb,
            url,
            what=what,
            deadline=self.deadline,
            limit=self.max_body_size if max_body is None else max_body,
            configured=kwargs.pop("timeout", None) or self.timeout,
            **kwargs,
        )

    @reproduced
    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """``requests`` hook: inside :meth:`transport`, redirects are never even prepared.

        Why: with ``allow_redirects=False`` requests still builds the next request from
        ``Location`` (for ``response.next``), and a malformed ``Location`` then raises a bare
        ``ValueError`` out of ``send``. Outside transport (the user's own ``session.get``), the
        requests behaviour is untouched.
        """
        if inside_exchange():
            return iter(())
        redirects: Iterator[Any] = super().resolve_redirects(*args, **kwargs)
        return redirects

    # --- platform hooks -----------------------------------------------------------------------

    @property
    def is_authorized(self) -> bool:
        """True once the session holds what it needs to sign calls."""
        raise NotImplementedError

    def _repr_fields(self) -> dict[str, str]:
        return {"access_token": repr(mask(self.access_token))}

    def _api_url(self, method: str) -> str:
        raise NotImplementedError

    def _apply_token_fields(self, token: Mapping[str, Any]) -> None:
        self._dialect.apply_token_fields(self._tokens, token)

    def _after_token_change(self) -> None:
        """Hook run after new token data arrived (e.g. re-infer the signature circuit)."""

    def _supports_refresh(self) -> bool:
        return False

    def _refresh_grant(self) -> TokenData:
        raise NotImplementedError


_OPTIONS_NOTE = "Options (keyword-only"


def _options_paragraph() -> str:
    """The options every session class accepts, for its ``help()`` (from the one list the
    run-time check uses, so the two cannot drift)."""
    names = ", ".join(sorted(KNOWN_OPTIONS - {"format"}))
    return (
        f"{_OPTIONS_NOTE}, as for every session; typed in :mod:`mailru_sync.options`): "
        f"{names}. Grant sessions log in on their first API call when neither "
        "``authorize()`` nor ``with`` did."
    )


def restores_token(options: Mapping[str, object]) -> bool:
    """Whether the options bring a token (``token=`` or ``store=``), so the positional token
    fields may be left out (precedence: ``token=``, then the store, then the positional ones)."""
    return options.get("token") is not None or options.get("store") is not None


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
