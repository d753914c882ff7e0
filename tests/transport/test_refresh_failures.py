"""Issue 11 item 18: refresh under failure, margin cap, token_loader validation, expires_at."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

import mailru_sync as mr
from mailru_sync import ConfigurationError, Error, RetryPolicy
from mailru_sync.testing import MailruEmulator
from tests.transport.conftest import mailru_session
from tests.transport.hostile import HostileServer, Request, Script, response

PK, TOKEN, REFRESH = "0a" * 16, "deadbeef" * 4, "feedface" * 4




def test_a_failed_refresh_is_shared_by_the_threads_that_waited(
    serve: Callable[[Script], HostileServer],
) -> None:
    def platform(conn: socket.socket, request: Request) -> None:
        if b"/oauth/token" in request.head.split(b"\r\n")[0]:
            time.sleep(0.3)  # the waiting threads pile up behind the lock meanwhile
            conn.sendall(response("500 Internal Server Error", b"<h1>down</h1>",
                                  content_type="text/html"))
        else:
            body = {"error": {"error_code": 102, "error_msg": "session expired"}}
            conn.sendall(response(body=json.dumps(body).encode()))

    server = serve(platform)
    session = mr.TokenSession(423004, PK, "5e" * 16, TOKEN, "7", base_url=server.url,
                              deadline=5.0, max_retries=RetryPolicy(total=0))
    session.refresh_token = REFRESH
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def call() -> None:
        barrier.wait(10)
        try:
            session.call("users.getInfo")
        except BaseException as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    token_requests = [r for r in server.requests if b"/oauth/token" in r.head]
    assert len(token_requests) == 1
    assert len(errors) == 16 and all(isinstance(e, Error) for e in errors)
    assert max(e.elapsed for e in errors if isinstance(e, Error)) < 5.0 + 1.5


def test_refresh_margin_is_capped_by_the_token_lifetime(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator, refresh_margin=60.0)
    session.refresh_token = mailru_emulator.user.refresh_token
    session.apply_token({"access_token": session.access_token, "expires_in": 30})
    session.call("users.getInfo")  # 30 s lifetime: margin 15 s, not 60 s
    assert session.refresh_count == 0
    # 10 s left of a 30 s token: inside the capped 15 s margin, so the next call refreshes.
    session.apply_token(
        {"access_token": session.access_token, "expires_in": 30, "expires_at": time.time() + 10}
    )
    session.call("users.getInfo")
    assert session.refresh_count == 1


@pytest.mark.parametrize(
    "garbage", ["a-token-string", 42, [("access_token", "x")], {"access_token": ""}, {"x": 1}]
)
def test_a_garbage_token_loader_is_a_clear_configuration_error(
    mailru_emulator: MailruEmulator, garbage: object
) -> None:
    session = mailru_session(mailru_emulator, token_loader=lambda: garbage)
    session.refresh_token = mailru_emulator.user.refresh_token
    with pytest.raises(ConfigurationError, match="token_loader"):
        session.refresh()


def test_a_restored_stale_token_refreshes_before_the_first_call(
    mailru_emulator: MailruEmulator,
) -> None:
    first = mailru_session(mailru_emulator)
    saved = {"access_token": first.access_token, "refresh_token":
             mailru_emulator.user.refresh_token, "expires_in": 86400,
             "expires_at": time.time() - 60}  # saved yesterday, expired a minute ago
    mailru_emulator.expire_token(first.access_token)
    restored = mailru_session(mailru_emulator)
    restored.apply_token(saved, notify=False)
    assert restored.expires_at is not None and restored.expires_at < time.time()
    assert restored.call("users.getInfo")
    assert restored.refresh_count == 1
