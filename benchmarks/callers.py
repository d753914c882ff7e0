"""One API call per client kind, as a zero-argument function (or a coroutine for aiomailru).

Why the floors sign and decode too: every correct client must compute the MD5 signature,
encode the query and decode the JSON answer. The floors do exactly that with nothing else
around it, so "ratio to the floor" measures what a library adds on top of the unavoidable work,
not the cost of signing. Each caller returns the decoded result so the runner can check it.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import benchconfig as cfg

Call = Callable[[], Any]

#: Sequential client kinds, in table order; the first is the floor every ratio refers to.
SEQUENTIAL = (
    "urllib3",
    "http.client",
    "requests",
    "mailru_sync.mailru",
    "mailru_sync.ok",
    "aiomailru.run",
    "aiomailru.loop",
)
FLOOR = "urllib3"


def signed_query(method: str = cfg.MAILRU_METHOD, extra: dict[str, str] | None = None) -> str:
    """Mail.ru client-server signing: ``md5(uid + sorted "k=v" + private_key)`` (protocol notes
    §1.3, verified against the official worked example), then the URL query."""
    params = {
        "app_id": cfg.MAILRU_APP_ID,
        "method": method,
        "session_key": cfg.MAILRU_ACCESS_TOKEN,
        **(cfg.MAILRU_PARAMS if extra is None else extra),
    }
    text = cfg.MAILRU_UID + "".join(f"{k}={params[k]}" for k in sorted(params))
    params["sig"] = hashlib.md5((text + cfg.MAILRU_PRIVATE_KEY).encode("utf-8")).hexdigest()
    return urlencode(params)


def urllib3_caller(base_url: str) -> Call:
    import urllib3

    pool = urllib3.PoolManager()
    endpoint = base_url + cfg.MAILRU_PATH

    def call() -> Any:
        response = pool.request("GET", endpoint + "?" + signed_query())
        return json.loads(response.data)

    return call


def http_client_caller(base_url: str) -> Call:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)

    def call() -> Any:
        conn.request("GET", cfg.MAILRU_PATH + "?" + signed_query())
        return json.loads(conn.getresponse().read())

    return call


def requests_caller(base_url: str) -> Call:
    import requests

    session = requests.Session()
    endpoint = base_url + cfg.MAILRU_PATH

    def call() -> Any:
        return session.get(endpoint + "?" + signed_query()).json()

    return call


def mailru_sync_session(base_url: str) -> Any:
    """The Mail.ru token session the benchmark measures (client-server circuit)."""
    import mailru_sync

    return mailru_sync.TokenSession(
        cfg.MAILRU_APP_ID,
        cfg.MAILRU_PRIVATE_KEY,
        "",
        cfg.MAILRU_ACCESS_TOKEN,
        cfg.MAILRU_UID,
        base_url=base_url,
    )


def mailru_sync_ok_session(base_url: str) -> Any:
    """The OK token session the benchmark measures (server circuit: app secret + token)."""
    from mailru_sync import ok

    return ok.TokenSession(
        cfg.OK_APP_ID,
        cfg.OK_APP_KEY,
        cfg.OK_APP_SECRET_KEY,
        cfg.OK_ACCESS_TOKEN,
        "",
        base_url=base_url,
    )


def mailru_sync_mailru_caller(base_url: str) -> Call:
    import mailru_sync

    method = mailru_sync.API(mailru_sync_session(base_url)).users.getInfo
    return lambda: method(**cfg.MAILRU_PARAMS)


def mailru_sync_ok_caller(base_url: str) -> Call:
    from mailru_sync import ok

    api = ok.API(mailru_sync_ok_session(base_url))
    return lambda: api(cfg.OK_METHOD)


def aiomailru_session_class(base_url: str) -> Any:
    """aiomailru's ``TokenSession`` pointed at ``base_url``.

    aiomailru 0.1.x builds every API URL from the class attribute ``API_URL``
    (``PublicSession.PUBLIC_URL + '/api'``, read in ``TokenSession.request``), so a subclass
    overriding it is the supported way to move it; nothing else needs patching.
    """
    from aiomailru.sessions import TokenSession  # type: ignore[import-untyped]

    return type("BenchTokenSession", (TokenSession,), {"API_URL": base_url + cfg.MAILRU_PATH})


def aiomailru_run_caller(base_url: str) -> Call:
    """aiomailru from synchronous code: ``asyncio.run`` per call, so a loop, an aiohttp
    session and a connection per call (what a blocking program wrapping it pays)."""
    from aiomailru.api import API  # type: ignore[import-untyped]

    session_class = aiomailru_session_class(base_url)

    async def once() -> Any:
        session = session_class(
            cfg.MAILRU_APP_ID, cfg.MAILRU_PRIVATE_KEY, "", cfg.MAILRU_ACCESS_TOKEN, cfg.MAILRU_UID
        )
        async with session:
            return await API(session).users.getInfo(**cfg.MAILRU_PARAMS)

    return lambda: asyncio.run(once())


def aiomailru_loop_caller(base_url: str) -> Callable[[], Awaitable[Any]]:
    """aiomailru as meant: one loop, one session. Must be built inside the running loop
    (aiohttp sessions bind to it); the returned coroutine function is one call."""
    from aiomailru.api import API

    session = aiomailru_session_class(base_url)(
        cfg.MAILRU_APP_ID, cfg.MAILRU_PRIVATE_KEY, "", cfg.MAILRU_ACCESS_TOKEN, cfg.MAILRU_UID
    )
    method = API(session).users.getInfo

    async def call() -> Any:
        return await method(**cfg.MAILRU_PARAMS)

    call.session = session  # type: ignore[attr-defined]  # closed by the harness
    return call


SYNC_CALLERS: dict[str, Callable[[str], Call]] = {
    "urllib3": urllib3_caller,
    "http.client": http_client_caller,
    "requests": requests_caller,
    "mailru_sync.mailru": mailru_sync_mailru_caller,
    "mailru_sync.ok": mailru_sync_ok_caller,
    "aiomailru.run": aiomailru_run_caller,
}


def check_result(kind: str, result: Any) -> None:
    """Refuse to time a client whose answer is wrong (a fast failure is not a fast call)."""
    if kind == "mailru_sync.ok":
        ok = isinstance(result, dict) and result.get("uid") == "1"
    else:
        ok = isinstance(result, list) and bool(result) and result[0].get("uid") == "1"
    if not ok:
        raise RuntimeError(f"{kind}: unexpected answer {str(result)[:200]!r}")
