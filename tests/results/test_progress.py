"""Progress bars of the paging iterators: a total whenever one is known before the items.

The total comes from ``max_items``, from the length of a listing answered whole, or from the
count the platform reports (OK ``totalCount``, asked for with ``detectTotalCount`` only while a
bar is shown). Run against the emulators; the plain counter (tqdm hidden) and tqdm itself.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

import mailru_sync
import mailru_sync._paging as paging
import mailru_sync.ok as ok
from mailru_sync import API
from mailru_sync.testing import OkEmulator


def _album(emu: OkEmulator) -> tuple[str, int]:
    world = emu.world
    album = next(a for a in world.albums.values() if a.owner == emu.user.uid)
    return album.aid, len(world.photos_of(album.owner, album.aid))


@pytest.fixture
def no_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # None in sys.modules: ImportError


@pytest.mark.usefixtures("no_tqdm")
def test_ok_photos_counter_shows_the_total_the_platform_reports(
    okru: ok.ClientSession, ok_emulator: OkEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    aid, count = _album(ok_emulator)
    photos = list(API(okru).photos.getPhotos.iter(aid=aid, page_size=10, progress=True))
    assert len(photos) == count > 10
    assert capsys.readouterr().err.rstrip().endswith(f"photos.getPhotos: {count}/{count} items")
    pages = [r for r in ok_emulator.requests if r.params.get("method") == "photos.getPhotos"]
    assert pages[0].params.get("detectTotalCount") == "true"


def test_without_a_bar_the_count_is_not_asked_for(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    aid, count = _album(ok_emulator)
    assert len(list(API(okru).photos.getPhotos.iter(aid=aid))) == count
    assert all("detectTotalCount" not in r.params for r in ok_emulator.requests)


def test_a_count_given_by_the_caller_is_kept(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    aid, _ = _album(ok_emulator)
    list(API(okru).photos.getPhotos.iter(aid=aid, detectTotalCount=False, progress=True))
    assert all(r.params.get("detectTotalCount") == "false" for r in ok_emulator.requests)


@pytest.mark.usefixtures("no_tqdm")
def test_max_items_caps_the_reported_total(
    okru: ok.ClientSession, ok_emulator: OkEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    aid, count = _album(ok_emulator)
    assert count > 5
    photos = list(API(okru).photos.getPhotos.iter(aid=aid, max_items=5, progress=True))
    assert len(photos) == 5
    assert capsys.readouterr().err.rstrip().endswith("photos.getPhotos: 5/5 items")


@pytest.mark.usefixtures("no_tqdm")
def test_a_listing_answered_whole_has_its_length_as_total(
    okru: ok.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    friends = list(API(okru).friends.get.iter(progress=True))
    assert friends
    total = len(friends)
    assert capsys.readouterr().err.rstrip().endswith(f"friends.get: {total}/{total} items")


def test_tqdm_bar_shows_the_total(
    okru: ok.ClientSession, ok_emulator: OkEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")  # in the test extra; the skip only guards a trimmed install
    aid, count = _album(ok_emulator)
    list(API(okru).photos.getPhotos.iter(aid=aid, page_size=10, progress=True))
    assert f"{count}/{count}" in capsys.readouterr().err


class Recorder:
    """A progress display that records the total it had at each update."""

    def __init__(self) -> None:
        self.total: int | float | None = None
        self.seen: list[Any] = []
        self.closed = False

    def update(self, n: int) -> None:
        self.seen.append(self.total)

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_the_total_is_known_before_the_first_item_and_the_bar_waits_for_next(
    okru: ok.ClientSession, ok_emulator: OkEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[Recorder] = []

    def progress(method: str, total: int | None) -> Recorder:
        bars.append(Recorder())
        return bars[-1]

    monkeypatch.setattr(paging, "_progress", progress)
    aid, count = _album(ok_emulator)
    before = ok_emulator.counters["api_calls"]
    items = API(okru).photos.getPhotos.iter(aid=aid, page_size=10, progress=True)
    assert bars == [] and ok_emulator.counters["api_calls"] == before  # nothing until next()
    assert len(list(items)) == count
    (bar,) = bars
    assert bar.seen == [count] * count and bar.closed


def test_mailru_feed_has_no_total_to_report(
    mailru: mailru_sync.ServerSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    bar = Recorder()
    monkeypatch.setattr(paging, "_progress", lambda method, total: bar)
    assert len(list(API(mailru).stream.get.iter(progress=True))) > 100
    assert set(bar.seen) == {None} and bar.closed
