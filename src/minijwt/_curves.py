"""The curves JOSE signs with: one row each, the only place their facts are written.

ECDSA's NIST curves (RFC 7518 §3.4, §6.2.1.1) and the Edwards curves of EdDSA
(RFC 8037 §2, RFC 9864). Every other module reads a curve's JOSE name, its
``cryptography`` types, its strength in bits and its encoded sizes from
:data:`CURVES`; adding a curve is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

__all__ = ["CURVES", "EC_BY_OPENSSL_NAME", "Curve", "curve_names", "okp_curve_of"]


@dataclass(frozen=True, slots=True)
class Curve:
    """One curve and what JOSE and ``cryptography`` call and size it.

    Attributes:
        crv: The JOSE name, the JWK ``crv`` member; ``kty`` the JWK key type.
        bits: Its strength as the key rules and the algorithm table count it:
            the group order's size for EC (521 for P-521), 256 for Ed25519 and
            456 for Ed448 (the sizes RFC 8032 names).
        size: Bytes of one field element: an EC coordinate or private scalar
            (RFC 7518 §6.2.1.2), an Edwards public or private key (RFC 8037
            §2). A signature is two of them (RFC 7518 §3.4, RFC 8032 §5.1.6).
        public_type: ``cryptography``'s public key class, and ``private_type`` its
            private one; ``ec_curve`` its curve object, for EC only.
    """

    crv: str
    kty: Literal["EC", "OKP"]
    bits: int
    size: int
    public_type: type[Any]
    private_type: type[Any]
    ec_curve: ec.EllipticCurve | None = None

    @property
    def signature_size(self) -> int:
        """The length in bytes of a signature on this curve (R and S, or R and S of EdDSA)."""
        return 2 * self.size

    def generate(self) -> Any:
        """A new ``cryptography`` private key on this curve."""
        if self.ec_curve is not None:
            return ec.generate_private_key(self.ec_curve)
        return self.private_type.generate()


def _ec(crv: str, curve: ec.EllipticCurve, size: int) -> Curve:
    return Curve(crv, "EC", curve.key_size, size, ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey, curve)


#: Every curve, by JOSE name (read-only).
CURVES = MappingProxyType(
    {
        row.crv: row
        for row in (
            _ec("P-256", ec.SECP256R1(), 32),
            _ec("P-384", ec.SECP384R1(), 48),
            _ec("P-521", ec.SECP521R1(), 66),
            Curve("Ed25519", "OKP", 256, 32, ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey),
            Curve("Ed448", "OKP", 456, 57, ed448.Ed448PublicKey, ed448.Ed448PrivateKey),
        )
    }
)

#: The EC curves by the name ``cryptography`` gives them (``"secp256r1"`` ...).
EC_BY_OPENSSL_NAME = MappingProxyType({row.ec_curve.name: row for row in CURVES.values() if row.ec_curve is not None})


def okp_curve_of(public: object) -> Curve | None:
    """The Edwards curve of a ``cryptography`` public key, or None for any other object."""
    for row in CURVES.values():
        if row.kty == "OKP" and isinstance(public, row.public_type):
            return row
    return None


def curve_names(kty: str) -> str:
    """The JOSE names of a key type's curves, for messages: ``"P-256, P-384 or P-521"``."""
    names = [row.crv for row in CURVES.values() if row.kty == kty]  # each key type has several
    return f"{', '.join(names[:-1])} or {names[-1]}"
