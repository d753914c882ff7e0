"""HTML pages of the Mail.ru OAuth dialogs (protocol-notes §3.1).

The structure, form ids, field names and the visible Russian markers follow the dialog fixtures
that existing clients (aiomailru) parse, so a client written against the real pages can be driven
through the emulator unchanged.  Every interpolated value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ._mailru_world import DOMAINS

_PRIVILEGE_TEXT = {
    "photos": "Доступ к фотографиям",
    "guestbook": "Публикация записей в гостевой книге",
    "stream": "Публикация записей в ленте «Что нового»",
    "messages": "Отправка личных сообщений",
    "events": "Доступ к событиям",
}


def _page(title: str, body: str, *, header: str = "Мой Мир@Mail.Ru") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n"
        f'<div class="header"><span class="logo">{escape(header)}</span></div>\n'
        f'<div class="content">\n{body}\n</div>\n</body>\n</html>\n'
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def _permissions(app_title: str, privileges: Iterable[str]) -> str:
    items = (
        "".join(f"<li>{escape(_PRIVILEGE_TEXT.get(p, p))}</li>" for p in privileges)
        or "<li>Доступ к основной информации</li>"
    )
    return (
        f'<p class="app-request">{escape(app_title)} просит вас разрешить следующие действия:</p>\n'
        f'<ul class="permissions">{items}</ul>'
    )


def login_page(
    *,
    origin: str,
    app_title: str,
    privileges: Iterable[str],
    page: str,
    fail_page: str,
    failed: bool,
) -> str:
    """The login dialog (fixture auth_dialog.html): form ``login-form`` POSTs to /cgi-bin/auth."""
    options = "".join(
        f'<option value="{d}"{" selected" if d == "mail.ru" else ""}>@{d}</option>' for d in DOMAINS
    )
    error = '<div class="login-error">Неверное имя или пароль</div>\n' if failed else ""
    body = (
        "<h1>Необходим доступ к вашим данным</h1>\n"
        f"{_permissions(app_title, privileges)}\n{error}"
        f'<form id="login-form" method="post" action="{escape(origin)}/cgi-bin/auth"'
        ' class="login-form">\n'
        f"{_hidden('Page', page)}\n{_hidden('FailPage', fail_page)}\n"
        '<label>Почта <input type="text" name="Login" value=""></label>\n'
        f'<select name="Domain">{options}</select>\n'
        '<label>Пароль <input type="password" name="Password" value=""></label>\n'
        '<button type="submit" class="login-button">Войти и разрешить</button>\n'
        "</form>"
    )
    return _page("Mail.Ru — Вход", body)


def access_page(
    *,
    origin: str,
    app_title: str,
    user_name: str,
    privileges: Iterable[str],
    fields: dict[str, str],
    deny_url: str,
) -> str:
    """The consent dialog (fixture access_dialog.html): form ``login`` POSTs to authorize."""
    hidden = "\n".join(_hidden(k, v) for k, v in fields.items())
    body = (
        f'<div class="user">{escape(user_name)} • <a href="{escape(origin)}/cgi-bin/logout">'
        "Выйти</a></div>\n"
        "<h1>Необходим доступ к вашим данным</h1>\n"
        f"{_permissions(app_title, privileges)}\n"
        f'<form id="login" method="post" action="{escape(origin)}/oauth/authorize">\n'
        f"{hidden}\n"
        '<button type="submit" id="accept" name="agree" value="1">Я согласен, разрешить</button>\n'
        f'<a href="{escape(deny_url)}" class="deny">Не согласен, закрыть</a>\n'
        "</form>"
    )
    return _page("Mail.Ru — Запрос доступа", body)


def access_denied_page() -> str:
    """The app is in development and the user is not a tester (fixture access_denied.html)."""
    body = (
        "<h1>Авторизация запрещена</h1>\n"
        "<p>Приложение находится в разработке, поэтому авторизация не доступна.</p>\n"
        '<button type="button" onclick="window.close()">Закрыть</button>'
    )
    return _page("Mail.Ru — Авторизация запрещена", body)


def error_page(title: str, message: str) -> str:
    """A generic OAuth error page (unknown app, bad redirect_uri, bad request)."""
    return _page(f"Mail.Ru — {title}", f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>")


def unknown_app_page() -> str:
    return error_page("Ошибка", "Не указано приложение или оно не существует.")


def recovery_page(email: str) -> str:
    body = (
        "<h1>Восстановление доступа</h1>\n"
        f"<p>Ваш аккаунт {escape(email)} заблокирован. "
        "Для восстановления доступа пройдите проверку.</p>"
    )
    return _page("Mail.Ru — Восстановление доступа", body)


def success_page() -> str:
    """The redirect target of standalone apps: the token is in the address bar fragment."""
    body = (
        "<h1>Авторизация прошла успешно</h1>\n"
        "<p>Окно можно закрыть.</p>\n"
        "<script>/* the application reads the token from location.hash */</script>"
    )
    return _page("Mail.Ru — Успешная авторизация", body)


def not_found_page() -> str:
    return error_page("Страница не найдена", "Запрошенная страница не существует.")
