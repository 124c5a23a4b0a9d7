"""The key-resolution seam and the error boundary it makes exact.

A token's author can only ever cause an InvalidTokenError (a 401); the
server's own configuration raises InvalidKeyError / InvalidOptionError (a
500), when the verifier is built, not when a token arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st
from support import private_key_for

import minijwt
from minijwt import (
    JWK,
    Algorithm,
    EncodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidTokenError,
    JWKSet,
    JWTVerifier,
    Key,
    KeyNotFoundError,
    jws,
)

SECRET = b"0123456789abcdef0123456789abcdef"


class ByKid:
    """A caller's own key source: keys by kid."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self.keys = {kid: minijwt.JWK.from_key(key).key for kid, key in keys.items()}
        self.calls = 0

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        self.calls += 1
        try:
            return self.keys[header["kid"]]
        except KeyError:
            raise KeyNotFoundError("unknown kid") from None


class AsyncByKid(ByKid):
    """The same, looked up asynchronously."""

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        await asyncio.sleep(0)
        return self.resolve_key(header, alg)


def test_a_callers_key_source_works_everywhere() -> None:
    source = ByKid({"a": SECRET, "e": private_key_for("ES256").public_key()})
    assert isinstance(source, minijwt.KeySource)
    token = minijwt.encode({"sub": "x"}, SECRET, headers={"kid": "a"})
    assert minijwt.decode(token, source, algorithms=["HS256"]) == {"sub": "x"}
    assert jws.verify(token, source, algorithms=["HS256"]) == b'{"sub":"x"}'
    assert JWTVerifier(source, algorithms=["HS256", "ES256"]).decode(token) == {"sub": "x"}
    es = minijwt.encode({}, private_key_for("ES256"), "ES256", headers={"kid": "e"})
    assert JWTVerifier(source, algorithms=["HS256", "ES256"]).decode(es) == {}
    with pytest.raises(KeyNotFoundError):
        minijwt.decode(minijwt.encode({}, SECRET, headers={"kid": "zz"}), source, algorithms=["HS256"])


def test_a_source_answering_a_misfit_key_is_a_token_error() -> None:
    """A source's answer is checked: a key that cannot serve the alg never verifies."""
    source = ByKid({"a": private_key_for("ES256").public_key()})
    token = minijwt.encode({}, SECRET, headers={"kid": "a"})
    with pytest.raises(KeyNotFoundError, match="cannot verify HS256"):
        minijwt.decode(token, source, algorithms=["HS256"])


def test_async_sources_need_adecode() -> None:
    source = AsyncByKid({"a": SECRET})
    token = minijwt.encode({"n": 1}, SECRET, headers={"kid": "a"})
    assert asyncio.run(minijwt.adecode(token, source, algorithms=["HS256"])) == {"n": 1}
    verifier = JWTVerifier(source, algorithms=["HS256"])
    assert asyncio.run(verifier.adecode(token)) == {"n": 1}
    # It is also a sync source, so the sync path works too.
    assert verifier.decode(token) == {"n": 1}

    class OnlyAsync:
        async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
            return minijwt.SecretKey(SECRET)

    with pytest.raises(InvalidKeyError, match="adecode"):
        minijwt.decode(token, OnlyAsync(), algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match="adecode"):
        JWTVerifier(OnlyAsync(), algorithms=["HS256"]).decode(token)
    assert asyncio.run(minijwt.adecode(token, OnlyAsync(), algorithms=["HS256"])) == {"n": 1}


def test_adecode_accepts_every_key_decode_accepts() -> None:
    private = private_key_for("RS256")
    token = minijwt.encode({"a": 1}, private, "RS256", headers={"kid": "r"})
    keys: list[Any] = [
        private.public_key(),
        JWK.from_key(private.public_key(), kid="r"),
        JWKSet([JWK.from_key(private.public_key(), kid="r")]),
    ]
    for key in keys:
        assert asyncio.run(minijwt.adecode(token, key, algorithms=["RS256"])) == {"a": 1}


def test_a_token_chosen_algorithm_the_key_cannot_serve_is_a_token_error() -> None:
    """An attacker must not be able to pick a 500 by choosing alg."""
    rsa_public = private_key_for("RS256").public_key()
    verifier = JWTVerifier(rsa_public, algorithms=["HS256", "RS256"])
    hs_token = minijwt.encode({}, SECRET, "HS256")
    with pytest.raises(InvalidAlgorithmError, match="cannot be verified with this key"):
        verifier.decode(hs_token)
    jwk = JWK.from_key(rsa_public, alg="RS256")
    ps_token = minijwt.encode({}, private_key_for("RS256"), "PS256")
    with pytest.raises(KeyNotFoundError):
        JWTVerifier(jwk, algorithms=["RS256", "PS256"]).decode(ps_token)


@pytest.mark.parametrize(
    ("key", "algorithms"),
    [
        (lambda: ec.generate_private_key(ec.SECP384R1()).public_key(), ["ES256"]),
        (lambda: b"12345", ["HS256"]),
        (lambda: "a text secret, too short", ["HS256"]),
        (lambda: private_key_for("RS256").public_key(), ["ES256", "HS256"]),
        (lambda: JWK.from_key(private_key_for("RS256").public_key(), alg="RS256"), ["PS256"]),
        (lambda: JWKSet([]), ["RS256"]),
        (lambda: JWKSet([JWK.generate("ES256")]), ["RS256"]),
    ],
)
def test_a_key_that_fits_no_allowed_algorithm_is_refused_when_the_verifier_is_built(
    key: Any, algorithms: list[str]
) -> None:
    with pytest.raises(InvalidKeyError):
        JWTVerifier(key(), algorithms=algorithms)
    with pytest.raises(InvalidKeyError):
        minijwt.decode("never.looked.at", key(), algorithms=algorithms)


