"""Mail.ru sessions holding a token: ``TokenSession``, ``ClientSession``, ``ServerSession``.

Everything Mail.ru-specific about a call lives here: the endpoint, the two signature circuits,
the ``{"error": {...}}`` envelope, the token-endpoint grants (code, password, refresh) and the
authorization URL. The OAuth sessions (``CodeSession`` ...) subclass these.

Circuit inference, exactly as the seeds state: ``uid`` and ``private_key`` → client-server;
else ``secret_key`` → server-server; else :class:`~mailru_sync.ConfigurationError`.

``client_secret`` for the grants: the app's ``secret_key`` when the session has one, else its
``private_key``. Mail.ru documents ``client_secret`` as the secret key; standalone apps hold
only the private key (a public standalone client sends it for refresh), so Client variants send
that. The emulator accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import requests

from .._keys import check_app_id, check_hex_key, check_key
from .._redact import SecretAttribute, mask
from .._session import BaseSession, CookiesOption, PagingTable, TokenData
from ..exceptions import APIError, ConfigurationError
from ..signer import sign_mailru_client, sign_mailru_server

if TYPE_CHECKING:
    from .._paging import Paging
    from .._upload import PhotoFile

__all__ = ["PRIVILEGES", "ClientSession", "MailruSession", "ServerSession", "TokenSession",
           "full_scope"]

Circuit = Literal["client", "server"]

#: Mail.ru permission names (api.mail.ru/docs/guides/restapi/#permissions).
PRIVILEGES = ("photos", "guestbook", "stream", "messages", "events")


def full_scope() -> str:
    """Every Mail.ru privilege, space-separated, as the ``scope`` of an authorization."""
    return " ".join(PRIVILEGES)


class MailruSession(BaseSession):
    """Mail.ru machinery shared by every Mail.ru session class."""

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

    WRITE_METHODS: ClassVar[frozenset[str]] = frozenset(
        {
            "stream.post",
            "stream.comment",
            "stream.share",
            "stream.like",
            "stream.unlike",
            "guestbook.post",
            "messages.post",
            "photos.upload",
            "photos.createAlbum",
            "notifications.send",
        }
    )

    #: "infer" (seed rule), or a fixed circuit for Client*/Server* classes.
    circuit_rule: ClassVar[Literal["infer", "client", "server"]] = "infer"
    private_key = SecretAttribute()  # redacted however it is set
    secret_key = SecretAttribute()
    #: How each listing pages (:mod:`mailru_sync.mailru.paging`), for ``session.iter``.
    if TYPE_CHECKING:
        PAGING: ClassVar[Mapping[str, Paging]]
    else:
        PAGING = PagingTable("mailru_sync.mailru.paging")

    def __init__(
        self, app_id: int | str, private_key: str = "", secret_key: str = "", **options: Any
    ) -> None:
        super().__init__(**options)
        owner = type(self).__name__
        #: Application id (``client_id``), as sent.
        self.app_id = check_app_id(app_id, owner=owner)
        #: Application private key (client-server signatures); never sent.
        self.private_key = check_hex_key("private_key", private_key, owner=owner)
        #: Application secret key (server-server signatures, grants); never sent.
        self.secret_key = check_hex_key("secret_key", secret_key, owner=owner)
        #: Current user's id (``x_mailru_vid``), prefixed to client-server signatures.
        self.uid = ""
        #: The signature circuit in use, once known.
        self.circuit: Circuit | None = None
        self._remember_secrets(self.private_key, self.secret_key)
        self._check_keys_for_rule()

    # --- credentials and circuit --------------------------------------------------------------

    @property
    def session_key(self) -> str:
        """Mail.ru's name for the access token."""
        return self.access_token

    @session_key.setter
    def session_key(self, value: str) -> None:
        self.access_token = value

    def _check_keys_for_rule(self) -> None:
        owner = type(self).__name__
        if self.circuit_rule == "client" and not self.private_key:
            raise ConfigurationError(
                f"{owner} signs client-server and needs the app's private_key; pass it, or use "
                "a Server session with the secret_key"
            )
        if self.circuit_rule == "server" and not self.secret_key:
            raise ConfigurationError(
                f"{owner} signs server-server and needs the app's secret_key; pass it, or use "
                "a Client session with the private_key"
            )
        if not self.private_key and not self.secret_key:
            raise ConfigurationError(
                f"{owner} needs the app's private_key (client-server signature, with the user's "
                "uid) or its secret_key (server-server signature); got neither"
            )

    def _resolve_circuit(self) -> Circuit:
        owner = type(self).__name__
        if self.circuit_rule == "client":
            if not self.uid:
                raise ConfigurationError(
                    f"{owner} signs client-server and needs the user's uid; pass it (the "
                    "platform returns it as x_mailru_vid)"
                )
            return "client"
        if self.circuit_rule == "server":
            return "server"
        if self.uid and self.private_key:
            return "client"
        if self.secret_key:
            return "server"
        raise ConfigurationError(
            f"{owner} cannot choose a signature circuit: client-server needs uid and "
            "private_key, server-server needs secret_key. Pass the user's uid with the "
            "private_key, or the app's secret_key"
        )

    def _after_token_change(self) -> None:
        self.circuit = self._resolve_circuit()

    @property
    def is_authorized(self) -> bool:
        return bool(self.access_token) and self.circuit is not None

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

    def _sign(self, method: str, params: dict[str, str]) -> dict[str, str]:
        if self.circuit == "client":
            return sign_mailru_client(
                params,
                method=method,
                app_id=self.app_id,
                session_key=self.access_token,
                uid=self.uid,
                private_key=self.private_key,
            )
        return sign_mailru_server(
            params,
            method=method,
            app_id=self.app_id,
            session_key=self.access_token,
            secret_key=self.secret_key,
        )

    def _extract_error(self, body: Any, method: str = "") -> dict[str, Any] | None:
        """The ``{"error": {"error_code": ..., "error_msg": ...}}`` envelope, if ``body`` is one.

        A body with an ``error`` key of another shape is not the platform's and raises
        :class:`~mailru_sync.ResponseError` (see :func:`malformed_envelope`).
        """
        if not isinstance(body, Mapping) or "error" not in body:
            return None
        from .._errors import is_error_code, malformed_envelope  # error handling loads on use

        error = body["error"]
        if isinstance(error, Mapping) and is_error_code(error.get("error_code")):
            return dict(error)
        raise malformed_envelope(method, "error", body)

    def _api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        from .._errors import build_api_error
        from .errors import ERROR_CLASSES

        return build_api_error(ERROR_CLASSES, error, body, method=method, platform="mailru")

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
            self, file, aid=aid, name=name, description=description, filename=filename
        )

    # --- OAuth grants -------------------------------------------------------------------------

    @property
    def client_secret(self) -> str:
        """What the token endpoint gets as ``client_secret`` (see the module docstring)."""
        return self.secret_key or self.private_key

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

        token = token_request(self, self.url(self.TOKEN_URL), data, grant="password")
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
                self, email, passwd, scope_text, redirect_uri=redirect_uri, state=state
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
            self.url(self.TOKEN_URL),
            {
                "grant_type": "refresh_token",
                "client_id": self.app_id,
                "client_secret": self.client_secret,
                "refresh_token": self.refresh_token,
            },
            grant="refresh_token",
        )

    def _extra_token_fields(self) -> TokenData:
        return {"x_mailru_vid": self.uid} if self.uid else {}

    def _apply_token_fields(self, token: Mapping[str, Any]) -> None:
        self.access_token = str(token.get("access_token") or token.get("session_key") or "")
        if token.get("refresh_token"):
            self.refresh_token = str(token["refresh_token"])
            self._remember_secrets(self.refresh_token)
        if token.get("x_mailru_vid"):
            self.uid = str(token["x_mailru_vid"])
        elif token.get("uid"):
            self.uid = str(token["uid"])
        self._set_expiry(token.get("expires_in"))


class TokenSession(MailruSession):
    """A session with an access token you already have; the circuit is inferred (see module)."""

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        secret_key: str,
        access_token: str,
        uid: str | int,
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
        token = check_key("access_token", access_token, owner=owner)
        if not token:
            raise ConfigurationError(
                f"{owner} needs an access_token (session_key); get one with an OAuth session"
            )
        self.access_token = token
        self.uid = "" if uid is None else str(uid).strip()
        self.circuit = self._resolve_circuit()


class ClientSession(TokenSession):
    """Client-server signatures with ``private_key`` and the user's ``uid``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        access_token: str,
        uid: str | int,
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
        access_token: str,
        cookies: CookiesOption = (),
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
