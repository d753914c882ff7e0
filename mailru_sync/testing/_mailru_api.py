"""Mail.ru REST methods of the emulator: the method table.

The handlers live by API group in ``_mailru_social`` (users, friends, stream, guestbook) and
``_mailru_media`` (photos, events, messages, groups); what they share is in ``_mailru_call``.
"""

from __future__ import annotations

from ._mailru_call import (
    ERROR_MESSAGES,
    ApiError,
    CallContext,
    Method,
    client_server_sig,
    server_server_sig,
)
from ._mailru_media import (
    events_get_new_count,
    groups_get,
    messages_get_thread,
    messages_get_threads_list,
    messages_get_unread_count,
    messages_post,
    photos_create_album,
    photos_get,
    photos_get_albums,
    photos_upload,
)
from ._mailru_social import (
    friends_get,
    friends_get_app_users,
    friends_get_online,
    guestbook_get,
    guestbook_post,
    stream_comment,
    stream_get,
    stream_get_by_author,
    stream_like,
    stream_post,
    stream_share,
    stream_unlike,
    users_get_info,
    users_has_app_permission,
    users_is_app_user,
)

__all__ = [
    "ERROR_MESSAGES",
    "METHODS",
    "ApiError",
    "CallContext",
    "client_server_sig",
    "server_server_sig",
]

METHODS: dict[str, Method] = {
    "users.getInfo": Method(users_get_info),
    "users.isAppUser": Method(users_is_app_user),
    "users.hasAppPermission": Method(users_has_app_permission, required=("ext_perm",)),
    "friends.get": Method(friends_get),
    "friends.getAppUsers": Method(friends_get_app_users),
    "friends.getOnline": Method(friends_get_online),
    "stream.get": Method(stream_get),
    "stream.getByAuthor": Method(stream_get_by_author),
    "stream.post": Method(stream_post, "stream", True, ("text",)),
    # The event is named by thread_id or id (CallContext.thread); stream.share takes a url.
    "stream.comment": Method(stream_comment, "stream", True, ("text",)),
    "stream.share": Method(stream_share, "stream", True),
    "stream.like": Method(stream_like, "stream", True),
    "stream.unlike": Method(stream_unlike, "stream", True),
    "guestbook.get": Method(guestbook_get),
    "guestbook.post": Method(guestbook_post, "guestbook", True, ("uid", "description")),
    "photos.getAlbums": Method(photos_get_albums, "photos"),
    "photos.get": Method(photos_get, "photos", required=("aid",)),
    "photos.createAlbum": Method(photos_create_album, "photos", True),
    "photos.upload": Method(photos_upload, "photos", True),
    "events.getNewCount": Method(events_get_new_count, "events"),
    "messages.getThreadsList": Method(messages_get_threads_list, "messages"),
    "messages.getThread": Method(messages_get_thread, "messages", required=("uid",)),
    "messages.getUnreadCount": Method(messages_get_unread_count, "messages"),
    "messages.post": Method(messages_post, "messages", True, ("uid", "message")),
    "groups.get": Method(groups_get),
}
