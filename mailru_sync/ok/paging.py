"""OK listings and how each one pages: one row per method (see :mod:`mailru_sync._paging`).

Sources (protocol-notes §2.9): anchor paging ``anchor`` + ``direction`` + ``count`` in,
``anchor`` + ``has_more`` out (https://apiok.ru/dev/methods/rest/friends/friends.getRelativesV2,
https://apiok.ru/en/dev/methods/rest/photos/photos.getPhotos); ``photos.getAlbums`` spells them
``pagingAnchor``/``pagingDirection`` and ``hasMore``
(https://apiok.ru/en/dev/methods/rest/photos/photos.getAlbums). The item keys (``photos``,
``albums``, ``feeds``, ``groups``, ``members``) are the methods' result fields; ``direction``
values other than ``FORWARD`` are **uncertain** and never sent by the engine. ``friends.get``
returns the whole list of ids (up to 5000, apiok documentation ``friends.get``). The largest
``count`` (100) is the emulator's cap, **uncertain** for the platform; the engine ends on
``has_more``, never on a short page, so a lower real cap costs requests, never items.
``photos.getPhotos`` and ``photos.getAlbums`` document ``detectTotalCount``; the answer's
``totalCount`` is the emulator's spelling (the platform's is **uncertain**, protocol-notes §2.9
names ``totalCount`` for ``friends.getRelativesV2``), and a missing count only leaves the
progress bar without a total.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._paging import Paging, by_anchor, unpaged

__all__ = ["PAGING"]

#: ``detectTotalCount`` asks for ``totalCount`` (see the module doc); sent only under a bar.
_ASK, _COUNT = "detectTotalCount", "totalCount"

PAGING: Mapping[str, Paging] = {
    "photos.getPhotos": by_anchor("photos", total_param=_ASK, total_key=_COUNT),
    "photos.getAlbums": by_anchor(
        "albums",
        cursor="pagingAnchor",
        more="hasMore",
        direction="pagingDirection",
        total_param=_ASK,
        total_key=_COUNT,
    ),
    "stream.get": by_anchor("feeds"),
    "group.getUserGroupsV2": by_anchor("groups"),
    "group.getMembers": by_anchor("members"),
    "friends.get": unpaged(),
    "friends.getAppUsers": unpaged("uids"),
}
