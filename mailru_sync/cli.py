"""``mailru-sync`` (also ``python -m mailru_sync``): the library from a shell, for cron and ops.

JSON goes to stdout, logs and errors to stderr, and the exit code says what happened (the last
stderr line says what to do):

====  ==================================================================
0     success
1     anything else that failed
2     usage: unknown command, bad arguments, missing credentials
3     authorization: no token stored, login needed, refresh token revoked
4     the platform answered with an API error
5     transport: network, timeout, TLS
====  ==================================================================

Credentials come from flags, or environment variables (``MAILRU_APP_ID``,
``MAILRU_PRIVATE_KEY``, ``MAILRU_SECRET_KEY``, ``MAILRU_PASSWORD``; ``OK_APP_ID``,
``OK_APP_KEY``, ``OK_APP_SECRET_KEY``, ``OK_PASSWORD``). A secret given as a flag is accepted
with a warning (it shows in ``ps`` and shell history); a secret is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._redact import mask
from .exceptions import (
    APIError,
    ConfigurationError,
    Error,
    InvalidGrantError,
    OAuthError,
    SessionExpiredError,
    TransportError,
)
from .stores import FileStore, StoreError

__all__ = ["EXIT_API", "EXIT_AUTH", "EXIT_ERROR", "EXIT_OK", "EXIT_TRANSPORT", "EXIT_USAGE",
           "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_API, EXIT_TRANSPORT = 0, 1, 2, 3, 4, 5

_EPILOG = """exit codes: 0 success, 1 other failure, 2 usage, 3 authorization (log in again),
4 platform API error, 5 network/timeout/TLS"""

_ENV = {
    "mailru": {"app_id": "MAILRU_APP_ID", "private_key": "MAILRU_PRIVATE_KEY",
               "secret_key": "MAILRU_SECRET_KEY", "password": "MAILRU_PASSWORD"},
    "ok": {"app_id": "OK_APP_ID", "app_key": "OK_APP_KEY", "secret_key": "OK_APP_SECRET_KEY",
           "password": "OK_PASSWORD"},
}


class _Usage(Exception):
    """A usage problem found after parsing (missing credentials...): exit 2 with a hint."""


def _default_token_file(platform: str) -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "mailru_sync" / f"{platform}-token.json"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--platform", choices=("mailru", "ok"), default="mailru")
    common.add_argument("--base-url", help="another origin for every URL (e.g. the emulator)")
    common.add_argument("--token-file", type=Path,
                        help="where the token is kept (default: ~/.config/mailru_sync/)")
    common.add_argument("--app-id", help="application id (default: $MAILRU_APP_ID/$OK_APP_ID)")
    common.add_argument("--app-key", help="OK application key (default: $OK_APP_KEY)")
    common.add_argument("--secret-key", help="secret key (prefer $MAILRU_SECRET_KEY / "
                                             "$OK_APP_SECRET_KEY: flags show in ps)")
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help="log to stderr (-v INFO, -vv DEBUG), secrets redacted")

    parser = argparse.ArgumentParser(
        prog="mailru-sync", description="Mail.ru Platform and OK.ru APIs from the shell.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mailru-sync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    login = commands.add_parser("login", parents=[common], epilog=_EPILOG,
                                help="log in and save the token")
    login.add_argument("--user", help="the user's e-mail (Mail.ru) or login (OK)")
    login.add_argument("--grant", choices=("implicit", "password", "code"), default="implicit")
    login.add_argument("--code", help="authorization code (with --grant code)")
    login.add_argument("--redirect-uri", help="redirect URI the code was issued for")
    login.add_argument("--scope", default=None, help="permissions to ask for")

    call = commands.add_parser("call", parents=[common], epilog=_EPILOG,
                               help="call an API method with the saved token")
    call.add_argument("method", help="e.g. users.getInfo")
    call.add_argument("params", nargs="*", metavar="key=value")
    call.add_argument("--raw", action="store_true",
                      help="print the platform's error dict instead of failing")
    call.add_argument("--all", action="store_true",
                      help="page through a listing (stream.get, photos.getPhotos, ...) and print "
                           "every item as one JSON line")
    call.add_argument("--max-items", type=int, default=None, metavar="N",
                      help="with --all: stop after N items")
    call.add_argument("--page-size", type=int, default=None, metavar="N",
                      help="with --all: items per request (default: the platform's maximum)")

    token = commands.add_parser("token", parents=[common], epilog=_EPILOG,
                                help="show, refresh or forget the saved token")
    token.add_argument("action", choices=("show", "refresh", "forget"))

    commands.add_parser("emulator", add_help=False, help="run a local API emulator")
    demo = commands.add_parser("demo", epilog=_EPILOG,
                               help="run the end-to-end demo against the emulators")
    demo.add_argument("--platform", choices=("mailru", "ok", "both"), default="both")
    return parser


def _credential(args: argparse.Namespace, name: str, *, secret: bool = False) -> str:
    flag = getattr(args, name, None)
    if flag:
        if secret:
            print(f"mailru-sync: warning: --{name.replace('_', '-')} on the command line is "
                  "visible to other users (ps, shell history); prefer the environment variable",
                  file=sys.stderr)
        return str(flag)
    variable = _ENV[args.platform].get(name, "")
    value = os.environ.get(variable, "") if variable else ""
    return value


def _require(args: argparse.Namespace, name: str, *, secret: bool = False) -> str:
    value = _credential(args, name, secret=secret)
    if not value:
        variable = _ENV[args.platform].get(name, name.upper())
        raise _Usage(f"missing {name}: set ${variable} or pass --{name.replace('_', '-')}")
    return value


def _store(args: argparse.Namespace) -> FileStore:
    return FileStore(args.token_file or _default_token_file(args.platform))


def _session(args: argparse.Namespace, *, pass_error: bool = False,
             stored: bool = True) -> Any:
    """A server-server session from the app's keys, with the saved token (if ``stored``)."""
    from . import ServerSession
    from .ok import ServerSession as OkServerSession

    app_id = _require(args, "app_id")
    secret = _require(args, "secret_key", secret=True)
    options: dict[str, Any] = {"base_url": args.base_url, "pass_error": pass_error}
    if stored:
        store = _store(args)
        if store.load() is None:
            raise SessionExpiredError(
                102, f"no token saved in {store.path}; run: mailru-sync login", platform=""
            )
        options["store"] = store
    if args.platform == "mailru":
        return ServerSession(app_id, secret, "not-logged-in-yet", **options)
    return OkServerSession(app_id, _require(args, "app_key"), secret, "not-logged-in-yet",
                           **options)


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise _Usage(f"parameters are key=value, got {pair!r}")
        params[name] = value
    return params


