"""DPoP proof checks in CPU instructions: DPoPVerifier against the signature check alone, and a protected request.

    python benchmarks/dpop.py [--ops 1000]      # needs valgrind

``instructions.py``'s counting (each case in a fresh interpreter under
callgrind, twice, ``--ops`` apart). Two ratios:

- ``DPoPVerifier.verify`` of an ES256 proof (every RFC 9449 §4.3 check, with
  an access token) over ``jws.verify`` of the same proof with ``EmbeddedJWK``
  (the signature and the embedded key alone): the cost of the checks around
  the signature;
- an ASGI request with a DPoP-bound token through
  :class:`minijwt.asgi.JWTAuthMiddleware` with ``dpop=`` over a bare
  middleware that calls ``decode`` and ``jws.verify`` by hand, doing none of
  the other checks.

The same proof is verified each time, so both verifiers run with
``replay="disabled"``: a replay store would refuse the second use (it costs a
dictionary lookup and insertion per proof besides).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from instructions import count_all  # the same counting, run from this folder

WARM_UP = 200
BASE_OPS = 300
CASES = ("jws-embedded", "dpop-verify", "asgi-by-hand", "asgi-dpop")
URL = "https://api.example/orders"
SECRET = b"a-fixed-secret-for-the-count!!!!"


# The proofs' iat, and the verifiers' clock: a run under callgrind on a busy
# machine may outlast max_age, and the count must not depend on the time.
ISSUED_AT = 1_800_000_000


def _material() -> tuple[Any, str, str]:
    import minijwt
    from minijwt._dpop import access_token_hash

    key = minijwt.JWK.from_json(os.environ["MINIJWT_BENCH_DPOP_KEY"])
    token = minijwt.encode({"sub": "alice", "cnf": {"jkt": key.thumbprint()}, "exp": 4102444800}, SECRET)
    claims = {"jti": "j1", "htm": "GET", "htu": URL, "iat": ISSUED_AT, "ath": access_token_hash(token)}
    proof = minijwt.encode(claims, key, "ES256", headers={"typ": "dpop+jwt", "jwk": key.public().to_dict()})
    return key, token, proof


def operation(case: str) -> Callable[[], None]:
    """One check of the named case, ready to call."""
    import minijwt
    from minijwt import jws
    from minijwt.asgi import JWTAuthMiddleware
    from minijwt.dpop import DPoPVerifier

    key, token, proof = _material()
    jkt = key.thumbprint()
    if case == "jws-embedded":
        embedded = jws.EmbeddedJWK(algorithms=["ES256"])
        return lambda: jws.verify(proof, embedded, algorithms=["ES256"]) and None
    dpop = DPoPVerifier(algorithms=["ES256"], replay="disabled", clock=lambda: ISSUED_AT)
    if case == "dpop-verify":
        return lambda: dpop.verify(proof, method="GET", url=URL, access_token=token, cnf_jkt=jkt) and None
    verifier = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
    headers = [
        (b"host", b"api.example"),
        (b"authorization", f"DPoP {token}".encode()),
        (b"dpop", proof.encode()),
    ]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    if case == "asgi-dpop":
        middleware: Any = JWTAuthMiddleware(app, verifier=verifier, dpop=dpop)
    else:
        embedded = jws.EmbeddedJWK(algorithms=["ES256"])

        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            # The least a middleware can do: the token, then the proof's signature.
            found = dict(scope["headers"])
            claims = verifier.decode(found[b"authorization"].decode()[5:])
            jws.verify(found[b"dpop"].decode(), embedded, algorithms=["ES256"])
            scope["state"] = {"jwt_claims": claims}
            await app(scope, receive, send)

    def run() -> None:
        scope = {"type": "http", "method": "GET", "scheme": "https", "path": "/orders", "headers": headers}
        step = middleware(scope, None, None)
        try:  # noqa: SIM105 - a plain try costs nothing here; contextlib.suppress would be counted
            step.send(None)
        except StopIteration:
            pass
        assert scope["state"]["jwt_claims"]["sub"] == "alice"

    return run


def child(case: str, ops: int) -> None:
    """Run ``WARM_UP + ops`` checks (what runs under callgrind)."""
    run = operation(case)
    for _ in range(WARM_UP + ops):
        run()


def main(argv: list[str] | None = None) -> int:
    import minijwt

    if "MINIJWT_BENCH_DPOP_KEY" not in os.environ:  # made once, by the parent: a child's key would be counted
        os.environ["MINIJWT_BENCH_DPOP_KEY"] = minijwt.JWK.generate("ES256").to_json(private=True)
    result = count_all(argv, __doc__, CASES, child, __file__, ops=1000, base=BASE_OPS)
    if isinstance(result, int):
        return result
    counts, ops = result
    print(f"ES256 DPoP proof, instructions per operation ({ops} counted, valgrind callgrind)")
    for case in CASES:
        print(f"  {case:16} {counts[case]:>12,.0f}")
    print(f"  DPoPVerifier.verify / jws.verify+EmbeddedJWK   {counts['dpop-verify'] / counts['jws-embedded']:.3f}x")
    print(f"  DPoP middleware / by-hand middleware           {counts['asgi-dpop'] / counts['asgi-by-hand']:.3f}x")
    print(f"  (throughput ratio, by-hand cost / middleware cost: {counts['asgi-by-hand'] / counts['asgi-dpop']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
