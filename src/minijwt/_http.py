"""The only network code in minijwt: one bounded HTTP GET, and the rules around it.

:func:`check_url` says where keys may come from, :func:`stdlib_fetch` fetches
them (the standard library only; one deadline, a size limit, no redirects),
and :func:`cache_lifetime` reads how long they stay fresh.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping

from ._cache import memoize
from .errors import InvalidOptionError, JWKSFetchError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "FetchResult",
    "cache_lifetime",
    "check_answer",
    "check_url",
    "is_loopback",
    "is_public_address",
    "public_fetch",
    "status_error",
    "stdlib_fetch",
    "url_option",
]

#: What a fetch returns: the status code, the response headers (lower-case
#: names) and the body.
FetchResult = tuple[int, dict[str, str], bytes]

#: Seconds for one whole exchange (connect, headers, body), unless the client says otherwise.
DEFAULT_TIMEOUT = 5.0
#: The largest body accepted, unless the client says otherwise: a JWK Set of a
#: hundred RSA keys is well under it.
DEFAULT_MAX_BYTES = 1_048_576

_CHUNK = 16384
_ACCEPT = "application/jwk-set+json, application/json;q=0.9"
# RFC 9111 §1.2.2: a delta-seconds too large to represent is read as 2**31.
_MAX_DELTA = 2**31


def is_loopback(host: str) -> bool:
    """Whether a host name is the loopback interface: ``localhost``, ``127.0.0.0/8`` or ``::1``.

    Example:
        >>> is_loopback("127.0.0.2"), is_loopback("::1"), is_loopback("example.com")
        (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool) -> None:
    """Refuse a URL that keys must not be fetched from, before any connection.

    Keys fetched over plain ``http`` can be replaced by anyone on the path, and
    whoever replaces them can sign any token (RFC 8414 §3, OIDC Discovery 1.0
    §4 require TLS). Plain ``http`` is accepted for a loopback host, where
    there is no path, or when ``allow_http`` is true.

    Raises:
        JWKSFetchError: With reason ``"insecure_url"``: the scheme is neither
            ``https`` nor ``http``, ``http`` to a host that is not loopback
            without ``allow_http``, user information in the URL, no host, a
            bad port, or characters that do not belong in a URL.

    Example:
        >>> check_url("https://issuer.example/.well-known/jwks.json", allow_http=False)
        >>> check_url("http://127.0.0.1:8080/jwks", allow_http=False)
        >>> check_url("http://issuer.example/jwks", allow_http=False)
        Traceback (most recent call last):
        ...
        minijwt.errors.JWKSFetchError: refusing to fetch keys over plain http from a host that is not loopback
    """
    if not isinstance(url, str) or not url.isascii() or not url.isprintable() or " " in url:
        raise _insecure("the URL must be printable ASCII text without spaces")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  # reading it validates it
    except ValueError:
        raise _insecure("the URL is malformed") from None
    if parts.scheme not in ("https", "http"):
        raise _insecure("keys are fetched over https only")
    if "@" in parts.netloc:
        # Credentials in a URL end up in logs; and "https://good@evil" misleads readers.
        raise _insecure("the URL must not contain user information")
    if not parts.hostname:
        raise _insecure("the URL has no host")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise _insecure("refusing to fetch keys over plain http from a host that is not loopback")


def url_option(value: object, *, allow_http: bool, name: str) -> str:
    """A URL given as the option ``name``, checked as :func:`check_url` checks it before each fetch.

    Raises:
        InvalidOptionError: Not a string, or a URL keys may not come from
            (the message names the option: a mistake in the configuration,
            found before any request).

    Example:
        >>> url_option("http://issuer.example/jwks", allow_http=False, name="url")
        Traceback (most recent call last):
        ...
        minijwt.errors.InvalidOptionError: url: refusing to fetch keys over plain http from a host that is not loopback
    """
    if not isinstance(value, str):
        raise InvalidOptionError(f"{name} must be a string")
    try:
        check_url(value, allow_http=allow_http)
    except JWKSFetchError as exc:
        raise InvalidOptionError(f"{name}: {exc.message}") from None
    return value


def _insecure(message: str) -> JWKSFetchError:
    return JWKSFetchError(message, reason="insecure_url")


