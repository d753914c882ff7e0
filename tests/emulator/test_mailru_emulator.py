"""The Mail.ru emulator, driven as a third-party client would: ``requests`` and the stdlib.

The tests sign requests with their own few lines of MD5 (not ``mailru_sync.signer``), check the
documented signature vectors verbatim, every error code, paging, writes, the OAuth dialogs parsed
from HTML, the token endpoint, token/code expiry and the command line.  No timed assertions.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from mailru_sync.testing import MailruEmulator

DOC_CLIENT_SERVER = (
    "/platform/api?method=friends.get&app_id=423004"
    "&session_key=be6ef89965d58e56dec21acb9b62bdaa&sig=5073f15c6d5b6ab2fde23ac43332b002"
)
DOC_SERVER_SERVER = (
    "/platform/api?method=friends.get&app_id=423004"
    "&session_key=be6ef89965d58e56dec21acb9b62bdaa&secure=1&sig=4a05af66f80da18b308fa7e536912bae"
)


# ---- a minimal independent client -------------------------------------------------------------


def _concat(params: dict[str, str]) -> str:
    return "".join(f"{k}={params[k]}" for k in sorted(params))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class Client:
    """Signs and sends Mail.ru API calls (client-server by default, server-server with secure)."""

    def __init__(self, emu: MailruEmulator, http: requests.Session) -> None:
        self.emu = emu
        self.http = http

    def params(
        self,
        method: str,
        *,
        token: str | None = None,
        as_uid: str | None = None,
        server: bool = False,
        sign_uid: str | None = None,
        **extra: str,
    ) -> dict[str, str]:
        emu = self.emu
        params = {"app_id": str(emu.app.app_id), "method": method, **extra}
        session = emu.user.access_token if token is None else token
        if session:
            params["session_key"] = session
        elif as_uid is not None:
            params["uid"] = as_uid  # a sessionless call names the acting user
        if server:
            params["secure"] = "1"
            params["sig"] = _md5(_concat(params) + emu.app.secret_key)
        else:
            prefix = sign_uid if sign_uid is not None else (as_uid or emu.user.uid)
            params["sig"] = _md5(prefix + _concat(params) + emu.app.private_key)
        return params

    def raw(self, method: str, *, post: bool = False, **kwargs: Any) -> requests.Response:
        params = self.params(method, **kwargs)
        url = f"{self.emu.url}/platform/api"
        if post:
            return self.http.post(url, data=params)
        return self.http.get(url, params=params)

    def call(self, method: str, **kwargs: Any) -> Any:
        resp = self.raw(method, **kwargs)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
        return resp.json()

    def ok(self, method: str, **kwargs: Any) -> Any:
        body = self.call(method, **kwargs)
        assert not (isinstance(body, dict) and "error" in body), body
        return body

    def error(self, method: str, **kwargs: Any) -> int:
        body = self.call(method, **kwargs)
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"error_code", "error_msg"}
        return int(body["error"]["error_code"])


class FormParser(HTMLParser):
    """Collects forms the way the dialog-driving clients do (inputs except submit)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self.selects: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({**a, "inputs": {}})
        elif tag == "input" and self.forms and a.get("type") != "submit":
            self.forms[-1]["inputs"][a.get("name", "")] = a.get("value", "")
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "select":
            self.selects.append(a.get("name", ""))


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def client(mailru_emulator: MailruEmulator, http: requests.Session) -> Client:
    return Client(mailru_emulator, http)


def authorize_params(emu: MailruEmulator, **extra: str) -> dict[str, str]:
    params = {
        "client_id": str(emu.app.app_id),
        "response_type": "token",
        "redirect_uri": emu.redirect_uri,
        "scope": "photos guestbook stream messages events",
    }
    params.update(extra)
    return params


