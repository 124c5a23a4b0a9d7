"""The curve table (``_curves``): each row's facts agree with cryptography and with the RFCs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from minijwt import ALGORITHMS
from minijwt._curves import CURVES, EC_BY_OPENSSL_NAME, curve_names, okp_curve_of

# RFC 7518 §6.2.1.1 and RFC 8037 §2: the curves, their field-element sizes in bytes.
EXPECTED = {"P-256": ("EC", 32), "P-384": ("EC", 48), "P-521": ("EC", 66), "Ed25519": ("OKP", 32), "Ed448": ("OKP", 57)}


def test_the_table_holds_the_jose_curves() -> None:
    assert {name: (row.kty, row.size) for name, row in CURVES.items()} == EXPECTED
    assert all(row.crv == name for name, row in CURVES.items())


@pytest.mark.parametrize("crv", sorted(CURVES))
def test_each_row_matches_the_keys_cryptography_makes(crv: str) -> None:
    row = CURVES[crv]
    private = row.generate()
    assert isinstance(private, row.private_type)
    assert isinstance(private.public_key(), row.public_type)
    if row.kty == "EC":
        assert row.ec_curve is not None
        assert EC_BY_OPENSSL_NAME[row.ec_curve.name] is row
        assert row.bits == private.curve.key_size
        assert okp_curve_of(private.public_key()) is None
    else:
        assert row.ec_curve is None
        assert okp_curve_of(private.public_key()) is row
        assert len(private.public_key().public_bytes_raw()) == row.size


def test_the_signature_sizes_are_those_of_the_algorithm_table() -> None:
    # RFC 7518 §3.4 (R and S, each a field element) and RFC 8032 §5.1.6, §5.2.6.
    for alg in ("ES256", "ES384", "ES512", "Ed25519", "Ed448"):
        (crv,) = ALGORITHMS[alg].curves
        assert ALGORITHMS[alg].signature_size == CURVES[crv].signature_size == 2 * CURVES[crv].size
    assert CURVES["P-521"].bits == 521
    assert (CURVES["Ed25519"].bits, CURVES["Ed448"].bits) == (256, 456)


def test_only_edwards_keys_have_an_okp_curve() -> None:
    assert okp_curve_of(ed25519.Ed25519PrivateKey.generate().public_key()) is CURVES["Ed25519"]
    assert okp_curve_of(ed448.Ed448PrivateKey.generate().public_key()) is CURVES["Ed448"]
    assert okp_curve_of(ec.generate_private_key(ec.SECP256R1()).public_key()) is None
    assert okp_curve_of("Ed25519") is None


def test_curve_names_for_messages() -> None:
    assert curve_names("EC") == "P-256, P-384 or P-521"
    assert curve_names("OKP") == "Ed25519 or Ed448"
