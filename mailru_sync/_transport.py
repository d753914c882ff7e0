"""The HTTP layer under every session: a safe adapter, a bounded body reader, one error mapping.

Why a module of its own: everything the library sends (API calls, token requests, login pages,
uploads) goes through :meth:`BaseSession.transport`, and the defences against a hostile network
live here once:

* :class:`SafeAdapter` mounts connection classes that join the :mod:`._watchdog` (so a
  trickled status line or header block cannot outlive the call's deadline) and that skip
  interim ``1xx`` answers such as ``103 Early Hints`` instead of taking them for the final one
  (which would leave the real answer in the socket for the *next* call to read);
* :func:`read_body` reads a streamed body under the deadline and a size cap, counting decoded
  bytes (urllib3 ≥ 2.6 decompresses at most what is asked for, so a gzip bomb is stopped at the
  cap, not after inflating);
* :func:`transport_error` turns every ``requests``/``urllib3``/``ssl`` failure into a library
  exception whose message tells DNS from refusal from TLS, names no query string and no
  userinfo, and carries no chained exception (those print URLs with tokens).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
import urllib3.response
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from ._budget import Budget
from ._watchdog import Watch, attach, current_watch
from .exceptions import (
    ConfigurationError,
    ConnectionFailed,
    Error,
    HostNotFound,
    ProxyAuthenticationError,
    RequestTimeout,
    ResponseError,
    ResponseTooLarge,
    TLSError,
    TransportError,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "ContradictoryFraming",
    "HeldConnection",
    "SafeAdapter",
    "proxy_auth_error",
    "read_body",
    "reset_pools",
    "safe_location",
    "transport_error",
    "where",
]

#: The largest decoded response body read by default (the platforms' biggest pages are a few MB).
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
_READ_SIZE = 65536


class _FinalResponse(http.client.HTTPResponse):
    """Skips interim 1xx answers (RFC 9110 §15.2: a client must accept any number of them).

    ``http.client`` skips only ``100 Continue``; it reads its headers and the next status line.
    Reporting every other interim code (102, 103, ...) as 100 reuses exactly that path.
    ``101 Switching Protocols`` is final (we never ask to switch), so it is left alone.
    """

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            return version, 100, reason
        return version, status, reason

    def begin(self) -> None:
        """Parse the head, then refuse to keep a connection whose framing contradicts itself.

        Where the next answer starts is only known if this one's framing is unambiguous; when
        it is not, a later call on the same connection could read bytes the server sent after
        this answer (response splitting). RFC 9112 §6.3: with both ``Transfer-Encoding`` and
        ``Content-Length`` the chunked framing wins and the connection is closed after the
        response; differing lengths are an unrecoverable error. RFC 9110 §8.6/§15.3.5: a 204
        or 304 ends at its header block, whatever it declares.
        """
        super().begin()
        lengths = self.msg.get_all("Content-Length") or []
        values = {v.strip() for field in lengths for v in field.split(",")}
        if self.status in (204, 304):
            if values - {"0"} or "Transfer-Encoding" in self.msg:
                self.will_close = True
                self.chunked = False
                self.length = 0
            return
        if "Transfer-Encoding" in self.msg and lengths:
            self.will_close = True
        elif len(values) > 1:
            self.will_close = True
            raise ContradictoryFraming(
                f"HTTP {self.status} with differing Content-Length values "
                f"({', '.join(sorted(values))[:80]})"
            )


class ContradictoryFraming(http.client.HTTPException):
    """An answer whose length cannot be told; its connection is closed, the answer dropped."""


class _WatchedHTTPConnection(HTTPConnection):
    """Joins the current exchange's watch whenever it connects or sends a request."""

    response_class = _FinalResponse

    def connect(self) -> None:
        attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """The same for TLS: the MRO puts our hooks before ``HTTPSConnection.connect``."""


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


def _use_watched_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
    return manager


class SafeAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose connections obey the watchdog and skip 1xx; retries stay off.

    Retries are decided by the session (:mod:`._retry`), which knows reads from writes.
    """

    def __init__(self, pool_maxsize: int) -> None:
        super().__init__(
            pool_connections=4,
            pool_maxsize=pool_maxsize,
            max_retries=urllib3.util.Retry(
                total=0, read=False, redirect=False, raise_on_status=False
            ),
        )

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS managers bring their own classes
            _use_watched_pools(manager)
        return manager


class HeldConnection:
    """Keeps a streamed response's connection out of the pool until the answer is judged.

    urllib3 gives the connection back as soon as the body is read to its end, before the
    library has decided whether it accepts the answer. An answer it rejects (a refused
    redirect, a body that is not JSON, one cut by the deadline or the size cap) says nothing
    trustworthy about where the next answer starts, so its connection is closed, never
    reused: :meth:`release` puts it back closed (the pool then opens a new one) or as it is.

    It relies on urllib3 2.x's response layout (``_pool``, ``_connection``); where that is
    absent nothing is held and urllib3 releases the connection itself, as before
    (``tests/reliability/test_framing_b.py`` fails if that ever happens).
    """

    __slots__ = ("_pool", "_raw")

    def __init__(self, response: requests.Response) -> None:
        raw = response.raw
        self._raw = raw
        self._pool = None
        pool = getattr(raw, "_pool", None)
        if (
            isinstance(raw, urllib3.response.HTTPResponse)
            and hasattr(raw, "_connection")
            and callable(getattr(pool, "_put_conn", None))
        ):
            self._pool = pool
            raw._pool = None  # urllib3's own release_conn() is now a no-op

    def release(self, *, reusable: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        raw = self._raw
        conn = raw._connection
        raw._connection = None
        if conn is None:
            return
        if not reusable or not raw.isclosed():  # unread bytes of this answer remain
            conn.close()
        pool._put_conn(conn)


def reset_pools(adapter: HTTPAdapter) -> None:
    """Give ``adapter`` fresh, empty pool managers with the sizes it was built with.

    Used in a forked child: the inherited pools are dropped, not closed, because the parent
    still owns those connections (their sockets are the same in both processes).
    """
    adapter.proxy_manager = {}
    adapter.init_poolmanager(
        getattr(adapter, "_pool_connections", 10),
        getattr(adapter, "_pool_maxsize", 10),
        block=getattr(adapter, "_pool_block", False),
    )


def where(url: str) -> str:
    """A URL fit for messages: scheme, host, port and path; no userinfo, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(a malformed URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path


def safe_location(location: str | None) -> str:
    """A redirect target for a message: the origin and path only, or a note that it is bad."""
    if not location:
        return "(no Location header)"
    return where(location)


def read_body(
    response: requests.Response,
    *,
    what: str,
    budget: Budget,
    max_body: int,
) -> bytes:
    """Read the streamed body of ``response`` within ``budget`` and ``max_body`` decoded bytes.

    Always closes the response. ``read1`` returns what has arrived, so the deadline is checked
    as bytes trickle in (the watchdog covers reads that block).
    """
    try:
        declared = response.headers.get("Content-Length", "")
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if not encoded and declared.isdigit() and int(declared) > max_body:
            raise _too_large(what, response.url, max_body, declared=int(declared))
        raw = response.raw
        _watch_body(raw)
        pieces: Iterable[bytes]
        if isinstance(raw, urllib3.response.BaseHTTPResponse):
            pieces = iter(lambda: raw.read1(_READ_SIZE, decode_content=True), b"")
        else:  # another adapter's raw object: let requests iterate it
            pieces = response.iter_content(chunk_size=_READ_SIZE)
        chunks: list[bytes] = []
        total = 0
        for chunk in pieces:
            total += len(chunk)
            if total > max_body:
                raise _too_large(what, response.url, max_body)
            chunks.append(chunk)
            if budget.expired():
                raise RequestTimeout(
                    f"{what}: the response from {where(response.url or '')} was still "
                    f"arriving when the {budget.seconds:g} s deadline passed",
                    method=what,
                )
        # Read to its end: requests' close() must not close the connection (it may be reused).
        response._content_consumed = True  # type: ignore[attr-defined]
        return b"".join(chunks)
    finally:
        response.close()


class _BodySocket:
    """The socket a body is read from, in the shape the watchdog shuts down (``.sock``)."""

    __slots__ = ("__weakref__", "_mailru_watch", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock: socket.socket | None = sock


def _watch_body(raw: object) -> None:
    """Put the body read under the call's watchdog, whatever adapter opened the connection.

    Why: urllib3 decodes inside ``read1`` and keeps reading while the decoder yields nothing,
    so a gzip body of empty deflate blocks trickled under the socket timeout never returns to
    the deadline check between reads. Our own connections joined the watchdog when they sent
    the request, but a mounted adapter's did not, and once an answer says ``Connection: close``
    (or its framing closes the connection) ``http.client`` detaches the socket from the
    connection the watchdog knows: the socket is attached here, found on the connection or
    in the response's reader.
    """
    conn = getattr(raw, "connection", None)
    sock = getattr(conn, "sock", None)
    if isinstance(sock, socket.socket) and getattr(conn, "_mailru_watch", None) is current_watch():
        return  # one of ours, still holding its socket: already watched
    if not isinstance(sock, socket.socket):
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        attach(_BodySocket(sock))


def _too_large(what: str, url: str | None, limit: int, *, declared: int | None = None) -> Error:
    size = f"declares {declared} bytes" if declared is not None else "grew past the limit"
    return ResponseTooLarge(
        f"{what}: the response from {where(url or '')} {size}; the limit is {limit} bytes "
        "(for API calls the session's max_body_size: raise it if such answers are expected)",
        method=what,
    )


def proxy_auth_error(what: str, place: str) -> Error:
    """A proxy's 407 (to a CONNECT or to a plain-HTTP request): clear, never retried."""
    return ProxyAuthenticationError(
        f"{what}: the proxy on the way to {place} answered 407 Proxy Authentication "
        "Required; give its credentials in the proxy URL (http://user:password@proxy:port in "
        "session.proxies or HTTPS_PROXY/HTTP_PROXY); nothing reached the platform",
        method=what,
    )


def _chain(exc: BaseException) -> Iterable[BaseException]:
    """``exc`` and the exceptions it wraps (urllib3 ``reason``, ``args[0]``, cause, context)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [getattr(current, "reason", None), current.__cause__, current.__context__]
        nested.extend(current.args)
        todo.extend(n for n in nested if isinstance(n, BaseException))


def _first(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, kinds)), None)


def transport_error(
    exc: BaseException,
    *,
    what: str,
    url: str,
    timeout: object,
    watch: Watch | None,
    budget: Budget,
) -> Error:
    """The library exception for a failed exchange; never chained to ``exc`` (it names URLs)."""
    place = where(url)
    if (watch is not None and watch.fired) or budget.expired():
        return RequestTimeout(
            f"{what}: no complete answer from {place} within the {budget.seconds:g} s deadline",
            method=what,
        )
    framing = _first(exc, (ContradictoryFraming,))
    if framing is not None:
        return ResponseError(
            f"{what}: the answer from {place} cannot be framed ({framing}); it was dropped "
            "and its connection closed (a broken server or proxy in the path)",
            method=what,
        )
    if isinstance(exc, requests.exceptions.InvalidHeader):
        # A CR or LF in a header value (a session header set from user input): no resend heals it.
        return ConfigurationError(
            f"{what}: a request header value contains CR, LF, a reserved character or leading "
            "whitespace (requests refuses to send it); fix session.headers or the headers passed"
        )
    tunnel = _first(exc, (urllib3.exceptions.ProxyError,))
    if tunnel is not None and " 407" in " ".join(str(e) for e in _chain(tunnel)):
        return proxy_auth_error(what, place)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema, urllib3.exceptions.LocationParseError)):
        return ConfigurationError(f"{what}: invalid URL {place}: {type(exc).__name__}")
    if _first(exc, (urllib3.exceptions.NameResolutionError,)) is not None:
        return HostNotFound(
            f"{what}: the host of {place} could not be resolved (DNS); check the name, "
            "base_url and the network's resolver",
            method=what,
            may_have_reached=False,
        )
    if _first(exc, (ConnectionRefusedError,)) is not None:
        return ConnectionFailed(
            f"{what}: {place} refused the connection (nothing listening there?)",
            method=what,
            may_have_reached=False,
        )
    cert = _first(exc, (ssl.SSLCertVerificationError,))
    if cert is not None or isinstance(exc, requests.exceptions.SSLError):
        # Handshake failures only: a TLS record cut short mid-body is a broken connection.
        detail = getattr(cert, "verify_message", "") or "TLS handshake failed"
        return TLSError(
            f"{what}: TLS with {place} failed ({detail}); if the server uses a private CA, "
            "pass its bundle: session.verify = '/path/to/ca.pem' (never verify=False in "
            "production)",
            method=what,
            may_have_reached=False,
        )
    connect_timeout = next(
        (e for e in _chain(exc) if isinstance(e, urllib3.exceptions.ConnectTimeoutError)
         and not isinstance(e, urllib3.exceptions.NewConnectionError)),
        None,
    )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or connect_timeout is not None:
        return RequestTimeout(
            f"{what}: connecting to {place} timed out (timeout={timeout!r}); check the "
            "network or raise the timeout",
            method=what,
            may_have_reached=False,
        )
    if _first(exc, (urllib3.exceptions.NewConnectionError,)) is not None:
        return ConnectionFailed(
            f"{what}: could not connect to {place}", method=what, may_have_reached=False
        )
    if isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError)) or (
        _first(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)) is not None
    ):
        return RequestTimeout(
            f"{what}: no response from {place} within the read timeout (timeout={timeout!r})",
            method=what,
        )
    if isinstance(exc, (requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                        http.client.HTTPException, OSError)):
        return ConnectionFailed(
            f"{what}: the connection to {place} broke before a complete answer "
            f"({type(exc).__name__})",
            method=what,
        )
    # ValueError, LookupError, RecursionError... raised while parsing what the server sent.
    return TransportError(
        f"{what}: the answer from {place} could not be parsed ({type(exc).__name__})",
        method=what,
    )
