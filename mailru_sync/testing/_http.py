"""The HTTP/1.1 server core: parsing, keep-alive, one-write answers, resets and truncation.

Why apart from the emulator: this is the wire, the same for both platforms and for the control
endpoint. It knows the emulator only through :class:`Host` (what a connection needs from it),
so nothing here depends on the platform code or on the emulator base.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import socket
import struct
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from ._control import Controllable, ControlReply, handle_control, is_control_path
from ._messages import EmulatorRequest, EmulatorResponse

__all__ = ["Host", "Server"]


class Host(Controllable, Protocol):
    """What a connection needs from the emulator it serves."""

    def body_limit(self, path: str) -> int: ...
    def count(self, name: str, n: int = 1) -> None: ...
    def _handle(self, request: EmulatorRequest) -> tuple[EmulatorResponse | None, str]: ...
    def _record_error(self, text: str) -> None: ...
    def _connection_opened(self, conn: socket.socket) -> None: ...
    def _connection_closed(self, conn: socket.socket) -> None: ...
    def _uncount_connection(self) -> None: ...


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


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Host, family: int) -> None:
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
    def emulator(self) -> Host:
        return cast(Server, self.server).emulator

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
