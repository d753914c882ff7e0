"""The seeded OK.ru world: the app, users, friendships, groups, photos, events, topics, grants.

Everything here is plain data plus the few mutations the protocol needs (posting topics, consents,
refresh tokens).  Access tokens and codes live in the shared store of ``BaseEmulator`` (it owns the
clock and ``expire_token``); the world only lists the seeded sessions to register there.

It is rebuilt from ``seed`` on every ``reset()``, so two emulators with the same seed serve the
same world.  The documented example credentials of the seed documents are planted
verbatim so their example URLs work unchanged against the emulator.

No HTTP and no signature logic lives here: ``_ok_api.py`` and ``_ok.py`` read and mutate this state
under the emulator's lock.
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

_MALE_FIRST = (
    "Иван", "Алексей", "Сергей", "Дмитрий", "Андрей", "Михаил", "Николай", "Павел", "Олег",
    "Владимир", "Артём", "Егор", "Максим", "Кирилл", "Юрий", "Виктор", "Роман", "Григорий",
)
_FEMALE_FIRST = (
    "Мария", "Анна", "Елена", "Ольга", "Татьяна", "Наталья", "Светлана", "Ирина", "Екатерина",
    "Юлия", "Дарья", "Ксения", "Полина", "Алина", "Вера", "Людмила", "Галина", "Софья",
)
_LAST = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
)
_CITIES = (
    "Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
    "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск", "Воронеж", "Пермь", "Волгоград",
)
_GROUP_WORDS = (
    "Клуб", "Сообщество", "Любители", "Друзья", "Фанаты", "Школа", "Мастерская", "Кружок",
)
_GROUP_TOPICS = (
    "рыбалки", "кулинарии", "садоводства", "путешествий", "фотографии", "шахмат", "кино",
    "истории", "вязания", "футбола", "книг", "джаза", "походов", "программирования",
)
_PHRASES = (
    "Отличный день!", "Всем привет!", "Смотрите, что я нашёл", "Лето, ах лето", "Новые фото",
    "С днём рождения!", "Как вам такое?", "Дача, урожай", "Мы на море", "Вечер пятницы",
)
_EVENT_TYPES = (
    "activities", "discussions", "events", "guests", "marks", "messages", "notifications",
)


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


def _female(last_name: str) -> str:
    if last_name.endswith(("ов", "ев", "ёв", "ин")):
        return last_name + "а"
    return last_name


def _credentials(uid: str, login: str, password: str, token: str, secret: str,
                 refresh: str, phone: str = "", email: str = "") -> OkUser:
    return OkUser(uid, login, password, token, secret, refresh, phone, email)


def build_world(seed: int = 0, *, user_count: int = 400, group_count: int = 80) -> OkWorld:
    """Build the deterministic world for ``seed`` (same seed, same world)."""
    rng = random.Random(f"ok-world-{seed}")
    app = OkApp(
        app_id=SEED_APP_ID,
        app_key=SEED_APP_KEY,
        app_secret_key=SEED_APP_SECRET_KEY,
        name="Тестовое приложение",
        redirect_uris=[
            "https://oauth.mycdn.me/blank.html",
            "https://api.ok.ru/blank.html",
            "http://localhost:5000/callback",
            "http://127.0.0.1:5000/callback",
        ],
        testers={TESTER_UID},
    )

    profiles: dict[str, Profile] = {}

    def make_profile(uid: str, male: bool) -> Profile:
        last = rng.choice(_LAST)
        year = rng.randint(1950, 2005)
        registered = EPOCH_MS - rng.randint(30, 5000) * 86_400_000
        return Profile(
            uid=uid,
            first_name=rng.choice(_MALE_FIRST if male else _FEMALE_FIRST),
            last_name=last if male else _female(last),
            gender="male" if male else "female",
            birthday=f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            city=rng.choice(_CITIES),
            registered_ms=registered,
            last_online_ms=EPOCH_MS - rng.randint(0, 30 * 86_400) * 1000,
        )

    primary = make_profile(PRIMARY_UID, True)
    primary.first_name, primary.last_name = "Иван", "Иванов"
    primary.login, primary.phone, primary.password = PRIMARY_LOGIN, PRIMARY_PHONE, PRIMARY_PASSWORD
    primary.email = "ivan.ivanov@mail.ru"
    tester = make_profile(TESTER_UID, False)
    tester.first_name, tester.last_name = "Мария", "Петрова"
    tester.login, tester.phone, tester.password = TESTER_LOGIN, "+79990000001", TESTER_PASSWORD
    tester.email = "tester.petrova@mail.ru"
    blocked = make_profile(BLOCKED_UID, True)
    blocked.first_name, blocked.last_name = "Пётр", "Сидоров"
    blocked.login, blocked.phone, blocked.password = BLOCKED_LOGIN, "+79990000002", BLOCKED_PASSWORD
    blocked.blocked = True
    for profile in (primary, tester, blocked):
        profiles[profile.uid] = profile

    uid_pool = rng.sample(range(100_000_000_000, 999_999_999_999), user_count)
    for number in uid_pool:
        uid = str(number)
        if uid not in profiles:
            profiles[uid] = make_profile(uid, rng.random() < 0.5)
    user_order = list(profiles)
    others = user_order[3:]

    # Friendships: the primary user has ~150 friends, everybody else a handful; symmetric.
    friend_sets: dict[str, set[str]] = {uid: set() for uid in user_order}

    def befriend(a: str, b: str) -> None:
        if a != b:
            friend_sets[a].add(b)
            friend_sets[b].add(a)

    for uid in rng.sample(others, 150):
        befriend(PRIMARY_UID, uid)
    befriend(PRIMARY_UID, TESTER_UID)
    for uid in others:
        for other in rng.sample(others, rng.randint(2, 12)):
            befriend(uid, other)
    friends = {uid: sorted(friend_set) for uid, friend_set in friend_sets.items()}

    app_users = {uid for uid in others if rng.random() < 0.3} | {PRIMARY_UID, TESTER_UID}
    app_permissions = {uid: {"VALUABLE_ACCESS"} for uid in app_users}
    app_permissions[PRIMARY_UID] = set(ALL_SCOPES)

    groups: dict[str, Group] = {}
    memberships: dict[str, list[str]] = {uid: [] for uid in user_order}
    for index in range(group_count):
        gid = str(53_000_000_000_000 + index * 7919 + rng.randint(0, 7000))
        topic = rng.choice(_GROUP_TOPICS)
        members = rng.sample(user_order, rng.randint(5, 60))
        group = Group(
            gid=gid,
            name=f"{rng.choice(_GROUP_WORDS)} {topic}",
            description=f"Всё о {topic}: новости, обсуждения, фотографии.",
            shortname=f"group{index}",
            created_ms=EPOCH_MS - rng.randint(100, 4000) * 86_400_000,
            admin_id=members[0],
            members=members,
        )
        groups[gid] = group
    group_order = list(groups)
    for gid in rng.sample(group_order, 25):
        if PRIMARY_UID not in groups[gid].members:
            groups[gid].members.append(PRIMARY_UID)
    for gid in group_order:
        for member in groups[gid].members:
            memberships[member].append(gid)

    albums: dict[str, Album] = {}
    photos: dict[str, Photo] = {}
    photo_order: list[str] = []
    photo_counter = 0

    def add_album(owner: str, title: str, group: bool) -> str:
        aid = str(880_000_000_000 + len(albums) * 13 + 1)
        albums[aid] = Album(aid, owner, title, "", EPOCH_MS - rng.randint(1, 900) * 86_400_000,
                            group)
        return aid

    def add_photos(owner: str, count: int, album_ids: list[str], group: bool) -> None:
        nonlocal photo_counter
        for _ in range(count):
            photo_counter += 1
            pid = str(900_000_000_000 + photo_counter)
            # Without albums a photo is personal (no album_id); with albums it is in one.
            album_id = rng.choice(album_ids) if album_ids else None
            photos[pid] = Photo(
                pid=pid,
                owner=owner,
                album_id=album_id,
                text=rng.choice(_PHRASES) if rng.random() < 0.4 else "",
                # Newer photos have larger counters: display order below is newest first.
                created_ms=EPOCH_MS - (10_000_000 - photo_counter) * 60_000,
                width=rng.choice((640, 800, 1024, 1280)),
                height=rng.choice((480, 600, 768, 960)),
                like_count=rng.randint(0, 40),
                group=group,
            )

    primary_albums = [add_album(PRIMARY_UID, title, False)
                      for title in ("Отпуск", "Дача", "Семья")]
    add_photos(PRIMARY_UID, PRIMARY_PHOTO_COUNT, [], False)
    add_photos(PRIMARY_UID, PRIMARY_ALBUM_PHOTO_COUNT, primary_albums, False)
    for uid in others:
        count = rng.randint(0, 12)
        if count:
            add_photos(uid, count, [], False)
    for gid in group_order[:20]:
        add_photos(gid, rng.randint(3, 30), [add_album(gid, "Фото группы", True)], True)
    photo_order = sorted(photos, key=lambda pid: photos[pid].created_ms, reverse=True)

    world = OkWorld(
        seed=seed,
        app=app,
        profiles=profiles,
        user_order=user_order,
        friends=friends,
        app_users=app_users,
        app_permissions=app_permissions,
        dialog_grants={},
        groups=groups,
        group_order=group_order,
        memberships=memberships,
        albums=albums,
        photos=photos,
        photo_order=photo_order,
        topics={},
        events={},
        seed_sessions=[],
        refresh_tokens={},
        login_sessions={},
        dialogs={},
        user=_credentials(PRIMARY_UID, PRIMARY_LOGIN, PRIMARY_PASSWORD, SEED_TOKEN,
                          SEED_SESSION_SECRET_KEY, PRIMARY_REFRESH_TOKEN, PRIMARY_PHONE,
                          primary.email),
        tester_user=_credentials(TESTER_UID, TESTER_LOGIN, TESTER_PASSWORD, "", "", "",
                                 tester.phone, tester.email),
        blocked_user=_credentials(BLOCKED_UID, BLOCKED_LOGIN, BLOCKED_PASSWORD, "", "", "",
                                  blocked.phone),
        rng=random.Random(f"ok-ids-{seed}"),
    )

    # Seeded topics: the stream has history before anything is posted.
    # Seeded topics (one an hour, oldest first): the stream has history before anything is posted.
    authors = [PRIMARY_UID, *friends[PRIMARY_UID][:40], *others[:20]]
    seeded_topics = 120
    for index in range(seeded_topics):
        post = world.add_topic(rng.choice(authors), None, "USER",
                               [{"type": "text", "text": rng.choice(_PHRASES)}],
                               EPOCH_MS - (seeded_topics - index) * 3_600_000)
        post.like_count = rng.randint(0, 50)
        post.comments_count = rng.randint(0, 10)

    for uid in user_order:
        world.events[uid] = {kind: rng.randint(0, 9) for kind in _EVENT_TYPES}

    # Seeded sessions: the documented tokens of the primary user (no expiry; expire on demand).
    everything = frozenset(ALL_SCOPES)
    world.seed_sessions.append(
        SeedSession(SEED_TOKEN, PRIMARY_UID, SEED_SESSION_SECRET_KEY, everything))
    world.seed_sessions.append(SeedSession(
        SEED_SERVER_TOKEN, PRIMARY_UID, server_secret(SEED_SERVER_TOKEN, app.app_secret_key),
        everything))
    world.refresh_tokens[PRIMARY_REFRESH_TOKEN] = RefreshRecord(
        PRIMARY_REFRESH_TOKEN, PRIMARY_UID, app.app_id, everything)
    # Tester and blocked users get a seeded token pair too, so tests can act as them directly.
    for name in ("tester_user", "blocked_user"):
        creds: OkUser = getattr(world, name)
        token = world.random_token("-s-")
        secret = world.random_hex()
        refresh = world.random_token("-r-", 40)
        world.seed_sessions.append(
            SeedSession(token, creds.uid, secret, frozenset({"VALUABLE_ACCESS"})))
        world.refresh_tokens[refresh] = RefreshRecord(refresh, creds.uid, app.app_id,
                                                      frozenset({"VALUABLE_ACCESS"}))
        setattr(world, name, _credentials(creds.uid, creds.login, creds.password, token, secret,
                                          refresh, creds.phone, creds.email))
    return world