def test_a_weak_rsa_key_is_refused_when_loaded() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidKeyError, match="at least 2048"):
        JWTVerifier(weak.public_key(), algorithms=["RS256"])


@pytest.mark.parametrize("algorithms", [[], None, (), ["none"], ["HS256", "none"], ["RS1"], [b"HS256"], "", 7])
def test_a_bad_algorithms_option_is_a_configuration_error(algorithms: Any) -> None:
    with pytest.raises(InvalidOptionError):
        JWTVerifier(SECRET, algorithms=algorithms)
    with pytest.raises(InvalidOptionError):
        minijwt.decode("a.b.c", SECRET, algorithms=algorithms)
    with pytest.raises(InvalidOptionError):
        jws.verify("a.b.c", SECRET, algorithms=algorithms)


@pytest.mark.parametrize("algorithm", ["none", "None", "HS1", "", None, 256])
def test_signing_with_an_unknown_algorithm_is_an_encode_error(algorithm: Any) -> None:
    with pytest.raises(EncodeError):
        jws.sign(b"x", SECRET, algorithm)
    with pytest.raises(EncodeError):
        minijwt.encode({}, SECRET, algorithm)


def test_jwk_methods_take_algorithm_names() -> None:
    key = JWK.generate("RS256")
    assert key.can_verify("RS256")
    assert key.can_verify(minijwt.ALGORITHMS["RS256"])
    assert not key.can_verify("PS256")  # its alg member restricts it
    assert not key.can_verify("HS256")
    assert not key.can_verify("no-such-alg")
    keys = JWKSet([key.public()])
    assert keys.select({"kid": key.kid}, "RS256").kid == key.kid
    # A name the caller gives is configuration, never a token error.
    with pytest.raises(InvalidOptionError):
        keys.select({"kid": key.kid}, "nope")
    with pytest.raises(InvalidOptionError):
        JWK.generate("none")


def _verifiers() -> list[tuple[str, JWTVerifier]]:
    es = private_key_for("ES256")
    rs = private_key_for("RS256")
    ed = private_key_for("EdDSA")
    mixed = JWKSet(
        [JWK.from_key(es.public_key(), kid="e"), JWK.from_key(rs.public_key(), kid="r"), JWK.from_key(ed.public_key())]
    )
    every = [name for name, row in minijwt.ALGORITHMS.items() if row.available]
    return [
        ("hs", JWTVerifier(SECRET, algorithms=["HS256", "HS384", "RS256"])),
        ("rsa", JWTVerifier(rs.public_key(), algorithms=every)),
        ("ec", JWTVerifier(es.public_key(), algorithms=every)),
        ("okp", JWTVerifier(ed.public_key(), algorithms=every)),
        ("set", JWTVerifier(mixed, algorithms=every, audience="api", issuer="iss", typ="JWT", max_age=60)),
    ]


VERIFIERS = _verifiers()
GOOD_TOKENS = [
    minijwt.encode({"aud": "api", "iss": "iss", "iat": 1}, SECRET, "HS256"),
    minijwt.encode({"exp": 1}, private_key_for("RS256"), "RS256", headers={"kid": "r"}),
    minijwt.encode({}, private_key_for("ES256"), "ES256", headers={"kid": "e"}),
    minijwt.encode({"nbf": 2**80}, private_key_for("EdDSA"), "EdDSA"),
]
HOSTILE_HEADERS = [
    b'{"alg":"HS256","crit":["zip"],"zip":1}',
    b'{"alg":"RS256","kid":7}',
    b'{"alg":"ES256","kid":"e","b64":false,"crit":["b64"]}',
    b'{"alg":"none"}',
    b'{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"AAAA"}}',
    b'{"alg":["RS256"]}',
    b'{"alg":"PS256","kid":"r"}',
    b'{"alg":"HS256","alg":"RS256"}',
    b'{"alg":"ES512","kid":"e"}',
    b'{"alg":"HS256","typ":"\\u212aB+JWT"}',
    b"[]",
    b"\xff",
]


def _mutate(token: str, data: st.DataObject) -> str:
    how = data.draw(st.sampled_from(["flip", "truncate", "header", "insert", "drop-dot", "bytes"]))
    if how == "flip":
        at = data.draw(st.integers(0, len(token) - 1))
        return token[:at] + data.draw(st.sampled_from("A_-.=+/ \x00é")) + token[at + 1 :]
    if how == "truncate":
        return token[: data.draw(st.integers(0, len(token)))]
    if how == "header":
        from minijwt._base64url import b64encode

        header = b64encode(data.draw(st.sampled_from(HOSTILE_HEADERS)))
        return header + token[token.index(".") :]
    if how == "insert":
        at = data.draw(st.integers(0, len(token)))
        return token[:at] + data.draw(st.text(max_size=8)) + token[at:]
    if how == "drop-dot":
        return token.replace(".", "", 1)
    return data.draw(st.text(max_size=64))


@given(st.data())
def test_any_token_text_raises_only_token_errors(data: st.DataObject) -> None:
    """Whatever a token's author sends, a successfully built verifier answers with a token error (or claims)."""
    token = _mutate(data.draw(st.sampled_from(GOOD_TOKENS)), data)
    as_bytes = data.draw(st.booleans())
    for _, verifier in VERIFIERS:
        with contextlib.suppress(InvalidTokenError):
            verifier.decode(token.encode("utf-8", "surrogatepass") if as_bytes else token, now=1000)
