"""The how-to's Redis replay store, against a real ``redis-server`` started on a free loopback port.

Skipped, with the reason printed, where Debian's ``redis-server`` is not
installed. The client here speaks just enough RESP for ``SET ... NX PXAT``,
the one command the store sends, with the signature of redis-py's ``set``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import minijwt
from minijwt.dpop import DPoPVerifier, ReplayStore

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS is None, reason="redis-server is not installed (Debian: apt install redis-server)"
)

URL = "https://api.example/orders"


class RedisReplayStore:
    """The how-to's store, as written there."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def check_and_add(self, key: str, expires_at: float) -> bool:
        return bool(self.client.set(f"dpop:{key}", 1, nx=True, pxat=int(expires_at * 1000) + 1))


class MiniRedis:
    """``set`` and ``pttl`` over one connection, in RESP (the Redis protocol)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.reader = self.sock.makefile("rb")

    def _command(self, *words: object) -> Any:
        parts = [str(word).encode() for word in words]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        line = self.reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if rest == b"-1" else self.reader.read(int(rest) + 2)[:-2].decode()
        raise AssertionError(f"unexpected answer {line!r}")

    def set(self, name: str, value: object, *, nx: bool = False, pxat: int | None = None) -> bool | None:
        words: list[object] = ["SET", name, value]
        if nx:
            words.append("NX")
        if pxat is not None:
            words += ["PXAT", pxat]
        return True if self._command(*words) == "OK" else None

    def pttl(self, name: str) -> int:
        return int(self._command("PTTL", name))

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert REDIS is not None
    server = subprocess.Popen(  # noqa: S603 - the installed redis-server, on loopback, for this test only
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def test_the_redis_store_accepts_a_proof_once_across_verifiers(redis_port: int) -> None:
    clients = [MiniRedis(redis_port), MiniRedis(redis_port)]
    try:
        stores = [RedisReplayStore(client) for client in clients]
        assert all(isinstance(store, ReplayStore) for store in stores)
        # Two processes' verifiers, one shared store.
        first, second = (DPoPVerifier(algorithms=["ES256"], replay=store) for store in stores)
        key = minijwt.JWK.generate("ES256")
        now = int(time.time())
        proof = minijwt.encode(
            {"jti": "j1", "htm": "GET", "htu": URL, "iat": now},
            key,
            "ES256",
            headers={"typ": "dpop+jwt", "jwk": key.public().to_dict()},
        )
        assert first.verify(proof, method="GET", url=URL).jkt == key.thumbprint()
        with pytest.raises(minijwt.InvalidDPoPProofError, match="used before"):
            second.verify(proof, method="GET", url=URL)
        # The record lives until iat + max_age + leeway, no longer.
        from minijwt._dpop import replay_key

        ttl = clients[0].pttl(f"dpop:{replay_key(key.thumbprint(), 'j1')}")
        assert 0 < ttl <= (now + 330 - time.time()) * 1000 + 1000
    finally:
        for client in clients:
            client.close()
