"""Reads survive injected faults; writes are never sent twice; nothing hangs."""

from __future__ import annotations

import pytest
from urllib3.util import Retry

from mailru_sync import (
    API,
    ConnectionFailed,
    HTTPStatusError,
    RequestTimeout,
    ResponseError,
    RetryPolicy,
    ServiceUnavailableError,
)
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.transport.conftest import Sleeps, mailru_session, ok_session

READ_FAULTS = ["503", "502", "504", "reset", "truncate", "service_unavailable"]


@pytest.mark.parametrize("kind", READ_FAULTS)
def test_reads_survive_each_fault_kind(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy, sleeps: Sleeps, kind: str
) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries)
    mailru_emulator.fail_next(2, kind=kind)
    users = API(session).users.getInfo(uids=mailru_emulator.user.uid)
    assert users[0]["uid"] == mailru_emulator.user.uid
    assert mailru_emulator.counters["faults_injected"] == 2
    assert len(mailru_emulator.requests) == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff, jitter pinned to 0 here


@pytest.mark.parametrize("kind", READ_FAULTS)
def test_ok_reads_survive_each_fault_kind(
    ok_emulator: OkEmulator, fast_retries: RetryPolicy, kind: str
) -> None:
    session = ok_session(ok_emulator, max_retries=fast_retries)
    ok_emulator.fail_next(3, kind=kind)
    assert API(session).users.getCurrentUser()["uid"] == ok_emulator.user.uid
    assert ok_emulator.counters["faults_injected"] == 3


def test_retries_exhausted_raise_the_last_error(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy
) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries)
    mailru_emulator.fail_next(4, kind="503")
    with pytest.raises(HTTPStatusError) as info:
        session.call("users.getInfo")
    assert info.value.status == 503
    assert len(mailru_emulator.requests) == 4  # 1 + 3 retries
    mailru_emulator.fail_next(4, kind="service_unavailable")
    with pytest.raises(ServiceUnavailableError):
        session.call("users.getInfo")


def test_retry_after_is_honoured(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy, sleeps: Sleeps
) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries)
    mailru_emulator.fail_next(1, kind="503", retry_after=7)
    session.call("users.getInfo")
    assert sleeps == [7.0]


def test_too_long_retry_after_is_not_waited(
    mailru_emulator: MailruEmulator, sleeps: Sleeps
) -> None:
    policy = RetryPolicy(total=3, retry_after_max=10, sleep=sleeps)
    session = mailru_session(mailru_emulator, max_retries=policy)
    mailru_emulator.fail_next(1, kind="503", retry_after=3600)
    with pytest.raises(HTTPStatusError):
        session.call("users.getInfo")
    assert sleeps == []


def test_urllib3_retry_object_is_read(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator, max_retries=Retry(total=1, backoff_factor=0))
    mailru_emulator.fail_next(1, kind="reset")
    session.call("users.getInfo")
    mailru_emulator.fail_next(2, kind="reset")
    with pytest.raises(ConnectionFailed):
        session.call("users.getInfo")


def test_no_retries_when_disabled(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator, max_retries=0)
    mailru_emulator.fail_next(1, kind="truncate")
    with pytest.raises(ConnectionFailed):
        session.call("users.getInfo")
    assert len(mailru_emulator.requests) == 1


@pytest.mark.parametrize("kind", ["reset_after", "truncate", "503", "502", "service_unavailable"])
def test_a_write_that_may_have_arrived_is_never_resent(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy, kind: str
) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries)
    mailru_emulator.fail_next(1, kind=kind)
    with pytest.raises((ConnectionFailed, ResponseError, ServiceUnavailableError)):
        API(session).stream.post(text="once only")
    posts = [r for r in mailru_emulator.requests if r.params.get("method") == "stream.post"]
    assert len(posts) == 1
    assert posts[0].method == "POST"
    applied = 1 if kind in ("reset_after", "truncate") else 0
    assert mailru_emulator.counters["writes_applied"] == applied


def test_ok_write_under_faults_is_not_duplicated(
    ok_emulator: OkEmulator, fast_retries: RetryPolicy
) -> None:
    session = ok_session(ok_emulator, max_retries=fast_retries)
    ok_emulator.fail_next(1, kind="reset_after")
    with pytest.raises(ConnectionFailed) as info:
        API(session).mediatopic.post(type="USER", attachment={"media": [{"type": "text",
                                                                          "text": "hi"}]})
    assert info.value.may_have_reached
    assert ok_emulator.counters["writes_applied"] == 1
    assert len(ok_emulator.requests) == 1


def test_write_retried_when_the_caller_opts_in(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy
) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries, retry_writes=True)
    mailru_emulator.fail_next(1, kind="503")
    API(session).stream.post(text="retried by request")
    assert mailru_emulator.counters["writes_applied"] == 1


def test_caller_marks_a_write(mailru_emulator: MailruEmulator, fast_retries: RetryPolicy) -> None:
    session = mailru_session(mailru_emulator, max_retries=fast_retries,
                             write_methods={"users.getInfo"})
    mailru_emulator.fail_next(1, kind="503")
    with pytest.raises(HTTPStatusError):
        session.call("users.getInfo")
    mailru_emulator.fail_next(1, kind="503")
    with pytest.raises(HTTPStatusError):
        session.call("friends.get", write=True)


def test_connect_failures_are_retried_even_for_writes(sleeps: Sleeps) -> None:
    # A port with nothing listening: the request can never have reached a server.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from mailru_sync import TokenSession

    session = TokenSession(1, "0a" * 16, "", "t" * 32, "1", base_url=f"http://127.0.0.1:{port}",
                           max_retries=RetryPolicy(total=2, sleep=sleeps))
    with pytest.raises(ConnectionFailed) as info:
        session.call("stream.post", {"text": "x"})
    assert info.value.may_have_reached is False
    assert len(sleeps) == 2


def test_a_hanging_server_hits_the_read_timeout(
    mailru_emulator: MailruEmulator, fast_retries: RetryPolicy
) -> None:
    session = mailru_session(mailru_emulator, max_retries=0, timeout=(2.0, 0.3))
    mailru_emulator.fail_next(1, kind="hang", seconds=3)
    with pytest.raises(RequestTimeout):
        session.call("users.getInfo")
    reads = mailru_session(mailru_emulator, max_retries=fast_retries, timeout=(2.0, 0.3))
    mailru_emulator.fail_next(1, kind="hang", seconds=3)
    assert reads.call("users.getInfo")  # a read is retried after the timeout


@pytest.mark.parametrize("kind", ["html", "empty", "garbage"])
def test_garbage_bodies_raise_response_errors(mailru_emulator: MailruEmulator, kind: str) -> None:
    session = mailru_session(mailru_emulator, max_retries=0)
    mailru_emulator.fail_next(1, kind=kind)
    with pytest.raises(ResponseError) as info:
        session.call("users.getInfo")
    assert "HTTP 200" in str(info.value)


def test_random_fault_rate_soak(mailru_emulator: MailruEmulator, sleeps: Sleeps) -> None:
    """A bounded soak: 30% of reads fail at random; every call still succeeds."""
    session = mailru_session(mailru_emulator, max_retries=RetryPolicy(total=8, sleep=sleeps))
    mailru_emulator.set_fail_rate(0.3, kinds=("503", "reset", "truncate", "502"))
    for _ in range(200):
        assert session.call("events.getNewCount")["count"] >= 0
    mailru_emulator.set_fail_rate(0.0)
    assert mailru_emulator.counters["faults_injected"] > 20