def safe_url(url: str) -> str:
    """The URL without query and fragment, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class _Deadline:
    """One deadline for a whole exchange.

    A socket timeout bounds each read, not the exchange: a server sending one
    byte per read never trips it. At the deadline a timer shuts the socket
    down, which ends any read in progress; each read is also given only the
    time that remains.
    """

    __slots__ = ("_done", "_lock", "_sock", "_timer", "at", "expired")

    def __init__(self, timeout: float) -> None:
        self.at = time.monotonic() + timeout
        self.expired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            fire_now = self.expired
        if fire_now:
            self._fire()

    def remaining(self) -> float:
        """Seconds left; raises the timeout error when none are."""
        left = self.at - time.monotonic()
        if left <= 0 or self.expired:
            self.expired = True
            raise JWKSFetchError("the key server did not answer in time", reason="timeout")
        return left

    def _fire(self) -> None:
        # Under the lock, so that the socket is never shut down after finish()
        # let the caller close it (its file descriptor could be reused).
        with self._lock:
            self.expired = True
            if self._done or self._sock is None:
                return
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, also for TLS: it ends a read
                # blocked in another thread without touching the TLS state.
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True


@memoize("http.tls_context", 1)
def _tls_context() -> ssl.SSLContext:
    # Certificate and host name verification on (the defaults of create_default_context).
    return ssl.create_default_context()


def _proxy_for(parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult | None:
    """The proxy to use for a URL, from the environment (``https_proxy``, ``no_proxy`` ...)."""
    host = parts.hostname or ""
    # A proxy's loopback is not ours: loopback is always reached directly.
    if is_loopback(host) or urllib.request.proxy_bypass(parts.netloc):
        return None
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy:
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    proxy_parts = urllib.parse.urlsplit(proxy)
    if proxy_parts.scheme != "http" or not proxy_parts.hostname:
        raise JWKSFetchError("only http:// proxies are supported for fetching keys", reason="network")
    return proxy_parts


def _proxy_headers(proxy: urllib.parse.SplitResult) -> dict[str, str]:
    if proxy.username is None:
        return {}
    credentials = f"{urllib.parse.unquote(proxy.username)}:{urllib.parse.unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")}


def _connection(
    parts: urllib.parse.SplitResult, timeout: float
) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """The connection, the request target, and headers for the proxy, for a URL."""
    host = parts.hostname or ""
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    proxy = _proxy_for(parts)
    if proxy is None:
        if parts.scheme == "https":
            return http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=_tls_context()), target, {}
        return http.client.HTTPConnection(host, parts.port, timeout=timeout), target, {}
    proxy_host, proxy_port = proxy.hostname or "", proxy.port
    if parts.scheme == "https":
        # CONNECT tunnel (RFC 9110 §9.3.6); TLS is verified against the real host.
        conn = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=timeout, context=_tls_context())
        conn.set_tunnel(host, parts.port, headers=_proxy_headers(proxy))
        return conn, target, {}
    # Plain http through a proxy: the absolute URL is the target (RFC 9112 §3.2.2).
    absolute = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
    return http.client.HTTPConnection(proxy_host, proxy_port, timeout=timeout), absolute, _proxy_headers(proxy)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the global internet and not multicast: one a token's author may make us contact.

    Loopback, private, link-local, unique-local, shared (RFC 6598),
    multicast and reserved ranges are not; an IPv4-mapped IPv6 address is
    judged as the IPv4 address it maps.

    Example:
        >>> import ipaddress
        >>> [is_public_address(ipaddress.ip_address(a)) for a in ("93.184.215.14", "10.0.0.1", "::ffff:127.0.0.1")]
        [True, False, False]
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _public_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, each checked public; else the fetch is refused before connecting."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise JWKSFetchError(f"the host {host!r} could not be resolved", reason="network") from None
    addresses = list(dict.fromkeys(str(info[4][0]).partition("%")[0] for info in found))
    for text in addresses:
        if not is_public_address(ipaddress.ip_address(text)):
            raise JWKSFetchError(
                f"the host {host!r} resolves to an address outside the public internet ({text})",
                reason="forbidden_address",
            )
    if not addresses:
        raise JWKSFetchError(f"the host {host!r} has no address", reason="network")
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to addresses already checked: no second name lookup, TLS verified against the host name."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self._addresses = addresses
        # http.client opens its socket through this attribute (HTTPConnection.connect).
        self._create_connection = self._connect_checked

    def _connect_checked(
        self, address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        failure: OSError = OSError("no address")
        for text in self._addresses:
            try:
                return socket.create_connection((text, address[1]), timeout, source_address)
            except OSError as exc:
                failure = exc
        raise failure


def public_fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> FetchResult:
    """:func:`stdlib_fetch` for a URL a token's author chose: only ``https``, only to public addresses.

    The host is resolved once, every address it has must pass
    :func:`is_public_address`, and the connection goes to one of those
    addresses (no second lookup that could answer otherwise), never through a
    proxy (which would make the connection itself, beyond the check).

    Raises:
        JWKSFetchError: reason ``"forbidden_address"`` for an address outside
            the public internet (before any connection), ``"insecure_url"``
            for a URL that is not ``https`` or holds user information, else
            as :func:`stdlib_fetch`.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise _insecure("keys for an issuer a token names are fetched over https only, without user information")
    addresses = _public_addresses(parts.hostname, parts.port or 443)
    return stdlib_fetch(url, headers=headers, timeout=timeout, max_bytes=max_bytes, _addresses=addresses)


