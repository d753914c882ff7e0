"""The login-flow "browser": credentials only go to the platform's origins; hops are bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync._browser import trusted_origins

from .sites import Reply, Site, SiteRequest, html_reply, redirect_reply

PASSWORD = "Very-Secret-Passw0rd"

FOREIGN_LOGIN = """<html><head><title>Mail.Ru — Вход</title></head><body>
<h1>Необходим доступ к вашим данным</h1>
<form id="login-form" method="post" action="{action}">
<input type="hidden" name="Page" value="/oauth/authorize?login=1">
<input type="text" name="Login"><select name="Domain"><option>mail.ru</option></select>
<input type="password" name="Password"><button type="submit">Войти</button>
</form></body></html>"""

FOREIGN_OK_LOGIN = """<html><body><div id="hook_Block_OAuth2Login">
<form method="post" action="{action}"><input name="fr.posted" type="hidden" value="set">
<input name="fr.email" type="text"><input name="fr.password" type="password">
<input value="Войти" type="submit"></form></div></body></html>"""


@pytest.fixture
def collector() -> Iterator[Site]:
    """A foreign site that must never receive anything."""
    with Site({"/steal": lambda r: html_reply("thanks")}) as site:
        yield site


def mailru_session(base_url: str) -> mr.ImplicitServerSession:
    return mr.ImplicitServerSession(423004, "5e" * 16, "ivan@mail.ru", PASSWORD,
                                    base_url=base_url)


def test_mailru_form_posting_to_a_foreign_origin_is_refused(collector: Site) -> None:
    page = FOREIGN_LOGIN.format(action=f"{collector.url}/steal")
    with Site({"/oauth/authorize": lambda r: html_reply(page)}) as platform:
        session = mailru_session(platform.url)
        with pytest.raises(mr.UntrustedFormError) as caught:
            session.authorize()
        assert platform.paths() == ["GET /oauth/authorize"]
    assert collector.requests == []
    error = caught.value
    assert isinstance(error, mr.UnexpectedPageError)
    assert collector.url in str(error)
    assert PASSWORD not in str(error)
    assert error.url.startswith(platform.url)


def test_ok_form_posting_to_a_foreign_origin_is_refused(collector: Site) -> None:
    page = FOREIGN_OK_LOGIN.format(action=f"{collector.url}/steal")
    with Site({"/oauth/authorize": lambda r: html_reply(page)}) as platform:
        session = ok.ImplicitClientSession(123456, "KEY", "ivan", PASSWORD,
                                           base_url=platform.url)
        with pytest.raises(ok.UntrustedFormError):
            session.authorize()
    assert collector.requests == []


def test_same_host_other_port_is_another_origin(collector: Site) -> None:
    # collector and platform are both on 127.0.0.1: only the port differs.
    page = FOREIGN_LOGIN.format(action=f"{collector.url}/cgi-bin/auth")
    with (
        Site({"/oauth/authorize": lambda r: html_reply(page)}) as platform,
        pytest.raises(mr.UntrustedFormError),
    ):
        mailru_session(platform.url).authorize()
    assert collector.requests == []


def test_post_redirected_with_its_body_to_a_foreign_origin_is_refused(collector: Site) -> None:
    page = FOREIGN_LOGIN.format(action="/cgi-bin/auth")
    routes = {
        "/oauth/authorize": lambda r: html_reply(page),
        "/cgi-bin/auth": lambda r: redirect_reply(f"{collector.url}/steal", status=307),
    }
    with Site(routes) as platform:
        with pytest.raises(mr.UntrustedFormError):
            mailru_session(platform.url).authorize()
        assert platform.paths() == ["GET /oauth/authorize", "POST /cgi-bin/auth"]
    assert collector.requests == []


def test_redirect_loop_is_bounded() -> None:
    def loop(request: SiteRequest) -> Reply:
        return redirect_reply("/oauth/authorize?again=1")

    with Site({"/oauth/authorize": loop}) as platform:
        with pytest.raises(mr.UnexpectedPageError, match="redirects"):
            mailru_session(platform.url).authorize()
        assert 1 < len(platform.requests) <= 11


def test_unrecognised_page_names_url_and_snippet() -> None:
    page = "<html><title>Технические работы</title><p>Сервис временно недоступен</p></html>"
    with (
        Site({"/oauth/authorize": lambda r: html_reply(page)}) as platform,
        pytest.raises(mr.UnexpectedPageError) as caught,
    ):
        mailru_session(platform.url).authorize()
    assert "Технические работы" in caught.value.snippet
    assert caught.value.url.startswith(f"{platform.url}/oauth/authorize")


def test_redirect_to_another_scheme_is_not_followed() -> None:
    routes = {"/oauth/authorize": lambda r: redirect_reply("okauth://ok123#x=1")}
    with Site(routes) as platform, pytest.raises(mr.UnexpectedPageError, match="redirect URI"):
        mailru_session(platform.url).authorize()


def test_trusted_origins_are_the_real_hosts_without_base_url() -> None:
    mailru = mr.ImplicitServerSession(1, "5e" * 16, "a@mail.ru", "pw")
    from mailru_sync.mailru.implicit import _origins as mailru_origins
    from mailru_sync.ok.implicit import _origins as ok_origins

    assert mailru_origins(mailru) == {
        "https://connect.mail.ru", "https://auth.mail.ru", "https://appsmail.ru",
    }
    okay = ok.ImplicitClientSession(1, "KEY", "login", "pw")
    assert ok_origins(okay) == {"https://connect.ok.ru", "https://api.ok.ru"}
    moved = mr.ImplicitServerSession(1, "5e" * 16, "a@mail.ru", "pw",
                                     base_url="http://127.0.0.1:9/prefix")
    assert trusted_origins(moved, ["https://connect.mail.ru"]) == {"http://127.0.0.1:9"}
