"""The HTML form parser reads dialogs the way a browser would (unit tests on tricky HTML)."""

from __future__ import annotations

from mailru_sync._forms import Form, page_text, parse_forms

PAGE = "https://connect.mail.ru/oauth/authorize?client_id=1&response_type=token#frag"


def only_form(html: str, url: str = PAGE) -> Form:
    forms = parse_forms(html, url)
    assert len(forms) == 1, forms
    return forms[0]


def test_attribute_order_and_case_do_not_matter() -> None:
    form = only_form(
        '<FORM Action="/cgi-bin/auth" METHOD="Post" ID="login-form">'
        '<INPUT VALUE="x" NAME="Page" TYPE="HIDDEN">'
        '<input name=Login type=TEXT>'
        "<Input Type='password' Name='Password'>"
        "</FORM>"
    )
    assert form.method == "POST"
    assert form.id == "login-form"
    assert form.action == "https://connect.mail.ru/cgi-bin/auth"
    assert form.fields == {"Page": "x", "Login": "", "Password": ""}
    assert form.types == {"Page": "hidden", "Login": "text", "Password": "password"}
    assert form.field_of_type("password") == "Password"


def test_entities_are_decoded_in_actions_and_values() -> None:
    form = only_form(
        '<form method="post" action="/dk?cmd=OAuth2Login&amp;st.cmd=OAuth2Login&amp;x=%2F">'
        '<input type="hidden" name="Page" value="https://a.ru/?a=1&amp;b=&quot;2&quot;&#x27;">'
        '<input type="hidden" name="t" value="caf&eacute; &#1055;">'
        "</form>",
        "https://connect.ok.ru/oauth/authorize?x=1",
    )
    assert form.action == "https://connect.ok.ru/dk?cmd=OAuth2Login&st.cmd=OAuth2Login&x=%2F"
    assert form.fields["Page"] == "https://a.ru/?a=1&b=\"2\"'"
    assert form.fields["t"] == "café П"


def test_relative_actions_resolve_against_the_page_url() -> None:
    base = "http://127.0.0.1:8080/oauth/authorize?client_id=1"
    assert only_form('<form action="token">', base).action == "http://127.0.0.1:8080/oauth/token"
    assert only_form('<form action="../x">', base).action == "http://127.0.0.1:8080/x"
    assert only_form('<form action="//evil.example/p">', base).action == "http://evil.example/p"
    assert only_form('<form action="?a=b">', base).action == (
        "http://127.0.0.1:8080/oauth/authorize?a=b"
    )


def test_missing_or_empty_action_means_the_page_itself_without_fragment() -> None:
    assert only_form("<form method=post></form>").action == PAGE.split("#")[0]
    assert only_form('<form action="  " method=post>').action == PAGE.split("#")[0]


def test_base_href_changes_resolution_only_the_first_counts() -> None:
    form = only_form(
        '<head><base href="https://auth.mail.ru/cgi-bin/"><base href="https://x.ru/"></head>'
        '<form action="auth" method="post"></form>'
    )
    assert form.action == "https://auth.mail.ru/cgi-bin/auth"


def test_method_defaults_to_get_and_unknown_methods_behave_as_get() -> None:
    assert only_form("<form action=/a>").method == "GET"
    assert only_form("<form action=/a method=dialog>").method == "GET"
    assert only_form("<form action=/a method=PoSt>").method == "POST"


def test_unknown_hidden_fields_are_kept_in_document_order() -> None:
    form = only_form(
        '<form method="post" action="/oauth/authorize">'
        '<input type="hidden" name="sig" value="abc">'
        '<div><p><input type="hidden" name="extra_new_field" value="42"></p></div>'
        '<input type="hidden" name="state" value="">'
        "</form>"
    )
    assert list(form.fields) == ["sig", "extra_new_field", "state"]
    assert form.fields["extra_new_field"] == "42"


def test_select_default_is_selected_option_else_first_enabled() -> None:
    form = only_form(
        '<form method=post action=/a>'
        '<select name="Domain">'
        '<option value="mail.ru">@mail.ru<option value="inbox.ru" selected>@inbox.ru'
        '<option value="bk.ru">@bk.ru</select>'
        '<select name="first"><option disabled value="no">no</option>'
        '<option value="yes">yes</option></select>'
        '<select name="text"><option>  Some\n  text </option></select>'
        '<select name="empty"></select>'
        "</form>"
    )
    assert form.fields["Domain"] == "inbox.ru"
    assert form.options["Domain"] == ["mail.ru", "inbox.ru", "bk.ru"]
    assert form.fields["first"] == "yes"
    assert form.fields["text"] == "Some text"
    assert "empty" not in form.fields
    assert form.types["empty"] == "select"


def test_inputs_without_value_and_checkboxes() -> None:
    form = only_form(
        '<form method=post action=/a>'
        '<input name="fr.email" type="text">'
        '<input name="noval">'
        '<input name="fr.remember" type="checkbox" checked>'
        '<input name="unchecked" type="checkbox" value="on">'
        '<input name="radio" type="radio" value="b" checked="checked">'
        '<input name="dis" value="x" disabled>'
        '<input value="no name">'
        '<input type="file" name="upload">'
        "</form>"
    )
    assert form.fields == {"fr.email": "", "noval": "", "fr.remember": "on", "radio": "b"}