def stdlib_fetch(
    url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int, _addresses: list[str] | None = None
) -> FetchResult:
    """GET a URL with the standard library, within one deadline and a size limit.

    The default ``fetch=`` (see ``minijwt.jwks_client.Fetch``), for a URL
    :func:`check_url` accepted. ``headers`` replace the defaults (``Accept``,
    ``User-Agent``); name resolution is left to the system, not bounded by
    ``timeout``. A 3xx answer is returned as it is; the body is read only for
    a 200. The answer's header names are in lower case, repeated ones joined
    with ``", "``. Proxies come from the environment (``https_proxy``,
    ``http_proxy``, ``no_proxy``), https through a CONNECT tunnel; a loopback
    host is always reached directly.

    Raises:
        JWKSFetchError: reason ``"timeout"`` when the deadline passes,
            ``"too_large"`` when the body exceeds ``max_bytes``, ``"network"``
            for any other failure (refused connection, TLS verification, a
            broken answer). The message never includes the body.
    """
    parts = urllib.parse.urlsplit(url)
    deadline = _Deadline(timeout)
    conn: http.client.HTTPConnection | None = None
    sock: socket.socket | None = None
    response: http.client.HTTPResponse | None = None
    try:
        if _addresses is None:
            conn, target, proxy_headers = _connection(parts, deadline.remaining())
        else:  # public_fetch: to the checked addresses, never through a proxy
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            conn, proxy_headers = (
                _PinnedHTTPSConnection(parts.hostname or "", parts.port, _addresses, deadline.remaining()),
                {},
            )
        conn.connect()
        if conn.sock is None:  # pragma: no cover - connect() sets it or raises
            raise JWKSFetchError("the connection could not be opened", reason="network")
        sock = conn.sock
        # Kept here: http.client lets go of conn.sock when the answer closes the connection.
        deadline.watch(sock)
        request_headers = {"Accept": _ACCEPT, "User-Agent": "minijwt", **proxy_headers, **headers}
        sock.settimeout(deadline.remaining())
        conn.request("GET", target, headers=request_headers)
        sock.settimeout(deadline.remaining())
        response = conn.getresponse()
        answer_headers: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            answer_headers[key] = f"{answer_headers[key]}, {value}" if key in answer_headers else value
        if response.status != 200:
            return response.status, answer_headers, b""
        return response.status, answer_headers, _read_body(response, sock, deadline, max_bytes)
    except JWKSFetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.expired or isinstance(exc, TimeoutError):
            raise JWKSFetchError(f"{safe_url(url)} did not answer within {timeout} s", reason="timeout") from None
        # Only the exception's class and the system's words: a server's bytes
        # (a status line, a header) can reach the message of an HTTPException.
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise JWKSFetchError(f"fetching {safe_url(url)} failed: {detail}", reason="network") from None
    finally:
        deadline.finish()
        # All three: http.client hands the socket to the response when the
        # answer closes the connection, and an answer cut short is never closed by it.
        for resource in (response, conn, sock):
            if resource is not None:
                resource.close()


