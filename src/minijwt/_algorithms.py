"""The JWA signature algorithms, as a data table (RFC 7518 §3, RFC 8037, RFC 9964).

Each algorithm is one frozen :class:`Algorithm` row: its name, the key type
and curve it takes, its hash, its minimum key size, and its sign and verify
functions. Binding a key to an algorithm is a lookup in this table, which is
the structural defence against algorithm confusion (RFC 8725 §2.1, §3.1):
an ``HS256`` row only ever meets a :class:`~minijwt._keys.SecretKey`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ._cache import memoize
from ._curves import CURVES
from ._keys import MIN_RSA_BITS, AKPKey, ECKey, Key, OKPKey, RSAKey, SecretKey
from ._mldsa import PARAMETER_SETS, missing
from .errors import EncodeError, InvalidAlgorithmError, InvalidKeyError, InvalidOptionError

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "allowlist",
    "check_key",
    "get_algorithm",
    "misfit",
    "named_algorithm",
    "signing_algorithm",
]

_Signer = Callable[[Any, bytes], bytes]
_Verifier = Callable[[Any, bytes, bytes], bool]


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One JWS signature algorithm.

    Attributes:
        name: The ``alg`` value, e.g. ``"RS256"``.
        key_type: The key class the algorithm takes.
        kty: That key class's JWK ``kty``.
        curves: The curves an EC or OKP key must be on; empty otherwise.
        hash_name: The hash function, e.g. ``"SHA-256"``, or ``""`` for EdDSA.
        min_key_size: The minimum key size in bits: the hash output size for
            HMAC (RFC 7518 §3.2), 2048 for RSA, the curve size otherwise.
        signature_size: The exact signature length in bytes, or 0 when it
            depends on the key (RSA).
        sign: ``sign(typed_key, signing_input) -> signature``.
        verify: ``verify(typed_key, signing_input, signature) -> bool``.
        available: False for an algorithm this process cannot run: ML-DSA
            without a ``cryptography`` that has it (48 or newer). Such a row
            stays in the table; naming it is refused with what is needed.
    """

    name: str
    key_type: type[Key]
    kty: str
    curves: frozenset[str]
    hash_name: str
    min_key_size: int
    signature_size: int
    sign: _Signer
    verify: _Verifier

    @property
    def available(self) -> bool:
        """Whether this process can sign and verify with the algorithm."""
        return self.kty != "AKP" or missing() is None


# --- HMAC (RFC 7518 §3.2) ---------------------------------------------------


# RFC 2104 §2: the key, padded to the hash's block size, XORed with ipad
# (0x36 repeated) for the inner hash and with opad (0x5c) for the outer one.
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


def _hmac(new_hash: Callable[..., Any], digest: str) -> tuple[_Signer, _Verifier]:
    block = new_hash().block_size

    def prepare(key: SecretKey) -> tuple[Any, Any]:
        # The inner and outer hashes absorb the padded key once per key; each
        # message then costs two copies of a prepared state (what hmac.HMAC
        # does inside), not a new HMAC with its algorithm lookup.
        secret = key.secret
        if len(secret) > block:
            secret = new_hash(secret).digest()  # RFC 2104 §2: a longer key is hashed first
        secret = secret.ljust(block, b"\0")
        states = (new_hash(secret.translate(_IPAD)), new_hash(secret.translate(_OPAD)))
        key.prepared[digest] = states
        return states

    def mac(key: SecretKey, data: bytes) -> bytes:
        states = key.prepared.get(digest) or prepare(key)
        inner = states[0].copy()
        inner.update(data)
        outer = states[1].copy()
        outer.update(inner.digest())
        return outer.digest()  # type: ignore[no-any-return]

    def verify(key: SecretKey, data: bytes, signature: bytes) -> bool:
        # mac() written out: this runs for every HMAC token.
        states = key.prepared.get(digest) or prepare(key)
        inner = states[0].copy()
        inner.update(data)
        outer = states[1].copy()
        outer.update(inner.digest())
        # Constant-time comparison: a timing oracle on the MAC would let an
        # attacker forge one byte at a time (RFC 7518 §3.2).
        return hmac.compare_digest(outer.digest(), signature)

    return mac, verify


