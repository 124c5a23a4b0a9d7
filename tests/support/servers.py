"""Real servers for the web tests, on 127.0.0.1 and a port the system chooses.

:func:`uvicorn_server` runs an ASGI application under uvicorn in a thread;
:func:`waitress_server` runs a WSGI application under waitress. Each yields
the port and stops its server when the ``with`` block ends. :func:`request`
sends one HTTP/1.1 request with the standard library. :class:`ConnectionCounter`
only counts the connections that reach it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
import waitress.server

# A queue of requests waiting for a worker thread is the point of the load tests.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)

# Far beyond what any request in the tests takes: reached only by a hang.
TIMEOUT = 20.0


@dataclass(frozen=True)
class Response:
    """What the server answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def challenge(self) -> str:
        return self.headers.get("www-authenticate", "")


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def uvicorn_server(app: Any, **options: Any) -> Iterator[int]:
    """Serve an ASGI application with uvicorn on loopback; yield its port. ``options`` go to ``uvicorn.Config``."""
    sock = _loopback_socket()
    config = uvicorn.Config(app, log_level="warning", lifespan="auto", ws="websockets-sansio", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.005)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)
        sock.close()


@contextlib.contextmanager
def waitress_server(app: Any, threads: int = 8, **options: Any) -> Iterator[int]:
    """Serve a WSGI application with waitress on loopback; yield its port. ``options`` go to waitress."""
    server: Any = waitress.server.create_server(
        app, host="127.0.0.1", port=0, threads=threads, connection_limit=200, asyncore_loop_timeout=0.05, **options
    )
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # a socket closed under the loop as it stops
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        stopping.set()
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            with contextlib.suppress(OSError):
                channel.close()
        thread.join(TIMEOUT)


def request(
    port: int,
    path: str,
    *,
    token: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    method: str = "GET",
    connection: http.client.HTTPConnection | None = None,
) -> Response:
    """One request; ``token`` becomes ``Authorization: Bearer <token>``; a header may repeat."""
    own = connection is None
    conn = connection if connection is not None else http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if token is not None:
            conn.putheader("Authorization", f"Bearer {token}")
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        answer = conn.getresponse()
        body = answer.read()
        return Response(answer.status, {name.lower(): value for name, value in answer.getheaders()}, body)
    finally:
        if own:
            conn.close()


class ConnectionCounter:
    """A TCP listener on 127.0.0.1 that counts the connections reaching it, and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        """Stop listening."""
        self.sock.close()


@contextlib.contextmanager
def forwarding_proxy(backend_port: int, added: Sequence[tuple[str, str]]) -> Iterator[int]:
    """A reverse proxy on loopback that forwards each GET to ``backend_port`` with ``added`` headers; yield its port."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Forward(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            headers = [(name, value) for name, value in self.headers.items() if name.lower() != "host"]
            answer = request(backend_port, self.path, headers=[*headers, *added])  # Host: the backend's
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                if name not in {"content-length", "transfer-encoding", "connection", "date", "server"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
