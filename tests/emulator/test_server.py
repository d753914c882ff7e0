"""The generic emulator server: keep-alive, request decoding, every fault kind, knobs, reset.

Driven with plain ``requests`` and raw sockets against a tiny echo emulator, so these tests do not
depend on either platform.  No assertion depends on timing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests

from mailru_sync.testing import EmulatorRequest, EmulatorResponse, LoggedRequest
from mailru_sync.testing._faults import MAX_HANG_SECONDS, FaultPlan
from mailru_sync.testing._server import BaseEmulator, GrantError

JSON = "application/json; charset=utf-8"


class EchoEmulator(BaseEmulator):
    """Answers every request with what it decoded; counts the requests it really processed."""

    platform: ClassVar[str] = "echo"
    flood_code: ClassVar[int] = 9
    service_unavailable_code: ClassVar[int] = 2
    api_content_type: ClassVar[str] = JSON

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.processed = 0

    def reset(self) -> None:
        with self.world_lock:
            super().reset()
            self.processed = 0

    def is_api_path(self, path: str) -> bool:
        return path.startswith("/api")

    def api_error(self, code: int, msg: str | None = None) -> EmulatorResponse:
        return EmulatorResponse.json({"error_code": code, "error_msg": msg or "error"}, JSON)

    def dispatch(self, request: EmulatorRequest) -> EmulatorResponse:
        self.processed += 1
        if request.path == "/api/boom":
            raise RuntimeError("handler bug")
        if request.path == "/api/cookie":
            return EmulatorResponse.redirect(
                "/api/echo", headers=[("Set-Cookie", "sid=abc; Path=/")]
            )
        return EmulatorResponse.json(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "form": request.form,
                "params": request.params,
                "duplicates": sorted(request.duplicate_keys),
                "cookies": request.cookies,
                "agent": request.headers.get("user-agent", ""),
                "body_len": len(request.body),
                "raw_query": request.raw_query,
            },
            JSON,
        )


@pytest.fixture(scope="module")
def _echo_server() -> Iterator[EchoEmulator]:
    with EchoEmulator(seed=3) as emulator:
        yield emulator


@pytest.fixture
def emu(_echo_server: EchoEmulator) -> EchoEmulator:
    _echo_server.reset()
    return _echo_server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def raw_exchange(emu: BaseEmulator, data: bytes) -> bytes:
    """Send raw bytes (then EOF) on a fresh connection; read until the server closes it."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


# ---- keep-alive and decoding ---------------------------------------------------------------------


def test_many_calls_reuse_one_connection(emu: EchoEmulator, http: requests.Session) -> None:
    for n in range(60):
        resp = http.get(f"{emu.url}/api/echo", params={"n": str(n)})
        assert resp.json()["params"] == {"n": str(n)}
        assert resp.headers["Connection"] == "keep-alive"
    counters = emu.counters
    assert counters["connections"] == 1
    assert counters["requests"] == 60
    assert counters["api_calls"] == 60


def test_connection_close_is_honoured(emu: EchoEmulator, http: requests.Session) -> None:
    for _ in range(3):
        resp = http.get(f"{emu.url}/api/echo", headers={"Connection": "close"})
        assert resp.headers["Connection"] == "close"
    assert emu.counters["connections"] == 3


def test_query_and_form_are_decoded_and_merged(emu: EchoEmulator, http: requests.Session) -> None:
    resp = http.post(
        f"{emu.url}/api/echo?a=1&text=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82&b=x",
        data={"b": "формa", "c": "a b&c=d"},
        cookies={"sid": "s1", "other": "2"},
    )
    body = resp.json()
    assert body["query"] == {"a": "1", "text": "привет", "b": "x"}
    assert body["form"] == {"b": "формa", "c": "a b&c=d"}
    assert body["params"] == {"a": "1", "text": "привет", "b": "формa", "c": "a b&c=d"}
    assert body["duplicates"] == ["b"]
    assert body["cookies"] == {"sid": "s1", "other": "2"}
    assert body["agent"].startswith("python-requests/")
    entry = emu.requests[-1]
    assert isinstance(entry, LoggedRequest)
    assert (entry.method, entry.path, entry.fault) == ("POST", "/api/echo", None)
    assert entry.params["text"] == "привет"
    assert entry.headers["content-type"] == "application/x-www-form-urlencoded"


def test_repeated_query_key_is_reported(emu: EchoEmulator, http: requests.Session) -> None:
    body = http.get(f"{emu.url}/api/echo?k=1&k=2&x=3").json()
    assert body["duplicates"] == ["k"]
    assert body["params"]["x"] == "3"


