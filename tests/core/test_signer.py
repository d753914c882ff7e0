"""The signer: documented vectors, serialization rules, and sign-what-you-send properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailru_sync import signer

MAILRU = {
    "app_id": "423004",
    "uid": "1324730981306483817",
    "private_key": "7815696ecbf1c96e6894b779456d330e",
    "secret_key": "3dad9cbf9baaa0360c0f2ba372d25716",
    "session_key": "be6ef89965d58e56dec21acb9b62bdaa",
}
OK = {
    "app_key": "ABCDEFGHIGKLMNOPK",
    "app_secret_key": "ABC123DEF456GHI789JKL123",
    "server_token": "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7",
    "session_secret_key": "ae5362b5b588cc7294c2414d71b74d5d",
}


def test_mailru_client_vector() -> None:
    params = {"app_id": "423004", "method": "friends.get", "session_key": MAILRU["session_key"]}
    assert (
        signer.mailru_client_signature(params, MAILRU["uid"], MAILRU["private_key"])
        == "5073f15c6d5b6ab2fde23ac43332b002"
    )


def test_mailru_server_vector_requires_secure() -> None:
    params = {"app_id": "423004", "method": "friends.get", "session_key": MAILRU["session_key"]}
    with pytest.raises(ValueError, match="secure=1"):
        signer.mailru_server_signature(params, MAILRU["secret_key"])
    params["secure"] = "1"
    assert (
        signer.mailru_server_signature(params, MAILRU["secret_key"])
        == "4a05af66f80da18b308fa7e536912bae"
    )


def test_seed_000_slip_stream_get_signs_differently() -> None:
    # Seed 000 shows stream.get/app_id=123456 with the friends.get signature; the real one differs.
    prepared = signer.sign_mailru_client(
        {},
        method="stream.get",
        app_id="123456",
        session_key=MAILRU["session_key"],
        uid=MAILRU["uid"],
        private_key=MAILRU["private_key"],
    )
    assert prepared["sig"] == "d8841145db97c28fcdb8db68006ee6d1"


def test_ok_client_vector() -> None:
    params = {"application_key": OK["app_key"], "format": "json", "method": "events.get"}
    assert signer.ok_signature(params, OK["session_secret_key"]) == (
        "03a41413523ea8092507949d6e711963"
    )


def test_ok_server_vector() -> None:
    secret = signer.ok_secret(OK["server_token"], OK["app_secret_key"])
    assert secret == "b1a2b89707a94624c43afae67d59274c"
    prepared = signer.sign_ok(
        {},
        method="events.get",
        application_key=OK["app_key"],
        access_token=OK["server_token"],
        secret=secret,
    )
    assert prepared["sig"] == "232c8eb921951c4dba9b72606f9ddb4c"
    assert list(prepared) == ["application_key", "format", "method", "sig", "access_token"]


def test_ok_sessionless_secret_is_app_secret() -> None:
    assert signer.ok_secret("", "s3cr3t") == "s3cr3t"


def test_ok_access_token_and_session_key_are_not_signed() -> None:
    base = {"application_key": "k", "method": "m"}
    with_token = dict(base, access_token="tok", session_key="sk")
    assert signer.ok_signature(base, "x") == signer.ok_signature(with_token, "x")


@pytest.mark.parametrize(
    ("value", "platform", "expected"),
    [
        (0, "mailru", "0"),
        ("", "mailru", ""),
        (False, "mailru", "0"),
        (True, "mailru", "1"),
        (False, "ok", "false"),
        (True, "ok", "true"),
        (12345678901234567890, "ok", "12345678901234567890"),
        (-5, "ok", "-5"),
        (1.5, "ok", "1.5"),
        (["a", 1, True], "mailru", "a,1,1"),
        (("1", "2"), "ok", "1,2"),
        ([], "ok", ""),
        ({"media": [{"type": "text", "text": "Привет"}]}, "ok",
         '{"media":[{"type":"text","text":"Привет"}]}'),
        ([{"users.getInfo": {"params": {"uids": "1"}}}], "ok",
         '[{"users.getInfo":{"params":{"uids":"1"}}}]'),
        ("Привет 🌍", "mailru", "Привет 🌍"),
    ],
)
def test_serialize_value(value: object, platform: signer.Platform, expected: str) -> None:
    assert signer.serialize_value("p", value, platform) == expected


def test_none_is_omitted_everything_else_is_kept() -> None:
    params = {"a": None, "b": 0, "c": "", "d": False}
    assert signer.serialize_params(params, "mailru") == {"b": "0", "c": "", "d": "0"}


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", float("nan")])
def test_unsupported_values_raise_clear_errors(value: object) -> None:
    with pytest.raises((TypeError, ValueError), match="'p'"):
        signer.serialize_value("p", value, "ok")


def test_non_str_names_rejected() -> None:
    with pytest.raises(TypeError, match="names must be str"):
        signer.serialize_params({1: "x"}, "ok")  # type: ignore[dict-item]


def test_lone_surrogate_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        signer.md5_hex("\ud800")


def test_reserved_names_rejected() -> None:
    with pytest.raises(ValueError, match="sig"):
        signer.sign_ok({"sig": "x"}, method="m", application_key="k", access_token="", secret="s")
    with pytest.raises(ValueError, match="app_id"):
        signer.sign_mailru_server(
            {"app_id": "1"}, method="m", app_id="1", session_key="", secret_key="s"
        )


def _independent_md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


param_names = st.text(
    alphabet=st.characters(min_codepoint=0x30, max_codepoint=0x7A, categories=["Ll", "Lu", "Nd"]),
    min_size=1,
    max_size=12,
).filter(lambda n: n not in {"method", "app_id", "session_key", "sig", "secure", "format",
                              "application_key", "access_token"})
param_values = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30),
    st.integers(),
    st.booleans(),
    st.lists(st.one_of(st.integers(), st.text(alphabet="abcяж🌍", max_size=5)), max_size=4),
)


@given(st.dictionaries(param_names, param_values, max_size=6))
def test_mailru_client_signature_covers_exactly_what_is_sent(params: dict[str, object]) -> None:
    sent = signer.sign_mailru_client(
        signer.serialize_params(params, "mailru"),
        method="friends.get",
        app_id="1",
        session_key="tok",
        uid="42",
        private_key="pk",
    )
    body = "".join(f"{k}={sent[k]}" for k in sorted(sent) if k != "sig")
    assert sent["sig"] == _independent_md5("42" + body + "pk")


@given(st.dictionaries(param_names, param_values, max_size=6))
def test_ok_signature_covers_exactly_what_is_sent(params: dict[str, object]) -> None:
    sent = signer.sign_ok(
        signer.serialize_params(params, "ok"),
        method="users.getInfo",
        application_key="KEY",
        access_token="tok",
        secret="sec",
    )
    body = "".join(f"{k}={sent[k]}" for k in sorted(sent) if k not in {"sig", "access_token"})
    assert sent["sig"] == _independent_md5(body + "sec")
