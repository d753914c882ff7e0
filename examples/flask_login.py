""""Log in with Mail.ru / OK" for a Flask site: the authorization-code flow with mailru_sync.

The flow, for either platform:

1. ``/login/<platform>`` stores a random ``state`` in the Flask session and redirects the user's
   browser to the platform's authorization URL (``session.authorization_url(...)``).
2. The user logs in and consents on the platform, which redirects the browser to
   ``/callback?code=...&state=...`` (the redirect URI registered for your app).
3. ``/callback`` checks ``state``, exchanges the single-use code with a ``CodeServerSession``
   (``with ... as session:`` authorizes on entry) and calls the API on the user's behalf.

Tokens never go into the Flask session (a signed, *readable* cookie): persist them server-side,
e.g. with the sessions' ``token_updater`` option. Only the user's id and name are kept here.

Settings come from arguments or environment variables (a platform is enabled when its app id
is set)::

    MAILRU_APP_ID, MAILRU_SECRET_KEY, MAILRU_BASE_URL
    OK_APP_ID, OK_APP_KEY, OK_APP_SECRET_KEY, OK_BASE_URL
    OAUTH_REDIRECT_URI (default http://localhost:5000/callback), FLASK_SECRET_KEY

``*_BASE_URL`` is unset for the real platforms; point it at the emulator to try everything
locally::

    python -m mailru_sync emulator --platform mailru     # prints its url and app keys
    MAILRU_APP_ID=423004 MAILRU_SECRET_KEY=3dad9cbf9baaa0360c0f2ba372d25716 \\
    MAILRU_BASE_URL=http://127.0.0.1:PORT python examples/flask_login.py

Flask is needed for this example only (it is in the ``test`` extra), not by mailru_sync.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from html import escape
from typing import Any

from flask import Flask, redirect, request, session, url_for
from werkzeug.wrappers import Response

import mailru_sync
import mailru_sync.ok

__all__ = ["MailruSettings", "OkSettings", "create_app"]

DEFAULT_REDIRECT_URI = "http://localhost:5000/callback"


@dataclass(frozen=True)
class MailruSettings:
    """A Mail.ru site app: its id and secret key (the code grant's client_secret)."""

    app_id: str
    secret_key: str
    base_url: str | None = None
    scope: str = ""


@dataclass(frozen=True)
class OkSettings:
    """An OK app: id, public key and secret key."""

    app_id: str
    app_key: str
    app_secret_key: str
    base_url: str | None = None
    scope: str = "VALUABLE_ACCESS"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def settings_from_env() -> tuple[MailruSettings | None, OkSettings | None]:
    """The platforms configured by environment variables (see the module docstring)."""
    mailru = None
    if _env("MAILRU_APP_ID"):
        mailru = MailruSettings(
            app_id=os.environ["MAILRU_APP_ID"],
            secret_key=os.environ.get("MAILRU_SECRET_KEY", ""),
            base_url=_env("MAILRU_BASE_URL"),
        )
    ok = None
    if _env("OK_APP_ID"):
        ok = OkSettings(
            app_id=os.environ["OK_APP_ID"],
            app_key=os.environ.get("OK_APP_KEY", ""),
            app_secret_key=os.environ.get("OK_APP_SECRET_KEY", ""),
            base_url=_env("OK_BASE_URL"),
        )
    return mailru, ok


def _page(title: str, body: str, status: int = 200) -> tuple[str, int]:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>",
        status,
    )


