"""Property-based tests (Hypothesis) of the JWS layer."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import algorithms, extra_headers, payloads
from support import signing_and_verifying_key

from minijwt import ALGORITHMS, InvalidSignatureError, MiniJWTError, get_unverified_header, jws


@given(alg=algorithms, payload=payloads, headers=extra_headers)
def test_round_trip_every_algorithm(alg: str, payload: bytes, headers: dict[str, Any]) -> None:
    private, public = signing_and_verifying_key(alg)
    token = jws.sign(payload, private, alg, headers=headers)
    result = jws.verify_complete(token, public, algorithms=[alg])
    assert result.payload == payload
    assert result.header == {"alg": alg, **headers}


@given(alg=algorithms, payload=payloads, data=st.data())
def test_flipping_any_bit_is_rejected(alg: str, payload: bytes, data: st.DataObject) -> None:
    private, public = signing_and_verifying_key(alg)
    token = jws.sign(payload, private, alg)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    bit = data.draw(st.integers(min_value=0, max_value=7), label="bit")
    tampered = token[:position] + chr(ord(token[position]) ^ (1 << bit)) + token[position + 1 :]
    with pytest.raises(MiniJWTError):
        jws.verify(tampered, public, algorithms=[alg])


@given(alg=algorithms, payload=payloads, data=st.data())
def test_flipping_any_decoded_bit_is_rejected(alg: str, payload: bytes, data: st.DataObject) -> None:
    """Change the bytes a segment encodes (not its text): the signature must fail."""
    from minijwt._base64url import b64decode, b64encode

    private, public = signing_and_verifying_key(alg)
    segments = jws.sign(payload, private, alg).split(".")
    index = data.draw(st.sampled_from([i for i in range(3) if segments[i]]), label="segment")
    raw = bytearray(b64decode(segments[index]))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
    raw[position] ^= 1 << data.draw(st.integers(min_value=0, max_value=7), label="bit")
    segments[index] = b64encode(bytes(raw))
    with pytest.raises(MiniJWTError) as info:
        jws.verify(".".join(segments), public, algorithms=[alg])
    if index == 1:
        assert isinstance(info.value, InvalidSignatureError)


_token_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ ", max_size=60)).map(
        ".".join
    ),
    st.tuples(st.sampled_from(["eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJub25lIn0", "e30", "W10"]), st.text(max_size=40)).map(
        lambda t: f"{t[0]}.{t[1]}"
    ),
)


@given(token=st.one_of(_token_text, st.binary(max_size=300)), alg=algorithms)
def test_verify_raises_only_minijwt_errors(token: str | bytes, alg: str) -> None:
    _, public = signing_and_verifying_key(alg)
    with contextlib.suppress(MiniJWTError):
        jws.verify(token, public, algorithms=[name for name, row in ALGORITHMS.items() if row.available])
    with contextlib.suppress(MiniJWTError):
        get_unverified_header(token)


@given(header=st.binary(max_size=80), payload=st.binary(max_size=40), signature=st.binary(max_size=80))
def test_verify_of_arbitrary_decoded_segments(header: bytes, payload: bytes, signature: bytes) -> None:
    from minijwt._base64url import b64encode

    token = ".".join(b64encode(part) for part in (header, payload, signature))
    _, public = signing_and_verifying_key("HS256")
    with pytest.raises(MiniJWTError):
        jws.verify(token, public, algorithms=["HS256"])