def login(
    http: requests.Session, page: requests.Response, email: str, password: str
) -> requests.Response:
    """Fill the login form as aiomailru does (local part + Domain) and POST it."""
    form = next(f for f in parse(page.text).forms if f.get("id") == "login-form")
    local, domain = email.split("@")
    data = dict(form["inputs"], Login=local, Domain=domain, Password=password)
    return http.post(form["action"], data=data)


def accept(http: requests.Session, page: requests.Response) -> requests.Response:
    form = next(f for f in parse(page.text).forms if f.get("id") == "login")
    return http.post(form["action"], data=form["inputs"])  # without "agree", like aiomailru


def fragment(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


# ---- the documented vectors -------------------------------------------------------------------


def test_documented_client_server_request(mailru_emulator: MailruEmulator) -> None:
    resp = requests.get(mailru_emulator.url + DOC_CLIENT_SERVER)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    friends = resp.json()
    assert isinstance(friends, list) and len(friends) > 100
    assert all(isinstance(uid, str) and uid.isdigit() for uid in friends)


def test_documented_server_server_request(mailru_emulator: MailruEmulator) -> None:
    friends = requests.get(mailru_emulator.url + DOC_SERVER_SERVER).json()
    assert friends == requests.get(mailru_emulator.url + DOC_CLIENT_SERVER).json()


def test_documented_vector_without_secure_fails(mailru_emulator: MailruEmulator) -> None:
    # seed 001 prints the server-server URL without &secure=1: the signature does not match then.
    url = DOC_SERVER_SERVER.replace("&secure=1", "")
    assert requests.get(mailru_emulator.url + url).json()["error"]["error_code"] == 104


@pytest.mark.parametrize("vector", [DOC_CLIENT_SERVER, DOC_SERVER_SERVER])
def test_tampered_signature_is_104(mailru_emulator: MailruEmulator, vector: str) -> None:
    tampered = vector[:-1] + ("3" if vector[-1] != "3" else "4")
    body = requests.get(mailru_emulator.url + tampered).json()
    assert body == {"error": {"error_code": 104, "error_msg": "Incorrect signature."}}
    changed = vector.replace("friends.get", "friends.getOnline")
    assert requests.get(mailru_emulator.url + changed).json()["error"]["error_code"] == 104


# ---- signatures and sessions ------------------------------------------------------------------


def test_post_form_and_utf8_values(client: Client) -> None:
    text = "Привет, мир! & = ? 😀"
    result = client.ok("stream.post", post=True, text=text)
    feed = client.ok("stream.get", limit="1")
    assert feed[0]["id"] == result["id"]
    assert feed[0]["user_text"] == text


def test_secure_zero_is_signed_like_any_param(client: Client) -> None:
    assert isinstance(client.ok("users.getInfo", secure="0"), list)


def test_server_server_post(client: Client) -> None:
    info = client.ok("users.getInfo", server=True, post=True)
    assert info[0]["uid"] == client.emu.user.uid


def test_client_server_signature_needs_the_session_uid(client: Client) -> None:
    assert client.error("users.getInfo", sign_uid="12345") == 104


def test_sessionless_calls_with_uid(client: Client) -> None:
    uid = client.emu.user.uid
    server = client.ok("users.getInfo", token="", as_uid=uid, server=True)
    assert server[0]["uid"] == uid
    assert client.ok("friends.get", token="", as_uid=uid)  # client-server, uid prefix = uid param
    assert client.error("users.getInfo", token="", as_uid="999", server=True) == 102
    assert client.error("users.getInfo", token="", server=True) == 102


def test_error_codes(client: Client, mailru_emulator: MailruEmulator, http: Any) -> None:
    url = f"{mailru_emulator.url}/platform/api"
    # 103: app_id missing or unknown (checked first).
    assert http.get(url, params={"method": "friends.get"}).json()["error"]["error_code"] == 103
    bad_app = client.params("friends.get")
    bad_app["app_id"] = "1"
    assert http.get(url, params=bad_app).json()["error"]["error_code"] == 103
    # 100: method missing.
    no_method = {"app_id": "423004", "sig": "x"}
    assert http.get(url, params=no_method).json()["error"]["error_code"] == 100
    # 104: sig missing.
    no_sig = client.params("friends.get")
    del no_sig["sig"]
    assert http.get(url, params=no_sig).json()["error"]["error_code"] == 104
    # 102: unknown session (server-server can be verified, client-server cannot).
    assert client.error("friends.get", token="0" * 32, server=True) == 102
    assert client.error("friends.get", token="0" * 32) == 102
    # 2: unknown method (after a valid signature).
    assert client.error("friends.getEverything") == 2
    # 100: missing / invalid parameters.
    assert client.error("photos.get") == 100
    assert client.error("users.getInfo", uids="abc") == 100
    assert client.error("stream.get", limit="many") == 100
    assert client.error("users.hasAppPermission", ext_perm="everything") == 100
    # 200: privilege not granted (the tester has granted nothing).
    tester = client.emu.tester_user
    assert (
        client.error("stream.post", token=tester.access_token, as_uid=tester.uid, text="x") == 200
    )
    assert client.error("events.getNewCount", token=tester.access_token, as_uid=tester.uid) == 200
    # 100 comes before 200.
    assert client.error("stream.post", token=tester.access_token, as_uid=tester.uid) == 100


def test_error_messages_are_the_official_texts(client: Client) -> None:
    body = client.call("nothing.here")
    assert body == {"error": {"error_code": 2, "error_msg": "Unknown method called."}}
    assert client.call("photos.get")["error"]["error_msg"] == (
        "One of the parameters specified is missing or invalid."
    )
    assert client.call("friends.get", token="f" * 32)["error"]["error_msg"] == (
        "User authorization failed: the session key or uid is incorrect."
    )


def test_repeated_parameter_is_100(client: Client, http: requests.Session) -> None:
    params = client.params("users.getInfo")
    query = "&".join(f"{k}={v}" for k, v in params.items()) + "&uids=1"
    resp = http.get(f"{client.emu.url}/platform/api/?{query}&uids=2")
    assert resp.json()["error"]["error_code"] in (100, 104)


def test_blocked_user_session_is_102(client: Client) -> None:
    blocked = client.emu.blocked_user
    assert client.error("users.getInfo", token=blocked.access_token, as_uid=blocked.uid) == 102
    client.emu.block_user(blocked.uid, blocked=False)
    assert client.ok("users.getInfo", token=blocked.access_token, as_uid=blocked.uid)


def test_has_app_permission(client: Client) -> None:
    assert client.ok("users.hasAppPermission", ext_perm="events") == {"events": 1}
    tester = client.emu.tester_user
    got = client.ok(
        "users.hasAppPermission", token=tester.access_token, as_uid=tester.uid, ext_perm="events"
    )
    assert got == {"events": 0}


# ---- methods, paging, writes ------------------------------------------------------------------


def test_users_get_info_shapes(client: Client) -> None:
    me = client.ok("users.getInfo")
    assert len(me) == 1
    user = me[0]
    assert user["uid"] == client.emu.user.uid
    assert user["email"] == client.emu.user.email
    assert {"first_name", "last_name", "sex", "birthday", "pic", "link", "location"} <= set(user)
    friends = client.ok("friends.get")
    many = client.ok("users.getInfo", uids=",".join(friends[:5]))
    assert [u["uid"] for u in many] == friends[:5]
    assert all(u["is_friend"] == 1 for u in many)
    domains = {u["email"].split("@")[1] for u in client.ok("friends.get", ext="1")}
    assert domains == {"mail.ru", "inbox.ru", "bk.ru", "list.ru"}
    assert client.ok("users.isAppUser") == {"isAppUser": 1}


def test_friend_lists(client: Client) -> None:
    uids = client.ok("friends.get")
    objects = client.ok("friends.get", ext="1")
    assert [o["uid"] for o in objects] == uids
    app_users = client.ok("friends.getAppUsers")
    online = client.ok("friends.getOnline")
    assert set(app_users) < set(uids) and app_users
    assert set(online) < set(uids) and online


def test_stream_paging_by_skip(client: Client) -> None:
    first = client.ok("stream.get")
    assert len(first) == 10
    seen: list[str] = []
    times: list[int] = []
    skip = ""
    while True:
        extra = {"skip": skip} if skip else {}
        page = client.ok("stream.get", limit="100", **extra)
        if not page:
            break
        seen += [e["id"] for e in page]
        times += [e["time"] for e in page]
        skip = page[-1]["id"]
    assert len(seen) == len(set(seen)) > 300
    assert times == sorted(times, reverse=True)
    assert seen[:10] == [e["id"] for e in first]
    assert client.error("stream.get", skip="ffffffffffffffff") == 100


def test_stream_get_by_author(client: Client) -> None:
    mine = client.ok("stream.getByAuthor", limit="100")
    assert mine and {e["authors"][0]["uid"] for e in mine} == {client.emu.user.uid}
    friend = client.ok("friends.get")[0]
    theirs = client.ok("stream.getByAuthor", uid=friend, limit="5")
    assert all(e["huid"] == friend for e in theirs)


def test_groups_paging(client: Client) -> None:
    pages = [client.ok("groups.get", offset=str(o), limit="25") for o in range(0, 100, 25)]
    flat = [g for page in pages for g in page]
    assert len(flat) == len(set(flat)) == 64
    assert len(client.ok("groups.get")) == 10
    objects = client.ok("groups.get", ext="1", limit="3")
    assert [g["uid"] for g in objects] == flat[:3]
    assert "group_info" in objects[0]


def test_writes_appear_and_are_counted(client: Client) -> None:
    emu = client.emu
    before = emu.counters["writes_applied"]
    posted = client.ok("stream.post", post=True, text="Новая запись", title="Заголовок")
    feed = client.ok("stream.get")
    assert feed[0]["id"] == posted["id"]
    assert client.ok("stream.getByAuthor")[0]["id"] == posted["id"]
    liked = client.ok("stream.like", post=True, id=posted["id"])
    assert liked["likes_count"] == 1
    client.ok("stream.comment", post=True, id=posted["id"], text="Комментарий")
    shared = client.ok("stream.share", post=True, id=posted["id"])
    top = client.ok("stream.get", limit="2")
    assert [e["id"] for e in top] == [shared["id"], posted["id"]]
    assert top[1]["comments_count"] == 1 and top[1]["is_liked_by_me"] == 1
    assert emu.counters["writes_applied"] - before == 4


def test_guestbook_messages_photos_writes(client: Client) -> None:
    emu = client.emu
    friend = client.ok("friends.get")[0]
    entry = client.ok(
        "guestbook.post", post=True, uid=friend, title="Привет", description="Как дела?"
    )
    assert client.ok("guestbook.get", uid=friend, limit="1")[0]["id"] == entry["id"]
    msg = client.ok("messages.post", post=True, uid=friend, message="Сообщение")
    assert client.ok("messages.getThread", uid=friend)[0]["id"] == msg["id"]
    threads = client.ok("messages.getThreadsList")
    assert threads[0]["user"]["uid"] == friend
    album = client.ok("photos.createAlbum", post=True, name="Поездка")
    assert album["size"] == 0
    photo = client.ok(
        "photos.upload", post=True, aid=album["aid"], img_url="http://example.org/p.jpg"
    )
    assert client.ok("photos.get", aid=album["aid"]) == [photo]
    assert album["aid"] in {a["aid"] for a in client.ok("photos.getAlbums")}
    assert emu.counters["writes_applied"] == 4
    assert client.error("photos.get", aid="no-such-album") == 100


def test_events_and_counts(client: Client) -> None:
    count = client.ok("events.getNewCount")
    assert set(count) == {"count"} and count["count"] > 0
    assert set(client.ok("messages.getUnreadCount")) == {"count"}


def test_reset_forgets_writes(client: Client, mailru_emulator: MailruEmulator) -> None:
    posted = client.ok("stream.post", text="временно")
    mailru_emulator.reset()
    assert posted["id"] not in {e["id"] for e in client.ok("stream.get", limit="50")}
    assert mailru_emulator.counters["writes_applied"] == 0


def test_world_is_deterministic_per_seed() -> None:
    def snapshot(seed: int) -> tuple[list[str], list[str]]:
        emu = MailruEmulator(seed=seed)
        people = sorted(p.email for p in emu.world.people.values())
        return people, sorted(emu.world.people[emu.user.uid].friends)

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)
    assert MailruEmulator(seed=9).user == MailruEmulator(seed=1).user


