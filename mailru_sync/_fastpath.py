"""A direct route from a signed API call to the urllib3 pool, taken only when it is invisible.

Why: a ``requests.Session`` spends most of an API call's client CPU on work whose answer does
not change from one call to the next: scanning every environment variable for proxies
(``trust_env``), re-encoding the params, building two cookie jars, ``typing.Protocol`` checks,
and cookie extraction from responses that set none. Measured, that is ~2.8x the CPU of a bare
urllib3 request (``benchmarks/``).

The session stays a ``requests.Session``: this route is taken for API calls only, and only when
requests would put exactly the same bytes on the wire. Anything it does not reproduce sends the
call through ``requests`` as before:

* a session subclass overriding ``request``/``send``/``prepare_request``/... (per class);
* an adapter for the URL that is not exactly :class:`SafeAdapter` (a mounted custom adapter);
* ``session.auth``, ``session.proxies``, response hooks, cookies in the session's jar, header
  values that are not plain ``str`` or that name the body or auth headers;
* with ``trust_env``: a proxy from the environment (or the system) applying to the URL, or a
  ``.netrc`` file (requests reads it on every request, so we do not cache it).

What is cached, and how a change is picked up: with ``trust_env`` the proxy decision for an
origin is cached under the values of the standard variables (``http_proxy``, ``https_proxy``,
``all_proxy``, ``no_proxy`` in both cases, ``REQUEST_METHOD``, ``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``) and the number of environment variables: changing any of them (or adding
a variable) is seen on the next call. Anything else requests consults (a mixed-case
``Https_Proxy`` edited in place, the macOS/Windows system proxy settings) is re-read at least
every :data:`RECHECK_SECONDS`. The conformance test (``tests/transport/test_fastpath.py``)
sends the same calls both ways over a matrix of customisations and compares the wire bytes.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import requests
import urllib3
import urllib3.exceptions
from requests.auth import HTTPBasicAuth
from requests.cookies import extract_cookies_to_jar as _untyped_extract
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import (
    get_auth_from_url,
    get_encoding_from_headers,
    get_environ_proxies,
    select_proxy,
)
from urllib3.connectionpool import HTTPConnectionPool

from ._transport import SafeAdapter

__all__ = ["RECHECK_SECONDS", "FastRoute", "reproduced", "route_for"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: The environment-derived decision for an origin is re-read at least this often.
RECHECK_SECONDS = 1.0

#: Session methods whose requests implementation this route reproduces; overriding any of them
#: in a subclass sends every call through requests.
_REPRODUCED = (
    "request",
    "prepare_request",
    "merge_environment_settings",
    "send",
    "get_adapter",
    "resolve_redirects",
    "rebuild_auth",
)

#: Headers the route would have to merge the way requests does; their presence in
#: ``session.headers`` sends the call through requests.
_OWN_HEADERS = frozenset(
    ("content-length", "content-type", "transfer-encoding", "cookie", "authorization")
)

_ENV_KEYS = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NETRC",
    "HOME",
)

_NETRC_FILES = ("~/.netrc", "~/_netrc")  # requests.utils.NETRC_FILES


# Plain slots classes, not NamedTuples: each NamedTuple costs ~45 us of import time to build.


class _EnvDecision:
    """What the environment means for requests to one URL, and when that was read."""

    __slots__ = ("ca_bundle", "checked", "netrc", "proxied")

    def __init__(self, proxied: bool, ca_bundle: str | None, netrc: bool, checked: float) -> None:
        self.proxied = proxied
        self.ca_bundle = ca_bundle
        self.netrc = netrc
        self.checked = checked


class _Prepared:
    """What one canonical API URL needs to send a call without requests."""

    __slots__ = ("authorization", "path", "separator", "url")

    def __init__(self, url: str, path: str, separator: str, authorization: str | None) -> None:
        self.url = url  # the URL as requests' prepare_url writes it
        self.path = path  # the request target for that URL (no proxy: path and query)
        self.separator = separator  # '?' or '&' before the encoded params
        #: ``Authorization: Basic`` requests derives from userinfo in the URL (a ``base_url``
        #: behind a Basic-auth reverse proxy), or None.
        self.authorization = authorization


#: requests' own helpers, typed loosely by the stubs.
extract_cookies_to_jar = cast(Callable[..., None], _untyped_extract)

_class_ok: dict[type, bool] = {}
_env_cache: dict[tuple[Any, ...], _EnvDecision] = {}
_prepared_cache: dict[str, _Prepared] = {}
_headers_cache: dict[tuple[tuple[Any, Any], ...], dict[str, str] | None] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 256


def reproduced(method: _F) -> _F:
    """Mark a session's override of one of the methods this route reproduces as one it does
    reproduce (the library's own ``request`` and ``resolve_redirects``). An override without
    the mark, in a user's subclass, sends every call of that class through requests."""
    method._direct_route_reproduces = True  # type: ignore[attr-defined]
    return method


def _reproduces(cls: type) -> bool:
    known = _class_ok.get(cls)
    if known is None:
        known = all(
            getattr(cls, name) is getattr(requests.Session, name)
            or getattr(getattr(cls, name), "_direct_route_reproduces", False)
            for name in _REPRODUCED
        )
        _class_ok[cls] = known
    return known


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    with _cache_lock:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = value


def _prepared(url: str) -> _Prepared:
    known = _prepared_cache.get(url)
    if known is None:
        probe = PreparedRequest()
        probe.prepare_url(url, None)
        canonical = str(probe.url)
        target = probe.path_url
        separator = "&" if "?" in canonical else "?"
        known = _Prepared(canonical, target, separator, _url_authorization(probe))
        _remember(_prepared_cache, url, known)
    return known


def _url_authorization(probe: PreparedRequest) -> str | None:
    """The header requests' ``prepare_auth`` adds for userinfo in the URL (when neither
    ``session.auth`` nor netrc applies: both send the call through requests)."""
    credentials = get_auth_from_url(str(probe.url))
    if not any(credentials):
        return None
    probe.prepare_headers({})
    HTTPBasicAuth(*credentials)(probe)
    return str(probe.headers["Authorization"])


def _env_reader() -> Callable[[str], object]:
    """A fast reader of environment variables that still sees every change to ``os.environ``.

    ``os.environ.get`` encodes the key and decodes the value on every lookup (~0.7 µs each, a
    dozen per call); ``os.environ`` keeps its encoded mapping in ``_data``, updated on every
    assignment, so looking there sees the same changes. Falls back to ``os.environ.get`` where
    that private layout is absent.
    """
    environ = os.environ
    data = getattr(environ, "_data", None)
    encodekey = getattr(environ, "encodekey", None)
    if not isinstance(data, dict) or encodekey is None:
        return environ.get
    encoded: dict[str, object] = {}

    def read(name: str) -> object:
        key = encoded.get(name)
        if key is None:
            key = encoded[name] = encodekey(name)
        return data.get(key)

    return read


_read_env = _env_reader()


def _environment(url: str) -> _EnvDecision:
    key = (url, len(os.environ), *map(_read_env, _ENV_KEYS))
    now = time.monotonic()
    known = _env_cache.get(key)
    if known is None or now - known.checked > RECHECK_SECONDS:
        proxies = get_environ_proxies(url, no_proxy=None)
        environ = os.environ
        bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE") or None
        known = _EnvDecision(
            select_proxy(url, proxies) is not None, bundle, _netrc_present(), now
        )
        _remember(_env_cache, key, known)
    return known


def _netrc_present() -> bool:
    """Whether requests would find a netrc file (and so might add an Authorization header)."""
    named = os.environ.get("NETRC")
    locations = (named,) if named is not None else _NETRC_FILES
    return any(os.path.exists(os.path.expanduser(loc)) for loc in locations)


def _headers(session_headers: Mapping[str, Any]) -> dict[str, str] | None:
    """``session.headers`` as requests would send them, or None when the route must not run."""
    try:
        key = tuple(session_headers.items())
        known = _headers_cache.get(key, False)
    except TypeError:  # an unhashable value: let requests judge it
        return None
    if known is not False:
        return known  # type: ignore[return-value]
    merged: dict[str, str] | None = {}
    for name, value in key:
        if value is None:  # merge_setting drops None-valued session headers
            continue
        if (
            not isinstance(name, str)
            or not isinstance(value, str)
            or name.lower() in _OWN_HEADERS
        ):
            merged = None
            break
        try:
            requests.utils.check_header_validity((name, value))
        except requests.exceptions.InvalidHeader:
            merged = None
            break
        assert merged is not None
        merged[name] = value
    _remember(_headers_cache, key, merged)
    return merged


class FastRoute:
    """Everything needed to send one API call to ``url`` the way requests would."""

    __slots__ = ("adapter", "cert", "headers", "prepared", "verify")

    def __init__(
        self,
        adapter: SafeAdapter,
        prepared: _Prepared,
        headers: dict[str, str],
        verify: Any,
        cert: Any,
    ) -> None:
        self.adapter = adapter
        self.prepared = prepared
        self.headers = headers
        self.verify = verify
        self.cert = cert

    def send(
        self,
        session: requests.Session,
        verb: str,
        encoded: str,
        timeout: tuple[float | None, float | None],
    ) -> requests.Response:
        """Send the call (``encoded``: the urlencoded signed params); the answer is streamed."""
        prepared = self.prepared
        headers = dict(self.headers)
        body: bytes | None
        if verb == "GET":
            url = f"{prepared.url}{prepared.separator}{encoded}"
            target = f"{prepared.path}{prepared.separator}{encoded}"
            body = None
        else:
            url, target = prepared.url, prepared.path
            body = encoded.encode("utf-8")
            headers["Content-Length"] = str(len(body))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if prepared.authorization is not None:  # after the body headers, as requests puts it
            headers["Authorization"] = prepared.authorization
        adapter = self.adapter
        request = PreparedRequest()
        request.method, request.url, request.body = verb, url, body
        request.headers = CaseInsensitiveDict(headers)
        pool = _pool(adapter, prepared.url, request, self.verify, self.cert)
        cast(Any, adapter).cert_verify(pool, url, self.verify, self.cert)
        started = time.perf_counter()
        try:
            raw = pool.urlopen(
                method=verb,
                url=target,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=adapter.max_retries,
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                chunked=False,
            )
        except urllib3.exceptions.MaxRetryError as exc:
            reason = exc.reason
            if isinstance(reason, urllib3.exceptions.SSLError):
                raise requests.exceptions.SSLError(exc, request=request) from None
            if isinstance(reason, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
                reason, urllib3.exceptions.NewConnectionError
            ):
                raise requests.exceptions.ConnectTimeout(exc, request=request) from None
            raise requests.exceptions.ConnectionError(exc, request=request) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc, request=request) from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc, request=request) from None
        except (urllib3.exceptions.ProtocolError, OSError) as exc:
            raise requests.exceptions.ConnectionError(exc, request=request) from None
        response = requests.Response()
        response.status_code = raw.status
        response.headers = CaseInsensitiveDict(raw.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = cast(str, raw.reason)
        response.url = url
        response.request = request
        response.connection = adapter
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if "set-cookie" in response.headers:
            extract_cookies_to_jar(response.cookies, request, raw)
            extract_cookies_to_jar(session.cookies, request, raw)
        return response


class _PoolKey:
    """Where the pool for one (adapter, URL, verify, cert) lives in the adapter's pool manager.

    Only the pool's *key* is cached, never the pool: each call asks the manager for it again
    (one locked dict lookup), which keeps a hot pool at the recent end of the manager's LRU and
    lets an evicted pool (and its keep-alive sockets) be collected. Caching the pool itself
    kept every session's pool, and its idle connection, alive after ``close()`` (urllib3 2.8
    closes pools when they are collected, not when a manager drops them).
    """

    __slots__ = ("context", "key", "manager")

    def __init__(self, manager: Any, key: Any, context: dict[str, Any]) -> None:
        self.manager = weakref.ref(manager)
        self.key = key
        self.context = context


_pool_keys: dict[tuple[Any, ...], _PoolKey] = {}


def _pool(
    adapter: SafeAdapter, base: str, request: PreparedRequest, verify: Any, cert: Any
) -> HTTPConnectionPool:
    """``adapter.get_connection_with_tls_context`` for a direct (unproxied) request.

    The same steps (requests' pool key attributes, then the manager's pool for that key), with
    the key computed once per URL and settings; a new pool manager (after a fork) is noticed.
    """
    manager = adapter.poolmanager
    cache_key = (id(adapter), base, verify, cert)
    known = _pool_keys.get(cache_key)
    if known is None or known.manager() is not manager:
        try:
            host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(
                request, verify, cert
            )
            if not host_params.get("host"):
                raise urllib3.exceptions.LocationValueError("No host specified.")
        except (ValueError, urllib3.exceptions.LocationValueError) as exc:
            raise requests.exceptions.InvalidURL(exc, request=request) from None
        context = manager._merge_pool_kwargs(pool_kwargs)
        context.update(host_params)
        if context.get("port") is None:
            context["port"] = 443 if context["scheme"] == "https" else 80
        key = manager.key_fn_by_scheme[context["scheme"].lower()](context)
        known = _PoolKey(manager, key, context)
        _remember(_pool_keys, cache_key, known)
    # A copy: urllib3 pops the host fields from the context when it builds a new pool.
    return cast(
        HTTPConnectionPool,
        manager.connection_from_pool_key(known.key, request_context=dict(known.context)),
    )


def route_for(session: requests.Session, url: str) -> FastRoute | None:
    """The direct route for an API call to ``url``, or None to send it through requests."""
    if (
        session.auth is not None
        or session.proxies
        or session.hooks.get("response")
        or getattr(session.cookies, "_cookies", None) != {}
        or not _reproduces(type(session))
    ):
        return None
    adapter = session.get_adapter(url)
    if type(adapter) is not SafeAdapter:
        return None
    headers = _headers(session.headers)
    if headers is None:
        return None
    prepared = _prepared(url)
    verify = session.verify
    if session.trust_env:
        decision = _environment(prepared.url)
        if decision.proxied or decision.netrc:
            return None
        if decision.ca_bundle:
            # requests' rule: the environment's bundle is a per-request setting, and those win
            # over the session's, so it replaces even ``session.verify = False``.
            verify = decision.ca_bundle
    return FastRoute(adapter, prepared, headers, verify, session.cert)
