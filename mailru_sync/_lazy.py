"""Public names of a package that load on first access (PEP 562), shared by our packages.

Why: importing a package should cost only what its user touches. A web worker that calls the
API never needs the OAuth grant sessions, the token stores or the emulator, so each package
lists where its public names live and this module supplies the ``__getattr__``/``__dir__``
pair that loads one on first use and keeps it as a plain global afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose name ``N`` lives in ``where[N]``
    (a module name, relative to ``package`` when it starts with a dot)."""
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        target = where.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target, package), name)
        setattr(module, name, value)  # later lookups are plain globals
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(module), *where})

    return __getattr__, __dir__
