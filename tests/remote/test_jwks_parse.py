"""Reading a published JWK Set: the size limit, public keys only, and a note for the log on each key left out."""

from __future__ import annotations

import json
from typing import Any

import pytest

import minijwt
from minijwt.errors import InvalidKeyError, JWKSFetchError
from minijwt.jwks_client import parse_jwks

#: A key that verifies, published first in every set below: the others are never the only ones.
GOOD = minijwt.JWK.generate("ES256", kid="good").public().to_dict()
RSA = minijwt.JWK.generate("RS256", kid="rsa")
#: An RSA public key without "alg": what each case below adds decides what it can verify.
RSA_PUBLIC = {name: value for name, value in RSA.public().to_dict().items() if name not in ("alg", "kid")}
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"


def published(*members: object) -> bytes:
    return json.dumps({"keys": [GOOD, *members]}).encode()


def test_a_set_of_max_keys_keys_is_read_and_one_more_is_refused() -> None:
    members = [minijwt.JWK.generate("ES256", kid=f"k{n}").public().to_dict() for n in range(4)]
    keys, notes = parse_jwks(json.dumps({"keys": members[:3]}).encode(), max_keys=3)
    assert sorted(jwk.kid or "" for jwk in keys) == ["k0", "k1", "k2"]
    assert notes == ()
    with pytest.raises(JWKSFetchError) as caught:
        parse_jwks(json.dumps({"keys": members}).encode(), max_keys=3)
    assert caught.value.reason == "too_many_keys"


def test_skipped_keys_keep_their_place_in_the_published_array_and_jwksets_reason() -> None:
    """Keys ignored before them (symmetric, private) do not renumber the keys JWKSet skips."""
    future = {"kty": "XYZ", "kid": "future", "x": "AAAA"}
    document = {"keys": [{"kty": "oct", "k": SECRET}, RSA.to_dict(private=True), future, GOOD, 7]}
    keys, _ = parse_jwks(json.dumps(document).encode())
    reasons = [skip.reason for skip in minijwt.JWKSet.from_dict({"keys": [future, 7]}).skipped]
    assert keys.skipped == (
        minijwt.SkippedKey(2, "future", reasons[0]),
        minijwt.SkippedKey(4, None, reasons[1]),
    )
    assert [jwk.kid for jwk in keys] == ["good"]


@pytest.mark.parametrize(
    ("member", "note"),
    [
        (
            {"kty": "oct", "kid": "shared", "k": SECRET},
            "key 1 (kid 'shared') ignored: a symmetric (oct) key must never be published",
        ),
        # Without its "k" too: the key type alone says it is a shared secret.
        ({"kty": "oct"}, "key 1 ignored: a symmetric (oct) key must never be published"),
        (
            RSA.to_dict(private=True) | {"kid": "leaked"},
            "key 1 (kid 'leaked') ignored: it carries private members (d, p, q, dp, dq, qi); "
            "a published set holds public keys only",
        ),
        # A kid from the server is cut to 64 characters and quoted with repr: no line break reaches the log.
        (
            {"kty": "oct", "kid": "k1\nWARNING forged line " + "a" * 100, "k": SECRET},
            "key 1 (kid 'k1\\nWARNING forged line "
            + "a" * 41
            + "') ignored: a symmetric (oct) key must never be published",
        ),
        (RSA_PUBLIC | {"kid": "enc", "use": "enc"}, "key (kid 'enc') can verify nothing: its 'use' is 'enc'"),
        # A 'use' from the server is cut to 16 characters and quoted with repr.
        (
            RSA_PUBLIC | {"kid": "long", "use": "encryption-only\r\nforged"},
            "key (kid 'long') can verify nothing: its 'use' is 'encryption-only\\r'",
        ),
        (
            RSA_PUBLIC | {"kid": "wrap", "key_ops": ["wrapKey"]},
            "key (kid 'wrap') can verify nothing: its 'key_ops' lack 'verify'",
        ),
        (
            RSA_PUBLIC | {"kid": "sign-only", "use": "sig", "key_ops": ["sign"]},
            "key (kid 'sign-only') can verify nothing: its 'key_ops' lack 'verify'",
        ),
        (
            RSA_PUBLIC | {"kid": "oaep", "alg": "RSA-OAEP"},
            "key (kid 'oaep') can verify nothing: it fits no supported algorithm",
        ),
        (
            RSA_PUBLIC | {"kid": "oaep-sig", "alg": "RSA-OAEP", "use": "sig"},
            "key (kid 'oaep-sig') can verify nothing: it fits no supported algorithm",
        ),
        (
            RSA_PUBLIC | {"kid": "oaep-verify", "alg": "RSA-OAEP", "key_ops": ["verify"]},
            "key (kid 'oaep-verify') can verify nothing: it fits no supported algorithm",
        ),
    ],
    ids=[
        "oct",
        "oct-without-k",
        "private",
        "long-kid",
        "use-enc",
        "long-use",
        "key-ops-without-verify",
        "use-sig-key-ops-without-verify",
        "encryption-alg",
        "encryption-alg-use-sig",
        "encryption-alg-key-ops-verify",
    ],
)
def test_each_key_left_out_or_unable_to_verify_has_a_note_saying_which_and_why(
    member: dict[str, Any], note: str
) -> None:
    keys, notes = parse_jwks(published(member))
    assert notes == (note,)
    assert keys.skipped == ()
    assert "good" in {jwk.kid for jwk in keys}


def test_an_ambiguous_set_is_refused_with_the_reason_jwkset_gives() -> None:
    other = minijwt.JWK.generate("RS256", kid="rsa")
    document = {"keys": [RSA.public().to_dict(), other.public().to_dict()]}
    with pytest.raises(InvalidKeyError) as refused:
        minijwt.JWKSet.from_dict(document)
    with pytest.raises(JWKSFetchError) as caught:
        parse_jwks(json.dumps(document).encode())
    assert (caught.value.reason, caught.value.message) == ("not_jwks", refused.value.message)
