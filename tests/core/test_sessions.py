"""Construction: circuit inference, clear errors for missing keys and bad options, no leaks."""

from __future__ import annotations

import pickle

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import ConfigurationError

PK, SK, TOKEN, UID = "0a" * 16, "5e" * 16, "t" * 32, "1324730981306483817"


def test_mailru_inference_prefers_client_when_uid_and_private_key() -> None:
    assert mailru_sync.TokenSession(1, PK, SK, TOKEN, UID).circuit == "client"
    assert mailru_sync.TokenSession(1, PK, SK, TOKEN, "").circuit == "server"
    assert mailru_sync.TokenSession(1, "", SK, TOKEN, UID).circuit == "server"


def test_mailru_neither_circuit_is_a_clear_error_at_construction() -> None:
    with pytest.raises(ConfigurationError, match=r"private_key.*secret_key"):
        mailru_sync.TokenSession(1, "", "", TOKEN, UID)
    with pytest.raises(ConfigurationError, match="uid"):
        mailru_sync.TokenSession(1, PK, "", TOKEN, "")
    with pytest.raises(ConfigurationError, match="uid"):
        mailru_sync.ClientSession(1, PK, TOKEN, "")
    with pytest.raises(ConfigurationError, match="secret_key"):
        mailru_sync.ServerSession(1, "", TOKEN)
    with pytest.raises(ConfigurationError, match="access_token"):
        mailru_sync.TokenSession(1, PK, SK, "", UID)


def test_ok_inference() -> None:
    assert ok.TokenSession(1, "KEY", SK, TOKEN, "").circuit == "server"
    assert ok.TokenSession(1, "KEY", SK, TOKEN, "ssk").circuit == "server"
    assert ok.TokenSession(1, "KEY", "", TOKEN, "ssk").circuit == "client"
    assert ok.ClientSession(1, "KEY", TOKEN, "ssk").circuit == "client"
    assert ok.ServerSession(1, "KEY", SK, TOKEN).circuit == "server"
    with pytest.raises(ConfigurationError, match="session_secret_key"):
        ok.TokenSession(1, "KEY", "", TOKEN, "")
    with pytest.raises(ConfigurationError, match="app_secret_key"):
        ok.ServerSession(1, "KEY", "", TOKEN)
    with pytest.raises(ConfigurationError, match="app_key"):
        ok.ClientSession(1, "", TOKEN, "ssk")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": "5"}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"timeout": None}, ValueError),
        ({"max_retries": "3"}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"pool_maxsize": 0}, ValueError),
        ({"rate_limit": 0}, ValueError),
        ({"rate_limit": "fast"}, TypeError),
        ({"base_url": "127.0.0.1:8080"}, ValueError),
        ({"base_url": 8080}, TypeError),
        ({"token_updater": "save"}, TypeError),
        ({"write_methods": "stream.post"}, TypeError),
        ({"no_such_option": 1}, TypeError),
    ],
)
def test_bad_options_raise_type_or_value_error(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        mailru_sync.TokenSession(1, PK, SK, TOKEN, UID, **kwargs)


def test_bad_key_types() -> None:
    with pytest.raises(TypeError, match="private_key"):
        mailru_sync.TokenSession(1, 123, SK, TOKEN, UID)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="app_id"):
        mailru_sync.TokenSession(None, PK, SK, TOKEN, UID)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whitespace"):
        ok.ClientSession(1, "KEY ", TOKEN, "ssk")


def test_repr_and_str_hide_secrets() -> None:
    sessions = [
        mailru_sync.TokenSession(1, PK, SK, TOKEN, UID),
        ok.TokenSession(1, "KEY", SK, TOKEN, "ssk-" + "x" * 28),
    ]
    for session in sessions:
        for text in (repr(session), str(session), repr(mailru_sync.API(session)),
                     repr(mailru_sync.API(session).friends.get)):
            assert PK not in text and SK not in text and TOKEN not in text
            assert "ssk-" + "x" * 28 not in text


def test_sessions_refuse_pickling_instead_of_leaking_keys() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(mailru_sync.TokenSession(1, PK, SK, TOKEN, UID))


def test_base_url_moves_every_url_keeping_paths() -> None:
    session = mailru_sync.TokenSession(1, PK, SK, TOKEN, UID, base_url="http://127.0.0.1:8080/")
    assert (session.prepare_call("users.getInfo").url or "").startswith(
        "http://127.0.0.1:8080/platform/api?"
    )
    assert session.default_redirect_uri == "http://127.0.0.1:8080/oauth/success.html"
    assert session.authorization_url().startswith("http://127.0.0.1:8080/oauth/authorize?")
    okses = ok.ClientSession(1, "KEY", TOKEN, "ssk", base_url="http://localhost:9")
    assert (okses.prepare_call("users.getInfo").url or "").startswith("http://localhost:9/fb.do?")
    assert okses.default_redirect_uri == "http://localhost:9/blank.html"


def test_https_by_default() -> None:
    session = mailru_sync.TokenSession(1, PK, SK, TOKEN, UID)
    assert (session.prepare_call("users.getInfo").url or "").startswith("https://")
    for url in (session.AUTHORIZE_URL, session.TOKEN_URL, session.CODE_TOKEN_URL,
                session.LOGIN_URL, ok.OkSession.API_URL, ok.OkSession.TOKEN_URL,
                ok.OkSession.AUTHORIZE_URL):
        assert url.startswith("https://")


def test_api_attribute_chains_and_call_syntax() -> None:
    session = mailru_sync.TokenSession(1, PK, SK, TOKEN, UID)
    api = mailru_sync.API(session)
    assert api.photos.getAlbums.name == "photos.getAlbums"
    assert api.a.b.c.d.name == "a.b.c.d"
    with pytest.raises(AttributeError):
        api.__deepcopy__  # noqa: B018
    with pytest.raises(TypeError, match="session"):
        mailru_sync.API(object())  # type: ignore[arg-type]


def test_bad_method_names_are_value_errors() -> None:
    session = mailru_sync.TokenSession(1, PK, SK, TOKEN, UID)
    for bad in ("", " friends.get", ".x"):
        with pytest.raises(ValueError, match="method"):
            session.call(bad)


def test_authorization_url_fields() -> None:
    from urllib.parse import parse_qs, urlsplit

    session = ok.ClientSession(512, "KEY", TOKEN, "ssk")
    url = session.authorization_url("https://example.org/cb", ["VALUABLE_ACCESS", "PHOTO_CONTENT"],
                                    state="xyz")
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).netloc == "connect.ok.ru"
    assert query["scope"] == ["VALUABLE_ACCESS;PHOTO_CONTENT"]
    assert query["client_id"] == ["512"]
    assert query["state"] == ["xyz"]
    assert query["response_type"] == ["code"]
