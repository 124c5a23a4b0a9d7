"""Sender-constrained tokens: DPoP proofs verified at the resource server (RFC 9449).

A DPoP-bound access token names a key's thumbprint in ``cnf.jkt``; each
request carries a ``DPoP`` header, a short JWT signed with that key over the
method, the URL and a hash of the token. :class:`DPoPVerifier` checks such a
proof, every check of RFC 9449 §4.3, with a replay store and, when asked for,
server nonces (§8, §9). The web integrations take one as ``dpop=``.

Example:
    >>> import time, minijwt
    >>> from minijwt.dpop import DPoPVerifier
    >>> client_key = minijwt.JWK.generate("ES256")
    >>> proof = minijwt.encode(
    ...     {"jti": "a1", "htm": "GET", "htu": "https://api.example/orders", "iat": int(time.time())},
    ...     client_key, "ES256", headers={"typ": "dpop+jwt", "jwk": client_key.public().to_dict()},
    ... )
    >>> result = DPoPVerifier(algorithms=["ES256"]).verify(proof, method="GET", url="https://api.example/orders?page=2")
    >>> result.jkt == client_key.thumbprint()
    True
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import hashlib
import hmac
import inspect
import os
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from . import _compact
from ._algorithms import ALGORITHMS, allowlist
from ._base64url import b64decode, b64encode
from ._claims import is_number, to_timestamp
from ._dpop import access_token_hash, normalized_htu, proof_key, replay_key, typ_is_dpop
from ._header import mutable_copy
from ._json import loads_object
from ._keys import SecretKey
from .errors import (
    DecodeError,
    InvalidDPoPProofError,
    InvalidOptionError,
    InvalidTokenError,
    UseDPoPNonceError,
)

__all__ = [
    "DPoPResult",
    "DPoPVerifier",
    "HMACNonceSource",
    "MemoryReplayStore",
    "NonceSource",
    "ReplayStore",
]

#: The longest DPoP header accepted by default, in characters.
DEFAULT_MAX_PROOF_SIZE = 8192
_NO_EXTENSIONS: frozenset[str] = frozenset()


@runtime_checkable
class ReplayStore(Protocol):
    """Where a verifier records the proofs it accepted, so that none is accepted twice (RFC 9449 §11.1).

    A store shared by several processes (Redis, a database) protects them all;
    the key it is given is the same in every process. It may also have
    ``async def acheck_and_add(key, expires_at) -> bool``, which
    :meth:`DPoPVerifier.averify` awaits when present.
    """

    def check_and_add(self, key: str, expires_at: float) -> bool:
        """Record ``key`` until ``expires_at`` (epoch seconds); return whether it was new.

        Return ``False`` also when the key cannot be recorded (a full store):
        a proof that cannot be remembered is refused.
        """
        ...


class MemoryReplayStore:
    """The default replay store: bounded, in this process's memory only.

    Each process holds its own: behind a load balancer or with several
    workers, a proof replayed to another process is not seen here; use a
    shared store (see the how-to) for those. When full of unexpired entries it
    fails closed: the new proof is refused. Size it as requests per second
    times ``max_age + leeway`` (100 000 entries is 300 requests per second at
    the defaults).

    Example:
        >>> from minijwt.dpop import MemoryReplayStore
        >>> store = MemoryReplayStore(max_entries=2)
        >>> store.check_and_add("a", expires_at=4e9), store.check_and_add("a", expires_at=4e9)
        (True, False)
    """

    def __init__(self, max_entries: int = 100_000, *, clock: Callable[[], float] | None = None) -> None:
        """Create an empty store.

        Args:
            max_entries: The most proofs held at once.
            clock: Epoch seconds, for tests; the system clock by default.

        Raises:
            InvalidOptionError: ``max_entries`` is not a positive integer.
        """
        if type(max_entries) is not int or max_entries < 1:
            raise InvalidOptionError("max_entries must be a positive integer")
        self._max = max_entries
        self._clock = clock or time.time
        self._entries: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._lock = threading.Lock()

    def check_and_add(self, key: str, expires_at: float) -> bool:
        """Record ``key`` until ``expires_at``; ``False`` if it is held already, or the store is full."""
        now = self._clock()
        with self._lock:
            entries = self._entries
            held = entries.get(key)
            if held is not None and held > now:
                return False
            # Entries expire in about the order they came (each lives max_age + leeway past its iat).
            while entries and next(iter(entries.values())) <= now:
                entries.popitem(last=False)
            if len(entries) >= self._max:
                return False  # full of live entries: fail closed
            entries[key] = expires_at
            return True

    async def acheck_and_add(self, key: str, expires_at: float) -> bool:
        """The coroutine form of :meth:`check_and_add` (it never waits)."""
        return self.check_and_add(key, expires_at)

    def __len__(self) -> int:
        return len(self._entries)


@runtime_checkable
class NonceSource(Protocol):
    """Server-provided nonces (RFC 9449 §8, §9): synchronous, no I/O."""

    def issue(self) -> str:
        """A fresh nonce, for the ``DPoP-Nonce`` response header."""
        ...

    def check(self, value: str) -> bool:
        """Whether a proof's ``nonce`` is one this source issued and still accepts."""
        ...


