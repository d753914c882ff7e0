"""Request signing for both platforms: pure functions, no I/O, no state.

Why one module: the signature and the bytes on the wire must be computed from the *same* strings.
:func:`serialize_params` turns Python values into the exact strings that are both signed and
sent, so the two can never disagree (``0``, ``''`` and ``False`` are real values and are kept;
``None`` means "leave the parameter out").

Algorithms (see ``README.rst`` for the worked examples):

* Mail.ru client-server: ``md5(uid + concat(sorted "k=v") + private_key)``.
* Mail.ru server-server: ``secure=1`` is added to the params, then
  ``md5(concat(sorted "k=v") + secret_key)`` (no uid prefix).
* OK: ``md5(concat(sorted "k=v" without access_token/session_key) + secret)`` where ``secret`` is
  the ``session_secret_key`` (client-server) or ``md5(access_token + application_secret_key)``
  (server-server).

Every string is UTF-8 encoded before hashing; values are concatenated raw, never URL-escaped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "OK_UNSIGNED_PARAMS",
    "Platform",
    "canonical_string",
    "mailru_client_signature",
    "mailru_server_signature",
    "md5_hex",
    "ok_secret",
    "ok_signature",
    "serialize_params",
    "serialize_value",
    "sign_mailru_client",
    "sign_mailru_server",
    "sign_ok",
]

Platform = Literal["mailru", "ok"]

#: OK parameters that are sent but never signed (apiok.ru: "take session_key/access_token away").
OK_UNSIGNED_PARAMS = frozenset({"sig", "access_token", "session_key"})

_SCALAR_TYPES = (str, int, float)


def md5_hex(text: str) -> str:
    """Lower-case hex MD5 of ``text`` encoded as UTF-8."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be sent either
        raise ValueError(
            "a parameter value is not valid Unicode text (it contains a lone surrogate); "
            "pass proper str values"
        ) from exc
    return hashlib.md5(data).hexdigest()


def _scalar(name: str, value: object, platform: Platform) -> str:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        if platform == "ok":
            return "true" if value else "false"
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter {name!r} is {value!r}; send a finite number")
        return repr(value)
    raise TypeError(
        f"parameter {name!r} has unsupported type {type(value).__name__}; pass str, int, float, "
        "bool, a list/tuple of those, or a dict / list of dicts (sent as JSON)"
    )


def _is_json_typed(value: object) -> bool:
    if isinstance(value, Mapping):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(item, (Mapping, list, tuple)) for item in value)
    return False


def _to_json(name: str, value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"parameter {name!r} cannot be encoded as JSON: {exc}") from exc


def serialize_value(name: str, value: object, platform: Platform) -> str | None:
    """Return the exact string that is signed *and* sent for one parameter value.

    ``None`` → ``None`` (the parameter is omitted). ``str`` as is, ``int`` as decimal, ``bool`` as
    ``1``/``0`` (Mail.ru) or ``true``/``false`` (OK), lists/tuples of scalars comma-joined,
    dicts and lists containing dicts or lists as compact JSON (e.g. OK ``attachment``, ``methods``).
    """
    if value is None:
        return None
    if _is_json_typed(value):
        return _to_json(name, value)
    if isinstance(value, (list, tuple)):
        return ",".join(_scalar(name, item, platform) for item in value)
    if isinstance(value, (set, frozenset)):
        raise TypeError(
            f"parameter {name!r} is a set, whose order is undefined; pass a list or tuple"
        )
    return _scalar(name, value, platform)


def serialize_params(params: Mapping[str, object], platform: Platform) -> dict[str, str]:
    """Serialize every parameter with :func:`serialize_value`, dropping only ``None`` values."""
    result: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be str, got {name!r}")
        text = serialize_value(name, value, platform)
        if text is not None:
            result[name] = text
    return result


