"""OK photo uploads in the emulator: photosV2.getUploadUrl, the upload server, photosV2.commit.

Flow and shapes (https://apiok.ru/dev/examples/moment_upload, the same first two steps for
photos; https://apiok.ru/en/dev/methods/rest/photosV2/photosV2.getUploadUrl):

1. ``photosV2.getUploadUrl`` (``aid``, ``gid``, ``count``) → ``{"upload_url", "photo_ids",
   "expires_ms", "ttl_ms"}``; the URL carries a one-time ``apiToken`` and the ``photoIds``.
2. ``POST upload_url``, multipart, files ``pic1``..``picN`` in the order of the ids →
   ``{"photos": {"<photo_id>": {"token": "..."}}}``.
3. ``photosV2.commit`` (``photo_id``, ``token``, ``comment``) →
   ``{"photos": [{"photo_id", "status": "SUCCESS", "assigned_photo_id"}]}``; the photo then
   appears in photos.getPhotos under ``assigned_photo_id``.

The upload server's own error answers are not documented (**uncertain**): it answers OK's error
envelope with HTTP 200 -- 100 for a missing, unknown or expired ``apiToken``, 500
PHOTO_SIZE_LIMIT_EXCEEDED for a file above ``world.max_photo_bytes``, 503 PHOTO_INVALID_FORMAT for
anything that is not JPEG, PNG or GIF (magic bytes). A wrong token at commit is 100, an unknown
photo id 121. On the real platform the upload host is another origin (``*.mycdn.me``); here it is
the emulator's own ``/uploadImage``.
"""

from __future__ import annotations

import time

from ._messages import EmulatorRequest, EmulatorResponse
from ._multipart import MultipartError, image_kind, parse
from ._ok_call import JSON_CONTENT_TYPE, CallContext, OkApiError
from ._ok_methods import MethodSpec
from ._ok_world import OkWorld, PendingUpload, Photo

__all__ = ["METHODS", "UPLOAD_OVERHEAD", "UPLOAD_PATH", "upload_image"]

UPLOAD_PATH = "/uploadImage"
#: Request bytes allowed beyond the largest photo (other parts, headers).
UPLOAD_OVERHEAD = 64 * 1024
#: How long an upload URL stays valid (the example answer shows about a day).
TTL_MS = 86_400_000
MAX_COUNT = 20


def _get_upload_url(ctx: CallContext) -> object:
    uid = ctx.user()
    gid = ctx.text("gid")
    aid = ctx.text("aid")
    count = ctx.integer("count", 1, 1, MAX_COUNT)
    owner = uid
    if gid is not None:
        ctx.need("GROUP_CONTENT")
        if gid not in ctx.world.groups:
            raise OkApiError(160, "gid: unknown group")
        if aid is None:
            raise OkApiError(100, "aid is required to upload into a group album")
        owner = gid
    if aid is not None:
        album = ctx.world.albums.get(aid)
        if album is None or album.owner != owner:
            raise OkApiError(120, "aid: unknown album")
    now = ctx.now_ms()
    api_token = ctx.world.random_token("", 40)
    ids = [ctx.world.random_hex(40) for _ in range(count)]
    for photo_id in ids:
        ctx.world.uploads[photo_id] = PendingUpload(
            photo_id, uid, owner, aid, gid is not None, api_token, now + TTL_MS
        )
    return {
        "upload_url": f"{ctx.api_server}{UPLOAD_PATH.lstrip('/')}?apiToken={api_token}"
        f"&photoIds={','.join(ids)}",
        "photo_ids": ids,
        "expires_ms": now + TTL_MS,
        "ttl_ms": TTL_MS,
    }


def _commit(ctx: CallContext) -> object:
    photo_id = ctx.required("photo_id")
    token = ctx.required("token")
    comment = ctx.text("comment") or ""
    world = ctx.world
    pending = world.uploads.get(photo_id)
    if pending is None or pending.uid != ctx.user():
        raise OkApiError(121, "photo_id: unknown upload")
    if not pending.token or token != pending.token or pending.committed:
        raise OkApiError(100, "token is invalid for this photo_id")
    pending.committed = True
    pid = world.new_numeric_id()
    world.photos[pid] = Photo(
        pid=pid,
        owner=pending.owner,
        album_id=pending.album_id,
        text=comment,
        created_ms=ctx.now_ms(),
        width=1024,
        height=768,
        like_count=0,
        group=pending.group,
    )
    world.photo_order.insert(0, pid)  # newest first
    ctx.wrote()
    return {"photos": [{"photo_id": photo_id, "status": "SUCCESS", "assigned_photo_id": pid}]}


#: Registered into the API's method table by ``_ok.py``.
METHODS: dict[str, MethodSpec] = {
    "photosv2.getuploadurl": MethodSpec(
        _get_upload_url, acts_for_uid=True, permissions=("PHOTO_CONTENT",)
    ),
    "photosv2.commit": MethodSpec(_commit, acts_for_uid=True, permissions=("PHOTO_CONTENT",)),
}


def _error(code: int, text: str) -> EmulatorResponse:
    return EmulatorResponse.json(OkApiError(code, text).envelope(), JSON_CONTENT_TYPE)


def upload_image(world: OkWorld, request: EmulatorRequest) -> EmulatorResponse:
    """The upload server: store each file part against its photo id, answer the tokens."""
    if request.method != "POST":
        return _error(100, "use POST with multipart/form-data")
    api_token = request.query.get("apiToken", "")
    ids = [i for i in request.query.get("photoIds", "").split(",") if i]
    pending = [world.uploads.get(photo_id) for photo_id in ids]
    now = int(time.time() * 1000)  # wall clock, as CallContext.now_ms
    if (
        not api_token
        or not ids
        or any(
            p is None or p.api_token != api_token or p.expires_ms < now or p.token for p in pending
        )
    ):
        return _error(100, "apiToken is missing, unknown, expired or already used")
    try:
        files = parse(request.headers.get("content-type", ""), request.body).files
    except MultipartError as exc:
        return _error(100, f"malformed multipart body: {exc}")
    if not files or len(files) > len(ids):
        return _error(100, f"expected 1 to {len(ids)} files, got {len(files)}")
    for upload in files:
        if len(upload.data) > world.max_photo_bytes:
            return _error(500, f"the photo is larger than {world.max_photo_bytes} bytes")
        if image_kind(upload.data) is None:
            return _error(503, "the file is not a JPEG, PNG or GIF image")
    tokens: dict[str, object] = {}
    for photo_id, upload in zip(ids, files, strict=False):
        record = world.uploads[photo_id]
        record.token = world.random_token("", 48)
        record.size = len(upload.data)
        tokens[photo_id] = {"token": record.token}
    return EmulatorResponse.json({"photos": tokens}, JSON_CONTENT_TYPE)
