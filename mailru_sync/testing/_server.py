"""The emulator base shared by both platforms: lifecycle, knobs, observation, the pipeline.

:class:`BaseEmulator` owns everything that is not platform specific: the listening socket (served
by :mod:`._http`), latency, the fault plan (:mod:`._faults`), the request log, counters, the
token/code store (:mod:`._tokens`) with a clock the tests can move, and ``reset()``. Subclasses
only implement :meth:`BaseEmulator.dispatch` (one decoded request in, one response out),
:meth:`BaseEmulator.is_api_path` and :meth:`BaseEmulator.api_error`.

Only the standard library is used, and nothing from ``mailru_sync`` outside ``mailru_sync.testing``:
the emulator must stay an independent implementation that can catch client bugs.
"""

from __future__ import annotations

import collections
import contextlib
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import ClassVar, TypeVar

from ._faults import FAULT_KINDS, FAULT_SCOPES, Fault, FaultPlan, canned_answer
from ._http import Server
from ._messages import EmulatorRequest, EmulatorResponse, LoggedRequest, check_redirect_uri
from ._tokens import GrantError, IssuedCode, IssuedToken, TokenStore

__all__ = [
    "FAULT_KINDS",
    "BaseEmulator",
    "EmulatorRequest",
    "EmulatorResponse",
    "GrantError",
    "IssuedCode",
    "IssuedToken",
    "LoggedRequest",
    "check_redirect_uri",
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




class BaseEmulator(TokenStore):
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
        self._httpd: Server | None = None
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
            httpd = Server((self.host, self._port), self, family)
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

    def drop_connections(self) -> None:
        """Shut down every open client connection (the server keeps serving).

        Why: sessions share process-wide keep-alive pools, so a connection opened by one test
        would otherwise carry the next test's calls uncounted; the pytest fixtures call this
        so each test starts with no connection open.
        """
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        give_up = time.monotonic() + 2.0  # the handlers close them as soon as they wake
        while time.monotonic() < give_up:
            with self._lock:
                if not self._connections & set(connections):
                    return
            time.sleep(0.005)

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
        """Whether the server is listening (between :meth:`start` and :meth:`stop`)."""
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

    # ---- observation -------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the recorded requests (:attr:`requests`), e.g. between phases of a test."""
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
        """Answer one parsed request (each platform's emulator implements it)."""
        raise NotImplementedError

    def is_api_path(self, path: str) -> bool:
        """Whether ``path`` is one of the REST API endpoints (where faults apply)."""
        raise NotImplementedError

    def body_limit(self, path: str) -> int:
        """Largest request body accepted on ``path``; photo upload paths may allow more."""
        return self.max_body

    def api_error(self, code: int, msg: str | None = None) -> EmulatorResponse:
        """The platform's API error answer for ``code`` (faults use it)."""
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
        if fault.kind == "service_unavailable":
            return self.fault_error(request, self.service_unavailable_code)
        return canned_answer(fault, self.api_content_type)

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
