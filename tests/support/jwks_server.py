"""A JWK Set server for the tests: the standard library's HTTP server on 127.0.0.1, with faults on demand.

Each path answers with a :class:`Reply`, which can be a plain answer or a
fault: a status, a stall, a delay, a body sent one byte at a time, headers
sent one byte at a time. The server records every request (path and headers).
It listens on loopback only, on a port the system chooses.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import minijwt
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient

__all__ = [
    "JWKSServer",
    "Reply",
    "Request",
    "averify",
    "json_reply",
    "jwks_reply",
    "sign",
    "verify",
    "wait_until",
]

# The longest any fault holds a connection: far beyond every client timeout in
# the tests, and ended early when the server stops.
_HOLD = 30.0


@dataclass
class Reply:
    """What a path answers.

    Attributes:
        status: The status code.
        body: The body.
        headers: Extra response headers.
        delay: Seconds to wait before answering.
        stall: Never answer (until the server stops).
        trickle: Seconds between the single bytes of the body.
        trickle_headers: Seconds between the single bytes of the status line and headers.
        content_length: Send Content-Length (else the body ends when the connection closes).
        gate: When set, the answer waits until the test sets this event.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stall: bool = False
    trickle: float = 0.0
    trickle_headers: float = 0.0
    content_length: bool = True
    gate: threading.Event | None = None


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    path: str
    headers: dict[str, str]


def jwks_reply(keys: list[minijwt.JWK] | dict[str, Any], *, cache_control: str | None = None) -> Reply:
    """A 200 answer with a JWK Set (public members of the keys, or the dict as given)."""
    document = keys if isinstance(keys, dict) else {"keys": [key.public().to_dict() for key in keys]}
    headers = {"Content-Type": "application/jwk-set+json"}
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    return Reply(body=json.dumps(document).encode(), headers=headers)


def json_reply(document: object) -> Reply:
    """A 200 answer with any JSON document."""
    return Reply(body=json.dumps(document).encode(), headers={"Content-Type": "application/json"})


def sign(key: minijwt.JWK, alg: str = "RS256", *, kid: str | None = "") -> str:
    """A token signed by ``key``, naming ``kid`` (default: the key's own; None: no kid)."""
    headers = {} if kid is None else {"kid": kid or key.kid}
    return minijwt.encode({"sub": "alice"}, key, alg, headers=headers)


def verify(client: JWKSClient, token: str) -> dict[str, Any]:
    """Verify a token with the client as the key of minijwt.decode."""
    alg = minijwt.get_unverified_header(token)["alg"]
    return minijwt.decode(token, client, algorithms=[alg])


async def averify(client: AsyncJWKSClient, token: str) -> dict[str, Any]:
    """The async twin of :func:`verify`: the client as the key of minijwt.adecode."""
    alg = minijwt.get_unverified_header(token)["alg"]
    return await minijwt.adecode(token, client, algorithms=[alg])


def wait_until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Wait (real time) for work in another thread; fail after ``limit`` seconds, which only a hang reaches."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the background work did not end"
        time.sleep(0.005)


class JWKSServer:
    """A threaded HTTP server on 127.0.0.1 answering from :attr:`routes`."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/jwks") -> str:
        """The URL of a path on this server."""
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        """The server's origin, ``http://127.0.0.1:<port>``."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def count(self, path: str = "/jwks") -> int:
        """How many requests a path received."""
        with self._lock:
            return sum(request.path == path for request in self.requests)

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def close(self) -> None:
        """Stop serving, and end any stalled answer."""
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up early is expected here (timeouts, size limits)."""


def _handler_for(server: JWKSServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            server.record(Request(self.path, {name.lower(): value for name, value in self.headers.items()}))
            reply = server.routes.get(self.path, Reply(status=404))
            with contextlib.suppress(OSError):  # the client gave up
                self._answer(reply)

        def _answer(self, reply: Reply) -> None:
            stopping = server.stopping
            if reply.stall:
                stopping.wait(_HOLD)
                return
            if reply.delay and stopping.wait(reply.delay):
                return
            if reply.gate is not None:
                while not reply.gate.wait(0.02):
                    if stopping.is_set():
                        return
            lines = [f"HTTP/1.0 {reply.status} X\r\n"]
            lines += [f"{name}: {value}\r\n" for name, value in reply.headers.items()]
            if reply.content_length:
                lines.append(f"Content-Length: {len(reply.body)}\r\n")
            head = ("".join(lines) + "\r\n").encode("latin-1")
            self._send(head, reply.trickle_headers)
            self._send(reply.body, reply.trickle)
            self.close_connection = True

        def _send(self, data: bytes, pause: float) -> None:
            if not pause:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                if server.stopping.wait(pause):
                    return

    return Handler
