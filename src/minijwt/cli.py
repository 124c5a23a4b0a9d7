"""The ``minijwt`` command line.

``minijwt demo`` signs and verifies a token with every supported algorithm,
shows a tampered token being rejected, and prints the results as a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from minijwt import ALGORITHMS, JWK, MiniJWTError, __version__, jws

__all__ = ["main"]


def _tamper(token: str) -> str:
    """Change one character of the payload segment."""
    header, payload, signature = token.split(".")
    swapped = ("A" if payload[0] != "A" else "B") + payload[1:]
    return f"{header}.{swapped}.{signature}"


def demo(out: TextIO) -> int:
    """Run the demo, writing the table to ``out``; return the exit status."""
    payload = b'{"sub":"demo-user","scope":"read"}'
    rows: list[tuple[str, str, str, str, str, str]] = []
    failures = 0
    for alg in ALGORITHMS.values():
        key = JWK.generate(alg.name).key
        start = time.perf_counter()
        token = jws.sign(payload, key, alg.name)
        sign_us = (time.perf_counter() - start) * 1e6
        start = time.perf_counter()
        verified = jws.verify(token, key, algorithms=[alg.name]) == payload
        verify_us = (time.perf_counter() - start) * 1e6
        try:
            jws.verify(_tamper(token), key, algorithms=[alg.name])
            tampered = "ACCEPTED (bug!)"
            failures += 1
        except MiniJWTError as exc:
            tampered = f"rejected ({exc.code})"
        if not verified:
            failures += 1
        curve = f" {min(alg.curves)}" if len(alg.curves) == 1 else (" Ed25519" if alg.curves else "")
        rows.append(
            (
                alg.name,
                f"{alg.kty}{curve} {key.size}b",
                str(len(token)),
                "ok" if verified else "FAILED",
                tampered,
                f"{sign_us:,.0f} / {verify_us:,.0f}",
            )
        )
    headers = ("alg", "key", "token len", "verify", "tampered token", "sign / verify (us)")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out.write(f"minijwt {__version__}: sign, verify and tamper with every algorithm\n\n")
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n" + line + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"\n{len(rows) - failures} of {len(rows)} algorithms behaved correctly.\n")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minijwt`` command.

    Args:
        argv: The arguments (without the program name); ``sys.argv[1:]`` when
            ``None``.

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(prog="minijwt", description="A small, strict JWS/JWT toolkit.")
    parser.add_argument("--version", action="version", version=f"minijwt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="sign and verify a token with every algorithm, and reject a tampered one")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(sys.stdout)
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse rejects it first
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
