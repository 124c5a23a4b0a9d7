"""The cost of a cached key lookup through a JWKSClient, against JWKSet.select on the same set.

Run ``python benchmarks/jwks_client.py`` (``--rounds N``, ``--calls N``). Both
lookups run in this one process, interleaved round by round (the order
alternating), so that a noisy machine slows both alike; each figure is the
median over the rounds. No network: the client is warmed once by a fetch
function that returns the set, and every measured lookup is answered from its
fresh cache (the hot path: no lock, no fetch).

The target is a ratio of at most 1.1: the client's cache adds next to nothing
to choosing the key.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from typing import Any

import minijwt
from minijwt.jwks_client import JWKSClient


def build(kid: str) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """The two lookups to compare, on the same three-key set."""
    keys = [minijwt.JWK.generate("RS256", kid=f"key-{n}").public() for n in range(3)]
    published = minijwt.JWKSet(keys)
    body = published.to_json().encode()

    def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> tuple[int, Any, bytes]:
        return 200, {"cache-control": "max-age=3600"}, body

    client = JWKSClient("https://issuer.example/.well-known/jwks.json", fetch=fetch, cache_ttl=3600)
    client.get_jwk_set()  # warm
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    alg = minijwt.ALGORITHMS["RS256"]
    resolve = client.resolve_key
    select = published.select

    def through_client() -> Any:
        return resolve(header, alg)

    def direct() -> Any:
        return select(header, alg).key

    as_source = published.resolve_key  # the path decode() takes with a JWKSet

    def set_as_source() -> Any:
        return as_source(header, alg)

    assert type(through_client()) is type(direct()) is type(set_as_source())
    return through_client, direct, set_as_source


def build_decoders(kid: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """A whole HS-free verification (ES256) through the client and through the JWKSet: what a request pays."""
    private = minijwt.JWK.generate("ES256", kid=kid)
    published = minijwt.JWKSet([private.public()])
    body = published.to_json().encode()

    def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> tuple[int, Any, bytes]:
        return 200, {"cache-control": "max-age=3600"}, body

    client = JWKSClient("https://issuer.example/.well-known/jwks.json", fetch=fetch, cache_ttl=3600)
    token = minijwt.encode({"sub": "a"}, private, "ES256", headers={"kid": kid})
    via_client = minijwt.JWTVerifier(client, algorithms=["ES256"]).decode
    via_set = minijwt.JWTVerifier(published, algorithms=["ES256"]).decode
    assert via_client(token) == via_set(token)
    return (lambda: via_client(token)), (lambda: via_set(token))


def timed(function: Callable[[], Any], calls: int) -> float:
    """Seconds per call over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def allocated(function: Callable[[], Any], calls: int = 10_000) -> float:
    """Bytes still allocated per call after ``calls`` calls (what the hot path keeps)."""
    tracemalloc.start()
    function()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(calls):
        function()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=50_000)
    options = parser.parse_args()

    through_client, direct, set_as_source = build("key-1")
    decode_client, decode_set = build_decoders("key-1")
    samples: dict[str, list[float]] = {"client": [], "direct": [], "source": [], "dclient": [], "dset": []}
    gc.disable()
    try:
        for round_number in range(options.rounds):
            order = [("client", through_client), ("direct", direct), ("source", set_as_source)]
            if round_number % 2:
                order.reverse()
            for name, function in order:
                samples[name].append(timed(function, options.calls))
            for name, function in (("dclient", decode_client), ("dset", decode_set))[:: -1 if round_number % 2 else 1]:
                samples[name].append(timed(function, max(1, options.calls // 100)))
    finally:
        gc.enable()

    client_median = statistics.median(samples["client"])
    direct_median = statistics.median(samples["direct"])
    print(f"rounds {options.rounds} x {options.calls} calls, medians")
    print(f"  JWKSet.select(header, alg).key   {direct_median * 1e9:8.0f} ns")
    source_median = statistics.median(samples["source"])
    print(f"  JWKSet.resolve_key(header, alg)  {source_median * 1e9:8.0f} ns")
    print(f"  JWKSClient.resolve_key (cached)  {client_median * 1e9:8.0f} ns")
    print(f"  ratio client / direct            {client_median / direct_median:8.3f}  (target <= 1.1)")
    print(f"  ratio client / JWKSet as source  {client_median / source_median:8.3f}")
    print(f"  bytes kept per cached lookup     {allocated(through_client):8.1f}")
    dclient, dset = statistics.median(samples["dclient"]), statistics.median(samples["dset"])
    print(f"  ES256 JWTVerifier.decode, keys from the client  {dclient * 1e6:8.1f} us")
    print(f"  ES256 JWTVerifier.decode, keys from the JWKSet  {dset * 1e6:8.1f} us")
    print(f"  ratio client / JWKSet, whole verification       {dclient / dset:8.3f}  (target <= 1.1)")


if __name__ == "__main__":
    main()
