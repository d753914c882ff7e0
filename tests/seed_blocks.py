"""The Python samples of the seed documents (aiomailru/aiookru docs), found and made runnable.

Why a parser of our own: the seeds come in three shapes (reStructuredText, Markdown, and one
reStructuredText document collapsed onto a single line), and ``tests/test_seed_samples.py``
must run every sample. Every ``.. code-block:: python`` and every `````python`` fence is a
sample; the collapsed document's samples are split back into statements by a token scan. The
number of samples found is checked against a plain count of the openers, so none goes untested.

:func:`migrate` applies the migration the issue promises is all a user needs: drop ``await``
(and ``async`` before ``with``), rename the package. The test then adds the emulator's
``base_url`` to each session constructor (:func:`with_base_url`).
"""

from __future__ import annotations

import ast
import io
import os
import re
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

#: The seed documents: ``$MAILRU_SYNC_SEEDS`` when set (a run outside the checkout, such as the
#: unpacked sdist in ``.ci/run``), else ``../shared/seeds/`` beside the repository.
SEEDS = Path(
    os.environ.get("MAILRU_SYNC_SEEDS")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
)

_RST_OPENER = re.compile(r"^(\s*)\.\. code-block:: python\s*$")
_MD_OPENER = re.compile(r"^```python\s*$")
#: In the collapsed document: where a sample's text ends and prose resumes.
_COLLAPSED_END = re.compile(
    r"\s+(?:It is equivalent|[\w-]+(?: [\w-]+)* (?:\^{4,}|~{4,}|-{4,}|={4,}))"
)


@dataclass(frozen=True)
class Sample:
    """One code sample: its document, 1-based index there, platform and text."""

    document: str
    index: int
    platform: str  # "mailru" (aiomailru docs) or "ok" (aiookru docs)
    code: str

    @property
    def name(self) -> str:
        """The test id, e.g. ``003#5``."""
        return f"{self.document[:3]}#{self.index}"


def _rst_blocks(text: str) -> list[str]:
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        opener = _RST_OPENER.match(line)
        if not opener:
            continue
        depth, body, j = len(opener.group(1)), [], i + 1
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > depth
        ):
            body.append(lines[j])
            j += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return blocks


def _md_blocks(text: str) -> list[str]:
    blocks, body, inside = [], [], False
    for line in text.splitlines():
        if not inside and _MD_OPENER.match(line):
            inside, body = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
        elif inside:
            body.append(line)
    return blocks


def _statement_starts(code: str) -> list[tuple[int, bool]]:
    """Offsets where a statement begins in a one-line run of statements, and whether it is the
    header of a block (``with ...:``) whose body follows."""
    starts: list[tuple[int, bool]] = []
    depth, current, previous = 0, "", ""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    for k, token in enumerate(tokens):
        text, column = token.string, token.start[1]
        following = tokens[k + 1].string if k + 1 < len(tokens) else ""
        begins = depth == 0 and (
            text in ("from", "async", "...", "{")
            or (text == "with" and previous != "async")
            or (text == "import" and current != "from")
            or (token.type == tokenize.NAME and following == "=" and previous != "from")
        )
        if begins and not (text == "{" and previous in ("=", "(")):
            starts.append((column, False))
            current = text
        if text in "([{" and token.type == tokenize.OP:
            depth += 1
        elif text in ")]}" and token.type == tokenize.OP:
            depth -= 1
        elif text == ":" and depth == 0 and current in ("async", "with"):
            starts[-1] = (starts[-1][0], True)
        previous = text
    return starts


def _unfold(code: str) -> str:
    """A collapsed sample as lines: statements split, a ``with`` body indented."""
    starts = _statement_starts(code)
    bounds = [column for column, _ in starts] + [len(code)]
    lines, indent = [], ""
    for (column, opens_block), end in zip(starts, bounds[1:], strict=True):
        statement = code[column:end].strip()
        if opens_block:
            header, _, rest = statement.partition(":")
            lines.append(f"{indent}{header}:")
            indent = "    "
            if rest.strip():
                lines.append(indent + rest.strip())
        else:
            lines.append(indent + statement)
    return "\n".join(lines)


def _collapsed_blocks(text: str) -> list[str]:
    blocks = []
    for piece in text.split(".. code-block:: python")[1:]:
        end = _COLLAPSED_END.search(piece)
        blocks.append(_unfold(piece[: end.start() if end else len(piece)].strip()))
    return blocks


def samples(folder: Path = SEEDS) -> list[Sample]:
    """Every Python sample of every seed document, in order."""
    found = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        platform = "ok" if "aiookru" in text else "mailru"
        if "```" in text:
            blocks = _md_blocks(text)
        elif len(text.strip().splitlines()) == 1:
            blocks = _collapsed_blocks(text)
        else:
            blocks = _rst_blocks(text)
        found += [Sample(path.name, i, platform, code) for i, code in enumerate(blocks, 1)]
    return found


def opener_count(folder: Path = SEEDS) -> int:
    """How many samples the documents open, by a plain text count (checked against
    :func:`samples`, so a sample the parser misses fails the suite)."""
    total = 0
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        total += text.count(".. code-block:: python") + len(re.findall(r"^```python", text, re.M))
    return total


def migrate(code: str) -> str:
    """The migration a user makes: drop ``await`` (``async with`` -> ``with``), rename the
    package (``aiomailru`` -> ``mailru_sync``, ``aiookru`` -> ``mailru_sync.ok``)."""
    code = re.sub(r"\basync\s+with\b", "with", code)
    code = re.sub(r"\bawait\s+", "", code)
    code = re.sub(r"\baiookru\b", "mailru_sync.ok", code)
    return re.sub(r"\baiomailru\b", "mailru_sync", code)


class _Rewrite(ast.NodeTransformer):
    """Add ``base_url=<name>`` to every ``...Session(...)`` call; swap placeholder strings."""

    def __init__(self, base_url_name: str, placeholders: dict[str, str]) -> None:
        self.base_url_name = base_url_name
        self.placeholders = placeholders

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id.endswith("Session"):
            node.keywords.append(
                ast.keyword("base_url", ast.Name(self.base_url_name, ast.Load()))
            )
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and node.value in self.placeholders:
            return ast.Name(self.placeholders[node.value], ast.Load())
        return node


def with_base_url(code: str, base_url_name: str, placeholders: dict[str, str]) -> ast.Module:
    """``code`` parsed, each session built at ``base_url_name``'s origin, and each placeholder
    string (``'private key'``, ``'your_client_id'``) replaced by the variable that holds the
    reader's own value."""
    tree = _Rewrite(base_url_name, placeholders).visit(ast.parse(code))
    return ast.fix_missing_locations(tree)
