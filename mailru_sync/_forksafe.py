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

import netrc  # noqa: F401 - see below
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["no_fork", "reset_in_child"]

_T = TypeVar("_T")

# ``requests`` imports ``netrc`` inside every request it prepares. The first import takes a
# module lock that a fork leaves held in the child if another thread was in it at that moment,
# and the child's next request then waits on it forever. Imported here, before any thread
# of ours runs, it is never a first import at fork time.

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


#: Held around the few steps that must not be split by a fork (``os.fork`` waits for it).
_no_fork = threading.Lock()


def no_fork() -> threading.Lock:
    """A lock that ``fork()`` waits for: hold it (briefly, never blocking) around a step whose
    half-done state a child must not inherit, such as opening a lock file and registering its
    descriptor for the child to close. Never fork while holding it."""
    return _no_fork


def _after_fork_in_child() -> None:
    global _lock, _no_fork
    _lock = threading.Lock()  # the parent may have held it at fork time
    _no_fork = threading.Lock()
    for owner, resets in list(_resets.items()):
        for reset in resets:
            reset(owner)


def _release_in_parent() -> None:
    _no_fork.release()


os.register_at_fork(
    before=lambda: _no_fork.acquire(),
    after_in_parent=_release_in_parent,
    after_in_child=_after_fork_in_child,
)