def test_api_calls_share_one_keep_alive_connection(client: Client) -> None:
    for _ in range(30):
        client.ok("users.isAppUser", post=True)
    counters = client.emu.counters
    assert counters["connections"] == 1
    assert counters["api_calls"] == counters["requests"] == 30


def test_faults_and_flood_use_the_mailru_envelope(client: Client) -> None:
    emu = client.emu
    emu.fail_next(1, "service_unavailable")
    assert client.error("friends.get") == 3
    emu.flood_next(1)
    assert client.error("friends.get") == emu.flood_code
    emu.fail_next(1, "503", retry_after=2)
    assert client.raw("friends.get").status_code == 503
    assert client.ok("friends.get")


# ---- OAuth dialogs ----------------------------------------------------------------------------


def test_implicit_flow_through_the_html_dialogs(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    user = emu.list_user
    params = authorize_params(emu, state="xyz")
    page = http.get(f"{emu.url}/oauth/authorize", params=params)
    assert page.status_code == 200 and urlsplit(page.url).path == "/oauth/authorize"
    parsed = parse(page.text)
    assert parsed.selects == ["Domain"]
    form = parsed.forms[0]
    assert form["id"] == "login-form" and form["action"] == f"{emu.url}/cgi-bin/auth"
    assert {"Page", "FailPage", "Login", "Password"} <= set(form["inputs"])
    assert "login=1" in form["inputs"]["Page"] and "fail=1" in form["inputs"]["FailPage"]

    dialog = login(http, page, user.email, user.password)
    assert urlsplit(dialog.url).path == "/oauth/authorize"
    assert "fail" not in urlsplit(dialog.url).query
    assert "Необходим доступ к вашим данным" in dialog.text
    access = next(f for f in parse(dialog.text).forms if f.get("id") == "login")
    assert {
        "sig",
        "client_id",
        "redirect_uri",
        "response_type",
        "state",
        "login",
        "needed_permissions",
        "scope",
    } <= set(access["inputs"])
    assert f"{emu.redirect_uri}?error=access_denied&state=xyz" in parse(dialog.text).links
    assert 'name="agree" value="1"' in dialog.text

    done = accept(http, dialog)
    assert urlsplit(done.url).path == "/oauth/success.html"
    first = fragment(done.history[-1].headers["Location"])

    again = http.get(f"{emu.url}/oauth/authorize", params=params, allow_redirects=False)
    assert again.status_code == 302
    token = fragment(again.headers["Location"])
    assert again.headers["Location"].startswith(emu.redirect_uri + "#")
    assert set(token) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "x_mailru_vid",
        "state",
    }
    assert token["token_type"] == "bearer" and token["state"] == "xyz"
    assert token["x_mailru_vid"] == user.uid
    assert token["access_token"] != first["access_token"]

    api = Client(emu, http)
    info = api.ok("users.getInfo", token=token["access_token"], as_uid=token["x_mailru_vid"])
    assert info[0]["email"] == user.email
    assert api.ok("stream.post", token=token["access_token"], as_uid=user.uid, text="ok")


