"""Typed, immutable keys, and every key-strength rule, applied at construction.

Whatever a caller hands in as a key becomes, once, one of the five typed keys
(classifying it is ``_keyload``'s job). The algorithm table binds each
algorithm to exactly one of these types, so "a public key used as an HMAC
secret" (algorithm confusion, RFC 8725 §2.1) cannot be expressed. The strength
rules live only in the constructors: the same weak key gets the same error
whichever way it came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from ._curves import CURVES, EC_BY_OPENSSL_NAME, curve_names, okp_curve_of
from ._keytext import refuse_key_text
from ._mldsa import PARAMETER_SETS, parameter_set_of
from .errors import InvalidKeyError

if TYPE_CHECKING:  # cryptography has ML-DSA from release 48; minijwt runs on older ones without it
    from cryptography.hazmat.primitives.asymmetric import mldsa

    MLDSAPublicKey: TypeAlias = mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
    MLDSAPrivateKey: TypeAlias = mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey

__all__ = [
    "MAX_RSA_BITS",
    "MIN_RSA_BITS",
    "AKPKey",
    "ECKey",
    "Key",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "has_roca_fingerprint",
]

#: RSA moduli shorter than this are refused (RFC 7518 §3.3, §3.5 say 2048).
MIN_RSA_BITS = 2048
#: RSA moduli longer than this are refused: OpenSSL's own limit for RSA
#: verification, and far beyond any key in use; a larger one only costs time.
MAX_RSA_BITS = 16384
# RSA public exponents outside [3, 2**256) are refused: 1 is no encryption at
# all, and FIPS 186-5 §A.1.1 bounds e below 2**256. Even values are not RSA.
_MAX_RSA_E_BITS = 256
_EC_NAMES = curve_names("EC")  # for messages: "P-256, P-384 or P-521"


@dataclass(frozen=True, slots=True, eq=False)
class SecretKey:
    """A symmetric secret for the HMAC algorithms (JWK ``kty`` ``oct``).

    Build it from the raw secret bytes.

    Attributes:
        secret: The secret bytes. Never shown by ``repr``.
        size: The secret's length in bits.

    Example:
        >>> from minijwt import SecretKey
        >>> SecretKey(b"0123456789abcdef0123456789abcdef").size
        256
    """

    kty: ClassVar[Literal["oct"]] = "oct"
    secret: bytes = field(repr=False)
    # The HMAC state prepared from this secret, per hash (RFC 2104: the
    # padded key hashed once), filled on first use by the algorithm table.
    prepared: dict[str, Any] = field(init=False, repr=False, compare=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        # bytes exactly: a bytearray could be changed after the key was made
        # (and cached), and the old value would go on verifying.
        if type(self.secret) is not bytes:
            raise InvalidKeyError(f"an HMAC secret must be bytes, not {type(self.secret).__name__}")
        if not self.secret:
            raise InvalidKeyError("an HMAC secret must not be empty")
        # Key text (PEM, DER, OpenSSH, JWK JSON, or base64 of one) is public:
        # as a secret it is the algorithm-confusion key (RFC 8725 §2.1).
        refuse_key_text(self.secret)
        object.__setattr__(self, "prepared", {})
        object.__setattr__(self, "size", len(self.secret) * 8)


@dataclass(frozen=True, slots=True, eq=False)
class RSAKey:
    """An RSA public key, or a private key with its public half.

    The constructor enforces the RSA rules: a modulus of ``MIN_RSA_BITS``
    (2048) to ``MAX_RSA_BITS`` (16384) bits, odd; a public exponent that is
    odd, at least 3 and below 2**256; no ROCA fingerprint (CVE-2017-15361);
    and, with a private key, halves that match.

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        size: The modulus length in bits.

    Raises:
        InvalidKeyError: The key breaks one of the rules above.
    """

    kty: ClassVar[Literal["RSA"]] = "RSA"
    public: rsa.RSAPublicKey
    private: rsa.RSAPrivateKey | None = field(default=None, repr=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public, rsa.RSAPublicKey):
            raise InvalidKeyError("RSAKey.public must be an RSA public key")
        if self.private is not None and not isinstance(self.private, rsa.RSAPrivateKey):
            raise InvalidKeyError("RSAKey.private must be an RSA private key")
        numbers = self.public.public_numbers()
        check_rsa_public(numbers.n, numbers.e)
        if self.private is not None and self.private.public_key().public_numbers() != numbers:
            raise InvalidKeyError("the RSA private key does not match the public key")
        object.__setattr__(self, "size", numbers.n.bit_length())


def check_rsa_public(n: int, e: int) -> None:
    """Apply the RSA public-key rules (:class:`RSAKey` lists them) to a modulus and exponent."""
    bits = n.bit_length()
    if bits < MIN_RSA_BITS:
        raise InvalidKeyError(f"RSA modulus has {bits} bits; at least {MIN_RSA_BITS} are required")
    if bits > MAX_RSA_BITS:
        raise InvalidKeyError(f"RSA modulus has {bits} bits; more than {MAX_RSA_BITS} are refused")
    if n % 2 == 0:
        raise InvalidKeyError("RSA modulus is even")
    # Below 2**256, e is below every modulus allowed (2**2047 and more).
    if e < 3 or e % 2 == 0 or e.bit_length() > _MAX_RSA_E_BITS:
        raise InvalidKeyError("RSA public exponent must be odd, at least 3 and below 2**256")
    if has_roca_fingerprint(n):
        raise InvalidKeyError("RSA modulus has the ROCA fingerprint (CVE-2017-15361): the key is weak, replace it")


@dataclass(frozen=True, slots=True, eq=False)
class ECKey:
    """An elliptic-curve key on P-256, P-384 or P-521.

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        crv: The JOSE curve name, ``"P-256"``, ``"P-384"`` or ``"P-521"``,
            taken from the key itself.

    Raises:
        InvalidKeyError: The curve is not one JOSE signs with, or the halves
            do not match.
    """

    kty: ClassVar[Literal["EC"]] = "EC"
    public: ec.EllipticCurvePublicKey
    private: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    crv: str = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public, ec.EllipticCurvePublicKey):
            raise InvalidKeyError("ECKey.public must be an EC public key")
        curve = EC_BY_OPENSSL_NAME.get(self.public.curve.name)
        if curve is None:
            raise InvalidKeyError(f"EC curve {self.public.curve.name} is not used by JOSE signing; use {_EC_NAMES}")
        if self.private is not None and (
            not isinstance(self.private, ec.EllipticCurvePrivateKey)
            or self.private.public_key().public_numbers() != self.public.public_numbers()
        ):
            raise InvalidKeyError("the EC private key does not match the public key")
        object.__setattr__(self, "crv", curve.crv)

    @property
    def size(self) -> int:
        """The curve's order size in bits."""
        return self.public.curve.key_size


