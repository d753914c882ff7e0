"""Mail.ru sessions holding a token: ``TokenSession``, ``ClientSession``, ``ServerSession``.

The session classes keep their constructors and the public OAuth methods (authorization URL,
code, password and implicit grants); what a call needs to know about Mail.ru (the endpoint's
signatures, the ``{"error": {...}}`` envelope, token fields, the refresh grant's payload) is the
:class:`~mailru_sync.mailru.dialect.MailruDialect` each session holds. The OAuth sessions
(``CodeSession`` ...) subclass these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import requests

from .._fields import PagingTable, PartField
from .._keys import check_app_id, check_hex_key, check_key
from .._options import CookiesOption, TokenData, restores_token
from .._redact import Redactor, mask
from .._session import BaseSession
from ..exceptions import ConfigurationError
from .dialect import WRITE_METHODS, Circuit, MailruDialect

if TYPE_CHECKING:
    from .._paging import Paging
    from .._upload import PhotoFile
    from ..options import BaseSessionOptions, SessionOptions, Unpack

__all__ = ["PRIVILEGES", "ClientSession", "MailruSession", "ServerSession", "TokenSession",
           "full_scope"]

#: Mail.ru permission names (api.mail.ru/docs/guides/restapi/#permissions).
PRIVILEGES = ("photos", "guestbook", "stream", "messages", "events")


def full_scope() -> str:
    """Every Mail.ru privilege, space-separated, as the ``scope`` of an authorization."""
    return " ".join(PRIVILEGES)


class MailruSession(BaseSession):
    """Mail.ru machinery shared by every Mail.ru session class."""

    _dialect: MailruDialect

    platform = "mailru"

    #: REST endpoint (``base_url`` moves it, keeping the path).
    API_URL: ClassVar[str] = "https://appsmail.ru/platform/api"
    #: OAuth authorization page.
    AUTHORIZE_URL: ClassVar[str] = "https://connect.mail.ru/oauth/authorize"
    #: Token endpoint of the authorization-code grant (sites).
    CODE_TOKEN_URL: ClassVar[str] = "https://connect.mail.ru/oauth/token"
    #: Token endpoint of the password and refresh grants.
    TOKEN_URL: ClassVar[str] = "https://appsmail.ru/oauth/token"
    #: Login form target of the implicit flow.
    LOGIN_URL: ClassVar[str] = "https://auth.mail.ru/cgi-bin/auth"
    #: Default redirect URI of standalone apps.
    REDIRECT_URI: ClassVar[str] = "https://connect.mail.ru/oauth/success.html"

    WRITE_METHODS: ClassVar[frozenset[str]] = WRITE_METHODS

    #: "infer" (seed rule), or a fixed circuit for Client*/Server* classes.
    circuit_rule: ClassVar[Literal["infer", "client", "server"]] = "infer"
    #: How each listing pages (:mod:`mailru_sync.mailru.paging`), for ``session.iter``.
    if TYPE_CHECKING:
        PAGING: ClassVar[Mapping[str, Paging]]
    else:
        PAGING = PagingTable("mailru_sync.mailru.paging")

    def __init__(
        self,
        app_id: int | str,
        private_key: str = "",
        secret_key: str = "",
        **options: Unpack[BaseSessionOptions],
    ) -> None:
        owner = type(self).__name__
        redact = Redactor()
        self._dialect = MailruDialect(
            redact,
            check_app_id(app_id, owner=owner, platform="mailru"),
            check_hex_key("private_key", private_key, owner=owner),
            check_hex_key("secret_key", secret_key, owner=owner),
            self.circuit_rule,
        )
        super().__init__(self._dialect, redact, **options)
        self._dialect.check_keys(owner)

    #: Application id (``client_id``), as sent.
    app_id: PartField[str] = PartField("_dialect")
    #: Application private key (client-server signatures); never sent.
    private_key: PartField[str] = PartField("_dialect")
    #: Application secret key (server-server signatures, grants); never sent.
    secret_key: PartField[str] = PartField("_dialect")
    #: Current user's id (``x_mailru_vid``), prefixed to client-server signatures.
    uid: PartField[str] = PartField("_dialect")
    #: The signature circuit in use, once known.
    circuit: PartField[Circuit | None] = PartField("_dialect")

    # --- credentials and circuit --------------------------------------------------------------

    @property
    def session_key(self) -> str:
        """Mail.ru's name for the access token."""
        return self.access_token

    @session_key.setter
    def session_key(self, value: str) -> None:
        self.access_token = value

    def _after_token_change(self) -> None:
        self.circuit = self._dialect.resolve_circuit(type(self).__name__, self.access_token)

    @property
    def is_authorized(self) -> bool:
        return self._dialect.is_authorized(self._tokens.access_token)

    def _repr_fields(self) -> dict[str, str]:
        return {
            "app_id": self.app_id,
            "circuit": str(self.circuit),
            "uid": repr(self.uid),
            "session_key": repr(mask(self.access_token)),
        }

    # --- calls -------------------------------------------------------------------------------

    def _api_url(self, method: str) -> str:
        return self.url(self.API_URL)

    def upload_photo(
        self,
        file: PhotoFile,
        *,
        aid: str = "_myphoto",
        name: str | None = None,
        description: str | None = None,
        filename: str | None = None,
    ) -> Any:
        """Upload a photo (a path, bytes or a binary file object, streamed) into album ``aid``
        with ``photos.upload``; returns the platform's photo object (as photos.get lists it)."""
        from .uploads import upload_photo  # the multipart machinery loads on first use

        return upload_photo(
            self._calls,
            self._exchange,
            self._settings,
            self.url(self.API_URL),
            file,
            aid=aid,
            name=name,
            description=description,
            filename=filename,
        )

    # --- OAuth grants -------------------------------------------------------------------------

    @property
    def client_secret(self) -> str:
        """What the token endpoint gets as ``client_secret`` (the ``secret_key``, else the
        ``private_key``: see :mod:`mailru_sync.mailru.dialect`)."""
        return self._dialect.client_secret

    @property
    def default_redirect_uri(self) -> str:
        """:attr:`REDIRECT_URI`, moved to ``base_url`` when one is set."""
        return self.url(self.REDIRECT_URI)

    def authorization_url(
        self,
        redirect_uri: str | None = None,
        scope: str | list[str] | tuple[str, ...] = "",
        state: str | None = None,
        response_type: Literal["code", "token"] = "code",
        display: str | None = None,
    ) -> str:
        """The URL to send a user to (web flow): Mail.ru asks for consent, then redirects to
        ``redirect_uri?code=...`` (or ``#access_token=...`` for ``response_type="token"``)."""
        if response_type not in ("code", "token"):
            raise ConfigurationError(
                f"response_type must be 'code' or 'token', got {response_type!r}"
            )
        scope_text = scope if isinstance(scope, str) else " ".join(scope)
        query: dict[str, str] = {
            "client_id": self.app_id,
            "response_type": response_type,
            "redirect_uri": redirect_uri or self.default_redirect_uri,
        }
        if scope_text:
            query["scope"] = scope_text
        import secrets  # only authorizing apps need it

        # A fresh random state unless one is given: the callback must bring it back
        # (code_from_callback checks it), which defeats forged callbacks (CSRF).
        self.oauth_state = secrets.token_urlsafe(24) if state is None else state
        query["state"] = self.oauth_state
        if display is not None:
            query["display"] = display
        return f"{self.url(self.AUTHORIZE_URL)}?{urlencode(query)}"

    def fetch_token_from_code(self, code: str, redirect_uri: str | None = None) -> TokenData:
        """Authorization-code grant: exchange ``code`` (single-use) for tokens and keep them."""
        if not code:
            raise ConfigurationError(
                "code is empty; pass the code from the redirect's query string"
            )
        self._remember_secrets(code)
        from .._oauth import token_request  # grants load on first use (see the package doc)

        token = token_request(
            self,
            self._redact,
            self.url(self.CODE_TOKEN_URL),
            {
                "client_id": self.app_id,
                "client_secret": self.client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri or self.default_redirect_uri,
            },
            grant="authorization_code",
        )
        self.apply_token(token)
        return token

    def fetch_token_from_password(self, email: str, passwd: str, scope: str = "") -> TokenData:
        """Password grant (must be enabled for the app by Mail.ru): log in with e-mail/password."""
        if not email or not passwd:
            raise ConfigurationError("email and passwd are required for the password grant")
        self._remember_secrets(passwd)
        data = {
            "grant_type": "password",
            "client_id": self.app_id,
            "client_secret": self.client_secret,
            "username": email,
            "password": passwd,
        }
        if scope:
            data["scope"] = scope
        from .._oauth import token_request

        token = token_request(
            self, self._redact, self.url(self.TOKEN_URL), data, grant="password"
        )
        self.apply_token(token)
        return token

    def login_implicit(
        self,
        email: str,
        passwd: str,
        scope: str | list[str] | tuple[str, ...] | None = None,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> TokenData:
        """Implicit grant: log in through Mail.ru's login and consent pages; keep the token.

        ``scope`` defaults to :func:`full_scope` (``''`` asks for none); the token comes back in
        the fragment of ``redirect_uri`` (default :attr:`default_redirect_uri`), which is never
        fetched. Credentials are only posted to Mail.ru's own hosts (or ``base_url``).
        """
        if scope is None:
            scope = full_scope()
        scope_text = scope if isinstance(scope, str) else " ".join(scope)
        with self.budget_scope("implicit login"):  # every hop shares one deadline
            from .implicit import implicit_login  # the login machinery loads on first use

            token = implicit_login(
                self,
                self._redact,
                email,
                passwd,
                scope_text,
                redirect_uri=redirect_uri,
                state=state,
            )
        self.apply_token(token)
        return token

    def _supports_refresh(self) -> bool:
        return bool(self.client_secret)

    def _refresh_grant(self) -> TokenData:
        if not self.refresh_token:
            raise ConfigurationError(
                f"{type(self).__name__} has no refresh token; authorize again"
            )
        from .._oauth import token_request

        return token_request(
            self,
            self._redact,
            self.url(self.TOKEN_URL),
            self._dialect.refresh_grant_data(self.refresh_token),
            grant="refresh_token",
        )


class TokenSession(MailruSession):
    """A session with an access token you already have; the circuit is inferred (see module)."""

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        access_token: str = "",
        uid: str | int = "",
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            secret_key,
            cookies=cookies,
            pass_error=pass_error,
            session=session,
            **options,
        )
        owner = type(self).__name__
        token = check_key("access_token", access_token, owner=owner, platform="mailru")
        self.uid = "" if uid is None else str(uid).strip()
        if token:
            self.access_token = token
            self.circuit = self._dialect.resolve_circuit(owner, token)
        elif not restores_token(options):
            raise ConfigurationError(
                f"{owner} needs an access_token (session_key): pass one, or token= (a saved "
                "session.token) or store= to restore one; get one with an OAuth session"
            )


class ClientSession(TokenSession):
    """Client-server signatures with ``private_key`` and the user's ``uid``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        access_token: str = "",
        uid: str | int = "",
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            private_key,
            "",
            access_token,
            uid,
            cookies=cookies,
            pass_error=pass_error,
            session=session,
            **options,
        )


class ServerSession(TokenSession):
    """Server-server signatures with the app's ``secret_key`` (``secure=1``)."""

    circuit_rule = "server"

    def __init__(
        self,
        app_id: int | str,
        secret_key: str,
        access_token: str = "",
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        super().__init__(
            app_id,
            "",
            secret_key,
            access_token,
            "",
            cookies=cookies,
            pass_error=pass_error,
            session=session,
            **options,
        )
