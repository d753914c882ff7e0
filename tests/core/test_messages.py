"""Issue 20: messages that say what to do, in each platform's own terms.

Each error comes from the emulator (the platform's own answer) or from a constructor, and its
message must name the right thing: OK's keys for OK, the closest documented method for a typo,
``retry_on_flood`` for flood control, digits for an app id.
"""

from __future__ import annotations

import pickle

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync._methods import MAILRU_METHODS, OK_METHODS, closest_method
from mailru_sync.testing import MailruEmulator, OkEmulator
from mailru_sync.testing._mailru_api import METHODS as MAILRU_EMULATED
from mailru_sync.testing._ok_api import METHODS as OK_EMULATED
from mailru_sync.testing._ok_upload import METHODS as OK_UPLOAD_EMULATED


def _mailru(emu: MailruEmulator, **options: object) -> mr.ServerSession:
    return mr.ServerSession(emu.app.app_id, emu.app.secret_key, emu.user.access_token,
                            base_url=emu.url, **options)


def _ok(emu: OkEmulator, secret: str | None = None, **options: object) -> ok.ServerSession:
    return ok.ServerSession(emu.app.app_id, emu.app.app_key, secret or emu.app.app_secret_key,
                            emu.user.access_token, base_url=emu.url, **options)


def test_an_unknown_mailru_method_suggests_the_closest(mailru_emulator: MailruEmulator) -> None:
    with pytest.raises(mr.UnknownMethodError) as caught:
        mr.API(_mailru(mailru_emulator)).frends.get()
    assert caught.value.code == 2
    assert str(caught.value).endswith("(did you mean 'friends.get'?)")
    assert pickle.loads(pickle.dumps(caught.value)).args == caught.value.args


def test_an_unknown_ok_method_suggests_the_closest(ok_emulator: OkEmulator) -> None:
    api = ok.API(_ok(ok_emulator))
    with pytest.raises(ok.APIError) as caught:
        api.users.getCurentUser()
    assert isinstance(caught.value, mr.UnknownMethodError) and caught.value.code == 3
    assert "did you mean 'users.getCurrentUser'?" in str(caught.value)
    with pytest.raises(mr.UnknownMethodError) as nothing_close:
        api.no.suchMethod()
    assert "did you mean" not in str(nothing_close.value)
    assert "https://apiok.ru/en/dev/methods/rest" in str(nothing_close.value)


def test_methods_not_in_the_list_are_still_sent(ok_emulator: OkEmulator) -> None:
    """The list only adds a hint: the platform decides which methods exist."""
    with pytest.raises(mr.UnknownMethodError):
        ok.API(_ok(ok_emulator)).market.getProducts()
    assert ok_emulator.requests[-1].params["method"] == "market.getProducts"


def test_the_method_lists_cover_every_emulated_method() -> None:
    assert set(MAILRU_EMULATED) <= MAILRU_METHODS
    ok_lower = {name.lower() for name in OK_METHODS}
    assert {name.lower() for name in {*OK_EMULATED, *OK_UPLOAD_EMULATED}} <= ok_lower


def test_closest_method_rules() -> None:
    assert closest_method("frends.get", "mailru") == "friends.get"
    assert closest_method("users.getinfo", "mailru") == "users.getInfo"  # Mail.ru minds case
    assert closest_method("users.getinfo", "ok") is None  # OK does not
    assert closest_method("friends.get", "mailru") is None  # refused for another reason
    assert closest_method("frends.get", "vk") is None


def test_ok_signature_error_names_ok_keys(ok_emulator: OkEmulator) -> None:
    with pytest.raises(mr.SignatureError) as caught:
        ok.API(_ok(ok_emulator, secret="0" * 32)).users.getCurrentUser()
    text = str(caught.value)
    assert "app secret key" in text and "session secret key" in text
    assert "private" not in text


def test_mailru_signature_error_names_mailru_keys(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.ServerSession(emu.app.app_id, "0" * 32, emu.user.access_token, base_url=emu.url)
    with pytest.raises(mr.SignatureError) as caught:
        mr.API(session).users.getInfo()
    assert "private key" in str(caught.value) and "secret key" in str(caught.value)


def test_rate_limit_error_mentions_retry_on_flood(ok_emulator: OkEmulator) -> None:
    ok_emulator.flood_next(1)
    with pytest.raises(mr.RateLimitError) as caught:
        ok.API(_ok(ok_emulator)).users.getCurrentUser()
    assert "retry_on_flood" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("a" * 32, "looks like a 32-character hexadecimal key, not an id"),
        ("CBAQJKLMNOPQRSTUV", "has characters other than 0-9 (an id is digits only)"),
        ("12-34", "has characters other than 0-9 (an id is digits only)"),
    ],
)
def test_non_digit_app_ids_are_described_as_they_are(value: str, described: str) -> None:
    for build in (lambda: mr.ServerSession(value, "b" * 32, "token"),
                  lambda: ok.ServerSession(value, "key", "secret", "token")):
        with pytest.raises(mr.ConfigurationError) as caught:
            build()
        assert described in str(caught.value)
        assert "a-f" not in str(caught.value)
        assert value not in str(caught.value)


def test_an_ok_grant_input_in_the_wrong_place_shows_oks_order() -> None:
    with pytest.raises(mr.ConfigurationError) as caught:
        ok.RefreshServerSession(1, "key", "secret", "user@example.com")
    assert "app_key" in str(caught.value) and "private_key" not in str(caught.value)
