"""The session options, validated once at construction into one immutable :class:`Settings`.

Why: a session takes about twenty keyword options (typed for mypy and IDEs in
:mod:`mailru_sync.options`). Their names are checked here at run time too: a misspelled option
raises :class:`~mailru_sync.ConfigurationError` naming the closest valid one. The values a call
reads are validated into a :class:`Settings`; the session's public attributes of the same names
(``session.deadline`` ...) read it, and assigning one validates the new value the same way and
swaps in a new ``Settings``, so a thread in the middle of a call never sees half of a change.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ._retry import RetryPolicy
from ._transport import DEFAULT_MAX_BODY_SIZE
from ._urls import check_base_url
from .exceptions import ConfigurationError

if TYPE_CHECKING:

    from ._ratelimit import Limiter

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_POOL_MAXSIZE",
    "DEFAULT_TIMEOUT",
    "KNOWN_OPTIONS",
    "OPTIONS_NOTE",
    "CookiesOption",
    "Setting",
    "Settings",
    "TimeoutOption",
    "TokenData",
    "TokenUpdater",
    "check_known",
    "is_token_store",
    "options_paragraph",
    "parse_options",
    "restores_token",
    "token_options",
]

#: (connect, read) seconds used when a call gives no ``timeout``; each is also capped by what
#: is left of the call's ``deadline``.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
#: Seconds one call may take in all (attempts, backoff sleeps, a refresh): less than the 30 s
#: after which gunicorn and most proxies give up on a web request, so a view can still answer.
DEFAULT_DEADLINE = 20.0
#: Keep-alive connections kept per host: enough for the threads of a typical threaded web
#: server (gunicorn gthread, uWSGI, mod_wsgi) sharing one session, so bursts reuse them.
DEFAULT_POOL_MAXSIZE = 32

_T = TypeVar("_T")

#: A token as the platforms return it and ``session.token`` exports it (plus ``expires_at``).
TokenData = dict[str, Any]
#: ``token_updater(token_data)``: persists a new token.
TokenUpdater = Callable[[TokenData], None]
TimeoutOption = float | tuple[float | None, float | None] | None
#: aiomailru-style cookies: a mapping, a cookie jar, or dicts with name/value.
CookiesOption = Mapping[str, str] | Iterable[Mapping[str, Any]] | http.cookiejar.CookieJar

#: Every option name a session accepts, for the did-you-mean of a misspelled one.
#: (A literal, not read from the TypedDicts: those load only for type checkers and docs; a test
#: keeps the two equal.)
KNOWN_OPTIONS = frozenset((
    "base_url", "timeout", "max_retries", "pool_maxsize", "rate_limit", "retry_on_flood",
    "flood_wait", "retry_writes", "write_methods", "token_updater", "token_loader",
    "refresh_lock", "refresh_margin", "deadline", "max_body_size", "token", "store", "cookies",
    "pass_error", "session", "format",
))


def check_known(owner: str, options: Mapping[str, object], known: Iterable[str]) -> None:
    """Refuse an option no session takes, naming the closest one that exists."""
    valid = set(known)
    for name in options:
        if name not in valid:
            import difflib  # only a misspelling pays for it

            close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
            hint = f": did you mean {close[0]!r}?" if close else (
                f"; the options are: {', '.join(sorted(valid))}"
            )
            raise ConfigurationError(f"{owner}: unknown option {name!r}{hint}")


# --- validation of the values a call reads -------------------------------------------------


def _seconds(name: str, value: object, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be seconds, got {value!r}")
    if positive and value <= 0:
        raise ConfigurationError(f"{name} must be > 0 seconds, got {value!r}")
    if not positive and value < 0:
        raise ConfigurationError(f"{name} must be >= 0 seconds, got {value!r}")
    return float(value)


def _timeout(value: object) -> float | tuple[float | None, float | None]:
    if value is None:
        raise ConfigurationError(
            "timeout=None would let a call hang forever; give seconds instead"
        )
    if isinstance(value, bool):
        raise ConfigurationError(
            "timeout must be seconds (float) or a (connect, read) pair, not a bool"
        )
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {value!r}")
        return float(value)
    if isinstance(value, tuple) and len(value) == 2:
        for part in value:
            if part is not None and (
                isinstance(part, bool) or not isinstance(part, (int, float)) or part <= 0
            ):
                raise ConfigurationError(
                    f"timeout parts must be > 0 seconds or None, got {value!r}"
                )
        connect, read = value
        return (
            None if connect is None else float(connect),
            None if read is None else float(read),
        )
    raise ConfigurationError(
        f"timeout must be seconds (float) or a (connect, read) pair, got {value!r}"
    )


def _pool_maxsize(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"pool_maxsize must be an int, got {value!r}")
    if value < 1:
        raise ConfigurationError(f"pool_maxsize must be >= 1, got {value}")
    return value


def _rate_limiter(value: object) -> Limiter | None:
    if value is None:
        return None
    from ._ratelimit import Limiter, RateLimiter  # only pacing sessions load it

    if isinstance(value, Limiter):
        return value
    return RateLimiter(value)  # type: ignore[arg-type]  # RateLimiter checks the number


def _retry_on_flood(value: object) -> int:
    if isinstance(value, bool):
        return 3 if value else 0
    if not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"retry_on_flood must be a bool or an int >= 0, got {value!r}"
        )
    return value


def _write_methods(value: object) -> frozenset[str]:
    if isinstance(value, str):
        raise ConfigurationError(
            "write_methods must be a collection of method names, not one str"
        )
    return frozenset(cast(Iterable[str], value))


def _max_body_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"max_body_size must be a number of bytes, got {value!r}")
    if value < 1:
        raise ConfigurationError(f"max_body_size must be >= 1 byte, got {value!r}")
    return value


#: Each setting: (option name, default, validator). The attribute has the setting's name.
_VALIDATORS: dict[str, tuple[str, object, Callable[[Any], Any]]] = {
    "pass_error": ("pass_error", False, bool),
    "base_url": ("base_url", None, check_base_url),
    "timeout": ("timeout", DEFAULT_TIMEOUT, _timeout),
    "retry_policy": ("max_retries", None, RetryPolicy.from_option),
    "pool_maxsize": ("pool_maxsize", DEFAULT_POOL_MAXSIZE, _pool_maxsize),
    "rate_limiter": ("rate_limit", None, _rate_limiter),
    "retry_on_flood": ("retry_on_flood", 0, _retry_on_flood),
    "flood_wait": ("flood_wait", 1.0, lambda v: _seconds("flood_wait", v, positive=False)),
    "retry_writes": ("retry_writes", False, bool),
    "write_methods": ("write_methods", (), _write_methods),
    "refresh_margin": (
        "refresh_margin", 60.0, lambda v: _seconds("refresh_margin", v, positive=False)
    ),
    "deadline": ("deadline", DEFAULT_DEADLINE, lambda v: _seconds("deadline", v, positive=True)),
    "max_body_size": ("max_body_size", DEFAULT_MAX_BODY_SIZE, _max_body_size),
}


class Settings:
    """The validated values a call reads; immutable (``replace`` makes a changed copy)."""

    __slots__ = tuple(_VALIDATORS)

    if TYPE_CHECKING:
        pass_error: bool
        base_url: str | None
        timeout: float | tuple[float | None, float | None]
        retry_policy: RetryPolicy
        pool_maxsize: int
        rate_limiter: Limiter | None
        retry_on_flood: int
        flood_wait: float
        retry_writes: bool
        write_methods: frozenset[str]
        refresh_margin: float
        deadline: float
        max_body_size: int

    def __init__(self, values: Mapping[str, object]) -> None:
        for attribute, (option, default, validate) in _VALIDATORS.items():
            object.__setattr__(self, attribute, validate(values.get(option, default)))

    def replace(self, attribute: str, value: object) -> Settings:
        """A copy with ``attribute`` (a setting's attribute name) set to a validated value."""
        changed = object.__new__(Settings)
        for name in _VALIDATORS:
            object.__setattr__(changed, name, getattr(self, name))
        object.__setattr__(changed, attribute, _VALIDATORS[attribute][2](value))
        return changed

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Settings are immutable; use replace({name!r}, value)")


class Setting(Generic[_T]):
    """A session attribute backed by its :class:`Settings` (``session.deadline`` ...)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        if instance is None:
            return self  # type: ignore[return-value]  # the class attribute is the descriptor
        value: _T = getattr(instance._settings, self.name)
        return value

    def __set__(self, instance: Any, value: object) -> None:
        instance._settings = instance._settings.replace(self.name, value)


def parse_options(owner: str, options: Mapping[str, object]) -> Settings:
    """Check the names (did you mean ...?) and validate the values a call reads."""
    check_known(owner, options, KNOWN_OPTIONS)
    return Settings(options)


OPTIONS_NOTE = "Options (keyword-only"


def options_paragraph() -> str:
    """The options every session class accepts, for its ``help()`` (from the one list the
    run-time check uses, so the two cannot drift)."""
    names = ", ".join(sorted(KNOWN_OPTIONS - {"format"}))
    return (
        f"{OPTIONS_NOTE}, as for every session; typed in :mod:`mailru_sync.options`): "
        f"{names}. Grant sessions log in on their first API call when neither "
        "``authorize()`` nor ``with`` did."
    )


def restores_token(options: Mapping[str, object]) -> bool:
    """Whether the options bring a token (``token=`` or ``store=``), so the positional token
    fields may be left out (precedence: ``token=``, then the store, then the positional ones)."""
    return options.get("token") is not None or options.get("store") is not None


def is_token_store(store: object) -> bool:
    from .stores import TokenStore  # loaded only by sessions given a store

    return isinstance(store, TokenStore)


def token_options(
    options: Mapping[str, Any],
) -> tuple[Any, Any, Any, Mapping[str, Any] | None]:
    """The checked ``store``, ``token_loader``, ``token_updater`` and ``token`` options."""
    store = options.get("store")
    loader = options.get("token_loader")
    updater = options.get("token_updater")
    token = options.get("token")
    if updater is not None and not callable(updater):
        raise ConfigurationError("token_updater must be callable: token_updater(token_dict)")
    if loader is not None and not callable(loader):
        raise ConfigurationError(
            "token_loader must be callable: token_loader() -> token dict or None"
        )
    if store is not None and not is_token_store(store):
        raise ConfigurationError(
            "store must have load(), save(token) and lock() (see mailru_sync.stores), "
            f"got {type(store).__name__}"
        )
    if token is not None and not isinstance(token, Mapping):
        raise ConfigurationError(
            f"token must be the dict session.token exported, got {type(token).__name__}"
        )
    return store, loader, updater, token
