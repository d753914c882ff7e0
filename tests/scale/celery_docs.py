"""The literal blocks of docs/celery.rst, sorted by what tests them.

The page marks every block ``.. readme-test: skip REASON`` (README.rst's convention: the docs'
own runner reports it as not run, since it needs Redis and workers). The reason says who tests
it instead: ``excerpt of FILE`` (its lines are FILE's, checked by ``test_celery_docs.py``),
``starts long-running services`` (the commands ``tests/scale/cluster.py`` runs), or it names
``tests/scale/test_celery_app.py``, whose smoke test executes it against real workers.
"""

from __future__ import annotations

from tests.readme_blocks import Block, parse
from tests.scale.cluster import ROOT

DOC = ROOT / "docs" / "celery.rst"


def doc_blocks() -> list[Block]:
    return parse(DOC.read_text(encoding="utf-8"))


def executed_block() -> Block:
    """The one usage sample the smoke test runs."""
    (block,) = [b for b in doc_blocks() if b.argument.startswith("needs Redis")]
    return block
