"""Mail.ru emulator fidelity (issue 9): XML results, redirect URIs with a query, the parameter
names independent clients send, and the documented shapes -- all checked on the wire with the
independent signing client of ``test_mailru_emulator``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from mailru_sync.testing import MailruEmulator
from tests.emulator.test_mailru_emulator import (
    Client,
    authorize_params,
    fragment,
    login,
    parse,
)

XML_TYPE = "text/xml; charset=utf-8"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def client(mailru_emulator: MailruEmulator, http: requests.Session) -> Iterator[Client]:
    yield Client(mailru_emulator, http)
    assert mailru_emulator.errors == []


def xml_call(client: Client, method: str, **kwargs: Any) -> ET.Element:
    """Call with ``format=xml`` (signed like any parameter); the parsed root element."""
    resp = client.raw(method, format="xml", **kwargs)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == XML_TYPE
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(resp.content)


def xml_error(root: ET.Element) -> tuple[int, str]:
    assert root.tag == "error" and [child.tag for child in root] == ["error_code", "error_msg"]
    return int(root.findtext("error_code", "")), root.findtext("error_msg", "")


# ---- 1. format=xml ------------------------------------------------------------------------------


def test_xml_result_of_events_get_new_count(client: Client) -> None:
    root = xml_call(client, "events.getNewCount")
    # The documented example: <response_events_getNewCount><count>2</count></...>
    assert root.tag == "response_events_getNewCount"
    assert [child.tag for child in root] == ["count"]
    assert int(root.findtext("count", "")) == client.ok("events.getNewCount")["count"]


def test_xml_lists_repeat_one_element_per_item(client: Client) -> None:
    friends = client.ok("friends.get")
    root = xml_call(client, "friends.get")
    assert root.tag == "response_friends_get"
    assert [(child.tag, child.text) for child in root] == [("uid", uid) for uid in friends]

    uids = ",".join(friends[:3])
    users = client.ok("users.getInfo", uids=uids)
    root = xml_call(client, "users.getInfo", uids=uids)
    assert root.tag == "response_users_getInfo"
    assert [u.tag for u in root] == ["user"] * 3
    for element, user in zip(root, users, strict=True):
        assert element.findtext("uid") == user["uid"]
        assert element.findtext("first_name") == user["first_name"]
        assert element.findtext("email") == user["email"]
        assert element.findtext("location/city/name") == user["location"]["city"]["name"]
        assert int(element.findtext("last_visit", "")) == user["last_visit"]

    events = client.ok("stream.get", limit="3")
    root = xml_call(client, "stream.get", limit="3")
    assert [e.findtext("id") for e in root.findall("event")] == [e["id"] for e in events]
    authors = root.findall("event/authors/user")
    assert [a.findtext("uid") for a in authors] == [e["authors"][0]["uid"] for e in events]


def test_xml_errors_use_the_error_envelope(client: Client, http: requests.Session) -> None:
    params = client.params("users.getInfo", format="xml")
    params["sig"] = "0" * 32
    resp = http.get(f"{client.emu.url}/platform/api", params=params)
    assert resp.headers["Content-Type"] == XML_TYPE
    assert xml_error(ET.fromstring(resp.content)) == (104, "Incorrect signature.")
    assert xml_error(xml_call(client, "no.suchMethod"))[0] == 2
    tester = client.emu.tester_user
    denied = xml_call(client, "events.getNewCount", token=tester.access_token, as_uid=tester.uid)
    assert xml_error(denied)[0] == 200


def test_format_is_signed_and_json_stays_the_default(
    client: Client, http: requests.Session
) -> None:
    params = client.params("events.getNewCount", format="json")
    params["format"] = "xml"  # switched after signing
    resp = http.get(f"{client.emu.url}/platform/api", params=params)
    assert xml_error(ET.fromstring(resp.content))[0] == 104
    assert set(client.call("events.getNewCount", format="json")) == {"count"}
    assert set(client.call("events.getNewCount")) == {"count"}


def test_xml_survives_text_xml_cannot_carry(client: Client) -> None:
    posted = client.ok("stream.post", post=True, text="a < b & \x01c")
    root = xml_call(client, "stream.getByAuthor", limit="1")
    event = root.find("event")
    assert event is not None and event.findtext("id") == posted["id"]
    assert event.findtext("user_text") == "a < b & c"


# ---- 4. redirect URIs carrying their own query --------------------------------------------------


def _granted_location(http: requests.Session, emu: MailruEmulator, **extra: str) -> str:
    """Log the primary user in (all privileges granted) and take the authorize redirect."""
    params = authorize_params(emu, **extra)
    page = http.get(f"{emu.url}/oauth/authorize", params=params)
    form = next(f for f in parse(page.text).forms if f.get("id") == "login-form")
    data = dict(form["inputs"], Login=emu.user.email, Password=emu.user.password)
    logged_in = http.post(form["action"], data=data, allow_redirects=False)
    assert logged_in.status_code == 302 and "Mpop" in http.cookies
    again = http.get(f"{emu.url}/oauth/authorize", params=params, allow_redirects=False)
    assert again.status_code == 302, again.text
    return str(again.headers["Location"])


def test_registered_uri_with_extra_query_is_accepted_and_kept(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    callback = "http://localhost:5000/callback?redirect_state=s3cr3t"  # social-auth-core style
    location = _granted_location(http, emu, response_type="code", redirect_uri=callback, state="x")
    assert location.startswith(callback + "&code=")
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_state"] == ["s3cr3t"] and query["state"] == ["x"]
    data = {
        "grant_type": "authorization_code",
        "client_id": str(emu.app.app_id),
        "client_secret": emu.app.secret_key,
        "code": query["code"][0],
    }
    # The code is bound to the redirect_uri exactly as sent (RFC 6749 §4.1.3).
    stripped = http.post(
        f"{emu.url}/oauth/token", data=dict(data, redirect_uri=callback.split("?")[0])
    )
    assert stripped.status_code == 400 and stripped.json()["error"] == "invalid_grant"
    code = emu.issue_code(callback)
    token = http.post(
        f"{emu.url}/oauth/token", data=dict(data, code=code, redirect_uri=callback)
    ).json()
    assert token["x_mailru_vid"] == emu.user.uid


def test_implicit_grant_keeps_the_query_before_the_fragment(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    callback = f"{emu.url}/blank.html?next=%2Fhome&redirect_state=abc"
    location = _granted_location(http, emu, redirect_uri=callback)
    assert location.startswith(callback + "#access_token=")
    assert fragment(location)["x_mailru_vid"] == emu.user.uid


def test_unregistered_uris_are_still_refused(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    for bad in (
        "http://localhost:5001/callback?redirect_state=x",
        "http://localhost:5000/callback/more?redirect_state=x",
        f"{emu.url}/blank.html#frag",
        f"{emu.url}/blank.html?x=1#frag",
    ):
        page = http.get(
            f"{emu.url}/oauth/authorize", params=authorize_params(emu, redirect_uri=bad)
        )
        assert "Неверный redirect_uri" in page.text, bad
        with pytest.raises(ValueError):
            emu.issue_code(bad)


def test_access_dialog_carries_the_query_through(
    mailru_emulator: MailruEmulator, http: requests.Session
) -> None:
    emu = mailru_emulator
    user = emu.list_user
    callback = f"{emu.url}/blank.html?redirect_state=q1"
    params = authorize_params(emu, response_type="code", redirect_uri=callback, state="st")
    dialog = login(
        http, http.get(f"{emu.url}/oauth/authorize", params=params), user.email, user.password
    )
    assert f"{callback}&error=access_denied&state=st" in parse(dialog.text).links
    form = next(f for f in parse(dialog.text).forms if f.get("id") == "login")
    assert form["inputs"]["redirect_uri"] == callback
    done = http.post(form["action"], data=form["inputs"], allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"].startswith(callback + "&code=")


# ---- 5. the parameter names real clients send ---------------------------------------------------


def test_like_unlike_comment_by_thread_id(client: Client) -> None:
    event = client.ok("stream.get", limit="1")[0]
    thread = event["thread_id"]
    liked = client.ok("stream.like", thread_id=thread)  # pymymailru: GET, thread_id only
    assert liked == {"likes_count": event["likes_count"] + 1, "is_liked_by_me": 1}
    comment = client.ok("stream.comment", post=True, thread_id=thread, text="Согласен")
    assert comment["comments_count"] == event["comments_count"] + 1
    assert client.ok("stream.unlike", thread_id=thread)["is_liked_by_me"] == 0
    again = client.ok("stream.get", limit="1")[0]
    assert again["comments_count"] == event["comments_count"] + 1
    assert again["likes_count"] == event["likes_count"]
    # id still works; both naming different events, or neither, is a bad parameter.
    assert client.ok("stream.like", id=thread)["is_liked_by_me"] == 1
    other = client.ok("stream.get", limit="2")[1]["id"]
    assert client.error("stream.like", thread_id=thread, id=other) == 100
    assert client.error("stream.unlike") == 100
    assert client.error("stream.comment", post=True, thread_id="f" * 16, text="x") == 100


def test_share_a_link_as_pymymailru_sends_it(client: Client) -> None:
    shared = client.ok(
        "stream.share",
        post=True,
        url="https://example.org/article",
        description="",
        title="Статья",
        img_url="https://example.org/cover.jpg",
        user_text="Почитайте",
    )
    top = client.ok("stream.get", limit="1")[0]
    assert top["id"] == shared["id"] and top["type"] == "5-26"
    assert top["user_text"] == "Почитайте" and top["title"] == "Статья"
    assert top["attachments"] == [
        {"object": "link", "text": "Статья", "url": "https://example.org/article"},
        {"object": "image", "src": "https://example.org/cover.jpg"},
    ]
    resharing = client.ok("stream.share", post=True, thread_id=top["thread_id"])
    assert client.ok("stream.get", limit="1")[0]["shared_from"] == top["id"]
    assert resharing["id"] != shared["id"]
    assert client.error("stream.share", post=True, url="javascript:alert(1)") == 100
    assert client.error("stream.share", post=True, title="no url, no event") == 100


def test_post_with_every_field_pymymailru_sends(client: Client) -> None:
    posted = client.ok(
        "stream.post",
        post=True,
        user_text="Мой комментарий",
        text="Текст приложения",
        title="Заголовок",
        link1_text="Играть",
        link1_href="https://example.org/play",
        link2_text="",
        link2_href="",
        img_url="",
    )
    top = client.ok("stream.getByAuthor", limit="1")[0]
    assert top["id"] == posted["id"]
    assert top["user_text"] == "Мой комментарий"
    assert top["text_media"] == [{"object": "text", "content": "Текст приложения"}]
    assert top["action_links"] == [{"text": "Играть", "href": "https://example.org/play"}]
    assert "attachments" not in top


# ---- 6. shapes ----------------------------------------------------------------------------------


def test_stream_events_carry_generator_full_authors_and_attachments(client: Client) -> None:
    events = client.ok("stream.get", limit="100")
    for event in events:
        assert set(event["generator"]) == {"app_id", "icon", "url", "title", "type"}
        author = event["authors"][0]
        assert author == client.ok("users.getInfo", uids=author["uid"])[0]
    photos = [e for e in events if e["type"] == "1-1"]
    assert photos and all(e["attachments"][0]["object"] == "image" for e in photos)
    assert all(e["attachments"][0]["src"].startswith("http") for e in photos)
    assert all("attachments" not in e for e in events if e["type"] != "1-1")

    posted = client.ok("stream.post", post=True, text="из приложения", img_url="http://x.org/i.png")
    mine = client.ok("stream.get", limit="1")[0]
    app_id = client.emu.app.app_id
    assert mine["id"] == posted["id"]
    assert mine["generator"] == {
        "app_id": app_id,
        "icon": f"http://appsmail.ru/icons/{app_id}.gif",
        "url": f"http://my.mail.ru/cgi-bin/my/app-canvas?appid={app_id}",
        "title": client.emu.app.title,
        "type": "application",
    }
    assert mine["attachments"] == [{"object": "image", "src": "http://x.org/i.png"}]
    only_app = client.ok("stream.get", filter_app=str(app_id))
    assert [e["id"] for e in only_app] == [posted["id"]]


def test_last_visit_is_an_integer(client: Client) -> None:
    users = client.ok("users.getInfo", uids=",".join(client.ok("friends.get")[:20]))
    assert all(type(u["last_visit"]) is int and u["last_visit"] > 0 for u in users)
    assert all(type(u["last_visit"]) is int for u in client.ok("friends.get", ext="1"))
