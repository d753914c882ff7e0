"""Keeping secrets out of logs, exception messages and ``repr()``.

Two tools: :func:`mask` shows only a short prefix of a token, and :class:`Redactor` replaces every
occurrence of the session's known secret values in any text (a response snippet may echo a token).
Parameter names that always carry secrets are masked by name in :func:`redact_params`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, overload
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

__all__ = [
    "REDACTED",
    "SECRET_PARAM_NAMES",
    "SLOT_DEPTH",
    "URL_DEPTH",
    "Redactor",
    "Rotating",
    "SecretAttribute",
    "install_urllib3_filter",
    "mask",
    "redact_everywhere",
    "redact_params",
    "redact_query",
    "spellings",
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
        "apiToken",
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


#: Credential parameters whose values show no prefix at all (a token's prefix helps to tell
#: tokens apart in logs; a password's or key's prefix is only a partial leak).
_HIDDEN_PARAM_NAMES = frozenset(
    {"password", "passwd", "Password", "fr.password", "client_secret", "private_key",
     "secret_key", "app_secret_key", "session_secret_key"}
)


def redact_params(params: Mapping[str, object]) -> dict[str, str]:
    """Copy of ``params`` safe to log: credential parameters masked by name."""
    return {
        name: REDACTED if name in _HIDDEN_PARAM_NAMES
        else mask(value) if name in SECRET_PARAM_NAMES else str(value)
        for name, value in params.items()
    }


#: What a redacted secret turns into in text. No prefix: part of a password is still a leak.
REDACTED = "***"


def _html_escape(text: str) -> str:
    """``html.escape(text)`` without importing :mod:`html` (and its entity tables) at start-up."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def spellings(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text the library handles or a server echoes.

    Raw; URL-encoded as a path or query (``%XX`` in upper and lower case) and form-encoded
    (``+`` for space); JSON-escaped (ASCII and not); HTML-escaped.
    """
    found = {secret}
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        found.add(encoded)
        found.add(_lower_hex(encoded))
    found.add(json.dumps(secret)[1:-1])
    found.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    found.add(_html_escape(secret))
    return {text for text in found if len(text) >= _MIN_SECRET_LEN}


def _lower_hex(encoded: str) -> str:
    """``quote()`` output with every ``%XX`` escape in lower case (``%2F`` -> ``%2f``).

    ``quote`` writes each escape as ``%`` plus two upper-case hex digits, so the two characters
    after every ``%`` are exactly an escape.
    """
    head, *escapes = encoded.split("%")
    return head + "".join(f"%{part[:2].lower()}{part[2:]}" for part in escapes)


class Rotating(str):
    """A secret value that replaces the previous value of the same ``slot`` in a redactor.

    :class:`SecretAttribute` hands its values over in this form, so an owner that forwards them
    to :meth:`Redactor.add` (the token state, the dialects, the grants) needs to know nothing
    about slots: a refreshed token releases the one before the one it replaces.
    """

    __slots__ = ("slot",)
    slot: object

    def __new__(cls, value: str, slot: object) -> Rotating:
        made = super().__new__(cls, value)
        made.slot = slot
        return made


#: How many values of one slot stay redacted: the current one and the one before it (a server
#: may echo the replaced token in the very answer that refreshes it, or a log line of a call
#: signed an instant before the refresh may be written after it).
SLOT_DEPTH = 2
#: How many pieces of server-issued URLs stay redacted (a few per URL, see ``hold_url``).
URL_DEPTH = 128


class Redactor:
    """Replaces every spelling of known secret values in text. Thread-safe; every live
    redactor also feeds the log filters (:func:`redact_everywhere`).

    What it remembers, and for how long (so memory and the cost of a log line stay bounded
    over a long life, whatever the number of refreshes):

    * values given to :meth:`add` (keys, passwords given to a constructor, proxy userinfo):
      for the redactor's life;
    * values of a *slot* (:meth:`hold`, or a :class:`Rotating` value given to :meth:`add`, as
      :class:`SecretAttribute` and the token state do): the current value and the previous
      one (:data:`SLOT_DEPTH`); older values are forgotten;
    * the credentials in URLs a server hands out (:meth:`hold_url`): those of the last
      :data:`URL_DEPTH` URLs, so uploads in flight in many threads stay covered.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._kept: set[str] = set()
        self._slots: dict[object, tuple[str, ...]] = {}
        self._secrets: frozenset[str] = frozenset()
        self._ordered: tuple[str, ...] = ()
        self._spelled: dict[str, frozenset[str]] = {}
        self.add(*secrets)
        _LIVE.add(self)

    def add(self, *secrets: object) -> None:
        """Remember more secret values (short or empty ones are ignored: too many false hits).

        A :class:`Rotating` value goes to its slot (see :meth:`hold`); any other is kept.
        """
        fresh: list[str] = []
        for secret in secrets:
            if isinstance(secret, Rotating):
                self.hold(secret.slot, str(secret))
            elif secret is not None and len(str(secret)) >= _MIN_SECRET_LEN:
                fresh.append(str(secret))
        if any(value not in self._kept for value in fresh):
            with self._lock:
                self._kept.update(fresh)
                self._rebuild()

    def hold(self, slot: object, value: object, *, depth: int = SLOT_DEPTH) -> None:
        """``value`` becomes the current secret of ``slot``; the ``depth - 1`` values before it
        stay too, older ones are forgotten (unless still known some other way)."""
        text = "" if value is None else str(value)
        with self._lock:
            values = self._slots.get(slot, ())
            if values[:1] == (text,):
                return
            kept = (text, *(v for v in values if v != text))[:depth]
            self._slots[slot] = tuple(v for v in kept if v)
            self._rebuild()

    def hold_url(self, url: str) -> None:
        """Redact the query of ``url``, a URL the server handed out (OK's upload URL carries a
        one-time ``apiToken``): the whole query and each of its values, wherever they show
        (urllib3's request log line, an echo of the URL); the host and path stay readable."""
        parts = urlsplit(url)
        pieces = [parts.query]
        for _, value in parse_qsl(parts.query, keep_blank_values=False):
            pieces.append(value)
        for piece in pieces:
            if len(piece) >= _MIN_SECRET_LEN:
                self.hold("server-issued URLs", piece, depth=URL_DEPTH)

    def _rebuild(self) -> None:
        """Recompute the spellings to replace (under the lock)."""
        secrets = set(self._kept).union(*self._slots.values())
        secrets = {s for s in secrets if len(s) >= _MIN_SECRET_LEN}
        if secrets == self._secrets:
            return
        spelled = {s: self._spelled.get(s) or frozenset(spellings(s)) for s in secrets}
        variants: set[str] = set().union(*spelled.values()) if spelled else set()
        self._spelled = spelled
        self._secrets = frozenset(secrets)
        # Longest first, so a secret containing another is replaced whole.
        self._ordered = tuple(sorted(variants, key=len, reverse=True))

    def knows(self, value: object) -> bool:
        """Whether ``value`` is one of the secrets (raw spelling) this redactor hides."""
        return isinstance(value, str) and value in self._secrets

    def __call__(self, text: str) -> str:
        """Return ``text`` with every spelling of every known secret replaced."""
        for variant in self._ordered:
            if variant in text:
                text = text.replace(variant, REDACTED)
        return text

    def deep(self, value: object, depth: int = 0) -> object:
        """``value`` with every str inside (dict keys and values, lists) redacted.

        Depth-limited: a hostile body nested a thousand levels deep is cut, not recursed into.
        """
        if isinstance(value, str):
            return self(value)
        if depth > _MAX_DEPTH and isinstance(value, (dict, list, tuple)):
            return "(nested too deep)"
        if isinstance(value, dict):
            return {self.deep(k, depth + 1): self.deep(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            items = [self.deep(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        return value

    def scrub(self, exc: BaseException) -> None:
        """Redact an exception in place: its args, its attributes and its chain.

        Chained exceptions that are not the library's own are dropped: a urllib3 or ssl error
        prints the request URL, query string (token, signature) included.
        """
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            current.args = tuple(self.deep(arg) for arg in current.args)
            for name, value in list(vars(current).items()):
                setattr(current, name, self.deep(value))
            nxt = current.__cause__ or current.__context__
            if nxt is not None and type(nxt).__module__.startswith("mailru_sync"):
                current.__cause__, current.__context__ = nxt, None
                current = nxt
            else:
                current.__cause__ = current.__context__ = None
                current.__suppress_context__ = True
                current = None

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._secrets)} secrets>"


_MAX_DEPTH = 64
_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()


class _RemembersSecrets(Protocol):
    __dict__: dict[str, Any]

    def _remember_secrets(self, *secrets: object) -> None: ...


class SecretAttribute:
    """A session attribute (a token, key, code or password) whose values are redacted.

    The current value and the one before it are redacted (see :class:`Redactor`): a refresh
    token replaced a hundred times does not leave a hundred secrets to scan every log line for.

    Why a descriptor: a secret assigned by hand (``session.refresh_token = X``) must be hidden
    as surely as one a grant returned, and registering it at each place that sets it was easy
    to miss. The value is stored in the instance ``__dict__`` under the attribute's own name,
    as a plain attribute's would be; reading an unset one gives ``""``.
    """

    __slots__ = ("_name",)

    def __init__(self) -> None:
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> SecretAttribute: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> str: ...

    def __get__(self, instance: object, owner: type | None = None) -> SecretAttribute | str:
        if instance is None:
            return self
        value: str = vars(instance).get(self._name, "")
        return value

    def __set__(self, instance: _RemembersSecrets, value: str) -> None:
        vars(instance)[self._name] = value
        # One slot per attribute of each owner: a new value releases the one before the last.
        instance._remember_secrets(Rotating(value or "", (id(instance), self._name)))


def redact_everywhere(text: str) -> str:
    """``text`` with the secrets of every live session redacted, and credential params masked."""
    for redactor in list(_LIVE):
        text = redactor(text)
    return redact_query(text)


@functools.cache
def _query_secret() -> re.Pattern[str]:
    """The credential-parameter pattern, compiled on first use (its many alternatives cost a
    few hundred microseconds, which an app that never logs or fails should not pay at import)."""
    names = "|".join(re.escape(n) for n in sorted(SECRET_PARAM_NAMES))
    return re.compile(r"(?P<name>(?:^|(?<=[?&]))(?:" + names + r"))=(?P<value>[^&#\s\"]+)")


def redact_query(text: str) -> str:
    """Mask the values of credential parameters inside URL-encoded text (``a=1&session_key=…``)."""
    if "=" not in text:
        return text
    return _query_secret().sub(lambda m: f"{m.group('name')}={mask(m.group('value'))}", text)


class _SecretsFilter(logging.Filter):
    """Redacts every live session's secrets from each record of the loggers it is attached to.

    urllib3 logs each request line (path *and query*) at DEBUG, and our own lines may quote
    server text; masking a fixed list of parameter names is not enough (a password in a URL, an
    echoed token). The message is formatted, redacted, and stored back without args.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        record.msg = redact_everywhere(message)
        record.args = ()
        return True


_FILTERED_LOGGERS = (
    "mailru_sync",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.poolmanager",
)


def install_urllib3_filter() -> None:
    """Attach :class:`_SecretsFilter` to our logger and urllib3's (idempotent)."""
    for name in _FILTERED_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, _SecretsFilter) for f in target.filters):
            target.addFilter(_SecretsFilter())
