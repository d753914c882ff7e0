"""OK.ru calls from Celery workers on Redis, for work that outgrows one process or host.

One Redis serves as the broker, the result backend, each user's token store
(``RedisStore``, key ``ok:token:<uid>``) and the app's one rate limiter (``RedisRateLimiter``,
key ``ok:rate:<app id>``). See ``docs/celery.rst`` for why reads are ``acks_late`` and writes are
never retried blindly.

Run against the emulator (from the repository root, after ``pip install -e '.[test]'``)::

    redis-server --port 6379 &
    python -m mailru_sync emulator --platform ok --port 8081 &
    export REDIS_URL=redis://localhost:6379/0 OK_BASE_URL=http://localhost:8081 OK_RATE=5
    celery -A examples.celery_app worker --pool=prefork --concurrency=2 --loglevel=INFO

Against the real platform, leave ``OK_BASE_URL`` unset and set ``OK_APP_ID``, ``OK_APP_KEY`` and
``OK_APP_SECRET_KEY``. Then, from Python, with ``session`` a logged-in ``mailru_sync.ok``
session for user ``uid`` (the sample of docs/celery.rst, which the tests run)::

    from examples.celery_app import post_note, read, save_login, write_status

    save_login(uid, session.token)  # once, after the user's OAuth login
    me = read.delay(uid, "users.getCurrentUser").get(timeout=30)
    outcome = post_note.delay(uid, f"welcome-{uid}", "Hello from Celery").get(timeout=30)
    print(me["uid"] == uid, outcome["state"], write_status(f"welcome-{uid}")["state"])

Celery is needed by this example only (it is in the ``test`` extra), never by mailru_sync.
"""

from __future__ import annotations

from .sessions import save_login, session_for, store_for
from .settings import SETTINGS
from .tasks import app, post_note, read, write_status

__all__ = [
    "SETTINGS",
    "app",
    "post_note",
    "read",
    "save_login",
    "session_for",
    "store_for",
    "write_status",
]
