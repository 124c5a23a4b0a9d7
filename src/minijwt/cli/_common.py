"""What every subcommand shares: errors as one line, key files, durations, output.

The command line uses minijwt's public API only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

import minijwt

#: Exit statuses, documented in ``minijwt --help`` and the docs.
EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A usage, file, key or option problem: one line on stderr, exit status 2."""


class Rejected(Exception):
    """A token was rejected: one line on stderr, exit status 1."""

    def __init__(self, error: minijwt.InvalidTokenError) -> None:
        super().__init__(error.message)
        self.error = error


def fail(message: str) -> NoReturn:
    """Stop with a usage error."""
    raise UsageError(message)


def emit(text: str, stream: TextIO | None = None, *, flush: bool = False) -> None:
    """Write ``text`` to ``stream`` (standard output by default); a reader that went away is no error.

    ``minijwt inspect "$T" | head -1``: once ``head`` has exited, a write
    fails with EPIPE (Python ignores SIGPIPE). The stream is then pointed at
    the null device, so that later writes and the interpreter's last flush
    succeed unseen, and the command goes on to its own exit status: a status
    that never depends on how much of the output was read.
    """
    out = sys.stdout if stream is None else stream
    try:
        out.write(text)
        if flush:
            out.flush()
    except BrokenPipeError:
        discard(out)


def discard(stream: TextIO) -> None:
    """Send what is still written to ``stream`` to the null device (its reader has gone)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - a system without a null device
        return
    try:
        os.dup2(null, stream.fileno())
    except (OSError, ValueError):  # not a file descriptor (a StringIO), or already closed
        pass
    finally:
        os.close(null)


def flush_quietly(*streams: TextIO) -> None:
    """Flush each stream now, where a reader that went away is no error (not at interpreter exit)."""
    for stream in streams:
        try:
            stream.flush()
        except BrokenPipeError:
            discard(stream)
        except (OSError, ValueError):  # closed by the caller
            pass


class _Held(logging.Handler):
    """What the library logs while a command runs, held back as text (the first :data:`HELD_LINES` lines)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A bound, as a server may run for months; one line each, as a log
        # message never spans lines in the output.
        if len(self.lines) < HELD_LINES:
            self.lines.append(" ".join(record.getMessage().split()))


#: The most lines of the library's log a command holds back to show.
HELD_LINES = 100


@contextlib.contextmanager
def held_library_log() -> Iterator[list[str]]:
    """Hold back what minijwt logs at WARNING or above during the ``with`` block.

    With no handler configured, Python's last-resort handler would print each
    record on stderr; while this one is attached it is not used. Handlers a
    host program configured still get every record.
    """
    logger = logging.getLogger("minijwt")
    handler = _Held()
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


