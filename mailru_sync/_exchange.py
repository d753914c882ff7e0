"""One bounded HTTP exchange, over one of two routes: the direct route or requests.

Why one module: every request the library sends (API calls, token requests, login pages,
uploads) gets the same promises, kept here once: the call's budget caps every socket timeout,
the watchdog cuts a status line, headers or body trickled past the deadline, the body is read
under a size cap, API and token requests never follow redirects, and every failure becomes a
library exception chained to nothing (urllib3's messages carry URLs with tokens).

How the request reaches the wire is a :class:`Route` (the shape of httpx's
``BaseTransport.handle_request``): :class:`RequestsRoute` sends through the
``requests.Session`` with all its customisations, :class:`DirectRoute` sends an API call
straight to the urllib3 pool when requests would send the same bytes (see :mod:`._fastpath`).
The exchange does not know which one it runs.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import requests
import urllib3.exceptions

from ._budget import BudgetScope
from ._fastpath import FastRoute, route_for
from ._redact import Redactor, redact_params
from ._response import decode_json, parse_retry_after, snippet_of
from ._transport import (
    HeldConnection,
    proxy_auth_error,
    read_body,
    safe_location,
    transport_error,
    where,
)
from ._watchdog import watching
from .exceptions import ConfigurationError, Error, HTTPStatusError, RequestTimeout

__all__ = ["DirectRoute", "Exchange", "RequestsRoute", "Route", "Timeout", "inside_exchange"]

logger = logging.getLogger("mailru_sync")

Timeout = float | tuple[float | None, float | None] | None
SocketTimeout = tuple[float | None, float | None]

_local = threading.local()
_T = TypeVar("_T")


def _accept(response: requests.Response) -> None:
    """The judge of :meth:`Exchange.request`: an answer that got this far is the caller's."""


def inside_exchange() -> bool:
    """Whether this thread is sending inside an exchange (then redirects are never prepared)."""
    return getattr(_local, "active", False)


class Route(Protocol):
    """How one request reaches the wire; the answer comes back streamed, body unread."""

    def handle(self, timeout: SocketTimeout) -> requests.Response: ...


class RequestsRoute:
    """Through ``http.request``: proxies, mounted adapters, auth, hooks and cookies apply."""

    __slots__ = ("http", "kwargs", "url", "verb")

    def __init__(self, http: requests.Session, verb: str, url: str, kwargs: dict[str, Any]):
        self.http = http
        self.verb = verb
        self.url = url
        self.kwargs = kwargs

    def handle(self, timeout: SocketTimeout) -> requests.Response:
        return self.http.request(
            self.verb, self.url, allow_redirects=False, stream=True, timeout=timeout,
            **self.kwargs,
        )


class DirectRoute:
    """Straight to the pool of the session's own adapter (only when it is invisible)."""

    __slots__ = ("fast", "http", "query", "verb")

    def __init__(self, fast: FastRoute, http: requests.Session, verb: str, query: str):
        self.fast = fast
        self.http = http
        self.verb = verb
        self.query = query

    def handle(self, timeout: SocketTimeout) -> requests.Response:
        return self.fast.send(self.http, self.verb, self.query, timeout)


