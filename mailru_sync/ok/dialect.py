"""What the call pipeline asks of OK: signatures, the error envelope, token fields, grants.

Why a plain object: the OK session classes keep only their constructors and public OAuth
methods; everything the pipeline, the token state and the grants need to know about OK is here,
with the app's credentials and the session's secret, and the signature circuit in use. The
session's attributes of the same names read and write this object.

Circuit inference, exactly as the seeds state: ``app_secret_key`` with an access token →
server-server (secret ``md5(access_token + app_secret_key)``); else ``session_secret_key`` →
client-server; else :class:`~mailru_sync.ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._pipeline import Dialect
from .._redact import SecretAttribute
from ..exceptions import APIError, ConfigurationError
from ..signer import ok_secret, sign_ok

if TYPE_CHECKING:
    from .._options import TokenData
    from .._redact import Redactor
    from .._tokens import TokenState

__all__ = ["WRITE_METHODS", "Circuit", "OkDialect", "api_error", "extract_error"]

Circuit = Literal["client", "server"]
CircuitRule = Literal["infer", "client", "server"]

#: API methods that change state; never resent automatically (see ``retry_writes``).
WRITE_METHODS = frozenset(
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


class OkDialect(Dialect):
    """OK's rules, with one session's credentials, secret and circuit."""

    platform = "ok"

    def __init__(
        self, redact: Redactor, app_id: str, app_key: str, app_secret_key: str, rule: CircuitRule
    ) -> None:
        self._redact = redact
        #: Application id (``client_id`` in OAuth).
        self.app_id = app_id
        #: Application public key, sent as ``application_key``.
        self.app_key = app_key
        self.app_secret_key = app_secret_key
        self.session_secret_key = ""
        #: "infer" (seed rule), or the fixed circuit of a Client*/Server* class.
        self.rule: CircuitRule = rule
        #: Permissions the user granted (implicit flow), as the platform listed them.
        self.permissions_granted = ""
        #: ``state`` echoed by the authorization redirect.
        self.state = ""
        #: The signature circuit in use, once known.
        self.circuit: Circuit | None = None

    # Secrets are registered with the redactor however they are set.
    app_secret_key = SecretAttribute()
    session_secret_key = SecretAttribute()

    def _remember_secrets(self, *secrets: object) -> None:
        self._redact.add(*secrets)

    # --- the circuit --------------------------------------------------------------------------

    def resolve_circuit(self, owner: str, access_token: str) -> Circuit:
        if self.rule == "client":
            if not self.session_secret_key:
                raise ConfigurationError(
                    f"{owner} signs client-server and needs session_secret_key; pass the one "
                    "the platform returned with the access token"
                )
            return "client"
        if self.rule == "server":
            if not access_token:
                raise ConfigurationError(f"{owner} needs an access_token")
            return "server"
        if self.app_secret_key and access_token:
            return "server"
        if self.session_secret_key:
            return "client"
        raise ConfigurationError(
            f"{owner} cannot choose a signature circuit: server-server needs app_secret_key "
            "and access_token, client-server needs session_secret_key. Pass one of them"
        )

    def is_authorized(self, access_token: str) -> bool:
        return self.circuit is not None and (bool(access_token) or bool(self.session_secret_key))

    # --- calls --------------------------------------------------------------------------------

    def signing_secret(self, access_token: str) -> str:
        """The secret of the circuit in use (client: the session's; server: derived)."""
        if self.circuit == "client":
            return self.session_secret_key
        return ok_secret(access_token, self.app_secret_key)

    def sign(self, method: str, params: dict[str, str], access_token: str) -> dict[str, str]:
        return sign_ok(
            params,
            method=method,
            application_key=self.app_key,
            access_token=access_token,
            secret=self.signing_secret(access_token),
        )

    def extract_error(self, body: Any, method: str = "") -> dict[str, Any] | None:
        """The body itself when it is OK's error object (a top-level ``error_code``)."""
        return extract_error(body, method)

    def api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        return api_error(error, body, method)

    # --- tokens and grants --------------------------------------------------------------------

    def require_secret(self, owner: str, grant: str) -> None:
        """The grants send ``app_secret_key`` as OK's ``client_secret``: refuse without one."""
        if not self.app_secret_key:
            raise ConfigurationError(
                f"{owner} needs app_secret_key: OK's {grant} grant sends it as client_secret"
            )

    def apply_token_fields(self, tokens: TokenState, token: Mapping[str, Any]) -> None:
        tokens.access_token = str(token.get("access_token") or token.get("session_key") or "")
        if token.get("session_secret_key"):
            self.session_secret_key = str(token["session_secret_key"])
        elif self.rule != "client":
            # A new access token invalidates a session secret that belonged to the old one.
            self.session_secret_key = ""
        if token.get("refresh_token"):
            tokens.refresh_token = str(token["refresh_token"])
        if token.get("permissions_granted") is not None:
            self.permissions_granted = str(token["permissions_granted"])
        if token.get("state") is not None:
            self.state = str(token["state"])
        tokens.set_expiry(token.get("expires_in"))

    def extra_token_fields(self) -> TokenData:
        return {"session_secret_key": self.session_secret_key} if self.session_secret_key else {}

    def refresh_grant_data(self, refresh_token: str) -> dict[str, str]:
        return {
            "refresh_token": refresh_token,
            "client_id": self.app_id,
            "client_secret": self.app_secret_key,
            "grant_type": "refresh_token",
        }


def extract_error(body: Any, method: str = "") -> dict[str, Any] | None:
    """OK's error object: ``body`` itself when it has a top-level numeric ``error_code``.

    An ``error_code`` that is not a number is not the platform's and raises
    :class:`~mailru_sync.ResponseError` (see :func:`malformed_envelope`).
    """
    if not isinstance(body, Mapping) or "error_code" not in body:
        return None
    from .._errors import is_error_code, malformed_envelope  # error handling loads on use

    if is_error_code(body["error_code"]):
        return dict(body)
    raise malformed_envelope(method, "error_code", body)


def api_error(error: dict[str, Any], body: Any, method: str) -> APIError:
    """The exception for OK's ``error`` object (its class from the code table)."""
    from .._errors import build_api_error
    from .errors import ERROR_CLASSES

    return build_api_error(ERROR_CLASSES, error, body, method=method, platform="ok")
