"""Issue 11 items 4, 17, 20 (and issue 8's notebook values): what is signed is what is sent,
every deliberate error is a ``mailru_sync.Error``, and every exception survives pickling."""

from __future__ import annotations

import enum
import inspect
import multiprocessing
import pickle
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

import mailru_sync
import mailru_sync.exceptions as exceptions
from mailru_sync import ConfigurationError, Error, ParameterError, TokenSession
from mailru_sync.signer import canonical_string, md5_hex, serialize_params

PK = "0badc0de" * 4
TOKEN = "deadbeef" * 4


def session(**options: Any) -> TokenSession:
    return TokenSession(423004, PK, "", TOKEN, "7", base_url="http://127.0.0.1:9", **options)


class Shouty(str):
    def __str__(self) -> str:
        return self.upper()

    def __format__(self, spec: str) -> str:
        return self.upper()


class Colour(str, enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (Shouty("abc"), "abc"),
        (Colour.RED, "red"),
        (np.float64(55.75), "55.75"),
        (np.int64(7), "7"),
        (np.bool_(True), "1"),
        (np.array([1, 2, 3]), "1,2,3"),
        ((x for x in ("a", "b")), "a,b"),
        (2.0, "2"),
        (Decimal("1.50"), "1.50"),
        (Decimal("3"), "3"),
        (0, "0"),
        (False, "0"),
        ("", ""),
    ],
)
def test_signed_text_is_exactly_the_sent_text(value: object, sent: str) -> None:
    request = session().prepare_call("users.getInfo", {"v": value})
    query = dict(parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True))
    assert query["v"] == sent
    unsigned = {k: v for k, v in query.items() if k != "sig"}
    assert query["sig"] == md5_hex("7" + canonical_string(unsigned) + PK)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), Decimal("NaN"), {1, 2}, b"bytes", object()]
)
def test_unsendable_values_raise_a_parameter_error_naming_the_parameter(value: object) -> None:
    with pytest.raises(ParameterError, match="'v'"):
        serialize_params({"v": value}, "mailru")


def test_a_lone_surrogate_does_not_chain_the_string_to_sign() -> None:
    with pytest.raises(ParameterError) as info:
        session().prepare_call("users.getInfo", {"v": "\ud800"})
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert PK not in repr(info.value.__context__)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0}, {"timeout": True}, {"timeout": "5"}, {"deadline": 0},
        {"max_retries": -1}, {"max_retries": "3"}, {"pool_maxsize": 0}, {"rate_limit": 0},
        {"flood_wait": -1}, {"write_methods": "stream.post"}, {"token_updater": 3},
        {"max_body_size": 0}, {"base_url": "ftp://x"}, {"refresh_margin": "1"},
    ],
)
def test_every_bad_option_is_a_library_error(options: dict[str, Any]) -> None:
    options.setdefault("base_url", "http://127.0.0.1:9")
    with pytest.raises(Error):
        TokenSession(423004, PK, "", TOKEN, "7", **options)


def test_configuration_errors_keep_the_builtin_mixins() -> None:
    assert issubclass(ConfigurationError, ValueError) and issubclass(ConfigurationError, TypeError)
    assert issubclass(ParameterError, ValueError) and issubclass(ParameterError, TypeError)
    with pytest.raises(ValueError):
        session(timeout=0)
    with pytest.raises(ConfigurationError):
        session().call("bad method")


def _instances() -> list[Error]:
    made: list[Error] = []
    for _, cls in inspect.getmembers(exceptions, inspect.isclass):
        if not issubclass(cls, Error):
            continue
        if issubclass(cls, mailru_sync.APIError):
            made.append(cls(102, "expired", method="m", data={"a": 1}, error={"e": 1},
                            platform="ok"))
        elif issubclass(cls, mailru_sync.UnexpectedPageError):
            made.append(cls("msg", url="http://h/p", snippet="s", error="e", status=200))
        elif issubclass(cls, mailru_sync.OAuthError):
            made.append(cls("msg", error="invalid_grant", description="d", status=400))
        elif issubclass(cls, mailru_sync.ResponseError):
            made.append(cls("msg", method="m", status=503, content_type="t", snippet="s",
                            retry_after=2.0))
        elif issubclass(cls, mailru_sync.TransportError):
            made.append(cls("msg", method="m", may_have_reached=False))
        else:
            made.append(cls("msg"))
    return made


@pytest.mark.parametrize("exc", _instances(), ids=lambda e: type(e).__name__)
def test_every_exception_pickles_with_its_attributes(exc: Error) -> None:
    exc.attempts, exc.elapsed = 3, 1.5
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc)
    assert str(clone) == str(exc) and clone.args == exc.args
    assert vars(clone) == vars(exc)


def _raise_expired(_: int) -> None:
    raise mailru_sync.SessionExpiredError(102, "expired", method="friends.get", platform="mailru")


def test_a_pool_worker_raising_an_api_error_does_not_hang_the_parent() -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.map_async(_raise_expired, [1])
        with pytest.raises(mailru_sync.SessionExpiredError) as info:
            result.get(timeout=60)
    assert info.value.code == 102 and info.value.method == "friends.get"
