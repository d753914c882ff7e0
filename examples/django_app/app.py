""""Log in with Mail.ru" for a Django site, with each user's token kept in a store.

A whole Django project in one module (settings, views, URLs), to show the three steps:

* ``/login``: a :class:`mailru_sync.MailruSession` (the app's keys, no code yet) makes the
  authorization URL; its random ``state`` goes into the user's Django session.
* ``/callback``: ``code_from_callback`` checks ``state`` and the user's answer, the code is
  exchanged for tokens, and the token is saved in that user's store (never in the cookie).
* ``/friends``: a ``ServerSession`` built from the user's store for this request calls the
  API, and is closed when the view returns. When the access token expires, the session
  refreshes it and saves the new one: the view never notices. Two independent calls go out
  together with ``api.call_many``.

A session per request is cheap: every session with the same transport settings shares one
process-wide connection pool, so a server's threads reuse a few keep-alive connections (at most
one per thread) instead of opening one (a TLS handshake) per request, and a closed session
leaves no socket behind. Keep ``pool_maxsize`` (32 by default) at least the number of threads.

Stores are one ``FileStore`` per user under ``TOKEN_DIR``; with several hosts use
``RedisStore(redis_client, f"mailru:token:{uid}")`` instead: nothing else changes.

Run against the emulator::

    python -m mailru_sync emulator --platform mailru   # note its URL
    MAILRU_BASE_URL=http://localhost:PORT python examples/django_app/app.py runserver 8000

Django is needed by this example only (it is in the ``test`` extra), not by mailru_sync.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import closing
from html import escape
from pathlib import Path

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path

import mailru_sync
from mailru_sync.stores import FileStore

APP_ID = os.environ.get("MAILRU_APP_ID", "423004")
SECRET_KEY = os.environ.get("MAILRU_SECRET_KEY", "3dad9cbf9baaa0360c0f2ba372d25716")
BASE_URL = os.environ.get("MAILRU_BASE_URL") or None
REDIRECT_URI = os.environ.get("OAUTH_REDIRECT_URI", "http://localhost:8000/callback")
TOKEN_DIR = Path(os.environ.get("TOKEN_DIR") or tempfile.mkdtemp(prefix="mailru-tokens-"))

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "change-me-" + os.urandom(8).hex()),
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        INSTALLED_APPS=["django.contrib.sessions"],
        # Signed cookies hold only the state and the user id: no database needed here.
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    )
    django.setup()


def store_for(uid: str) -> FileStore:
    """The user's token store (uids are digits; anything else never reaches the disk)."""
    if not re.fullmatch(r"\d+", uid):
        raise ValueError("unexpected user id")
    return FileStore(TOKEN_DIR / f"{uid}.json")


def login(request: HttpRequest) -> HttpResponse:
    web = mailru_sync.MailruSession(APP_ID, secret_key=SECRET_KEY, base_url=BASE_URL)
    url = web.authorization_url(REDIRECT_URI, "stream")
    request.session["oauth_state"] = web.oauth_state
    return HttpResponseRedirect(url)


def callback(request: HttpRequest) -> HttpResponse:
    web = mailru_sync.MailruSession(APP_ID, secret_key=SECRET_KEY, base_url=BASE_URL)
    try:
        code = web.code_from_callback(request.build_absolute_uri(),
                                      state=request.session.pop("oauth_state", ""))
        token = web.fetch_token_from_code(code, REDIRECT_URI)
    except mailru_sync.OAuthError as exc:
        return HttpResponse(f"Login failed: {escape(str(exc))}", status=403)
    uid = str(token.get("x_mailru_vid", ""))
    store_for(uid).save(web.token)
    request.session["uid"] = uid
    return HttpResponseRedirect("/friends")


def friends(request: HttpRequest) -> HttpResponse:
    uid = request.session.get("uid")
    if not uid:
        return HttpResponseRedirect("/login")
    # One session per request: it leases the shared pool, and close() gives it back.
    with closing(mailru_sync.ServerSession(APP_ID, SECRET_KEY, base_url=BASE_URL,
                                           store=store_for(uid))) as session:
        api = mailru_sync.API(session)
        try:
            me, friend_ids = api.call_many(
                [("users.getInfo", None), ("friends.get", None)], raise_errors=True)
            people = api.users.getInfo(uids=friend_ids[:10]) if friend_ids else []
        except (mailru_sync.SessionExpiredError, mailru_sync.InvalidGrantError):
            return HttpResponseRedirect("/login")  # refresh impossible: log in again
    name = escape(me[0].get("first_name", "")) if me else ""
    items = "".join(f"<li>{escape(p.get('first_name', ''))} {escape(p.get('last_name', ''))}"
                    f"</li>" for p in people)
    return HttpResponse(f"<h1>{name}: your friends</h1><ul>{items}</ul>")


urlpatterns = [path("login", login), path("callback", callback), path("friends", friends)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
