"""Key pairs for a fake issuer: fresh ones, or the same ones on every run from a seed."""

from __future__ import annotations

import hashlib
import math
import secrets
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

import minijwt
from minijwt.errors import InvalidOptionError

__all__ = ["KeyMaker", "signing_algorithm"]


# The product of the odd primes below 20 000: one gcd with it sets nine in ten
# composite candidates aside before the first (costly) Miller-Rabin round.
def _odd_primes_below(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    for n in range(3, math.isqrt(limit) + 1, 2):
        if sieve[n]:
            sieve[n * n :: 2 * n] = bytes(len(range(n * n, limit, 2 * n)))
    return [n for n in range(3, limit, 2) if sieve[n]]


_PRIMORIAL = math.prod(_odd_primes_below(20_000))
_RSA_BITS = 2048
_RSA_EXPONENT = 65537
# Miller-Rabin rounds: for random 1024-bit candidates, 5 leave an error below 2**-80 (FIPS 186-5 B.3.1).
_ROUNDS = 5


def signing_algorithm(alg: object, what: str) -> minijwt.Algorithm:
    """The table's row for ``alg``, which must sign with a key pair (a published key is a public key)."""
    row = minijwt.ALGORITHMS.get(alg) if isinstance(alg, str) else None
    if row is None or row.kty == "oct":
        names = ", ".join(name for name, entry in minijwt.ALGORITHMS.items() if entry.kty != "oct")
        raise InvalidOptionError(f"{what} signs with a key pair: alg must be one of {names}")
    return row


def _seed_bytes(seed: object) -> bytes:
    if isinstance(seed, bool) or not isinstance(seed, (int, str, bytes)):
        raise InvalidOptionError("seed must be an int, a str or bytes")
    if isinstance(seed, int):
        return b"int:" + str(seed).encode("ascii")
    if isinstance(seed, str):
        return b"str:" + seed.encode("utf-8", "surrogatepass")
    return b"bytes:" + seed


class KeyMaker:
    """Makes an issuer's keys and kids: random, or derived from a seed, key after key.

    With a seed, the n-th key and kid are a function of the seed and n only:
    the same on every run and every machine (RSA primes are searched from a
    SHAKE-256 stream, the curve keys are a scalar or seed drawn from it).
    """

    def __init__(self, alg: minijwt.Algorithm, seed: object) -> None:
        self._alg = alg
        self._seed = None if seed is None else _seed_bytes(seed)
        self._made = 0

    def kid(self) -> str:
        """A kid for the next key: ``test-`` and eight hex digits."""
        if self._seed is None:
            return "test-" + secrets.token_hex(4)
        return "test-" + self._stream(b"kid", self._made, 4).hex()

    def key(self, kid: str) -> minijwt.JWK:
        """The next private key, as a JWK with this kid, the issuer's ``alg`` and ``use: sig``."""
        index = self._made
        self._made += 1
        if self._seed is None:
            private: Any = cast(Any, minijwt.JWK.generate(self._alg.name).key).private
        else:
            private = self._seeded(index)
        return minijwt.JWK.from_key(private, kid=kid, alg=self._alg.name, use="sig")

    def _stream(self, label: bytes, index: int, size: int) -> bytes:
        assert self._seed is not None
        return hashlib.shake_256(b"minijwt.testing|%s|%d|" % (label, index) + self._seed).digest(size)

    def _seeded(self, index: int) -> Any:
        if self._alg.kty == "RSA":
            return _seeded_rsa(lambda n, size: self._stream(b"rsa-%d" % n, index, size))
        if self._alg.kty == "AKP":
            from cryptography.hazmat.primitives.asymmetric import mldsa

            # FIPS 204 §6.1: an ML-DSA key pair is made from a 32-byte seed.
            kind: Any = getattr(mldsa, self._alg.name.replace("-", "") + "PrivateKey")
            return kind.from_seed_bytes(self._stream(b"ml-dsa", index, 32))
        # A key of the same kind, made only to learn its curve or its size.
        sample: Any = cast(Any, minijwt.JWK.generate(self._alg.name).key).private
        if self._alg.kty == "EC":
            curve = sample.curve
            # A scalar one bit shorter than the group order is always below it, and never 0.
            scalar = int.from_bytes(self._stream(b"ec", index, (curve.key_size + 7) // 8), "big")
            scalar = scalar % (1 << (curve.key_size - 1)) or 1
            return ec.derive_private_key(scalar, curve)
        # An Edwards key: its private key is a seed, random bytes of the curve's length.
        edwards = ed25519.Ed25519PrivateKey if isinstance(sample, ed25519.Ed25519PrivateKey) else ed448.Ed448PrivateKey
        return edwards.from_private_bytes(self._stream(b"okp", index, len(sample.private_bytes_raw())))


def _is_probable_prime(n: int, bases: list[int]) -> bool:
    """Miller-Rabin with the given bases (each in 2 .. n - 2)."""
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for base in bases:
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _seeded_prime(draw: Any, first: int) -> tuple[int, int]:
    """A 1024-bit prime p with gcd(e, p - 1) = 1, and the draw number after it."""
    size = _RSA_BITS // 16
    n = first
    while True:
        candidate = int.from_bytes(draw(n, size), "big") | (0b11 << (size * 8 - 2)) | 1  # two top bits: n has 2048
        n += 1
        if math.gcd(candidate, _PRIMORIAL) != 1 or (candidate - 1) % _RSA_EXPONENT == 0:
            continue
        bases = [2 + int.from_bytes(draw(n + 1_000_000 + i, size), "big") % (candidate - 3) for i in range(_ROUNDS)]
        if _is_probable_prime(candidate, bases):
            return candidate, n


def _seeded_rsa(draw: Any) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key whose primes come from ``draw(n, size)``, a deterministic byte stream."""
    p, n = _seeded_prime(draw, 0)
    q = p
    while q == p:
        q, n = _seeded_prime(draw, n)
    phi = (p - 1) * (q - 1)
    d = pow(_RSA_EXPONENT, -1, phi // math.gcd(p - 1, q - 1))
    public = rsa.RSAPublicNumbers(_RSA_EXPONENT, p * q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public)
    return numbers.private_key()
