"""The JWS JSON serialization, detached and unencoded payloads, and ``crit`` declared by the caller.

Published vectors (RFC 7520 §4.5-4.8, RFC 7797 §4), round trips over any
payload and mixed signers, every malformed shape, the ``require`` policies,
:class:`~minijwt.jws.EmbeddedJWK`, and interoperability with jwcrypto.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws
from strategies import jws_signer_specs
from support import b64u, jwk_to_key, load_vectors, private_key_for, signing_and_verifying_key

import minijwt
from minijwt import (
    JWK,
    DecodeError,
    EncodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidSignatureError,
    InvalidTokenError,
    Key,
    KeyNotFoundError,
    jws,
)
from minijwt._algorithms import Algorithm
from minijwt._base64url import b64encode
from minijwt._keyload import prepare_key
from minijwt.jws import EmbeddedJWK, Signer

SECRET = b"0123456789abcdef0123456789abcdef"
OTHER = b"another-secret-of-32-bytes-length"

RFC7520 = load_vectors("rfc7520_json.json")
RFC7520_KEYS = load_vectors("rfc7520_keys.json")
RFC7520_PAYLOAD = b64u(RFC7520["payload_b64"])
RFC7797 = load_vectors("rfc7797.json")
HMAC_KEY = jwk_to_key(RFC7520_KEYS["3.5"])
HMAC_KID = RFC7520_KEYS["3.5"]["kid"]
RSA_KEY = jwk_to_key(RFC7520_KEYS["3.4"])
EC_KEY = jwk_to_key(RFC7520_KEYS["3.2"])
BILBO = "bilbo.baggins@hobbiton.example"


def _vector(section: str) -> dict[str, Any]:
    return next(vector for vector in RFC7520["vectors"] if vector["section"] == section)


class ByAlg:
    """A key source answering by algorithm: RFC 7520 §4.8 signs with three keys, two sharing a kid."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self.keys = {alg: prepare_key(key) for alg, key in keys.items()}

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        try:
            return self.keys[alg.name]
        except KeyError:
            raise KeyNotFoundError("no key for this algorithm") from None


