"""OK photo upload: ``photosV2.getUploadUrl`` → POST to the upload URL → ``photosV2.commit``.

Shapes (https://apiok.ru/dev/examples/moment_upload, the same two first steps for photos;
https://apiok.ru/en/dev/methods/rest/photosV2/photosV2.getUploadUrl):

1. ``photosV2.getUploadUrl`` (``aid``, ``gid``, ``count``) → ``{"upload_url", "photo_ids",
   "expires_ms", "ttl_ms"}``. The upload URL is on another host (``*.mycdn.me``) and carries
   its own one-time ``apiToken``: nothing of the session (token, signature) is sent there, and
   cookies only follow the cookie jar's domain rules.
2. ``POST upload_url``, ``multipart/form-data`` with the file in field ``pic1`` →
   ``{"photos": {"<photo_id>": {"token": "..."}}}``.
3. ``photosV2.commit`` (``photo_id``, ``token``, ``comment``) →
   ``{"photos": [{"photo_id", "status": "SUCCESS", "assigned_photo_id"}]}``; this last shape
   (and the upload server's error answers) are **uncertain**: the commit page was not
   retrievable, it is the shape OK clients read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._budget import BudgetScope
from .._redact import URL_DEPTH
from .._upload import MultipartBody, PhotoFile, check_upload_url, file_source, post_multipart
from ..exceptions import ResponseError

if TYPE_CHECKING:
    from .._exchange import Exchange
    from .._options import Settings
    from .dialect import OkDialect

__all__ = ["upload_photo"]

FILE_FIELD = "pic1"
UPLOAD = "photo upload"


def upload_photo(
    call: Callable[[str, Mapping[str, Any]], Any],
    exchange: Exchange,
    settings: Settings,
    dialect: OkDialect,
    file: PhotoFile,
    *,
    aid: str | None = None,
    gid: str | None = None,
    comment: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """Upload one photo (personal album unless ``aid``/``gid``); the commit's photo entry,
    ``{"photo_id", "status": "SUCCESS", "assigned_photo_id"}``.

    ``call`` is the session's API call (the two API steps are ordinary calls of the pipeline);
    the upload itself goes to another host in one bounded, paced exchange, never resent.
    """
    redact = exchange.redact
    with BudgetScope(settings.deadline, "photosV2 upload", redact):
        source = file_source(file, filename)  # checked (and a pipe spooled) before any call
        ticket = call("photosV2.getUploadUrl", {"aid": aid, "gid": gid, "count": 1})
        if not isinstance(ticket, Mapping):
            raise _shape("photosV2.getUploadUrl", "an object", ticket)
        url = check_upload_url(ticket.get("upload_url"), method="photosV2.getUploadUrl")
        redact.hold_url(url)  # its apiToken is a credential for this upload
        ids = ticket.get("photo_ids")
        if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
            raise _shape("photosV2.getUploadUrl", "one photo id in photo_ids", ids)
        photo_id = ids[0]
        body = MultipartBody({}, FILE_FIELD, source)
        if settings.rate_limiter is not None:
            settings.rate_limiter.acquire()
        uploaded = post_multipart(exchange, settings, dialect, url, body, what=UPLOAD)
        error = dialect.extract_error(uploaded, UPLOAD)
        if error is not None:
            if settings.pass_error:
                return dict(uploaded)
            raise dialect.api_error(error, uploaded, UPLOAD)
        token = _upload_token(uploaded, photo_id)
        redact.hold("photo upload tokens", token, depth=URL_DEPTH)
        committed = call(
            "photosV2.commit", {"photo_id": photo_id, "token": token, "comment": comment}
        )
    entries = committed.get("photos") if isinstance(committed, Mapping) else None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], Mapping):
        raise _shape("photosV2.commit", "photos: [{photo_id, status, ...}]", committed)
    entry = dict(entries[0])
    if entry.get("status") != "SUCCESS":
        raise ResponseError(
            f"photosV2.commit: the photo was not stored (status {entry.get('status')!r})",
            method="photosV2.commit",
        )
    return entry


def _upload_token(uploaded: object, photo_id: str) -> str:
    photos = uploaded.get("photos") if isinstance(uploaded, Mapping) else None
    entry = photos.get(photo_id) if isinstance(photos, Mapping) else None
    token = entry.get("token") if isinstance(entry, Mapping) else None
    if not isinstance(token, str) or not token:
        raise ResponseError(
            f"{UPLOAD}: the answer has no token for the photo id the platform gave",
            method=UPLOAD,
        )
    return token


def _shape(method: str, expected: str, got: object) -> ResponseError:
    return ResponseError(f"{method}: expected {expected}, got {type(got).__name__}", method=method)
