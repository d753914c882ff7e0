"""Every malformed response becomes a library exception; errors map to documented classes."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import (
    APIError,
    Error,
    HTTPStatusError,
    InvalidApplicationError,
    InvalidParamError,
    PermissionDeniedError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
    SessionError,
    SessionExpiredError,
    SignatureError,
    UnknownMethodError,
)
from mailru_sync.mailru.dialect import extract_error as mailru_extract_error
from mailru_sync.ok.dialect import extract_error as ok_extract_error
from tests.adapters import Canned, CannedAdapter

PK, SK, TOKEN, UID = "0a" * 16, "5e" * 16, "tokentokentoken-secret", "42"


def mailru(script: list[Canned], **options: object) -> mailru_sync.TokenSession:
    session = mailru_sync.TokenSession(1, PK, SK, TOKEN, UID, max_retries=0, **options)
    session.mount("https://", CannedAdapter(script))
    return session


def oksession(script: list[Canned], **options: object) -> ok.TokenSession:
    session = ok.TokenSession(1, "KEY", SK, TOKEN, "", max_retries=0, **options)
    session.mount("https://", CannedAdapter(script))
    return session


@pytest.mark.parametrize(
    ("body", "status", "ctype", "match"),
    [
        ("<html><body>502 Bad Gateway</body></html>", 200, "text/html", "not valid JSON"),
        ("", 200, "text/javascript", "empty"),
        ("   ", 200, "text/javascript", "empty"),
        ('{"uid": "1", "name": ', 200, "text/javascript", "not valid JSON"),
        ("null", 200, "text/javascript", "null"),
        (b"\xff\xfe{}", 200, "text/javascript", "UTF-8"),
        ("<html>Service Unavailable</html>", 503, "text/html", "HTTP 503"),
        ('{"detail": "no"}', 404, "application/json", "HTTP 404"),
    ],
)
def test_malformed_bodies_raise_response_errors(
    body: str | bytes, status: int, ctype: str, match: str
) -> None:
    session = mailru([Canned(body=body, status=status, headers={"Content-Type": ctype})])
    with pytest.raises(ResponseError, match=match) as info:
        mailru_sync.API(session).users.getInfo()
    assert info.value.method == "users.getInfo"
    assert info.value.status == status
    assert TOKEN not in str(info.value)
    if status >= 400:
        assert isinstance(info.value, HTTPStatusError)


def test_snippet_in_message_is_redacted() -> None:
    session = mailru([Canned(body=f"<html>token={TOKEN} pk={PK}</html>")])
    with pytest.raises(ResponseError) as info:
        session.call("users.getInfo")
    assert TOKEN not in str(info.value) and PK not in str(info.value)
    assert "<html>" in info.value.snippet


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (2, UnknownMethodError), (3, ServiceUnavailableError), (100, InvalidParamError),
        (102, SessionExpiredError), (103, InvalidApplicationError), (104, SignatureError),
        (200, PermissionDeniedError), (202, PermissionDeniedError), (1, APIError),
        (4, APIError),
    ],
)
def test_mailru_error_codes(code: int, cls: type[APIError]) -> None:
    raw = {"error": {"error_code": code, "error_msg": "Something"}}
    session = mailru([Canned(body=json.dumps(raw))])
    with pytest.raises(cls) as info:
        mailru_sync.API(session).friends.get()
    assert type(info.value) is cls
    assert info.value.code == code
    assert info.value.msg == "Something"
    assert info.value.method == "friends.get"
    assert info.value.error == raw


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (2, ServiceUnavailableError), (3, UnknownMethodError), (7, RateLimitError),
        (8, RateLimitError), (9, RateLimitError), (11, RateLimitError), (10, PermissionDeniedError),
        (100, InvalidParamError), (101, InvalidApplicationError), (102, SessionExpiredError),
        (103, SessionError), (104, SignatureError), (453, SessionError), (9999, APIError),
    ],
)
def test_ok_error_codes(code: int, cls: type[APIError]) -> None:
    raw = {"error_code": code, "error_msg": "NAME : text", "error_data": 1}
    session = oksession([Canned(body=json.dumps(raw))])
    with pytest.raises(cls) as info:
        ok.API(session).users.getCurrentUser()
    assert type(info.value) is cls
    assert (info.value.code, info.value.data, info.value.error) == (code, 1, raw)


def test_pass_error_returns_the_raw_error_dicts() -> None:
    mailru_raw = {"error": {"error_code": 202, "error_msg": "Access to this object is denied"}}
    assert mailru([Canned(body=json.dumps(mailru_raw))], pass_error=True).call(
        "friends.get") == mailru_raw
    ok_raw = {"error_code": 100, "error_data": 1,
              "error_msg": "PARAM : Either session_key or uid must be specified"}
    assert oksession([Canned(body=json.dumps(ok_raw))], pass_error=True).call(
        "events.get") == ok_raw


def test_platform_error_with_http_error_status_is_an_api_error() -> None:
    raw = {"error": {"error_code": 104, "error_msg": "Incorrect signature."}}
    session = mailru([Canned(body=json.dumps(raw), status=401)])
    with pytest.raises(SignatureError):
        session.call("friends.get")


def test_top_level_lists_scalars_and_unicode_come_back_decoded() -> None:
    assert mailru([Canned(body='[{"uid": "1", "first_name": "Иван"}]')]).call(
        "users.getInfo") == [{"uid": "1", "first_name": "Иван"}]
    assert oksession([Canned(body='"8723468734"')]).call("mediatopic.post") == "8723468734"
    assert oksession([Canned(body="true")]).call("users.isAppUser") is True


def test_transport_exceptions_are_wrapped() -> None:
    for exc, cls in [
        (requests.exceptions.ConnectTimeout("x"), mailru_sync.RequestTimeout),
        (requests.exceptions.ReadTimeout("x"), mailru_sync.RequestTimeout),
        (requests.exceptions.ConnectionError("x"), mailru_sync.ConnectionFailed),
        (requests.exceptions.ChunkedEncodingError("x"), mailru_sync.ConnectionFailed),
        (requests.exceptions.TooManyRedirects("x"), mailru_sync.TransportError),
    ]:
        session = mailru([Canned(raise_exc=exc)])
        with pytest.raises(cls):
            session.call("users.getInfo")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["error", "error_code", "error_msg", "error_data", "x"]),
                      children, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=64).map(str.encode),
)
statuses = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503, 504])
content_types = st.sampled_from(["application/json", "text/javascript; charset=utf-8",
                                 "text/html", "", "application/octet-stream"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, status=statuses, ctype=content_types, platform=st.sampled_from(["mr", "ok"]))
def test_any_response_is_a_result_or_a_library_exception(
    body: bytes, status: int, ctype: str, platform: str
) -> None:
    script = [Canned(body=body, status=status, headers={"Content-Type": ctype})]
    session = mailru(script) if platform == "mr" else oksession(script)
    try:
        result = session.call("users.getInfo")
    except Error:
        return
    assert status < 400
    assert result is not None
    # A result is never the platform's error object (pass_error is off).
    extract = mailru_extract_error if platform == "mr" else ok_extract_error
    assert extract(result) is None
