"""Which key verifies this token: the key-resolution seam.

Whatever the caller passed as the key becomes a *resolver*, ``(header, alg) ->
Key``, which answers with a typed key that fits ``alg`` or raises a token
error. It is the only step of verification that may do I/O, so the async path
(:func:`minijwt.adecode`) awaits an :class:`AsyncKeySource` here and shares
every other step with the sync one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias, runtime_checkable

from ._algorithms import ALGORITHMS, Algorithm, check_key, misfit
from ._cache import IdentityCache
from ._keyload import is_cacheable_text, prepare_key, text_key
from ._keys import Key
from .errors import InvalidAlgorithmError, InvalidKeyError, KeyNotFoundError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

__all__ = [
    "AsyncKeySource",
    "KeyInput",
    "KeySource",
    "Resolver",
    "ServesAlgorithms",
    "SingleKeyResolver",
    "async_resolver_for",
    "check_fits_any",
    "fitting_resolver",
    "resolver_for",
    "signing_key",
]


@runtime_checkable
class KeySource(Protocol):
    """Anything that finds the verification key for a token.

    Implement ``resolve_key`` to choose keys your own way (a database, a key
    management service ...) and pass the object wherever a key is expected.
    :class:`~minijwt.JWK`, :class:`~minijwt.JWKSet` and the JWKS clients are
    key sources.

    Example:
        >>> import minijwt
        >>> class ByKid:
        ...     def __init__(self, keys):
        ...         self.keys = keys
        ...     def resolve_key(self, header, alg):
        ...         try:
        ...             return self.keys[header.get("kid")]
        ...         except KeyError:
        ...             raise minijwt.KeyNotFoundError("unknown kid") from None
        >>> secret = minijwt.SecretKey(b"0123456789abcdef0123456789abcdef")
        >>> token = minijwt.encode({"sub": "a"}, secret, headers={"kid": "k1"})
        >>> minijwt.decode(token, ByKid({"k1": secret}), algorithms=["HS256"])
        {'sub': 'a'}

    A source may also have ``can_serve(allowed) -> bool``: whether any of its
    keys fits one of the allowed algorithm names. A verifier built with the source then asks it
    once, at start-up, and refuses a source that can serve none
    (:class:`~minijwt.InvalidKeyError`), as it does for a single key.
    """

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """Return the key that verifies a token with this protected header.

        Args:
            header: The token's protected header (read-only; not yet verified).
            alg: The token's algorithm, already checked against the allowlist.

        Returns:
            A typed key. minijwt checks that it fits ``alg``; one that does
            not makes the token fail with :class:`~minijwt.KeyNotFoundError`.

        Raises:
            KeyNotFoundError: No key fits this token.
        """
        ...


@runtime_checkable
class AsyncKeySource(Protocol):
    """A key source whose lookup may wait for I/O, for :func:`minijwt.adecode`."""

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The coroutine twin of :meth:`KeySource.resolve_key`."""
        ...


@runtime_checkable
class ServesAlgorithms(Protocol):
    """The optional method of a key source that takes part in the start-up fit check.

    Example:
        >>> import minijwt
        >>> class OnlyES256:
        ...     def resolve_key(self, header, alg):
        ...         raise minijwt.KeyNotFoundError("none yet")
        ...     def can_serve(self, allowed):
        ...         return "ES256" in allowed
        >>> minijwt.JWTVerifier(OnlyES256(), algorithms=["HS256"])
        Traceback (most recent call last):
        ...
        minijwt.errors.InvalidKeyError: no key fits any of the allowed algorithms (HS256)
    """

    def can_serve(self, allowed: frozenset[str]) -> bool:
        """Whether some key of the source fits one of ``allowed`` (algorithm names)."""
        ...


class _BuiltinKeySource:
    """The base of minijwt's own key sources, declaring the hooks the verifiers use.

    :class:`~minijwt.JWK`, :class:`~minijwt.JWKSet`,
    :class:`~minijwt.jws.EmbeddedJWK` and the JWKS clients derive from it;
    each overrides what it knows.
    """

    __slots__ = ()

    #: Every key ``resolve_key`` answers with already fits the token's
    #: algorithm (``JWKSet.select`` chose it), so it is not checked again.
    answers_fitting_keys: ClassVar[bool] = False

    def can_serve(self, allowed: frozenset[str]) -> bool:
        """Whether some key of the source fits one of ``allowed``; True when that is known only per token."""
        return True

    def signing_key_for(self, alg: Algorithm) -> Key:
        """The key to sign with ``alg``, checked as the source's own rules say.

        Raises:
            InvalidKeyError: The source cannot sign.
        """
        raise InvalidKeyError(f"cannot sign with {type(self).__name__}")


#: Everything accepted where a verification key is expected.
KeyInput: TypeAlias = (
    "Key | KeySource | AsyncKeySource | str | bytes | PrivateKeyTypes | PublicKeyTypes | x509.Certificate"
)

#: ``(header, alg) -> key``: finds the key for a token and checks it fits ``alg``.
Resolver = Callable[[Mapping[str, Any], Algorithm], Key]
AsyncResolver = Callable[[Mapping[str, Any], Algorithm], Awaitable[Key]]

#: How many single keys keep their prepared resolver (the algorithms each fits).
RESOLVER_CACHE_SIZE = 128


