"""``OkEmulator``: a local OK.ru (Odnoklassniki) REST API and OAuth server.

Endpoints: ``/fb.do`` and ``/api/<group>/<method>`` (API, see ``_ok_api.py``), ``/oauth/authorize``
and the ``/dk?st.cmd=...`` login / permissions dialogs (implicit and code flows),
``/oauth/token.do`` (code and refresh grants, ``_ok_token.py``) and ``/blank.html``.  The world is
seeded (``_ok_world.py``, built by ``_ok_build.py``); tokens and codes live in the shared store of
:class:`BaseEmulator`, whose clock (:meth:`~BaseEmulator.advance_time`) and ``expire_token`` drive
expiry without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from . import _ok_api as api
from . import _ok_upload as uploads
from ._messages import EmulatorRequest, EmulatorResponse
from ._ok_build import build_world
from ._ok_pages import blank_page, blocked_page, error_page, login_page, permissions_page
from ._ok_token import oauth_json, token_endpoint
from ._ok_world import (
    ALL_SCOPES,
    DialogRecord,
    OkApp,
    OkUser,
    OkWorld,
    server_secret,
)
from ._server import BaseEmulator
from ._tokens import IssuedToken

__all__ = ["OkEmulator"]

api.METHODS.update(uploads.METHODS)  # photosV2.getUploadUrl / commit live with the upload server

#: Login-session cookie of the dialogs (the real site's name).
LOGIN_COOKIE = "AUTHCODE"
_AUTHORIZE_PATH = "/oauth/authorize"
_AUTHORIZE_KEYS = ("client_id", "scope", "response_type", "redirect_uri", "layout", "state")


@dataclass(frozen=True)
class _AuthRequest:
    """A validated ``/oauth/authorize`` request (carried through the dialogs in ``st.redirect``)."""

    client_id: str
    scopes: tuple[str, ...]
    response_type: str
    redirect_uri: str
    state: str
    #: ``/oauth/authorize?...`` with the original parameters: the ``st.redirect`` value.
    st_redirect: str


class _Refusal(Exception):
    """An authorize request that cannot proceed; carries the ready response."""

    def __init__(self, response: EmulatorResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _with_fragment(uri: str, pairs: list[tuple[str, str]]) -> str:
    return f"{uri}#{urlencode(pairs)}"


def _with_query(uri: str, pairs: list[tuple[str, str]]) -> str:
    base, _, fragment = uri.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{urlencode(pairs)}"
    return f"{joined}#{fragment}" if fragment else joined


def _dk(cmd: str, st_redirect: str | None = None, *, action: bool = False) -> str:
    """A ``/dk`` dialog URL; form actions also carry ``cmd``, in the real pages' order."""
    if not action:
        url = f"/dk?st.cmd={cmd}"
    elif cmd == "OAuth2Login":
        url = f"/dk?cmd={cmd}&st.cmd={cmd}"
    else:
        url = f"/dk?st.cmd={cmd}&cmd={cmd}"
    if st_redirect is not None:
        url += "&st.redirect=" + quote(st_redirect, safe="")
    return url


def parse_scopes(text: str) -> tuple[str, ...]:
    """``;``-separated scope list; legacy spellings with spaces ("VALUABLE ACCESS") accepted."""
    seen: list[str] = []
    for part in text.replace(",", ";").split(";"):
        name = "_".join(part.split()).upper()
        if name and name not in seen:
            seen.append(name)
    return tuple(seen)


