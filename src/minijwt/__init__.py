"""minijwt: a small, strict, typed JWS/JWT library on top of ``cryptography``.

The public API is re-exported here: :func:`encode`, :func:`decode` and
:class:`JWTVerifier` for JWTs, :mod:`minijwt.jws` for raw JWS, the key types,
and the error classes.
"""

from __future__ import annotations

from . import jwk, jws, jwt
from ._algorithms import ALGORITHMS, Algorithm
from ._keys import ECKey, Key, KeyInput, OKPKey, RSAKey, SecretKey, load_key
from .errors import (
    DecodeError,
    EncodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    InvalidTokenTypeError,
    JWKSFetchError,
    KeyNotFoundError,
    MiniJWTError,
    MissingRequiredClaimError,
)
from .jwk import JWK, JWKSet, SkippedKey
from .jws import get_unverified_header
from .jwt import JWTVerifier, decode, encode

__version__ = "0.1.0"

#: The names of every supported signature algorithm.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(ALGORITHMS)

__all__ = [
    "ALGORITHMS",
    "JWK",
    "SUPPORTED_ALGORITHMS",
    "Algorithm",
    "DecodeError",
    "ECKey",
    "EncodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidSignatureError",
    "InvalidSubjectError",
    "InvalidTokenError",
    "InvalidTokenTypeError",
    "JWKSFetchError",
    "JWKSet",
    "JWTVerifier",
    "Key",
    "KeyInput",
    "KeyNotFoundError",
    "MiniJWTError",
    "MissingRequiredClaimError",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "SkippedKey",
    "__version__",
    "decode",
    "encode",
    "get_unverified_header",
    "jwk",
    "jws",
    "jwt",
    "load_key",
]
