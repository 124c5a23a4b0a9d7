"""Requests per second of a protected web application, over loopback HTTP.

Run ``python benchmarks/web.py`` (after ``pip install -e ".[bench]"``; ``wrk``
is used when installed, else a small asyncio HTTP/1.1 keep-alive client).
``--quick`` finishes in well under a minute; ``--rounds N``, ``--seconds S``,
``--connections C``, ``--json PATH``.

ASGI: a one-route Starlette application under uvicorn (uvloop and httptools
when installed), one server process per variant:

- ``unprotected``: no middleware;
- ``minijwt``: :class:`minijwt.asgi.JWTAuthMiddleware`; RS256 and ES256 keys
  from a warm ``JWKSClient`` fed by a local JWK Set server, HS256 a static
  secret;
- ``floor``: a minimal hand-written pure-ASGI middleware that only takes the
  token from the header and awaits ``JWTVerifier.adecode``;
- ``pyjwt``: the usual hand-written middleware, PyJWT's ``PyJWKClient`` and
  ``jwt.decode``.

WSGI: the same four variants in a one-route Flask application under waitress.

Every server runs pinned to one CPU and the load generator to another, where
the machine has two (``os.sched_setaffinity``). Each round measures every
variant once, the order reversed every other round, so that a noisy machine
slows all alike; each figure is the median over the rounds. Before a server
is measured it must answer 200 with the token and 401 without.

Two figures per variant: requests per second (wall clock), and requests per
CPU-second of the server process (from ``/proc/<pid>/stat``). A server under
load uses its whole CPU, so on a quiet machine the two agree; on a shared one
the first also measures the neighbours, the second much less. The targets are
checked on the second, and both ratios are printed.

Last, the middleware alone: microseconds per request of each ASGI middleware
around an application that does nothing, in this process, interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ISSUER = "https://login.example"
AUDIENCE = "https://api.example"
ALGORITHMS = ("RS256", "ES256", "HS256")
KINDS = ("unprotected", "minijwt", "floor", "pyjwt")
SERVERS = ("asgi", "wsgi")
TARGETS = {  # (server, algorithm, over): the least ratio minijwt must reach
    ("asgi", "RS256", "floor"): 0.9,
    ("asgi", "ES256", "floor"): 0.9,
    ("asgi", "HS256", "floor"): 0.9,
    ("asgi", "RS256", "pyjwt"): 1.8,
    ("asgi", "HS256", "pyjwt"): 1.8,
    ("asgi", "ES256", "pyjwt"): 1.4,
}
PATH = "/orders"


def _pin(cpu: int) -> None:
    """Run this process on one CPU, when the machine has more than one."""
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[cpu % len(cpus)]})


# --- the server processes ------------------------------------------------------------------------


def _verifier(alg: str, jwks_url: str, secret: bytes) -> Any:
    import minijwt

    if alg == "HS256":
        key: Any = secret
    else:
        key = minijwt.JWKSClient(jwks_url)
        key.get_jwk_set()  # warm: every measured request finds its key held
    return minijwt.JWTVerifier(key, algorithms=[alg], issuer=ISSUER, audience=AUDIENCE)


def _pyjwt_key(alg: str, jwks_url: str, secret: bytes) -> Callable[[str], Any]:
    import jwt

    if alg == "HS256":
        return lambda token: secret
    client = jwt.PyJWKClient(jwks_url)
    return lambda token: client.get_signing_key_from_jwt(token).key


_UNAUTHORIZED = {"type": "http.response.start", "status": 401, "headers": [(b"content-length", b"0")]}


def asgi_app(kind: str, alg: str, jwks_url: str, secret: bytes) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def orders(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app: Any = Starlette(routes=[Route(PATH, orders)])
    if kind == "minijwt":
        from minijwt.asgi import JWTAuthMiddleware

        app.add_middleware(JWTAuthMiddleware, verifier=_verifier(alg, jwks_url, secret))
    elif kind == "floor":
        app = _floor_asgi(app, _verifier(alg, jwks_url, secret))
    elif kind == "pyjwt":
        app = _pyjwt_asgi(app, alg, _pyjwt_key(alg, jwks_url, secret))
    return app


def _floor_asgi(app: Any, verifier: Any) -> Any:
    """The least an ASGI middleware can do: take the header's token, await adecode."""
    from minijwt import InvalidTokenError

    verify = verifier.adecode

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            token = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    token = value[7:].decode()
            try:
                if token is None:
                    raise InvalidTokenError("no token")
                await verify(token)
            except InvalidTokenError:
                await send(_UNAUTHORIZED)
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return middleware


