"""Mail.ru listings and how each one pages: one row per method (see :mod:`mailru_sync._paging`).

Sources: ``stream.get`` takes ``skip`` (the id of the event after which to continue) and ``limit``
(default 10), http://api.mail.ru/docs/reference/rest/stream.get/; ``stream.getByAuthor`` the same
(aiomailru@f737433 ``scrapers.py``: ``uid, limit, skip``). ``photos.get`` (``aid``, ``pids``) and
``photos.getAlbums`` (``aids``) document no paging parameter and return the whole list
(https://api.mail.ru/docs/reference/rest/photos-get, .../photos-getalbums/), as do the
``friends.*`` lists. ``guestbook.get``, ``messages.*`` and ``groups.get`` page with
``offset``/``limit`` (aiomailru@f737433 scrapers, rb-mailru-api README ``audio.get``): the
parameter names are what clients use, **uncertain** as official docs. The largest page (100) is
the emulator's cap; the platform's own maximum is not documented (**uncertain**), and the engine
never ends a listing on a short page, so a lower real cap costs requests, never items.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._paging import Paging, by_offset, by_skip, unpaged

__all__ = ["PAGING"]

PAGING: Mapping[str, Paging] = {
    "stream.get": by_skip(),
    "stream.getByAuthor": by_skip(),
    "guestbook.get": by_offset(),
    "messages.getThreadsList": by_offset(),
    "messages.getThread": by_offset(),
    "groups.get": by_offset(),
    "photos.get": unpaged(),
    "photos.getAlbums": unpaged(),
    "friends.get": unpaged(),
    "friends.getAppUsers": unpaged(),
    "friends.getOnline": unpaged(),
}
