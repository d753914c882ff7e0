"""Issue 24 part 4: which OK circuit goes on the wire, checked where it can be told apart.

For an OAuth token the two circuits sign alike (OK derives ``session_secret_key`` as
md5(access_token + app_secret_key)), so a session that picks the wrong secret passes. An
``auth.login`` session's secret is random, so there the two signatures differ: these tests take
such a session, read the ``sig`` the client actually sent from the emulator's request log, and
compare it with the documented formula (seed 002, recomputed here with hashlib, not with
``mailru_sync.signer``). With ``strict_session_secrets`` the emulator refuses the wrong secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping

import pytest
import requests

import mailru_sync.ok as ok
from mailru_sync import SignatureError
from mailru_sync.testing import LoggedRequest, OkEmulator


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def documented_sig(params: Mapping[str, str], secret: str) -> str:
    """Seed 002: md5 of the sorted ``k=v`` pairs without sig/access_token/session_key + secret."""
    signed = {k: v for k, v in params.items() if k not in {"sig", "access_token", "session_key"}}
    return _md5("".join(f"{k}={signed[k]}" for k in sorted(signed)) + secret)


@pytest.fixture(params=[False, True], ids=["lax", "strict"])
def emu(request: pytest.FixtureRequest) -> Iterator[OkEmulator]:
    with OkEmulator(strict_session_secrets=request.param) as server:
        yield server
        assert server.errors == []


def _login(emu: OkEmulator) -> tuple[str, str]:
    """An ``auth.login`` session opened over plain HTTP: (session_key, session_secret_key)."""
    answer = requests.post(
        f"{emu.url}/fb.do",
        data={
            "application_key": emu.app.app_key,
            "method": "auth.login",
            "user_name": emu.user.login,
            "password": emu.user.password,
            "format": "json",
        },
        timeout=10,
    ).json()
    return str(answer["session_key"]), str(answer["session_secret_key"])


def _only_call(emu: OkEmulator, method: str) -> LoggedRequest:
    (entry,) = [r for r in emu.requests if r.params.get("method") == method]
    return entry


def test_an_auth_login_session_has_two_different_secrets(emu: OkEmulator) -> None:
    token, secret = _login(emu)
    assert secret != _md5(token + emu.app.app_secret_key)


def test_a_session_holding_both_keys_signs_server_server(emu: OkEmulator) -> None:
    """Seed 002: app_secret_key (with an access token) → server-server, whatever else it holds."""
    token, secret = _login(emu)
    emu.clear_log()
    session = ok.TokenSession(
        emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, token, secret, base_url=emu.url
    )
    with session:
        try:
            ok.API(session).users.getCurrentUser()
        except SignatureError:
            assert emu.strict_session_secrets  # that secret is not this session's own
    sent = _only_call(emu, "users.getCurrentUser").params
    server = _md5(token + emu.app.app_secret_key)
    assert sent["sig"] == documented_sig(sent, server)
    assert sent["sig"] != documented_sig(sent, secret)


def test_the_session_secret_circuit_works_on_an_auth_login_session(emu: OkEmulator) -> None:
    token, secret = _login(emu)
    emu.clear_log()
    with ok.ClientSession(emu.app.app_id, emu.app.app_key, token, secret, base_url=emu.url) as s:
        assert ok.API(s).users.getCurrentUser()["uid"] == emu.user.uid
    sent = _only_call(emu, "users.getCurrentUser").params
    assert sent["sig"] == documented_sig(sent, secret)


def test_a_strict_emulator_refuses_the_server_secret_on_an_auth_login_session(
    emu: OkEmulator,
) -> None:
    token, _ = _login(emu)
    session = ok.ServerSession(
        emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, token, base_url=emu.url
    )
    with session:
        if emu.strict_session_secrets:
            with pytest.raises(SignatureError):
                ok.API(session).users.getCurrentUser()
        else:  # lax mode accepts it (see docs/emulator_divergences.rst)
            assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid


def test_an_oauth_token_accepts_both_circuits_even_when_strict(emu: OkEmulator) -> None:
    record = emu.issue_ok_token(emu.user.uid, ["VALUABLE_ACCESS"])
    secret = record.extra["session_secret_key"]
    assert secret == _md5(record.token + emu.app.app_secret_key)
    app = emu.app
    sessions = [
        ok.ClientSession(app.app_id, app.app_key, record.token, secret, base_url=emu.url),
        ok.ServerSession(app.app_id, app.app_key, app.app_secret_key, record.token,
                         base_url=emu.url),
    ]
    for session in sessions:
        with session:
            assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid


@pytest.mark.parametrize("own", [True, False], ids=["own-secret", "server-secret"])
def test_raw_signatures_on_an_auth_login_session(emu: OkEmulator, own: bool) -> None:
    """The emulator's side alone, with a hand-made request (no client code involved)."""
    token, secret = _login(emu)
    params = {"application_key": emu.app.app_key, "format": "json",
              "method": "users.getCurrentUser"}
    key = secret if own else _md5(token + emu.app.app_secret_key)
    params["sig"] = documented_sig(params, key)
    params["access_token"] = token
    body = requests.get(f"{emu.url}/fb.do", params=params, timeout=10).json()
    refused = emu.strict_session_secrets and not own
    assert (body.get("error_code") == 104) == refused, body
    if not refused:
        assert body["uid"] == emu.user.uid


def test_a_password_session_signs_with_its_own_session_secret(emu: OkEmulator) -> None:
    """auth.login's session secret is the session's own: PasswordSession signs client-server
    with it even when it holds app_secret_key (the derived secret would be refused)."""
    session = ok.PasswordSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                                 emu.user.login, emu.user.password, base_url=emu.url)
    with session:
        assert session.circuit == "client"
        emu.clear_log()
        assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid
    sent = _only_call(emu, "users.getCurrentUser").params
    assert sent["sig"] == documented_sig(sent, session.session_secret_key)


def test_the_emulator_is_strict_by_default() -> None:
    with OkEmulator() as server:
        assert server.strict_session_secrets
