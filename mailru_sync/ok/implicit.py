"""OK implicit flow: log in through the OAuth dialogs like a browser (protocol-notes §3.2).

Pages are recognised by their forms and the ``st.cmd`` of their URL, as the old aiookru client
and the official Android SDK do (no Russian text is needed, though it is used as a fallback):

1. GET ``/oauth/authorize`` (``response_type=token``). An unknown app or redirect URI answers
   HTTP 401 with a JSON error; a logged-in user who already granted the scope is redirected
   straight to the redirect URI.
2. ``st.cmd=OAuth2Login`` (form with ``fr.email``/``fr.password``): fill both, keep the other
   fields (``fr.posted``, ``fr.remember``), POST. The login page again means wrong credentials.
3. ``st.cmd=OAuth2Permissions`` (form with the ``button_accept_request`` button): POST its fields
   plus the button.
4. ``st.cmd=userBlocked`` → blocked account; ``st.cmd=userMain`` (the user ended up on the
   home page) → start over once, as the Android SDK does. The result (or an error such as
   ``access_denied`` / ``unauthorized_client``) arrives in the redirect URI's fragment.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from .._browser import ImplicitClient, trusted_origins
from .._oauth import oauth_error
from .._options import TokenData
from .._redact import mask
from ..exceptions import (
    AccessDeniedError,
    BlockedUserError,
    ConfigurationError,
    InvalidClientError,
    InvalidCredentialsError,
    OAuthError,
    UnexpectedPageError,
)

if TYPE_CHECKING:
    from .._browser import Browser, Page, Redirected
    from .._forms import Form
    from .._redact import Redactor

__all__ = ["implicit_login"]

logger = logging.getLogger("mailru_sync")

#: Pages visited (after redirects) before the flow gives up.
MAX_STEPS = 8
_ACCEPT = "button_accept_request"
_BLOCKED_MARKERS = ("hook_Block_UserBlocked", "Профиль заблокирован")


#: What the implicit flow needs of an OK session.
OkLogin = ImplicitClient


def _origins(session: OkLogin) -> frozenset[str]:
    return trusted_origins(session, (session.AUTHORIZE_URL, session.TOKEN_URL, session.API_URL))


def implicit_login(
    session: OkLogin,
    redact: Redactor,
    login: str,
    passwd: str,
    scope: str,
    *,
    redirect_uri: str | None = None,
    state: str = "",
) -> TokenData:
    """Run the implicit flow for ``session``; return the fields of the redirect fragment.

    The caller applies them (:meth:`OkSession.login_implicit`). Raises an
    :class:`~mailru_sync.OAuthError` subclass for each failure the dialogs can show.
    """
    if not login or not passwd:
        raise ConfigurationError("login and passwd are required for the implicit flow")
    redact.add(passwd)
    redirect = redirect_uri or session.default_redirect_uri
    from .._browser import Browser, Redirected  # loaded on first login, not on import

    browser = Browser(
        session, redact, redirect_uri=redirect, trusted=_origins(session), what="implicit login"
    )
    query = {
        "client_id": session.app_id,
        "scope": scope,
        "response_type": "token",
        "redirect_uri": redirect,
        "layout": "w",
    }
    if state:
        query["state"] = state
    authorize_url = session.url(session.AUTHORIZE_URL)
    landing = browser.get(authorize_url, query)
    posted_login = posted_consent = restarted = False
    for _step in range(MAX_STEPS):
        if isinstance(landing, Redirected):
            return _token_from_redirect(session, redact, landing, state)
        page = landing
        _check_refusals(session, browser, page)
        command = page.query.get("st.cmd", "")
        login_form = page.find_form("fr.email", "fr.password")
        if login_form is not None:
            if posted_login:
                raise InvalidCredentialsError(
                    f"OK rejected the login or password of {mask(login)}; check them (a phone "
                    "number, e-mail or login name works as the login)",
                    error="invalid_credentials",
                )
            posted_login = True
            fields = dict(login_form.fields)
            fields["fr.email"] = login
            fields["fr.password"] = passwd
            landing = browser.submit(page, login_form, fields)
            continue
        consent = _consent_form(page)
        if consent is not None:
            if posted_consent:
                raise browser.unexpected(page, "the permissions dialog came back after accepting")
            posted_consent = True
            fields = dict(consent.fields)
            button = consent.button(_ACCEPT)
            fields[_ACCEPT] = button[1] if button else ""
            landing = browser.submit(page, consent, fields)
            continue
        if command == "userMain" and not restarted:
            # The user was sent to the home page (e.g. after a recovery): start over once.
            restarted = True
            landing = browser.get(authorize_url, query)
            continue
        raise browser.unexpected(
            page, f"unrecognised page in the OK login flow (st.cmd={command!r})"
        )
    raise UnexpectedPageError(
        f"implicit login: no token after {MAX_STEPS} pages; the dialogs keep coming back",
    )


def _json_error(page: Page) -> dict[str, Any] | None:
    if "json" not in page.content_type.lower() and not page.html.lstrip().startswith("{"):
        return None
    try:
        body = json.loads(page.html)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) and body.get("error") else None


def _check_refusals(session: OkLogin, browser: Browser, page: Page) -> None:
    """Raise for pages that end the flow: JSON errors (unknown app/redirect), blocked user."""
    error = _json_error(page)
    if error is not None:
        code = str(error.get("error"))
        description = str(error.get("error_description") or "")
        if code == "invalid_client" or "redirect_uri" in description:
            raise InvalidClientError(
                f"OK refused the authorization request ({code}: {description}); check app_id "
                f"({session.app_id}) and that the redirect_uri "
                f"{browser.shown_url(browser.redirect_uri)} is registered for the app",
                error=code,
                description=description,
                status=page.status,
            )
        raise oauth_error(code, description, grant="implicit", status=page.status)
    has_password = any(form.field_of_type("password") for form in page.forms)
    if page.query.get("st.cmd") == "userBlocked" or (
        not has_password and any(marker in page.html for marker in _BLOCKED_MARKERS)
    ):
        raise BlockedUserError(
            "OK says the profile is blocked; the user must restore it on ok.ru",
            error="blocked_user",
            status=page.status,
        )


def _consent_form(page: Page) -> Form | None:
    for form in page.forms:
        if form.button(_ACCEPT) is not None:
            return form
    return None


def _token_from_redirect(
    session: OkLogin, redact: Redactor, landing: Redirected, state: str
) -> TokenData:
    params = landing.params
    error = params.get("error")
    if error:
        description = params.get("error_description", "")
        if error == "access_denied":
            raise AccessDeniedError(
                "the user declined the requested permissions on OK (access_denied)",
                error=error,
                description=description,
            )
        if error == "invalid_scope":
            raise OAuthError(
                f"OK rejected the requested scope ({description}); request only permissions "
                "enabled for the app (e.g. VALUABLE_ACCESS)",
                error=error,
                description=description,
            )
        raise oauth_error(error, description, grant="implicit")
    if not landing.fragment.get("access_token"):
        raise OAuthError(
            "OK redirected to the redirect URI without an access token in the fragment "
            f"(fields: {sorted(params)}); the client (implicit) flow may be disabled for the app",
            error="no_token",
        )
    returned_state = params.get("state")
    if state and returned_state is not None and returned_state != state:
        raise OAuthError(
            "the state returned by OK does not match the one sent; refusing the token "
            "(possible request forgery)",
            error="state_mismatch",
        )
    token: TokenData = dict(landing.fragment)
    redact.add(token.get("access_token"), token.get("session_secret_key"))
    logger.info("implicit login: OK granted a token (permissions %s)",
                token.get("permissions_granted", ""))
    return token
