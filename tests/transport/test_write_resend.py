"""A write is resent only when it cannot have reached the server (issue 24, part 1).

The rule, from the caller's side: a connection that was refused never carried the request, so
resending it is safe; any failure after the request went out (a reset, a cut answer, garbage, a
read timeout) may follow a write the server ran, so the write goes out exactly once.
Every kind is tried on both platforms, for single calls, for a batch holding a write, and for
photo uploads: through the emulator's faults and through raw-socket servers of our own.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, ConnectionFailed, RequestTimeout, RetryPolicy, TransportError
from tests.transport.conftest import Sleeps, mailru_session, ok_session
from tests.transport.hostile import HostileServer, Request, hang_up

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
#: Emulator faults injected after the request was dispatched (a write is applied).
AFTER_SEND = ["reset_after", "truncate", "hang"]
#: How long the emulator's "hang" holds the answer; the session's read timeout is shorter.
HANG_SECONDS = 0.5
READ_TIMEOUT = 0.15


def _retries(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(total=3, backoff_factor=0.01, backoff_jitter=0.0, sleep=sleeps)


@dataclass(frozen=True)
class Write:
    """One write operation on an emulator, and which logged requests carry it."""

    platform: str
    run: Callable[[Any], object]
    carries: Callable[[Any], bool]
    scope: str = "api"


def _method(name: str) -> Callable[[Any], bool]:
    return lambda request: request.params.get("method") == name


WRITES = {
    "mailru stream.post": Write(
        "mailru", lambda s: API(s).stream.post(text="once only"), _method("stream.post")
    ),
    "mailru photos.upload": Write(
        "mailru", lambda s: s.upload_photo(JPEG), lambda r: r.method == "POST"
    ),
    "ok mediatopic.post": Write(
        "ok",
        lambda s: API(s).mediatopic.post(
            type="USER", attachment={"media": [{"type": "text", "text": "once only"}]}
        ),
        _method("mediatopic.post"),
    ),
    "ok batch with a write": Write(
        "ok",
        lambda s: API(s).batch(
            [("users.getLoggedInUser", None), ("photos.createAlbum", {"title": "once"})]
        ),
        _method("batch.executeV2"),
    ),
    # The fault hits the upload server (not an API path): getUploadUrl before it goes through.
    "ok photo upload": Write(
        "ok", lambda s: s.upload_photo(JPEG), lambda r: r.path == "/uploadImage", scope="oauth"
    ),
}


@pytest.mark.parametrize("kind", AFTER_SEND)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_failing_after_it_was_sent_goes_out_once(
    request: pytest.FixtureRequest, sleeps: Sleeps, name: str, kind: str
) -> None:
    write = WRITES[name]
    emu: Any = request.getfixturevalue(f"{write.platform}_emulator")
    connect = mailru_session if write.platform == "mailru" else ok_session
    # A short read timeout only where the server holds its answer: elsewhere a slow machine
    # must not turn a reset into a timeout.
    read = READ_TIMEOUT if kind == "hang" else 10.0
    session: Any = connect(emu, max_retries=_retries(sleeps), timeout=(2.0, read))
    emu.fail_next(1, kind=kind, scope=write.scope, seconds=HANG_SECONDS)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        write.run(session)
    if kind == "hang":
        assert isinstance(info.value, RequestTimeout)
        # Let the held request finish on the emulator before the next test resets it.
        time.sleep(max(0.0, HANG_SECONDS + 0.1 - (time.monotonic() - started)))
    else:
        assert isinstance(info.value, ConnectionFailed)
    assert info.value.may_have_reached
    sent = [r for r in emu.requests if write.carries(r)]
    assert [r.fault for r in sent] == [kind], "the write was resent"
    assert sleeps == []  # no backoff was even asked for


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mailru_at(url: str, **options: Any) -> mailru_sync.TokenSession:
    return mailru_sync.TokenSession(1, "0a" * 16, "", "t" * 32, "7", base_url=url, **options)


def _ok_at(url: str, **options: Any) -> ok.TokenSession:
    return ok.TokenSession(1, "CBAKEYPUBLIC", "", "t" * 32, "5e" * 16, base_url=url, **options)


RAW_WRITES: dict[str, tuple[Callable[..., Any], Callable[[Any], object]]] = {
    "mailru stream.post": (_mailru_at, lambda s: s.call("stream.post", {"text": "x"})),
    "mailru photos.upload": (_mailru_at, lambda s: s.upload_photo(JPEG)),
    "ok mediatopic.post": (_ok_at, lambda s: s.call("mediatopic.post", {"type": "USER"})),
    "ok batch with a write": (
        _ok_at, lambda s: API(s).batch([("users.getInfo", {"uids": "1"}),
                                        ("photos.createAlbum", {"title": "t"})]),
    ),
}


@pytest.mark.parametrize("name", sorted(RAW_WRITES))
def test_a_refused_connection_may_resend_a_write(sleeps: Sleeps, name: str) -> None:
    make, run = RAW_WRITES[name]
    session = make(f"http://127.0.0.1:{_closed_port()}", max_retries=_retries(sleeps))
    with pytest.raises(ConnectionFailed, match="refused") as info:
        run(session)
    assert info.value.may_have_reached is False
    if name.endswith("upload"):
        return  # an upload is never resent, refused or not: allowed, not required
    assert info.value.attempts == 4 and len(sleeps) == 3  # nothing reached: resent


def _silent(conn: socket.socket, request: Request) -> None:
    conn.settimeout(10)
    conn.recv(1)  # until the client gives up and closes


def _reset(conn: socket.socket, request: Request) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # RST instead of FIN


def _status_then_close(conn: socket.socket, request: Request) -> None:
    conn.sendall(b"HTTP/1.1 20")
    conn.shutdown(socket.SHUT_RDWR)


def _short_body(conn: socket.socket, request: Request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\n"
                 b"Content-Length: 100\r\n\r\n{\"ok\": ")
    conn.shutdown(socket.SHUT_RDWR)


def _garbage(conn: socket.socket, request: Request) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
    conn.shutdown(socket.SHUT_RDWR)


#: What the server does once it has read the whole request.
AFTER_REQUEST: dict[str, Callable[[socket.socket, Request], None]] = {
    "closed without answer": hang_up,
    "reset": _reset,
    "status line cut": _status_then_close,
    "body cut": _short_body,
    "garbage": _garbage,
    "read timeout": _silent,
}


@pytest.mark.parametrize("behaviour", sorted(AFTER_REQUEST))
@pytest.mark.parametrize("name", sorted(RAW_WRITES))
def test_a_write_the_server_received_is_never_resent(
    serve: Callable[..., HostileServer], sleeps: Sleeps, name: str, behaviour: str
) -> None:
    server = serve(AFTER_REQUEST[behaviour])
    make, run = RAW_WRITES[name]
    session = make(server.url, max_retries=_retries(sleeps), timeout=(2.0, 0.25), deadline=0.6)
    with pytest.raises(TransportError) as info:
        run(session)
    assert info.value.may_have_reached, info.value
    if behaviour == "read timeout":
        assert isinstance(info.value, RequestTimeout)
    assert len(server.requests) == 1, f"the write went out {len(server.requests)} times"
    assert sleeps == []


@pytest.mark.parametrize("behaviour", ["read timeout", "reset"])
def test_the_same_failures_resend_a_read(
    serve: Callable[..., HostileServer], sleeps: Sleeps, behaviour: str
) -> None:
    """The control: the servers above do provoke resends, for calls that may be repeated."""
    server = serve(AFTER_REQUEST[behaviour])
    session = _mailru_at(server.url, max_retries=_retries(sleeps), timeout=(2.0, 0.1),
                         deadline=5.0)
    with pytest.raises(TransportError):
        session.call("users.getInfo")
    assert len(server.requests) == 4 and len(sleeps) == 3
