"""ML-DSA (FIPS 204) in JOSE (RFC 9964): the three algorithms, AKP keys in every spelling, and the gate.

Everything but the gate needs a ``cryptography`` with ML-DSA (48 or newer): on
an older one those tests skip with the reason, and the gate's test runs the
refusals for real. On a newer one the gate is tested with ``cryptography``
refusing ML-DSA as release 47's backend does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import ML_DSA_MISSING, b64u, b64u_encode, broken_signature, load_vectors, needs_ml_dsa, private_key_for

import minijwt
from minijwt import JWK, AKPKey, InvalidKeyError, JWKSet, jws
from minijwt._algorithms import misfit
from minijwt._keytext import KeyForm, der_form, pem_form
from minijwt._mldsa import NEEDS, PARAMETER_SETS, SEED_SIZE, by_oid, missing, require

PARAMETER_NAMES = sorted(PARAMETER_SETS)
# FIPS 204 Table 2: public key and signature sizes in bytes.
SIZES = {"ML-DSA-44": (1312, 2420), "ML-DSA-65": (1952, 3309), "ML-DSA-87": (2592, 4627)}
NOW = 1_800_000_000


def test_the_table_has_one_row_per_parameter_set() -> None:
    for name, (public_size, signature_size) in SIZES.items():
        row, alg = PARAMETER_SETS[name], minijwt.ALGORITHMS[name]
        assert (row.public_size, row.signature_size) == (public_size, signature_size)
        assert (alg.kty, alg.key_type, alg.signature_size, alg.min_key_size) == (
            "AKP",
            AKPKey,
            signature_size,
            public_size * 8,
        )
        assert (alg.curves, alg.hash_name) == (frozenset(), "")  # no curve; no separate hash (FIPS 204 hashes inside)
        assert name in minijwt.SUPPORTED_ALGORITHMS
        assert alg.available is (missing() is None)
    # RFC 9881 §2: id-ml-dsa-44/65/87 are 2.16.840.1.101.3.4.3.17, .18 and .19.
    assert [PARAMETER_SETS[name].oid[-1] for name in PARAMETER_NAMES] == [0x11, 0x12, 0x13]
    assert {row.category for row in PARAMETER_SETS.values()} == {2, 3, 5}


# --- the examples of the draft that became RFC 9964 -------------------------------------------------

EXAMPLES = load_vectors("rfc9964.json")["examples"]


@needs_ml_dsa
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_the_rfc_examples_keys_thumbprints_and_signatures(name: str) -> None:
    example = EXAMPLES[name]
    members = example["jwk"]
    jwk = JWK.from_dict(members)  # the seed (all zero) must expand to the example's pub
    assert jwk.is_private
    assert b64u(members["priv"]) == bytes(SEED_SIZE)
    assert jwk.thumbprint() == members["kid"]  # the examples' kid is the RFC 7638 thumbprint of alg, kty, pub
    assert jwk.to_dict(private=True) == members
    assert "priv" not in jwk.public().to_dict()
    token = example["jws"]
    assert minijwt.get_unverified_header(token) == {"alg": name, "kid": members["kid"]}
    payload = jws.verify(token, jwk.public(), algorithms=[name])
    assert payload.decode("utf-8").startswith("It\u2019s a dangerous business")
    with pytest.raises(minijwt.InvalidSignatureError):
        jws.verify(broken_signature(token), jwk.public(), algorithms=[name])
    # ML-DSA signing is hedged (FIPS 204 §3.4): a new signature differs, and both verify.
    again = jws.sign(payload, jwk, name, headers={"kid": members["kid"]})
    assert again != token
    assert jws.verify(again, jwk.public(), algorithms=[name]) == payload


# --- keys: made, signed with, pinned to their parameter set -------------------------------------


@needs_ml_dsa
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_every_parameter_set_signs_and_verifies_everywhere(name: str) -> None:
    jwk = JWK.generate(name, kid="pq")
    assert isinstance(jwk.key, AKPKey)
    assert (jwk.kty, jwk.alg, jwk.key.alg, jwk.key.size) == ("AKP", name, name, SIZES[name][0] * 8)
    token = minijwt.encode({"sub": "alice", "exp": NOW + 60}, jwk, name)
    signature = b64u(token.rsplit(".", 1)[1])
    assert len(signature) == SIZES[name][1]
    public = jwk.public()
    assert minijwt.decode(token, public, algorithms=[name], now=NOW)["sub"] == "alice"
    assert minijwt.JWTVerifier(public, algorithms=name).decode(token, now=NOW)["sub"] == "alice"
    assert asyncio.run(minijwt.adecode(token, JWKSet([public]), algorithms=[name], now=NOW))["sub"] == "alice"
    assert jws.verify(token, public.key, algorithms=[name]) == b'{"sub":"alice","exp":1800000060}'
    general = jws.sign_json(b"payload", jws.Signer(jwk, name, header={"kid": "pq"}))
    assert jws.verify_json(general, public, algorithms=[name]).payload == b"payload"
    with pytest.raises(minijwt.InvalidSignatureError):
        minijwt.decode(broken_signature(token), public, algorithms=[name], now=NOW)


@needs_ml_dsa
def test_a_key_serves_only_its_own_parameter_set() -> None:
    keys = {name: JWK.generate(name).key for name in PARAMETER_NAMES}
    for name, key in keys.items():
        for other in PARAMETER_NAMES:
            problem = misfit(minijwt.ALGORITHMS[other], key)
            assert (problem is None) is (other == name), (name, other)
    # ML-DSA-87's key is larger than ML-DSA-65's: the pin is not a size rule.
    assert misfit(minijwt.ALGORITHMS["ML-DSA-65"], keys["ML-DSA-87"]) == (
        "ML-DSA-65 needs an ML-DSA-65 key, but the key is an ML-DSA-87 key"
    )
    with pytest.raises(InvalidKeyError, match="ML-DSA-65 key"):
        minijwt.JWTVerifier(keys["ML-DSA-87"], algorithms=["ML-DSA-65"])
    with pytest.raises(InvalidKeyError):
        minijwt.encode({}, keys["ML-DSA-44"], "ML-DSA-65")
    with pytest.raises(InvalidKeyError):
        JWK(key=keys["ML-DSA-44"], alg="ML-DSA-65")


@needs_ml_dsa
def test_a_token_naming_another_parameter_set_than_its_key_is_refused() -> None:
    k44, k65 = JWK.generate("ML-DSA-44", kid="a"), JWK.generate("ML-DSA-65", kid="b")
    keys = JWKSet([k44.public(), k65.public()])
    both = ["ML-DSA-44", "ML-DSA-65"]
    verifier = minijwt.JWTVerifier(keys, algorithms=both)
    # The 65 key's signature under the 44 key's kid, and a header naming 44 with the 65 key's kid.
    forged = minijwt.encode({}, k65, "ML-DSA-65", headers={"kid": "a"})
    with pytest.raises(minijwt.InvalidTokenError) as caught:
        verifier.decode(forged)
    assert isinstance(caught.value, (minijwt.KeyNotFoundError, minijwt.InvalidSignatureError))
    _, payload, signature = minijwt.encode({}, k65, "ML-DSA-65", headers={"kid": "b"}).split(".")
    relabelled = b64u_encode(json.dumps({"alg": "ML-DSA-44", "kid": "b"}).encode())
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(f"{relabelled}.{payload}.{signature}")
    # A single key pinned to 44 never verifies a 65 token: the algorithm is not its own.
    with pytest.raises(minijwt.InvalidAlgorithmError):
        minijwt.decode(forged, k44.public(), algorithms=["ML-DSA-44"])


@needs_ml_dsa
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_signatures_of_the_wrong_length_are_invalid_before_the_backend(name: str) -> None:
    jwk = JWK.generate(name)
    header, payload, signature = minijwt.encode({}, jwk, name).split(".")
    raw = b64u(signature)
    for wrong in (raw[:-1], raw + b"\0", b"", raw * 2, raw[: SIZES["ML-DSA-44"][1]]):
        if len(wrong) == len(raw):
            continue
        with pytest.raises(minijwt.InvalidSignatureError):
            minijwt.decode(f"{header}.{payload}.{b64u_encode(wrong)}", jwk.public(), algorithms=[name])


# --- every spelling of a key ---------------------------------------------------------------------


def _certificate(public: Any) -> Any:
    """A self-issued certificate whose subject key is ``public``, signed by a throwaway EC key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pq.example")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    builder = x509.CertificateBuilder(name, name, public, 1, start, start + datetime.timedelta(days=365))
    return builder.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())


