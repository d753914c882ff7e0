"""Issue 19 point 12: a proxy's 407 and a CR/LF in a session header are clear, final errors.

The proxy is a raw-socket server of ours answering 407 to everything: to ``CONNECT`` (an
https API through the proxy) and to a plain-HTTP request sent to it. Counting what reached it
shows the call was not retried.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

import mailru_sync
from mailru_sync import ConfigurationError, ProxyAuthenticationError
from tests.transport.hostile import HostileServer, Request

PROXY_PASSWORD = "pr0xy-pa55word"


def demand_credentials(conn: socket.socket, request: Request) -> None:
    conn.sendall(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
    )


def _session(base_url: str, **options: object) -> mailru_sync.TokenSession:
    return mailru_sync.TokenSession(
        423004, "0badc0de" * 4, "5ec2e75e" * 4, "deadbeef" * 4, "7",
        base_url=base_url, **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_407_names_proxy_authentication_and_is_not_retried(
    serve: Callable[..., HostileServer], scheme: str
) -> None:
    proxy = serve(demand_credentials)
    session = _session(f"{scheme}://api.example.invalid", max_retries=3)
    proxy_url = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    session.proxies = {"http": proxy_url, "https": proxy_url}
    with session, pytest.raises(ProxyAuthenticationError, match="Proxy Authentication") as caught:
        session.call("users.getInfo")
    assert len(proxy.requests) == 1
    assert caught.value.attempts == 1
    first = proxy.requests[0].line
    assert first.startswith("CONNECT " if scheme == "https" else "GET http://api.example.invalid")
    assert PROXY_PASSWORD not in str(caught.value)


@pytest.mark.parametrize("route", ["direct", "requests"])
def test_a_line_break_in_a_session_header_is_a_configuration_error(
    serve: Callable[..., HostileServer], route: str
) -> None:
    server = serve(lambda conn, request: conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n"))
    session = _session(server.url, max_retries=3)
    session.headers["X-Trace"] = "abc\r\nX-Injected: 1"
    if route == "requests":
        session.hooks["response"].append(lambda r, *args, **kwargs: None)
    with session, pytest.raises(ConfigurationError, match="header") as caught:
        session.call("users.getInfo")
    assert not isinstance(caught.value, mailru_sync.TransportError)
    assert server.requests == []
    assert "X-Injected" not in str(caught.value)