# --- RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 7518 §3.3, §3.5) -----------------


def _rsa(pad: padding.AsymmetricPadding, hash_alg: hashes.HashAlgorithm) -> tuple[_Signer, _Verifier]:
    def sign(key: RSAKey, data: bytes) -> bytes:
        assert key.private is not None  # check_key(..., signing=True) guaranteed it
        return key.private.sign(data, pad, hash_alg)

    def verify(key: RSAKey, data: bytes, signature: bytes) -> bool:
        try:
            key.public.verify(signature, data, pad, hash_alg)
        except InvalidSignature:
            return False
        return True

    return sign, verify


def _pss(hash_alg: hashes.HashAlgorithm) -> padding.PSS:
    # RFC 7518 §3.5: the salt is as long as the hash output, and MGF1 uses the
    # same hash. Verifying with the exact length refuses any other salt size.
    return padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)


# --- ECDSA (RFC 7518 §3.4) -----------------------------------------------------


def _ecdsa(hash_alg: hashes.HashAlgorithm, part_size: int) -> tuple[_Signer, _Verifier]:
    # ec.ECDSA() loads cryptography's OpenSSL backend module: made on first
    # use, so that importing minijwt (for HS256, say) does not pay for it.
    schemes: list[ec.ECDSA] = []

    def scheme() -> ec.ECDSA:
        if not schemes:
            schemes.append(ec.ECDSA(hash_alg))
        return schemes[0]

    def sign(key: ECKey, data: bytes) -> bytes:
        assert key.private is not None  # check_key(..., signing=True) guaranteed it
        r, s = decode_dss_signature(key.private.sign(data, scheme()))
        # JWS carries R || S as fixed-length big-endian integers, not DER.
        return r.to_bytes(part_size, "big") + s.to_bytes(part_size, "big")

    def verify(key: ECKey, data: bytes, signature: bytes) -> bool:
        # The length is checked before any conversion: a short or long
        # signature is simply invalid (RFC 7518 §3.4).
        if len(signature) != 2 * part_size:
            return False
        r = int.from_bytes(signature[:part_size], "big")
        s = int.from_bytes(signature[part_size:], "big")
        # r = 0 or s = 0 is never a valid ECDSA signature ("psychic
        # signatures", CVE-2022-21449); refuse it here whatever the backend does.
        if r == 0 or s == 0:
            return False
        try:
            key.public.verify(encode_dss_signature(r, s), data, scheme())
        except InvalidSignature:
            return False
        return True

    return sign, verify


# --- EdDSA (RFC 8037 §3.1) -----------------------------------------------------


def _eddsa_sign(key: OKPKey, data: bytes) -> bytes:
    assert key.private is not None  # check_key(..., signing=True) guaranteed it
    return key.private.sign(data)


def _eddsa_verify(key: OKPKey, data: bytes, signature: bytes) -> bool:
    try:
        key.public.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# --- ML-DSA (RFC 9964 §3) -------------------------------------------------------


def _mldsa_sign(key: AKPKey, data: bytes) -> bytes:
    assert key.private is not None  # check_key(..., signing=True) guaranteed it
    # RFC 9964 §3: pure ML-DSA with the empty context string (FIPS 204 §5.2).
    return key.private.sign(data)


def _mldsa_verifier(signature_size: int) -> _Verifier:
    def verify(key: AKPKey, data: bytes, signature: bytes) -> bool:
        # A signature of another length is simply invalid: refused before the backend sees it.
        if len(signature) != signature_size:
            return False
        try:
            key.public.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    return verify


