"""The OK.ru emulator, driven the way a third-party client would: plain ``requests`` + stdlib.

Nothing from ``mailru_sync`` outside ``mailru_sync.testing`` is used: the signing helper below is a
separate implementation of the documented algorithm, so these tests check the emulator, not a
shared piece of code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import pytest
import requests

from mailru_sync.testing._ok import OkEmulator

APP_KEY = "ABCDEFGHIGKLMNOPK"
APP_SECRET = "ABC123DEF456GHI789JKL123"
TOKEN = (
    "-s-2GUXOAvQYI7-RfxsZtV1wezsdtVPv92xfuaSQ8.SAIV1O2ywYra2-3ywes5St2yvcuZSr9UUWN2TtbWtWKVTuAy8"
)
SESSION_SECRET = "ae5362b5b588cc7294c2414d71b74d5d"
SERVER_TOKEN = "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7"


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def sign(params: dict[str, str], secret: str) -> str:
    return md5("".join(f"{k}={params[k]}" for k in sorted(params)) + secret)


@pytest.fixture(scope="module")
def server() -> Iterator[OkEmulator]:
    with OkEmulator(seed=0) as emu:
        yield emu


@pytest.fixture
def emu(server: OkEmulator) -> Iterator[OkEmulator]:
    server.reset()
    yield server
    assert server.errors == []


def api(
    emu: OkEmulator,
    name: str,
    /,
    *,
    token: str | None = TOKEN,
    secret: str | None = None,
    http: str = "GET",
    path: str = "/fb.do",
    **params: str,
) -> Any:
    """Sign like a client: session secret by default, md5(token + app secret) when asked."""
    signed = {"application_key": APP_KEY, "format": "json", **params}
    if path == "/fb.do":
        signed["method"] = name
    if secret is None:
        if token is None:
            secret = APP_SECRET
        else:
            secret = SESSION_SECRET if token == TOKEN else md5(token + APP_SECRET)
    signed["sig"] = sign(signed, secret)
    if token is not None:
        signed["access_token"] = token
    if http == "POST":
        resp = requests.post(emu.url + path, data=signed, timeout=10)
    else:
        resp = requests.get(emu.url + path, params=signed, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json;charset=utf-8"
    return resp.json()


def error_code(result: Any) -> int | None:
    return result.get("error_code") if isinstance(result, dict) else None


# ------------------------------------------------------------------------------------------------
# Signatures and the documented vectors
# ------------------------------------------------------------------------------------------------


def test_documented_client_server_url_works_verbatim(emu: OkEmulator) -> None:
    url = (
        f"{emu.url}/fb.do?application_key=ABCDEFGHIGKLMNOPK&format=json&method=events.get"
        f"&sig=03a41413523ea8092507949d6e711963&access_token={TOKEN}"
    )
    events = requests.get(url, timeout=10).json()
    assert isinstance(events, list) and events
    assert {event["uid"] for event in events} == {emu.user.uid}
    assert {"type", "number", "lastId", "icon", "marker", "message"} <= events[0].keys()


def test_documented_server_server_url_works_verbatim(emu: OkEmulator) -> None:
    assert md5(SERVER_TOKEN + APP_SECRET) == "b1a2b89707a94624c43afae67d59274c"
    url = (
        f"{emu.url}/fb.do?application_key=ABCDEFGHIGKLMNOPK&format=json&method=events.get"
        f"&sig=232c8eb921951c4dba9b72606f9ddb4c&access_token={SERVER_TOKEN}"
    )
    events = requests.get(url, timeout=10).json()
    assert isinstance(events, list) and events[0]["uid"] == emu.user.uid


def test_seeded_credentials_match_the_spec(emu: OkEmulator) -> None:
    assert (emu.app.app_id, emu.app.app_key, emu.app.app_secret_key) == (
        123456,
        APP_KEY,
        APP_SECRET,
    )
    assert (emu.user.access_token, emu.user.session_secret_key) == (TOKEN, SESSION_SECRET)
    assert emu.redirect_uri == emu.url + "/blank.html"


@pytest.mark.parametrize(
    "bad", ["03a41413523ea8092507949d6e711964", "03A41413523EA8092507949D6E711963", ""]
)
def test_tampered_or_missing_signature_is_104(emu: OkEmulator, bad: str) -> None:
    params = {
        "application_key": APP_KEY,
        "format": "json",
        "method": "events.get",
        "access_token": TOKEN,
    }
    if bad:
        params["sig"] = bad
    result = requests.get(emu.url + "/fb.do", params=params, timeout=10).json()
    assert result["error_code"] == 104
    assert result["error_msg"].startswith("PARAM_SIGNATURE : ")
    assert result["error_data"] is None


def test_tampered_parameter_is_104(emu: OkEmulator) -> None:
    params = {
        "application_key": APP_KEY,
        "format": "json",
        "method": "users.getInfo",
        "uids": emu.user.uid,
        "fields": "first_name",
    }
    params["sig"] = sign(params, SESSION_SECRET)
    params["fields"] = "first_name,last_name"
    params["access_token"] = TOKEN
    assert requests.get(emu.url + "/fb.do", params=params, timeout=10).json()["error_code"] == 104


def test_both_secrets_accepted_for_a_token(emu: OkEmulator) -> None:
    assert api(emu, "users.getCurrentUser")["uid"] == emu.user.uid
    derived = md5(TOKEN + APP_SECRET)
    assert api(emu, "users.getCurrentUser", secret=derived)["uid"] == emu.user.uid
    # The app secret itself is only for sessionless calls.
    assert error_code(api(emu, "users.getCurrentUser", secret=APP_SECRET)) == 104


def test_non_ascii_values_are_signed_as_utf8(emu: OkEmulator) -> None:
    attachment = json.dumps(
        {"media": [{"type": "text", "text": "Привет, мир! ✓"}]}, ensure_ascii=False
    )
    topic_id = api(emu, "mediatopic.post", http="POST", type="USER", attachment=attachment)
    assert isinstance(topic_id, str)
    topics = api(emu, "mediatopic.getByIds", topic_ids=topic_id)["media_topics"]
    assert topics[0]["media"] == [{"type": "text", "text": "Привет, мир! ✓"}]


def test_session_key_accepted_signed_or_not(emu: OkEmulator) -> None:
    base = {"application_key": APP_KEY, "method": "users.getLoggedInUser", "session_key": TOKEN}
    with_key = dict(base, sig=sign(base, SESSION_SECRET))
    unsigned_key = {k: v for k, v in base.items() if k != "session_key"}
    without_key = dict(base, sig=sign(unsigned_key, SESSION_SECRET))
    for params in (with_key, without_key):
        resp = requests.get(emu.url + "/fb.do", params=params, timeout=10)
        assert resp.json() == emu.user.uid


def test_form_post_is_accepted(emu: OkEmulator) -> None:
    result = api(emu, "users.getInfo", http="POST", uids=emu.user.uid, fields="first_name")
    assert result == [{"uid": emu.user.uid, "first_name": "Иван"}]


def test_sessionless_call_signed_with_app_secret(emu: OkEmulator) -> None:
    friends = api(emu, "friends.get", token=None, uid=emu.user.uid)
    assert friends == api(emu, "friends.get")
    info = api(emu, "users.getInfo", token=None, uids=emu.user.uid, fields="name")
    assert info == [{"uid": emu.user.uid, "name": "Иван Иванов"}]


# ------------------------------------------------------------------------------------------------
# The /api/<group>/<method> form
# ------------------------------------------------------------------------------------------------


def test_api_path_without_method_param(emu: OkEmulator) -> None:
    result = api(emu, "users.getCurrentUser", path="/api/users/getCurrentUser")
    assert result["uid"] == emu.user.uid


def test_api_path_with_signed_method_param(emu: OkEmulator) -> None:
    result = api(emu, "events.get", path="/api/events/get", method="events.get")
    assert isinstance(result, list) and result[0]["uid"] == emu.user.uid


def test_api_path_with_conflicting_method_param_is_100(emu: OkEmulator) -> None:
    result = api(emu, "events.get", path="/api/events/get", method="friends.get")
    assert error_code(result) == 100


def test_api_path_unknown_method_is_3(emu: OkEmulator) -> None:
    assert error_code(api(emu, "x", path="/api/nosuch/thing")) == 3


# ------------------------------------------------------------------------------------------------
# Error codes
# ------------------------------------------------------------------------------------------------


def test_missing_and_unknown_application_key_are_101(emu: OkEmulator) -> None:
    resp = requests.get(emu.url + "/fb.do", params={"method": "events.get"}, timeout=10)
    assert resp.json()["error_code"] == 101
    params = {"application_key": "NOPE", "method": "events.get"}
    params["sig"] = sign(params, APP_SECRET)
    resp = requests.get(emu.url + "/fb.do", params=params, timeout=10)
    assert resp.json()["error_code"] == 101
    assert resp.json()["error_msg"].startswith("PARAM_API_KEY : ")


def test_unknown_session_is_102(emu: OkEmulator) -> None:
    result = api(emu, "events.get", token="-s-nosuchtoken")
    assert error_code(result) == 102
    assert result["error_msg"].startswith("PARAM_SESSION_EXPIRED : ")


def test_expired_token_is_102_but_signature_still_checked(emu: OkEmulator) -> None:
    emu.expire_token(TOKEN)
    assert error_code(api(emu, "events.get")) == 102
    assert error_code(api(emu, "events.get", secret="0" * 32)) == 104
    # The other seeded session is untouched.
    assert isinstance(api(emu, "events.get", token=SERVER_TOKEN), list)
    emu.expire_all_tokens()
    assert error_code(api(emu, "events.get", token=SERVER_TOKEN)) == 102


def test_oauth_token_expires_after_ttl(emu: OkEmulator) -> None:
    record = emu.issue_ok_token(emu.user.uid, ["VALUABLE_ACCESS"])
    assert (
        api(emu, "users.getLoggedInUser", token=record.token, secret=md5(record.token + APP_SECRET))
        == emu.user.uid
    )
    emu.advance_time(emu.token_ttl + 1)
    assert (
        error_code(
            api(
                emu,
                "users.getLoggedInUser",
                token=record.token,
                secret=md5(record.token + APP_SECRET),
            )
        )
        == 102
    )
    # Seeded sessions never expire by time.
    assert api(emu, "users.getLoggedInUser") == emu.user.uid


def test_unknown_method_is_3(emu: OkEmulator) -> None:
    result = api(emu, "nosuch.method")
    assert error_code(result) == 3
    assert result["error_msg"].startswith("METHOD : ")


def test_missing_or_invalid_parameter_is_100(emu: OkEmulator) -> None:
    assert error_code(api(emu, "users.getInfo", fields="name")) == 100
    assert error_code(api(emu, "users.getInfo", uids=emu.user.uid)) == 100
    assert error_code(api(emu, "photos.getPhotos", count="many")) == 100
    assert error_code(api(emu, "photos.getPhotos", count="1000")) == 100
    assert error_code(api(emu, "events.get", format="xml")) == 100
    assert error_code(api(emu, "mediatopic.post", attachment="{not json")) == 100
    assert error_code(api(emu, "mediatopic.post", attachment='{"media": []}')) == 100
    missing = api(emu, "friends.get", token=None)
    assert missing["error_msg"] == "PARAM : Either session_key or uid must be specified"


def test_fb_do_without_method_is_100(emu: OkEmulator) -> None:
    params = {"application_key": APP_KEY}
    params["sig"] = sign(params, APP_SECRET)
    assert requests.get(emu.url + "/fb.do", params=params, timeout=10).json()["error_code"] == 100


def test_permission_denied_is_10(emu: OkEmulator) -> None:
    record = emu.issue_ok_token(emu.user.uid, ["VALUABLE_ACCESS"])
    secret = record.extra["session_secret_key"]
    result = api(emu, "photos.getPhotos", token=record.token, secret=secret)
    assert error_code(result) == 10
    assert result["error_msg"].startswith("PERMISSION_DENIED : ")
    status = json.dumps({"media": [{"type": "text", "text": "x"}]})
    assert (
        error_code(
            api(
                emu,
                "mediatopic.post",
                token=record.token,
                secret=secret,
                type="USER_STATUS",
                attachment=status,
            )
        )
        == 10
    )
    # Without any scope even the basic methods are refused, but getCurrentUser needs none.
    bare = emu.issue_ok_token(emu.user.uid, [])
    bare_secret = bare.extra["session_secret_key"]
    assert error_code(api(emu, "friends.get", token=bare.token, secret=bare_secret)) == 10
    assert (
        api(emu, "users.getCurrentUser", token=bare.token, secret=bare_secret)["uid"]
        == emu.user.uid
    )


def test_session_required_is_453_and_forbidden_is_451(emu: OkEmulator) -> None:
    result = api(emu, "events.get", token=None)
    assert error_code(result) == 453
    assert result["error_msg"].startswith("SESSION_REQUIRED : ")
    login = api(emu, "auth.login", user_name=emu.user.login, password=emu.user.password)
    assert error_code(login) == 451


def test_flood_errors_8_and_11(emu: OkEmulator) -> None:
    emu.flood_next()
    result = api(emu, "events.get")
    assert result == {"error_code": 8, "error_msg": result["error_msg"], "error_data": None}
    assert result["error_msg"].startswith("FLOOD_BLOCKED : ")
    emu.flood_next(2, code=11)
    assert error_code(api(emu, "events.get")) == 11
    assert api(emu, "friends.get", token=None, uid=emu.user.uid)["error_code"] == 11
    assert isinstance(api(emu, "events.get"), list)
    assert emu.counters["faults_injected"] == 3


def test_service_unavailable_is_2_and_not_processed(emu: OkEmulator) -> None:
    emu.fail_next(kind="service_unavailable")
    attachment = json.dumps({"media": [{"type": "text", "text": "lost"}]})
    result = api(emu, "mediatopic.post", attachment=attachment)
    assert error_code(result) == 2
    assert result["error_msg"].startswith("SERVICE : ")
    assert emu.counters["writes_applied"] == 0


def test_duplicate_parameter_is_100(emu: OkEmulator) -> None:
    query = (
        f"application_key={APP_KEY}&method=events.get&method=events.get&sig=x&access_token={TOKEN}"
    )
    assert requests.get(f"{emu.url}/fb.do?{query}", timeout=10).json()["error_code"] == 100


# ------------------------------------------------------------------------------------------------
# Methods and the world
# ------------------------------------------------------------------------------------------------


def test_users_and_friends(emu: OkEmulator) -> None:
    me = api(emu, "users.getCurrentUser")
    assert (me["uid"], me["first_name"], me["last_name"]) == (emu.user.uid, "Иван", "Иванов")
    # The seed token holds GET_EMAIL; the e-mail comes when the fields ask for it.
    with_email = api(emu, "users.getCurrentUser", fields="uid,email")
    assert with_email["email"] == emu.user.email
    friends = api(emu, "friends.get")
    assert len(friends) > 100 and all(isinstance(uid, str) for uid in friends)
    info = api(emu, "users.getInfo", uids=",".join(friends[:5]), fields="first_name,gender")
    assert [user["uid"] for user in info] == friends[:5]
    assert all(set(user) == {"uid", "first_name", "gender"} for user in info)
    app_friends = api(emu, "friends.getAppUsers")["uids"]
    assert app_friends and set(app_friends) < set(friends)
    # A friend's friend list contains the primary user.
    assert emu.user.uid in api(emu, "friends.get", fid=friends[0])


def test_groups(emu: OkEmulator) -> None:
    page = api(emu, "group.getUserGroupsV2", count="100")
    gids = [item["groupId"] for item in page["groups"]]
    assert len(gids) >= 25 and page["has_more"] is False
    groups = api(emu, "group.getInfo", uids=",".join(gids[:3]), fields="name,members_count")
    assert [group["uid"] for group in groups] == gids[:3]
    assert all(group["name"] and group["members_count"] > 0 for group in groups)
    members = api(emu, "group.getUserGroupsByIds", group_id=gids[0], uids=emu.user.uid)
    assert members and members[0]["userId"] == emu.user.uid
    assert error_code(api(emu, "group.getUserGroupsByIds", group_id="1", uids="2")) == 160


def test_photo_paging_forward_covers_everything_once(emu: OkEmulator) -> None:
    seen: list[str] = []
    anchor: str | None = None
    pages = 0
    while True:
        params = {"count": "50"}
        if anchor is not None:
            params["anchor"] = anchor
        page = api(emu, "photos.getPhotos", **params)
        pages += 1
        seen.extend(photo["id"] for photo in page["photos"])
        anchor = page["anchor"]
        if not page["has_more"]:
            break
    assert pages == 5 and len(seen) == 237 == len(set(seen))
    created = [photo["created_ms"] for photo in api(emu, "photos.getPhotos", count="100")["photos"]]
    assert created == sorted(created, reverse=True)
    # Past the end: empty page, same anchor, nothing more.
    tail = api(emu, "photos.getPhotos", anchor=anchor)
    assert tail["photos"] == [] and tail["has_more"] is False and tail["anchor"] == anchor
    # Backward from the end returns the previous page.
    back = api(emu, "photos.getPhotos", anchor=anchor, direction="BACKWARD", count="10")
    assert [photo["id"] for photo in back["photos"]] == seen[-11:-1]
    assert back["has_more"] is True
    assert error_code(api(emu, "photos.getPhotos", anchor="garbage!")) == 100
    assert error_code(api(emu, "photos.getPhotos", direction="SIDEWAYS")) == 100


def test_photo_paging_total_count_and_albums(emu: OkEmulator) -> None:
    page = api(emu, "photos.getPhotos", detectTotalCount="true", count="1")
    assert page["totalCount"] == 237 and len(page["photos"]) == 1
    albums = api(emu, "photos.getAlbums")["albums"]
    assert len(albums) == 3
    aid = albums[0]["aid"]
    in_album = api(emu, "photos.getPhotos", aid=aid, count="100")["photos"]
    assert len(in_album) == albums[0]["photos_count"]
    assert all(photo["album_id"] == aid for photo in in_album)
    assert error_code(api(emu, "photos.getPhotos", aid="1")) == 120


def test_mediatopic_post_appears_in_stream(emu: OkEmulator) -> None:
    before = api(emu, "stream.get", count="5")
    attachment = json.dumps(
        {
            "media": [
                {"type": "text", "text": "Новый пост"},
                {"type": "link", "url": "https://example.org/"},
            ]
        }
    )
    topic_id = api(emu, "mediatopic.post", http="POST", type="USER", attachment=attachment)
    assert isinstance(topic_id, str) and topic_id.isdigit()
    assert emu.counters["writes_applied"] == 1
    after = api(emu, "stream.get", count="5")
    assert after["feeds"][0]["target_refs"] == [f"media_topic:{topic_id}"]
    assert after["entities"]["media_topics"][0]["media"][0]["text"] == "Новый пост"
    assert after["feeds"][1:] == before["feeds"][:4]
    # A friend sees it too (the tester is the primary user's friend).
    tester = emu.tester_user
    feed = api(emu, "stream.get", token=tester.access_token, secret=tester.session_secret_key)
    assert feed["feeds"][0]["target_refs"] == [f"media_topic:{topic_id}"]
    got = api(emu, "mediatopic.getByIds", topic_ids=topic_id)["media_topics"]
    assert got[0]["id"] == topic_id and got[0]["author_ref"] == f"user:{emu.user.uid}"


def test_stream_paging_and_sessionless_post(emu: OkEmulator) -> None:
    attachment = json.dumps({"media": [{"type": "text", "text": "от сервера"}]})
    topic_id = api(emu, "mediatopic.post", token=None, uid=emu.user.uid, attachment=attachment)
    ids: list[str] = []
    anchor = None
    while True:
        params = {"count": "30"} if anchor is None else {"count": "30", "anchor": anchor}
        page = api(emu, "stream.get", **params)
        ids.extend(ref for feed in page["feeds"] for ref in feed["target_refs"])
        anchor = page["anchor"]
        if not page["has_more"]:
            break
    assert ids[0] == f"media_topic:{topic_id}" and len(ids) == len(set(ids)) > 30


def test_group_post_needs_group(emu: OkEmulator) -> None:
    attachment = json.dumps({"media": [{"type": "text", "text": "в группу"}]})
    assert error_code(api(emu, "mediatopic.post", type="GROUP_THEME", attachment=attachment)) == 100
    assert (
        error_code(api(emu, "mediatopic.post", type="GROUP_THEME", gid="1", attachment=attachment))
        == 160
    )
    gid = api(emu, "group.getUserGroupsV2", count="1")["groups"][0]["groupId"]
    topic_id = api(emu, "mediatopic.post", type="GROUP_THEME", gid=gid, attachment=attachment)
    assert api(emu, "stream.get", count="1")["feeds"][0]["target_refs"] == [
        f"media_topic:{topic_id}"
    ]


def test_batch_execute_v2_mixes_ok_and_fail(emu: OkEmulator) -> None:
    methods = json.dumps(
        [
            {"users.getCurrentUser": {"params": {"fields": "first_name"}}},
            {"users.getInfo": {"params": {"fields": "name"}}},
            {"no.suchMethod": {"params": {}}},
            {
                "mediatopic.post": {
                    "params": {
                        "type": "USER",
                        "attachment": {"media": [{"type": "text", "text": "из пакета"}]},
                    }
                }
            },
            {"friends.get": {}},
        ]
    )
    result = api(emu, "batch.executeV2", http="POST", methods=methods)
    assert isinstance(result, list) and len(result) == 5
    assert result[0] == {"ok": {"uid": emu.user.uid, "first_name": "Иван"}}
    assert result[1]["fail"]["error_code"] == 100
    assert result[2]["fail"]["error_code"] == 3
    assert isinstance(result[3]["ok"], str)
    assert result[4]["ok"] == api(emu, "friends.get")
    assert emu.counters["writes_applied"] == 1
    assert emu.counters["api_calls"] == 2


def test_batch_execute_v2_rejects_bad_input(emu: OkEmulator) -> None:
    assert error_code(api(emu, "batch.executeV2", methods="[not json")) == 100
    assert error_code(api(emu, "batch.executeV2", methods="[]")) == 100
    nested = json.dumps([{"batch.executeV2": {"params": {"methods": "[]"}}}])
    assert api(emu, "batch.executeV2", methods=nested)[0]["fail"]["error_code"] == 1200


# ------------------------------------------------------------------------------------------------
# auth.login
# ------------------------------------------------------------------------------------------------


def _login(emu: OkEmulator, signed: bool, **params: str) -> Any:
    query = {"application_key": APP_KEY, "method": "auth.login", "format": "json", **params}
    if signed:
        query["sig"] = sign(query, APP_SECRET)
    return requests.get(emu.url + "/fb.do", params=query, timeout=10).json()


def test_auth_login_ok_unsigned_and_signed(emu: OkEmulator) -> None:
    for signed, name in ((False, emu.user.login), (True, "+79991234567")):
        session = _login(emu, signed, user_name=name, password=emu.user.password)
        assert session["uid"] == emu.user.uid
        assert {"session_key", "session_secret_key", "auth_token"} <= session.keys()
        me = api(
            emu,
            "users.getLoggedInUser",
            token=session["session_key"],
            secret=session["session_secret_key"],
        )
        assert me == emu.user.uid


def test_auth_login_failures(emu: OkEmulator) -> None:
    wrong = _login(emu, False, user_name=emu.user.login, password="wrong")
    assert wrong["error_code"] == 401 and wrong["error_msg"].startswith("AUTH_LOGIN : ")
    blocked = emu.blocked_user
    result = _login(emu, False, user_name=blocked.login, password=blocked.password)
    assert result["error_code"] == 401 and "blocked" in result["error_msg"]
    bad_sig = {
        "application_key": APP_KEY,
        "method": "auth.login",
        "user_name": emu.user.login,
        "password": emu.user.password,
        "sig": "0" * 32,
    }
    assert requests.get(emu.url + "/fb.do", params=bad_sig, timeout=10).json()["error_code"] == 104


# ------------------------------------------------------------------------------------------------
# OAuth dialogs, driven like a scraping client
# ------------------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The POST form's action and every non-submit <input> (what scraping clients collect)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("method", "").lower() == "post":
            self.action = values.get("action")
        elif tag == "input" and values.get("type") != "submit" and "name" in values:
            self.inputs[values["name"]] = values.get("value", "")


@dataclass
class Form:
    action: str
    inputs: dict[str, str]


def parse_form(html: str) -> Form:
    parser = FormParser()
    parser.feed(html)
    assert parser.action is not None
    return Form(parser.action, parser.inputs)


def authorize_params(emu: OkEmulator, response_type: str = "token", **extra: str) -> dict[str, str]:
    return {
        "client_id": str(emu.app.app_id),
        "scope": "VALUABLE_ACCESS;PHOTO_CONTENT",
        "response_type": response_type,
        "redirect_uri": emu.redirect_uri,
        "layout": "w",
        "state": "xyz",
        **extra,
    }


def st_cmd(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("st.cmd", [""])[0]


def login_through(
    emu: OkEmulator, http: requests.Session, login: str, password: str, **params: str
) -> requests.Response:
    resp = http.get(
        emu.url + "/oauth/authorize", params=authorize_params(emu, **params), timeout=10
    )
    assert resp.status_code == 200 and urlsplit(resp.url).path == "/dk"
    assert st_cmd(resp.url) == "OAuth2Login"
    assert 'id="hook_Block_OAuth2Login"' in resp.text
    form = parse_form(resp.text)
    assert form.inputs.keys() == {"fr.posted", "fr.email", "fr.password", "fr.remember"}
    assert form.action.startswith("/dk?cmd=OAuth2Login&st.cmd=OAuth2Login&st.redirect=")
    data = dict(form.inputs, **{"fr.email": login, "fr.password": password})
    return http.post(urljoin(emu.url, form.action), data=data, timeout=10)


def accept_permissions(
    emu: OkEmulator, http: requests.Session, resp: requests.Response, **kw: Any
) -> requests.Response:
    assert st_cmd(resp.url) == "OAuth2Permissions"
    assert 'id="hook_Block_OAuth2Permissions"' in resp.text
    assert f'href="{emu.redirect_uri}#error=access_denied"' in resp.text
    form = parse_form(resp.text)
    assert form.inputs.keys() == {"fr.posted", "fr.token"}
    assert form.action.startswith("/dk?st.cmd=OAuth2Permissions&cmd=OAuth2Permissions")
    data = dict(form.inputs, button_accept_request="")
    return http.post(urljoin(emu.url, form.action), data=data, timeout=10, **kw)


def fragment(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).fragment, keep_blank_values=True))


def test_implicit_flow_end_to_end(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, emu.user.password)
    assert "AUTHCODE" in http.cookies
    resp = accept_permissions(emu, http, resp)
    # Redirected to the blank page; the result is in the fragment of the last Location.
    assert urlsplit(resp.url).path == "/blank.html" and resp.status_code == 200
    result = fragment(resp.history[-1].headers["Location"])
    assert result["permissions_granted"] == "VALUABLE_ACCESS;PHOTO_CONTENT"
    assert result["state"] == "xyz" and int(result["expires_in"]) > 0
    token, secret = result["access_token"], result["session_secret_key"]
    assert secret == md5(token + APP_SECRET)
    assert api(emu, "users.getCurrentUser", token=token, secret=secret)["uid"] == emu.user.uid
    assert "photos" in api(emu, "photos.getPhotos", token=token, secret=secret)
    # Already granted: authorize again goes straight to the redirect with a new token.
    again = http.get(emu.url + "/oauth/authorize", params=authorize_params(emu), timeout=10)
    assert [r.status_code for r in again.history] == [302]
    second = fragment(again.history[-1].headers["Location"])
    assert second["access_token"] != token
    assert emu.counters["oauth_calls"] >= 6


def test_implicit_flow_with_phone_login_and_no_state(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.phone, emu.user.password, state="")
    resp = accept_permissions(emu, http, resp, allow_redirects=False)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(emu.redirect_uri + "#")
    assert fragment(location)["state"] == ""


def test_wrong_password_stays_on_login_page(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, "wrong-password")
    assert resp.status_code == 200 and st_cmd(resp.url) == "OAuth2Login"
    assert "Неправильно указан логин и/или пароль" in resp.text
    assert "AUTHCODE" not in http.cookies
    assert parse_form(resp.text).inputs["fr.email"] == emu.user.login


def test_cancel_gives_access_denied(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, emu.user.password)
    form = parse_form(resp.text)
    denied = http.post(
        urljoin(emu.url, form.action),
        data=dict(form.inputs, button_cancel=""),
        allow_redirects=False,
        timeout=10,
    )
    assert denied.status_code == 302
    assert fragment(denied.headers["Location"]) == {"error": "access_denied", "state": "xyz"}
    # The dialog token is single use.
    replay = http.post(
        urljoin(emu.url, form.action), data=dict(form.inputs, button_accept_request=""), timeout=10
    )
    assert replay.status_code == 403


def test_authorize_rejects_unknown_client_and_redirect(emu: OkEmulator) -> None:
    resp = requests.get(
        emu.url + "/oauth/authorize", params=authorize_params(emu, client_id="999"), timeout=10
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    resp = requests.get(
        emu.url + "/oauth/authorize",
        params=authorize_params(emu, redirect_uri="https://evil.example/"),
        timeout=10,
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_request"
    assert "error_description" in resp.json()


def test_test_mode_app_refuses_non_testers(emu: OkEmulator) -> None:
    emu.set_app_test_mode(True)
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, emu.user.password)
    # Redirected to the blank page with the error in the fragment.
    result = fragment(resp.history[-1].headers["Location"])
    assert result["error"] == "unauthorized_client" and result["error_description"]
    tester = requests.Session()
    resp = login_through(emu, tester, emu.tester_user.login, emu.tester_user.password)
    resp = accept_permissions(emu, tester, resp)
    assert "access_token" in fragment(resp.history[-1].headers["Location"])


def test_blocked_user_sees_blocked_page(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.blocked_user.login, emu.blocked_user.password)
    assert st_cmd(resp.url) == "userBlocked" and "Профиль заблокирован" in resp.text
    blocked = emu.blocked_user
    assert (
        error_code(
            api(
                emu,
                "users.getCurrentUser",
                token=blocked.access_token,
                secret=blocked.session_secret_key,
            )
        )
        == 102
    )


def test_blocking_a_logged_in_user(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, emu.user.password)
    emu.block_user(emu.user.uid)
    again = http.get(emu.url + "/oauth/authorize", params=authorize_params(emu), timeout=10)
    assert st_cmd(again.url) == "userBlocked"
    assert error_code(api(emu, "events.get")) == 102
    emu.block_user(emu.user.uid, blocked=False)
    assert isinstance(api(emu, "events.get"), list)
    assert resp.status_code == 200


# ------------------------------------------------------------------------------------------------
# Code flow and token.do
# ------------------------------------------------------------------------------------------------


def token_do(emu: OkEmulator, **data: str) -> requests.Response:
    return requests.post(emu.url + "/oauth/token.do", data=data, timeout=10)


def test_code_flow_through_the_dialogs(emu: OkEmulator) -> None:
    http = requests.Session()
    resp = login_through(emu, http, emu.user.login, emu.user.password, response_type="code")
    resp = accept_permissions(emu, http, resp, allow_redirects=False)
    location = resp.headers["Location"]
    assert location.startswith(emu.redirect_uri + "?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["state"] == "xyz"
    exchange = token_do(
        emu,
        code=query["code"],
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        redirect_uri=emu.redirect_uri,
        grant_type="authorization_code",
    )
    assert exchange.status_code == 200
    assert exchange.headers["Content-Type"] == "application/json;charset=utf-8"
    body = exchange.json()
    assert body.keys() == {"access_token", "token_type", "refresh_token", "expires_in"}
    assert body["token_type"] == "session"
    token = body["access_token"]
    assert (
        api(emu, "users.getLoggedInUser", token=token, secret=md5(token + APP_SECRET))
        == emu.user.uid
    )
    # Single use.
    reuse = token_do(
        emu,
        code=query["code"],
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        redirect_uri=emu.redirect_uri,
        grant_type="authorization_code",
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


def test_code_expiry_and_binding(emu: OkEmulator) -> None:
    common = {
        "client_id": str(emu.app.app_id),
        "client_secret": APP_SECRET,
        "grant_type": "authorization_code",
    }
    code = emu.issue_code()
    emu.advance_time(emu.code_ttl + 1)
    expired = token_do(emu, code=code, redirect_uri=emu.redirect_uri, **common)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    assert "expired" in expired.json()["error_description"]
    code = emu.issue_code()
    other = token_do(emu, code=code, redirect_uri="http://localhost:5000/callback", **common)
    assert other.json()["error"] == "invalid_grant"
    unknown = token_do(emu, code="nope", redirect_uri=emu.redirect_uri, **common)
    assert unknown.json()["error"] == "invalid_grant"


def test_token_endpoint_client_and_request_errors(emu: OkEmulator) -> None:
    code = emu.issue_code()
    bad_secret = token_do(
        emu,
        code=code,
        client_id=str(emu.app.app_id),
        client_secret="x",
        redirect_uri=emu.redirect_uri,
        grant_type="authorization_code",
    )
    assert bad_secret.status_code == 400 and bad_secret.json()["error"] == "invalid_client"
    missing = token_do(
        emu,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="authorization_code",
    )
    assert missing.json()["error"] == "invalid_request"
    weird = token_do(
        emu, client_id=str(emu.app.app_id), client_secret=APP_SECRET, grant_type="password"
    )
    assert weird.json()["error"] == "unsupported_grant_type"
    # The code survived the failed attempts.
    ok = token_do(
        emu,
        code=code,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        redirect_uri=emu.redirect_uri,
        grant_type="authorization_code",
    )
    assert ok.status_code == 200


def test_refresh_grant_gives_no_new_refresh_token(emu: OkEmulator) -> None:
    resp = token_do(
        emu,
        refresh_token=emu.user.refresh_token,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="refresh_token",
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body.keys() == {"access_token", "token_type", "expires_in"}
    token = body["access_token"]
    assert (
        api(emu, "events.get", token=token, secret=md5(token + APP_SECRET))[0]["uid"]
        == emu.user.uid
    )
    # The refresh token keeps working; a made-up one does not.
    again = token_do(
        emu,
        refresh_token=emu.user.refresh_token,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="refresh_token",
    )
    assert again.json()["access_token"] != token
    bad = token_do(
        emu,
        refresh_token="nope",
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="refresh_token",
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    emu.block_user(emu.user.uid)
    blocked = token_do(
        emu,
        refresh_token=emu.user.refresh_token,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="refresh_token",
    )
    assert blocked.json()["error"] == "invalid_grant"
    assert "blocked" in blocked.json()["error_description"]


def test_expired_token_then_refresh_recovers(emu: OkEmulator) -> None:
    code = emu.issue_code(scope="VALUABLE_ACCESS")
    body = token_do(
        emu,
        code=code,
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        redirect_uri=emu.redirect_uri,
        grant_type="authorization_code",
    ).json()
    emu.expire_token(body["access_token"])
    token = body["access_token"]
    assert error_code(api(emu, "friends.get", token=token, secret=md5(token + APP_SECRET))) == 102
    fresh = token_do(
        emu,
        refresh_token=body["refresh_token"],
        client_id=str(emu.app.app_id),
        client_secret=APP_SECRET,
        grant_type="refresh_token",
    ).json()["access_token"]
    assert api(emu, "friends.get", token=fresh, secret=md5(fresh + APP_SECRET))


# ------------------------------------------------------------------------------------------------
# Reset and determinism
# ------------------------------------------------------------------------------------------------


def test_reset_restores_the_seeded_world(emu: OkEmulator) -> None:
    first = api(emu, "stream.get", count="3")
    attachment = json.dumps({"media": [{"type": "text", "text": "temporary"}]})
    api(emu, "mediatopic.post", attachment=attachment)
    record = emu.issue_ok_token(emu.user.uid, ["VALUABLE_ACCESS"])
    emu.expire_token(TOKEN)
    emu.reset()
    assert api(emu, "stream.get", count="3") == first
    assert emu.find_token(record.token) is None
    assert emu.counters["writes_applied"] == 0


def test_same_seed_same_world_other_seed_other_world() -> None:
    with OkEmulator(seed=0) as a, OkEmulator(seed=0) as b, OkEmulator(seed=1) as c:
        assert api(a, "friends.get") == api(b, "friends.get") != api(c, "friends.get")


def test_blank_page_and_unknown_paths(emu: OkEmulator) -> None:
    assert requests.get(emu.url + "/blank.html", timeout=10).status_code == 200
    assert requests.get(emu.url + "/nowhere", timeout=10).status_code == 404
    assert requests.get(emu.url + "/dk?st.cmd=OAuth2Login", timeout=10).status_code == 400
    assert requests.get(emu.url + "/oauth/token.do", timeout=10).status_code == 405
