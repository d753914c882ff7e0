"""Keeping secrets out of logs, exception messages and ``repr()``.

Two tools: :func:`mask` shows only a short prefix of a token, and :class:`Redactor` replaces every
occurrence of the session's known secret values in any text (a response snippet may echo a token).
Parameter names that always carry secrets are masked by name in :func:`redact_params`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

__all__ = [
    "SECRET_PARAM_NAMES",
    "Redactor",
    "install_urllib3_filter",
    "mask",
    "redact_params",
    "redact_query",
]

#: Parameter names whose values are credentials (masked in logs whatever their value).
SECRET_PARAM_NAMES = frozenset(
    {
        "access_token",
        "session_key",
        "session_secret_key",
        "refresh_token",
        "sig",
        "client_secret",
        "password",
        "passwd",
        "Password",
        "fr.password",
        "code",
        "private_key",
        "secret_key",
        "app_secret_key",
        "auth_token",
    }
)

_PREFIX = 4
_MIN_SECRET_LEN = 4


def mask(value: object) -> str:
    """A short, recognisable prefix of a secret: ``'be6e…'``; empty stays empty."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if len(text) <= _PREFIX * 2:
        return "…"
    return text[:_PREFIX] + "…"


def redact_params(params: Mapping[str, object]) -> dict[str, str]:
    """Copy of ``params`` safe to log: credential parameters masked by name."""
    return {
        name: mask(value) if name in SECRET_PARAM_NAMES else str(value)
        for name, value in params.items()
    }


class Redactor:
    """Replaces known secret values in text. Thread-safe; secrets can be added as they arrive."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self.add(*secrets)

    def add(self, *secrets: object) -> None:
        """Remember more secret values (short or empty ones are ignored: too many false hits)."""
        fresh = {str(s) for s in secrets if s is not None and len(str(s)) >= _MIN_SECRET_LEN}
        if fresh:
            with self._lock:
                self._secrets = self._secrets | fresh

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known secret replaced by its masked prefix."""
        # Longest first, so a secret containing another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, mask(secret))
        return text

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._secrets)} secrets>"


_QUERY_SECRET = re.compile(
    r"(?P<name>(?:^|(?<=[?&]))(?:" + "|".join(re.escape(n) for n in sorted(SECRET_PARAM_NAMES))
    + r"))=(?P<value>[^&#\s\"]+)"
)


def redact_query(text: str) -> str:
    """Mask the values of credential parameters inside URL-encoded text (``a=1&session_key=…``)."""
    return _QUERY_SECRET.sub(lambda m: f"{m.group('name')}={mask(m.group('value'))}", text)


class _Urllib3RequestLineFilter(logging.Filter):
    """urllib3 logs each request line (path *and query*) at DEBUG; mask credentials in it.

    Installed once on the ``urllib3.connectionpool`` logger when mailru_sync is imported, so an
    application that turns on DEBUG everywhere still never logs our tokens or signatures.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and "=" in arg else arg
                for arg in record.args
            )
        return True


def install_urllib3_filter() -> None:
    """Attach :class:`_Urllib3RequestLineFilter` to urllib3's pool logger (idempotent)."""
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _Urllib3RequestLineFilter) for f in pool_logger.filters):
        pool_logger.addFilter(_Urllib3RequestLineFilter())
