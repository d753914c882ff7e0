"""HTML forms and page text, parsed with the standard library's ``html.parser``.

Why our own parser: the implicit flow must read the platforms' login and consent dialogs the way
a browser would, and runtime dependencies are limited to requests and urllib3. Browsers are
forgiving, so this is too: attribute order and case do not matter, entities are decoded, a
relative ``action`` is resolved against the page URL (or ``<base href>``), a missing ``action``
means the page itself, hidden fields the client does not know are kept and sent back, a
``<select>`` contributes its default option, and an ``<input>`` without ``value`` contributes
``''`` (a checkbox ``'on'``). Only "successful controls" (HTML §4.10.21.4) become fields:
disabled controls, unchecked boxes and unnamed controls are left out; submit buttons are
listed separately because only the one that is clicked is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

__all__ = ["Form", "PageText", "page_text", "parse_forms"]

#: ``<input type=...>`` values that are buttons, not data.
_BUTTON_INPUTS = frozenset({"submit", "image", "reset", "button"})
#: Elements whose content is not visible text.
_INVISIBLE = frozenset({"script", "style", "template", "noscript"})


@dataclass
class Form:
    """One ``<form>``: where it posts and the fields a browser would send.

    ``fields`` keeps document order; a repeated name keeps its first value (the platforms'
    dialogs never repeat names, and a dict is what the flows fill in). ``types`` maps each
    field name to its control type (``"hidden"``, ``"password"``, ``"select"`` ...), and
    ``options`` each ``<select>`` name to its option values. ``buttons`` lists the named submit
    buttons as ``(name, value)``; the caller picks the one to "click".
    """

    action: str
    method: str = "GET"
    id: str = ""
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def has_fields(self, *names: str) -> bool:
        """Whether every one of ``names`` is a control of this form."""
        return all(name in self.types for name in names)

    def field_of_type(self, control_type: str) -> str | None:
        """Name of the first control of this type (e.g. ``"password"``), if any."""
        for name, kind in self.types.items():
            if kind == control_type:
                return name
        return None

    def button(self, name: str) -> tuple[str, str] | None:
        """The named submit button ``(name, value)``, if the form has it."""
        for button in self.buttons:
            if button[0] == name:
                return button
        return None


def _attrs(pairs: list[tuple[str, str | None]]) -> dict[str, str | None]:
    """Attributes as a dict; like browsers, the first of duplicated attributes wins."""
    result: dict[str, str | None] = {}
    for name, value in pairs:
        result.setdefault(name.lower(), value)
    return result


def _text(value: str | None) -> str:
    return "" if value is None else value


@dataclass
class _Select:
    name: str
    form: Form | None
    disabled: bool
    options: list[tuple[str, bool, bool]] = field(default_factory=list)  # value, selected, disabled
    pending: dict[str, str | None] | None = None
    pending_text: list[str] = field(default_factory=list)


class _LinearParser(HTMLParser):
    """``HTMLParser`` whose ``close()`` stays linear on a page cut off inside a tag.

    Why: fed a page, the parser stops at an unterminated construct (``<a <a <a ...`` or an
    attribute quote never closed) and keeps the rest buffered; ``close()`` then re-scans that
    rest once per ``<``, quadratic time: 33 KB took 13 s, 66 KB about a minute. A tag, comment
    or declaration cut off by the end of the page is dropped, as the HTML standard's tokenizer
    drops it at end-of-file, so ``close()`` has nothing pathological left to scan.
    """

    def close(self) -> None:
        if self.rawdata.startswith("<"):
            self.rawdata = ""
        super().close()


class _FormParser(_LinearParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = urldefrag(page_url)[0]
        self.page_url = self.base
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._orphans: list[tuple[str, str, str, str]] = []  # form id, name, type, value
        self._orphan_buttons: list[tuple[str, str, str]] = []  # form id, name, value
        self._current: Form | None = None
        self._select: _Select | None = None
        self._textarea: tuple[Form | None, str, str, list[str]] | None = None
        self._base_seen = False

    # --- ownership ----------------------------------------------------------------------------

    def _owner(self, attrs: dict[str, str | None]) -> Form | str | None:
        """The form a control belongs to: its ``form="id"`` attribute, else the open form."""
        form_id = attrs.get("form")
        if form_id:
            return self._by_id.get(form_id, form_id)
        return self._current

    def _add(self, attrs: dict[str, str | None], name: str, kind: str, value: str) -> None:
        owner = self._owner(attrs)
        if isinstance(owner, str):
            self._orphans.append((owner, name, kind, value))
        elif owner is not None:
            owner.types.setdefault(name, kind)
            owner.fields.setdefault(name, value)

    def _add_button(self, attrs: dict[str, str | None], name: str, value: str) -> None:
        owner = self._owner(attrs)
        if isinstance(owner, str):
            self._orphan_buttons.append((owner, name, value))
        elif owner is not None:
            owner.buttons.append((name, value))

    # --- parser callbacks ---------------------------------------------------------------------

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = _attrs(attr_list)
        if tag == "base" and not self._base_seen and attrs.get("href"):
            # Only the first <base href> counts (HTML spec).
            self._base_seen = True
            self.base = urldefrag(urljoin(self.page_url, _text(attrs["href"]).strip()))[0]
        elif tag == "form":
            if self._current is None:  # nested <form> tags are ignored, as browsers do
                self._open_form(attrs)
        elif tag == "input":
            self._input(attrs)
        elif tag == "button":
            self._button(attrs)
        elif tag == "select":
            self._open_select(attrs)
        elif tag == "option":
            self._open_option(attrs)
        elif tag == "textarea":
            name = _text(attrs.get("name"))
            owner = self._owner(attrs)
            form = owner if isinstance(owner, Form) else None
            if name and "disabled" not in attrs and form is not None:
                self._textarea = (form, name, "textarea", [])

    def handle_startendtag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        # Browsers ignore "/>" on non-void elements (``<form/>`` opens a form), so unlike
        # HTMLParser's default no end tag is implied.
        self.handle_starttag(tag, attr_list)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_select()
        elif tag == "textarea" and self._textarea is not None:
            form, name, kind, parts = self._textarea
            self._textarea = None
            if form is not None:
                form.types.setdefault(name, kind)
                form.fields.setdefault(name, "".join(parts).removeprefix("\n"))

    def handle_data(self, data: str) -> None:
        if self._select is not None and self._select.pending is not None:
            self._select.pending_text.append(data)
        elif self._textarea is not None:
            self._textarea[3].append(data)

    def close(self) -> None:
        super().close()
        self._close_select()
        for form_id, name, kind, value in self._orphans:
            form = self._by_id.get(form_id)
            if form is not None:
                form.types.setdefault(name, kind)
                form.fields.setdefault(name, value)
        for form_id, name, value in self._orphan_buttons:
            form = self._by_id.get(form_id)
            if form is not None:
                form.buttons.append((name, value))

    # --- elements -----------------------------------------------------------------------------

    def _open_form(self, attrs: dict[str, str | None]) -> None:
        method = _text(attrs.get("method")).strip().upper() or "GET"
        if method not in ("GET", "POST"):
            method = "GET"  # "dialog" and unknown values behave as GET in browsers
        action = _text(attrs.get("action")).strip()
        # An empty or missing action submits to the document itself.
        resolved = urldefrag(urljoin(self.base, action))[0] if action else self.page_url
        form = Form(
            action=resolved,
            method=method,
            id=_text(attrs.get("id")),
            name=_text(attrs.get("name")),
        )
        self.forms.append(form)
        if form.id:
            self._by_id.setdefault(form.id, form)
        self._current = form

    def _input(self, attrs: dict[str, str | None]) -> None:
        name = _text(attrs.get("name"))
        kind = _text(attrs.get("type")).strip().lower() or "text"
        if not name or "disabled" in attrs:
            return
        value = attrs.get("value")
        if kind in _BUTTON_INPUTS:
            if kind in ("submit", "image"):
                self._add_button(attrs, name, _text(value))
            return
        if kind == "file":
            return
        if kind in ("checkbox", "radio"):
            if "checked" not in attrs:
                return
            # A checked box without a value submits "on" (HTML spec).
            self._add(attrs, name, kind, "on" if value is None else value)
            return
        self._add(attrs, name, kind, _text(value))

    def _button(self, attrs: dict[str, str | None]) -> None:
        kind = _text(attrs.get("type")).strip().lower() or "submit"
        name = _text(attrs.get("name"))
        if kind == "submit" and name and "disabled" not in attrs:
            self._add_button(attrs, name, _text(attrs.get("value")))

    def _open_select(self, attrs: dict[str, str | None]) -> None:
        self._close_select()
        owner = self._owner(attrs)
        self._select = _Select(
            name=_text(attrs.get("name")),
            form=owner if isinstance(owner, Form) else None,
            disabled="disabled" in attrs,
        )

    def _open_option(self, attrs: dict[str, str | None]) -> None:
        if self._select is None:
            return
        self._close_option()
        self._select.pending = attrs
        self._select.pending_text = []

    def _close_option(self) -> None:
        select = self._select
        if select is None or select.pending is None:
            return
        attrs = select.pending
        value = attrs.get("value")
        if value is None:  # an option without value submits its text, whitespace collapsed
            value = " ".join("".join(select.pending_text).split())
        select.options.append((value, "selected" in attrs, "disabled" in attrs))
        select.pending = None
        select.pending_text = []

    def _close_select(self) -> None:
        select = self._select
        if select is None:
            return
        self._close_option()
        self._select = None
        form = select.form
        if form is None or not select.name or select.disabled:
            return
        values = [value for value, _, _ in select.options]
        form.options.setdefault(select.name, values)
        form.types.setdefault(select.name, "select")
        chosen = [value for value, selected, _ in select.options if selected]
        enabled = [value for value, _, disabled in select.options if not disabled]
        # Default option: the (first) selected one, else the first enabled option.
        default = chosen[0] if chosen else (enabled[0] if enabled else None)
        if default is not None:
            form.fields.setdefault(select.name, default)


def parse_forms(html: str, page_url: str) -> list[Form]:
    """Every ``<form>`` of ``html``, with actions resolved against ``page_url``."""
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


@dataclass(frozen=True)
class PageText:
    """The visible text of a page (scripts and styles left out), whitespace collapsed."""

    title: str
    text: str


class _TextParser(_LinearParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.parts: list[str] = []
        self._hidden_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _INVISIBLE:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _INVISIBLE and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden_depth:
            self.parts.append(data)


def page_text(html: str) -> PageText:
    """Title and visible text of ``html``, for recognising pages by what they say."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return PageText(
        title=" ".join("".join(parser.title).split()),
        text=" ".join(" ".join(parser.parts).split()),
    )