@needs_ml_dsa
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_every_spelling_of_a_key_loads_as_the_same_akp_key(name: str) -> None:
    from cryptography.hazmat.primitives import serialization

    private = PARAMETER_SETS[name].private_type().generate()
    public = private.public_key()
    raw_public = public.public_bytes_raw()
    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    spki, pkcs8 = serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    cert = _certificate(public)
    spellings: list[Any] = [
        private,
        public,
        cert,
        public.public_bytes(pem, spki),
        public.public_bytes(pem, spki).decode(),
        public.public_bytes(der, spki),
        private.private_bytes(pem, pkcs8, none),
        private.private_bytes(der, pkcs8, none),
        cert.public_bytes(pem),
        cert.public_bytes(der),
    ]
    for spelling in spellings:
        key = JWK.from_key(spelling).key
        assert isinstance(key, AKPKey)
        assert (key.alg, key.public.public_bytes_raw()) == (name, raw_public)
    encrypted = private.private_bytes(pem, pkcs8, serialization.BestAvailableEncryption(b"pw"))
    loaded = minijwt.load_key(encrypted, password="pw")
    assert isinstance(loaded, AKPKey)
    assert loaded.private is not None
    jwk = JWK.from_key(private)
    assert JWK.from_pem(jwk.to_pem(private=True)).to_dict(private=True) == jwk.to_dict(private=True)
    assert JWK.from_pem(jwk.to_pem()).thumbprint() == jwk.thumbprint()