class ByKid:
    """A key source answering by ``kid``, whatever the key type."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self.keys = {kid: prepare_key(key) for kid, key in keys.items()}

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        try:
            return self.keys[header["kid"]]
        except KeyError:
            raise KeyNotFoundError("unknown kid") from None


# --- RFC 7520 §4.5-4.8 ---------------------------------------------------------------


def test_rfc7520_4_5_detached_verifies_in_every_serialization() -> None:
    vector = _vector("4.5")
    options: dict[str, Any] = {"algorithms": ["HS256"], "payload": RFC7520_PAYLOAD}
    assert jws.verify(vector["compact"], HMAC_KEY, **options) == RFC7520_PAYLOAD
    for form in ("general", "flattened"):
        result = jws.verify_json(vector[form], HMAC_KEY, form=form, **options)
        assert result.payload == RFC7520_PAYLOAD
        assert result.header == {"alg": "HS256", "kid": HMAC_KID}
        assert [signature.verified for signature in result.signatures] == [True]
    with pytest.raises(InvalidSignatureError):
        jws.verify(vector["compact"], HMAC_KEY, algorithms=["HS256"], payload=RFC7520_PAYLOAD + b"!")


def test_rfc7520_4_5_detached_signing_is_byte_exact() -> None:
    vector = _vector("4.5")
    headers = {"kid": HMAC_KID}
    assert jws.sign(RFC7520_PAYLOAD, HMAC_KEY, "HS256", headers=headers, detached=True) == vector["compact"]
    signer = Signer(HMAC_KEY, "HS256", protected=headers)
    assert jws.sign_json(RFC7520_PAYLOAD, signer, detached=True) == vector["flattened"]
    assert jws.sign_json(RFC7520_PAYLOAD, [signer], detached=True, flattened=False) == vector["general"]


def test_rfc7520_4_6_protected_and_unprotected_members() -> None:
    vector = _vector("4.6")
    for form in ("general", "flattened"):
        result = jws.verify_json(vector[form], HMAC_KEY, algorithms=["HS256"])
        assert result.payload == RFC7520_PAYLOAD
        assert result.signatures[0].protected == {"alg": "HS256"}
        assert result.signatures[0].header == {"kid": HMAC_KID}
    signer = Signer(HMAC_KEY, "HS256", header={"kid": HMAC_KID})
    assert jws.sign_json(RFC7520_PAYLOAD, signer) == vector["flattened"]
    assert jws.sign_json(RFC7520_PAYLOAD, signer, flattened=False) == vector["general"]
    # The text form, as it travels, verifies too.
    assert jws.verify_json(json.dumps(vector["general"]), HMAC_KEY, algorithms=["HS256"]).payload == RFC7520_PAYLOAD


def test_rfc7520_4_7_content_only_needs_the_unprotected_alg_opt_in() -> None:
    vector = _vector("4.7")
    for form in ("general", "flattened"):
        with pytest.raises(InvalidAlgorithmError, match="unprotected"):
            jws.verify_json(vector[form], HMAC_KEY, algorithms=["HS256"])
        result = jws.verify_json(vector[form], HMAC_KEY, algorithms=["HS256"], allow_unprotected_alg=True)
        assert result.payload == RFC7520_PAYLOAD
        assert result.header == {}
        assert result.signatures[0].header == {"alg": "HS256", "kid": HMAC_KID}


def test_rfc7520_4_8_multiple_signatures() -> None:
    vector = _vector("4.8")
    keys = ByAlg({"RS256": RSA_KEY.public_key(), "ES512": EC_KEY.public_key(), "HS256": HMAC_KEY})
    algorithms = ["RS256", "ES512", "HS256"]
    every = jws.verify_json(vector["general"], keys, algorithms=algorithms, allow_unprotected_alg=True, require="all")
    assert every.payload == RFC7520_PAYLOAD
    assert [signature.verified for signature in every.signatures] == [True, True, True]
    assert [signature.header.get("kid") for signature in every.signatures] == [BILBO, BILBO, None]
    # Without the opt-in, the second signature's alg (unprotected) is not used.
    some = jws.verify_json(vector["general"], keys, algorithms=algorithms)
    assert [signature.verified for signature in some.signatures] == [True, False, True]
    assert some.header == {"alg": "RS256"}
    with pytest.raises(InvalidAlgorithmError):
        jws.verify_json(vector["general"], keys, algorithms=algorithms, require="all")
    with pytest.raises(DecodeError, match="general"):
        jws.verify_json(vector["general"], keys, algorithms=algorithms, form="flattened")


def test_rfc7520_4_8_deterministic_signatures_are_byte_exact() -> None:
    """RS256 (PKCS#1 v1.5) and HS256 are deterministic; the ES512 one is checked above."""
    vector = _vector("4.8")["general"]
    signers = [
        Signer(RSA_KEY, "RS256", header={"kid": BILBO}),
        Signer(HMAC_KEY, "HS256", protected={"kid": HMAC_KID}),
    ]
    signed = jws.sign_json(RFC7520_PAYLOAD, signers)
    assert signed["payload"] == vector["payload"]
    assert signed["signatures"] == [vector["signatures"][0], vector["signatures"][2]]


# --- RFC 7797 §4 ---------------------------------------------------------------------


RFC7797_KEY = b64u(RFC7797["jwk"]["k"])
RFC7797_PAYLOAD = RFC7797["payload"].encode()
UNENCODED = {"b64": False, "crit": ["b64"]}


def test_rfc7797_4_1_encoded_payload_is_byte_exact() -> None:
    vector = RFC7797["vectors"][0]
    assert jws.sign(RFC7797_PAYLOAD, RFC7797_KEY, "HS256") == vector["compact"]
    assert jws.verify(vector["compact"], RFC7797_KEY, algorithms=["HS256"]) == RFC7797_PAYLOAD


def test_rfc7797_4_2_unencoded_detached_payload_is_byte_exact() -> None:
    vector = RFC7797["vectors"][1]
    token = jws.sign(RFC7797_PAYLOAD, RFC7797_KEY, "HS256", headers=UNENCODED, detached=True)
    assert token == vector["compact"]
    assert b64u(token.split(".")[0]).decode() == vector["protected_header"]
    assert jws.verify(token, RFC7797_KEY, algorithms=["HS256"], payload=RFC7797_PAYLOAD) == RFC7797_PAYLOAD
    result = jws.verify_complete(token, RFC7797_KEY, algorithms=["HS256"], payload="$.02")
    assert result.header == {"alg": "HS256", "b64": False, "crit": ["b64"]}
    # The same signature in the JSON serialization, detached and attached.
    protected, _, signature = vector["compact"].split(".")
    flattened = jws.sign_json(RFC7797_PAYLOAD, Signer(RFC7797_KEY, "HS256", protected=UNENCODED), detached=True)
    assert flattened == {"protected": protected, "signature": signature}
    attached = jws.sign_json(RFC7797_PAYLOAD, Signer(RFC7797_KEY, "HS256", protected=UNENCODED))
    assert attached == {"payload": "$.02", "protected": protected, "signature": signature}
    for signed, payload in ((flattened, RFC7797_PAYLOAD), (attached, None)):
        assert jws.verify_json(signed, RFC7797_KEY, algorithms=["HS256"], payload=payload).payload == RFC7797_PAYLOAD


def test_the_unencoded_signing_input_is_the_payload_itself() -> None:
    """RFC 7797 §3: ASCII(BASE64URL(protected)) || '.' || payload: bytes that are not base64url verify."""
    from minijwt._header import signing_input

    assert signing_input("eyJ9", b"$.02") == b"eyJ9.$.02"
    token = jws.sign(b"a b~c", SECRET, "HS256", headers=UNENCODED)
    assert token.split(".")[1] == "a b~c"
    assert jws.verify(token, SECRET, algorithms=["HS256"]) == b"a b~c"


# --- round trips -------------------------------------------------------------------


def _keys_of(specs: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> tuple[list[Signer], ByKid]:
    signers, verifying = [], {}
    for alg, kid, protected, unprotected in specs:
        private, public = signing_and_verifying_key(alg)
        signers.append(Signer(private, alg, protected=protected, header=unprotected or None))
        verifying[kid] = public
    return signers, ByKid(verifying)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(
    payload=st.binary(max_size=200),
    b64=st.booleans(),
    detached=st.booleans(),
    data=st.data(),
)
def test_json_round_trip(payload: bytes, b64: bool, detached: bool, data: st.DataObject) -> None:
    specs = data.draw(jws_signer_specs(b64))
    flattened = data.draw(st.sampled_from([None, False] if len(specs) > 1 else [None, True, False]))
    signers, keys = _keys_of(specs)
    algorithms = sorted({spec[0] for spec in specs})
    if not b64 and not detached and not _is_utf8(payload):
        with pytest.raises(EncodeError, match="UTF-8"):
            jws.sign_json(payload, signers, flattened=flattened)
        return
    signed = jws.sign_json(payload, signers, detached=detached, flattened=flattened)
    is_flattened = len(specs) == 1 if flattened is None else flattened
    assert ("signatures" not in signed) is is_flattened
    assert ("payload" in signed) is not detached
    form: Literal["flattened", "general"] = "flattened" if is_flattened else "general"
    given_payload = payload if detached else None
    text = json.dumps(signed)
    for jws_input in (signed, text, text.encode()):
        result = jws.verify_json(
            jws_input, keys, algorithms=algorithms, payload=given_payload, require="all", form=form
        )
        assert result.payload == payload
        assert len(result.signatures) == len(specs)
        for signature, (alg, _, protected, unprotected) in zip(result.signatures, specs, strict=True):
            assert signature.verified
            assert signature.protected == {"alg": alg, **protected}
            assert signature.header == unprotected
            assert signature.thumbprint is None
    other: Literal["flattened", "general"] = "general" if is_flattened else "flattened"
    with pytest.raises(DecodeError, match=f"the {other} one is required"):
        jws.verify_json(signed, keys, algorithms=algorithms, payload=given_payload, form=other)


@given(
    payload=st.binary(max_size=200),
    b64=st.booleans(),
    detached=st.booleans(),
    alg=st.sampled_from(["HS256", "ES256", "EdDSA"]),
)
def test_compact_round_trip(payload: bytes, b64: bool, detached: bool, alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    headers = None if b64 else UNENCODED
    carried = not b64 and not detached
    if carried and not all(0x20 <= byte < 0x7F and byte != ord(".") for byte in payload):
        with pytest.raises(EncodeError, match="detached"):
            jws.sign(payload, private, alg, headers=headers)
        return
    token = jws.sign(payload, private, alg, headers=headers, detached=detached)
    assert token.count(".") == 2
    assert (token.split(".")[1] == "") is (detached or payload == b"")
    assert jws.verify(token, public, algorithms=[alg], payload=payload if detached else None) == payload


# --- malformed serializations ----------------------------------------------------


def _flattened(payload: bytes = b"{}", **headers: Any) -> dict[str, Any]:
    return jws.sign_json(payload, Signer(SECRET, "HS256", **headers))


def _general(count: int = 2) -> dict[str, Any]:
    return jws.sign_json(b"{}", [Signer(SECRET, "HS256", header={"kid": f"k{i}"}) for i in range(count)])


def _protected(header: dict[str, Any]) -> str:
    return b64encode(json.dumps(header).encode())


GOOD = _flattened()
GOOD_GENERAL = _general()
SIGNATURE = GOOD["signature"]


def _hs256(
    protected: dict[str, Any] | None, payload: str = "e30", header: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A flattened JWS whose signature is right for whatever protected header is given."""
    from minijwt._algorithms import get_algorithm
    from minijwt._keyload import prepare_key

    segment = _protected(protected) if protected is not None else ""
    signature = get_algorithm("HS256").sign(prepare_key(SECRET), f"{segment}.{payload}".encode())
    out: dict[str, Any] = {"payload": payload}
    if protected is not None:
        out["protected"] = segment
    if header is not None:
        out["header"] = header
    out["signature"] = b64encode(signature)
    return out


MALFORMED: list[tuple[str, object, str]] = [
    ("not JSON", "{not json", "not valid JSON"),
    ("a JSON array", "[]", "a JSON object is expected"),
    ("a JSON string", '"x"', "JSON serialization"),
    (
        "duplicated member",
        '{"payload":"e30","payload":"e30","protected":"eyJhbGciOiJIUzI1NiJ9","signature":"AA"}',
        "duplicate",
    ),
    ("no signature member", {"payload": "e30", "protected": GOOD["protected"]}, "neither"),
    ("signature not a string", {**GOOD, "signature": 1}, "'signature' must be a string"),
    ("signature bad base64url", {**GOOD, "signature": SIGNATURE + "="}, "base64url"),
    ("protected not a string", {**GOOD, "protected": {"alg": "HS256"}}, "'protected' must be"),
    ("protected empty", {**GOOD, "protected": ""}, "'protected' must be"),
    ("protected bad base64url", {**GOOD, "protected": GOOD["protected"] + "+"}, "base64url"),
    ("protected not an object", {**GOOD, "protected": b64encode(b"[]")}, "not a JSON object"),
    ("header not an object", {**GOOD, "header": ["kid"]}, "'header' must be a JSON object"),
    ("payload not a string", {**GOOD, "payload": 1}, "'payload' must be a string"),
    ("payload bad base64url", {**GOOD, "payload": "e30="}, "base64url"),
    ("no payload", {"protected": GOOD["protected"], "signature": SIGNATURE}, "no payload"),
    ("overlapping names", _hs256({"alg": "HS256", "kid": "a"}, header={"kid": "a"}), "both the protected"),
    ("overlapping alg", _hs256({"alg": "HS256"}, header={"alg": "HS256"}), "both the protected"),
    ("crit unprotected", _hs256({"alg": "HS256", "x": 1}, header={"crit": ["x"]}), "integrity protected"),
    ("b64 unprotected", _hs256({"alg": "HS256"}, header={"b64": True}), "integrity protected"),
    ("crit malformed", _hs256({"alg": "HS256", "crit": []}), "non-empty list"),
    ("b64 not boolean", _hs256({"alg": "HS256", "b64": 0, "crit": ["b64"]}), "true or false"),
    ("b64 not critical", _hs256({"alg": "HS256", "b64": False}), "listed in 'crit'"),
    ("zero signatures", {"payload": "e30", "signatures": []}, "no signatures"),
    ("signatures not a list", {"payload": "e30", "signatures": {}}, "must be a list"),
    ("signature entry not an object", {"payload": "e30", "signatures": ["x"]}, "JSON object"),
    (
        "signature entry without signature",
        {"payload": "e30", "signatures": [{"protected": GOOD["protected"]}]},
        "no 'signature'",
    ),
    ("general and flattened mixed", {**GOOD_GENERAL, "signature": SIGNATURE}, "mixes"),
    ("a JWE", {"protected": GOOD["protected"], "ciphertext": "AA", "iv": "AA", "tag": "AA"}, "JWE"),
    ("not valid UTF-8", b'{"payload":"\xff"}', "UTF-8"),
    ("too long", " " * (256 * 1024 + 1), "longer than"),
    ("wrong type", 42, "must be str, bytes or a mapping"),
    ("not JSON-serializable mapping", {"payload": object()}, "cannot be encoded"),
]


@pytest.mark.parametrize(
    ("jws_input", "message"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_serializations_are_decode_errors(jws_input: object, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        jws.verify_json(jws_input, SECRET, algorithms=["HS256"])  # type: ignore[arg-type]


def test_b64_must_agree_across_signatures() -> None:
    encoded = _hs256({"alg": "HS256"})
    unencoded = _hs256({"alg": "HS256", "b64": False, "crit": ["b64"]})
    mixed = {
        "payload": "e30",
        "signatures": [
            {key: value for key, value in entry.items() if key != "payload"} for entry in (encoded, unencoded)
        ],
    }
    with pytest.raises(DecodeError, match="same for every signature"):
        jws.verify_json(mixed, SECRET, algorithms=["HS256"])
    with pytest.raises(EncodeError, match="same for every signature"):
        jws.sign_json(b"x", [Signer(SECRET, "HS256"), Signer(SECRET, "HS256", protected=UNENCODED)])


def test_form_mismatches() -> None:
    with pytest.raises(DecodeError, match="flattened syntax, but the general"):
        jws.verify_json(GOOD, SECRET, algorithms=["HS256"], form="general")
    with pytest.raises(DecodeError, match="general syntax, but the flattened"):
        jws.verify_json(GOOD_GENERAL, SECRET, algorithms=["HS256"], form="flattened")
    assert jws.verify_json(GOOD, SECRET, algorithms=["HS256"], form="flattened").payload == b"{}"
    assert jws.verify_json(GOOD_GENERAL, SECRET, algorithms=["HS256"], form="general").payload == b"{}"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["payload", "protected", "header", "signature", "signatures", "kid", "alg"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=10,
    )
)
def test_any_json_value_is_a_token_error_or_verifies(value: object) -> None:
    with contextlib.suppress(InvalidTokenError):
        jws.verify_json(json.dumps(value), SECRET, algorithms=["HS256"])


# --- detached and unencoded payloads ------------------------------------------------


def test_detached_unencoded_empty_body() -> None:
    signer = Signer(SECRET, "HS256", protected=UNENCODED)
    signed = jws.sign_json(b"", signer, detached=True)
    assert "payload" not in signed
    assert jws.verify_json(signed, SECRET, algorithms=["HS256"], payload=b"").payload == b""
    with pytest.raises(InvalidSignatureError):
        jws.verify_json(signed, SECRET, algorithms=["HS256"], payload=b"x")
    token = jws.sign(b"", SECRET, "HS256", headers=UNENCODED, detached=True)
    assert jws.verify(token, SECRET, algorithms=["HS256"], payload=b"") == b""
    with pytest.raises(InvalidSignatureError):
        jws.verify(token, SECRET, algorithms=["HS256"], payload=b"x")


def test_a_detached_payload_and_a_carried_one_are_never_mixed() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(DecodeError, match="carries a payload"):
        jws.verify(token, SECRET, algorithms=["HS256"], payload=b"x")
    with pytest.raises(DecodeError, match="carries a payload"):
        jws.verify_json(GOOD, SECRET, algorithms=["HS256"], payload=b"{}")
    detached = jws.sign_json(b"x", Signer(SECRET, "HS256"), detached=True)
    with pytest.raises(DecodeError, match="payload="):
        jws.verify_json(detached, SECRET, algorithms=["HS256"])


def test_unencoded_payloads_in_the_compact_form() -> None:
    # A '.' cannot be carried in a compact JWS: only detached.
    with pytest.raises(EncodeError, match=r"without '\.'"):
        jws.sign(b"$.02", SECRET, "HS256", headers=UNENCODED)
    with pytest.raises(EncodeError, match="printable ASCII"):
        jws.sign(b"caf\xc3\xa9", SECRET, "HS256", headers=UNENCODED)
    token = jws.sign(b"$.02", SECRET, "HS256", headers=UNENCODED, detached=True)
    assert jws.verify(token, SECRET, algorithms=["HS256"], payload=b"$.02") == b"$.02"
    # A non-ASCII unencoded payload in a str token is refused, not mis-read.
    header = _protected({"alg": "HS256", "b64": False, "crit": ["b64"]})
    with pytest.raises(DecodeError, match="ASCII"):
        jws.verify(f"{header}.café.{SIGNATURE}", SECRET, algorithms=["HS256"])


def test_unencoded_payloads_are_never_jwts() -> None:
    """RFC 7797 §7: a JWT's payload is always base64url-encoded."""
    token = jws.sign(b"{}", SECRET, "HS256", headers=UNENCODED)
    with pytest.raises(DecodeError, match="JWT"):
        minijwt.decode(token, SECRET, algorithms=["HS256"], crit=["b64"])
    with pytest.raises(DecodeError, match="JWT"):
        minijwt.JWTVerifier(SECRET, algorithms=["HS256"]).decode_complete(token)
    with pytest.raises(EncodeError, match="JWT"):
        minijwt.encode({}, SECRET, headers=UNENCODED)
    assert jws.verify(token, SECRET, algorithms=["HS256"]) == b"{}"


def test_detached_http_body() -> None:
    body = b'{"amount": 12.50, "currency": "EUR"}\n'
    private, public = signing_and_verifying_key("ES256")
    signature = jws.sign(body, private, "ES256", headers=UNENCODED, detached=True)
    assert body.decode() not in signature
    assert jws.verify(signature, public, algorithms=["ES256"], payload=body) == body
    with pytest.raises(InvalidSignatureError):
        jws.verify(signature, public, algorithms=["ES256"], payload=body.replace(b"12", b"92"))


# --- require="any" / "all" --------------------------------------------------------------


def test_one_good_and_one_bad_signature() -> None:
    signed = jws.sign_json(
        b"data",
        [Signer(SECRET, "HS256", header={"kid": "good"}), Signer(OTHER, "HS256", header={"kid": "bad"})],
    )
    result = jws.verify_json(signed, SECRET, algorithms=["HS256"])
    assert [(s.header["kid"], s.verified) for s in result.signatures] == [("good", True), ("bad", False)]
    assert result.header == {"alg": "HS256"}
    with pytest.raises(InvalidSignatureError):
        jws.verify_json(signed, SECRET, algorithms=["HS256"], require="all")
    # The bad one first: "any" still says which verified.
    reordered = {"payload": signed["payload"], "signatures": signed["signatures"][::-1]}
    result = jws.verify_json(reordered, SECRET, algorithms=["HS256"])
    assert [s.verified for s in result.signatures] == [False, True]
    with pytest.raises(InvalidSignatureError):
        jws.verify_json(signed, b"a-third-secret-that-is-32-bytes!!", algorithms=["HS256"])


def test_signatures_the_caller_does_not_allow_count_as_unverified() -> None:
    private, public = signing_and_verifying_key("ES256")
    signed = jws.sign_json(b"data", [Signer(SECRET * 2, "HS512", header={"kid": "h"}), Signer(private, "ES256")])
    result = jws.verify_json(signed, public, algorithms=["ES256"])
    assert [s.verified for s in result.signatures] == [False, True]
    with pytest.raises(InvalidAlgorithmError, match="not in the allowed"):
        jws.verify_json(signed, public, algorithms=["ES256"], require="all")


# --- crit declared by the caller ----------------------------------------------------


def test_crit_declared_by_the_caller() -> None:
    headers = {"exp": 1, "crit": ["exp"]}
    token = jws.sign(b"x", SECRET, "HS256", headers=headers)
    with pytest.raises(DecodeError, match="not supported"):
        jws.verify(token, SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="not supported"):
        jws.verify(token, SECRET, algorithms=["HS256"], crit=["other"])
    assert jws.verify(token, SECRET, algorithms=["HS256"], crit=["exp"]) == b"x"
    assert jws.verify(token, SECRET, algorithms=["HS256"], crit={"exp", "other"}) == b"x"
    signed = jws.sign_json(b"x", Signer(SECRET, "HS256", protected=headers))
    with pytest.raises(DecodeError, match="not supported"):
        jws.verify_json(signed, SECRET, algorithms=["HS256"])
    assert jws.verify_json(signed, SECRET, algorithms=["HS256"], crit=("exp",)).payload == b"x"


def test_crit_declared_for_jwts() -> None:
    token = minijwt.encode({"sub": "a"}, SECRET, headers={"ext": True, "crit": ["ext"]})
    with pytest.raises(DecodeError, match="not supported"):
        minijwt.decode(token, SECRET, algorithms=["HS256"])
    assert minijwt.decode(token, SECRET, algorithms=["HS256"], crit=["ext"]) == {"sub": "a"}
    assert minijwt.decode_complete(token, SECRET, algorithms=["HS256"], crit=["ext"]).header["crit"] == ["ext"]
    assert asyncio.run(minijwt.adecode(token, SECRET, algorithms=["HS256"], crit=["ext"])) == {"sub": "a"}
    verifier = minijwt.JWTVerifier(SECRET, algorithms=["HS256"], crit=["ext"])
    assert verifier.decode(token) == {"sub": "a"}
    assert asyncio.run(verifier.adecode(token)) == {"sub": "a"}
    with pytest.raises(DecodeError, match="not supported"):
        minijwt.JWTVerifier(SECRET, algorithms=["HS256"], crit=["other"]).decode(token)
    # A header parsed once for one verifier is not accepted by another that
    # does not understand its extension: the cache holds what it needs, not the verdict.
    with pytest.raises(DecodeError, match="not supported"):
        minijwt.JWTVerifier(SECRET, algorithms=["HS256"]).decode(token)


@pytest.mark.parametrize(
    ("crit", "message"),
    [
        ("exp", "list of header parameter names"),
        (b"exp", "list of header parameter names"),
        (42, "list of header parameter names"),
        ([1], "non-empty strings"),
        ([""], "non-empty strings"),
        (["alg"], "registered"),
        (["kid", "exp"], "registered"),
    ],
)
def test_bad_crit_options(crit: object, message: str) -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(InvalidOptionError, match=message):
        jws.verify(token, SECRET, algorithms=["HS256"], crit=crit)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match=message):
        jws.verify_json(GOOD, SECRET, algorithms=["HS256"], crit=crit)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match=message):
        minijwt.JWTVerifier(SECRET, algorithms=["HS256"], crit=crit)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match=message):
        minijwt.decode(minijwt.encode({}, SECRET), SECRET, algorithms=["HS256"], crit=crit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"require": "some"},
        {"require": None},
        {"form": "compact"},
        {"form": ["general"]},
        {"allow_unprotected_alg": 1},
        {"payload": 42},
        {"payload": bytearray(b"x")},
        {"max_token_size": 0},
        {"algorithms": []},
    ],
)
def test_bad_verify_json_options(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError):
        jws.verify_json(GOOD, SECRET, **{"algorithms": ["HS256"], **options})


