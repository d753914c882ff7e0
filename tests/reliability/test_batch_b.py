"""Issue 19 point 10: batches never hide writes. A real OK session against a raw-socket server
that answers each ``batch.executeV2`` request from a script."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from itertools import count

import pytest

import mailru_sync.ok as ok
from mailru_sync import API, APIError, ResponseError
from tests.transport.hostile import HostileServer, Request, response

CALLS = [("mediatopic.post", {"type": "USER", "attachment": {"n": n}}) for n in range(5)]
PLATFORM_ERROR = {"error_code": 100, "error_msg": "PARAM : bad", "error_data": None}


def _server(serve: Callable[..., HostileServer], answers: list[object]) -> HostileServer:
    served = count()

    def script(conn: socket.socket, request: Request) -> None:
        conn.sendall(response(body=json.dumps(answers[next(served)]).encode()))

    return serve(script)


def _api(url: str) -> API:
    return API(ok.TokenSession(
        "512000000000", "CBAPLDJGDIHBABABA", "0123456789ABCDEF0123456789ABCDEF",
        "deadbeef" * 4, "5e" * 16, base_url=url, max_retries=0,
    ))


def test_a_failing_second_request_carries_the_results_of_the_first(
    serve: Callable[..., HostileServer],
) -> None:
    server = _server(serve, [[{"ok": "t1"}, {"ok": "t2"}], PLATFORM_ERROR])
    with pytest.raises(APIError) as caught:
        _api(server.url).batch(CALLS, batch_size=2)
    assert caught.value.partial_results == ["t1", "t2"]
    assert len(server.requests) == 2  # the third request was never sent


def test_a_wrong_number_of_results_is_a_response_error_with_the_earlier_results(
    serve: Callable[..., HostileServer],
) -> None:
    three = [{"ok": "t3"}, {"ok": "t4"}, {"ok": "?"}]
    server = _server(serve, [[{"ok": "t1"}, {"ok": "t2"}], three])
    with pytest.raises(ResponseError, match="expected a list of 2 results, got 3") as caught:
        _api(server.url).batch(CALLS, batch_size=2)
    assert caught.value.partial_results == ["t1", "t2"]


def test_raise_errors_keeps_every_result_up_to_the_failing_request(
    serve: Callable[..., HostileServer],
) -> None:
    answers = [[{"ok": "t1"}, {"ok": "t2"}], [{"ok": "t3"}, {"fail": PLATFORM_ERROR}]]
    server = _server(serve, answers)
    with pytest.raises(APIError) as caught:
        _api(server.url).batch(CALLS, batch_size=2, raise_errors=True)
    partial = caught.value.partial_results
    assert partial is not None and partial[:3] == ["t1", "t2", "t3"]
    assert partial[3] is caught.value
    assert len(server.requests) == 2


def test_a_first_request_failing_has_no_partial_results_to_hide(
    serve: Callable[..., HostileServer],
) -> None:
    server = _server(serve, [PLATFORM_ERROR])
    with pytest.raises(APIError) as caught:
        _api(server.url).batch(CALLS, batch_size=2)
    assert caught.value.partial_results == []
