"""Issue 11 items 5 and 6: moving from aiomailru/aiookru 0.1.1 is "drop await" for positional
callers too, and shifted arguments are refused without echoing what may be a password."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync import ConfigurationError

PK, SK, TOKEN, UID = "0a" * 16, "5e" * 16, "be6ef89965d58e56dec21acb9b62bdaa", "7"
OK_KEY, OK_SECRET, OK_SSK = "CBAFOFNEBBABABABA", "AB" * 16, "cd" * 16
EMAIL, PASSWORD = "ivan@mail.ru", "Pa55word-that-must-not-leak"
COOKIES = [{"name": "Mpop", "value": "abc", "domain": ".mail.ru", "path": "/"}]

#: Every class with its documented arguments, then the upstream positional tail.
MAILRU_SHAPES: list[tuple[type[Any], tuple[Any, ...], tuple[Any, ...]]] = [
    (mr.TokenSession, (1, PK, SK, TOKEN, UID), (COOKIES, True, None)),
    (mr.ClientSession, (1, PK, TOKEN, UID), (COOKIES, True, None)),
    (mr.ServerSession, (1, SK, TOKEN), (COOKIES, True, None)),
    (mr.CodeSession, (1, PK, SK, "code-123", "https://site/cb"), (True, None)),
    (mr.CodeClientSession, (1, PK, "code-123", "https://site/cb"), (True, None)),
    (mr.CodeServerSession, (1, SK, "code-123", "https://site/cb"), (True, None)),
    (mr.ImplicitSession, (1, PK, SK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.ImplicitClientSession, (1, PK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.ImplicitServerSession, (1, SK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.PasswordSession, (1, PK, SK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.PasswordClientSession, (1, PK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.PasswordServerSession, (1, SK, EMAIL, PASSWORD, "stream"), (True, None)),
    (mr.RefreshSession, (1, PK, SK, "refresh-123"), (True, None)),
    (mr.RefreshClientSession, (1, PK, "refresh-123"), (True, None)),
    (mr.RefreshServerSession, (1, SK, "refresh-123"), (True, None)),
]
OK_SHAPES: list[tuple[type[Any], tuple[Any, ...], tuple[Any, ...]]] = [
    (ok.TokenSession, (1, OK_KEY, OK_SECRET, TOKEN, OK_SSK), ("json", True, None)),
    (ok.ClientSession, (1, OK_KEY, TOKEN, OK_SSK), ("json", True, None)),
    (ok.ServerSession, (1, OK_KEY, OK_SECRET, TOKEN), ("json", True, None)),
    (ok.CodeSession, (1, OK_KEY, OK_SECRET, "code-123", "https://site/cb"), ("json", True, None)),
    (ok.ImplicitSession, (1, OK_KEY, OK_SECRET, "ivan", PASSWORD, "VALUABLE_ACCESS",
                          "https://site/cb", "st"), ("json", True, None)),
    (ok.ImplicitClientSession, (1, OK_KEY, "ivan", PASSWORD, "VALUABLE_ACCESS",
                                "https://site/cb", "st"), ("json", True, None)),
    (ok.PasswordSession, (1, OK_KEY, OK_SECRET, "ivan", PASSWORD), ("json", True, None)),
    (ok.PasswordClientSession, (1, OK_KEY, "ivan", PASSWORD), ("json", True, None)),
    (ok.RefreshSession, (1, OK_KEY, OK_SECRET, "refresh-123"), ("json", True, None)),
]
SHAPES = MAILRU_SHAPES + OK_SHAPES


def _shape_id(value: object) -> str:
    if isinstance(value, type):
        return value.__name__
    return str(len(value)) if isinstance(value, tuple) else ""


def _prefixes(tail: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [tail[:n] for n in range(len(tail) + 1)]


@pytest.mark.parametrize(
    ("cls", "args", "tail"),
    [(cls, args, t) for cls, args, tail in SHAPES for t in _prefixes(tail)],
    ids=_shape_id,
)
def test_every_upstream_positional_shape_is_accepted(
    cls: type[Any], args: tuple[Any, ...], tail: tuple[Any, ...]
) -> None:
    session = cls(*args, *tail)
    n = len(tail)
    is_ok = cls.__module__.startswith("mailru_sync.ok")
    token_classes = (mr.TokenSession, mr.ClientSession, mr.ServerSession)
    pass_error_at = 1 if is_ok or cls in token_classes else 0
    if n > pass_error_at:
        assert session.pass_error is True
    if n > 0 and not is_ok and pass_error_at == 1:
        assert session.cookies.get("Mpop", domain=".mail.ru") == "abc"


def test_the_count_of_accepted_shapes() -> None:
    # 24 classes, each with its documented arguments alone and with every prefix of the tail.
    assert sum(len(_prefixes(tail)) for _, _, tail in SHAPES) == 84


def test_session_shares_connection_pools() -> None:
    first = mr.TokenSession(1, PK, SK, TOKEN, UID)
    second = mr.TokenSession(1, PK, SK, TOKEN, UID, (), False, first)
    assert second.get_adapter("https://appsmail.ru/") is first.get_adapter("https://appsmail.ru/")
    plain = requests.Session()
    third = ok.TokenSession(1, OK_KEY, OK_SECRET, TOKEN, OK_SSK, "json", False, plain)
    assert third.get_adapter("https://api.ok.ru/") is plain.get_adapter("https://api.ok.ru/")
    with pytest.raises(ConfigurationError, match=r"requests\.Session"):
        mr.TokenSession(1, PK, SK, TOKEN, UID, (), False, "not a session")


def test_only_json_format() -> None:
    with pytest.raises(ConfigurationError, match="format='xml' is not supported"):
        ok.TokenSession(1, OK_KEY, OK_SECRET, TOKEN, OK_SSK, "xml")


def test_mailru_implicit_redirect_uri_is_keyword_only_now() -> None:
    session = mr.ImplicitSession(1, PK, SK, EMAIL, PASSWORD, "stream", True,
                                 redirect_uri="https://site/cb")
    assert session.pass_error and session.redirect_uri == "https://site/cb"


@pytest.mark.parametrize(
    "factory",
    [
        # The Client order given to the 3-key class: the e-mail lands on secret_key.
        lambda: mr.ImplicitSession(1, PK, EMAIL, PASSWORD, "stream"),
        lambda: mr.PasswordSession(1, PK, EMAIL, PASSWORD, "stream"),
        lambda: mr.TokenSession(1, PK, EMAIL, PASSWORD, UID),
        lambda: mr.ClientSession(1, PASSWORD, TOKEN, UID),
        lambda: mr.ImplicitClientSession(1, PK, PASSWORD, EMAIL),
        lambda: mr.TokenSession(PASSWORD, PK, SK, TOKEN, UID),
        lambda: ok.ImplicitSession(1, OK_KEY, "ivan@ok.ru", PASSWORD, "VALUABLE_ACCESS"),
    ],
)
def test_shifted_arguments_are_refused_without_echoing_them(factory: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        factory()
    text = str(info.value)
    assert PASSWORD not in text and EMAIL not in text and "ivan@ok.ru" not in text
    assert "shifted" in text or "e-mail" in text


@pytest.mark.parametrize("key", ["0a" * 15, "0a" * 17, "zz" * 16, " " + "0a" * 16])
def test_mailru_keys_are_32_hex_characters(key: str) -> None:
    with pytest.raises(ConfigurationError):
        mr.ClientSession(1, key, TOKEN, UID)
