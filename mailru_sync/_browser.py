"""A minimal, careful "browser" for the implicit-flow login dialogs of both platforms.

Why not ``requests`` with ``allow_redirects=True``: the flow must stop at the redirect URI and
read the token from the ``Location`` header's fragment without ever fetching that URI (it may be
a page of a third party, or a ``localhost`` nobody listens on), it must never resend a password
to a host it was redirected to, and it must not loop forever. So every hop is explicit:

* redirects are followed by hand (``allow_redirects=False``), at most :data:`MAX_REDIRECTS` per
  navigation; a redirect to the redirect URI ends the navigation with :class:`Redirected`;
* cookies live in the session's own cookie jar (``requests`` stores ``Set-Cookie`` of every
  response, redirects included), so the platform's login session carries over between steps;
* a form is submitted only if its action is on one of the platform's own origins: anything else
  raises :class:`~mailru_sync.UntrustedFormError` before a byte is sent.

The platform modules (``mailru/implicit.py``, ``ok/implicit.py``) decide what each page means.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import requests

from ._forms import Form, PageText, page_text, parse_forms
from ._response import snippet_of
from ._urls import credential_origin, origin_of
from .exceptions import HTTPStatusError, UnexpectedPageError, UntrustedFormError

if TYPE_CHECKING:
    from ._redact import Redactor

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_REDIRECTS",
    "Browser",
    "Landing",
    "Page",
    "Redirected",
    "trusted_origins",
]

logger = logging.getLogger("mailru_sync")

#: Redirect hops followed for one navigation before giving up.
MAX_REDIRECTS = 10
#: The largest login page read (the platforms' dialogs are tens of KB); a larger one raises
#: ResponseTooLarge, so a hostile page cannot cost memory or parsing time.
MAX_PAGE_SIZE = 512 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Page:
    """A page the flow landed on (not a redirect)."""

    url: str
    status: int
    content_type: str
    html: str

    @cached_property
    def forms(self) -> list[Form]:
        """The page's forms, actions resolved against :attr:`url`."""
        return parse_forms(self.html, self.url)

    @cached_property
    def text(self) -> PageText:
        """Title and visible text, for recognising the page by what it says."""
        return page_text(self.html)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def contains(self, *markers: str) -> bool:
        """Whether the visible text (or title) contains any of ``markers``."""
        text = f"{self.text.title} {self.text.text}"
        return any(marker in text for marker in markers)

    def find_form(self, *names: str) -> Form | None:
        """The first form that has every control in ``names``."""
        for form in self.forms:
            if form.has_fields(*names):
                return form
        return None


@dataclass(frozen=True)
class Redirected:
    """The platform redirected to the redirect URI; its parameters (never fetched).

    ``params`` merges the query and the fragment (the fragment wins): the implicit flow's result
    travels in the fragment, while some errors come in the query.
    """

    url: str
    query: dict[str, str] = field(default_factory=dict)
    fragment: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.fragment}


Landing = Page | Redirected


class LoginClient(Protocol):
    """What the login browser needs of a session (any session fits: it is structural)."""

    @property
    def base_url(self) -> str | None: ...

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest: ...

    def transport(
        self, verb: str, url: str, *, what: str, max_body: int | None = None, **kwargs: Any
    ) -> requests.Response: ...


class ImplicitClient(LoginClient, Protocol):
    """What an implicit flow needs of a session besides the browser's part: the app, where the
    dialogs are, and where the token comes back (structural: the session classes fit)."""

    @property
    def app_id(self) -> str: ...

    @property
    def default_redirect_uri(self) -> str: ...

    @property
    def AUTHORIZE_URL(self) -> str: ...

    @property
    def TOKEN_URL(self) -> str: ...

    @property
    def API_URL(self) -> str: ...

    def url(self, url: str) -> str: ...


def trusted_origins(session: LoginClient, urls: Iterable[str]) -> frozenset[str]:
    """Origins a login form may post to: ``base_url``'s origin when set, else the real hosts."""
    if session.base_url:
        return frozenset({origin_of(session.base_url)})
    return frozenset(origin_of(url) for url in urls)


def _same_endpoint(url: str, target: str) -> bool:
    """Whether ``url`` points at ``target`` (scheme, host, port, path; query ignored)."""
    a, b = urlsplit(url), urlsplit(target)
    return (
        origin_of(url) == origin_of(target)
        and (a.path or "/") == (b.path or "/")
        and a.scheme.lower() == b.scheme.lower()
    )


def _decode(response: requests.Response) -> str:
    """The body as text: the declared charset, else UTF-8, else Windows-1251 (Russian pages)."""
    raw = response.content or b""
    content_type = response.headers.get("Content-Type", "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                return raw.decode(value.strip("\"' "), errors="replace")
            except LookupError:
                break
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace")