class HMACNonceSource:
    """Stateless nonces: the issue time and a random part, authenticated with HMAC-SHA256.

    A nonce is accepted for ``lifetime`` seconds after it was issued, by any
    process holding the same ``secret``; nothing is stored.

    Example:
        >>> from minijwt.dpop import HMACNonceSource
        >>> source = HMACNonceSource(b"n" * 32)
        >>> source.check(source.issue()), source.check("forged")
        (True, False)
    """

    def __init__(self, secret: bytes, lifetime: float = 300, clock: Callable[[], float] | None = None) -> None:
        """Create a source.

        Args:
            secret: At least 32 random bytes, the same in every process that checks the nonces.
            lifetime: Seconds a nonce is accepted after it was issued.
            clock: Epoch seconds, for tests; the system clock by default.

        Raises:
            InvalidOptionError: ``secret`` is not ``bytes`` of at least 32, or
                ``lifetime`` is not a positive number.
        """
        if type(secret) is not bytes or len(secret) < 32:
            raise InvalidOptionError("secret must be bytes of at least 32 (random, shared by the servers)")
        if not is_number(lifetime) or not 0 < lifetime <= 86_400:
            raise InvalidOptionError("lifetime must be a positive number of seconds, at most a day")
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds since the epoch")
        self._secret = secret
        self._lifetime = float(lifetime)
        self._clock = clock or time.time

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()[:16]

    def issue(self) -> str:
        """A fresh nonce: 8 bytes of issue time, 8 random bytes, and their MAC, base64url."""
        body = int(self._clock()).to_bytes(8, "big") + os.urandom(8)
        return b64encode(body + self._mac(body))

    def check(self, value: str) -> bool:
        """Whether ``value`` was issued by this source (its secret) at most ``lifetime`` seconds ago."""
        if type(value) is not str or len(value) != 43:
            return False
        try:
            raw = b64decode(value, "nonce")
        except DecodeError:
            return False
        body, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return False
        issued = int.from_bytes(body[:8], "big")
        return issued - 5 <= self._clock() <= issued + self._lifetime


@dataclass(frozen=True, slots=True)
class DPoPResult:
    """A verified DPoP proof.

    Attributes:
        jkt: The RFC 7638 (SHA-256) thumbprint of the proof's key: what a
            bound token's ``cnf.jkt`` names.
        jti: The proof's unique identifier.
        claims: The proof's claims.
        header: The proof's protected header.
    """

    jkt: str
    jti: str
    claims: dict[str, Any]
    header: dict[str, Any]


