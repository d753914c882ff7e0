"""The seeded OK.ru world: the app, users, friendships, groups, photos, events, topics, grants.

Everything here is plain data plus the few mutations the protocol needs (posting topics, consents,
refresh tokens).  Access tokens and codes live in the shared store of ``BaseEmulator`` (it owns the
clock and ``expire_token``); the world only lists the seeded sessions to register there.

It is rebuilt from ``seed`` on every ``reset()``, so two emulators with the same seed serve the
same world.  The documented example credentials of the seed documents are planted
verbatim so their example URLs work unchanged against the emulator.

No HTTP and no signature logic lives here: ``_ok_api.py`` and ``_ok.py`` read and mutate this state
under the emulator's lock. The world is drawn by :func:`._ok_build.build_world`.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field

#: Every permission (scope) the emulator knows; protocol-notes §2.7.
ALL_SCOPES: tuple[str, ...] = (
    "VALUABLE_ACCESS",
    "LONG_ACCESS_TOKEN",
    "PHOTO_CONTENT",
    "GROUP_CONTENT",
    "VIDEO_CONTENT",
    "APP_INVITE",
    "GET_EMAIL",
    "SET_STATUS",
    "PUBLISH_NOTE",
)

#: Documented example credentials (seed 002 / protocol-notes §2.3), planted verbatim.
SEED_APP_ID = 123456
SEED_APP_KEY = "ABCDEFGHIGKLMNOPK"
SEED_APP_SECRET_KEY = "ABC123DEF456GHI789JKL123"
SEED_TOKEN = (
    "-s-2GUXOAvQYI7-RfxsZtV1wezsdtVPv92xfuaSQ8.SAIV1O2ywYra2-3ywes5St2yvcuZSr9UUWN2TtbWtWKVTuAy8"
)
SEED_SESSION_SECRET_KEY = "ae5362b5b588cc7294c2414d71b74d5d"
SEED_SERVER_TOKEN = "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7"

PRIMARY_UID = "561717181806"
PRIMARY_LOGIN = "ivan.ivanov"
PRIMARY_PHONE = "+79991234567"
PRIMARY_PASSWORD = "ok-Secret-2024"
PRIMARY_REFRESH_TOKEN = "-r-7Hq2bLkP3mWn9XvT4cY8sZ1aE5dF6gJ0hK.rEfReSh0kSeEd4Pr1mArY"

TESTER_UID = "561717181807"
TESTER_LOGIN = "tester.petrova"
TESTER_PASSWORD = "ok-Tester-2024"

BLOCKED_UID = "561717181808"
BLOCKED_LOGIN = "blocked.sidorov"
BLOCKED_PASSWORD = "ok-Blocked-2024"

#: A fixed "now" for seeded timestamps (2024-03-01T12:00:00Z), so the world does not depend on
#: the wall clock; objects created at run time use the real clock.
EPOCH_MS = 1_709_294_400_000

#: Photos in the primary user's albums, besides the personal ones.
PRIMARY_ALBUM_PHOTO_COUNT = 61
#: Number of personal photos of the primary user: deliberately not a multiple of common page sizes.
PRIMARY_PHOTO_COUNT = 237
#: Default largest uploaded photo, in bytes (see ``OkWorld.max_photo_bytes``).
MAX_PHOTO_BYTES = 32 * 1024 * 1024



def md5_hex(text: str) -> str:
    """Lower-case hex MD5 of the UTF-8 bytes of ``text`` (the unit of every OK signature)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def server_secret(access_token: str, app_secret_key: str) -> str:
    """The server-server signing secret: md5(access_token + application_secret_key)."""
    return md5_hex(access_token + app_secret_key)


@dataclass
class OkApp:
    """The one registered application; ``test_mode`` restricts authorization to testers."""

    app_id: int
    app_key: str
    app_secret_key: str
    name: str
    redirect_uris: list[str]
    test_mode: bool = False
    testers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OkUser:
    """Credentials of a seeded user (``emu.user``, ``emu.tester_user``, ``emu.blocked_user``)."""

    uid: str
    login: str
    password: str
    access_token: str
    session_secret_key: str
    refresh_token: str
    phone: str = ""
    email: str = ""


@dataclass
class Profile:
    """A user of the social network (what ``users.getInfo`` describes)."""

    uid: str
    first_name: str
    last_name: str
    gender: str
    birthday: str
    city: str
    registered_ms: int
    last_online_ms: int
    login: str = ""
    phone: str = ""
    email: str = ""
    password: str = ""
    blocked: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age(self) -> int:
        year, month, day = (int(part) for part in self.birthday.split("-"))
        # The seeded "now" is 2024-03-01.
        return 2024 - year - (1 if (month, day) > (3, 1) else 0)


@dataclass
class Group:
    gid: str
    name: str
    description: str
    shortname: str
    created_ms: int
    admin_id: str
    members: list[str] = field(default_factory=list)


@dataclass
class Album:
    aid: str
    owner: str
    title: str
    description: str
    created_ms: int
    group: bool = False


