"""Key input classification: whatever a caller passes as a key, as a typed key.

A ``str`` or ``bytes`` secret, PEM, DER, an OpenSSH key, a ``cryptography``
key object or certificate: each is turned here, once, into one of the typed
keys of ``_keys``. Text that looks like a key in any format never becomes a
:class:`~minijwt.SecretKey` (RFC 8725 §2.1, §3.1: algorithm confusion); it is
loaded as the key it is, or refused. The X.509 and serialization modules of
``cryptography`` are imported on first use: an HS256 service never pays for
them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import warnings
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from ._cache import BoundedCache, IdentityCache, memoize
from ._keys import KEY_TYPES, AKPKey, ECKey, Key, OKPKey, RSAKey, SecretKey
from ._keytext import KeyForm, KeyText, der_form, find_key_text, load_der, pem_form, ssh_form
from ._mldsa import missing, parameter_set_of
from .errors import InvalidKeyError

__all__ = ["MAX_CACHED_KEY_TEXT", "from_crypto_object", "is_cacheable_text", "load_key", "prepare_key", "text_key"]

#: How many distinct ``str``/``bytes`` keys the parse cache holds, and how many
#: ``cryptography`` key objects the conversion cache holds. A service normally
#: has a handful; the bound keeps memory flat if it is handed many.
KEY_CACHE_SIZE = 128
#: How many concrete key classes have a converter remembered: `cryptography`
#: has about a dozen (RSA, EC, Ed25519, Ed448, private and public, and the
#: certificate class).
CONVERTER_CACHE_SIZE = 32


def prepare_key(key: object) -> Key:
    """Turn any accepted key input (a ``KeyInput`` that is not a key source) into a typed key.

    ``str`` and ``bytes`` go through a bounded cache, so the same PEM text
    costs one parse however often it is passed. Text that looks like a key
    but does not parse is an InvalidKeyError, never an HMAC secret.
    """
    if type(key) is str or type(key) is bytes:
        return text_key(key)
    if isinstance(key, KEY_TYPES):
        return key
    if isinstance(key, (bytearray, memoryview)):
        # A mutable buffer could change after the key was prepared (and
        # cached): rotating or zeroing it in place must not leave the old
        # value verifying, so it is refused rather than snapshotted.
        raise InvalidKeyError(f"a key must be str or bytes, not {type(key).__name__}; pass bytes(...) of it")
    return from_crypto_object(key)


#: Key text longer than this many bytes is classified on every use, never
#: cached: the caches are bounded by count, and 128 entries of a megabyte each
#: would pin 128 MB. An RSA-16384 private key in PEM is about 12 KB.
MAX_CACHED_KEY_TEXT = 64 * 1024
# No text of this many characters is longer than the bound in UTF-8.
_ALWAYS_CACHEABLE = MAX_CACHED_KEY_TEXT // 4


def is_cacheable_text(data: str | bytes) -> bool:
    """Whether a text key is short enough to be a cache key (or held by a cache)."""
    size = len(data)
    if type(data) is str and not data.isascii():
        size *= 4  # the most UTF-8 bytes a character takes, without encoding it
    return size <= MAX_CACHED_KEY_TEXT


def text_key(data: str | bytes) -> Key:
    """Classify ``str``/``bytes`` key text (cached when short; never with a password)."""
    if len(data) <= _ALWAYS_CACHEABLE or is_cacheable_text(data):
        return _text_key_cached(data)
    return _classify(data, None)


@memoize("keys.text", KEY_CACHE_SIZE)
def _text_key_cached(data: str | bytes) -> Key:
    return _classify(data, None)


def load_key(data: str | bytes, password: str | bytes | None = None) -> Key:
    """Load a key from text or bytes, with a password for an encrypted one.

    This is how to use an encrypted PEM (``-----BEGIN ENCRYPTED PRIVATE
    KEY-----``) or an encrypted OpenSSH key: load it once and pass the result
    as the key. A password is never cached.

    Args:
        data: An HMAC secret, or a PEM, DER or OpenSSH encoded key or
            certificate.
        password: The password of an encrypted private key.

    Returns:
        The typed key.

    Raises:
        InvalidKeyError: The data is not a usable key, or the password is
            missing or wrong.

    Example:
        >>> import minijwt
        >>> minijwt.load_key(b"0123456789abcdef0123456789abcdef").kty
        'oct'
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    elif password is not None and type(password) is not bytes:
        raise InvalidKeyError(f"a password must be str or bytes, not {type(password).__name__}")
    if type(data) is not str and type(data) is not bytes:
        raise InvalidKeyError(f"load_key takes str or bytes, not {type(data).__name__}")
    if password is None:
        return text_key(data)
    return _classify(data, password)


