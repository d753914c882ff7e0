"""The documented REST methods of each platform, for "did you mean ...?" on an unknown method.

Why: ``api.frends.get()`` is answered by the platform with "Unknown method called." (Mail.ru
error 2) or "METHOD : ..." (OK error 3), which does not say what was meant. When the platform
gives that answer, :class:`~mailru_sync.UnknownMethodError` adds the closest name from these
lists. The lists only ever add a hint: a method that is not listed is still sent, since both
platforms have many more methods than any public document of ours names.

Sources (each name appears in at least one; the emulator's method tables are checked against
these lists by ``tests/core/test_method_lists.py``):

* Mail.ru: protocol notes §1.8 (the method list of rb-mailru-api's ``lib/mailru/api.rb`` and
  the methods aiomailru's scrapers use); the seed docs 000/001/003 (``friends.get``,
  ``stream.get``).
* OK: protocol notes §2.8-2.10 (apiok.ru method pages, the apiok doc repository, the OK app's
  batch parser) and §2.6 (``auth.login``); the seed docs 002/004 (``events.get``,
  ``friends.get``); apiok.ru's photosV2 upload pages.
"""

from __future__ import annotations

import difflib

__all__ = ["MAILRU_METHODS", "OK_METHODS", "closest_method", "methods_reference"]

#: Mail.ru Platform REST methods (https://api.mail.ru/docs/reference/rest/).
MAILRU_METHODS: frozenset[str] = frozenset({
    "audio.get", "audio.link", "audio.search", "audio.top",
    "events.getNewCount",
    "friends.get", "friends.getAppUsers", "friends.getInvitationsCount", "friends.getOnline",
    "groups.get", "groups.getInfo", "groups.join",
    "guestbook.get", "guestbook.post",
    "mail.getUnreadCount",
    "messages.getThread", "messages.getThreadsList", "messages.getUnreadCount", "messages.post",
    "mobile.getCanvas",
    "notifications.send",
    "photos.createAlbum", "photos.get", "photos.getAlbums", "photos.upload",
    "stream.comment", "stream.get", "stream.getByAuthor", "stream.like", "stream.post",
    "stream.share", "stream.unlike",
    "users.getBalance", "users.getInfo", "users.hasAppPermission", "users.isAppUser",
})

#: OK.ru REST methods (https://apiok.ru/en/dev/methods/rest).
OK_METHODS: frozenset[str] = frozenset({
    "auth.login", "auth.touchSession",
    "batch.executeV2",
    "events.get",
    "friends.get", "friends.getAppUsers", "friends.getAppUsersOnline", "friends.getOnline",
    "friends.getRelativesV2", "friends.appInvite",
    "group.getCounters", "group.getInfo", "group.getMembers", "group.getUserGroupsByIds",
    "group.getUserGroupsV2",
    "mediatopic.getByIds", "mediatopic.post",
    "photos.createAlbum", "photos.getAlbums", "photos.getPhotos",
    "photosV2.commit", "photosV2.getUploadUrl",
    "stream.get",
    "url.getInfo",
    "users.getCurrentUser", "users.getInfo", "users.getLoggedInUser",
})

_TABLES = {"mailru": MAILRU_METHODS, "ok": OK_METHODS}
#: Platforms whose method names match ignoring case (our OK emulator matches them so; a
#: Mail.ru name in the wrong case gets its right spelling suggested).
_CASE_BLIND = frozenset({"ok"})
_REFERENCES = {
    "mailru": "https://api.mail.ru/docs/reference/rest/",
    "ok": "https://apiok.ru/en/dev/methods/rest",
}


def closest_method(method: str, platform: str) -> str | None:
    """The documented method of ``platform`` nearest to ``method`` (``None``: none is close,
    or ``method`` is itself documented, i.e. the platform refused it for another reason)."""
    known = _TABLES.get(platform)
    if not known or not method:
        return None
    if method in known:
        return None
    by_lower = {name.lower(): name for name in known}
    wanted = method.lower()
    if wanted in by_lower:  # only the case differs: OK ignores it, Mail.ru does not
        return None if platform in _CASE_BLIND else by_lower[wanted]
    # Compare names part by part as one string: 'frends.get' is nearest 'friends.get'.
    found = difflib.get_close_matches(wanted, list(by_lower), n=1, cutoff=0.75)
    return by_lower[found[0]] if found else None


def methods_reference(platform: str) -> str:
    """Where ``platform`` lists its methods (empty when the platform is not known)."""
    return _REFERENCES.get(platform, "")