@dataclass
class Photo:
    pid: str
    owner: str
    album_id: str | None
    text: str
    created_ms: int
    width: int
    height: int
    like_count: int
    group: bool = False


@dataclass
class Topic:
    """A media topic (post); ``seq`` orders the stream (larger = newer)."""

    topic_id: str
    seq: int
    author: str
    gid: str | None
    kind: str
    media: list[dict[str, object]]
    created_ms: int
    like_count: int = 0
    comments_count: int = 0


@dataclass(frozen=True)
class SeedSession:
    """A session that exists before any login: registered in the token store on every reset."""

    token: str
    uid: str
    session_secret_key: str
    scopes: frozenset[str]


@dataclass
class RefreshRecord:
    refresh_token: str
    uid: str
    app_id: int
    scopes: frozenset[str]


@dataclass
class DialogRecord:
    """The hidden ``fr.token`` of a permissions dialog: binds the POST to the user and request."""

    token: str
    uid: str
    redirect: str


@dataclass
class PendingUpload:
    """One photo id handed out by photosV2.getUploadUrl; ``token`` is set once uploaded."""

    photo_id: str
    uid: str
    owner: str
    album_id: str | None
    group: bool
    api_token: str
    expires_ms: int
    token: str = ""
    size: int = 0
    committed: bool = False


@dataclass
class OkWorld:
    """All state of one emulated OK.ru; built by :func:`build_world`."""

    seed: int
    app: OkApp
    profiles: dict[str, Profile]
    user_order: list[str]
    friends: dict[str, list[str]]
    app_users: set[str]
    #: Permissions each user has given the app (used for sessionless calls acting via ``uid``).
    app_permissions: dict[str, set[str]]
    #: Permissions consented to in the OAuth dialog; empty in a fresh world, so the first
    #: authorization always shows the dialog.
    dialog_grants: dict[str, set[str]]
    groups: dict[str, Group]
    group_order: list[str]
    memberships: dict[str, list[str]]
    albums: dict[str, Album]
    photos: dict[str, Photo]
    photo_order: list[str]
    topics: dict[str, Topic]
    events: dict[str, dict[str, int]]
    seed_sessions: list[SeedSession]
    refresh_tokens: dict[str, RefreshRecord]
    login_sessions: dict[str, str]
    dialogs: dict[str, DialogRecord]
    user: OkUser
    tester_user: OkUser
    blocked_user: OkUser
    rng: random.Random
    next_seq: int = 0
    next_id: int = 0
    #: Photo uploads in progress (photosV2.getUploadUrl → upload → commit), by photo id.
    uploads: dict[str, PendingUpload] = field(default_factory=dict)
    #: Largest photo the upload server takes (an emulator choice; the real limit is unknown).
    max_photo_bytes: int = MAX_PHOTO_BYTES

    # --- lookups ----------------------------------------------------------------------------

    def find_login(self, login: str) -> Profile | None:
        """A profile by login name, phone or e-mail (what the OK login box accepts)."""
        needle = login.strip().lower()
        if not needle:
            return None
        for profile in self.profiles.values():
            if profile.password and needle in {
                profile.login.lower(),
                profile.phone,
                profile.email.lower(),
            }:
                return profile
        return None

    def photos_of(self, owner: str, album_id: str | None = None) -> list[Photo]:
        """Photos of a user or group in display order (newest first), optionally of one album."""
        return [
            self.photos[pid]
            for pid in self.photo_order
            if self.photos[pid].owner == owner
            and (album_id is None or self.photos[pid].album_id == album_id)
        ]

    def topics_newest_first(self) -> list[Topic]:
        return sorted(self.topics.values(), key=lambda topic: topic.seq, reverse=True)

    # --- mutations ----------------------------------------------------------------------------

    def random_token(self, prefix: str, length: int = 60) -> str:
        """An opaque OK-looking token (``-s-...``); 60 random characters make clashes moot."""
        alphabet = string.ascii_letters + string.digits + "-_."
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(length))

    def random_hex(self, length: int = 32) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def new_numeric_id(self) -> str:
        """A fresh numeric id for topics and albums (monotonic, never reused within a world)."""
        self.next_id += 1
        return str(70_000_000_000_000 + self.next_id)

    def issue_refresh_token(self, uid: str, scopes: frozenset[str]) -> RefreshRecord:
        record = RefreshRecord(self.random_token("-r-", 40), uid, self.app.app_id, scopes)
        self.refresh_tokens[record.refresh_token] = record
        return record

    def grant(self, uid: str, scopes: frozenset[str]) -> None:
        """Record a consent given in the OAuth dialog."""
        self.dialog_grants.setdefault(uid, set()).update(scopes)
        self.app_permissions.setdefault(uid, set()).update(scopes)
        self.app_users.add(uid)

    def add_topic(
        self, author: str, gid: str | None, kind: str, media: list[dict[str, object]], now_ms: int
    ) -> Topic:
        self.next_seq += 1
        topic = Topic(self.new_numeric_id(), self.next_seq, author, gid, kind, media, now_ms)
        self.topics[topic.topic_id] = topic
        return topic
