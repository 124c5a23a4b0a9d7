"""minijwt: a small, strict, typed JWS/JWT library on top of ``cryptography``.

The public API is re-exported here; see :mod:`minijwt.jws` for raw JWS.
"""

from __future__ import annotations

from . import jws
from ._algorithms import ALGORITHMS, Algorithm
from ._keys import ECKey, Key, KeyInput, OKPKey, RSAKey, SecretKey, load_key
from .errors import (
    DecodeError,
    EncodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    JWKSFetchError,
    KeyNotFoundError,
    MiniJWTError,
    MissingRequiredClaimError,
)
from .jws import get_unverified_header

__version__ = "0.1.0"

#: The names of every supported signature algorithm.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(ALGORITHMS)

__all__ = [
    "ALGORITHMS",
    "SUPPORTED_ALGORITHMS",
    "Algorithm",
    "DecodeError",
    "ECKey",
    "EncodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "JWKSFetchError",
    "Key",
    "KeyInput",
    "KeyNotFoundError",
    "MiniJWTError",
    "MissingRequiredClaimError",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "__version__",
    "get_unverified_header",
    "jws",
    "load_key",
]
