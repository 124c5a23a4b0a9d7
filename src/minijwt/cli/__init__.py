"""The ``minijwt`` command line: keys, tokens, a JWK Set server, and a demo of the whole flow.

Built on minijwt's public API only; nothing in the library imports it. How it
reports (one-line errors, exit statuses, a reader that goes away) is told in
the docs' command-line page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

import minijwt

from . import demo, keys, serve, tokens
from ._common import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Rejected,
    UsageError,
    emit,
    flush_quietly,
    held_library_log,
    printable,
)

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
        It is the same whether or not the output was read to its end.
    """
    try:
        return _run(argv)
    except BrokenPipeError:  # pragma: no cover - every command writes through emit()
        # A write that bypassed emit() met a reader that had gone away. The
        # command's own status is lost; the token and the input were not at
        # fault, so end quietly, as emit() would have.
        return EXIT_OK
    finally:
        # Flushed here, where a closed pipe is caught, not at interpreter exit.
        flush_quietly(sys.stdout, sys.stderr)


def _run(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    with held_library_log() as logged:
        try:
            status: int = args.run(args)
        except Rejected as rejected:
            return _say(f"rejected: {rejected.error.code}: {rejected.error.message}", EXIT_REJECTED)
        except UsageError as error:
            return _say(f"minijwt {args.command}: {error}", EXIT_USAGE)
        except minijwt.InvalidTokenError as error:  # pragma: no cover - each command that decodes catches it
            return _say(f"rejected: {error.code}: {error.message}", EXIT_REJECTED)
        except minijwt.MiniJWTError as error:
            # Whatever a command configures the library with (an --issuer the
            # JWKS client refuses, say) may be refused with InvalidOptionError
            # or InvalidKeyError: the input's fault, not the token's, so one
            # line and exit 2 here for every option of every command.
            return _say(f"minijwt {args.command}: {error.message}", EXIT_USAGE)
        except KeyboardInterrupt:
            return 130
    # An error is one line: what the library logged on the way (a failed key
    # fetch, say) is shown only when the command printed no error of its own.
    for line in logged:
        emit(f"note: {printable(line)}\n", sys.stderr)
    return status


def _say(line: str, status: int) -> int:
    # One line, escaped: a message may quote a token or a server, anyone's text.
    emit(f"{printable(line)}\n", sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
