"""ML-DSA (FIPS 204, RFC 9964): decoding in CPU instructions, and its timings and sizes beside RSA, ECDSA and EdDSA.

    python benchmarks/mldsa.py [--ops 300]                      # needs valgrind
    python benchmarks/mldsa.py --table [--rounds 31] [--markdown]

Instructions: ``instructions.py``'s counting (each case in a fresh interpreter
under callgrind, twice, ``--ops`` apart), one case at a time. One ML-DSA-65
token (``run.py``'s 100-byte claims, with ``aud`` and ``iss``) is signed once,
by the parent with a key made once, and handed to every child in
``MINIJWT_BENCH_MLDSA``. The cases:

- ``floor+verify``: ``floor.py``'s limit decoder (every check, the least
  parsing) with ``cryptography``'s ``public_key.verify(signature,
  signing_input)`` as its primitive: the lower bound;
- ``minijwt-verifier``: :meth:`minijwt.JWTVerifier.decode`, the audience and
  issuer checked, its clock fixed at the token's ``iat`` (``exp`` cannot
  pass under callgrind; the floor reads the system clock, and the token is
  good for the hour after the parent signs it);
- ``jwcrypto``: jwcrypto's ``JWT`` with ``check_claims`` (see ``operation``
  for what it checks and what it does not).

``minijwt-verifier / floor+verify`` is what minijwt costs above the least a
decoder can do (target: at most 1.05); ``jwcrypto / minijwt-verifier`` is how
much more jwcrypto executes. The lattice arithmetic is most of every case,
and base64url-decoding the 4.4 kB signature much of the rest, so the first
ratio is nearer 1 than HS256's in ``instructions.py``.

Table: RS256 (RSA 2048), ES256, EdDSA (Ed25519), ML-DSA-44, -65 and -87 side
by side: :func:`minijwt.encode` and ``JWTVerifier.decode`` timed with
``time.perf_counter``, the algorithms interleaved round by round, the median
of ``--rounds`` rounds (each a batch of about 20 ms); the public key's bytes
(what its JWK encodes: ``n`` and ``e``, ``x`` and ``y``, ``x``, ``pub``) and
its public JWK's JSON length (``kid`` and ``alg`` included); the signature's
bytes; the token's length. Printed as an RST simple table, or with
``--markdown`` a Markdown one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import floor
from instructions import count_all  # the same counting, run from this folder
from run import AUDIENCE, ISSUER, claims_of_size

ALG = "ML-DSA-65"
CASES = ("floor+verify", "minijwt-verifier", "jwcrypto")
ENV = "MINIJWT_BENCH_MLDSA"
WARM_UP = 200
BASE_OPS = 300
TABLE_ALGS = ("RS256", "ES256", "EdDSA", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87")
BATCH_SECONDS = 0.02


def material() -> str:
    """A fresh key's public JWK, a token it signed and the time to check it at, as the JSON every child reads."""
    import minijwt

    jwk = minijwt.JWK.generate(ALG)
    claims = claims_of_size(100)
    token = minijwt.encode(claims, jwk, ALG)
    return json.dumps({"jwk": jwk.public().to_json(), "token": token, "now": claims["iat"]})


def _checked(run: Callable[[], Any], token: str) -> Callable[[], Any]:
    """``run``, once it has decoded the token's claims: a wrong set-up fails here, not under the count."""
    if run() != json.loads(floor.b64d(token.split(".")[1])):
        raise RuntimeError("the case does not decode the token")
    return run


def operation(case: str) -> Callable[[], Any]:
    """One decode of the shared token by the named case, ready to call."""
    import minijwt

    given = json.loads(os.environ[ENV])
    public = minijwt.JWK.from_json(given["jwk"])
    token: str = given["token"]
    now: int = given["now"]
    if case == "floor+verify":
        from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PublicKey

        # floor.py has no ML-DSA row: its limit decoder, with cryptography's verify as the primitive.
        floor.VERIFY[ALG] = lambda key, data, signature: key.verify(signature, data)
        limit = floor.make_decoder(ALG, AUDIENCE, ISSUER)
        crypto_key = MLDSA65PublicKey.from_public_bytes(floor.b64d(public.to_dict()["pub"]))
        return _checked(lambda: limit(token, crypto_key), token)
    if case == "minijwt-verifier":
        verifier = minijwt.JWTVerifier(public, algorithms=[ALG], audience=AUDIENCE, issuer=ISSUER, clock=lambda: now)
        return _checked(lambda: verifier.decode(token), token)
    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jwt as jc_jwt

    # jwcrypto checks the signature, alg against algs and the key's alg, aud and iss, exp against the
    # "exp" given (the fixed time, no leeway) and the registered claims' types. It does not refuse
    # duplicate members, NaN or non-canonical base64url, bound the token's size, or check nbf or iat
    # against the time unless asked. Its claims are text, parsed here as run.py does.
    key, check = jc_jwk.JWK.from_json(public.to_json()), {"aud": AUDIENCE, "iss": ISSUER, "exp": now}
    return _checked(lambda: json.loads(jc_jwt.JWT(jwt=token, key=key, algs=[ALG], check_claims=check).claims), token)


