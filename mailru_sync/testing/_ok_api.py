"""OK.ru REST API semantics: parameter checks, signature verification and the methods.

Works on the *decoded received* parameters of one request and answers with a JSON-able result or
raises :class:`OkApiError`; the HTTP framing lives in ``_ok.py``.  The signature check is an
independent implementation of the documented algorithm (protocol-notes §2.3) so the emulator can
catch client signing bugs instead of sharing them.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from ._ok_world import (
    ALL_SCOPES,
    Album,
    OkWorld,
    Photo,
    Profile,
    Topic,
    md5_hex,
    server_secret,
)
from ._tokens import IssuedToken

#: Key of the OK signing secret in :attr:`IssuedToken.extra`.
SECRET_KEY = "session_secret_key"
#: Token extra naming how the session was opened: ``auth.login`` sessions have a random secret.
OPENED_BY = "opened_by"

#: Content type of every OK JSON answer (protocol-notes §2.4).
JSON_CONTENT_TYPE = "application/json;charset=utf-8"

#: Error code -> name, as in the OK error enum (protocol-notes §2.5); only the codes we emit.
ERROR_NAMES: dict[int, str] = {
    1: "UNKNOWN",
    2: "SERVICE",
    3: "METHOD",
    4: "REQUEST",
    8: "FLOOD_BLOCKED",
    10: "PERMISSION_DENIED",
    11: "LIMIT_REACHED",
    100: "PARAM",
    101: "PARAM_API_KEY",
    102: "PARAM_SESSION_EXPIRED",
    104: "PARAM_SIGNATURE",
    110: "PARAM_USER_ID",
    120: "PARAM_ALBUM_ID",
    121: "PARAM_PHOTO_ID",
    160: "PARAM_GROUP_ID",
    300: "NOT_FOUND",
    401: "AUTH_LOGIN",
    451: "NOT_SESSION_METHOD",
    453: "SESSION_REQUIRED",
    500: "PHOTO_SIZE_LIMIT_EXCEEDED",
    503: "PHOTO_INVALID_FORMAT",
    1200: "BATCH",
}

_DEFAULT_TEXTS: dict[int, str] = {
    1: "Unknown error",
    2: "Service is temporary unavailable",
    3: "Method does not exist",
    4: "Request is invalid",
    8: "Method is blocked due to flood",
    10: "Permission denied",
    11: "Method call limit reached",
    100: "Missing or invalid parameter",
    101: "Application key is missing or invalid",
    102: "Session expired",
    104: "Invalid signature",
    401: "Authentication failed",
    451: "Session key was specified for a method that must be called without a session",
    453: "Session key is required for this method",
    1200: "Batch request failed",
}

#: Largest ``count`` a paged method accepts.
MAX_PAGE = 100
#: Largest number of calls in one ``batch.executeV2``.
MAX_BATCH = 50


class OkApiError(Exception):
    """An in-envelope API error: ``{"error_code", "error_msg": "NAME : text", "error_data"}``."""

    def __init__(self, code: int, text: str | None = None) -> None:
        self.code = code
        self.text = text or _DEFAULT_TEXTS.get(code, "Error")
        super().__init__(f"{code}: {self.text}")

    def envelope(self) -> dict[str, object]:
        name = ERROR_NAMES.get(self.code, "UNKNOWN")
        return {"error_code": self.code, "error_msg": f"{name} : {self.text}", "error_data": None}


def error_envelope(code: int, text: str | None = None) -> dict[str, object]:
    """The OK error envelope for ``code`` (used for injected faults too)."""
    return OkApiError(code, text).envelope()


def sign(params: Mapping[str, str], secret: str) -> str:
    """md5(sorted ``k=v`` pairs joined without separator + secret), lower-case hex."""
    return md5_hex("".join(f"{key}={params[key]}" for key in sorted(params)) + secret)


# --------------------------------------------------------------------------------------------
# Call context and helpers shared by the method handlers
# --------------------------------------------------------------------------------------------


class OkBackend(Protocol):
    """What the API needs from the emulator: the world and the shared token store."""

    world: OkWorld
    strict_session_secrets: bool

    def find_token(self, token: str) -> IssuedToken | None: ...

    def token_alive(self, record: IssuedToken) -> bool: ...

    def issue_ok_token(self, uid: str, scopes: Iterable[str], *,
                       session_secret_key: str | None = None) -> IssuedToken: ...

    def count(self, name: str, n: int = 1) -> None: ...


@dataclass
class CallContext:
    """Everything one method handler may look at: the world, the caller and its parameters."""

    backend: OkBackend
    params: Mapping[str, str]
    token: IssuedToken | None
    #: The user a sessionless call acts for (``uid`` param), if any.
    sessionless_uid: str | None
    api_server: str
    batch_depth: int = 0

    @property
    def world(self) -> OkWorld:
        return self.backend.world

    def now_ms(self) -> int:
        """Wall-clock milliseconds for objects created now (seeded ones are in the past)."""
        return int(time.time() * 1000)

    def wrote(self) -> None:
        self.backend.count("writes_applied")

    @property
    def session_uid(self) -> str | None:
        return self.token.uid if self.token else None

    def user(self) -> str:
        """The acting user: the session's, or ``uid`` of a sessionless call."""
        uid = self.session_uid or self.sessionless_uid
        if uid is None:
            raise OkApiError(100, "Either session_key or uid must be specified")
        return uid

    def scopes(self) -> frozenset[str] | None:
        """Permissions of the acting user for this app; None for a public sessionless call."""
        if self.token is not None:
            return self.token.scope
        if self.sessionless_uid is not None:
            return frozenset(self.world.app_permissions.get(self.sessionless_uid, ()))
        return None

    def need(self, *permissions: str) -> None:
        scopes = self.scopes()
        if scopes is None:
            return
        missing = [name for name in permissions if name not in scopes]
        if missing:
            raise OkApiError(10, f"Permission denied: {', '.join(missing)} required")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        return value

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise OkApiError(100, f"{name} is missing")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise OkApiError(100, f"{name} must be an integer") from None
        if not low <= number <= high:
            raise OkApiError(100, f"{name} must be between {low} and {high}")
        return number

    def flag(self, name: str) -> bool:
        value = (self.text(name) or "false").lower()
        if value in {"true", "1"}:
            return True
        if value in {"false", "0"}:
            return False
        raise OkApiError(100, f"{name} must be true or false")

    def id_list(self, name: str, limit: int = 100) -> list[str]:
        values = [part.strip() for part in self.required(name).split(",") if part.strip()]
        if not values:
            raise OkApiError(100, f"{name} is missing")
        if len(values) > limit:
            raise OkApiError(100, f"{name}: at most {limit} ids")
        return values

    def fields(self, name: str = "fields", *, required: bool = False) -> set[str] | None:
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        return {part.strip().lower() for part in value.split(",") if part.strip()}