@needs_ml_dsa
def test_akp_key_checks_its_halves() -> None:
    a, b = (PARAMETER_SETS["ML-DSA-44"].private_type().generate() for _ in range(2))
    c = PARAMETER_SETS["ML-DSA-65"].private_type().generate()
    assert AKPKey(public=a.public_key(), private=a).alg == "ML-DSA-44"
    mismatched: list[tuple[Any, Any]] = [(a.public_key(), b), (a.public_key(), c), (a, None), (b"x", None)]
    for public, private in mismatched:
        with pytest.raises(InvalidKeyError):
            AKPKey(public=public, private=private)
    assert "private" not in repr(AKPKey(public=a.public_key(), private=a)).split("(")[1]


# --- JWK (RFC 9964 §6) ---------------------------------------------------------------------------


@needs_ml_dsa
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_the_jwk_holds_alg_pub_and_the_seed(name: str) -> None:
    jwk = JWK.generate(name, kid="k")
    private = jwk.to_dict(private=True)
    assert set(private) == {"kty", "kid", "alg", "pub", "priv"}
    assert (private["kty"], private["alg"]) == ("AKP", name)
    assert len(b64u(private["pub"])) == SIZES[name][0]
    assert len(b64u(private["priv"])) == SEED_SIZE
    assert set(jwk.to_dict()) == {"kty", "kid", "alg", "pub"}
    again = JWK.from_dict(private)
    assert again.to_dict(private=True) == private
    # A key from its seed alone is the same key: FIPS 204 §6.1 expands the seed.
    seed = b64u(private["priv"])
    expanded = PARAMETER_SETS[name].private_type().from_seed_bytes(seed)
    assert b64u_encode(expanded.public_key().public_bytes_raw()) == private["pub"]


