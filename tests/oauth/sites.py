"""Small real HTTP servers for the OAuth tests: scripted pages, and a rewriting proxy.

Why: some situations the emulator has no knob for (a login form posting to a foreign host, a
redirect loop, a token response without ``x_mailru_vid``, a denied consent) must still be tested
over real sockets, not by patching requests. :class:`Site` serves scripted routes on 127.0.0.1
and, for every other path, forwards the request to an upstream (the emulator) with its Host
header, so the emulator builds its links and cookies on the proxy's origin.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class SiteRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


Route = Callable[[SiteRequest], Reply]
#: Rewrites a forwarded response: (request, status, headers, body) -> new body.
Rewrite = Callable[[SiteRequest, int, list[tuple[str, str]], bytes], bytes]


class Site:
    """A threaded local HTTP server answering scripted routes, else proxying to ``upstream``."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        *,
        upstream: str | None = None,
        rewrite: Rewrite | None = None,
    ) -> None:
        self.routes = dict(routes or {})
        self.upstream = upstream
        self.rewrite = rewrite
        self.requests: list[SiteRequest] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                form = (
                    dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                    if "form-urlencoded" in (self.headers.get("Content-Type") or "")
                    else {}
                )
                request = SiteRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    form=form,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with site._lock:
                    site.requests.append(request)
                route = site.routes.get(parts.path)
                if route is not None:
                    reply = route(request)
                    payload = reply.body.encode("utf-8") if isinstance(reply.body, str) else (
                        reply.body
                    )
                    headers = [("Content-Type", reply.content_type), *reply.headers]
                    self._send(reply.status, headers, payload)
                elif site.upstream is not None:
                    self._forward(request)
                else:
                    self._send(404, [("Content-Type", "text/plain")], b"not found")

            def _forward(self, request: SiteRequest) -> None:
                assert site.upstream is not None
                target = urlsplit(site.upstream)
                conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
                try:
                    headers = {
                        k: v for k, v in self.headers.items()
                        if k.lower() in ("host", "cookie", "content-type", "user-agent")
                    }
                    conn.request(self.command, self.path, body=request.body or None,
                                 headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    out = [
                        (k, v) for k, v in response.getheaders()
                        if k.lower() not in ("content-length", "connection", "transfer-encoding")
                    ]
                    if site.rewrite is not None:
                        payload = site.rewrite(request, response.status, out, payload)
                    self._send(response.status, out, payload)
                finally:
                    conn.close()

            def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]


def html_reply(text: str, status: int = 200) -> Reply:
    return Reply(status=status, body=text)


def redirect_reply(location: str, status: int = 302) -> Reply:
    return Reply(status=status, body=b"", headers=[("Location", location)])
