"""The Django example builds a session per request; with the shared pool its requests reuse
keep-alive connections (issue 22: 600 requests used to open 600 connections)."""

from __future__ import annotations

from types import ModuleType
from urllib.parse import parse_qs, urlsplit

from mailru_sync.testing import MailruEmulator
from tests.scale_pools.counting import on_threads
from tests.tokens.test_django_example import app

__all__ = ["app"]


def test_requests_on_threads_reuse_connections(app: ModuleType, mailru_emulator: MailruEmulator
                                               ) -> None:
    from django.test import Client

    emu = mailru_emulator
    client = Client()
    state = parse_qs(urlsplit(client.get("/login")["Location"]).query)["state"][0]
    code = emu.new_code(emu.user.uid, str(emu.app.app_id), app.REDIRECT_URI, ["stream"]).code
    assert client.get("/callback", {"code": code, "state": state}).status_code == 302
    cookies = client.cookies
    emu.drop_connections()
    before = emu.counters["connections"]
    failures: list[str] = []

    def browse() -> None:
        mine = Client()
        mine.cookies = cookies
        for _ in range(10):
            page = mine.get("/friends")
            if page.status_code != 200 or b"<li>" not in page.content:
                failures.append(f"{page.status_code} {page.content[:200]!r}")

    on_threads(4, browse)
    assert not failures
    api_calls = [r for r in emu.requests if r.path.startswith("/platform/api")]
    assert len(api_calls) >= 40 * 3  # users.getInfo + friends.get + users.getInfo per page
    # 4 threads, each page's call_many on 2 workers: at most 8 connections for 120 calls
    # (one per session, 40, before sessions shared the pool).
    assert emu.counters["connections"] - before <= 8
