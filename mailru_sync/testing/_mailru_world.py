"""The seeded Mail.ru world: the app, people, friendships, the stream, guestbooks, photos,
messages, groups, grants and login sessions.

Plain data plus the mutations the API needs.  Access tokens and authorization codes live in the
``BaseEmulator`` store (it owns the clock and ``expire_token``); the world keeps refresh tokens,
the privileges each user granted the app and the browser login sessions.

The documented example credentials (seed 001) are planted verbatim, everything else is drawn from
``random.Random(seed)``, so two emulators with the same seed serve the same world.  No HTTP and no
signature logic lives here; the objects and their JSON shapes are in ``_mailru_objects``, the
word lists the world is drawn from in ``_mailru_names``.
"""

from __future__ import annotations

import random

from ._mailru_names import (
    ALBUM_TITLES,
    APP_EVENT_TYPE,
    CITIES,
    FEMALE_FIRST,
    GROUP_CATEGORIES,
    GROUP_TOPICS,
    GROUP_WORDS,
    LAST,
    LINK_SHARE_TYPE,
    MALE_FIRST,
    PHRASES,
    TYPE_NAMES,
)
from ._mailru_objects import (
    Album,
    Comment,
    Event,
    Group,
    GuestbookEntry,
    MailruApp,
    MailruUser,
    Message,
    Person,
    Photo,
    RefreshGrant,
)

__all__ = [
    "APP_EVENT_TYPE",
    "BLOCKED_UID",
    "DOMAINS",
    "LINK_SHARE_TYPE",
    "LIST_UID",
    "MAX_PHOTO_BYTES",
    "PRIMARY_UID",
    "PRIVILEGES",
    "TESTER_UID",
    "Album",
    "Comment",
    "Event",
    "Group",
    "GuestbookEntry",
    "MailruApp",
    "MailruUser",
    "MailruWorld",
    "Message",
    "Person",
    "Photo",
    "RefreshGrant",
]

#: Every Mail.ru privilege (scope), protocol-notes §1.7.
PRIVILEGES: tuple[str, ...] = ("photos", "guestbook", "stream", "messages", "events")
#: Default largest uploaded photo, in bytes (see ``MailruWorld.max_photo_bytes``).
MAX_PHOTO_BYTES = 32 * 1024 * 1024
#: Mail.ru mailbox domains offered by the login form.
DOMAINS: tuple[str, ...] = ("mail.ru", "inbox.ru", "bk.ru", "list.ru")

# The documented example (seed 001 / protocol-notes §1.3), planted verbatim.
APP_ID = 423004
PRIVATE_KEY = "7815696ecbf1c96e6894b779456d330e"
SECRET_KEY = "3dad9cbf9baaa0360c0f2ba372d25716"
PRIMARY_UID = "1324730981306483817"
PRIMARY_TOKEN = "be6ef89965d58e56dec21acb9b62bdaa"
PRIMARY_REFRESH_TOKEN = "8f1c0d5e2a7b4c93a6d1e0f27b3c5d48"
PRIMARY_EMAIL = "ivan.petrov@mail.ru"
PRIMARY_PASSWORD = "Ivan-Petrov-1982"

#: Seeded timestamps end here (2024-03-01T12:00:00Z) so the world does not depend on the clock.
EPOCH = 1_709_294_400

#: Extra named users: (uid, first, last, email, password, token, refresh token, sex).
_NAMED = (
    (
        "15410773191172635989",
        "Ольга",
        "Смирнова",
        "olga.smirnova@inbox.ru",
        "Olga-Tester-77",
        "0c5b1d7e9a3f4e2b8d6c1a0f9e8d7c6b",
        "5e4d3c2b1a0f9e8d7c6b5a4938271605",
        1,
    ),
    (
        "11425330190814458227",
        "Пётр",
        "Сидоров",
        "petr.sidorov@bk.ru",
        "Petr-Blocked-13",
        "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
        "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
        0,
    ),
    (
        "9875123450981234561",
        "Анна",
        "Кузнецова",
        "anna.kuznetsova@list.ru",
        "Anna-List-2024",
        "3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c",
        "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
        1,
    ),
)
TESTER_UID, BLOCKED_UID, LIST_UID = (row[0] for row in _NAMED)



