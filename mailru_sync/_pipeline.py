"""The call pipeline: serialize → sign → pace → send → decode → classify → one decision.

Why a part of its own: every way of calling the platform (API calls, batches, uploads) needs
the same answer to "what now?" after each attempt, and that answer is where bugs hide (a write
resent after a timeout posts twice). The loop here is the only one; uploads bring their own
``send`` (a multipart POST) and go through it too.

Each decision is a small function of explicit inputs (the shape of stripe-python's
``_http_client`` retry methods), so it can be read, and tested, on its own:

* :func:`transport_retry` — after a transport failure: resend only what cannot have reached
  the platform, or what may safely run twice (reads, or writes with ``retry_writes``);
* :func:`status_retry` — after a 5xx answer without a platform error;
* :func:`decide` — after the platform answered: the result, a refresh-and-replay, a retry of
  "service unavailable", a flood wait, the raw error (``pass_error``) or the exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .exceptions import (
    APIError,
    Error,
    HostNotFound,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
    SessionExpiredError,
    TLSError,
    TransportError,
)

if TYPE_CHECKING:
    from ._budget import Budget
    from ._options import Settings
    from ._redact import Redactor
    from ._retry import RetryState
    from ._tokens import TokenState

__all__ = [
    "Attempt",
    "CallPipeline",
    "Dialect",
    "decide",
    "note_unsent_write",
    "status_retry",
    "transport_retry",
]

logger = logging.getLogger("mailru_sync")

#: ``send(signed) -> (decoded body, HTTP status)``: one attempt on the wire.
Send = Callable[[dict[str, str]], "tuple[Any, int]"]


class Dialect:
    """What the pipeline (and the token state) ask of a platform (see ``mailru/dialect.py``,
    ``ok/dialect.py``): one object per session, holding the app's credentials and circuit."""

    platform: str
    #: The signature circuit in use, once known.
    circuit: str | None

    def resolve_circuit(self, owner: str, access_token: str) -> str:
        raise NotImplementedError

    def is_authorized(self, access_token: str) -> bool:
        raise NotImplementedError

    def apply_token_fields(self, tokens: TokenState, token: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def extra_token_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def sign(self, method: str, params: dict[str, str], access_token: str) -> dict[str, str]:
        raise NotImplementedError

    def extract_error(self, body: Any, method: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def api_error(self, error: dict[str, Any], body: Any, method: str) -> APIError:
        raise NotImplementedError


class Attempt:
    """What one call remembers between its attempts."""

    __slots__ = ("flood_delay", "floods_left", "refreshed", "resend_ok", "retries")

    def __init__(self, settings: Settings, is_write: bool) -> None:
        self.resend_ok = not is_write or settings.retry_writes
        self.retries: RetryState = settings.retry_policy.start()
        self.floods_left = settings.retry_on_flood
        self.flood_delay = settings.flood_wait
        self.refreshed = False


# --- the decisions --------------------------------------------------------------------------


def transport_retry(exc: TransportError, attempt: Attempt, budget: Budget) -> float | None:
    """Seconds to wait before resending after ``exc``, or None to raise it.

    A failure before the request left (refused, DNS ...) may always be resent; one after it was
    sent (a reset, a read timeout, a truncated answer) only if the call may run twice. DNS and
    TLS failures do not heal in a second.
    """
    if isinstance(exc, (HostNotFound, TLSError)) or budget.expired():
        return None
    if exc.may_have_reached and not attempt.resend_ok:
        return None
    if not attempt.retries.allow("read" if exc.may_have_reached else "connect"):
        return None
    return attempt.retries.delay() or 0.0


def status_retry(exc: ResponseError, attempt: Attempt, settings: Settings) -> float | None:
    """Seconds to wait before resending after a 5xx without a platform error, or None."""
    if not attempt.resend_ok or exc.status not in settings.retry_policy.status_forcelist:
        return None
    if not attempt.retries.allow("status"):
        return None
    return attempt.retries.delay(exc.retry_after)


Decision = tuple[Literal["return", "refresh", "retry", "raise"], Any]


def decide(
    error: APIError, body: Any, attempt: Attempt, *, can_refresh: bool, pass_error: bool
) -> Decision:
    """What to do about the platform's ``error``: refresh and replay, wait and retry (with
    the seconds), return the raw body (``pass_error``), or raise."""
    if isinstance(error, SessionExpiredError) and not attempt.refreshed and can_refresh:
        # The platform rejected the call without running it: replaying once is safe.
        attempt.refreshed = True
        return ("refresh", None)
    if (
        isinstance(error, ServiceUnavailableError)
        and attempt.resend_ok
        and attempt.retries.allow("status")
    ):
        return ("retry", attempt.retries.delay() or 0.0)
    if isinstance(error, RateLimitError) and attempt.floods_left > 0:
        # Flood control rejects a call before running it, so writes may wait too.
        attempt.floods_left -= 1
        delay = attempt.flood_delay
        attempt.flood_delay *= 2
        return ("retry", delay)
    if pass_error:
        return ("return", body)
    return ("raise", error)


# --- the loop ---------------------------------------------------------------------------------


class CallPipeline:
    """The attempts of one call, from signed parameters to the result or the exception.

    The session gives it its parts: the platform's :class:`Dialect`, the :class:`TokenState`
    (whose lock signing holds, so a thread never signs with half of a new token), the
    redactor for log lines, and two of its own steps: ``ensure_ready()`` before each attempt
    (authorize or refresh when due) and ``refresh(stale_token)`` (single flight).
    """

    __slots__ = ("can_refresh", "dialect", "ensure_ready", "redact", "refresh", "tokens")

    def __init__(
        self,
        dialect: Dialect,
        tokens: TokenState,
        redact: Redactor,
        *,
        ensure_ready: Callable[[], None],
        refresh: Callable[[str], object],
        can_refresh: Callable[[], bool],
    ) -> None:
        self.dialect = dialect
        self.tokens = tokens
        self.redact = redact
        self.ensure_ready = ensure_ready
        self.refresh = refresh
        self.can_refresh = can_refresh

    def sign(self, method: str, params: dict[str, str]) -> dict[str, str]:
        """``params`` signed with the current token (read under the token lock)."""
        with self.tokens.lock:
            return self.dialect.sign(method, params, self.tokens.access_token)

    def run(
        self,
        settings: Settings,
        budget: Budget,
        method: str,
        serialized: dict[str, str],
        send: Send,
        *,
        is_write: bool,
        sign: Callable[[str, dict[str, str]], dict[str, str]] | None = None,
        authorized: bool = True,
    ) -> Any:
        """Attempt ``method`` until it succeeds, or a decision says raise (within ``budget``).

        ``sign`` replaces the session's signature (``auth.login`` is signed with the app
        secret alone); ``authorized=False`` skips ``ensure_ready`` (the call that logs in).
        """
        attempt = Attempt(settings, is_write)
        sleep = settings.retry_policy.sleep
        limiter = settings.rate_limiter
        while True:
            if authorized:
                self.ensure_ready()
            with self.tokens.lock:
                token_used = self.tokens.access_token
                signed = (
                    self.dialect.sign(method, serialized, token_used)
                    if sign is None
                    else sign(method, serialized)
                )
            if limiter is not None:
                limiter.acquire()
            try:
                body, status = send(signed)
            except TransportError as exc:
                delay = transport_retry(exc, attempt, budget)
                if delay is not None:
                    self._log_retry(method, exc, attempt)
                    if budget.sleep(delay, sleep):
                        continue
                raise
            except ResponseError as exc:
                delay = status_retry(exc, attempt, settings)
                if delay is not None:
                    self._log_retry(method, exc, attempt)
                    if budget.sleep(delay, sleep):
                        continue
                raise
            error = self.dialect.extract_error(body, method)
            if error is None:
                if body is None:
                    raise ResponseError(
                        f"{method}: the platform answered 'null' where a result was expected "
                        f"(HTTP {status})",
                        method=method,
                        status=status,
                        snippet="null",
                    )
                return body
            api_error = self.dialect.api_error(error, body, method)
            action, value = decide(
                api_error,
                body,
                attempt,
                can_refresh=self.can_refresh(),
                pass_error=settings.pass_error,
            )
            if action == "refresh":
                logger.info("%s: session expired, refreshing the token", method)
                self.refresh(token_used)
                continue
            if action == "retry":
                if isinstance(api_error, RateLimitError):
                    logger.info("%s: flood control (%s), waiting %.2fs", method,
                                api_error.code, value)
                else:
                    self._log_retry(method, api_error, attempt)
                if budget.sleep(value, sleep):
                    continue
                if settings.pass_error:
                    return body
                raise api_error
            if action == "return":
                return value
            raise api_error

    def _log_retry(self, method: str, exc: Error, attempt: Attempt) -> None:
        reason = str(exc)
        if reason.startswith(f"{method}: "):  # the line names the method once
            reason = reason[len(method) + 2:]
        logger.info("%s: retry %d after %s", method, attempt.retries.used, self.redact(reason))


def note_unsent_write(exc: TransportError) -> None:
    """Say in ``exc`` that a write which may have reached the platform was not resent."""
    if exc.may_have_reached and exc.args:
        exc.args = (
            f"{exc.args[0]}; the server may have processed this write "
            "(may_have_reached=True), so it was not resent: check before repeating",
            *exc.args[1:],
        )

