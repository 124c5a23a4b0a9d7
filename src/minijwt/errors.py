"""The exceptions minijwt raises.

Every error minijwt raises is a :class:`MiniJWTError`. Each class carries a
stable short :attr:`~minijwt.MiniJWTError.code`, suitable for logs and for the
``error`` field of an HTTP error body, next to a human-readable message. No
message ever contains the token itself.

The tree::

    MiniJWTError
    ├── InvalidTokenError            the token must be rejected
    │   ├── DecodeError              not a well-formed compact JWS / JWT
    │   ├── InvalidSignatureError    the signature does not verify
    │   ├── InvalidAlgorithmError    ``alg`` missing, unknown, ``none``, not allowed,
    │   │                            or not one the key can serve
    │   ├── ClaimError               a claim failed validation (``claim``, ``expected``, ``received``)
    │   │   ├── ExpiredSignatureError    ``exp`` has passed
    │   │   ├── ImmatureSignatureError   ``nbf`` has not yet come
    │   │   ├── InvalidIssuedAtError     ``iat`` is malformed, in the future or too old
    │   │   ├── InvalidAudienceError     ``aud`` does not name this recipient
    │   │   ├── InvalidIssuerError       ``iss`` is not the expected issuer
    │   │   ├── InvalidSubjectError      ``sub`` is not the expected subject
    │   │   ├── InvalidClaimError        another registered claim is malformed
    │   │   └── MissingRequiredClaimError  a required claim is absent
    │   ├── InvalidTokenTypeError    the ``typ`` header is not the expected type
    │   ├── KeyNotFoundError         no key fits the token (``kid`` unknown ...)
    │   └── InvalidDPoPProofError    a DPoP proof is missing, malformed or does not hold (RFC 9449)
    │       └── UseDPoPNonceError    the proof must carry the server's fresh nonce (``nonce``)
    ├── InvalidKeyError              a key is malformed, too weak or of the wrong type
    ├── InvalidOptionError           a verification option is invalid
    ├── EncodeError                  what was given to sign cannot be encoded
    └── JWKSFetchError               a remote JWK Set could not be fetched

The split is the HTTP one: an :class:`InvalidTokenError` is the token's fault
(answer 401), whatever its author put in it; :class:`InvalidKeyError` and
:class:`InvalidOptionError` are the server's own configuration (answer 500)
and are raised when a verifier is built, not when a token arrives.
"""

from __future__ import annotations

__all__ = [
    "ClaimError",
    "DecodeError",
    "EncodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidDPoPProofError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidSignatureError",
    "InvalidSubjectError",
    "InvalidTokenError",
    "InvalidTokenTypeError",
    "JWKSFetchError",
    "KeyNotFoundError",
    "MiniJWTError",
    "MissingRequiredClaimError",
    "UseDPoPNonceError",
]


class MiniJWTError(Exception):
    """Base class of every error minijwt raises."""

    #: A stable, short, machine-readable identifier of the error class (for
    #: example ``"invalid_signature"``). It never changes between releases, so
    #: it is safe to log, count and return to clients.
    code: str = "minijwt_error"

    def __init__(self, message: str) -> None:
        """Create the error.

        Args:
            message: What was wrong, in words a developer can act on. It must
                not contain the token or any secret.
        """
        super().__init__(message)
        self.message = message


class InvalidTokenError(MiniJWTError):
    """The token must be rejected. Base of every token-validation error."""

    code = "invalid_token"


class DecodeError(InvalidTokenError):
    """The token is not well formed: segments, base64url, UTF-8 or JSON."""

    code = "malformed_token"


class InvalidSignatureError(InvalidTokenError):
    """The signature does not verify with the given key."""

    code = "invalid_signature"


class InvalidAlgorithmError(InvalidTokenError):
    """The ``alg`` is missing, unknown, ``none``, or not in the allowlist."""

    code = "invalid_algorithm"


class ClaimError(InvalidTokenError):
    """A claim failed validation. Base of the claim errors.

    Attributes:
        claim: The claim's name, e.g. ``"exp"``.
        expected: What the verifier expected (the configured audience,
            issuer, subject, the time checked against ...), or ``None``.
        received: What the token held for the claim (``None`` when absent).
            Kept out of the message, which may be logged or sent to a client.
    """

    code = "invalid_claim"

    def __init__(self, message: str, *, claim: str, expected: object = None, received: object = None) -> None:
        """Create the error.

        Args:
            message: What was wrong with the claim; never the claim's value.
            claim: The claim's name, e.g. ``"exp"``.
            expected: What was expected, for programs that inspect the error.
            received: What the token held, for programs that inspect the error.
        """
        super().__init__(message)
        self.claim = claim
        self.expected = expected
        self.received = received


