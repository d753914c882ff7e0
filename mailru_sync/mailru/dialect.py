"""What the call pipeline asks of Mail.ru: signatures, the error envelope, token fields, grants.

Why a plain object: the platform session classes keep only their constructors and public OAuth
methods; everything the pipeline, the token state and the grants need to know about Mail.ru is
here, with the app's credentials (``app_id``, the keys, the user's ``uid``) and the signature
circuit in use. The session's attributes of the same names read and write this object.

Circuit inference, exactly as the seeds state: ``uid`` and ``private_key`` → client-server;
else ``secret_key`` → server-server; else :class:`~mailru_sync.ConfigurationError`.

``client_secret`` for the grants: the app's ``secret_key`` when the session has one, else its
``private_key``. Mail.ru documents ``client_secret`` as the secret key; standalone apps hold
only the private key (a public standalone client sends it for refresh), so Client variants send
that. The emulator accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._pipeline import Dialect
from .._redact import SecretAttribute
from ..exceptions import APIError, ConfigurationError
from ..signer import sign_mailru_client, sign_mailru_server

if TYPE_CHECKING:
    from .._options import TokenData
    from .._redact import Redactor
    from .._tokens import TokenState

__all__ = ["WRITE_METHODS", "Circuit", "MailruDialect"]

Circuit = Literal["client", "server"]
CircuitRule = Literal["infer", "client", "server"]

#: API methods that change state; never resent automatically (see ``retry_writes``).
WRITE_METHODS = frozenset(
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


class MailruDialect(Dialect):
    """Mail.ru's rules, with one session's credentials and circuit."""

    platform = "mailru"

    def __init__(
        self, redact: Redactor, app_id: str, private_key: str, secret_key: str, rule: CircuitRule
    ) -> None:
        self._redact = redact
        #: Application id (``client_id``), as sent.
        self.app_id = app_id
        self.private_key = private_key
        self.secret_key = secret_key
        #: "infer" (seed rule), or the fixed circuit of a Client*/Server* class.
        self.rule: CircuitRule = rule
        #: Current user's id (``x_mailru_vid``), prefixed to client-server signatures.
        self.uid = ""
        #: The signature circuit in use, once known.
        self.circuit: Circuit | None = None

    # Secrets are registered with the redactor however they are set.
    private_key = SecretAttribute()
    secret_key = SecretAttribute()

    def _remember_secrets(self, *secrets: object) -> None:
        self._redact.add(*secrets)

    # --- the circuit --------------------------------------------------------------------------

    def check_keys(self, owner: str) -> None:
        """The keys this class's circuit needs are there (checked at construction)."""
        if self.rule == "client" and not self.private_key:
            raise ConfigurationError(
                f"{owner} signs client-server and needs the app's private_key; pass it, or use "
                "a Server session with the secret_key"
            )
        if self.rule == "server" and not self.secret_key:
            raise ConfigurationError(
                f"{owner} signs server-server and needs the app's secret_key; pass it, or use "
                "a Client session with the private_key"
            )
        if not self.private_key and not self.secret_key:
            raise ConfigurationError(
                f"{owner} needs the app's private_key (client-server signature, with the user's "
                "uid) or its secret_key (server-server signature); got neither"
            )

    def resolve_circuit(self, owner: str, access_token: str) -> Circuit:
        if self.rule == "client":
            if not self.uid:
                raise ConfigurationError(
                    f"{owner} signs client-server and needs the user's uid; pass it (the "
                    "platform returns it as x_mailru_vid)"
                )
            return "client"
        if self.rule == "server":
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

    def is_authorized(self, access_token: str) -> bool:
        return bool(access_token) and self.circuit is not None

    # --- calls --------------------------------------------------------------------------------

    def sign(self, method: str, params: dict[str, str], access_token: str) -> dict[str, str]:
        if self.circuit == "client":
            return sign_mailru_client(
                params,
                method=method,
                app_id=self.app_id,
                session_key=access_token,
                uid=self.uid,
                private_key=self.private_key,
            )
        return sign_mailru_server(
            params,
            method=method,
            app_id=self.app_id,
            session_key=access_token,
            secret_key=self.secret_key,
        )

    def extract_error(self, body: Any, method: str = "") -> dict[str, Any] | None:
        """The ``{"error": {"error_code": ..., "error_msg": ...}}`` envelope, if ``body`` is one.

        A body with an ``error`` key of another shape is not the platform's and raises
        :class:`~mailru_sync.ResponseError` (see :func:`malformed_envelope`).
        """
        return extract_error(body, method)

    def api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        return api_error(error, body, method)

    # --- tokens and grants --------------------------------------------------------------------

    @property
    def client_secret(self) -> str:
        """What the token endpoint gets as ``client_secret`` (see the module docstring)."""
        return self.secret_key or self.private_key

    def apply_token_fields(self, tokens: TokenState, token: Mapping[str, Any]) -> None:
        tokens.access_token = str(token.get("access_token") or token.get("session_key") or "")
        if token.get("refresh_token"):
            tokens.refresh_token = str(token["refresh_token"])
        if token.get("x_mailru_vid"):
            self.uid = str(token["x_mailru_vid"])
        elif token.get("uid"):
            self.uid = str(token["uid"])
        tokens.set_expiry(token.get("expires_in"))

    def extra_token_fields(self) -> TokenData:
        return {"x_mailru_vid": self.uid} if self.uid else {}

    def refresh_grant_data(self, refresh_token: str) -> dict[str, str]:
        return {
            "grant_type": "refresh_token",
            "client_id": self.app_id,
            "client_secret": self.client_secret,
            "refresh_token": refresh_token,
        }


def extract_error(body: Any, method: str = "") -> dict[str, Any] | None:
    """Mail.ru's error object in ``body`` (see :meth:`MailruDialect.extract_error`)."""
    if not isinstance(body, Mapping) or "error" not in body:
        return None
    from .._errors import is_error_code, malformed_envelope  # error handling loads on use

    error = body["error"]
    if isinstance(error, Mapping) and is_error_code(error.get("error_code")):
        return dict(error)
    raise malformed_envelope(method, "error", body)


def api_error(error: dict[str, Any], body: Any, method: str) -> APIError:
    """The exception for Mail.ru's ``error`` object (its class from the code table)."""
    from .._errors import build_api_error
    from .errors import ERROR_CLASSES

    return build_api_error(ERROR_CLASSES, error, body, method=method, platform="mailru")