def test_code_flow_and_exchange(mailru_emulator: MailruEmulator, http: requests.Session) -> None:
    emu = mailru_emulator
    user = emu.list_user
    params = authorize_params(emu, response_type="code", redirect_uri=f"{emu.url}/blank.html")
    dialog = login(
        http, http.get(f"{emu.url}/oauth/authorize", params=params), user.email, user.password
    )
    done = accept(http, dialog)
    location = done.history[-1].headers["Location"]
    assert location.startswith(f"{emu.url}/blank.html?code=")
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "client_id": str(emu.app.app_id),
        "client_secret": emu.app.secret_key,
        "code": code,
        "redirect_uri": f"{emu.url}/blank.html",
    }
    resp = http.post(f"{emu.url}/oauth/token", data=data)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    body = resp.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "x_mailru_vid",
    }
    assert body["x_mailru_vid"] == user.uid and body["token_type"] == "bearer"
    reused = http.post(f"{emu.url}/oauth/token", data=data)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert "used" in reused.json()["error_description"]


def test_login_failures(mailru_emulator: MailruEmulator, http: requests.Session) -> None:
    emu = mailru_emulator
    params = authorize_params(emu)
    page = http.get(f"{emu.url}/oauth/authorize", params=params)
    failed = login(http, page, emu.user.email, "wrong password")
    assert urlsplit(failed.url).path == "/oauth/authorize"
    assert "fail=1" in urlsplit(failed.url).query
    assert "Неверное имя или пароль" in failed.text
    blocked = emu.blocked_user
    recovery = login(http, page, blocked.email, blocked.password)
    assert urlsplit(recovery.url).path == "/recovery" and recovery.status_code == 200
    form = parse(page.text).forms[0]
    off_site = dict(form["inputs"], Page="http://evil.example/", Login="x", Password="y")
    assert http.post(form["action"], data=off_site).status_code == 400


