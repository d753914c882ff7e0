"""OK.ru sessions holding a token: ``TokenSession``, ``ClientSession``, ``ServerSession``.

Everything OK-specific about a call lives here: ``fb.do``, the signature secret of each circuit,
the top-level ``error_code`` envelope, the token-endpoint grants and the authorization URL.

Circuit inference, exactly as the seeds state: ``app_secret_key`` with an access token →
server-server (secret ``md5(access_token + app_secret_key)``); else ``session_secret_key`` →
client-server; else :class:`~mailru_sync.ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import requests

from .._keys import check_app_id, check_key
from .._redact import SecretAttribute, mask
from .._session import BaseSession, PagingTable, TokenData
from ..exceptions import APIError, ConfigurationError
from ..signer import ok_secret, sign_ok

if TYPE_CHECKING:
    from .._paging import Paging
    from .._upload import PhotoFile

__all__ = ["ClientSession", "OkSession", "ServerSession", "TokenSession"]

Circuit = Literal["client", "server"]


class OkSession(BaseSession):
    """OK machinery shared by every OK session class."""

    platform = "ok"

    #: REST endpoint (``base_url`` moves it, keeping the path).
    API_URL: ClassVar[str] = "https://api.ok.ru/fb.do"
    #: OAuth authorization page.
    AUTHORIZE_URL: ClassVar[str] = "https://connect.ok.ru/oauth/authorize"
    #: Token endpoint (code and refresh grants).
    TOKEN_URL: ClassVar[str] = "https://api.ok.ru/oauth/token.do"
    #: Default redirect URI of external apps (apiok.ru/en/ext/oauth/client).
    REDIRECT_URI: ClassVar[str] = "https://oauth.mycdn.me/blank.html"

    WRITE_METHODS: ClassVar[frozenset[str]] = frozenset(
        {
            "mediatopic.post",
            "mediatopic.edit",
            "mediatopic.delete",
            "photos.createAlbum",
            "photos.deletePhoto",
            "photosV2.commit",
            "friends.appInvite",
            "notifications.sendSimple",
            "discussions.comment",
            "group.join",
            "users.setStatus",
            "messages.send",
            # A batch may contain writes; it is treated as one unless the call says otherwise.
            "batch.executeV2",
        }
    )

    #: "infer" (seed rule), or a fixed circuit for Client*/Server* classes.
    circuit_rule: ClassVar[Literal["infer", "client", "server"]] = "infer"
    app_secret_key = SecretAttribute()  # redacted however it is set
    session_secret_key = SecretAttribute()
    #: How each listing pages (:mod:`mailru_sync.ok.paging`), for ``session.iter``.
    if TYPE_CHECKING:
        PAGING: ClassVar[Mapping[str, Paging]]
    else:
        PAGING = PagingTable("mailru_sync.ok.paging")

    def __init__(
        self, app_id: int | str, app_key: str, app_secret_key: str = "", **options: Any
    ) -> None:
        fmt = options.pop("format", "json")
        if fmt != "json":
            raise ConfigurationError(
                f"format={fmt!r} is not supported: this library reads JSON only; pass "
                "format='json' or leave it out"
            )
        super().__init__(**options)
        owner = type(self).__name__
        #: Application id (``client_id`` in OAuth).
        self.app_id = check_app_id(app_id, owner=owner)
        #: Application public key, sent as ``application_key``.
        self.app_key = check_key("app_key", app_key, owner=owner)
        if not self.app_key:
            raise ConfigurationError(
                f"{owner} needs app_key (the application's public key, sent as "
                "application_key)"
            )
        #: Application secret key; never sent (only signatures derived from it).
        self.app_secret_key = check_key("app_secret_key", app_secret_key, owner=owner)
        #: Session secret key (client-server signatures); never sent.
        self.session_secret_key = ""
        #: Permissions the user granted (implicit flow), as the platform listed them.
        self.permissions_granted = ""
        #: ``state`` echoed by the authorization redirect.
        self.state = ""
        #: The signature circuit in use, once known.
        self.circuit: Circuit | None = None
        self._remember_secrets(self.app_secret_key)
        if self.circuit_rule == "server" and not self.app_secret_key:
            raise ConfigurationError(
                f"{owner} signs server-server and needs app_secret_key; pass it, or use a "
                "Client session with a session_secret_key"
            )

    # --- circuit ------------------------------------------------------------------------------

    def _resolve_circuit(self) -> Circuit:
        owner = type(self).__name__
        if self.circuit_rule == "client":
            if not self.session_secret_key:
                raise ConfigurationError(
                    f"{owner} signs client-server and needs session_secret_key; pass the one "
                    "the platform returned with the access token"
                )
            return "client"
        if self.circuit_rule == "server":
            if not self.access_token:
                raise ConfigurationError(f"{owner} needs an access_token")
            return "server"
        if self.app_secret_key and self.access_token:
            return "server"
        if self.session_secret_key:
            return "client"
        raise ConfigurationError(
            f"{owner} cannot choose a signature circuit: server-server needs app_secret_key "
            "and access_token, client-server needs session_secret_key. Pass one of them"
        )

    def _after_token_change(self) -> None:
        self.circuit = self._resolve_circuit()

    @property
    def is_authorized(self) -> bool:
        return self.circuit is not None and (
            bool(self.access_token) or bool(self.session_secret_key)
        )

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

    def _signing_secret(self) -> str:
        if self.circuit == "client":
            return self.session_secret_key
        return ok_secret(self.access_token, self.app_secret_key)

    def _sign(self, method: str, params: dict[str, str]) -> dict[str, str]:
        return sign_ok(
            params,
            method=method,
            application_key=self.app_key,
            access_token=self.access_token,
            secret=self._signing_secret(),
        )

    def _extract_error(self, body: Any, method: str = "") -> dict[str, Any] | None:
        """The body itself when it is OK's error object (a top-level ``error_code``).

        An ``error_code`` that is not a number is not the platform's and raises
        :class:`~mailru_sync.ResponseError` (see :func:`malformed_envelope`).
        """
        if not isinstance(body, Mapping) or "error_code" not in body:
            return None
        from .._errors import is_error_code, malformed_envelope  # error handling loads on use

        if is_error_code(body["error_code"]):
            return dict(body)
        raise malformed_envelope(method, "error_code", body)

    def _api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        from .._errors import build_api_error
        from .errors import ERROR_CLASSES

        return build_api_error(ERROR_CLASSES, error, body, method=method, platform="ok")

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

        return upload_photo(self, file, aid=aid, gid=gid, comment=comment, filename=filename)

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

    def _require_secret(self, grant: str) -> None:
        if not self.app_secret_key:
            raise ConfigurationError(
                f"the {grant} grant needs app_secret_key (OK's client_secret); this "
                f"{type(self).__name__} has none"
            )

    def fetch_token_from_code(self, code: str, redirect_uri: str | None = None) -> TokenData:
        """Authorization-code grant: exchange ``code`` (single-use) for tokens and keep them."""
        if not code:
            raise ConfigurationError(
                "code is empty; pass the code from the redirect's query string"
            )
        self._require_secret("authorization code")
        self._remember_secrets(code)
        from .._oauth import token_request  # grants load on first use (see the package doc)

        token = token_request(
            self,
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
            token = password_login(self, login, passwd)
        self.apply_token(token)
        return token

    def _supports_refresh(self) -> bool:
        return bool(self.app_secret_key)

    def _refresh_grant(self) -> TokenData:
        self._require_secret("refresh token")
        if not self.refresh_token:
            raise ConfigurationError(f"{type(self).__name__} has no refresh token")
        from .._oauth import token_request

        return token_request(
            self,
            self.url(self.TOKEN_URL),
            {
                "refresh_token": self.refresh_token,
                "client_id": self.app_id,
                "client_secret": self.app_secret_key,
                "grant_type": "refresh_token",
            },
            grant="refresh_token",
        )

    def _extra_token_fields(self) -> TokenData:
        return {"session_secret_key": self.session_secret_key} if self.session_secret_key else {}

    def _apply_token_fields(self, token: Mapping[str, Any]) -> None:
        self.access_token = str(token.get("access_token") or token.get("session_key") or "")
        if token.get("session_secret_key"):
            self.session_secret_key = str(token["session_secret_key"])
            self._remember_secrets(self.session_secret_key)
        elif self.circuit_rule != "client":
            # A new access token invalidates a session secret that belonged to the old one.
            self.session_secret_key = ""
        if token.get("refresh_token"):
            self.refresh_token = str(token["refresh_token"])
            self._remember_secrets(self.refresh_token)
        if token.get("permissions_granted") is not None:
            self.permissions_granted = str(token["permissions_granted"])
        if token.get("state") is not None:
            self.state = str(token["state"])
        self._set_expiry(token.get("expires_in"))


class TokenSession(OkSession):
    """A session with tokens you already have; the circuit is inferred (see module)."""

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        app_secret_key: str,
        access_token: str,
        session_secret_key: str,
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
        self.access_token = check_key("access_token", access_token, owner=owner)
        self.session_secret_key = check_key("session_secret_key", session_secret_key, owner=owner)
        self._remember_secrets(self.session_secret_key)
        self.circuit = self._resolve_circuit()


class ClientSession(TokenSession):
    """Client-server signatures with the ``session_secret_key``."""

    circuit_rule = "client"

    def __init__(
        self,
        app_id: int | str,
        app_key: str,
        access_token: str,
        session_secret_key: str,
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
        access_token: str,
        format: str = "json",
        pass_error: bool = False,
        session: requests.Session | None = None,
        **options: Any,
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