@needs_ml_dsa
def test_the_thumbprint_hashes_alg_kty_and_pub_in_order() -> None:
    import hashlib

    jwk = JWK.generate("ML-DSA-44", kid="not hashed")
    members = jwk.to_dict()
    canonical = json.dumps({"alg": members["alg"], "kty": "AKP", "pub": members["pub"]}, separators=(",", ":"))
    expected = b64u_encode(hashlib.sha256(canonical.encode()).digest())
    assert jwk.thumbprint() == expected == JWK.from_dict({**members, "use": "sig", "kid": "x"}).thumbprint()
    assert JWK.generate("ML-DSA-44").kid != JWK.generate("ML-DSA-44").kid


def _akp(name: str = "ML-DSA-44") -> dict[str, Any]:
    return JWK.generate(name).to_dict(private=True)


@needs_ml_dsa
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alg": None}, "'alg' is missing"),
        ({"alg": 65}, "'alg' is missing or not a string"),
        ({"alg": "ML-DSA-66"}, "not supported"),
        ({"alg": "RS256"}, "not supported"),
        ({"alg": "ML-DSA-65"}, "'pub' must be 1952 bytes long"),
        ({"pub": None}, "'pub' is missing"),
        ({"pub": "AAAA"}, "'pub' must be 1312 bytes long"),
        ({"pub": 7}, "'pub' must be a string"),
        ({"priv": "AAAA"}, "'priv' must be 32 bytes long"),
        ({"priv": b64u_encode(bytes(33))}, "'priv' must be 32 bytes long"),
        ({"priv": b64u_encode(bytes(32))}, "does not match"),
    ],
)
def test_a_malformed_akp_jwk_is_refused(change: dict[str, Any], message: str) -> None:
    members = _akp()
    for name, value in change.items():
        if value is None:
            del members[name]
        else:
            members[name] = value
    with pytest.raises(InvalidKeyError, match=message):
        JWK.from_dict(members)


@needs_ml_dsa
def test_a_member_of_the_wrong_length_costs_nothing() -> None:
    import time

    members = _akp()
    members["pub"] = "A" * 1_000_000
    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(InvalidKeyError, match="1312 bytes long"):
            JWK.from_dict(members)
    # A hang or a decode of each megabyte would take seconds; this is a ceiling, not a speed claim.
    assert time.perf_counter() - started < 5


@needs_ml_dsa
def test_an_embedded_akp_key_verifies_and_a_private_one_is_refused() -> None:
    jwk = JWK.generate("ML-DSA-65")
    token = jws.sign(b"proof", jwk, "ML-DSA-65", headers={"jwk": jwk.public().to_dict()})
    assert jws.verify(token, minijwt.jws.EmbeddedJWK(algorithms=["ML-DSA-65"]), algorithms=["ML-DSA-65"]) == b"proof"
    leaked = jws.sign(b"proof", jwk, "ML-DSA-65", headers={"jwk": jwk.to_dict(private=True)})
    with pytest.raises(minijwt.InvalidTokenError):
        jws.verify(leaked, minijwt.jws.EmbeddedJWK(algorithms=["ML-DSA-65"]), algorithms=["ML-DSA-65"])


@needs_ml_dsa
def test_a_jwks_client_fetches_ml_dsa_keys_beside_rsa_ones() -> None:
    from minijwt.testing import FakeIssuer, fetch_from

    pq, classic = FakeIssuer("https://pq.test", "ML-DSA-65"), FakeIssuer("https://rsa.test", "RS256")
    client = minijwt.JWKSClient(pq.jwks_uri, fetch=fetch_from(pq, classic))
    token = pq.token("alice")
    assert minijwt.decode(token, client, algorithms=["ML-DSA-65", "RS256"], audience="api")["sub"] == "alice"
    merged = JWKSet.from_dict({"keys": [*pq.jwks()["keys"], *classic.jwks()["keys"]]})
    verifier = minijwt.JWTVerifier(merged, algorithms=["ML-DSA-65", "RS256"], audience="api")
    assert verifier.decode(token)["iss"] == "https://pq.test"
    assert verifier.decode(classic.token("bob"))["iss"] == "https://rsa.test"


