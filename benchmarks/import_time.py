"""How long ``import minijwt`` takes, next to ``import jwt`` (PyJWT).

Each round starts a fresh interpreter for: nothing (``pass``), ``import
minijwt`` and ``import jwt``, in turn, so that a busy machine slows all three
alike. The interpreter's own start-up (the ``pass`` run of the same round) is
subtracted, and the medians of the rounds are reported with their ratio.

    python benchmarks/import_time.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

PROGRAMS = {"startup": "pass", "minijwt": "import minijwt", "pyjwt": "import jwt"}


def run_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, list[float]]:
    """Seconds per import, start-up subtracted, for each round."""
    samples: dict[str, list[float]] = {"minijwt": [], "pyjwt": []}
    for _ in range(3):  # warm the file system cache
        for code in PROGRAMS.values():
            run_once(code)
    for _ in range(rounds):
        startup = run_once(PROGRAMS["startup"])
        for name, values in samples.items():
            values.append(max(run_once(PROGRAMS[name]) - startup, 0.0))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)
    samples = measure(args.rounds)
    mine = statistics.median(samples["minijwt"])
    theirs = statistics.median(samples["pyjwt"])
    print(f"import time, start-up subtracted, median of {args.rounds} interleaved rounds:")
    print(f"  minijwt  {mine * 1000:6.1f} ms")
    print(f"  PyJWT    {theirs * 1000:6.1f} ms")
    print(f"  minijwt / PyJWT = {mine / theirs:.2f}x (target <= 0.9x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
