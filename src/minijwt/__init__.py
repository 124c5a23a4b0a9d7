"""minijwt: a small, strict, typed JWS/JWT library on top of ``cryptography``.

The public API is re-exported here: :func:`encode`, :func:`decode` and
:class:`JWTVerifier` for JWTs, :mod:`minijwt.jws` for raw JWS, the key types,
and the error classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import jws, jwt
from ._algorithms import ALGORITHMS, Algorithm
from ._cache import CacheInfo, cache_info
from ._cache import clear as clear_caches
from ._keyload import load_key
from ._keys import AKPKey, ECKey, Key, OKPKey, RSAKey, SecretKey
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
    InvalidDPoPProofError,
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
    UseDPoPNonceError,
)
from .jws import get_unverified_header
from .jwt import JWTVerifier, TokenVerifier, VerifiedJWT, adecode, decode, decode_complete, encode

if TYPE_CHECKING:  # for type checkers; at run time they load lazily (below)
    from . import jwk
    from .jwk import JWK, JWKSet, SkippedKey
    from .jwks_client import AsyncJWKSClient, JWKSClient, JWKSStatus
    from .multi_issuer import IssuerConfig, MultiIssuerVerifier

__version__ = "0.1.0"

# Loaded on first use, so that `import minijwt` costs only what an HS256
# service needs: JWK and JWK Sets (and their member parsing), and the remote key
# set clients (which import asyncio, ssl and http.client).
_LAZY = {
    "jwk": "jwk",
    "JWK": "jwk",
    "JWKSet": "jwk",
    "SkippedKey": "jwk",
    "JWKSClient": "jwks_client",
    "AsyncJWKSClient": "jwks_client",
    "JWKSStatus": "jwks_client",
    "IssuerConfig": "multi_issuer",
    "MultiIssuerVerifier": "multi_issuer",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'minijwt' has no attribute {name!r}")
    import importlib

    loaded = importlib.import_module(f"{__name__}.{module}")
    value = loaded if name == module else getattr(loaded, name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


#: The names of every supported signature algorithm, in the table's order.
#:
#: A plain tuple for code that wants only the names (PyJWT users know the
#: spelling), derived from :data:`ALGORITHMS`, the table itself (each name
#: with its :class:`Algorithm` row), so a new row appears in both.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(ALGORITHMS)

__all__ = [
    "ALGORITHMS",
    "JWK",
    "SUPPORTED_ALGORITHMS",
    "AKPKey",
    "Algorithm",
    "AsyncJWKSClient",
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
    "InvalidDPoPProofError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidSignatureError",
    "InvalidSubjectError",
    "InvalidTokenError",
    "InvalidTokenTypeError",
    "IssuerConfig",
    "JWKSClient",
    "JWKSFetchError",
    "JWKSStatus",
    "JWKSet",
    "JWTVerifier",
    "Key",
    "KeyInput",
    "KeyNotFoundError",
    "KeySource",
    "MiniJWTError",
    "MissingRequiredClaimError",
    "MultiIssuerVerifier",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "SkippedKey",
    "TokenVerifier",
    "UseDPoPNonceError",
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
