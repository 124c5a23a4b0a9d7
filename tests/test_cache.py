"""The bounded caches: they stay bounded and never confuse two inputs."""

from __future__ import annotations

import gc

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import minijwt
from minijwt import ECKey, InvalidKeyError, jws
from minijwt._cache import BoundedCache
from minijwt._header import HEADER_CACHE_MAX_LENGTH, HEADER_CACHE_SIZE
from minijwt._keyload import KEY_CACHE_SIZE, from_crypto_object

SECRET = b"0123456789abcdef0123456789abcdef"


def test_bounded_cache_evicts_the_oldest() -> None:
    cache: BoundedCache[int] = BoundedCache("test.evicts", 3)
    for i in range(10):
        cache.put(i, i * i)
        assert len(cache) <= 3
    assert cache.get(9) == 81
    assert cache.get(0) is None
    cache.put(9, 0)  # replacing an entry evicts nothing
    assert len(cache) == 3
    assert cache.get(7) == 49


def test_header_cache_is_bounded_and_skips_long_headers() -> None:
    minijwt.clear_caches()
    for i in range(HEADER_CACHE_SIZE + 50):
        token = jws.sign(b"x", SECRET, "HS256", headers={"kid": f"k{i}"})
        assert jws.verify(token, SECRET, algorithms=["HS256"]) == b"x"
    info = minijwt.cache_info()["header.parse"]
    assert info.size == info.bound == HEADER_CACHE_SIZE
    minijwt.clear_caches()
    long_kid = "k" * HEADER_CACHE_MAX_LENGTH
    token = jws.sign(b"x", SECRET, "HS256", headers={"kid": long_kid})
    assert jws.verify_complete(token, SECRET, algorithms=["HS256"]).header["kid"] == long_kid
    assert minijwt.cache_info()["header.parse"].size == 0  # parsed without the cache


def test_cached_header_cannot_be_changed_by_a_caller() -> None:
    token = jws.sign(b"x", SECRET, "HS256", headers={"kid": "a"})
    first = jws.verify_complete(token, SECRET, algorithms=["HS256"]).header
    first["kid"] = "changed"
    assert jws.verify_complete(token, SECRET, algorithms=["HS256"]).header["kid"] == "a"


def test_key_objects_are_converted_once_and_never_confused() -> None:
    a = ec.generate_private_key(ec.SECP256R1())
    b = ec.generate_private_key(ec.SECP256R1())
    typed_a = from_crypto_object(a)
    assert from_crypto_object(a) is typed_a
    assert from_crypto_object(b) is not typed_a
    typed_b = from_crypto_object(b)
    assert isinstance(typed_b, ECKey)
    assert typed_b.public.public_numbers() == b.public_key().public_numbers()
    for _ in range(KEY_CACHE_SIZE + 10):
        from_crypto_object(ec.generate_private_key(ec.SECP256R1()))
        assert minijwt.cache_info()["keys.objects"].size <= KEY_CACHE_SIZE


def test_a_freed_key_object_is_never_mistaken_for_a_new_one() -> None:
    """Ids are reused after an object dies; the cache holds the object, so that cannot happen."""
    tokens = []
    for _ in range(20):
        key = ec.generate_private_key(ec.SECP256R1())
        tokens.append((minijwt.encode({}, key, "ES256"), key.public_key()))
        del key
        gc.collect()
    for i, (token, public) in enumerate(tokens):
        assert minijwt.decode(token, public, algorithms=["ES256"]) == {}
        other = tokens[(i + 1) % len(tokens)][1]
        with pytest.raises(minijwt.InvalidSignatureError):
            minijwt.decode(token, other, algorithms=["ES256"])


def test_static_resolver_explains_a_misfit_every_time() -> None:
    token = jws.sign(b"x", SECRET, "HS256")
    short = b"too-short"
    for _ in range(3):
        with pytest.raises(InvalidKeyError, match="at least 32 bytes"):
            jws.verify(token, short, algorithms=["HS256"])
