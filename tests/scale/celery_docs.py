"""The literal blocks of docs/celery.rst, sorted by what tests them.

The page marks every block for the docs' runner (``tests/readme_blocks.py``): ``excerpt FILE``
(its lines are FILE's, checked there) or ``tested-by TEST REASON``: ``starts long-running
services`` (the commands ``tests/scale/cluster.py`` runs, checked by ``test_celery_docs.py``),
or ``needs Redis`` (``tests/scale/test_celery_app.py``'s smoke test executes it against real
workers).
"""

from __future__ import annotations

from tests.readme_blocks import Block, parse
from tests.scale.cluster import ROOT

DOC = ROOT / "docs" / "celery.rst"


def doc_blocks() -> list[Block]:
    return parse(DOC.read_text(encoding="utf-8"))


def executed_block() -> Block:
    """The one usage sample the smoke test runs."""
    (block,) = [b for b in doc_blocks() if "needs Redis" in b.argument]
    return block
