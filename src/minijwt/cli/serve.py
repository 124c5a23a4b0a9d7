"""``serve-jwks``: publish public keys over HTTP, as an authorization server does."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, TextIO

from ._common import EXIT_OK, UsageError, emit, fail, printable
from .keys import public_jwks

SERVE_HELP = """\
Serve the public JWK Set of key files at /jwks.json and /.well-known/jwks.json
(application/json, Cache-Control: public, max-age=..., an ETag, 304 on
If-None-Match). Only public members are served, whatever the files hold; an
HMAC secret is refused. With --issuer, /.well-known/openid-configuration is
served too, so that `minijwt verify --issuer` and JWKSClient.from_issuer can
be tried end to end on one machine. One log line per request on stderr; stops
cleanly on Ctrl-C or SIGTERM.

The key files are read again when one changes (checked five times a second)
or on SIGHUP, so keys rotate without a restart; a file that cannot be read or
holds no key leaves the keys served as they were, and says so in one line.
Publish a new key before anything signs with it: a verifier that has cached
the old set looks again only after its cooldown (min_refresh_interval), and
until then refuses tokens of the new key (401).

example:
  minijwt serve-jwks --key public.key --port 4000 --issuer http://127.0.0.1:4000
  minijwt serve-jwks --key a.pub --key b.pub   # for rotation: two files that take turns
"""

JWKS_PATHS = ("/jwks.json", "/.well-known/jwks.json")
DISCOVERY_PATH = "/.well-known/openid-configuration"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve-jwks``."""
    serve = commands.add_parser(
        "serve-jwks",
        help="serve the public JWK Set of keys over HTTP",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--key", metavar="FILE", action="append", required=True, help="a key file (repeatable)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=port, default=4000, help="the port (default 4000; 0 picks a free one)")
    serve.add_argument("--max-age", type=max_age, default=300, help="Cache-Control max-age, in seconds (default 300)")
    serve.add_argument("--issuer", metavar="URL", help="also serve an OpenID configuration for this issuer")
    serve.add_argument("--password-file", metavar="FILE", help="the password of encrypted private keys")
    serve.set_defaults(run=serve_command)


def port(text: str) -> int:
    """A TCP port, 0 to 65535 (argparse type): outside it, bind() raises OverflowError, not OSError."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"not a port from 0 to 65535: {text!r}")
    return number


def max_age(text: str) -> int:
    """Seconds for Cache-Control max-age (argparse type): RFC 9111 section 1.2.2 delta-seconds, not negative."""
    try:
        seconds = int(text)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds (0 or more): {text!r}")
    return seconds


def log_line(text: str, stream: TextIO) -> None:
    """Write one line of the server's log, escaped by :func:`~minijwt.cli._common.printable` and flushed."""
    emit(f"{printable(text)}\n", stream, flush=True)


