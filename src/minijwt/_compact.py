"""The compact JWS serialization (RFC 7515 §7.1): token text in, token text out.

Verifying is split in two around the key lookup, the only step that may wait
for I/O: :func:`parse_jwt` (a JWT) or :func:`parse_jws` (detached or unencoded
payloads too), then the caller resolves the key, then :func:`check_signature`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._algorithms import Algorithm
from ._base64url import b64decode, b64encode
from ._header import (
    HEADER_CACHE_MAX_LENGTH,
    ParsedHeader,
    check_understood,
    decode_header,
    parse_header,
    parse_header_uncached,
    payload_part,
    signing_input,
)
from ._keys import Key
from .errors import DecodeError, EncodeError, InvalidAlgorithmError, InvalidOptionError, InvalidSignatureError

__all__ = [
    "DEFAULT_MAX_TOKEN_SIZE",
    "ParsedCompact",
    "as_text",
    "bad_signature",
    "check_max_token_size",
    "check_signature",
    "parse_jws",
    "parse_jwt",
    "shape_error",
    "sign",
    "sign_jws",
    "split",
]

_NOTHING: frozenset[str] = frozenset()

#: The longest token accepted by default, in characters (``jws.DEFAULT_MAX_TOKEN_SIZE`` says why).
DEFAULT_MAX_TOKEN_SIZE = 256 * 1024


#: A compact JWS whose shape and header have been checked, signature not yet:
#: ``(header, alg, signing_input, signature, payload)``, the protected header
#: (read-only), its algorithm (one of the allowed ones), the bytes the
#: signature covers, the decoded signature and the decoded payload (not to be
#: trusted before the signature). A plain tuple: a NamedTuple's instance costs
#: a third of a microsecond more to make, on every token.
ParsedCompact = tuple[Mapping[str, Any], Algorithm, bytes, bytes, bytes]


def check_max_token_size(value: object) -> int:
    """Validate a ``max_token_size`` option: a positive integer, or an ``InvalidOptionError``."""
    if type(value) is not int or value <= 0:
        raise InvalidOptionError("max_token_size must be a positive integer")
    return value


def as_text(token: object, max_token_size: int) -> str:
    """Check a token's type and size and return it as text, before decoding."""
    if not isinstance(token, (str, bytes)):
        raise DecodeError(f"token must be str or bytes, not {type(token).__name__}")
    if len(token) > max_token_size:
        raise DecodeError(f"token is longer than the limit of {max_token_size} characters")
    if isinstance(token, bytes):
        try:
            return token.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("token contains bytes that are not ASCII") from None
    return token


def split(token: str) -> tuple[str, str, str]:
    """Split a compact JWS into its three segments, explaining other shapes."""
    parts = token.split(".")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise shape_error(token)


def shape_error(token: str) -> DecodeError:
    """The error for a token that does not have three segments, saying what it looks like."""
    if token.lstrip().startswith("{"):
        return DecodeError(
            "token is a JWS JSON serialization; only the compact serialization is accepted here "
            "(verify it with minijwt.jws.verify_json)"
        )
    segments = token.count(".") + 1
    message = f"token must have 3 segments separated by '.', but has {segments}"
    if segments not in (5, 6):
        return DecodeError(message)
    header = _first_header(token)
    # RFC 7516 §4.1.2: "enc" is required in a JWE header, and a compact JWE
    # carries its whole header protected (§7.1), so five segments opening with
    # a header that has "enc" are a JWE; without one, five or six segments are
    # most often two JWS pasted together (with white space between, or a dot).
    if segments == 5 and header is not None and "enc" in header:
        return DecodeError("token has 5 segments: it is a JWE (encrypted), which this library does not decrypt")
    if header is not None:
        return DecodeError(message + " (two tokens pasted together?)")
    return DecodeError(message)


#: The longest first segment :func:`shape_error` decodes to describe a token:
#: real headers are a few hundred characters, and a refused token is never
#: worth more work than that.
_DESCRIBED_HEADER_LENGTH = 4096


def _first_header(token: str) -> dict[str, Any] | None:
    """The JSON object the first segment of a misshapen token decodes to, or ``None``."""
    segment = token.partition(".")[0].strip()
    if len(segment) > _DESCRIBED_HEADER_LENGTH:
        return None
    try:
        return decode_header(segment)
    except DecodeError:
        return None


