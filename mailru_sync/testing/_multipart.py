"""``multipart/form-data`` request bodies for the emulators (photo uploads). Standard library only.

Why not ``email.parser``: it decodes the whole body into text and is slow on a 20 MB photo; this
parser only searches for the boundary and slices bytes. It is strict where a real server is
(a missing boundary, an unterminated part, a part without a name are 400s), so client bugs show.
"""

from __future__ import annotations

import collections
import dataclasses
from dataclasses import dataclass
from email.message import Message

from ._messages import EmulatorRequest

__all__ = ["MultipartError", "Upload", "expand", "image_kind", "parse"]


class MultipartError(ValueError):
    """The body is not well-formed ``multipart/form-data``."""


@dataclass(frozen=True)
class Upload:
    """One file part."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Parsed:
    fields: list[tuple[str, str]]
    files: list[Upload]


def _header_params(value: str, header: str) -> Message:
    message = Message()
    message[header] = value
    return message


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def parse(content_type: str, body: bytes) -> Parsed:
    """Split ``body`` into text fields and file parts (in the order sent)."""
    boundary = _header_params(content_type, "content-type").get_param(
        "boundary", header="content-type"
    )
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise MultipartError("multipart/form-data without a usable boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    if position < 0:
        raise MultipartError("the boundary never occurs in the body")
    fields: list[tuple[str, str]] = []
    files: list[Upload] = []
    while True:
        position += len(delimiter)
        if body[position : position + 2] == b"--":
            return Parsed(fields, files)
        if body[position : position + 2] != b"\r\n":
            raise MultipartError("a boundary line is not followed by CRLF")
        head_end = body.find(b"\r\n\r\n", position + 2)
        if head_end < 0:
            raise MultipartError("a part has no end of headers")
        headers = _headers(body[position + 2 : head_end])
        data_start = head_end + 4
        next_delimiter = body.find(b"\r\n" + delimiter, data_start)
        if next_delimiter < 0:
            raise MultipartError("a part is not terminated by the boundary")
        data = body[data_start:next_delimiter]
        raw_disposition = headers.get("content-disposition", "")
        if not raw_disposition.lower().startswith("form-data"):
            raise MultipartError("a part is not form-data")
        disposition = _header_params(raw_disposition, "cd")
        name = disposition.get_param("name", header="cd")
        if not isinstance(name, str) or not name:
            raise MultipartError("a part has no name")
        filename = disposition.get_param("filename", header="cd")
        if isinstance(filename, str):
            kind = headers.get("content-type", "application/octet-stream")
            files.append(Upload(name, filename, kind, data))
        else:
            fields.append((name, data.decode("utf-8", "replace")))
        position = next_delimiter + 2


def _headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep:
            raise MultipartError(f"a malformed part header: {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def expand(request: EmulatorRequest) -> tuple[EmulatorRequest, list[Upload]]:
    """A multipart request with its text fields as form parameters, and its files.

    Other requests come back unchanged, with no files.
    """
    if not is_multipart(request.headers.get("content-type", "")):
        return request, []
    parsed = parse(request.headers["content-type"], request.body)
    counts = collections.Counter(name for name, _ in parsed.fields)
    form = dict(parsed.fields)
    duplicates = {name for name, n in counts.items() if n > 1} | (request.query.keys() & form)
    expanded = dataclasses.replace(
        request,
        form=form,
        params={**request.query, **form},
        duplicate_keys=request.duplicate_keys | frozenset(duplicates),
    )
    return expanded, parsed.files


_MAGIC = {
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}


def image_kind(data: bytes) -> str | None:
    """``jpeg``, ``png`` or ``gif`` by the magic bytes; ``None`` for anything else."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    return None
