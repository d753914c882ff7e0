"""One place that makes the library's objects safe in a forked child.

Why: a keep-alive socket inherited by a child (gunicorn ``--preload``, multiprocessing, Celery's
prefork pool) is the same socket in both processes, so each would read the other's answers; and
a lock held by another thread of the parent at fork time is never released in the child. Every
object that owns such state registers a reset here, and ``os.register_at_fork`` runs the resets
in the child, before any code of the child can touch them.

This is the only fork mechanism of the library (there is no per-call pid check): a fork done in
C that skips the interpreter's at-fork hooks (``PyOS_AfterFork_Child``) is not covered.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["reset_in_child"]

_T = TypeVar("_T")

_resets: weakref.WeakKeyDictionary[Any, list[Callable[[Any], None]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def reset_in_child(owner: _T, reset: Callable[[_T], None]) -> None:
    """Call ``reset(owner)`` in every child forked while ``owner`` is alive (held weakly).

    An owner may register several resets (a session's pools, and its first-login state); each
    runs once per fork, in the order registered.
    """
    with _lock:
        resets = _resets.setdefault(owner, [])
        if reset not in resets:
            resets.append(reset)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent may have held it at fork time
    for owner, resets in list(_resets.items()):
        for reset in resets:
            reset(owner)


os.register_at_fork(after_in_child=_after_fork_in_child)