def _build() -> dict[str, Algorithm]:
    table: list[Algorithm] = []
    add = table.append
    for bits, new_hash, digest in (
        (256, hashlib.sha256, "sha256"),
        (384, hashlib.sha384, "sha384"),
        (512, hashlib.sha512, "sha512"),
    ):
        sign, verify = _hmac(new_hash, digest)
        add(Algorithm(f"HS{bits}", SecretKey, "oct", frozenset(), f"SHA-{bits}", bits, bits // 8, sign, verify))
    rsa_hashes = ((256, hashes.SHA256()), (384, hashes.SHA384()), (512, hashes.SHA512()))
    for prefix in ("RS", "PS"):
        for bits, hash_alg in rsa_hashes:
            pad = padding.PKCS1v15() if prefix == "RS" else _pss(hash_alg)
            sign, verify = _rsa(pad, hash_alg)
            add(Algorithm(f"{prefix}{bits}", RSAKey, "RSA", frozenset(), f"SHA-{bits}", MIN_RSA_BITS, 0, sign, verify))
    # RFC 7518 §3.4: each ES algorithm is bound to one curve (ES512 to P-521,
    # not 512), whose size and strength come from the curve table.
    for bits, crv, hash_alg in (
        (256, "P-256", hashes.SHA256()),
        (384, "P-384", hashes.SHA384()),
        (512, "P-521", hashes.SHA512()),
    ):
        curve = CURVES[crv]
        sign, verify = _ecdsa(hash_alg, curve.size)
        size = curve.signature_size
        add(Algorithm(f"ES{bits}", ECKey, "EC", frozenset({crv}), f"SHA-{bits}", curve.bits, size, sign, verify))
    # "EdDSA" (RFC 8037) takes either Edwards curve (its sizes vary: 0 means
    # "the key's"); "Ed25519" and "Ed448" are the fully-specified names of
    # RFC 9864, each bound to one curve.
    edwards = [row for row in CURVES.values() if row.kty == "OKP"]
    rows = [("EdDSA", frozenset(row.crv for row in edwards), min(row.bits for row in edwards), 0)]
    rows += [(row.crv, frozenset({row.crv}), row.bits, row.signature_size) for row in edwards]
    for name, curves, bits, size in rows:
        add(Algorithm(name, OKPKey, "OKP", curves, "", bits, size, _eddsa_sign, _eddsa_verify))
    # RFC 9964 §3: one algorithm per parameter set, each bound to keys of its set (AKPKey.alg).
    for row in PARAMETER_SETS.values():
        verify = _mldsa_verifier(row.signature_size)
        add(Algorithm(row.alg, AKPKey, "AKP", frozenset(), "", row.bits, row.signature_size, _mldsa_sign, verify))
    return {alg.name: alg for alg in table}


#: Every supported algorithm, by ``alg`` name (read-only).
ALGORITHMS: Mapping[str, Algorithm] = MappingProxyType(_build())


def get_algorithm(name: object) -> Algorithm:
    """The table row of an ``alg`` name.

    Raises:
        InvalidAlgorithmError: ``name`` is not a string, is ``"none"``,
            names no supported algorithm, or names one this process cannot
            run (ML-DSA without a ``cryptography`` that has it).
    """
    alg = ALGORITHMS.get(name) if type(name) is str else None
    if alg is not None:
        if alg.kty == "AKP" and missing() is not None:
            raise InvalidAlgorithmError(f"{alg.name} cannot be used here: {missing()}")
        return alg
    if type(name) is not str:
        raise InvalidAlgorithmError("an algorithm name must be a string")
    if name.lower() == "none":
        # RFC 8725 §3.2: unsecured JWS is never acceptable here.
        raise InvalidAlgorithmError("the 'none' algorithm (unsecured JWS) is never accepted")
    raise InvalidAlgorithmError(f"unsupported algorithm {name[:20]!r}")


def named_algorithm(name: object) -> Algorithm:
    """:func:`get_algorithm` for a name the caller gave (not a token): a bad one is an ``InvalidOptionError``."""
    try:
        return get_algorithm(name)
    except InvalidAlgorithmError as exc:
        raise InvalidOptionError(exc.message) from None


def signing_algorithm(name: object) -> Algorithm:
    """:func:`get_algorithm` for the algorithm to sign with: a bad one is an ``EncodeError``."""
    try:
        return get_algorithm(name)
    except InvalidAlgorithmError as exc:
        raise EncodeError(exc.message) from None


def misfit(alg: Algorithm, key: Key) -> str | None:
    """Why a typed key cannot serve an algorithm, or ``None`` when it can.

    The one definition of "this key fits this algorithm": the key's type, its
    curve, and its size against the table's minimum. Everything else that
    asks (verifier construction, key resolution, ``JWK.can_verify``) asks this.
    """
    if type(key) is not alg.key_type:
        return f"{alg.name} needs a key of type {alg.kty}, but the key is of type {key.kty}"
    if type(key) is AKPKey and key.alg != alg.name:
        # RFC 9964 §5: an AKP key belongs to the one parameter set its alg names.
        return f"{alg.name} needs an {alg.name} key, but the key is an {key.alg} key"
    if alg.curves and key.crv not in alg.curves:  # type: ignore[union-attr]
        expected = " or ".join(sorted(alg.curves))
        return f"{alg.name} needs a key on {expected}, but the key is on {key.crv}"  # type: ignore[union-attr]
    if key.size < alg.min_key_size:
        if type(key) is SecretKey:
            # RFC 7518 §3.2: a key of the same size as the hash output or larger.
            return (
                f"{alg.name} needs a secret of at least {alg.min_key_size // 8} bytes, "
                f"but this one has {len(key.secret)}"
            )
        return f"{alg.name} needs a key of at least {alg.min_key_size} bits, not {key.size}"
    return None


def check_key(alg: Algorithm, key: Key, *, signing: bool) -> None:
    """Check that a typed key may be used with an algorithm: to sign (a private key), or to verify.

    Raises:
        InvalidKeyError: The key does not fit the algorithm (see
            :func:`misfit`), or it is public and ``signing`` is true.
    """
    problem = misfit(alg, key)
    if problem is not None:
        raise InvalidKeyError(problem)
    if signing and type(key) is not SecretKey and key.private is None:  # type: ignore[union-attr]
        raise InvalidKeyError(f"signing with {alg.name} needs a private key, but a public key was given")


#: How many distinct ``algorithms`` options keep their checked allowlist.
ALLOWLIST_CACHE_SIZE = 64


def _check_allowlist(names: tuple[object, ...]) -> frozenset[str]:
    if not names:
        raise InvalidOptionError("algorithms must name at least one algorithm")
    for name in names:
        try:
            get_algorithm(name)  # raises for non-strings, 'none' and unknown names
        except InvalidAlgorithmError as exc:
            raise InvalidOptionError(f"algorithms: {exc.message}") from None
    return frozenset(names)  # type: ignore[arg-type]


# Memoised by a call rather than a decorator, like _header.parse_header: the
# mutation tests (tools/mutation.py) mutate no decorated function.
_allowlist_from_tuple = memoize("algorithms.allowlist", ALLOWLIST_CACHE_SIZE)(_check_allowlist)


def allowlist(algorithms: object) -> frozenset[str]:
    """Validate the caller's ``algorithms`` option (RFC 8725 §3.1).

    A single string means that one algorithm. Every name must be a supported
    algorithm; ``none`` is refused here, so it can never be allowed.

    Raises:
        InvalidOptionError: The option is missing, empty, not a list of
            strings, or names ``none`` or an unknown algorithm: the server's
            configuration is wrong, whatever token comes.
    """
    if type(algorithms) is frozenset:
        return _allowlist_from_tuple(tuple(sorted(algorithms, key=repr)))
    if isinstance(algorithms, str):
        return _allowlist_from_tuple((algorithms,))
    if algorithms is None:
        raise InvalidOptionError("algorithms is required: name the algorithms you accept, e.g. ['RS256']")
    if not isinstance(algorithms, Iterable) or isinstance(algorithms, (bytes, Mapping)):
        raise InvalidOptionError("algorithms must be a list of algorithm names")
    try:
        return _allowlist_from_tuple(tuple(algorithms))
    except TypeError:
        raise InvalidOptionError("algorithms must be a list of algorithm names (strings)") from None
