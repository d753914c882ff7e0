"""Issue 11: the transport against hostile servers of our own (raw sockets on 127.0.0.1).

Each test drives a real session through a real socket; nothing in requests or urllib3 is
patched. Bounds are asserted as "ended with the right exception, within the deadline plus
scheduling slack", never as speed goals.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import (
    APIError,
    ConnectionFailed,
    Error,
    HostNotFound,
    HTTPStatusError,
    InvalidRefreshTokenError,
    RequestTimeout,
    ResponseError,
    ResponseTooLarge,
    RetryPolicy,
    TLSError,
)
from mailru_sync._redact import spellings
from mailru_sync.testing import MailruEmulator
from tests.transport.conftest import Sleeps, mailru_session
from tests.transport.hostile import HostileServer, Request, hang_up, response, trickle

TOKEN = "deadbeef" * 4
PRIVATE_KEY = "0badc0de" * 4
SECRET_KEY = "5ec2e75e" * 4
REFRESH = "feedface" * 4
SLACK = 4.0  # seconds of scheduling slack on a loaded 2-core machine (bounds, not speed)




def session_for(url: str, **options: object) -> mailru_sync.TokenSession:
    return mailru_sync.TokenSession(
        423004, PRIVATE_KEY, SECRET_KEY, TOKEN, "7", base_url=url, **options  # type: ignore[arg-type]
    )


def silent(conn: socket.socket, request: Request) -> None:
    """Accept the request and never answer (until the client hangs up)."""
    conn.settimeout(30)
    conn.recv(1)


def secret_free(texts: list[str], *secrets: str) -> None:
    for secret in secrets:
        for spelling in spellings(secret):
            for text in texts:
                assert spelling not in text, f"{secret!r} leaked as {spelling!r}"


def texts_of(exc: BaseException) -> list[str]:
    out = [str(exc), repr(exc), *(str(a) for a in exc.args)]
    out += [repr(v) for v in vars(exc).values()]
    chained = exc.__cause__ or exc.__context__
    if chained is not None:
        out += texts_of(chained)
    return out


# --- 1. one budget per call ------------------------------------------------------------------


def test_a_silent_server_costs_one_deadline_not_attempts_times_timeout(
    serve: Callable[..., HostileServer],
) -> None:
    server = serve(silent)
    # Unbounded by the deadline, 9 attempts x 0.4 s plus the backoff sleeps take over 10 s.
    policy = RetryPolicy(total=8, backoff_factor=0.5, backoff_jitter=0)
    session = session_for(server.url, timeout=(1.0, 0.4), deadline=2.0, max_retries=policy)
    started = time.monotonic()
    with pytest.raises(RequestTimeout) as info:
        session.call("users.getInfo")
    took = time.monotonic() - started
    exc = info.value
    assert exc.attempts >= 2, "the read timeout (0.4 s) is shorter than the deadline: retried"
    assert took <= 2.0 + SLACK
    assert exc.elapsed <= took
    assert f"{exc.attempts} attempts in" in str(exc)


def test_default_read_timeout_is_capped_by_the_deadline(
    serve: Callable[..., HostileServer],
) -> None:
    server = serve(silent)
    started = time.monotonic()
    with pytest.raises(RequestTimeout) as info:
        session_for(server.url, deadline=1.0).call("users.getInfo")
    took = time.monotonic() - started
    # The default read timeout is 30 s: ending near the 1 s deadline is the behaviour.
    assert info.value.attempts == 1 and took <= 1.0 + SLACK


@pytest.mark.parametrize(
    "where",
    ["status line", "headers", "chunk size line"],
)
def test_a_trickled_answer_cannot_outlive_the_deadline(
    serve: Callable[..., HostileServer], where: str
) -> None:
    def script(conn: socket.socket, request: Request) -> None:
        if where == "status line":
            trickle(conn, response(body=b"[]"), every=0.1)  # ~85 bytes: 8.5 s
        elif where == "headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            trickle(conn, b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", every=0.05)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            trickle(conn, b"0" * 200 + b"2\r\n[]\r\n0\r\n\r\n", every=0.05)

    server = serve(script)
    # Each byte arrives well within the 1 s read timeout: only the deadline can end this.
    session = session_for(server.url, timeout=(1.0, 1.0), deadline=1.0, max_retries=0)
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match="deadline"):
        session.call("users.getInfo")
    # Trickled to the end, the answer takes over 10 s: ending near the deadline is the point.
    assert time.monotonic() - started <= 1.0 + SLACK


# --- 2. bounded memory -----------------------------------------------------------------------


def _peak_while(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
    except Error:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_an_endless_chunked_body_stops_at_max_body_size(
    serve: Callable[..., HostileServer],
) -> None:
    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)

    def endless(conn: socket.socket, request: Request) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(2000):  # bounded: 128 MiB at most
            conn.sendall(chunk)

    server = serve(endless)
    session = session_for(server.url, max_body_size=1 << 20, max_retries=0)
    with pytest.raises(ResponseTooLarge, match="max_body_size"):
        session.call("users.getInfo")
    assert _peak_while(lambda: session.call("users.getInfo")) < 4 << 20


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (64 << 20), 9)  # ~64 KB on the wire


def test_a_decompression_bomb_stops_at_max_body_size(
    serve: Callable[..., HostileServer], gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 100_000

    def bomb(conn: socket.socket, request: Request) -> None:
        conn.sendall(response(body=gzip_bomb, headers=("Content-Encoding: gzip",)))

    server = serve(bomb)
    session = session_for(server.url, max_body_size=4 << 20, max_retries=0)
    with pytest.raises(ResponseTooLarge):
        session.call("users.getInfo")
    assert _peak_while(lambda: session.call("users.getInfo")) < 12 << 20


def test_a_declared_oversized_body_is_refused_before_reading(
    serve: Callable[..., HostileServer],
) -> None:
    def huge(conn: socket.socket, request: Request) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n[")

    server = serve(huge)
    with pytest.raises(ResponseTooLarge, match="declares 999999999 bytes"):
        session_for(server.url, max_retries=0).call("users.getInfo")


# --- 3. and 15. what counts as a platform error ----------------------------------------------


def test_a_proxy_json_503_is_an_http_error_and_retried_for_reads(
    serve: Callable[..., HostileServer], sleeps: Sleeps
) -> None:
    answers = iter([
        response("503 Service Unavailable", b'{"error": "unavailable"}',
                 content_type="application/json"),
        response("503 Service Unavailable", b'{"error": "unavailable"}',
                 content_type="application/json"),
        response(body=b'[{"uid": "7"}]'),
    ])
    server = serve(lambda conn, req: conn.sendall(next(answers)))
    session = session_for(server.url, max_retries=RetryPolicy(total=3, sleep=sleeps))
    assert session.call("users.getInfo") == [{"uid": "7"}]
    assert len(server.requests) == 3

    write = serve(lambda conn, req: conn.sendall(response(
        "503 Service Unavailable", b'{"error": "unavailable"}')))
    with pytest.raises(HTTPStatusError) as info:
        session_for(write.url, max_retries=RetryPolicy(total=3, sleep=sleeps)).call(
            "stream.post", {"text": "x"})
    assert not isinstance(info.value, APIError) and len(write.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"error_code": 100, "error_msg": "x"}, "error": null}',  # shadowed
        b'{"error": "unavailable"}',
        b'{"error": {"message": "no code"}}',
    ],
)
def test_a_body_with_a_foreign_error_field_is_a_response_error(
    serve: Callable[..., HostileServer], body: bytes
) -> None:
    server = serve(lambda conn, req: conn.sendall(response(body=body)))
    with pytest.raises(ResponseError, match="not the platform's error object") as info:
        session_for(server.url, max_retries=0).call("users.getInfo")
    assert not isinstance(info.value, APIError)


def test_ok_error_code_that_is_not_a_number_is_a_response_error(
    serve: Callable[..., HostileServer],
) -> None:
    server = serve(lambda conn, req: conn.sendall(response(body=b'{"error_code": null}')))
    session = ok.TokenSession(512000, "CBAFOFNEBBABABABA", "", TOKEN, SECRET_KEY,
                              base_url=server.url, max_retries=0)
    with pytest.raises(ResponseError, match="not the platform's error object"):
        session.call("users.getCurrentUser")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_numbers_are_refused(
    serve: Callable[..., HostileServer], constant: bytes
) -> None:
    server = serve(lambda conn, req: conn.sendall(response(body=b'{"count": ' + constant + b"}")))
    with pytest.raises(ResponseError, match="which JSON does not allow"):
        session_for(server.url, max_retries=0).call("events.getNewCount")


def test_early_hints_are_skipped_and_never_shift_answers(
    serve: Callable[..., HostileServer],
) -> None:
    counter = iter(range(100))

    def hints_then_answer(conn: socket.socket, request: Request) -> None:
        n = next(counter)
        conn.sendall(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 102 Processing\r\n\r\n"
            + response(body=b'{"n": %d}' % n)
        )

    server = serve(hints_then_answer)
    session = session_for(server.url, max_retries=0)
    assert [session.call("events.getNewCount")["n"] for _ in range(3)] == [0, 1, 2]
    assert server.connections == 1  # keep-alive held: each answer was read whole


def test_deeply_nested_json_is_a_response_error(serve: Callable[..., HostileServer]) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    server = serve(lambda conn, req: conn.sendall(response(body=body)))
    with pytest.raises(ResponseError, match="nested too deeply"):
        session_for(server.url, max_retries=0).call("users.getInfo")


# --- 7. messages ---------------------------------------------------------------------------


def test_dns_failure_is_host_not_found_and_not_retried(sleeps: Sleeps) -> None:
    session = session_for("http://no-such-host.invalid",
                          max_retries=RetryPolicy(total=3, sleep=sleeps))
    with pytest.raises(HostNotFound, match="DNS") as info:
        session.call("users.getInfo")
    assert sleeps == [] and info.value.attempts == 1 and not info.value.may_have_reached


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refused_connection_says_so_and_is_retried(sleeps: Sleeps) -> None:
    session = session_for(f"http://127.0.0.1:{_closed_port()}",
                          max_retries=RetryPolicy(total=2, backoff_jitter=0, sleep=sleeps))
    with pytest.raises(ConnectionFailed, match="refused the connection") as info:
        session.call("users.getInfo")
    assert not isinstance(info.value, HostNotFound)
    assert len(sleeps) == 2 and info.value.attempts == 3


def test_a_write_that_may_have_arrived_says_so(serve: Callable[..., HostileServer]) -> None:
    server = serve(hang_up)
    with pytest.raises(ConnectionFailed) as info:
        session_for(server.url).call("stream.post", {"text": "hello"})
    assert info.value.may_have_reached
    assert "may have processed this write" in str(info.value)
    assert len(server.requests) == 1  # never resent


def test_retry_log_lines_name_the_method_once(
    serve: Callable[..., HostileServer], sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(hang_up)
    caplog.set_level(logging.INFO, logger="mailru_sync")
    with pytest.raises(ConnectionFailed):
        session_for(server.url, max_retries=RetryPolicy(total=2, sleep=sleeps)).call(
            "users.getInfo")
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2
    assert all(line.count("users.getInfo") == 1 for line in retries), retries


# --- 8. pool size ------------------------------------------------------------------------------


def test_thirty_two_threads_keep_their_connections(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator)
    before = mailru_emulator.counters["connections"]
    barrier = threading.Barrier(32)
    failures: list[BaseException] = []

    def burst() -> None:
        try:
            for _ in range(3):
                barrier.wait(10)
                session.call("users.getInfo")
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=burst) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert mailru_emulator.counters["connections"] - before <= 32


# --- 9. redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["301 Moved", "302 Found", "307 Temporary Redirect",
                                    "308 Permanent Redirect"])
def test_api_calls_never_follow_redirects(
    serve: Callable[..., HostileServer], status: str
) -> None:
    elsewhere = serve(lambda conn, req: conn.sendall(response(body=b'{"forged": true}')))
    origin = serve(lambda conn, req: conn.sendall(response(
        status, headers=(f"Location: {elsewhere.url}/steal",))))
    with pytest.raises(HTTPStatusError, match="never follow redirects") as info:
        session_for(origin.url).call("stream.post", {"text": "x"})
    assert elsewhere.requests == [] and len(origin.requests) == 1
    assert info.value.status == int(status.split()[0])


def test_a_redirect_loop_is_one_request(serve: Callable[..., HostileServer]) -> None:
    holder: dict[str, str] = {}
    server = serve(lambda conn, req: conn.sendall(response(
        "302 Found", headers=(f"Location: {holder['url']}/again",))))
    holder["url"] = server.url
    with pytest.raises(HTTPStatusError):
        session_for(server.url).call("users.getInfo")
    assert len(server.requests) == 1


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999/x", "ht\ttp://a b"])
def test_a_malformed_location_is_reported_not_crashed_on(
    serve: Callable[..., HostileServer], location: str
) -> None:
    server = serve(lambda conn, req: conn.sendall(response(
        "302 Found", headers=(f"Location: {location}",))))
    with pytest.raises(HTTPStatusError, match="redirect"):
        session_for(server.url).call("users.getInfo")


def test_token_requests_never_follow_redirects(serve: Callable[..., HostileServer]) -> None:
    elsewhere = serve(lambda conn, req: conn.sendall(response(
        body=b'{"access_token": "forged", "refresh_token": "forged"}')))
    origin = serve(lambda conn, req: conn.sendall(response(
        "307 Temporary Redirect", headers=(f"Location: {elsewhere.url}/oauth/token",))))
    session = session_for(origin.url)
    with pytest.raises(HTTPStatusError, match="never follow redirects"):
        session.refresh_access_token(REFRESH)
    assert elsewhere.requests == []
    assert session.access_token == TOKEN


# --- 11. TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    trustme = pytest.importorskip("trustme")  # in the test extra: never skipped in CI
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    context = __import__("ssl").SSLContext(__import__("ssl").PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return context, bundle


def test_an_untrusted_certificate_is_a_tls_error_without_secrets(
    serve: Callable[..., HostileServer], tls_pair: tuple[object, Path], sleeps: Sleeps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests lets these variables override session.verify (its documented behaviour).
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    context, bundle = tls_pair
    server = serve(lambda conn, req: conn.sendall(response(body=b'[{"uid": "7"}]')), tls=context)
    session = session_for(server.url, max_retries=RetryPolicy(total=3, sleep=sleeps))
    with pytest.raises(TLSError, match="verify") as info:
        session.call("users.getInfo")
    assert sleeps == []  # not retried
    assert info.value.__cause__ is None and info.value.__context__ is None
    secret_free(texts_of(info.value), TOKEN, PRIVATE_KEY)
    session.verify = str(bundle)
    assert session.call("users.getInfo") == [{"uid": "7"}]


# --- 16. secrets echoed back ------------------------------------------------------------------


def test_an_api_error_echoing_the_request_is_redacted(serve: Callable[..., HostileServer]) -> None:
    def echo(conn: socket.socket, request: Request) -> None:
        text = request.raw.decode("latin-1")
        body = json.dumps({"error": {"error_code": 100, "error_msg": f"bad: {text}"}})
        conn.sendall(response(body=body.encode()))

    server = serve(echo)
    with pytest.raises(APIError) as info:
        session_for(server.url, max_retries=0).call("users.getInfo", {"uids": "1"})
    assert "session_key=" in info.value.msg  # the echo arrived, redacted
    secret_free(texts_of(info.value), TOKEN)


def test_a_502_page_echoing_the_form_body_is_redacted(serve: Callable[..., HostileServer]) -> None:
    def echo(conn: socket.socket, request: Request) -> None:
        conn.sendall(response("502 Bad Gateway", b"<pre>" + request.body + b"</pre>",
                              content_type="text/html"))

    server = serve(echo)
    with pytest.raises(HTTPStatusError) as info:
        session_for(server.url, max_retries=0).call("stream.post", {"text": "x y"})
    assert "<pre>" in info.value.snippet
    secret_free(texts_of(info.value), TOKEN)


def test_oauth_errors_echoing_secrets_are_redacted(serve: Callable[..., HostileServer]) -> None:
    def echo(conn: socket.socket, request: Request) -> None:
        body = json.dumps({"error": "invalid_grant",
                           "error_description": request.body.decode()})
        conn.sendall(response("400 Bad Request", body.encode()))

    server = serve(echo)
    with pytest.raises(InvalidRefreshTokenError) as info:
        session_for(server.url).refresh_access_token(REFRESH)
    assert "grant_type" in info.value.description  # the echo arrived, redacted
    secret_free(texts_of(info.value), REFRESH, SECRET_KEY, PRIVATE_KEY)


def test_base_url_userinfo_never_shows() -> None:
    password = "Hunter2-very-secret"
    session = session_for(f"http://user:{quote(password)}@127.0.0.1:{_closed_port()}",
                          max_retries=0)
    with pytest.raises(ConnectionFailed) as info:
        session.call("users.getInfo")
    secret_free(texts_of(info.value), password)


def test_log_lines_are_scrubbed_of_every_spelling(caplog: pytest.LogCaptureFixture) -> None:
    password = "p@ss w/ord+1"
    session = session_for("http://127.0.0.1:1")
    session._remember_secrets(password)
    caplog.set_level(logging.DEBUG)
    pool_logger = logging.getLogger("urllib3.connectionpool")
    for spelled in (password, quote(password, safe=""), quote_plus(password)):
        pool_logger.debug('%s://%s:%s "%s %s %s" %s', "http", "h", 80, "GET",
                          f"/login?pw={spelled}", "HTTP/1.1", 200)
    assert len(caplog.records) == 3
    secret_free([r.getMessage() for r in caplog.records], password)


# --- 19. fork ------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_gets_its_own_connections(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator)
    uid = mailru_emulator.user.uid
    assert session.call("users.getInfo")[0]["uid"] == uid  # parent holds a keep-alive socket
    before = mailru_emulator.counters["connections"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: many calls of another method on the inherited session
        code = 1
        try:
            ok_calls = all(isinstance(session.call("friends.get"), list) for _ in range(40))
            code = 0 if ok_calls else 1
        finally:
            os.write(write_end, bytes([code]))
            os._exit(code)
    os.close(write_end)
    parent_ok = all(session.call("users.getInfo")[0]["uid"] == uid for _ in range(40))
    child_code = os.read(read_end, 1)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert parent_ok and child_code == b"\x00" and os.WEXITSTATUS(status) == 0
    assert mailru_emulator.counters["connections"] - before >= 1  # the child dialled anew
