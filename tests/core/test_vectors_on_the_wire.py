"""The documented vectors come out of real session calls, captured at the transport boundary."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import mailru_sync
import mailru_sync.ok as ok
from tests.adapters import Canned, CannedAdapter

MAILRU_SEED_URL = (
    "https://appsmail.ru/platform/api?method=friends.get&app_id=423004"
    "&session_key=be6ef89965d58e56dec21acb9b62bdaa&sig=5073f15c6d5b6ab2fde23ac43332b002"
)


def _capture(session: mailru_sync.MailruSession | ok.OkSession, body: str) -> CannedAdapter:
    adapter = CannedAdapter([Canned(body=body)])
    session.mount("https://", adapter)
    return adapter


def test_mailru_client_server_vector() -> None:
    session = mailru_sync.TokenSession(
        app_id=423004,
        private_key="7815696ecbf1c96e6894b779456d330e",
        secret_key="",
        access_token="be6ef89965d58e56dec21acb9b62bdaa",
        uid="1324730981306483817",
    )
    adapter = _capture(session, '["1", "2"]')
    assert mailru_sync.API(session).friends.get() == ["1", "2"]
    (request,) = adapter.requests
    assert request.method == "GET"
    assert request.url == MAILRU_SEED_URL
    connect, read = adapter.kwargs[0]["timeout"]
    # The default (5, 30) reaches the adapter, each part capped by the 20 s call deadline.
    assert connect == 5.0 and 19.0 < read <= 20.0


def test_mailru_server_server_vector_sends_secure() -> None:
    session = mailru_sync.TokenSession(
        app_id=423004,
        private_key="",
        secret_key="3dad9cbf9baaa0360c0f2ba372d25716",
        access_token="be6ef89965d58e56dec21acb9b62bdaa",
        uid="",
    )
    adapter = _capture(session, "[]")
    mailru_sync.API(session).friends.get()
    url = adapter.requests[0].url or ""
    assert urlsplit(url).scheme == "https"
    sent = dict(parse_qsl(urlsplit(url).query))
    assert sent == {
        "method": "friends.get",
        "app_id": "423004",
        "session_key": "be6ef89965d58e56dec21acb9b62bdaa",
        "secure": "1",
        "sig": "4a05af66f80da18b308fa7e536912bae",
    }
    assert "3dad9cbf9baaa0360c0f2ba372d25716" not in url


def test_ok_client_server_vector() -> None:
    token = (
        "-s-2GUXOAvQYI7-RfxsZtV1wezsdtVPv92xfuaSQ8.SAIV1O2ywYra2-3ywes5St2yvcuZSr9UUWN2TtbWtWKVTuAy8"
    )
    session = ok.TokenSession(
        app_id=123456,
        app_key="ABCDEFGHIGKLMNOPK",
        app_secret_key="",
        access_token=token,
        session_secret_key="ae5362b5b588cc7294c2414d71b74d5d",
    )
    adapter = _capture(session, "[]")
    ok.API(session).events.get()
    assert adapter.requests[0].url == (
        "https://api.ok.ru/fb.do?application_key=ABCDEFGHIGKLMNOPK&format=json&method=events.get"
        f"&sig=03a41413523ea8092507949d6e711963&access_token={token}"
    )


def test_ok_server_server_vector() -> None:
    session = ok.TokenSession(
        app_id=123456,
        app_key="ABCDEFGHIGKLMNOPK",
        app_secret_key="ABC123DEF456GHI789JKL123",
        access_token="-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7",
        session_secret_key="",
    )
    adapter = _capture(session, "[]")
    ok.API(session)("events.get")
    url = adapter.requests[0].url or ""
    assert url == (
        "https://api.ok.ru/fb.do?application_key=ABCDEFGHIGKLMNOPK&format=json&method=events.get"
        "&sig=232c8eb921951c4dba9b72606f9ddb4c"
        "&access_token=-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7"
    )
    assert "ABC123DEF456GHI789JKL123" not in url


def test_explicit_client_and_server_sessions_sign_like_the_vectors() -> None:
    client = mailru_sync.ClientSession(
        423004, "7815696ecbf1c96e6894b779456d330e", "be6ef89965d58e56dec21acb9b62bdaa",
        "1324730981306483817",
    )
    server = mailru_sync.ServerSession(
        423004, "3dad9cbf9baaa0360c0f2ba372d25716", "be6ef89965d58e56dec21acb9b62bdaa"
    )
    assert client.prepare_call("friends.get").url == MAILRU_SEED_URL
    assert "sig=4a05af66f80da18b308fa7e536912bae" in (server.prepare_call("friends.get").url or "")
    ok_client = ok.ClientSession(123456, "ABCDEFGHIGKLMNOPK", "tok",
                                 "ae5362b5b588cc7294c2414d71b74d5d")
    assert "sig=03a41413523ea8092507949d6e711963" in (ok_client.prepare_call("events.get").url
                                                      or "")
    ok_server = ok.ServerSession(123456, "ABCDEFGHIGKLMNOPK", "ABC123DEF456GHI789JKL123",
                                 "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7")
    assert "sig=232c8eb921951c4dba9b72606f9ddb4c" in (ok_server.prepare_call("events.get").url
                                                      or "")


def test_writes_and_long_params_go_as_form_post_signed_over_the_body() -> None:
    session = ok.ClientSession(1, "KEY", "tok", "ssk")
    adapter = _capture(session, '"123"')
    api = ok.API(session)
    api.mediatopic.post(type="USER", attachment={"media": [{"type": "text", "text": "Привет"}]})
    post = adapter.requests[-1]
    assert post.method == "POST"
    assert urlsplit(post.url or "").query == ""
    body = dict(parse_qsl(str(post.body)))
    assert body["attachment"] == '{"media":[{"type":"text","text":"Привет"}]}'
    assert body["access_token"] == "tok"
    session.call("users.getInfo", {"uids": ",".join(["1" * 19] * 150)})
    assert adapter.requests[-1].method == "POST"
    session.call("mediatopic.post", {"type": "USER"}, http_method="GET")
    assert adapter.requests[-1].method == "GET"