# Bounded label, so a long run after "-----BEGIN " costs one pass.
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,64})-----")


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
    if raw[0] == 0x30:  # ASN.1 SEQUENCE: every DER key and certificate starts so
        parsed = _try_der(raw, password)
        if parsed is not None:
            return parsed
    found = find_key_text(raw)
    if found is not None:
        return _from_key_text(found, password)
    if password is not None:
        raise InvalidKeyError("a password was given, but the data is not an encrypted key")
    return SecretKey(raw)


def _from_key_text(found: KeyText, password: bytes | None) -> Key:
    """Load what the detector found, or say why it cannot be (never a secret)."""
    if found.kind == "pem":
        return _from_pem(found.data, password)
    if found.kind == "ssh":
        return _from_ssh_public(found.data)
    if found.kind == "rfc4716":
        return _from_ssh_public(_rfc4716_to_openssh(found.data))
    if found.kind == "jwk":
        raise InvalidKeyError(
            "the key is a JWK or JWK Set in JSON text; load it with minijwt.JWK.from_json or minijwt.JWKSet.from_json"
        )
    if found.kind == "wrapped":
        # A key pasted as base64 (a Kubernetes secret's spelling, or a public
        # key without its armour): decoding it is the caller's explicit step.
        raise InvalidKeyError(f"{found.reason}; decode it and pass the key itself")
    if found.kind == "der":  # DER with white space or a byte order mark around it
        parsed = _try_der(found.data, password)
        if parsed is not None:
            return parsed
    # "armour" that is not standard PEM, or DER that no longer loads.
    raise InvalidKeyError(f"{found.reason}, but it could not be loaded; it is never used as an HMAC secret")


def _rfc4716_to_openssh(text: bytes) -> bytes:
    """An RFC 4716 SSH2 public key file as the one-line OpenSSH form."""
    lines = [line.strip() for line in text.splitlines()]
    begin = next(i for i, line in enumerate(lines) if b"BEGIN SSH2 PUBLIC KEY" in line)
    end = next((i for i, line in enumerate(lines) if b"END SSH2 PUBLIC KEY" in line), None)
    if end is None or end < begin:
        raise InvalidKeyError("the SSH2 public key file (RFC 4716) has no END line")
    body: list[bytes] = []
    continued = False
    for line in lines[begin + 1 : end]:
        # RFC 4716 §3.3: headers ("Tag: value", a trailing backslash continues
        # one) come before the base64 body, which never contains ":".
        if not body and (continued or b":" in line):
            continued = line.endswith(b"\\")
            continue
        body.append(line)
    try:
        blob = binascii.a2b_base64(b"".join(body), strict_mode=True)
    except binascii.Error:
        raise InvalidKeyError("the SSH2 public key file (RFC 4716) has a body that is not base64") from None
    # RFC 4253 §6.6: the blob starts with the key type as an SSH string. A
    # blob that is not a public key is refused when the line is loaded:
    # cryptography parses the blob and checks that the line names its type.
    key_type = blob[4 : 4 + int.from_bytes(blob[:4], "big")]
    return key_type + b" " + base64.b64encode(blob)


def _from_pem(raw: bytes, password: bytes | None) -> Key:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    match = _PEM_LABEL.search(raw)
    label = match.group(1).decode("ascii") if match else ""
    _check_form(pem_form(raw), password)
    try:
        with _deprecations_quiet(password):
            if label == "OPENSSH PRIVATE KEY":
                return from_crypto_object(serialization.load_ssh_private_key(raw, password))
            if label == "CERTIFICATE":
                return from_crypto_object(x509.load_pem_x509_certificate(raw))
            if label.endswith("PUBLIC KEY"):
                return from_crypto_object(serialization.load_pem_public_key(raw))
            if label.endswith("PRIVATE KEY"):
                return from_crypto_object(serialization.load_pem_private_key(raw, password))
    except TypeError:
        # cryptography raises TypeError for a missing or unexpected password
        # that the bytes did not reveal (an unusual form).
        raise _password_error(password) from None
    except (ValueError, UnsupportedAlgorithm):
        why = _UNLOADABLE if missing() is None else f"{_UNLOADABLE} ({missing()}, if it is an ML-DSA key)"
        raise InvalidKeyError(f"the PEM block {label!r} could not be loaded: {why}") from None
    raise InvalidKeyError(
        "the key contains PEM armour but no key or certificate block; it is never used as an HMAC secret"
    )


# cryptography's own wording of a failure varies between releases, so the
# message is minijwt's: the same input gives the same error on every release.
_UNLOADABLE = "it is malformed, or holds a key type or curve that JOSE does not sign with"


