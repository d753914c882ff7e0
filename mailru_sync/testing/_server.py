"""Generic threaded HTTP/1.1 server shared by the platform emulators.

:class:`BaseEmulator` owns everything that is not platform specific: the listening socket,
keep-alive connections, latency, the fault plan, the request log, counters, a token/code store with
a clock the tests can move, and ``reset()``.  Subclasses only implement
:meth:`BaseEmulator.dispatch` (one decoded request in, one response out),
:meth:`BaseEmulator.is_api_path` and :meth:`BaseEmulator.api_error`.

Only the standard library is used, and nothing from ``mailru_sync`` outside ``mailru_sync.testing``:
the emulator must stay an independent implementation that can catch client bugs.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import json
import secrets
import socket
import struct
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import EllipsisType, TracebackType
from typing import Any, ClassVar, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from ._control import ControlReply, handle_control, is_control_path
from ._faults import FAULT_KINDS, FAULT_SCOPES, Fault, FaultPlan

__all__ = [
    "FAULT_KINDS",
    "BaseEmulator",
    "EmulatorRequest",
    "EmulatorResponse",
    "GrantError",
    "IssuedCode",
    "IssuedToken",
    "LoggedRequest",
]

_E = TypeVar("_E", bound="BaseEmulator")

#: Counters every emulator keeps (subclasses may add more through :meth:`BaseEmulator.count`).
COUNTER_NAMES: tuple[str, ...] = (
    "connections",
    "requests",
    "api_calls",
    "oauth_calls",
    "writes_applied",
    "faults_injected",
)


# --------------------------------------------------------------------------------------------------
# Request / response values
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorRequest:
    """One decoded HTTP request, as a platform emulator sees it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    params: dict[str, str]
    duplicate_keys: frozenset[str]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    raw_query: str


@dataclass
class EmulatorResponse:
    """What a platform emulator answers; the server adds Content-Length, Date, Connection."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, obj: object, content_type: str, status: int = 200) -> EmulatorResponse:
        """Compact UTF-8 JSON (non-ASCII kept as is, like the real platforms)."""
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return cls(status=status, body=text.encode("utf-8"), content_type=content_type)

    @classmethod
    def html(cls, text: str, status: int = 200) -> EmulatorResponse:
        body = text.encode("utf-8")
        return cls(status=status, body=body, content_type="text/html; charset=utf-8")

    @classmethod
    def redirect(
        cls, location: str, status: int = 302, headers: Iterable[tuple[str, str]] = ()
    ) -> EmulatorResponse:
        body = f'<html><body><a href="{_html_attr(location)}">Redirect</a></body></html>'
        return cls(
            status=status,
            body=body.encode("utf-8"),
            content_type="text/html; charset=utf-8",
            headers=[("Location", location), *headers],
        )


@dataclass(frozen=True)
class LoggedRequest:
    """One entry of :attr:`BaseEmulator.requests` (what the client sent, and any injected fault)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float
    fault: str | None


@dataclass
class IssuedToken:
    """An access token known to the emulator; expired tokens stay known (they answer 'expired')."""

    token: str
    uid: str
    client_id: str
    scope: frozenset[str]
    #: Deadline on the emulator clock (:meth:`BaseEmulator.now`); ``None`` = never expires.
    expires_at: float | None
    #: Set by :meth:`BaseEmulator.expire_token` / :meth:`BaseEmulator.expire_all_tokens`.
    revoked: bool = False
    #: Platform extras (e.g. OK's ``session_secret_key``, the paired refresh token).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class IssuedCode:
    """An authorization code: single use, expires, bound to client_id + redirect_uri."""

    code: str
    uid: str
    client_id: str
    redirect_uri: str
    scope: frozenset[str]
    expires_at: float
    used: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class GrantError(ValueError):
    """A code could not be redeemed; the message is the OAuth ``error_description``."""


def _html_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