class JWKSServer(ThreadingHTTPServer):
    """A small HTTP server publishing a JWK Set (and optionally an OpenID configuration).

    :meth:`publish` replaces the set while it runs, which is how the demo
    rotates keys; ``between_requests``, if given, is called by
    ``serve_forever`` at each poll and after each request, in its thread.
    """

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        jwks: dict[str, Any],
        *,
        max_age: int = 300,
        issuer: str | None = None,
        log: TextIO | None = None,
        between_requests: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.max_age: int = max_age
        self.issuer: str | None = issuer.rstrip("/") if issuer else None
        self.log = log
        self.between_requests = between_requests
        self._lock = threading.Lock()
        self.publish(jwks)

    def service_actions(self) -> None:
        """Called by ``serve_forever`` at each poll: run ``between_requests``."""
        if self.between_requests is not None:
            self.between_requests()

    @property
    def origin(self) -> str:
        """``http://host:port`` of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def publish(self, jwks: dict[str, Any]) -> None:
        """Serve this JWK Set from now on."""
        body = json.dumps(jwks, indent=2).encode() + b"\n"
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:16]).rstrip(b"=").decode("ascii")
        etag = f'"{digest}"'
        with self._lock:
            self._jwks = (body, etag)

    def jwks(self) -> tuple[bytes, str]:
        """The body and ETag being served."""
        with self._lock:
            return self._jwks

    def discovery(self) -> bytes:
        """The OpenID configuration (OIDC Discovery 1.0 §3) of a server that only publishes keys."""
        assert self.issuer is not None
        algs = sorted({key.get("alg") or "RS256" for key in json.loads(self.jwks()[0])["keys"]})
        document = {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + "/.well-known/jwks.json",
            # Required members, honest for a key server: it issues no tokens,
            # and its authorization endpoint says so (501).
            "authorization_endpoint": self.issuer + "/authorize",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
        }
        return json.dumps(document, indent=2).encode() + b"\n"


class _Handler(BaseHTTPRequestHandler):
    server: JWKSServer
    server_version = "minijwt-serve-jwks"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # This replaces BaseHTTPRequestHandler.log_message, so it escapes as
        # that does: the request line is anyone's bytes (read as Latin-1), and
        # a terminal acts on its ESC, BEL or C1 controls. A backslash is doubled
        # first, so that no escape in the log is one a client typed.
        if self.server.log is not None:
            message = (format % args).replace("\\", "\\\\")
            log_line(f"{self.address_string()} {message}", self.server.log)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in JWKS_PATHS:
            body, etag = self.server.jwks()
            if etag in (tag.strip() for tag in self.headers.get("If-None-Match", "").split(",")):
                self._answer(304, b"", {"ETag": etag, "Cache-Control": self._cache_control()})
                return
            self._answer(200, body, {"ETag": etag, "Cache-Control": self._cache_control()})
        elif path == DISCOVERY_PATH and self.server.issuer is not None:
            self._answer(200, self.server.discovery(), {"Cache-Control": self._cache_control()})
        elif path == "/authorize" and self.server.issuer is not None:
            self._answer(501, b'{"error":"this server only publishes keys"}\n', {})
        else:
            self._answer(404, b'{"error":"not found"}\n', {})

    def _cache_control(self) -> str:
        return f"public, max-age={self.server.max_age}"

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)


#: A key file's identity and version as ``os.stat`` tells them, or ``None``
#: when it cannot be read: (device, inode, size, modification time in ns).
Stamp = tuple[int, int, int, int] | None


def file_stamp(path: str) -> Stamp:
    """What changes when a file is written or replaced (a rename, a symbolic link swapped)."""
    try:
        info = os.stat(path)  # follows symbolic links, as mounted secrets use them
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def key_count(jwks: dict[str, Any]) -> str:
    """``N key(s)``, and their kids (public: the set publishes them), for the log."""
    kids = [str(key.get("kid")) for key in jwks["keys"]]
    return f"{len(kids)} key(s) (kid {', '.join(kids)})" if kids else "0 keys"


class KeyFiles:
    """The key files ``serve-jwks`` publishes, read again when they change.

    A change is any difference in :func:`file_stamp` of a key file or of the
    password file since the last read, taken before that read, so that a write
    during a read is seen at the next check. A read that fails keeps what was
    published: a half-written or withdrawn file never empties the set.
    """

    def __init__(self, paths: list[str], password_file: str | None) -> None:
        self.paths: list[str] = list(paths)
        self.password_file: str | None = password_file
        self._seen = self.stamps()

    def stamps(self) -> tuple[Stamp, ...]:
        """The stamp of every file the set is read from."""
        extra = [self.password_file] if self.password_file is not None else []
        return tuple(file_stamp(path) for path in [*self.paths, *extra])

    def load(self, *, interactive: bool = True) -> dict[str, Any]:
        """Read the public JWK Set of the files (a password asked on the terminal only if ``interactive``)."""
        return public_jwks(self.paths, self.password_file, interactive=interactive)

    def changed(self) -> bool:
        """Whether a file changed since the last call (or since the files were first stamped)."""
        now = self.stamps()
        if now == self._seen:
            return False
        self._seen = now
        return True


def reload_keys(server: JWKSServer, files: KeyFiles, *, why: str | None) -> None:
    """Publish the key files' set again if they changed (or ``why`` names another reason), logging one line.

    Never a password prompt here: the server is running. What a failure says
    names the file and the problem, never key material.
    """
    if not files.changed() and why is None:
        return
    why = why or "key files changed"
    log = server.log or sys.stderr
    try:
        jwks = files.load(interactive=False)
    except UsageError as error:
        serving = key_count(json.loads(server.jwks()[0]))
        log_line(f"{why}, but not reloaded ({error}): still serving {serving}", log)
        return
    server.publish(jwks)
    log_line(f"{why}: reloaded, serving {key_count(jwks)}", log)


def serve_command(args: argparse.Namespace) -> int:
    """``minijwt serve-jwks``."""
    files = KeyFiles(args.key, args.password_file)  # stamped before the first read
    jwks = files.load()
    hangup = threading.Event()

    def between_requests() -> None:
        forced = hangup.is_set()
        hangup.clear()
        reload_keys(server, files, why="SIGHUP" if forced else None)

    try:
        server = JWKSServer(
            (args.host, args.port),
            jwks,
            max_age=args.max_age,
            issuer=args.issuer,
            log=sys.stderr,
            between_requests=between_requests,
        )
    except OSError as exc:
        fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    def hang_up(signum: int, frame: FrameType | None) -> None:
        # Only a flag: the files are read in serve_forever's loop, within a poll.
        hangup.set()

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, stop)}
    if hasattr(signal, "SIGHUP"):  # not on Windows
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, hang_up)
    log_line(f"serving {len(jwks['keys'])} key(s) at {server.origin}/jwks.json", sys.stderr)
    if server.issuer:
        log_line(f"OpenID configuration at {server.origin}{DISCOVERY_PATH}", sys.stderr)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.server_close()
    log_line("stopped", sys.stderr)
    return EXIT_OK
