"""HTML pages of the emulated OK.ru OAuth dialogs.

The structure, form fields and visible markers follow the dialogs real clients were written
against (protocol-notes §3.2): ``hook_Block_OAuth2Login`` with a relative POST form carrying
``fr.posted``, ``fr.email``, ``fr.password``, ``fr.remember`` and a "Войти" submit input, and
``hook_Block_OAuth2Permissions`` with hidden ``fr.posted`` / ``fr.token``, a
``button_accept_request`` button and a cancel link to ``<redirect_uri>#error=access_denied``.
A client that scrapes the real pages therefore works against these unchanged.
"""

from __future__ import annotations

from html import escape

_HEAD = """<!DOCTYPE html>
<html class="">
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
    <meta name="viewport" content="width=device-width,initial-scale=1">
    <title>{title}</title>
</head>
<body>
"""

_TAIL = """</body>
</html>
"""


def _page(title: str, body: str) -> str:
    return _HEAD.format(title=escape(title)) + body + _TAIL


def login_page(action: str, *, error: str | None = None, login: str = "") -> str:
    """The OAuth2Login block; ``action`` is the relative form target (unescaped)."""
    error_html = (
        f'            <div class="input-e" id="login-error">{escape(error)}</div>\n'
        if error
        else ""
    )
    body = f"""<div id="hook_Block_OAuth2Login" class="hookBlock">
    <form method="post" action="{escape(action)}">
        <div class="ext-widget __no-footer" id="widget-el">
            <div class="ext-widget_h"><div class="ext-widget_h_tx">Одноклассники</div></div>
            <div class="widget-oauth">
            <input name="fr.posted" type="hidden" value="set">
{error_html}            <div class="form_i">
                <label for="field_email">Логин, адрес почты или телефон</label>
                <input tabindex="1" name="fr.email" id="field_email" type="text"
                    value="{escape(login)}">
            </div>
            <div class="form_i">
                <label for="field_password">пароль</label>
                <a href="/dk?st.cmd=anonymRecoveryStart" target="_blank">Забыли пароль?</a>
                <input tabindex="2" name="fr.password" id="field_password" type="password">
            </div>
            <div class="form_i">
                <label><input name="fr.remember" checked="checked" id="field_remember"
                    type="checkbox" value="on">запомнить меня</label>
            </div>
            <div class="form-actions">
                <input value="Войти" tabindex="3" type="submit" class="button-pro form-actions_yes">
                <a href="/dk?st.cmd=anonymRegistrationEnterPhone"
                    target="_blank">Зарегистрироваться</a>
            </div>
            </div>
        </div>
    </form>
</div>
"""
    return _page("Одноклассники", body)


def permissions_page(
    action: str,
    *,
    fr_token: str,
    app_name: str,
    user_name: str,
    scopes: list[str],
    cancel_href: str,
    switch_href: str,
) -> str:
    """The OAuth2Permissions block: accept button, cancel link, switch-account link."""
    items = "".join(f"                <li>{escape(scope)}</li>\n" for scope in scopes)
    body = f"""<div id="hook_Block_OAuth2Permissions" class="hookBlock">
    <form method="POST" action="{escape(action)}">
        <input name="fr.posted" type="hidden" value="set"><input
            name="fr.token" type="hidden" value="{escape(fr_token)}">
        <div class="ext-widget" id="widget-el">
            <div class="ext-widget_h">
                <span class="ext-widget_menu_t">{escape(user_name)}</span>
                <a href="{escape(switch_href)}" class="button-pro __sec __small">сменить</a>
            </div>
            <div class="ext-widget-app-card_title">
                Приложение <span class="ext-widget-app-card_name">{escape(app_name)}</span>
                запрашивает доступ к вашему аккаунту
            </div>
            <ul class="widget-oauth-permissions_list">
{items}            </ul>
            <div class="ext-widget_f">
                <button name="button_accept_request" class="button-pro form-actions_yes">Войти
                </button>
                <a href="{escape(cancel_href)}" class="button-pro __sec ml-2x">Отменить</a>
            </div>
        </div>
    </form>
</div>
"""
    return _page("Одноклассники", body)


def blocked_page() -> str:
    return _page(
        "Одноклассники",
        '<div id="hook_Block_UserBlocked"><h1>Профиль заблокирован</h1>\n'
        "<p>Ваш профиль заблокирован за нарушение правил сайта.</p></div>\n",
    )


def blank_page() -> str:
    """The redirect target of standalone apps; the result travels in the URL fragment."""
    return _page("OK", "<p>OK</p>\n")


def error_page(title: str, text: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1>\n<p>{escape(text)}</p>\n")
