"""Peak client memory while uploading a large photo to each platform's emulator.

A benchmark of memory, not of speed: the emulator runs in its own process
(``python -m mailru_sync emulator``), so :mod:`tracemalloc` here sees only the client. The
upload streams the file from disk, so the peak must stay far below the file's size.

    python benchmarks/upload_memory.py --size-mb 20

prints one JSON line per platform (``file_bytes``, ``peak_bytes``) and exits 1 if a peak reached
the file size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import mailru_sync
import mailru_sync.ok as ok

JPEG_MAGIC = b"\xff\xd8\xff\xe0"


def write_photo(path: Path, size: int) -> None:
    """A file of ``size`` bytes that passes the emulators' image check (JPEG magic)."""
    block = bytes(range(256)) * 4096  # 1 MiB
    with path.open("wb") as handle:
        handle.write(JPEG_MAGIC)
        left = size - len(JPEG_MAGIC)
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)


def session_for(platform: str, info: dict[str, Any]) -> mailru_sync.TokenSession | ok.TokenSession:
    app, user = info["app"], info["user"]
    if platform == "mailru":
        return mailru_sync.ServerSession(
            app["app_id"],
            app["secret_key"],
            user["access_token"],
            base_url=info["url"],
            deadline=120,
        )
    return ok.ClientSession(
        app["app_id"],
        app["app_key"],
        user["access_token"],
        user["session_secret_key"],
        base_url=info["url"],
        deadline=120,
    )


def measure(platform: str, photo: Path) -> dict[str, Any]:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "mailru_sync", "emulator", "--platform", platform],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        info = json.loads(emulator.stdout.readline())
        with session_for(platform, info) as session:
            session.call("users.getInfo" if platform == "mailru" else "users.getCurrentUser")
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                result = session.upload_photo(photo)
                peak = tracemalloc.get_traced_memory()[1] - before
            finally:
                tracemalloc.stop()
        return {
            "platform": platform,
            "file_bytes": photo.stat().st_size,
            "peak_bytes": peak,
            "stored": bool(result),
        }
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=20.0)
    args = parser.parse_args(argv)
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "large.jpg"
        write_photo(photo, int(args.size_mb * 1_000_000))
        for platform in ("mailru", "ok"):
            figures = measure(platform, photo)
            print(json.dumps(figures), flush=True)
            worst = max(worst, figures["peak_bytes"] / figures["file_bytes"])
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