# --- algorithm confusion -------------------------------------------------------------------------


def _spellings(der_public: bytes, der_private: bytes, jwk_json: str) -> list[bytes]:
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der_public) + b"-----END PUBLIC KEY-----\n"
    return [
        der_public,
        der_private,
        pem,
        base64.b64encode(der_public),
        base64.urlsafe_b64encode(der_private).rstrip(b"="),
        base64.encodebytes(pem),
        b"\xef\xbb\xbf " + der_public + b"\n",
        jwk_json.encode(),
    ]


@needs_ml_dsa
@given(name=st.sampled_from(PARAMETER_NAMES), which=st.integers(0, 7), as_text=st.booleans())
def test_no_spelling_of_an_ml_dsa_key_is_an_hmac_secret(name: str, which: int, as_text: bool) -> None:
    data = _spellings(*_material(name))[which]
    key: str | bytes = data.decode("latin-1") if as_text and data.isascii() else data
    for attempt in (
        lambda: minijwt.SecretKey(data),
        lambda: minijwt.decode("e30.e30.AA", key, algorithms=["HS256"]),
        lambda: minijwt.encode({}, key, "HS256"),
        lambda: JWK.from_dict({"kty": "oct", "k": b64u_encode(data)}),
    ):
        with pytest.raises((InvalidKeyError, minijwt.InvalidTokenError)) as caught:
            attempt()
        assert "HMAC" in str(caught.value) or isinstance(caught.value, InvalidKeyError)


def _material(name: str) -> tuple[bytes, bytes, str]:
    """DER of a public and a private key of ``name``, and its public JWK (the session's key, made once)."""
    from cryptography.hazmat.primitives import serialization

    private: Any = private_key_for(name)
    return (
        private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        JWK.from_key(private).public().to_json(),
    )


# --- hostile input: only minijwt's errors --------------------------------------------------------


@needs_ml_dsa
@given(
    alg=st.one_of(st.sampled_from([*PARAMETER_NAMES, "ML-DSA", "ml-dsa-44", ""]), st.integers(), st.none()),
    pub=st.one_of(st.binary(max_size=64).map(b64u_encode), st.integers(1300, 2600).map(lambda n: "A" * n)),
    priv=st.one_of(st.none(), st.binary(min_size=30, max_size=34).map(b64u_encode), st.text(max_size=50)),
)
def test_arbitrary_akp_members_raise_only_invalid_key_error(alg: Any, pub: str, priv: str | None) -> None:
    members: dict[str, Any] = {"kty": "AKP", "alg": alg, "pub": pub}
    if priv is not None:
        members["priv"] = priv
    with contextlib.suppress(InvalidKeyError):
        JWK.from_dict(members)
    skipped = JWKSet.from_dict({"keys": [members]}).skipped
    assert len(skipped) <= 1


@needs_ml_dsa
@given(signature=st.binary(max_size=5000), alg=st.sampled_from(PARAMETER_NAMES))
def test_arbitrary_signatures_are_invalid_signatures(signature: bytes, alg: str) -> None:
    jwk = JWK.from_key(private_key_for(alg))
    header, payload, _ = minijwt.encode({}, jwk, alg).split(".")
    with pytest.raises(minijwt.InvalidSignatureError):
        minijwt.decode(f"{header}.{payload}.{b64u_encode(signature)}", jwk.public(), algorithms=[alg])


# --- the gate: a cryptography without ML-DSA -----------------------------------------------------


