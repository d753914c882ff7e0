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


# --- issue 20: the upstream module paths (aiomailru.sessions, aiookru.api, ...) -------------------

#: upstream path -> names users import from it; each is the same object as at its one home.
UPSTREAM_PATHS: dict[str, list[str]] = {
    "mailru_sync.sessions": [
        "TokenSession", "ClientSession", "ServerSession",
        "CodeSession", "CodeClientSession", "CodeServerSession",
        "ImplicitSession", "ImplicitClientSession", "ImplicitServerSession",
        "PasswordSession", "PasswordClientSession", "PasswordServerSession",
        "RefreshSession", "RefreshClientSession", "RefreshServerSession",
    ],
    "mailru_sync.api": ["API", "APIMethod"],
    "mailru_sync.exceptions": ["Error", "APIError", "OAuthError", "ConfigurationError"],
    "mailru_sync.utils": ["full_scope", "SignatureCircuit", "parseaddr", "PRIVILEGES"],
    "mailru_sync.ok.sessions": ["TokenSession", "ClientSession", "ServerSession", "OkSession"],
    "mailru_sync.ok.api": ["API", "APIMethod"],
    "mailru_sync.ok.exceptions": ["Error", "APIError", "OAuthError", "ConfigurationError"],
    "mailru_sync.ok.utils": ["SignatureCircuit"],
}
#: The OK grant sessions are at ``mailru_sync.ok.sessions`` too, where aiookru had them.
OK_GRANTS_IN_SESSIONS = [
    "CodeSession", "CodeServerSession", "ImplicitSession", "ImplicitClientSession",
    "ImplicitServerSession", "PasswordSession", "PasswordClientSession", "RefreshSession",
    "RefreshServerSession",
]


def _home(module_name: str, name: str) -> object:
    """Where the public name lives: the package's top level (``mailru_sync`` or ``.ok``)."""
    if name == "parseaddr":
        return getattr(importlib.import_module("mailru_sync.mailru.address"), name)
    if name == "SignatureCircuit":
        return getattr(importlib.import_module("mailru_sync.utils"), name)
    package = "mailru_sync.ok" if module_name.startswith("mailru_sync.ok") else "mailru_sync"
    return getattr(importlib.import_module(package), name)


@pytest.mark.parametrize(
    ("module_name", "name"), [(m, n) for m, names in UPSTREAM_PATHS.items() for n in names]
)
def test_upstream_paths_reexport_the_one_home(module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    value = getattr(module, name)
    assert value is _home(module_name, name)
    assert name in module.__all__
    assert name in dir(module)


@pytest.mark.parametrize("name", OK_GRANTS_IN_SESSIONS)
def test_ok_sessions_path_has_the_grant_sessions(name: str) -> None:
    module = importlib.import_module("mailru_sync.ok.sessions")
    assert getattr(module, name) is getattr(importlib.import_module("mailru_sync.ok"), name)


def test_upstream_exception_paths_are_the_whole_tree() -> None:
    import mailru_sync.exceptions
    import mailru_sync.ok.exceptions

    assert mailru_sync.ok.exceptions.__all__ == mailru_sync.exceptions.__all__
    for name in mailru_sync.exceptions.__all__:
        assert getattr(mailru_sync.ok.exceptions, name) is getattr(mailru_sync, name)


def test_signature_circuit_compares_with_the_sessions_circuit() -> None:
    from mailru_sync import TokenSession
    from mailru_sync.utils import SignatureCircuit, parseaddr

    client = TokenSession(1, "a" * 32, "b" * 32, access_token="t", uid="1")
    server = TokenSession(1, "", "b" * 32, access_token="t", uid="")
    assert client.circuit == SignatureCircuit.CLIENT_SERVER
    assert server.circuit == SignatureCircuit.SERVER_SERVER
    assert parseaddr("Ann.Lee@List.RU") == ("Ann.Lee", "list.ru")
    assert parseaddr("no-domain") == ("no-domain", "")


def test_upstream_paths_load_no_more_than_their_users_need() -> None:
    from tests.core.test_lazy_imports import ON_FIRST_USE, _loaded_after

    loaded = _loaded_after(
        "from mailru_sync.sessions import TokenSession\n"
        "from mailru_sync.utils import full_scope, SignatureCircuit, parseaddr\n"
        "from mailru_sync.ok.utils import SignatureCircuit\n"
        "import mailru_sync.ok.exceptions\n"
        "TokenSession(1, 'a' * 32, 'b' * 32, access_token='t', uid='1')"
    )
    assert loaded & ON_FIRST_USE == set()
    assert "mailru_sync._session" not in _loaded_after("from mailru_sync.utils import parseaddr")
