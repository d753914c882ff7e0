"""Issue 19 point 6: paging ends. Real sessions against raw-socket servers of ours that serve
scripted pages: an empty page ends a listing whatever the platform says, a cycle of any length
raises PagingError, and every request (empty pages included) counts toward a bound."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from itertools import count
from urllib.parse import parse_qsl, urlsplit

import pytest

import mailru_sync
import mailru_sync._paging as paging
import mailru_sync.ok as ok
from mailru_sync import PagingError
from tests.transport.hostile import HostileServer, Request, response

Pages = Callable[[dict[str, str]], object]


def _params(request: Request) -> dict[str, str]:
    target = request.line.split(" ")[1]
    query = urlsplit(target).query or request.body.decode()
    return dict(parse_qsl(query))


#: After this many requests the scripted platform gives in and ends the listing, so a client
#: that would walk on for ever fails an assertion instead of hanging the test run.
GIVE_IN = 50


def _server(serve: Callable[..., HostileServer], pages: Pages) -> HostileServer:
    served = count(1)

    def script(conn: socket.socket, request: Request) -> None:
        answer = pages(_params(request)) if next(served) <= GIVE_IN else []
        conn.sendall(response(body=json.dumps(answer).encode()))

    return serve(script)


def _ok(url: str) -> ok.TokenSession:
    return ok.TokenSession(
        "512000000000", "CBAPLDJGDIHBABABA", "0123456789ABCDEF0123456789ABCDEF",
        "deadbeef" * 4, "5e" * 16, base_url=url, max_retries=0,
    )


def _mailru(url: str) -> mailru_sync.TokenSession:
    return mailru_sync.TokenSession(
        423004, "0badc0de" * 4, "5ec2e75e" * 4, "deadbeef" * 4, "7", base_url=url, max_retries=0
    )


def test_an_empty_page_ends_the_listing_even_when_the_platform_says_there_is_more(
    serve: Callable[..., HostileServer],
) -> None:
    fresh = count()

    def pages(params: dict[str, str]) -> object:
        n = next(fresh)
        photos = [{"id": "p1"}, {"id": "p2"}] if n == 0 else []
        return {"photos": photos, "anchor": f"a{n}", "hasMore": True, "has_more": True}

    server = _server(serve, pages)
    with _ok(server.url) as session:
        assert [p["id"] for p in session.iter("photos.getPhotos")] == ["p1", "p2"]
    assert len(server.requests) == 2


@pytest.mark.parametrize("cycle", [2, 3, 5])
def test_an_anchor_cycle_of_any_length_raises(
    serve: Callable[..., HostileServer], cycle: int
) -> None:
    def pages(params: dict[str, str]) -> object:
        n = int(params.get("anchor", "a0")[1:])
        return {"photos": [{"id": f"p{n}"}], "anchor": f"a{(n + 1) % cycle}", "has_more": True}

    server = _server(serve, pages)
    with _ok(server.url) as session, pytest.raises(PagingError, match="anchor"):
        list(session.iter("photos.getPhotos"))
    assert len(server.requests) <= cycle + 1


@pytest.mark.parametrize("cycle", [2, 3])
def test_an_offset_page_seen_before_anywhere_raises(
    serve: Callable[..., HostileServer], cycle: int
) -> None:
    def pages(params: dict[str, str]) -> object:
        # The platform wraps around: offset k*cycle serves page 0 again, never an empty page.
        block = (int(params["offset"]) // 2) % cycle
        return [{"id": f"{block}-{i}", "text": "x"} for i in range(2)]

    server = _server(serve, pages)
    with _mailru(server.url) as session, pytest.raises(PagingError, match="same page"):
        list(session.iter("guestbook.get", {"uid": "7"}))
    assert len(server.requests) == cycle + 1


def test_a_skip_cursor_seen_before_raises(serve: Callable[..., HostileServer]) -> None:
    def pages(params: dict[str, str]) -> object:
        last = {"": "3", "3": "5", "5": "3"}[params.get("skip", "")]
        return [{"id": "x" + last}, {"id": last}]

    server = _server(serve, pages)
    with _mailru(server.url) as session, pytest.raises(PagingError):
        list(session.iter("stream.get"))
    assert len(server.requests) == 3


def test_every_request_counts_toward_the_bound(
    serve: Callable[..., HostileServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "MAX_REQUESTS", 7)
    fresh = count()

    def pages(params: dict[str, str]) -> object:  # never repeats, never ends
        n = next(fresh)
        return {"photos": [{"id": f"p{n}"}], "anchor": f"a{n}", "has_more": True}

    server = _server(serve, pages)
    with _ok(server.url) as session, pytest.raises(PagingError, match="7 requests"):
        list(session.iter("photos.getPhotos"))
    assert len(server.requests) == 7
