"""Cost of verifying the same RS256 token with a PEM key passed as text on every call.

Run: ``python benchmarks/pem_cost.py``. Prints the first call (which parses the
PEM) and the median of later calls (which find it in the parse cache), next to
verifying with a prepared key object. PyJWT is timed too when it is installed.

A first call's cost depends on what the process has loaded before it: here the
token is signed with a key object first, which imports ``cryptography.x509``
(minijwt loads it lazily, to recognise certificates), so the in-process first
call parses the PEM only. The first verify of a fresh process pays for that
import too, which is timed in a child process and printed on its own line.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import make_material

from minijwt import jws

ROUNDS = 2000


def _time(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1e6


def _median(call: Callable[[], object]) -> float:
    return statistics.median(_time(call) for _ in range(ROUNDS))


# The first verify in a new interpreter: imports as a service's first request would.
_FRESH = """
import sys, time
from minijwt import jws
token, pem = sys.argv[1], sys.argv[2]
loaded = "cryptography.x509" in sys.modules
start = time.perf_counter()
jws.verify(token, pem, algorithms=["RS256"])
print((time.perf_counter() - start) * 1e6, loaded)
"""


def _first_call_in_a_fresh_process(token: str, public_pem: str) -> tuple[float, bool]:
    """The first verify of a new process, and whether ``cryptography.x509`` was loaded before it."""
    done = subprocess.run(  # noqa: S603 - this interpreter, this file's own code
        [sys.executable, "-c", _FRESH, token, public_pem], capture_output=True, text=True, check=True
    )
    micros, loaded = done.stdout.split()
    return float(micros), loaded == "True"


def main() -> int:
    """Measure and print the figures."""
    material = make_material("RS256")
    private, public = material.private, material.public
    private_pem, public_pem = material.private_pem, material.public_pem
    token = jws.sign(b'{"sub":"bench"}', private, "RS256")

    def verify_public_pem() -> object:
        return jws.verify(token, public_pem, algorithms=["RS256"])

    def sign_private_pem() -> object:
        return jws.sign(b'{"sub":"bench"}', private_pem, "RS256")

    x509_before = "cryptography.x509" in sys.modules
    fresh, fresh_loaded = _first_call_in_a_fresh_process(token, public_pem)
    rows = [
        (
            "minijwt verify, public PEM text, first call in a fresh process"
            + ("" if fresh_loaded else " (imports cryptography.x509)"),
            fresh,
        ),
        (
            "minijwt verify, public PEM text, first call"
            + (" (cryptography.x509 already imported)" if x509_before else " (imports cryptography.x509)"),
            _time(verify_public_pem),
        ),
        ("minijwt verify, public PEM text, later calls (median)", _median(verify_public_pem)),
        (
            "minijwt verify, prepared key object (median)",
            _median(lambda: jws.verify(token, public, algorithms=["RS256"])),
        ),
        ("minijwt sign, private PEM text, first call", _time(sign_private_pem)),
        ("minijwt sign, private PEM text, later calls (median)", _median(sign_private_pem)),
    ]
    try:
        import jwt as pyjwt
    except ImportError:  # pragma: no cover - optional peer
        pass
    else:
        rows.append(
            (
                f"PyJWT {pyjwt.__version__} verify, public PEM text (median)",
                _median(lambda: pyjwt.api_jws.decode(token, public_pem, algorithms=["RS256"])),
            )
        )
        rows.append(
            (
                f"PyJWT {pyjwt.__version__} sign, private PEM text (median)",
                statistics.median(
                    _time(lambda: pyjwt.api_jws.encode(b'{"sub":"bench"}', private_pem, algorithm="RS256"))
                    for _ in range(50)
                ),
            )
        )
    width = max(len(name) for name, _ in rows)
    import cryptography

    print(f"Python {sys.version.split()[0]}, cryptography {cryptography.__version__}, RSA 2048, {ROUNDS} rounds")
    for name, micros in rows:
        print(f"{name.ljust(width)}  {micros:10.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