@dataclass(frozen=True, slots=True, eq=False)
class OKPKey:
    """An Edwards-curve key, Ed25519 or Ed448 (RFC 8037).

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        crv: ``"Ed25519"`` or ``"Ed448"``, taken from the key itself.

    Raises:
        InvalidKeyError: The object is not an Edwards key, or the halves do
            not match.
    """

    kty: ClassVar[Literal["OKP"]] = "OKP"
    public: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    private: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey | None = field(default=None, repr=False)
    crv: str = field(init=False)

    def __post_init__(self) -> None:
        curve = okp_curve_of(self.public)
        if curve is None:
            raise InvalidKeyError("OKPKey.public must be an Ed25519 or Ed448 public key")
        if self.private is not None and (
            not isinstance(self.private, curve.private_type)
            or self.private.public_key().public_bytes_raw() != self.public.public_bytes_raw()
        ):
            raise InvalidKeyError("the Edwards private key does not match the public key")
        problem = edwards_public_key_problem(curve.crv, self.public.public_bytes_raw())
        if problem is not None:
            raise InvalidKeyError(f"the {curve.crv} public key {problem}")
        object.__setattr__(self, "crv", curve.crv)

    @property
    def size(self) -> int:
        """The curve size in bits (256 for Ed25519, 456 for Ed448)."""
        return CURVES[self.crv].bits


