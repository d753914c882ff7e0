"""Issue 19 point 5: the credentials in a URL the server hands out (OK's upload URL carries a
one-time ``apiToken``) are redacted from every log line, urllib3's request line included."""

from __future__ import annotations

import logging

import pytest

import mailru_sync.ok as ok
from mailru_sync._redact import Redactor
from mailru_sync.testing import OkEmulator

GIF = b"GIF89a" + b"\x01" * 500


def test_the_upload_urls_api_token_is_in_no_log_line(
    ok_emulator: OkEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    e = ok_emulator
    session = ok.ClientSession(
        e.app.app_id, e.app.app_key, e.user.access_token, e.user.session_secret_key,
        base_url=e.url,
    )
    with session, caplog.at_level(logging.DEBUG):
        entry = session.upload_photo(GIF)
    assert entry["status"] == "SUCCESS"
    upload = next(r for r in reversed(e.requests) if r.path == "/uploadImage")
    api_token = upload.params["apiToken"]
    assert len(api_token) >= 8
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/uploadImage" in line for line in urllib3_lines)  # the line is there...
    assert api_token not in caplog.text  # ...without the credential


def test_every_query_value_of_a_handed_out_url_is_redacted_and_the_ring_is_bounded() -> None:
    redactor = Redactor()
    redactor.hold_url("https://pu.example/upload?apiToken=abc-123-xyz&photoIds=p-998877&x=1")
    text = redactor('"POST /upload?apiToken=abc-123-xyz&photoIds=p-998877&x=1 HTTP/1.1" 200')
    assert "abc-123-xyz" not in text and "p-998877" not in text
    for n in range(1000):
        redactor.hold_url(f"https://pu.example/upload?apiToken=token-{n:06d}")
    assert int(repr(redactor).split()[2]) <= 128
    assert "token-000999" not in redactor("apiToken token-000999")