class OkEmulator(BaseEmulator):
    """Emulated OK.ru: API with independent signature checks, OAuth dialogs, a seeded world.

    Beyond :class:`BaseEmulator`: ``world``, ``app``, ``user``, ``tester_user``, ``blocked_user``,
    ``redirect_uri``, :meth:`issue_code`, :meth:`set_app_test_mode`, :meth:`block_user`,
    :meth:`issue_ok_token`.
    """

    platform: ClassVar[str] = "ok"
    flood_code: ClassVar[int] = 8
    service_unavailable_code: ClassVar[int] = 2
    api_content_type: ClassVar[str] = api.JSON_CONTENT_TYPE

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
        strict_session_secrets: bool = True,
    ) -> None:
        super().__init__(host, port, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                         token_ttl=token_ttl, code_ttl=code_ttl, fail_scope=fail_scope,
                         redirect_uris=redirect_uris)
        #: When true, a session opened by ``auth.login`` (whose ``session_secret_key`` is random,
        #: not md5(session_key + app_secret_key)) accepts only signatures made with its own
        #: session secret; the server-server secret is refused with 104 there. OAuth tokens
        #: accept both either way: OK derives their session secret as that md5, so the two
        #: circuits sign alike. On by default, as the platform documents it (the derived
        #: secret is only for a session without its own); ``False`` accepts both (see
        #: docs/emulator_divergences.rst).
        self.strict_session_secrets = strict_session_secrets
        self.world: OkWorld = build_world(seed)
        self._register_seed_sessions()

    # ---- world and knobs -------------------------------------------------------------------

    def reset(self) -> None:
        with self.world_lock:
            super().reset()
            self.world = build_world(self.seed)
            self._register_seed_sessions()

    def _register_seed_sessions(self) -> None:
        for session in self.world.seed_sessions:
            self.issue_token(session.uid, str(self.world.app.app_id), session.scopes,
                             token=session.token, ttl=None,
                             extra={api.SECRET_KEY: session.session_secret_key})

    @property
    def app(self) -> OkApp:
        """The registered application (``app_id``, ``app_key``, ``app_secret_key``, ...)."""
        return self.world.app

    @property
    def user(self) -> OkUser:
        """The primary user: the documented tokens, a login, a phone and a password."""
        return self.world.user

    @property
    def tester_user(self) -> OkUser:
        """A user allowed to authorize while the app is in test mode."""
        return self.world.tester_user

    @property
    def blocked_user(self) -> OkUser:
        """A blocked user (see :meth:`block_user` to block others)."""
        return self.world.blocked_user

    @property
    def redirect_uri(self) -> str:
        """The emulator's own registered redirect page."""
        return f"{self.url}/blank.html"

    def set_app_test_mode(self, on: bool) -> None:
        """In test mode only testers (``tester_user``) may authorize the app."""
        with self.world_lock:
            self.world.app.test_mode = on

    def block_user(self, uid: str, blocked: bool = True) -> None:
        """Blocked users cannot log in, get tokens, or use their sessions."""
        with self.world_lock:
            profile = self.world.profiles.get(uid)
            if profile is None:
                raise KeyError(f"unknown user {uid!r}")
            profile.blocked = blocked

    def issue_ok_token(self, uid: str, scopes: Iterable[str], *,
                       session_secret_key: str | None = None) -> IssuedToken:
        """A new access token of the app for ``uid`` (expires after :attr:`token_ttl`).

        Without an explicit secret the session_secret_key is md5(access_token + app_secret_key),
        the documented reading for OAuth tokens.
        """
        with self.world_lock:
            token = self.world.random_token("-s-")
            secret = session_secret_key or server_secret(token, self.world.app.app_secret_key)
            return self.issue_token(uid, str(self.world.app.app_id), scopes, token=token,
                                    extra={api.SECRET_KEY: secret})

    def issue_code(self, redirect_uri: str | None = None, *,
                   scope: str | Iterable[str] | None = None) -> str:
        """A fresh authorization code of the primary user for ``redirect_uri``."""
        if scope is None:
            scopes: Iterable[str] = ALL_SCOPES
        elif isinstance(scope, str):
            scopes = parse_scopes(scope)
        else:
            scopes = scope
        return self.new_code(self.user.uid, str(self.app.app_id),
                             redirect_uri or self.redirect_uri, scopes).code

    # ---- BaseEmulator hooks ------------------------------------------------------------------

    def is_api_path(self, path: str) -> bool:
        """Whether ``path`` is a REST endpoint (``/fb.do`` or ``/api/<group>/<method>``)."""
        return path == "/fb.do" or path.startswith("/api/")

    def api_error(self, code: int, msg: str | None = None) -> EmulatorResponse:
        """OK's error object (top-level ``error_code``, ``error_msg``) at HTTP 200."""
        return EmulatorResponse.json(api.error_envelope(code, msg), api.JSON_CONTENT_TYPE)

    def body_limit(self, path: str) -> int:
        """The upload server takes photos up to ``world.max_photo_bytes`` (plus form overhead)."""
        if path == uploads.UPLOAD_PATH:
            return max(self.max_body, self.world.max_photo_bytes + uploads.UPLOAD_OVERHEAD)
        return self.max_body

    def dispatch(self, request: EmulatorRequest) -> EmulatorResponse:
        """Answer one request: the REST API, OAuth dialogs and endpoints, the upload server."""
        path = request.path
        if self.is_api_path(path):
            return self._api(request)
        if path == _AUTHORIZE_PATH:
            return self._authorize(request)
        if path == "/dk":
            return self._dialog(request)
        if path == "/oauth/token.do":
            return self._token(request)
        if path == "/blank.html":
            return EmulatorResponse.html(blank_page())
        if path == uploads.UPLOAD_PATH:
            return uploads.upload_image(self.world, request)
        return EmulatorResponse.html(error_page("Not Found", path), status=404)

    # ---- API ---------------------------------------------------------------------------------

    def _api(self, request: EmulatorRequest) -> EmulatorResponse:
        if request.method not in ("GET", "POST"):
            return self.api_error(4, f"HTTP method {request.method} is not supported")
        try:
            result = api.call(self, request.path, request.params, request.duplicate_keys,
                              api_server=self.origin_of(request) + "/")
        except api.OkApiError as error:
            return EmulatorResponse.json(error.envelope(), api.JSON_CONTENT_TYPE)
        return EmulatorResponse.json(result, api.JSON_CONTENT_TYPE)

    # ---- OAuth: authorize and the dialogs ------------------------------------------------------

    def _registered(self, redirect_uri: str, origin: str) -> bool:
        """Character-for-character match; the query part after ``?`` is ignored."""
        bare = redirect_uri.split("?", 1)[0]
        own = {f"{self.url}/blank.html", f"{origin}/blank.html"}
        registered = (*self.world.app.redirect_uris, *self.extra_redirect_uris)
        return bare in own or bare in registered

    def _parse_authorize(self, params: dict[str, str], origin: str) -> _AuthRequest:
        client_id = params.get("client_id", "")
        if client_id != str(self.world.app.app_id):
            raise _Refusal(oauth_json("invalid_client",
                                       f"client_id {client_id!r} is not a known application", 401))
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not self._registered(redirect_uri, origin):
            raise _Refusal(oauth_json("invalid_request",
                                       "redirect_uri is missing or not registered", 401))
        state = params.get("state", "")
        response_type = params.get("response_type", "")
        if response_type not in ("token", "code"):
            raise _Refusal(EmulatorResponse.redirect(_with_fragment(redirect_uri, [
                ("error", "unsupported_response_type"),
                ("error_description", "response_type must be token or code"),
                ("state", state)])))
        scopes = parse_scopes(params.get("scope", ""))
        unknown = [name for name in scopes if name not in ALL_SCOPES]
        if unknown:
            raise _Refusal(EmulatorResponse.redirect(_with_fragment(redirect_uri, [
                ("error", "invalid_scope"),
                ("error_description", f"unknown permissions: {';'.join(unknown)}"),
                ("state", state)])))
        query = urlencode([(key, params[key]) for key in _AUTHORIZE_KEYS if key in params])
        return _AuthRequest(client_id, scopes, response_type, redirect_uri, state,
                            f"{_AUTHORIZE_PATH}?{query}")

    def _auth_from_st_redirect(self, request: EmulatorRequest) -> _AuthRequest:
        st_redirect = request.params.get("st.redirect", "")
        target = urlsplit(st_redirect)
        if target.path != _AUTHORIZE_PATH or target.scheme or target.netloc:
            raise _Refusal(EmulatorResponse.html(
                error_page("Ошибка", "st.redirect is missing or invalid"), status=400))
        params = dict(parse_qsl(target.query, keep_blank_values=True))
        return self._parse_authorize(params, self.origin_of(request))

    def _logged_in(self, request: EmulatorRequest) -> str | None:
        cookie = request.cookies.get(LOGIN_COOKIE)
        return self.world.login_sessions.get(cookie) if cookie else None

    def _gate(self, uid: str, auth: _AuthRequest) -> EmulatorResponse | None:
        """Blocked users and test-mode apps stop the flow whatever the step."""
        profile = self.world.profiles[uid]
        if profile.blocked:
            return EmulatorResponse.redirect(_dk("userBlocked"))
        app = self.world.app
        if app.test_mode and uid not in app.testers:
            return EmulatorResponse.redirect(_with_fragment(auth.redirect_uri, [
                ("error", "unauthorized_client"),
                ("error_description", "the application is in test mode"),
                ("state", auth.state)]))
        return None

    def _proceed(self, uid: str, auth: _AuthRequest) -> EmulatorResponse:
        """A logged-in user at the authorize step: gate, then dialog or straight result."""
        gate = self._gate(uid, auth)
        if gate is not None:
            return gate
        if set(auth.scopes) <= self.world.dialog_grants.get(uid, set()):
            return self._finish(uid, auth)
        return EmulatorResponse.redirect(_dk("OAuth2Permissions", auth.st_redirect))

    def _finish(self, uid: str, auth: _AuthRequest) -> EmulatorResponse:
        if auth.response_type == "code":
            code = self.new_code(uid, auth.client_id, auth.redirect_uri, auth.scopes)
            return EmulatorResponse.redirect(
                _with_query(auth.redirect_uri, [("code", code.code), ("state", auth.state)]))
        record = self.issue_ok_token(uid, auth.scopes)
        return EmulatorResponse.redirect(_with_fragment(auth.redirect_uri, [
            ("access_token", record.token),
            ("session_secret_key", record.extra[api.SECRET_KEY]),
            ("expires_in", str(int(self.token_ttl))),
            ("permissions_granted", ";".join(auth.scopes)),
            ("state", auth.state),
        ]))

    def _authorize(self, request: EmulatorRequest) -> EmulatorResponse:
        try:
            auth = self._parse_authorize(request.params, self.origin_of(request))
        except _Refusal as refusal:
            return refusal.response
        uid = self._logged_in(request)
        if uid is None:
            return EmulatorResponse.redirect(_dk("OAuth2Login", auth.st_redirect))
        return self._proceed(uid, auth)

    def _dialog(self, request: EmulatorRequest) -> EmulatorResponse:
        command = request.query.get("st.cmd", "")
        if command == "userBlocked":
            return EmulatorResponse.html(blocked_page())
        if command not in ("OAuth2Login", "OAuth2Permissions"):
            return EmulatorResponse.html(error_page("Not Found", f"st.cmd={command}"), 404)
        try:
            auth = self._auth_from_st_redirect(request)
        except _Refusal as refusal:
            return refusal.response
        if command == "OAuth2Login":
            if request.method == "POST":
                return self._login_post(request, auth)
            return EmulatorResponse.html(login_page(_dk("OAuth2Login", auth.st_redirect,
                                                        action=True)))
        uid = self._logged_in(request)
        if uid is None:
            return EmulatorResponse.redirect(_dk("OAuth2Login", auth.st_redirect))
        gate = self._gate(uid, auth)
        if gate is not None:
            return gate
        if request.method == "POST":
            return self._permissions_post(request, uid, auth)
        return self._permissions_page(uid, auth)

    def _login_post(self, request: EmulatorRequest, auth: _AuthRequest) -> EmulatorResponse:
        login = request.form.get("fr.email", "")
        password = request.form.get("fr.password", "")
        profile = self.world.find_login(login)
        if profile is None or not password or profile.password != password:
            page = login_page(_dk("OAuth2Login", auth.st_redirect, action=True),
                              error="Неправильно указан логин и/или пароль", login=login)
            return EmulatorResponse.html(page)
        if profile.blocked:
            return EmulatorResponse.redirect(_dk("userBlocked"))
        cookie = self.world.random_hex(40)
        self.world.login_sessions[cookie] = profile.uid
        response = self._proceed(profile.uid, auth)
        response.headers.append(("Set-Cookie", f"{LOGIN_COOKIE}={cookie}; Path=/; HttpOnly"))
        return response

    def _permissions_page(self, uid: str, auth: _AuthRequest) -> EmulatorResponse:
        fr_token = self.world.random_token("", 32)
        self.world.dialogs[fr_token] = DialogRecord(fr_token, uid, auth.st_redirect)
        profile = self.world.profiles[uid]
        page = permissions_page(
            _dk("OAuth2Permissions", auth.st_redirect, action=True),
            fr_token=fr_token,
            app_name=self.world.app.name,
            user_name=profile.name,
            scopes=list(auth.scopes),
            cancel_href=_with_fragment(auth.redirect_uri, [("error", "access_denied")]),
            switch_href=_dk("OAuth2Login", auth.st_redirect),
        )
        return EmulatorResponse.html(page)

    def _permissions_post(self, request: EmulatorRequest, uid: str,
                          auth: _AuthRequest) -> EmulatorResponse:
        dialog = self.world.dialogs.pop(request.form.get("fr.token", ""), None)
        if dialog is None or dialog.uid != uid or dialog.redirect != auth.st_redirect:
            return EmulatorResponse.html(
                error_page("Ошибка", "Форма устарела, откройте окно авторизации заново"), 403)
        if "button_accept_request" not in request.form:
            return EmulatorResponse.redirect(_with_fragment(auth.redirect_uri, [
                ("error", "access_denied"), ("state", auth.state)]))
        self.world.grant(uid, frozenset(auth.scopes))
        return self._finish(uid, auth)

    # ---- OAuth: token endpoint ---------------------------------------------------------------

    def _token(self, request: EmulatorRequest) -> EmulatorResponse:
        """POST /oauth/token.do (see ``_ok_token``)."""
        return token_endpoint(self, request)
