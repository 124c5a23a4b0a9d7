"""The web middleware's cost per request in CPU instructions, which no noisy neighbour changes.

    python benchmarks/web_instructions.py [--ops 2000]      # needs valgrind

Each case runs in a fresh interpreter under ``valgrind --tool=callgrind``
twice, with ``--ops`` more requests the second time; the difference divided
by ``--ops`` is its cost per request (start-up and warm-up cancel out), as in
``instructions.py``, whose counting this reuses. The requests are made in process, with no server: an
ASGI scope and a WSGI environ carrying an HS256 bearer token, through
:class:`minijwt.asgi.JWTAuthMiddleware` (plain, and with required scopes and
an ``is_revoked`` hook) and :class:`minijwt.wsgi.JWTAuthMiddleware`. To
compare two versions, run it twice with ``PYTHONPATH`` pointing at each
``src``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from instructions import count_all  # the same counting, run from this folder

CASES = ("asgi", "asgi-scopes-revocation", "wsgi")
WARM_UP = 200
BASE_OPS = 300


def request(case: str) -> Callable[[], None]:
    """One request through the named middleware, ready to call."""
    import minijwt
    from minijwt import asgi, wsgi

    secret = b"a-fixed-secret-for-the-count!!!!"
    audience, issuer = "https://api.example", "https://login.example"
    verifier = minijwt.JWTVerifier(secret, algorithms=["HS256"], audience=audience, issuer=issuer)
    claims = {"sub": "alice", "aud": audience, "iss": issuer, "scope": "orders:read orders:write", "exp": 4102444800}
    header = "Bearer " + minijwt.encode(claims, secret, "HS256")
    if case == "wsgi":

        def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
            return environ

        middleware = wsgi.JWTAuthMiddleware(wsgi_app, verifier=verifier)

        def run_wsgi() -> None:
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/orders", "HTTP_AUTHORIZATION": header}
            assert middleware(environ, None)["minijwt.claims"]["sub"] == "alice"  # type: ignore[arg-type,index]

        return run_wsgi

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    options: dict[str, Any] = {}
    if case == "asgi-scopes-revocation":
        options = {"required_scopes": ["orders:read"], "is_revoked": lambda claims: False}
    asgi_middleware = asgi.JWTAuthMiddleware(asgi_app, verifier=verifier, **options)
    headers = [(b"host", b"api.example"), (b"accept", b"*/*"), (b"authorization", header.encode())]

    def run_asgi() -> None:
        scope = {"type": "http", "method": "GET", "path": "/orders", "headers": headers}
        step = asgi_middleware(scope, None, None)  # type: ignore[arg-type]
        try:  # noqa: SIM105 - a plain try costs nothing here; contextlib.suppress would be counted
            step.send(None)  # nothing here waits: the coroutine ends at once
        except StopIteration:
            pass
        assert scope["state"]["jwt_claims"]["sub"] == "alice"  # type: ignore[index]

    return run_asgi


def child(case: str, ops: int) -> None:
    """Make ``WARM_UP + ops`` requests (what runs under callgrind)."""
    run = request(case)
    for _ in range(WARM_UP + ops):
        run()


def main(argv: list[str] | None = None) -> int:
    result = count_all(argv, __doc__, CASES, child, __file__, ops=2000, base=BASE_OPS)
    if isinstance(result, int):
        return result
    counts, ops = result
    print(f"HS256 bearer token, instructions per request ({ops} requests counted, valgrind callgrind)")
    for case in CASES:
        print(f"  {case:24} {counts[case]:>10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
