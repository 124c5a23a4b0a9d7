"""The floor: the least code that does a JWT's work with the standard library and `cryptography`.

Each function does what minijwt's encode/decode does for the benchmark's
tokens, and nothing more: to encode, the checks on claim names, time claims
and key strength, compact JSON, base64url and the primitive; to decode, split,
strict base64url, strict JSON (duplicate members rejected), the primitive, and
the same claim checks (``exp``, ``iat``, ``aud``, ``iss``, with types). It keeps what any careful minimal code would
keep between calls: precompiled patterns, the constant header segment, the
parsed header of a header segment already seen, and a key already loaded from
the same PEM text. Nothing is left that pure Python could skip, which makes it
the limit minijwt is measured against.
"""

from __future__ import annotations

import binascii
import hmac
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

_PAD = (b"", b"", b"==", b"=")
_STD = bytes.maketrans(b"-_", b"+/")
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64e(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    if "+" in text or "/" in text or "=" in text or len(text) % 4 == 1:
        raise ValueError("bad base64url")
    return binascii.a2b_base64(text.encode("ascii").translate(_STD) + _PAD[len(text) % 4], strict_mode=True)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


_JSON = json.JSONDecoder(object_pairs_hook=_unique)
_SCAN = _JSON.scan_once  # the C scanner, without the white-space passes of .decode()


def loads(text: str) -> Any:
    value, end = _SCAN(text, 0)
    if end != len(text):
        raise ValueError("trailing data")
    return value


_SHA256 = hashes.SHA256()
_PKCS1 = padding.PKCS1v15()
_PSS = padding.PSS(padding.MGF1(_SHA256), 32)
_ECDSA = ec.ECDSA(_SHA256)

Signer = Callable[[Any, bytes], bytes]
Verifier = Callable[[Any, bytes, bytes], None]


def _es_sign(key: Any, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _es_verify(key: Any, data: bytes, sig: bytes) -> None:
    if len(sig) != 64:
        raise ValueError("bad signature length")
    key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), data, _ECDSA)


def _hs_verify(key: Any, data: bytes, sig: bytes) -> None:
    if not hmac.compare_digest(hmac.digest(key, data, "sha256"), sig):
        raise ValueError("bad MAC")


SIGN: dict[str, Signer] = {
    "HS256": lambda key, data: hmac.digest(key, data, "sha256"),
    "RS256": lambda key, data: key.sign(data, _PKCS1, _SHA256),
    "PS256": lambda key, data: key.sign(data, _PSS, _SHA256),
    "ES256": _es_sign,
    "EdDSA": lambda key, data: key.sign(data),
}
VERIFY: dict[str, Verifier] = {
    "HS256": _hs_verify,
    "RS256": lambda key, data, sig: key.verify(sig, data, _PKCS1, _SHA256),
    "PS256": lambda key, data, sig: key.verify(sig, data, _PSS, _SHA256),
    "ES256": _es_verify,
    "EdDSA": lambda key, data, sig: key.verify(sig, data),
}

_loaded: dict[str, Any] = {}


def load_pem(pem: str, private: bool) -> Any:
    """A key from PEM text, loaded once per distinct text."""
    key = _loaded.get(pem)
    if key is None:
        data = pem.encode()
        key = serialization.load_pem_private_key(data, None) if private else serialization.load_pem_public_key(data)
        _loaded[pem] = key
    return key


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


# The JSON module's C encoder, built once (json.dumps builds one per call).
_C_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, _refuse, json.encoder.encode_basestring, None, ":", ",", False, False, False
)


def make_encoder(alg: str) -> Callable[[dict[str, Any], Any], str]:
    header = b64e(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    sign = SIGN[alg]

    def encode(claims: dict[str, Any], key: Any) -> str:
        # The same checks as minijwt's encode: claim names are strings,
        # datetimes in the time claims become NumericDates, the key is strong
        # enough for the algorithm (RFC 7518 §3.2; RSA at least 2048 bits).
        for name in claims:
            if type(name) is not str:
                raise TypeError("claim names must be strings")
        get = claims.get
        if isinstance(get("exp"), datetime) or isinstance(get("iat"), datetime) or isinstance(get("nbf"), datetime):
            claims = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
        if (type(key) is bytes and len(key) < 32) or (alg[0] in "RP" and key.key_size < 2048):
            raise ValueError("key too weak")
        body = b64e("".join(_C_ENCODE(claims, 0)).encode())
        signing_input = f"{header}.{body}"
        return f"{signing_input}.{b64e(sign(key, signing_input.encode()))}"

    return encode


def make_decoder(alg: str, audience: str, issuer: str) -> Callable[[str, Any], dict[str, Any]]:
    verify = VERIFY[alg]
    headers: dict[str, dict[str, Any]] = {}

    def decode(token: str, key: Any) -> dict[str, Any]:
        h, p, s = token.split(".")
        header = headers.get(h)
        if header is None:
            header = loads(b64d(h).decode())
            if len(headers) < 256:
                headers[h] = header
        if header.get("alg") != alg or "crit" in header:
            raise ValueError("bad header")
        verify(key, f"{h}.{p}".encode(), b64d(s))
        claims: dict[str, Any] = loads(b64d(p).decode())
        now = time.time()
        exp = claims.get("exp")
        if exp is not None and (type(exp) not in (int, float) or now >= exp):
            raise ValueError("expired")
        iat = claims.get("iat")
        if iat is not None and (type(iat) not in (int, float) or iat > now):
            raise ValueError("bad iat")
        aud = claims.get("aud")
        if aud != audience and (type(aud) is not list or audience not in aud):
            raise ValueError("bad aud")
        if claims.get("iss") != issuer:
            raise ValueError("bad iss")
        return claims

    return decode