def test_buttons_are_listed_apart_from_fields() -> None:
    form = only_form(
        '<form method="post" action="/oauth/authorize">'
        '<input type="hidden" name="client_id" value="1">'
        '<button type="submit" id="accept" name="agree" value="1">Я согласен</button>'
        '<button name="button_accept_request">Войти\n</button>'
        '<button type="button" name="noop">x</button>'
        '<input type="submit" value="Войти">'
        '<input type="submit" name="go" value="Go">'
        "</form>"
    )
    assert form.fields == {"client_id": "1"}
    assert form.buttons == [("agree", "1"), ("button_accept_request", ""), ("go", "Go")]
    assert form.button("button_accept_request") == ("button_accept_request", "")
    assert form.button("missing") is None


def test_textarea_content_and_scripts_are_not_forms() -> None:
    forms = parse_forms(
        "<script>var s = '<form action=/evil method=post><input name=x></form>';</script>"
        '<form method=post action=/a><textarea name="t">\nline &amp; more</textarea></form>'
        "<!-- <form action=/commented></form> -->",
        PAGE,
    )
    assert len(forms) == 1
    assert forms[0].fields == {"t": "line & more"}


def test_several_forms_nested_form_tags_and_unclosed_form() -> None:
    forms = parse_forms(
        '<form id="one" action="/1" method="post"><input name="a" value="1">'
        '<form id="inner" action="/inner"><input name="b" value="2"></form>'
        '<input name="c" value="3">'
        '<form id="two" action="/2"><input name="d" value="4">',
        PAGE,
    )
    assert [f.id for f in forms] == ["one", "two"]
    # The inner <form> start tag is ignored (as browsers do); its </form> closes "one".
    assert forms[0].fields == {"a": "1", "b": "2"}
    assert forms[1].fields == {"d": "4"}


def test_controls_outside_a_form_attach_with_the_form_attribute() -> None:
    forms = parse_forms(
        '<input name="before" form="f" value="0">'
        '<form id="f" action="/f" method="post"></form>'
        '<input name="outside" value="1">'
        '<input name="owned" form="f" value="2">'
        '<button name="go" form="f" value="g">go</button>',
        PAGE,
    )
    assert forms[0].fields == {"owned": "2", "before": "0"}
    assert forms[0].buttons == [("go", "g")]


def test_duplicate_attributes_first_wins_and_duplicate_names_first_value() -> None:
    form = only_form(
        '<form method=post action="/first" action="/second">'
        '<input name="a" value="1" value="2"><input name="a" value="3"></form>'
    )
    assert form.action.endswith("/first")
    assert form.fields == {"a": "1"}


def test_self_closing_tags_and_broken_markup() -> None:
    form = only_form(
        '<form method="post" action="/a"/>'
        '<input type="hidden" name="x" value="1"/>'
        '<input type="hidden" name="y" value="2" <p>'
        "<div class=unclosed><input name=z value=3>"
    )
    # Browsers treat "/>" on <form> as ">": the form stays open and owns what follows.
    assert form.action.endswith("/a")
    assert form.fields == {"x": "1", "y": "2", "z": "3"}


def test_page_text_skips_scripts_and_collapses_whitespace() -> None:
    text = page_text(
        "<html><head><title> Mail.Ru —\n Вход </title><style>p{}</style></head>"
        "<body><h1>Авторизация&nbsp;запрещена</h1><script>alert('Не указано')</script>"
        "<p>Приложение   находится\nв разработке</p></body></html>"
    )
    assert text.title == "Mail.Ru — Вход"
    assert "Не указано" not in text.text
    # &nbsp; counts as whitespace, so markers match however the page spaces them.
    assert text.text == "Авторизация запрещена Приложение находится в разработке"


def test_fixture_shaped_mailru_login_dialog() -> None:
    html = """
    <form id="login-form" method="post" action="https://auth.mail.ru/cgi-bin/auth"
          class="login-form">
      <input type="hidden" name="Page" value="https://connect.mail.ru/oauth/authorize?needed_permissions=576&amp;response_type=token&amp;client_id=123456&amp;login=1">
      <input type="hidden" name="FailPage" value="https://connect.mail.ru/oauth/authorize?client_id=123456&amp;fail=1">
      <select name="Domain"><option value="mail.ru">@mail.ru</option>
        <option value="inbox.ru">@inbox.ru</option></select>
      <input type="text" name="Login"><input type="password" name="Password">
      <button type="submit">Войти и разрешить</button>
    </form>"""
    form = only_form(html)
    assert form.action == "https://auth.mail.ru/cgi-bin/auth"
    assert form.fields["Page"].endswith("client_id=123456&login=1")
    assert form.fields["Domain"] == "mail.ru"
    assert form.has_fields("Login", "Password", "Domain", "Page", "FailPage")
    assert form.buttons == []
