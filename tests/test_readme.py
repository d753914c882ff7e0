"""README.rst's runnable examples run as written (doc examples are tests)."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.rst"


def _literal_block_after(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(marker) + len(marker)
    lines = []
    for line in text[start:].splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def test_emulator_example_runs() -> None:
    code = _literal_block_after("In Python::")
    assert "MailruEmulator" in code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.rst", "exec"), {})
    printed = out.getvalue()
    assert "'uid': '1324730981306483817'" in printed
    assert "'faults_injected'" in printed


def test_quickstart_commands_are_the_ones_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    assert "    python -m pip install . && python -m mailru_sync demo\n" in text
    assert "    python -m pip install -e '.[test]' && python -m pytest -q\n" in text
    assert "readme_command" in ci