def test_full_email_login_and_already_granted(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    page = http.get(f"{emu.url}/oauth/authorize", params=authorize_params(emu))
    form = parse(page.text).forms[0]
    data = dict(form["inputs"], Login=emu.user.email, Password=emu.user.password)
    done = http.post(form["action"], data=data)  # the primary user granted everything already
    assert urlsplit(done.url).path == "/oauth/success.html"
    assert "access_token" in fragment(done.history[-1].headers["Location"])


def test_dialog_error_pages(mailru_emulator: MailruEmulator, http: requests.Session) -> None:
    emu = mailru_emulator
    unknown = http.get(f"{emu.url}/oauth/authorize", params=authorize_params(emu, client_id="1"))
    assert unknown.status_code == 200 and "Не указано приложение" in unknown.text
    bad_uri = http.get(
        f"{emu.url}/oauth/authorize",
        params=authorize_params(emu, redirect_uri="http://evil.example/cb"),
    )
    assert bad_uri.status_code == 200 and "redirect_uri" in bad_uri.text
    assert not parse(bad_uri.text).forms
    external = authorize_params(emu, redirect_uri="http://connect.mail.ru/oauth/success.html")
    assert parse(http.get(f"{emu.url}/oauth/authorize", params=external).text).forms
    for path in ("/oauth/success.html", "/blank.html"):
        assert http.get(f"{emu.url}{path}").status_code == 200
    assert http.get(f"{emu.url}/nowhere").status_code == 404


def test_test_mode_dialog(mailru_emulator: MailruEmulator, http: requests.Session) -> None:
    emu = mailru_emulator
    emu.set_app_test_mode(True)
    page = http.get(f"{emu.url}/oauth/authorize", params=authorize_params(emu))
    denied = login(http, page, emu.user.email, emu.user.password)
    assert "Авторизация запрещена" in denied.text
    assert "Приложение находится в разработке" in denied.text
    with requests.Session() as tester_http:
        page = tester_http.get(f"{emu.url}/oauth/authorize", params=authorize_params(emu))
        tester = emu.tester_user
        dialog = login(tester_http, page, tester.email, tester.password)
        assert "Необходим доступ к вашим данным" in dialog.text
        done = accept(tester_http, dialog)
        assert "access_token" in fragment(done.history[-1].headers["Location"])


def test_access_form_signature_is_checked(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    user = emu.list_user
    dialog = login(
        http,
        http.get(f"{emu.url}/oauth/authorize", params=authorize_params(emu)),
        user.email,
        user.password,
    )
    form = next(f for f in parse(dialog.text).forms if f.get("id") == "login")
    forged = dict(form["inputs"], redirect_uri=f"{emu.url}/blank.html")
    assert http.post(form["action"], data=forged).status_code == 400
    assert http.post(form["action"], data=dict(form["inputs"], agree="1")).status_code == 200


# ---- token endpoint ---------------------------------------------------------------------------


def token_request(emu: MailruEmulator, http: requests.Session, **data: str) -> requests.Response:
    base = {"client_id": str(emu.app.app_id), "client_secret": emu.app.secret_key}
    return http.post(f"{emu.url}/oauth/token", data={**base, **data})


def test_password_and_refresh_grants(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    resp = token_request(
        emu,
        http,
        grant_type="password",
        username=emu.user.email,
        password=emu.user.password,
        scope="stream messages",
    )
    body = resp.json()
    assert resp.status_code == 200 and body["x_mailru_vid"] == emu.user.uid
    assert body["expires_in"] == int(emu.token_ttl)
    refreshed = token_request(
        emu, http, grant_type="refresh_token", refresh_token=body["refresh_token"]
    ).json()
    assert refreshed["refresh_token"] == body["refresh_token"]
    assert refreshed["access_token"] != body["access_token"]
    assert Client(emu, http).ok("friends.get", token=refreshed["access_token"])
    seeded = token_request(
        emu, http, grant_type="refresh_token", refresh_token=emu.user.refresh_token
    )
    assert seeded.status_code == 200
    # A standalone app holds only the private key: it is accepted as client_secret too.
    private = http.post(
        f"{emu.url}/oauth/token",
        data={
            "client_id": str(emu.app.app_id),
            "client_secret": emu.app.private_key,
            "grant_type": "refresh_token",
            "refresh_token": emu.user.refresh_token,
        },
    )
    assert private.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "ivan.petrov@mail.ru"}, 400, "invalid_request"),
        ({"grant_type": "password", "client_secret": "nope"}, 401, "invalid_client"),
        ({"grant_type": "password", "client_id": "1"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        (
            {"grant_type": "password", "username": "ivan.petrov@mail.ru", "password": "x"},
            400,
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "0" * 32}, 400, "invalid_grant"),
        (
            {"grant_type": "authorization_code", "code": "0" * 32, "redirect_uri": "x"},
            400,
            "invalid_grant",
        ),
    ],
)
def test_token_endpoint_errors(
    mailru_emulator: MailruEmulator,
    http: requests.Session,
    data: dict[str, str],
    status: int,
    error: str,
) -> None:
    resp = token_request(mailru_emulator, http, **data)
    assert resp.status_code == status
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    body = resp.json()
    assert body["error"] == error and body["error_description"]


