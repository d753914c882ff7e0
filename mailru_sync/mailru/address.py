"""Mail.ru login addresses: ``'user@mail.ru'`` is the login form's ``Login`` and ``Domain``.

Its own module so that :mod:`mailru_sync.utils` (aiomailru's ``utils.parseaddr``) and the login
flow (:mod:`mailru_sync.mailru.implicit`) share one function without importing each other.
"""

from __future__ import annotations

__all__ = ["parseaddr"]


def parseaddr(address: str) -> tuple[str, str]:
    """``'user@mail.ru'`` -> ``('user', 'mail.ru')``: the login and domain Mail.ru's login form
    asks for separately (the domain lower-cased; ``(address, '')`` when there is no ``@``)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return address.strip(), ""
    return local, domain.lower()
