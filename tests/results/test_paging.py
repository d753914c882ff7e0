"""Paging iterators against the emulators' seeded worlds, and against servers that misbehave."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import requests

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, ConfigurationError, PagingError
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.adapters import Canned, CannedAdapter

#: Events in the primary Mail.ru user's "Что нового" feed in the seeded world.
MAILRU_FEED_EVENTS = 581


def api_calls(emu: MailruEmulator | OkEmulator) -> int:
    return emu.counters["api_calls"]


def test_mailru_stream_get_yields_every_event_once(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    before = api_calls(mailru_emulator)
    events = list(API(mailru).stream.get.iter())
    assert len(events) == MAILRU_FEED_EVENTS
    assert len({event["id"] for event in events}) == MAILRU_FEED_EVENTS
    # Feed order (newest first) is kept across pages.
    assert [e["time"] for e in events] == sorted((e["time"] for e in events), reverse=True)
    # Pages of 100, then one empty page confirms the end.
    assert api_calls(mailru_emulator) - before == 7
    skips = [r.params.get("skip") for r in mailru_emulator.requests[-7:]]
    assert skips[0] is None
    assert skips[1:] == [events[min(i * 100, MAILRU_FEED_EVENTS) - 1]["id"] for i in range(1, 7)]


def test_mailru_page_size_and_max_items(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    everything = [e["id"] for e in API(mailru).stream.get.iter()]
    before = api_calls(mailru_emulator)
    first = [e["id"] for e in mailru.iter("stream.get", max_items=25, page_size=10)]
    assert first == everything[:25]
    assert api_calls(mailru_emulator) - before == 3  # lazily: no page beyond the 25th item
    assert {r.params["limit"] for r in mailru_emulator.requests[-3:]} == {"10"}
    assert list(mailru.iter("stream.get", max_items=0)) == []


def test_mailru_iteration_is_lazy(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    before = api_calls(mailru_emulator)
    events = API(mailru).stream.get.iter(page_size=5)
    assert api_calls(mailru_emulator) == before
    next(events)
    assert api_calls(mailru_emulator) == before + 1


def test_mailru_offset_listing_and_author_feed(
    mailru: mailru_sync.ServerSession, mailru_emulator: MailruEmulator
) -> None:
    api = API(mailru)
    whole = api.guestbook.get(limit=100)
    paged = list(api.guestbook.get.iter(page_size=7))
    assert paged == whole and len(paged) == 43
    offsets = [r.params["offset"] for r in mailru_emulator.requests[-8:]]
    assert offsets == ["0", "7", "14", "21", "28", "35", "42", "43"]
    by_author = list(api.stream.getByAuthor.iter(uid=mailru_emulator.user.uid, page_size=9))
    assert by_author and {e["authors"][0]["uid"] for e in by_author} == {mailru_emulator.user.uid}
    assert len({e["id"] for e in by_author}) == len(by_author)


def test_mailru_unpaged_listing_yields_the_whole_answer(
    mailru: mailru_sync.ServerSession,
) -> None:
    api = API(mailru)
    assert list(api.photos.get.iter(aid="_myphoto")) == api.photos.get(aid="_myphoto")
    assert (
        list(api.photos.get.iter(aid="_myphoto", max_items=3)) == api.photos.get(aid="_myphoto")[:3]
    )


def test_ok_photos_of_an_album_exactly_once(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    world = ok_emulator.world
    album = next(a for a in world.albums.values() if a.owner == ok_emulator.user.uid)
    expected = [p.pid for p in world.photos_of(album.owner, album.aid)]
    assert len(expected) > 10
    before = api_calls(ok_emulator)
    got = [p["id"] for p in API(okru).photos.getPhotos.iter(aid=album.aid, page_size=10)]
    assert got == expected
    # has_more=false ends the listing: no extra request.
    assert api_calls(ok_emulator) - before == -(-len(expected) // 10)
    assert all(r.params["direction"] == "FORWARD" for r in ok_emulator.requests[-2:])


def test_ok_albums_use_paging_anchor_and_has_more_spellings(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    gid = next(
        g
        for g in ok_emulator.world.group_order
        if any(a.owner == g for a in ok_emulator.world.albums.values())
    )
    albums = list(API(okru).photos.getAlbums.iter(page_size=1))
    assert len(albums) == 3 and len({a["aid"] for a in albums}) == 3
    sent = ok_emulator.requests[-3:]
    assert "pagingAnchor" not in sent[0].params
    assert all(
        "pagingAnchor" in r.params and r.params["pagingDirection"] == "FORWARD" for r in sent[1:]
    )
    assert list(API(okru).photos.getAlbums.iter(gid=gid))


def test_ok_feed_members_and_friends(okru: ok.ClientSession, ok_emulator: OkEmulator) -> None:
    api = API(okru)
    feed = list(api.stream.get.iter(page_size=7))
    assert feed and len({f["target_refs"][0] for f in feed}) == len(feed)
    gid = ok_emulator.world.group_order[0]
    members = [m["userId"] for m in api.group.getMembers.iter(uid=gid, page_size=6)]
    assert members == ok_emulator.world.groups[gid].members
    assert list(api.friends.get.iter()) == api.friends.get()
    groups = list(api.group.getUserGroupsV2.iter(page_size=4))
    assert [g["groupId"] for g in groups] == ok_emulator.world.memberships[ok_emulator.user.uid]


def test_unknown_method_names_the_supported_ones(okru: ok.ClientSession) -> None:
    with pytest.raises(ConfigurationError, match=r"photos\.getPhotos") as info:
        API(okru).users.getInfo.iter(uids="1", fields="name")
    assert "users.getInfo" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "serves per page"),
        ({"page_size": True}, "page_size"),
        ({"max_items": -1}, "max_items"),
        ({"max_items": 1.5}, "max_items"),
    ],
)
def test_bad_options_fail_at_the_call_not_at_the_first_item(
    mailru: mailru_sync.ServerSession, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        mailru.iter("stream.get", **options)


def test_cursor_parameters_are_the_iterators_own(mailru: mailru_sync.ServerSession) -> None:
    with pytest.raises(ConfigurationError, match="'skip'"):
        API(mailru).stream.get.iter(skip="123")


def test_progress_counter_on_stderr_without_tqdm(
    mailru: mailru_sync.ServerSession,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # None in sys.modules: ImportError
    items = list(mailru.iter("stream.get", max_items=120, progress=True))
    assert len(items) == 120
    err = capsys.readouterr().err
    assert err.rstrip().endswith("stream.get: 120/120 items")


def test_progress_with_tqdm(
    mailru: mailru_sync.ServerSession, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")  # in the test extra; the skip only guards a trimmed install
    items = list(API(mailru).stream.get.iter(progress=True))
    assert len(items) == MAILRU_FEED_EVENTS
    err = capsys.readouterr().err
    assert "stream.get" in err and f"{MAILRU_FEED_EVENTS}/" not in err
    assert f"{MAILRU_FEED_EVENTS}item" in err.replace(" ", "")


# --- servers that do not advance -----------------------------------------------------------


def scripted(session: requests.Session, answer: Any) -> CannedAdapter:
    adapter = CannedAdapter(lambda request: Canned(body=json.dumps(answer)))
    session.mount("https://", adapter)
    return adapter


PK, TOKEN, UID = "0a" * 16, "t" * 32, "1324730981306483817"


def test_mailru_server_ignoring_skip_raises_instead_of_looping() -> None:
    session = mailru_sync.ClientSession(1, PK, TOKEN, UID)
    adapter = scripted(session, [{"id": "a1"}, {"id": "a2"}])
    events = session.iter("stream.get")
    with pytest.raises(PagingError, match="skip=a2") as info:
        list(events)
    assert len(adapter.requests) == 2
    assert isinstance(info.value, mailru_sync.ResponseError)


def test_offset_ignored_by_the_server_raises() -> None:
    session = mailru_sync.ClientSession(1, PK, TOKEN, UID)
    adapter = scripted(session, [{"id": "g1"}])
    with pytest.raises(PagingError, match="offset"):
        list(session.iter("guestbook.get"))
    assert len(adapter.requests) == 2


def test_ok_server_repeating_its_anchor_raises() -> None:
    session = ok.ClientSession(1, "KEY", TOKEN, "ssk")
    adapter = scripted(session, {"photos": [{"id": "1"}], "anchor": "AAA", "has_more": True})
    with pytest.raises(PagingError, match="same anchor"):
        list(session.iter("photos.getPhotos"))
    assert len(adapter.requests) == 2


def test_ok_has_more_without_anchor_is_a_response_error() -> None:
    session = ok.ClientSession(1, "KEY", TOKEN, "ssk")
    scripted(session, {"photos": [{"id": "1"}], "has_more": True})
    with pytest.raises(mailru_sync.ResponseError, match="no 'anchor'"):
        list(session.iter("photos.getPhotos"))


def test_wrong_result_shape_is_a_response_error() -> None:
    session = mailru_sync.ClientSession(1, PK, TOKEN, UID)
    scripted(session, {"unexpected": True})
    with pytest.raises(mailru_sync.ResponseError, match="expected a list"):
        list(session.iter("stream.get"))


def test_a_subclass_adds_a_paging_row(mailru_emulator: MailruEmulator) -> None:
    from collections.abc import Mapping
    from typing import ClassVar

    from mailru_sync._paging import Paging, unpaged

    class Session(mailru_sync.ServerSession):
        PAGING: ClassVar[Mapping[str, Paging]] = {
            **mailru_sync.ServerSession.PAGING,
            "users.getInfo": unpaged(),
        }

    emu = mailru_emulator
    with Session(emu.app.app_id, emu.app.secret_key, emu.user.access_token, base_url=emu.url) as s:
        assert s.PAGING["stream.get"] == mailru_sync.ServerSession.PAGING["stream.get"]
        users = list(s.iter("users.getInfo", {"uids": emu.user.uid}))
    assert [user["uid"] for user in users] == [emu.user.uid]
    assert "users.getInfo" not in mailru_sync.ServerSession.PAGING  # the platform's table is kept