class SingleKeyResolver:
    """The resolver of a single key: always that key, for the algorithms it serves.

    Which algorithms the key serves is worked out once per key, not per token.
    Callers on the hot path may read :attr:`key` and :attr:`serves` and skip
    the call when ``alg.name in serves``; calling it is the same.
    """

    __slots__ = ("key", "serves")

    def __init__(self, key: Key) -> None:
        """Prepare the resolver of ``key``."""
        self.key = key
        self.serves = frozenset(name for name, row in ALGORITHMS.items() if misfit(row, key) is None)

    def __call__(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The key, when it can serve ``alg``.

        Raises:
            InvalidAlgorithmError: The token chose an algorithm the server
                allows but this key cannot serve: the token's fault, not the
                server's (a 401).
        """
        if alg.name not in self.serves:
            raise InvalidAlgorithmError(f"the token's algorithm {alg.name} cannot be verified with this key")
        return self.key


def _single_key_resolver(key: Key) -> SingleKeyResolver:
    """The (cached) resolver that always answers with ``key``."""
    cached = _SINGLE.get(key)
    if cached is None:
        cached = SingleKeyResolver(key)
        _SINGLE.put(key, cached)
    return cached


_SINGLE: IdentityCache[SingleKeyResolver] = IdentityCache("resolve.static", RESOLVER_CACHE_SIZE)


def _is_source(key: object) -> bool:
    return callable(getattr(key, "resolve_key", None))


def resolver_for(key: object) -> Resolver:
    """How to find the verification key for a token, given what the caller passed.

    Raises:
        InvalidKeyError: The key input is not usable, or it is an async-only
            key source (which needs :func:`minijwt.adecode`).
    """
    if type(key) is str or type(key) is bytes:
        # A long text key is not cached as text, so its typed key is new on
        # every call: caching a resolver by it would only pin it in memory.
        typed = text_key(key)
        return _single_key_resolver(typed) if is_cacheable_text(key) else SingleKeyResolver(typed)
    if _is_source(key):
        lookup: Resolver = key.resolve_key  # type: ignore[attr-defined]
        if isinstance(key, _BuiltinKeySource) and key.answers_fitting_keys:
            return lookup  # minijwt's own sources (JWK, JWKSet, the JWKS clients) answer only with keys that fit
        # Anyone else's answer is trusted to be a key, not to fit: it is checked,
        # so that a source bug cannot pair a key with the wrong algorithm.
        return lambda header, alg: _fit_or_not_found(lookup(header, alg), alg)
    if callable(getattr(key, "aresolve_key", None)):
        raise InvalidKeyError(f"{type(key).__name__} looks keys up asynchronously: use minijwt.adecode (await it)")
    return _single_key_resolver(prepare_key(key))


def _fit_or_not_found(key: Key, alg: Algorithm) -> Key:
    if type(key) is not alg.key_type or misfit(alg, key) is not None:
        raise KeyNotFoundError(f"the key found for this token cannot verify {alg.name}")
    return key


def async_resolver_for(key: object) -> AsyncResolver:
    """The async twin of :func:`resolver_for`: awaits an :class:`AsyncKeySource`.

    Every other key is resolved inline (no thread hop): a static key or a
    synchronous source that answers from memory.
    """
    lookup = getattr(key, "aresolve_key", None)
    if callable(lookup):

        async def resolve(header: Mapping[str, Any], alg: Algorithm) -> Key:
            return _fit_or_not_found(await lookup(header, alg), alg)

        return resolve
    sync = resolver_for(key)

    async def resolve_now(header: Mapping[str, Any], alg: Algorithm) -> Key:
        return sync(header, alg)

    return resolve_now


def fitting_resolver(key: object, allowed: frozenset[str]) -> Resolver:
    """The resolver of ``key`` (:func:`resolver_for`), refused at once if no allowed algorithm can ever use it.

    One pass: the key is loaded once, its fit to every algorithm worked out
    once (:class:`SingleKeyResolver`), and that answer is what the check reads.
    """
    resolve = resolver_for(key)
    check_fits_any(key, allowed, resolve)
    return resolve


def check_fits_any(key: object, allowed: frozenset[str], resolve: Resolver | None) -> None:
    """Refuse, when a verifier is built, a key that fits none of the allowed algorithms.

    A server configured so that no token can ever verify has a bug; saying so
    at start-up beats failing every request. ``resolve`` is the key's
    resolver (``None`` for an async-only source).

    Raises:
        InvalidKeyError: The key (or every key of a key source that can say)
            fits none of ``allowed``.
    """
    if isinstance(key, ServesAlgorithms):  # JWK, JWKSet, and any source that can say
        if not key.can_serve(allowed):
            raise InvalidKeyError(f"no key fits any of the allowed algorithms ({', '.join(sorted(allowed))})")
        return
    if not isinstance(resolve, SingleKeyResolver):
        return  # another source's keys are known only per token
    if resolve.serves.isdisjoint(allowed):
        problems = [misfit(ALGORITHMS[name], resolve.key) for name in sorted(allowed)]
        raise InvalidKeyError(f"the key fits none of the allowed algorithms: {'; '.join(p for p in problems if p)}")


def signing_key(key: object, alg: Algorithm) -> Key:
    """The typed key to sign with, checked against ``alg``.

    Raises:
        InvalidKeyError: The key is unusable, does not fit ``alg``, is public,
            or a JWK whose ``use``/``key_ops``/``alg`` forbid signing with it.
    """
    if type(key) is bytes or type(key) is str:  # the common case, straight to the parse cache
        typed = text_key(key)
    elif isinstance(key, _BuiltinKeySource):
        typed = key.signing_key_for(alg)  # a JWK's use and key_ops rules apply
    else:
        typed = prepare_key(key)
    check_key(alg, typed, signing=True)
    return typed