def child(case: str, ops: int) -> None:
    """Decode ``WARM_UP + ops`` times (what runs under callgrind)."""
    run = operation(case)
    for _ in range(WARM_UP + ops):
        run()


def _algorithm(alg: str, claims: dict[str, Any]) -> tuple[list[str], Callable[[], Any], Callable[[], Any]]:
    """An algorithm's sizes (public key raw / JWK, signature, token), and its sign and verify, ready to call."""
    import minijwt

    jwk = minijwt.JWK.generate(alg)
    token = minijwt.encode(claims, jwk, alg)
    verifier = minijwt.JWTVerifier(jwk.public(), algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
    public = jwk.public().to_dict()
    raw = sum(len(floor.b64d(public[name])) for name in ("n", "e", "x", "y", "pub") if name in public)
    signature = len(floor.b64d(token.rpartition(".")[2]))
    sizes = [f"{raw:,} / {len(jwk.public().to_json()):,}", f"{signature:,}", f"{len(token):,}"]
    return sizes, lambda: minijwt.encode(claims, jwk, alg), lambda: verifier.decode(token)


def table(rounds: int, markdown: bool) -> list[list[str]]:
    """Time signing and verifying with each of ``TABLE_ALGS``, print the table, and return its rows."""
    claims = claims_of_size(100)
    sizes: list[list[str]] = []
    cells: list[tuple[Callable[[], Any], int, list[float]]] = []
    for alg in TABLE_ALGS:
        found, sign, verify = _algorithm(alg, claims)
        sizes.append(found)
        for run in (sign, verify):
            started = time.perf_counter()
            run()
            cells.append((run, max(1, int(BATCH_SECONDS / (time.perf_counter() - started))), []))
    for _ in range(rounds):  # interleaved: a slow moment slows every algorithm alike
        for run, batch, samples in cells:
            started = time.perf_counter()
            for _ in range(batch):
                run()
            samples.append((time.perf_counter() - started) / batch)
    medians = [f"{statistics.median(samples) * 1e6:,.1f}" for _, _, samples in cells]
    head = ["algorithm", "sign µs", "verify µs", "public key bytes (raw / JWK)", "signature bytes", "token chars"]
    rows = [[alg, medians[2 * i], medians[2 * i + 1], *sizes[i]] for i, alg in enumerate(TABLE_ALGS)]
    widths = [max(len(row[c]) for row in [head, *rows]) for c in range(len(head))]

    def line(row: list[str]) -> str:
        text = [
            cell.rjust(width) if c else cell.ljust(width)
            for c, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return f"| {' | '.join(text)} |" if markdown else "  ".join(text)

    if markdown:  # numbers aligned right
        lines = [line(head), "| " + " | ".join(["-" * widths[0]] + ["-" * (w - 1) + ":" for w in widths[1:]]) + " |"]
    else:
        rule = "  ".join("=" * w for w in widths)
        lines = [rule, line(head), rule]
    lines += [*map(line, rows), *([] if markdown else [rule])]
    print(f"minijwt sign (encode) and verify (JWTVerifier.decode), 100-byte claims, median of {rounds} rounds")
    print("\n".join(lines))
    return [head, *rows]


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(add_help=False)  # the rest is count_all's command line
    options.add_argument("--table", action="store_true")
    options.add_argument("--rounds", type=int, default=31)
    options.add_argument("--markdown", action="store_true")
    known, rest = options.parse_known_args(argv)
    if known.table:
        table(known.rounds, known.markdown)
        return 0
    if ENV not in os.environ:  # made once, by the parent: a child's key and token would be counted, and differ
        os.environ[ENV] = material()
    counts: dict[str, float] = {}
    ops = 0
    for case in CASES:  # one valgrind at a time (count_all runs two): leave a core to the rest of the machine
        result = count_all(rest, __doc__, (case,), child, __file__, ops=300, base=BASE_OPS)
        if isinstance(result, int):
            return result
        counts[case], ops = result[0][case], result[1]
    print(f"{ALG} decode, instructions per operation ({ops} decodes counted, valgrind callgrind)")
    for case in CASES:
        print(f"  {case:18} {counts[case]:>12,.0f}")
    ours, floor_cost, theirs = counts["minijwt-verifier"], counts["floor+verify"], counts["jwcrypto"]
    print(f"  minijwt-verifier / floor+verify   {ours / floor_cost:.3f}x (target: at most 1.05)")
    print(f"  jwcrypto / minijwt-verifier       {theirs / ours:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
