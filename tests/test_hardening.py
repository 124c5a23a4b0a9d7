"""Regression tests for security holes found in review, one (or a few) per hole.

docs/security.rst lists each rule with the test below that guards it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from strategies import public_key_spellings
from support import b64u_encode, private_key_for

import minijwt
from minijwt import (
    JWK,
    DecodeError,
    EncodeError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidTokenTypeError,
    JWKSet,
    JWTVerifier,
    MiniJWTError,
    MissingRequiredClaimError,
    SecretKey,
    jws,
)
from minijwt._keyload import MAX_CACHED_KEY_TEXT

SECRET = b"a-secret-of-at-least-32-bytes!!!"
Encoding = serialization.Encoding
PublicFormat = serialization.PublicFormat


def _hs256_token(header: bytes, payload: bytes, secret: bytes) -> str:
    """A compact HS256 JWS over exactly these header and payload bytes."""
    signing_input = b64u_encode(header) + "." + b64u_encode(payload)
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64u_encode(mac)


def _forged(key_text: str | bytes) -> str:
    """The algorithm-confusion forgery: an HS256 token whose secret is the public key text."""
    secret = key_text.encode("utf-8") if isinstance(key_text, str) else key_text
    return _hs256_token(b'{"alg":"HS256","typ":"JWT"}', b'{"sub":"admin"}', secret)


def _rsa_public() -> rsa.RSAPublicKey:
    key = private_key_for("RS256")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


def _elapsed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    with contextlib.suppress(MiniJWTError):
        action()
    return time.perf_counter() - start


# --- (1) an RSA JWK with a huge private member is refused by its length ------------


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi"])
def test_rsa_jwk_huge_private_member_is_refused_quickly(member: str) -> None:
    jwk = JWK.from_key(private_key_for("RS256")).to_dict(private=True)
    jwk[member] = b64u_encode(b"\x01" * 6144)  # 8 KB of base64url, far longer than the modulus
    assert len(json.dumps(jwk)) > 8000

    def load() -> None:
        with pytest.raises(InvalidKeyError, match="longer than the modulus"):
            JWK.from_json(json.dumps(jwk))

    assert _elapsed(load) < 1.0  # a generous ceiling: refused by length, before any arithmetic


def test_rsa_jwk_huge_d_without_crt_members_is_refused_quickly() -> None:
    jwk = JWK.from_key(private_key_for("RS256")).to_dict(private=True)
    for name in ("p", "q", "dp", "dq", "qi"):
        del jwk[name]
    jwk["d"] = b64u_encode(b"\x01" * 6144)

    def load() -> None:
        with pytest.raises(InvalidKeyError, match="longer than the modulus"):
            JWK.from_dict(jwk)

    assert _elapsed(load) < 1.0


# --- (2) numbers beyond any float are option errors, never OverflowError -----------

HUGE = 10**400


@pytest.mark.parametrize("option", ["leeway", "max_age"])
def test_huge_durations_are_option_errors(option: str) -> None:
    token = minijwt.encode({"iat": 0}, SECRET)
    options: dict[str, Any] = {option: HUGE}
    with pytest.raises(InvalidOptionError, match="too large"):
        minijwt.decode(token, SECRET, algorithms=["HS256"], **options)
    with pytest.raises(InvalidOptionError, match="too large"):
        JWTVerifier(SECRET, algorithms=["HS256"], **options)


@pytest.mark.parametrize("now", [HUGE, -HUGE])
def test_huge_now_is_an_option_error(now: int) -> None:
    token = minijwt.encode({"iat": 0}, SECRET)
    with pytest.raises(InvalidOptionError, match="too large"):
        minijwt.decode(token, SECRET, algorithms=["HS256"], now=now)
    with pytest.raises(InvalidOptionError, match="too large"):
        JWTVerifier(SECRET, algorithms=["HS256"]).decode(token, now=now)


def test_huge_expires_in_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="too large"):
        minijwt.encode({"sub": "a"}, SECRET, expires_in=HUGE)


# --- (3) a naive datetime for now is refused ---------------------------------------


def test_naive_now_is_refused() -> None:
    token = minijwt.encode({"exp": 2_000_000_000}, SECRET)
    naive = dt.datetime(2030, 1, 1)
    with pytest.raises(InvalidOptionError, match="aware"):
        minijwt.decode(token, SECRET, algorithms=["HS256"], now=naive)
    with pytest.raises(InvalidOptionError, match="aware"):
        JWTVerifier(SECRET, algorithms=["HS256"]).decode(token, now=naive)
    aware = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert minijwt.decode(token, SECRET, algorithms=["HS256"], now=aware) == {"exp": 2_000_000_000}


# --- (4) typ is compared case-insensitively in ASCII only --------------------------


def test_typ_case_folding_is_ascii_only() -> None:
    kelvin = minijwt.encode({}, SECRET, headers={"typ": "\u212aB+JWT"})  # KELVIN SIGN folds to "k"
    with pytest.raises(InvalidTokenTypeError):
        minijwt.decode(kelvin, SECRET, algorithms=["HS256"], typ="kb+jwt")
    ascii_upper = minijwt.encode({}, SECRET, headers={"typ": "KB+JWT"})
    assert minijwt.decode(ascii_upper, SECRET, algorithms=["HS256"], typ="kb+jwt") == {}
    with pytest.raises(InvalidOptionError, match="ASCII"):
        minijwt.decode(ascii_upper, SECRET, algorithms=["HS256"], typ="\u212ab+jwt")
    with pytest.raises(InvalidOptionError, match="ASCII"):
        JWTVerifier(SECRET, algorithms=["HS256"], typ="\u212ab+jwt")


# --- (5) key text is classified in linear time -------------------------------------

_MB = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        b"\n" * 64_000,
        b"A" + b"\n" * _MB + b"!" + b"A" * 63,  # quadratic for the old base64 pattern
        b"A" * _MB,
        b"QUFB" * (_MB // 4) + b"!",
        b"-" * _MB,
        b"=" * _MB,
        b"-END " * (_MB // 5),
        b"-BEGIN " + b" " * _MB,
        b"-----BEGIN " + b"A" * _MB,
        b"ssh-" * (_MB // 4),
        b"sk-" * (_MB // 3),
        b"[" * _MB,
        b"{" * _MB,
        b"0" + b"\x82" * _MB,
        "\u00e9" * (_MB // 2),
    ],
    ids=lambda text: f"{text[:8]!r}x{len(text)}",
)
def test_key_text_classification_is_linear(text: str | bytes) -> None:
    assert _elapsed(lambda: minijwt.load_key(text)) < 2.0  # a generous ceiling, not a micro-benchmark


def test_ordinary_secrets_stay_secrets() -> None:
    for secret in (
        SECRET,
        bytes(range(64)),
        base64.b64encode(bytes(range(48))),  # `openssl rand -base64 48` looks like this
        base64.urlsafe_b64encode(b"\xfb" * 48),
        b"sk-proj-0123456789abcdef0123456789abcdef",  # an API key, not an OpenSSH security key
        "LEGEND of the ENDless BEGINning, long enough",
    ):
        assert isinstance(minijwt.load_key(secret), SecretKey)


# --- (6) public-key text never becomes an HMAC secret, in any spelling --------------


def _spellings() -> dict[str, bytes]:
    public = _rsa_public()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    openssh = public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    body = openssh.split()[1].decode("ascii")
    rfc4716 = "\n".join(
        ["---- BEGIN SSH2 PUBLIC KEY ----", 'Comment: "rsa-key-20260101"']
        + [body[i : i + 70] for i in range(0, len(body), 70)]
        + ["---- END SSH2 PUBLIC KEY ----"]
    ).encode("ascii")
    jwk = JWK.from_key(public).to_json().encode("ascii")
    return {
        "rfc4716": rfc4716,
        "jwk-after-bom": b"\xef\xbb\xbf" + jwk,
        "jwk-after-white-space": b" \n\t" + jwk,
        "base64-of-pem": base64.b64encode(pem),
        "base64url-of-der": base64.urlsafe_b64encode(der),
        "base64url-of-der-unpadded": base64.urlsafe_b64encode(der).rstrip(b"="),
        "authorized-keys-options": b'no-pty,command="x" ' + openssh + b" user@host",
        "pem-lost-a-dash": pem.replace(b"-----BEGIN", b"----BEGIN", 1),
        "pem-spaced-armour": pem.replace(b"-----BEGIN PUBLIC KEY-----", b"----- BEGIN PUBLIC KEY -----"),
        "der-after-white-space": b"\n" + der + b"\n",
    }


@pytest.mark.parametrize("name", list(_spellings()))
def test_public_key_spellings_are_never_secrets(name: str) -> None:
    text = _spellings()[name]
    with pytest.raises(MiniJWTError):
        minijwt.decode(_forged(text), text, algorithms=["HS256", "RS256"])
    message = ""
    try:
        loaded = minijwt.load_key(text)
    except InvalidKeyError as exc:
        message = exc.message
    else:
        assert not isinstance(loaded, SecretKey)
    assert not message or "HMAC" in message or "JWK" in message or "decode it" in message
    with pytest.raises(InvalidKeyError):
        SecretKey(text)


@pytest.mark.parametrize("name", ["rfc4716", "authorized-keys-options", "der-after-white-space"])
def test_plain_spellings_load_as_the_key_they_are(name: str) -> None:
    loaded = minijwt.load_key(_spellings()[name])
    assert isinstance(loaded, minijwt.RSAKey)
    assert loaded.public.public_numbers() == _rsa_public().public_numbers()


def test_ssh_key_types_anywhere_are_never_secrets() -> None:
    for key_type in ("ssh-rsa", "ssh-ed25519", "ssh-ed448", "ssh-dss", "ecdsa-sha2-nistp256", "sk-ssh-", "sk-ecdsa-"):
        text = f"my long enough secret, mentions {key_type} AAAA in passing"
        with pytest.raises(InvalidKeyError):
            minijwt.load_key(text)


@given(public_key_spellings())
def test_no_public_key_spelling_is_an_hmac_secret(text: str | bytes) -> None:
    try:
        loaded = minijwt.load_key(text)
    except InvalidKeyError:
        pass
    else:
        assert not isinstance(loaded, SecretKey)
    with pytest.raises(MiniJWTError):
        minijwt.decode(_forged(text), text, algorithms=["HS256", "RS256"])


# --- (7) every path that makes a secret refuses key text ---------------------------


def test_secret_key_refuses_key_text() -> None:
    for text in _spellings().values():
        with pytest.raises(InvalidKeyError, match="never used as an HMAC secret"):
            SecretKey(text)
    pem = _rsa_public().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="PEM"):
        SecretKey(pem)


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: k.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        lambda k: k.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        lambda k: base64.b64encode(k.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)),
    ],
    ids=["pem", "der", "openssh", "base64-pem"],
)
def test_oct_jwk_with_key_text_is_refused(encode: Callable[[rsa.RSAPublicKey], bytes]) -> None:
    jwk = {"kty": "oct", "k": b64u_encode(encode(_rsa_public()))}
    with pytest.raises(InvalidKeyError, match="never used as an HMAC secret"):
        JWK.from_dict(jwk)
    with pytest.raises(InvalidKeyError):
        JWK.from_json(json.dumps(jwk))


# --- (8) the header cache never hands out shared nested objects --------------------


def test_header_results_share_nothing_with_the_cache() -> None:
    headers: dict[str, Any] = {"kid": "k1", "ext": {"list": [1, 2], "map": {"a": 1}}, "items": [{"b": 2}, [3]]}
    token = jws.sign(b"{}", SECRET, "HS256", headers=headers)
    jwt_token = minijwt.encode({}, SECRET, headers=headers)
    expected_jws = jws.verify_complete(token, SECRET, algorithms=["HS256"]).header
    expected_jwt = minijwt.decode_complete(jwt_token, SECRET, algorithms=["HS256"]).header
    assert expected_jws["ext"] == headers["ext"]

    for _ in range(2):
        for header in (
            jws.verify_complete(token, SECRET, algorithms=["HS256"]).header,
            minijwt.decode_complete(jwt_token, SECRET, algorithms=["HS256"]).header,
            minijwt.get_unverified_header(token),
        ):
            header["ext"]["list"].append(99)
            header["ext"]["map"]["a"] = 99
            header["ext"]["new"] = True
            header["items"][0]["b"] = 99
            header["items"][1].append(99)
            header["items"].append(99)
        assert jws.verify_complete(token, SECRET, algorithms=["HS256"]).header == expected_jws
        assert minijwt.decode_complete(jwt_token, SECRET, algorithms=["HS256"]).header == expected_jwt
    assert minijwt.cache_info()["header.parse"].size >= 1  # the cache was in play


# --- (9) a mutable buffer is never a key -------------------------------------------


@pytest.mark.parametrize("make", [bytearray, memoryview])
def test_mutable_buffers_are_refused(make: Callable[[bytes], object]) -> None:
    token = minijwt.encode({}, SECRET)
    buffer: Any = make(SECRET)
    with pytest.raises(InvalidKeyError, match="str or bytes"):
        minijwt.decode(token, buffer, algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match="str or bytes"):
        minijwt.encode({}, buffer)
    with pytest.raises(InvalidKeyError, match="str or bytes"):
        jws.verify(token, buffer, algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match="str or bytes"):
        JWTVerifier(buffer, algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match="bytes"):
        SecretKey(buffer)


# --- (10) escaped lone surrogates are not JSON text here ---------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sub":"\\ud800"}',
        b'{"sub":"a\\udc00b"}',
        b'{"\\ud800":1}',
        b'{"a":[{"b":["x","\\uDFFF"]}]}',
        b'{"a":{"\\udbff":null}}',
        b'{"sub":"\\ude00\\ud83d"}',  # a pair in the wrong order is two lone halves
    ],
)
def test_lone_surrogates_in_claims_are_refused(payload: bytes) -> None:
    token = _hs256_token(b'{"alg":"HS256"}', payload, SECRET)
    with pytest.raises(DecodeError, match="surrogate"):
        minijwt.decode(token, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("header", [b'{"alg":"HS256","x":"\\ud800"}', b'{"alg":"HS256","\\udc00":1}'])
def test_lone_surrogates_in_headers_are_refused(header: bytes) -> None:
    token = _hs256_token(header, b"{}", SECRET)
    with pytest.raises(DecodeError, match="surrogate"):
        jws.verify(token, SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="surrogate"):
        minijwt.get_unverified_header(token)


def test_lone_surrogates_in_jwk_json_are_refused() -> None:
    k = b64u_encode(SECRET)
    with pytest.raises(InvalidKeyError, match="surrogate"):
        JWK.from_json('{"kty":"oct","k":"' + k + '","kid":"\\ud800"}')
    with pytest.raises(InvalidKeyError, match="surrogate"):
        JWKSet.from_json('{"keys":[{"kty":"oct","k":"' + k + '","x":{"\\udc00":1}}]}')


def test_escapes_that_are_not_lone_surrogates_are_fine() -> None:
    payload = b'{"a":"\\ud83d\\ude00","b":"\\\\ud800","c":"\\u00e9","n":123456789012345678901234567890123}'
    token = _hs256_token(b'{"alg":"HS256"}', payload, SECRET)
    assert minijwt.decode(token, SECRET, algorithms=["HS256"]) == {
        "a": "\U0001f600",
        "b": "\\ud800",
        "c": "\u00e9",
        "n": 123456789012345678901234567890123,
    }


# --- extras ------------------------------------------------------------------------


def test_required_claim_that_is_null_is_missing() -> None:
    token = minijwt.encode({"sub": None}, SECRET)
    with pytest.raises(MissingRequiredClaimError, match="sub"):
        minijwt.decode(token, SECRET, algorithms=["HS256"], require=["sub"])


@pytest.mark.parametrize("option", ["audience", "issuer"])
@pytest.mark.parametrize("value", ["", [""], ["a", ""]])
def test_empty_audience_or_issuer_is_an_option_error(option: str, value: object) -> None:
    token = minijwt.encode({"aud": "", "iss": ""}, SECRET)
    options: dict[str, Any] = {option: value}
    with pytest.raises(InvalidOptionError, match=option):
        minijwt.decode(token, SECRET, algorithms=["HS256"], **options)
    with pytest.raises(InvalidOptionError, match=option):
        JWTVerifier(SECRET, algorithms=["HS256"], **options)


def test_long_text_keys_are_never_cached() -> None:
    short, long = b"s" * 64, b"k" * (MAX_CACHED_KEY_TEXT + 1)
    watched = ("keys.text", "resolve.static", "jwt.verifiers")
    minijwt.clear_caches()
    minijwt.decode(minijwt.encode({}, short), short, algorithms=["HS256"])
    before = {name: minijwt.cache_info()[name].size for name in watched}
    for _ in range(3):
        token = minijwt.encode({}, long)
        assert minijwt.decode(token, long, algorithms=["HS256"]) == {}
        assert minijwt.decode(token, long.decode("ascii"), algorithms=["HS256"]) == {}
        assert jws.verify(token, long, algorithms=["HS256"]) == b"{}"
        assert isinstance(minijwt.load_key(long), SecretKey)
    assert {name: minijwt.cache_info()[name].size for name in watched} == before
    # At the bound a key is still cached, once.
    at_bound = b"b" * MAX_CACHED_KEY_TEXT
    assert minijwt.load_key(at_bound) is minijwt.load_key(at_bound)
    assert minijwt.cache_info()["keys.text"].size == before["keys.text"] + 1
    # A non-ASCII str counts at four bytes a character, without being encoded.
    assert minijwt.load_key("\u00e9" * (MAX_CACHED_KEY_TEXT // 4 + 1)) is not None
    assert minijwt.cache_info()["keys.text"].size == before["keys.text"] + 1
