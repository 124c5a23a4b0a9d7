"""A loopback HTTP server for a fake issuer (the only sockets of ``minijwt.testing``)."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ["serve"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: a test's output is its own."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    # A delayed answer must not hold up the next request, and nothing waits for
    # a client that never finishes when the test ends.
    daemon_threads = True


@contextlib.contextmanager
def serve() -> Iterator[tuple[str, Callable[[WSGIApp], None]]]:
    """Listen on a free loopback port; yield its origin and a function that mounts the application.

    The application is mounted after the port is known, since a fake issuer's
    identifier is the server's own URL. Requests before that get 503.
    """
    mounted: list[WSGIApp] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not mounted:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        return mounted[0](environ, start_response)

    server = _ThreadingServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", mounted.append
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
