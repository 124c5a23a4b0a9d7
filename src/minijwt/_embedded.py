"""Embedded keys: the key source :class:`minijwt.jws.EmbeddedJWK` (ACME, DPoP)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ._algorithms import ALGORITHMS, Algorithm, allowlist
from ._header import mutable_copy
from ._keys import Key, SecretKey
from ._resolve import _BuiltinKeySource
from .errors import DecodeError, InvalidKeyError, InvalidOptionError, KeyNotFoundError

__all__ = ["EmbeddedJWK", "embedded_thumbprint"]


class EmbeddedJWK(_BuiltinKeySource):
    """A key source that verifies with the public key in the protected header's ``jwk``.

    For protocols whose messages carry their own key and prove its possession:
    ACME (RFC 8555 §6.2) account requests, DPoP proofs (RFC 9449). The
    signature then only shows that whoever sent the message holds the
    embedded key: the caller decides what that key may do, usually by its
    thumbprint, which every verify function returns with the result (the
    ``thumbprint`` of each :class:`~minijwt.jws.SignatureResult`).

    Never a default: pass one explicitly, wherever a key is expected. Refused,
    as a token problem: a header without ``jwk``, a ``jwk`` in the unprotected
    header of a JSON serialization, a private or symmetric key, a malformed or
    weak one, one whose ``use``, ``key_ops`` or ``alg`` forbid verifying with
    the token's algorithm, and an algorithm not in :attr:`algorithms`.

    Example:
        >>> from minijwt import JWK, jws
        >>> account = JWK.generate("ES256")
        >>> token = jws.sign(b"{}", account, "ES256", headers={"jwk": account.public().to_dict()})
        >>> result = jws.verify_complete(token, jws.EmbeddedJWK(algorithms=["ES256"]), algorithms=["ES256"])
        >>> result.signatures[0].thumbprint == account.thumbprint()
        True
    """

    __slots__ = ("_algorithms",)

    def __init__(self, *, algorithms: str | Collection[str]) -> None:
        """Accept embedded keys for these algorithms.

        Args:
            algorithms: The asymmetric algorithms an embedded key may be used
                with (the verify call's ``algorithms`` still apply too).

        Raises:
            InvalidOptionError: ``algorithms`` is invalid or names an HMAC
                algorithm: a key that travels with the message cannot be a
                shared secret.
        """
        allowed = allowlist(algorithms)
        symmetric = sorted(name for name in allowed if ALGORITHMS[name].key_type is SecretKey)
        if symmetric:
            raise InvalidOptionError(
                f"EmbeddedJWK takes asymmetric algorithms only: {', '.join(symmetric)} would need the secret "
                "to travel with the message"
            )
        self._algorithms = allowed

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms an embedded key may be used with."""
        return self._algorithms

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The :class:`~minijwt.KeySource` method: the public key of the header's ``jwk``.

        Raises:
            KeyNotFoundError: No ``jwk``, a private or symmetric one, one that
                may not verify ``alg``, or ``alg`` not accepted here.
            DecodeError: The ``jwk`` is not a JSON object or not a valid key.
        """
        if alg.name not in self._algorithms:
            raise KeyNotFoundError(f"an embedded key is not accepted for {alg.name}")
        member = header.get("jwk")
        if member is None:
            raise KeyNotFoundError("the protected header has no 'jwk' to verify with")
        if not isinstance(member, Mapping):
            raise DecodeError("header 'jwk' must be a JSON object")
        from ._jwk_members import PRIVATE_MEMBERS  # only for embedded keys: not loaded with minijwt

        members = mutable_copy(member)
        if members.get("kty") == "oct":
            raise KeyNotFoundError("header 'jwk' is a symmetric key, which is never accepted from a message")
        if any(name in members for name in PRIVATE_MEMBERS):
            raise KeyNotFoundError("header 'jwk' holds a private key, which a message must never carry")
        try:
            from .jwk import JWK  # only for embedded keys: not loaded with minijwt

            jwk = JWK.from_dict(members)
        except InvalidKeyError as exc:
            raise DecodeError(f"header 'jwk' is not a usable public key: {exc.message}") from None
        if jwk.is_private:  # pragma: no cover - excluded by the member check above
            raise KeyNotFoundError("header 'jwk' holds a private key, which a message must never carry")
        if not jwk.can_verify(alg):
            raise KeyNotFoundError(f"header 'jwk' may not verify {alg.name}")
        return jwk.key

    def can_serve(self, allowed: frozenset[str]) -> bool:
        """Whether an embedded key may be used with one of the ``allowed`` algorithms."""
        return not self._algorithms.isdisjoint(allowed)

    def __repr__(self) -> str:
        return f"EmbeddedJWK(algorithms={sorted(self._algorithms)!r})"


def embedded_thumbprint(key: Key) -> str:
    """The RFC 7638 (SHA-256) thumbprint of an embedded key, for the verify results."""
    from ._jwk_members import thumbprint  # only for embedded keys: not loaded with minijwt

    return thumbprint(key)
