"""minijwt: a small, strict, typed JWS/JWT library on top of ``cryptography``.

The public API is re-exported here: :func:`encode`, :func:`decode` and
:class:`JWTVerifier` for JWTs, :mod:`minijwt.jws` for raw JWS, the key types,
and the error classes.
"""

from __future__ import annotations

from . import jwk, jws, jwt
from ._algorithms import ALGORITHMS, Algorithm
from ._cache import CacheInfo, cache_info
from ._cache import clear as clear_caches
from ._keyload import load_key
from ._keys import ECKey, Key, OKPKey, RSAKey, SecretKey
from ._resolve import AsyncKeySource, KeyInput, KeySource
from .errors import (
    ClaimError,
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
from .jwt import JWTVerifier, VerifiedJWT, adecode, decode, decode_complete, encode

__version__ = "0.1.0"

#: The names of every supported signature algorithm.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(ALGORITHMS)

__all__ = [
    "ALGORITHMS",
    "JWK",
    "SUPPORTED_ALGORITHMS",
    "Algorithm",
    "AsyncKeySource",
    "CacheInfo",
    "ClaimError",
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
    "KeySource",
    "MiniJWTError",
    "MissingRequiredClaimError",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "SkippedKey",
    "VerifiedJWT",
    "__version__",
    "adecode",
    "cache_info",
    "clear_caches",
    "decode",
    "decode_complete",
    "encode",
    "get_unverified_header",
    "jwk",
    "jws",
    "jwt",
    "load_key",
]
