"""Session attributes that live in one of the session's parts.

Why: the session is composed of parts (token state, platform dialect), but its public
attributes stay where users know them (``session.refresh_token``, ``session.uid``). A
:class:`PartField` reads and writes the attribute of the same name on the part, so there is one
copy of each value and no code that keeps two in sync.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["PartField"]

_T = TypeVar("_T")


class PartField(Generic[_T]):
    """``session.<name>`` backed by ``session.<part>.<attribute>`` (default: the same name)."""

    __slots__ = ("attribute", "name", "part")

    def __init__(self, part: str, attribute: str = "") -> None:
        self.part = part
        self.attribute = attribute
        self.name = attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if not self.attribute:
            self.attribute = name

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        if instance is None:
            return self  # type: ignore[return-value]  # the class attribute is the descriptor
        value: _T = getattr(instance.__dict__[self.part], self.attribute)
        return value

    def __set__(self, instance: Any, value: object) -> None:
        setattr(instance.__dict__[self.part], self.attribute, value)
