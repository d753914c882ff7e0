"""Mail.ru photo upload: ``photos.upload`` as a multipart POST to the API endpoint.

Shape (rb-mailru-api ``lib/mailru/api.rb`` posts ``photos.upload``; guestbook.post documents
``img_file`` as "file, POST", http://api.mail.ru/docs/reference/rest/guestbook.post/): the signed
parameters are ordinary form fields and the photo is the file field ``img_file``; the signature
covers the non-file parameters only, like any call. Parameters ``aid`` (default ``_myphoto``, the
personal album, as photos.get's example shows), ``name``, ``description``. The answer is read as
the photo object of photos.get (https://api.mail.ru/docs/reference/rest/photos-get); the official
page for photos.upload was not retrievable, so the field names and the answer shape are
**uncertain**. 501 is the image error code clients map (rb-mailru-api ``error.rb``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._upload import MultipartBody, PhotoFile, file_source, post_multipart
from ..exceptions import SessionExpiredError
from ..signer import serialize_params

if TYPE_CHECKING:
    from .sessions import MailruSession

__all__ = ["upload_photo"]

logger = logging.getLogger("mailru_sync")
METHOD = "photos.upload"
FILE_FIELD = "img_file"


def upload_photo(
    session: MailruSession,
    file: PhotoFile,
    *,
    aid: str = "_myphoto",
    name: str | None = None,
    description: str | None = None,
    filename: str | None = None,
) -> Any:
    """Upload one photo into album ``aid``; the platform's photo object.

    An expired session is refreshed and the upload sent once more (the platform refused it
    without storing anything); any other failure is raised, never resent.
    """
    source = file_source(file, filename)
    serialized = serialize_params({"aid": aid, "name": name, "description": description}, "mailru")
    refreshed = False
    with session.budget_scope(METHOD):
        while True:
            session._ensure_ready()
            with session._state_lock:
                token_used = session.access_token
                signed = session._sign(METHOD, serialized)
            body = MultipartBody(signed, FILE_FIELD, source)
            result = post_multipart(session, session._api_url(METHOD), body, what=METHOD)
            error = session._extract_error(result, METHOD)
            if error is None:
                return result
            api_error = session._api_error(error, result, METHOD)
            if isinstance(api_error, SessionExpiredError) and not refreshed and session.can_refresh:
                refreshed = True
                logger.info("%s: session expired, refreshing the token", METHOD)
                session._refresh_single_flight(token_used)
                continue
            if session.pass_error:
                return result
            raise api_error
