"""``python -m mailru_sync emulator control``: drive a running emulator from a shell.

Each subcommand is one ``POST /__emulator/<command>`` (see ``_control``) and prints the JSON
answer on stdout.  Exit codes: 0 done, 2 usage (bad flags, no URL or control token), 1 anything
else (emulator unreachable, token refused, unknown access token...), with a last stderr line that
says what to do.

Where the emulator is: ``--url`` / ``--control-token``, else the environment
(``MAILRU_SYNC_EMULATOR_URL``, ``MAILRU_SYNC_EMULATOR_CONTROL_TOKEN``), else the start-up JSON line
saved to a file (``--from FILE`` or ``MAILRU_SYNC_EMULATOR_INFO``), e.g.
``python -m mailru_sync emulator > emu.json &``.  Tokens given as ``-`` are read from stdin, so
they need not appear in ``ps`` output or shell history.

Only the standard library is used (``urllib``): like the emulator, this stays independent of the
client library it helps to test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from ._control import CONTROL_PREFIX
from ._faults import FAULT_KINDS, FAULT_SCOPES

__all__ = ["ENV_INFO", "ENV_TOKEN", "ENV_URL", "main"]

ENV_URL = "MAILRU_SYNC_EMULATOR_URL"
ENV_TOKEN = "MAILRU_SYNC_EMULATOR_CONTROL_TOKEN"
ENV_INFO = "MAILRU_SYNC_EMULATOR_INFO"

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

_EPILOG = f"""\
The emulator is found through --url/--control-token, else ${ENV_URL} and ${ENV_TOKEN},
else its start-up JSON line saved in a file (--from FILE or ${ENV_INFO}).
A TOKEN given as "-" is read from stdin.

exit codes: 0 done, 2 usage, 1 failure (unreachable, token refused, unknown token, ...)

examples:
  python -m mailru_sync emulator --port 8080 > emu.json &
  python -m mailru_sync emulator control --from emu.json expire-token --all
  python -m mailru_sync emulator control --from emu.json fail-next -n 2 --kind 503 --scope oauth
  python -m mailru_sync emulator control --from emu.json counters
