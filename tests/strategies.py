"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from minijwt import ALGORITHMS

#: Every algorithm name in the table that this process can run (ML-DSA needs cryptography 48).
algorithms = st.sampled_from(sorted(name for name, row in ALGORITHMS.items() if row.available))

#: Arbitrary payload bytes.
payloads = st.binary(max_size=512)

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)

#: JSON values: nested lists and objects of scalars.
json_values: st.SearchStrategy[Any] = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

_reserved = {"alg", "crit", "b64"}

#: Extra protected-header members (never alg/crit, which have rules of their own).
extra_headers = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda name: name not in _reserved), json_values, max_size=4
)


def _public_keys() -> list[Any]:
    # A few keys, made once per session (support caches them): RSA, EC, Ed25519.
    from support import private_key_for

    return [private_key_for(alg).public_key() for alg in ("RS256", "ES256", "EdDSA")]


def _rfc4716(openssh: bytes) -> bytes:
    """An OpenSSH public key line as an RFC 4716 SSH2 public key file."""
    body = openssh.split()[1].decode("ascii")
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    header = ["---- BEGIN SSH2 PUBLIC KEY ----", 'Comment: "a test key, with a comment \\', 'that continues"']
    return "\n".join([*header, *lines, "---- END SSH2 PUBLIC KEY ----", ""]).encode("ascii")


def _spell(key: Any, spelling: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    from minijwt import JWK

    encoding, public_format = serialization.Encoding, serialization.PublicFormat
    if spelling == "pem":
        return bytes(key.public_bytes(encoding.PEM, public_format.SubjectPublicKeyInfo))
    if spelling == "der":
        return bytes(key.public_bytes(encoding.DER, public_format.SubjectPublicKeyInfo))
    openssh = bytes(key.public_bytes(encoding.OpenSSH, public_format.OpenSSH))
    if spelling == "openssh":
        return openssh + b" user@host"
    if spelling == "authorized_keys":
        return b'no-pty,command="/bin/true" ' + openssh + b" user@host"
    if spelling == "rfc4716":
        return _rfc4716(openssh)
    assert spelling == "jwk"
    return JWK.from_key(key).to_json().encode("ascii")


def _wrap(data: bytes, wrapping: str) -> bytes:
    import base64

    if wrapping == "plain":
        return data
    if wrapping == "base64":
        return base64.b64encode(data)
    if wrapping == "base64-lines":  # as base64(1) and MIME write it
        return base64.encodebytes(data)
    if wrapping == "base64url":
        return base64.urlsafe_b64encode(data)
    assert wrapping == "base64url-unpadded"
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_BOM = b"\xef\xbb\xbf"
_SPACE = st.sampled_from([b"", b" ", b"\n", b"\r\n", b"\t \n"])


@st.composite
def public_key_spellings(draw: st.DrawFn) -> str | bytes:
    """A public key as text in one of the ways it is written down.

    PEM, DER, OpenSSH (with and without authorized_keys options), RFC 4716
    and JWK JSON, of an RSA, EC or Ed25519 key; plain or wrapped in base64 or
    base64url; with or without a byte order mark (inside or outside the
    wrapping) and white space; as bytes, or as str when it is UTF-8.
    """
    key = draw(st.sampled_from(_public_keys()))
    data = _spell(key, draw(st.sampled_from(["pem", "der", "openssh", "authorized_keys", "rfc4716", "jwk"])))
    if draw(st.booleans()):
        data = _BOM + data
    data = _wrap(data, draw(st.sampled_from(["plain", "base64", "base64-lines", "base64url", "base64url-unpadded"])))
    data = draw(_SPACE) + data + draw(_SPACE)
    if draw(st.booleans()):
        data = _BOM + data
    if draw(st.booleans()):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data


#: Algorithms mixed in the JWS JSON round trips: HMAC of two sizes, ECDSA,
#: EdDSA and RSA (the keys are made once per session).
jws_algorithms = st.sampled_from(["HS256", "HS512", "ES256", "EdDSA", "RS256"])


@st.composite
def jws_signer_specs(draw: st.DrawFn, b64: bool) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """1 to 4 signers of mixed algorithms: ``(alg, kid, protected, unprotected)``.

    Each signer's ``kid`` is unique and goes, at random, in its protected or
    its unprotected header, with extra members in either (never a name in
    both, never ``alg``, ``crit`` or ``b64``). With ``b64`` false every
    protected header says so, as RFC 7797 §3 requires of every signature.
    """
    algs = draw(st.lists(jws_algorithms, min_size=1, max_size=4))
    specs = []
    for index, alg in enumerate(algs):
        kid = f"key-{index}"
        protected: dict[str, Any] = {}
        unprotected: dict[str, Any] = {}
        (protected if draw(st.booleans()) else unprotected)["kid"] = kid
        for name, value in draw(extra_headers).items():
            if name != "kid":
                (protected if draw(st.booleans()) else unprotected)[name] = value
        if not b64:
            protected.update({"b64": False, "crit": ["b64"]})
        specs.append((alg, kid, protected, unprotected))
    return specs


#: A run of cache operations over a few keys (so that keys repeat):
#: ``("put", key, value)`` or ``("get", key, None)``; values are never None,
#: which a cache lookup returns for a missing key.
cache_operations = st.lists(
    st.tuples(st.just("put"), st.integers(0, 9), st.integers(0, 1000))
    | st.tuples(st.just("get"), st.integers(0, 9), st.none()),
    max_size=60,
)
