"""Validation of the credentials users pass to session constructors.

Why: a key of the wrong type (``None``, an int, bytes) or shape otherwise surfaces much later as
a wrong signature (104) from the platform, and shifted positional arguments (the Client order
given to a 3-key class) put an e-mail where a key belongs and a password where the login does.
Checking at construction gives a message that names the argument and says what to pass, and
never echoes the value: a misplaced value may be a password.
"""

from __future__ import annotations

from .exceptions import ConfigurationError

__all__ = ["check_app_id", "check_hex_key", "check_key", "check_login_email", "require_key"]

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
#: Each platform's positional order, for the hint on shifted arguments.
_ORDERS = {
    "mailru": "Mail.ru 3-key classes take (app_id, private_key, secret_key, ...), Client "
    "classes (app_id, private_key, ...), Server classes (app_id, secret_key, ...)",
    "ok": "OK classes take (app_id, app_key, app_secret_key, ...), TokenSession (app_id, "
    "app_key, app_secret_key, access_token, session_secret_key), ClientSession (app_id, "
    "app_key, access_token, session_secret_key)",
}


def _shifted(platform: str) -> str:
    """The hint on shifted positional arguments, in ``platform``'s order (both when unknown)."""
    orders = [_ORDERS[platform]] if platform in _ORDERS else list(_ORDERS.values())
    return "; the positional arguments may be shifted: " + "; ".join(orders)


def _describe(value: str, *, hex_key: bool) -> str:
    """What is wrong with a value, without showing it (``hex_key``: a 32-hex-digit key was
    expected, else digits)."""
    if "@" in value:
        return "looks like an e-mail address"
    if hex_key and len(value) == 32:
        return "has characters other than 0-9 and a-f"
    if not hex_key and len(value) == 32 and _HEX_DIGITS.issuperset(value):
        return "looks like a 32-character hexadecimal key, not an id"
    if not hex_key:
        return "has characters other than 0-9 (an id is digits only)"
    return f"is {len(value)} characters long"


def check_key(name: str, value: object, *, owner: str, platform: str = "") -> str:
    """A str credential; ``None`` means "not given" (``''``).

    ``platform`` ("mailru", "ok") picks the argument order the shifted-arguments hint shows.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"{owner}: {name} must be a str, got {type(value).__name__}")
    if value != value.strip() or any(c.isspace() for c in value):
        raise ConfigurationError(f"{owner}: {name} contains whitespace; remove it")
    if "@" in value:
        raise ConfigurationError(
            f"{owner}: {name} looks like an e-mail address{_shifted(platform)}"
        )
    return value


def check_hex_key(name: str, value: object, *, owner: str) -> str:
    """A Mail.ru private/secret key: 32 hexadecimal characters, or empty (not given)."""
    text = check_key(name, value, owner=owner, platform="mailru")
    if text and not (len(text) == 32 and _HEX_DIGITS.issuperset(text)):
        raise ConfigurationError(
            f"{owner}: {name} must be the 32 hexadecimal characters from the app's settings; "
            f"the value given {_describe(text, hex_key=True)}{_shifted('mailru')}"
        )
    return text


def check_app_id(value: object, *, owner: str, platform: str = "") -> str:
    """The application id as the decimal string that is signed and sent."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigurationError(
            f"{owner}: app_id must be an int or a str of digits, got {type(value).__name__}"
        )
    text = str(value).strip()
    if not text:
        raise ConfigurationError(f"{owner}: app_id is empty; pass your application's id")
    if not text.isdigit():
        raise ConfigurationError(
            f"{owner}: app_id must be digits (your application's id); the value given "
            f"{_describe(text, hex_key=False)}{_shifted(platform)}"
        )
    return text


def check_login_email(value: object, *, owner: str) -> str:
    """A Mail.ru login: an e-mail address. Anything else may be a misplaced password."""
    text = require_key("email", value, owner=owner, hint="the user's e-mail address",
                       allow_at=True)
    if "@" not in text:
        raise ConfigurationError(
            f"{owner}: email must be the user's e-mail address; the value given has no '@'"
            f"{_shifted('mailru')}"
        )
    return text


def require_key(
    name: str, value: object, *, owner: str, hint: str, allow_at: bool = False,
    platform: str = "",
) -> str:
    """Like :func:`check_key`, but an empty value is a :class:`ConfigurationError`.

    ``allow_at`` for values that may contain ``@`` (logins, passwords).
    """
    if allow_at:
        if value is None:
            text = ""
        elif not isinstance(value, str):
            raise ConfigurationError(f"{owner}: {name} must be a str, got {type(value).__name__}")
        else:
            text = value
    else:
        text = check_key(name, value, owner=owner, platform=platform)
    if not text:
        raise ConfigurationError(f"{owner} needs {name}: {hint}")
    return text
