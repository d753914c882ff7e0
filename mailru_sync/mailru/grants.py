"""Mail.ru sessions that obtain their token by an OAuth grant (aiomailru's session classes).

Each class only stores its grant's inputs; nothing is sent until :meth:`authorize` (explicit,
or on entering ``with ... as session:``), which runs the grant method of
:class:`~mailru_sync.MailruSession` and keeps the result: ``session_key`` (alias
``access_token``), ``uid``, ``refresh_token``, ``expires_in``, ``expires_at``.
``authorize()`` is idempotent: once the session holds a token it returns at once (an
authorization code could not be exchanged twice anyway); call the grant methods directly to
obtain a new token.

The signature circuit is inferred from the token as the seeds say (``uid`` and ``private_key`` →
client-server, else ``secret_key`` → server-server); ``*ClientSession`` classes always sign
client-server (they need the ``uid`` the platform returns as ``x_mailru_vid``),
``*ServerSession`` classes always server-server (no ``uid`` needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import requests

from .._autologin import AuthorizeOnFirstCall
from .._keys import check_login_email, require_key
from .._redact import SecretAttribute
from .sessions import MailruSession, full_scope

if TYPE_CHECKING:
    from ..options import CookieSessionOptions, Unpack

__all__ = [
    "CodeClientSession",
    "CodeServerSession",
    "CodeSession",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "PasswordClientSession",
    "PasswordServerSession",
    "PasswordSession",
    "RefreshClientSession",
    "RefreshServerSession",
    "RefreshSession",
]

_Code = TypeVar("_Code", bound="CodeSession")
_Implicit = TypeVar("_Implicit", bound="ImplicitSession")
_Password = TypeVar("_Password", bound="PasswordSession")
_Refresh = TypeVar("_Refresh", bound="RefreshSession")


# --- authorization code ----------------------------------------------------------------------


class CodeSession(AuthorizeOnFirstCall, MailruSession):
    """Authorization-code grant: exchange the ``code`` your redirect URI received.

    ``redirect_uri`` must be the one the authorization URL used (default:
    :attr:`default_redirect_uri`, which follows ``base_url``).
    """

    code = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        code: str,
        redirect_uri: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            secret_key,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        #: The single-use authorization code (never shown in messages or repr).
        self.code = require_key(
            "code", code, owner=owner, platform="mailru",
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


class CodeClientSession(CodeSession):
    """:class:`CodeSession` signing client-server with ``private_key`` (sent as client_secret)."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        code: str,
        redirect_uri: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            "",
            code,
            redirect_uri,
            pass_error=pass_error,
            session=session,
            **options,
        )


class CodeServerSession(CodeSession):
    """:class:`CodeSession` signing server-server with ``secret_key``."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        secret_key: str,
        code: str,
        redirect_uri: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            "",
            secret_key,
            code,
            redirect_uri,
            pass_error=pass_error,
            session=session,
            **options,
        )


# --- implicit (login dialogs) ----------------------------------------------------------------


class ImplicitSession(AuthorizeOnFirstCall, MailruSession):
    """Implicit grant: log in with the user's e-mail and password through Mail.ru's dialogs.

    ``scope`` defaults to :func:`~mailru_sync.full_scope` (``''`` requests none);
    ``redirect_uri`` to :attr:`default_redirect_uri`. See :meth:`login_implicit`.
    """

    _passwd = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        *,
        redirect_uri: str | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            secret_key,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        #: The user's e-mail (the login).
        self.email = check_login_email(email, owner=owner)
        self._passwd = require_key(
            "passwd", passwd, owner=owner, hint="the user's password", allow_at=True
        )
        self._remember_secrets(self._passwd)
        #: Space-separated privileges requested.
        self.scope = full_scope() if scope is None else scope
        #: Where the platform sends the token (never fetched).
        self.redirect_uri = redirect_uri or self.default_redirect_uri

    def authorize(self: _Implicit) -> _Implicit:
        """Log in through the dialogs (once); returns the session."""
        if not self.is_authorized:
            self.login_implicit(
                self.email, self._passwd, self.scope, redirect_uri=self.redirect_uri
            )
        return self


class ImplicitClientSession(ImplicitSession):
    """:class:`ImplicitSession` signing client-server with ``private_key``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        *,
        redirect_uri: str | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            "",
            email,
            passwd,
            scope,
            redirect_uri=redirect_uri,
            pass_error=pass_error,
            session=session,
            **options,
        )


class ImplicitServerSession(ImplicitSession):
    """:class:`ImplicitSession` signing server-server with ``secret_key``."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        secret_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        *,
        redirect_uri: str | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            "",
            secret_key,
            email,
            passwd,
            scope,
            redirect_uri=redirect_uri,
            pass_error=pass_error,
            session=session,
            **options,
        )


# --- password grant --------------------------------------------------------------------------


class PasswordSession(AuthorizeOnFirstCall, MailruSession):
    """Password grant at the token endpoint (Mail.ru enables it per app, on request).

    ``scope`` defaults to :func:`~mailru_sync.full_scope` (``''`` sends none).
    """

    _passwd = SecretAttribute()  # redacted however it is set

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            secret_key,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        #: The user's e-mail (sent as ``username``).
        self.email = check_login_email(email, owner=owner)
        self._passwd = require_key(
            "passwd", passwd, owner=owner, hint="the user's password", allow_at=True
        )
        self._remember_secrets(self._passwd)
        #: Space-separated privileges requested.
        self.scope = full_scope() if scope is None else scope

    def authorize(self: _Password) -> _Password:
        """Run the password grant (once); returns the session."""
        if not self.is_authorized:
            self.fetch_token_from_password(self.email, self._passwd, self.scope)
        return self


class PasswordClientSession(PasswordSession):
    """:class:`PasswordSession` signing client-server with ``private_key``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            "",
            email,
            passwd,
            scope,
            pass_error=pass_error,
            session=session,
            **options,
        )


class PasswordServerSession(PasswordSession):
    """:class:`PasswordSession` signing server-server with ``secret_key``."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        secret_key: str,
        email: str,
        passwd: str,
        scope: str | None = None,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            "",
            secret_key,
            email,
            passwd,
            scope,
            pass_error=pass_error,
            session=session,
            **options,
        )


# --- refresh grant ---------------------------------------------------------------------------


class RefreshSession(AuthorizeOnFirstCall, MailruSession):
    """Refresh grant: a new access token from a stored ``refresh_token``."""

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        refresh_token: str,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            secret_key,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        self.refresh_token = require_key(
            "refresh_token",
            refresh_token,
            owner=owner,
            platform="mailru",
            hint="the refresh token an earlier grant returned",
        )
        self._remember_secrets(self.refresh_token)

    def authorize(self: _Refresh) -> _Refresh:
        """Run the refresh grant (once); returns the session."""
        if not self.is_authorized:
            self.refresh_access_token()
        return self


class RefreshClientSession(RefreshSession):
    """:class:`RefreshSession` signing client-server with ``private_key``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        refresh_token: str,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            "",
            refresh_token,
            pass_error=pass_error,
            session=session,
            **options,
        )


class RefreshServerSession(RefreshSession):
    """:class:`RefreshSession` signing server-server with ``secret_key``."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        secret_key: str,
        refresh_token: str,
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[CookieSessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            "",
            secret_key,
            refresh_token,
            pass_error=pass_error,
            session=session,
            **options,
        )
