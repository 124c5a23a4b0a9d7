"""The tests' one support package: keys made once per session, JWK conversion, base64url,
and (in its modules) the JWKS server with fault injection and the web servers.

The tests' clock is ``minijwt.testing.FrozenClock``.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from minijwt import ALGORITHMS
from minijwt._curves import CURVES
from minijwt._mldsa import PARAMETER_SETS, missing

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load_vectors(name: str) -> dict[str, Any]:
    """Load a JSON vector file from tests/vectors."""
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


def b64u_int(text: str) -> int:
    return int.from_bytes(b64u(text), "big")


def b64u_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2): the one encoder the tests share."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def broken_signature(token: str) -> str:
    """The compact token with the first character of its signature changed, so the bytes differ.

    The first character carries six whole bits of the signature, so the change is never
    swallowed by padding bits, and it always differs from the original (a fixed suffix such as
    ``"AA"`` equals the original whenever the signature happens to end that way).
    """
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def jwk_to_key(jwk: dict[str, Any]) -> Any:
    """Turn an RFC example JWK into a cryptography key (or the raw secret).

    A test-side converter, independent of the library, for the RFC vectors.
    """
    kty = jwk["kty"]
    if kty == "oct":
        return b64u(jwk["k"])
    if kty == "RSA":
        public = rsa.RSAPublicNumbers(b64u_int(jwk["e"]), b64u_int(jwk["n"]))
        if "d" not in jwk:
            return public.public_key()
        return rsa.RSAPrivateNumbers(
            p=b64u_int(jwk["p"]),
            q=b64u_int(jwk["q"]),
            d=b64u_int(jwk["d"]),
            dmp1=b64u_int(jwk["dp"]),
            dmq1=b64u_int(jwk["dq"]),
            iqmp=b64u_int(jwk["qi"]),
            public_numbers=public,
        ).private_key()
    if kty == "EC":
        curve = CURVES[jwk["crv"]].ec_curve
        assert curve is not None
        if "d" in jwk:
            return ec.derive_private_key(b64u_int(jwk["d"]), curve)
        return ec.EllipticCurvePublicNumbers(b64u_int(jwk["x"]), b64u_int(jwk["y"]), curve).public_key()
    if kty == "OKP" and jwk["crv"] == "Ed25519":
        if "d" in jwk:
            return ed25519.Ed25519PrivateKey.from_private_bytes(b64u(jwk["d"]))
        return ed25519.Ed25519PublicKey.from_public_bytes(b64u(jwk["x"]))
    raise ValueError(f"unsupported test JWK {kty}")


#: Why ML-DSA cannot run with the installed cryptography, or None when it can.
ML_DSA_MISSING = missing()
#: For a test that needs ML-DSA: skipped, with the reason printed, on a cryptography without it.
needs_ml_dsa = pytest.mark.skipif(ML_DSA_MISSING is not None, reason=f"{ML_DSA_MISSING}: the ML-DSA tests are skipped")


@functools.cache
def private_key_for(alg: str) -> PrivateKeyTypes:
    """A private key for ``alg``, made once per test session (a test needing ML-DSA skips where it is missing)."""
    row = ALGORITHMS[alg]
    if row.kty == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if row.kty == "AKP":
        if ML_DSA_MISSING is not None:
            pytest.skip(f"{ML_DSA_MISSING}: the ML-DSA tests are skipped")
        ml_dsa: PrivateKeyTypes = PARAMETER_SETS[alg].private_type().generate()
        return ml_dsa
    key: PrivateKeyTypes = CURVES[min(row.curves)].generate()  # "EdDSA": Ed25519
    return key


def secret_for(alg: str) -> bytes:
    """A fixed HMAC secret exactly as long as ``alg``'s hash output."""
    return bytes(range(ALGORITHMS[alg].min_key_size // 8))


def signing_and_verifying_key(alg: str) -> tuple[Any, Any]:
    """A (signing key, verifying key) pair for any algorithm."""
    if ALGORITHMS[alg].kty == "oct":
        secret = secret_for(alg)
        return secret, secret
    private = private_key_for(alg)
    return private, private.public_key()


def is_probable_prime(n: int, rounds: int = 24) -> bool:
    """Miller-Rabin with random bases (the fake issuer's test), for building test keys of a special form."""
    import secrets

    from minijwt.testing._keys import _is_probable_prime

    if n < 2:
        return False
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29):
        if n % small == 0:
            return n == small
    return _is_probable_prime(n, [secrets.randbelow(n - 3) + 2 for _ in range(rounds)])


def roca_form_modulus(bits: int = 2048) -> int:
    """A modulus whose primes have the ROCA structure p = k*M + (65537**a mod M).

    M is the product of the primes 3..167; this is the structure, not the
    vulnerable library's exact parameters, which is what the fingerprint sees.
    """
    import secrets

    primorial = 1
    for r in (
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
        79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ):  # fmt: skip
        primorial *= r

    half = bits // 2
    low = (1 << half) * 3 // 4 // primorial + 1  # p >= 0.75 * 2**half, so p * q has all its bits
    high = (1 << half) // primorial - 1

    def prime() -> int:
        while True:
            k = low + secrets.randbelow(high - low)
            candidate = k * primorial + pow(65537, secrets.randbelow(10**6) + 1, primorial)
            if candidate % 2 == 1 and is_probable_prime(candidate):
                return candidate

    return prime() * prime()


def rsa_key(bits: int = 2048, *, fresh: bool = False) -> rsa.RSAPrivateKey:
    """An RSA private key: the session's 2048-bit one, or a new one of ``bits`` (or when ``fresh``)."""
    if bits != 2048 or fresh:
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    key = private_key_for("RS256")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key
