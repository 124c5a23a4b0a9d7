"""JSON Web Keys and JWK Sets (RFC 7517), thumbprints (RFC 7638, RFC 9278).

A :class:`JWK` is an immutable, validated key with its JWK metadata (``kid``,
``alg``, ``use``, ``key_ops``). A :class:`JWKSet` is what an authorization
server publishes at its ``jwks_uri``; verifiers pick a key from it by the
token's ``kid``.

Both can be passed as the key to :func:`minijwt.decode`,
:func:`minijwt.jws.verify` and :class:`minijwt.JWTVerifier`.

Example:
    >>> import minijwt
    >>> key = minijwt.JWK.generate("ES256", kid="2026-11")
    >>> token = minijwt.encode({"sub": "alice"}, key, "ES256", headers={"kid": key.kid})
    >>> published = minijwt.JWKSet.from_dict({"keys": [key.to_dict()]})
    >>> minijwt.decode(token, published, algorithms=["ES256"])["sub"]
    'alice'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric import rsa

from ._algorithms import ALGORITHMS, Algorithm, check_key, misfit, named_algorithm
from ._curves import CURVES
from ._json import dumps, loads_object
from ._jwk_members import KEY_MEMBERS, key_from_members, key_to_members, thumbprint
from ._keyload import from_crypto_object, load_key, prepare_key
from ._keys import KEY_TYPES, Key, SecretKey
from ._mldsa import PARAMETER_SETS
from ._resolve import KeyInput, _BuiltinKeySource
from .errors import DecodeError, InvalidKeyError, KeyNotFoundError, MiniJWTError

__all__ = ["JWK", "JWKSet", "SkippedKey"]

_META = ("kid", "use", "key_ops", "alg")
_SIG_OPS = frozenset({"sign", "verify"})
_HASHES = {"sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class JWK(_BuiltinKeySource):
    """An immutable, validated JSON Web Key.

    Build one with :meth:`from_dict`, :meth:`from_json`, :meth:`from_pem`,
    :meth:`from_key` or :meth:`generate`; all validate the key.

    Attributes:
        key: The typed key (:class:`~minijwt.SecretKey`, :class:`~minijwt.RSAKey`,
            :class:`~minijwt.ECKey`, :class:`~minijwt.OKPKey` or
            :class:`~minijwt.AKPKey`).
        kid: The key ID, or ``None``.
        alg: The one algorithm this key may be used with, or ``None`` for any
            that fits its type.
        use: ``"sig"``, ``"enc"`` or another value, or ``None``.
        key_ops: The permitted operations, or ``None`` for no restriction.
        extra: Other public members (``x5c``, ``x5t`` ...), kept as given.
    """

    key: Key
    kid: str | None = None
    alg: str | None = None
    use: str | None = None
    key_ops: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    # The algorithms this key may verify (type, size, curve and use rules),
    # worked out once: a key source answers per token.
    _verifies: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)

    #: The keys this source answers with always fit the token's algorithm.
    answers_fitting_keys: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.key, KEY_TYPES):
            raise InvalidKeyError(f"a JWK holds a typed key, not {type(self.key).__name__}; use JWK.from_key")
        for name in ("kid", "alg", "use"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidKeyError(f"JWK member '{name}' must be a string")
        ops = self.key_ops
        if ops is not None:
            if not all(isinstance(op, str) for op in ops) or len(set(ops)) != len(ops):
                raise InvalidKeyError("JWK member 'key_ops' must be a list of distinct strings")
            # RFC 7517 §4.3: when both are present they must agree.
            if self.use == "sig" and not set(ops) <= _SIG_OPS:
                raise InvalidKeyError("JWK members 'use' (sig) and 'key_ops' disagree")
            if self.use == "enc" and set(ops) & _SIG_OPS:
                raise InvalidKeyError("JWK members 'use' (enc) and 'key_ops' disagree")
        if self.alg is not None and self.alg in ALGORITHMS:
            check_key(ALGORITHMS[self.alg], self.key, signing=False)
        verifies = frozenset(
            name
            for name, row in ALGORITHMS.items()
            if self._use_problem(name, signing=False) is None and misfit(row, self.key) is None
        )
        object.__setattr__(self, "_verifies", verifies)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JWK:
        """Load and validate a JWK from its JSON object (as a dict).

        Args:
            data: The JWK members.

        Returns:
            The key.

        Raises:
            InvalidKeyError: A member is missing or of the wrong type, bad
                base64url, a weak or malformed key (RSA modulus under 2048
                bits, bad exponent, ROCA fingerprint, EC point off its curve,
                wrong coordinate or OKP length, empty ``oct``), a private part
                that does not match the public one, an unsupported ``kty`` or
                curve, or ``alg``/``use``/``key_ops`` that do not fit the key.
        """
        if not isinstance(data, Mapping):
            raise InvalidKeyError(f"a JWK must be a JSON object, not {type(data).__name__}")
        key = key_from_members(data)
        ops = data.get("key_ops")
        if ops is not None and not isinstance(ops, list):
            raise InvalidKeyError("JWK member 'key_ops' must be a list of strings")
        extra = {
            name: value
            for name, value in data.items()
            if name not in KEY_MEMBERS and name not in _META and isinstance(name, str)
        }
        return cls(
            key=key,
            kid=data.get("kid"),
            alg=data.get("alg"),
            use=data.get("use"),
            key_ops=tuple(ops) if ops is not None else None,
            extra=MappingProxyType(extra),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> JWK:
        """Load and validate a JWK from JSON text.

        Raises:
            InvalidKeyError: The text is not a JSON object, or the JWK is invalid.
        """
        return cls.from_dict(_parse_json(text, "JWK"))

    @classmethod
    def from_pem(cls, data: str | bytes, password: str | bytes | None = None, **metadata: Any) -> JWK:
        """Load a key from PEM (or DER, or OpenSSH) text.

        Args:
            data: The encoded private key, public key or certificate.
            password: The password of an encrypted private key.
            **metadata: ``kid``, ``alg``, ``use`` or ``key_ops`` to attach;
                ``kid`` defaults to the RFC 7638 thumbprint.

        Raises:
            InvalidKeyError: The data is not a PEM, DER or OpenSSH key.
        """
        key = load_key(data, password)
        if isinstance(key, SecretKey):
            raise InvalidKeyError("the data is not a PEM, DER or OpenSSH encoded key")
        return cls.from_key(key, **metadata)

    @classmethod
    def from_key(
        cls,
        key: KeyInput,
        *,
        kid: str | None = None,
        alg: str | None = None,
        use: str | None = None,
        key_ops: Iterable[str] | None = None,
    ) -> JWK:
        """Wrap a key: a ``cryptography`` key object, a typed key, or an HMAC secret.

        Args:
            key: The key.
            kid: The key ID; by default the key's RFC 7638 thumbprint, as
                :meth:`generate` gives, so the same key always gets the same
                ``kid`` (its private and public halves too).
            alg: The one algorithm the key may be used with.
            use: ``"sig"`` for a signing key.
            key_ops: The permitted operations.

        Raises:
            InvalidKeyError: The key is not usable or does not fit ``alg``.

        Example:
            >>> import minijwt
            >>> private = minijwt.JWK.generate("ES256")
            >>> minijwt.JWK.from_key(private.key).kid == private.kid
            True
        """
        if isinstance(key_ops, (str, bytes)) or (key_ops is not None and not isinstance(key_ops, Iterable)):
            raise InvalidKeyError("key_ops must be a list of operation names")
        if isinstance(key, JWK | JWKSet):
            raise InvalidKeyError("JWK.from_key takes a key, not a JWK or JWK Set")
        jwk = cls(
            key=prepare_key(key), kid=kid, alg=alg, use=use, key_ops=tuple(key_ops) if key_ops is not None else None
        )
        return jwk if kid is not None else dataclasses.replace(jwk, kid=jwk.thumbprint())

    @classmethod
    def generate(cls, alg: str, *, kid: str | None = None) -> JWK:
        """Generate a fresh key for an algorithm.

        RSA 2048 for RS*/PS*, the matching curve for ES*, Ed25519 for EdDSA
        (Ed448 for ``Ed448``), an ML-DSA key of the named parameter set for
        ``ML-DSA-44``/``65``/``87``, and a random secret as long as the hash
        output for HS*. The key's ``alg`` is set, and ``kid`` defaults to its
        RFC 7638 thumbprint.

        Raises:
            InvalidOptionError: ``alg`` is not a supported algorithm, or one
                this process cannot run (ML-DSA needs ``cryptography`` 48 or newer).
        """
        row = named_algorithm(alg)
        jwk = cls(key=_generate(row), alg=row.name)
        return dataclasses.replace(jwk, kid=kid if kid is not None else jwk.thumbprint())

    @property
    def kty(self) -> str:
        """The key type, ``"RSA"``, ``"EC"``, ``"OKP"``, ``"AKP"`` or ``"oct"``."""
        return self.key.kty

    @property
    def is_private(self) -> bool:
        """True for a private or symmetric key."""
        return isinstance(self.key, SecretKey) or self.key.private is not None

    def to_dict(self, private: bool = False) -> dict[str, Any]:
        """The JWK as a dict; private members only when ``private`` is true.

        Raises:
            InvalidKeyError: ``private`` is false for a symmetric key, which has
                no public form.
        """
        if isinstance(self.key, SecretKey) and not private:
            raise InvalidKeyError("a symmetric (oct) key has no public form; pass private=True to export the secret")
        members = key_to_members(self.key, private=private)
        out: dict[str, Any] = {"kty": members.pop("kty")}
        for name in _META:
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if name == "key_ops" else value
        out.update(members)
        out.update(self.extra)
        return out

    def to_json(self, private: bool = False) -> str:
        """The JWK as compact JSON text (see :meth:`to_dict`)."""
        return dumps(self.to_dict(private), "JWK").decode("utf-8")

    def to_pem(self, private: bool = False) -> bytes:
        """The key as PEM: PKCS#8 when ``private``, SubjectPublicKeyInfo otherwise.

        Raises:
            InvalidKeyError: The key is symmetric, or ``private`` is asked of a public key.
        """
        from cryptography.hazmat.primitives import serialization

        key = self.key
        if isinstance(key, SecretKey):
            raise InvalidKeyError("a symmetric (oct) key has no PEM form")
        if private:
            if key.private is None:
                raise InvalidKeyError("this is a public key; it has no private PEM")
            return key.private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        return key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public(self) -> JWK:
        """This key without its private part (same metadata).

        Raises:
            InvalidKeyError: The key is symmetric.
        """
        if isinstance(self.key, SecretKey):
            raise InvalidKeyError("a symmetric (oct) key has no public part")
        return dataclasses.replace(self, key=dataclasses.replace(self.key, private=None))

    def thumbprint(self, hash: str = "sha256") -> str:
        """The RFC 7638 thumbprint, base64url-encoded.

        Args:
            hash: ``"sha256"`` (default), ``"sha384"`` or ``"sha512"``.

        Raises:
            InvalidKeyError: Unsupported hash name.
        """
        name = hash.lower().replace("-", "") if isinstance(hash, str) else ""
        if name not in _HASHES:
            raise InvalidKeyError(f"unsupported thumbprint hash {hash!r}; use sha256, sha384 or sha512")
        return thumbprint(self.key, name)

    def thumbprint_uri(self, hash: str = "sha256") -> str:
        """The RFC 9278 JWK thumbprint URI, e.g. ``urn:ietf:params:oauth:jwk-thumbprint:sha-256:...``."""
        thumbprint = self.thumbprint(hash)  # validates the hash name
        return f"urn:ietf:params:oauth:jwk-thumbprint:{_HASHES[hash.lower().replace('-', '')]}:{thumbprint}"

    def check_use(self, alg: str, *, signing: bool) -> None:
        """Check RFC 7517 §4.2-4.4 before using this key with ``alg``.

        Raises:
            InvalidKeyError: ``use`` is ``enc``, ``key_ops`` lacks the operation,
                or ``alg`` is set to another algorithm.
        """
        problem = self._use_problem(alg, signing=signing)
        if problem is not None:
            raise InvalidKeyError(problem)

    def _use_problem(self, alg: str, *, signing: bool) -> str | None:
        operation = "sign" if signing else "verify"
        if self.use is not None and self.use != "sig":
            return f"the key's 'use' is {self.use!r}, not 'sig'"
        if self.key_ops is not None and operation not in self.key_ops:
            return f"the key's 'key_ops' do not include {operation!r}"
        if self.alg is not None and self.alg != alg:
            return f"the key is for {self.alg}, not {alg}"
        return None

    def can_verify(self, alg: str | Algorithm) -> bool:
        """True when this key may verify ``alg`` (type, size, curve and use rules).

        Args:
            alg: The algorithm, by name (``"RS256"``) or as a table row.

        Example:
            >>> import minijwt
            >>> key = minijwt.JWK.generate("RS256")
            >>> key.can_verify("RS256"), key.can_verify("PS256"), key.can_verify("HS256")
            (True, False, False)
        """
        return (alg.name if isinstance(alg, Algorithm) else alg) in self._verifies

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The :class:`~minijwt.KeySource` method: this key, when it may verify ``alg``.

        Raises:
            KeyNotFoundError: The key cannot verify ``alg`` (its type, size,
                curve, ``use``, ``key_ops`` or ``alg`` forbid it).
        """
        if alg.name in self._verifies:
            return self.key
        problem = self._use_problem(alg.name, signing=False) or f"the key cannot verify {alg.name}"
        raise KeyNotFoundError(f"no key for this token: {problem}")

    def can_serve(self, allowed: frozenset[str]) -> bool:
        """Whether this key can verify one of the ``allowed`` algorithms (its ``use``, ``key_ops`` and ``alg`` too).

        Example:
            >>> from minijwt import JWK
            >>> key = JWK.generate("ES256")
            >>> key.can_serve(frozenset({"ES256", "RS256"})), key.can_serve(frozenset({"RS256"}))
            (True, False)
        """
        return not self._verifies.isdisjoint(allowed)

    def signing_key_for(self, alg: Algorithm) -> Key:
        """The key to sign with ``alg``, after the ``use``, ``key_ops`` and ``alg`` rules.

        Raises:
            InvalidKeyError: The JWK may not sign with ``alg``, or is public.
        """
        self.check_use(alg.name, signing=True)
        return self.key

    def __repr__(self) -> str:
        private = " private" if self.is_private else ""
        return f"JWK(kty={self.kty!r}, kid={self.kid!r}, alg={self.alg!r}{private})"


