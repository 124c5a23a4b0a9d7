"""Interoperability with independent implementations: PyJWT and jwcrypto."""

from __future__ import annotations

import json
from typing import Any, cast

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws
from support import signing_and_verifying_key

from minijwt import jws

PYJWT_ALGS = [
    *("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA"),
]
JWCRYPTO_ALGS = [*PYJWT_ALGS, "Ed25519"]
PAYLOAD = json.dumps({"sub": "interop", "n": 1, "name": "Zoë"}).encode()


def _pem(key: Any, private: bool) -> bytes:
    if private:
        return cast(
            bytes,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
    return cast(bytes, key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _jc_key(key: Any) -> Any:
    if isinstance(key, bytes):
        return jc_jwk.JWK.from_json(json.dumps({"kty": "oct", "k": jws_b64(key)}))
    return jc_jwk.JWK.from_pyca(key)


def jws_b64(data: bytes) -> str:
    from minijwt._base64url import b64encode

    return b64encode(data)


@pytest.mark.parametrize("alg", PYJWT_ALGS)
def test_pyjwt_tokens_verify_in_minijwt(alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    token = pyjwt.api_jws.encode(PAYLOAD, private, algorithm=alg)
    assert jws.verify(token, public, algorithms=[alg]) == PAYLOAD
    if not isinstance(public, bytes):  # and with PEM text, as PyJWT users pass it
        assert jws.verify(token, _pem(public, private=False).decode(), algorithms=[alg]) == PAYLOAD


@pytest.mark.parametrize("alg", PYJWT_ALGS)
def test_minijwt_tokens_verify_in_pyjwt(alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    key = private if isinstance(private, bytes) else _pem(private, private=True)
    token = jws.sign(PAYLOAD, key, alg, headers={"kid": "k1"})
    assert pyjwt.api_jws.decode(token, public, algorithms=[alg]) == PAYLOAD
    assert pyjwt.get_unverified_header(token) == {"alg": alg, "kid": "k1"}


@pytest.mark.parametrize("alg", JWCRYPTO_ALGS)
def test_jwcrypto_tokens_verify_in_minijwt(alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    signer = jc_jws.JWS(PAYLOAD)
    signer.add_signature(_jc_key(private), None, json.dumps({"alg": alg}))
    token = signer.serialize(compact=True)
    assert jws.verify(token, public, algorithms=[alg]) == PAYLOAD


@pytest.mark.parametrize("alg", JWCRYPTO_ALGS)
def test_minijwt_tokens_verify_in_jwcrypto(alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    token = jws.sign(PAYLOAD, private, alg)
    verifier = jc_jws.JWS()
    verifier.deserialize(token)
    verifier.allowed_algs = [alg]
    verifier.verify(_jc_key(public))
    assert verifier.payload == PAYLOAD
