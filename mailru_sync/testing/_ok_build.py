"""Building the seeded OK.ru world: the word lists and :func:`build_world`.

Why apart from the world's state: building runs once per ``reset()`` and draws hundreds of users,
groups and photos from ``random.Random(seed)``; the state and its few mutations (``_ok_world``)
read better without it, and nothing but the emulator's reset needs this module.
"""

from __future__ import annotations

import random

from ._ok_world import (
    ALL_SCOPES,
    BLOCKED_LOGIN,
    BLOCKED_PASSWORD,
    BLOCKED_UID,
    EPOCH_MS,
    PRIMARY_ALBUM_PHOTO_COUNT,
    PRIMARY_LOGIN,
    PRIMARY_PASSWORD,
    PRIMARY_PHONE,
    PRIMARY_PHOTO_COUNT,
    PRIMARY_REFRESH_TOKEN,
    PRIMARY_UID,
    SEED_APP_ID,
    SEED_APP_KEY,
    SEED_APP_SECRET_KEY,
    SEED_SERVER_TOKEN,
    SEED_SESSION_SECRET_KEY,
    SEED_TOKEN,
    TESTER_LOGIN,
    TESTER_PASSWORD,
    TESTER_UID,
    Album,
    Group,
    OkApp,
    OkUser,
    OkWorld,
    Photo,
    Profile,
    RefreshRecord,
    SeedSession,
    server_secret,
)

__all__ = ["build_world"]

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
