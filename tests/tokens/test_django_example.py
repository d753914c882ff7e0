"""examples/django_app/app.py end to end with Django's test client against the emulator."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest

from mailru_sync.testing import MailruEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_app" / "app.py"


@pytest.fixture
def app(mailru_emulator: MailruEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> ModuleType:
    pytest.importorskip("django")  # in the test extra: never skipped in CI
    emu = mailru_emulator
    monkeypatch.setenv("MAILRU_APP_ID", str(emu.app.app_id))
    monkeypatch.setenv("MAILRU_SECRET_KEY", emu.app.secret_key)
    monkeypatch.setenv("MAILRU_BASE_URL", emu.url)
    monkeypatch.setenv("OAUTH_REDIRECT_URI", f"{emu.url}/oauth/success.html")
    monkeypatch.setenv("TOKEN_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("django_example_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["django_example_app"] = module
    spec.loader.exec_module(module)
    from django.conf import settings

    settings.ROOT_URLCONF = "django_example_app"
    from django.urls import clear_url_caches

    clear_url_caches()
    # The module reads its settings at import; repoint them for this test's emulator.
    module.APP_ID, module.SECRET_KEY = str(emu.app.app_id), emu.app.secret_key
    module.BASE_URL, module.REDIRECT_URI = emu.url, f"{emu.url}/oauth/success.html"
    module.TOKEN_DIR = tmp_path
    return module


def test_login_friends_and_transparent_refresh(app: ModuleType,
                                               mailru_emulator: MailruEmulator) -> None:
    from django.test import Client

    emu = mailru_emulator
    client = Client()
    start = client.get("/login")
    assert start.status_code == 302
    query = parse_qs(urlsplit(start["Location"]).query)
    state = query["state"][0]
    # The platform's consent dialog is the emulator's business; it redirects with a code.
    code = emu.new_code(emu.user.uid, str(emu.app.app_id), app.REDIRECT_URI, ["stream"]).code
    done = client.get("/callback", {"code": code, "state": state})
    assert done.status_code == 302 and done["Location"] == "/friends"
    page = client.get("/friends")
    assert page.status_code == 200 and b"<li>" in page.content

    stored = app.store_for(emu.user.uid).load()
    emu.expire_token(stored["access_token"])  # the token expires between two requests
    again = client.get("/friends")
    assert again.status_code == 200 and b"<li>" in again.content
    assert app.store_for(emu.user.uid).load()["access_token"] != stored["access_token"]


def test_a_forged_callback_is_refused(app: ModuleType, mailru_emulator: MailruEmulator) -> None:
    from django.test import Client

    client = Client()
    client.get("/login")
    refused = client.get("/callback", {"code": "abc", "state": "forged"})
    assert refused.status_code == 403 and b"state" in refused.content
    assert not os.listdir(app.TOKEN_DIR)
