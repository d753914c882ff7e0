"""Sphinx configuration of the mailru_sync documentation.

Why so few extensions: CI builds the site with no network (``sphinx-build -W --keep-going`` in
``.ci/run``), so nothing here may fetch anything: no intersphinx, no linkcheck, no remote theme
assets. Warnings are errors there, so every page and docstring must build clean.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # build from a checkout or an unpacked sdist without installing

import mailru_sync  # noqa: E402

project = "mailru_sync"
author = "the mailru_sync maintainers"
copyright = "2026, the mailru_sync maintainers"  # the name Sphinx reads
release = mailru_sync.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build"]
templates_path: list[str] = []

# The library loads its classes on first use (PEP 562); autodoc imports each documented name
# by attribute access, which loads it, so every public name is seen.
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"mailru_sync {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
