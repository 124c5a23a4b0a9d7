"""JSON Web Signatures: sign bytes, verify a JWS (RFC 7515, RFC 7797).

This is the layer under JWT: it signs and verifies arbitrary payload bytes,
in the compact serialization (:func:`sign`, :func:`verify`) or the JSON one
(:func:`sign_json`, :func:`verify_json`), with the payload attached or
detached (RFC 7515 Appendix F), base64url-encoded or not (RFC 7797). Most
applications want :func:`minijwt.encode` and :func:`minijwt.decode`, which add
the JWT claim set on top.

Example:
    >>> from minijwt import jws
    >>> key = b"a-secret-of-at-least-32-bytes!!!"
    >>> token = jws.sign(b"hello", key, "HS256")
    >>> jws.verify(token, key, algorithms=["HS256"])
    b'hello'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal

from . import _compact
from ._algorithms import allowlist
from ._embedded import EmbeddedJWK, embedded_thumbprint
from ._header import decode_header, encode_protected, mutable_copy, understood_extensions
from ._keys import Key
from ._resolve import KeyInput, check_fits_any, fitting_resolver, resolver_for, signing_key
from .errors import DecodeError, EncodeError, InvalidAlgorithmError, InvalidOptionError, KeyNotFoundError

__all__ = [
    "DEFAULT_MAX_SIGNATURES",
    "DEFAULT_MAX_TOKEN_SIZE",
    "EmbeddedJWK",
    "SignatureResult",
    "Signer",
    "VerifiedJWS",
    "get_unverified_header",
    "sign",
    "sign_json",
    "verify",
    "verify_complete",
    "verify_json",
]

#: The longest token accepted by default, in characters (256 KiB), far above
#: any real token and far below what could hurt. A longer token is refused
#: before any decoding. Every verifying function takes ``max_token_size``.
DEFAULT_MAX_TOKEN_SIZE = _compact.DEFAULT_MAX_TOKEN_SIZE

#: The most signatures :func:`verify_json` accepts by default. Real JWS JSON
#: carries one to a few; each signature may cost a key lookup and a
#: verification, so the count is bounded before any of that work.
DEFAULT_MAX_SIGNATURES = 16


@dataclass(frozen=True, slots=True)
class SignatureResult:
    """One signature of a verified JWS, and whether it verified.

    Attributes:
        protected: Its protected header (the caller's own copy; empty when the
            signature has none).
        header: Its unprotected header (the caller's own copy; empty in the
            compact serialization, which has none). Nothing in it is
            integrity protected.
        verified: Whether the signature verified. With
            ``require="any"``, the others may not have.
        thumbprint: With :class:`EmbeddedJWK`, the RFC 7638 (SHA-256)
            thumbprint of the embedded key that verified the signature;
            ``None`` otherwise.
    """

    protected: dict[str, Any]
    header: dict[str, Any]
    verified: bool
    thumbprint: str | None = None


@dataclass(frozen=True, slots=True)
class VerifiedJWS:
    """A verified JWS: its payload, and what each signature said.

    Attributes:
        header: The protected header (the caller's own copy). For a JSON
            serialization, that of the first signature that verified.
        payload: The payload bytes (the detached payload when one was given).
        signatures: Every signature, in order, with its headers and whether it
            verified. A compact JWS has one.
    """

    header: dict[str, Any]
    payload: bytes
    signatures: tuple[SignatureResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Signer:
    """One signature to make with :func:`sign_json`: a key, an algorithm and its headers.

    Attributes:
        key: The signing key (as for :func:`sign`); never shown by ``repr``.
        algorithm: The JWA algorithm name. It goes in the protected header.
        protected: Further protected header parameters (``kid``, ``crit``,
            ``b64`` ...).
        header: Unprotected header parameters: not covered by the signature,
            so never ``alg``, ``crit`` or ``b64``, and no name that is also
            protected (RFC 7515 §7.2.1).
    """

    key: KeyInput = field(repr=False)
    algorithm: str
    _: KW_ONLY
    protected: Mapping[str, Any] | None = None
    header: Mapping[str, Any] | None = None


def _payload_bytes(payload: object, error: type[EncodeError | InvalidOptionError] = EncodeError) -> bytes:
    """The bytes of a payload, ``str`` encoded as UTF-8; anything else is an ``error``."""
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError:
            raise error("payload text is not valid Unicode (it has a lone surrogate)") from None
    if not isinstance(payload, bytes):
        raise error(f"payload must be bytes, not {type(payload).__name__}")
    return payload


def _detached(payload: object) -> bytes | None:
    """Check a ``payload=`` option: the detached payload to verify against."""
    if payload is None or type(payload) is bytes:
        return payload
    if isinstance(payload, str):
        return _payload_bytes(payload, InvalidOptionError)
    raise InvalidOptionError(f"payload must be bytes or str, not {type(payload).__name__}")


def sign(
    payload: bytes | str,
    key: KeyInput,
    algorithm: str,
    *,
    headers: Mapping[str, Any] | None = None,
    detached: bool = False,
) -> str:
    """Sign a payload and return the compact JWS.

    The protected header is ``{"alg": algorithm}`` followed by ``headers``;
    nothing else is added. With ``headers={"b64": False, "crit": ["b64"]}``
    the payload is signed as it is, not base64url-encoded (RFC 7797).

    Args:
        payload: The bytes to sign (``str`` is encoded as UTF-8).
        key: The signing key: an HMAC secret (``str``/``bytes``), a private key
            as PEM, DER or OpenSSH text, a ``cryptography`` private key, a
            :class:`~minijwt.JWK`, or a key from :func:`minijwt.load_key`.
        algorithm: The JWA algorithm name, e.g. ``"RS256"``.
        headers: Extra protected header parameters. An ``alg`` member must
            equal ``algorithm``.
        detached: Leave the payload out (RFC 7515 Appendix F): the result is
            ``header..signature``, and the recipient passes the payload to
            :func:`verify` with ``payload=``.

    Returns:
        The compact serialization ``header.payload.signature``.

    Raises:
        EncodeError: ``algorithm`` is unknown or ``none``; the payload or
            headers cannot be encoded; ``crit`` or ``b64`` break their rules
            (``b64`` must be listed in ``crit``); or an unencoded payload to
            carry in the token holds a ``.`` or a byte outside printable
            ASCII (sign it detached).
        InvalidKeyError: The key is malformed, too short, public, or does not
            fit the algorithm.

    Example:
        >>> from minijwt import jws
        >>> jws.sign(b"hi", b"a-secret-of-at-least-32-bytes!!!", "HS256").count(".")
        2
    """
    data = _payload_bytes(payload)
    if type(detached) is not bool:
        raise EncodeError("detached must be True or False")
    alg, header_b64, b64 = encode_protected(algorithm, headers)
    return _compact.sign_jws(header_b64, b64, data, signing_key(key, alg), alg, detached=detached)


def _verify_compact(  # noqa: PLR0917 - private; the public signatures are keyword-only
    token: object, key: object, algorithms: object, max_token_size: object, payload: object, crit: object
) -> tuple[_compact.ParsedCompact, Key]:
    allowed = allowlist(algorithms)
    max_size = _compact.check_max_token_size(max_token_size)
    understood = understood_extensions(crit)
    detached = _detached(payload)
    resolve = resolver_for(key)
    parsed = _compact.parse_jws(token, allowed, max_size, understood, detached)
    try:
        found = resolve(parsed[0], parsed[1])
    except (InvalidAlgorithmError, KeyNotFoundError):
        # No key for this token. If no key could serve any allowed algorithm,
        # no token ever could: that is the caller's configuration, said as
        # such (a verifier built ahead says it when it is built).
        check_fits_any(key, allowed, resolve)
        raise
    _compact.check_signature(parsed[1], found, parsed[2], parsed[3])
    return parsed, found


def verify_complete(
    token: str | bytes,
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
    payload: bytes | str | None = None,
    crit: Collection[str] = (),
) -> VerifiedJWS:
    """Verify a compact JWS and return its header, payload and signature.

    Same checks and options as :func:`verify`. This checks the signature
    only: for a JWT, use :func:`minijwt.decode_complete`, which also checks
    the claims.

    Returns:
        The verified header and payload, and the one signature (with the
        embedded key's thumbprint when ``key`` is an :class:`EmbeddedJWK`).

    Example:
        >>> from minijwt import jws
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> jws.verify_complete(jws.sign(b"hi", key, "HS256"), key, algorithms=["HS256"]).header
        {'alg': 'HS256'}
    """
    parsed, found = _verify_compact(token, key, algorithms, max_token_size, payload, crit)
    thumbprint = embedded_thumbprint(found) if isinstance(key, EmbeddedJWK) else None
    header, _, _, _, payload = parsed
    result = SignatureResult(mutable_copy(header), {}, True, thumbprint)
    return VerifiedJWS(mutable_copy(header), payload, (result,))


def verify(
    token: str | bytes,
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
    payload: bytes | str | None = None,
    crit: Collection[str] = (),
) -> bytes:
    """Verify a compact JWS and return its payload.

    Checks, in order: the token is ``str``/``bytes`` of at most
    ``max_token_size`` characters with exactly three segments; each segment
    is canonical base64url (the payload segment is not decoded when the
    header says ``b64: false``, RFC 7797); the header is a strict JSON object;
    ``crit``, if present, is well formed and names only extensions this
    library implements (``b64``) or that ``crit`` declares; its ``alg`` is a
    string naming an algorithm in ``algorithms`` (``none`` never is); the key
    can serve the algorithm; the signature verifies. Header parameters
    ``jwk``, ``jku``, ``x5u`` and ``x5c`` are never used to find a key,
    unless ``key`` is an :class:`EmbeddedJWK`.

    A JSON serialization is refused: verify it with :func:`verify_json`.

    Args:
        token: The compact JWS.
        key: The verification key: an HMAC secret, a public (or private) key
            as PEM, DER or OpenSSH text, a certificate, a ``cryptography`` key,
            a key from :func:`minijwt.load_key`, a :class:`~minijwt.JWK`, a
            :class:`~minijwt.JWKSet` (the token's ``kid`` picks the key), or
            any :class:`~minijwt.KeySource`.
        algorithms: The algorithms you accept, e.g. ``["RS256"]``. Required:
            choosing them is the caller's decision, never the token's.
        max_token_size: The longest token accepted, in characters.
        payload: The detached payload (RFC 7515 Appendix F), for a token
            sent as ``header..signature``; ``str`` is encoded as UTF-8.
        crit: The extension header parameters you understand and check
            yourself (RFC 7515 §4.1.11): a token whose ``crit`` lists any
            other name is refused. ``b64`` is understood without it.

    Returns:
        The payload bytes.

    Raises:
        DecodeError: The token is malformed or too long; its ``crit`` names
            an extension not understood; a payload is given and the token
            carries one too.
        InvalidAlgorithmError: ``alg`` is missing, ``none``, unknown, not
            allowed, or not one a single key can serve.
        InvalidSignatureError: The signature does not verify.
        KeyNotFoundError: A key source has no key for the token.
        InvalidOptionError: ``algorithms``, ``max_token_size``, ``payload``
            or ``crit`` is invalid.
        InvalidKeyError: The key is malformed, or fits none of ``algorithms``.

    Example:
        >>> from minijwt import jws
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> token = jws.sign(b"the body", key, "HS256", detached=True)
        >>> token.split(".")[1]
        ''
        >>> jws.verify(token, key, algorithms=["HS256"], payload=b"the body")
        b'the body'
    """
    return _verify_compact(token, key, algorithms, max_token_size, payload, crit)[0][4]


def sign_json(
    payload: bytes | str, signers: Signer | Sequence[Signer], *, detached: bool = False, flattened: bool | None = None
) -> dict[str, Any]:
    """Sign a payload with one or more keys; return the JWS JSON serialization (RFC 7515 §7.2).

    Each :class:`Signer` makes one signature, with ``alg`` (and the signer's
    ``protected`` parameters) in its protected header and its ``header``
    parameters unprotected.

    Args:
        payload: The bytes to sign (``str`` is encoded as UTF-8).
        signers: One signer, or several.
        detached: Leave the ``payload`` member out (RFC 7515 Appendix F).
        flattened: The flattened syntax (``True``, one signer only) or the
            general one (``False``); by default flattened for one signer and
            general for several.

    Returns:
        The JWS as a JSON object (a ``dict``), ready for ``json.dumps``.

    Raises:
        EncodeError: No signer, or not :class:`Signer` objects; flattened
            with several; as :func:`sign` for each signer's algorithm and
            protected header; an unprotected header with ``alg``, ``crit``,
            ``b64`` or another protected name; signers that disagree on
            ``b64``; an unencoded payload to carry that is not UTF-8.
        InvalidKeyError: A key does not fit its algorithm.

    Example:
        >>> from minijwt import jws
        >>> signer = jws.Signer(b"a-secret-of-at-least-32-bytes!!!", "HS256", header={"kid": "k1"})
        >>> sorted(jws.sign_json(b"hi", signer))
        ['header', 'payload', 'protected', 'signature']
    """
    from . import _jws_json  # the JSON serialization loads on first use

    data = _payload_bytes(payload)
    if isinstance(signers, Signer):
        signers = (signers,)
    elif not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)):
        raise EncodeError(f"signers must be a Signer or a sequence of them, not {type(signers).__name__}")
    if not signers:
        raise EncodeError("sign_json needs at least one signer")
    if not all(isinstance(signer, Signer) for signer in signers):
        raise EncodeError("signers must be minijwt.jws.Signer objects")
    if type(detached) is not bool:
        raise EncodeError("detached must be True or False")
    if flattened is not None and type(flattened) is not bool:
        raise EncodeError("flattened must be True, False or None")
    prepared = []
    for signer in signers:
        protected = encode_protected(signer.algorithm, signer.protected)
        names = frozenset({"alg", *(signer.protected or ())})
        header = _jws_json.unprotected_header(signer.header, names)
        prepared.append(_jws_json.PreparedSigner(protected, header, signing_key(signer.key, protected.alg)))
    return _jws_json.sign(
        data, prepared, detached=detached, flattened=len(prepared) == 1 if flattened is None else flattened
    )


def verify_json(
    jws: str | bytes | Mapping[str, Any],
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    payload: bytes | str | None = None,
    require: Literal["any", "all"] = "any",
    crit: Collection[str] = (),
    allow_unprotected_alg: bool = False,
    form: Literal["any", "flattened", "general"] = "any",
    max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
) -> VerifiedJWS:
    """Verify a JWS JSON serialization, general or flattened (RFC 7515 §7.2).

    The whole structure is checked first (any fault is a ``DecodeError``):
    strict JSON; the members and their types; canonical base64url; each
    protected header a strict JSON object; no header parameter both protected
    and unprotected (RFC 7515 §7.2.1); ``crit`` and ``b64`` protected only
    and well formed, with one ``b64`` value for all signatures (RFC 7797 §3).
    Then each signature is verified in turn: its ``alg``, read from its
    protected header, must be in ``algorithms``; its ``crit`` must name only
    extensions understood; the key (chosen per signature from its joint
    header, e.g. by ``kid`` from a :class:`~minijwt.JWKSet`) must fit; the
    signature must verify.

    Args:
        jws: The JWS, as JSON text or as the parsed object.
        key: The verification key, or a key source (see :func:`verify`).
        algorithms: The algorithms you accept. Required.
        payload: The detached payload (RFC 7515 Appendix F), for a JWS sent
            without its ``payload`` member.
        require: ``"any"``: at least one signature must verify, and the
            result says which did; ``"all"``: every one must.
        crit: The extension header parameters you understand (see
            :func:`verify`).
        allow_unprotected_alg: Also read ``alg`` from a signature's
            unprotected header, as RFC 7520 §4.7 does. Off by default: an
            unprotected ``alg`` is not covered by the signature, so anyone on
            the way can swap it, and only the key's fit to the algorithm then
            stands between a swap and a forgery.
        form: ``"flattened"`` or ``"general"`` to accept only that syntax.
        max_token_size: The longest JSON text accepted, in characters; for a
            mapping, the length of its JSON text.
        max_signatures: The most signatures a JWS may carry (default 16),
            checked with the structure, before any key is looked up: each
            signature can cost a verification.

    Returns:
        The payload and every signature's headers and outcome. ``header`` is
        the protected header of the first signature that verified.

    Raises:
        DecodeError: The JWS is malformed, too long, has more than
            ``max_signatures`` signatures, is a compact serialization
            (verify it with :func:`verify`), of the other ``form``, without a
            payload when none is given, or with one when one is.
        InvalidTokenError: No signature verified (``"any"``), or one did not
            (``"all"``): the subclass says why, for the first that failed
            (``InvalidSignatureError``, ``InvalidAlgorithmError``,
            ``KeyNotFoundError``, ``DecodeError`` for an extension not
            understood).
        InvalidOptionError: An option is invalid.
        InvalidKeyError: The key is malformed, or fits none of ``algorithms``.

    Example:
        >>> from minijwt import jws
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> signed = jws.sign_json(b"hi", jws.Signer(key, "HS256"))
        >>> jws.verify_json(signed, key, algorithms=["HS256"]).payload
        b'hi'
    """
    from . import _jws_json  # the JSON serialization loads on first use

    allowed = allowlist(algorithms)
    understood = understood_extensions(crit)
    if require != "any" and require != "all":  # noqa: PLR1714 - a str of another type never matches
        raise InvalidOptionError("require must be 'any' or 'all'")
    if form not in _jws_json.FORMS or type(form) is not str:
        raise InvalidOptionError("form must be 'any', 'flattened' or 'general'")
    if type(allow_unprotected_alg) is not bool:
        raise InvalidOptionError("allow_unprotected_alg must be True or False")
    max_size = _compact.check_max_token_size(max_token_size)
    if type(max_signatures) is not int or max_signatures < 1:
        raise InvalidOptionError("max_signatures must be a positive int")
    detached = _detached(payload)
    resolve = fitting_resolver(key, allowed)
    embedded = isinstance(key, EmbeddedJWK)
    parsed = _jws_json.parse(jws, max_size, form, detached, max_signatures)
    if embedded and any("jwk" in signature.header for signature in parsed.signatures):
        raise DecodeError("header 'jwk' is in an unprotected header; an embedded key must be integrity protected")
    outcomes = _jws_json.verify_each(
        parsed, resolve, allowed, understood, allow_unprotected_alg, stop_early=require == "all"
    )
    results = tuple(
        SignatureResult(
            mutable_copy(signature.protected),
            mutable_copy(signature.header),
            found is not None,
            embedded_thumbprint(found) if embedded and found is not None else None,
        )
        for signature, found in outcomes.results
    )
    if outcomes.first_verified is None:
        assert outcomes.first_error is not None
        raise outcomes.first_error
    return VerifiedJWS(mutable_copy(outcomes.first_verified.protected), parsed.payload, results)


def get_unverified_header(token: str | bytes, *, max_token_size: int = DEFAULT_MAX_TOKEN_SIZE) -> dict[str, Any]:
    """Return a token's protected header without verifying anything.

    Use it only to choose how to verify (for example to read ``kid``); never
    trust what it returns.

    Args:
        token: A compact JWS.
        max_token_size: The longest token accepted, in characters.

    Returns:
        The header as a dict.

    Raises:
        DecodeError: The token or its header is malformed, or too long.

    Example:
        >>> import minijwt
        >>> token = minijwt.encode({}, b"a-secret-of-at-least-32-bytes!!!", headers={"kid": "k1"})
        >>> minijwt.get_unverified_header(token)["kid"]
        'k1'
    """
    text = _compact.as_text(token, max_token_size)
    return decode_header(_compact.split(text)[0])
