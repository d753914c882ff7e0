"""The load target: a lean HTTP/1.1 server answering both platforms' API paths.

Why not the emulator: the emulator checks signatures, tokens, permissions and rate limits, and
that work would be timed together with the client. This server verifies nothing; it only has
to answer fast, valid bodies so the client's own cost is what the benchmark sees. It runs in a
process of its own (``python loadserver.py --latency-ms 50``; it prints ``PORT <n>`` when
ready) so its CPU never shares a GIL with the client being measured.

Each response is written in one ``transport.write`` and TCP_NODELAY is set, so no Nagle or
delayed-ACK stall adds 40 ms to a keep-alive call. Requests on one connection are answered in
order; with ``--latency-ms`` each answer waits that long (without blocking other connections).
``/__stats`` reports connections that carried an API request, API requests served and such
connections still open; ``/__reset`` answers the same and zeroes the first two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import benchconfig as cfg

#: Mail.ru answers with this type; aiomailru refuses any other (protocol notes §1.4,
#: aiomailru@f737433 ``PublicSession.CONTENT_TYPE``).
MAILRU_TYPE = "text/javascript; charset=utf-8"
OK_TYPE = "application/json; charset=utf-8"
MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024


class Counters:
    """What the runner reads back: connections opened for API calls, API requests served, and
    API connections open right now (a gauge: ``/__reset`` leaves it alone)."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.open = 0

    def as_json(self) -> dict[str, int]:
        return {"connections": self.connections, "requests": self.requests, "open": self.open}


def _mailru_user(uid: str) -> dict[str, Any]:
    # Field names of users.getInfo as Mail.ru's docs and aiomailru's fixtures show them.
    return {
        "uid": uid,
        "first_name": "Ivan",
        "last_name": "Petrov",
        "nick": "ivan",
        "sex": 0,
        "link": f"https://my.mail.ru/mail/user{uid}/",
        "has_pic": 1,
        "pic": "https://avt.appsmail.ru/mail/ivan/_avatar",
        "is_online": 0,
        "referer_type": "",
        "location": {"country": {"id": "24", "name": "Россия"}},
    }


def _ok_user(uid: str) -> dict[str, Any]:
    # users.getCurrentUser / users.getInfo fields (apiok.ru method pages, protocol notes §2.10).
    return {
        "uid": uid,
        "first_name": "Ivan",
        "last_name": "Petrov",
        "name": "Ivan Petrov",
        "gender": "male",
        "locale": "ru",
        "pic_1": "https://i.mycdn.me/image?id=1",
    }


