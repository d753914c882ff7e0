"""Streaming ``multipart/form-data`` bodies for photo uploads, and the checks around them.

Why our own body instead of requests' ``files=``: requests builds the whole multipart body in
memory, so a 20 MB photo costs 20 MB (and more while encoding). :class:`MultipartBody` knows its
length up front (``Content-Length``, no chunked encoding, which some upload servers refuse) and
yields the file in blocks as urllib3 sends it, re-readable from the start (a path is reopened,
a file object sought back) when a rejected request must be sent again.

The platform flows that use it are ``mailru_sync.mailru.uploads`` and ``mailru_sync.ok.uploads``.
"""

from __future__ import annotations

import io
import os
import secrets
import select
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Union
from urllib.parse import urlsplit

from ._budget import current as current_budget
from ._response import decode_json, snippet_of
from .exceptions import HTTPStatusError, ParameterError, RequestTimeout, ResponseError

if TYPE_CHECKING:
    from ._exchange import Exchange
    from ._options import Settings
    from ._pipeline import Dialect

__all__ = [
    "MAX_STREAM_SIZE",
    "FileSource",
    "MultipartBody",
    "PhotoFile",
    "check_upload_url",
    "file_source",
    "post_multipart",
]

#: What ``upload_photo`` accepts: a path, the bytes, or a binary file object.
PhotoFile = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]

#: Block size read from the file while sending.
BLOCK = 64 * 1024
#: A non-seekable stream is spooled to a temporary file beyond this many bytes in memory.
SPOOL_IN_MEMORY = 1024 * 1024

_CONTENT_TYPES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


@dataclass
class FileSource:
    """A file to send, readable from its start as many times as needed, with a known size."""

    filename: str
    size: int
    _path: str | None = None
    _data: memoryview | None = None
    _stream: IO[bytes] | None = None
    _start: int = 0

    def blocks(self) -> Iterator[bytes | memoryview]:
        """The file's content from the start, ``BLOCK`` bytes at a time (never all at once)."""
        if self._data is not None:
            for offset in range(0, len(self._data), BLOCK):
                yield self._data[offset : offset + BLOCK]
            return
        if self._path is not None:
            with open(self._path, "rb") as handle:
                yield from self._read(handle, self.size)
            return
        assert self._stream is not None
        self._stream.seek(self._start)
        yield from self._read(self._stream, self.size)

    def head(self, n: int = 16) -> bytes:
        """The first ``n`` bytes (to guess the content type)."""
        for block in self.blocks():
            return bytes(block[:n])
        return b""

    @staticmethod
    def _read(handle: IO[bytes], size: int) -> Iterator[bytes]:
        left = size
        while left > 0:
            block = handle.read(min(BLOCK, left))
            if not block:
                raise ParameterError(
                    f"the file shrank while it was being sent ({size - left} of {size} bytes)"
                )
            left -= len(block)
            yield block

    def content_type(self) -> str:
        """``image/jpeg``, ``image/png`` or ``image/gif`` from the magic bytes, else octet-stream
        (the platform then answers with its own "not an image" error)."""
        head = self.head()
        for magic, kind in _CONTENT_TYPES.items():
            if head.startswith(magic):
                return kind
        return "application/octet-stream"


