"""``DPoPClient``: the client side of RFC 9449, making the proofs a test sends."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse
from collections.abc import Callable

import minijwt
from minijwt.errors import InvalidOptionError

from ._keys import KeyMaker, signing_algorithm

__all__ = ["DPoPClient"]


class DPoPClient:
    """A DPoP client's key pair, and the proofs it signs with it (RFC 9449 §4).

    Give it to :meth:`FakeIssuer.token` as ``dpop_key=`` to bind a token to
    its key, then send ``Authorization: DPoP <token>`` with a fresh
    :meth:`proof` as the ``DPoP`` header of each request.

    Args:
        alg: The proofs' algorithm: ``ES256``, ``RS256``, ``PS256``,
            ``EdDSA``, or another with a key pair.
        clock: The proofs' ``iat``, in seconds since the epoch; the system
            clock by default.

    Raises:
        InvalidOptionError: ``alg`` has no key pair.

    Example:
        >>> from minijwt.dpop import DPoPVerifier
        >>> from minijwt.testing import DPoPClient
        >>> client = DPoPClient()
        >>> proof = client.proof("GET", "https://api.example/orders?page=2")
        >>> verifier = DPoPVerifier(algorithms=["ES256"])
        >>> verifier.verify(proof, method="GET", url="https://api.example/orders").jkt == client.jkt
        True
    """

    def __init__(self, alg: str = "ES256", *, clock: Callable[[], float] | None = None) -> None:
        """Make the key pair."""
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds since the epoch")
        algorithm = signing_algorithm(alg, "a DPoP client")
        maker = KeyMaker(algorithm, None)
        self._key = maker.key(maker.kid())
        self._alg = algorithm.name
        # RFC 9449 §4.2: the header's jwk is the public key, and nothing private.
        public = self._key.public().to_dict()
        self._jwk = {name: value for name, value in public.items() if name not in ("kid", "use", "alg", "key_ops")}
        self._jkt = self._key.thumbprint()
        self._clock = clock

    @property
    def alg(self) -> str:
        """The proofs' algorithm."""
        return self._alg

    @property
    def jkt(self) -> str:
        """The key's RFC 7638 SHA-256 thumbprint, which a bound token carries as ``cnf.jkt``."""
        return self._jkt

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key, as the proofs' ``jwk`` header carries it."""
        return dict(self._jwk)

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: int | None = None,
        jti: str | None = None,
    ) -> str:
        """A DPoP proof for one request (RFC 9449 §4.2).

        Args:
            method: The request's method (``htm``).
            url: The request's URL; ``htu`` is it without query and fragment.
            access_token: The token sent with it: its hash is ``ath``.
            nonce: The server's ``DPoP-Nonce``, when it asked for one.
            iat: The issue time; the clock's by default.
            jti: The proof's identifier; random by default.

        Returns:
            The proof, for the ``DPoP`` header.
        """
        parts = urllib.parse.urlsplit(url)
        claims: dict[str, object] = {
            "jti": jti if jti is not None else secrets.token_urlsafe(16),
            "htm": method,
            "htu": urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "iat": iat if iat is not None else int(self._clock() if self._clock is not None else time.time()),
        }
        if access_token is not None:
            digest = hashlib.sha256(access_token.encode("ascii")).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if nonce is not None:
            claims["nonce"] = nonce
        return minijwt.encode(claims, self._key, self._alg, headers={"typ": "dpop+jwt", "jwk": self._jwk})

    def __repr__(self) -> str:
        """``DPoPClient('<alg>', jkt='<thumbprint>')``."""
        return f"DPoPClient({self._alg!r}, jkt={self._jkt!r})"
