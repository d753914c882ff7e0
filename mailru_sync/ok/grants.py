"""OK sessions that obtain their token by an OAuth grant or ``auth.login`` (aiookru's classes).

Each class only stores its grant's inputs; nothing is sent until :meth:`authorize` (explicit,
or on entering ``with ... as session:``), which runs the grant method of
:class:`~mailru_sync.ok.OkSession` and keeps the result: ``access_token``,
``session_secret_key`` (implicit flow, ``auth.login``), ``refresh_token`` (code grant),
``expires_in``/``expires_at``, ``permissions_granted`` and ``state`` (implicit flow).
``authorize()`` is idempotent: once the session holds a token it returns at once; call the grant
methods directly to obtain a new token.

Circuits, as the seeds say: ``app_secret_key`` with an access token → server-server, else
``session_secret_key`` → client-server. ``*ClientSession`` classes have no app secret and sign
with the session secret; ``*ServerSession`` classes always sign server-server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import requests

from .._autologin import AuthorizeOnFirstCall
from .._keys import check_key, require_key
from .._redact import SecretAttribute
from ..exceptions import ConfigurationError
from .token_sessions import OkSession

if TYPE_CHECKING:
    from ..options import CookieSessionOptions, Unpack

__all__ = [
    "CodeServerSession",
    "CodeSession",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "PasswordClientSession",
    "PasswordSession",
    "RefreshServerSession",
    "RefreshSession",
]

_Code = TypeVar("_Code", bound="CodeSession")
_Implicit = TypeVar("_Implicit", bound="ImplicitSession")
_Password = TypeVar("_Password", bound="PasswordSession")
_Refresh = TypeVar("_Refresh", bound="RefreshSession")


# --- authorization code ----------------------------------------------------------------------


class CodeSession(AuthorizeOnFirstCall, OkSession):
    """Authorization-code grant: exchange the ``code`` your redirect URI received.

    Needs ``app_secret_key`` (OK's client_secret). ``redirect_uri`` must be the one the
    authorization URL used (default: :attr:`default_redirect_uri`, which follows ``base_url``).
    """

    code = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        code: str,
        redirect_uri: str | None = None,
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
        self._dialect.require_secret(owner, "authorization-code")
        #: The single-use authorization code (never shown in messages or repr).
        self.code = require_key(
            "code", code, owner=owner, platform="ok",
            hint="the code from the redirect's query string",
        )
        self._remember_secrets(self.code)
        #: Redirect URI sent with the code; must equal the authorization request's.
        self.redirect_uri = redirect_uri or self.default_redirect_uri

    def authorize(self: _Code) -> _Code:
        """Exchange the code for tokens (once); returns the session."""
        if not self.is_authorized:
            self.fetch_token_from_code(self.code, self.redirect_uri)
        return self


class CodeServerSession(CodeSession):
    """:class:`CodeSession` that always signs server-server."""

    circuit_rule = "server"


# --- implicit (login dialogs) ----------------------------------------------------------------


class ImplicitSession(AuthorizeOnFirstCall, OkSession):
    """Implicit grant: log in with the user's login and password through OK's dialogs.

    ``login`` is a phone number, e-mail or login name. ``scope`` is ``;``-separated (empty:
    ``VALUABLE_ACCESS``; ``permissions=`` is aiookru's name for it); ``redirect_uri`` defaults
    to :attr:`default_redirect_uri`; ``state`` is sent and checked when given. See
    :meth:`login_implicit`.
    """

    _passwd = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        login: str,
        passwd: str,
        scope: str = "",
        redirect_uri: str = "",
        state: str = "",
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        *,
        permissions: str | None = None,
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
        if permissions is not None:  # aiookru's name for the scope (which it ignored)
            if scope:
                raise ConfigurationError(
                    f"{owner}: pass the permissions as scope= or as permissions= (aiookru's "
                    "name), not both"
                )
            scope = check_key("permissions", permissions, owner=owner, platform="ok")
        #: The user's login (phone, e-mail or login name).
        self.login = require_key(
            "login", login, owner=owner, hint="the user's phone, e-mail or login name",
            allow_at=True,
        )
        self._passwd = require_key(
            "passwd", passwd, owner=owner, hint="the user's password", allow_at=True
        )
        self._remember_secrets(self._passwd)
        #: ``;``-separated permissions requested.
        self.scope = scope or ""
        #: Where the platform sends the token (never fetched).
        self.redirect_uri = redirect_uri or self.default_redirect_uri
        self._state = state or ""

    def authorize(self: _Implicit) -> _Implicit:
        """Log in through the dialogs (once); returns the session."""
        if not self.is_authorized:
            self.login_implicit(
                self.login,
                self._passwd,
                self.scope,
                redirect_uri=self.redirect_uri,
                state=self._state,
            )
        return self


class ImplicitClientSession(ImplicitSession):
    """:class:`ImplicitSession` without the app secret: signs with the session secret key."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        login: str,
        passwd: str,
        scope: str = "",
        redirect_uri: str = "",
        state: str = "",
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            app_key,
            "",
            login,
            passwd,
            scope,
            redirect_uri,
            state,
            format=format,
            pass_error=pass_error,
            session=session,
            **options,
        )


class ImplicitServerSession(ImplicitSession):
    """:class:`ImplicitSession` that always signs server-server with ``app_secret_key``."""

    circuit_rule = "server"


# --- auth.login ------------------------------------------------------------------------------


class PasswordSession(AuthorizeOnFirstCall, OkSession):
    """Password login through the ``auth.login`` method (see :meth:`login_with_password`).

    With ``app_secret_key`` the login call is signed with it; without it the call is unsigned.
    API calls then always sign with the ``session_secret_key`` the login returned
    (client-server): an ``auth.login`` session's secret is its own, not
    md5(session_key + app_secret_key) as for OAuth tokens, so the server-server secret is
    refused for it (protocol-notes §2.3: the derived secret is only for a session without one).
    """

    #: An ``auth.login`` session signs with its own session secret (see above).
    circuit_rule = "client"

    _passwd = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        login: str,
        passwd: str,
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
        #: The user's login (phone, e-mail or login name).
        self.login = require_key(
            "login", login, owner=owner, hint="the user's phone, e-mail or login name",
            allow_at=True,
        )
        self._passwd = require_key(
            "passwd", passwd, owner=owner, hint="the user's password", allow_at=True
        )
        self._remember_secrets(self._passwd)

    def authorize(self: _Password) -> _Password:
        """Call ``auth.login`` (once); returns the session."""
        if not self.is_authorized:
            self.login_with_password(self.login, self._passwd)
        return self


class PasswordClientSession(PasswordSession):
    """:class:`PasswordSession` without the app secret (unsigned ``auth.login``)."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        login: str,
        passwd: str,
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            app_key,
            "",
            login,
            passwd,
            format=format,
            pass_error=pass_error,
            session=session,
            **options,
        )


# --- refresh grant ---------------------------------------------------------------------------


class RefreshSession(AuthorizeOnFirstCall, OkSession):
    """Refresh grant: a new access token from a stored ``refresh_token`` (needs the app secret)."""

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        refresh_token: str,
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
        self._dialect.require_secret(owner, "refresh-token")
        self.refresh_token = require_key(
            "refresh_token",
            refresh_token,
            owner=owner,
            platform="ok",
            hint="the refresh token the code grant returned",
        )
        self._remember_secrets(self.refresh_token)

    def authorize(self: _Refresh) -> _Refresh:
        """Run the refresh grant (once); returns the session."""
        if not self.is_authorized:
            self.refresh_access_token()
        return self


class RefreshServerSession(RefreshSession):
    """:class:`RefreshSession` that always signs server-server."""

    circuit_rule = "server"
