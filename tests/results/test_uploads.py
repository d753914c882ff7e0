"""Photo uploads on both platforms against the emulators: paths, bytes, file objects, errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, APIError, ParameterError
from mailru_sync._upload import MultipartBody, check_upload_url, file_source
from mailru_sync.testing import MailruEmulator, OkEmulator
from mailru_sync.testing._multipart import parse

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000
GIF = b"GIF89a" + b"\x01" * 500


class Pipe(io.RawIOBase):
    """A non-seekable binary stream (like a pipe or a socket file)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_mailru_upload_from_a_path_shows_in_photos_get(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "дача.jpg"
    path.write_bytes(JPEG)
    photo = mailru.upload_photo(path, name="Дача", description="лето")
    assert photo["aid"] == "_myphoto" and photo["title"] == "Дача" and photo["size"] == len(JPEG)
    listed = list(API(mailru).photos.get.iter(aid="_myphoto"))
    assert listed[-1] == photo
    sent = mailru_emulator.requests[-2]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent.headers["content-length"] == str(len(sent.body))
    form = parse(sent.headers["content-type"], sent.body)
    assert [f.name for f in form.files] == ["img_file"] and form.files[0].data == JPEG
    assert form.files[0].filename == "дача.jpg" and form.files[0].content_type == "image/jpeg"
    fields = dict(form.fields)
    assert fields["method"] == "photos.upload" and fields["name"] == "Дача" and "sig" in fields


@pytest.mark.parametrize("make", [bytes, bytearray, io.BytesIO, Pipe])
def test_mailru_upload_from_memory_and_streams(
    mailru: mailru_sync.ServerSession, make: type, tmp_path: Path
) -> None:
    photo = mailru.upload_photo(make(PNG), aid="1", filename="x.png")
    assert photo["aid"] == "1" and photo["size"] == len(PNG)
    assert API(mailru).photos.get(aid="1")[-1]["pid"] == photo["pid"]


def test_mailru_upload_errors(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    with pytest.raises(APIError, match="error 501") as info:
        mailru.upload_photo(b"%PDF-1.4 not an image")
    assert info.value.code == 501
    mailru_emulator.world.max_photo_bytes = len(GIF) - 1
    with pytest.raises(APIError, match="error 501"):
        mailru.upload_photo(GIF)
    mailru_emulator.world.max_photo_bytes = len(GIF)
    assert mailru.upload_photo(GIF)["size"] == len(GIF)
    with pytest.raises(mailru_sync.InvalidParamError):
        mailru.upload_photo(GIF, aid="no-such-album")


def test_mailru_expired_session_is_refreshed_and_the_upload_sent_again(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    session = mailru_sync.RefreshSession(
        emu.app.app_id,
        emu.app.private_key,
        emu.app.secret_key,
        emu.user.refresh_token,
        base_url=emu.url,
    )
    session.apply_token(
        {
            "access_token": emu.user.access_token,
            "refresh_token": emu.user.refresh_token,
            "x_mailru_vid": emu.user.uid,
        }
    )
    emu.expire_token(emu.user.access_token)
    writes = emu.counters["writes_applied"]
    photo = session.upload_photo(JPEG)
    assert photo["size"] == len(JPEG)
    assert session.refresh_count == 1
    assert emu.counters["writes_applied"] == writes + 1


def test_ok_upload_flow_and_the_photo_in_get_photos(
    okru: ok.ClientSession, ok_emulator: OkEmulator, tmp_path: Path
) -> None:
    album = next(a for a in ok_emulator.world.albums.values() if a.owner == ok_emulator.user.uid)
    path = tmp_path / "photo.gif"
    path.write_bytes(GIF)
    with path.open("rb") as handle:
        entry = okru.upload_photo(handle, aid=album.aid, comment="Привет")
    assert entry["status"] == "SUCCESS" and entry["photo_id"]
    photos = list(API(okru).photos.getPhotos.iter(aid=album.aid))
    assert photos[0]["id"] == entry["assigned_photo_id"] and photos[0]["text"] == "Привет"
    upload = next(r for r in reversed(ok_emulator.requests) if r.path == "/uploadImage")
    # Nothing of the session goes to the upload host: no token, signature or app key.
    assert "access_token" not in upload.params and "sig" not in upload.params
    assert okru.access_token.encode() not in upload.body
    assert okru.app_key.encode() not in upload.body
    form = parse(upload.headers["content-type"], upload.body)
    assert form.fields == [] and [f.name for f in form.files] == ["pic1"]
    assert form.files[0].data == GIF


def test_ok_upload_errors(okru: ok.ClientSession, ok_emulator: OkEmulator) -> None:
    with pytest.raises(APIError, match="PHOTO_INVALID_FORMAT") as info:
        okru.upload_photo(b"GIF88a is not a GIF")
    assert info.value.code == 503
    ok_emulator.world.max_photo_bytes = 100
    with pytest.raises(APIError, match="PHOTO_SIZE_LIMIT_EXCEEDED"):
        okru.upload_photo(JPEG)
    with pytest.raises(APIError) as album_error:
        okru.upload_photo(JPEG, aid="123")
    assert album_error.value.code == 120


def test_ok_emulator_refuses_bad_upload_and_commit_tokens(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    import requests

    ticket = okru.call("photosV2.getUploadUrl", {"count": 1})
    photo_id = ticket["photo_ids"][0]
    body = MultipartBody({}, "pic1", file_source(PNG, "a.png"))
    forged = ticket["upload_url"].replace("apiToken=", "apiToken=x")
    answer = requests.post(
        forged, data=body, headers={"Content-Type": body.content_type}, timeout=10
    ).json()
    assert answer["error_code"] == 100
    with pytest.raises(mailru_sync.InvalidParamError, match="token"):
        okru.call("photosV2.commit", {"photo_id": photo_id, "token": "guess"})
    answer = requests.post(
        ticket["upload_url"], data=body, headers={"Content-Type": body.content_type}, timeout=10
    ).json()
    token = answer["photos"][photo_id]["token"]
    again = requests.post(
        ticket["upload_url"], data=body, headers={"Content-Type": body.content_type}, timeout=10
    ).json()
    assert again["error_code"] == 100  # one upload per ticket
    with pytest.raises(APIError) as unknown:
        okru.call("photosV2.commit", {"photo_id": "nope", "token": token})
    assert unknown.value.code == 121
    result = okru.call("photosV2.commit", {"photo_id": photo_id, "token": token})
    assert result["photos"][0]["status"] == "SUCCESS"
    with pytest.raises(mailru_sync.InvalidParamError):  # a token commits once
        okru.call("photosV2.commit", {"photo_id": photo_id, "token": token})


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://host/x",
        "http://user:pw@host/x",
        "http:///nohost",
        "",
        None,
        "http://host:port/x",
    ],
)
def test_upload_urls_are_checked(url: object) -> None:
    with pytest.raises(mailru_sync.ResponseError):
        check_upload_url(url, method="photosV2.getUploadUrl")
    assert check_upload_url("https://pu.mycdn.me/upload?x=1", method="m")


def test_bad_files_are_parameter_errors(mailru: mailru_sync.ServerSession, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="cannot read"):
        mailru.upload_photo(tmp_path / "missing.jpg")
    with pytest.raises(ParameterError, match="not a regular file"):
        mailru.upload_photo(tmp_path)
    with pytest.raises(ParameterError, match="text mode"):
        mailru.upload_photo(io.StringIO("abc"))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="binary file object"):
        mailru.upload_photo(12345)  # type: ignore[arg-type]


def test_multipart_body_streams_with_an_exact_length(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(JPEG * 50)
    body = MultipartBody({"a": "1", "имя": "значение"}, "pic1", file_source(path))
    first = b"".join(bytes(block) for block in body)
    assert len(first) == len(body)
    assert b"".join(bytes(block) for block in body) == first  # re-readable for a resend
    blocks = list(body)
    assert max(len(block) for block in blocks) <= 64 * 1024 + 512
    parsed = parse(body.content_type, first)
    assert parsed.fields == [("a", "1"), ("имя", "значение")]
    assert parsed.files[0].data == JPEG * 50
    with path.open("rb") as handle:
        handle.seek(4)
        source = file_source(handle)
        assert source.size == len(JPEG) * 50 - 4
        assert os.path.basename(source.filename) == "big.jpg"
