"""docs/celery.rst cannot drift from examples/celery_app (see ``celery_docs`` for the rules)."""

from __future__ import annotations

import re

import pytest

from tests.readme_blocks import Block, opener_lines
from tests.scale.celery_docs import DOC, doc_blocks, executed_block
from tests.scale.cluster import ROOT

BLOCKS = doc_blocks()


def test_every_block_is_found_and_marked() -> None:
    assert len(BLOCKS) == len(opener_lines(DOC.read_text(encoding="utf-8"))) > 0
    for block in BLOCKS:
        assert block.kind in ("excerpt", "tested-by"), f"{block.name}: would be run as Python"
        assert block.argument, f"{block.name}: names its file or its test and reason"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "excerpt"],
                         ids=lambda b: b.name)
def test_excerpts_are_the_example_code(block: Block) -> None:
    source = ROOT / block.argument.strip()
    lines = {line.strip() for line in source.read_text(encoding="utf-8").splitlines()}
    for line in block.lines():
        assert line.strip() in lines, f"{block.name}: {line.strip()!r} is not in {source}"


def test_the_commands_are_the_ones_the_tests_run() -> None:
    (block,) = [b for b in BLOCKS if "starts long-running services" in b.argument]
    worker = [line for line in block.lines() if line.startswith("celery ")]
    assert worker == ["celery -A examples.celery_app worker --pool=prefork --concurrency=2 "
                      "--loglevel=INFO"]
    cluster = (ROOT / "tests" / "scale" / "cluster.py").read_text(encoding="utf-8")
    for arg in worker[0].split()[1:]:
        if not re.match(r"--concurrency=", arg):
            assert f'"{arg}"' in cluster or f"'{arg}'" in cluster, arg
    variables = set(re.findall(r"\b([A-Z_]+)=", block.code))
    settings = (ROOT / "examples" / "celery_app" / "settings.py").read_text(encoding="utf-8")
    assert variables and all(f'"{v}"' in settings for v in variables), variables


def test_the_usage_sample_is_the_examples_own() -> None:
    """The example's docstring shows the sample that the smoke test executes from the docs."""
    docstring = (ROOT / "examples" / "celery_app" / "__init__.py").read_text(encoding="utf-8")
    lines = {line.strip() for line in docstring.splitlines()}
    block = executed_block()
    assert ".delay(" in block.code
    assert all(line.strip() in lines for line in block.lines())
