"""The ``minijwt`` command line: keys, tokens, a JWK Set server, and a demo of the whole flow.

Built on minijwt's public API only; nothing in the library imports it. Every
error is one line on stderr, never a traceback. Exit statuses: 0 ok, 1 token
rejected, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

import minijwt

from . import demo, keys, serve, tokens
from ._common import EXIT_REJECTED, EXIT_USAGE, Rejected, UsageError

__all__ = ["main"]

DESCRIPTION = """\
A small, strict JWT toolkit: make keys, sign, verify and inspect tokens,
publish a JWK Set, and see the whole flow run (`minijwt demo`).

exit status: 0 ok, 1 token rejected, 2 usage or input error.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors said in one line (and where to find help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser, every subcommand with its help and an example."""
    root = _Parser(prog="minijwt", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--version", action="version", version=f"minijwt {minijwt.__version__}")
    commands: argparse._SubParsersAction[argparse.ArgumentParser] = root.add_subparsers(  # type: ignore[assignment]
        dest="command", required=True, metavar="COMMAND"
    )
    demo.add_parsers(commands)
    keys.add_parsers(commands)
    tokens.add_parsers(commands)
    serve.add_parsers(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minijwt`` command.

    Args:
        argv: The arguments (without the program name); ``sys.argv[1:]`` when
            ``None``.

    Returns:
        The process exit status: 0 ok, 1 token rejected, 2 usage or input error.
    """
    args = parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except Rejected as rejected:
        print(f"rejected: {rejected.error.code}: {rejected.error.message}", file=sys.stderr)
        return EXIT_REJECTED
    except UsageError as error:
        print(f"minijwt {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
