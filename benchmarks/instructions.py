"""HS256 decoding measured in CPU instructions, which no noisy neighbour changes.

Timings on a shared machine move by tens of percent from one run to the next.
Instruction counts barely do: ``valgrind --tool=callgrind`` counts what the
process executes, within 0.1 % for the same code, inputs and interpreter
whatever else the machine is doing. Each decoder runs in a fresh interpreter under
callgrind twice, once with ``--ops`` more decodes than the other, and the
difference divided by ``--ops`` is its cost per decode: start-up, imports and
warm-up cancel out. ``PYTHONHASHSEED`` is fixed so that dictionaries lay out
alike in every run.

    python benchmarks/instructions.py [--ops 2000]      # needs valgrind

The decoders are ``run.py``'s HS256 scenario (100-byte claims, the audience
and issuer checked, a key object): the limit decoder of ``floor.py``, a
:class:`~minijwt.JWTVerifier`, :func:`minijwt.decode` and PyJWT's ``decode``.
Instructions are not time (a cache miss costs more than an addition), so this
complements ``run.py``; it does not replace it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DECODERS = ("floor", "minijwt-verifier", "minijwt", "pyjwt")
WARM_UP = 200
BASE_OPS = 500


def decoder(name: str) -> Callable[[], Any]:
    """One HS256 decode of ``run.py``'s token by the named library, ready to call."""
    sys.path.insert(0, str(HERE))
    import floor
    from run import AUDIENCE, ISSUER, claims_of_size

    import minijwt

    secret = b"a-fixed-secret-for-the-count!!!!"
    token = minijwt.encode(claims_of_size(100), secret, "HS256")
    size = 4 * 1024 * 1024  # as run.py gives it
    if name == "floor":
        limit = floor.make_decoder("HS256", AUDIENCE, ISSUER)
        return lambda: limit(token, secret)
    if name == "minijwt-verifier":
        verifier = minijwt.JWTVerifier(
            secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, max_token_size=size
        )
        return lambda: verifier.decode(token)
    if name == "minijwt":
        decode = minijwt.decode
        return lambda: decode(
            token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, max_token_size=size
        )
    import jwt

    pyjwt_decode = jwt.decode
    return lambda: pyjwt_decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)


def child(name: str, ops: int) -> None:
    """Decode ``WARM_UP + ops`` times (what runs under callgrind)."""
    run = decoder(name)
    for _ in range(WARM_UP + ops):
        run()


def count(name: str, ops: int, script: str = __file__) -> int:
    """The instructions a fresh interpreter executes to run ``script --child name ops`` (and start)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, script, "--child", name, str(ops)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)  # noqa: S603 - our own command line
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total for {name}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_op(name: str, ops: int, script: str = __file__, base: int = BASE_OPS) -> float:
    """The instructions of one operation: the difference of two runs, ``ops`` apart."""
    return (count(name, base + ops, script) - count(name, base, script)) / ops


def count_all(
    argv: list[str] | None,
    doc: str,
    cases: tuple[str, ...],
    child_of: Callable[[str, int], None],
    script: str,
    *,
    ops: int,
    base: int = BASE_OPS,
) -> tuple[dict[str, float], int] | int:
    """The command line every counting script shares: ``--ops``, and ``--child`` for the run under callgrind.

    Returns each case's instructions per operation and the ``--ops`` used;
    or the exit status, after running a child (0) or without valgrind (2).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--ops", type=int, default=ops, help=f"operations counted per case ({ops})")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "OPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_of(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    # Each case once, uncounted: a module imported for the first time is
    # compiled and its bytecode cached, and a counted run that paid for that
    # (in a fresh checkout) would make its difference meaningless.
    for case in cases:
        subprocess.run([sys.executable, script, "--child", case, "1"], check=True)  # noqa: S603 - our own command line
    with ThreadPoolExecutor(max_workers=2) as pool:  # two valgrind processes at a time
        counted = pool.map(lambda case: per_op(case, args.ops, script, base), cases)
        return dict(zip(cases, counted, strict=True)), args.ops


def main(argv: list[str] | None = None) -> int:
    result = count_all(argv, __doc__, DECODERS, child, __file__, ops=2000)
    if isinstance(result, int):
        return result
    counts, ops = result
    print(f"HS256 decode, instructions per operation ({ops} decodes counted, valgrind callgrind)")
    for name in DECODERS:
        print(f"  {name:18} {counts[name]:>10,.0f}")
    print(f"  minijwt/floor              {counts['minijwt'] / counts['floor']:.3f}x")
    print(f"  JWTVerifier/floor          {counts['minijwt-verifier'] / counts['floor']:.3f}x")
    print(f"  PyJWT/minijwt              {counts['pyjwt'] / counts['minijwt']:.2f}x")
    print(f"  PyJWT/JWTVerifier          {counts['pyjwt'] / counts['minijwt-verifier']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
