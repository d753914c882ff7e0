"""Guards on the shape of the client's code: what may only get better.

Why: the session is composed of parts (options, token state, call pipeline, exchange, platform
dialects) so that each concern has one home. These tests keep it that way: no import cycle
(counting imports inside functions and under ``TYPE_CHECKING``, which only hide a cycle from
the interpreter, not from a reader), no helper module reaching into a session's private
attributes, no file too large to read in one sitting, and a public surface that changes only on
purpose (``MAILRU_SYNC_UPDATE_SURFACE=1 pytest tests/core/test_architecture.py`` rewrites the
snapshot; review the diff).

The allow-lists below are what the code holds today. They may only shrink: a new cycle, a new
private reach or a new large file fails, and so does an entry that no longer applies (so the
list is pruned as the code gets better).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mailru_sync"
SURFACE = Path(__file__).with_name("public_surface.json")
MAX_LINES = 500

#: Import cycles that exist today (each the set of modules of one strongly connected component).
KNOWN_CYCLES: list[frozenset[str]] = []
#: Modules over MAX_LINES today.
KNOWN_LARGE: set[str] = set()
#: Private attributes of sessions read outside the session's own classes today, per module.
KNOWN_REACHES: dict[str, int] = {}


# --- the import graph --------------------------------------------------------------------------


def _client_modules(*, with_emulator: bool = False) -> dict[str, Path]:
    """Module name -> file, for the client (and the emulator, ``testing/``, if asked)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if "testing" in parts and not with_emulator:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module of ours that ``module`` imports: top level, in functions, TYPE_CHECKING."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:
                    yield submodule
                elif target in known:
                    yield target


def _graph() -> dict[str, set[str]]:
    known = _client_modules(with_emulator=True)
    return {
        name: {dep for dep in _imported(name, path, known) if dep != name}
        for name, path in known.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .b import X\n"
        "def f():\n    from . import c\n"
    )
    known = {"p.a": Path("a.py"), "p.b": Path("b.py"), "p.c": Path("c.py")}
    probe = tmp_path / "a.py"
    probe.write_text(source, encoding="utf-8")
    assert set(_imported("p.a", probe, known)) == {"p.b", "p.c"}


def test_no_new_import_cycle() -> None:
    cycles = _cycles(_graph())
    new = [sorted(c) for c in cycles if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"new import cycles (cut them, do not hide them in functions): {new}"
    stale = [sorted(k) for k in KNOWN_CYCLES if not any(c & k for c in cycles)]
    assert not stale, f"these cycles are gone: remove them from KNOWN_CYCLES: {stale}"


# --- file size ---------------------------------------------------------------------------------


def test_no_file_over_500_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _client_modules(with_emulator=True).items()
    }
    large = {name for name, lines in sizes.items() if lines > MAX_LINES}
    assert large <= KNOWN_LARGE, (
        f"over {MAX_LINES} lines (split by concern): "
        f"{ {n: sizes[n] for n in sorted(large - KNOWN_LARGE)} }"
    )
    smaller = KNOWN_LARGE - large
    assert not smaller, f"now small enough, drop from KNOWN_LARGE: {smaller}"


# --- private reaches ---------------------------------------------------------------------------

#: Names under which helper modules hold a session.
_SESSION_NAMES = {"session", "_session", "owner"}


def _private_reaches(tree: ast.AST) -> int:
    """How often ``session._x`` / ``self.session._x`` / ``self._session._x`` is read."""
    count = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__"):
            continue
        holder = node.value
        if (isinstance(holder, ast.Name) and holder.id in _SESSION_NAMES) or (
            isinstance(holder, ast.Attribute) and holder.attr in _SESSION_NAMES
        ):
            count += 1
    return count


def test_the_reach_finder_sees_reaches() -> None:
    tree = ast.parse(
        "session._sign(1)\nself.session._redact\nself._session._state_lock\n"
        "session.call()\nresponse._content\nsession.__class__\n"
    )
    assert _private_reaches(tree) == 3


def test_no_module_reads_private_session_attributes() -> None:
    reaches = {}
    for name, path in _client_modules().items():
        count = _private_reaches(ast.parse(path.read_text(encoding="utf-8")))
        if count:
            reaches[name] = count
    worse = {n: c for n, c in reaches.items() if c > KNOWN_REACHES.get(n, 0)}
    assert not worse, f"new reads of a session's private attributes (pass the part): {worse}"
    better = {n: (KNOWN_REACHES[n], reaches.get(n, 0)) for n in KNOWN_REACHES
              if reaches.get(n, 0) < KNOWN_REACHES[n]}
    assert not better, f"fewer reaches now, lower KNOWN_REACHES (was, now): {better}"


# --- the public surface ------------------------------------------------------------------------


def _session_classes() -> dict[str, type]:
    import mailru_sync
    import mailru_sync.ok
    from mailru_sync._session import BaseSession

    found = {}
    for prefix, module in (("mailru_sync", mailru_sync), ("mailru_sync.ok", mailru_sync.ok)):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, BaseSession):
                found[f"{prefix}.{name}"] = value
    return found


#: A valid value for each positional argument name (building a session does no I/O).
_SAMPLE_ARGS = {
    "app_id": "123", "private_key": "a" * 32, "secret_key": "b" * 32, "access_token": "tok",
    "uid": "1", "app_key": "CBAPPKEY", "app_secret_key": "C" * 32, "session_secret_key": "s",
    "code": "code", "email": "user@mail.ru", "login": "user", "passwd": "pw",
    "refresh_token": "refresh", "redirect_uri": None, "scope": None, "state": None,
}


def _surface() -> dict[str, dict[str, object]]:
    surface: dict[str, dict[str, object]] = {}
    for qualname, cls in sorted(_session_classes().items()):
        signature = inspect.signature(cls)
        positional = [
            p.name
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
        ]
        entry: dict[str, object] = {"positional": positional}
        leading = []
        for name in positional:
            if name not in _SAMPLE_ARGS:
                break
            leading.append(_SAMPLE_ARGS[name])
        session = cls(*leading)
        try:
            # Instance and class names together: an attribute may become a property.
            entry["public"] = sorted(n for n in dir(session) if not n.startswith("_"))
        finally:
            session.close()
        surface[qualname] = entry
    return surface


def test_public_surface_changes_only_on_purpose() -> None:
    current = _surface()
    if os.environ.get("MAILRU_SYNC_UPDATE_SURFACE"):
        SURFACE.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SURFACE.read_text(encoding="utf-8"))
    assert len(current) >= 27, sorted(current)  # 15 Mail.ru and 12 OK classes, two bases
    assert current == expected, (
        "the public surface of the session classes changed; if on purpose, rerun with "
        "MAILRU_SYNC_UPDATE_SURFACE=1 and review the diff of tests/core/public_surface.json"
    )


@pytest.mark.parametrize("qualname", sorted(_surface()))
def test_session_classes_are_importable_where_documented(qualname: str) -> None:
    module, _, name = qualname.rpartition(".")
    assert getattr(importlib.import_module(module), name).__name__ == name