def create_app(
    mailru: MailruSettings | None = None,
    ok: OkSettings | None = None,
    *,
    redirect_uri: str | None = None,
    secret_key: str | None = None,
) -> Flask:
    """A Flask app offering "log in with Mail.ru / OK". Without settings, reads the environment."""
    if mailru is None and ok is None:
        mailru, ok = settings_from_env()
    callback_uri = redirect_uri or _env("OAUTH_REDIRECT_URI") or DEFAULT_REDIRECT_URI
    app = Flask(__name__)
    app.secret_key = secret_key or _env("FLASK_SECRET_KEY") or secrets.token_hex(32)

    def authorization_url(platform: str, state: str) -> str:
        if platform == "mailru" and mailru is not None:
            with mailru_sync.MailruSession(
                mailru.app_id, "", mailru.secret_key, base_url=mailru.base_url
            ) as platform_session:
                return platform_session.authorization_url(
                    callback_uri, scope=mailru.scope, state=state
                )
        if platform == "ok" and ok is not None:
            with mailru_sync.ok.OkSession(
                ok.app_id, ok.app_key, ok.app_secret_key, base_url=ok.base_url
            ) as platform_session:
                return platform_session.authorization_url(callback_uri, scope=ok.scope,
                                                          state=state)
        raise LookupError(platform)

    def fetch_user(platform: str, code: str) -> dict[str, Any]:
        """Exchange the code and ask the platform who the user is."""
        if platform == "mailru" and mailru is not None:
            with mailru_sync.CodeServerSession(
                mailru.app_id, mailru.secret_key, code, callback_uri, base_url=mailru.base_url
            ) as api_session:
                info = mailru_sync.API(api_session).users.getInfo()[0]
                name = f"{info.get('first_name', '')} {info.get('last_name', '')}".strip()
                return {"uid": str(info["uid"]), "name": name or str(info["uid"])}
        if platform == "ok" and ok is not None:
            with mailru_sync.ok.CodeServerSession(
                ok.app_id, ok.app_key, ok.app_secret_key, code, callback_uri,
                base_url=ok.base_url,
            ) as api_session:
                me = mailru_sync.ok.API(api_session).users.getCurrentUser()
                return {"uid": str(me["uid"]), "name": str(me.get("name") or me["uid"])}
        raise LookupError(platform)

    enabled = [name for name, cfg in (("mailru", mailru), ("ok", ok)) if cfg is not None]

    @app.get("/")
    def index() -> tuple[str, int]:
        user = session.get("user")
        if user:
            return _page(f"Hello, {user['name']}", f"<p>{escape(user['platform'])} user "
                         f"{escape(user['uid'])}</p>")
        links = "".join(
            f"<p><a href='{url_for('login', platform=name)}'>Log in with {name}</a></p>"
            for name in enabled
        )
        return _page("Log in", links)

    @app.get("/login/<platform>")
    def login(platform: str) -> Response | tuple[str, int]:
        if platform not in enabled:
            return _page("Unknown platform", "", 404)
        state = secrets.token_urlsafe(16)
        session["oauth"] = {"state": state, "platform": platform}
        return redirect(authorization_url(platform, state))

    @app.get("/callback")
    def callback() -> Response | tuple[str, int]:
        pending = session.pop("oauth", None)
        if not pending or request.args.get("state") != pending.get("state"):
            # Not a redirect we started (or replayed): possible request forgery.
            return _page("Login failed", "<p>Invalid or missing state; start again.</p>", 400)
        if request.args.get("error"):
            reason = request.args.get("error_description") or request.args["error"]
            return _page("Login cancelled", f"<p>{escape(reason)}</p>", 403)
        code = request.args.get("code", "")
        if not code:
            return _page("Login failed", "<p>No authorization code.</p>", 400)
        platform = str(pending["platform"])
        try:
            user = fetch_user(platform, code)
        except mailru_sync.OAuthError as exc:
            return _page("Login failed", f"<p>{escape(str(exc))}</p>", 400)
        except mailru_sync.Error as exc:
            return _page("Platform error", f"<p>{escape(str(exc))}</p>", 502)
        session["user"] = {**user, "platform": platform}
        return redirect(url_for("index"))

    @app.get("/logout")
    def logout() -> Response:
        session.clear()
        return redirect(url_for("index"))

    return app


if __name__ == "__main__":
    create_app().run(host="localhost", port=5000)
