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
130   interrupted (Ctrl-C); a closed pipe (``| head -1``) ends quietly with 0
====  ==================================================================

Credentials come from flags, or environment variables (``MAILRU_APP_ID``,
``MAILRU_PRIVATE_KEY``, ``MAILRU_SECRET_KEY``, ``MAILRU_PASSWORD``; ``OK_APP_ID``,
``OK_APP_KEY``, ``OK_APP_SECRET_KEY``, ``OK_PASSWORD``). A secret given as a flag is accepted
with a warning (it shows in ``ps`` and shell history); a secret is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from ._cli_output import print_json, quiet_closed_stdout
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

if TYPE_CHECKING:
    from ._session import BaseSession

__all__ = ["EXIT_API", "EXIT_AUTH", "EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TRANSPORT",
           "EXIT_USAGE", "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_API, EXIT_TRANSPORT = 0, 1, 2, 3, 4, 5
#: Ctrl-C, as shells report a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130

_EPILOG = """exit codes: 0 success, 1 other failure, 2 usage, 3 authorization (log in again),
4 platform API error, 5 network/timeout/TLS, 130 interrupted (Ctrl-C)"""

_ENV = {
    "mailru": {"app_id": "MAILRU_APP_ID", "private_key": "MAILRU_PRIVATE_KEY",
               "secret_key": "MAILRU_SECRET_KEY", "password": "MAILRU_PASSWORD"},
    "ok": {"app_id": "OK_APP_ID", "app_key": "OK_APP_KEY", "secret_key": "OK_APP_SECRET_KEY",
           "password": "OK_PASSWORD"},
}


class _Usage(Exception):
    """A usage problem found after parsing (missing credentials...): exit 2 with advice."""

    def __init__(self, message: str, advice: str = "see: mailru-sync COMMAND --help") -> None:
        super().__init__(message)
        self.advice = advice


class _NotLoggedIn(Exception):
    """No token is saved yet: a local condition, exit 3 (never a platform error code)."""


def _default_token_file(platform: str) -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "mailru_sync" / f"{platform}-token.json"


class _Parser(argparse.ArgumentParser):
    """argparse, with a last stderr line that says what to do after a usage error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        print(f"mailru-sync: see: {self.prog} --help", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command shares, accepted before the command (``mailru-sync
    --platform ok call ...``, as git and gh do) and after it. After the command their default
    is "not given", so a value given before it is not overwritten."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if after_command else value

    parser.add_argument("--platform", choices=("mailru", "ok"), default=default("mailru"))
    parser.add_argument("--base-url", default=default(None),
                        help="another origin for every URL (e.g. the emulator)")
    parser.add_argument("--token-file", type=Path, default=default(None),
                        help="where the token is kept (default: ~/.config/mailru_sync/)")
    parser.add_argument("--app-id", default=default(None),
                        help="application id (default: $MAILRU_APP_ID/$OK_APP_ID)")
    parser.add_argument("--app-key", default=default(None),
                        help="OK application key (default: $OK_APP_KEY)")
    parser.add_argument("--secret-key", default=default(None),
                        help="secret key (prefer $MAILRU_SECRET_KEY / $OK_APP_SECRET_KEY: "
                             "flags show in ps)")
    parser.add_argument("-v", "--verbose", action="count",
                        dest="verbose_after" if after_command else "verbose",
                        default=0, help="log to stderr (-v INFO, -vv DEBUG), secrets redacted")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    _add_global_options(common, after_command=True)

    parser = _Parser(
        prog="mailru-sync", description="Mail.ru Platform and OK.ru APIs from the shell.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mailru-sync {__version__}")
    _add_global_options(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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


def _session(args: argparse.Namespace, *, pass_error: bool = False) -> Any:
    """A session from the app's keys and the saved token.

    Server-server, except for an OK token saved with its own ``session_secret_key`` and no
    refresh token (``auth.login`` or the implicit flow): OK accepts the derived server secret
    only for OAuth tokens, so such a session signs with the secret it was given.
    """
    from . import ServerSession
    from .ok import ClientSession as OkClientSession
    from .ok import ServerSession as OkServerSession

    app_id = _require(args, "app_id")
    secret = _require(args, "secret_key", secret=True)
    options: dict[str, Any] = {"base_url": args.base_url, "pass_error": pass_error}
    store = _store(args)
    saved = store.load()
    if saved is None:  # a local condition: no platform error code belongs here
        raise _NotLoggedIn(f"no token saved in {store.path}")
    options["store"] = store
    if args.platform == "mailru":
        return ServerSession(app_id, secret, **options)
    app_key = _require(args, "app_key")
    if saved.get("session_secret_key") and not saved.get("refresh_token"):
        return OkClientSession(app_id, app_key, **options)
    return OkServerSession(app_id, app_key, secret, **options)


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise _Usage(f"parameters are key=value, got {pair!r}")
        params[name] = value
    return params


def _check_method(method: str) -> None:
    """Refuse a method name the platform could never know, before any key is needed."""
    parts = method.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        dotted = ".".join(method.replace(".", " ").split())
        example = dotted if "." in dotted else "users.getInfo"
        raise _Usage(f"{method!r} is not an API method name",
                     f"write it dotted, e.g. mailru-sync call {example}")


def _password(args: argparse.Namespace, user: str) -> str:
    """The password from the environment, or asked for on the terminal (never from a pipe)."""
    password = _credential(args, "password")
    if password:
        return password
    if not sys.stdin.isatty():  # cron, CI, a pipe: getpass would warn, then read EOF
        raise _Usage("no password: no terminal to ask on and none in the environment",
                     "set $MAILRU_PASSWORD (or $OK_PASSWORD) or run in a terminal")
    return getpass.getpass(f"password for {user}: ")


def _login(args: argparse.Namespace) -> int:
    from . import CodeServerSession, ImplicitServerSession, PasswordServerSession
    from .ok import CodeServerSession as OkCode
    from .ok import ImplicitSession as OkImplicit
    from .ok import PasswordSession as OkPassword

    app_id = _require(args, "app_id")
    secret = _require(args, "secret_key", secret=True)
    options: dict[str, Any] = {"base_url": args.base_url}
    session: BaseSession
    if args.grant == "code":
        if not args.code:
            raise _Usage("--grant code needs --code (the code from the redirect's query)")
        if args.platform == "mailru":
            session = CodeServerSession(app_id, secret, args.code, args.redirect_uri, **options)
        else:
            session = OkCode(app_id, _require(args, "app_key"), secret, args.code,
                             args.redirect_uri, **options)
        session.authorize()
    else:
        user = args.user or os.environ.get("MAILRU_USER" if args.platform == "mailru"
                                           else "OK_USER", "")
        if not user:
            raise _Usage("missing --user (the user's e-mail or login)")
        password = _password(args, user)
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
    print_json({"saved": str(store.path), "access_token": mask(session.access_token)})
    return EXIT_OK


def _call(args: argparse.Namespace) -> int:
    if not args.all and (args.max_items is not None or args.page_size is not None):
        return _fail(EXIT_USAGE, "--max-items and --page-size page a listing",
                     "add --all, or drop them")
    if args.all and args.raw:
        return _fail(EXIT_USAGE, "--all and --raw do not mix (a listing fails as a whole)",
                     "drop one of them")
    _check_method(args.method)
    params = _parse_params(args.params)
    session = _session(args, pass_error=args.raw)
    if args.all:
        # JSON Lines: items are printed as they arrive, so a listing of any length streams
        # through `jq` or a pipe in constant memory.
        for item in session.iter(args.method, params, max_items=args.max_items,
                                 page_size=args.page_size):
            print_json(item, lines=True)
        sys.stdout.flush()
        return EXIT_OK
    print_json(session.call(args.method, params))
    return EXIT_OK


def _token(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.action == "forget":
        existed = store.path.exists()
        if existed:
            store.path.unlink()
        print_json({"forgotten": existed, "path": str(store.path)})
        return EXIT_OK
    session = _session(args)
    if args.action == "refresh":
        session.refresh()
    token = session.token
    print_json({k: (mask(v) if k in ("access_token", "refresh_token", "session_secret_key")
                    else v) for k, v in token.items()})
    return EXIT_OK


def _fail(code: int, message: str, advice: str) -> int:
    print(f"mailru-sync: {message}", file=sys.stderr)
    print(f"mailru-sync: {advice}", file=sys.stderr)
    return code


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except _Usage as exc:
        return _fail(EXIT_USAGE, str(exc), exc.advice)
    except _NotLoggedIn as exc:
        return _fail(EXIT_AUTH, str(exc), "log in first: mailru-sync login")
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
    """The ``mailru-sync`` command: parse ``argv`` (default: ``sys.argv[1:]``), run, return the
    exit code. A closed pipe ends quietly (exit 0) and Ctrl-C exits 130 with one line, as
    command-line tools do; neither can leave a token file half-written (saves are atomic)."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        quiet_closed_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print("\nmailru-sync: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(args_list: list[str]) -> int:
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
    args.verbose += getattr(args, "verbose_after", 0)
    if args.verbose:
        logging.basicConfig(
            stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s",
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
        )
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "login": _login, "call": _call, "token": _token,
    }
    return _run(handlers[args.command], args)
