"""Mail.ru photo upload: ``photos.upload`` as a multipart POST to the API endpoint.

Shape (rb-mailru-api ``lib/mailru/api.rb`` posts ``photos.upload``; guestbook.post documents
``img_file`` as "file, POST", http://api.mail.ru/docs/reference/rest/guestbook.post/): the signed
parameters are ordinary form fields and the photo is the file field ``img_file``; the signature
covers the non-file parameters only, like any call. Parameters ``aid`` (default ``_myphoto``, the
personal album, as photos.get's example shows), ``name``, ``description``. The answer is read as
the photo object of photos.get (https://api.mail.ru/docs/reference/rest/photos-get); the official
page for photos.upload was not retrievable, so the field names and the answer shape are
**uncertain**. 501 is the image error code clients map (rb-mailru-api ``error.rb``).

The upload is one call of the call pipeline with a multipart ``send``: signing, pacing, the
refresh-and-replay of an expired session and the never-resend-a-write rule are the pipeline's,
as for every other write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._budget import BudgetScope
from .._upload import MultipartBody, PhotoFile, file_source, post_multipart
from ..signer import serialize_params

if TYPE_CHECKING:
    from .._exchange import Exchange
    from .._options import Settings
    from .._pipeline import CallPipeline

__all__ = ["upload_photo"]

METHOD = "photos.upload"
FILE_FIELD = "img_file"


def upload_photo(
    calls: CallPipeline,
    exchange: Exchange,
    settings: Settings,
    url: str,
    file: PhotoFile,
    *,
    aid: str = "_myphoto",
    name: str | None = None,
    description: str | None = None,
    filename: str | None = None,
) -> Any:
    """Upload one photo into album ``aid`` at the API endpoint ``url``; the photo object."""
    serialized = serialize_params({"aid": aid, "name": name, "description": description}, "mailru")

    with BudgetScope(settings.deadline, METHOD, calls.redact) as budget:
        source = file_source(file, filename)  # checked (and a pipe spooled) before sending

        def send(signed: dict[str, str]) -> tuple[Any, int]:
            body = MultipartBody(signed, FILE_FIELD, source)
            return post_multipart(exchange, settings, calls.dialect, url, body, what=METHOD), 200

        return calls.run(settings, budget, METHOD, serialized, send, is_write=True)
