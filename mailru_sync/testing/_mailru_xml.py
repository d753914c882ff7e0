"""Mail.ru ``format=xml``: the JSON result of a method rendered as the platform's XML.

Every official method page says "Формат ответа для json-выдачи (результат для xml аналогичен)",
i.e. the XML carries the same data as the JSON.  What is documented of the XML itself:

* the success root is ``response_<group>_<method>``: events.getNewCount answers
  ``<response_events_getNewCount><count>2</count></response_events_getNewCount>``
  (http://api.mail.ru/docs/reference/rest/events.getNewCount, "Пример ответа в формате XML");
* a list result repeats one element per item under that root: public client code that stores
  Mail.ru's users.getInfo XML (an SQL function ``ua.registerAccount``) reads it with
  ``openxml(..., '/*:response_users_getInfo/*:user')`` and the children ``uid``,
  ``first_name``, ``last_name``, ``email``;
* an error is ``<error><error_code>200</error_code><error_msg>…</error_msg></error>`` after an
  ``<?xml version="1.0" encoding="UTF-8"?>`` declaration ([rb-mailru-api]
  ``spec/mailru/api/request_spec.rb``; its ``handle_response`` checks that the root is named
  ``error`` and reads ``error_code`` / ``error_msg``).

**Uncertain** (no public example found): the element name of list items other than users
(:data:`ITEM_NAMES` below picks the singular of what the list holds), the element of nested lists
(:data:`NESTED_ITEM_NAMES`), and the content type -- ``text/xml; charset=utf-8`` is served, the
type XML clients (REXML, minidom, ``openxml``) accept without looking at it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from ._messages import EmulatorResponse

__all__ = ["XML_CONTENT_TYPE", "as_xml", "error_xml", "result_xml", "wants_xml"]

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
#: Characters XML 1.0 cannot carry at all (user text may contain them): dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: Element of each item of a top-level list result: (for objects, for plain values).
#: users.getInfo's ``user`` is documented (see the module doc); the others are uncertain.
ITEM_NAMES: dict[str, tuple[str, str]] = {
    "users.getInfo": ("user", "uid"),
    "friends.get": ("user", "uid"),
    "friends.getAppUsers": ("user", "uid"),
    "friends.getOnline": ("user", "uid"),
    "stream.get": ("event", "id"),
    "stream.getByAuthor": ("event", "id"),
    "guestbook.get": ("post", "id"),
    "photos.get": ("photo", "pid"),
    "photos.getAlbums": ("album", "aid"),
    "messages.getThreadsList": ("thread", "id"),
    "messages.getThread": ("message", "id"),
    "groups.get": ("group", "uid"),
}
#: Element of the items of a list nested under a key (``authors`` hold users.getInfo objects,
#: stream.get doc); any other key drops a trailing "s", else ``item`` (uncertain).
NESTED_ITEM_NAMES: dict[str, str] = {
    "authors": "user",
    "text_media": "object",
    "attachments": "object",
    "action_links": "link",
}


def wants_xml(params: Mapping[str, str]) -> bool:
    """``format=xml`` (any case) asks for XML; anything else, or nothing, means JSON."""
    return params.get("format", "").strip().lower() == "xml"


def root_name(method: str) -> str:
    """``events.getNewCount`` -> ``response_events_getNewCount``."""
    return "response_" + method.replace(".", "_")


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return escape(_NOT_XML.sub("", str(value)))


def _item_name(key: str) -> str:
    if key in NESTED_ITEM_NAMES:
        return NESTED_ITEM_NAMES[key]
    if len(key) > 1 and key.endswith("s"):
        return key[:-1]
    return "item"


def _element(name: str, value: object, out: list[str]) -> None:
    """Append ``<name>value</name>``; objects nest, lists repeat their item element."""
    out.append(f"<{name}>")
    _content(value, _item_name(name), _item_name(name), out)
    out.append(f"</{name}>")


def _content(value: object, object_item: str, value_item: str, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _element(str(key), child, out)
    elif isinstance(value, list | tuple):
        for child in value:
            name = object_item if isinstance(child, Mapping) else value_item
            _element(name, child, out)
    else:
        out.append(_scalar(value))


def result_xml(method: str, result: object) -> bytes:
    """The XML document of a successful call of ``method`` (the same data as the JSON)."""
    object_item, value_item = ITEM_NAMES.get(method, ("item", "item"))
    root = root_name(method)
    out = [_DECLARATION, f"<{root}>"]
    _content(result, object_item, value_item, out)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def error_xml(code: int, message: str) -> bytes:
    """The XML error envelope ([rb-mailru-api] request_spec.rb)."""
    return (
        f"{_DECLARATION}<error><error_code>{code}</error_code>"
        f"<error_msg>{_scalar(message)}</error_msg></error>"
    ).encode()


def as_xml(resp: EmulatorResponse, method: str) -> EmulatorResponse:
    """The XML form of a JSON API answer of ``method`` (status and headers kept).

    Rendering the finished JSON answer keeps one code path for every check and method: the
    ``{"error": {...}}`` envelope becomes the XML error, anything else the method's result.
    """
    try:
        body = json.loads(resp.body)
    except ValueError:  # not a JSON answer: leave it as it is
        return resp
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and set(error) == {"error_code", "error_msg"}:
        xml = error_xml(int(error["error_code"]), str(error["error_msg"]))
    else:
        xml = result_xml(method, body)
    return EmulatorResponse(
        status=resp.status, body=xml, content_type=XML_CONTENT_TYPE, headers=list(resp.headers)
    )
