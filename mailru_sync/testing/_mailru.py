"""``MailruEmulator``: a local Platform@Mail.Ru -- REST API, OAuth token endpoint and dialogs.

Signatures are verified by an independent implementation of the two documented circuits (over the
decoded parameters the server received), so a client that signs wrongly is caught.  The protocol
choices are in the design contract (spec/emulator-spec.md); the world is in ``_mailru_world``, the
methods in ``_mailru_api``, the token endpoint in ``_mailru_token``, the HTML in ``_mailru_pages``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from typing import ClassVar
from urllib.parse import urlencode, urlsplit

from . import _mailru_pages as pages
from . import _mailru_xml as xml_format
from ._mailru_api import (
    ERROR_MESSAGES,
    METHODS,
    ApiError,
    CallContext,
    client_server_sig,
    server_server_sig,
)
from ._mailru_token import CONTENT_TYPE, new_tokens, parse_scope, token_endpoint
from ._mailru_world import (
    BLOCKED_UID,
    LIST_UID,
    PRIMARY_UID,
    PRIVILEGES,
    TESTER_UID,
    MailruApp,
    MailruUser,
    MailruWorld,
    Person,
)
from ._messages import EmulatorRequest, EmulatorResponse
from ._multipart import MultipartError
from ._multipart import expand as expand_multipart
from ._server import BaseEmulator

__all__ = ["MailruEmulator"]

#: Content type of the API and of the token endpoint (protocol-notes §1.4).
API_PATHS = frozenset({"/platform/api", "/platform/api/"})
#: Redirect URIs registered for the app besides the emulator's own pages.
STATIC_REDIRECT_URIS: tuple[str, ...] = (
    "http://connect.mail.ru/oauth/success.html",
    "http://localhost:5000/callback",
    "http://127.0.0.1:5000/callback",
)
#: Request bytes allowed beyond the largest photo (the other multipart fields and headers).
UPLOAD_OVERHEAD = 64 * 1024
#: The browser login session cookie (named like Mail.ru's own).
LOGIN_COOKIE = "Mpop"
#: Bits of the ``needed_permissions`` field of the consent form.
_PERMISSION_BITS = {"photos": 4, "guestbook": 8, "stream": 16, "messages": 64, "events": 512}


def _append_query(url: str, pairs: list[tuple[str, str]]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}"


def registration_key(redirect_uri: str) -> str | None:
    """The part of a redirect URI compared with the registered ones: all but the query.

    A client may add its own query to a registered callback (social-auth-core sends
    ``…/callback?redirect_state=…`` by default) and gets it back untouched; OK documents the
    same rule for itself ("query part after ``?`` ignored", protocol-notes §2.6), and Mail.ru
    evidently accepts it, since that backend works for its users.  A fragment is never allowed
    (RFC 6749 §3.1.2), so such a URI matches nothing.
    """
    parts = urlsplit(redirect_uri)
    if parts.fragment or "#" in redirect_uri:
        return None
    return parts._replace(query="").geturl()


class MailruEmulator(BaseEmulator):
    """The Mail.ru Platform on 127.0.0.1; see the module doc and the design contract."""

    platform: ClassVar[str] = "mailru"
    #: Mail.ru documents no rate-limit code; a throttled call gets "Service Unavailable" (3).
    flood_code: ClassVar[int] = 3
    service_unavailable_code: ClassVar[int] = 3
    api_content_type: ClassVar[str] = CONTENT_TYPE

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 0.0,
        fail_rate: float = 0.0,
        seed: int = 0,
        token_ttl: float = 86400.0,
        code_ttl: float = 600.0,
        fail_scope: str = "api",
        redirect_uris: Iterable[str] = (),
    ) -> None:
        super().__init__(
            host,
            port,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            seed=seed,
            token_ttl=token_ttl,
            code_ttl=code_ttl,
            fail_scope=fail_scope,
            redirect_uris=redirect_uris,
        )
        #: Signs the hidden ``sig`` of the consent form (CSRF protection of the dialog).
        self._form_secret = secrets.token_hex(16)
        self.world = MailruWorld(seed)
        self._seed_tokens()
        self._routes: dict[str, Callable[[EmulatorRequest], EmulatorResponse]] = {
            "/oauth/authorize": self._authorize,
            "/cgi-bin/auth": self._login,
            "/cgi-bin/logout": self._logout,
            "/oauth/token": self._token,
            "/oauth/success.html": self._success,
            "/blank.html": self._success,
            "/recovery": self._recovery,
        }

    def reset(self) -> None:
        with self.world_lock:
            super().reset()
            self.world = MailruWorld(self.seed)
            self._seed_tokens()

    def _seed_tokens(self) -> None:
        """Register the seeded sessions (full privileges of their grants, never expiring)."""
        client_id = str(self.world.app.app_id)
        for cred in self.world.credentials.values():
            scope = self.world.grants[cred.uid]
            if cred.uid == PRIMARY_UID:
                scope = set(PRIVILEGES)
            self.issue_token(cred.uid, client_id, scope, token=cred.access_token, ttl=None)

    # ---- public attributes ------------------------------------------------------------------

    @property
    def app(self) -> MailruApp:
        """The registered application (``app_id``, ``private_key``, ``secret_key``, ...)."""
        return self.world.app

    @property
    def user(self) -> MailruUser:
        """The primary user: the documented uid and session key, all privileges granted."""
        return self.world.credentials[PRIMARY_UID]

    @property
    def tester_user(self) -> MailruUser:
        """May authorize while the app is in test mode; has granted nothing yet."""
        return self.world.credentials[TESTER_UID]

    @property
    def blocked_user(self) -> MailruUser:
        """A blocked user (see :meth:`block_user` to block others)."""
        return self.world.credentials[BLOCKED_UID]

    @property
    def list_user(self) -> MailruUser:
        """A plain user on list.ru who has granted nothing (the access dialog appears)."""
        return self.world.credentials[LIST_UID]

    @property
    def redirect_uri(self) -> str:
        """The emulator's own registered redirect page (the standalone apps' default)."""
        return f"{self.url}/oauth/success.html"

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """Every redirect URI registered for the app (own pages under 127.0.0.1 and localhost,
        the static ones, and those given as ``redirect_uris=`` / ``--redirect-uri``)."""
        own = (self.redirect_uri, f"{self.url}/blank.html")
        by_name = tuple(uri.replace("://127.0.0.1:", "://localhost:", 1) for uri in own)
        return (*own, *by_name, *STATIC_REDIRECT_URIS, *self.extra_redirect_uris)

    def issue_code(
        self, redirect_uri: str | None = None, *, scope: str | Iterable[str] | None = None
    ) -> str:
        """A fresh authorization code of the primary user for ``redirect_uri``."""
        uri = redirect_uri or self.redirect_uri
        if registration_key(uri) not in self.redirect_uris:
            raise ValueError(f"redirect_uri {uri!r} is not registered for the app")
        privileges = PRIVILEGES if scope is None else parse_scope(scope)
        with self.world_lock:
            self.world.grants[PRIMARY_UID].update(privileges)
        return self.new_code(PRIMARY_UID, str(self.app.app_id), uri, privileges).code

    def set_app_test_mode(self, on: bool) -> None:
        """In test mode only testers may authorize (dialog page, token endpoint)."""
        with self.world_lock:
            self.world.test_mode = on

    def block_user(self, uid: str, blocked: bool = True) -> None:
        """Blocked users cannot log in, get tokens, or use their sessions (102)."""
        with self.world_lock:
            person = self.world.people.get(uid)
            if person is None:
                raise KeyError(f"unknown uid {uid!r}")
            person.blocked = blocked
            if blocked:
                sessions = self.world.login_sessions
                for sid in [s for s, u in sessions.items() if u == uid]:
                    del sessions[sid]

    # ---- BaseEmulator hooks -----------------------------------------------------------------

    def is_api_path(self, path: str) -> bool:
        """Whether ``path`` is a REST endpoint (``/platform/api`` and its aliases)."""
        return path in API_PATHS

    def api_error(self, code: int, msg: str | None = None) -> EmulatorResponse:
        """Mail.ru's error envelope ``{"error": {"error_code", "error_msg"}}`` at HTTP 200."""
        text = msg or ERROR_MESSAGES.get(code, ERROR_MESSAGES[1])
        return EmulatorResponse.json(
            {"error": {"error_code": code, "error_msg": text}}, CONTENT_TYPE
        )

    def fault_error(self, request: EmulatorRequest, code: int) -> EmulatorResponse:
        """Injected API errors answer XML to ``format=xml`` like the real errors do."""
        resp = self.api_error(code)
        if xml_format.wants_xml(request.params):
            return xml_format.as_xml(resp, request.params.get("method", ""))
        return resp

    def dispatch(self, request: EmulatorRequest) -> EmulatorResponse:
        """Answer one request: the REST API (JSON or ``format=xml``), OAuth pages and endpoints."""
        if request.path in API_PATHS:
            resp = self._api(request)
            if xml_format.wants_xml(request.params):  # the same answer, as XML
                return xml_format.as_xml(resp, request.params.get("method", ""))
            return resp
        route = self._routes.get(request.path)
        if route is None:
            return EmulatorResponse.html(pages.not_found_page(), status=404)
        return route(request)

    # ---- REST API -------------------------------------------------------------------------------

    def _fail(self, code: int, detail: str = "") -> EmulatorResponse:
        resp = self.api_error(code)
        if detail:
            resp.headers.append(("X-Emulator-Detail", detail.encode("ascii", "replace").decode()))
        return resp

    def body_limit(self, path: str) -> int:
        """The API takes ``photos.upload`` files: room for the largest photo plus its fields."""
        if path in API_PATHS:
            return max(self.max_body, self.world.max_photo_bytes + UPLOAD_OVERHEAD)
        return self.max_body

    def _api(self, request: EmulatorRequest) -> EmulatorResponse:
        try:
            request, files = expand_multipart(request)
        except MultipartError as exc:
            return self._fail(100, f"malformed multipart body: {exc}")
        params = request.params
        world = self.world
        app = world.app
        if params.get("app_id", "") != str(app.app_id):
            return self._fail(103, "app_id missing or unknown")
        method = params.get("method", "")
        if not method:
            return self._fail(100, "method is missing")
        sig = params.get("sig", "")
        if not sig:
            return self._fail(104, "sig is missing")
        signed = {k: v for k, v in params.items() if k != "sig"}
        session_key = params.get("session_key", "")
        token = self.find_token(session_key) if session_key else None
        if params.get("secure") == "1":
            expected = server_server_sig(signed, app.secret_key)
        else:
            if session_key and token is None:
                # The uid that prefixes a client-server signature is the session's: unknown here.
                return self._fail(102, "unknown session_key")
            prefix = token.uid if token is not None else params.get("uid", "")
            expected = client_server_sig(prefix, signed, app.private_key)
        if sig != expected:
            return self._fail(104, "signature mismatch")
        if session_key:
            if token is None or not self.token_alive(token) or token.client_id != str(app.app_id):
                return self._fail(102, "session unknown or expired")
            uid, scope = token.uid, token.scope
        else:
            uid = params.get("uid", "")
            if uid not in world.people:
                return self._fail(102, "no session_key and no known uid")
            scope = frozenset(world.grants[uid])
        if world.people[uid].blocked:
            return self._fail(102, "user is blocked")
        spec = METHODS.get(method)
        if spec is None:
            return self._fail(2, f"unknown method {method}")
        if request.duplicate_keys:
            return self._fail(
                100, f"repeated parameters: {', '.join(sorted(request.duplicate_keys))}"
            )
        missing = [name for name in spec.required if not params.get(name, "").strip()]
        if missing:
            return self._fail(100, f"missing parameters: {', '.join(missing)}")
        ctx = CallContext(world, uid, scope, params, spec.privilege, time.time(), files=files)
        try:
            result = spec.handler(ctx)
        except ApiError as exc:
            return self._fail(exc.code, exc.detail)
        if not ctx.authorized:  # a handler bug: the privilege was never checked
            self._record_error(f"{method}: handler did not call ctx.authorize()")
        if spec.write:
            self.count("writes_applied")
        return EmulatorResponse.json(result, CONTENT_TYPE)

    # ---- OAuth dialogs ----------------------------------------------------------------------

    def _registered(self, redirect_uri: str, request: EmulatorRequest) -> bool:
        """Registered, comparing without the query (see :func:`registration_key`)."""
        origin = self.origin_of(request)
        local = {f"{origin}/oauth/success.html", f"{origin}/blank.html"}
        key = registration_key(redirect_uri)
        return key is not None and (key in self.redirect_uris or key in local)

    def _logged_in(self, request: EmulatorRequest) -> Person | None:
        uid = self.world.login_sessions.get(request.cookies.get(LOGIN_COOKIE, ""))
        person = self.world.people.get(uid) if uid else None
        return None if person is None or person.blocked else person

    def _form_sig(self, uid: str, fields: dict[str, str]) -> str:
        parts = [self._form_secret, uid] + [
            fields.get(k, "")
            for k in ("client_id", "redirect_uri", "response_type", "scope", "state")
        ]
        return hashlib.md5("\n".join(parts).encode("utf-8")).hexdigest()

    def _authorize(self, request: EmulatorRequest) -> EmulatorResponse:
        """GET: login page / access dialog / 302 grant.  POST: the access dialog's form."""
        params = request.params
        origin = self.origin_of(request)
        client_id = params.get("client_id", "")
        if client_id != str(self.app.app_id):
            return EmulatorResponse.html(pages.unknown_app_page())
        redirect_uri = params.get("redirect_uri", "")
        if not self._registered(redirect_uri, request):
            return EmulatorResponse.html(
                pages.error_page("Ошибка", "Неверный redirect_uri: адрес не зарегистрирован.")
            )
        response_type = params.get("response_type", "")
        if response_type not in ("token", "code"):
            return EmulatorResponse.html(
                pages.error_page("Ошибка", "Неверный response_type: ожидается token или code.")
            )
        privileges = parse_scope(params.get("scope", ""))
        fields = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": response_type,
            "scope": params.get("scope", ""),
            "state": params.get("state", ""),
        }
        authorize_url = f"{origin}/oauth/authorize"
        person = self._logged_in(request)
        if person is None:
            if request.method == "POST":
                return EmulatorResponse.redirect(_append_query(authorize_url, list(fields.items())))
            base = [(k, v) for k, v in request.query.items() if k not in ("login", "fail")]
            return EmulatorResponse.html(
                pages.login_page(
                    origin=origin,
                    app_title=self.app.title,
                    privileges=privileges,
                    page=_append_query(authorize_url, [*base, ("login", "1")]),
                    fail_page=_append_query(authorize_url, [*base, ("fail", "1")]),
                    failed=request.query.get("fail") == "1",
                )
            )
        if self.world.test_mode and person.uid not in self.world.testers:
            return EmulatorResponse.html(pages.access_denied_page())
        if request.method == "POST":
            if params.get("sig", "") != self._form_sig(person.uid, fields):
                return EmulatorResponse.html(
                    pages.error_page("Ошибка", "Неверная подпись формы, повторите вход."),
                    status=400,
                )
            return self._grant(person, fields, privileges)
        if set(privileges) <= self.world.grants[person.uid]:
            return self._grant(person, fields, privileges)
        form = {
            "sig": self._form_sig(person.uid, fields),
            **{k: fields[k] for k in ("client_id", "redirect_uri", "response_type", "state")},
            "login": "1",
            "needed_permissions": str(sum(_PERMISSION_BITS[p] for p in privileges)),
            "scope": fields["scope"],
        }
        deny = [("error", "access_denied")] + (
            [("state", fields["state"])] if fields["state"] else []
        )
        return EmulatorResponse.html(
            pages.access_page(
                origin=origin,
                app_title=self.app.title,
                user_name=person.nick,
                privileges=privileges,
                fields=form,
                deny_url=_append_query(redirect_uri, deny),
            )
        )

    def _grant(
        self, person: Person, fields: dict[str, str], privileges: Iterable[str]
    ) -> EmulatorResponse:
        """Record the consent and redirect with a token (fragment) or a code (query)."""
        world = self.world
        world.grants[person.uid].update(privileges)
        person.app_installed = True
        state = [("state", fields["state"])] if fields["state"] else []
        redirect_uri, client_id = fields["redirect_uri"], fields["client_id"]
        scope = frozenset(world.grants[person.uid])
        if fields["response_type"] == "code":
            code = self.new_code(person.uid, client_id, redirect_uri, scope)
            return EmulatorResponse.redirect(
                _append_query(redirect_uri, [("code", code.code), *state])
            )
        body = new_tokens(self, person.uid, client_id, scope)
        fragment = urlencode([(k, str(v)) for k, v in body.items()] + state)
        return EmulatorResponse.redirect(f"{redirect_uri}#{fragment}")

    def _same_origin(self, url: str, request: EmulatorRequest) -> bool:
        if url.startswith("/") and not url.startswith("//"):
            return True
        parts = urlsplit(url)
        hosts = {urlsplit(self.url).netloc, urlsplit(self.origin_of(request)).netloc}
        return parts.scheme == "http" and parts.netloc in hosts

    def _login(self, request: EmulatorRequest) -> EmulatorResponse:
        """POST /cgi-bin/auth: the login form (Login, Domain, Password, Page, FailPage)."""
        if request.method != "POST":
            return EmulatorResponse.html(pages.error_page("Ошибка", "Ожидается POST."), status=405)
        form = request.params
        page, fail_page = form.get("Page", ""), form.get("FailPage", "")
        if not (self._same_origin(page, request) and self._same_origin(fail_page, request)):
            return EmulatorResponse.html(
                pages.error_page("Ошибка", "Page и FailPage должны вести на этот сайт."), status=400
            )
        login = form.get("Login", "").strip()
        domain = form.get("Domain", "").strip().lstrip("@") or "mail.ru"
        email = login if "@" in login else f"{login}@{domain}"
        person = self.world.find_user(email)
        if person is None or not login or person.password != form.get("Password", ""):
            return EmulatorResponse.redirect(fail_page)
        if person.blocked:
            origin = self.origin_of(request)
            return EmulatorResponse.redirect(
                _append_query(f"{origin}/recovery", [("email", email)])
            )
        sid = secrets.token_hex(16)
        self.world.login_sessions[sid] = person.uid
        cookie = f"{LOGIN_COOKIE}={sid}; Path=/; HttpOnly"
        return EmulatorResponse.redirect(page, headers=[("Set-Cookie", cookie)])

    def _logout(self, request: EmulatorRequest) -> EmulatorResponse:
        self.world.login_sessions.pop(request.cookies.get(LOGIN_COOKIE, ""), None)
        resp = EmulatorResponse.html(pages.error_page("Выход", "Вы вышли из аккаунта."))
        resp.headers.append(("Set-Cookie", f"{LOGIN_COOKIE}=; Path=/; Max-Age=0"))
        return resp

    def _success(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.html(pages.success_page())

    def _recovery(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.html(pages.recovery_page(request.params.get("email", "")))

    def _token(self, request: EmulatorRequest) -> EmulatorResponse:
        """POST /oauth/token (see ``_mailru_token``)."""
        return token_endpoint(self, request)
