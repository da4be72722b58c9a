"""The ``dcsll`` command line.

Sub-commands live in :mod:`dcsll.commands` (one module each, discovered here). Exit codes: 0 success,
2 bad input (:class:`common.errors.InputError`, message naming file, field and unit) or a deal book
refusal (:class:`store.StoreError`), 1 other failures
a command reports itself.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import dcsll.commands as commands
from common.errors import DcsllError
from dcsll import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dcsll",
        description="Sustainability-linked loans for data centres on the Full-Lifecycle Green Computing "
        "Power Index (GCPI, CAICT/Envision/Heying Data 2024).",
    )
    parser.add_argument("--version", action="version", version=f"dcsll {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"dcsll.commands.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except DcsllError as exc:  # InputError, and the deal book's refusals (not migrated, no permission ...)
        print(f"dcsll {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except FileNotFoundError as exc:
        print(f"dcsll {args.command}: error: {exc.filename}: file not found", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
