"""Mail.ru REST methods of the emulator: the method table and one small handler per method.

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
    APP_EVENT_TYPE,
    LINK_SHARE_TYPE,
    PRIVILEGES,
    Album,
    Comment,
    Event,
    GuestbookEntry,
    MailruWorld,
    Message,
    Person,
)
from ._multipart import Upload, image_kind

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


def _page_by_skip(ctx: CallContext, events: Sequence[Event]) -> list[Event]:
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


def _offset_limit(ctx: CallContext, default_limit: int = 10) -> tuple[int, int]:
    return ctx.integer("offset", 0, 0), ctx.integer("limit", default_limit, 1, MAX_LIMIT)


def _friends(ctx: CallContext, uids: list[str]) -> list[object]:
    ext = ctx.flag("ext")
    ctx.authorize()
    if ext:
        return [ctx.world.people[u].public(ctx.uid) for u in uids]
    return list(uids)


# ---- users --------------------------------------------------------------------------------------


# Shape: a list of users.getInfo objects (protocol-notes §1.8, users.getInfo example).
def users_get_info(ctx: CallContext) -> object:
    uids = ctx.uid_list("uids")
    ctx.authorize()
    people = ctx.world.people
    return [people[u].public(ctx.uid) for u in (uids or [ctx.uid]) if u in people]


# Shape: {"isAppUser": 1} (https://api.mail.ru/docs/reference/rest/users-isappuser/ example).
def users_is_app_user(ctx: CallContext) -> object:
    person = ctx.user("uid")
    ctx.authorize()
    return {"isAppUser": int(person.app_installed)}


# Shape: keyed by the privilege, resp[ext_perm] ([rb-mailru-api] README); otherwise uncertain.
def users_has_app_permission(ctx: CallContext) -> object:
    perm = ctx.text("ext_perm", required=True)
    if perm not in PRIVILEGES:
        raise ApiError(100, f"ext_perm must be one of {', '.join(PRIVILEGES)}")
    ctx.authorize()
    return {perm: int(perm in ctx.scope)}


# ---- friends ------------------------------------------------------------------------------------


# Shape: uids, or users.getInfo objects with ext=1 (the flag: [rb-mailru-api]@75726dd
# friends.rb RETURN_OBJECTS / RETURN_UIDS; uncertain, protocol-notes §1.8).
def friends_get(ctx: CallContext) -> object:
    return _friends(ctx, sorted(ctx.me.friends))


def friends_get_app_users(ctx: CallContext) -> object:
    people = ctx.world.people
    return _friends(ctx, sorted(u for u in ctx.me.friends if people[u].app_installed))


def friends_get_online(ctx: CallContext) -> object:
    people = ctx.world.people
    return _friends(ctx, sorted(u for u in ctx.me.friends if people[u].is_online))


# ---- stream -------------------------------------------------------------------------------------


def _by_app(ctx: CallContext, events: Sequence[Event]) -> Sequence[Event]:
    """``filter_app``: only the events generated by that application (stream.get doc)."""
    app_id = ctx.integer("filter_app", 0, 0)
    return [e for e in events if e.app_id == app_id] if app_id else events


# Shape: events newest first, Event.public (stream.get doc example, protocol-notes §1.8).
def stream_get(ctx: CallContext) -> object:
    page = _page_by_skip(ctx, _by_app(ctx, ctx.world.feed(ctx.uid)))
    ctx.authorize()
    return [e.public(ctx.world, ctx.uid) for e in page]


def stream_get_by_author(ctx: CallContext) -> object:
    author = ctx.user("uid")
    page = _page_by_skip(ctx, _by_app(ctx, ctx.world.by_author(author.uid)))
    ctx.authorize()
    return [e.public(ctx.world, ctx.uid) for e in page]


def _url(ctx: CallContext, name: str) -> str:
    value = ctx.text(name, max_len=2048)
    if value and not value.startswith(("http://", "https://")):
        raise ApiError(100, f"{name} must be an http(s) URL")
    return value


def _image(url: str) -> dict[str, object]:
    """An ``image`` attachment: ``object`` and ``src`` are the fields always present."""
    return {"object": "image", "src": url}


# Results of the stream writes ({"id"}, likes_count/is_liked_by_me, comments_count):
# uncertain, no public example (protocol-notes §1.8: names only).
def stream_post(ctx: CallContext) -> object:
    """Parameters as pymymailru ``stream_post`` sends them: ``text`` (required), ``user_text``,
    ``title``, ``img_url``, ``link1_text``/``link1_href``, ``link2_text``/``link2_href``; empty
    values mean "not given" (that client sends every name, unset ones as "")."""
    text = ctx.text("text", required=True)
    user_text = ctx.text("user_text")
    title = ctx.text("title", max_len=255)
    img_url = _url(ctx, "img_url")
    links = []
    for n in (1, 2):
        href, label = _url(ctx, f"link{n}_href"), ctx.text(f"link{n}_text", max_len=255)
        if href:
            links.append({"text": label or href, "href": href})
    ctx.authorize()
    world = ctx.world
    event = world.add_event(
        ctx.uid,
        world.newest_time(ctx.wall_clock),
        text,
        type_code=APP_EVENT_TYPE[0],
        type_name=APP_EVENT_TYPE[1],
        title=title,
        user_text=user_text,
        app_id=world.app.app_id,
        attachments=[_image(img_url)] if img_url else [],
        action_links=links,
    )
    return {"id": event.id}


def stream_comment(ctx: CallContext) -> object:
    event = ctx.thread()
    text = ctx.text("text", required=True)
    ctx.authorize()
    comment = Comment(ctx.world.new_id(), ctx.uid, text, ctx.world.newest_time(ctx.wall_clock))
    event.comments.append(comment)
    return {"id": comment.id, "comments_count": len(event.comments)}


def stream_share(ctx: CallContext) -> object:
    """Share a link, or re-share an event.

    The platform's stream.share publishes a link: pymymailru ``stream_share`` sends ``url``,
    ``title``, ``description``, ``img_url`` and ``user_text``.  A ``url`` makes a "Link share"
    event (5-26) with a ``link`` attachment (``object``/``text``/``url``, [aiomailru@f737433]
    rest_api.rst "link") and an ``image`` one for ``img_url``.  Without ``url``, ``thread_id``
    or ``id`` re-shares an event of the stream (the emulator's earlier reading, kept for the
    clients that use it); neither is a missing parameter (100).
    """
    url = _url(ctx, "url")
    title = ctx.text("title", max_len=255)
    description = ctx.text("description")
    user_text = ctx.text("user_text") or ctx.text("text")
    img_url = _url(ctx, "img_url")
    original = None if url else ctx.thread()
    ctx.authorize()
    world = ctx.world
    when = world.newest_time(ctx.wall_clock)
    if original is not None:
        event = world.add_event(
            ctx.uid,
            when,
            user_text or original.text,
            type_code=LINK_SHARE_TYPE[0],
            type_name="Поделился записью",
            shared_from=original.id,
            app_id=world.app.app_id,
        )
        return {"id": event.id}
    attachments: list[dict[str, object]] = [
        {"object": "link", "text": title or description or url, "url": url}
    ]
    if img_url:
        attachments.append(_image(img_url))
    event = world.add_event(
        ctx.uid,
        when,
        description or title or url,
        type_code=LINK_SHARE_TYPE[0],
        type_name=LINK_SHARE_TYPE[1],
        title=title,
        user_text=user_text,
        app_id=world.app.app_id,
        attachments=attachments,
    )
    return {"id": event.id}


def stream_like(ctx: CallContext) -> object:
    event = ctx.thread()
    ctx.authorize()
    event.likes.add(ctx.uid)
    return {"likes_count": len(event.likes), "is_liked_by_me": 1}


def stream_unlike(ctx: CallContext) -> object:
    event = ctx.thread()
    ctx.authorize()
    event.likes.discard(ctx.uid)
    return {"likes_count": len(event.likes), "is_liked_by_me": 0}


# ---- guestbook ----------------------------------------------------------------------------------


# Shape: uncertain (no public example): entries newest first, offset/limit paging.
def guestbook_get(ctx: CallContext) -> object:
    owner = ctx.user("uid")
    offset, limit = _offset_limit(ctx)
    ctx.authorize()
    entries = list(reversed(ctx.world.guestbook[owner.uid]))
    return [e.public(ctx.world) for e in entries[offset : offset + limit]]


# Parameters: uid, title, description (required), user_text, img_url
# (http://api.mail.ru/docs/reference/rest/guestbook.post/); the {"id"} result is uncertain.
def guestbook_post(ctx: CallContext) -> object:
    owner = ctx.user("uid", required=True)
    description = ctx.text("description", required=True)
    title = ctx.text("title", max_len=255)
    user_text = ctx.text("user_text")
    ctx.authorize()
    world = ctx.world
    entry = GuestbookEntry(
        id=world.new_id(),
        owner=owner.uid,
        author=ctx.uid,
        time=world.newest_time(ctx.wall_clock),
        title=title,
        description=description,
        user_text=user_text,
    )
    world.guestbook[owner.uid].append(entry)
    if owner.uid != ctx.uid:
        world.new_events[owner.uid] += 1
    return {"id": entry.id}


# ---- photos -------------------------------------------------------------------------------------


def _album(ctx: CallContext, owner: Person, aid: str) -> Album:
    album = ctx.world.albums[owner.uid].get(aid)
    if album is None:
        raise ApiError(100, "aid: no such album")
    return album


# Shape: Album.public (http://api.mail.ru/docs/reference/rest/photos-getalbums/ example).
def photos_get_albums(ctx: CallContext) -> object:
    owner = ctx.user("uid")
    aids = [a.strip() for a in ctx.params.get("aids", "").split(",") if a.strip()]
    ctx.authorize()
    albums = ctx.world.albums[owner.uid]
    chosen = [albums[a] for a in aids if a in albums] if aids else list(albums.values())
    return [a.public(ctx.world) for a in chosen]


# Shape: Photo.public (https://api.mail.ru/docs/reference/rest/photos-get example).
def photos_get(ctx: CallContext) -> object:
    owner = ctx.user("uid")
    album = _album(ctx, owner, ctx.text("aid", required=True))
    raw_pids = [p.strip() for p in ctx.params.get("pids", "").split(",") if p.strip()]
    if any(not p.isdigit() for p in raw_pids):
        raise ApiError(100, "pids must be comma-separated numbers")
    ctx.authorize()
    wanted = {int(p) for p in raw_pids}
    return [p.public() for p in album.photos if not wanted or p.pid in wanted]


# Parameters as pymymailru photos_create_album sends them (aid, title, description, privacy,
# password); the album-object result is uncertain.
def photos_create_album(ctx: CallContext) -> object:
    name = ctx.text("name", max_len=255) or ctx.text("title", max_len=255)
    if not name.strip():
        raise ApiError(100, "name is required")
    description = ctx.text("description")
    privacy = ctx.integer("privacy", 2, 1, 5)
    ctx.authorize()
    world = ctx.world
    albums = world.albums[ctx.uid]
    aid = str(1 + max((int(a) for a in albums if a.isdigit()), default=0))
    now = world.newest_time(ctx.wall_clock)
    album = Album(aid, ctx.uid, name, description, now, now, privacy)
    albums[aid] = album
    return album.public(world)


def photos_upload(ctx: CallContext) -> object:
    """A photo from ``img_file`` (a multipart file part) or ``img_url``; ``aid`` defaults to the
    personal album ``_myphoto``. Not an image or too large: 501 (see ERROR_MESSAGES)."""
    album = _album(ctx, ctx.me, ctx.text("aid") or "_myphoto")
    upload = next((f for f in ctx.files if f.name == "img_file"), None)
    url = ""
    if upload is None:
        url = ctx.text("img_url", max_len=2048) or ctx.text("url", max_len=2048)
        if not url.startswith(("http://", "https://")):
            raise ApiError(100, "img_file (a file part) or img_url (an http(s) URL) is required")
    elif image_kind(upload.data) is None:
        raise ApiError(501, "img_file is not a JPEG, PNG or GIF image")
    elif len(upload.data) > ctx.world.max_photo_bytes:
        raise ApiError(501, f"img_file is larger than {ctx.world.max_photo_bytes} bytes")
    name = ctx.text("name", max_len=255) or ctx.text("title", max_len=255)
    ctx.text("description")  # length-checked; photos.get objects carry no description
    ctx.authorize()
    world = ctx.world
    photo = world.new_photo(album, name or "Новая фотография", world.newest_time(ctx.wall_clock))
    if upload is not None:
        photo.size = len(upload.data)
    else:
        photo.src = url
    album.photos.append(photo)
    album.updated = photo.created
    return photo.public()


# ---- events, messages, groups -------------------------------------------------------------------


# Shape: {"count": 3} (http://api.mail.ru/docs/reference/rest/events.getNewCount example).
def events_get_new_count(ctx: CallContext) -> object:
    ctx.authorize()
    return {"count": ctx.world.new_events[ctx.uid]}


def _message(msg: Message) -> dict[str, object]:
    return {
        "id": msg.id,
        "time": msg.time,
        "author": msg.author,
        "message": msg.text,
        "read": int(msg.read),
    }


# Shape of messages.*: uncertain (names only in public sources, protocol-notes §1.8).
def messages_get_threads_list(ctx: CallContext) -> object:
    offset, limit = _offset_limit(ctx)
    ctx.authorize()
    people = ctx.world.people
    result: list[object] = []
    for partner, msgs in ctx.world.threads_of(ctx.uid)[offset : offset + limit]:
        last = msgs[-1]
        result.append(
            {
                "user": people[partner].short(),
                "last_message": _message(last),
                "time": last.time,
                "count": len(msgs),
                "unread": sum(1 for m in msgs if m.author != ctx.uid and not m.read),
            }
        )
    return result


def messages_get_thread(ctx: CallContext) -> object:
    partner = ctx.user("uid", required=True)
    offset, limit = _offset_limit(ctx, 20)
    ctx.authorize()
    msgs = list(reversed(ctx.world.thread(ctx.uid, partner.uid)))
    return [_message(m) for m in msgs[offset : offset + limit]]


def messages_get_unread_count(ctx: CallContext) -> object:
    ctx.authorize()
    count = sum(
        1
        for _, msgs in ctx.world.threads_of(ctx.uid)
        for m in msgs
        if m.author != ctx.uid and not m.read
    )
    return {"count": count}


def messages_post(ctx: CallContext) -> object:
    partner = ctx.user("uid", required=True)
    if partner.uid == ctx.uid:
        raise ApiError(100, "cannot send a message to yourself")
    text = ctx.text("message", required=True)
    ctx.authorize()
    world = ctx.world
    msg = Message(world.new_id(), ctx.uid, text, world.newest_time(ctx.wall_clock), False)
    world.thread(ctx.uid, partner.uid).append(msg)
    world.new_events[partner.uid] += 1
    return {"id": msg.id}


# Shape: uids, or group objects (users.getInfo-like plus group_info, [aiomailru@f737433]
# rest_api.rst "User") with ext=1; paging as aiomailru's scrapers use it (uncertain).
def groups_get(ctx: CallContext) -> object:
    offset, limit = _offset_limit(ctx)
    ext = ctx.flag("ext")
    ctx.authorize()
    uids = ctx.world.memberships[ctx.uid][offset : offset + limit]
    if ext:
        return [ctx.world.groups[g].public() for g in uids]
    return list(uids)


METHODS: dict[str, Method] = {
    "users.getInfo": Method(users_get_info),
    "users.isAppUser": Method(users_is_app_user),
    "users.hasAppPermission": Method(users_has_app_permission, required=("ext_perm",)),
    "friends.get": Method(friends_get),
    "friends.getAppUsers": Method(friends_get_app_users),
    "friends.getOnline": Method(friends_get_online),
    "stream.get": Method(stream_get),
    "stream.getByAuthor": Method(stream_get_by_author),
    "stream.post": Method(stream_post, "stream", True, ("text",)),
    # The event is named by thread_id or id (CallContext.thread); stream.share takes a url.
    "stream.comment": Method(stream_comment, "stream", True, ("text",)),
    "stream.share": Method(stream_share, "stream", True),
    "stream.like": Method(stream_like, "stream", True),
    "stream.unlike": Method(stream_unlike, "stream", True),
    "guestbook.get": Method(guestbook_get),
    "guestbook.post": Method(guestbook_post, "guestbook", True, ("uid", "description")),
    "photos.getAlbums": Method(photos_get_albums, "photos"),
    "photos.get": Method(photos_get, "photos", required=("aid",)),
    "photos.createAlbum": Method(photos_create_album, "photos", True),
    "photos.upload": Method(photos_upload, "photos", True),
    "events.getNewCount": Method(events_get_new_count, "events"),
    "messages.getThreadsList": Method(messages_get_threads_list, "messages"),
    "messages.getThread": Method(messages_get_thread, "messages", required=("uid",)),
    "messages.getUnreadCount": Method(messages_get_unread_count, "messages"),
    "messages.post": Method(messages_post, "messages", True, ("uid", "message")),
    "groups.get": Method(groups_get),
}