def parse_jwt(
    token: object, allowed: frozenset[str], max_token_size: int, understood: frozenset[str] = _NOTHING
) -> ParsedCompact:
    """Check a compact JWS with an attached, encoded payload (a JWT) up to, not including, its signature.

    The order follows RFC 7515 §5.2 and RFC 8725: size and shape first, then
    the header (its ``crit`` against ``understood``) and its ``alg`` against
    ``allowed``, then the signature and payload segments' encoding. Nothing in
    the payload is looked at.

    Raises:
        DecodeError: The token is malformed or too long, its ``crit`` names an
            extension not in ``understood``, or its payload is unencoded
            (``b64: false``, which a JWT never is: RFC 7797 §7).
        InvalidAlgorithmError: ``alg`` is missing, ``none``, unknown or not
            allowed.
    """
    text = token if type(token) is str and len(token) <= max_token_size else as_text(token, max_token_size)
    try:
        header_b64, payload_b64, signature_b64 = text.split(".")
    except ValueError:  # not three segments
        raise shape_error(text) from None
    if len(header_b64) <= HEADER_CACHE_MAX_LENGTH:
        header, alg, extensions, b64 = parse_header(header_b64)
    else:
        header, alg, extensions, b64 = parse_header_uncached(header_b64)
    if extensions or not b64:  # rare: one truth test for every other header
        check_understood(extensions, understood)
        if not b64:
            raise DecodeError("a JWT cannot have an unencoded payload ('b64': false, RFC 7797 §7)")
    if alg.name not in allowed:
        raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
    signature = b64decode(signature_b64, "signature")
    payload = b64decode(payload_b64, "payload")
    # RFC 7515 §5.2: the signing input is the text before the last ".", known
    # to be ASCII once all three segments have decoded.
    signing_input = text.rpartition(".")[0].encode("ascii")
    return header, alg, signing_input, signature, payload


def parse_jws(
    token: object, allowed: frozenset[str], max_token_size: int, understood: frozenset[str], detached: bytes | None
) -> ParsedCompact:
    """:func:`parse_jwt` for any compact JWS: detached (RFC 7515 Appendix F) or unencoded (RFC 7797) payloads too.

    ``detached`` is the payload of a token sent without it (its payload
    segment must then be empty).

    Raises:
        DecodeError: As :func:`parse_jwt`; or a payload is given and the token
            carries one too; or an unencoded attached payload is not ASCII.
        InvalidAlgorithmError: As :func:`parse_jwt`.
    """
    text = token if type(token) is str and len(token) <= max_token_size else as_text(token, max_token_size)
    try:
        header_b64, payload_segment, signature_b64 = text.split(".")
    except ValueError:  # not three segments
        raise shape_error(text) from None
    parsed: ParsedHeader = (
        parse_header(header_b64) if len(header_b64) <= HEADER_CACHE_MAX_LENGTH else parse_header_uncached(header_b64)
    )
    header, alg, extensions, b64 = parsed
    check_understood(extensions, understood)
    if alg.name not in allowed:
        raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
    signature = b64decode(signature_b64, "signature")
    if detached is not None:
        if payload_segment:
            raise DecodeError("the token carries a payload, but a detached payload was given to check it against")
        payload = detached
        part = payload_part(detached, b64)
    elif b64:
        payload = b64decode(payload_segment, "payload")
        part = payload_segment.encode("ascii")
    else:
        try:
            payload = part = payload_segment.encode("ascii")
        except UnicodeEncodeError:
            raise DecodeError("an unencoded payload in a compact JWS must be ASCII") from None
    data = signing_input(header_b64, part)
    return header, alg, data, signature, payload


def check_signature(alg: Algorithm, key: Key, signing_input: bytes, signature: bytes) -> None:
    """Check one signature with a key that fits ``alg``: ``InvalidSignatureError`` when it does not verify."""
    if not alg.verify(key, signing_input, signature):
        raise bad_signature()


def bad_signature() -> InvalidSignatureError:
    """The error for a signature that does not verify (one message everywhere)."""
    return InvalidSignatureError("signature verification failed")


def sign(header_b64: str, payload_b64: str, key: Key, alg: Algorithm) -> str:
    """Sign the encoded header and payload; return the compact JWS.

    The key has been checked for ``alg`` by ``_resolve.signing_key``.
    """
    signing_input = header_b64 + "." + payload_b64
    return signing_input + "." + b64encode(alg.sign(key, signing_input.encode("ascii")))


# What an unencoded payload may hold in a compact JWS that carries it: ASCII
# from space to tilde, but no "." (RFC 7797 §5.2).
_COMPACT_UNENCODED = frozenset(range(0x20, 0x7F)) - {ord(".")}


def sign_jws(header_b64: str, b64: bool, payload: bytes, key: Key, alg: Algorithm, *, detached: bool) -> str:
    """Sign any payload; return the compact JWS, without its payload when ``detached``."""
    if b64:
        part = b64encode(payload)
    else:
        if not detached and not _COMPACT_UNENCODED.issuperset(payload):
            raise EncodeError(
                "an unencoded payload carried in a compact JWS must be printable ASCII without '.' "
                "(RFC 7797 §5.2): sign it detached, or use the JSON serialization"
            )
        part = payload.decode("ascii") if not detached else ""
    signature = alg.sign(key, signing_input(header_b64, part.encode("ascii") if b64 else payload))
    return header_b64 + "." + ("" if detached else part) + "." + b64encode(signature)
