"""MultiIssuerVerifier against JWTVerifier, in CPU instructions per decode, and its routing cost by issuer count.

    python benchmarks/multi_issuer.py [--ops 1000]      # needs valgrind

Each case runs in a fresh interpreter under ``valgrind --tool=callgrind``
twice, with ``--ops`` more decodes the second time (``instructions.py``'s
counting). For HS256, RS256 and ES256, the same token and key are decoded by
a :class:`~minijwt.JWTVerifier` and by a :class:`~minijwt.MultiIssuerVerifier`
listing that issuer; for RS256 and ES256 the key is held by a JWKS client
(the usual set-up), seeded so that nothing is fetched. The ratio is the
multi-issuer verifier's cost over the single verifier's. Then HS256 with 10,
1 000 and 10 000 listed issuers: routing is one dictionary lookup, so the
cost should not grow with the count.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from instructions import count_all  # the same counting, run from this folder

WARM_UP = 200
BASE_OPS = 300
ALGORITHMS = ("HS256", "RS256", "ES256")
ISSUER_COUNTS = (10, 1_000, 10_000)
CASES = (
    *(f"{kind}-{alg}" for alg in ALGORITHMS for kind in ("single", "multi")),
    *(f"route-{count}" for count in ISSUER_COUNTS),
)
ISSUER = "https://login.example"
AUDIENCE = "https://api.example"


def decoder(case: str) -> Callable[[], Any]:
    """One decode of the named case, ready to call."""
    import minijwt

    kind, _, rest = case.partition("-")
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": 4102444800}
    if kind == "route":
        secret = b"a-fixed-secret-for-the-count!!!!"
        issuers = {f"https://issuer-{n}.example": minijwt.IssuerConfig(secret) for n in range(int(rest) - 1)}
        issuers[ISSUER] = minijwt.IssuerConfig(secret)
        verifier: Any = minijwt.MultiIssuerVerifier(issuers, algorithms=["HS256"], audience=AUDIENCE)
        token = minijwt.encode(claims, secret, "HS256")
        return lambda: verifier.decode(token)
    alg = rest
    if alg == "HS256":
        key: Any = b"a-fixed-secret-for-the-count!!!!"
        token = minijwt.encode(claims, key, alg)
    else:
        # The same key in every run: generating one (an RSA prime search above all) would be counted.
        jwk = minijwt.JWK.from_json(os.environ[f"MINIJWT_BENCH_{alg}"])
        token = minijwt.encode(claims, jwk, alg, headers={"kid": "k1"})
        published = minijwt.JWKSet([jwk.public()]).to_json().encode()
        key = minijwt.JWKSClient(  # fetched once, before the count, from memory
            "https://login.example/jwks", cache_ttl=86400, fetch=lambda url, **options: (200, {}, published)
        )
    if kind == "single":
        verifier = minijwt.JWTVerifier(key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
    else:
        verifier = minijwt.MultiIssuerVerifier({ISSUER: minijwt.IssuerConfig(key)}, algorithms=[alg], audience=AUDIENCE)
    verifier.decode(token)  # fails here, not under the count, if the set-up is wrong
    return lambda: verifier.decode(token)


def child(case: str, ops: int) -> None:
    """Decode ``WARM_UP + ops`` times (what runs under callgrind)."""
    run = decoder(case)
    for _ in range(WARM_UP + ops):
        run()


def main(argv: list[str] | None = None) -> int:
    import minijwt

    for alg in ALGORITHMS[1:]:  # one key per run, the same in every child (which must not make one: an
        name = f"MINIJWT_BENCH_{alg}"  # RSA prime search would swamp the count with noise)
        if name not in os.environ:
            os.environ[name] = minijwt.JWK.generate(alg, kid="k1").to_json(private=True)
    result = count_all(argv, __doc__, CASES, child, __file__, ops=1000, base=BASE_OPS)
    if isinstance(result, int):
        return result
    counts, ops = result
    print(f"instructions per decode ({ops} decodes counted, valgrind callgrind)")
    print(f"  {'':8} {'JWTVerifier':>12} {'MultiIssuer':>12} {'ratio':>7}")
    for alg in ALGORITHMS:
        single, multi = counts[f"single-{alg}"], counts[f"multi-{alg}"]
        print(f"  {alg:8} {single:>12,.0f} {multi:>12,.0f} {multi / single:>7.3f}")
    print("  HS256 routing by listed issuers:")
    for count in ISSUER_COUNTS:
        print(f"  {count:>8,} {counts[f'route-{count}']:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
