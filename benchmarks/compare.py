"""This checkout against another revision of minijwt, and both against the limit decoder.

Run it before and after changing the hot path:

    python benchmarks/compare.py --against HEAD~1 [--rounds 15]

The other revision's ``src/minijwt`` is copied out of git into a temporary
folder as a package named ``minijwt_base`` and imported next to this
checkout's ``minijwt``, in one process. Every scenario runs for both, and for
the floor's limit decoder (``benchmarks/floor.py``), round by round, so that
a busy machine slows them all alike; each figure is the median of the rounds.
The table gives base and new in microseconds per operation, new/base (above
1.05 is a regression of more than 5 %), and new/limit for the decoders.
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import floor  # noqa: E402
from run import AUDIENCE, ISSUER, claims_of_size, make_material  # noqa: E402

import minijwt  # noqa: E402


def load_revision(revision: str, folder: Path) -> Any:
    """Import ``src/minijwt`` of a git revision as the package ``minijwt_base``."""
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", "--format=tar", revision, "src/minijwt"],  # noqa: S607
        cwd=HERE.parent,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "minijwt_base"
    (folder / "src" / "minijwt").rename(package)
    for path in package.rglob("*.py"):  # absolute self-imports point at the copy
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("from minijwt", "from minijwt_base").replace("import minijwt", "import minijwt_base")
        )
    sys.path.insert(0, str(folder))
    return importlib.import_module("minijwt_base")


Scenario = dict[str, Callable[[], Any]]


def scenarios(base: Any) -> dict[str, Scenario]:
    """Each scenario: the same call made with base, with new, and (decoders) with the limit."""
    out: dict[str, Scenario] = {}
    claims = claims_of_size(100)
    for alg in ("HS256", "RS256", "PS256", "ES256", "EdDSA"):
        m = make_material(alg)
        token = minijwt.encode(claims, m.private, alg)
        options = {"algorithms": [alg], "audience": AUDIENCE, "issuer": ISSUER}
        limit = floor.make_decoder(alg, AUDIENCE, ISSUER)
        new_verifier = minijwt.JWTVerifier(m.public, **options)
        base_verifier = base.JWTVerifier(m.public, **options)
        out[f"decode {alg}"] = {
            "base": lambda t=token, k=m.public, o=options: base.decode(t, k, **o),
            "new": lambda t=token, k=m.public, o=options: minijwt.decode(t, k, **o),
            "limit": lambda t=token, k=m.public, d=limit: d(t, k),
        }
        out[f"JWTVerifier.decode {alg}"] = {
            "base": lambda t=token, v=base_verifier: v.decode(t),
            "new": lambda t=token, v=new_verifier: v.decode(t),
            "limit": lambda t=token, k=m.public, d=limit: d(t, k),
        }
        out[f"encode {alg}"] = {
            "base": lambda k=m.private, a=alg: base.encode(claims, k, a),
            "new": lambda k=m.private, a=alg: minijwt.encode(claims, k, a),
        }
        if not m.symmetric:
            out[f"decode {alg}, PEM text per call"] = {
                "base": lambda t=token, k=m.public_pem, o=options: base.decode(t, k, **o),
                "new": lambda t=token, k=m.public_pem, o=options: minijwt.decode(t, k, **o),
            }
        if alg == "RS256":
            out["encode RS256, PEM text per call"] = {
                "base": lambda k=m.private_pem: base.encode(claims, k, "RS256"),
                "new": lambda k=m.private_pem: minijwt.encode(claims, k, "RS256"),
            }
    return out


def measure(table: dict[str, Scenario], rounds: int, budget: float) -> dict[str, dict[str, float]]:
    runs = [(name, who, run) for name, row in table.items() for who, run in row.items()]
    counts = {}
    for name, who, run in runs:
        start = time.perf_counter()
        run()
        counts[name, who] = max(1, int(budget / max(time.perf_counter() - start, 1e-7)))
    samples: dict[tuple[str, str], list[float]] = {(name, who): [] for name, who, _ in runs}
    for number in range(rounds):
        for name, who, run in runs:
            n = counts[name, who]
            start = time.perf_counter()
            for _ in range(n):
                run()
            samples[name, who].append((time.perf_counter() - start) / n)
        print(f"  round {number + 1}/{rounds}", file=sys.stderr)
    result: dict[str, dict[str, float]] = {}
    for (name, who), values in samples.items():
        result.setdefault(name, {})[who] = statistics.median(values) * 1e6
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--against", default="HEAD~1", help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget", type=float, default=0.02, help="seconds per scenario per round")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        base = load_revision(args.against, Path(folder))
        results = measure(scenarios(base), args.rounds, args.budget)
    print(f"\nmedian of {args.rounds} interleaved rounds, us per op; base = {args.against}")
    print(f"{'scenario':36} {'base':>9} {'new':>9} {'new/base':>9} {'new/limit':>10}")
    for name, row in results.items():
        ratio = f"{row['new'] / row['limit']:.2f}x" if "limit" in row else ""
        print(f"{name:36} {row['base']:9.1f} {row['new']:9.1f} {row['new'] / row['base']:8.2f}x {ratio:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
