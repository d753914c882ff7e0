"""The JSON shapes of OK objects (users, groups, photos, topics) as the methods return them.

Why apart: several methods return the same object; one place says where each field comes from.
"""

from __future__ import annotations

import time

from ._ok_call import CallContext
from ._ok_world import (
    Photo,
    Profile,
    Topic,
)

# --------------------------------------------------------------------------------------------
# Object shapes
# --------------------------------------------------------------------------------------------

_DEFAULT_USER_FIELDS = frozenset({
    "uid", "first_name", "last_name", "name", "gender", "birthday", "age", "locale",
    "location", "pic_1", "pic_2", "pic_3", "has_email",
})


def format_ms(ms: int) -> str:
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
        "last_online": format_ms(profile.last_online_ms),
        "last_online_ms": profile.last_online_ms,
        "registered_date": format_ms(profile.registered_ms),
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


