"""DPoP in every integration (RFC 9449 §7), over real HTTP on loopback.

uvicorn serves the ASGI middleware and FastAPI, waitress the WSGI middleware and Flask.

Each application answers ``GET /orders`` with the thumbprint of the proof it
was handed (or ``none``), read where its integration puts it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from fastapi import FastAPI, Request, Security
from support.servers import Response, forwarding_proxy, request, uvicorn_server, waitress_server

import minijwt
from minijwt._dpop import access_token_hash
from minijwt.asgi import JWTAuthMiddleware as ASGIMiddleware
from minijwt.dpop import DPoPVerifier, HMACNonceSource
from minijwt.fastapi import JWTBearer
from minijwt.flask import JWTAuth
from minijwt.wsgi import JWTAuthMiddleware as WSGIMiddleware

KINDS = ["asgi", "wsgi", "flask", "fastapi"]
SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
CLIENT = minijwt.JWK.generate("ES256")
JKT = CLIENT.thumbprint()


def bound_token(jkt: str | None = JKT, **claims: Any) -> str:
    body: dict[str, Any] = {"sub": "alice", "exp": int(time.time()) + 600, **claims}
    if jkt is not None:
        body["cnf"] = {"jkt": jkt}
    return minijwt.encode(body, SECRET)


def make_proof(url: str, token: str | None, *, key: minijwt.JWK = CLIENT, method: str = "GET", **claims: Any) -> str:
    body: dict[str, Any] = {"jti": f"j-{time.monotonic_ns()}", "htm": method, "htu": url, "iat": int(time.time())}
    if token is not None:
        body["ath"] = access_token_hash(token)
    body.update(claims)
    return minijwt.encode(body, key, "ES256", headers={"typ": "dpop+jwt", "jwk": key.public().to_dict()})


async def _asgi_app(scope: Any, receive: Any, send: Any) -> None:
    dpop = scope["state"].get("dpop")
    body = (dpop.jkt if dpop is not None else "none").encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    dpop = environ.get("minijwt.dpop")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [(dpop.jkt if dpop is not None else "none").encode()]


def _protected(kind: str, **options: Any) -> Any:
    if kind == "asgi":
        return ASGIMiddleware(_asgi_app, verifier=VERIFIER, **options)
    if kind == "wsgi":
        return WSGIMiddleware(_wsgi_app, verifier=VERIFIER, **options)
    if kind == "flask":
        auth = JWTAuth(VERIFIER, **options)
        app = flask.Flask("orders")

        @app.get("/orders")
        @auth.required
        def orders() -> Any:
            dpop = flask.g.get("dpop")
            return dpop.jkt if dpop is not None else "none"

        return app
    bearer = JWTBearer(VERIFIER, **options)
    api = FastAPI()

    @api.get("/orders")
    async def fastapi_orders(request: Request, claims: dict[str, Any] = Security(bearer)) -> Any:  # noqa: B008
        from fastapi.responses import PlainTextResponse

        dpop = getattr(request.state, "dpop", None)
        return PlainTextResponse(dpop.jkt if dpop is not None else "none")

    return api


@contextlib.contextmanager
def serve(kind: str, **options: Any) -> Iterator[int]:
    server = uvicorn_server if kind in {"asgi", "fastapi"} else waitress_server
    with server(_protected(kind, **options)) as port:
        yield port


def call(port: int, token: str | None, *, scheme: str = "DPoP", proofs: tuple[str, ...] = ()) -> Response:
    headers = [("Authorization", f"{scheme} {token}")] if token is not None else []
    headers += [("DPoP", proof) for proof in proofs]
    return request(port, "/orders", headers=headers)


def detail(response: Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body.get("detail", body)  # type: ignore[no-any-return]  # FastAPI nests it


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/orders"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_dpop_bound_token_with_its_proof_passes_and_the_proof_reaches_the_application(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"])) as port:
        token = bound_token()
        answer = call(port, token, proofs=(make_proof(url(port), token),))
        assert (answer.status, answer.body) == (200, JKT.encode())
        plain = call(port, minijwt.encode({"sub": "bob"}, SECRET), scheme="Bearer")
        assert (plain.status, plain.body) == (200, b"none")  # a bearer token still passes


@pytest.mark.parametrize("with_dpop", [True, False])
def test_a_bound_token_sent_as_bearer_is_refused_whatever_the_configuration(kind: str, with_dpop: bool) -> None:
    options = {"dpop": DPoPVerifier(algorithms=["ES256"])} if with_dpop else {}
    with serve(kind, **options) as port:
        answer = call(port, bound_token(), scheme="Bearer")
        assert answer.status == 401
        assert detail(answer)["error"] == "invalid_token"
        assert answer.challenge.startswith('Bearer error="invalid_token"')
        if with_dpop:
            assert answer.challenge.endswith('DPoP algs="ES256"')


def test_dpop_required_answers_a_bearer_token_with_the_dpop_challenge_alone(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256", "EdDSA"]), dpop_required=True) as port:
        answer = call(port, minijwt.encode({"sub": "bob"}, SECRET), scheme="Bearer")
        assert answer.status == 401
        assert answer.challenge == 'DPoP algs="ES256 EdDSA"'
        assert call(port, None).challenge == 'DPoP algs="ES256 EdDSA"'
        # The downgrade refusal wins: an invalid_token error for a bound token.
        assert 'error="invalid_token"' in call(port, bound_token(), scheme="Bearer").challenge


def test_a_dpop_scheme_token_must_be_bound(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"])) as port:
        token = bound_token(jkt=None)
        answer = call(port, token, proofs=(make_proof(url(port), token),))
        assert answer.status == 401
        assert answer.challenge.startswith('DPoP error="invalid_token"')
        assert answer.challenge.endswith(", Bearer")


def test_a_missing_repeated_or_bad_proof_is_invalid_dpop_proof(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"])) as port:
        token = bound_token()
        cases = [
            (),
            (make_proof(url(port), token), make_proof(url(port), token)),
            (make_proof(url(port), token, method="POST"),),
            (make_proof(url(port) + "/other", token),),
            (make_proof(url(port), "another.token"),),
            ("not.a.proof",),
        ]
        for proofs in cases:
            answer = call(port, token, proofs=proofs)
            assert answer.status == 401, proofs
            assert detail(answer)["error"] == "invalid_dpop_proof"
            assert answer.challenge.startswith('DPoP error="invalid_dpop_proof"')
            for secret in (token, *proofs):
                assert secret not in answer.body.decode()


def test_a_replayed_proof_is_refused(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"])) as port:
        token = bound_token()
        proof = make_proof(url(port), token)
        assert call(port, token, proofs=(proof,)).status == 200
        assert detail(call(port, token, proofs=(proof,)))["error"] == "invalid_dpop_proof"


def test_a_proof_of_another_key_than_the_tokens_is_invalid_token(kind: str) -> None:
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"])) as port:
        token = bound_token()
        other = minijwt.JWK.generate("ES256")
        answer = call(port, token, proofs=(make_proof(url(port), token, key=other),))
        assert answer.status == 401
        assert detail(answer)["error"] == "invalid_token"
        assert answer.challenge.startswith('DPoP error="invalid_token"')


def test_a_required_nonce_is_asked_for_then_accepted(kind: str) -> None:
    source = HMACNonceSource(b"n" * 32)
    with serve(kind, dpop=DPoPVerifier(algorithms=["ES256"], nonce=source)) as port:
        token = bound_token()
        first = call(port, token, proofs=(make_proof(url(port), token),))
        assert first.status == 401
        assert first.challenge.startswith('DPoP error="use_dpop_nonce"')
        nonce = first.headers["dpop-nonce"]
        assert source.check(nonce)
        second = call(port, token, proofs=(make_proof(url(port), token, nonce=nonce),))
        assert (second.status, second.body) == (200, JKT.encode())


def test_options_are_checked_when_the_application_starts() -> None:
    for options in (
        {"dpop": "yes"},
        {"dpop_required": True},
        {"dpop": DPoPVerifier(algorithms=["ES256"]), "public_url": "/svc"},
        {"dpop": DPoPVerifier(algorithms=["ES256"]), "public_url": "https://api.example/?x=1"},
        {"dpop": DPoPVerifier(algorithms=["ES256"]), "public_url": "https://api.example", "trust_forwarded": True},
        {"trust_forwarded": "yes"},
    ):
        with pytest.raises(minijwt.InvalidOptionError):
            ASGIMiddleware(_asgi_app, verifier=VERIFIER, **options)


# --- behind proxies --------------------------------------------------------------------------------


def test_htu_counts_the_asgi_root_path_once() -> None:
    dpop = DPoPVerifier(algorithms=["ES256"])
    with uvicorn_server(ASGIMiddleware(_asgi_app, verifier=VERIFIER, dpop=dpop), root_path="/svc") as port:
        token = bound_token()
        # The proxy in front took /svc off; uvicorn puts it back in path (and
        # in raw_path), which minijwt must not prepend a second time.
        proof = make_proof(f"http://127.0.0.1:{port}/svc/orders", token)
        answer = request(port, "/orders", headers=[("Authorization", f"DPoP {token}"), ("DPoP", proof)])
        assert (answer.status, answer.body) == (200, JKT.encode())


@pytest.mark.parametrize(
    "added",
    [
        [("Forwarded", 'for=192.0.2.1;proto=https;host="api.example", proto=http;host=inner')],
        [("X-Forwarded-Proto", "https, http"), ("X-Forwarded-Host", "api.example, inner")],
    ],
)
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_trust_forwarded_reads_the_edge_proxys_scheme_and_host(kind: str, added: list[tuple[str, str]]) -> None:
    dpop = DPoPVerifier(algorithms=["ES256"])
    server = uvicorn_server if kind == "asgi" else waitress_server
    app = _protected(kind, dpop=dpop, trust_forwarded=True)
    # Both servers hand the headers on as they came: minijwt reads them, not the server.
    options: dict[str, Any] = {"proxy_headers": False} if kind == "asgi" else {"clear_untrusted_proxy_headers": False}
    with server(app, **options) as backend, forwarding_proxy(backend, added) as port:
        token = bound_token()
        ok = call(port, token, proofs=(make_proof("https://api.example/orders", token),))
        assert (ok.status, ok.body) == (200, JKT.encode())
        wrong = call(port, token, proofs=(make_proof(f"http://127.0.0.1:{port}/orders", token),))
        assert detail(wrong)["error"] == "invalid_dpop_proof"


def test_forwarding_headers_are_never_read_unless_trusted() -> None:
    dpop = DPoPVerifier(algorithms=["ES256"])
    added = [("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example")]
    app = _protected("wsgi", dpop=dpop)
    with waitress_server(app, clear_untrusted_proxy_headers=False) as backend, forwarding_proxy(backend, added) as port:
        token = bound_token()
        forged = call(port, token, proofs=(make_proof("https://api.example/orders", token),))
        assert detail(forged)["error"] == "invalid_dpop_proof"


def test_public_url_replaces_scheme_and_host_and_prefixes_the_path(kind: str) -> None:
    dpop = DPoPVerifier(algorithms=["ES256"])
    with serve(kind, dpop=dpop, public_url="https://api.example/svc/") as port:
        token = bound_token()
        answer = call(port, token, proofs=(make_proof("https://api.example/svc/orders", token),))
        assert (answer.status, answer.body) == (200, JKT.encode())


# --- metadata -----------------------------------------------------------------------------------------------


def test_protected_resource_metadata_names_the_dpop_members_when_set() -> None:
    resource = minijwt.asgi.ProtectedResource(
        resource="https://api.example/orders",
        dpop_signing_alg_values_supported=["ES256", "EdDSA"],
        dpop_bound_access_tokens_required=False,
    )
    document = resource.to_dict()
    assert document["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA"]
    assert json.dumps(document["dpop_bound_access_tokens_required"]) == "false"
    plain = minijwt.asgi.ProtectedResource(resource="https://api.example/orders").to_dict()
    assert "dpop_signing_alg_values_supported" not in plain
    assert "dpop_bound_access_tokens_required" not in plain
    for bad in ({"dpop_signing_alg_values_supported": ["HS256"]}, {"dpop_bound_access_tokens_required": "yes"}):
        with pytest.raises(minijwt.InvalidOptionError):
            minijwt.asgi.ProtectedResource(resource="https://api.example/orders", **bad)
