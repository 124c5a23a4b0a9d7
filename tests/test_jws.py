"""Compact JWS: the published vectors and every header and token rule."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support import b64u, jwk_to_key, load_vectors, private_key_for, signing_and_verifying_key

from minijwt import (
    DecodeError,
    EncodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidSignatureError,
    MiniJWTError,
    get_unverified_header,
    jws,
)
from minijwt._algorithms import get_algorithm
from minijwt._base64url import b64decode, b64encode
from minijwt._keyload import prepare_key

SECRET = b"0123456789abcdef0123456789abcdef"


def _make(header: Any, payload: bytes = b"{}", key: bytes = SECRET, alg: str = "HS256") -> str:
    """Build a token with an arbitrary header, signed correctly with ``alg``."""
    header_b64 = b64encode(header if isinstance(header, bytes) else json.dumps(header).encode())
    signing_input = f"{header_b64}.{b64encode(payload)}"
    signature = get_algorithm(alg).sign(prepare_key(key), signing_input.encode())
    return f"{signing_input}.{b64encode(signature)}"


# --- published vectors ------------------------------------------------------


RFC7515 = load_vectors("rfc7515.json")["vectors"]
RFC7520 = load_vectors("rfc7520.json")
RFC8037 = load_vectors("rfc8037.json")["vectors"]


def _public(key: Any) -> Any:
    return key if isinstance(key, bytes) else key.public_key()


@pytest.mark.parametrize("vector", RFC7515, ids=[v["section"] for v in RFC7515])
def test_rfc7515_appendix_a_verifies(vector: dict[str, Any]) -> None:
    key = jwk_to_key(vector["jwk"])
    payload = jws.verify(vector["compact"], _public(key), algorithms=[vector["alg"]])
    assert payload == b64u(vector["payload_b64"])
    header = get_unverified_header(vector["compact"])
    assert header == json.loads(vector["protected_header"])


def test_rfc7515_a1_mac_is_byte_exact() -> None:
    vector = RFC7515[0]
    header_b64, payload_b64, signature_b64 = vector["compact"].split(".")
    mac = get_algorithm("HS256").sign(prepare_key(jwk_to_key(vector["jwk"])), f"{header_b64}.{payload_b64}".encode())
    assert b64encode(mac) == signature_b64


def test_rfc7515_a2_signing_is_byte_exact() -> None:
    vector = RFC7515[1]
    assert vector["protected_header"] == '{"alg":"RS256"}'
    token = jws.sign(b64u(vector["payload_b64"]), jwk_to_key(vector["jwk"]), "RS256")
    assert token == vector["compact"]


@pytest.mark.parametrize("vector", RFC7520["vectors"], ids=[v["section"] for v in RFC7520["vectors"]])
def test_rfc7520_section_4_compact(vector: dict[str, Any]) -> None:
    key = jwk_to_key(vector["jwk"])
    payload = b64u(RFC7520["payload_b64"])
    assert jws.verify(vector["compact"], _public(key), algorithms=[vector["alg"]]) == payload
    signed = jws.sign(payload, key, vector["alg"], headers={"kid": vector["jwk"]["kid"]})
    if vector["deterministic"]:
        assert signed == vector["compact"]
    else:
        # Same header and payload segments; a fresh (randomized) signature that verifies.
        assert signed.rsplit(".", 1)[0] == vector["compact"].rsplit(".", 1)[0]
        assert jws.verify(signed, _public(key), algorithms=[vector["alg"]]) == payload


def test_rfc8037_a4_ed25519_is_byte_exact() -> None:
    vector = RFC8037[0]
    key = jwk_to_key(vector["jwk"])
    token = jws.sign(vector["payload"].encode(), key, "EdDSA")
    assert token == vector["compact"]
    assert jws.verify(token, key.public_key(), algorithms=["EdDSA"]) == vector["payload"].encode()


# --- signing ------------------------------------------------------------------


def test_sign_sets_only_alg() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    assert get_unverified_header(token) == {"alg": "HS256"}
    assert token.split(".")[0] == "eyJhbGciOiJIUzI1NiJ9"


def test_sign_keeps_caller_headers_after_alg() -> None:
    token = jws.sign(b"x", SECRET, "HS256", headers={"kid": "k1", "typ": "JWT"})
    assert b64decode(token.split(".")[0]) == b'{"alg":"HS256","kid":"k1","typ":"JWT"}'
    same = jws.sign(b"x", SECRET, "HS256", headers={"alg": "HS256", "kid": "k1"})
    assert get_unverified_header(same) == {"alg": "HS256", "kid": "k1"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"alg": "RS256"}, "name alg"),
        ({"alg": "none"}, "name alg"),
        ({1: "x"}, "must be strings"),
        (["kid"], "mapping"),
        ({"x": object()}, "JSON"),
        ({"x": float("nan")}, "JSON"),
        ({"crit": []}, "crit"),
        ({"crit": "exp"}, "crit"),
        ({"crit": ["exp"]}, "not in the header"),
        ({"crit": ["alg"]}, "registered"),
        ({"crit": ["x", "x"], "x": 1}, "twice"),
        ({"crit": [1]}, "strings"),
    ],
)
def test_sign_rejects_bad_headers(headers: Any, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        jws.sign(b"x", SECRET, "HS256", headers=headers)


def test_sign_accepts_text_and_rejects_other_payloads() -> None:
    assert jws.verify(jws.sign("héllo", SECRET, "HS256"), SECRET, algorithms=["HS256"]) == "héllo".encode()
    with pytest.raises(EncodeError, match="payload"):
        jws.sign({"a": 1}, SECRET, "HS256")  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match="surrogate"):
        jws.sign("\udc00", SECRET, "HS256")


@pytest.mark.parametrize("alg", ["none", "foo", "hs256"])
def test_sign_rejects_unknown_algorithms(alg: str) -> None:
    # The signer's own choice: a configuration error, never a token error.
    with pytest.raises(EncodeError):
        jws.sign(b"x", SECRET, alg)


def test_sign_rejects_weak_and_mismatched_keys() -> None:
    with pytest.raises(InvalidKeyError, match="at least 32 bytes"):
        jws.sign(b"x", b"short", "HS256")
    with pytest.raises(InvalidKeyError, match="private key"):
        jws.sign(b"x", private_key_for("RS256").public_key(), "RS256")
    pem = (
        private_key_for("RS256")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidKeyError):
        jws.sign(b"x", pem, "HS256")


# --- verification: the header -------------------------------------------------


def test_verify_requires_an_allowlist() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(TypeError):
        jws.verify(token, SECRET)  # type: ignore[call-arg]
    for bad in (None, [], (), "", ["HS256", None], ["HS256", "nope"], [b"HS256"], {"HS256": 1}, b"HS256", 42, ["none"]):
        with pytest.raises(InvalidOptionError):
            jws.verify(token, SECRET, algorithms=bad)  # type: ignore[arg-type]
    assert jws.verify(token, SECRET, algorithms="HS256") == b"x"
    assert jws.verify(token, SECRET, algorithms=("HS256", "RS256")) == b"x"
    assert jws.verify(token, SECRET, algorithms=frozenset({"HS256"})) == b"x"
    assert jws.verify(token, SECRET, algorithms={"HS256", "HS384"}) == b"x"


def test_algorithm_not_in_allowlist() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(InvalidAlgorithmError, match="not in the allowed"):
        jws.verify(token, SECRET, algorithms=["HS384", "HS512"])


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_none_never_verifies(alg: str) -> None:
    unsecured = f"{b64encode(json.dumps({'alg': alg}).encode())}.{b64encode(b'{}')}."
    with pytest.raises(InvalidAlgorithmError):
        jws.verify(unsecured, SECRET, algorithms=["HS256"])
    # Allowing "none" is refused as the configuration error it is.
    with pytest.raises(InvalidOptionError):
        jws.verify(unsecured, SECRET, algorithms=[alg])
    # Even with a signature present.
    with pytest.raises(InvalidAlgorithmError):
        jws.verify(_make({"alg": alg}), SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("alg", [None, 256, ["HS256"], {"name": "HS256"}, True, "HS256 ", "Hs256"])
def test_alg_must_be_a_known_string(alg: object) -> None:
    with pytest.raises(InvalidAlgorithmError):
        jws.verify(_make({"alg": alg}), SECRET, algorithms=["HS256"])


def test_alg_missing() -> None:
    with pytest.raises(InvalidAlgorithmError, match="no 'alg'"):
        jws.verify(_make({"typ": "JWT"}), SECRET, algorithms=["HS256"])


def test_algorithm_confusion_public_key_as_hmac_secret() -> None:
    """The classic attack: HS256 signed with the verifier's public key (PEM) as secret."""
    public_pem = (
        private_key_for("RS256")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header_b64 = b64encode(b'{"alg":"HS256"}')
    signing_input = f"{header_b64}.{b64encode(b'{}')}"
    import hashlib
    import hmac

    forged = f"{signing_input}.{b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"
    for allow in (["RS256"], ["RS256", "HS256"], ["HS256"]):
        with pytest.raises((InvalidAlgorithmError, InvalidKeyError)):
            jws.verify(forged, public_pem, algorithms=allow)
        with pytest.raises((InvalidAlgorithmError, InvalidKeyError)):
            jws.verify(forged, public_pem.decode(), algorithms=allow)


def test_embedded_keys_are_never_used() -> None:
    """A token carrying its own key (jwk/jku/x5u/x5c) is checked against the caller's key only."""
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = attacker.public_key().public_numbers()
    embedded = {
        "kty": "RSA",
        "n": b64encode(numbers.n.to_bytes(256, "big")),
        "e": b64encode(numbers.e.to_bytes(3, "big")),
    }
    headers = {"jwk": embedded, "jku": "https://attacker.example/jwks.json", "x5u": "https://attacker.example/c"}
    token = jws.sign(b"{}", attacker, "RS256", headers=headers)
    victim = private_key_for("RS256").public_key()
    with pytest.raises(InvalidSignatureError):
        jws.verify(token, victim, algorithms=["RS256"])


@pytest.mark.parametrize(
    ("crit", "extra", "message"),
    [
        ([], {}, "non-empty list"),
        ("exp", {}, "non-empty list"),
        ({"exp": 1}, {}, "non-empty list"),
        (None, {}, "non-empty list"),
        ([1], {}, "strings"),
        (["exp", "exp"], {"exp": 1}, "twice"),
        (["exp"], {}, "not in the header"),
        (["alg"], {}, "registered"),
        (["kid"], {"kid": "1"}, "registered"),
        (["exp"], {"exp": 1}, "not supported"),
        (["http://example.com/ext"], {"http://example.com/ext": True}, "not supported"),
    ],
)
def test_crit_rules(crit: object, extra: dict[str, Any], message: str) -> None:
    token = _make({"alg": "HS256", "crit": crit, **extra})
    with pytest.raises(DecodeError, match=message):
        jws.verify(token, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize(
    "header",
    [
        b"[]",
        b'"alg"',
        b'{"alg":"HS256","alg":"HS256"}',
        b'{"alg":"HS256"',
        b'\xef\xbb\xbf{"alg":"HS256"}',
        b'{"alg":"HS\xff"}',
        b'{"alg":"HS256","x":NaN}',
    ],
)
def test_malformed_headers(header: bytes) -> None:
    with pytest.raises(DecodeError):
        jws.verify(_make(header), SECRET, algorithms=["HS256"])


# --- verification: the token's shape ---------------------------------------------


def test_jwe_and_json_serializations_are_explained() -> None:
    jwe_header = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ"  # {"alg":"RSA-OAEP","enc":"A256GCM"}
    with pytest.raises(DecodeError, match="it is a JWE"):
        jws.verify(f"{jwe_header}.a.b.c.d", SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match=r"but has 5 \(two tokens pasted together\?\)$"):
        jws.verify("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", SECRET, algorithms=["HS256"])  # no "enc": not a JWE
    flattened = json.dumps({"payload": "e30", "protected": "eyJhbGciOiJIUzI1NiJ9", "signature": "AAAA"})
    with pytest.raises(DecodeError, match="JSON serialization"):
        jws.verify(flattened, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "....", "a.b.c.d.e.f", "..", ".e30."])
def test_wrong_segment_counts(token: str) -> None:
    with pytest.raises(DecodeError):
        jws.verify(token, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("token", [None, 123, ["a.b.c"], {"t": 1}, bytearray(b"a.b.c")])
def test_token_type(token: object) -> None:
    with pytest.raises(DecodeError, match="str or bytes"):
        jws.verify(token, SECRET, algorithms=["HS256"])  # type: ignore[arg-type]


def test_bytes_tokens() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    assert jws.verify(token.encode(), SECRET, algorithms=["HS256"]) == b"x"
    with pytest.raises(DecodeError, match="ASCII"):
        jws.verify(token.encode() + b"\xff", SECRET, algorithms=["HS256"])


def test_non_ascii_in_segments() -> None:
    header, payload, signature = jws.sign(b"x", SECRET, "HS256").split(".")
    for token in (f"{header}é.{payload}.{signature}", f"{header}.{payload}é.{signature}", f"{header}.{payload}.é"):
        with pytest.raises(DecodeError):
            jws.verify(token, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize(
    "token",
    ["a" * 10_000_000, "." * 1_000_000, "eyJhbGciOiJIUzI1NiJ9." + "A" * 5_000_000 + ".sig", ("a." * 600_000)],
    ids=["10MB", "million-dots", "5MB-payload", "many-segments"],
)
def test_oversized_tokens_are_refused_quickly(token: str) -> None:
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="longer than the limit"):
        jws.verify(token, SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="longer than the limit"):
        get_unverified_header(token)
    assert time.perf_counter() - start < 1.0  # refused before decoding: well under a second


def test_max_token_size_is_configurable() -> None:
    token = jws.sign(b"x" * 1000, SECRET, "HS256")
    with pytest.raises(DecodeError, match="limit of 100"):
        jws.verify(token, SECRET, algorithms=["HS256"], max_token_size=100)
    big = jws.sign(b"x" * 300_000, SECRET, "HS256")
    with pytest.raises(DecodeError):
        jws.verify(big, SECRET, algorithms=["HS256"])
    assert jws.verify(big, SECRET, algorithms=["HS256"], max_token_size=1_000_000) == b"x" * 300_000


def test_errors_never_echo_the_token() -> None:
    marker = "SECRETMARKER" * 5
    header_b64 = b64encode(b'{"alg":"HS256"}')
    candidates = [
        f"{marker}.{marker}.{marker}",
        f"{header_b64}.{marker}.{marker}",
        f"{header_b64}.{header_b64}.{marker}",
        _make({"alg": marker}),
        _make({"alg": "HS256", marker: 1, "crit": [marker]}),
        _make(b'{"' + marker.encode() + b'":1,"' + marker.encode() + b'":2}'),
        marker * 1000,
    ]
    for token in candidates:
        with pytest.raises(MiniJWTError) as info:
            jws.verify(token, SECRET, algorithms=["HS256"])
        assert marker not in str(info.value)
        assert token not in str(info.value)


def test_signature_and_key_errors() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    with pytest.raises(InvalidSignatureError):
        jws.verify(token, b"another-secret-of-32-bytes-length", algorithms=["HS256"])
    with pytest.raises(InvalidKeyError):
        jws.verify(token, b"short", algorithms=["HS256"])
    with pytest.raises(InvalidKeyError):
        jws.verify(token, private_key_for("ES256").public_key(), algorithms=["HS256"])


def test_verify_complete_and_unverified_header() -> None:
    private, public = signing_and_verifying_key("ES256")
    token = jws.sign(b"data", private, "ES256", headers={"kid": "k"})
    result = jws.verify_complete(token, public, algorithms=["ES256"])
    assert result.header == {"alg": "ES256", "kid": "k"}
    assert result.payload == b"data"
    assert get_unverified_header(token.encode()) == {"alg": "ES256", "kid": "k"}
    with pytest.raises(DecodeError):
        get_unverified_header("x.y")
    with pytest.raises(DecodeError):
        get_unverified_header(42)  # type: ignore[arg-type]


def test_b64_rules() -> None:
    """RFC 7797: b64 is a boolean, protected and listed in crit."""
    accepted = _make({"alg": "HS256", "b64": True, "crit": ["b64"]})
    assert jws.verify(accepted, SECRET, algorithms=["HS256"]) == b"{}"
    for header, message in (
        ({"alg": "HS256", "b64": True}, "listed in 'crit'"),
        ({"alg": "HS256", "b64": False}, "listed in 'crit'"),
        ({"alg": "HS256", "b64": "false", "crit": ["b64"]}, "true or false"),
        ({"alg": "HS256", "b64": 0, "crit": ["b64"]}, "true or false"),
    ):
        with pytest.raises(DecodeError, match=message):
            jws.verify(_make(header), SECRET, algorithms=["HS256"])
    # Signing never produces a header that lies about the payload's encoding.
    with pytest.raises(EncodeError, match="listed in 'crit'"):
        jws.sign(b"x", SECRET, "HS256", headers={"b64": False})
    with pytest.raises(EncodeError, match="listed in 'crit'"):
        jws.sign(b"x", SECRET, "HS256", headers={"b64": True})
    token = jws.sign(b"x", SECRET, "HS256", headers={"b64": True, "crit": ["b64"]})
    assert jws.verify(token, SECRET, algorithms=["HS256"]) == b"x"