def test_token_endpoint_blocked_and_test_mode(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    blocked = emu.blocked_user
    resp = token_request(
        emu, http, grant_type="password", username=blocked.email, password=blocked.password
    )
    assert resp.json()["error"] == "invalid_grant"
    assert "blocked" in resp.json()["error_description"]
    emu.set_app_test_mode(True)
    resp = token_request(
        emu, http, grant_type="password", username=emu.user.email, password=emu.user.password
    )
    assert (resp.status_code, resp.json()["error"]) == (400, "unauthorized_client")
    tester = emu.tester_user
    resp = token_request(
        emu, http, grant_type="password", username=tester.email, password=tester.password
    )
    assert resp.status_code == 200
    assert http.get(f"{emu.url}/oauth/token").json()["error"] == "invalid_request"


def test_issued_code_single_use_binding_and_expiry(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    code = emu.issue_code()
    wrong_uri = token_request(
        emu, http, grant_type="authorization_code", code=code, redirect_uri=f"{emu.url}/blank.html"
    )
    assert "redirect_uri" in wrong_uri.json()["error_description"]
    ok = token_request(
        emu, http, grant_type="authorization_code", code=code, redirect_uri=emu.redirect_uri
    )
    assert ok.status_code == 200
    stale = emu.issue_code(f"{emu.url}/blank.html")
    emu.advance_time(emu.code_ttl + 1)
    expired = token_request(
        emu, http, grant_type="authorization_code", code=stale, redirect_uri=f"{emu.url}/blank.html"
    )
    assert expired.json()["error"] == "invalid_grant"
    assert "expired" in expired.json()["error_description"]
    with pytest.raises(ValueError):
        emu.issue_code("http://evil.example/cb")


def test_token_expiry_answers_102(mailru_emulator: MailruEmulator, http: requests.Session) -> None:
    emu = mailru_emulator
    api = Client(emu, http)
    body = token_request(
        emu, http, grant_type="password", username=emu.user.email, password=emu.user.password
    ).json()
    token = body["access_token"]
    assert api.ok("friends.get", token=token)
    emu.advance_time(emu.token_ttl + 1)
    assert api.error("friends.get", token=token) == 102
    assert api.error("friends.get", token=token, server=True) == 102
    assert api.ok("friends.get")  # the seeded session never expires by itself
    emu.expire_token(emu.user.access_token)
    assert api.error("friends.get") == 102
    fresh = token_request(
        emu, http, grant_type="refresh_token", refresh_token=body["refresh_token"]
    ).json()["access_token"]
    assert api.ok("friends.get", token=fresh)
    emu.expire_all_tokens()
    assert api.error("friends.get", token=fresh) == 102
    emu.token_ttl = 0
    born_dead = token_request(
        emu, http, grant_type="password", username=emu.user.email, password=emu.user.password
    ).json()
    assert born_dead["expires_in"] == 0
    assert api.error("friends.get", token=born_dead["access_token"]) == 102


# ---- fixtures and the command line ------------------------------------------------------------


def test_fixture_starts_in_the_seeded_state(mailru_emulator: MailruEmulator) -> None:
    assert mailru_emulator.requests == []
    assert set(mailru_emulator.counters.values()) == {0}
    assert mailru_emulator.redirect_uri == f"{mailru_emulator.url}/oauth/success.html"
    assert mailru_emulator.user.uid == "1324730981306483817"


def _run_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailru_sync", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return proc, json.loads(line)


def test_cli_serves_until_sigint() -> None:
    proc, info = _run_cli("--port", "0", "--seed", "3")
    try:
        assert set(info) >= {"url", "app", "user", "code", "redirect_uri"}
        assert info["app"] == {
            "app_id": 423004,
            "private_key": "7815696ecbf1c96e6894b779456d330e",
            "secret_key": "3dad9cbf9baaa0360c0f2ba372d25716",
        }
        assert set(info["user"]) == {"email", "password", "uid", "access_token", "refresh_token"}
        resp = requests.get(info["url"] + DOC_CLIENT_SERVER, timeout=10)
        assert isinstance(resp.json(), list)
        token = requests.post(
            f"{info['url']}/oauth/token",
            timeout=10,
            data={
                "grant_type": "authorization_code",
                "client_id": "423004",
                "client_secret": info["app"]["secret_key"],
                "code": info["code"],
                "redirect_uri": info["redirect_uri"],
            },
        ).json()
        assert token["x_mailru_vid"] == info["user"]["uid"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err


def test_cli_ok_platform_and_sigterm() -> None:
    proc, info = _run_cli("--platform", "ok")
    try:
        assert set(info["app"]) == {"app_id", "app_key", "app_secret_key"}
        assert set(info["user"]) == {
            "login",
            "password",
            "uid",
            "access_token",
            "refresh_token",
            "session_secret_key",
        }
        assert info["redirect_uri"] == f"{info['url']}/blank.html"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_cli_rejects_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailru_sync", "emulator", "--fail-rate", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
