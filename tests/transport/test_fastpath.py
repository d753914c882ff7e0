"""Conformance of the direct route (``mailru_sync._fastpath``) with requests, byte for byte.

Each case customises a session the way a user may (environment proxies, ``session.proxies``,
``trust_env=False``, a mounted adapter, a response hook, cookies, auth, netrc, ``verify`` and
``cert`` paths, headers) and sends the same calls twice: once as the library sends them, once
with the direct route switched off, so everything goes through ``requests.Session.request``.
A raw-socket server records the bytes; both runs must put the same bytes on the wire, and the
hooks, cookies and errors must behave the same. Each case also states whether the direct route
is expected to run, so the matrix cannot pass by never taking it.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

import mailru_sync
import mailru_sync._exchange as exchange_module
import mailru_sync.ok as ok
from mailru_sync import _fastpath
from tests.transport.hostile import HostileServer, Request

APP_ID, PRIVATE_KEY, SECRET_KEY = "423004", "0a" * 16, "5e" * 16
TOKEN, UID = "be6ef89965d58e56dec21acb9b62bdaa", "1324730981306483817"


def answer(conn: socket.socket, request: Request) -> None:
    body = b'[{"uid": "1324730981306483817"}]'
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Set-Cookie: seen=1; Path=/\r\n" if b"want-cookie" in request.head else
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
    )
    conn.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)


@dataclass
class Run:
    wire: list[bytes] = field(default_factory=list)
    direct: list[bool] = field(default_factory=list)
    hooks: int = 0
    cookies: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Any]:
    trustme = pytest.importorskip("trustme")  # in the test extra: never skipped in CI
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client = ca.issue_cert("client.example")
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    return {"context": context, "bundle": str(bundle), "cert": (str(cert), str(key))}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc unless a case writes one
    yield


class Customisation:
    """One row of the matrix: ``setup(session, env)`` customises; ``direct`` is expected
    (``"first"``: on the first call only, e.g. until the server has set a cookie)."""

    def __init__(
        self,
        name: str,
        setup: Callable[[requests.Session, pytest.MonkeyPatch, dict[str, Any]], None],
        *,
        direct: bool | str,
        tls: bool = False,
    ) -> None:
        self.name, self.setup, self.direct, self.tls = name, setup, direct, tls

    def __repr__(self) -> str:
        return self.name


def _nothing(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    pass


def _no_trust_env(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.trust_env = False
    env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # ignored when trust_env is off


def _env_proxy(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    # The proxy is the recording server itself: requests sends it the absolute-form target.
    env.setenv("http_proxy", ctx["origin"])


def _env_proxy_bypassed(
    session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]
) -> None:
    env.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    env.setenv("NO_PROXY", "127.0.0.1,localhost")


def _env_proxy_other_scheme(
    session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]
) -> None:
    env.setenv("FTP_PROXY", "http://127.0.0.1:9")  # does not apply to http:// URLs


def _session_proxies(
    session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]
) -> None:
    session.proxies = {"http": ctx["origin"]}


class _StampingAdapter(HTTPAdapter):
    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        request.headers["X-Mounted"] = "yes"


def _mounted_adapter(
    session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]
) -> None:
    session.mount("http://", _StampingAdapter())


def _response_hook(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        ctx["run"].hooks += 1

    session.hooks["response"].append(hook)


def _cookies(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.cookies.set("mrcu", "abc", domain="127.0.0.1", path="/")


def _cookie_from_server(
    session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]
) -> None:
    session.headers["X-Test"] = "want-cookie"  # the server answers with Set-Cookie


def _auth(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.auth = ("user", "pass")


def _netrc(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    path = Path(ctx["tmp"]) / "netrc"
    path.write_text("machine 127.0.0.1 login netrc-user password netrc-pass\n")
    env.setenv("NETRC", str(path))


def _headers(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.headers["User-Agent"] = "my-app/2.0"
    session.headers["Accept-Encoding"] = None  # requests drops None-valued session headers
    session.headers["X-Request-Source"] = "cron"


def _verify_path(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.verify = ctx["tls"]["bundle"]


def _env_bundle(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.verify = False  # requests lets REQUESTS_CA_BUNDLE win even over this
    env.setenv("REQUESTS_CA_BUNDLE", ctx["tls"]["bundle"])


def _client_cert(session: requests.Session, env: pytest.MonkeyPatch, ctx: dict[str, Any]) -> None:
    session.verify = ctx["tls"]["bundle"]
    session.cert = ctx["tls"]["cert"]


MATRIX = [
    Customisation("defaults", _nothing, direct=True),
    Customisation("trust_env=False", _no_trust_env, direct=True),
    Customisation("environment proxy", _env_proxy, direct=False),
    Customisation("environment proxy bypassed by NO_PROXY", _env_proxy_bypassed, direct=True),
    Customisation("environment proxy for another scheme", _env_proxy_other_scheme, direct=True),
    Customisation("session.proxies", _session_proxies, direct=False),
    Customisation("mounted custom adapter", _mounted_adapter, direct=False),
    Customisation("response hook", _response_hook, direct=False),
    Customisation("cookies in the jar", _cookies, direct=False),
    Customisation("cookies set by the server", _cookie_from_server, direct="first"),
    Customisation("session.auth", _auth, direct=False),
    Customisation("netrc", _netrc, direct=False),
    Customisation("session headers", _headers, direct=True),
    Customisation("verify path", _verify_path, direct=True, tls=True),
    Customisation("REQUESTS_CA_BUNDLE over verify=False", _env_bundle, direct=True, tls=True),
    Customisation("client cert", _client_cert, direct=True, tls=True),
]


def _make(platform: str, origin: str) -> mailru_sync.BaseSession:
    if platform == "ok":
        return ok.TokenSession(
            "512000000000", "CBAPLDJGDIHBABABA", "0123456789ABCDEF0123456789ABCDEF",
            TOKEN, "5e" * 16, base_url=origin, max_retries=0,
        )
    return mailru_sync.TokenSession(
        APP_ID, PRIVATE_KEY, "", TOKEN, UID, base_url=origin, max_retries=0
    )


def _run(
    case: Customisation,
    platform: str,
    server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    ctx: dict[str, Any],
    *,
    allow_direct: bool,
) -> Run:
    run = Run()
    ctx["run"] = run
    real_route = exchange_module.route_for

    def observed(session: requests.Session, url: str) -> _fastpath.FastRoute | None:
        route = real_route(session, url) if allow_direct else None
        run.direct.append(route is not None)
        return route

    monkeypatch.setattr(exchange_module, "route_for", observed)
    before = len(server.requests)
    with monkeypatch.context() as env:
        session = _make(platform, ctx["origin"])
        case.setup(session, env, ctx)
        with session:
            if platform == "ok":
                assert session.call("users.getCurrentUser", {"fields": "uid,name"})
                session.call("mediatopic.post", {"type": "USER", "attachment": {"media": []}})
            else:
                assert session.call("users.getInfo", {"uids": [UID, "0"], "n": 0, "e": ""})
                session.call("stream.post", {"text": "Привет, мир & co", "flag": False})
                session.call("users.getInfo", {"uids": "x" * 3000})  # long: sent as POST
        run.cookies = dict(session.cookies.items())
    run.wire = [request.raw for request in server.requests[before:]]
    return run


@pytest.mark.parametrize("platform", ["mailru", "ok"])
@pytest.mark.parametrize("case", MATRIX, ids=repr)
def test_the_direct_route_sends_what_requests_sends(
    case: Customisation,
    platform: str,
    serve: Callable[..., HostileServer],
    monkeypatch: pytest.MonkeyPatch,
    tls_files: dict[str, Any],
    tmp_path: Path,
) -> None:
    server = serve(answer, tls=tls_files["context"] if case.tls else None)
    ctx: dict[str, Any] = {"origin": server.url, "tls": tls_files, "tmp": tmp_path}
    direct = _run(case, platform, server, monkeypatch, ctx, allow_direct=True)
    plain = _run(case, platform, server, monkeypatch, ctx, allow_direct=False)

    expected = (
        [True] + [False] * (len(direct.direct) - 1)
        if case.direct == "first"
        else [case.direct] * len(direct.direct)
    )
    assert direct.direct and direct.direct == expected
    assert not any(plain.direct)
    assert len(direct.wire) == len(plain.wire) == len(direct.direct)
    for sent_direct, sent_plain in zip(direct.wire, plain.wire, strict=True):
        assert sent_direct == sent_plain
    assert direct.hooks == plain.hooks
    assert direct.cookies == plain.cookies


def test_the_matrix_sees_what_each_customisation_changes(
    serve: Callable[..., HostileServer],
    monkeypatch: pytest.MonkeyPatch,
    tls_files: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The comparison above is only meaningful if the customisations reach the wire."""
    server = serve(answer)
    ctx: dict[str, Any] = {"origin": server.url, "tls": tls_files, "tmp": tmp_path}
    heads = {
        case.name: _run(case, "mailru", server, monkeypatch, ctx, allow_direct=True).wire[0]
        for case in MATRIX
        if not case.tls
    }
    assert heads["environment proxy"].startswith(b"GET http://127.0.0.1:")
    assert heads["session.proxies"].startswith(b"GET http://127.0.0.1:")
    assert b"X-Mounted: yes" in heads["mounted custom adapter"]
    assert b"Cookie: mrcu=abc" in heads["cookies in the jar"]
    assert b"Authorization: Basic dXNlcjpwYXNz" in heads["session.auth"]
    assert b"Authorization: Basic " in heads["netrc"]
    assert b"User-Agent: my-app/2.0" in heads["session headers"]
    assert b"Accept-Encoding: identity" in heads["session headers"]  # urllib3's own default
    assert heads["defaults"].startswith(b"GET /platform/api?")


