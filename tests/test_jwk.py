"""JWK and JWK Sets: RFC vectors, validation, export, thumbprints, selection."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from support import b64u, load_vectors, private_key_for, roca_form_modulus, signing_and_verifying_key

import minijwt
from minijwt import (
    JWK,
    ECKey,
    InvalidKeyError,
    JWKSet,
    KeyNotFoundError,
    OKPKey,
    RSAKey,
    SecretKey,
    jws,
)
from minijwt._keys import has_roca_fingerprint

RFC7517 = load_vectors("rfc7517.json")
RFC8037 = load_vectors("rfc8037_keys.json")
RFC7520 = load_vectors("rfc7520_keys.json")
RFC7515 = load_vectors("rfc7515.json")["vectors"]
RFC7520_JWS = load_vectors("rfc7520.json")


# --- RFC vectors -------------------------------------------------------------------


def test_rfc7517_a1_public_keys_and_thumbprints() -> None:
    keys = JWKSet.from_dict(RFC7517["A.1"])
    assert len(keys) == 2
    assert keys.skipped == ()
    ec_key, rsa_key = list(keys)
    assert (ec_key.kty, ec_key.kid, ec_key.use) == ("EC", "1", "enc")
    assert (rsa_key.kty, rsa_key.kid, rsa_key.alg) == ("RSA", "2011-04-29", "RS256")
    assert [ec_key.thumbprint(), rsa_key.thumbprint()] == RFC7517["A.1_thumbprints_sha256"]
    assert keys.to_dict() == RFC7517["A.1"]  # same members, same values
    assert not ec_key.is_private


def test_rfc7638_thumbprint_and_rfc9278_uri() -> None:
    key = JWK.from_dict(RFC7517["A.1"]["keys"][1])
    # RFC 7638 §3.1
    assert key.thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert key.thumbprint("SHA-256") == key.thumbprint()
    assert (
        key.thumbprint_uri()
        == "urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    )
    assert len(b64u(key.thumbprint("sha512"))) == 64
    assert key.thumbprint_uri("sha384").startswith("urn:ietf:params:oauth:jwk-thumbprint:sha-384:")
    with pytest.raises(InvalidKeyError, match="hash"):
        key.thumbprint("md5")


def test_rfc7517_a2_private_keys_round_trip() -> None:
    for member in RFC7517["A.2"]["keys"]:
        key = JWK.from_dict(member)
        assert key.is_private
        assert key.to_dict(private=True) == member
        public = key.to_dict()
        assert "d" not in public
        assert "p" not in public
        assert key.public().to_dict() == public
        assert not key.public().is_private


def test_rfc7517_a3_symmetric_keys() -> None:
    keys = JWKSet.from_dict(RFC7517["A.3"])
    assert len(keys) == 2
    wrap_key, mac_key = list(keys)
    assert wrap_key.alg == "A128KW"  # not a JWS algorithm: kept, never used to verify
    assert isinstance(mac_key.key, SecretKey)
    assert keys.to_dict() == {"keys": []}  # symmetric keys are never published
    assert keys.to_dict(private=True) == RFC7517["A.3"]
    with pytest.raises(InvalidKeyError, match="no public form"):
        mac_key.to_dict()
    # The RFC 7515 A.1 token verifies with the A.3 HMAC key, by kid.
    token = RFC7515[0]["compact"]
    assert jws.verify(token, mac_key, algorithms=["HS256"]) == b64u(RFC7515[0]["payload_b64"])


def test_rfc7517_b_x5c_is_kept_and_matches() -> None:
    key = JWK.from_dict(RFC7517["B"])
    assert key.extra["x5c"] == RFC7517["B"]["x5c"]
    assert key.to_dict() == RFC7517["B"]
    certificate = x509.load_der_x509_certificate(base64.b64decode(RFC7517["B"]["x5c"][0]))
    assert isinstance(key.key, RSAKey)
    assert certificate.public_key().public_numbers() == key.key.public.public_numbers()  # type: ignore[union-attr]


def test_rfc8037_okp_keys() -> None:
    private = JWK.from_dict(RFC8037["A.1"])
    public = JWK.from_dict(RFC8037["A.2"])
    assert isinstance(private.key, OKPKey)
    assert private.key.crv == "Ed25519"
    assert private.public().to_dict() == RFC8037["A.2"]
    assert public.thumbprint() == private.thumbprint() == RFC8037["A.3_thumbprint_sha256"]
    assert private.to_dict(private=True) == RFC8037["A.1"]


@pytest.mark.parametrize("section", ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"])
def test_rfc7520_section3_keys(section: str) -> None:
    member = RFC7520[section]
    key = JWK.from_dict(member)
    assert key.to_dict(private=True) == member
    assert key.kid == member["kid"]


def test_rfc7520_tokens_verify_through_a_key_set() -> None:
    public_keys = JWKSet.from_dict({"keys": [RFC7520[s] for s in ("3.1", "3.3")]})
    secret_keys = JWKSet.from_dict({"keys": [RFC7520[s] for s in ("3.5", "3.6")]})
    payload = b64u(RFC7520_JWS["payload_b64"])
    for vector in RFC7520_JWS["vectors"]:
        keys = secret_keys if vector["alg"] == "HS256" else public_keys
        assert jws.verify(vector["compact"], keys, algorithms=[vector["alg"]]) == payload
    # 3.6 is an encryption key ("use": "enc"): never used to verify.
    assert not secret_keys.get("1e571774-2e08-40da-8308-e8d68773842d").can_verify(minijwt.ALGORITHMS["HS256"])


# --- validation ----------------------------------------------------------------------


def _rsa_member() -> dict[str, Any]:
    return copy.deepcopy(RFC7517["A.2"]["keys"][1])


def _ec_member() -> dict[str, Any]:
    return copy.deepcopy(RFC7517["A.2"]["keys"][0])


def _b64(value: int, size: int = 0) -> str:
    from minijwt._base64url import b64encode

    return b64encode(value.to_bytes(size or (value.bit_length() + 7) // 8 or 1, "big"))


def _change(member: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(member)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


BAD_KEYS: list[tuple[str, Any, str]] = [
    ("not an object", ["kty", "RSA"], "JSON object"),
    ("no kty", {"n": "AQAB"}, "kty"),
    ("kty not a string", {"kty": 1}, "kty"),
    ("unknown kty", {"kty": "XYZ"}, "not supported"),
    ("rsa missing n", _change(_rsa_member(), n=None), "'n' is missing"),
    ("rsa n not a string", _change(_rsa_member(), n=12345), "'n' must be a string"),
    ("rsa n padded base64", _change(_rsa_member(), n=_rsa_member()["n"] + "=="), "base64url"),
    ("rsa n standard base64", _change(_rsa_member(), n=_rsa_member()["n"].replace("-", "+")), "base64url"),
    ("rsa empty e", _change(_rsa_member(), e=""), "empty"),
    ("rsa 1024-bit modulus", {"kty": "RSA", "n": _b64((1 << 1023) + 1), "e": "AQAB"}, "at least 2048"),
    ("rsa even modulus", {"kty": "RSA", "n": _b64(1 << 2047), "e": "AQAB"}, "even"),
    ("rsa absurd modulus", {"kty": "RSA", "n": _b64((1 << 40000) + 1), "e": "AQAB"}, "more than 16384"),
    ("rsa e = 1", {"kty": "RSA", "n": _rsa_member()["n"], "e": "AQ"}, "exponent"),
    ("rsa e even", {"kty": "RSA", "n": _rsa_member()["n"], "e": _b64(65536)}, "exponent"),
    ("rsa e absurd", {"kty": "RSA", "n": _rsa_member()["n"], "e": _b64((1 << 300) + 1)}, "exponent"),
    ("rsa d inconsistent", _change(_rsa_member(), d=_b64(12345)), "does not match"),
    ("rsa p without d", _change(_rsa_member(), d=None), "no 'd'"),
    ("rsa some crt members", _change(_rsa_member(), qi=None), "'qi'"),
    ("rsa multi-prime", _change(_rsa_member(), oth=[]), "multi-prime"),
    ("ec missing crv", _change(_ec_member(), crv=None), "crv"),
    ("ec unknown crv", _change(_ec_member(), crv="P-192"), "not supported"),
    ("ec secp256k1", _change(_ec_member(), crv="secp256k1"), "not supported"),
    ("ec short x", _change(_ec_member(), x=_b64(5, 31)), "32 bytes"),
    ("ec long y", _change(_ec_member(), y=_b64(5, 33)), "32 bytes"),
    ("ec point off curve", _change(_ec_member(), y=_b64(5, 32)), "not on curve"),
    ("ec d inconsistent", _change(_ec_member(), d=_b64(5, 32)), "does not match"),
    ("ec d short", _change(_ec_member(), d=_b64(5, 31)), "32 bytes"),
    ("ec d zero", _change(_ec_member(), d=_b64(0, 32)), "out of range"),
    ("okp unknown crv", _change(RFC8037["A.2"], crv="X25519"), "not supported"),
    ("okp short x", _change(RFC8037["A.2"], x=_b64(5, 31)), "32 bytes"),
    ("okp ed448 x of ed25519 length", _change(RFC8037["A.2"], crv="Ed448"), "57 bytes"),
    ("okp d inconsistent", _change(RFC8037["A.1"], d=_b64(7, 32)), "does not match"),
    ("okp d long", _change(RFC8037["A.1"], d=_b64(7, 33)), "32 bytes"),
    ("oct empty", {"kty": "oct", "k": ""}, "empty"),
    ("oct missing k", {"kty": "oct"}, "missing"),
    ("kid not a string", _change(_ec_member(), kid=5), "'kid'"),
    ("use not a string", _change(_ec_member(), use=["sig"]), "'use'"),
    ("key_ops not a list", _change(_ec_member(), use=None, key_ops="sign"), "key_ops"),
    ("key_ops not strings", _change(_ec_member(), use=None, key_ops=[1]), "key_ops"),
    ("key_ops duplicated", _change(_ec_member(), use=None, key_ops=["sign", "sign"]), "key_ops"),
    ("use sig but key_ops encrypt", _change(_ec_member(), use="sig", key_ops=["encrypt"]), "disagree"),
    ("use enc but key_ops verify", _change(_ec_member(), use="enc", key_ops=["verify"]), "disagree"),
    ("alg does not fit the key", _change(_ec_member(), alg="RS256"), "RS256 needs"),
    ("alg curve mismatch", _change(_ec_member(), alg="ES384"), "P-384"),
    ("hmac alg with short secret", {"kty": "oct", "k": _b64(1 << 100), "alg": "HS256"}, "at least 32 bytes"),
]


@pytest.mark.parametrize(("case", "member", "message"), BAD_KEYS, ids=[case for case, _, _ in BAD_KEYS])
def test_malformed_keys_are_refused(case: str, member: Any, message: str) -> None:
    with pytest.raises(InvalidKeyError, match=message):
        JWK.from_dict(member)


def test_roca_fingerprint() -> None:
    n = roca_form_modulus()
    assert has_roca_fingerprint(n)
    with pytest.raises(InvalidKeyError, match="ROCA"):
        JWK.from_dict({"kty": "RSA", "n": _b64(n), "e": "AQAB"})
    # Ordinary keys do not carry it.
    for vector in (RFC7517["A.1"]["keys"][1], RFC7520["3.3"], RFC7517["B"]):
        assert not has_roca_fingerprint(int.from_bytes(b64u(vector["n"]), "big"))
    for _ in range(3):
        fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert not has_roca_fingerprint(fresh.public_key().public_numbers().n)


def test_rsa_private_key_without_crt_members() -> None:
    full = _rsa_member()
    minimal = {name: full[name] for name in ("kty", "n", "e", "d")}
    key = JWK.from_dict(minimal)
    assert key.to_dict(private=True)["qi"] == full["qi"]


def test_json_loading() -> None:
    member = RFC7517["A.1"]["keys"][1]
    assert JWK.from_json(json.dumps(member)).thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert JWK.from_json(json.dumps(member).encode()).kid == "2011-04-29"
    for text in ("[]", "{", '{"kty":"RSA","kty":"EC"}', "\ud800"):
        with pytest.raises(InvalidKeyError):
            JWK.from_json(text)
    with pytest.raises(InvalidKeyError):
        JWK.from_json(5)  # type: ignore[arg-type]
    assert len(JWKSet.from_json(json.dumps(RFC7517["A.1"]))) == 2
    for text in ("[]", '{"keys": {}}', '{"key": []}'):
        with pytest.raises(InvalidKeyError):
            JWKSet.from_json(text)


def test_jwk_text_given_as_a_key_is_refused() -> None:
    with pytest.raises(InvalidKeyError, match=r"JWK\.from_json"):
        minijwt.decode("a.b.c", json.dumps(RFC7517["A.1"]["keys"][1]), algorithms=["RS256"])


# --- export, import, generate -----------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "HS512", "RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA", "Ed448"])
def test_generate(alg: str) -> None:
    key = JWK.generate(alg)
    assert key.alg == alg
    assert key.kid == key.thumbprint()
    assert JWK.generate(alg, kid="mine").kid == "mine"
    token = minijwt.encode({"sub": "x"}, key, alg)
    verifier = key if key.kty == "oct" else key.public()
    assert minijwt.decode(token, verifier, algorithms=[alg]) == {"sub": "x"}
    expected = {
        "oct": SecretKey,
        "RSA": RSAKey,
        "EC": ECKey,
        "OKP": OKPKey,
    }[key.kty]
    assert isinstance(key.key, expected)
    if isinstance(key.key, RSAKey):
        assert key.key.size == 2048
    if isinstance(key.key, SecretKey):
        assert len(key.key.secret) * 8 == minijwt.ALGORITHMS[alg].min_key_size


_crypto_keys = st.sampled_from(
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: rsa.generate_private_key(public_exponent=3, key_size=3072),
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: ec.generate_private_key(ec.SECP521R1()),
        ed25519.Ed25519PrivateKey.generate,
        ed448.Ed448PrivateKey.generate,
    ]
)


@settings(max_examples=25)
@given(make=_crypto_keys)
def test_round_trips_pem_jwk_crypto(make: Any) -> None:
    private = make()
    jwk = JWK.from_key(private)
    again = JWK.from_dict(jwk.to_dict(private=True))
    assert again.to_dict(private=True) == jwk.to_dict(private=True)
    from_pem = JWK.from_pem(jwk.to_pem(private=True))
    assert from_pem.to_dict(private=True) == jwk.to_dict(private=True)
    public_pem = jwk.to_pem()
    assert JWK.from_pem(public_pem).to_dict() == jwk.to_dict()
    assert JWK.from_dict(jwk.to_dict()).thumbprint() == jwk.thumbprint()
    assert minijwt.load_key(public_pem).kty == jwk.kty


def test_export_errors() -> None:
    secret = JWK.from_key(b"k" * 32)
    with pytest.raises(InvalidKeyError):
        secret.to_pem()
    with pytest.raises(InvalidKeyError):
        secret.public()
    assert JWK.from_json(secret.to_json(private=True)).to_dict(private=True) == secret.to_dict(private=True)
    public = JWK.from_key(private_key_for("ES256").public_key())
    with pytest.raises(InvalidKeyError, match="public key"):
        public.to_pem(private=True)
    with pytest.raises(InvalidKeyError, match="not a PEM"):
        JWK.from_pem(b"this is no pem, just a secret")
    assert "private" not in repr(public)
    assert "private" in repr(secret)


def test_from_pem_with_password_and_metadata() -> None:
    from cryptography.hazmat.primitives import serialization

    pem = private_key_for("ES256").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    key = JWK.from_pem(pem, password="pw", kid="k1", alg="ES256", use="sig")
    assert (key.kid, key.alg, key.use) == ("k1", "ES256", "sig")
    assert key.to_dict()["kid"] == "k1"


# --- use rules at sign and verify time -------------------------------------------------


def test_use_enc_is_refused_for_signatures() -> None:
    private = JWK.from_key(private_key_for("ES256"), use="enc")
    with pytest.raises(InvalidKeyError, match="'use'"):
        jws.sign(b"x", private, "ES256")
    token = jws.sign(b"x", private_key_for("ES256"), "ES256")
    # A key that can verify nothing is the server's configuration (500) ...
    with pytest.raises(InvalidKeyError, match="fits any"):
        jws.verify(token, private.public(), algorithms=["ES256"])
    # ... while a token it cannot serve among others is the token's fault (401).
    mixed = JWKSet([private.public(), JWK.from_key(private_key_for("ES256").public_key(), kid="good")])
    with pytest.raises(KeyNotFoundError, match=r"'use'|cannot verify"):
        jws.verify(
            jws.sign(b"x", private_key_for("ES256"), "ES256", headers={"kid": private.kid}), mixed, algorithms=["ES256"]
        )


def test_key_ops_restrict_operations() -> None:
    verify_only = JWK.from_key(private_key_for("ES256"), key_ops=["verify"])
    with pytest.raises(InvalidKeyError, match="'sign'"):
        jws.sign(b"x", verify_only, "ES256")
    token = jws.sign(b"x", JWK.from_key(private_key_for("ES256"), key_ops=["sign"]), "ES256")
    assert jws.verify(token, verify_only, algorithms=["ES256"]) == b"x"
    sign_only = JWK.from_key(private_key_for("ES256"), key_ops=["sign"])
    with pytest.raises(InvalidKeyError, match="fits any"):
        jws.verify(token, sign_only, algorithms=["ES256"])
    with pytest.raises(InvalidKeyError, match="fits any"):
        minijwt.JWTVerifier(sign_only, algorithms=["ES256"])


def test_alg_restricts_the_key_to_one_algorithm() -> None:
    key = JWK.from_key(private_key_for("RS256"), alg="RS256")
    with pytest.raises(InvalidKeyError, match="for RS256"):
        jws.sign(b"x", key, "PS256")
    token = jws.sign(b"x", private_key_for("RS256"), "PS256")
    # The token chose PS256, which the key may not serve: a token error.
    with pytest.raises(KeyNotFoundError, match="for RS256"):
        jws.verify(token, key, algorithms=["RS256", "PS256"])
    with pytest.raises(KeyNotFoundError, match="for RS256"):
        minijwt.JWTVerifier(key, algorithms=["RS256", "PS256"]).decode(token)
    with pytest.raises(InvalidKeyError, match="fits any"):
        minijwt.JWTVerifier(key, algorithms=["PS256"])


def test_cannot_sign_with_a_set() -> None:
    with pytest.raises(InvalidKeyError, match="JWK Set"):
        jws.sign(b"x", JWKSet([JWK.generate("HS256")]), "HS256")


# --- sets: selection by kid ------------------------------------------------------------


def _es_key(kid: str | None) -> tuple[Any, JWK]:
    private = ec.generate_private_key(ec.SECP256R1())
    return private, JWK.from_key(private.public_key(), kid=kid)


def test_selection_by_kid() -> None:
    signer_a, key_a = _es_key("a")
    signer_b, key_b = _es_key("b")
    keys = JWKSet([key_a, key_b])
    assert keys.get("a") is key_a
    assert [k.kid for k in keys] == ["a", "b"]
    for kid, signer in (("a", signer_a), ("b", signer_b)):
        token = minijwt.encode({"kid": kid}, signer, "ES256", headers={"kid": kid})
        assert minijwt.decode(token, keys, algorithms=["ES256"]) == {"kid": kid}
    wrong = minijwt.encode({}, signer_a, "ES256", headers={"kid": "b"})
    with pytest.raises(minijwt.InvalidSignatureError):
        minijwt.decode(wrong, keys, algorithms=["ES256"])
    for bad_kid in ("c", 5, ["a"]):
        token = jws.sign(b"{}", signer_a, "ES256", headers={"kid": bad_kid})
        with pytest.raises(KeyNotFoundError):
            jws.verify(token, keys, algorithms=["ES256"])
    with pytest.raises(KeyNotFoundError):
        keys.get("c")


def test_kid_selects_among_same_key_for_several_algorithms() -> None:
    private = private_key_for("RS256")
    rs = JWK.from_key(private.public_key(), kid="k", alg="RS256")
    ps = JWK.from_key(private.public_key(), kid="k", alg="PS256")
    keys = JWKSet([rs, ps])
    for alg in ("RS256", "PS256"):
        token = jws.sign(b"x", private, alg, headers={"kid": "k"})
        assert jws.verify(token, keys, algorithms=[alg]) == b"x"
    token = jws.sign(b"x", private, "RS512", headers={"kid": "k"})
    with pytest.raises(KeyNotFoundError, match="cannot verify RS512"):
        jws.verify(token, keys, algorithms=["RS256", "RS512"])
    # No key of the set can serve any allowed algorithm: the configuration is wrong.
    with pytest.raises(InvalidKeyError, match="fits any"):
        jws.verify(token, keys, algorithms=["RS512"])


def test_same_kid_different_material_is_ambiguous() -> None:
    _, key_a = _es_key("same")
    _, key_b = _es_key("same")
    with pytest.raises(InvalidKeyError, match="ambiguous"):
        JWKSet([key_a, key_b])
    with pytest.raises(InvalidKeyError, match="ambiguous"):
        JWKSet.from_dict({"keys": [key_a.to_dict(), key_b.to_dict()]})
    rsa_a = JWK.from_key(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid="r")
    rsa_b = JWK.from_key(private_key_for("RS256"), kid="r", alg="RS256")
    with pytest.raises(InvalidKeyError, match="could both verify RS256"):
        JWKSet([rsa_a, rsa_b])
    # The same material twice is not ambiguous.
    assert len(JWKSet([key_a, JWK.from_dict(key_a.to_dict())])) == 2


def test_same_kid_for_keys_of_different_types_is_allowed() -> None:
    """RFC 7517 §4.5 (and RFC 7520 §3.1/§3.3): the alg tells them apart."""
    signer, ec_key = _es_key("shared")
    rsa_key = JWK.from_key(private_key_for("RS256").public_key(), kid="shared")
    keys = JWKSet([ec_key, rsa_key])
    token = jws.sign(b"x", signer, "ES256", headers={"kid": "shared"})
    assert jws.verify(token, keys, algorithms=["ES256", "RS256"]) == b"x"
    token = jws.sign(b"y", private_key_for("RS256"), "RS256", headers={"kid": "shared"})
    assert jws.verify(token, keys, algorithms=["ES256", "RS256"]) == b"y"


def test_token_without_kid() -> None:
    signer, key = _es_key(None)
    _, other = _es_key(None)
    rsa_key = JWK.from_key(private_key_for("RS256").public_key(), kid="r")
    token = jws.sign(b"x", signer, "ES256")
    assert jws.verify(token, JWKSet([key, rsa_key]), algorithms=["ES256"]) == b"x"
    with pytest.raises(KeyNotFoundError, match="2 keys"):
        jws.verify(token, JWKSet([key, other]), algorithms=["ES256"])
    with pytest.raises(KeyNotFoundError, match="no key"):
        jws.verify(token, JWKSet([rsa_key]), algorithms=["ES256", "RS256"])
    with pytest.raises(InvalidKeyError, match="fits any"):
        jws.verify(token, JWKSet([]), algorithms=["ES256"])


def test_symmetric_and_asymmetric_keys_do_not_mix() -> None:
    _, ec_key = _es_key("e")
    with pytest.raises(InvalidKeyError, match="must not mix"):
        JWKSet([ec_key, JWK.from_key(b"s" * 32, kid="h")])
    assert len(JWKSet([JWK.from_key(b"s" * 32, kid="h"), JWK.from_key(b"t" * 32, kid="i")])) == 2


def test_unloadable_key_sharing_a_kid_is_ambiguous() -> None:
    _, good = _es_key("k")
    broken = {**good.to_dict(), "y": good.to_dict()["x"]}  # off the curve
    with pytest.raises(InvalidKeyError, match="ambiguous"):
        JWKSet.from_dict({"keys": [good.to_dict(), broken]})


def test_skipped_keys_are_recorded() -> None:
    _, good = _es_key("good")
    data = {
        "keys": [
            {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA", "kid": "k1"},
            good.to_dict(),
            {"kty": "RSA", "n": _b64((1 << 1023) + 1), "e": "AQAB", "kid": "weak"},
            {"kty": "XYZ", "kid": 7},
            "not an object",
        ]
    }
    keys = JWKSet.from_dict(data)
    assert len(keys) == 1
    assert [(s.index, s.kid) for s in keys.skipped] == [(0, "k1"), (2, "weak"), (3, None), (4, None)]
    assert "not supported" in keys.skipped[0].reason
    assert "2048" in keys.skipped[1].reason
    assert repr(keys) == "JWKSet(1 keys, 4 skipped)"
    with pytest.raises(InvalidKeyError):
        JWKSet(["not a jwk"])  # type: ignore[list-item]


def test_lookup_does_not_scan_large_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a kid, selection looks at the keys with that kid only, whatever the set size."""
    keys = [JWK.from_key(i.to_bytes(4, "big") * 8, kid=f"k{i}") for i in range(10_000)]
    key_set = JWKSet(keys)
    token = jws.sign(b"x", keys[7777], "HS256", headers={"kid": "k7777"})
    calls = 0
    original = JWK.can_verify

    def counting(self: JWK, alg: Any) -> bool:
        nonlocal calls
        calls += 1
        return original(self, alg)

    monkeypatch.setattr(JWK, "can_verify", counting)
    assert jws.verify(token, key_set, algorithms=["HS256"]) == b"x"
    assert calls == 1


