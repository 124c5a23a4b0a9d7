"""The PyJWT migration guide's code does what the guide says, here where the doctest build cannot look.

Its ``fetch_with(context)``, the replacement for ``PyJWKClient(ssl_context=)``,
is run over real TLS on loopback, with a certificate authority of the test's
own: trusted through the context, refused without it, a redirect not
followed, a long body refused.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.jwks_server import JWKSServer, Reply, jwks_reply
from support.tls import loopback_certificate

import minijwt

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "howto" / "migrate-from-pyjwt.rst"


def _testcode(containing: str) -> str:
    """The guide's ``testcode`` block that holds ``containing``, dedented."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^\.\. testcode::.*\n\n((?:(?:   .*)?\n)+)", text, re.MULTILINE)
    [block] = [block for block in blocks if containing in block]
    return "\n".join(line[3:] for line in block.splitlines())


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A private certificate authority's certificate for 127.0.0.1, and its key, as PEM files."""
    return loopback_certificate(tmp_path_factory.mktemp("private-ca"), "minijwt private CA")


@pytest.fixture
def issuer(authority: tuple[Path, Path]) -> Iterator[JWKSServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*authority)
    served = JWKSServer(tls=context)
    yield served
    served.close()


@pytest.fixture(scope="module")
def fetch_with() -> Callable[[ssl.SSLContext], Any]:
    # The block follows the group's first one, which imported minijwt.
    namespace: dict[str, Any] = {"__name__": "guide", "minijwt": minijwt}
    exec(_testcode("def fetch_with"), namespace)  # noqa: S102 - the guide's own code
    function: Callable[[ssl.SSLContext], Any] = namespace["fetch_with"]
    return function


def test_the_ssl_context_replacement_trusts_a_private_authority(
    issuer: JWKSServer, authority: tuple[Path, Path], fetch_with: Callable[[ssl.SSLContext], Any]
) -> None:
    signing = minijwt.JWK.generate("ES256", kid="k1")
    issuer.routes["/jwks"] = jwks_reply([signing])
    token = minijwt.encode({"sub": "alice"}, signing, "ES256", headers={"kid": "k1"})
    private_ca = ssl.create_default_context(cafile=str(authority[0]))
    keys = minijwt.JWKSClient(issuer.url(), fetch=fetch_with(private_ca), headers={"X-Api-Key": "gateway-key"})
    assert minijwt.decode(token, keys, algorithms=["ES256"])["sub"] == "alice"
    assert issuer.requests[0].headers["x-api-key"] == "gateway-key"

    # The system's authorities do not know this one: the handshake fails.
    untrusting = minijwt.JWKSClient(issuer.url(), fetch=fetch_with(ssl.create_default_context()))
    with pytest.raises(minijwt.JWKSFetchError) as refused:
        untrusting.get_jwk_set()
    assert refused.value.reason == "network"


def test_the_ssl_context_replacement_follows_no_redirect_and_reads_no_more_than_it_may(
    issuer: JWKSServer, authority: tuple[Path, Path], fetch_with: Callable[[ssl.SSLContext], Any]
) -> None:
    private_ca = ssl.create_default_context(cafile=str(authority[0]))
    issuer.routes["/moved"] = Reply(status=302, headers={"Location": issuer.url("/jwks")})
    issuer.routes["/jwks"] = jwks_reply([minijwt.JWK.generate("ES256")])
    with pytest.raises(minijwt.JWKSFetchError) as moved:
        minijwt.JWKSClient(issuer.url("/moved"), fetch=fetch_with(private_ca)).get_jwk_set()
    assert moved.value.reason == "redirect"
    assert [request.path for request in issuer.requests] == ["/moved"]
    with pytest.raises(minijwt.JWKSFetchError) as large:
        minijwt.JWKSClient(issuer.url(), fetch=fetch_with(private_ca), max_bytes=64).get_jwk_set()
    assert large.value.reason == "too_large"


# PyJWKClient's options and methods (PyJWT 2.10): each has its row in the guide.
PYJWKCLIENT_OPTIONS = {
    "cache_keys",
    "max_cached_keys",
    "cache_jwk_set",
    "lifespan",
    "headers",
    "timeout",
    "ssl_context",
    "cooldown_duration",
}
PYJWKCLIENT_METHODS = {
    "fetch_data",
    "get_jwk_set",
    "get_signing_key",
    "get_signing_key_from_jwt",
    "get_signing_keys",
    "match_kid",
}


def test_every_pyjwkclient_option_and_method_has_its_row() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert [option for option in sorted(PYJWKCLIENT_OPTIONS) if f"``{option}=" not in text] == []
    assert [method for method in sorted(PYJWKCLIENT_METHODS) if f"``client.{method}(" not in text] == []
    assert '``jwt.decode_complete(...)["payload"]``' in text
    assert "``minijwt.decode_complete(...).claims``" in text


def test_the_list_holds_every_option_of_the_installed_pyjwt() -> None:
    """Where PyJWT is installed (the bench extra), a newer option fails here until the guide maps it."""
    import inspect

    jwt = pytest.importorskip("jwt")
    options = set(inspect.signature(jwt.PyJWKClient.__init__).parameters) - {"self", "uri"}
    methods = {name for name in vars(jwt.PyJWKClient) if not name.startswith("_")}
    assert options <= PYJWKCLIENT_OPTIONS
    assert methods <= PYJWKCLIENT_METHODS