def _login(args: argparse.Namespace) -> int:
    from . import ImplicitServerSession, PasswordServerSession
    from .ok import ImplicitSession as OkImplicit
    from .ok import PasswordSession as OkPassword

    app_id = _require(args, "app_id")
    secret = _require(args, "secret_key", secret=True)
    options: dict[str, Any] = {"base_url": args.base_url}
    if args.grant == "code":
        if not args.code:
            raise _Usage("--grant code needs --code (the code from the redirect's query)")
        session = _session(args, stored=False)
        session.fetch_token_from_code(args.code, args.redirect_uri)
    else:
        user = args.user or os.environ.get("MAILRU_USER" if args.platform == "mailru"
                                           else "OK_USER", "")
        if not user:
            raise _Usage("missing --user (the user's e-mail or login)")
        password = _credential(args, "password") or getpass.getpass(f"password for {user}: ")
        if args.platform == "mailru":
            cls = ImplicitServerSession if args.grant == "implicit" else PasswordServerSession
            session = cls(app_id, secret, user, password, args.scope, **options)
        elif args.grant == "implicit":
            session = OkImplicit(app_id, _require(args, "app_key"), secret, user, password,
                                 args.scope or "VALUABLE_ACCESS", **options)
        else:
            session = OkPassword(app_id, _require(args, "app_key"), secret, user, password,
                                 **options)
        session.authorize()
    store = _store(args)
    store.save(session.token)
    print(json.dumps({"saved": str(store.path), "access_token": mask(session.access_token)}))
    return EXIT_OK


def _call(args: argparse.Namespace) -> int:
    if not args.all and (args.max_items is not None or args.page_size is not None):
        return _fail(EXIT_USAGE, "--max-items and --page-size page a listing",
                     "add --all, or drop them")
    if args.all and args.raw:
        return _fail(EXIT_USAGE, "--all and --raw do not mix (a listing fails as a whole)",
                     "drop one of them")
    session = _session(args, pass_error=args.raw)
    params = _parse_params(args.params)
    if args.all:
        # JSON Lines: items are printed as they arrive, so a listing of any length streams
        # through `jq` or a pipe in constant memory.
        for item in session.iter(args.method, params, max_items=args.max_items,
                                 page_size=args.page_size):
            print(json.dumps(item, ensure_ascii=False), flush=False)
        sys.stdout.flush()
        return EXIT_OK
    result = session.call(args.method, params)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return EXIT_OK


def _token(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.action == "forget":
        existed = store.path.exists()
        if existed:
            store.path.unlink()
        print(json.dumps({"forgotten": existed, "path": str(store.path)}))
        return EXIT_OK
    session = _session(args)
    if args.action == "refresh":
        session.refresh()
    token = session.token
    shown = {k: (mask(v) if k in ("access_token", "refresh_token", "session_secret_key")
                 else v) for k, v in token.items()}
    print(json.dumps(shown, indent=1))
    return EXIT_OK


def _fail(code: int, message: str, advice: str) -> int:
    print(f"mailru-sync: {message}", file=sys.stderr)
    print(f"mailru-sync: {advice}", file=sys.stderr)
    return code


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except _Usage as exc:
        return _fail(EXIT_USAGE, str(exc), "see: mailru-sync COMMAND --help")
    except (SessionExpiredError, InvalidGrantError, OAuthError) as exc:
        return _fail(EXIT_AUTH, str(exc), "log in again: mailru-sync login")
    except APIError as exc:
        return _fail(EXIT_API, str(exc), "check the method name and parameters "
                                         "(--raw prints the platform's error dict)")
    except TransportError as exc:
        return _fail(EXIT_TRANSPORT, str(exc), "check the network and --base-url, then retry")
    except StoreError as exc:
        return _fail(EXIT_AUTH, str(exc), "fix or remove the token file, then log in again")
    except ConfigurationError as exc:
        return _fail(EXIT_USAGE, str(exc), "check the app's keys and options")
    except Error as exc:
        return _fail(EXIT_ERROR, str(exc), "run again with -v for details")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:  # the emulator owns its options (and --help)
        from .testing._cli import main as emulator_main

        return emulator_main(args_list[1:])
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "demo":
        from . import demo

        return int(demo.main([], platform=args.platform))
    if getattr(args, "verbose", 0):
        logging.basicConfig(
            stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s",
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
        )
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "login": _login, "call": _call, "token": _token,
    }
    return _run(handlers[args.command], args)
