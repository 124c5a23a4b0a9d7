"""Whatever a caller passes to the public API, only MiniJWTError subclasses come out."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values

import minijwt
from minijwt import JWK, JWKSet, MiniJWTError, jws

SECRET = b"0123456789abcdef0123456789abcdef"
TOKEN = minijwt.encode({"sub": "a"}, SECRET)

odd_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.just(float("nan")),
    st.just(dt.timedelta(seconds=-5)),
    st.just(dt.datetime(2020, 1, 1)),
    st.just(object()),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sets(st.text(max_size=5), max_size=3),
    json_values,
)


def _only_minijwt_errors(call: Any) -> None:
    # Any MiniJWTError is a fine answer; anything else propagates and fails.
    with contextlib.suppress(MiniJWTError):
        call()


@given(name=st.sampled_from(["audience", "issuer", "subject", "leeway", "require", "max_age", "typ", "now",
                             "max_token_size", "algorithms"]), value=odd_values)  # fmt: skip
def test_decode_options(name: str, value: Any) -> None:
    options: dict[str, Any] = {"algorithms": ["HS256"], name: value}
    _only_minijwt_errors(lambda: minijwt.decode(TOKEN, SECRET, **options))
    if name != "now":
        _only_minijwt_errors(lambda: minijwt.JWTVerifier(SECRET, **options).decode(TOKEN))


@given(key=odd_values, token=st.one_of(odd_values, st.just(TOKEN)))
def test_decode_keys_and_tokens(key: Any, token: Any) -> None:
    _only_minijwt_errors(lambda: minijwt.decode(token, key, algorithms=["HS256", "RS256", "EdDSA"]))
    _only_minijwt_errors(lambda: jws.verify(token, key, algorithms=["HS256"]))
    _only_minijwt_errors(lambda: minijwt.get_unverified_header(token))


@given(claims=odd_values, key=odd_values, algorithm=odd_values, headers=odd_values, expires_in=odd_values)
def test_encode_arguments(claims: Any, key: Any, algorithm: Any, headers: Any, expires_in: Any) -> None:
    _only_minijwt_errors(lambda: minijwt.encode(claims, SECRET, "HS256"))
    _only_minijwt_errors(lambda: minijwt.encode({}, key, "HS256"))
    _only_minijwt_errors(lambda: minijwt.encode({}, SECRET, algorithm))
    _only_minijwt_errors(lambda: minijwt.encode({}, SECRET, "HS256", headers=headers))
    _only_minijwt_errors(lambda: minijwt.encode({}, SECRET, "HS256", expires_in=expires_in))
    _only_minijwt_errors(lambda: jws.sign(claims, SECRET, "HS256"))
    _only_minijwt_errors(lambda: jws.sign(b"x", SECRET, "HS256", headers=headers))


_jwk_members = st.dictionaries(
    st.sampled_from(["kty", "crv", "x", "y", "d", "n", "e", "k", "kid", "alg", "use", "key_ops", "p", "q"]),
    st.one_of(odd_values, st.sampled_from(["RSA", "EC", "OKP", "oct", "P-256", "Ed25519", "AQAB", "AA", ""])),
    max_size=6,
)


@given(members=_jwk_members, value=odd_values)
def test_jwk_inputs(members: dict[str, Any], value: Any) -> None:
    _only_minijwt_errors(lambda: JWK.from_dict(members))
    _only_minijwt_errors(lambda: JWK.from_dict(value))
    _only_minijwt_errors(lambda: JWK.from_json(value))
    _only_minijwt_errors(lambda: JWKSet.from_dict({"keys": [members, value]}))
    _only_minijwt_errors(lambda: JWKSet.from_dict(value))
    _only_minijwt_errors(lambda: JWKSet.from_json(value))
    _only_minijwt_errors(lambda: JWK.from_key(value))
    _only_minijwt_errors(lambda: JWK.from_pem(value))
    _only_minijwt_errors(lambda: minijwt.load_key(value))
    _only_minijwt_errors(lambda: minijwt.load_key(SECRET, password=value))
    _only_minijwt_errors(lambda: JWK.generate(value))


@given(value=odd_values)
def test_jwk_methods(value: Any) -> None:
    key = JWK.from_key(SECRET, kid="k")
    _only_minijwt_errors(lambda: key.thumbprint(value))
    _only_minijwt_errors(lambda: key.thumbprint_uri(value))
    _only_minijwt_errors(lambda: JWK.from_key(SECRET, kid=value))
    _only_minijwt_errors(lambda: JWK.from_key(SECRET, key_ops=value))
    _only_minijwt_errors(lambda: JWK.from_key(SECRET, alg=value))
    _only_minijwt_errors(lambda: JWK(key=value))
    _only_minijwt_errors(lambda: JWKSet([key]).get(value))
    _only_minijwt_errors(lambda: JWKSet(value))