def test_select_by_kid_is_the_kid_rule_of_select_for_any_algorithm() -> None:
    """One kid rule: keys that may not verify are never chosen; different keys sharing a kid need the alg."""
    _, ec_key = _es_key("shared")
    rsa_key = JWK.from_key(private_key_for("RS256").public_key(), kid="shared")
    private = private_key_for("RS256")
    rs = JWK.from_key(private.public_key(), kid="same", alg="RS256")
    ps = JWK.from_key(private.public_key(), kid="same", alg="PS256")
    encryption = JWK.from_key(private_key_for("RS256").public_key(), kid="enc", use="enc")
    keys = JWKSet([ec_key, rsa_key, rs, ps, encryption])
    assert keys.select_by_kid("same") is rs  # one key material, two algorithms: not ambiguous
    assert keys.select({"kid": "shared"}, "ES256") is ec_key  # the alg tells them apart
    with pytest.raises(KeyNotFoundError, match="several keys share"):
        keys.select_by_kid("shared")
    with pytest.raises(KeyNotFoundError, match="cannot verify"):
        keys.select_by_kid("enc")
    assert keys.get("enc") is encryption  # get is a plain lookup, no verification rule
    for missing in ("nope", 5, None, ["same"]):
        with pytest.raises(KeyNotFoundError):
            keys.select_by_kid(missing)  # type: ignore[arg-type]