class DPoPVerifier:
    """Checks DPoP proofs (RFC 9449 §4.3): made once at start-up, used for every request.

    Args:
        algorithms: The asymmetric algorithms a proof may use.
        max_age: How old a proof's ``iat`` may be, in seconds.
        leeway: How far in the future its ``iat`` may be, in seconds (clock skew).
        replay: A :class:`ReplayStore`; ``"memory"`` (the default) is a
            :class:`MemoryReplayStore` of this verifier, in this process;
            ``"disabled"`` turns replay protection off.
        nonce: A :class:`NonceSource` to require server nonces; ``None`` requires none.
        max_proof_size: The longest ``DPoP`` header accepted, in characters.
        clock: Epoch seconds, read when a call passes no ``now=``.

    Raises:
        InvalidOptionError: An HMAC algorithm, ``none`` or an unknown name;
            ``replay=None``; an invalid number or object.
    """

    def __init__(
        self,
        *,
        algorithms: str | Collection[str],
        max_age: float = 300,
        leeway: float = 30,
        replay: ReplayStore | Literal["memory", "disabled"] = "memory",
        nonce: NonceSource | None = None,
        max_proof_size: int = DEFAULT_MAX_PROOF_SIZE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Check every option (see the class)."""
        allowed = allowlist(algorithms)
        symmetric = sorted(name for name in allowed if ALGORITHMS[name].key_type is SecretKey)
        if symmetric:
            raise InvalidOptionError(f"a DPoP proof is signed with the client's own key pair, never {symmetric[0]}")
        self._allowed = allowed
        for name, value in (("max_age", max_age), ("leeway", leeway)):
            if not is_number(value) or value < 0 or value > 86_400:
                raise InvalidOptionError(f"{name} must be a number of seconds between 0 and a day")
        self._max_age = float(max_age)
        self._leeway = float(leeway)
        if replay == "memory":
            replay = MemoryReplayStore()
        if replay is None:
            raise InvalidOptionError(
                'replay=None: pass a ReplayStore, or replay="disabled" to turn replay protection off'
            )
        if replay != "disabled" and not isinstance(replay, ReplayStore):
            raise InvalidOptionError('replay must be a ReplayStore (check_and_add), or "disabled"')
        self._replay: ReplayStore | None = None if replay == "disabled" else replay
        if nonce is not None and not isinstance(nonce, NonceSource):
            raise InvalidOptionError("nonce must be a NonceSource (issue and check), or None")
        self._nonce = nonce
        self._max_size = _compact.check_max_token_size(max_proof_size)
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds since the epoch")
        self._clock = clock

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms a proof may use (for the ``DPoP algs=`` challenge and the metadata)."""
        return self._allowed

    @property
    def nonce_source(self) -> NonceSource | None:
        """The nonce source, when nonces are required."""
        return self._nonce

    def verify(
        self,
        proof: str | Sequence[str],
        *,
        method: str,
        url: str,
        access_token: str | None = None,
        cnf_jkt: str | None = None,
        now: float | dt.datetime | None = None,
    ) -> DPoPResult:
        """Verify a DPoP proof for a request; record its ``jti`` last.

        Args:
            proof: The ``DPoP`` header's value, or every ``DPoP`` value of the request.
            method: The request's method, as sent (``htm`` is compared case-sensitively).
            url: The URL the client used (query and fragment are ignored).
            access_token: The access token sent with the proof; ``ath`` must be its hash.
            cnf_jkt: The token's ``cnf.jkt``; the proof's key must be the one it names.
            now: The time to check ``iat`` against; ``clock()`` or the system clock by default.

        Returns:
            The proof's key thumbprint, ``jti``, claims and header.

        Raises:
            InvalidDPoPProofError: The proof fails any check.
            UseDPoPNonceError: A nonce is required and the proof lacks a fresh one.
            InvalidTokenError: The proof is valid but its key is not the one the token names.
            InvalidOptionError: ``access_token`` without ``cnf_jkt``, or the other way round.
        """
        result, expires_at = self._checked(proof, method, url, access_token, cnf_jkt, now)
        if self._replay is not None and not self._replay.check_and_add(replay_key(result.jkt, result.jti), expires_at):
            raise InvalidDPoPProofError("the DPoP proof was used before (its jti is recorded)")
        return result

    async def averify(
        self,
        proof: str | Sequence[str],
        *,
        method: str,
        url: str,
        access_token: str | None = None,
        cnf_jkt: str | None = None,
        now: float | dt.datetime | None = None,
    ) -> DPoPResult:
        """The coroutine twin of :meth:`verify`: awaits the store's ``acheck_and_add`` when it has one.

        A store with ``check_and_add`` only is called in a worker thread, so
        that one that does I/O never blocks the event loop; the default
        in-memory store is called directly.
        """
        result, expires_at = self._checked(proof, method, url, access_token, cnf_jkt, now)
        store = self._replay
        if store is not None:
            key = replay_key(result.jkt, result.jti)
            acheck = getattr(store, "acheck_and_add", None)
            if callable(acheck):
                new = acheck(key, expires_at)
                new = await new if inspect.isawaitable(new) else new
            else:
                new = await asyncio.to_thread(store.check_and_add, key, expires_at)
            if not new:
                raise InvalidDPoPProofError("the DPoP proof was used before (its jti is recorded)")
        return result

    def _checked(  # noqa: PLR0917 - the RFC 9449 §4.3 list, in one place
        self,
        proof: str | Sequence[str],
        method: str,
        url: str,
        access_token: str | None,
        cnf_jkt: str | None,
        now: float | dt.datetime | None,
    ) -> tuple[DPoPResult, float]:
        """Every check but the replay store's; returns the result and when its record may expire."""
        if (access_token is None) != (cnf_jkt is None):
            raise InvalidOptionError("access_token and cnf_jkt go together: pass both, or neither")
        text = _one_proof(proof)
        try:
            # §4.3 (2) a well-formed JWT; (4) alg asymmetric and allowed: the parse's allowlist.
            header, alg, signing_input, signature, payload = _compact.parse_jwt(
                text, self._allowed, self._max_size, _NO_EXTENSIONS
            )
            # (3) typ; (5) the signature, with the header's public jwk; nothing
            # from the proof is trusted before it verifies.
            if not typ_is_dpop(header.get("typ")):
                raise InvalidDPoPProofError("a DPoP proof's typ is dpop+jwt (RFC 9449 section 4.2)")
            key, jkt = proof_key(text.partition(".")[0], alg, self._allowed)  # EmbeddedJWK's rules, per header
            _compact.check_signature(alg, key, signing_input, signature)
            claims = loads_object(payload, "payload")
        except InvalidDPoPProofError:
            raise
        except InvalidTokenError as exc:
            raise InvalidDPoPProofError(f"the DPoP proof is not valid: {exc.message}") from None
        jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
        # (6) the claims, with their types.
        if type(jti) is not str or not jti or len(jti) > 1024:
            raise InvalidDPoPProofError("the DPoP proof's jti must be a non-empty string")
        if type(htm) is not str or type(htu) is not str:
            raise InvalidDPoPProofError("the DPoP proof's htm and htu must be strings")
        if not is_number(iat):
            raise InvalidDPoPProofError("the DPoP proof's iat must be a JSON number")
        # (8) htm: RFC 9110 §9.1, methods are case-sensitive.
        if htm != method:
            raise InvalidDPoPProofError("the DPoP proof is for another method (htm)")
        # (9) htu, without query and fragment, after RFC 3986 §6.2.2-6.2.3 normalization.
        expected = normalized_htu(url)
        if expected is None:
            raise InvalidOptionError("url must be the absolute http(s) URL of the request")
        if normalized_htu(htu) != expected:
            raise InvalidDPoPProofError("the DPoP proof is for another URL (htu)")
        # (11) iat within the window.
        when = self._now(now)
        try:
            issued = float(iat)  # type: ignore[arg-type]  # a JSON number (is_number above)
        except OverflowError:
            issued = float("inf")
        if not when - self._max_age <= issued <= when + self._leeway:
            raise InvalidDPoPProofError("the DPoP proof's iat is outside the accepted window")
        # (10) the nonce, when the server requires one.
        source = self._nonce
        if source is not None:
            value = claims.get("nonce")
            if value is None or type(value) is not str or not source.check(value):
                raise UseDPoPNonceError("the DPoP proof must carry a fresh server nonce", nonce=source.issue())
        # (12) with an access token: ath, then the key the token is bound to.
        if access_token is not None:
            ath = claims.get("ath")
            # §4.2: ath hashes the token's ASCII; a token that is not ASCII has none, and matches no ath.
            if type(ath) is not str or not access_token.isascii() or not _same(ath, access_token_hash(access_token)):
                raise InvalidDPoPProofError("the DPoP proof is not for this access token (ath)")
            if type(cnf_jkt) is not str or not _same(jkt, cnf_jkt):
                # The proof holds; the token is bound to another key: the token's problem.
                raise InvalidTokenError("the access token is bound to another key than the DPoP proof's (cnf.jkt)")
        result = DPoPResult(jkt, jti, claims, mutable_copy(header))
        return result, issued + self._max_age + self._leeway

    def _now(self, now: float | dt.datetime | None) -> float:
        if now is not None:
            return to_timestamp(now, "now")
        return float(self._clock()) if self._clock is not None else time.time()


def _one_proof(proof: object) -> str:
    """§4.3 (1): exactly one ``DPoP`` value, without a comma (two values joined by a proxy)."""
    if isinstance(proof, str):
        text = proof
    elif isinstance(proof, Sequence) and not isinstance(proof, (bytes, bytearray)):
        if len(proof) != 1:
            raise InvalidDPoPProofError("a request carries exactly one DPoP header")
        text = proof[0]
        if not isinstance(text, str):
            raise InvalidDPoPProofError("the DPoP header is not text")
    else:
        raise InvalidDPoPProofError("the DPoP header is missing")
    if "," in text:
        raise InvalidDPoPProofError("a request carries exactly one DPoP proof")
    text = text.strip(" \t")
    if not text:
        raise InvalidDPoPProofError("the DPoP header is empty")
    return text


def _same(value: str, expected: str) -> bool:
    """Constant-time equality of two strings of any text.

    ``hmac.compare_digest`` refuses a ``str`` that is not ASCII with a
    ``TypeError``; a proof's ``ath`` or a token's ``cnf.jkt`` may be any JSON
    string, and such a value is only a mismatch.
    """
    return hmac.compare_digest(value.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