@dataclass(frozen=True, slots=True, eq=False)
class AKPKey:
    """An ML-DSA key (FIPS 204), JOSE's ``AKP`` key type (RFC 9964), pinned to one parameter set.

    An ``ML-DSA-44`` key only ever serves ``ML-DSA-44``: the parameter set is
    part of the key, as ``alg`` is part of its JWK. It needs a
    ``cryptography`` that has ML-DSA (48 or newer).

    Attributes:
        public: The ``cryptography`` ML-DSA public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        alg: ``"ML-DSA-44"``, ``"ML-DSA-65"`` or ``"ML-DSA-87"``, taken from
            the key itself.
        size: The public key's length in bits.

    Raises:
        InvalidKeyError: The object is not an ML-DSA public key, or the
            halves do not match or are of two parameter sets.

    Example:
        >>> from minijwt import JWK
        >>> JWK.generate("ML-DSA-65").key.alg  # doctest: +SKIP
        'ML-DSA-65'
    """

    kty: ClassVar[Literal["AKP"]] = "AKP"
    public: MLDSAPublicKey
    private: MLDSAPrivateKey | None = field(default=None, repr=False)
    alg: str = field(init=False)

    def __post_init__(self) -> None:
        found = parameter_set_of(self.public)
        if found is None or found[1]:
            raise InvalidKeyError("AKPKey.public must be an ML-DSA public key")
        row = found[0]
        if self.private is not None and (
            parameter_set_of(self.private) != (row, True)
            or self.private.public_key().public_bytes_raw() != self.public.public_bytes_raw()
        ):
            raise InvalidKeyError("the ML-DSA private key does not match the public key")
        object.__setattr__(self, "alg", row.alg)

    @property
    def size(self) -> int:
        """The public key's length in bits (10,496 for ML-DSA-44)."""
        return PARAMETER_SETS[self.alg].bits


#: A key after classification.
Key: TypeAlias = SecretKey | RSAKey | ECKey | OKPKey | AKPKey

#: The five typed key classes.
KEY_TYPES = (SecretKey, RSAKey, ECKey, OKPKey, AKPKey)


# --- Edwards public keys: canonical, and not of small order --------------------
#
# A public key A of small order makes [k]A take at most eight values, so one
# fixed signature verifies for many or all messages without any private key:
# a "proof of possession" of an embedded key (DPoP, ACME) proves nothing.
# OpenSSL accepts such keys (RFC 8032's verification does not refuse them), so
# minijwt refuses them when it makes the key, whatever the key came from.
# Each curve's torsion points are a fixed list (Chalkias, Garillot and
# Nikolaenko, "Taming the many EdDSAs", 2020, table of small-order points);
# a non-canonical encoding (y >= p, or "negative zero" x) is refused first,
# so the twins of those points are refused too (RFC 8032 §5.1.3, §5.2.3).

_P25519 = 2**255 - 19
_P448 = 2**448 - 2**224 - 1
_ED25519_SMALL_ORDER = frozenset(
    bytes.fromhex(point)
    for point in (
        "0100000000000000000000000000000000000000000000000000000000000000",  # order 1: (0, 1)
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2: (0, -1)
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4: (sqrt(-1), 0)
        "0000000000000000000000000000000000000000000000000000000000000080",  # order 4: (-sqrt(-1), 0)
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    )
)


def edwards_public_key_problem(crv: str, raw: bytes) -> str | None:
    """Why an Ed25519 or Ed448 public key, 32 or 57 bytes (RFC 8032 §5.1.2, §5.2.2), is refused, or None."""
    if crv == "Ed25519":
        p, y, negative = _P25519, int.from_bytes(raw, "little") & ((1 << 255) - 1), raw[31] >> 7
    else:
        if raw[56] & 0x7F:  # RFC 8032 §5.2.2: the last octet holds only x's sign
            return "is not canonically encoded"
        p, y, negative = _P448, int.from_bytes(raw[:56], "little"), raw[56] >> 7
    if y >= p or (negative and y in (1, p - 1)):  # y in range; x = 0 has no negative
        return "is not canonically encoded"
    if raw in _ED25519_SMALL_ORDER if crv == "Ed25519" else y in (0, 1, p - 1):
        # Ed448's four torsion points: (0, 1), (0, -1), (1, 0), (-1, 0).
        return "is a point of small order: one signature would verify for any message"
    return None


# --- ROCA (CVE-2017-15361) ---------------------------------------------------
#
# Primes produced by the vulnerable Infineon library have the form
# k * M + (65537**a mod M), M a primorial, so a modulus n = p * q lies, for
# each small prime r dividing M, in the subgroup of (Z/rZ)* generated by 65537.
# A random modulus passes that test for all these r with negligible
# probability (Nemec et al., "The Return of Coppersmith's Attack", CCS 2017).

_ROCA_PRIMES = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
    79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip


def _subgroup(generator: int, modulus: int) -> frozenset[int]:
    members = {1}
    value = generator % modulus
    while value not in members:
        members.add(value)
        value = value * generator % modulus
    return frozenset(members)


# A constant table, worked out once at import (about 0.1 ms).
_ROCA_SUBGROUPS = tuple((r, _subgroup(65537, r)) for r in _ROCA_PRIMES)


def has_roca_fingerprint(n: int) -> bool:
    """True when an RSA modulus has the structure of a ROCA-vulnerable key."""
    return all(n % r in members for r, members in _ROCA_SUBGROUPS)
