"""Every secret a session holds is redacted when a server echoes it, however it was set.

Issue 24: ``session.refresh_token = X`` (as apps and these tests do) used to leave ``X`` out of
the redactor, so ``invalid_grant: bad token X`` came back verbatim. Here each secret-bearing
attribute (access and refresh tokens, session secret keys, app keys, codes, passwords) is set by
the constructor and, where it is public, by assignment; a raw-socket server then echoes the
value in its error, and neither the exception nor any log line may show it. The last test
checks each parameter name that DEBUG logs mask by name.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
from collections.abc import Callable
from typing import Any

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync import Error
from tests.transport.hostile import HostileServer, Request, response
from tests.transport.test_hostile import secret_free, texts_of

APP = 423004
PRIVATE, SECRET = "0a" * 16, "5e" * 16
TOKEN = "ab" * 16
APP_KEY = "CBAPUBLICKEY"
EMAIL = "user@mail.ru"


def _echo(secret: str) -> Callable[[socket.socket, Request], None]:
    """A server quoting ``secret`` in the error of whatever endpoint was asked."""

    def script(conn: socket.socket, request: Request) -> None:
        line = request.line
        if "/oauth/token" in line:
            body = {"error": "invalid_grant", "error_description": f"bad token {secret}"}
            conn.sendall(response("400 Bad Request", json.dumps(body).encode()))
        elif "/fb.do" in line:
            body = {"error_code": 100, "error_msg": f"PARAM : bad value {secret}"}
            conn.sendall(response(body=json.dumps(body).encode()))
        else:
            body = {"error": {"error_code": 100, "error_msg": f"bad value {secret}"}}
            conn.sendall(response(body=json.dumps(body).encode()))

    return script


def _set(session: Any, name: str, value: str) -> Any:
    setattr(session, name, value)
    return session


def _mailru(url: str, **options: Any) -> mr.TokenSession:
    return mr.TokenSession(APP, PRIVATE, SECRET, TOKEN, "7", base_url=url, max_retries=0,
                           **options)


def _ok(url: str, **options: Any) -> ok.TokenSession:
    return ok.TokenSession(APP, APP_KEY, SECRET, TOKEN, "", base_url=url, max_retries=0,
                           **options)


def _call(session: Any) -> object:
    return session.call("users.getInfo", {"uids": "1"})


#: case -> (build a session holding ``x`` at ``url``, the operation that meets the echo)
Case = tuple[Callable[[str, str], Any], Callable[[Any], object]]
Build = Callable[[str, str], Any]


def _authorize(session: Any) -> object:
    return session.authorize()


def _both_platforms(platform: str, plain: Callable[..., Any], refresh: Build, code: Build,
                    password: Build) -> dict[str, Case]:
    """The cases every platform has: tokens by attribute and by ``token=``, and the grants."""
    return {
        f"{platform} access_token attr": (lambda url, x: _set(plain(url), "access_token", x),
                                          _call),
        f"{platform} refresh_token attr, call": (
            lambda url, x: _set(plain(url), "refresh_token", x), _call),
        f"{platform} refresh_token attr, refresh": (
            lambda url, x: _set(plain(url), "refresh_token", x), lambda s: s.refresh()),
        f"{platform} refresh_token token=": (
            lambda url, x: plain(url, token={"access_token": TOKEN, "refresh_token": x}), _call),
        f"{platform} refresh_token RefreshSession": (refresh, _authorize),
        f"{platform} code ctor": (code, _authorize),
        f"{platform} code attr": (lambda url, x: _set(code(url, "c0de" * 8), "code", x),
                                  _authorize),
        f"{platform} passwd ctor": (password, _authorize),
    }


CASES: dict[str, Case] = {
    # Mail.ru: the token and the app keys, by constructor and by attribute.
    "mailru access_token ctor": (
        lambda url, x: mr.TokenSession(APP, PRIVATE, SECRET, x, "7", base_url=url), _call),
    "mailru session_key attr": (lambda url, x: _set(_mailru(url), "session_key", x), _call),
    "mailru private_key ctor": (
        lambda url, x: mr.ClientSession(APP, x, TOKEN, "7", base_url=url), _call),
    "mailru private_key attr": (lambda url, x: _set(_mailru(url), "private_key", x), _call),
    "mailru secret_key ctor": (
        lambda url, x: mr.ServerSession(APP, x, TOKEN, base_url=url), _call),
    "mailru secret_key attr": (
        lambda url, x: _set(mr.ServerSession(APP, SECRET, TOKEN, base_url=url), "secret_key", x),
        _call),
    **_both_platforms(
        "mailru", _mailru,
        refresh=lambda url, x: mr.RefreshSession(APP, PRIVATE, SECRET, x, base_url=url),
        code=lambda url, x: mr.CodeSession(APP, PRIVATE, SECRET, x, base_url=url),
        password=lambda url, x: mr.PasswordSession(APP, PRIVATE, SECRET, EMAIL, x,
                                                   base_url=url),
    ),
    # OK: the token, the app secret and the session secret.
    "ok access_token ctor": (
        lambda url, x: ok.TokenSession(APP, APP_KEY, SECRET, x, "", base_url=url), _call),
    "ok app_secret_key ctor": (
        lambda url, x: ok.ServerSession(APP, APP_KEY, x, TOKEN, base_url=url), _call),
    "ok app_secret_key attr": (lambda url, x: _set(_ok(url), "app_secret_key", x), _call),
    "ok session_secret_key ctor": (
        lambda url, x: ok.ClientSession(APP, APP_KEY, TOKEN, x, base_url=url), _call),
    "ok session_secret_key attr": (
        lambda url, x: _set(ok.ClientSession(APP, APP_KEY, TOKEN, SECRET, base_url=url),
                            "session_secret_key", x),
        _call),
    **_both_platforms(
        "ok", _ok,
        refresh=lambda url, x: ok.RefreshSession(APP, APP_KEY, SECRET, x, base_url=url),
        code=lambda url, x: ok.CodeSession(APP, APP_KEY, SECRET, x, base_url=url),
        password=lambda url, x: ok.PasswordSession(APP, APP_KEY, SECRET, "login", x,
                                                   base_url=url),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_echoed_secret_is_redacted_however_it_was_set(
    serve: Callable[..., HostileServer], caplog: pytest.LogCaptureFixture, case: str
) -> None:
    secret = secrets.token_hex(16)
    server = serve(_echo(secret))
    build, operate = CASES[case]
    session = build(server.url, secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Error) as info:
        operate(session)
    texts = texts_of(info.value)
    assert any("***" in text for text in texts), f"the echo did not arrive: {info.value!r}"
    secret_free([*texts, *(r.getMessage() for r in caplog.records), repr(session)], secret)


#: Every parameter name whose value DEBUG logs mask, and how: a short prefix for tokens and
#: signatures (they tell calls apart), nothing at all for passwords and keys.
PREFIXED = ("access_token", "session_key", "refresh_token", "sig", "code", "auth_token")
SIGNED = ("session_key", "sig")
HIDDEN = ("password", "passwd", "Password", "fr.password", "client_secret", "private_key",
          "secret_key", "app_secret_key", "session_secret_key")


@pytest.mark.parametrize("name", [*PREFIXED, *HIDDEN])
def test_each_credential_parameter_is_masked_in_debug_logs(
    serve: Callable[..., HostileServer], caplog: pytest.LogCaptureFixture, name: str
) -> None:
    server = serve(lambda conn, request: conn.sendall(response(body=b"[]")))
    session = mr.TokenSession(APP, PRIVATE, "", TOKEN, "7", base_url=server.url, max_retries=0)
    value = "v" + secrets.token_hex(12)  # never registered as a secret: only its name hides it
    caplog.set_level(logging.DEBUG)
    # The signer sets session_key (the token) and sig itself and refuses them from the caller.
    session.call("users.getInfo", {} if name in SIGNED else {name: value})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "mailru_sync"]
    shown = re.search(rf"'{re.escape(name)}': '([^']*)'", line)
    assert shown is not None, line
    if name in HIDDEN:
        assert shown.group(1) == "***", line
    else:
        assert re.fullmatch(r"[^'…]{4}…", shown.group(1)), line
    if name not in SIGNED:
        assert shown.group(1) in ("***", value[:4] + "…")
    for record in caplog.records:  # urllib3's request line quotes the query string too
        assert value not in record.getMessage(), record.getMessage()