def _pyjwt_asgi(app: Any, alg: str, key_for: Callable[[str], Any]) -> Any:
    """The usual hand-written middleware with PyJWT and its PyJWKClient."""
    import jwt

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            authorization = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, token = authorization.decode().partition(" ")
            try:
                if scheme.lower() != "bearer" or not token:
                    raise jwt.InvalidTokenError("no token")
                claims = jwt.decode(token, key_for(token), algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
            except jwt.PyJWTError:
                await send(_UNAUTHORIZED)
                await send({"type": "http.response.body", "body": b""})
                return
            scope.setdefault("state", {})["jwt_claims"] = claims
        await app(scope, receive, send)

    return middleware


def wsgi_app(kind: str, alg: str, jwks_url: str, secret: bytes) -> Any:
    import flask

    app = flask.Flask("bench")

    @app.get(PATH)
    def orders() -> str:
        return "ok"

    wrapped: Any = app.wsgi_app
    if kind == "minijwt":
        from minijwt.wsgi import JWTAuthMiddleware

        wrapped = JWTAuthMiddleware(wrapped, verifier=_verifier(alg, jwks_url, secret))
    elif kind == "floor":
        wrapped = _floor_wsgi(wrapped, _verifier(alg, jwks_url, secret))
    elif kind == "pyjwt":
        wrapped = _pyjwt_wsgi(wrapped, alg, _pyjwt_key(alg, jwks_url, secret))
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    return app


def _floor_wsgi(app: Any, verifier: Any) -> Any:
    from minijwt import InvalidTokenError

    verify = verifier.decode

    def middleware(environ: Any, start_response: Any) -> Any:
        try:
            verify(environ.get("HTTP_AUTHORIZATION", "")[7:])
        except InvalidTokenError:
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return middleware


def _pyjwt_wsgi(app: Any, alg: str, key_for: Callable[[str], Any]) -> Any:
    import jwt

    def middleware(environ: Any, start_response: Any) -> Any:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise jwt.InvalidTokenError("no token")
            environ["jwt.claims"] = jwt.decode(
                token, key_for(token), algorithms=[alg], audience=AUDIENCE, issuer=ISSUER
            )
        except jwt.PyJWTError:
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return middleware


def serve(server: str, kind: str, alg: str, *, port: int, jwks_url: str, secret: bytes) -> None:
    """Run one variant's server until killed (in its own process)."""
    _pin(0)
    if server == "asgi":
        import importlib.util

        import uvicorn

        uvicorn.run(
            asgi_app(kind, alg, jwks_url, secret),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            http="httptools" if importlib.util.find_spec("httptools") else "h11",
        )
    else:
        import logging

        import waitress

        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a queue is what load makes
        waitress.serve(wsgi_app(kind, alg, jwks_url, secret), host="127.0.0.1", port=port, threads=4, _quiet=True)


# --- the load -------------------------------------------------------------------------------------


def load_with_wrk(port: int, token: str, seconds: int, connections: int) -> tuple[float, int]:
    """Requests per second, and how many requests were answered."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-H",
        f"Authorization: Bearer {token}",
        f"http://127.0.0.1:{port}{PATH}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, preexec_fn=lambda: _pin(1)).stdout  # noqa: S603
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"the load saw failures:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    if rate is None or count is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    return float(rate.group(1)), int(count.group(1))


async def _client_loop(port: int, request: bytes, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.monotonic() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"the server answered {head[:12]!r}")
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if length is None:
                raise RuntimeError("the load client needs a Content-Length")
            await reader.readexactly(int(length.group(1)))
            done += 1
    finally:
        writer.close()
        counts.append(done)


def load_with_python(port: int, token: str, seconds: int, connections: int) -> tuple[float, int]:
    """A small asyncio keep-alive client: the fallback without wrk (in a child process)."""
    request = (f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\r\n").encode()

    async def run() -> tuple[float, int]:
        counts: list[int] = []
        start = time.monotonic()
        await asyncio.gather(*(_client_loop(port, request, start + seconds, counts) for _ in range(connections)))
        return sum(counts) / (time.monotonic() - start), sum(counts)

    _pin(1)
    return asyncio.run(run())


def _cpu_seconds(pid: int) -> float:
    """The CPU time a process has used (user and system, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, pid: int, token: str, seconds: int, connections: int) -> tuple[float, float]:
    """Requests per second, and requests per CPU-second of the server."""
    before = _cpu_seconds(pid)
    if shutil.which("wrk"):
        rate, count = load_with_wrk(port, token, seconds, connections)
    else:
        command = [sys.executable, __file__, "--load", str(port), token, str(seconds), str(connections)]
        rate_text, count_text = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()  # noqa: S603
        rate, count = float(rate_text), int(count_text)
    return rate, count / max(_cpu_seconds(pid) - before, 1e-3)


# --- the middleware alone, in this process -----------------------------------------------------------


def middleware_costs(issuer: _Keys, rounds: int, calls: int) -> dict[tuple[str, str], float]:
    """Microseconds per request of each ASGI middleware around an application that does nothing.

    What the server adds to every request (parsing, routing, the response)
    is left out: this is the middleware's own cost, the part it can change.
    """

    async def nothing(scope: Any, receive: Any, send: Any) -> None:
        """The application: returns at once."""

    from minijwt.asgi import JWTAuthMiddleware

    stacks: dict[tuple[str, str], Any] = {}
    for alg in ALGORITHMS:
        stacks[("minijwt", alg)] = JWTAuthMiddleware(nothing, verifier=_verifier(alg, issuer.url, issuer.secret))
        stacks[("floor", alg)] = _floor_asgi(nothing, _verifier(alg, issuer.url, issuer.secret))
        stacks[("pyjwt", alg)] = _pyjwt_asgi(nothing, alg, _pyjwt_key(alg, issuer.url, issuer.secret))
    headers = {
        alg: [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {issuer.token(alg)}".encode())] for alg in ALGORITHMS
    }

    async def timed(stack: Any, alg: str) -> float:
        scope_headers = headers[alg]
        start = time.perf_counter()
        for _ in range(calls):
            await stack({"type": "http", "method": "GET", "path": PATH, "headers": scope_headers}, None, None)
        return (time.perf_counter() - start) / calls * 1e6

    async def run() -> dict[tuple[str, str], list[float]]:
        samples: dict[tuple[str, str], list[float]] = {name: [] for name in stacks}
        for round_number in range(rounds):
            names = list(stacks) if round_number % 2 == 0 else list(stacks)[::-1]
            for name in names:
                samples[name].append(await timed(stacks[name], name[1]))
        return samples

    return {name: statistics.median(values) for name, values in asyncio.run(run()).items()}


# --- orchestration --------------------------------------------------------------------------------


class _Keys:
    """The issuer: its keys, their published set on a loopback server, the tokens."""

    def __init__(self) -> None:
        import minijwt

        self.secret = os.urandom(32)
        self.keys = {"RS256": minijwt.JWK.generate("RS256", kid="rs"), "ES256": minijwt.JWK.generate("ES256", kid="es")}
        body = minijwt.JWKSet([key.public() for key in self.keys.values()]).to_json().encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Cache-Control", "max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks"

    def token(self, alg: str) -> str:
        import minijwt

        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 7200, "scope": "orders"}
        if alg == "HS256":
            return minijwt.encode(claims, self.secret, "HS256")
        return minijwt.encode(claims, self.keys[alg], alg, headers={"kid": self.keys[alg].kid})


@dataclass(frozen=True)
class Variant:
    server: str
    kind: str
    alg: str

    @property
    def name(self) -> str:
        return f"{self.server} {self.kind}" + ("" if self.kind == "unprotected" else f" {self.alg}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _status(port: int, token: str | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", PATH, headers={} if token is None else {"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextlib.contextmanager
def servers(variants: list[Variant], issuer: _Keys) -> Iterator[dict[Variant, tuple[int, int]]]:
    """Start one server process per variant; yield their ports and process ids; stop them all at the end."""
    ports: dict[Variant, int] = {}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for variant in variants:
            port = ports[variant] = _free_port()
            command = [sys.executable, __file__, "--serve", variant.server, variant.kind, variant.alg, str(port)]
            environment = {**os.environ, "BENCH_JWKS_URL": issuer.url, "BENCH_SECRET": issuer.secret.hex()}
            processes.append(subprocess.Popen(command, env=environment))  # noqa: S603
        deadline = time.monotonic() + 60
        for variant, port in ports.items():
            while True:
                try:
                    ok = _status(port, issuer.token(variant.alg))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{variant.name} did not start") from None
                    time.sleep(0.05)
            refused = _status(port, None)
            if ok != 200 or (variant.kind != "unprotected" and refused != 401):
                raise RuntimeError(f"{variant.name}: {ok} with the token, {refused} without")
        yield {variant: (port, process.pid) for (variant, port), process in zip(ports.items(), processes, strict=True)}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s; WSGI with HS256 only")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (1 if args.quick else 3)
    wsgi_algs = ("HS256",) if args.quick else ALGORITHMS
    variants = [Variant("asgi", "unprotected", "HS256")]
    variants += [Variant("asgi", kind, alg) for alg in ALGORITHMS for kind in KINDS[1:]]
    variants += [Variant("wsgi", "unprotected", "HS256")]
    variants += [Variant("wsgi", kind, alg) for alg in wsgi_algs for kind in KINDS[1:]]
    issuer = _Keys()
    tokens = {alg: issuer.token(alg) for alg in ALGORITHMS}
    loader = "wrk" if shutil.which("wrk") else "asyncio client"
    print(f"{len(variants)} servers, {rounds} rounds of {seconds} s, {args.connections} connections, load: {loader}")
    rates: dict[Variant, list[float]] = {variant: [] for variant in variants}
    per_cpu: dict[Variant, list[float]] = {variant: [] for variant in variants}
    with servers(variants, issuer) as running:
        for round_number in range(rounds):
            order = variants if round_number % 2 == 0 else variants[::-1]
            for variant in order:
                port, pid = running[variant]
                rate, cpu_rate = measure(port, pid, tokens[variant.alg], seconds, args.connections)
                rates[variant].append(rate)
                per_cpu[variant].append(cpu_rate)
    wall = {variant: statistics.median(values) for variant, values in rates.items()}
    cpu = {variant: statistics.median(values) for variant, values in per_cpu.items()}
    print(f"\n{'variant':<28}{'req/s':>10}{'req/CPU-s':>12}")
    for variant in variants:
        print(f"{variant.name:<28}{wall[variant]:>10.0f}{cpu[variant]:>12.0f}")
    report: dict[str, Any] = {
        "rounds": rounds,
        "seconds": seconds,
        "load": loader,
        "requests_per_second": {v.name: wall[v] for v in variants},
        "requests_per_cpu_second": {v.name: cpu[v] for v in variants},
        "ratios": {},
    }
    print(f"\n{'minijwt over':<32}{'req/s':>8}{'req/CPU-s':>11}{'target':>8}")
    failed = False
    for server in SERVERS:
        for alg in ALGORITHMS:
            ours = Variant(server, "minijwt", alg)
            if ours not in wall:
                continue
            for over in ("floor", "pyjwt", "unprotected"):
                theirs = Variant(server, over, alg if over != "unprotected" else "HS256")
                ratio, cpu_ratio = wall[ours] / wall[theirs], cpu[ours] / cpu[theirs]
                target = TARGETS.get((server, alg, over))
                mark = ""
                if target is not None:
                    met = cpu_ratio >= target
                    failed |= not met
                    mark = f"{target:>8.2f}" + (" ok" if met else " MISSED")
                name = f"{server} {alg} {over}"
                report["ratios"][name] = {"requests_per_second": ratio, "requests_per_cpu_second": cpu_ratio}
                print(f"{name:<32}{ratio:>8.2f}{cpu_ratio:>11.2f}{mark}")
    costs = middleware_costs(issuer, rounds=3 if args.quick else 7, calls=2000 if args.quick else 10000)
    print("\nthe middleware alone, around an application that does nothing (us per request; median of rounds)")
    print(f"{'algorithm':<10}{'minijwt':>9}{'floor':>9}{'pyjwt':>9}{'floor/minijwt':>15}{'pyjwt/minijwt':>15}")
    report["middleware_us"] = {f"{kind} {alg}": value for (kind, alg), value in costs.items()}
    for alg in ALGORITHMS:
        ours, floor, pyjwt = costs[("minijwt", alg)], costs[("floor", alg)], costs[("pyjwt", alg)]
        print(f"{alg:<10}{ours:>9.1f}{floor:>9.1f}{pyjwt:>9.1f}{floor / ours:>15.2f}{pyjwt / ours:>15.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        server, kind, alg, port = sys.argv[2:6]
        serve(
            server,
            kind,
            alg,
            port=int(port),
            jwks_url=os.environ["BENCH_JWKS_URL"],
            secret=bytes.fromhex(os.environ["BENCH_SECRET"]),
        )
    elif len(sys.argv) > 1 and sys.argv[1] == "--load":
        port, token, seconds, connections = sys.argv[2:6]
        print(*load_with_python(int(port), token, int(seconds), int(connections)))
    else:
        sys.exit(main())