def _read_body(response: http.client.HTTPResponse, sock: socket.socket, deadline: _Deadline, max_bytes: int) -> bytes:
    too_large = JWKSFetchError(f"the key server's answer is larger than {max_bytes} bytes", reason="too_large")
    if response.length is not None and response.length > max_bytes:
        raise too_large  # refused on Content-Length, before reading anything
    expected = response.length
    chunks: list[bytes] = []
    total = 0
    while True:
        sock.settimeout(deadline.remaining())
        chunk = response.read1(min(_CHUNK, max_bytes + 1 - total))
        if not chunk:
            deadline.remaining()  # the end may be the deadline's shutdown: then it is a timeout
            if expected is not None and total < expected:
                raise http.client.IncompleteRead(b"", expected - total)
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise too_large  # no Content-Length (chunked), or more than it said
        chunks.append(chunk)


def check_answer(answer: object, max_bytes: int) -> FetchResult:
    """What a fetch function returned, its types and ``max_bytes`` checked whoever fetched it; header names lowered."""
    if not isinstance(answer, tuple) or len(answer) != 3:
        raise JWKSFetchError("the fetch function must return (status, headers, body)", reason="network")
    status, headers, body = answer
    if type(status) is not int or not isinstance(headers, Mapping) or not isinstance(body, bytes):
        raise JWKSFetchError("the fetch function must return (int, mapping, bytes)", reason="network")
    if len(body) > max_bytes:
        raise JWKSFetchError(f"the answer is larger than {max_bytes} bytes", reason="too_large")
    return status, {str(name).lower(): str(value) for name, value in headers.items()}, body


def status_error(status: int) -> JWKSFetchError:
    """The failure for an answer whose status is not 200.

    Example:
        >>> status_error(302).reason, status_error(503).reason
        ('redirect', 'status')
    """
    if 300 <= status < 400:
        # Never followed: a redirect could lead to keys from anywhere.
        return JWKSFetchError(
            f"the server answered with a redirect ({status}), which is not followed", reason="redirect"
        )
    return JWKSFetchError(f"the server answered with status {status}", reason="status")


def _delta_seconds(text: str) -> int | None:
    # RFC 9111 §1.2.2: delta-seconds is 1*DIGIT; recipients may see it quoted (§5.2).
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text or not text.isascii() or not text.isdigit():
        return None
    return _MAX_DELTA if len(text) > 10 else min(int(text), _MAX_DELTA)


def cache_lifetime(headers: Mapping[str, str], *, floor: float, ceiling: float) -> float:
    """How long a fetched key set stays fresh, from the answer's ``Cache-Control``.

    ``max-age`` (less the ``Age`` a shared cache added, RFC 9111 §4.2.3), kept
    between ``floor`` and ``ceiling``: a server's longer ``max-age`` never
    extends the client's own lifetime, and a shorter one is honoured down to
    the floor (the refresh cooldown). ``no-store`` or ``no-cache`` give the
    floor; no ``Cache-Control`` or no readable ``max-age`` give the ceiling.
    ``headers`` have lower-case names; every time is in seconds.

    Example:
        >>> cache_lifetime({"cache-control": "public, max-age=60"}, floor=30, ceiling=300)
        60
        >>> cache_lifetime({"cache-control": "max-age=86400"}, floor=30, ceiling=300)
        300
        >>> cache_lifetime({"cache-control": "no-cache"}, floor=30, ceiling=300)
        30
        >>> cache_lifetime({}, floor=30, ceiling=300)
        300
    """
    value = headers.get("cache-control")
    if value is None:
        return ceiling
    max_age: int | None = None
    seen_max_age = False
    for directive in value.split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return floor  # RFC 9111 §5.2.2.4, §5.2.2.5
        if name == "max-age" and not seen_max_age:
            # RFC 9111 §4.2.1: with the directive repeated, the first one is used.
            seen_max_age = True
            max_age = _delta_seconds(argument)
    if max_age is None:
        return ceiling
    age = _delta_seconds(headers.get("age", ""))
    lifetime = max_age - (age or 0)
    return min(max(lifetime, floor), ceiling)
