"""``python -m mailru_sync emulator``: run one platform emulator in the foreground.

Once listening it prints exactly one JSON line (URL, app credentials, the primary user, a fresh
authorization code) so scripts and other languages can drive it, then serves until SIGINT or
SIGTERM and exits 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from ._server import BaseEmulator

#: The documented keys of the JSON line, per platform (app, user).
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mailru": (
        ("app_id", "private_key", "secret_key"),
        ("email", "password", "uid", "access_token", "refresh_token"),
    ),
    "ok": (
        ("app_id", "app_key", "app_secret_key"),
        ("login", "password", "uid", "access_token", "refresh_token", "session_secret_key"),
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailru_sync emulator",
        description="Run a local Mail.ru / OK.ru API emulator until interrupted.",
    )
    parser.add_argument("--platform", choices=sorted(_KEYS), default="mailru")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="API failure fraction")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _make(args: argparse.Namespace) -> BaseEmulator:
    options: dict[str, Any] = {
        "latency_ms": args.latency_ms,
        "fail_rate": args.fail_rate,
        "seed": args.seed,
    }
    if args.platform == "ok":
        from ._ok import OkEmulator

        return OkEmulator(args.host, args.port, **options)
    from ._mailru import MailruEmulator

    return MailruEmulator(args.host, args.port, **options)


def public_url(url: str) -> str:
    """The announced URL: ``localhost`` rather than ``127.0.0.1`` when bound there.

    Why: the implicit flow keeps the login in a cookie, and some cookie jars refuse cookies set
    by a bare IP address (aiohttp's default ``CookieJar`` does), so a third-party client pointed
    at ``http://127.0.0.1:PORT`` could never log in. A host name works with every client; the
    emulator answers on whichever origin the client used (its ``Host`` header).
    """
    return url.replace("://127.0.0.1:", "://localhost:", 1)


def describe(emulator: Any, platform: str) -> dict[str, Any]:
    """The JSON document announced on start-up."""
    app_keys, user_keys = _KEYS[platform]
    app = dataclasses.asdict(emulator.app)
    user = dataclasses.asdict(emulator.user)
    url = public_url(emulator.url)
    redirect_uri = emulator.redirect_uri.replace(emulator.url, url, 1)
    return {
        "platform": platform,
        "url": url,
        "app": {key: app[key] for key in app_keys},
        "user": {key: user[key] for key in user_keys},
        "code": emulator.issue_code(redirect_uri),
        "redirect_uri": redirect_uri,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0.0 <= args.fail_rate <= 1.0:
        print("--fail-rate must be within [0, 1]", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator = _make(args).start()
        except OSError as exc:
            print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        try:
            print(json.dumps(describe(emulator, args.platform), ensure_ascii=False), flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            emulator.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
