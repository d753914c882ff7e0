"""The tasks: reads that survive a dead worker, writes that never run twice.

Reads (:func:`read`) are ``acks_late``: the message is acknowledged only after the task
returns, so a worker killed mid-read leaves it unacknowledged and Redis hands it to another
worker (at once when only a pool process died, thanks to ``task_reject_on_worker_lost``; after
``VISIBILITY_TIMEOUT`` when the whole worker or host died). Running a read twice is harmless.

Writes (:func:`post_note`) are acknowledged when they start and carry a ``write_id`` chosen by
the caller. Before calling the platform the task claims ``ok:write:<write_id>`` in Redis
(``SET NX``); a second delivery of the same write finds the claim and does not post again. The
claim is released only when the platform certainly did not run the call -- flood control
refused it, or the connection failed before the request was sent -- and then the task is
retried. Anything else leaves a record that :func:`write_status` reports: ``done`` with the
topic id, ``failed`` with the platform's error, ``unknown`` when the request was sent but its
answer was lost, or ``started`` for a write whose worker died mid-call. For the last two, look
at the user's feed before posting again: the platform may have run it.

A ``RateLimitError`` never puts a worker to sleep: the task is rescheduled with
``self.retry(countdown=...)`` and the pool process takes the next message meanwhile.
"""

from __future__ import annotations

import json
from typing import Any

from celery import Celery, Task

import mailru_sync
from mailru_sync.exceptions import RateLimitError, TransportError

from .sessions import note, session_for
from .settings import SETTINGS, redis_client

app = Celery("mailru_sync_celery_example", broker=SETTINGS.redis_url,
             backend=SETTINGS.redis_url)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # One message at a time per pool process: a worker never sits on messages it cannot run
    # yet (they would wait for its death or the visibility timeout to reach another worker).
    worker_prefetch_multiplier=1,
    # A pool process killed mid-task (OOM killer, SIGKILL): requeue its acks_late message.
    task_reject_on_worker_lost=True,
    task_track_started=True,
    result_expires=24 * 3600,
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "visibility_timeout": SETTINGS.visibility_timeout,
        # Look for messages of dead workers every second rather than every 100 s.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
)

#: How long a write's record is kept (the window in which a repeated write_id is refused).
WRITE_RECORD_SECONDS = 7 * 24 * 3600
#: Flood retries before the task gives up (countdowns double: 2, 4, 8 ... s by default).
FLOOD_RETRIES = 8


def _countdown(task: Task[Any, Any]) -> float:
    return float(SETTINGS.flood_countdown * 2 ** min(task.request.retries, 6))


@app.task(bind=True, name="ok.read", acks_late=True, max_retries=FLOOD_RETRIES)
def read(self: Task[Any, Any], uid: str, method: str, params: dict[str, Any] | None = None) -> Any:
    """Call a read-only API method for ``uid`` and return its decoded result."""
    session = session_for(uid)
    if session.is_write(method):
        raise ValueError(f"{method} changes state: use a write task such as post_note")
    try:
        return session.call(method, params)
    except RateLimitError as exc:
        raise self.retry(countdown=_countdown(self), exc=exc) from None


def _record_key(write_id: str) -> str:
    return f"ok:write:{write_id}"


def _record(write_id: str, **fields: Any) -> dict[str, Any]:
    record = {"write_id": write_id, **fields}
    redis_client().set(_record_key(write_id), json.dumps(record), ex=WRITE_RECORD_SECONDS)
    return record


def write_status(write_id: str) -> dict[str, Any] | None:
    """What became of a write: ``None`` (never started, or refused unprocessed until the
    retries ran out), or its record (``state`` is ``started``, ``done``, ``failed`` or
    ``unknown``)."""
    raw = redis_client().get(_record_key(write_id))
    return None if raw is None else dict(json.loads(raw))


@app.task(bind=True, name="ok.post_note", acks_late=False, max_retries=FLOOD_RETRIES)
def post_note(self: Task[Any, Any], uid: str, write_id: str, text: str) -> dict[str, Any]:
    """Post ``text`` to ``uid``'s feed once per ``write_id``; return the write's record."""
    claim = json.dumps({"write_id": write_id, "state": "started", "task_id": self.request.id})
    if not redis_client().set(_record_key(write_id), claim, nx=True, ex=WRITE_RECORD_SECONDS):
        existing = write_status(write_id) or {}
        return {**existing, "duplicate": True}  # never posted a second time
    try:
        topic_id = session_for(uid).call("mediatopic.post", {"attachment": note(text)})
    except RateLimitError as exc:
        # Flood control refuses a call before running it: nothing was posted, retry later.
        redis_client().delete(_record_key(write_id))
        raise self.retry(countdown=_countdown(self), exc=exc) from None
    except TransportError as exc:
        if exc.may_have_reached:  # sent, answer lost: the post may exist, a person must look
            _record(write_id, state="unknown", error=f"{type(exc).__name__}: {exc}")
            raise
        redis_client().delete(_record_key(write_id))  # never sent: safe to try again
        raise self.retry(countdown=_countdown(self), exc=exc) from None
    except mailru_sync.APIError as exc:
        _record(write_id, state="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    return _record(write_id, state="done", topic_id=str(topic_id))