"""


class _Failure(Exception):
    """The command could not be done; ``str()`` is the actionable last stderr line."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailru_sync emulator control",
        description="Drive a running emulator: expire tokens, revoke refresh tokens, queue "
        "faults, move its clock, read counters, reset.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help=f"the emulator's URL (or ${ENV_URL})")
    parser.add_argument(
        "--control-token",
        help=f"the control token of the start-up line; prefer ${ENV_TOKEN} or --from, "
        "since flags are visible to other local users",
    )
    parser.add_argument(
        "--from",
        dest="info",
        metavar="FILE",
        help=f"a file holding the emulator's start-up JSON line (or ${ENV_INFO})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    expire = commands.add_parser("expire-token", help="make an access token answer 'expired'")
    expire.add_argument("token", nargs="?", metavar="TOKEN", help='the access token, or "-"')
    expire.add_argument("--all", action="store_true", help="every token issued so far")

    revoke = commands.add_parser("revoke-refresh-token", help="forget a refresh token")
    revoke.add_argument(
        "refresh_token", nargs="?", metavar="REFRESH_TOKEN", help='the token, or "-"'
    )

    fail = commands.add_parser("fail-next", help="queue faults for the next requests")
    fail.add_argument("-n", type=int, default=1, help="how many requests (default 1)")
    fail.add_argument("--kind", choices=sorted(FAULT_KINDS), default="503")
    fail.add_argument(
        "--scope",
        choices=sorted(FAULT_SCOPES),
        default="api",
        help="api calls (default), oauth = every other path (login, dialogs, token), or all",
    )
    fail.add_argument("--retry-after", type=float, help="Retry-After of a 502/503/504")
    fail.add_argument("--seconds", type=float, default=0.0, help="duration of a 'hang'")

    flood = commands.add_parser("flood-next", help="the next API calls get the flood error")
    flood.add_argument("-n", type=int, default=1, help="how many API calls (default 1)")
    flood.add_argument("--code", type=int, help="another error code than the platform's")

    advance = commands.add_parser("advance-time", help="move the emulator clock forward")
    advance.add_argument("seconds", type=float, metavar="SECONDS")

    commands.add_parser("counters", help="print the counters and the pending faults")
    commands.add_parser("reset", help="back to the seeded state (the port is kept)")
    return parser


#: Commands taking one token (their argument's dest): OK's tokens start with "-s-" / "-r-",
#: which argparse takes for an unknown option, so a lone leftover becomes the token.
_TOKEN_COMMANDS = {"expire-token": "token", "revoke-refresh-token": "refresh_token"}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    dest = _TOKEN_COMMANDS.get(args.command)
    if extra:
        if dest is None or len(extra) != 1 or getattr(args, dest) is not None:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        setattr(args, dest, extra[0])
    if args.command == "expire-token" and (args.token is None) == (not args.all):
        parser.error("expire-token needs either TOKEN or --all")
    if args.command == "revoke-refresh-token" and args.refresh_token is None:
        parser.error("revoke-refresh-token needs REFRESH_TOKEN")
    return args


def _secret_arg(value: str, what: str) -> str:
    """A token from the command line, or from stdin when given as ``-``."""
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise _Failure(f"no {what} on stdin", EXIT_USAGE)
    return line


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON body of the command (names as the endpoint expects them)."""
    if args.command == "expire-token":
        if args.all:
            return {"all": True}
        return {"token": _secret_arg(args.token, "access token")}
    if args.command == "revoke-refresh-token":
        return {"refresh_token": _secret_arg(args.refresh_token, "refresh token")}
    if args.command == "fail-next":
        body: dict[str, Any] = {"n": args.n, "kind": args.kind, "scope": args.scope}
        if args.retry_after is not None:
            body["retry_after"] = args.retry_after
        if args.seconds:
            body["seconds"] = args.seconds
        return body
    if args.command == "flood-next":
        return {"n": args.n} if args.code is None else {"n": args.n, "code": args.code}
    if args.command == "advance-time":
        return {"seconds": args.seconds}
    return {}


def _read_info(path: str) -> dict[str, Any]:
    """The start-up line from a file (the first line that is a JSON object with ``url``)."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as exc:
        raise _Failure(
            f"cannot read the emulator's start-up line from {path}: {exc.strerror}"
        ) from None
    for line in lines:
        try:
            info = json.loads(line)
        except ValueError:
            continue
        if isinstance(info, dict) and "url" in info:
            return info
    raise _Failure(
        f"{path} holds no emulator start-up line; save the stdout of "
        "'python -m mailru_sync emulator' there"
    )


def _locate(args: argparse.Namespace) -> tuple[str, str]:
    """(control base URL, control token) from flags, then environment, then the info file."""
    url = args.url or os.environ.get(ENV_URL, "")
    token = args.control_token or os.environ.get(ENV_TOKEN, "")
    if args.control_token:
        print(
            f"warning: --control-token is visible to other local users; prefer ${ENV_TOKEN}",
            file=sys.stderr,
        )
    info_path = args.info or os.environ.get(ENV_INFO, "")
    if (not url or not token) and info_path:
        info = _read_info(info_path)
        control = info.get("control")
        if not isinstance(control, dict):
            control = {}
        url = url or str(control.get("url") or info.get("url") or "")
        token = token or str(control.get("token") or "")
    if not url:
        raise _Failure(f"no emulator URL: give --url, ${ENV_URL} or --from FILE", EXIT_USAGE)
    if not token:
        raise _Failure(
            f"no control token: give ${ENV_TOKEN} or --from FILE (the emulator's start-up "
            "line holds it as control.token)",
            EXIT_USAGE,
        )
    if not url.startswith(("http://", "https://")):
        raise _Failure(f"the emulator URL must start with http:// or https://: {url}", EXIT_USAGE)
    base = url.rstrip("/")
    suffix = CONTROL_PREFIX.rstrip("/")
    if not base.endswith(suffix):
        base += suffix
    return base, token


def _post(base: str, token: str, command: str, body: dict[str, Any], timeout: float) -> Any:
    request = urllib.request.Request(
        f"{base}/{command}",
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    origin = base[: -len(CONTROL_PREFIX.rstrip("/"))]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise _Failure(_refusal(exc, origin)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Failure(
            f"cannot reach the emulator at {origin} ({reason}); is it running? "
            "Start it with: python -m mailru_sync emulator"
        ) from None
    except ValueError:
        raise _Failure(
            f"{origin} answered something that is not JSON; is it the emulator?"
        ) from None


def _refusal(exc: urllib.error.HTTPError, origin: str) -> str:
    """The last stderr line for a refused command (the endpoint's own message when it has one)."""
    try:
        detail = str(json.loads(exc.read().decode("utf-8")).get("error", ""))
    except (ValueError, AttributeError, OSError):
        detail = ""
    if exc.code == 401:
        return (
            f"the emulator at {origin} refused the control token; use the control.token of "
            "its start-up line (it changes with every start)"
        )
    if exc.code == 404 and not detail:
        return f"{origin} has no control endpoint; is it a mailru_sync emulator?"
    return f"the emulator refused the command (HTTP {exc.code}): {detail or exc.reason}"


def main(argv: list[str] | None = None) -> int:
    """Run one control command; see the module doc for the exit codes."""
    args = _parse(argv)
    try:
        body = _arguments(args)
        base, token = _locate(args)
        answer = _post(base, token, args.command, body, args.timeout)
    except _Failure as exc:
        print(f"emulator control: {exc}", file=sys.stderr)
        return exc.code
    if isinstance(answer, dict):
        answer.pop("ok", None)
    print(json.dumps(answer, ensure_ascii=False, sort_keys=True))
    return EXIT_OK
