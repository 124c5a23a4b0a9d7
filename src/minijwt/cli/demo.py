"""``demo``: the whole asymmetric flow, on this machine, narrated step by step (``DEMO_HELP`` tells it).

Everything listens on 127.0.0.1, on ports the system picks.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import minijwt

from ._common import EXIT_OK, EXIT_REJECTED, colour, emit, use_colour
from .serve import JWKSServer

DEMO_HELP = """\
Run the whole flow minijwt exists for, on loopback, in a few seconds: make an
RS256 key pair, serve its JWK Set, sign a token, protect an API with the WSGI
middleware and a JWKS client, call it with no token, a good one, a tampered
one and an expired one, then rotate the keys without a restart. Exits 0 only
if every step behaved as shown.

example:
  minijwt demo
"""

AUDIENCE = "orders-api"
CACHE_TTL = 300
COOLDOWN = 30


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``demo``."""
    demo = commands.add_parser(
        "demo",
        help="run the whole flow: keys, JWKS, tokens, a protected API, rotation",
        description=DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.set_defaults(run=lambda args: run_demo(sys.stdout))


class _Clock:
    """The API's clock for its key cache: moved forward by the demo instead of waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo narrates instead


def _api(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The API behind the middleware: a public route and a protected one."""
    body: dict[str, Any]
    if environ["PATH_INFO"] == "/public":
        body = {"message": "anyone may read this"}
    else:
        claims = environ["minijwt.claims"]
        body = {"orders": ["#1001", "#1002"], "for": claims["sub"]}
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _serve(server: Any) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


class _Demo:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.c = colour(use_colour(out))
        self.failures = 0
        self.step = 0

    def say(self, text: str) -> None:
        # Flushed line by line, to narrate as it happens. A reader that goes
        # away (`minijwt demo | head -2`) silences the rest; the demo runs on,
        # so its status still says whether every step behaved.
        emit(text + "\n", self.out, flush=True)

    def title(self, text: str) -> None:
        self.step += 1
        self.say(f"\n{self.c['bold']}{self.step}. {text}{self.c['reset']}")

    def check(self, what: str, ok: bool, detail: str = "") -> None:
        mark = f"{self.c['green']}ok{self.c['reset']}" if ok else f"{self.c['red']}UNEXPECTED{self.c['reset']}"
        self.say(f"   {mark}  {what:<46} {self.c['dim']}{detail}{self.c['reset']}".rstrip())
        if not ok:
            self.failures += 1

    def call(self, port: int, path: str, token: str | None, expect: int, what: str) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        challenge = response.getheader("WWW-Authenticate")
        shown = f"GET {path} -> {response.status}"
        if challenge:
            shown += f"  WWW-Authenticate: {challenge}"
        self.check(what, response.status == expect, shown)
        try:
            parsed: dict[str, Any] = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        return parsed


def _tamper(token: str) -> str:
    """The token with one character of its claims changed (its signature kept)."""
    header, payload, signature = token.split(".")
    swapped = payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:]
    return f"{header}.{swapped}.{signature}"


def run_demo(out: TextIO) -> int:
    """Run the demo, narrating to ``out``; return the exit status."""
    from minijwt.wsgi import JWTAuthMiddleware  # the web layer, loaded only for the demo

    d = _Demo(out)
    d.say(f"minijwt {minijwt.__version__} demo: an auth service, its JWK Set, and an API that trusts it")

    d.title("The auth service makes an RS256 key pair")
    first = minijwt.JWK.generate("RS256")
    d.say(f"   RSA 2048, kid {first.kid} (the key's RFC 7638 thumbprint)")

    d.title("It publishes the public key as a JWK Set")
    keys = JWKSServer(("127.0.0.1", 0), minijwt.JWKSet([first.public()]).to_dict(), max_age=CACHE_TTL)
    _serve(keys)
    issuer = keys.origin
    d.say(f"   {issuer}/jwks.json  (Cache-Control: public, max-age={CACHE_TTL}; public members only)")

    d.title("It signs a token that expires in 1 hour")
    token = minijwt.encode(
        {"iss": issuer, "aud": AUDIENCE, "sub": "alice"}, first, "RS256", headers={"kid": first.kid}, expires_in=3600
    )
    d.say(f"   {token[:48]}...  ({len(token)} characters)")

    d.title("An API protects /orders with the WSGI middleware and a JWKS client")
    clock = _Clock()
    client = minijwt.JWKSClient(f"{issuer}/jwks.json", cache_ttl=CACHE_TTL, min_refresh_interval=COOLDOWN, clock=clock)
    verifier = minijwt.JWTVerifier(client, algorithms=["RS256"], issuer=issuer, audience=AUDIENCE)
    app = JWTAuthMiddleware(_api, verifier=verifier, exempt=["/public"], realm="orders")
    api = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_Quiet)
    _serve(api)
    port = api.server_port
    d.say(f"   http://127.0.0.1:{port}  (wsgiref; keys from {issuer}/jwks.json, cached {CACHE_TTL} s)")

    try:
        d.title("Calls to the API")
        d.call(port, "/public", None, 200, "public route, no token")
        d.call(port, "/orders", None, 401, "protected route, no token")
        body = d.call(port, "/orders", token, 200, "protected route, the token")
        d.check("the handler sees the claims", body.get("for") == "alice", f"sub = {body.get('for')!r}")
        d.call(port, "/orders", _tamper(token), 401, "a tampered token")
        expired = minijwt.encode(
            {
                "iss": issuer,
                "aud": AUDIENCE,
                "sub": "alice",
                "iat": int(time.time()) - 7200,
                "exp": int(time.time()) - 3600,
            },
            first,
            "RS256",
            headers={"kid": first.kid},
        )
        d.call(port, "/orders", expired, 401, "an expired token")
        d.check("the key set was fetched once", client.status.fetches == 1, f"{client.status.fetches} fetch(es)")

        d.title("Key rotation: publish a second key, sign with it")
        second = minijwt.JWK.generate("RS256")
        keys.publish(minijwt.JWKSet([first.public(), second.public()]).to_dict())
        d.say(f"   new kid {second.kid}; the JWK Set now holds both keys")
        clock.offset += COOLDOWN  # an unknown kid refetches at most once per cooldown
        d.say(f"   ({COOLDOWN} s pass: the demo moves the API's clock instead of waiting)")
        new_token = minijwt.encode(
            {"iss": issuer, "aud": AUDIENCE, "sub": "bob"},
            second,
            "RS256",
            headers={"kid": second.kid},
            expires_in=3600,
        )
        d.call(port, "/orders", new_token, 200, "a token signed with the new key, no restart")
        d.call(port, "/orders", token, 200, "a token of the first key still works")

        d.title("Withdraw the first key; the API's cache expires")
        keys.publish(minijwt.JWKSet([second.public()]).to_dict())
        clock.offset += CACHE_TTL
        d.say(f"   ({CACHE_TTL} s pass: the cached set expires and is fetched again)")
        d.call(port, "/orders", token, 401, "a token of the withdrawn key")
        d.call(port, "/orders", new_token, 200, "a token of the new key")
        d.check("fetches so far", client.status.fetches == 3, f"{client.status.fetches} fetches in all")
    finally:
        api.shutdown()
        api.server_close()
        keys.shutdown()
        keys.server_close()

    if d.failures:
        d.say(f"\n{d.c['red']}{d.failures} step(s) did not behave as expected.{d.c['reset']}")
        return EXIT_REJECTED
    d.say(f"\n{d.c['green']}Every step behaved as shown.{d.c['reset']} Next: `minijwt --help`, and the docs' how-tos.")
    return EXIT_OK
