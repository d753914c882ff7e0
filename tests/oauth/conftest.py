"""Builders of every session class against the emulators, shared by the OAuth tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync.testing import MailruEmulator, OkEmulator

MailruBuilder = Callable[[MailruEmulator], mr.MailruSession]
OkBuilder = Callable[[OkEmulator], ok.OkSession]


def _m(emu: MailruEmulator) -> dict[str, Any]:
    return {"base_url": emu.url}


#: name -> (builder, expected circuit). Code sessions get a fresh code each time.
MAILRU_BUILDERS: dict[str, tuple[MailruBuilder, str]] = {
    "TokenSession": (
        lambda e: mr.TokenSession(
            e.app.app_id, e.app.private_key, e.app.secret_key, e.user.access_token, e.user.uid,
            **_m(e),
        ),
        "client",
    ),
    "ClientSession": (
        lambda e: mr.ClientSession(
            e.app.app_id, e.app.private_key, e.user.access_token, e.user.uid, **_m(e)
        ),
        "client",
    ),
    "ServerSession": (
        lambda e: mr.ServerSession(e.app.app_id, e.app.secret_key, e.user.access_token, **_m(e)),
        "server",
    ),
    "CodeSession": (
        lambda e: mr.CodeSession(
            e.app.app_id, e.app.private_key, e.app.secret_key, e.issue_code(), e.redirect_uri,
            **_m(e),
        ),
        "client",
    ),
    "CodeClientSession": (
        lambda e: mr.CodeClientSession(
            e.app.app_id, e.app.private_key, e.issue_code(), e.redirect_uri, **_m(e)
        ),
        "client",
    ),
    "CodeServerSession": (
        lambda e: mr.CodeServerSession(
            e.app.app_id, e.app.secret_key, e.issue_code(), e.redirect_uri, **_m(e)
        ),
        "server",
    ),
    "ImplicitSession": (
        lambda e: mr.ImplicitSession(
            e.app.app_id, e.app.private_key, e.app.secret_key, e.user.email, e.user.password,
            mr.full_scope(), **_m(e),
        ),
        "client",
    ),
    "ImplicitClientSession": (
        lambda e: mr.ImplicitClientSession(
            e.app.app_id, e.app.private_key, e.user.email, e.user.password, mr.full_scope(),
            **_m(e),
        ),
        "client",
    ),
    "ImplicitServerSession": (
        lambda e: mr.ImplicitServerSession(
            e.app.app_id, e.app.secret_key, e.user.email, e.user.password, mr.full_scope(),
            **_m(e),
        ),
        "server",
    ),
    "PasswordSession": (
        lambda e: mr.PasswordSession(
            e.app.app_id, e.app.private_key, e.app.secret_key, e.user.email, e.user.password,
            mr.full_scope(), **_m(e),
        ),
        "client",
    ),
    "PasswordClientSession": (
        lambda e: mr.PasswordClientSession(
            e.app.app_id, e.app.private_key, e.user.email, e.user.password, mr.full_scope(),
            **_m(e),
        ),
        "client",
    ),
    "PasswordServerSession": (
        lambda e: mr.PasswordServerSession(
            e.app.app_id, e.app.secret_key, e.user.email, e.user.password, mr.full_scope(),
            **_m(e),
        ),
        "server",
    ),
    "RefreshSession": (
        lambda e: mr.RefreshSession(
            e.app.app_id, e.app.private_key, e.app.secret_key, e.user.refresh_token, **_m(e)
        ),
        "client",
    ),
    "RefreshClientSession": (
        lambda e: mr.RefreshClientSession(
            e.app.app_id, e.app.private_key, e.user.refresh_token, **_m(e)
        ),
        "client",
    ),
    "RefreshServerSession": (
        lambda e: mr.RefreshServerSession(
            e.app.app_id, e.app.secret_key, e.user.refresh_token, **_m(e)
        ),
        "server",
    ),
}


def _o(emu: OkEmulator) -> dict[str, Any]:
    return {"base_url": emu.url}


def _ok_refresh_token(e: OkEmulator) -> str:
    """A refresh token obtained the documented way (code grant), not read from the world."""
    with ok.CodeSession(
        e.app.app_id, e.app.app_key, e.app.app_secret_key, e.issue_code(), **_o(e)
    ) as session:
        return session.refresh_token


OK_BUILDERS: dict[str, tuple[OkBuilder, str]] = {
    "TokenSession": (
        lambda e: ok.TokenSession(
            e.app.app_id, e.app.app_key, "", e.user.access_token, e.user.session_secret_key,
            **_o(e),
        ),
        "client",
    ),
    "ClientSession": (
        lambda e: ok.ClientSession(
            e.app.app_id, e.app.app_key, e.user.access_token, e.user.session_secret_key, **_o(e)
        ),
        "client",
    ),
    "ServerSession": (
        lambda e: ok.ServerSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.user.access_token, **_o(e)
        ),
        "server",
    ),
    "CodeSession": (
        lambda e: ok.CodeSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.issue_code(), e.redirect_uri,
            **_o(e),
        ),
        "server",
    ),
    "CodeServerSession": (
        lambda e: ok.CodeServerSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.issue_code(), e.redirect_uri,
            **_o(e),
        ),
        "server",
    ),
    "ImplicitSession": (
        lambda e: ok.ImplicitSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.user.login, e.user.password,
            "VALUABLE_ACCESS", **_o(e),
        ),
        "server",
    ),
    "ImplicitClientSession": (
        lambda e: ok.ImplicitClientSession(
            e.app.app_id, e.app.app_key, e.user.login, e.user.password, "VALUABLE_ACCESS",
            **_o(e),
        ),
        "client",
    ),
    "ImplicitServerSession": (
        lambda e: ok.ImplicitServerSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.user.login, e.user.password,
            **_o(e),
        ),
        "server",
    ),
    "PasswordSession": (
        lambda e: ok.PasswordSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, e.user.login, e.user.password,
            **_o(e),
        ),
        "client",  # an auth.login session signs with its own session secret
    ),
    "PasswordClientSession": (
        lambda e: ok.PasswordClientSession(
            e.app.app_id, e.app.app_key, e.user.login, e.user.password, **_o(e)
        ),
        "client",
    ),
    "RefreshSession": (
        lambda e: ok.RefreshSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, _ok_refresh_token(e), **_o(e)
        ),
        "server",
    ),
    "RefreshServerSession": (
        lambda e: ok.RefreshServerSession(
            e.app.app_id, e.app.app_key, e.app.app_secret_key, _ok_refresh_token(e), **_o(e)
        ),
        "server",
    ),
}
