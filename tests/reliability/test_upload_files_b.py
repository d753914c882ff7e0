"""Issue 19 point 11: uploads refuse what is not a photo file before anything is sent, and a
non-seekable stream is spooled up to a documented cap, inside the deadline. Real files, FIFOs,
devices, pipes and a ``cat`` subprocess; the emulator counts what reached it."""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailru_sync
import mailru_sync._upload as upload
from mailru_sync import ParameterError, RequestTimeout
from mailru_sync.testing import MailruEmulator

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
SLACK = 4.0  # seconds of scheduling slack (a bound, not a speed goal)


@pytest.fixture
def session(mailru_emulator: MailruEmulator) -> Iterator[mailru_sync.ServerSession]:
    e = mailru_emulator
    with mailru_sync.ServerSession(
        e.app.app_id, e.app.secret_key, e.user.access_token, base_url=e.url, deadline=2
    ) as made:
        yield made


def _uploads(emu: MailruEmulator) -> int:
    return sum(1 for r in emu.requests if b"photos.upload" in (r.body or b""))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda tmp: tmp / "empty.jpg", id="empty file"),
        pytest.param(lambda tmp: b"", id="empty bytes"),
        pytest.param(lambda tmp: io.BytesIO(b""), id="empty stream"),
        pytest.param(lambda tmp: tmp, id="directory"),
        pytest.param(lambda tmp: "/dev/null", id="device path"),
        pytest.param(lambda tmp: open("/dev/zero", "rb"), id="device opened"),  # noqa: SIM115
        pytest.param(lambda tmp: tmp / "fifo", id="FIFO path"),
    ],
)
def test_what_is_not_a_photo_file_is_refused_before_sending(
    session: mailru_sync.ServerSession, mailru_emulator: MailruEmulator, tmp_path: Path,
    make: object,
) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    os.mkfifo(tmp_path / "fifo")
    file = make(tmp_path)  # type: ignore[operator]
    before = _uploads(mailru_emulator)
    try:
        with pytest.raises(ParameterError, match=r"empty|directory|device|FIFO"):
            session.upload_photo(file)
    finally:
        if hasattr(file, "close"):
            file.close()
    assert _uploads(mailru_emulator) == before


def test_a_pipe_from_a_subprocess_is_spooled_and_sent(
    session: mailru_sync.ServerSession, mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)
    before = _uploads(mailru_emulator)
    with subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE) as cat:
        assert cat.stdout is not None
        photo = session.upload_photo(cat.stdout, filename="photo.jpg")
    assert photo["size"] == len(JPEG)
    assert _uploads(mailru_emulator) == before + 1  # the counter sees uploads


def test_a_stream_past_the_cap_is_refused(
    session: mailru_sync.ServerSession, mailru_emulator: MailruEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(upload, "MAX_STREAM_SIZE", 100_000)
    before = _uploads(mailru_emulator)
    with subprocess.Popen(
        ["head", "-c", "300000", "/dev/zero"], stdout=subprocess.PIPE
    ) as head:
        assert head.stdout is not None
        with pytest.raises(ParameterError, match="longer than 100000 bytes"):
            session.upload_photo(head.stdout)
        head.kill()
    assert _uploads(mailru_emulator) == before


def test_a_silent_pipe_is_given_up_at_the_deadline(
    session: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, JPEG[:100])
    closed = threading.Event()

    def hang_up() -> None:
        if not closed.is_set():
            closed.set()
            os.close(write_end)

    # The writer goes quiet; it hangs up after 15 s so a client that waits does not hang CI.
    closer = threading.Timer(15, hang_up)
    closer.start()
    before = _uploads(mailru_emulator)
    started = time.monotonic()
    try:
        with open(read_end, "rb") as stream, pytest.raises(RequestTimeout, match="deadline"):
            session.upload_photo(stream)
    finally:
        closer.cancel()
        closer.join()
        hang_up()
    assert time.monotonic() - started < 2 + SLACK
    assert _uploads(mailru_emulator) == before
