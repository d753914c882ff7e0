"""OK batches: minimal round trips (counted at the emulator), results in order, errors in place."""

from __future__ import annotations

import json
import math

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, APIError, InvalidParamError, ParameterError
from mailru_sync._batch import MAX_BATCH_SIZE
from mailru_sync.testing import OkEmulator
from tests.adapters import Canned, CannedAdapter


def test_thousand_calls_in_the_minimal_number_of_requests(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    uids = ok_emulator.world.user_order  # ~400 seeded users: cycled through
    calls = [("users.getInfo", {"uids": uids[i % len(uids)], "fields": "name"}) for i in range(997)]
    calls.insert(10, ("users.getInfo", {"uids": uids[0]}))  # no fields: error 100
    calls.insert(500, ("no.suchMethod", {}))  # error 3
    calls.append(("users.getInfo", {"uids": "", "fields": "name"}))  # no uids: error 100
    assert len(calls) == 1000
    before = ok_emulator.counters["api_calls"]
    results = API(okru).batch(calls)
    assert ok_emulator.counters["api_calls"] - before == math.ceil(1000 / MAX_BATCH_SIZE) == 20
    assert len(results) == 1000
    for index, ((method, params), result) in enumerate(zip(calls, results, strict=True)):
        if index in (10, 999):
            assert isinstance(result, InvalidParamError) and result.code == 100
            assert result.method == "users.getInfo"
        elif index == 500:
            assert isinstance(result, mailru_sync.UnknownMethodError) and result.code == 3
            assert result.method == method
        else:
            uid = params["uids"]
            assert result == [{"uid": uid, "name": ok_emulator.world.profiles[uid].name}]


def test_raise_errors_raises_the_first_error(okru: ok.ClientSession) -> None:
    me = okru.call("users.getLoggedInUser")
    calls = [("users.getInfo", {"uids": me, "fields": "name"}), ("users.getInfo", {"uids": me})]
    with pytest.raises(InvalidParamError):
        API(okru).batch(calls, raise_errors=True)
    assert isinstance(API(okru).batch(calls)[1], APIError)


def test_raw_batch_method_stays_reachable(okru: ok.ClientSession) -> None:
    raw = API(okru).batch.executeV2(methods=[{"users.getLoggedInUser": {"params": {}}}])
    assert raw == [{"ok": okru.call("users.getLoggedInUser")}]


def test_emulator_enforces_the_batch_maximum(okru: ok.ClientSession) -> None:
    methods = [{"users.getLoggedInUser": {"params": {}}}] * (MAX_BATCH_SIZE + 1)
    with pytest.raises(InvalidParamError, match=f"at most {MAX_BATCH_SIZE}"):
        okru.call("batch.executeV2", {"methods": methods}, write=False)


def test_reads_are_retried_writes_are_not(okru: ok.ClientSession, ok_emulator: OkEmulator) -> None:
    me = okru.call("users.getLoggedInUser")
    reads = [("users.getInfo", {"uids": me, "fields": "name"})] * 3
    okru.retry_policy = mailru_sync.RetryPolicy(total=2, backoff_factor=0, backoff_jitter=0)
    ok_emulator.fail_next(1, "reset_after")  # processed, then the connection drops
    assert len(API(okru).batch(reads)) == 3
    writes = [*reads, ("photos.createAlbum", {"title": "Из пакета"})]
    ok_emulator.fail_next(1, "reset_after")
    applied = ok_emulator.counters["writes_applied"]
    with pytest.raises(mailru_sync.TransportError, match="may have processed this write"):
        API(okru).batch(writes)
    assert ok_emulator.counters["writes_applied"] == applied + 1  # applied once, not resent
    batch_requests = [
        r for r in ok_emulator.requests if r.params.get("method") == "batch.executeV2"
    ]
    assert batch_requests[-1].fault == "reset_after"


def test_sub_call_params_are_serialized_and_signed_inside_methods(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    import numpy as np

    me = okru.call("users.getLoggedInUser")
    results = API(okru).batch(
        [
            (
                "users.getInfo",
                {"uids": [me, me], "fields": ("name", "uid"), "emptyPictures": np.bool_(False)},
            )
        ]
    )
    assert results[0][0]["uid"] == me
    sent = json.loads(ok_emulator.requests[-1].params["methods"])
    assert sent == [
        {
            "users.getInfo": {
                "params": {"uids": f"{me},{me}", "fields": "name,uid", "emptyPictures": "false"}
            }
        }
    ]


def test_bad_calls_fail_before_anything_is_sent(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    before = ok_emulator.counters["requests"]
    for calls in (
        [("users.getInfo",)],
        [("users.getInfo", "uids=1")],
        [("batch.executeV2", {})],
        [("users.getInfo", {"uids": object()})],
    ):
        with pytest.raises(ParameterError):
            API(okru).batch([("users.getLoggedInUser", None), *calls])  # type: ignore[list-item]
    with pytest.raises(mailru_sync.ConfigurationError, match="batch_size"):
        API(okru).batch([], batch_size=MAX_BATCH_SIZE + 1)
    assert ok_emulator.counters["requests"] == before
    assert API(okru).batch([]) == []


def test_batches_are_an_ok_feature(mailru: mailru_sync.ServerSession) -> None:
    with pytest.raises(mailru_sync.ConfigurationError, match=r"OK\.ru feature"):
        API(mailru).batch([("users.getInfo", {})])


def test_a_malformed_batch_answer_is_a_response_error() -> None:
    session = ok.ClientSession(1, "KEY", "t" * 32, "ssk")
    session.mount("https://", CannedAdapter([Canned(body='[{"ok": 1}]')]))
    with pytest.raises(mailru_sync.ResponseError, match="expected a list of 2 results"):
        API(session).batch([("users.getLoggedInUser", {}), ("users.getLoggedInUser", {})])
    session.mount("https://", CannedAdapter([Canned(body='[{"what": 1}]')]))
    with pytest.raises(mailru_sync.ResponseError, match="neither"):
        API(session).batch([("users.getLoggedInUser", {})])