class Browser:
    """Navigates the login dialogs for one authorization attempt of ``session``."""

    def __init__(
        self,
        session: LoginClient,
        redact: Redactor,
        *,
        redirect_uri: str,
        trusted: frozenset[str],
        what: str,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.session = session
        self.redact = redact
        self.redirect_uri = redirect_uri
        self.trusted = trusted
        self.what = what
        self.max_redirects = max_redirects

    # --- helpers for error messages --------------------------------------------------------------

    def shown_url(self, url: str) -> str:
        """A URL safe to show: no fragment, known secrets masked."""
        return self.redact(urldefrag(url)[0])

    def snippet(self, page: Page) -> str:
        text = page.text
        shown = f"{text.title}: {text.text}" if text.title else text.text
        return snippet_of(shown, self.redact)

    def unexpected(self, page: Page, problem: str) -> UnexpectedPageError:
        """An :class:`UnexpectedPageError` describing ``page``."""
        snippet = self.snippet(page)
        url = self.shown_url(page.url)
        return UnexpectedPageError(
            f"{self.what}: {problem} (HTTP {page.status} at {url}: {snippet!r}); the platform's "
            "dialog may have changed — log in once in a browser to see what it asks for",
            url=url,
            snippet=snippet,
            status=page.status,
        )

    # --- navigation -----------------------------------------------------------------------------

    def get(self, url: str, params: Mapping[str, str] | None = None) -> Landing:
        """GET ``url`` and follow redirects up to a page or the redirect URI."""
        if params:
            prepared = self.session.prepare_request(
                requests.Request("GET", url, params=dict(params))
            )
            url = prepared.url or url
        return self._navigate("GET", url, None)

    def submit(self, page: Page, form: Form, fields: Mapping[str, str]) -> Landing:
        """Submit ``form`` with ``fields`` (the caller's complete field set), if trusted.

        Trust is decided on the origin the transport will actually connect to
        (:func:`credential_origin`); an ambiguous action is refused outright. A GET form never
        carries a credential: it would put it in the URL, which servers and proxies log.
        """
        target = form.action
        if credential_origin(target) not in self.trusted:
            raise self._untrusted(page, target)
        if form.method == "GET":
            if any(self.redact.knows(value) for value in fields.values()):
                raise UntrustedFormError(
                    f"{self.what}: the login form on {self.shown_url(page.url)} would send "
                    "the password in the URL (method=GET); refused",
                    url=self.shown_url(page.url),
                    snippet=self.snippet(page),
                    status=page.status,
                )
            prepared = self.session.prepare_request(
                requests.Request("GET", target, params=dict(fields))
            )
            return self._navigate("GET", prepared.url or target, None)
        return self._navigate("POST", target, dict(fields))

    def _untrusted(self, page: Page, target: str) -> UntrustedFormError:
        allowed = ", ".join(sorted(self.trusted))
        where = credential_origin(target) or "an ambiguous URL"
        return UntrustedFormError(
            f"{self.what}: refusing to send credentials to {where} (a form on "
            f"{self.shown_url(page.url)} posts there); only {allowed} may receive them",
            url=self.shown_url(page.url),
            snippet=self.snippet(page),
            status=page.status,
        )

    def _navigate(self, verb: str, url: str, data: dict[str, str] | None) -> Landing:
        for _hop in range(self.max_redirects + 1):
            kwargs: dict[str, Any] = {"allow_redirects": False}
            if data is not None:
                kwargs["data"] = data
            response = self.session.transport(
                verb, url, what=self.what, max_body=MAX_PAGE_SIZE, **kwargs
            )
            logger.debug(
                "%s: %s %s -> HTTP %s", self.what, verb, self.shown_url(url).split("?")[0],
                response.status_code,
            )
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECT_STATUSES or not location:
                return self._page(url, response)
            try:
                target = urljoin(url, location.strip())
                scheme = urlsplit(target).scheme.lower()
            except ValueError:  # e.g. "http://[::1" — not a URL at all
                target, scheme = "", "invalid"
            if target and credential_origin(target) is None and scheme in ("http", "https"):
                raise UntrustedFormError(
                    f"{self.what}: a redirect points to an ambiguous URL (userinfo, backslash "
                    "or whitespace in it); refused",
                    url=self.shown_url(url),
                    status=response.status_code,
                )
            if target and _same_endpoint(target, self.redirect_uri):
                return self._redirected(target)
            if scheme not in ("http", "https"):
                raise UnexpectedPageError(
                    f"{self.what}: redirected to a {scheme or 'relative'}: URL that is not the "
                    f"redirect URI {self.shown_url(self.redirect_uri)}; pass the redirect_uri "
                    "registered for the app",
                    url=self.shown_url(url),
                    status=response.status_code,
                )
            if response.status_code in (307, 308) and verb == "POST":
                # The browser would resend the form body: only to a trusted origin.
                if credential_origin(target) not in self.trusted:
                    raise UntrustedFormError(
                        f"{self.what}: a form submission was redirected to "
                        f"{credential_origin(target)} with its body; refused",
                        url=self.shown_url(url),
                        status=response.status_code,
                    )
            else:
                verb, data = "GET", None
            url = target
        raise UnexpectedPageError(
            f"{self.what}: more than {self.max_redirects} redirects in a row (last at "
            f"{self.shown_url(url)}); the platform may be looping — try again later",
            url=self.shown_url(url),
        )

    def _page(self, url: str, response: requests.Response) -> Page:
        page = Page(
            url=url,
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            html=_decode(response),
        )
        if page.status >= 500:
            snippet = self.snippet(page)
            raise HTTPStatusError(
                f"{self.what}: the platform answered HTTP {page.status} at "
                f"{self.shown_url(url)}: {snippet!r}; try again later",
                method=self.what,
                status=page.status,
                content_type=page.content_type,
                snippet=snippet,
            )
        return page

    def _redirected(self, target: str) -> Redirected:
        parts = urlsplit(target)
        return Redirected(
            url=target,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            fragment=dict(parse_qsl(parts.fragment, keep_blank_values=True)),
        )
