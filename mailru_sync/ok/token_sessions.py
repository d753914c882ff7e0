"""OK.ru sessions holding a token: ``TokenSession``, ``ClientSession``, ``ServerSession``.

The session classes keep their constructors and the public OAuth methods (authorization URL,
code, implicit and password logins); what a call needs to know about OK (``fb.do``'s signature
secret of each circuit, the top-level ``error_code`` envelope, token fields, the refresh grant's
payload) is the :class:`~mailru_sync.ok.dialect.OkDialect` each session holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import requests

from .._fields import PagingTable, PartField
from .._keys import check_app_id, check_key
from .._options import TokenData, restores_token
from .._redact import Redactor, mask
from .._session import BaseSession
from ..exceptions import ConfigurationError
from .dialect import WRITE_METHODS, Circuit, OkDialect

if TYPE_CHECKING:
    from .._paging import Paging
    from .._upload import PhotoFile
    from ..options import BaseSessionOptions, CookieSessionOptions, Unpack

__all__ = ["ClientSession", "OkSession", "ServerSession", "TokenSession"]


class OkSession(BaseSession):
    """OK machinery shared by every OK session class."""

    _dialect: OkDialect

    platform = "ok"

    #: REST endpoint (``base_url`` moves it, keeping the path).
    API_URL: ClassVar[str] = "https://api.ok.ru/fb.do"
    #: OAuth authorization page.
    AUTHORIZE_URL: ClassVar[str] = "https://connect.ok.ru/oauth/authorize"
    #: Token endpoint (code and refresh grants).
    TOKEN_URL: ClassVar[str] = "https://api.ok.ru/oauth/token.do"
    #: Default redirect URI of external apps (apiok.ru/en/ext/oauth/client).
    REDIRECT_URI: ClassVar[str] = "https://oauth.mycdn.me/blank.html"

    WRITE_METHODS: ClassVar[frozenset[str]] = WRITE_METHODS

    #: "infer" (seed rule), or a fixed circuit for Client*/Server* classes.
    circuit_rule: ClassVar[Literal["infer", "client", "server"]] = "infer"
    #: How each listing pages (:mod:`mailru_sync.ok.paging`), for ``session.iter``.
    if TYPE_CHECKING:
        PAGING: ClassVar[Mapping[str, Paging]]
    else:
        PAGING = PagingTable("mailru_sync.ok.paging")

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str = "",
        *,
        format: str = "json",
        **options: Unpack[BaseSessionOptions],
    ) -> None:
        if format != "json":
            raise ConfigurationError(
                f"format={format!r} is not supported: this library reads JSON only; pass "
                "format='json' or leave it out"
            )
        owner = type(self).__name__
        app_key = check_key("app_key", app_key, owner=owner, platform="ok")
        redact = Redactor()
        self._dialect = OkDialect(
            redact,
            check_app_id(app_id, owner=owner, platform="ok"),
            app_key,
            check_key("app_secret_key", app_secret_key, owner=owner, platform="ok"),
            self.circuit_rule,
        )
        super().__init__(self._dialect, redact, **options)
        if not app_key:
            raise ConfigurationError(
                f"{owner} needs app_key (the application's public key, sent as "
                "application_key)"
            )
        if self.circuit_rule == "server" and not self.app_secret_key:
            raise ConfigurationError(
                f"{owner} signs server-server and needs app_secret_key; pass it, or use a "
                "Client session with a session_secret_key"
            )

    #: Application id (``client_id`` in OAuth).
    app_id: PartField[str] = PartField("_dialect")
    #: Application public key, sent as ``application_key``.
    app_key: PartField[str] = PartField("_dialect")
    #: Application secret key; never sent (only signatures derived from it).
    app_secret_key: PartField[str] = PartField("_dialect")
    #: Session secret key (client-server signatures); never sent.
    session_secret_key: PartField[str] = PartField("_dialect")
    #: Permissions the user granted (implicit flow), as the platform listed them.
    permissions_granted: PartField[str] = PartField("_dialect")
    #: ``state`` echoed by the authorization redirect.
    state: PartField[str] = PartField("_dialect")
    #: The signature circuit in use, once known.
    circuit: PartField[Circuit | None] = PartField("_dialect")

    # --- circuit ------------------------------------------------------------------------------

    def _after_token_change(self) -> None:
        self.circuit = self._dialect.resolve_circuit(type(self).__name__, self.access_token)

    @property
    def is_authorized(self) -> bool:
        return self._dialect.is_authorized(self._tokens.access_token)

    def _repr_fields(self) -> dict[str, str]:
        return {
            "app_id": self.app_id,
            "app_key": repr(self.app_key),
            "circuit": str(self.circuit),
            "access_token": repr(mask(self.access_token)),
        }

    # --- calls -------------------------------------------------------------------------------

    def _api_url(self, method: str) -> str:
        return self.url(self.API_URL)

    def upload_photo(
        self,
        file: PhotoFile,
        *,
        aid: str | None = None,
        gid: str | None = None,
        comment: str | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:
        """Upload a photo (a path, bytes or a binary file object, streamed): getUploadUrl, the
        upload, then commit. Returns ``{"photo_id", "status", "assigned_photo_id"}``; the photo
        then shows in photos.getPhotos under ``assigned_photo_id``."""
        from .uploads import upload_photo  # the multipart machinery loads on first use

        return upload_photo(
            self.call,
            self._exchange,
            self._settings,
            self._dialect,
            file,
            aid=aid,
            gid=gid,
            comment=comment,
            filename=filename,
        )

    # --- OAuth grants -------------------------------------------------------------------------

    @property
    def default_redirect_uri(self) -> str:
        """:attr:`REDIRECT_URI`, moved to ``base_url`` when one is set."""
        return self.url(self.REDIRECT_URI)

    def authorization_url(
        self,
        redirect_uri: str | None = None,
        scope: str | list[str] | tuple[str, ...] = "VALUABLE_ACCESS",
        state: str | None = None,
        response_type: Literal["code", "token"] = "code",
        layout: str = "w",
    ) -> str:
        """The URL to send a user to (web flow); OK redirects to ``redirect_uri?code=...``
        (or ``#access_token=...`` for ``response_type="token"``). Scopes are ``;``-joined."""
        if response_type not in ("code", "token"):
            raise ConfigurationError(
                f"response_type must be 'code' or 'token', got {response_type!r}"
            )
        scope_text = scope if isinstance(scope, str) else ";".join(scope)
        query: dict[str, str] = {
            "client_id": self.app_id,
            "scope": scope_text,
            "response_type": response_type,
            "redirect_uri": redirect_uri or self.default_redirect_uri,
            "layout": layout,
        }
        import secrets  # only authorizing apps need it

        # A fresh random state unless one is given: the callback must bring it back
        # (code_from_callback checks it), which defeats forged callbacks (CSRF).
        self.oauth_state = secrets.token_urlsafe(24) if state is None else state
        query["state"] = self.oauth_state
        return f"{self.url(self.AUTHORIZE_URL)}?{urlencode(query)}"

    def fetch_token_from_code(self, code: str, redirect_uri: str | None = None) -> TokenData:
        """Authorization-code grant: exchange ``code`` (single-use) for tokens and keep them."""
        if not code:
            raise ConfigurationError(
                "code is empty; pass the code from the redirect's query string"
            )
        self._dialect.require_secret(type(self).__name__, "authorization-code")
        self._remember_secrets(code)
        from .._oauth import token_request  # grants load on first use (see the package doc)

        token = token_request(
            self,
            self._redact,
            self.url(self.TOKEN_URL),
            {
                "code": code,
                "client_id": self.app_id,
                "client_secret": self.app_secret_key,
                "redirect_uri": redirect_uri or self.default_redirect_uri,
                "grant_type": "authorization_code",
            },
            grant="authorization_code",
        )
        self.apply_token(token)
        return token

    def login_implicit(
        self,
        login: str,
        passwd: str,
        scope: str | list[str] | tuple[str, ...] = "",
        *,
        redirect_uri: str | None = None,
        state: str = "",
    ) -> TokenData:
        """Implicit grant: log in through OK's login and permissions pages; keep the token.

        ``scope`` is ``;``-joined; empty means ``VALUABLE_ACCESS`` (what most methods need, and
        OK's JS SDK default). The result comes back in the fragment of ``redirect_uri`` (default
        :attr:`default_redirect_uri`), which is never fetched. Credentials are only posted to
        OK's own hosts (or ``base_url``).
        """
        scope_text = scope if isinstance(scope, str) else ";".join(scope)
        with self.budget_scope("implicit login"):  # every hop shares one deadline
            from .implicit import implicit_login  # the login machinery loads on first use

            token = implicit_login(
                self,
                self._redact,
                login,
                passwd,
                scope_text or "VALUABLE_ACCESS",
                redirect_uri=redirect_uri,
                state=state,
            )
        self.apply_token(token)
        return token

    def login_with_password(self, login: str, passwd: str) -> TokenData:
        """Password login via the ``auth.login`` method: a ``session_key`` (kept as the access
        token) and a ``session_secret_key``. Signed with ``app_secret_key`` when the session has
        one, unsigned otherwise."""
        from .password import password_login  # login machinery loads on first use

        with self.budget_scope("auth.login"):
            token = password_login(self, self._calls, self._settings, login, passwd)
        self.apply_token(token)
        return token

    def _supports_refresh(self) -> bool:
        return bool(self.app_secret_key)

    def _refresh_grant(self) -> TokenData:
        self._dialect.require_secret(type(self).__name__, "refresh-token")
        if not self.refresh_token:
            raise ConfigurationError(f"{type(self).__name__} has no refresh token")
        from .._oauth import token_request

        return token_request(
            self,
            self._redact,
            self.url(self.TOKEN_URL),
            self._dialect.refresh_grant_data(self.refresh_token),
            grant="refresh_token",
        )


class TokenSession(OkSession):
    """A session with tokens you already have; the circuit is inferred (see module)."""

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        access_token: str = "",
        session_secret_key: str = "",
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            app_key,
            app_secret_key,
            format=format,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        self.access_token = check_key("access_token", access_token, owner=owner, platform="ok")
        self.session_secret_key = check_key(
            "session_secret_key", session_secret_key, owner=owner, platform="ok"
        )
        if self.access_token or self.session_secret_key or not restores_token(options):
            self.circuit = self._dialect.resolve_circuit(owner, self.access_token)


class ClientSession(TokenSession):
    """Client-server signatures with the ``session_secret_key``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        access_token: str = "",
        session_secret_key: str = "",
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            app_key,
            "",
            access_token,
            session_secret_key,
            format=format,
            pass_error=pass_error,
            session=session,
            **options,
        )


class ServerSession(TokenSession):
    """Server-server signatures with ``md5(access_token + app_secret_key)``."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        access_token: str = "",
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            app_key,
            app_secret_key,
            access_token,
            "",
            format=format,
            pass_error=pass_error,
            session=session,
            **options,
        )
