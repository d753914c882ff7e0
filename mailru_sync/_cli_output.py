"""How ``mailru-sync`` writes JSON: readable in any terminal, safe in any pipe.

Why a module: the command line's output rules are few but easy to get wrong. Non-ASCII text
(Russian names, the ``…`` of a masked token) is printed as itself when stdout can encode it and
as ``\\uXXXX`` escapes when it cannot (``LANG=C``, a ``PYTHONIOENCODING=ascii`` cron job), so
output never fails on encoding and is always valid JSON. A reader that closes the pipe early
(``| head -1``) is normal: :func:`quiet_closed_stdout` keeps Python from complaining at exit.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from typing import Any

__all__ = ["print_json", "quiet_closed_stdout", "stdout_is_unicode"]


def stdout_is_unicode() -> bool:
    """Whether stdout's encoding can write any character (UTF-8, UTF-16...)."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def print_json(value: Any, *, lines: bool = False) -> None:
    """``value`` as JSON on stdout: one line each (``lines``, JSON Lines) or indented."""
    ascii_only = not stdout_is_unicode()
    if lines:
        print(json.dumps(value, ensure_ascii=ascii_only), flush=False)
    else:
        print(json.dumps(value, ensure_ascii=ascii_only, indent=1))


def quiet_closed_stdout() -> None:
    """After a ``BrokenPipeError``: point stdout at /dev/null, so the interpreter's final
    flush of what is still buffered does not raise (and print a traceback) again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (stdout replaced): nothing to flush
        pass