class ExpiredSignatureError(ClaimError):
    """The ``exp`` claim has passed (RFC 7519 §4.1.4)."""

    code = "token_expired"


class ImmatureSignatureError(ClaimError):
    """The ``nbf`` claim lies in the future (RFC 7519 §4.1.5)."""

    code = "token_not_yet_valid"


class InvalidIssuedAtError(ClaimError):
    """The ``iat`` claim is malformed, in the future, or older than allowed."""

    code = "invalid_issued_at"


class InvalidAudienceError(ClaimError):
    """The ``aud`` claim is malformed or does not name this recipient."""

    code = "invalid_audience"


class InvalidIssuerError(ClaimError):
    """The ``iss`` claim is malformed or not the expected issuer."""

    code = "invalid_issuer"


class InvalidSubjectError(ClaimError):
    """The ``sub`` claim is malformed or not the expected subject."""

    code = "invalid_subject"


class InvalidClaimError(ClaimError):
    """A registered claim (``exp``, ``nbf``, ``jti`` ...) has a value of the wrong type."""

    code = "invalid_claim"


class MissingRequiredClaimError(ClaimError):
    """A claim the caller requires is absent; ``claim`` names it."""

    code = "missing_claim"


class InvalidTokenTypeError(InvalidTokenError):
    """The ``typ`` header is missing or not the expected type (RFC 8725 §3.11)."""

    code = "invalid_token_type"


class KeyNotFoundError(InvalidTokenError):
    """No key fits the token, for example its ``kid`` is not in the key set."""

    code = "key_not_found"


class InvalidDPoPProofError(InvalidTokenError):
    """A DPoP proof (RFC 9449) is missing, repeated, malformed, forged, stale, replayed or for another request."""

    code = "invalid_dpop_proof"


class UseDPoPNonceError(InvalidDPoPProofError):
    """The proof lacks the server's nonce, or carries one it no longer accepts (RFC 9449 §8, §9).

    Attributes:
        nonce: A fresh nonce, for the ``DPoP-Nonce`` response header: the
            client's next proof carries it.
    """

    code = "use_dpop_nonce"

    def __init__(self, message: str, *, nonce: str) -> None:
        """Create the error.

        Args:
            message: Why the nonce was refused.
            nonce: The fresh nonce to send the client.
        """
        super().__init__(message)
        self.nonce = nonce


class InvalidKeyError(MiniJWTError):
    """A key is malformed, too weak, or does not fit the algorithm."""

    code = "invalid_key"


class InvalidOptionError(MiniJWTError):
    """An option given to a verifier is invalid (raised when it is given, not per token)."""

    code = "invalid_option"


class EncodeError(MiniJWTError):
    """A header, payload or claim set given to sign cannot be encoded."""

    code = "encode_error"


class JWKSFetchError(MiniJWTError):
    """A remote JWK Set (or the discovery document naming it) could not be fetched or used.

    Attributes:
        reason: Why, as one stable short word, safe to log and count:

            - ``"status"``: the server answered with a status other than 200;
            - ``"timeout"``: the whole exchange did not finish within the timeout;
            - ``"too_large"``: the body is larger than the size limit;
            - ``"redirect"``: the server answered with a redirect (3xx), which is
              never followed;
            - ``"insecure_url"``: the URL is not ``https`` (nor loopback ``http``),
              or is malformed;
            - ``"not_json"``: the body is not a strict JSON object;
            - ``"not_jwks"``: the object is not a JWK Set (no ``keys`` list, or an
              ambiguous set), or a discovery document lacks ``jwks_uri``;
            - ``"no_usable_key"``: no key in the set can verify any algorithm;
            - ``"too_many_keys"``: the set holds more keys than allowed;
            - ``"issuer_mismatch"``: the discovery document names another issuer;
            - ``"forbidden_address"``: the host of an issuer a token named
              resolves outside the public internet (see
              :class:`~minijwt.MultiIssuerVerifier`), so it is not contacted;
            - ``"network"``: the connection failed or broke (the default).
    """

    code = "jwks_fetch_failed"

    def __init__(self, message: str, *, reason: str = "network") -> None:
        """Create the error.

        Args:
            message: What went wrong; never the response body or a token.
            reason: One of the reason words listed on the class.
        """
        super().__init__(message)
        self.reason = reason