class MailruWorld:
    """All mutable Mail.ru state; rebuilt from the seed by the emulator's ``reset()``."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self.app = MailruApp(APP_ID, PRIVATE_KEY, SECRET_KEY, "Тестовое приложение")
        #: The app is in development: only testers may authorize (``set_app_test_mode``).
        self.test_mode = False
        self.testers: set[str] = {TESTER_UID}
        self.people: dict[str, Person] = {}
        self.by_email: dict[str, str] = {}
        self.credentials: dict[str, MailruUser] = {}
        #: Privileges each user granted the app.
        self.grants: dict[str, set[str]] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        #: Browser login sessions (cookie value -> uid).
        self.login_sessions: dict[str, str] = {}
        self.events: dict[str, Event] = {}
        self.guestbook: dict[str, list[GuestbookEntry]] = {}
        self.albums: dict[str, dict[str, Album]] = {}
        #: Message threads keyed by the sorted pair of uids.
        self.threads: dict[tuple[str, str], list[Message]] = {}
        self.groups: dict[str, Group] = {}
        self.memberships: dict[str, list[str]] = {}
        self.new_events: dict[str, int] = {}
        #: Largest photo ``photos.upload`` stores (an emulator choice; the real limit is unknown).
        self.max_photo_bytes = MAX_PHOTO_BYTES
        self._seq = 0
        self._pid = 0
        self._build()

    # ---- ids ----------------------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_id(self) -> str:
        """A 16-hex object id, unique and increasing in creation order (like Mail.ru ids)."""
        seq = self.next_seq()
        return f"{seq:06x}{self._rng.getrandbits(40):010x}"

    def next_pid(self) -> int:
        self._pid += 1
        return self._pid

    # ---- building -----------------------------------------------------------------------------

    def _uid(self) -> str:
        while True:
            uid = str(self._rng.randrange(10**18, 18_446_744_073_709_551_615))
            if uid not in self.people:
                return uid

    def _person(
        self, uid: str, first: str, last: str, email: str, password: str, sex: int
    ) -> Person:
        rng = self._rng
        year = rng.randrange(1955, 2005)
        person = Person(
            uid=uid,
            first_name=first,
            last_name=last,
            email=email,
            password=password,
            sex=sex,
            birthday=f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.{year}",
            city=rng.randrange(len(CITIES)),
            is_online=rng.random() < 0.3,
            app_installed=rng.random() < 0.35,
            vip=rng.random() < 0.05,
            is_verified=rng.random() < 0.6,
            last_visit=EPOCH - rng.randrange(0, 30 * 86400),
        )
        self.people[uid] = person
        self.by_email[email] = uid
        self.guestbook[uid] = []
        self.albums[uid] = {}
        self.memberships[uid] = []
        self.grants[uid] = set()
        self.new_events[uid] = 0
        return person

    def _random_person(self) -> Person:
        rng = self._rng
        sex = rng.randrange(2)
        first, first_lat = rng.choice(FEMALE_FIRST if sex else MALE_FIRST)
        last, last_lat = rng.choice(LAST)
        if sex:
            last, last_lat = last + "а", last_lat + "a"
        domain = rng.choice(DOMAINS)
        style = rng.randrange(4)
        if style == 0:
            local = f"{first_lat}.{last_lat}"
        elif style == 1:
            local = f"{first_lat}_{last_lat}{rng.randrange(60, 100)}"
        elif style == 2:
            local = f"{first_lat[0]}.{last_lat}{rng.randrange(1, 999)}"
        else:
            local = f"{last_lat}.{first_lat}{rng.randrange(1970, 2006)}"
        email = f"{local}@{domain}"
        while email in self.by_email:
            email = f"{local}{rng.randrange(1, 9999)}@{domain}"
        password = "".join(rng.choice("abcdefghkmnpqrstuvwxyz23456789") for _ in range(12))
        return self._person(self._uid(), first, last, email, password, sex)

    def _befriend(self, a: str, b: str) -> None:
        if a != b:
            self.people[a].friends.add(b)
            self.people[b].friends.add(a)

    def _build(self) -> None:
        rng = self._rng
        primary = self._person(PRIMARY_UID, "Иван", "Петров", PRIMARY_EMAIL, PRIMARY_PASSWORD, 0)
        primary.app_installed = True
        primary.is_online = True
        self.credentials[PRIMARY_UID] = MailruUser(
            PRIMARY_UID, PRIMARY_EMAIL, PRIMARY_PASSWORD, PRIMARY_TOKEN, PRIMARY_REFRESH_TOKEN
        )
        self.grants[PRIMARY_UID] = set(PRIVILEGES)
        for uid, first, last, email, password, token, refresh, sex in _NAMED:
            self._person(uid, first, last, email, password, sex)
            self.credentials[uid] = MailruUser(uid, email, password, token, refresh)
        self.people[BLOCKED_UID].blocked = True
        self.grants[TESTER_UID] = set()
        for _ in range(420):
            self._random_person()
        everyone = list(self.people)
        others = [uid for uid in everyone if uid != PRIMARY_UID]
        # The primary user has many friends (list sizes matter for paging and ext=1).
        for uid in rng.sample(others, 157):
            self._befriend(PRIMARY_UID, uid)
        self._befriend(PRIMARY_UID, TESTER_UID)
        self._befriend(PRIMARY_UID, LIST_UID)
        for uid in others:
            for other in rng.sample(everyone, rng.randrange(3, 25)):
                self._befriend(uid, other)
        for cred in self.credentials.values():
            self.refresh_tokens[cred.refresh_token] = RefreshGrant(
                cred.uid, str(APP_ID), frozenset(self.grants[cred.uid])
            )
        self._build_stream()
        self._build_guestbooks()
        self._build_photos()
        self._build_messages()
        self._build_groups()
        self.new_events[PRIMARY_UID] = rng.randrange(1, 10)

    def _build_stream(self) -> None:
        rng = self._rng
        primary_friends = sorted(self.people[PRIMARY_UID].friends)
        authors = [PRIMARY_UID] * 70 + [rng.choice(primary_friends) for _ in range(430)]
        authors += [rng.choice(list(self.people)) for _ in range(200)]
        times = sorted(EPOCH - rng.randrange(0, 180 * 86400) for _ in authors)
        rng.shuffle(authors)
        for author, when in zip(authors, times, strict=True):
            type_code, type_name = rng.choice(TYPE_NAMES)
            event = self.add_event(
                author, when, rng.choice(PHRASES), type_code=type_code, type_name=type_name
            )
            if type_code == "1-1":  # a photo event carries its image (no extra draws)
                event.attachments.append(self._seeded_image(event))
            for liker in rng.sample(primary_friends, rng.randrange(0, 6)):
                event.likes.add(liker)
            for _ in range(rng.randrange(0, 3)):
                commenter = rng.choice(primary_friends)
                when_c = when + rng.randrange(60, 86400)
                event.comments.append(
                    Comment(self.new_id(), commenter, rng.choice(PHRASES), when_c)
                )

    def _seeded_image(self, event: Event) -> dict[str, object]:
        """An ``image`` attachment ("All fields but object and src may not be returned",
        [aiomailru@f737433] rest_api.rst "image")."""
        person = self.people[event.author]
        local, _, domain = person.email.partition("@")
        return {
            "object": "image",
            "src": f"http://content.foto.my.mail.ru/{domain.split('.')[0]}/{local}/"
            f"_myphoto/i-e{event.seq}.jpg",
            "id": event.id,
            "owner_id": person.uid,
            "album_id": "_myphoto",
            "click_url": f"{person.link}photo/_myphoto/{event.seq}.html",
        }

    def _build_guestbooks(self) -> None:
        rng = self._rng
        friends = sorted(self.people[PRIMARY_UID].friends)
        for owner, count in ((PRIMARY_UID, 43), (TESTER_UID, 5)):
            for _ in range(count):
                self.guestbook[owner].append(
                    GuestbookEntry(
                        id=self.new_id(),
                        owner=owner,
                        author=rng.choice(friends),
                        time=EPOCH - rng.randrange(0, 365 * 86400),
                        title="Привет!",
                        description=rng.choice(PHRASES),
                    )
                )
            self.guestbook[owner].sort(key=lambda e: e.time)

    def _build_photos(self) -> None:
        rng = self._rng
        owners = [PRIMARY_UID, TESTER_UID, *rng.sample(sorted(self.people), 20)]
        for owner in owners:
            titles = ["Мои фотографии", *rng.sample(ALBUM_TITLES, rng.randrange(1, 5))]
            for index, title in enumerate(titles):
                aid = "_myphoto" if index == 0 else str(index)
                created = EPOCH - rng.randrange(30 * 86400, 900 * 86400)
                album = Album(aid, owner, title, "", created, created, rng.choice((2, 4)))
                count = rng.randrange(25, 60) if owner == PRIMARY_UID else rng.randrange(0, 12)
                for n in range(count):
                    album.photos.append(
                        self.new_photo(album, f"{title} {n + 1}", created + n * 3600)
                    )
                if album.photos:
                    album.updated = album.photos[-1].created
                self.albums[owner][aid] = album

    def new_photo(self, album: Album, title: str, created: int) -> Photo:
        rng = self._rng
        pid = self.next_pid()
        local, _, domain = self.people[album.owner].email.partition("@")
        src = (
            f"http://content.foto.my.mail.ru/{domain.split('.')[0]}/{local}/{album.aid}/i-{pid}.jpg"
        )
        return Photo(
            pid=pid,
            aid=album.aid,
            owner=album.owner,
            created=created,
            width=rng.choice((640, 800, 1024, 1280)),
            height=rng.choice((480, 600, 768, 960)),
            size=rng.randrange(20_000, 900_000),
            title=title,
            src=src,
        )

    def _build_messages(self) -> None:
        rng = self._rng
        partners = rng.sample(sorted(self.people[PRIMARY_UID].friends), 34)
        for partner in partners:
            thread = self.thread(PRIMARY_UID, partner)
            when = EPOCH - rng.randrange(0, 90 * 86400)
            for _ in range(rng.randrange(1, 15)):
                author = rng.choice((PRIMARY_UID, partner))
                when += rng.randrange(60, 7200)
                read = author == PRIMARY_UID or rng.random() < 0.8
                thread.append(Message(self.new_id(), author, rng.choice(PHRASES), when, read))

    def _build_groups(self) -> None:
        rng = self._rng
        for _ in range(120):
            uid = self._uid_group()
            name = f"{rng.choice(GROUP_WORDS)} {rng.choice(GROUP_TOPICS)}"
            self.groups[uid] = Group(
                uid,
                name,
                rng.choice(GROUP_CATEGORIES),
                f"{name}: обсуждения, новости и встречи",
                rng.randrange(10, 250_000),
            )
        group_ids = list(self.groups)
        self.memberships[PRIMARY_UID] = rng.sample(group_ids, 64)
        for uid in (TESTER_UID, LIST_UID):
            self.memberships[uid] = rng.sample(group_ids, 7)

    def _uid_group(self) -> str:
        while True:
            uid = str(self._rng.randrange(10**17, 10**18))
            if uid not in self.groups and uid not in self.people:
                return uid

    # ---- queries and mutations -----------------------------------------------------------------

    def add_event(
        self,
        author: str,
        when: int,
        text: str,
        *,
        type_code: str = "3-1",
        type_name: str = "Запись в блоге",
        title: str = "",
        user_text: str = "",
        shared_from: str = "",
        app_id: int = 0,
        attachments: list[dict[str, object]] | None = None,
        action_links: list[dict[str, str]] | None = None,
    ) -> Event:
        """Append a stream event (seeded or written through stream.post / stream.share)."""
        event_id = self.new_id()
        event = Event(
            id=event_id,
            seq=self._seq,
            author=author,
            time=when,
            type=type_code,
            type_name=type_name,
            text=text,
            title=title,
            user_text=user_text,
            shared_from=shared_from,
            app_id=app_id,
            attachments=list(attachments or []),
            action_links=list(action_links or []),
        )
        self.events[event_id] = event
        return event

    def generator(self, app_id: int) -> dict[str, object]:
        """The ``generator`` of an event (stream.get doc example: ``app_id``, a 16x16 ``icon``
        at ``http://appsmail.ru/icons/<app_id>.gif``, the canvas ``url``, ``title``, ``type``
        "application").  For the site's own events (app_id 0) the values are the emulator's
        choice: no public example shows one (uncertain)."""
        if app_id == self.app.app_id:
            return {
                "app_id": app_id,
                "icon": f"http://appsmail.ru/icons/{app_id}.gif",
                "url": f"http://my.mail.ru/cgi-bin/my/app-canvas?appid={app_id}",
                "title": self.app.title,
                "type": "application",
            }
        return {
            "app_id": 0,
            "icon": "http://my.mail.ru/favicon.ico",
            "url": "http://my.mail.ru/",
            "title": "Мой Мир",
            "type": "web",
        }

    def thread(self, a: str, b: str) -> list[Message]:
        key = (a, b) if a <= b else (b, a)
        return self.threads.setdefault(key, [])

    def threads_of(self, uid: str) -> list[tuple[str, list[Message]]]:
        """(partner, messages) of every non-empty thread of ``uid``, most recent first."""
        found = [
            (b if a == uid else a, msgs)
            for (a, b), msgs in self.threads.items()
            if uid in (a, b) and msgs
        ]
        found.sort(key=lambda item: (item[1][-1].time, item[1][-1].id), reverse=True)
        return found

    def feed(self, uid: str) -> list[Event]:
        """The "Что нового" stream of ``uid``: own and friends' events, newest first."""
        sources = self.people[uid].friends | {uid}
        events = [e for e in self.events.values() if e.author in sources]
        events.sort(key=lambda e: (e.time, e.seq), reverse=True)
        return events

    def by_author(self, uid: str) -> list[Event]:
        events = [e for e in self.events.values() if e.author == uid]
        events.sort(key=lambda e: (e.time, e.seq), reverse=True)
        return events

    def newest_time(self, wall_clock: float) -> int:
        """A timestamp for a new object: now, but never before the newest seeded event."""
        newest = max((e.time for e in self.events.values()), default=EPOCH)
        return max(int(wall_clock), newest + 1)

    def find_user(self, email: str) -> Person | None:
        uid = self.by_email.get(email.strip().lower())
        return self.people.get(uid) if uid else None