def canonical_string(params: Mapping[str, str], exclude: frozenset[str] = frozenset()) -> str:
    """Concatenate ``k=v`` for every parameter sorted by name, skipping ``exclude`` and ``sig``."""
    return "".join(
        f"{name}={params[name]}" for name in sorted(params) if name != "sig" and name not in exclude
    )


def mailru_client_signature(params: Mapping[str, str], uid: str, private_key: str) -> str:
    """Mail.ru client-server signature: ``md5(uid + sorted k=v + private_key)``."""
    return md5_hex(f"{uid}{canonical_string(params)}{private_key}")


def mailru_server_signature(params: Mapping[str, str], secret_key: str) -> str:
    """Mail.ru server-server signature: ``md5(sorted k=v + secret_key)``; requires ``secure=1``."""
    if params.get("secure") != "1":
        raise ValueError("a Mail.ru server-server signature needs secure=1 among the params")
    return md5_hex(f"{canonical_string(params)}{secret_key}")


def ok_secret(access_token: str, app_secret_key: str) -> str:
    """The OK server-server secret: ``md5(access_token + application_secret_key)``.

    Without an access token (a sessionless call) the application secret key itself is the secret.
    """
    if not access_token:
        return app_secret_key
    return md5_hex(access_token + app_secret_key)


def ok_signature(params: Mapping[str, str], secret: str) -> str:
    """OK signature: ``md5(sorted k=v without access_token/session_key + secret)``."""
    return md5_hex(canonical_string(params, OK_UNSIGNED_PARAMS) + secret)


def _check_reserved(params: Mapping[str, str], reserved: frozenset[str]) -> None:
    clash = sorted(reserved.intersection(params))
    if clash:
        raise ValueError(
            f"parameter(s) {', '.join(clash)} are set by the session; remove them from the call"
        )


_MAILRU_RESERVED = frozenset({"method", "app_id", "session_key", "sig", "secure"})
_OK_RESERVED = frozenset({"method", "application_key", "sig", "access_token", "session_key"})


def _mailru_params(
    params: Mapping[str, str], method: str, app_id: str, session_key: str
) -> dict[str, str]:
    """The request enriched as the seeds describe: method, app_id, session_key, then params."""
    _check_reserved(params, _MAILRU_RESERVED)
    prepared = {"method": method, "app_id": app_id}
    if session_key:
        prepared["session_key"] = session_key
    prepared.update(params)
    return prepared


def sign_mailru_client(
    params: Mapping[str, str],
    *,
    method: str,
    app_id: str,
    session_key: str,
    uid: str,
    private_key: str,
) -> dict[str, str]:
    """Return the parameters to send for a Mail.ru client-server call (``sig`` included)."""
    prepared = _mailru_params(params, method, app_id, session_key)
    prepared["sig"] = mailru_client_signature(prepared, uid, private_key)
    return prepared


def sign_mailru_server(
    params: Mapping[str, str],
    *,
    method: str,
    app_id: str,
    session_key: str,
    secret_key: str,
) -> dict[str, str]:
    """Return the parameters to send for a Mail.ru server-server call (``secure=1`` and ``sig``)."""
    prepared = _mailru_params(params, method, app_id, session_key)
    prepared["secure"] = "1"
    prepared["sig"] = mailru_server_signature(prepared, secret_key)
    return prepared


def sign_ok(
    params: Mapping[str, str],
    *,
    method: str,
    application_key: str,
    access_token: str,
    secret: str,
) -> dict[str, str]:
    """Return the parameters to send for an OK call.

    ``application_key``, ``format=json`` and ``method`` are added and signed; ``access_token`` is
    appended unsigned. ``secret`` is the session secret key or :func:`ok_secret`.
    """
    _check_reserved(params, _OK_RESERVED)
    signed = {"application_key": application_key, "method": method, "format": "json", **params}
    ordered = {name: signed[name] for name in sorted(signed)}
    ordered["sig"] = ok_signature(ordered, secret)
    if access_token:
        ordered["access_token"] = access_token
    return ordered
