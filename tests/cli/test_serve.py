"""``minijwt serve-jwks`` picks up changed key files (and reads them again on SIGHUP) without a restart.

The server runs through its real entry point in a subprocess, on a loopback
port the system picks; the tests change its key files with ``minijwt keygen``
and poll the endpoint, in a bounded loop, until the new set is served.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Far beyond the five checks a second the server makes: only a broken reload waits this long.
CEILING = 10.0
ENV = {**os.environ, "NO_COLOR": "1"}


def minijwt(*args: str, cwd: Path) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minijwt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def keygen(folder: Path, name: str) -> str:
    """Write a new ES256 private key to ``folder/name`` (over any there); return its kid."""
    minijwt("keygen", "--alg", "ES256", "--out", name, "--force", cwd=folder)
    return minijwt("thumbprint", "--key", name, cwd=folder)


class Server:
    """``minijwt serve-jwks`` in a subprocess, its stderr lines read as they come."""

    def __init__(self, folder: Path, *keys: str) -> None:
        arguments = [arg for key in keys for arg in ("--key", key)]
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "minijwt", "serve-jwks", *arguments, "--port", "0", "--max-age", "60"],
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
            env=ENV,
        )
        assert self.process.stderr is not None
        self.first_line = self.process.stderr.readline()
        self.url = self.first_line.rstrip("\n").split(" at ", 1)[1]
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = [self.first_line]
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def line(self, starting: str) -> str:
        """The next log line that starts with ``starting`` (within the ceiling)."""
        deadline = time.monotonic() + CEILING
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.log.append(line)
            if line.startswith(starting):
                return line.rstrip("\n")
        raise AssertionError(f"no line starting {starting!r} in {CEILING} s: {self.log}")

    def get(self, etag: str | None = None) -> tuple[int, str, dict[str, Any]]:
        """GET the set: the status, the ETag, and the document (empty on 304)."""
        headers = {"If-None-Match": etag} if etag else {}
        request = urllib.request.Request(self.url, headers=headers)  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.headers["ETag"], json.loads(response.read())
        except urllib.error.HTTPError as answer:
            answer.close()
            return answer.code, answer.headers["ETag"], {}

    def kids(self) -> list[str]:
        return [key["kid"] for key in self.get()[2]["keys"]]

    def stop(self) -> tuple[int, list[str]]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(10)
        self._reader.join(10)
        while not self.lines.empty():
            self.log.append(self.lines.get())
        assert self.process.stderr is not None
        self.process.stderr.close()
        return status, self.log


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
        server.stop()


def until_served(server: Server, kids: list[str]) -> None:
    """Poll the endpoint, in a bounded loop, until it serves exactly these kids."""
    deadline = time.monotonic() + CEILING
    while server.kids() != kids:
        assert time.monotonic() < deadline, f"still serving {server.kids()}, not {kids}"
        time.sleep(0.05)


def test_a_changed_key_file_is_served_without_a_restart(folder: Path, servers: list[Server]) -> None:
    old = keygen(folder, "signing.key")
    server = Server(folder, "signing.key")
    servers.append(server)
    assert server.first_line.startswith("serving 1 key(s) at http://127.0.0.1:")
    status, old_etag, document = server.get()
    assert (status, [key["kid"] for key in document["keys"]]) == (200, [old])

    new = keygen(folder, "signing.key")  # written in place, as `keygen --force` does
    until_served(server, [new])
    # (A check between keygen's truncation and its write logs a failed reload first: skipped here.)
    assert server.line("key files changed: reloaded") == f"key files changed: reloaded, serving 1 key(s) (kid {new})"
    status, new_etag, _ = server.get(old_etag)
    assert status == 200  # the ETag changed with the set: a client holding the old one gets the new set
    assert new_etag != old_etag
    assert server.get(new_etag)[0] == 304
    assert "d" not in server.get()[2]["keys"][0]  # still public members only

    token = minijwt("sign", "--key", "signing.key", "--alg", "ES256", "--aud", "api", cwd=folder)
    assert json.loads(minijwt("verify", token, "--jwks", server.url, "--alg", "ES256", "--aud", "api", cwd=folder))

    # A file replaced by another (a rename, as deploy tools and mounted secrets do) is seen too.
    newest = keygen(folder, "next.key")
    os.replace(folder / "next.key", folder / "signing.key")
    until_served(server, [newest])
    status, log = server.stop()
    assert status == 0
    assert log[-1] == "stopped\n"


def test_a_broken_or_missing_key_file_leaves_the_set_served(folder: Path, servers: list[Server]) -> None:
    kids = [keygen(folder, "a.key"), keygen(folder, "b.key")]
    secret = (folder / "b.key").read_text()
    server = Server(folder, "a.key", "b.key")
    servers.append(server)
    _, etag, _ = server.get()
    served = f"still serving 2 key(s) (kid {kids[0]}, {kids[1]})"

    (folder / "b.key").write_text(secret[: len(secret) // 2])  # a half-written key
    line = server.line("key files changed, but not reloaded (b.key: ")
    assert line.endswith(served)
    assert server.get(etag)[0] == 304  # the same set, the same ETag

    (folder / "b.key").unlink()
    line = server.line("key files changed, but not reloaded (cannot read")
    assert line == f"key files changed, but not reloaded (cannot read b.key: No such file or directory): {served}"
    assert server.kids() == kids

    restored = keygen(folder, "b.key")
    until_served(server, [kids[0], restored])
    _, log = server.stop()
    text = "".join(log)
    # No key material in the log: neither the armour nor any line of the key.
    assert "-----" not in text
    assert all(line not in text for line in secret.splitlines()[1:-1])


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_sighup_reads_the_key_files_again(folder: Path, servers: list[Server]) -> None:
    kid = keygen(folder, "signing.key")
    server = Server(folder, "signing.key")
    servers.append(server)
    server.process.send_signal(signal.SIGHUP)
    assert server.line("SIGHUP") == f"SIGHUP: reloaded, serving 1 key(s) (kid {kid})"
    assert server.process.poll() is None  # SIGHUP no longer ends the server
    assert server.kids() == [kid]
    (folder / "signing.key").write_text("not a key\n")
    server.line("key files changed, but not reloaded (")
    server.process.send_signal(signal.SIGHUP)
    assert server.line("SIGHUP").startswith("SIGHUP, but not reloaded (")
    assert server.kids() == [kid]
    assert server.stop()[0] == 0