_DURATION = re.compile(r"(\d+)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> int:
    """Seconds from ``3600``, ``90s``, ``30m``, ``1h``, ``7d`` or ``2w`` (argparse type)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use 3600, 90s, 30m, 1h, 7d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def read_file(path: str) -> bytes:
    """A file's bytes, or a usage error that names it."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


def _password(path: str | None, key_path: str, *, interactive: bool) -> bytes:
    if path is not None:
        return read_file(path).rstrip(b"\r\n")
    if not interactive or not sys.stdin.isatty():
        fail(f"{key_path} is encrypted: give its password with --password-file")
    return getpass.getpass(f"password for {key_path}: ").encode("utf-8")


def load_key_file(path: str, *, password_file: str | None = None, interactive: bool = True) -> minijwt.JWK:
    """Load a key file of any kind minijwt reads (the command-line page lists them), as a JWK.

    An encrypted private key asks for its password on the terminal (never
    when ``interactive`` is false), or reads it from ``--password-file``.
    """
    data = read_file(path)
    try:
        if data.lstrip()[:1] == b"{":
            document = json.loads(data)
            if isinstance(document, dict) and "keys" in document:
                fail(f"{path} is a JWK Set; give one key (or use --jwks to verify)")
            return minijwt.JWK.from_json(data)
        try:
            key = minijwt.load_key(data)
        except minijwt.InvalidKeyError as exc:
            if "encrypted" not in exc.message:
                raise
            key = minijwt.load_key(data, password=_password(password_file, path, interactive=interactive))
        if isinstance(key, minijwt.SecretKey):
            secret = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
            return minijwt.JWK.from_key(minijwt.SecretKey(secret))
        return minijwt.JWK.from_key(key)
    except ValueError as exc:  # JSON that is not JSON
        fail(f"{path}: not a key ({exc})")
    except minijwt.MiniJWTError as exc:
        fail(f"{path}: {exc.message}")


def signing_jwk(path: str, password_file: str | None, kid: str | None) -> minijwt.JWK:
    """The key to sign with, its ``kid`` the one given or the RFC 7638 thumbprint."""
    jwk = load_key_file(path, password_file=password_file)
    if not jwk.is_private:
        fail(f"{path} holds a public key; signing needs the private key")
    # The RFC 7638 thumbprint, the default, is one the private and the public half share.
    return dataclasses.replace(jwk, kid=kid or jwk.kid or jwk.thumbprint())


def algorithms(values: list[str] | None) -> list[str]:
    """``--alg`` values (repeated or comma-separated), checked against the table."""
    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    if not names:
        fail("name the algorithms you accept with --alg, e.g. --alg RS256")
    unknown = [name for name in names if name not in minijwt.ALGORITHMS]
    if unknown:
        fail(f"unknown algorithm {unknown[0]!r}; choose from {', '.join(minijwt.ALGORITHMS)}")
    return names


def read_token(value: str | None) -> str:
    """The token argument, or standard input for ``-`` or nothing."""
    if value is None or value == "-":
        if sys.stdin.isatty():
            fail("give a token, or pipe one in")
        value = sys.stdin.read()
    token = value.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        fail("the token is empty")
    return token


#: The bidi controls (Unicode Standard Annex #9): the marks ALM, LRM and RLM,
#: the embeddings and overrides U+202A-U+202E, and the isolates U+2066-U+2069.
#: Each is a format character, so not printable either: named here so that the
#: rule does not rest on that.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unsafe(char: str) -> bool:
    return not char.isprintable() or char in BIDI_CONTROLS


def _escape(char: str, *, as_json: bool) -> str:
    code = ord(char)
    if as_json:
        if code > 0xFFFF:  # JSON has no escape beyond the BMP: a UTF-16 pair (RFC 8259 section 7)
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, *, as_json: bool = False) -> str:
    """``text`` with every character a terminal could act on written as an escape.

    The one rule for what the command line prints from a token, a request or a
    message about them (the security page tells why): every character for
    which :meth:`str.isprintable` is false, and every one of
    :data:`BIDI_CONTROLS`. Other text, ``é`` or ``日本``, and backslashes are
    left as they are.

    Plain text gets Python's notation (``\\x1b``, ``\\u202e``,
    ``\\U000e0001``), as :func:`repr` and the standard library's HTTP log
    write; with ``as_json``, JSON's (``\\u001b``, a UTF-16 pair beyond the
    BMP), so that a JSON text escaped so parses to the same value.
    """
    if text.isprintable() and BIDI_CONTROLS.isdisjoint(text):
        return text
    return "".join(_escape(char, as_json=as_json) if _unsafe(char) else char for char in text)


def print_json(value: Any, out: TextIO | None = None) -> None:
    """Pretty JSON, keys in their order, escaped by :func:`printable` (non-ASCII text as it is)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    # ensure_ascii=False keeps é readable but leaves C1 controls, DEL and bidi
    # overrides raw. Every line break json.dumps writes is its layout (one in a
    # string is written "\n"), so the text is escaped line by line.
    emit("\n".join(printable(line, as_json=True) for line in text.split("\n")) + "\n", out)


def write_private(path: str, data: bytes, *, force: bool) -> None:
    """Write a private file with mode 0600, never over an existing file without ``force``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        fail(f"{path} exists; use --force to overwrite it")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # also when --force replaced a wider file
        out.write(data)


def write_public(path: str, data: bytes, *, force: bool) -> None:
    """Write a public file, never over an existing file without ``force``."""
    try:
        with open(path, "wb" if force else "xb") as out:
            out.write(data)
    except FileExistsError:
        fail(f"{path} exists; use --force to overwrite it")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def colour(enabled: bool) -> dict[str, str]:
    """ANSI colours when enabled (a TTY, and ``NO_COLOR`` unset), else empty strings."""
    names = {"green": "32", "red": "31", "bold": "1", "dim": "2", "yellow": "33"}
    if not enabled:
        return dict.fromkeys([*names, "reset"], "")
    return {**{name: f"\033[{code}m" for name, code in names.items()}, "reset": "\033[0m"}


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")
