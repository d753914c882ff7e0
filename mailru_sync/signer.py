"""Request signing for both platforms: pure functions, no I/O, no state.

Why one module: the signature and the bytes on the wire must be computed from the *same* strings.
:func:`serialize_params` turns Python values into the exact strings that are both signed and
sent, so the two can never disagree (``0``, ``''`` and ``False`` are real values and are kept;
``None`` means "leave the parameter out").

Algorithms (see ``docs/signatures.rst`` for the worked examples):

* Mail.ru client-server: ``md5(uid + concat(sorted "k=v") + private_key)``.
* Mail.ru server-server: ``secure=1`` is added to the params, then
  ``md5(concat(sorted "k=v") + secret_key)`` (no uid prefix).
* OK: ``md5(concat(sorted "k=v" without access_token/session_key) + secret)`` where ``secret`` is
  the ``session_secret_key`` (client-server) or ``md5(access_token + application_secret_key)``
  (server-server).

Every string is UTF-8 encoded before hashing; values are concatenated raw, never URL-escaped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Mapping
from typing import Literal

from .exceptions import ParameterError

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


def md5_hex(text: str) -> str:
    """Lower-case hex MD5 of ``text`` encoded as UTF-8."""
    try:
        data: bytes | None = text.encode("utf-8")
    except UnicodeEncodeError:
        data = None
    if data is None:
        # Raised outside the except block, so not even __context__ holds the encode error: it
        # quotes the whole string to sign, private/secret key (Mail.ru) or token included.
        raise ParameterError(
            "a parameter value is not valid Unicode text (it contains a lone surrogate); "
            "pass proper str values"
        )
    return hashlib.md5(data).hexdigest()


def _number(name: str, value: float) -> str:
    if not math.isfinite(value):
        raise ParameterError(f"parameter {name!r} is {value!r}; send a finite number")
    if value.is_integer():  # 2.0 where an id or count is meant: the platform wants "2"
        return str(int(value))
    return float.__repr__(value)  # shortest round-trip text, never "np.float64(...)"


#: OK's date-time text (mediatopic.post ``publishAt``: "2015-11-05 19:09:13", apiok.ru).
OK_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
OK_DATE_FORMAT = "%Y-%m-%d"
#: Mail.ru's date text (users.getInfo ``birthday``: "15.02.1980", api.mail.ru).
MAILRU_DATE_FORMAT = "%d.%m.%Y"
#: OK documents no time zone; its times read as Moscow time (UTC+3, no DST since 2014).
#: An aware datetime is converted to it; a naive one is sent as written. **Uncertain.**
OK_TIMEZONE = dt.timezone(dt.timedelta(hours=3), "MSK")


def _moment(value: dt.date, platform: Platform) -> str | int:
    """A date or datetime as the platform writes one (see the module doc).

    Mail.ru answers with unix times (photos.get ``created``), so a datetime goes as unix seconds
    (a naive one read as local time, as ``datetime.timestamp`` does) and a date as DD.MM.YYYY;
    OK takes "YYYY-MM-DD HH:MM:SS" and "YYYY-MM-DD".
    """
    if isinstance(value, dt.datetime):
        if platform == "mailru":
            return int(value.timestamp())
        if value.tzinfo is not None:
            value = value.astimezone(OK_TIMEZONE)
        return value.strftime(OK_DATETIME_FORMAT)
    return value.strftime(MAILRU_DATE_FORMAT if platform == "mailru" else OK_DATE_FORMAT)


def _scalar(name: str, value: object, platform: Platform) -> str:
    """The plain ``str`` that is signed and sent; never the object itself.

    Why plain: a ``str`` subclass with its own ``__str__``, or a ``str`` enum, would be signed
    through formatting but sent through requests' encoding of the object, and the platform
    would answer 104. So ``str`` subclasses (enums included) are their string *content*;
    numbers are converted through ``int``/``float`` first (numpy and pandas scalars included).
    """
    # bool before int: bool is a subclass of int (numpy.bool_ is not, hence the second test).
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        flag = bool(value)
        if platform == "ok":
            return "true" if flag else "false"
        return "1" if flag else "0"
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _number(name, float(value))
    # A foreign number (numpy, pandas, Decimal) can only exist once its module is loaded, and
    # numpy registers its scalars with ``numbers``: looking the modules up, not importing
    # them, keeps their import cost away from apps that never send one.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ParameterError(f"parameter {name!r} is {value}; send a finite number")
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    numbers = sys.modules.get("numbers")
    if numbers is not None and isinstance(value, numbers.Integral):
        return str(int(value))
    if numbers is not None and isinstance(value, numbers.Real):
        return _number(name, float(value))
    if isinstance(value, dt.date):  # datetime (and pandas Timestamp) included
        return str(_moment(value, platform))
    raise ParameterError(
        f"parameter {name!r} has unsupported type {type(value).__name__}; pass str, a number, "
        "bool, a date or datetime, a sequence of those (list, tuple, ndarray, Series), or a "
        "dict / list of dicts (sent as JSON)"
    )


def _is_json_typed(value: object) -> bool:
    if isinstance(value, Mapping):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(item, (Mapping, list, tuple)) for item in value)
    return False


def _to_json(name: str, value: object, platform: Platform) -> str:
    def moment(item: object) -> object:
        if isinstance(item, dt.date):  # e.g. OK attachment "publishAt"
            return _moment(item, platform)
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=moment
        )
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"parameter {name!r} cannot be encoded as JSON: {exc}") from None


def _as_sequence(name: str, value: object) -> list[object] | None:
    """A non-string iterable (ndarray, Series, generator...) materialized once; else ``None``."""
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        if isinstance(value, (bytes, bytearray)):
            raise ParameterError(
                f"parameter {name!r} is bytes; decode it to str (the platforms take text)"
            )
        return None
    if isinstance(value, (set, frozenset)):
        raise ParameterError(
            f"parameter {name!r} is a set, whose order is undefined; pass a list or tuple"
        )
    tolist = getattr(value, "tolist", None)  # numpy/pandas: plain Python scalars at once
    items = tolist() if callable(tolist) else list(value)
    return items if isinstance(items, list) else [items]


def serialize_value(name: str, value: object, platform: Platform) -> str | None:
    """Return the exact plain ``str`` that is signed *and* sent for one parameter value.

    ``None`` → ``None`` (the parameter is omitted). ``str`` (subclasses and str enums by their
    content) as is, integers (``numbers.Integral``: numpy/pandas too) as decimal, real numbers
    shortest-repr with ``2.0`` sent as ``2``, ``Decimal`` in plain notation, ``bool`` as
    ``1``/``0`` (Mail.ru) or ``true``/``false`` (OK), ``datetime`` as unix seconds (Mail.ru) or
    ``YYYY-MM-DD HH:MM:SS`` (OK, aware values in Moscow time), ``date`` as ``DD.MM.YYYY``
    (Mail.ru) or ``YYYY-MM-DD`` (OK), also inside JSON values, sequences of scalars (list, tuple,
    ndarray, Series, generators: read once) comma-joined, dicts and lists containing dicts or
    lists as compact JSON (e.g. OK ``attachment``, ``methods``).
    """
    if value is None:
        return None
    if _is_json_typed(value):
        return _to_json(name, value, platform)
    items = _as_sequence(name, value)
    if items is not None:
        if any(isinstance(item, (Mapping, list, tuple)) for item in items):
            return _to_json(name, items, platform)
        return ",".join(_scalar(name, item, platform) for item in items)
    return _scalar(name, value, platform)


def serialize_params(params: Mapping[str, object], platform: Platform) -> dict[str, str]:
    """Serialize every parameter with :func:`serialize_value`, dropping only ``None`` values."""
    result: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise ParameterError(f"parameter names must be str, got {name!r}")
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
        raise ParameterError("a Mail.ru server-server signature needs secure=1 among the params")
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
        raise ParameterError(
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
