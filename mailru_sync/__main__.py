"""``python -m mailru_sync``: ``emulator`` (a local API emulator) and ``demo`` subcommands."""

from __future__ import annotations

import importlib
import sys

_USAGE = """usage: python -m mailru_sync {emulator,demo} [options]

  emulator   run a local Mail.ru / OK.ru API emulator (see: emulator --help)
  demo       run the end-to-end demo against the emulator
"""


def _demo(argv: list[str]) -> int:
    try:
        demo = importlib.import_module("mailru_sync.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "mailru_sync.demo":
            raise
        print("the demo is not available: module mailru_sync.demo is missing", file=sys.stderr)
        return 2
    # The demo parses sys.argv itself (if at all); show it only its own arguments.
    sys.argv = ["python -m mailru_sync demo", *argv]
    return int(demo.main())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "emulator":
        from mailru_sync.testing._cli import main as emulator_main

        return emulator_main(rest)
    if command == "demo":
        return _demo(rest)
    print(f"unknown command {command!r}\n{_USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
