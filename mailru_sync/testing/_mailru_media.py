"""Mail.ru methods of photos, events, messages and groups."""

from __future__ import annotations

from ._mailru_call import (
    ApiError,
    CallContext,
    offset_limit,
)
from ._mailru_world import (
    Album,
    Message,
    Person,
)
from ._multipart import image_kind

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
    offset, limit = offset_limit(ctx)
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
    offset, limit = offset_limit(ctx, 20)
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
    offset, limit = offset_limit(ctx)
    ext = ctx.flag("ext")
    ctx.authorize()
    uids = ctx.world.memberships[ctx.uid][offset : offset + limit]
    if ext:
        return [ctx.world.groups[g].public() for g in uids]
    return list(uids)


