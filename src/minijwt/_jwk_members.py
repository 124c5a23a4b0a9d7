"""JWK members <-> typed keys (RFC 7517, RFC 7518 §6, RFC 8037 §2, RFC 9964 §6).

Parsing validates everything that can be validated before a key is used:
member types, canonical base64url, sizes, points on their curve, private
parts consistent with public ones, and known-weak RSA moduli.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ._base64url import b64decode, b64encode
from ._curves import CURVES
from ._keys import AKPKey, ECKey, Key, OKPKey, RSAKey, SecretKey, check_rsa_public
from ._mldsa import PARAMETER_SETS, SEED_SIZE, require
from .errors import DecodeError, InvalidKeyError

__all__ = ["KEY_MEMBERS", "PRIVATE_MEMBERS", "RSA_CRT_MEMBERS", "key_from_members", "key_to_members", "thumbprint"]

# The member names, each written once (RFC 7518 §6, RFC 8037 §2).
#: RSA's CRT members, which come all together or not at all (RFC 7518 §6.3.2).
RSA_CRT_MEMBERS = ("p", "q", "dp", "dq", "qi")
#: Members that hold private key material, in the RFCs' order: never in a
#: published set or a message.
PRIVATE_MEMBERS = ("d", *RSA_CRT_MEMBERS, "oth", "k", "priv")
#: Every member that is key material, public or private (an AKP key's ``alg`` is also its parameter set).
KEY_MEMBERS = frozenset({"kty", "crv", "x", "y", "n", "e", "pub", *PRIVATE_MEMBERS})


def _bytes(jwk: Mapping[str, Any], name: str, *, size: int | None = None) -> bytes:
    value = jwk.get(name)
    if value is None:
        raise InvalidKeyError(f"JWK member '{name}' is missing")
    if not isinstance(value, str):
        raise InvalidKeyError(f"JWK member '{name}' must be a string")
    if size is not None and len(value) != _encoded_length(size):
        # A member of another length (a megabyte, say) is refused before it is decoded.
        raise InvalidKeyError(f"JWK member '{name}' must be {size} bytes long")
    try:
        raw = b64decode(value, f"JWK member '{name}'")
    except DecodeError as exc:
        raise InvalidKeyError(exc.message) from None
    if size is not None and len(raw) != size:
        # RFC 7518 §6.2.1.2 / §6.2.2.1 and RFC 8037 §2: full-length, fixed-size values.
        raise InvalidKeyError(f"JWK member '{name}' must be {size} bytes long, not {len(raw)}")
    return raw


def _encoded_length(size: int) -> int:
    """The length of unpadded base64url (RFC 7515 §2) of ``size`` bytes."""
    return (size * 4 + 2) // 3


def _uint(jwk: Mapping[str, Any], name: str) -> int:
    raw = _bytes(jwk, name)
    if not raw:
        raise InvalidKeyError(f"JWK member '{name}' must not be empty")
    return int.from_bytes(raw, "big")


def _uint_bytes(value: int, size: int = 0) -> str:
    """Base64urlUInt (RFC 7518 §2): big-endian, minimal unless a size is given."""
    return b64encode(value.to_bytes(size or max(1, (value.bit_length() + 7) // 8), "big"))


def key_from_members(jwk: Mapping[str, Any]) -> Key:
    """Build and validate a typed key from a JWK's members (``JWK.from_dict`` lists what is refused)."""
    kty = jwk.get("kty")
    if not isinstance(kty, str):
        raise InvalidKeyError("JWK member 'kty' is missing or not a string")
    if kty == "RSA":
        return _rsa(jwk)
    if kty == "EC":
        return _ec(jwk)
    if kty == "OKP":
        return _okp(jwk)
    if kty == "AKP":
        return _akp(jwk)
    if kty == "oct":
        secret = _bytes(jwk, "k")
        if not secret:
            raise InvalidKeyError("JWK member 'k' must not be empty")
        return SecretKey(secret)
    raise InvalidKeyError(f"JWK key type {kty[:16]!r} is not supported")