def test_chunked_body_is_read(emu: EchoEmulator, http: requests.Session) -> None:
    def gen() -> Iterator[bytes]:
        yield b"a=1&"
        yield b"b=2"

    resp = http.post(
        f"{emu.url}/api/echo",
        data=gen(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.json()["form"] == {"a": "1", "b": "2"}


def test_head_has_length_but_no_body(emu: EchoEmulator, http: requests.Session) -> None:
    resp = http.head(f"{emu.url}/api/echo")
    assert resp.status_code == 200
    assert int(resp.headers["Content-Length"]) > 0
    assert resp.content == b""
    # The connection is still usable afterwards.
    assert http.get(f"{emu.url}/api/echo").status_code == 200
    assert emu.counters["connections"] == 1


def test_cookies_set_by_the_server_come_back(emu: EchoEmulator, http: requests.Session) -> None:
    resp = http.get(f"{emu.url}/api/cookie")
    assert resp.history[0].status_code == 302
    assert resp.json()["cookies"] == {"sid": "abc"}


def test_oversized_body_gets_413(emu: EchoEmulator, http: requests.Session) -> None:
    resp = http.post(f"{emu.url}/api/echo", data=b"x" * (emu.max_body + 1))
    assert resp.status_code == 413
    assert emu.processed == 0


def test_garbage_request_gets_400_without_traceback(
    emu: EchoEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    reply = raw_exchange(emu, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
    reply = raw_exchange(emu, b"GET /api/echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
    reply = raw_exchange(emu, b"GET /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert emu.processed == 0
    assert capfd.readouterr().err == ""


def test_handler_exception_is_500_and_recorded(
    emu: EchoEmulator, http: requests.Session, capfd: pytest.CaptureFixture[str]
) -> None:
    resp = http.get(f"{emu.url}/api/boom")
    assert resp.status_code == 500
    assert "handler bug" in emu.errors[-1]
    assert capfd.readouterr().err == ""
    assert http.get(f"{emu.url}/api/echo").status_code == 200


def test_concurrent_clients(emu: EchoEmulator) -> None:
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with requests.Session() as session:
                for i in range(10):
                    body = session.get(f"{emu.url}/api/echo", params={"w": f"{n}-{i}"}).json()
                    assert body["params"] == {"w": f"{n}-{i}"}
        except BaseException as exc:  # collected and re-raised in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert emu.counters["requests"] == 80
    assert emu.counters["connections"] == 8


# ---- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["502", "503", "504"])
def test_http_status_faults_are_not_processed(
    emu: EchoEmulator, http: requests.Session, status: str
) -> None:
    emu.fail_next(1, status, retry_after=7)
    resp = http.get(f"{emu.url}/api/echo")
    assert resp.status_code == int(status)
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.headers["Retry-After"] == "7"
    assert emu.processed == 0
    assert http.get(f"{emu.url}/api/echo").status_code == 200
    assert emu.processed == 1
    assert [r.fault for r in emu.requests] == [status, None]
    assert emu.counters["faults_injected"] == 1


def test_retry_after_is_optional(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next()
    resp = http.get(f"{emu.url}/api/echo")
    assert resp.status_code == 503
    assert "Retry-After" not in resp.headers


def test_reset_fault_sends_rst_and_is_not_processed(emu: EchoEmulator) -> None:
    emu.fail_next(1, "reset")
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
        sock.sendall(b"GET /api/echo HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass
    assert emu.processed == 0
    assert emu.requests[-1].fault == "reset"


def test_reset_fault_through_requests(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "reset")
    with pytest.raises(requests.ConnectionError):
        http.post(f"{emu.url}/api/echo", data={"a": "1"})
    assert emu.processed == 0
    assert http.get(f"{emu.url}/api/echo").status_code == 200


def test_reset_after_processes_then_drops(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "reset_after")
    with pytest.raises(requests.ConnectionError):
        http.post(f"{emu.url}/api/echo", data={"a": "1"})
    assert emu.processed == 1


def test_truncate_processes_and_cuts_the_body(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        http.get(f"{emu.url}/api/echo")
    assert emu.processed == 1
    reply = raw_exchange(emu, b"GET /api/echo HTTP/1.1\r\nHost: x\r\n\r\n")
    emu.fail_next(1, "truncate")
    cut = raw_exchange(emu, b"GET /api/echo HTTP/1.1\r\nHost: x\r\n\r\n")
    full_body = reply.split(b"\r\n\r\n", 1)[1]
    head, cut_body = cut.split(b"\r\n\r\n", 1)
    assert f"Content-Length: {len(full_body)}".encode() in head
    assert len(cut_body) == len(full_body) // 2


def test_html_empty_garbage_faults(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "html")
    emu.fail_next(1, "empty")
    emu.fail_next(1, "garbage")
    html = http.get(f"{emu.url}/api/echo")
    assert (html.status_code, html.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"<html>" in html.content
    empty = http.get(f"{emu.url}/api/echo")
    assert (empty.status_code, empty.content) == (200, b"")
    garbage = http.get(f"{emu.url}/api/echo")
    assert garbage.status_code == 200
    assert garbage.headers["Content-Type"] == JSON
    with pytest.raises(ValueError):
        garbage.json()
    assert emu.processed == 0
    assert [r.fault for r in emu.requests] == ["html", "empty", "garbage"]
    assert emu.counters["faults_injected"] == 3


def test_service_unavailable_uses_the_platform_envelope(
    emu: EchoEmulator, http: requests.Session
) -> None:
    emu.fail_next(2, "service_unavailable")
    for _ in range(2):
        assert http.get(f"{emu.url}/api/echo").json()["error_code"] == 2
    assert emu.processed == 0
    assert "error_code" not in http.get(f"{emu.url}/api/echo").json()


def test_hang_answers_normally(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "hang", seconds=0.05)
    assert http.get(f"{emu.url}/api/echo").status_code == 200
    assert emu.processed == 1
    assert emu.requests[-1].fault == "hang"


def test_hang_is_bounded() -> None:
    plan = FaultPlan()
    plan.add(1, "hang", seconds=10_000)
    fault = plan.take(is_api=True)
    assert fault is not None
    assert fault.seconds == MAX_HANG_SECONDS


def test_scopes(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(1, "503", scope="oauth")
    assert http.get(f"{emu.url}/api/echo").status_code == 200
    assert http.get(f"{emu.url}/oauth/page").status_code == 503
    emu.fail_next(2, "503", scope="all")
    assert http.get(f"{emu.url}/oauth/page").status_code == 503
    assert http.get(f"{emu.url}/api/echo").status_code == 503
    emu.fail_next(1, "503")  # default scope: API only
    assert http.get(f"{emu.url}/other").status_code == 200
    assert http.get(f"{emu.url}/api/echo").status_code == 503
    counters = emu.counters
    assert (counters["api_calls"], counters["oauth_calls"]) == (3, 3)


def test_queued_faults_are_fifo(emu: EchoEmulator, http: requests.Session) -> None:
    emu.fail_next(2, "502")
    emu.fail_next(1, "504")
    statuses = [http.get(f"{emu.url}/api/echo").status_code for _ in range(4)]
    assert statuses == [502, 502, 504, 200]
    assert emu.pending_faults == 0


def test_fail_rate_extremes(emu: EchoEmulator, http: requests.Session) -> None:
    emu.set_fail_rate(1.0, kinds=("503",))
    assert {http.get(f"{emu.url}/api/echo").status_code for _ in range(5)} == {503}
    assert http.get(f"{emu.url}/page").status_code == 200  # API scope only by default
    emu.set_fail_rate(0.0)
    assert {http.get(f"{emu.url}/api/echo").status_code for _ in range(5)} == {200}


def test_fail_rate_is_seeded(http: requests.Session) -> None:
    def pattern(seed: int) -> list[int]:
        with EchoEmulator(seed=seed) as emu:
            emu.set_fail_rate(0.5, kinds=("502", "503", "504"))
            return [http.get(f"{emu.url}/api/echo").status_code for _ in range(30)]

    first = pattern(11)
    assert first == pattern(11)
    assert 200 in first and set(first) - {200}


def test_constructor_fail_rate_survives_reset() -> None:
    with EchoEmulator(fail_rate=1.0) as emu, requests.Session() as http:
        emu.reset()
        with contextlib.suppress(requests.RequestException):
            http.get(f"{emu.url}/api/echo")
        assert emu.requests[-1].fault in ("503", "reset", "truncate")


def test_flood_next(emu: EchoEmulator, http: requests.Session) -> None:
    emu.flood_next(2)
    assert http.get(f"{emu.url}/page").status_code == 200  # not an API call: not flooded
    codes = [http.get(f"{emu.url}/api/echo").json().get("error_code") for _ in range(3)]
    assert codes == [9, 9, None]
    emu.flood_next(1, code=8)
    assert http.get(f"{emu.url}/api/echo").json()["error_code"] == 8
    assert [r.fault for r in emu.requests].count("flood") == 3
    assert emu.counters["faults_injected"] == 3
    assert emu.processed == 2


def test_bad_knob_values_are_rejected(emu: EchoEmulator) -> None:
    with pytest.raises(ValueError):
        emu.fail_next(1, "teapot")
    with pytest.raises(ValueError):
        emu.fail_next(1, "503", scope="everywhere")
    with pytest.raises(ValueError):
        emu.set_fail_rate(1.5)
    with pytest.raises(ValueError):
        emu.set_latency(-1)
    with pytest.raises(ValueError):
        emu.flood_next(-1)


def test_latency_still_answers(emu: EchoEmulator, http: requests.Session) -> None:
    emu.set_latency(5)
    assert http.get(f"{emu.url}/api/echo").status_code == 200


# ---- log, counters, reset, lifecycle -------------------------------------------------------------


def test_log_is_a_copy_and_can_be_cleared(emu: EchoEmulator, http: requests.Session) -> None:
    http.get(f"{emu.url}/api/echo")
    log = emu.requests
    log.clear()
    assert len(emu.requests) == 1
    counters = emu.counters
    counters["requests"] = 99
    assert emu.counters["requests"] == 1
    emu.clear_log()
    assert emu.requests == []
    assert emu.counters["requests"] == 1


def test_reset_restores_everything_but_the_port(emu: EchoEmulator, http: requests.Session) -> None:
    url = emu.url
    emu.set_latency(3)
    emu.fail_next(5)
    emu.flood_next(5)
    emu.set_fail_rate(1.0)
    emu.advance_time(100)
    emu.issue_token("1", "app", ["a"])
    http.get(f"{emu.url}/page")
    emu.reset()
    assert emu.url == url
    assert emu.requests == []
    assert set(emu.counters.values()) == {0}
    assert emu.pending_faults == 0
    assert emu.tokens == {}
    assert http.get(f"{emu.url}/api/echo").status_code == 200


def test_stop_drops_keep_alive_connections() -> None:
    with requests.Session() as http:
        emu = EchoEmulator().start()
        assert http.get(f"{emu.url}/api/echo").status_code == 200
        emu.stop()
        assert not emu.running
        with pytest.raises(requests.ConnectionError):
            http.get(f"{emu.url}/api/echo", timeout=5)
        emu.stop()  # idempotent


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = EchoEmulator().url


# ---- tokens and codes ----------------------------------------------------------------------------


def test_token_lifecycle(emu: EchoEmulator) -> None:
    emu.token_ttl = 60
    short = emu.issue_token("42", "app", ["x"])
    forever = emu.issue_token("42", "app", ["x"], token="fixed", ttl=None)
    assert emu.find_token(short.token) is short
    assert emu.token_alive(short) and emu.token_alive(forever)
    emu.advance_time(61)
    assert not emu.token_alive(short)
    assert emu.token_alive(forever)
    emu.expire_token("fixed")
    assert not emu.token_alive(forever)
    assert emu.find_token("fixed") is forever  # expired tokens stay known
    later = emu.issue_token("42", "app", ["x"])
    emu.expire_all_tokens()
    assert not emu.token_alive(later)
    assert emu.token_alive(emu.issue_token("42", "app", ["x"]))
    with pytest.raises(KeyError):
        emu.expire_token("nope")


def test_zero_ttl_tokens_are_born_expired(emu: EchoEmulator) -> None:
    emu.token_ttl = 0
    assert not emu.token_alive(emu.issue_token("1", "app", []))


def test_codes_are_single_use_bound_and_expire(emu: EchoEmulator) -> None:
    code = emu.new_code("7", "app", "http://cb", ["s"]).code
    with pytest.raises(GrantError, match="another client"):
        emu.redeem_code(code, "other", "http://cb")
    with pytest.raises(GrantError, match="redirect_uri"):
        emu.redeem_code(code, "app", "http://elsewhere")
    assert emu.redeem_code(code, "app", "http://cb").uid == "7"
    with pytest.raises(GrantError, match="already used"):
        emu.redeem_code(code, "app", "http://cb")
    old = emu.new_code("7", "app", "http://cb", ["s"]).code
    emu.advance_time(emu.code_ttl + 1)
    with pytest.raises(GrantError, match="expired"):
        emu.redeem_code(old, "app", "http://cb")
    with pytest.raises(GrantError, match="unknown"):
        emu.redeem_code("bogus", "app", "http://cb")
