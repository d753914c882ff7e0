"""The objects of the Mail.ru world and their public JSON shapes (what the API methods return).

Why apart from the world: an object renders itself from its own fields plus a few lookups, which
:class:`WorldView` names, so the shapes read (and change) without the world's building code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ._mailru_names import CITIES


class WorldView(Protocol):
    """What an object needs from the world to render itself."""

    @property
    def people(self) -> Mapping[str, Person]: ...

    def generator(self, app_id: int) -> dict[str, object]: ...


@dataclass(frozen=True)
class MailruApp:
    """The registered application (``emu.app``)."""

    app_id: int
    private_key: str
    secret_key: str
    title: str


@dataclass(frozen=True)
class MailruUser:
    """Credentials of a seeded user (``emu.user``, ``emu.tester_user``, ``emu.blocked_user``)."""

    uid: str
    email: str
    password: str
    access_token: str
    refresh_token: str


@dataclass
class Person:
    """A user of Мой Мир (what ``users.getInfo`` describes)."""

    uid: str
    first_name: str
    last_name: str
    email: str
    password: str
    sex: int  # Mail.ru: 0 = male, 1 = female
    birthday: str  # DD.MM.YYYY
    city: int  # index into _CITIES
    is_online: bool
    app_installed: bool
    vip: bool
    is_verified: bool
    last_visit: int
    blocked: bool = False
    friends: set[str] = field(default_factory=set)

    @property
    def nick(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def link(self) -> str:
        local, _, domain = self.email.partition("@")
        return f"http://my.mail.ru/{domain.split('.')[0]}/{local}/"

    def public(self, viewer: str | None = None) -> dict[str, object]:
        """The users.getInfo object; ``is_friend`` is viewer relative.

        Shape: protocol-notes §1.8 and the "User" table of [aiomailru@f737433] rest_api.rst.
        """
        local, _, domain = self.email.partition("@")
        pic = f"http://avt.appsmail.ru/{domain.split('.')[0]}/{local}/_avatar"
        city_id, city, region_id, region = CITIES[self.city]
        return {
            "uid": self.uid,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "nick": self.nick,
            "email": self.email,
            "sex": self.sex,
            "show_age": 1,
            "birthday": self.birthday,
            "has_pic": 1,
            "pic": pic,
            "pic_small": pic + "small",
            "pic_big": pic + "big",
            "pic_50": pic + "50",
            "pic_190": pic + "190",
            "link": self.link,
            "referer_type": "",
            "referer_id": "",
            "is_online": int(self.is_online),
            "is_friend": int(viewer is not None and viewer in self.friends),
            "friends_count": len(self.friends),
            "is_verified": int(self.is_verified),
            "vip": int(self.vip),
            "app_installed": int(self.app_installed),
            # An integer Unix time ([aiomailru@f737433] rest_api.rst, User: "last_visit
            # integer -- Date (in Unixtime) of the last user's visit").
            "last_visit": self.last_visit,
            "location": {
                "country": {"name": "Россия", "id": "24"},
                "city": {"name": city, "id": str(city_id)},
                "region": {"name": region, "id": str(region_id)},
            },
        }

    def short(self) -> dict[str, object]:
        """The compact author object embedded in stream events and guestbook entries."""
        full = self.public()
        keys = ("uid", "first_name", "last_name", "nick", "sex", "pic", "pic_small", "link")
        return {k: full[k] for k in keys}


@dataclass
class Comment:
    id: str
    author: str
    text: str
    time: int


@dataclass
class Event:
    """One stream ("Что нового") event."""

    id: str
    seq: int
    author: str
    time: int
    type: str
    type_name: str
    text: str
    title: str = ""
    #: What the user typed besides the application's ``text`` (stream.post ``user_text``).
    user_text: str = ""
    shared_from: str = ""
    #: The application that generated the event; 0 = the site itself (seeded events).
    app_id: int = 0
    #: Media objects (``{"object": "image" | "link" | ..., ...}``), [aiomailru@f737433]
    #: rest_api.rst "Attachments".
    attachments: list[dict[str, object]] = field(default_factory=list)
    #: ``{"text", "href"}`` links under the event (stream.post's link1_*/link2_*).
    action_links: list[dict[str, str]] = field(default_factory=list)
    likes: set[str] = field(default_factory=set)
    comments: list[Comment] = field(default_factory=list)

    def public(self, world: WorldView, viewer: str) -> dict[str, object]:
        """The stream.get event.

        Shape: the example of http://api.mail.ru/docs/reference/rest/stream.get/ (``id``,
        ``generator`` with ``app_id``/``icon``/``url``/``title``/``type``, ``authors`` as
        users.getInfo objects, ``subtype``) and the "Event" table of [aiomailru@f737433]
        rest_api.rst for the other fields; ``attachments`` only where the event has some.
        """
        author = world.people[self.author]
        result: dict[str, object] = {
            "id": self.id,
            "thread_id": self.id,
            "time": self.time,
            "huid": self.author,
            "authors": [author.public(viewer)],
            "generator": world.generator(self.app_id),
            "type": self.type,
            "type_name": self.type_name,
            "subtype": "event",
            "title": self.title,
            "user_text": self.user_text or self.text,
            "text_media": [{"object": "text", "content": self.text}],
            "click_url": f"{author.link}multipost/{self.id}.html",
            "likes_count": len(self.likes),
            "is_liked_by_me": int(viewer in self.likes),
            "comments_count": len(self.comments),
            "is_commentable": 1,
            "is_likeable": 1,
            "shared_from": self.shared_from,
            "action_links": [dict(link) for link in self.action_links],
        }
        if self.attachments:
            result["attachments"] = [dict(a) for a in self.attachments]
        return result


@dataclass
class GuestbookEntry:
    id: str
    owner: str
    author: str
    time: int
    title: str
    description: str
    user_text: str = ""

    def public(self, world: WorldView) -> dict[str, object]:
        return {
            "id": self.id,
            "time": self.time,
            "author": world.people[self.author].short(),
            "title": self.title,
            "description": self.description,
            "user_text": self.user_text,
        }


@dataclass
class Photo:
    pid: int
    aid: str
    owner: str
    created: int
    width: int
    height: int
    size: int
    title: str
    src: str

    def public(self) -> dict[str, object]:
        """photos.get item (https://api.mail.ru/docs/reference/rest/photos-get example)."""
        return {
            "pid": self.pid,
            "aid": self.aid,
            "owner": self.owner,
            "src": self.src,
            "src_small": self.src + "?size=small",
            "src_big": self.src + "?size=big",
            "created": self.created,
            "width": self.width,
            "height": self.height,
            "size": self.size,
            "title": self.title,
        }


@dataclass
class Album:
    aid: str
    owner: str
    title: str
    description: str
    created: int
    updated: int
    privacy: int
    photos: list[Photo] = field(default_factory=list)

    def public(self, world: WorldView) -> dict[str, object]:
        """photos.getAlbums item (http://api.mail.ru/docs/reference/rest/photos-getalbums/
        example: ``created``/``updated`` as strings, ``size``, ``privacy``, ``link``)."""
        return {
            "aid": self.aid,
            "cover_pid": self.photos[0].pid if self.photos else 0,
            "owner": self.owner,
            "title": self.title,
            "description": self.description,
            "created": str(self.created),
            "updated": str(self.updated),
            "size": len(self.photos),
            "privacy": self.privacy,
            "link": f"{world.people[self.owner].link}photo/{self.aid}",
        }


@dataclass
class Message:
    id: str
    author: str
    text: str
    time: int
    read: bool


@dataclass
class Group:
    """A Мой Мир community (described like a user, plus ``group_info``)."""

    uid: str
    name: str
    category: str
    description: str
    members: int

    def public(self) -> dict[str, object]:
        return {
            "uid": self.uid,
            "first_name": self.name,
            "last_name": "",
            "nick": self.name,
            "link": f"http://my.mail.ru/community/{self.uid}/",
            "pic": f"http://avt.appsmail.ru/community/{self.uid}/_avatar",
            "is_community": 1,
            "subscribers_count": self.members,
            "group_info": {
                "category_name": self.category,
                "short_description": self.description,
                "full_description": self.description,
                "posts_cnt": self.members // 7,
            },
        }


@dataclass
class RefreshGrant:
    """What a refresh token stands for (refresh tokens do not expire in the emulator)."""

    uid: str
    client_id: str
    scope: frozenset[str]