def _rsa(jwk: Mapping[str, Any]) -> RSAKey:
    if "oth" in jwk:
        raise InvalidKeyError("multi-prime RSA keys ('oth') are not supported")
    # The public rules first (size, parity, exponent, ROCA), before any
    # arithmetic on the private members.
    n = _uint(jwk, "n")
    e = _uint(jwk, "e")
    check_rsa_public(n, e)
    public_numbers = rsa.RSAPublicNumbers(e, n)
    present = [name for name in RSA_CRT_MEMBERS if name in jwk]
    if "d" not in jwk:
        if present:
            raise InvalidKeyError(f"RSA JWK has private member '{present[0]}' but no 'd'")
        return RSAKey(public=public_numbers.public_key())
    # RFC 8017 §3.2: d, the primes and the CRT values are all below n. A longer
    # one is refused by its length alone, before any arithmetic: recovering
    # the primes from a huge d costs time linear in its length.
    limit = (n.bit_length() + 7) // 8
    for name in ("d", *present):
        value = jwk.get(name)
        if isinstance(value, str) and len(value) > _encoded_length(limit):
            raise InvalidKeyError(f"RSA JWK member '{name}' is longer than the modulus")
    d = _uint(jwk, "d")
    try:
        if not present:
            # RFC 7518 §6.3.2: the CRT members may be omitted; recover them.
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
            dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
        elif len(present) == len(RSA_CRT_MEMBERS):
            p, q, dp, dq, qi = (_uint(jwk, name) for name in RSA_CRT_MEMBERS)
        else:
            missing = next(name for name in RSA_CRT_MEMBERS if name not in jwk)
            raise InvalidKeyError(f"RSA JWK has some CRT members but not '{missing}'")
        private = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public_numbers).private_key()
    except ValueError:
        raise InvalidKeyError("RSA private key 'd' (or its CRT members) does not match the public key") from None
    return RSAKey(public=private.public_key(), private=private)


def _ec(jwk: Mapping[str, Any]) -> ECKey:
    crv = jwk.get("crv")
    if not isinstance(crv, str):
        raise InvalidKeyError("EC JWK member 'crv' is missing or not a string")
    row = CURVES.get(crv)
    if row is None or row.ec_curve is None:
        raise InvalidKeyError(f"EC curve {crv[:16]!r} is not supported")
    curve, size = row.ec_curve, row.size
    x = int.from_bytes(_bytes(jwk, "x", size=size), "big")
    y = int.from_bytes(_bytes(jwk, "y", size=size), "big")
    try:
        public = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    except ValueError:
        raise InvalidKeyError(f"EC point is not on curve {crv}") from None
    if "d" not in jwk:
        return ECKey(public=public)
    d = int.from_bytes(_bytes(jwk, "d", size=size), "big")
    try:
        private = ec.derive_private_key(d, curve)
    except ValueError:
        raise InvalidKeyError(f"EC private key 'd' is out of range for {crv}") from None
    if private.public_key().public_numbers() != public.public_numbers():
        raise InvalidKeyError("EC private key 'd' does not match the public point")
    return ECKey(public=private.public_key(), private=private)


def _okp(jwk: Mapping[str, Any]) -> OKPKey:
    crv = jwk.get("crv")
    if not isinstance(crv, str):
        raise InvalidKeyError("OKP JWK member 'crv' is missing or not a string")
    row = CURVES.get(crv)
    if row is None or row.kty != "OKP":
        raise InvalidKeyError(f"OKP curve {crv[:16]!r} is not supported for signatures")
    size = row.size
    x = _bytes(jwk, "x", size=size)
    try:
        public = row.public_type.from_public_bytes(x)
    except ValueError:
        raise InvalidKeyError(f"OKP public key 'x' is not a valid {crv} key") from None
    if "d" not in jwk:
        return OKPKey(public=public)
    private = row.private_type.from_private_bytes(_bytes(jwk, "d", size=size))
    if private.public_key().public_bytes_raw() != x:
        raise InvalidKeyError("OKP private key 'd' does not match the public key 'x'")
    return OKPKey(public=private.public_key(), private=private)


