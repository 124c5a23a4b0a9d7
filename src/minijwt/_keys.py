"""Typed, immutable keys, and the one place where key input is classified.

Whatever a caller hands in as a key (a ``str`` or ``bytes`` secret, PEM, DER,
an OpenSSH key, a ``cryptography`` key object or certificate) is turned here,
once, into one of four typed keys: :class:`SecretKey`, :class:`RSAKey`,
:class:`ECKey` or :class:`OKPKey`. The algorithm table then binds each
algorithm to exactly one of these types, so "a public key used as an HMAC
secret" (algorithm confusion, RFC 8725 §2.1) cannot be expressed: text that
looks like a key in any format never becomes a :class:`SecretKey`.

Text and bytes are classified through a bounded cache, so a PEM passed on
every call is parsed only on the first.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from ._cache import BoundedCache
from .errors import InvalidKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

    from .jwk import JWK, JWKSet

__all__ = [
    "ECKey",
    "Key",
    "KeyInput",
    "OKPKey",
    "RSAKey",
    "SecretKey",
    "load_key",
    "prepare_key",
]

#: How many distinct ``str``/``bytes`` keys the parse cache holds, and how many
#: ``cryptography`` key objects the conversion cache holds. A service normally
#: has a handful; the bound keeps memory flat if it is handed many.
KEY_CACHE_SIZE = 128

# Names of the curves JOSE defines for ECDSA (RFC 7518 §6.2.1.1), by the
# name `cryptography` gives them.
_EC_CURVES: dict[str, str] = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


@dataclass(frozen=True, slots=True, eq=False)
class SecretKey:
    """A symmetric secret for the HMAC algorithms (JWK ``kty`` ``oct``).

    Build it from the raw secret bytes. Text given as a key elsewhere becomes
    a ``SecretKey`` only when it looks like no key of any other type.

    Attributes:
        secret: The secret bytes. Never shown by ``repr``.
    """

    kty: ClassVar[Literal["oct"]] = "oct"
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes):
            raise InvalidKeyError("an HMAC secret must be bytes")
        if not self.secret:
            raise InvalidKeyError("an HMAC secret must not be empty")

    @property
    def size(self) -> int:
        """The secret's length in bits."""
        return len(self.secret) * 8


@dataclass(frozen=True, slots=True, eq=False)
class RSAKey:
    """An RSA public key, or a private key with its public half.

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        size: The modulus length in bits.
    """

    kty: ClassVar[Literal["RSA"]] = "RSA"
    public: rsa.RSAPublicKey
    private: rsa.RSAPrivateKey | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        """The modulus length in bits."""
        return self.public.key_size


@dataclass(frozen=True, slots=True, eq=False)
class ECKey:
    """An elliptic-curve key on P-256, P-384 or P-521.

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        crv: The JOSE curve name: ``"P-256"``, ``"P-384"`` or ``"P-521"``.
    """

    kty: ClassVar[Literal["EC"]] = "EC"
    public: ec.EllipticCurvePublicKey
    private: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    crv: str = ""

    @property
    def size(self) -> int:
        """The curve's order size in bits."""
        return self.public.curve.key_size


@dataclass(frozen=True, slots=True, eq=False)
class OKPKey:
    """An Edwards-curve key, Ed25519 or Ed448 (RFC 8037).

    Attributes:
        public: The public key, used to verify.
        private: The private key, used to sign; ``None`` for a public key.
        crv: ``"Ed25519"`` or ``"Ed448"``.
    """

    kty: ClassVar[Literal["OKP"]] = "OKP"
    public: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    private: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey | None = field(default=None, repr=False)
    crv: str = ""

    @property
    def size(self) -> int:
        """The curve size in bits (256 for Ed25519, 456 for Ed448)."""
        return 256 if self.crv == "Ed25519" else 456


#: A key after classification.
Key: TypeAlias = SecretKey | RSAKey | ECKey | OKPKey

#: Everything accepted where a key is expected.
KeyInput: TypeAlias = "Key | JWK | JWKSet | str | bytes | PrivateKeyTypes | PublicKeyTypes | x509.Certificate"

_KEY_TYPES = (SecretKey, RSAKey, ECKey, OKPKey)


