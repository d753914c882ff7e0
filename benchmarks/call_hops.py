"""Count the library calls and the hops between modules of one warm API call and one refresh.

    python benchmarks/call_hops.py [--tree PATH]

Why: the composition of the session is meant to keep each concern in one module; how many of
the library's own functions one call runs, and how often control crosses from one module of
the library to another, say how far a reader has to follow one call. ``--tree`` measures
another source tree (e.g. a ``git worktree`` of an older commit) the same way.

Counted with ``sys.setprofile``: every ``call`` event whose function lives in ``mailru_sync/``
(the emulator, ``mailru_sync/testing/``, excluded) is a library call; a hop is such a call made
from a library function of another module. The emulator runs in this process on its own
threads; only the calling thread is profiled.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any


def _library_module(frame: FrameType, root: str) -> str | None:
    filename = frame.f_code.co_filename
    if not filename.startswith(root) or "/testing/" in filename:
        return None
    return filename[len(root):]


def measure(run: Any, root: str) -> tuple[int, set[str], Counter[tuple[str, str]]]:
    """Library calls, the modules they ran in and the hop pairs while ``run()`` executes."""
    calls = 0
    seen: set[str] = set()
    hops: Counter[tuple[str, str]] = Counter()

    def profiler(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event != "call":
            return
        module = _library_module(frame, root)
        if module is None:
            return
        calls += 1
        seen.add(module)
        caller = frame.f_back
        while caller is not None and _library_module(caller, root) is None:
            if caller.f_code.co_filename.startswith(root):
                break  # called from the emulator: not a hop between library modules
            caller = caller.f_back
        if caller is not None:
            origin = _library_module(caller, root)
            if origin is not None and origin != module:
                hops[(origin, module)] += 1

    sys.setprofile(profiler)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls, seen, hops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree))
    mailru_sync = importlib.import_module("mailru_sync")
    testing = importlib.import_module("mailru_sync.testing")
    root = str(Path(mailru_sync.__file__).resolve().parent) + "/"

    with testing.MailruEmulator() as emu:
        session = mailru_sync.TokenSession(
            emu.app.app_id, emu.app.private_key, emu.app.secret_key,
            emu.user.access_token, emu.user.uid, base_url=emu.url,
        )
        session.refresh_token = emu.user.refresh_token
        api = mailru_sync.API(session)
        api.friends.get()  # warm: pools, caches and lazy modules loaded
        api.friends.get()
        call = measure(lambda: api.friends.get(), root)
        refresh = measure(session.refresh, root)
        api.friends.get()
    for name, (calls, modules, pairs) in (("warm api.friends.get()", call),
                                          ("session.refresh()", refresh)):
        hops = sum(pairs.values())
        print(f"{name}: {calls} library calls in {len(modules)} modules, {hops} hops")
        for (origin, target), count in pairs.most_common(8):
            print(f"    {count:3d}  {origin} -> {target}")


if __name__ == "__main__":
    main()
