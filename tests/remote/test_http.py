"""_http: the URL rule, the one-deadline GET with its size limit, and Cache-Control lifetimes."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest
from support.jwks_server import JWKSServer, Reply
from support.servers import ConnectionCounter

from minijwt._http import (
    _PinnedHTTPSConnection,
    cache_lifetime,
    check_url,
    is_loopback,
    is_public_address,
    public_fetch,
    stdlib_fetch,
)
from minijwt.errors import JWKSFetchError

# A generous ceiling that only catches a hang: the rule is "within timeout + 1 s".
SLACK = 1.0


def fetch(url: str, *, timeout: float = 2.0, max_bytes: int = 10_000) -> tuple[int, dict[str, str], bytes]:
    return stdlib_fetch(url, headers={}, timeout=timeout, max_bytes=max_bytes)


# --- check_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://issuer.example/jwks",
        "https://issuer.example:8443/a/b?x=1",
        "http://localhost/jwks",
        "http://127.0.0.1:8080/jwks",
        "http://127.9.9.9/jwks",
        "http://[::1]:8080/jwks",
    ],
)
def test_accepted_urls(url: str) -> None:
    check_url(url, allow_http=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/jwks",
        "http://10.0.0.1/jwks",
        "http://[::2]/jwks",
        "http://localhost.evil.example/jwks",
        "ftp://issuer.example/jwks",
        "file:///etc/passwd",
        "https://user:pw@issuer.example/jwks",
        "https://good.example@evil.example/jwks",
        "https:///jwks",
        "https://issuer.example:99999/jwks",
        "https://issuer.example/jw ks",
        "https://issuer.example/\njwks",
        "https://issuér.example/jwks",
        "//issuer.example/jwks",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(JWKSFetchError) as caught:
        check_url(url, allow_http=False)
    assert caught.value.reason == "insecure_url"


def test_allow_http_accepts_any_host_but_not_other_schemes() -> None:
    check_url("http://issuer.example/jwks", allow_http=True)
    with pytest.raises(JWKSFetchError):
        check_url("ftp://issuer.example/jwks", allow_http=True)


def test_is_loopback() -> None:
    assert is_loopback("LOCALHOST")
    assert is_loopback("127.0.0.1")
    assert not is_loopback("128.0.0.1")
    assert not is_loopback("example.com")


# --- stdlib_fetch ------------------------------------------------------------------------


def test_fetch_returns_status_lower_case_headers_and_body(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(body=b'{"keys": []}', headers={"Cache-Control": "max-age=60", "X-Two": "a"})
    status, headers, body = stdlib_fetch(server.url(), headers={"X-Api-Key": "secret"}, timeout=2.0, max_bytes=1000)
    assert (status, body) == (200, b'{"keys": []}')
    assert headers["cache-control"] == "max-age=60"
    assert headers["x-two"] == "a"
    sent = server.requests[-1].headers
    assert sent["x-api-key"] == "secret"
    assert "jwk-set+json" in sent["accept"]


def test_redirect_is_returned_not_followed(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(status=302, headers={"Location": server.url("/elsewhere")})
    status, headers, _ = fetch(server.url())
    assert status == 302
    assert headers["location"].endswith("/elsewhere")
    assert server.count("/elsewhere") == 0


def test_error_status_body_is_not_read(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(status=500, body=b"<html>oops</html>")
    assert fetch(server.url()) == (500, {"content-length": "17"}, b"")


def test_oversize_by_content_length(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(body=b"x" * 20_000)
    with pytest.raises(JWKSFetchError) as caught:
        fetch(server.url())
    assert caught.value.reason == "too_large"
    assert "xxx" not in str(caught.value)


def test_oversize_without_content_length_is_stopped_while_reading(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(body=b"y" * 200_000, content_length=False)
    with pytest.raises(JWKSFetchError) as caught:
        fetch(server.url(), max_bytes=1000)
    assert caught.value.reason == "too_large"


def test_exactly_max_bytes_is_accepted(server: JWKSServer) -> None:
    server.routes["/jwks"] = Reply(body=b"z" * 1000, content_length=False)
    assert fetch(server.url(), max_bytes=1000)[2] == b"z" * 1000


@pytest.mark.parametrize(
    "reply",
    [
        Reply(stall=True),
        Reply(body=b'{"keys": []}' * 10, trickle=0.05),
        Reply(body=b"{}", trickle_headers=0.05),
    ],
    ids=["stall", "trickle-body", "trickle-headers"],
)
def test_one_deadline_for_the_whole_exchange(server: JWKSServer, reply: Reply) -> None:
    server.routes["/jwks"] = reply
    started = time.monotonic()
    with pytest.raises(JWKSFetchError) as caught:
        fetch(server.url(), timeout=0.5)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 0.5 + SLACK


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(JWKSFetchError) as caught:
        fetch(f"http://127.0.0.1:{port}/jwks")
    assert caught.value.reason == "network"


def test_garbage_answer_is_a_network_error_without_its_bytes() -> None:
    # A one-shot loopback server whose answer is not HTTP at all.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        probe.listen(1)
        port = probe.getsockname()[1]

        def answer() -> None:
            conn, _ = probe.accept()
            with conn:
                conn.recv(1000)
                conn.sendall(b"SECRET-GARBAGE\r\n\r\n")

        thread = threading.Thread(target=answer)
        thread.start()
        with pytest.raises(JWKSFetchError) as caught:
            fetch(f"http://127.0.0.1:{port}/jwks")
        thread.join(5)
    assert caught.value.reason == "network"
    assert "SECRET" not in str(caught.value)


def test_proxy_is_never_used_for_loopback(server: JWKSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy that would refuse every connection: reaching the server proves it was not used.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    server.routes["/jwks"] = Reply(body=b"{}")
    assert fetch(server.url())[0] == 200


# --- public_fetch: the SSRF guard for issuers a token names -------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # link-local: the cloud metadata service
        ("fe80::1", False),
        ("fd00::1", False),  # unique-local
        ("100.64.0.1", False),  # shared address space (RFC 6598)
        ("224.0.0.1", False),  # multicast
        ("ff02::1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address to classify, not to bind
        ("240.0.0.1", False),  # reserved
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_public_fetch_refuses_a_private_address_before_connecting(host: str) -> None:
    counter = ConnectionCounter()
    try:
        with pytest.raises(JWKSFetchError) as caught:
            public_fetch(f"https://{host}:{counter.port}/jwks", headers={}, timeout=2, max_bytes=1000)
        assert caught.value.reason == "forbidden_address"
        assert counter.accepted == 0
    finally:
        counter.close()


@pytest.mark.parametrize("url", ["http://login.example/jwks", "https://user@login.example/jwks"])
def test_public_fetch_is_https_only_without_user_information(url: str) -> None:
    with pytest.raises(JWKSFetchError) as caught:
        public_fetch(url, headers={}, timeout=2, max_bytes=1000)
    assert caught.value.reason == "insecure_url"


def test_the_checked_address_is_the_one_connected_to_without_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The host name cannot resolve, and a proxy is configured: reaching the
    # counter proves the connection went to the address given, directly.
    target, proxy = ConnectionCounter(), ConnectionCounter()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        with pytest.raises(JWKSFetchError):  # the counter closes the connection: no TLS
            stdlib_fetch(
                f"https://issuer.invalid:{target.port}/jwks",
                headers={},
                timeout=2,
                max_bytes=1000,
                _addresses=["127.0.0.1"],
            )
        assert (target.accepted, proxy.accepted) == (1, 0)
        connection = _PinnedHTTPSConnection("issuer.invalid", target.port, ["192.0.2.1", "127.0.0.1"], 2)
        with pytest.raises(OSError):  # noqa: PT011 - whatever the TLS handshake's failure; the first address is unreachable (TEST-NET-1), the second answers
            connection.connect()
        connection.close()
        assert target.accepted == 2
    finally:
        target.close()
        proxy.close()


# --- cache_lifetime -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 300),
        ("max-age=60", 60),
        ("public, max-age=120, must-revalidate", 120),
        ('max-age="90"', 90),
        ("MAX-AGE=45", 45),
        ("max-age=1", 30),  # honoured down to the cooldown
        ("max-age=0", 30),
        ("max-age=86400", 300),  # never longer than cache_ttl
        ("max-age=99999999999999999999", 300),
        ("no-cache", 30),
        ("no-store, max-age=600", 30),
        ("max-age=abc", 300),
        ("max-age=-5", 300),
        ("max-age=", 300),
        ("public", 300),
        ("max-age=100, max-age=10", 100),  # RFC 9111 §4.2.1: the first
    ],
)
def test_cache_lifetime(value: str | None, expected: float) -> None:
    headers = {} if value is None else {"cache-control": value}
    assert cache_lifetime(headers, floor=30, ceiling=300) == expected


def test_cache_lifetime_counts_age_from_a_shared_cache() -> None:
    assert cache_lifetime({"cache-control": "max-age=200", "age": "150"}, floor=30, ceiling=300) == 50
    assert cache_lifetime({"cache-control": "max-age=200", "age": "junk"}, floor=30, ceiling=300) == 200
