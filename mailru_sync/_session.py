"""The platform-independent session: a ``requests.Session`` that calls REST API methods.

Why a ``requests.Session`` subclass: users keep everything they know from requests (mount,
proxies, verify, hooks, headers, cookies), and the OAuth grants live on the same object, as in
requests-oauthlib. The session is composed of parts, each a module of one concern, and this
class only wires them: validated options (:mod:`._options`), token state and the single-flight
refresh (:mod:`._tokens`), the call pipeline (:mod:`._pipeline`), one bounded exchange over two
routes (:mod:`._exchange`) and the platform's dialect (``mailru/dialect.py``, ``ok/dialect.py``).

Thread safety: one session may be shared by many threads. Calls only read the configuration;
the token is replaced under a lock (single-flight refresh), the limiter reserves slots under its
own lock and sleeps outside it, and urllib3's pool hands each thread its own connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from urllib.parse import unquote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import _budget
from ._api_request import build_request, choose_verb
from ._construction import AppliesSavedToken
from ._cookies import seed_cookies
from ._exchange import Exchange, http_status_error, inside_exchange
from ._fastpath import reproduced
from ._fields import SettingAttributes, TokenAttributes
from ._forksafe import reset_in_child
from ._many import CallsMany
from ._options import (
    TokenData,
    parse_options,
    token_options,
)
from ._pipeline import CallPipeline, Dialect, note_unsent_write
from ._pools import UsesSharedPool, is_shared
from ._redact import Redactor, install_urllib3_filter, mask
from ._tokens import TokenState
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

    from ._paging import Paging
    from .options import BaseSessionOptions, Unpack

__all__ = ["BaseSession"]

logger = logging.getLogger("mailru_sync")
install_urllib3_filter()


_SessionT = TypeVar("_SessionT", bound="BaseSession")



class BaseSession(  # the mixins live with their concerns; requests.Session comes last
    AppliesSavedToken, SettingAttributes, TokenAttributes, CallsMany, UsesSharedPool,
    requests.Session,
):
    """Common machinery of every Mail.ru and OK session. Not used directly."""

    platform: ClassVar[Platform]
    #: API method names that change state; never resent automatically (see ``retry_writes``).
    WRITE_METHODS: ClassVar[frozenset[str]] = frozenset()
    #: How each listing method pages (``mailru_sync.mailru.paging``, ``mailru_sync.ok.paging``).
    PAGING: ClassVar[Mapping[str, Paging]] = {}

    def __init__(
        self, dialect: Dialect, redact: Redactor, **options: Unpack[BaseSessionOptions]
    ) -> None:
        """``dialect``: the platform's rules with the app's credentials; ``redact``: the
        redactor the dialect registers its secrets with (one per session)."""
        super().__init__()
        self._dialect = dialect
        owner = type(self).__name__
        self._settings = parse_options(owner, options)
        store, loader, updater, token = token_options(options)
        self._redact = redact
        if self.base_url:  # userinfo in base_url is a credential too
            userinfo = urlsplit(self.base_url).netloc.rpartition("@")[0]
            self._redact.add(userinfo, unquote(userinfo), *userinfo.split(":")[1:],
                             *(unquote(p) for p in userinfo.split(":")[1:]))
        self._tokens = TokenState(
            self._redact,
            store=store,
            loader=loader,
            updater=updater,
            refresh_lock=options.get("refresh_lock"),
        )

        self._mount_shared_pool(self.pool_maxsize)  # the process-wide pool (see _pools)
        self.headers["User-Agent"] = (
            f"mailru_sync/{__version__} {requests.utils.default_user_agent()}"
        )
        session = options.get("session")
        if session is not None:
            self._share_pools(session)
        seed_cookies(self.cookies, options.get("cookies", ()))
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

    # --- fork safety ----------------------------------------------------------------------------

    def _reset_after_fork(self) -> None:
        """In a forked child: drop the inherited pooled connections and locks (see _forksafe)."""
        for adapter in self.adapters.values():
            if isinstance(adapter, HTTPAdapter) and not is_shared(adapter):  # shared: own reset
                reset_pools(adapter)
        self._tokens.reset_after_fork()

    # --- token state --------------------------------------------------------------------------

    def _remember_secrets(self, *secrets: object) -> None:
        """Make sure these values never show in messages or logs."""
        self._redact.add(*secrets)

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
            with self._tokens.lock:
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
        tokens = self._tokens  # the parts directly: this runs before every attempt
        if (
            tokens.expires_at is not None
            and tokens.due(self._settings.refresh_margin)
            and self.can_refresh
        ):
            self._refresh_single_flight(tokens.access_token)

    # --- requests integration -----------------------------------------------------------------

    @reproduced
    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``requests.Session.request`` with this session's default timeout filled in."""
        if len(args) < 8 and kwargs.get("timeout") is None:  # timeout is the 8th positional
            kwargs["timeout"] = self._settings.timeout
        return super().request(method, url, *args, **kwargs)

    def budget_scope(self, what: str) -> _budget.BudgetScope:
        """Bound everything inside (calls, refreshes, login hops) by one :attr:`deadline`.

        ``with session.budget_scope("my job") as budget:``. Nested scopes of the same thread
        join the outermost one, so a refresh inside a call, or every page of a login flow,
        spends the budget of what the user called. A library exception leaving the outermost
        scope is stamped with ``attempts`` and ``elapsed`` and scrubbed of every secret this
        session knows (message, attributes, chain).
        """
        return _budget.BudgetScope(self._settings.deadline, what, self._redact)

    def url(self, url: str) -> str:
        """``url`` moved to ``base_url`` when one is set (the paths stay)."""
        return rebase(url, self._settings.base_url)

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
        return method in self.WRITE_METHODS or method in self._settings.write_methods

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
        url = self._api_url(method)
        is_write = self.is_write(method) if write is None else bool(write)
        verb = choose_verb(url, signed, http_method, is_write)
        return self.prepare_request(build_request(verb, url, signed))

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
        url = self._api_url(method)

        def send(signed: dict[str, str]) -> tuple[Any, int]:
            encoded = urlencode(signed)
            verb = choose_verb(url, signed, http_method, is_write, encoded)
            return self._send(verb, url, method, signed, encoded)

        with self.budget_scope(method) as budget:
            try:
                return self._calls.run(
                    self._settings, budget, method, serialized, send, is_write=is_write
                )
            except TransportError as exc:
                if is_write:
                    note_unsent_write(exc)
                raise

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

    def _send(
        self, verb: str, url: str, method: str, signed: Mapping[str, str], encoded: str
    ) -> tuple[Any, int]:
        settings = self._settings
        response, body = self._exchange.api_call(
            verb,
            url,
            method,
            signed,
            encoded,
            deadline=settings.deadline,
            limit=settings.max_body_size,
            configured=settings.timeout,
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
        settings = self._settings
        return self._exchange.request(
            verb,
            url,
            what=what,
            deadline=settings.deadline,
            limit=settings.max_body_size if max_body is None else max_body,
            configured=kwargs.pop("timeout", None) or settings.timeout,
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
