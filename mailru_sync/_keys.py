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
_SHIFTED = (
    "; the positional arguments may be shifted: 3-key classes take (app_id, private_key, "
    "secret_key, ...), Client classes (app_id, private_key, ...), Server classes (app_id, "
    "secret_key, ...)"
)


def _describe(value: str) -> str:
    """What is wrong with a value, without showing it."""
    if "@" in value:
        return "looks like an e-mail address"
    if len(value) == 32:
        return "has characters other than 0-9 and a-f"
    return f"is {len(value)} characters long"


def check_key(name: str, value: object, *, owner: str) -> str:
    """A str credential; ``None`` means "not given" (``''``)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"{owner}: {name} must be a str, got {type(value).__name__}")
    if value != value.strip() or any(c.isspace() for c in value):
        raise ConfigurationError(f"{owner}: {name} contains whitespace; remove it")
    if "@" in value:
        raise ConfigurationError(f"{owner}: {name} looks like an e-mail address{_SHIFTED}")
    return value


def check_hex_key(name: str, value: object, *, owner: str) -> str:
    """A Mail.ru private/secret key: 32 hexadecimal characters, or empty (not given)."""
    text = check_key(name, value, owner=owner)
    if text and not (len(text) == 32 and _HEX_DIGITS.issuperset(text)):
        raise ConfigurationError(
            f"{owner}: {name} must be the 32 hexadecimal characters from the app's settings; "
            f"the value given {_describe(text)}{_SHIFTED}"
        )
    return text


def check_app_id(value: object, *, owner: str) -> str:
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
            f"{_describe(text)}{_SHIFTED}"
        )
    return text


def check_login_email(value: object, *, owner: str) -> str:
    """A Mail.ru login: an e-mail address. Anything else may be a misplaced password."""
    text = require_key("email", value, owner=owner, hint="the user's e-mail address",
                       allow_at=True)
    if "@" not in text:
        raise ConfigurationError(
            f"{owner}: email must be the user's e-mail address; the value given has no '@'"
            f"{_SHIFTED}"
        )
    return text


def require_key(
    name: str, value: object, *, owner: str, hint: str, allow_at: bool = False
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
        text = check_key(name, value, owner=owner)
    if not text:
        raise ConfigurationError(f"{owner} needs {name}: {hint}")
    return text
