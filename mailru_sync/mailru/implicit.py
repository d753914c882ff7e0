"""Mail.ru implicit flow: log in through the OAuth dialogs like a browser (protocol-notes §3.1).

The decision logic follows the old aiomailru client, made strict: every page is recognised by
its form fields, its URL or its visible text, and anything unrecognised raises
:class:`~mailru_sync.UnexpectedPageError` instead of guessing. Steps:

1. GET the authorize URL (``response_type=token``). Already logged in and consented → 302 to the
   redirect URI with the token in the fragment; otherwise a page.
2. Login page (form with ``Login``/``Password``): fill ``Login`` (local part), ``Domain`` (from
   the e-mail), ``Password``; keep every other field (``Page``, ``FailPage`` ...); POST.
   Landing on the login page again (``FailPage``) means wrong credentials.
3. Consent page ("Необходим доступ к вашим данным", the access form): POST its fields with
   ``agree=1`` (the button aiomailru forgot to send).
4. "Авторизация запрещена" → the app is in development and the user is not a tester;
   ``/recovery`` → the account is blocked; "Не указано приложение" → unknown app id.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from .._browser import ImplicitClient, trusted_origins
from .._oauth import oauth_error
from .._options import TokenData
from .._redact import mask
from ..exceptions import (
    AccessDeniedError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    InvalidClientError,
    InvalidCredentialsError,
    OAuthError,
    UnexpectedPageError,
)
from .address import parseaddr

if TYPE_CHECKING:
    from .._browser import Browser, Page, Redirected
    from .._forms import Form
    from .._redact import Redactor

__all__ = ["implicit_login"]

logger = logging.getLogger("mailru_sync")

#: Pages visited (after redirects) before the flow gives up.
MAX_STEPS = 8

_UNKNOWN_APP = "Не указано приложение"
_BAD_REDIRECT = "redirect_uri"
_NOT_AVAILABLE = ("Авторизация запрещена", "находится в разработке")
_CONSENT = "Необходим доступ к вашим данным"
_BLOCKED = ("заблокирован", "Восстановление доступа")


class MailruLogin(ImplicitClient, Protocol):
    """What the implicit flow needs of a Mail.ru session: also its login and code endpoints."""

    @property
    def LOGIN_URL(self) -> str: ...

    @property
    def CODE_TOKEN_URL(self) -> str: ...


def _origins(session: MailruLogin) -> frozenset[str]:
    return trusted_origins(
        session,
        (
            session.AUTHORIZE_URL,
            session.LOGIN_URL,
            session.CODE_TOKEN_URL,
            session.TOKEN_URL,
            session.API_URL,
        ),
    )


def implicit_login(
    session: MailruLogin,
    redact: Redactor,
    email: str,
    passwd: str,
    scope: str,
    *,
    redirect_uri: str | None = None,
    state: str | None = None,
) -> TokenData:
    """Run the implicit flow for ``session``; return the token fields of the redirect fragment.

    The caller applies them (:meth:`MailruSession.login_implicit`). Raises an
    :class:`~mailru_sync.OAuthError` subclass for each failure the dialogs can show.
    """
    if not email or not passwd:
        raise ConfigurationError("email and passwd are required for the implicit flow")
    redact.add(passwd)
    redirect = redirect_uri or session.default_redirect_uri
    from .._browser import Browser, Redirected  # loaded on first login, not on import

    browser = Browser(
        session, redact, redirect_uri=redirect, trusted=_origins(session), what="implicit login"
    )
    query = {"client_id": session.app_id, "response_type": "token", "redirect_uri": redirect}
    if scope:
        query["scope"] = scope
    if state:
        query["state"] = state
    landing = browser.get(session.url(session.AUTHORIZE_URL), query)
    posted_login = posted_consent = False
    for _step in range(MAX_STEPS):
        if isinstance(landing, Redirected):
            return _token_from_redirect(session, redact, landing, state)
        page = landing
        _check_refusals(session, browser, page)
        login_form = page.find_form("Login") or page.find_form("Password")
        if login_form is not None and login_form.field_of_type("password"):
            if posted_login or page.query.get("fail") == "1":
                raise InvalidCredentialsError(
                    f"Mail.ru rejected the e-mail or password of {mask(email)}; check them (the "
                    "password is case-sensitive)",
                    error="invalid_credentials",
                )
            posted_login = True
            landing = browser.submit(page, login_form, _login_fields(login_form, email, passwd))
            continue
        consent = _consent_form(page)
        if consent is not None:
            if posted_consent:
                raise browser.unexpected(page, "the consent dialog came back after agreeing")
            posted_consent = True
            fields = dict(consent.fields)
            button = consent.button("agree")
            fields["agree"] = button[1] if button and button[1] else "1"
            landing = browser.submit(page, consent, fields)
            continue
        raise browser.unexpected(page, "unrecognised page in the Mail.ru login flow")
    raise UnexpectedPageError(
        f"implicit login: no token after {MAX_STEPS} pages; the dialogs keep coming back",
    )


def _check_refusals(session: MailruLogin, browser: Browser, page: Page) -> None:
    """Raise for the pages that end the flow: unknown app, test mode, blocked, bad request."""
    if page.contains(_UNKNOWN_APP):
        raise InvalidClientError(
            f"Mail.ru does not know the application app_id={session.app_id} (\"{_UNKNOWN_APP}\"); "
            "check app_id",
            error="invalid_client",
            status=page.status,
        )
    if page.contains(*_NOT_AVAILABLE):
        raise AppNotAvailableError(
            "Mail.ru refused the authorization: the application is in development (test mode) "
            "and only its author and the testers listed in its settings may authorize it",
            error="unauthorized_client",
            status=page.status,
        )
    has_password = any(form.field_of_type("password") for form in page.forms)
    # Text markers only count on pages without a login form (a login page may well mention
    # blocked accounts in its help links); the recovery URL always counts.
    if page.path.rstrip("/").endswith("/recovery") or (
        not has_password and page.contains(*_BLOCKED)
    ):
        raise BlockedUserError(
            "Mail.ru sent the user to account recovery: the account is blocked; the user must "
            "restore access on mail.ru",
            error="blocked_user",
            status=page.status,
        )
    if not page.forms and page.contains(_BAD_REDIRECT):
        raise InvalidClientError(
            f"Mail.ru rejected the redirect_uri {browser.shown_url(browser.redirect_uri)}: "
            "it must be registered for the app (standalone apps use the default)",
            error="invalid_request",
            status=page.status,
        )


def _login_fields(form: Form, email: str, passwd: str) -> dict[str, str]:
    fields = dict(form.fields)
    local, domain = parseaddr(email)
    login_name = "Login" if "Login" in form.types else _first_text_field(form)
    password_name = "Password" if "Password" in form.types else form.field_of_type("password")
    options = form.options.get("Domain")
    if "Domain" in form.types and domain and (not options or domain in options):
        fields["Domain"] = domain
        login_value = local
    else:
        # Not one of the form's domains (or no Domain control): the full address as the login.
        login_value = email.strip()
    if login_name:
        fields[login_name] = login_value
    if password_name:
        fields[password_name] = passwd
    return fields


def _first_text_field(form: Form) -> str | None:
    for name, kind in form.types.items():
        if kind in ("text", "email"):
            return name
    return None


def _consent_form(page: Page) -> Form | None:
    for form in page.forms:
        if form.button("agree") is not None or (
            form.has_fields("client_id", "response_type") and page.contains(_CONSENT)
        ):
            return form
    return None


def _token_from_redirect(
    session: MailruLogin, redact: Redactor, landing: Redirected, state: str | None
) -> TokenData:
    params = landing.params
    error = params.get("error")
    if error:
        description = params.get("error_description", "")
        if error == "access_denied":
            raise AccessDeniedError(
                "the user declined the requested permissions on Mail.ru (access_denied)",
                error=error,
                description=description,
            )
        raise oauth_error(error, description, grant="implicit")
    if not landing.fragment.get("access_token"):
        names = sorted(params)
        raise OAuthError(
            "Mail.ru redirected to the redirect URI without an access token in the fragment "
            f"(fields: {names}); the app may not allow the implicit flow",
            error="no_token",
        )
    returned_state = params.get("state")
    if state and returned_state is not None and returned_state != state:
        raise OAuthError(
            "the state returned by Mail.ru does not match the one sent; refusing the token "
            "(possible request forgery)",
            error="state_mismatch",
        )
    token: TokenData = dict(landing.fragment)
    redact.add(token.get("access_token"), token.get("refresh_token"))
    logger.info("implicit login: Mail.ru granted a token for uid %s", token.get("x_mailru_vid"))
    return token