def test_resolve_key_remembers_answers_and_never_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A repeated lookup is a memo read; the memo holds answers only, so it stays bounded by the set."""
    signer, key = _es_key("k1")
    keys = JWKSet([key])
    es256 = minijwt.ALGORITHMS["ES256"]
    selected = 0
    original = JWKSet.select

    def counting(self: JWKSet, header: Any, alg: Any) -> JWK:
        nonlocal selected
        selected += 1
        return original(self, header, alg)

    monkeypatch.setattr(JWKSet, "select", counting)
    for header in ({"kid": "k1"}, {"kid": "k1"}, {}, {"kid": None}):
        assert keys.resolve_key(header, es256) is key.key
    assert selected == 2  # once for "k1", once for no kid
    for hostile in ({"kid": "k2"}, {"kid": ["k1"]}, {"kid": {"k": 1}}, {"kid": 7}):
        for _ in range(2):
            with pytest.raises(KeyNotFoundError):
                keys.resolve_key(hostile, es256)
    with pytest.raises(KeyNotFoundError):
        keys.resolve_key({"kid": "k1"}, minijwt.ALGORITHMS["RS256"])
    assert selected == 2 + 9
    assert keys._resolved == {"k1": {"ES256": key.key}, None: {"ES256": key.key}}
    token = jws.sign(b"x", signer, "ES256", headers={"kid": "k1"})
    assert jws.verify(token, keys, algorithms=["ES256"]) == b"x"


def test_interop_with_jwcrypto_and_pyjwt() -> None:
    from jwcrypto import jwk as jc_jwk
    from jwt import PyJWK

    for alg in ("RS256", "ES256", "ES512", "EdDSA", "HS256"):
        private, _ = signing_and_verifying_key(alg)
        mine = JWK.from_key(private, kid="k1")
        exported = mine.to_dict(private=True)
        theirs = jc_jwk.JWK(**exported)
        assert theirs.thumbprint() == mine.thumbprint()
        back = JWK.from_json(theirs.export(private_key=True))
        assert back.to_dict(private=True) == exported
        if mine.kty != "oct":
            assert JWK.from_json(theirs.export_public()).to_dict() == mine.to_dict()
        generated = jc_jwk.JWK.generate(**_jc_params(alg))
        assert JWK.from_json(generated.export(private_key=True)).thumbprint() == generated.thumbprint()
        # PyJWT reads our JWKs and verifies our tokens with them.
        token = jws.sign(b"payload", mine, alg)
        py_key = PyJWK(exported if mine.kty == "oct" else mine.to_dict(), algorithm=alg)
        import jwt as pyjwt

        assert pyjwt.api_jws.decode(token, py_key.key, algorithms=[alg]) == b"payload"


def _jc_params(alg: str) -> dict[str, Any]:
    params: dict[str, dict[str, Any]] = {
        "RS256": {"kty": "RSA", "size": 2048},
        "ES256": {"kty": "EC", "crv": "P-256"},
        "ES512": {"kty": "EC", "crv": "P-521"},
        "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
        "HS256": {"kty": "oct", "size": 256},
    }
    return params[alg]


@pytest.mark.parametrize("member", ["p", "q", "dp", "dq", "qi"])
def test_one_rsa_private_member_without_d_is_refused(member: str) -> None:
    full = _rsa_member()
    public = {name: full[name] for name in ("kty", "n", "e")}
    with pytest.raises(InvalidKeyError, match="no 'd'"):
        JWK.from_dict({**public, member: full[member]})


def test_an_rsa_d_longer_than_the_modulus_is_refused_before_any_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 8017 §3.2: d < n. Recovering the primes costs time linear in d's length, so length alone refuses it."""
    from minijwt._base64url import b64encode

    full = _rsa_member()
    public = {name: full[name] for name in ("kty", "n", "e")}
    size = (int.from_bytes(b64u(full["n"]), "big").bit_length() + 7) // 8
    assert size == 256
    recovered: list[int] = []

    def recover(n: int, e: int, d: int) -> tuple[int, int]:
        recovered.append(d)
        raise ValueError("not a private exponent of this key")

    monkeypatch.setattr(rsa, "rsa_recover_prime_factors", recover)
    longest = b64encode(b"\x01" * size)  # 342 characters: as long as the modulus
    with pytest.raises(InvalidKeyError, match="does not match"):
        JWK.from_dict({**public, "d": longest})
    assert len(recovered) == 1
    for longer in (b64encode(b"\x01" * (size + 1)), b64encode(b"\x01" * size * 4)):  # 343 characters and more
        with pytest.raises(InvalidKeyError, match="longer than the modulus"):
            JWK.from_dict({**public, "d": longer})
    assert len(recovered) == 1


def test_a_one_byte_rsa_exponent_is_exported_in_one_byte() -> None:
    """RFC 7518 §6.3.1.2 and §2 (Base64urlUInt): the minimal octets, so e = 3 is "Aw", as 65537 is "AQAB"."""
    key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    members = JWK.from_key(key).to_dict(private=True)
    assert members["e"] == "Aw"
    assert JWK.from_key(key.public_key()).to_dict()["e"] == "Aw"
    again = JWK.from_dict(members)
    assert isinstance(again.key, RSAKey)
    assert again.key.public.public_numbers().e == 3