def file_source(file: object, filename: str | None = None) -> FileSource:
    """Wrap what the user passed; no copy of paths, bytes or seekable files is made.

    Refused before anything is sent (:class:`~mailru_sync.ParameterError`): an empty file,
    and anything that is not a regular file (a directory, a device such as ``/dev/zero``, a
    FIFO or socket given by path). A non-seekable stream (a pipe) is spooled, at most
    :data:`MAX_STREAM_SIZE` bytes, within the call's deadline.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if not isinstance(path, str):
            raise ParameterError("file: pass a str path, not bytes")
        try:
            info = os.stat(path)
        except OSError as exc:
            raise ParameterError(f"file: cannot read {path!r}: {exc.strerror}") from None
        _check_regular(info, repr(path))
        return FileSource(filename or os.path.basename(path), info.st_size, _path=path)
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = memoryview(file).cast("B")
        _check_size(len(data), "the bytes given")
        return FileSource(filename or "photo", len(data), _data=data)
    read = getattr(file, "read", None)
    if not callable(read):
        raise ParameterError(
            f"file must be a path, bytes or a binary file object, got {type(file).__name__}"
        )
    if isinstance(file, io.TextIOBase):
        raise ParameterError("file is opened in text mode; open it with 'rb'")
    stream: IO[bytes] = file  # type: ignore[assignment]
    name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or "photo"
    opened = _fstat(stream)
    if opened is not None and not (
        stat.S_ISFIFO(opened.st_mode) or stat.S_ISSOCK(opened.st_mode)
    ):
        _check_regular(opened, f"the file object {name!r}")
    if _seekable(stream):
        start = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(start)
        _check_size(end - start, f"the file object {name!r} (from its current position)")
        return FileSource(name, end - start, _stream=stream, _start=start)
    return _spooled(stream, name)


#: The most a non-seekable stream (a pipe) is read into the spool: the platforms' photo size
#: limit, as far as it is known (the emulators enforce 32 MB); a larger photo should be passed
#: as a path or a seekable file, which are sent as they are, never copied.
MAX_STREAM_SIZE = 32 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(info: os.stat_result, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise ParameterError(
            f"file: {what} is {kind}, not a regular file; pass a photo file, its bytes or an "
            "open binary file"
        )
    _check_size(info.st_size, what)


def _check_size(size: int, what: str) -> None:
    if size <= 0:
        raise ParameterError(f"file: {what} is empty; there is no photo to upload")


def _fstat(stream: object) -> os.stat_result | None:
    fileno = getattr(stream, "fileno", None)
    if not callable(fileno):
        return None
    try:
        return os.fstat(fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _spooled(stream: IO[bytes], name: str) -> FileSource:
    """Copy a pipe or socket (it cannot be read twice and has no size) into a spool (on disk
    past :data:`SPOOL_IN_MEMORY`), at most :data:`MAX_STREAM_SIZE` bytes, before the call's
    deadline: a read that would block is waited for only as long as the deadline allows."""
    budget = current_budget()
    fd = _fileno(stream)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    read = getattr(stream, "read1", None) or stream.read  # what has arrived, not a full block
    while True:
        if budget is not None:
            waited_out = fd is not None and not _readable_within(fd, budget.remaining())
            if waited_out or budget.expired():
                spool.close()
                raise RequestTimeout(
                    f"photo upload: the stream {name!r} was still being read ({size} bytes) "
                    f"when the {budget.seconds:g} s deadline passed; nothing was sent",
                    method="photo upload",
                    may_have_reached=False,
                )
        block = read(BLOCK)
        if not block:
            break
        if not isinstance(block, bytes):
            spool.close()
            raise ParameterError("file is opened in text mode; open it with 'rb'")
        size += len(block)
        if size > MAX_STREAM_SIZE:
            spool.close()
            raise ParameterError(
                f"file: the stream {name!r} is longer than {MAX_STREAM_SIZE} bytes (the most a "
                "non-seekable stream is spooled); pass a path or a seekable file instead"
            )
        spool.write(block)
    _check_size(size, f"the stream {name!r}")
    return FileSource(name, size, _stream=spool, _start=0)


def _fileno(stream: object) -> int | None:
    fileno = getattr(stream, "fileno", None)
    try:
        return int(fileno()) if callable(fileno) else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _readable_within(fd: int, seconds: float) -> bool:
    """Whether ``fd`` has data (or EOF) within ``seconds``; True where that cannot be asked."""
    try:
        ready, _, _ = select.select([fd], [], [], max(seconds, 0.0))
    except (OSError, ValueError):
        return True
    return bool(ready)


def _seekable(stream: object) -> bool:
    try:
        return bool(getattr(stream, "seekable", lambda: False)())
    except (OSError, ValueError):
        return False


def _quote(text: str) -> str:
    """A header parameter value: quotes and line breaks cannot escape the header."""
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """``multipart/form-data`` with text fields, then one file, streamed; ``len()`` is exact.

    requests sends an iterable with ``__len__`` as is, with that ``Content-Length``.
    """

    def __init__(self, fields: Mapping[str, str], file_field: str, source: FileSource) -> None:
        self.boundary = f"mailru-sync-{secrets.token_hex(16)}"
        self.source = source
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'
            f"\r\n\r\n{value}\r\n"
            for name, value in fields.items()
        ]
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(source.filename)}"\r\nContent-Type: {source.content_type()}'
            "\r\n\r\n"
        )
        self._head = "".join(parts).encode("utf-8")
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.source.size + len(self._tail)

    def __iter__(self) -> Iterator[bytes | memoryview]:
        yield self._head
        yield from self.source.blocks()
        yield self._tail


def check_upload_url(url: object, *, method: str) -> str:
    """The upload URL the platform returned, if it is an http(s) URL with a host.

    Why check: the URL comes from a response; a ``file://`` or userinfo-carrying URL, or garbage,
    must not become a request. Nothing but the photo goes there (no token, no signature).
    """
    if not isinstance(url, str) or not url:
        raise ResponseError(f"{method}: the answer has no upload_url", method=method)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        raise ResponseError(f"{method}: upload_url is not a valid URL", method=method) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ResponseError(
            f"{method}: upload_url must be an http(s) URL, got scheme {parts.scheme!r}",
            method=method,
        )
    if "@" in parts.netloc:
        raise ResponseError(f"{method}: upload_url carries credentials; refused", method=method)
    return url


def post_multipart(
    exchange: Exchange, settings: Settings, dialect: Dialect, url: str, body: MultipartBody,
    *, what: str,
) -> Any:
    """POST ``body`` in one bounded exchange; the decoded JSON answer.

    A platform error object in the answer is returned as is (the caller maps it, it knows the
    method); an HTTP error status without one raises :class:`~mailru_sync.HTTPStatusError`.
    The request is never resent here (whether an upload is resent is the call pipeline's
    decision, as for any write), nor paced (the caller paces, once per attempt).
    """
    redact = exchange.redact
    response = exchange.request(
        "POST",
        url,
        what=what,
        deadline=settings.deadline,
        limit=settings.max_body_size,
        configured=settings.timeout,
        data=body,
        headers={"Content-Type": body.content_type},
    )
    raw = response.content
    if response.status_code >= 400:
        try:
            decoded = decode_json(response, method=what, redact=redact, raw=raw)
        except ResponseError:
            decoded = None
        if decoded is not None and dialect.extract_error(decoded, what) is not None:
            return decoded
        snippet = snippet_of(raw.decode("utf-8", "replace"), redact)
        raise HTTPStatusError(
            f"{what}: HTTP {response.status_code} from the upload: {snippet!r}",
            method=what,
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            snippet=snippet,
        )
    return decode_json(response, method=what, redact=redact, raw=raw)