def prepare_key(key: object) -> Key:
    """Turn any accepted key input into a typed key.

    ``str`` and ``bytes`` go through a bounded cache, so the same PEM text
    costs one parse however often it is passed.

    Args:
        key: A typed key, a ``str``/``bytes`` secret or encoded key (PEM, DER,
            OpenSSH), a ``cryptography`` key object, or an X.509 certificate.

    Returns:
        The typed key.

    Raises:
        InvalidKeyError: The input is not a usable key. Text that looks like
            a key (PEM armour anywhere, OpenSSH, DER, a JWK) but does not
            parse is reported as such, never used as an HMAC secret.
    """
    if isinstance(key, _KEY_TYPES):
        return key
    if type(key) is str or type(key) is bytes:
        return _classify_cached(key, None)
    if isinstance(key, (bytearray, memoryview)):
        return _classify_cached(bytes(key), None)
    return from_crypto_object(key)


def load_key(data: str | bytes, password: str | bytes | None = None) -> Key:
    """Load a key from text or bytes, with a password for an encrypted one.

    This is how to use an encrypted PEM (``-----BEGIN ENCRYPTED PRIVATE
    KEY-----``) or an encrypted OpenSSH key: load it once and pass the result
    as the key.

    Args:
        data: An HMAC secret, or a PEM, DER or OpenSSH encoded key or
            certificate.
        password: The password of an encrypted private key.

    Returns:
        The typed key.

    Raises:
        InvalidKeyError: The data is not a usable key, or the password is
            missing or wrong.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    elif password is not None and not isinstance(password, bytes):
        raise InvalidKeyError(f"a password must be str or bytes, not {type(password).__name__}")
    if not isinstance(data, (str, bytes)):
        raise InvalidKeyError(f"load_key takes str or bytes, not {type(data).__name__}")
    return _classify_cached(data, password)


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def _classify_cached(data: str | bytes, password: bytes | None) -> Key:
    return _classify(data, password)


_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_SSH_PUBLIC_PREFIXES = (b"ssh-", b"ecdsa-sha2-", b"sk-")
_STD_BASE64 = re.compile(rb"[A-Za-z0-9+/\r\n]+={0,2}\s*")


def _classify(data: str | bytes, password: bytes | None) -> Key:
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidKeyError("a key given as text must be valid Unicode (it has a lone surrogate)") from None
    else:
        raw = data
    if not raw:
        raise InvalidKeyError("the key is empty")
    if b"-----BEGIN" in raw:
        return _from_pem(raw, password)
    stripped = raw.strip()
    if stripped.startswith(_SSH_PUBLIC_PREFIXES):
        return _from_ssh_public(stripped)
    if raw[0] == 0x30:  # ASN.1 SEQUENCE: every DER key and certificate starts so
        parsed = _try_der(raw, password)
        if parsed is not None:
            return parsed
    if stripped.startswith((b"{", b"[")) and _looks_like_jwk(stripped):
        raise InvalidKeyError(
            "the key is a JWK or JWK Set in JSON text; load it with minijwt.JWK.from_json or minijwt.JWKSet.from_json"
        )
    if len(stripped) >= 64 and _STD_BASE64.fullmatch(stripped) and _is_base64_der_key(stripped):
        # A public key pasted without its PEM armour (a common way to put one
        # in an environment variable). Used as an HMAC secret it would be the
        # textbook algorithm-confusion key, so it is refused.
        raise InvalidKeyError("the key is base64-encoded DER of a key or certificate; give it as PEM instead")
    if password is not None:
        raise InvalidKeyError("a password was given, but the data is not an encrypted key")
    return SecretKey(raw)


def _from_pem(raw: bytes, password: bytes | None) -> Key:
    match = _PEM_LABEL.search(raw)
    label = match.group(1).decode("ascii") if match else ""
    try:
        if label == "OPENSSH PRIVATE KEY":
            return from_crypto_object(serialization.load_ssh_private_key(raw, password))
        if label == "CERTIFICATE":
            return from_crypto_object(x509.load_pem_x509_certificate(raw))
        if label.endswith("PUBLIC KEY"):
            return from_crypto_object(serialization.load_pem_public_key(raw))
        if label.endswith("PRIVATE KEY"):
            return from_crypto_object(serialization.load_pem_private_key(raw, password))
    except TypeError:
        # cryptography raises TypeError for a missing or unexpected password.
        raise _password_error(password) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError(f"the PEM block {label!r} could not be loaded: {_short(exc)}") from None
    raise InvalidKeyError(
        "the key contains PEM armour but no key or certificate block; it is never used as an HMAC secret"
    )


def _password_error(password: bytes | None) -> InvalidKeyError:
    if password is None:
        return InvalidKeyError("the private key is encrypted: load it once with minijwt.load_key(data, password=...)")
    return InvalidKeyError("a password was given, but the private key is not encrypted")


def _from_ssh_public(raw: bytes) -> Key:
    try:
        return from_crypto_object(serialization.load_ssh_public_key(raw))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError(f"the OpenSSH public key could not be loaded: {_short(exc)}") from None


def _try_der(raw: bytes, password: bytes | None) -> Key | None:
    """Parse DER as a private key, public key or certificate; None if none."""
    loaders = (
        lambda: serialization.load_der_private_key(raw, password),
        lambda: serialization.load_der_public_key(raw),
        lambda: x509.load_der_x509_certificate(raw),
    )
    for load in loaders:
        try:
            obj = load()
        except TypeError:
            # An encrypted DER private key without a password, or the reverse.
            raise _password_error(password) from None
        except (ValueError, UnsupportedAlgorithm):
            continue
        return from_crypto_object(obj)
    return None


def _is_base64_der_key(text: bytes) -> bool:
    try:
        der = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return False
    return bool(der) and der[0] == 0x30 and _try_der_quiet(der)


def _try_der_quiet(der: bytes) -> bool:
    try:
        return _try_der(der, None) is not None
    except InvalidKeyError:
        return True


def _looks_like_jwk(text: bytes) -> bool:
    import json

    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if isinstance(value, dict):
        return "kty" in value or "keys" in value
    return isinstance(value, list) and any(isinstance(v, dict) and "kty" in v for v in value)


def _short(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:200] or type(exc).__name__


def from_crypto_object(obj: object) -> Key:
    """Wrap a ``cryptography`` key object or certificate as a typed key.

    Args:
        obj: An RSA, EC (P-256/P-384/P-521), Ed25519 or Ed448 key, private or
            public, or an X.509 certificate (its public key is used).

    Returns:
        The typed key.

    Raises:
        InvalidKeyError: The object is of a type or curve JOSE signing does
            not use.
    """
    # The same object is usually passed on every call; deriving the public
    # half of an EC or Edwards private key is a point multiplication, so the
    # typed key is remembered by identity (the cache holds the object).
    entry = _OBJECTS.get(id(obj))
    if entry is not None and entry[0] is obj:
        return entry[1]
    # The converter is found once per concrete class: isinstance() against
    # cryptography's abstract classes costs more than the rest of this call.
    convert = _CONVERTERS.get(type(obj))
    if convert is None:
        convert = _converter_for(obj)
        _CONVERTERS[type(obj)] = convert
    key = convert(obj)
    _OBJECTS.put(id(obj), (obj, key))
    return key


def _from_certificate(cert: x509.Certificate) -> Key:
    try:
        public = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError(f"the certificate's public key could not be loaded: {_short(exc)}") from None
    return from_crypto_object(public)


def _ec_curve(obj: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    crv = _EC_CURVES.get(obj.curve.name)
    if crv is None:
        raise InvalidKeyError(f"EC curve {obj.curve.name} is not used by JOSE signing; use P-256, P-384 or P-521")
    return crv


def _converter_for(obj: object) -> Callable[[Any], Key]:
    if isinstance(obj, x509.Certificate):
        return _from_certificate
    if isinstance(obj, rsa.RSAPrivateKey):
        return lambda k: RSAKey(public=k.public_key(), private=k)
    if isinstance(obj, rsa.RSAPublicKey):
        return lambda k: RSAKey(public=k)
    if isinstance(obj, ec.EllipticCurvePrivateKey):
        return lambda k: ECKey(public=k.public_key(), private=k, crv=_ec_curve(k))
    if isinstance(obj, ec.EllipticCurvePublicKey):
        return lambda k: ECKey(public=k, crv=_ec_curve(k))
    for private_type, public_type, crv in (
        (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, "Ed25519"),
        (ed448.Ed448PrivateKey, ed448.Ed448PublicKey, "Ed448"),
    ):
        if isinstance(obj, (private_type, public_type)):
            return functools.partial(_okp, crv=crv, private=isinstance(obj, private_type))
    raise InvalidKeyError(f"unsupported key type {type(obj).__name__}")


def _okp(key: Any, crv: str, private: bool) -> Key:
    if private:
        return OKPKey(public=key.public_key(), private=key, crv=crv)
    return OKPKey(public=key, crv=crv)


# Concrete class -> converter. Only classes that convert are stored, so the
# table holds at most the dozen or so key and certificate classes of
# `cryptography`.
_CONVERTERS: dict[type, Callable[[Any], Key]] = {}
_OBJECTS: BoundedCache[tuple[object, Key]] = BoundedCache(KEY_CACHE_SIZE)
