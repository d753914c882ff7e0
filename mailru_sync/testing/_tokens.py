"""The token and authorization-code store every emulator keeps, on a clock tests can move.

Why apart from the server: tokens and codes are OAuth state, not HTTP. Both platforms issue,
find, expire and redeem them alike; the platform code reads them, the server core never does.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

__all__ = ["GrantError", "IssuedCode", "IssuedToken", "TokenStore"]


@dataclass
class IssuedToken:
    """An access token known to the emulator; expired tokens stay known (they answer 'expired')."""

    token: str
    uid: str
    client_id: str
    scope: frozenset[str]
    #: Deadline on the emulator clock (:meth:`BaseEmulator.now`); ``None`` = never expires.
    expires_at: float | None
    #: Set by :meth:`BaseEmulator.expire_token` / :meth:`BaseEmulator.expire_all_tokens`.
    revoked: bool = False
    #: Platform extras (e.g. OK's ``session_secret_key``, the paired refresh token).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class IssuedCode:
    """An authorization code: single use, expires, bound to client_id + redirect_uri."""

    code: str
    uid: str
    client_id: str
    redirect_uri: str
    scope: frozenset[str]
    expires_at: float
    used: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class GrantError(ValueError):
    """A code could not be redeemed; the message is the OAuth ``error_description``."""


class TokenStore:
    """Issue, find, expire and redeem tokens and codes (mixed into ``BaseEmulator``).

    The host provides the stores, the lifetimes, :attr:`world_lock` and :meth:`now`.
    """

    tokens: dict[str, IssuedToken]
    codes: dict[str, IssuedCode]
    token_ttl: float
    code_ttl: float
    world_lock: threading.RLock

    def now(self) -> float:
        """The clock token lifetimes are measured on (the emulator's, see ``advance_time``)."""
        raise NotImplementedError

    def issue_token(
        self,
        uid: str,
        client_id: str,
        scope: Iterable[str],
        *,
        token: str | None = None,
        ttl: float | EllipsisType | None = ...,
        extra: dict[str, str] | None = None,
    ) -> IssuedToken:
        """Register a token; ``ttl=...`` uses :attr:`token_ttl`, ``None`` = never expires."""
        if isinstance(ttl, EllipsisType):
            ttl = self.token_ttl
        expires_at = None if ttl is None else self.now() + ttl
        record = IssuedToken(
            token=token or secrets.token_hex(16),
            uid=uid,
            client_id=client_id,
            scope=frozenset(scope),
            expires_at=expires_at,
            extra=dict(extra or {}),
        )
        with self.world_lock:
            self.tokens[record.token] = record
        return record

    def find_token(self, token: str) -> IssuedToken | None:
        """The record of an issued access token, or ``None`` if the emulator never issued it."""
        with self.world_lock:
            return self.tokens.get(token)

    def token_alive(self, record: IssuedToken) -> bool:
        """Not revoked and not past its deadline."""
        if record.revoked:
            return False
        return record.expires_at is None or self.now() < record.expires_at

    def expire_token(self, token: str) -> None:
        """Make ``token`` answer 'expired' from now on (it stays known for signature checks)."""
        with self.world_lock:
            record = self.tokens.get(token)
            if record is None:
                raise KeyError(f"unknown token {token!r}")
            record.revoked = True

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Make ``refresh_token`` unknown from now on (the user revoked the app's access)."""
        with self.world_lock:
            world = getattr(self, "world", None)  # each platform's emulator has its own world
            refresh_tokens: dict[str, Any] = getattr(world, "refresh_tokens", {})
            if refresh_tokens.pop(refresh_token, None) is None:
                raise KeyError("unknown refresh token")

    def expire_all_tokens(self) -> None:
        """Expire every token issued so far (tokens issued later are not affected)."""
        with self.world_lock:
            for record in self.tokens.values():
                record.revoked = True

    def new_code(
        self,
        uid: str,
        client_id: str,
        redirect_uri: str,
        scope: Iterable[str],
        *,
        extra: dict[str, str] | None = None,
    ) -> IssuedCode:
        """Register an authorization code valid for :attr:`code_ttl` seconds."""
        record = IssuedCode(
            code=secrets.token_hex(16),
            uid=uid,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=frozenset(scope),
            expires_at=self.now() + self.code_ttl,
            extra=dict(extra or {}),
        )
        with self.world_lock:
            self.codes[record.code] = record
        return record

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> IssuedCode:
        """Consume a code; raises :class:`GrantError` saying why it cannot be used."""
        with self.world_lock:
            record = self.codes.get(code)
            if record is None:
                raise GrantError("unknown authorization code")
            if record.used:
                raise GrantError("authorization code already used")
            if self.now() >= record.expires_at:
                raise GrantError("authorization code expired")
            if record.client_id != client_id:
                raise GrantError("authorization code was issued to another client")
            if record.redirect_uri != redirect_uri:
                raise GrantError("redirect_uri does not match the authorization request")
            record.used = True
            return record
