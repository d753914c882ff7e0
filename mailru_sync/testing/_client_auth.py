"""Client authentication at a token endpoint: HTTP Basic or the body parameters.

Why both: RFC 6749 §2.3.1 says the authorization server "MUST support the HTTP Basic
authentication scheme for authenticating clients that were issued a client password", and that
it MAY also accept ``client_id``/``client_secret`` in the request body. Neither platform's docs
mention Basic (Mail.ru's and OK's token pages show only the body parameters), so accepting it is
the RFC's reading where the docs are silent; generic OAuth libraries (Authlib's default,
requests-oauthlib with ``auth=``) send Basic and must work against the emulator.

The RFC also says a client "MUST NOT use more than one authentication method in each request".
The emulator is laxer where the two agree (the same client_id and secret in both places is
accepted: some libraries always copy client_id into the body) and refuses them as
``invalid_request`` where they differ, since no answer would be right then.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote_plus

__all__ = ["ClientAuthError", "client_credentials", "uses_basic"]


class ClientAuthError(Exception):
    """A request whose client authentication cannot be read; the message is the description."""

    error = "invalid_request"


def uses_basic(headers: Mapping[str, str]) -> bool:
    """Whether the request authenticates the client with ``Authorization: Basic``."""
    scheme = headers.get("authorization", "").strip().partition(" ")[0]
    return scheme.lower() == "basic"


def _basic(header: str) -> tuple[str, str]:
    """``client_id``, ``client_secret`` of a Basic credential (RFC 6749 §2.3.1, Appendix B)."""
    encoded = header.strip().partition(" ")[2].strip()
    if not encoded:
        raise ClientAuthError(
            "Authorization: Basic carries no credentials; send base64 of "
            "'client_id:client_secret' (RFC 6749 §2.3.1)"
        )
    try:
        decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise ClientAuthError(
            "Authorization: Basic is not base64 of 'client_id:client_secret'; encode the two "
            "joined by a colon (RFC 6749 §2.3.1)"
        ) from None
    if ":" not in decoded:
        raise ClientAuthError(
            "Authorization: Basic carries no colon; it must be base64 of "
            "'client_id:client_secret' (RFC 6749 §2.3.1)"
        )
    client_id, _, client_secret = decoded.partition(":")
    # Appendix B: each part is application/x-www-form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(client_secret)


def client_credentials(
    headers: Mapping[str, str], params: Mapping[str, str]
) -> tuple[str, str]:
    """The client's ``(client_id, client_secret)``; empty strings for what was not sent.

    Raises :class:`ClientAuthError` for a malformed Basic header or for Basic and body
    parameters that name different values.
    """
    body_id = params.get("client_id", "")
    body_secret = params.get("client_secret", "")
    if not uses_basic(headers):
        return body_id, body_secret
    basic_id, basic_secret = _basic(headers["authorization"])
    if body_id and body_id != basic_id:
        raise ClientAuthError(
            "client_id in the body differs from the one in Authorization: Basic; send one"
        )
    if body_secret and body_secret != basic_secret:
        raise ClientAuthError(
            "client_secret in the body differs from the one in Authorization: Basic; send one"
        )
    return basic_id, basic_secret
