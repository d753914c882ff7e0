"""How much of the public API the built reference documents (``python docs/api_coverage.py HTML``).

Reads the inventory Sphinx writes with the HTML build (``HTML/objects.inv``: every object the
site describes, with its kind) and compares it with the public API found by importing the
package, so the figure is what a reader can actually find, not what a directive asks for:

* **objects**: every name in ``__all__`` of the public modules (:data:`MODULES`), and every
  public method, property and class attribute those classes define or inherit from this
  package (not from ``requests.Session`` or ``Exception``);
* **options**: every keyword option the session constructors accept (the run-time list), which
  must appear in the first column of the options table (``docs/api/options.rst``).

An object counts as documented when the inventory describes *the same object* under any name:
``mailru_sync.ok.APIError`` is ``mailru_sync.APIError``, and ``TokenSession.call`` is the
``call`` documented on ``MailruSession``. Prints ``documented/total`` per kind and the missing
names; exits 1 when anything is missing, 2 on a usage error.

Why not ``sphinx.ext.coverage``: it checks names of modules against directives and knows
neither lazy (PEP 562) exports, nor re-exports, nor inherited methods, nor options.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPTIONS_PAGE = ROOT / "docs" / "api" / "options.rst"

#: The modules whose ``__all__`` is the public API.
MODULES = (
    "mailru_sync",
    "mailru_sync.ok",
    "mailru_sync.stores",
    "mailru_sync.signer",
    "mailru_sync.testing",
)
#: Public objects that are not in an ``__all__``: the pytest plugin's fixtures.
EXTRA = (
    "mailru_sync.testing.pytest_plugin.mailru_emulator",
    "mailru_sync.testing.pytest_plugin.ok_emulator",
)


def read_inventory(path: Path) -> list[tuple[str, str]]:
    """``(name, role)`` of every Python object in a Sphinx ``objects.inv`` (version 2)."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # four text lines, then the zlib-compressed body
        header_end = data.index(b"\n", header_end) + 1
    if not data.startswith(b"# Sphinx inventory version 2"):
        raise ValueError(f"{path}: not a Sphinx inventory of version 2")
    entries = []
    for line in zlib.decompress(data[header_end:]).decode("utf-8").splitlines():
        match = re.match(r"(.+?)\s+(py:\w+)\s+-?\d+\s", line)
        if match:
            entries.append((match.group(1), match.group(2)))
    return entries


def resolve(dotted: str) -> Any:
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = _attribute(obj, attr)
        return obj
    raise ImportError(dotted)


def _attribute(owner: Any, name: str) -> Any:
    """``owner.name`` as the class holds it (a property, not its value; a function, not a
    bound method), found along the MRO for classes."""
    if inspect.isclass(owner):
        for klass in owner.__mro__:
            if name in vars(klass):
                return vars(klass)[name]
    return getattr(owner, name)


def _ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "mailru_sync" or module.startswith("mailru_sync.")


def public_objects() -> Iterator[tuple[str, Any]]:
    """``(name, object)`` of the public API: module exports, then their classes' members.

    Each object is counted once: a re-export is the object already counted, and a member is
    counted on the most basic public class holding it (``call`` on ``MailruSession``, not again
    on each of its subclasses, nor on ``OkSession``, which shares the private base).
    """
    exported: dict[int, tuple[str, Any]] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("__") or id(obj) in exported:
                continue  # __version__ is not API; a re-export is the object counted already
            exported[id(obj)] = (f"{module_name}.{name}", obj)
    yield from exported.values()
    classes = [(n, o) for n, o in exported.values() if inspect.isclass(o) and _ours(o)]
    seen: set[str] = set()
    for dotted, cls in sorted(classes, key=lambda item: (len(item[1].__mro__), item[0])):
        yield from _members(dotted, cls, seen)
    for dotted in EXTRA:
        yield dotted, resolve(dotted)


def _members(dotted: str, cls: type, seen: set[str]) -> Iterator[tuple[str, Any]]:
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is None or not _ours(owner):
            continue  # requests.Session's and Exception's own members are theirs to document
        key = f"{owner.__module__}.{owner.__qualname__}.{name}"
        if key not in seen:
            seen.add(key)
            yield f"{dotted}.{name}", vars(owner)[name]


def session_options() -> list[str]:
    """Every keyword option a session takes: the one list the run-time check uses
    (``mailru_sync._options.KNOWN_OPTIONS``); OK's ``format`` is positional, so not a row."""
    from mailru_sync._options import KNOWN_OPTIONS

    return sorted(KNOWN_OPTIONS - {"format"})


def documented_options(page: Path = OPTIONS_PAGE) -> set[str]:
    """Option names in the first column of the options table."""
    return set(re.findall(r"(?m)^``(\w+)``\s", page.read_text(encoding="utf-8")))


def _key(name: str, obj: Any) -> tuple[str, int]:
    # Identity and last name together: two unrelated attributes holding one interned value
    # (e.g. the same string) are not mistaken for each other.
    return name.rsplit(".", 1)[-1], id(obj)


def documented_keys(entries: Iterable[tuple[str, str]]) -> set[tuple[str, int]]:
    keys = set()
    for name, role in entries:
        if role == "py:module":
            continue
        try:
            keys.add(_key(name, resolve(name)))
        except (ImportError, AttributeError):
            continue  # e.g. an attribute documented from a docstring only
    return keys


def coverage(inventory: Path) -> tuple[list[str], list[str], int, int]:
    """``(missing objects, missing options, objects total, options total)``."""
    known = documented_keys(read_inventory(inventory))
    objects = list(public_objects())
    missing = [name for name, obj in objects if _key(name, obj) not in known]
    options = session_options()
    missing_options = sorted(set(options) - documented_options())
    return missing, missing_options, len(objects), len(options)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/api_coverage.py HTML_BUILD_DIR", file=sys.stderr)
        return 2
    inventory = Path(argv[0]) / "objects.inv"
    if not inventory.is_file():
        print(f"api_coverage: no {inventory}; build the HTML docs first", file=sys.stderr)
        return 2
    missing, missing_options, total, options = coverage(inventory)
    print(f"API reference: {total - len(missing)}/{total} public objects documented, "
          f"{options - len(missing_options)}/{options} session options")
    for name in missing:
        print(f"  not documented: {name}")
    for name in missing_options:
        print(f"  option not in {OPTIONS_PAGE.relative_to(ROOT)}: {name}")
    if missing or missing_options:
        print("api_coverage: add the names above to docs/api/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