@pytest.fixture
def without_ml_dsa(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as on a cryptography without ML-DSA: really (before 48), or refused as 47's backend does."""
    if ML_DSA_MISSING is None:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import mldsa

        def refuse(*args: object, **kwargs: object) -> None:
            raise UnsupportedAlgorithm("ML-DSA is not supported by this backend.")

        for size in ("44", "65", "87"):
            for kind, makers in (
                ("PrivateKey", ("generate", "from_seed_bytes")),
                ("PublicKey", ("from_public_bytes",)),
            ):
                for maker in makers:
                    monkeypatch.setattr(getattr(mldsa, f"MLDSA{size}{kind}"), maker, classmethod(refuse))
    minijwt.clear_caches()  # the answer of missing() is one of them
    yield
    monkeypatch.undo()
    minijwt.clear_caches()


def _outcome(call: Any) -> tuple[str, str]:
    try:
        call()
    except minijwt.MiniJWTError as exc:
        return type(exc).__name__, str(exc)
    return "accepted", ""


@pytest.mark.usefixtures("without_ml_dsa")
def test_without_ml_dsa_every_use_is_refused_with_what_is_needed() -> None:
    data = load_vectors("ml_dsa_65_key.json")  # made where ML-DSA runs: without it, none can be made
    secret, der = b"s" * 32, bytes.fromhex(data["der"])
    assert missing() == NEEDS
    assert [minijwt.ALGORITHMS[name].available for name in PARAMETER_NAMES] == [False, False, False]
    needs: dict[str, list[Callable[[], object]]] = {
        "InvalidOptionError": [
            lambda: minijwt.JWTVerifier(secret, algorithms=["ML-DSA-65"]),
            lambda: JWK.generate("ML-DSA-65"),
        ],
        "InvalidAlgorithmError": [lambda: minijwt.decode(data["token"], secret, algorithms=["HS256"])],
        "EncodeError": [lambda: minijwt.encode({}, secret, "ML-DSA-65")],
        "InvalidKeyError": [
            lambda: minijwt.load_key(data["pem"]),
            lambda: minijwt.load_key(der),
            lambda: minijwt.load_key(data["cert"]),
            lambda: JWK.from_dict(data["jwk"]),
            require,
        ],
    }
    for name, calls in needs.items():
        for call in calls:
            assert _outcome(call)[0] == name
            assert "cryptography 48 or newer" in _outcome(call)[1]
    # Never an HMAC secret, whatever cryptography can load.
    assert _outcome(lambda: minijwt.SecretKey(der))[0] == "InvalidKeyError"
    assert _outcome(lambda: minijwt.decode(data["token"], data["b64"], algorithms=["HS256"]))[0] == "InvalidKeyError"
    short = {**data["jwk"], "pub": "AAAA"}
    assert _outcome(lambda: JWK.from_dict(short)) == ("InvalidKeyError", "JWK member 'pub' must be 1952 bytes long")
    keys = JWKSet.from_dict({"keys": [data["jwk"]]})
    assert len(keys) == 0
    assert NEEDS in keys.skipped[0].reason


def test_der_names_its_parameter_set_whatever_cryptography_can_load() -> None:
    data = load_vectors("ml_dsa_65_key.json")
    der = bytes.fromhex(data["der"])
    assert der_form(der) == KeyForm(None, None, "ML-DSA-65")
    assert pem_form(data["pem"].encode()) == KeyForm(None, None, "ML-DSA-65")
    assert pem_form(data["cert"].encode()).ml_dsa == "ML-DSA-65"
    # The OID's last arc names the set: .17 is ML-DSA-44, .19 ML-DSA-87; another arc is no ML-DSA.
    oid = PARAMETER_SETS["ML-DSA-65"].oid
    for last, expected in ((0x11, "ML-DSA-44"), (0x13, "ML-DSA-87"), (0x14, None)):
        assert der_form(der.replace(oid, oid[:-1] + bytes([last]), 1)).ml_dsa == expected
    for name, row in PARAMETER_SETS.items():
        assert by_oid(row.oid) is row
        assert row.alg == name


# --- interop: jwcrypto, an independent implementation -------------------------------------------


def _jwcrypto_has_ml_dsa() -> bool:
    try:
        from jwcrypto import jws as jwcrypto_jws
    except ImportError:
        return False
    return "ML-DSA-65" in jwcrypto_jws.default_allowed_algs


interop = pytest.mark.skipif(
    ML_DSA_MISSING is not None or not _jwcrypto_has_ml_dsa(),
    reason="needs ML-DSA in cryptography (48 or newer) and in jwcrypto (1.6 or newer, which needs it)",
)


@interop
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_jwcrypto_verifies_minijwt_tokens_and_the_reverse(name: str) -> None:
    from jwcrypto import jwk as jwcrypto_jwk
    from jwcrypto import jws as jwcrypto_jws
    from jwcrypto.common import json_encode

    ours = JWK.generate(name, kid="ours")
    token = minijwt.encode({"sub": "alice"}, ours, name, headers={"kid": "ours"})
    checker = jwcrypto_jws.JWS()
    checker.deserialize(token)
    checker.allowed_algs = [name]
    checker.verify(jwcrypto_jwk.JWK(**ours.public().to_dict()))
    assert json.loads(checker.payload) == {"sub": "alice"}

    theirs = jwcrypto_jwk.JWK.generate(kty="AKP", alg=name, kid="theirs")
    signer = jwcrypto_jws.JWS(b'{"sub":"bob"}')
    signer.add_signature(theirs, None, json_encode({"alg": name, "kid": "theirs"}))
    their_token = signer.serialize(compact=True)
    public = JWK.from_dict(json.loads(theirs.export_public()))
    assert minijwt.decode(their_token, public, algorithms=[name]) == {"sub": "bob"}
    with pytest.raises(minijwt.InvalidSignatureError):
        minijwt.decode(broken_signature(their_token), public, algorithms=[name])


@interop
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_jwks_round_trip_between_minijwt_and_jwcrypto_with_equal_thumbprints(name: str) -> None:
    from jwcrypto import jwk as jwcrypto_jwk

    ours = JWK.generate(name, kid="k")
    for private in (True, False):
        theirs = jwcrypto_jwk.JWK(**ours.to_dict(private=private))
        assert theirs.thumbprint() == ours.thumbprint()
        exported = json.loads(theirs.export(private_key=private))
        assert JWK.from_dict(exported).to_dict(private=private) == ours.to_dict(private=private)
    generated = jwcrypto_jwk.JWK.generate(kty="AKP", alg=name)
    loaded = JWK.from_dict(json.loads(generated.export(private_key=True)))
    assert loaded.is_private
    assert loaded.thumbprint() == generated.thumbprint()
    assert loaded.public().to_dict() == {**json.loads(generated.export_public())}


@pytest.mark.skipif(ML_DSA_MISSING is None, reason="only where cryptography has no ML-DSA (it loads this key)")
def test_without_ml_dsa_an_encrypted_key_says_what_it_may_need() -> None:
    # An encrypted key's type is known only once decrypted, which needs the cryptography that lacks it.
    data = load_vectors("ml_dsa_65_key.json")
    with pytest.raises(InvalidKeyError, match="cryptography 48 or newer") as caught:
        minijwt.load_key(data["encrypted_private_pem"], password=data["encrypted_password"])
    assert "if it is an ML-DSA key" in str(caught.value)


def test_an_unloadable_pem_names_ml_dsa_only_where_it_is_missing(request: pytest.FixtureRequest) -> None:
    empty = "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"  # an empty SEQUENCE: no key at all
    refused = "the PEM block 'PUBLIC KEY' could not be loaded: it is malformed, or holds a key type or curve"
    if ML_DSA_MISSING is None:
        with pytest.raises(InvalidKeyError) as caught:
            minijwt.load_key(empty)
        assert str(caught.value) == f"{refused} that JOSE does not sign with"
    request.getfixturevalue("without_ml_dsa")
    with pytest.raises(InvalidKeyError) as caught:
        minijwt.load_key(empty)
    assert str(caught.value) == f"{refused} that JOSE does not sign with ({NEEDS}, if it is an ML-DSA key)"