def check_redirect_uri(uri: str) -> str:
    """An absolute http(s) URL without query or fragment, as the platforms register them.

    Both platforms match the redirect URI of a request against the registered one without its
    query (OK documents it; Mail.ru clients such as social-auth-core rely on it), so a registered
    URI carrying a query could never match: refuse it early with a message that says so.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"redirect URI {uri!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise ValueError(f"register the redirect URI {uri!r} without its query and fragment")
    return uri


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="replace", max_num_fields=10000
        )
    except ValueError as exc:
        raise _BadRequest(400, "too many fields") from exc


def _parse_cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies[name.strip()] = value
    return cookies


def _encode_header(text: str) -> bytes:
    # Values can echo client input (a FailPage URL...): never let it split the header block.
    text = text.replace("\r", "").replace("\n", "")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _serialize(resp: EmulatorResponse, *, keep_alive: bool, head: bool, server: str) -> bytes:
    try:
        reason = HTTPStatus(resp.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {resp.status} {reason}",
        f"Server: {server}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        f"Content-Type: {resp.content_type}",
        f"Content-Length: {len(resp.body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    lines.extend(f"{name}: {value}" for name, value in resp.headers)
    head_bytes = b"".join(_encode_header(line) + b"\r\n" for line in lines) + b"\r\n"
    return head_bytes if head else head_bytes + resp.body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: BaseEmulator, family: int) -> None:
        self.address_family = family
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A misbehaving client must never print a traceback; keep it for inspection instead.
        self.emulator._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mailru-sync-emulator"
    sys_version = ""
    #: Idle keep-alive connections are dropped after this many seconds.
    timeout = 300

    @property
    def emulator(self) -> BaseEmulator:
        return cast(_Server, self.server).emulator

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.emulator._connection_opened(self.connection)
        #: Whether this connection is in the "connections" counter; a connection that only
        #: carries control commands is taken out again (the control endpoint is invisible).
        self._counted = True
        self._client_requests = 0

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            self.emulator._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, header overflow): one write, then close."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        resp = EmulatorResponse(status=code, body=f"{code} {message or phrase}\n".encode())
        self._write(resp, head=getattr(self, "command", None) == "HEAD")

    def _write(self, resp: EmulatorResponse, *, head: bool = False) -> None:
        data = _serialize(
            resp, keep_alive=not self.close_connection, head=head, server=self.server_version
        )
        # One sendall per response: with TCP_NODELAY this avoids the Nagle/delayed-ACK stall.
        with contextlib.suppress(OSError):
            self.connection.sendall(data)

    def _reset(self) -> None:
        """Abort the connection with an RST (SO_LINGER 0) instead of a FIN."""
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds an io reference on the socket: release it so close() really closes now.
        # wfile is a plain socket writer without one, and the stdlib still flushes it afterwards.
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            sock.close()

    def _read_body(self) -> bytes:
        limit = self.emulator.body_limit(self.path.partition("?")[0])
        encoding = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in encoding:
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError as exc:
            raise _BadRequest(400, "bad Content-Length") from exc
        if length < 0:
            raise _BadRequest(400, "bad Content-Length")
        if length > limit:
            raise _BadRequest(413, "request body too large")
        body = self.rfile.read(length)
        if len(body) < length:
            raise _BadRequest(400, "incomplete body")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadRequest(400, "bad chunk size") from exc
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > limit:
                raise _BadRequest(413, "request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _build_request(self, body: bytes) -> EmulatorRequest:
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            raw_path, raw_query = parts.path or "/", parts.query
        else:
            raw_path, _, raw_query = target.partition("?")
            raw_query = raw_query.partition("#")[0]
        path = unquote(raw_path, errors="replace") or "/"
        query_pairs = _parse_pairs(raw_query)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        form_pairs: list[tuple[str, str]] = []
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded" and body:
            form_pairs = _parse_pairs(body.decode("utf-8", "replace"))
        duplicates = {k for k, n in collections.Counter(k for k, _ in query_pairs).items() if n > 1}
        duplicates |= {k for k, n in collections.Counter(k for k, _ in form_pairs).items() if n > 1}
        query = dict(query_pairs)
        form = dict(form_pairs)
        duplicates |= query.keys() & form.keys()
        return EmulatorRequest(
            method=self.command,
            path=path,
            query=query,
            form=form,
            params={**query, **form},
            duplicate_keys=frozenset(duplicates),
            headers=headers,
            cookies=_parse_cookies(headers.get("cookie", "")),
            body=body,
            raw_query=raw_query,
        )

    def _serve(self) -> None:
        try:
            body = self._read_body()
            request = self._build_request(body)
        except _BadRequest as exc:
            self.close_connection = True
            self._write(EmulatorResponse(status=exc.status, body=f"{exc}\n".encode()))
            return
        if is_control_path(request.path):
            self._serve_control(request)
            return
        self._client_requests += 1
        if not self._counted:
            self._counted = True
            self.emulator.count("connections")
        resp, mode = self.emulator._handle(request)
        if mode == "reset" or resp is None:
            self._reset()
        elif mode == "truncate":
            self.close_connection = True
            data = _serialize(resp, keep_alive=False, head=False, server=self.server_version)
            cut = len(data) - len(resp.body) + len(resp.body) // 2
            with contextlib.suppress(OSError):
                self.connection.sendall(data[:cut])
        else:
            self._write(resp, head=self.command == "HEAD")

    def _serve_control(self, request: EmulatorRequest) -> None:
        """Answer a control command: no latency, fault, counter or log entry (see ``_control``)."""
        if self._counted and not self._client_requests:
            self._counted = False
            self.emulator._uncount_connection()
        try:
            reply = handle_control(
                self.emulator, request.method, request.path, request.headers, request.body
            )
        except Exception:
            self.emulator._record_error(traceback.format_exc())
            reply = ControlReply(500, {"ok": False, "error": "emulator internal error"})
        resp = EmulatorResponse.json(reply.body, "application/json; charset=utf-8", reply.status)
        resp.headers.extend(reply.headers)
        self._write(resp, head=self.command == "HEAD")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve


# --------------------------------------------------------------------------------------------------
# The emulator base
# --------------------------------------------------------------------------------------------------


class BaseEmulator:
    """Threaded local HTTP server with knobs for faults, latency and time; see the module doc.

    Subclasses: call ``super().__init__(...)`` first, then build the world; override ``reset()`` to
    call ``super().reset()`` and rebuild the world.  :meth:`dispatch` runs with :attr:`world_lock`
    held, so handlers may mutate the world without further locking.
    """

    platform: ClassVar[str] = "base"
    flood_code: ClassVar[int]
    service_unavailable_code: ClassVar[int]
    #: Content type of API answers; used by the "empty" and "garbage" faults.
    api_content_type: ClassVar[str] = "application/json; charset=utf-8"
    #: Largest accepted request body (bigger -> 413).
    max_body: ClassVar[int] = 1 << 20
    #: Oldest log entries are dropped beyond this many.
    max_log: ClassVar[int] = 10000

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 0.0,
        fail_rate: float = 0.0,
        seed: int = 0,
        token_ttl: float = 86400.0,
        code_ttl: float = 600.0,
        fail_scope: str = "api",
        redirect_uris: Iterable[str] = (),
    ) -> None:
        if fail_scope not in FAULT_SCOPES:
            raise ValueError(f"fail_scope must be one of {sorted(FAULT_SCOPES)}")
        self.host = host
        self.seed = seed
        self._port = port
        self._initial = (float(latency_ms), float(fail_rate), float(token_ttl), float(code_ttl))
        self._fail_scope = fail_scope
        #: Callback URLs registered with the emulated app beyond the platform's defaults (a web
        #: app's ``http://localhost:8000/callback``...); kept across :meth:`reset`.
        self.extra_redirect_uris: tuple[str, ...] = tuple(
            check_redirect_uri(uri) for uri in redirect_uris
        )
        #: Bearer token of the control endpoint (``/__emulator/...``): random per emulator, so
        #: only whoever read the start-up line (or holds this object) can drive it. Hex, not
        #: urlsafe base64: a value starting with ``-`` would be read by argparse as an option
        #: (``--control-token -x...`` fails): about one start in 64, which once turned CI red.
        self.control_token = secrets.token_hex(24)
        #: Guards knobs, counters and the log.
        self._lock = threading.RLock()
        #: Guards the platform world; held while :meth:`dispatch` runs and during ``reset()``.
        self.world_lock = threading.RLock()
        self._faults = FaultPlan(seed)
        self._stop_event = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._errors: list[str] = []
        self._log: collections.deque[LoggedRequest] = collections.deque(maxlen=self.max_log)
        self._counters: dict[str, int] = dict.fromkeys(COUNTER_NAMES, 0)
        self._flood_left = 0
        self._flood_code: int | None = None
        self._clock_offset = 0.0
        self.tokens: dict[str, IssuedToken] = {}
        self.codes: dict[str, IssuedCode] = {}
        self._latency_ms = 0.0
        self.token_ttl = 0.0
        self.code_ttl = 0.0
        self._reset_base()

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self: _E) -> _E:
        """Bind (port 0 = any free port) and serve in a daemon thread; idempotent."""
        with self._lock:
            if self._httpd is not None:
                return self
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            httpd = _Server((self.host, self._port), self, family)
            self._port = int(httpd.server_address[1])
            self._stop_event.clear()
            thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.platform}-emulator:{self._port}",
                daemon=True,
            )
            self._httpd, self._thread = httpd, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections, release the port; idempotent."""
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
            self._stop_event.set()
            connections = list(self._connections)
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self: _E) -> _E:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._httpd is not None

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if not self._port:
            raise RuntimeError("emulator not started: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def origin_of(self, request: EmulatorRequest) -> str:
        """The origin the client used (its Host header), so links and cookies stay on it."""
        host = request.headers.get("host", "")
        if host and all(c not in host for c in "/\\ @?#\"'<>"):
            return f"http://{host}"
        return self.url

    # ---- knobs -------------------------------------------------------------------------------

    def set_latency(self, ms: float) -> None:
        """Delay every request by ``ms`` milliseconds."""
        if ms < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            self._latency_ms = float(ms)

    def set_fail_rate(
        self,
        rate: float,
        kinds: Sequence[str] = ("503", "reset", "truncate"),
        *,
        scope: str = "api",
    ) -> None:
        """Fail a ``rate`` fraction of requests (seeded RNG) with a kind drawn from ``kinds``."""
        self._faults.set_rate(rate, kinds, scope)

    def fail_next(
        self,
        n: int = 1,
        kind: str = "503",
        *,
        scope: str = "api",
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> None:
        """Inject ``kind`` into the next ``n`` requests of ``scope`` (FIFO after earlier calls)."""
        self._faults.add(n, kind, scope=scope, retry_after=retry_after, seconds=seconds)

    def flood_next(self, n: int = 1, code: int | None = None) -> None:
        """The next ``n`` API calls get the platform's flood error (or ``code``), unprocessed."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._flood_left = n
            self._flood_code = code

    @property
    def pending_faults(self) -> int:
        """Queued faults (``fail_next`` + ``flood_next``) not yet injected."""
        with self._lock:
            return self._faults.pending() + self._flood_left

    # ---- clock, tokens, codes ----------------------------------------------------------------

    def now(self) -> float:
        """The emulator clock (monotonic seconds), shifted by :meth:`advance_time`."""
        with self._lock:
            return time.monotonic() + self._clock_offset

    def advance_time(self, seconds: float) -> None:
        """Move the emulator clock forward, so tokens and codes expire without sleeping."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._clock_offset += seconds

    def issue_token(
        self,
        uid: str,
        client_id: str,
        scope: Iterable[str],
        *,
        token: str | None = None,
        ttl: float | EllipsisType | None = ...,
        extra: dict[str, str] | None = None,
    ) -> IssuedToken:
        """Register a token; ``ttl=...`` uses :attr:`token_ttl`, ``None`` = never expires."""
        if isinstance(ttl, EllipsisType):
            ttl = self.token_ttl
        expires_at = None if ttl is None else self.now() + ttl
        record = IssuedToken(
            token=token or secrets.token_hex(16),
            uid=uid,
            client_id=client_id,
            scope=frozenset(scope),
            expires_at=expires_at,
            extra=dict(extra or {}),
        )
        with self.world_lock:
            self.tokens[record.token] = record
        return record

    def find_token(self, token: str) -> IssuedToken | None:
        with self.world_lock:
            return self.tokens.get(token)

    def token_alive(self, record: IssuedToken) -> bool:
        """Not revoked and not past its deadline."""
        if record.revoked:
            return False
        return record.expires_at is None or self.now() < record.expires_at

    def expire_token(self, token: str) -> None:
        """Make ``token`` answer 'expired' from now on (it stays known for signature checks)."""
        with self.world_lock:
            record = self.tokens.get(token)
            if record is None:
                raise KeyError(f"unknown token {token!r}")
            record.revoked = True

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Make ``refresh_token`` unknown from now on (the user revoked the app's access)."""
        with self.world_lock:
            world = getattr(self, "world", None)  # each platform's emulator has its own world
            refresh_tokens: dict[str, Any] = getattr(world, "refresh_tokens", {})
            if refresh_tokens.pop(refresh_token, None) is None:
                raise KeyError("unknown refresh token")

    def expire_all_tokens(self) -> None:
        """Expire every token issued so far (tokens issued later are not affected)."""
        with self.world_lock:
            for record in self.tokens.values():
                record.revoked = True

    def new_code(
        self,
        uid: str,
        client_id: str,
        redirect_uri: str,
        scope: Iterable[str],
        *,
        extra: dict[str, str] | None = None,
    ) -> IssuedCode:
        """Register an authorization code valid for :attr:`code_ttl` seconds."""
        record = IssuedCode(
            code=secrets.token_hex(16),
            uid=uid,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=frozenset(scope),
            expires_at=self.now() + self.code_ttl,
            extra=dict(extra or {}),
        )
        with self.world_lock:
            self.codes[record.code] = record
        return record

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> IssuedCode:
        """Consume a code; raises :class:`GrantError` saying why it cannot be used."""
        with self.world_lock:
            record = self.codes.get(code)
            if record is None:
                raise GrantError("unknown authorization code")
            if record.used:
                raise GrantError("authorization code already used")
            if self.now() >= record.expires_at:
                raise GrantError("authorization code expired")
            if record.client_id != client_id:
                raise GrantError("authorization code was issued to another client")
            if record.redirect_uri != redirect_uri:
                raise GrantError("redirect_uri does not match the authorization request")
            record.used = True
            return record

    # ---- observation -------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def counters(self) -> dict[str, int]:
        """A copy of the counters (see ``COUNTER_NAMES``)."""
        with self._lock:
            return dict(self._counters)

    def count(self, name: str, n: int = 1) -> None:
        """Increment a counter (subclasses: ``self.count("writes_applied")``)."""
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + n

    @property
    def errors(self) -> list[str]:
        """Tracebacks of emulator-side exceptions (a handler bug answers 500 and lands here)."""
        with self._lock:
            return list(self._errors)

    # ---- reset -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded state: world, tokens, knobs, log, counters; the port is kept."""
        with self.world_lock:
            self._reset_base()

    def _reset_base(self) -> None:
        latency_ms, fail_rate, token_ttl, code_ttl = self._initial
        self._faults.reset()
        if fail_rate:
            self._faults.set_rate(fail_rate, ("503", "reset", "truncate"), self._fail_scope)
        with self._lock:
            self._latency_ms = latency_ms
            self.token_ttl = token_ttl
            self.code_ttl = code_ttl
            self._flood_left = 0
            self._flood_code = None
            self._clock_offset = 0.0
            self._log.clear()
            self._errors.clear()
            self._counters = dict.fromkeys(COUNTER_NAMES, 0)
        with self.world_lock:
            self.tokens = {}
            self.codes = {}

    # ---- for subclasses ----------------------------------------------------------------------

    def dispatch(self, request: EmulatorRequest) -> EmulatorResponse:
        raise NotImplementedError

    def is_api_path(self, path: str) -> bool:
        raise NotImplementedError

    def body_limit(self, path: str) -> int:
        """Largest request body accepted on ``path``; photo upload paths may allow more."""
        return self.max_body

    def api_error(self, code: int, msg: str | None = None) -> EmulatorResponse:
        raise NotImplementedError

    # ---- internals (called from the handler threads) -----------------------------------------

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)
            del self._errors[:-100]

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            self._counters["connections"] += 1

    def _uncount_connection(self) -> None:
        with self._lock:
            self._counters["connections"] = max(0, self._counters["connections"] - 1)

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def fault_error(self, request: EmulatorRequest, code: int) -> EmulatorResponse:
        """The API error an injected flood or service-unavailable fault answers to ``request``.

        A platform whose API speaks several formats overrides this so a fault answers in the
        format the request asked for, as the platform's real errors do.
        """
        return self.api_error(code)

    def _fault_response(self, fault: Fault, request: EmulatorRequest) -> EmulatorResponse | None:
        """The answer of an unprocessed fault, or ``None`` when the request must be processed."""
        kind = fault.kind
        if kind in ("502", "503", "504"):
            status = int(kind)
            phrase = HTTPStatus(status).phrase
            resp = EmulatorResponse.html(
                f"<html><head><title>{status} {phrase}</title></head>"
                f"<body><h1>{status} {phrase}</h1></body></html>",
                status=status,
            )
            if fault.retry_after is not None:
                resp.headers.append(("Retry-After", f"{fault.retry_after:g}"))
            return resp
        if kind == "html":
            return EmulatorResponse.html(
                "<!DOCTYPE html><html><head><title>Ошибка</title></head>"
                "<body><h1>Что-то пошло не так</h1><p>Попробуйте позже.</p></body></html>"
            )
        if kind == "empty":
            return EmulatorResponse(body=b"", content_type=self.api_content_type)
        if kind == "garbage":
            return EmulatorResponse(
                body=b'{"response": [1, 2, \x00\xff garbage', content_type=self.api_content_type
            )
        if kind == "service_unavailable":
            return self.fault_error(request, self.service_unavailable_code)
        return None

    def _dispatch_safely(self, request: EmulatorRequest) -> EmulatorResponse:
        try:
            with self.world_lock:
                return self.dispatch(request)
        except Exception:
            self._record_error(traceback.format_exc())
            return EmulatorResponse(status=500, body=b"emulator internal error\n")

    def _handle(self, request: EmulatorRequest) -> tuple[EmulatorResponse | None, str]:
        """Latency, faults, logging, dispatch. Returns (response, "normal"|"reset"|"truncate")."""
        is_api = self.is_api_path(request.path)
        with self._lock:
            self._counters["requests"] += 1
            self._counters["api_calls" if is_api else "oauth_calls"] += 1
            latency = self._latency_ms
        if latency > 0:
            self._stop_event.wait(latency / 1000.0)
        fault = self._faults.take(is_api)
        fault_name = fault.kind if fault else None
        flood_code: int | None = None
        with self._lock:
            if fault is None and is_api and self._flood_left > 0:
                self._flood_left -= 1
                flood_code = self._flood_code if self._flood_code is not None else self.flood_code
                fault_name = "flood"
            if fault_name is not None:
                self._counters["faults_injected"] += 1
            self._log.append(
                LoggedRequest(
                    method=request.method,
                    path=request.path,
                    params=dict(request.params),
                    headers=dict(request.headers),
                    body=request.body,
                    time=time.time(),
                    fault=fault_name,
                )
            )
        if flood_code is not None:
            return self.fault_error(request, flood_code), "normal"
        if fault is not None:
            if fault.kind == "reset":
                return None, "reset"
            early = self._fault_response(fault, request)
            if early is not None:
                return early, "normal"
            if fault.kind == "hang":
                self._stop_event.wait(fault.seconds)
        resp = self._dispatch_safely(request)
        if fault is not None and fault.kind == "reset_after":
            return None, "reset"
        if fault is not None and fault.kind == "truncate":
            return resp, "truncate"
        return resp, "normal"