def _encode_anchor(key: str) -> str:
    return base64.urlsafe_b64encode(f"a1:{key}".encode()).decode().rstrip("=")


def _decode_anchor(anchor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(anchor + "=" * (-len(anchor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OkApiError(100, "anchor is invalid") from None
    if not raw.startswith("a1:"):
        raise OkApiError(100, "anchor is invalid")
    return raw[3:]


@dataclass
class Page:
    keys: list[str]
    anchor: str | None
    has_more: bool


def paginate(keys: list[str], anchor: str | None, direction: str | None, count: int) -> Page:
    """Anchor paging over ``keys`` (display order).

    The anchor is an opaque position: FORWARD (default) returns the ``count`` items after it and the
    anchor of the last one returned; BACKWARD the ``count`` items before it and the anchor of the
    first one; AROUND a window centred on it.  ``has_more`` says whether items remain in the
    requested direction (either side for AROUND).  An empty page keeps the given anchor.
    """
    mode = (direction or "FORWARD").upper()
    if mode not in {"FORWARD", "BACKWARD", "AROUND"}:
        raise OkApiError(100, "direction must be FORWARD, BACKWARD or AROUND")
    position: int | None = None
    if anchor:
        key = _decode_anchor(anchor)
        try:
            position = keys.index(key)
        except ValueError:
            raise OkApiError(100, "anchor is unknown") from None
    if mode == "FORWARD":
        start = 0 if position is None else position + 1
        chosen = keys[start:start + count]
        more = start + count < len(keys)
        edge = chosen[-1] if chosen else None
    elif mode == "BACKWARD":
        end = len(keys) if position is None else position
        start = max(0, end - count)
        chosen = keys[start:end]
        more = start > 0
        edge = chosen[0] if chosen else None
    else:
        centre = 0 if position is None else position
        start = max(0, centre - count // 2)
        chosen = keys[start:start + count]
        more = start > 0 or start + count < len(keys)
        edge = keys[centre] if keys else None
    new_anchor = _encode_anchor(edge) if edge is not None else anchor
    return Page(chosen, new_anchor, more)


def _page_result(page: Page, items_key: str, items: list[object], *,
                 anchor_key: str = "anchor", more_key: str = "has_more") -> dict[str, object]:
    result: dict[str, object] = {items_key: items, more_key: page.has_more}
    if page.anchor is not None:
        result[anchor_key] = page.anchor
    return result


# --------------------------------------------------------------------------------------------
# Object shapes
# --------------------------------------------------------------------------------------------

_DEFAULT_USER_FIELDS = frozenset({
    "uid", "first_name", "last_name", "name", "gender", "birthday", "age", "locale",
    "location", "pic_1", "pic_2", "pic_3", "has_email",
})


def _format_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


# Shape: users.getInfo fields (https://apiok.ru/dev/methods/rest/users/users.getInfo, the
# response field list; protocol-notes §2.10), limited to the requested fields.
def user_object(profile: Profile, fields: set[str] | None, ctx: CallContext) -> dict[str, object]:
    """A user as ``users.getInfo`` describes it, limited to the requested ``fields``."""
    pic = f"{ctx.api_server}i/avatar/{profile.uid}"
    everything: dict[str, object] = {
        "uid": profile.uid,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "name": profile.name,
        "gender": profile.gender,
        "birthday": profile.birthday,
        "age": profile.age(),
        "locale": "ru",
        "location": {"city": profile.city, "country": "RUSSIAN_FEDERATION",
                     "countryCode": "RU", "countryName": "Россия"},
        "pic_1": f"{pic}?size=50",
        "pic_2": f"{pic}?size=128",
        "pic_3": f"{pic}?size=190",
        "pic50x50": f"{pic}?size=50",
        "pic128x128": f"{pic}?size=128",
        "pic190x190": f"{pic}?size=190",
        # A deterministic sprinkle of users shown as online.
        "online": "web" if int(profile.uid) % 5 == 0 else None,
        "last_online": _format_ms(profile.last_online_ms),
        "last_online_ms": profile.last_online_ms,
        "registered_date": _format_ms(profile.registered_ms),
        "registered_date_ms": profile.registered_ms,
        "has_email": bool(profile.email),
        "accessible": True,
        "url_profile": f"https://ok.ru/profile/{profile.uid}",
    }
    scopes = ctx.scopes()
    if profile.email and profile.uid == ctx.session_uid and scopes and "GET_EMAIL" in scopes:
        everything["email"] = profile.email
    # ``email`` only when asked for in ``fields`` (and GET_EMAIL granted): the field is listed
    # among the requestable ones of users.getInfo / users.getCurrentUser (apiok.ru method pages,
    # [apiok-doc-repo] ru/users/users.getCurrentUser.md: "fields -- список запрашиваемых
    # полей"), and clients such as social-auth-core read it with ``.get("email", "")``.
    wanted = _DEFAULT_USER_FIELDS if fields is None else fields | {"uid"}
    return {key: value for key, value in everything.items()
            if key in wanted and value is not None}


# Shape: group.getInfo fields (https://apiok.ru/dev/methods/rest/group/group.getInfo).
def group_object(ctx: CallContext, gid: str, fields: set[str]) -> dict[str, object]:
    group = ctx.world.groups[gid]
    everything: dict[str, object] = {
        "uid": group.gid,
        "name": group.name,
        "description": group.description,
        "shortname": group.shortname,
        "members_count": len(group.members),
        "created_ms": group.created_ms,
        "admin_id": group.admin_id,
        "access_type": "OPEN",
        "pic_avatar": f"{ctx.api_server}i/group/{group.gid}",
        "url": f"https://ok.ru/group/{group.gid}",
    }
    return {key: value for key, value in everything.items() if key in fields | {"uid"}}


# Shape: uncertain (photos.getPhotos lists ``photos``; the field names follow the
# photosV2/photos type pages' pic*/standard_* names).
def photo_object(ctx: CallContext, photo: Photo) -> dict[str, object]:
    src = f"{ctx.api_server}i/photo/{photo.pid}"
    result: dict[str, object] = {
        "id": photo.pid,
        "pic50x50": f"{src}?size=50",
        "pic128x128": f"{src}?size=128",
        "pic640x480": f"{src}?size=640",
        "standard_width": photo.width,
        "standard_height": photo.height,
        "text": photo.text,
        "created_ms": photo.created_ms,
        "like_count": photo.like_count,
        ("group_id" if photo.group else "user_id"): photo.owner,
    }
    if photo.album_id is not None:
        result["album_id"] = photo.album_id
    return result


# Shape: mediatopic.getByIds ``media_topics`` items; field names uncertain (protocol-notes §2.10).
def topic_object(topic: Topic) -> dict[str, object]:
    result: dict[str, object] = {
        "id": topic.topic_id,
        "type": topic.kind,
        "created_ms": topic.created_ms,
        "author_ref": f"user:{topic.author}",
        "media": topic.media,
        "like_summary": {"count": topic.like_count},
        "discussion_summary": {"comments_count": topic.comments_count},
    }
    result["owner_ref"] = f"group:{topic.gid}" if topic.gid else f"user:{topic.author}"
    return result


# --------------------------------------------------------------------------------------------
# Methods
# --------------------------------------------------------------------------------------------


# Shape: the user object (protocol-notes §2.10, [apiok-doc-repo] users.getCurrentUser.md).
def _users_get_current_user(ctx: CallContext) -> object:
    return user_object(ctx.world.profiles[ctx.user()], ctx.fields(), ctx)


# Shape: the bare uid string (uncertain, protocol-notes §2.10).
def _users_get_logged_in_user(ctx: CallContext) -> object:
    return ctx.user()


# Shape: a bare array, the classic form clients read (protocol-notes §2.10).
def _users_get_info(ctx: CallContext) -> object:
    uids = ctx.id_list("uids")
    fields = ctx.fields(required=True) or {"uid"}
    profiles = ctx.world.profiles
    return [user_object(profiles[uid], fields, ctx) for uid in uids if uid in profiles]


def _target_user(ctx: CallContext, name: str = "fid") -> str:
    uid = ctx.text(name) or ctx.user()
    if uid not in ctx.world.profiles:
        raise OkApiError(110, f"{name}: unknown user")
    return uid


# Shape: an array of uid strings (uncertain, protocol-notes §2.10).
def _friends_get(ctx: CallContext) -> object:
    return list(ctx.world.friends[_target_user(ctx)])


# Shape: {"uids": [...]} (uncertain, protocol-notes §2.10).
def _friends_get_app_users(ctx: CallContext) -> object:
    uid = ctx.user()
    return {"uids": [friend for friend in ctx.world.friends[uid]
                     if friend in ctx.world.app_users]}


# Shape: a bare array of groups (classic clients; the wrapped form is uncertain, §2.10).
def _group_get_info(ctx: CallContext) -> object:
    gids = ctx.id_list("uids")
    fields = ctx.fields(required=True) or set()
    return [group_object(ctx, gid, fields) for gid in gids if gid in ctx.world.groups]


# Shape: the older bare array of {groupId, userId, status} (protocol-notes §2.10).
def _group_get_user_groups_by_ids(ctx: CallContext) -> object:
    gid = ctx.required("group_id")
    group = ctx.world.groups.get(gid)
    if group is None:
        raise OkApiError(160, "group_id: unknown group")
    uids = ctx.id_list("uids")
    return [
        {"groupId": gid, "userId": uid, "status": "ADMIN" if uid == group.admin_id else "ACTIVE"}
        for uid in uids
        if uid in group.members
    ]


# Shape: {"groups": [{groupId, userId}], "anchor", "has_more"} (anchor paging, §2.9).
def _group_get_user_groups_v2(ctx: CallContext) -> object:
    uid = ctx.user()
    count = ctx.integer("count", 20, 1, MAX_PAGE)
    page = paginate(ctx.world.memberships[uid], ctx.text("anchor"), ctx.text("direction"), count)
    items: list[object] = [{"groupId": gid, "userId": uid} for gid in page.keys]
    return _page_result(page, "groups", items)


def _group_get_members(ctx: CallContext) -> object:
    """Anchor paging over a group's members, ``{"members": [{"userId"}], anchor, has_more}``
    (apiok.ru group.getMembers: ``uid`` = the group id, ``anchor``, ``direction``, ``count``;
    the member object's fields beyond ``userId`` are **uncertain** and left out)."""
    gid = ctx.required("uid")
    group = ctx.world.groups.get(gid)
    if group is None:
        raise OkApiError(160, "uid: unknown group")
    count = ctx.integer("count", 20, 1, MAX_PAGE)
    page = paginate(list(group.members), ctx.text("anchor"), ctx.text("direction"), count)
    items: list[object] = [{"userId": uid} for uid in page.keys]
    return _page_result(page, "members", items)


_EVENT_ICONS = {
    "activities": "activity", "discussions": "discussion", "events": "event", "guests": "guest",
    "marks": "mark", "messages": "message", "notifications": "notification",
}


# Shape: [{"icon","lastId","marker","message","number","type","uid"}]
# (https://apiok.ru/en/dev/methods/rest/events/events.get).
def _events_get(ctx: CallContext) -> object:
    uid = ctx.user()
    counts = ctx.world.events.get(uid, {})
    wanted = ctx.fields("types")
    result: list[object] = []
    for kind, number in counts.items():
        if wanted is not None and kind not in wanted:
            continue
        result.append({
            "type": kind,
            "number": number,
            "lastId": f"{kind}-{uid}-{number}",
            "icon": _EVENT_ICONS[kind],
            "marker": f"{kind}:{number}",
            "message": f"{number} new {kind}",
            "uid": uid,
        })
    return result


_TOPIC_TYPES = frozenset({
    "USER", "USER_STATUS", "USER_NOTE", "GROUP_THEME", "GROUP_THEME_PROMO", "GROUP_SUGGESTED",
})
_MEDIA_TYPES = frozenset({"text", "link", "photo", "poll", "movie", "app"})


def _parse_attachment(raw: str) -> list[dict[str, object]]:
    try:
        attachment = json.loads(raw)
    except ValueError:
        raise OkApiError(100, "attachment is not valid JSON") from None
    if not isinstance(attachment, dict):
        raise OkApiError(100, "attachment must be a JSON object")
    media = attachment.get("media")
    if not isinstance(media, list) or not media:
        raise OkApiError(100, "attachment.media must be a non-empty array")
    blocks: list[dict[str, object]] = []
    for block in media:
        if not isinstance(block, dict) or block.get("type") not in _MEDIA_TYPES:
            raise OkApiError(100, f"attachment.media: unsupported block {block!r}")
        if block["type"] == "text" and not isinstance(block.get("text"), str):
            raise OkApiError(100, "attachment.media: text block without text")
        if block["type"] == "link" and not isinstance(block.get("url"), str):
            raise OkApiError(100, "attachment.media: link block without url")
        blocks.append({str(key): value for key, value in block.items()})
    return blocks


# Parameters and permissions: [apiok-doc-repo] mediatopic.post.md; returns the topic id
# (uncertain, protocol-notes §2.10).
def _mediatopic_post(ctx: CallContext) -> object:
    uid = ctx.user()
    kind = (ctx.text("type") or "USER").upper()
    if kind not in _TOPIC_TYPES:
        raise OkApiError(100, f"type: unsupported value {kind}")
    gid = ctx.text("gid")
    if gid is not None and not kind.startswith("GROUP_"):
        raise OkApiError(100, "gid requires type GROUP_THEME, GROUP_THEME_PROMO or GROUP_SUGGESTED")
    if gid is None and kind.startswith("GROUP_"):
        raise OkApiError(100, "gid is missing")
    needed = []
    if gid is not None:
        needed.append("GROUP_CONTENT")
    if kind == "USER_STATUS" or ctx.flag("set_status"):
        needed.append("SET_STATUS")
    if kind == "USER_NOTE":
        needed.append("PUBLISH_NOTE")
    ctx.need(*needed)
    if gid is not None and gid not in ctx.world.groups:
        raise OkApiError(160, "gid: unknown group")
    media = _parse_attachment(ctx.required("attachment"))
    topic = ctx.world.add_topic(uid, gid, kind, media, ctx.now_ms())
    ctx.wrote()
    return topic.topic_id


def _mediatopic_get_by_ids(ctx: CallContext) -> object:
    ids = ctx.id_list("topic_ids")
    topics = ctx.world.topics
    return {"media_topics": [topic_object(topics[tid]) for tid in ids if tid in topics]}


# Shape: feeds + entities (stream.get of apiok.ru); field names uncertain.
def _stream_get(ctx: CallContext) -> object:
    uid = ctx.user()
    world = ctx.world
    visible_users = {uid, *world.friends[uid]}
    my_groups = set(world.memberships[uid])
    feed = [topic for topic in world.topics_newest_first()
            if (topic.gid is None and topic.author in visible_users)
            or (topic.gid is not None and topic.gid in my_groups)]
    by_id = {topic.topic_id: topic for topic in feed}
    count = ctx.integer("count", 20, 1, MAX_PAGE)
    page = paginate([topic.topic_id for topic in feed], ctx.text("anchor"),
                    ctx.text("direction"), count)
    feeds: list[object] = []
    for topic_id in page.keys:
        topic = by_id[topic_id]
        feeds.append({
            "pattern": "POST",
            "date": _format_ms(topic.created_ms),
            "date_ms": topic.created_ms,
            "actor_refs": [f"user:{topic.author}"],
            "target_refs": [f"media_topic:{topic.topic_id}"],
        })
    result = _page_result(page, "feeds", feeds)
    result["entities"] = {"media_topics": [topic_object(by_id[tid]) for tid in page.keys]}
    return result


def _photo_owner(ctx: CallContext) -> tuple[str, bool]:
    gid = ctx.text("gid")
    if gid is not None:
        if gid not in ctx.world.groups:
            raise OkApiError(160, "gid: unknown group")
        return gid, True
    return _target_user(ctx), False


# Shape: {"photos", "anchor", "has_more", "totalCount"?} (protocol-notes §2.9).
def _photos_get_photos(ctx: CallContext) -> object:
    owner, _ = _photo_owner(ctx)
    aid = ctx.text("aid")
    if aid is not None:
        album = ctx.world.albums.get(aid)
        if album is None or album.owner != owner:
            raise OkApiError(120, "aid: unknown album")
    count = ctx.integer("count", 20, 1, MAX_PAGE)
    # No ``aid``: the personal photos only, not those of albums ("Если не указан, то
    # возвращаются фотографии из личного альбома", [apiok-doc-repo] photos.getPhotos.md).
    photos = [photo for photo in ctx.world.photos_of(owner, aid)
              if aid is not None or photo.album_id is None]
    page = paginate([photo.pid for photo in photos], ctx.text("anchor"), ctx.text("direction"),
                    count)
    items: list[object] = [photo_object(ctx, ctx.world.photos[pid]) for pid in page.keys]
    result = _page_result(page, "photos", items)
    if ctx.flag("detectTotalCount"):
        result["totalCount"] = len(photos)
    return result


_ALBUM_TYPES = frozenset({"PUBLIC", "FRIENDS", "PRIVATE"})


# Returns the album id string (http://apiok.ru/en/dev/methods/rest/photos/photos.createAlbum).
def _photos_create_album(ctx: CallContext) -> object:
    uid = ctx.user()
    title = ctx.required("title")
    kind = (ctx.text("type") or "PUBLIC").upper()
    if kind not in _ALBUM_TYPES:
        raise OkApiError(100, f"type: unsupported value {kind}")
    gid = ctx.text("gid")
    if gid is not None:
        ctx.need("GROUP_CONTENT")
        if gid not in ctx.world.groups:
            raise OkApiError(160, "gid: unknown group")
    aid = ctx.world.new_numeric_id()
    ctx.world.albums[aid] = Album(aid, gid or uid, title, ctx.text("description") or "",
                                  ctx.now_ms(), gid is not None)
    ctx.wrote()
    return aid


# Shape: {"albums", "pagingAnchor", "hasMore"} (photos.getAlbums paging names, §2.9).
def _photos_get_albums(ctx: CallContext) -> object:
    owner, _ = _photo_owner(ctx)
    albums = sorted((album for album in ctx.world.albums.values() if album.owner == owner),
                    key=lambda album: (album.created_ms, album.aid), reverse=True)
    count = ctx.integer("count", 20, 1, MAX_PAGE)
    page = paginate([album.aid for album in albums], ctx.text("pagingAnchor"),
                    ctx.text("pagingDirection"), count)
    items: list[object] = []
    for aid in page.keys:
        album = ctx.world.albums[aid]
        items.append({"aid": album.aid, "title": album.title, "description": album.description,
                      "created_ms": album.created_ms,
                      ("group_id" if album.group else "user_id"): album.owner,
                      "photos_count": len(ctx.world.photos_of(album.owner, album.aid))})
    return _page_result(page, "albums", items, anchor_key="pagingAnchor", more_key="hasMore")


# Shape: one {"ok": ...} / {"fail": ...} per call (protocol-notes §2.8).
def _batch_execute_v2(ctx: CallContext) -> object:
    if ctx.batch_depth:
        raise OkApiError(1200, "batch calls cannot be nested")
    try:
        calls = json.loads(ctx.required("methods"))
    except ValueError:
        raise OkApiError(100, "methods is not valid JSON") from None
    if not isinstance(calls, list) or not calls:
        raise OkApiError(100, "methods must be a non-empty JSON array")
    if len(calls) > MAX_BATCH:
        raise OkApiError(100, f"methods: at most {MAX_BATCH} calls")
    results: list[object] = []
    for call in calls:
        try:
            name, params = _batch_item(call)
            sub = CallContext(ctx.backend, params, ctx.token,
                              _sessionless_uid(ctx.token, params), ctx.api_server,
                              ctx.batch_depth + 1)
            results.append({"ok": invoke(name, sub)})
        except OkApiError as error:
            results.append({"fail": error.envelope()})
    return results


def _batch_item(call: object) -> tuple[str, dict[str, str]]:
    if not isinstance(call, dict) or len(call) != 1:
        raise OkApiError(100, "each batch item must be an object with exactly one method")
    ((name, spec),) = call.items()
    if not isinstance(spec, dict):
        raise OkApiError(100, f"{name}: call description must be an object")
    raw_params = spec.get("params", {})
    if not isinstance(raw_params, dict):
        raise OkApiError(100, f"{name}: params must be an object")
    params: dict[str, str] = {}
    for key, value in raw_params.items():
        if isinstance(value, bool):
            params[str(key)] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            params[str(key)] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif value is not None:
            params[str(key)] = str(value)
    return str(name), params


@dataclass(frozen=True)
class MethodSpec:
    """How a method is called: session rule, permissions, whether ``uid`` may stand in."""

    handler: Callable[[CallContext], object]
    session: Literal["required", "optional", "forbidden"] = "optional"
    permissions: tuple[str, ...] = ("VALUABLE_ACCESS",)
    acts_for_uid: bool = False


METHODS: dict[str, MethodSpec] = {
    "users.getcurrentuser": MethodSpec(_users_get_current_user, "required", ()),
    "users.getloggedinuser": MethodSpec(_users_get_logged_in_user, "required", ()),
    "users.getinfo": MethodSpec(_users_get_info),
    "friends.get": MethodSpec(_friends_get, acts_for_uid=True),
    "friends.getappusers": MethodSpec(_friends_get_app_users, acts_for_uid=True),
    "group.getinfo": MethodSpec(_group_get_info, permissions=("VALUABLE_ACCESS", "GROUP_CONTENT")),
    "group.getusergroupsbyids": MethodSpec(_group_get_user_groups_by_ids),
    "group.getusergroupsv2": MethodSpec(_group_get_user_groups_v2, acts_for_uid=True),
    "events.get": MethodSpec(_events_get, "required"),
    "mediatopic.post": MethodSpec(_mediatopic_post, acts_for_uid=True),
    "mediatopic.getbyids": MethodSpec(_mediatopic_get_by_ids),
    "stream.get": MethodSpec(_stream_get, "required"),
    "photos.getphotos": MethodSpec(_photos_get_photos, acts_for_uid=True,
                                   permissions=("VALUABLE_ACCESS", "PHOTO_CONTENT")),
    "photos.getalbums": MethodSpec(_photos_get_albums, acts_for_uid=True,
                                   permissions=("VALUABLE_ACCESS", "PHOTO_CONTENT")),
    "photos.createalbum": MethodSpec(_photos_create_album, acts_for_uid=True,
                                     permissions=("VALUABLE_ACCESS", "PHOTO_CONTENT")),
    "batch.executev2": MethodSpec(_batch_execute_v2, permissions=()),
    "group.getmembers": MethodSpec(_group_get_members),
}

#: Methods a batch may not contain (``auth.login`` is routed before the table, see :func:`call`).
_NOT_IN_BATCH = frozenset({"auth.login", "batch.executev2"})


def _sessionless_uid(token: IssuedToken | None, params: Mapping[str, str]) -> str | None:
    return None if token is not None else (params.get("uid") or None)


def invoke(name: str, ctx: CallContext) -> object:
    """Run method ``name`` for an already authenticated caller (session rules, permissions)."""
    key = name.lower()
    if ctx.batch_depth and key in _NOT_IN_BATCH:
        raise OkApiError(1200, f"{name} cannot be called in a batch")
    spec = METHODS.get(key)
    if spec is None:
        raise OkApiError(3, f"Method {name} does not exist")
    if spec.session == "required" and ctx.token is None:
        raise OkApiError(453, f"Session key is required for {name}")
    if spec.session == "forbidden" and ctx.token is not None:
        raise OkApiError(451)
    if ctx.sessionless_uid is not None:
        if not spec.acts_for_uid:
            ctx.sessionless_uid = None
        elif ctx.sessionless_uid not in ctx.world.profiles:
            raise OkApiError(110, "uid: unknown user")
        elif ctx.sessionless_uid not in ctx.world.app_users:
            raise OkApiError(10, "The user has not authorized the application")
    ctx.need(*spec.permissions)
    return spec.handler(ctx)


# --------------------------------------------------------------------------------------------
# The request pipeline
# --------------------------------------------------------------------------------------------


def method_from_path(path: str) -> str | None:
    """``/api/users/getCurrentUser`` -> ``users.getCurrentUser``; ``/fb.do`` -> None."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "api" and parts[1] and parts[2]:
        return f"{parts[1]}.{parts[2]}"
    return None


def _signature_ok(params: Mapping[str, str], received: str, secrets: Iterable[str]) -> bool:
    base = {key: value for key, value in params.items() if key not in {"sig", "access_token"}}
    candidates = [base]
    if "session_key" in base:
        # ok-js-sdk signs session_key, the doc text removes it: accept both.
        candidates.append({key: value for key, value in base.items() if key != "session_key"})
    return any(sign(candidate, secret) == received
               for candidate in candidates for secret in secrets)


def _accepted_secrets(
    backend: OkBackend, token: IssuedToken, app_secret_key: str
) -> tuple[str, ...]:
    """The secrets a signature in ``token``'s session may be made with.

    An OAuth token's session_secret_key is md5(access_token + app_secret_key), so client-server
    and server-server signatures coincide and both are accepted. An ``auth.login`` session's
    secret is random: under ``strict_session_secrets`` only that secret signs for it.
    """
    own = token.extra.get(SECRET_KEY, "")
    if backend.strict_session_secrets and token.extra.get(OPENED_BY) == "auth.login":
        return (own,)
    return own, server_secret(token.token, app_secret_key)


def call(
    backend: OkBackend,
    path: str,
    params: Mapping[str, str],
    duplicate_keys: Iterable[str],
    *,
    api_server: str,
) -> object:
    """Authenticate one API request and run it; raises :class:`OkApiError` on any failure.

    Order of checks: application_key (101), format/method/duplicates (100), signature (104),
    session (102), method exists (3), session rule (453 / 451), permissions (10), parameters (100).
    """
    world = backend.world
    app = world.app
    app_key = params.get("application_key")
    if not app_key or app_key != app.app_key:
        raise OkApiError(101, "application_key is missing" if not app_key
                         else "application_key is unknown")
    fmt = params.get("format")
    if fmt is not None and fmt.lower() != "json":
        raise OkApiError(100, f"format {fmt} is not supported, use json")
    duplicates = sorted(duplicate_keys)
    if duplicates:
        raise OkApiError(100, f"parameter repeated: {', '.join(duplicates)}")
    path_method = method_from_path(path)
    given_method = params.get("method")
    if path_method is not None:
        if given_method is not None and given_method.lower() != path_method.lower():
            raise OkApiError(100, f"method {given_method} does not match the path")
        method = path_method
    elif given_method:
        method = given_method
    else:
        raise OkApiError(100, "method is missing")

    access_token = params.get("access_token")
    session_key = params.get("session_key")
    if access_token and session_key and access_token != session_key:
        raise OkApiError(100, "access_token and session_key differ")
    token_value = access_token or session_key or None
    received = params.get("sig")
    is_login = method.lower() == "auth.login"

    token: IssuedToken | None = None
    if token_value is not None:
        token = backend.find_token(token_value)
        if token is None or token.client_id != str(app.app_id):
            # The secret of an unknown session cannot be known, so its signature is not checked.
            raise OkApiError(102, "Session is unknown or expired")
        if not received:
            raise OkApiError(104, "sig is missing")
        secrets = _accepted_secrets(backend, token, app.app_secret_key)
        if not _signature_ok(params, received, secrets):
            raise OkApiError(104)
        if not backend.token_alive(token):
            raise OkApiError(102)
        profile = world.profiles.get(token.uid)
        if profile is None or profile.blocked:
            raise OkApiError(102, "Session expired: the user is blocked")
    elif received:
        if not _signature_ok(params, received, (app.app_secret_key,)):
            raise OkApiError(104)
    elif not is_login:
        raise OkApiError(104, "sig is missing")

    if is_login:
        if token is not None:
            raise OkApiError(451)
        return auth_login(backend, params, api_server=api_server)
    ctx = CallContext(backend, params, token, _sessionless_uid(token, params), api_server)
    return invoke(method, ctx)


def auth_login(backend: OkBackend, params: Mapping[str, str], *, api_server: str) -> object:
    """``auth.login``: password login returning a new session with a random secret."""
    user_name = params.get("user_name") or ""
    password = params.get("password") or ""
    if not user_name or not password:
        raise OkApiError(100, "user_name and password are required")
    world = backend.world
    profile = world.find_login(user_name)
    if profile is None or profile.password != password:
        raise OkApiError(401, "Invalid login or password")
    if profile.blocked:
        raise OkApiError(401, "User is blocked")
    if world.app.test_mode and profile.uid not in world.app.testers:
        raise OkApiError(10, "The application is in test mode")
    # A password login is the user acting in person: the session carries every permission.
    record = backend.issue_ok_token(profile.uid, ALL_SCOPES,
                                    session_secret_key=world.random_hex())
    record.extra[OPENED_BY] = "auth.login"
    result: dict[str, object] = {
        "uid": profile.uid,
        "session_key": record.token,
        "session_secret_key": record.extra[SECRET_KEY],
        "auth_token": world.random_hex(24),
        "api_server": api_server,
        "activated_profile": True,
    }
    return result
