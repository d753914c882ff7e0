"""OK emulator fidelity (issue 9): what independent clients rely on, checked on the wire.

Signed with the independent helper of ``test_ok_emulator`` (not ``mailru_sync.signer``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mailru_sync.testing._ok import OkEmulator
from tests.emulator.test_ok_emulator import api


@pytest.fixture(scope="module")
def server() -> Iterator[OkEmulator]:
    with OkEmulator(seed=0) as emu:
        yield emu


@pytest.fixture
def emu(server: OkEmulator) -> Iterator[OkEmulator]:
    server.reset()
    yield server
    assert server.errors == []


def _all_photos(emu: OkEmulator, **params: str) -> list[dict[str, Any]]:
    """Every photo of a listing, following the anchor."""
    photos: list[dict[str, Any]] = []
    anchor: str | None = None
    while True:
        extra = dict(params, count="100")
        if anchor is not None:
            extra["anchor"] = anchor
        page = api(emu, "photos.getPhotos", **extra)
        photos += page["photos"]
        anchor = page["anchor"]
        if not page["has_more"]:
            return photos


def test_get_photos_without_aid_lists_only_the_personal_photos(emu: OkEmulator) -> None:
    personal = _all_photos(emu)
    assert personal and all("album_id" not in photo for photo in personal)
    albums = api(emu, "photos.getAlbums")["albums"]
    in_albums = [p for album in albums for p in _all_photos(emu, aid=album["aid"])]
    assert in_albums, "the primary user has album photos too"
    assert {p["id"] for p in personal}.isdisjoint(p["id"] for p in in_albums)
    total = api(emu, "photos.getPhotos", detectTotalCount="true", count="1")["totalCount"]
    assert total == len(personal)


def test_get_current_user_returns_email_only_when_fields_ask(emu: OkEmulator) -> None:
    # The seeded token holds GET_EMAIL, yet no fields means no e-mail (social-auth-core
    # calls without fields and reads ``response.get("email", "")``).
    assert "email" not in api(emu, "users.getCurrentUser")
    assert "email" not in api(emu, "users.getCurrentUser", fields="first_name,last_name")
    asked = api(emu, "users.getCurrentUser", fields="first_name,EMAIL")
    assert asked["email"] == emu.user.email
    # Asked for, but not granted: still none.
    record = emu.issue_ok_token(emu.user.uid, ["VALUABLE_ACCESS"])
    secret = record.extra["session_secret_key"]
    plain = api(emu, "users.getCurrentUser", token=record.token, secret=secret, fields="email")
    assert "email" not in plain and plain["uid"] == emu.user.uid