# --- signing errors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("signers", "options", "message"),
    [
        ([], {}, "at least one"),
        ("HS256", {}, "Signer or a sequence"),
        ([object()], {}, "Signer objects"),
        ([Signer(SECRET, "HS256"), Signer(SECRET, "HS256")], {"flattened": True}, "exactly one"),
        ([Signer(SECRET, "HS256", header={"alg": "HS256"})], {}, "both the protected"),
        ([Signer(SECRET, "HS256", protected={"kid": "a"}, header={"kid": "a"})], {}, "both the protected"),
        ([Signer(SECRET, "HS256", header={"crit": ["x"]})], {}, "'crit' must be in the protected"),
        ([Signer(SECRET, "HS256", header={"b64": False})], {}, "'b64' must be in the protected"),
        ([Signer(SECRET, "HS256", header={"x": object()})], {}, "JSON"),
        ([Signer(SECRET, "HS256", header=["kid"])], {}, "mapping"),  # type: ignore[arg-type]
        ([Signer(SECRET, "HS256", header={1: "x"})], {}, "strings"),  # type: ignore[dict-item]
        ([Signer(SECRET, "none")], {}, "none"),
        ([Signer(SECRET, "HS256", protected={"crit": ["x"]})], {}, "not in the header"),
        ([Signer(SECRET, "HS256")], {"detached": 1}, "detached"),
        ([Signer(SECRET, "HS256")], {"flattened": "yes"}, "flattened"),
    ],
)
def test_sign_json_errors(signers: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        jws.sign_json(b"x", signers, **options)


def test_sign_json_key_errors_and_signer_repr() -> None:
    with pytest.raises(InvalidKeyError):
        jws.sign_json(b"x", Signer(b"short", "HS256"))
    with pytest.raises(InvalidKeyError):
        jws.sign_json(b"x", Signer(private_key_for("ES256").public_key(), "ES256"))
    assert "0123456789abcdef" not in repr(Signer(SECRET, "HS256"))
    with pytest.raises(AttributeError):
        Signer(SECRET, "HS256").algorithm = "HS512"  # type: ignore[misc]


# --- compact and JSON refuse each other -------------------------------------------------


def test_compact_and_json_refuse_each_other() -> None:
    text = json.dumps(GOOD)
    with pytest.raises(DecodeError, match="verify_json"):
        jws.verify(text, SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="verify_json"):
        minijwt.decode(text, SECRET, algorithms=["HS256"])
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(DecodeError, match=r"jws\.verify\)"):
        jws.verify_json(token, SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match=r"jws\.verify\)"):
        jws.verify_json(token.encode(), SECRET, algorithms=["HS256"])


def test_key_sources_choose_per_signature_and_configuration_errors_come_first() -> None:
    first, second = JWK.generate("ES256", kid="one"), JWK.generate("ES256", kid="two")
    keys = minijwt.JWKSet([first.public(), second.public()])
    signed = jws.sign_json(
        b"x", [Signer(first, "ES256", header={"kid": "one"}), Signer(second, "ES256", protected={"kid": "two"})]
    )
    result = jws.verify_json(signed, keys, algorithms=["ES256"], require="all")
    assert [s.verified for s in result.signatures] == [True, True]
    only_first = minijwt.JWKSet([first.public()])
    result = jws.verify_json(signed, only_first, algorithms=["ES256"])
    assert [s.verified for s in result.signatures] == [True, False]
    with pytest.raises(KeyNotFoundError):
        jws.verify_json(signed, only_first, algorithms=["ES256"], require="all")
    with pytest.raises(InvalidKeyError):
        jws.verify_json(signed, SECRET, algorithms=["ES256"])


def test_errors_never_echo_the_jws() -> None:
    marker = "SECRETMARKER" * 5
    cases: list[object] = [
        {"payload": marker, "protected": marker, "signature": marker},
        _hs256({"alg": marker}),
        _hs256({"alg": "HS256", marker: 1, "crit": [marker]}),
        _hs256({"alg": "HS256", marker: 1}, header={marker: 1}),
        {"payload": "e30", "signatures": [{"header": {"alg": marker}, "signature": "AA"}]},
        marker,
    ]
    for case in cases:
        with pytest.raises(minijwt.MiniJWTError) as info:
            jws.verify_json(case, SECRET, algorithms=["HS256"], allow_unprotected_alg=True)  # type: ignore[arg-type]
        assert marker not in str(info.value)


# --- EmbeddedJWK ------------------------------------------------------------------


ACCOUNT = JWK.generate("ES256")


def _acme(jwk: Mapping[str, Any] | None, key: Any = ACCOUNT, alg: str = "ES256", **extra: Any) -> dict[str, Any]:
    protected: dict[str, Any] = {"nonce": "n-1", "url": "https://acme.example/new-account"}
    if jwk is not None:
        protected["jwk"] = dict(jwk)
    return jws.sign_json(b'{"termsOfServiceAgreed":true}', Signer(key, alg, protected=protected, **extra))


def test_embedded_jwk_acme_style() -> None:
    signed = _acme(ACCOUNT.public().to_dict())
    result = jws.verify_json(signed, EmbeddedJWK(algorithms=["ES256", "RS256"]), algorithms=["ES256"])
    assert result.payload == b'{"termsOfServiceAgreed":true}'
    assert result.signatures[0].thumbprint == ACCOUNT.thumbprint()
    assert result.header["url"] == "https://acme.example/new-account"


def test_embedded_jwk_compact_gives_the_thumbprint() -> None:
    token = minijwt.encode(
        {"htm": "POST", "htu": "https://api.example/x"},
        ACCOUNT,
        "ES256",
        headers={"typ": "dpop+jwt", "jwk": ACCOUNT.public().to_dict()},
    )
    source = EmbeddedJWK(algorithms="ES256")
    assert jws.verify_complete(token, source, algorithms=["ES256"]).signatures[0].thumbprint == ACCOUNT.thumbprint()
    assert minijwt.decode(token, source, algorithms=["ES256"], typ="dpop+jwt")["htm"] == "POST"
    assert jws.verify_complete(token, ACCOUNT.public(), algorithms=["ES256"]).signatures[0].thumbprint is None


def test_embedded_jwk_of_another_key_does_not_verify() -> None:
    other = JWK.generate("ES256")
    signed = _acme(other.public().to_dict())  # signed by ACCOUNT, claims to be other
    with pytest.raises(InvalidSignatureError):
        jws.verify_json(signed, EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256"])


@pytest.mark.parametrize(
    ("jwk", "error", "message"),
    [
        (None, KeyNotFoundError, "no 'jwk'"),
        (ACCOUNT.to_dict(private=True), KeyNotFoundError, "private"),
        ({"kty": "oct", "k": b64encode(SECRET)}, KeyNotFoundError, "symmetric"),
        ({**ACCOUNT.public().to_dict(), "key_ops": ["sign"]}, KeyNotFoundError, "may not verify"),
        ({**ACCOUNT.public().to_dict(), "use": "enc"}, KeyNotFoundError, "may not verify"),
        ({**ACCOUNT.public().to_dict(), "alg": "ES384"}, DecodeError, "usable"),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, DecodeError, "usable"),
    ],
)
def test_embedded_jwk_refusals(jwk: Any, error: type[Exception], message: str) -> None:
    signed = _acme(jwk)
    with pytest.raises(error, match=message):
        jws.verify_json(signed, EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256"])
    assert issubclass(error, InvalidTokenError)


def test_embedded_jwk_refusals_of_shape_and_algorithm() -> None:
    unprotected = _acme(None, header={"jwk": ACCOUNT.public().to_dict()})
    with pytest.raises(DecodeError, match="unprotected"):
        jws.verify_json(unprotected, EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256"])
    not_an_object = _acme(None)
    not_an_object["protected"] = _protected({"alg": "ES256", "jwk": "x"})
    with pytest.raises(DecodeError, match="JSON object"):
        jws.verify_json(not_an_object, EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256"])
    rsa = JWK.generate("RS256")
    signed = _acme(rsa.public().to_dict(), key=rsa, alg="RS256")
    with pytest.raises(KeyNotFoundError, match="not accepted"):
        jws.verify_json(signed, EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256", "RS256"])
    with pytest.raises(InvalidKeyError):
        jws.verify_json(signed, EmbeddedJWK(algorithms=["ES256"]), algorithms=["RS256"])
    # An HMAC token naming an embedded secret never gets that far.
    hmac = jws.sign(b"x", SECRET, "HS256", headers={"jwk": {"kty": "oct", "k": b64encode(SECRET)}})
    with pytest.raises(InvalidKeyError):
        jws.verify(hmac, EmbeddedJWK(algorithms=["ES256"]), algorithms=["HS256"])


@pytest.mark.parametrize("algorithms", [["HS256"], ["ES256", "HS512"], [], "none"])
def test_embedded_jwk_takes_asymmetric_algorithms_only(algorithms: Any) -> None:
    with pytest.raises(InvalidOptionError) as refused:
        EmbeddedJWK(algorithms=algorithms)
    hmac = [name for name in algorithms if name.startswith("HS")] if isinstance(algorithms, list) else []
    if hmac:  # the message says which algorithm would need the secret to travel
        assert str(refused.value) == (
            f"EmbeddedJWK takes asymmetric algorithms only: {', '.join(hmac)} would need the secret "
            "to travel with the message"
        )


def test_embedded_jwk_is_never_the_default() -> None:
    """A header's jwk is ignored by every other key: the token cannot choose its own key."""
    attacker = JWK.generate("ES256")
    signed = _acme(attacker.public().to_dict(), key=attacker)
    with pytest.raises(InvalidSignatureError):
        jws.verify_json(signed, ACCOUNT.public(), algorithms=["ES256"])
    assert EmbeddedJWK(algorithms=["ES256"]).algorithms == frozenset({"ES256"})
    assert "ES256" in repr(EmbeddedJWK(algorithms=["ES256"]))


# --- VerifiedJWS stays compatible --------------------------------------------------------


def test_verified_jws_keeps_its_compact_shape() -> None:
    built = jws.VerifiedJWS({"alg": "HS256"}, b"x")
    assert built.signatures == ()
    result = jws.verify_complete(jws.sign(b"x", SECRET, "HS256", headers={"kid": "k"}), SECRET, algorithms=["HS256"])
    assert (result.header, result.payload) == ({"alg": "HS256", "kid": "k"}, b"x")
    assert result.signatures == (jws.SignatureResult({"alg": "HS256", "kid": "k"}, {}, True),)
    result.signatures[0].protected["kid"] = "changed"
    assert result.header["kid"] == "k"


# --- interoperability with jwcrypto -------------------------------------------------------


def _jc(key: Any, kid: str) -> Any:
    if isinstance(key, bytes):
        return jc_jwk.JWK(kty="oct", k=b64encode(key), kid=kid)
    return jc_jwk.JWK.from_pyca(key)


def test_jwcrypto_json_verifies_in_minijwt() -> None:
    es_private, es_public = signing_and_verifying_key("ES256")
    token = jc_jws.JWS(b"interop payload")
    token.add_signature(_jc(SECRET, "h"), None, json.dumps({"alg": "HS256"}), json.dumps({"kid": "h"}))
    token.add_signature(_jc(es_private, "e"), None, json.dumps({"alg": "ES256", "kid": "e"}))
    general = token.serialize()
    keys = ByKid({"h": SECRET, "e": es_public})
    result = jws.verify_json(general, keys, algorithms=["HS256", "ES256"], require="all", form="general")
    assert result.payload == b"interop payload"
    single = jc_jws.JWS("$.02")  # jwcrypto serializes an unencoded payload given as text
    single.add_signature(_jc(SECRET, "h"), None, json.dumps({"alg": "HS256", "b64": False, "crit": ["b64"]}))
    flattened = single.serialize()
    assert json.loads(flattened)["payload"] == "$.02"
    assert jws.verify_json(flattened, SECRET, algorithms=["HS256"], form="flattened").payload == b"$.02"


def test_minijwt_json_verifies_in_jwcrypto() -> None:
    es_private, es_public = signing_and_verifying_key("ES256")
    signed = jws.sign_json(
        b"interop payload",
        [Signer(SECRET, "HS256", header={"kid": "h"}), Signer(es_private, "ES256", protected={"kid": "e"})],
    )
    for key in (_jc(SECRET, "h"), _jc(es_public, "e")):
        token = jc_jws.JWS()
        token.deserialize(json.dumps(signed))
        token.verify(key)
        assert token.payload == b"interop payload"
    detached = jws.sign_json(b"body", Signer(SECRET, "HS256"), detached=True)
    token = jc_jws.JWS()
    token.deserialize(json.dumps(detached))
    token.verify(_jc(SECRET, "h"), detached_payload=b"body")
    unencoded = jws.sign_json(b"$.02", Signer(SECRET, "HS256", protected=UNENCODED))
    token = jc_jws.JWS()
    token.deserialize(json.dumps(unencoded), _jc(SECRET, "h"))
    assert token.payload in (b"$.02", "$.02")  # jwcrypto hands an unencoded payload back as text


@pytest.mark.parametrize("kind", [str, bytes])
def test_a_json_serialization_as_long_as_max_token_size_is_accepted_one_longer_is_not(kind: type) -> None:
    text = json.dumps(GOOD)
    data: str | bytes = text if kind is str else text.encode()
    limit = len(data)
    assert jws.verify_json(data, SECRET, algorithms=["HS256"], max_token_size=limit).payload == b"{}"
    with pytest.raises(DecodeError, match="longer than the limit"):
        jws.verify_json(data, SECRET, algorithms=["HS256"], max_token_size=limit - 1)


@pytest.mark.parametrize("space", [" ", "\t", "\r\n", "\n  "])
def test_json_white_space_before_the_object_is_allowed(space: str) -> None:
    """RFC 8259 §2: white space (SP, HT, LF, CR) may precede the object, and may follow it."""
    for text in (space + json.dumps(GOOD), space + json.dumps(GOOD) + space):
        assert jws.verify_json(text, SECRET, algorithms=["HS256"]).payload == b"{}"
        assert jws.verify_json(text.encode(), SECRET, algorithms=["HS256"]).payload == b"{}"
