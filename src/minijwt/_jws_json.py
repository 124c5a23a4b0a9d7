"""The JWS JSON serialization (RFC 7515 §7.2): general and flattened.

:func:`parse` checks the structure of the whole JWS before any key is looked
up (the checks ``jws.verify_json`` lists); :func:`verify_each` then asks each
signature's algorithm, key and signature, and the caller decides how many must
verify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from ._algorithms import Algorithm, get_algorithm
from ._base64url import b64decode, b64encode
from ._compact import check_signature
from ._header import (
    EncodedHeader,
    check_b64,
    check_crit,
    check_understood,
    decode_header,
    freeze,
    payload_part,
    signing_input,
)
from ._json import dumps, loads_object
from ._keys import Key
from .errors import DecodeError, EncodeError, InvalidAlgorithmError, InvalidTokenError

__all__ = [
    "FORMS",
    "Outcomes",
    "ParsedJSON",
    "ParsedSignature",
    "PreparedSigner",
    "parse",
    "sign",
    "signature_alg",
    "unprotected_header",
    "verify_each",
]

#: The values of ``form=``: which syntax a JWS must use.
FORMS = ("any", "flattened", "general")

_SIGNATURE_MEMBERS = ("protected", "header", "signature")
_JWE_MEMBERS = ("ciphertext", "recipients", "encrypted_key", "iv", "tag")


class ParsedSignature(NamedTuple):
    """One signature of a JWS JSON serialization, its structure checked.

    Attributes:
        protected_segment: The ``protected`` member as sent (``""`` when absent).
        protected: The protected header, read-only (empty when absent).
        header: The unprotected header, read-only (empty when absent).
        joint: Both, read-only: what a key source is asked about.
        extensions: The ``crit`` names this library does not implement.
        b64: False for an unencoded payload (RFC 7797).
        signature: The decoded signature.
    """

    protected_segment: str
    protected: Mapping[str, Any]
    header: Mapping[str, Any]
    joint: Mapping[str, Any]
    extensions: frozenset[str]
    b64: bool
    signature: bytes


class ParsedJSON(NamedTuple):
    """A JWS JSON serialization, its structure checked, no signature verified.

    Attributes:
        payload: The payload (decoded, or the detached one given).
        payload_part: What follows the ``.`` in every signing input.
        signatures: The signatures, in order.
    """

    payload: bytes
    payload_part: bytes
    signatures: tuple[ParsedSignature, ...]


class PreparedSigner(NamedTuple):
    """One signer, checked and ready: its encoded protected header, unprotected header and key."""

    protected: EncodedHeader
    header: dict[str, Any] | None
    key: Key


def _as_object(jws: object, max_size: int) -> dict[str, Any]:
    if isinstance(jws, (str, bytes)):
        if len(jws) > max_size:
            raise DecodeError(f"JWS is longer than the limit of {max_size} characters")
        if isinstance(jws, str):
            try:
                data = jws.encode("utf-8")
            except UnicodeEncodeError:
                raise DecodeError("JWS text is not valid Unicode (it has a lone surrogate)") from None
        else:
            data = jws
        if not data.lstrip(b" \t\r\n").startswith(b"{"):
            if data.count(b".") in (2, 4):
                raise DecodeError("JWS is a compact serialization, not a JSON one (verify it with minijwt.jws.verify)")
            raise DecodeError("JWS is not a JSON serialization: a JSON object is expected")
        return loads_object(data, "JWS")
    if isinstance(jws, Mapping):
        # Through strict JSON and back: the same checks as text, and a copy
        # that nothing else holds.
        try:
            data = dumps(dict(jws), "JWS")
        except EncodeError as exc:
            raise DecodeError(exc.message) from None
        # The same limit as for text: a mapping is JSON text parsed by the
        # caller, and its size is what the checks below would cost.
        if len(data) > max_size:
            raise DecodeError(f"JWS is longer than the limit of {max_size} characters (as JSON text)")
        return loads_object(data, "JWS")
    raise DecodeError(f"JWS must be str, bytes or a mapping, not {type(jws).__name__}")


def parse(jws: object, max_size: int, form: str, detached: bytes | None, max_signatures: int) -> ParsedJSON:
    """Check the structure of a general or flattened JWS JSON serialization (text, or the parsed object).

    ``max_size`` bounds its JSON text; ``max_signatures`` is checked before any signature is parsed.

    Raises:
        DecodeError: The JWS is malformed (see ``jws.verify_json``), is in
            the other syntax than ``form`` asks, has no payload and none was
            given, or has one and another was given.
    """
    obj = _as_object(jws, max_size)
    if any(name in obj for name in _JWE_MEMBERS):
        raise DecodeError("JWS is a JWE (encrypted) JSON serialization, which this library does not decrypt")
    general = "signatures" in obj
    if general:
        if any(name in obj for name in _SIGNATURE_MEMBERS):
            raise DecodeError("JWS mixes the general syntax ('signatures') with members of the flattened one")
        entries = obj["signatures"]
        if type(entries) is not list:
            raise DecodeError("JWS member 'signatures' must be a list")
        if not entries:
            raise DecodeError("JWS has no signatures")
        if len(entries) > max_signatures:  # before any signature costs a key lookup (jws.DEFAULT_MAX_SIGNATURES)
            raise DecodeError(f"JWS has {len(entries)} signatures, more than the limit of {max_signatures}")
    elif "signature" not in obj:
        raise DecodeError("JWS has neither 'signatures' (general syntax) nor 'signature' (flattened syntax)")
    else:
        entries = [obj]
    if form == "flattened" and general:
        raise DecodeError("JWS uses the general syntax, but the flattened one is required")
    if form == "general" and not general:
        raise DecodeError("JWS uses the flattened syntax, but the general one is required")
    signatures = tuple(_signature(entry) for entry in entries)
    b64 = signatures[0].b64
    if any(signature.b64 is not b64 for signature in signatures):
        raise DecodeError("header 'b64' must be the same for every signature of a JWS (RFC 7797 §3)")
    if detached is not None:
        if "payload" in obj:
            raise DecodeError("JWS carries a payload, but a detached payload was given to check it against")
        return ParsedJSON(detached, payload_part(detached, b64), signatures)
    if "payload" not in obj:
        raise DecodeError("JWS has no payload: for a detached payload, give it with payload=")
    member = obj["payload"]
    if type(member) is not str:
        raise DecodeError("JWS member 'payload' must be a string")
    if b64:
        return ParsedJSON(b64decode(member, "payload"), member.encode("ascii"), signatures)
    payload = member.encode("utf-8")  # strict JSON text never holds a lone surrogate
    return ParsedJSON(payload, payload, signatures)


def _signature(entry: object) -> ParsedSignature:
    if type(entry) is not dict:
        raise DecodeError("each JWS signature must be a JSON object")
    segment = entry.get("protected", "")
    if "protected" in entry:
        if type(segment) is not str or not segment:
            raise DecodeError("JWS member 'protected' must be a non-empty string (absent when there is none)")
        protected = decode_header(segment)
    else:
        protected = {}
    unprotected = entry.get("header", {})
    if type(unprotected) is not dict:
        raise DecodeError("JWS member 'header' must be a JSON object")
    if "signature" not in entry:
        raise DecodeError("JWS signature has no 'signature' member")
    if type(entry["signature"]) is not str:
        raise DecodeError("JWS member 'signature' must be a string")
    signature = b64decode(entry["signature"], "signature")
    if not protected.keys().isdisjoint(unprotected):
        raise DecodeError("a header parameter is in both the protected and the unprotected header (RFC 7515 §7.2.1)")
    if "crit" in unprotected:
        raise DecodeError("header 'crit' must be integrity protected, not in the unprotected header (RFC 7515 §4.1.11)")
    if "b64" in unprotected:
        raise DecodeError("header 'b64' must be integrity protected, not in the unprotected header (RFC 7797 §3)")
    joint = {**protected, **unprotected}
    extensions = check_crit(joint, DecodeError)
    b64 = check_b64(joint, DecodeError)
    return ParsedSignature(segment, freeze(protected), freeze(unprotected), freeze(joint), extensions, b64, signature)


def signature_alg(signature: ParsedSignature, allowed: frozenset[str], unprotected_ok: bool) -> Algorithm:
    """The algorithm of one signature, read from its protected header.

    An ``alg`` in the unprotected header is used only when ``unprotected_ok``:
    anyone on the way may change it, and only the algorithm's own checks then
    keep a swap from passing.

    Raises:
        InvalidAlgorithmError: ``alg`` is missing, not protected (and not
            accepted so), ``none``, unknown or not in ``allowed``.
    """
    if "alg" in signature.protected:
        name = signature.protected["alg"]
    elif "alg" in signature.header:
        if not unprotected_ok:
            raise InvalidAlgorithmError(
                "the signature's 'alg' is in the unprotected header, where it is not integrity protected"
            )
        name = signature.header["alg"]
    else:
        raise InvalidAlgorithmError("header has no 'alg'")
    alg = get_algorithm(name)
    if alg.name not in allowed:
        raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
    return alg


def unprotected_header(header: object, protected_names: frozenset[str]) -> dict[str, Any] | None:
    """Check a signer's unprotected header and return a JSON copy of it (``None`` when empty).

    Raises:
        EncodeError: Not a mapping of strings to JSON values; a name that is
            also in the protected header (``alg`` always is); ``crit`` or
            ``b64``, which must be protected.
    """
    if header is None:
        return None
    if not isinstance(header, Mapping):
        raise EncodeError(f"an unprotected header must be a mapping, not {type(header).__name__}")
    if any(type(name) is not str for name in header):
        raise EncodeError("header parameter names must be strings")
    if not protected_names.isdisjoint(header):
        raise EncodeError(
            "a header parameter is in both the protected and the unprotected header (RFC 7515 §7.2.1); "
            "'alg' is always protected"
        )
    if "crit" in header:
        raise EncodeError("header 'crit' must be in the protected header (RFC 7515 §4.1.11)")
    if "b64" in header:
        raise EncodeError("header 'b64' must be in the protected header (RFC 7797 §3)")
    try:
        copy = loads_object(dumps(dict(header), "header"), "header")
    except DecodeError as exc:
        raise EncodeError(exc.message) from None
    return copy or None


def sign(payload: bytes, signers: Sequence[PreparedSigner], *, detached: bool, flattened: bool) -> dict[str, Any]:
    """Sign a payload with every signer; return the general or flattened JWS JSON object.

    Raises:
        EncodeError: The signers disagree on ``b64``; flattened with several
            signers; an attached unencoded payload that is not UTF-8 (a JSON
            string carries it).
    """
    if flattened and len(signers) != 1:
        raise EncodeError(f"the flattened syntax holds exactly one signature, not {len(signers)}")
    b64 = signers[0].protected.b64
    if any(signer.protected.b64 is not b64 for signer in signers):
        raise EncodeError("header 'b64' must be the same for every signature of a JWS (RFC 7797 §3)")
    out: dict[str, Any] = {}
    if not detached:
        if b64:
            out["payload"] = b64encode(payload)
        else:
            try:
                out["payload"] = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise EncodeError(
                    "an unencoded payload carried in a JWS JSON serialization is a JSON string, so it must be "
                    "UTF-8 text: sign it detached"
                ) from None
    part = payload_part(payload, b64)
    entries: list[dict[str, Any]] = []
    for signer in signers:
        alg, segment, _ = signer.protected
        entry: dict[str, Any] = {"protected": segment}
        if signer.header is not None:
            entry["header"] = signer.header
        entry["signature"] = b64encode(alg.sign(signer.key, signing_input(segment, part)))
        entries.append(entry)
    if flattened:
        out.update(entries[0])
    else:
        out["signatures"] = entries
    return out


class Outcomes(NamedTuple):
    """What verifying each signature of a JWS found.

    Attributes:
        results: Each signature with the key that verified it, or ``None``.
        first_verified: The first signature that verified, if any.
        first_error: Why the first that failed did, if any.
    """

    results: tuple[tuple[ParsedSignature, Key | None], ...]
    first_verified: ParsedSignature | None
    first_error: InvalidTokenError | None


def verify_each(
    parsed: ParsedJSON,
    resolve: Callable[[Mapping[str, Any], Algorithm], Key],
    allowed: frozenset[str],
    understood: frozenset[str],
    allow_unprotected_alg: bool,
    *,
    stop_early: bool,
) -> Outcomes:
    """Verify every signature in turn (RFC 7515 §7.2: the application decides how many must).

    With ``stop_early`` (every signature must verify) the first failure is raised.

    Raises:
        InvalidTokenError: With ``stop_early``, the first signature that failed.
    """
    results: list[tuple[ParsedSignature, Key | None]] = []
    first_verified: ParsedSignature | None = None
    first_error: InvalidTokenError | None = None
    for signature in parsed.signatures:
        try:
            check_understood(signature.extensions, understood)
            alg = signature_alg(signature, allowed, allow_unprotected_alg)
            found = resolve(signature.joint, alg)
            check_signature(
                alg, found, signing_input(signature.protected_segment, parsed.payload_part), signature.signature
            )
        except InvalidTokenError as exc:
            if stop_early:
                raise
            first_error = first_error or exc
            results.append((signature, None))
            continue
        first_verified = first_verified or signature
        results.append((signature, found))
    return Outcomes(tuple(results), first_verified, first_error)
