"""The ML-DSA parameter sets (FIPS 204, RFC 9964): one row each, the only place their facts are written.

JOSE names each parameter set as an algorithm (``ML-DSA-44``, ``ML-DSA-65``,
``ML-DSA-87``) and carries its keys as the ``AKP`` key type, whose JWK names
the algorithm in ``alg`` (RFC 9964 §5 and §6). Sizes and object identifiers
are FIPS 204's (Table 2) and RFC 9881's (the X.509 identifiers ``cryptography``
reads and writes). ``cryptography`` signs with ML-DSA from release 48, and
only where its OpenSSL backend has it, so whether this process can is asked of
the library itself, once, never read off a version number.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ._cache import memoize
from .errors import InvalidKeyError

__all__ = [
    "NEEDS",
    "PARAMETER_SETS",
    "SEED_SIZE",
    "ParameterSet",
    "by_oid",
    "missing",
    "module",
    "parameter_set_of",
    "require",
]

#: What a process needs to use ML-DSA, for every message that refuses it.
NEEDS = "ML-DSA needs cryptography 48 or newer, built with an OpenSSL that has ML-DSA"


@dataclass(frozen=True, slots=True)
class ParameterSet:
    """One ML-DSA parameter set and what JOSE, X.509 and ``cryptography`` call and size it.

    Attributes:
        alg: The JOSE algorithm, and the ``alg`` of its ``AKP`` JWKs.
        category: Its NIST security category (2, 3 or 5).
        public_size: Bytes of an encoded public key (``pub``).
        signature_size: Bytes of a signature.
        oid: The content bytes of its X.509 algorithm identifier.
        classes: The name stem of its ``cryptography`` classes (``MLDSA65``).
    """

    alg: str
    category: int
    public_size: int
    signature_size: int
    oid: bytes
    classes: str

    @property
    def bits(self) -> int:
        """The public key's length in bits: what a key's ``size`` is for this parameter set."""
        return self.public_size * 8

    def public_type(self) -> type[Any]:
        """``cryptography``'s public key class (the module is present: see :func:`require`)."""
        return getattr(module(), f"{self.classes}PublicKey")  # type: ignore[no-any-return]

    def private_type(self) -> type[Any]:
        """``cryptography``'s private key class."""
        return getattr(module(), f"{self.classes}PrivateKey")  # type: ignore[no-any-return]


#: The seed a private key is made from, and the JWK's ``priv`` (FIPS 204 §6.1; RFC 9964 §6).
SEED_SIZE = 32

# FIPS 204 Table 2 (sizes); RFC 9881 §2 (id-ml-dsa-44/65/87: 2.16.840.1.101.3.4.3.17, .18, .19).
#: Every parameter set, by JOSE algorithm name (read-only).
PARAMETER_SETS = MappingProxyType(
    {
        row.alg: row
        for row in (
            ParameterSet("ML-DSA-44", 2, 1312, 2420, bytes.fromhex("608648016503040311"), "MLDSA44"),
            ParameterSet("ML-DSA-65", 3, 1952, 3309, bytes.fromhex("608648016503040312"), "MLDSA65"),
            ParameterSet("ML-DSA-87", 5, 2592, 4627, bytes.fromhex("608648016503040313"), "MLDSA87"),
        )
    }
)

_BY_OID = MappingProxyType({row.oid: row for row in PARAMETER_SETS.values()})


def by_oid(oid: bytes) -> ParameterSet | None:
    """The parameter set of an algorithm identifier's content bytes, or None."""
    return _BY_OID.get(oid)


def _probe() -> str | None:
    """None when this ``cryptography`` signs and verifies ML-DSA; otherwise what is needed.

    Asked of the library, not of its version: release 47 has the module but
    refuses it, and a build with another OpenSSL may lack it. Making a key
    from a fixed seed is the cheapest call that reaches the backend.
    """
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        from cryptography.hazmat.primitives.asymmetric import mldsa

        mldsa.MLDSA44PrivateKey.from_seed_bytes(bytes(SEED_SIZE))
    except (ImportError, AttributeError, UnsupportedAlgorithm):  # no module; no such call; a backend without it
        return NEEDS
    return None


# One answer per process (the installed library does not change), memoised by a
# call rather than a decorator, like _header.parse_header: the mutation tests
# (tools/mutation.py) mutate no decorated function.
missing = memoize("mldsa.missing", 1)(_probe)


def require() -> None:
    """Refuse to make an ML-DSA key where this ``cryptography`` cannot use one.

    Raises:
        InvalidKeyError: ML-DSA is not available here; the message says what is needed.
    """
    problem = missing()
    if problem is not None:
        raise InvalidKeyError(problem)


def module() -> Any:
    """``cryptography``'s ``mldsa`` module, imported on first use (an HS256 service never loads it)."""
    from cryptography.hazmat.primitives.asymmetric import mldsa

    return mldsa


def parameter_set_of(obj: object) -> tuple[ParameterSet, bool] | None:
    """The parameter set of a ``cryptography`` ML-DSA key object, and whether it is private; None otherwise."""
    if missing() is not None:
        return None
    for row in PARAMETER_SETS.values():
        if isinstance(obj, row.public_type()):
            return row, False
        if isinstance(obj, row.private_type()):
            return row, True
    return None