def large_body(size: int = cfg.LARGE_BODY_BYTES) -> bytes:
    """A JSON array of posts of about ``size`` bytes, mostly long ASCII strings.

    Why strings: the decoded object is then about as big as the body, so the memory test shows
    how many copies of the body a client keeps, not the cost of many small Python objects.
    """
    text = "lorem ipsum dolor sit amet " * 600  # ~16 KiB per post
    count = max(1, size // (len(text) + 64))
    posts = [{"id": str(i), "author": "1", "text": text} for i in range(count)]
    return json.dumps(posts, separators=(",", ":")).encode("ascii")


class Api:
    """Maps (path, params) to (status, content type, body); bodies are valid JSON."""

    def __init__(self) -> None:
        self.large = large_body()

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        if path in (cfg.MAILRU_PATH, cfg.MAILRU_PATH + "/"):
            return self._mailru(params)
        if path == cfg.OK_PATH:
            return self._ok_reply(params.get("method", ""), params)
        if path.startswith("/api/") and path.count("/") == 3:
            # OK's REST form /api/<group>/<method> (apiok.ru "REST" page; aiookru@HEAD).
            group, name = path[5:].split("/")
            return self._ok_reply(f"{group}.{name}", params)
        return 404, OK_TYPE, b'{"error":"not found"}'

    def _mailru(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        method = params.get("method", "")
        if method == cfg.MAILRU_METHOD:
            uids = [u for u in params.get("uids", "").split(",") if u] or [cfg.MAILRU_UID]
            return 200, MAILRU_TYPE, _dumps([_mailru_user(u) for u in uids])
        if method == cfg.LARGE_METHOD:
            return 200, MAILRU_TYPE, self.large
        # Mail.ru's envelope and code 2 "Unknown method called." (official error table, §1.5).
        # The HTTP status of API errors is uncertain (§1.4); 200 is what aiomailru reads.
        error = {"error": {"error_code": 2, "error_msg": "Unknown method called."}}
        return 200, MAILRU_TYPE, _dumps(error)

    def _ok_reply(self, method: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        try:
            return 200, OK_TYPE, _dumps(self._ok(method, params))
        except _OkError as exc:
            # OK's top-level envelope (protocol notes §2.4): error_code, error_msg, error_data.
            body = {"error_code": exc.code, "error_msg": exc.message, "error_data": None}
            return 200, OK_TYPE, _dumps(body)

    def _ok(self, method: str, params: dict[str, str]) -> object:
        key = method.lower()
        if key == "users.getcurrentuser":
            return _ok_user("1")
        if key == "users.getinfo":
            return [_ok_user(u) for u in params.get("uids", "1").split(",") if u]
        if key == cfg.BATCH_METHOD.lower():
            return self._ok_batch(params.get("methods", ""))
        raise _OkError(3, f"METHOD : unknown method {method}")

    def _ok_batch(self, methods: str) -> list[dict[str, object]]:
        # batch.executeV2: ``methods`` is a JSON array of one-key objects
        # {"<method>": {"params": {...}}}; the answer is one {"ok": result} or
        # {"fail": error} per item (protocol notes §2.8, OK Android app's BatchApiParser).
        try:
            calls = json.loads(methods)
        except ValueError:
            raise _OkError(100, "PARAM : methods is not JSON") from None
        if not isinstance(calls, list):
            raise _OkError(100, "PARAM : methods must be a JSON array")
        results: list[dict[str, object]] = []
        for call in calls:
            if not isinstance(call, dict) or len(call) != 1:
                raise _OkError(100, "PARAM : each item must have exactly one method")
            ((name, spec),) = call.items()
            sub = spec.get("params", {}) if isinstance(spec, dict) else {}
            if name.lower() == cfg.BATCH_METHOD.lower():
                raise _OkError(1200, "BATCH : batches cannot be nested")
            try:
                results.append({"ok": self._ok(name, {k: str(v) for k, v in sub.items()})})
            except _OkError as exc:
                results.append({"fail": {"error_code": exc.code, "error_msg": exc.message}})
        return results


class _OkError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _response(status: int, content_type: str, body: bytes, close: bool) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required"}
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class HttpProtocol(asyncio.Protocol):
    """One connection: parse requests from the buffer, answer each in order, one write each."""

    def __init__(self, api: Api, counters: Counters, latency: float) -> None:
        self.api = api
        self.counters = counters
        self.latency = latency
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False  # an answer is waiting out the latency; later requests wait too
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.counters.open -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_HEAD + MAX_BODY:
            self._fail(400)
            return
        self._drain()

    def _drain(self) -> None:
        while not self.busy and self.transport is not None:
            request = self._next_request()
            if request is None:
                return
            payload, close = request
            if self.latency > 0:
                self.busy = True
                loop = asyncio.get_running_loop()
                loop.call_later(self.latency, self._send_later, payload, close)
                return
            self._send(payload, close)

    def _send_later(self, payload: bytes, close: bool) -> None:
        self.busy = False
        self._send(payload, close)
        self._drain()

    def _send(self, payload: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(payload)
        if close:
            self.transport.close()
            self.transport = None

    def _next_request(self) -> tuple[bytes, bool] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._fail(400)
            return None
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            self._fail(400)
            return None
        verb, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._fail(411)  # no client measured here chunks a form body
            return None
        declared = headers.get("content-length", "0") or "0"
        if not declared.isdigit() or int(declared) > MAX_BODY:
            self._fail(400)
            return None
        length = int(declared)
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        return self._handle(verb, target, headers, body), close

    def _handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        path, _, query = target.partition("?")
        if path == cfg.STATS_PATH:
            return _response(200, OK_TYPE, _dumps(self.counters.as_json()), False)
        if path == cfg.RESET_PATH:  # answers the counts it zeroes
            counts = _dumps(self.counters.as_json())
            self.counters.connections = self.counters.requests = 0
            return _response(200, OK_TYPE, counts, False)
        if not self.counted:  # a connection counts once it carries an API request
            self.counted = True
            self.counters.connections += 1
            self.counters.open += 1
        self.counters.requests += 1
        params = dict(parse_qsl(query, keep_blank_values=True))
        form = headers.get("content-type", "").split(";")[0].strip().lower()
        if verb == "POST" and form == "application/x-www-form-urlencoded":
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        status, content_type, payload = self.api.answer(path, params)
        return _response(status, content_type, payload, False)

    def _fail(self, status: int) -> None:
        if self.transport is not None:
            self.transport.write(_response(status, OK_TYPE, b"{}", True))
            self.transport.close()
            self.transport = None
        self.buffer.clear()


async def serve(port: int, latency_ms: float, announce: Callable[[int], None]) -> None:
    """Serve until cancelled; ``announce`` gets the bound port once listening."""
    api = Api()
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(api, counters, latency_ms / 1000.0),
        host="127.0.0.1",
        port=port,
        backlog=512,
    )
    announce(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every answer")
    args = parser.parse_args(argv)

    def announce(port: int) -> None:
        print(f"PORT {port}", flush=True)

    try:
        asyncio.run(serve(args.port, args.latency_ms, announce))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
