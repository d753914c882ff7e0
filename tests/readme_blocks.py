"""The literal blocks of the documentation, found without docutils (no test dependency).

The documents are ``README.rst``, ``CONTRIBUTING.rst`` and every page under ``docs/``
(:func:`documents`). Why a parser of our own: their samples are tests
(``tests/test_readme.py``), so every block must be found, told apart and traced back to its file
and line. reStructuredText introduces a literal block with a paragraph ending in ``::`` (or a
``.. code-block:: LANG`` directive) followed by a blank line and lines indented deeper than that
paragraph; the block ends at the first line indented no deeper. That subset is all the documents
use (Sphinx directives such as ``.. autoclass::`` start with ``..`` and are not literal blocks),
and anything that looks like a block opener without indented content raises instead of being
passed over.

A block is Python unless the paragraph that introduces it is preceded by a marker comment, which
reStructuredText renders as nothing::

    .. readme-test: KIND [ARGUMENT]

KINDs: ``shell`` (commands run in subprocesses), ``ci`` (README commands run by ``.ci/run``),
``ci-step`` (lines that ``.ci/run`` contains as written), ``skip REASON`` (needs the network),
``signatures MODULE`` (a listing of call signatures), ``vector`` (a worked signature example),
``script`` (one ``bash`` script), ``benchmark`` (the benchmark commands), ``excerpt FILE`` (lines
of a file of the project, shown as they are there), ``tested-by TEST REASON`` (run by the named
test module, which needs services this runner does not start).
``.. code-block:: LANG`` names its kind by LANG unless marked.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
DOCS = ROOT / "docs"

_MARKER = re.compile(r"^\.\.\s+readme-test:\s*(\S+)\s*(.*?)\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)\s*$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1+\s*$")
_LANGUAGE_KINDS = {
    "python": "python",
    "pycon": "python",
    "console": "shell",
    "bash": "shell",
    "shell": "shell",
    "sh": "shell",
}


@dataclass(frozen=True)
class Block:
    """One literal block: where it is, what introduces it, how it is tested, its text."""

    path: Path  # the document it is in
    section: str
    index: int  # 1-based among its section's blocks
    line: int  # 1-based line of its first text line in ``path``
    intro: str  # the introducing paragraph, joined into one line ('' for a bare "::")
    kind: str
    argument: str
    code: str  # dedented, trailing blank lines removed

    @property
    def name(self) -> str:
        """The test id: document, section title and index."""
        return f"{self.document}: {self.section} #{self.index}"

    @property
    def document(self) -> str:
        """``path`` relative to the project root (``README.rst``, ``docs/oauth.rst``)."""
        return self.path.relative_to(ROOT).as_posix()

    def lines(self) -> list[str]:
        """The non-blank lines of the block."""
        return [line for line in self.code.splitlines() if line.strip()]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_title(lines: list[str], i: int) -> bool:
    text = lines[i].rstrip()
    if not text or text[0].isspace() or i + 1 >= len(lines):
        return False
    under = lines[i + 1].rstrip()
    return bool(_UNDERLINE.match(under)) and len(under) >= len(text)


def _paragraph_start(lines: list[str], i: int) -> int:
    while i > 0 and lines[i - 1].strip():
        i -= 1
    return i


def _marker_above(lines: list[str], start: int) -> tuple[str, str] | None:
    i = start - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    match = _MARKER.match(lines[i]) if i >= 0 else None
    return (match.group(1), match.group(2)) if match else None


def opener_lines(text: str) -> list[int]:
    """0-based indexes of every line that opens a literal block, found by a plain line scan.

    Kept independent of :func:`parse` on purpose: the test suite compares the two counts, so a
    block that :func:`parse` misses fails the suite instead of going untested.
    """
    found = []
    for i, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if _DIRECTIVE.match(line) or (stripped.endswith("::") and not stripped.startswith("..")):
            found.append(i)
    return found


def _body(
    lines: list[str], opener: int, reference: int, where: str
) -> tuple[int, list[str]]:
    """The block's first line index and its lines (indented deeper than ``reference``)."""
    i = opener + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or i == opener + 1 or _indent(lines[i]) <= reference:
        raise ValueError(
            f"{where}:{opener + 1}: a literal block opener needs a blank line and then "
            "lines indented deeper than it"
        )
    first, body = i, []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > reference):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    return first, body


def _skip_options(lines: list[str], opener: int) -> int:
    """Past a directive's ``:option:`` lines: the line to look for the blank line from."""
    i = opener + 1
    while i < len(lines) and re.match(r"^\s+:[\w-]+:", lines[i]):
        i += 1
    return i - 1


def parse(text: str, path: Path = README) -> list[Block]:
    """Every literal block of ``text`` (the content of ``path``), in order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    section, index = "", 0
    for i, line in enumerate(lines):
        if _is_title(lines, i):
            section, index = line.strip(), 0
            continue
        directive = _DIRECTIVE.match(line)
        stripped = line.strip()
        if directive:
            start, opener = i, _skip_options(lines, i)
            kind, argument = _LANGUAGE_KINDS.get(directive.group(2), directive.group(2)), ""
            intro = ""
        elif stripped.endswith("::") and not stripped.startswith(".."):
            start, opener = _paragraph_start(lines, i), i
            kind, argument = "python", ""
            intro = " ".join(part.strip() for part in lines[start : i + 1])[:-2].rstrip()
        else:
            continue
        marker = _marker_above(lines, start)
        if marker:
            kind, argument = marker
        first, body = _body(lines, opener, _indent(lines[start]), path.name)
        index += 1
        blocks.append(
            Block(
                path,
                section,
                index,
                first + 1,
                intro,
                kind,
                argument,
                textwrap.dedent("\n".join(body)),
            )
        )
    return blocks


def documents() -> list[Path]:
    """Every document whose samples are tests: the README, the contributing guide, the docs."""
    pages = [path for path in DOCS.rglob("*.rst") if "_build" not in path.parts]
    return [README, ROOT / "CONTRIBUTING.rst", *sorted(pages)]


def document_blocks(path: Path) -> list[Block]:
    """The literal blocks of one document."""
    return parse(path.read_text(encoding="utf-8"), path)


def readme_blocks() -> list[Block]:
    """The literal blocks of every document, in :func:`documents` order."""
    return [block for path in documents() for block in document_blocks(path)]