def _check_form(form: KeyForm, password: bytes | None) -> None:
    """Refuse what the bytes themselves show, before cryptography parses them."""
    if form.refused is not None:
        # Refused unloaded: cryptography deprecates these types and warns when
        # it loads one, which would reach the caller (RFC 7518 has no DSA).
        raise InvalidKeyError(
            f"unsupported key type {form.refused}: JOSE signs with RSA, EC (P-256, P-384, P-521), Ed25519, Ed448 "
            "or ML-DSA keys"
        )
    if form.ml_dsa is not None and missing() is not None:
        raise InvalidKeyError(f"the key is an {form.ml_dsa} key: {missing()}")
    if form.encrypted is True and password is None:
        raise _password_error(None)
    if form.encrypted is False and password is not None:
        raise _password_error(password)


@contextlib.contextmanager
def _deprecations_quiet(password: bytes | None) -> Iterator[None]:
    """Silence cryptography's deprecation warnings while an encrypted key is decrypted.

    An encrypted private key's type is known only once it is decrypted, so a
    deprecated type (DSA) cannot be refused before cryptography loads it; its
    warning is suppressed for that one call and the key is refused as
    unsupported after. Keys without a password never need this (they are
    refused from their bytes), so the process-wide warning filters are touched
    only by ``load_key(..., password=...)``, a start-up call.
    """
    if password is None:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        yield


def _password_error(password: bytes | None) -> InvalidKeyError:
    if password is None:
        return InvalidKeyError("the private key is encrypted: load it once with minijwt.load_key(data, password=...)")
    return InvalidKeyError("a password was given, but the private key is not encrypted")


def _from_ssh_public(raw: bytes) -> Key:
    from cryptography.hazmat.primitives import serialization

    _check_form(ssh_form(raw), None)
    try:
        return from_crypto_object(serialization.load_ssh_public_key(raw))
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidKeyError(f"the OpenSSH public key could not be loaded: {_UNLOADABLE}") from None


def _try_der(raw: bytes, password: bytes | None) -> Key | None:
    """Parse DER as a private key, public key or certificate; None if none."""
    _check_form(der_form(raw), password)
    try:
        with _deprecations_quiet(password):
            obj = load_der(raw, password)
    except TypeError:
        # An encrypted DER private key without a password, or the reverse.
        raise _password_error(password) from None
    return None if obj is None else from_crypto_object(obj)


def from_crypto_object(obj: object) -> Key:
    """Wrap a ``cryptography`` key object or X.509 certificate (its public key) as a typed key.

    A type or curve JOSE signing does not use, or a weak key, is an InvalidKeyError.
    """
    # The same object is usually passed on every call; deriving the public
    # half of an EC or Edwards private key is a point multiplication, so the
    # typed key is remembered by identity.
    key = _OBJECTS.get(obj)
    if key is not None:
        return key
    # The converter is found once per concrete class: isinstance() against
    # cryptography's abstract classes costs more than the rest of this call.
    cls: Hashable = type(obj)  # type: ignore[assignment]
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _converter_for(obj)
        _CONVERTERS.put(cls, convert)
    key = convert(obj)
    _OBJECTS.put(obj, key)
    return key


def _from_certificate(cert: Any) -> Key:
    try:
        public = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidKeyError(f"the certificate's public key could not be loaded: {_UNLOADABLE}") from None
    return from_crypto_object(public)


def _converter_for(obj: object) -> Callable[[Any], Key]:
    if isinstance(obj, rsa.RSAPrivateKey):
        return lambda k: RSAKey(public=k.public_key(), private=k)
    if isinstance(obj, rsa.RSAPublicKey):
        return lambda k: RSAKey(public=k)
    if isinstance(obj, ec.EllipticCurvePrivateKey):
        return lambda k: ECKey(public=k.public_key(), private=k)
    if isinstance(obj, ec.EllipticCurvePublicKey):
        return lambda k: ECKey(public=k)
    if isinstance(obj, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return lambda k: OKPKey(public=k.public_key(), private=k)
    if isinstance(obj, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return lambda k: OKPKey(public=k)
    ml_dsa = parameter_set_of(obj)
    if ml_dsa is not None:
        return (lambda k: AKPKey(public=k.public_key(), private=k)) if ml_dsa[1] else (lambda k: AKPKey(public=k))
    from cryptography import x509

    if isinstance(obj, x509.Certificate):
        return _from_certificate
    raise InvalidKeyError(f"unsupported key type {type(obj).__name__}")


_CONVERTERS: BoundedCache[Callable[[Any], Key]] = BoundedCache("keys.converters", CONVERTER_CACHE_SIZE)
_OBJECTS: IdentityCache[Key] = IdentityCache("keys.objects", KEY_CACHE_SIZE)