def _akp(jwk: Mapping[str, Any]) -> AKPKey:
    # RFC 9964 §6: 'alg' names the parameter set and is required, in a private JWK too.
    alg = jwk.get("alg")
    if not isinstance(alg, str):
        raise InvalidKeyError("AKP JWK member 'alg' is missing or not a string")
    row = PARAMETER_SETS.get(alg)
    if row is None:
        raise InvalidKeyError(f"AKP algorithm {alg[:16]!r} is not supported; use ML-DSA-44, ML-DSA-65 or ML-DSA-87")
    pub = _bytes(jwk, "pub", size=row.public_size)
    seed = _bytes(jwk, "priv", size=SEED_SIZE) if "priv" in jwk else None
    require()  # the sizes are checked on every release; the key itself needs ML-DSA
    try:
        public = row.public_type().from_public_bytes(pub)
    except ValueError:
        raise InvalidKeyError(f"AKP public key 'pub' is not a valid {alg} key") from None
    if seed is None:
        return AKPKey(public=public)
    private = row.private_type().from_seed_bytes(seed)
    if private.public_key().public_bytes_raw() != pub:
        # FIPS 204 §6.1: the seed determines the key pair; one that expands to another 'pub' is not this key.
        raise InvalidKeyError("AKP private key 'priv' does not match the public key 'pub'")
    return AKPKey(public=private.public_key(), private=private)


def key_to_members(key: Key, *, private: bool) -> dict[str, str]:
    """The key-material members of a typed key, public ones first."""
    if isinstance(key, SecretKey):
        return {"kty": "oct", "k": b64encode(key.secret)}
    if isinstance(key, RSAKey):
        numbers = key.public.public_numbers()
        out = {"kty": "RSA", "n": _uint_bytes(numbers.n), "e": _uint_bytes(numbers.e)}
        if private and key.private is not None:
            secret = key.private.private_numbers()
            values = (secret.d, secret.p, secret.q, secret.dmp1, secret.dmq1, secret.iqmp)
            out.update(zip(("d", *RSA_CRT_MEMBERS), map(_uint_bytes, values), strict=True))
        return out
    if isinstance(key, ECKey):
        size = CURVES[key.crv].size
        point = key.public.public_numbers()
        out = {"kty": "EC", "crv": key.crv, "x": _uint_bytes(point.x, size), "y": _uint_bytes(point.y, size)}
        if private and key.private is not None:
            out["d"] = _uint_bytes(key.private.private_numbers().private_value, size)
        return out
    if isinstance(key, AKPKey):
        out = {"kty": "AKP", "alg": key.alg, "pub": b64encode(key.public.public_bytes_raw())}
        if private and key.private is not None:
            out["priv"] = b64encode(key.private.private_bytes_raw())  # the 32-byte seed (RFC 9964 §6)
        return out
    out = {"kty": "OKP", "crv": key.crv, "x": b64encode(key.public.public_bytes_raw())}
    if private and key.private is not None:
        out["d"] = b64encode(key.private.private_bytes_raw())
    return out


# RFC 7638 §3.2: the required members of each key type, in lexicographic order (§3.3).
# RFC 9964 §6: an AKP key's are alg, kty and pub.
_REQUIRED = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
    "AKP": ("alg", "kty", "pub"),
}


def thumbprint(key: Key, hash_name: str = "sha256") -> str:
    """The RFC 7638 thumbprint of a key, base64url: the hash (a checked ``hashlib`` name) of its canonical JSON."""
    members = key_to_members(key, private=True)
    canonical = json.dumps({name: members[name] for name in _REQUIRED[key.kty]}, separators=(",", ":"))
    return b64encode(hashlib.new(hash_name, canonical.encode("ascii")).digest())
