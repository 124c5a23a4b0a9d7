"""The floor: the least code that does a JWT's work with the standard library and `cryptography`.

Each function does what minijwt's encode/decode does for the benchmark's
tokens, and nothing more. To encode: the checks on claim names, time claims
and key strength, compact JSON, base64url and the primitive. To decode (the
"limit decoder"), every check minijwt makes, hand-inlined into one function:
the token's type and size, three segments, canonical base64url (spare bits
included) for each, a strict header (JSON object, no duplicate members, no
NaN, no lone surrogate, ``alg`` in the allowlist, ``crit`` and ``b64``
rules), the primitive, a strict claim set, and the claim checks (``exp``,
``nbf``, ``iat``, ``aud``, ``iss``, ``sub``, ``jti``, with their types).

It keeps what any careful minimal code would keep between calls: precompiled
patterns, the constant header segment, the parsed header of a header segment
already seen, a key already loaded from the same PEM text, and an HMAC key's
prepared inner and outer hash states (RFC 2104; what ``hmac.HMAC`` keeps
inside, copied per token instead of looking the algorithm up again as
``hmac.digest`` does). Nothing is left that pure Python could skip, which
makes it the limit minijwt is measured against.
"""

from __future__ import annotations

import binascii
import hashlib
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
# "+", "/" and "=" become "*", which the strict decoder refuses.
_STD = bytes.maketrans(b"-_+/=", b"+/***")
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64e(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


_VALUE = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
_SPARE = (0, 0, 0x0F, 0x03)


def b64d(text: str) -> bytes:
    rem = len(text) % 4
    if rem == 1 or (rem and _VALUE.get(text[-1], 0) & _SPARE[rem]):
        raise ValueError("bad base64url")
    return binascii.a2b_base64(text.encode("ascii").translate(_STD) + _PAD[rem], strict_mode=True)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(object_pairs_hook=_unique, parse_float=_finite, parse_constant=_no_constant)
_SCAN = _JSON.scan_once  # the C scanner, without the white-space passes of .decode()


def loads(raw: bytes) -> Any:
    text = raw.decode("utf-8")
    value, end = _SCAN(text, 0)
    if end != len(text):
        raise ValueError("trailing data")
    # I-JSON (RFC 7493 §2.1): no lone surrogate, which only an escape can spell.
    if b"\\u" in raw and _has_surrogate(value):
        raise ValueError("lone surrogate")
    return value


def _has_surrogate(value: Any) -> bool:
    if type(value) is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if type(value) is dict:
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if type(value) is list:
        return any(_has_surrogate(v) for v in value)
    return False


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


_PREPARED: dict[bytes, tuple[Any, Any]] = {}
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def _hs_prepared(key: bytes) -> tuple[Any, Any]:
    states = _PREPARED.get(key)
    if states is None:
        padded = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        states = _PREPARED[key] = (hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD)))
    return states


def _hs_verify(key: Any, data: bytes, sig: bytes) -> None:
    inner_state, outer_state = _hs_prepared(key)
    inner = inner_state.copy()
    inner.update(data)
    outer = outer_state.copy()
    outer.update(inner.digest())
    if not hmac.compare_digest(outer.digest(), sig):
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


#: The longest token accepted, as minijwt's default.
MAX_TOKEN_SIZE = 256 * 1024
_REGISTERED = frozenset({"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"})


def _header(segment: str, alg: str) -> dict[str, Any]:
    header = loads(b64d(segment))
    if type(header) is not dict or header.get("alg") != alg:
        raise ValueError("bad header")
    if "crit" in header:  # the benchmark's tokens have none; the rules as minijwt's
        crit = header["crit"]
        if type(crit) is not list or not crit or any(n in _REGISTERED or n not in header or n != "b64" for n in crit):
            raise ValueError("bad crit")
    if "b64" in header and (header["b64"] is not True or "b64" not in header.get("crit", ())):
        raise ValueError("bad b64")
    return header


def make_decoder(alg: str, audience: str, issuer: str) -> Callable[[str, Any], dict[str, Any]]:
    """The limit decoder: every check of ``minijwt.decode``, inlined."""
    verify = VERIFY[alg]
    headers: dict[str, dict[str, Any]] = {}

    def decode(token: str, key: Any) -> dict[str, Any]:
        if type(token) is not str or len(token) > MAX_TOKEN_SIZE:
            raise ValueError("bad token")
        h, p, s = token.split(".")  # ValueError for another shape
        header = headers.get(h)
        if header is None:
            header = _header(h, alg)
            if len(headers) < 256 and len(h) <= 1024:
                headers[h] = header
        signature = b64d(s)
        payload = b64d(p)
        verify(key, token.rpartition(".")[0].encode("ascii"), signature)
        claims = loads(payload)
        if type(claims) is not dict:
            raise ValueError("claims are not an object")
        now = time.time()
        exp = claims.get("exp")
        if exp is not None and (type(exp) not in (int, float) or now >= exp):
            raise ValueError("expired")
        nbf = claims.get("nbf")
        if nbf is not None and (type(nbf) not in (int, float) or now < nbf):
            raise ValueError("not yet valid")
        iat = claims.get("iat")
        if iat is not None and (type(iat) not in (int, float) or iat > now):
            raise ValueError("bad iat")
        aud = claims.get("aud")
        if aud != audience and (type(aud) is not list or audience not in aud):
            raise ValueError("bad aud")
        if claims.get("iss") != issuer:
            raise ValueError("bad iss")
        sub = claims.get("sub")
        if sub is not None and type(sub) is not str:
            raise ValueError("bad sub")
        jti = claims.get("jti")
        if jti is not None and type(jti) is not str:
            raise ValueError("bad jti")
        return claims

    return decode
