"""Issue 23 point 4: the emulator's modules are small, acyclic and independent of the client.

Read from the source (``ast``), so every import counts: module level, inside functions, and under
``if TYPE_CHECKING:`` alike; an import cycle hidden in a function is still a cycle to a reader.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import mailru_sync.testing

PACKAGE = "mailru_sync.testing"
ROOT = Path(mailru_sync.testing.__file__).resolve().parent
MODULES = {
    (PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"): path
    for path in sorted(ROOT.glob("*.py"))
}


def _imported(module: str, path: Path) -> set[str]:
    """Every module name ``module`` imports (``from . import x`` names ``pkg.x`` when it is one)."""
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = node.module or ""
            if node.level:
                target = f"{base}.{target}" if target else base
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names
                         if f"{target}.{alias.name}" in MODULES)
    return names


GRAPH = {module: _imported(module, path) for module, path in MODULES.items()}


def test_no_file_of_the_emulator_is_over_500_lines() -> None:
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines())
             for path in MODULES.values()}
    assert {name: n for name, n in sizes.items() if n >= 500} == {}


def test_the_emulator_imports_nothing_of_the_client() -> None:
    outside = {
        module: sorted(name for name in names
                       if name.split(".")[0] == "mailru_sync"
                       and name != PACKAGE and not name.startswith(PACKAGE + "."))
        for module, names in GRAPH.items()
    }
    assert {module: names for module, names in outside.items() if names} == {}


def test_no_import_cycle_among_the_emulator_modules() -> None:
    edges = {module: {name for name in names if name in MODULES and name != PACKAGE}
             for module, names in GRAPH.items()}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target):], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_graph_reader_sees_function_level_and_type_checking_imports() -> None:
    """The checks above are only as good as the reader: it must see the hidden edges."""
    assert f"{PACKAGE}._ok" in GRAPH[f"{PACKAGE}._cli"]  # imported inside a function
    assert f"{PACKAGE}._ok" in GRAPH[f"{PACKAGE}.pytest_plugin"]  # under TYPE_CHECKING too


_LOADED = """
import json, sys
import mailru_sync
if sys.argv[1] == "emulators":
    import requests
    from mailru_sync.testing import MailruEmulator, OkEmulator
    import mailru_sync.testing as testing
    for name in testing.__all__:
        getattr(testing, name)
    for emulator in (MailruEmulator(), OkEmulator()):
        with emulator as emu:
            requests.get(emu.url + "/fb.do", timeout=10)
            requests.post(emu.url + "/oauth/token", data={"grant_type": "x"}, timeout=10)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "mailru_sync")))
"""


def _client_modules_loaded(mode: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _LOADED, mode], capture_output=True,
                          text=True, timeout=120, check=True)
    return set(json.loads(done.stdout))


def test_running_both_emulators_loads_no_client_module() -> None:
    """At run time too: serving requests loads nothing of the client beyond its package."""
    package_only = _client_modules_loaded("package")
    serving = _client_modules_loaded("emulators")
    assert f"{PACKAGE}._mailru" in serving and f"{PACKAGE}._ok_token" in serving
    assert {m for m in serving - package_only if not m.startswith(PACKAGE)} == set()
