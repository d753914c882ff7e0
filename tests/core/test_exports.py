"""The documented public imports keep working (the public surface is a contract)."""

from __future__ import annotations

import importlib

import pytest

MAILRU_NAMES = [
    "TokenSession", "ClientSession", "ServerSession", "API", "Error", "APIError", "OAuthError",
    "PagingError",
    "full_scope",
    "CodeSession", "CodeClientSession", "CodeServerSession",
    "ImplicitSession", "ImplicitClientSession", "ImplicitServerSession",
    "PasswordSession", "PasswordClientSession", "PasswordServerSession",
    "RefreshSession", "RefreshClientSession", "RefreshServerSession",
]
OK_NAMES = [
    "TokenSession", "ClientSession", "ServerSession", "API", "Error", "APIError", "OAuthError",
    "PagingError",
    "CodeSession", "CodeServerSession",
    "ImplicitSession", "ImplicitClientSession", "ImplicitServerSession",
    "PasswordSession", "PasswordClientSession",
    "RefreshSession", "RefreshServerSession",
]


@pytest.mark.parametrize("name", MAILRU_NAMES)
def test_mailru_exports(name: str) -> None:
    module = importlib.import_module("mailru_sync")
    assert hasattr(module, name)
    assert name in module.__all__


@pytest.mark.parametrize("name", OK_NAMES)
def test_ok_exports(name: str) -> None:
    module = importlib.import_module("mailru_sync.ok")
    assert hasattr(module, name)
    assert name in module.__all__


def test_one_error_root_for_both_platforms() -> None:
    import mailru_sync
    import mailru_sync.ok

    assert mailru_sync.ok.Error is mailru_sync.Error
    assert issubclass(mailru_sync.APIError, mailru_sync.Error)
    assert issubclass(mailru_sync.OAuthError, mailru_sync.Error)
    assert issubclass(mailru_sync.ConfigurationError, ValueError)


def test_everything_in_all_exists() -> None:
    for module_name in ("mailru_sync", "mailru_sync.ok", "mailru_sync.testing"):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_sessions_are_requests_sessions() -> None:
    import requests

    import mailru_sync
    import mailru_sync.ok

    for cls in (mailru_sync.TokenSession, mailru_sync.ok.TokenSession):
        assert issubclass(cls, requests.Session)
