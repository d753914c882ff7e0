"""What every Mail.ru method handler shares: errors, signatures, the call context, paging.

Handlers see an already authenticated call (:class:`CallContext`); signature, session and the
method lookup happen in ``_mailru.py``.  Each privileged handler validates its parameters first and
then calls :meth:`CallContext.authorize`, so a bad parameter answers 100 before a missing
privilege answers 200 (the documented order of checks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._mailru_world import (
    Event,
    MailruWorld,
    Person,
)
from ._multipart import Upload

#: The official texts of the common error table (protocol-notes §1.5).
ERROR_MESSAGES: dict[int, str] = {
    1: "Unknown error: Please resubmit the request.",
    2: "Unknown method called.",
    3: "Service Unavailable. Please try again later.",
    4: "Method is deprecated.",
    100: "One of the parameters specified is missing or invalid.",
    102: "User authorization failed: the session key or uid is incorrect.",
    103: "Application lookup failed: the application id is not correct.",
    104: "Incorrect signature.",
    105: "Application is not installed for this user.",
    200: "Permission error: the application does not have permission to perform this action.",
    202: "Access to this object is denied",
    # rb-mailru-api maps 501 to IncorrectImageError; the official text is unknown.
    501: "Incorrect image.",
}

MAX_LIMIT = 100
MAX_TEXT = 5000


class ApiError(Exception):
    """An error envelope to answer; ``detail`` only goes to the X-Emulator-Detail header."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def signature_base(params: dict[str, str]) -> str:
    """Sorted ``k=v`` pairs concatenated without separators (raw, decoded values)."""
    return "".join(f"{key}={params[key]}" for key in sorted(params))


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def client_server_sig(uid: str, params: dict[str, str], private_key: str) -> str:
    """md5(uid + sorted k=v + private_key) -- the client-server circuit."""
    return md5_hex(uid + signature_base(params) + private_key)


def server_server_sig(params: dict[str, str], secret_key: str) -> str:
    """md5(sorted k=v + secret_key) -- the server-server circuit (``secure=1`` is signed)."""
    return md5_hex(signature_base(params) + secret_key)


@dataclass
class CallContext:
    """One authenticated API call."""

    world: MailruWorld
    uid: str
    scope: frozenset[str]
    params: dict[str, str]
    privilege: str | None
    #: Wall-clock seconds, for timestamps of objects created by this call.
    wall_clock: float
    authorized: bool = field(default=False)
    #: File parts of a multipart call (``photos.upload``'s ``img_file``).
    files: list[Upload] = field(default_factory=list)

    @property
    def me(self) -> Person:
        return self.world.people[self.uid]

    def authorize(self) -> None:
        """Raise 200 when the method's privilege was not granted to this session."""
        self.authorized = True
        if self.privilege is not None and self.privilege not in self.scope:
            raise ApiError(200, f"privilege {self.privilege!r} not granted")

    def text(self, name: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str:
        value = self.params.get(name, "")
        if required and not value.strip():
            raise ApiError(100, f"{name} is required")
        if len(value) > max_len:
            raise ApiError(100, f"{name} is longer than {max_len} characters")
        return value

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        raw = self.params.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(100, f"{name} must be an integer") from None
        if value < low:
            raise ApiError(100, f"{name} must be >= {low}")
        return value if high is None else min(value, high)

    def flag(self, name: str) -> bool:
        return self.integer(name, 0, 0, 1) == 1

    def user(self, name: str, *, required: bool = False) -> Person:
        """A uid parameter naming a known user (default: the caller)."""
        raw = self.params.get(name, "")
        if not raw:
            if required:
                raise ApiError(100, f"{name} is required")
            return self.me
        person = self.world.people.get(raw)
        if person is None:
            raise ApiError(100, f"{name}: no such user")
        return person

    def uid_list(self, name: str, max_items: int = 200) -> list[str]:
        raw = self.params.get(name, "")
        uids = [u.strip() for u in raw.split(",") if u.strip()]
        if any(not u.isdigit() for u in uids):
            raise ApiError(100, f"{name} must be comma-separated numeric uids")
        if len(uids) > max_items:
            raise ApiError(100, f"at most {max_items} {name}")
        return uids

    def event(self, name: str = "id") -> Event:
        raw = self.text(name, required=True)
        found = self.world.events.get(raw)
        if found is None:
            raise ApiError(100, f"{name}: no such event")
        return found

    def thread(self) -> Event:
        """The event a like/unlike/comment/share names, by ``thread_id`` or ``id``.

        Clients written against the platform send ``thread_id`` (pymymailru ``stream_like``,
        ``stream_unlike``, ``stream_comment``), the value of the event's ``thread_id`` field;
        ``id`` (the event's ``id``, equal here) is kept for clients that send it.  Both given
        and naming different events is a bad parameter (100).
        """
        by_thread, by_id = self.params.get("thread_id", ""), self.params.get("id", "")
        if by_thread and by_id and by_thread != by_id:
            raise ApiError(100, "thread_id and id name different events")
        return self.event("thread_id" if by_thread else "id")


Handler = Callable[[CallContext], object]


@dataclass(frozen=True)
class Method:
    handler: Handler
    privilege: str | None = None
    write: bool = False
    required: tuple[str, ...] = ()


# ---- helpers ------------------------------------------------------------------------------------


def page_by_skip(ctx: CallContext, events: Sequence[Event]) -> list[Event]:
    """Newest-first paging: ``skip`` = id of the last event already seen, ``limit`` default 10."""
    limit = ctx.integer("limit", 10, 1, MAX_LIMIT)
    skip = ctx.params.get("skip", "")
    start = 0
    if skip:
        ids = [e.id for e in events]
        if skip not in ids:
            raise ApiError(100, "skip: no such event in this stream")
        start = ids.index(skip) + 1
    return list(events[start : start + limit])


def offset_limit(ctx: CallContext, default_limit: int = 10) -> tuple[int, int]:
    return ctx.integer("offset", 0, 0), ctx.integer("limit", default_limit, 1, MAX_LIMIT)


def friend_list(ctx: CallContext, uids: list[str]) -> list[object]:
    ext = ctx.flag("ext")
    ctx.authorize()
    if ext:
        return [ctx.world.people[u].public(ctx.uid) for u in uids]
    return list(uids)