class Exchange:
    """The bounded exchanges of one session (``http``), scrubbing with its ``redact``."""

    __slots__ = ("http", "redact")

    def __init__(self, http: requests.Session, redact: Redactor) -> None:
        self.http = http
        self.redact = redact

    def run(
        self,
        route: Route,
        url: str,
        *,
        what: str,
        deadline: float,
        limit: int,
        configured: Timeout,
        refuse_redirects: bool,
        judge: Callable[[requests.Response], _T],
    ) -> tuple[requests.Response, _T]:
        """Send over ``route`` within the budget and read the body; then ``judge(response)``
        (decode it, check it) before the connection may serve another call.

        Whatever the exchange or ``judge`` rejects (raises) closes the connection (see
        :class:`~._transport.HeldConnection`).
        """
        with BudgetScope(deadline, what, self.redact) as budget:
            if budget.expired():
                raise RequestTimeout(
                    f"{what}: the {budget.seconds:g} s deadline passed before the request "
                    "was sent",
                    method=what,
                )
            connect, read = (
                configured if isinstance(configured, tuple) else (configured, configured)
            )
            timeout = (budget.socket_timeout(connect), budget.socket_timeout(read))
            budget.attempts += 1
            held: HeldConnection | None = None
            reusable = False
            try:
                with watching(budget.deadline) as watch:
                    _local.active = True
                    try:
                        response = route.handle(timeout)
                        held = HeldConnection(response)
                        response._content = read_body(
                            response, what=what, budget=budget, max_body=limit
                        )
                        if watch.fired:  # cut short by the watchdog: whatever parsed is partial
                            raise RequestTimeout(
                                f"{what}: no complete answer from {where(url)} within the "
                                f"{budget.seconds:g} s deadline",
                                method=what,
                            )
                    except Error:
                        raise
                    except (
                        requests.exceptions.RequestException,
                        urllib3.exceptions.HTTPError,
                        http.client.HTTPException,
                        OSError,
                        ValueError,
                        LookupError,
                        RecursionError,
                    ) as exc:
                        raise transport_error(
                            exc, what=what, url=url, timeout=configured, watch=watch,
                            budget=budget,
                        ) from None
                    finally:
                        _local.active = False
                if response.status_code == 407:
                    raise proxy_auth_error(what, where(url))
                if 300 <= response.status_code < 400 and refuse_redirects:
                    raise self._redirect_refused(response, url, what)
                verdict = judge(response)
                reusable = True
            finally:
                if held is not None:
                    held.release(reusable=reusable)
            return response, verdict

    def _redirect_refused(self, response: requests.Response, url: str, what: str) -> Error:
        return HTTPStatusError(
            f"{what}: {where(url)} answered HTTP {response.status_code}, a redirect to "
            f"{self.redact(safe_location(response.headers.get('Location')))}; API and "
            "token requests never follow redirects (check base_url)",
            method=what,
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            snippet=snippet_of(response.content.decode("utf-8", "replace"), self.redact),
        )

    def request(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        deadline: float,
        limit: int,
        configured: Timeout,
        **kwargs: Any,
    ) -> requests.Response:
        """Any request through requests (token requests, login pages, uploads); see
        ``BaseSession.transport`` for the promises."""
        follow = kwargs.pop("allow_redirects", None)
        if follow:
            raise ConfigurationError(
                f"{what}: session.transport never follows redirects; pass allow_redirects=False "
                "and follow each hop after checking where it goes"
            )
        kwargs.pop("stream", None)
        return self.run(
            RequestsRoute(self.http, verb, url, kwargs),
            url,
            what=what,
            deadline=deadline,
            limit=limit,
            configured=configured,
            refuse_redirects=follow is None,
            judge=_accept,
        )[0]

    def api_call(
        self,
        verb: str,
        url: str,
        method: str,
        signed: Mapping[str, str],
        encoded: str,
        *,
        deadline: float,
        limit: int,
        configured: Timeout,
    ) -> tuple[requests.Response, Any]:
        """Send one signed API call; the response and its decoded JSON body.

        A 4xx/5xx answer is returned as well: only the platform's dialect can tell an error
        envelope (a platform error) from a bare HTTP error page (see :func:`http_status_error`).
        """
        started = time.monotonic()
        http = self.http
        fast = route_for(http, url)
        route: Route
        if fast is not None:
            route = DirectRoute(fast, http, verb, encoded)
        else:
            payload = {"params": dict(signed)} if verb == "GET" else {"data": dict(signed)}
            route = RequestsRoute(http, verb, url, payload)
        # A successful body is nobody else's once decoded (a response hook may have kept the
        # response to read later, so then it stays): dropping it as soon as it is text keeps
        # a large answer from being held three times over while its objects are built.
        hooked = bool(http.hooks.get("response"))

        def decode(response: requests.Response) -> Any:
            release = response.status_code < 400 and not hooked
            return decode_json(response, method=method, redact=self.redact, release=release)

        response, decoded = self.run(
            route,
            url,
            what=method,
            deadline=deadline,
            limit=limit,
            configured=configured,
            refuse_redirects=True,
            judge=decode,
        )
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s -> HTTP %s in %.1f ms",
                verb,
                method,
                redact_params(signed),
                status,
                (time.monotonic() - started) * 1000,
            )
        return response, decoded


def http_status_error(response: requests.Response, method: str, redact: Redactor) -> Error:
    """The error for a 4xx/5xx answer that carries no platform error object."""
    text = response.content.decode("utf-8", errors="replace")
    snippet = snippet_of(text, redact)
    return HTTPStatusError(
        f"{method}: HTTP {response.status_code} without a platform error object: {snippet!r}",
        method=method,
        status=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        snippet=snippet,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
