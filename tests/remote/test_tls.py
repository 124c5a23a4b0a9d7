"""https through the standard library fetch: certificate verification, and the deadline over TLS."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.jwks_server import JWKSServer, Reply, jwks_reply, sign, verify
from support.tls import loopback_certificate

import minijwt
from minijwt import _http
from minijwt.errors import JWKSFetchError
from minijwt.jwks_client import JWKSClient


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key, as PEM files."""
    return loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[JWKSServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    served = JWKSServer(tls=context)
    yield served
    served.close()


@pytest.fixture
def trusting(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fetch trust the test certificate (and nothing else)."""
    context = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(_http, "_tls_context", lambda: context)


def test_untrusted_certificate_is_refused(tls_server: JWKSServer) -> None:
    tls_server.routes["/jwks"] = Reply(body=b"{}")
    with pytest.raises(JWKSFetchError) as caught:
        _http.stdlib_fetch(tls_server.url(), headers={}, timeout=2.0, max_bytes=1000)
    assert caught.value.reason == "network"
    assert tls_server.count() == 0


@pytest.mark.usefixtures("trusting")
def test_https_fetch_with_a_trusted_certificate(tls_server: JWKSServer) -> None:
    key = minijwt.JWK.generate("ES256", kid="tls")
    tls_server.routes["/jwks"] = jwks_reply([key])
    client = JWKSClient(tls_server.url(), timeout=2.0)
    verify(client, sign(key, "ES256"))


@pytest.mark.usefixtures("trusting")
def test_deadline_holds_over_tls(tls_server: JWKSServer) -> None:
    tls_server.routes["/jwks"] = Reply(body=b"x" * 100, trickle=0.05)
    started = time.monotonic()
    with pytest.raises(JWKSFetchError) as caught:
        _http.stdlib_fetch(tls_server.url(), headers={}, timeout=0.5, max_bytes=1000)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 0.5 + 1.0


@pytest.mark.usefixtures("trusting")
@pytest.mark.parametrize("allow_http", [False, True])
def test_an_https_issuer_cannot_point_its_jwks_uri_at_plain_http(tls_server: JWKSServer, allow_http: bool) -> None:
    # Hardening 3, (3): the discovery document of an https issuer names an
    # http jwks_uri on loopback; the client never fetches it, headers and all.
    plain = JWKSServer()
    try:
        key = minijwt.JWK.generate("ES256", kid="k")
        plain.routes["/jwks"] = jwks_reply([key])
        issuer = tls_server.origin
        tls_server.routes["/.well-known/openid-configuration"] = Reply(
            body=json.dumps({"issuer": issuer, "jwks_uri": plain.url()}).encode()
        )
        client = JWKSClient.from_issuer(issuer, timeout=2.0, allow_http=allow_http, headers={"X-Api-Key": "k"})
        with pytest.raises(JWKSFetchError) as caught:
            verify(client, sign(key, "ES256"))
        assert caught.value.reason == "insecure_url"
        assert plain.count() == 0
    finally:
        plain.close()


@pytest.mark.usefixtures("trusting")
def test_an_https_issuer_with_an_https_jwks_uri_works(tls_server: JWKSServer) -> None:
    key = minijwt.JWK.generate("ES256", kid="k")
    tls_server.routes["/jwks"] = jwks_reply([key])
    issuer = tls_server.origin
    tls_server.routes["/.well-known/openid-configuration"] = Reply(
        body=json.dumps({"issuer": issuer, "jwks_uri": tls_server.url()}).encode()
    )
    verify(JWKSClient.from_issuer(issuer, timeout=2.0), sign(key, "ES256"))
