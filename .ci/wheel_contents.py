"""CI check: the wheel ships the library only (``python .ci/wheel_contents.py WHEEL``).

Why: the sdist carries tests, examples, docs and benchmarks for packagers and contributors;
an installed wheel must not drop a top-level ``tests`` package into site-packages.
"""

from __future__ import annotations

import sys
import zipfile


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python .ci/wheel_contents.py WHEEL", file=sys.stderr)
        return 2
    names = zipfile.ZipFile(argv[0]).namelist()
    stray = [name for name in names if not name.startswith(("mailru_sync/", "mailru_sync-"))]
    if stray:
        print(f"CI: the wheel ships more than the library: {stray[:10]}", file=sys.stderr)
        return 1
    if "mailru_sync/py.typed" not in names:
        print("CI: the wheel lacks mailru_sync/py.typed", file=sys.stderr)
        return 1
    print(f"wheel: {len(names)} files, the library only (py.typed included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
