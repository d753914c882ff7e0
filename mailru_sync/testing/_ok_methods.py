"""The OK REST methods the emulator serves, their calling rules, and :func:`invoke`.

Each handler takes an authenticated :class:`CallContext` and returns the JSON-able result or
raises :class:`OkApiError`; authentication itself is the request pipeline's (``_ok_api``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from ._ok_call import (
    MAX_BATCH,
    MAX_PAGE,
    CallContext,
    OkApiError,
    page_result,
    paginate,
)
from ._ok_shapes import format_ms, group_object, photo_object, topic_object, user_object
from ._ok_world import (
    Album,
)
from ._tokens import IssuedToken

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
    return page_result(page, "groups", items)


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
    return page_result(page, "members", items)


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
            "date": format_ms(topic.created_ms),
            "date_ms": topic.created_ms,
            "actor_refs": [f"user:{topic.author}"],
            "target_refs": [f"media_topic:{topic.topic_id}"],
        })
    result = page_result(page, "feeds", feeds)
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
    result = page_result(page, "photos", items)
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
    return page_result(page, "albums", items, anchor_key="pagingAnchor", more_key="hasMore")


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
                              sessionless_uid(ctx.token, params), ctx.api_server,
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


def sessionless_uid(token: IssuedToken | None, params: Mapping[str, str]) -> str | None:
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


