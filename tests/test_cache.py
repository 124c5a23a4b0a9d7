"""The bounded caches: they stay bounded and never confuse two inputs."""

from __future__ import annotations

import gc

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from strategies import cache_operations

import minijwt
from minijwt import ECKey, InvalidKeyError, _cache, jws
from minijwt._cache import BoundedCache, IdentityCache
from minijwt._header import HEADER_CACHE_MAX_LENGTH, HEADER_CACHE_SIZE
from minijwt._keyload import KEY_CACHE_SIZE, from_crypto_object

SECRET = b"0123456789abcdef0123456789abcdef"


def test_bounded_cache_evicts_the_oldest() -> None:
    cache: BoundedCache[int] = BoundedCache("test.evicts", 3)
    try:
        for i in range(10):
            cache.put(i, i * i)
            assert len(cache) <= 3
        assert cache.get(9) == 81
        assert cache.get(0) is None
        cache.put(9, 0)  # replacing an entry evicts nothing
        assert len(cache) == 3
        assert cache.get(7) == 49
        assert minijwt.cache_info()["test.evicts"].size == 3
        with pytest.raises(AssertionError, match="twice"):
            BoundedCache("test.evicts", 3)
    finally:
        del _cache._REGISTER["test.evicts"]


def _first_in_first_out(model: dict[int, int], bound: int, key: int, value: int) -> int | None:
    """Store in the model of a bounded cache; return the key evicted, if any.

    The model: a full cache makes room by dropping the entry stored first;
    storing under a key it holds replaces the value in place (nothing is
    evicted, the entry keeps its age); a lookup changes nothing.
    """
    evicted = None
    if key not in model and len(model) >= bound:
        evicted = next(iter(model))
        del model[evicted]
    model[key] = value
    return evicted


@given(bound=st.integers(1, 6), operations=cache_operations)
def test_a_bounded_cache_holds_at_most_its_bound_and_evicts_the_oldest(
    bound: int, operations: list[tuple[str, int, int | None]]
) -> None:
    name = "test.bounded-property"
    cache: BoundedCache[int] = BoundedCache(name, bound)
    try:
        model: dict[int, int] = {}
        for operation, key, value in operations:
            if operation == "put":
                assert value is not None
                evicted = _first_in_first_out(model, bound, key, value)
                cache.put(key, value)
                assert cache.get(key) == value  # the latest insertion is always there
                if evicted is not None:
                    assert cache.get(evicted) is None
            else:
                assert cache.get(key) == model.get(key)
            assert len(cache) == len(model) <= bound
            assert minijwt.cache_info()[name].size == len(cache)
        assert {key: cache.get(key) for key in range(10)} == {key: model.get(key) for key in range(10)}
    finally:
        del _cache._REGISTER[name]


@given(bound=st.integers(1, 6), operations=cache_operations)
def test_an_identity_cache_holds_at_most_its_bound_and_evicts_the_oldest(
    bound: int, operations: list[tuple[str, int, int | None]]
) -> None:
    """The same bounds, keyed by identity: equal objects that are not the same object are different keys."""
    name = "test.identity-property"
    cache: IdentityCache[int] = IdentityCache(name, bound)
    objects = [[0] for _ in range(10)]  # all equal, none the same
    try:
        model: dict[int, int] = {}
        for operation, index, value in operations:
            if operation == "put":
                assert value is not None
                evicted = _first_in_first_out(model, bound, index, value)
                cache.put(objects[index], value)
                assert cache.get(objects[index]) == value
                if evicted is not None:
                    assert cache.get(objects[evicted]) is None
            else:
                assert cache.get(objects[index]) == model.get(index)
            assert cache.get([0]) is None  # an equal object never matches
            assert len(cache) == len(model) <= bound
            assert minijwt.cache_info()[name].size == len(cache)
        assert [cache.get(obj) for obj in objects] == [model.get(index) for index in range(10)]
    finally:
        del _cache._REGISTER[name]


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


def test_the_performance_page_lists_exactly_the_registered_caches() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "performance.rst").read_text(encoding="utf-8")
    table = page[page.index("   * - cache") : page.index("Objects cached by identity")]
    documented = dict(re.findall(r"\* - ``([a-z_.]+)``\n\s+- (\d+)", table))
    import minijwt.dpop
    import minijwt.jwks_client

    registered = {name: str(info.bound) for name, info in minijwt.cache_info().items()}
    assert documented == registered


def test_clear_caches_forgets_text_keys_and_verifiers() -> None:
    secret = "a text secret of at least 32 bytes!!"
    token = minijwt.encode({}, secret)
    assert minijwt.decode(token, secret, algorithms=["HS256"]) == {}
    info = minijwt.cache_info()
    assert info["keys.text"].size >= 1
    assert info["jwt.verifiers"].size >= 1
    minijwt.clear_caches()
    assert all(entry.size == 0 for entry in minijwt.cache_info().values())


def test_a_password_is_never_cached() -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"hunter2-password"))
    minijwt.clear_caches()
    loaded = minijwt.load_key(pem, password=b"hunter2-password")
    assert isinstance(loaded, ECKey)
    assert minijwt.cache_info()["keys.text"].size == 0
    # Each call loads again: nothing keyed by the password was kept.
    assert minijwt.load_key(pem, password="hunter2-password") is not loaded
    with pytest.raises(InvalidKeyError):
        minijwt.load_key(pem, password=b"wrong")


def test_every_cache_stays_within_its_bound() -> None:
    """Flood every cache with distinct inputs: each holds at most its bound."""
    minijwt.clear_caches()
    for i in range(300):
        secret = f"secret number {i:04d} padded to 32 bytes"
        token = minijwt.encode({"i": i}, secret, headers={"kid": f"k{i}", "n": i})
        minijwt.decode(token, secret, algorithms=["HS256"], audience=None, leeway=i % 3)
        minijwt.decode(token, secret.encode(), algorithms=("HS256", f"HS{384 + 128 * (i % 2)}"))
    for info in minijwt.cache_info().values():
        assert info.size <= info.bound, info
    assert minijwt.cache_info()["keys.text"].size == minijwt.cache_info()["keys.text"].bound