def test_a_cookie_set_by_an_api_answer_is_sent_on_the_next_call(
    serve: Callable[..., HostileServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = serve(answer)
    session = _make("mailru", server.url)
    session.headers["X-Test"] = "want-cookie"
    session.call("users.getInfo")
    session.call("users.getInfo")
    assert b"Cookie: seen=1" not in server.requests[0].head
    assert b"Cookie: seen=1" in server.requests[1].head


def test_a_change_of_environment_is_seen_on_the_next_call(
    serve: Callable[..., HostileServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, proxy = serve(answer), serve(answer)
    session = _make("mailru", target.url)
    session.call("users.getInfo")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    session.call("users.getInfo")
    monkeypatch.delenv("HTTP_PROXY")
    session.call("users.getInfo")
    assert len(target.requests) == 2 and len(proxy.requests) == 1
    assert proxy.requests[0].line.startswith(f"GET {target.url}/platform/api?")


def test_the_answer_is_the_same_json(serve: Callable[..., HostileServer]) -> None:
    server = serve(answer)
    session = _make("mailru", server.url)
    assert session.call("users.getInfo") == json.loads(b'[{"uid": "1324730981306483817"}]')


@pytest.mark.parametrize("platform", ["mailru", "ok"])
def test_userinfo_in_base_url_is_basic_auth_on_api_calls_too(
    platform: str,
    serve: Callable[..., HostileServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Behind a Basic-auth reverse proxy: requests turns the userinfo into ``Authorization``,
    and so must the direct route (it did only for token requests, so API calls got 401)."""
    server = serve(answer)
    origin = server.url.replace("http://", "http://proxy-user:p%40ss@")
    ctx: dict[str, Any] = {"origin": origin, "tmp": tmp_path}
    case = Customisation("userinfo in base_url", _nothing, direct=True)
    direct = _run(case, platform, server, monkeypatch, ctx, allow_direct=True)
    plain = _run(case, platform, server, monkeypatch, ctx, allow_direct=False)

    assert direct.direct and all(direct.direct)
    assert direct.wire == plain.wire
    expected = b"Authorization: Basic " + base64.b64encode(b"proxy-user:p@ss") + b"\r\n"
    assert all(expected in sent for sent in direct.wire)
