"""A decoded body is dropped from the response (memory), unless someone may still read it.

The memory saving itself is measured by the benchmark (``benchmarks/run.py --only memory``);
these tests pin down who may still see the body: a response hook that kept the response, and
the error path, whose message quotes it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from mailru_sync import API, HTTPStatusError, TokenSession
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.transport.conftest import mailru_session, ok_session


def test_a_response_hook_can_read_the_body_after_the_call(mailru_emulator: MailruEmulator) -> None:
    kept: list[requests.Response] = []

    def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        kept.append(response)

    with mailru_session(mailru_emulator) as session:
        session.hooks["response"].append(keep)
        result = API(session).users.getInfo(uids=mailru_emulator.user.uid)
    (response,) = kept
    assert json.loads(response.content) == result
    assert response.json() == result


def test_without_hooks_the_call_still_returns_the_whole_answer(ok_emulator: OkEmulator) -> None:
    with ok_session(ok_emulator) as session:
        friends = API(session).friends.get()
        again = API(session).friends.get()
    assert friends == again
    assert isinstance(friends, list)
    assert friends


def test_an_http_error_quotes_its_body(serve: Any) -> None:
    body = b'{"unexpected": "gateway said no"}'
    answer = (
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
    server = serve(lambda conn, request: conn.sendall(answer))
    session = TokenSession(
        1, "a" * 32, "b" * 32, "token", "1", base_url=server.url, max_retries=0
    )
    with pytest.raises(HTTPStatusError) as caught, session:
        API(session).users.getInfo()
    assert caught.value.status == 502
    assert "gateway said no" in str(caught.value)

