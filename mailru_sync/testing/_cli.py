"""``python -m mailru_sync emulator``: run one platform emulator in the foreground.

Once listening it prints exactly one JSON line (URL, app credentials, the primary user, a fresh
authorization code, the control endpoint and its token) so scripts and other languages can drive
it, then serves until SIGINT or SIGTERM and exits 0.  ``python -m mailru_sync emulator control``
drives a running one (see ``_control_cli``).
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

from ._control import CONTROL_PREFIX
from ._faults import FAULT_SCOPES
from ._messages import check_redirect_uri
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


_EPILOG = """\
Once listening, one JSON line goes to stdout: url, app, user, code, redirect_uri,
redirect_uris, control (url and token of the control endpoint). To drive a running emulator
(expire a token, revoke a refresh token, queue faults, move its clock, read counters, reset):
  python -m mailru_sync emulator control --help
"""


def _redirect_uri(text: str) -> str:
    try:
        return check_redirect_uri(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError("must be > 0 seconds")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailru_sync emulator",
        description="Run a local Mail.ru / OK.ru API emulator until interrupted.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--platform", choices=sorted(_KEYS), default="mailru")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="failure fraction in [0, 1]")
    parser.add_argument(
        "--fail-paths",
        choices=sorted(FAULT_SCOPES),
        default="api",
        help="where --fail-rate applies: API calls (default), the OAuth and login pages and "
        "token endpoints, or all",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        type=_redirect_uri,
        default=[],
        metavar="URL",
        help="register a callback URL with the app, e.g. http://localhost:8000/callback "
        "(repeatable; matched without its query)",
    )
    parser.add_argument(
        "--token-ttl", type=_seconds, default=86400.0, help="access token lifetime (s)"
    )
    parser.add_argument(
        "--code-ttl", type=_seconds, default=600.0, help="authorization code lifetime (s)"
    )
    parser.add_argument("--seed", type=int, default=0)
    secrets = parser.add_mutually_exclusive_group()
    secrets.add_argument(
        "--strict-session-secrets",
        dest="strict_session_secrets",
        action="store_true",
        default=None,
        help="OK only (the default): auth.login sessions accept only signatures made with "
        "their own session_secret_key (md5(session_key + app_secret_key) is refused there)",
    )
    secrets.add_argument(
        "--lax-session-secrets",
        dest="strict_session_secrets",
        action="store_false",
        help="OK only: auth.login sessions also accept md5(session_key + app_secret_key)",
    )
    return parser


def _make(args: argparse.Namespace) -> BaseEmulator:
    options: dict[str, Any] = {
        "latency_ms": args.latency_ms,
        "fail_rate": args.fail_rate,
        "fail_scope": args.fail_paths,
        "seed": args.seed,
        "token_ttl": args.token_ttl,
        "code_ttl": args.code_ttl,
        "redirect_uris": args.redirect_uri,
    }
    if args.platform == "ok":
        from ._ok import OkEmulator

        return OkEmulator(
            args.host,
            args.port,
            strict_session_secrets=args.strict_session_secrets is not False,
            **options,
        )
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
        "redirect_uris": list(emulator.extra_redirect_uris),
        "control": {
            "url": url + CONTROL_PREFIX.rstrip("/"),
            "token": emulator.control_token,
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run an emulator (exit 0 on SIGINT/SIGTERM), or ``control ...`` a running one."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["control"]:
        from ._control_cli import main as control_main

        return control_main(argv[1:])
    args = _parser().parse_args(argv)
    if not 0.0 <= args.fail_rate <= 1.0:
        print("--fail-rate must be within [0, 1]", file=sys.stderr)
        return 2
    if args.strict_session_secrets is not None and args.platform != "ok":
        print("--strict-session-secrets and --lax-session-secrets apply to --platform ok only",
              file=sys.stderr)
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
