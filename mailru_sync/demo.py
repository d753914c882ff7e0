"""``python -m mailru_sync demo``: the library end to end against the built-in emulators.

For each platform it starts a local emulator in-process (seeded with the platforms' documented
example credentials) and shows: a signed call as the exact GET URL the upstream docs present,
its decoded result, an OAuth login through the HTML dialogs, a read surviving injected faults,
and handled API errors. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, Error, RetryPolicy
from mailru_sync._redact import mask
from mailru_sync.testing import MailruEmulator, OkEmulator

__all__ = ["main"]


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def title(self, text: str) -> None:
        print(f"\n=== {text} ===", file=self.out)

    def step(self, text: str) -> None:
        print(f"\n-- {text}", file=self.out)

    def line(self, text: str = "") -> None:
        print(f"   {text}" if text else "", file=self.out)


def _short(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show_error(p: _Printer, action: Callable[[], Any]) -> None:
    try:
        action()
    except Error as exc:
        p.line(f"caught {type(exc).__name__}: {exc}")
    else:  # pragma: no cover - the demo's errors are deterministic
        raise AssertionError("the demo expected an error here")


def _mailru(p: _Printer) -> None:
    with MailruEmulator() as emu:
        p.title(f"Mail.ru Platform — emulator at {emu.url}")
        app, user = emu.app, emu.user
        session = mailru_sync.TokenSession(
            app.app_id, app.private_key, "", user.access_token, user.uid, base_url=emu.url
        )
        api = API(session)

        p.step("A signed call (client-server circuit), as the documentation presents it")
        prepared = session.prepare_call("friends.get")
        p.line(f"{prepared.method} {prepared.url}")
        p.line("sig = md5(uid + sorted k=v pairs + private_key); the private key is never sent")
        friends = api.friends.get()
        p.line(f"decoded result: {len(friends)} friends, first {_short(friends[:3])}")
        me = api.users.getInfo(uids=user.uid)[0]
        p.line(f"users.getInfo: {me['first_name']} {me['last_name']} <{me['email']}>")

        p.step("Server-server circuit (secure=1, signed with the secret key)")
        server = mailru_sync.ServerSession(app.app_id, app.secret_key, user.access_token,
                                           base_url=emu.url)
        p.line(f"{server.prepare_call('friends.get').url}")
        feed = API(server).stream.get(limit=3)
        p.line(f"stream.get(limit=3): {len(feed)} events, newest id {feed[0]['id']}")

        p.step("OAuth: ImplicitSession logs in through the HTML login and consent pages")
        with mailru_sync.ImplicitSession(
            app.app_id, app.private_key, app.secret_key, user.email, user.password,
            mailru_sync.full_scope(), base_url=emu.url,
        ) as implicit:
            p.line(f"uid={implicit.uid} session_key={mask(implicit.session_key)!r} "
                   f"expires_in={implicit.expires_in} circuit={implicit.circuit}")
            p.line(f"{implicit!r}")
            post = API(implicit).stream.post(text="Привет из mailru_sync 👋")
            p.line(f"stream.post (a write, sent as form POST once): {_short(post)}")

        p.step("Faults: two 503s and a reset, survived by a read with backoff")
        retrying = mailru_sync.TokenSession(
            app.app_id, app.private_key, "", user.access_token, user.uid, base_url=emu.url,
            max_retries=RetryPolicy(total=3, backoff_factor=0.05),
        )
        emu.fail_next(2, kind="503")
        emu.fail_next(1, kind="reset")
        count = API(retrying).events.getNewCount()
        p.line(f"events.getNewCount -> {count} after {emu.counters['faults_injected']} "
               "injected faults")

        p.step("Handled API errors")
        wrong = mailru_sync.ServerSession(app.app_id, "0" * 32, user.access_token,
                                          base_url=emu.url)
        _show_error(p, lambda: API(wrong).friends.get())
        _show_error(p, lambda: api.friends.nosuchmethod())
        raw = mailru_sync.ServerSession(app.app_id, "0" * 32, user.access_token,
                                        base_url=emu.url, pass_error=True)
        p.line(f"with pass_error=True: {API(raw).friends.get()}")


def _ok(p: _Printer) -> None:
    with OkEmulator() as emu:
        p.title(f"OK.ru — emulator at {emu.url}")
        app, user = emu.app, emu.user
        session = ok.TokenSession(
            app.app_id, app.app_key, "", user.access_token, user.session_secret_key,
            base_url=emu.url,
        )
        api = ok.API(session)

        p.step("A signed call (client-server circuit), as the documentation presents it")
        prepared = session.prepare_call("events.get")
        p.line(f"{prepared.method} {prepared.url}")
        p.line("sig = md5(sorted k=v pairs without access_token + session_secret_key)")
        events = api.events.get()
        p.line(f"decoded result: {_short(events)}")
        me = api.users.getCurrentUser()
        p.line(f"users.getCurrentUser: {me.get('name')} (uid {me.get('uid')})")

        p.step("OAuth: ImplicitSession logs in through the HTML login and permissions pages")
        with ok.ImplicitSession(
            app.app_id, app.app_key, app.app_secret_key, user.login, user.password,
            "VALUABLE_ACCESS;PHOTO_CONTENT", base_url=emu.url,
        ) as implicit:
            p.line(f"access_token={mask(implicit.access_token)!r} "
                   f"permissions_granted={implicit.permissions_granted!r} "
                   f"circuit={implicit.circuit}")
            photos = ok.API(implicit).photos.getPhotos(count=5)
            p.line(f"photos.getPhotos(count=5): {len(photos['photos'])} photos, "
                   f"has_more={photos.get('has_more')}")
            topic = ok.API(implicit).mediatopic.post(
                type="USER", attachment={"media": [{"type": "text", "text": "Привет, OK!"}]}
            )
            p.line(f"mediatopic.post (JSON attachment, one form POST): topic {topic!r}")

        p.step("Flood control, then handled errors")
        emu.flood_next(1)
        _show_error(p, lambda: api.users.getCurrentUser())
        waiting = ok.TokenSession(
            app.app_id, app.app_key, "", user.access_token, user.session_secret_key,
            base_url=emu.url, retry_on_flood=2, flood_wait=0.05,
        )
        emu.flood_next(1)
        p.line(f"with retry_on_flood=2: {_short(ok.API(waiting).users.getCurrentUser(), 60)}")
        bad = ok.ClientSession(app.app_id, app.app_key, user.access_token, "0" * 32,
                               base_url=emu.url)
        _show_error(p, lambda: ok.API(bad).events.get())
        raw = ok.ClientSession(app.app_id, app.app_key, user.access_token, "0" * 32,
                               base_url=emu.url, pass_error=True)
        p.line(f"with pass_error=True: {ok.API(raw).events.get()}")


def main(
    argv: list[str] | None = None, out: TextIO | None = None, *, platform: str = "both"
) -> int:
    """Run the demo (``platform``: ``mailru``, ``ok`` or ``both``); returns the exit code."""
    p = _Printer(out or sys.stdout)
    started = time.monotonic()
    shown = "both platforms" if platform == "both" else platform
    print(f"mailru_sync demo: {shown} against local emulators (no network)", file=p.out)
    try:
        if platform in ("mailru", "both"):
            _mailru(p)
        if platform in ("ok", "both"):
            _ok(p)
    except Error as exc:
        print(f"\ndemo failed: {type(exc).__name__}: {exc}", file=p.out)
        return 1
    print(f"\nDone in {time.monotonic() - started:.1f} s.", file=p.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