def _generate(row: Algorithm) -> Key:
    if row.kty == "oct":
        import secrets  # only key generation needs it; not worth its import for every service

        return SecretKey(secrets.token_bytes(row.min_key_size // 8))
    if row.kty == "RSA":
        return from_crypto_object(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    if row.kty == "AKP":
        return from_crypto_object(PARAMETER_SETS[row.name].private_type().generate())
    # The algorithm's curve; "EdDSA" takes either, and Ed25519 is the one to make.
    return from_crypto_object(CURVES[min(row.curves)].generate())


def _parse_json(text: str | bytes, what: str) -> dict[str, Any]:
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if not isinstance(text, bytes):
        raise InvalidKeyError(f"{what} JSON must be str or bytes")
    try:
        return loads_object(text, what)
    except DecodeError as exc:
        raise InvalidKeyError(exc.message) from None


@dataclasses.dataclass(frozen=True, slots=True)
class SkippedKey:
    """A key a :class:`JWKSet` left out, and why (RFC 7517 §5).

    Attributes:
        index: Its position in the ``keys`` array.
        kid: Its ``kid``, when it had a string one.
        reason: Why it was skipped.
    """

    index: int
    kid: str | None
    reason: str


class JWKSet(_BuiltinKeySource):
    """An immutable JWK Set: keys by ``kid``, and the rules for choosing one.

    Keys that cannot be used (unknown ``kty``, unsupported curve, malformed or
    weak) are skipped, as RFC 7517 §5 says, and listed in :attr:`skipped`.
    Two keys with the same ``kid`` and different key material that could
    verify the same algorithm make the set ambiguous, and it is refused.
    (Keys of different types may share a ``kid``, RFC 7517 §4.5: the token's
    ``alg`` tells them apart.) A skipped key whose ``kid`` is also a usable
    key's is ambiguous too. A set may not mix symmetric (``oct``) keys with
    asymmetric ones.
    """

    __slots__ = ("_by_alg", "_by_kid", "_keys", "_resolved", "skipped")

    #: The keys this source answers with always fit the token's algorithm.
    answers_fitting_keys: ClassVar[bool] = True

    def __init__(self, keys: Iterable[JWK], *, skipped: Iterable[SkippedKey] = ()) -> None:
        """Build a set from keys.

        Args:
            keys: The keys.
            skipped: Keys left out while parsing (for :attr:`skipped`).

        Raises:
            InvalidKeyError: The set is ambiguous, or mixes symmetric and
                asymmetric keys.
        """
        if not isinstance(keys, Iterable) or isinstance(keys, (str, bytes, Mapping)):
            raise InvalidKeyError("a JWKSet is built from a list of JWK objects")
        self._keys: tuple[JWK, ...] = tuple(keys)
        #: Keys that were left out while parsing, with the reasons.
        self.skipped: tuple[SkippedKey, ...] = tuple(skipped)
        by_kid: dict[str, list[JWK]] = {}
        for jwk in self._keys:
            if not isinstance(jwk, JWK):
                raise InvalidKeyError(f"a JWKSet holds JWK objects, not {type(jwk).__name__}")
            if jwk.kid is not None:
                by_kid.setdefault(jwk.kid, []).append(jwk)
        for group in by_kid.values():
            if len(group) > 1:
                _check_unambiguous(group)
        symmetric = sum(isinstance(jwk.key, SecretKey) for jwk in self._keys)
        if 0 < symmetric < len(self._keys):
            # A shared secret among public keys is either leaked (the set is
            # published) or a confusion waiting to happen: refuse the mix.
            raise InvalidKeyError("a JWK Set must not mix symmetric (oct) keys with asymmetric keys")
        for skip in self.skipped:
            if skip.kid is not None and skip.kid in by_kid:
                raise InvalidKeyError(
                    "the JWK Set has a key that could not be loaded with the same 'kid' as another key; it is ambiguous"
                )
        self._by_kid: dict[str, tuple[JWK, ...]] = {kid: tuple(keys) for kid, keys in by_kid.items()}
        # For tokens without a kid: which keys could verify each algorithm.
        self._by_alg: dict[str, tuple[JWK, ...]] = {
            name: tuple(jwk for jwk in self._keys if name in jwk._verifies) for name in ALGORITHMS
        }
        # resolve_key's answers, by kid (or None) and algorithm name. The set
        # and its keys are immutable, so an answer never changes; only answers
        # are kept (a refusal is not), so it holds at most (kids + 1) x
        # algorithms entries, however many tokens ask.
        self._resolved: dict[str | None, dict[str, Key]] = {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JWKSet:
        """Load a JWK Set from its JSON object: ``{"keys": [...]}``.

        Raises:
            InvalidKeyError: ``keys`` is missing or not a list, or the set is
                ambiguous. Individual unusable keys are skipped instead.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
            raise InvalidKeyError("a JWK Set must be a JSON object with a 'keys' list")
        keys: list[JWK] = []
        skipped: list[SkippedKey] = []
        for index, member in enumerate(data["keys"]):
            kid = member.get("kid") if isinstance(member, Mapping) else None
            try:
                keys.append(JWK.from_dict(member))
            except MiniJWTError as exc:
                skipped.append(SkippedKey(index, kid if isinstance(kid, str) else None, exc.message))
        return cls(keys, skipped=skipped)

    @classmethod
    def from_json(cls, text: str | bytes) -> JWKSet:
        """Load a JWK Set from JSON text (see :meth:`from_dict`)."""
        return cls.from_dict(_parse_json(text, "JWK Set"))

    def to_dict(self, private: bool = False) -> dict[str, Any]:
        """The set as ``{"keys": [...]}``.

        With ``private`` false (for publishing), private members are left out
        and symmetric keys, which have no public form, are omitted.
        """
        return {"keys": [jwk.to_dict(private) for jwk in self._keys if private or not isinstance(jwk.key, SecretKey)]}

    def to_json(self, private: bool = False) -> str:
        """The set as compact JSON text (see :meth:`to_dict`)."""
        return dumps(self.to_dict(private), "JWK Set").decode("utf-8")

    def get(self, kid: str) -> JWK:
        """The key with this ``kid``.

        Raises:
            KeyNotFoundError: No key has this ``kid``.
        """
        keys = self._by_kid.get(kid) if isinstance(kid, str) else None
        if not keys:
            raise KeyNotFoundError("no key in the set has this 'kid'")
        return keys[0]

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[JWK]:
        return iter(self._keys)

    def __repr__(self) -> str:
        return f"JWKSet({len(self._keys)} keys, {len(self.skipped)} skipped)"

    def select(self, header: Mapping[str, Any], alg: str | Algorithm) -> JWK:
        """Choose the key that verifies a token with this header.

        With a ``kid``, the key with that ``kid`` that can verify ``alg``; a
        dictionary lookup, whatever the size of the set. Without one, the
        only key that can verify ``alg``.

        Args:
            header: The token's protected header.
            alg: The token's algorithm, by name or as a table row.

        Raises:
            KeyNotFoundError: No key fits, or (without ``kid``) several do.
            InvalidOptionError: ``alg``, a name given by the caller, names no
                supported algorithm.

        Example:
            >>> import minijwt
            >>> key = minijwt.JWK.generate("ES256", kid="k1")
            >>> keys = minijwt.JWKSet([key.public()])
            >>> keys.select({"kid": "k1"}, "ES256").kid
            'k1'
        """
        if not isinstance(alg, Algorithm):
            alg = named_algorithm(alg)
        kid = header.get("kid")
        if kid is None:
            candidates = self._by_alg.get(alg.name, ())
            if len(candidates) == 1:
                return candidates[0]
            if not candidates:
                raise KeyNotFoundError(f"token has no 'kid' and no key in the set can verify {alg.name}")
            raise KeyNotFoundError(
                f"token has no 'kid' and {len(candidates)} keys in the set could verify {alg.name}; "
                "the token must name its key"
            )
        return self._with_kid(kid, alg)

    def select_by_kid(self, kid: str) -> JWK:
        """Choose the key with this ``kid`` that can verify signatures, for any algorithm.

        The rule of :meth:`select` for a ``kid`` alone: keys whose ``use``
        or ``key_ops`` forbid verifying are never chosen. Different keys may
        share a ``kid`` when their types differ (RFC 7517 §4.5); then only
        the token's ``alg`` tells them apart, and :meth:`select` is the way.

        Raises:
            KeyNotFoundError: No key with this ``kid`` can verify, or several
                different ones can.

        Example:
            >>> import minijwt
            >>> keys = minijwt.JWKSet([minijwt.JWK.generate("ES256", kid="k1").public()])
            >>> keys.select_by_kid("k1").kid
            'k1'
        """
        return self._with_kid(kid, None)

    def _with_kid(self, kid: object, alg: Algorithm | None) -> JWK:
        """The one rule choosing a key by ``kid``: the key with it that can verify ``alg`` (any when ``None``)."""
        if not isinstance(kid, str):
            raise KeyNotFoundError("a 'kid' must be a string")
        keys = self._by_kid.get(kid)
        if not keys:
            raise KeyNotFoundError("no key in the set has this 'kid'")
        if alg is not None:
            # The set refused different keys sharing a kid and an algorithm: the first that fits is the one.
            for jwk in keys:
                if jwk.can_verify(alg):
                    return jwk
            raise KeyNotFoundError(f"the key with this 'kid' cannot verify {alg.name}")
        verifying = [jwk for jwk in keys if jwk._verifies]
        if not verifying:
            raise KeyNotFoundError("the key with this 'kid' cannot verify signatures")
        if len({jwk.thumbprint() for jwk in verifying}) > 1:
            raise KeyNotFoundError("several keys share this 'kid'; choose by the token's 'alg' (select)")
        return verifying[0]

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The :class:`~minijwt.KeySource` method: the key :meth:`select` chooses.

        An answer is remembered, so a token naming a key asked for before
        costs two dictionary reads.

        Raises:
            KeyNotFoundError: No key fits, or (without ``kid``) several do.
        """
        try:
            return self._resolved[header.get("kid")][alg.name]
        except (KeyError, TypeError):  # not asked before, or a kid no dict can hold
            key = self.select(header, alg).key
        kid = header.get("kid")
        if type(kid) is str or kid is None:  # as the parser makes them (not a str subclass of its own)
            self._resolved.setdefault(kid, {})[alg.name] = key
        return key

    def can_serve(self, allowed: frozenset[str]) -> bool:
        """Whether some key of the set can verify one of the ``allowed`` algorithms.

        Example:
            >>> from minijwt import JWK, JWKSet
            >>> JWKSet([JWK.generate("ES256")]).can_serve(frozenset({"RS256"}))
            False
        """
        return any(self._by_alg[name] for name in allowed)

    def signing_key_for(self, alg: Algorithm) -> Key:
        """A set does not sign: pick one key.

        Raises:
            InvalidKeyError: Always.
        """
        raise InvalidKeyError("cannot sign with a JWK Set; pick one key with .get(kid)")


def _check_unambiguous(group: list[JWK]) -> None:
    """Refuse a kid shared by different keys that could verify the same algorithm."""
    for row in ALGORITHMS.values():
        materials = {jwk.thumbprint() for jwk in group if jwk.can_verify(row)}
        if len(materials) > 1:
            raise InvalidKeyError(
                f"the JWK Set has different keys with the same 'kid' that could both verify {row.name}; it is ambiguous"
            )
