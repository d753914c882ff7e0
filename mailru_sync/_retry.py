"""The one place where retries are decided.

Why not urllib3's own retries inside the adapter: whether a call may be repeated depends on the
*API method* (a read or a write), not on the HTTP verb (a long read goes as POST), and the
platforms report "service unavailable" inside HTTP 200 bodies, which urllib3 never sees. So the
adapter is mounted with retries off, and :class:`RetryPolicy` decides from what the session
knows. A ``urllib3.util.Retry`` given by the user is read for its counts and backoff settings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection

from urllib3.util import Retry

from .exceptions import ConfigurationError

__all__ = ["DEFAULT_MAX_RETRIES", "RetryPolicy", "RetryState"]

DEFAULT_MAX_RETRIES = 3
_DEFAULT_STATUSES = frozenset({429, 502, 503, 504})


_POLICY_FIELDS = (
    "total",
    "connect",
    "read",
    "status",
    "backoff_factor",
    "backoff_max",
    "backoff_jitter",
    "status_forcelist",
    "respect_retry_after",
    "retry_after_max",
)


class RetryPolicy:
    """How many times and how long to wait. Immutable; one per session.

    ``total`` bounds all retries of one call; ``connect``/``read``/``status`` bound each kind
    (``None`` = only ``total`` applies). Backoff before retry *n* (1-based) is
    ``min(backoff_max, backoff_factor * 2 ** (n - 1)) + uniform(0, backoff_jitter)``; a
    ``Retry-After`` header (seconds) replaces it when ``respect_retry_after`` is set, up to
    ``retry_after_max`` (a longer wait is not taken: the error is raised instead). ``sleep``
    (for tests) takes no part in equality or the repr.

    A plain class rather than a dataclass: :mod:`dataclasses` (with :mod:`inspect`) was the
    largest stdlib cost of ``import mailru_sync``.
    """

    __slots__ = (*_POLICY_FIELDS, "sleep")

    total: int
    connect: int | None
    read: int | None
    status: int | None
    backoff_factor: float
    backoff_max: float
    backoff_jitter: float
    status_forcelist: frozenset[int]
    respect_retry_after: bool
    retry_after_max: float
    sleep: Callable[[float], None]

    def __init__(
        self,
        total: int = DEFAULT_MAX_RETRIES,
        connect: int | None = None,
        read: int | None = None,
        status: int | None = None,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        backoff_jitter: float = 0.25,
        status_forcelist: frozenset[int] = _DEFAULT_STATUSES,
        respect_retry_after: bool = True,
        retry_after_max: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        values = locals()
        for name in (*_POLICY_FIELDS, "sleep"):
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RetryPolicy is immutable: build a new one instead of setting {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RetryPolicy is immutable: cannot delete {name}")

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _POLICY_FIELDS)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, RetryPolicy)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _POLICY_FIELDS)
        return f"RetryPolicy({shown})"

    @classmethod
    def from_option(cls, value: int | Retry | RetryPolicy | None) -> RetryPolicy:
        """Build a policy from the session's ``max_retries`` option."""
        if value is None:
            return cls()
        if isinstance(value, RetryPolicy):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, Retry)):
            raise ConfigurationError(
                f"max_retries must be an int or a urllib3.util.Retry, got {type(value).__name__}"
            )
        if isinstance(value, int):
            if value < 0:
                raise ConfigurationError(f"max_retries must be >= 0, got {value}")
            return cls(total=value)
        return cls._from_urllib3(value)

    @classmethod
    def _from_urllib3(cls, retry: Retry) -> RetryPolicy:
        counts = [c for c in (retry.connect, retry.read, retry.status) if isinstance(c, int)]
        if retry.total is False or retry.total is None:
            total = max(counts, default=0)
        else:
            total = int(retry.total)
        forcelist: Collection[int] = retry.status_forcelist or _DEFAULT_STATUSES
        return cls(
            total=total,
            connect=retry.connect,
            read=retry.read,
            status=retry.status,
            backoff_factor=float(retry.backoff_factor),
            backoff_max=float(retry.backoff_max),
            backoff_jitter=float(getattr(retry, "backoff_jitter", 0.0)),
            status_forcelist=frozenset(forcelist),
            respect_retry_after=bool(retry.respect_retry_after_header),
        )

    def backoff(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt``; ``None`` = too long, give up."""
        if retry_after is not None and self.respect_retry_after:
            if retry_after > self.retry_after_max:
                return None
            return max(0.0, float(retry_after))
        base = min(self.backoff_max, self.backoff_factor * (2.0 ** (attempt - 1)))
        jitter = random.uniform(0.0, self.backoff_jitter) if self.backoff_jitter > 0 else 0.0
        return base + jitter

    def start(self) -> RetryState:
        """Fresh counters for one call."""
        return RetryState(self)


class RetryState:
    """Per-call counters; :meth:`allow` consumes one retry of a kind if any is left."""

    __slots__ = ("by_kind", "policy", "used")

    def __init__(self, policy: RetryPolicy, used: int = 0) -> None:
        self.policy = policy
        self.used = used
        self.by_kind: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"RetryState(used={self.used}, by_kind={self.by_kind!r})"

    def allow(self, kind: str) -> bool:
        """Consume a retry of ``kind`` ("connect", "read", "status") if the policy allows one."""
        if self.used >= self.policy.total:
            return False
        limit = getattr(self.policy, kind, None)
        if isinstance(limit, int) and self.by_kind.get(kind, 0) >= limit:
            return False
        self.used += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        return True

    def delay(self, retry_after: float | None = None) -> float | None:
        """Seconds to wait before the retry just allowed; ``None`` if that wait is too long.

        The session sleeps it only if its call budget can afford it.
        """
        return self.policy.backoff(self.used, retry_after)
