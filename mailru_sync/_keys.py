"""Validation of the credentials users pass to session constructors.

Why: a key of the wrong type (``None``, an int, bytes) otherwise surfaces much later as a wrong
signature (104) from the platform. Checking at construction gives a message that names the
argument and says what to pass.
"""

from __future__ import annotations

from .exceptions import ConfigurationError

__all__ = ["check_app_id", "check_key", "require_key"]


def check_key(name: str, value: object, *, owner: str) -> str:
    """A str credential; ``None`` means "not given" (``''``)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"{owner}: {name} must be a str, got {type(value).__name__}")
    if value != value.strip():
        raise ConfigurationError(f"{owner}: {name} has leading or trailing whitespace; remove it")
    return value


def check_app_id(value: object, *, owner: str) -> str:
    """The application id as the decimal string that is signed and sent."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigurationError(
            f"{owner}: app_id must be an int or a str of digits, got {value!r}"
        )
    text = str(value).strip()
    if not text:
        raise ConfigurationError(f"{owner}: app_id is empty; pass your application's id")
    return text


def require_key(name: str, value: object, *, owner: str, hint: str) -> str:
    """Like :func:`check_key`, but an empty value is a :class:`ConfigurationError`."""
    text = check_key(name, value, owner=owner)
    if not text:
        raise ConfigurationError(f"{owner} needs {name}: {hint}")
    return text
