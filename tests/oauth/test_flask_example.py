"""examples/flask_login.py end to end: Flask's test client is the site, requests the browser.

The "browser" is a plain ``requests.Session`` that reads the emulator's HTML like a user would:
it fills the login form, agrees (or declines with the deny link), and stops at the app's
redirect URI, whose path and query are then handed to the Flask test client.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask

from mailru_sync._forms import Form, parse_forms
from mailru_sync.testing import MailruEmulator, OkEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_login.py"
CALLBACK = "http://localhost:5000/callback"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flask_login_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


example = load_example()

Filler = Callable[[Form], dict[str, str] | None]


def browse(start: str, fill: Filler, *, decline: bool = False, limit: int = 12) -> str:
    """Act as the user's browser from ``start`` until the app's redirect URI; return it."""
    browser = requests.Session()
    url, method, data = start, "GET", None
    for _ in range(limit):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if location:
            target = urljoin(url, location)
            if target.startswith(CALLBACK):
                return target
            url, method, data = target, "GET", None
            continue
        assert response.status_code == 200, response.text[:300]
        html = response.text
        if decline:
            deny = re.search(r'href="([^"]*error=access_denied[^"]*)"', html)
            if deny is not None:
                target = urljoin(url, str(deny.group(1)).replace("&amp;", "&"))
                assert target.startswith(CALLBACK)
                return target
        for form in parse_forms(html, url):
            fields = fill(form)
            if fields is not None:
                url, method, data = form.action, form.method, fields
                break
        else:
            raise AssertionError(f"the browser is stuck at {url}: {html[:300]}")
    raise AssertionError("too many pages")


def mailru_filler(email: str, password: str) -> Filler:
    local, domain = email.split("@")

    def fill(form: Form) -> dict[str, str] | None:
        if form.has_fields("Login", "Password"):
            return {**form.fields, "Login": local, "Domain": domain, "Password": password}
        if form.button("agree"):
            return {**form.fields, "agree": "1"}
        return None

    return fill


def ok_filler(login: str, password: str) -> Filler:
    def fill(form: Form) -> dict[str, str] | None:
        if form.has_fields("fr.email", "fr.password"):
            return {**form.fields, "fr.email": login, "fr.password": password}
        if form.button("button_accept_request"):
            return {**form.fields, "button_accept_request": ""}
        return None

    return fill


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def mailru_app(mailru_emulator: MailruEmulator) -> Flask:
    settings = example.MailruSettings(
        app_id=str(mailru_emulator.app.app_id),
        secret_key=mailru_emulator.app.secret_key,
        base_url=mailru_emulator.url,
        scope="stream photos",
    )
    app: Flask = example.create_app(settings, redirect_uri=CALLBACK, secret_key="test-secret")
    return app


def test_mailru_login_end_to_end(mailru_app: Flask, mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    client = mailru_app.test_client()
    start = client.get("/login/mailru")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{emu.url}/oauth/authorize?")
    assert "response_type=code" in authorize
    callback = browse(authorize, mailru_filler(emu.user.email, emu.user.password))
    assert "code=" in callback and "state=" in callback
    done = client.get(path_of(callback))
    assert done.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert emu.user.uid in home.get_data(as_text=True)
    # The code was exchanged at the token endpoint, then a signed API call was made.
    paths = [r.path for r in emu.requests]
    assert "/oauth/token" in paths
    assert paths[-1].startswith("/platform/api")


def test_mailru_user_declines(mailru_app: Flask, mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    client = mailru_app.test_client()
    authorize = client.get("/login/mailru").headers["Location"]
    user = emu.list_user  # has not granted anything yet: the consent dialog shows
    callback = browse(authorize, mailru_filler(user.email, user.password), decline=True)
    denied = client.get(path_of(callback))
    assert denied.status_code == 403
    assert "access_denied" in denied.get_data(as_text=True)


def test_mailru_callback_checks_state(mailru_app: Flask, mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    client = mailru_app.test_client()
    client.get("/login/mailru")
    forged = client.get(f"/callback?code={emu.issue_code(CALLBACK)}&state=forged")
    assert forged.status_code == 400
    assert not [r for r in emu.requests if r.path == "/oauth/token"]


def test_mailru_bad_code_is_reported(mailru_app: Flask, mailru_emulator: MailruEmulator) -> None:
    client = mailru_app.test_client()
    authorize = client.get("/login/mailru").headers["Location"]
    state = dict(p.split("=", 1) for p in urlsplit(authorize).query.split("&"))["state"]
    failed = client.get(f"/callback?code=not-a-code&state={state}")
    assert failed.status_code == 400
    assert "Login failed" in failed.get_data(as_text=True)


def test_ok_login_end_to_end(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    settings = example.OkSettings(
        app_id=str(emu.app.app_id),
        app_key=emu.app.app_key,
        app_secret_key=emu.app.app_secret_key,
        base_url=emu.url,
    )
    app = example.create_app(ok=settings, redirect_uri=CALLBACK, secret_key="test-secret")
    client = app.test_client()
    authorize = client.get("/login/ok").headers["Location"]
    assert authorize.startswith(f"{emu.url}/oauth/authorize?")
    callback = browse(authorize, ok_filler(emu.user.login, emu.user.password))
    assert client.get(path_of(callback)).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert emu.user.uid in home
    assert "/oauth/token.do" in [r.path for r in emu.requests]


def test_example_reads_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAILRU_BASE_URL", "OK_APP_ID", "OAUTH_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAILRU_APP_ID", "423004")
    monkeypatch.setenv("MAILRU_SECRET_KEY", "3dad9cbf9baaa0360c0f2ba372d25716")
    client = example.create_app(secret_key="x").test_client()
    location = client.get("/login/mailru").headers["Location"]
    # No base_url: the real platform.
    assert location.startswith("https://connect.mail.ru/oauth/authorize?")
    assert client.get("/login/ok").status_code == 404
