"""A FastAPI application's test, in process, with a fake issuer's token through the real middleware.

    python benchmarks/fake_issuer.py [--requests 2000]

What one request costs a test suite that uses ``minijwt.testing``: a FastAPI
route behind :class:`~minijwt.fastapi.JWTBearer`, whose verifier gets its keys
from a :class:`~minijwt.testing.FakeIssuer` (``fetch=fake.fetch``), called
through httpx's ASGI transport, as an application's own tests call it. Two
rows, side by side in one run: the same application with a good ES256 token
and with a bad one (``tampered``, refused with 401), and, for scale, the route
without the middleware. Wall-clock time per request, the median of five runs
(this measures a test's cost; ``instructions.py`` is the tool for the hot path).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from fastapi import Depends, FastAPI

from minijwt.fastapi import JWTBearer
from minijwt.testing import FakeIssuer


def application(fake: FakeIssuer | None) -> FastAPI:
    app = FastAPI()
    if fake is None:

        @app.get("/me")
        def open_route() -> dict[str, str]:
            return {"user": "anyone"}

        return app
    auth = JWTBearer(fake.verifier())

    @app.get("/me")
    def me(claims: dict[str, Any] = Depends(auth)) -> dict[str, str]:  # noqa: B008 - auth is local: no Annotated
        return {"user": claims["sub"]}

    return app


async def per_request(app: FastAPI, token: str, requests: int, status: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        assert (await client.get("/me", headers=headers)).status_code == status  # warm: keys fetched once
        start = time.perf_counter()
        for _ in range(requests):
            await client.get("/me", headers=headers)
        return (time.perf_counter() - start) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args()
    fake = FakeIssuer()
    cases = {
        "good token, 200": (application(fake), fake.token("alice"), 200),
        "tampered token, 401": (application(fake), fake.bad_token("tampered"), 401),
        "no middleware, 200": (application(None), "", 200),
    }
    print(f"FastAPI + JWTBearer + FakeIssuer (ES256), httpx ASGI transport, {arguments.requests} requests x 5")
    results = {}
    for name, (app, token, status) in cases.items():
        runs = [asyncio.run(per_request(app, token, arguments.requests, status)) for _ in range(5)]
        results[name] = statistics.median(runs)
        print(f"  {name:22} {results[name] * 1000:7.3f} ms per request")
    print(f"  middleware share: {results['good token, 200'] / results['no middleware, 200']:.2f}x the bare route")


if __name__ == "__main__":
    main()
