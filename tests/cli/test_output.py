"""What the command prints: a reader that goes away ends it quietly, and an error is one line on stderr.

Each command runs through its real entry point (``python -m minijwt``) in a
subprocess, its output read by ``head`` or by a pipe whose reader has already
gone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import minijwt
from minijwt.cli._common import HELD_LINES, held_library_log
from minijwt.cli.serve import JWKSServer

HEAD = shutil.which("head")
# Unbuffered, every line is its own write: the reader goes away in the middle
# of the output, as it does for a user whose environment sets this.
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "minijwt", *args]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=60, check=False, env=ENV)  # noqa: S603


def through_head(args: list[str], lines: int) -> tuple[int, str, str]:
    """Run ``minijwt ARGS | head -LINES``: the exit status, what head printed, and minijwt's stderr."""
    assert HEAD is not None
    writer = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)  # noqa: S603
    head = subprocess.Popen([HEAD, f"-{lines}"], stdin=writer.stdout, stdout=subprocess.PIPE)  # noqa: S603
    assert writer.stdout is not None
    assert writer.stderr is not None
    writer.stdout.close()  # head is the only reader: when it exits, the pipe has none
    shown = head.communicate(timeout=60)[0].decode()
    errors = writer.stderr.read().decode()
    writer.stderr.close()
    return writer.wait(60), shown, errors


def with_gone_reader(args: list[str], stream: str = "stdout") -> subprocess.CompletedProcess[str]:
    """Run with stdout (or stderr) a pipe whose reader has gone before the first write."""
    read, write = os.pipe()
    os.close(read)
    try:
        if stream == "stdout":
            return subprocess.run(  # noqa: S603
                command(*args), stdout=write, stderr=subprocess.PIPE, text=True, timeout=60, check=False, env=ENV
            )
        return subprocess.run(  # noqa: S603
            command(*args), stdout=subprocess.PIPE, stderr=write, text=True, timeout=60, check=False, env=ENV
        )
    finally:
        os.close(write)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    made = subprocess.run(  # noqa: S603
        command("keygen", "--alg", "ES256", "--out", str(folder / "ec.key"), "--pub", str(folder / "ec.pub")),
        capture_output=True,
        check=False,
        env=ENV,
    )
    assert made.returncode == 0, made.stderr
    return folder


@pytest.fixture(scope="module")
def token(keys: Path) -> str:
    signed = run(
        "sign", "--key", str(keys / "ec.key"), "--alg", "ES256", "--sub", "alice", "--aud", "api", "--iss", "me"
    )
    assert signed.returncode == 0, signed.stderr
    return signed.stdout.strip()


def cases(keys: Path, token: str) -> list[tuple[list[str], int]]:
    """Commands whose output is longer than a line, and the status each ends with."""
    verify = ["verify", token, "--key", str(keys / "ec.pub"), "--alg", "ES256", "--iss", "me"]
    return [
        (["inspect", token], 0),
        (["jwks", "--key", str(keys / "ec.pub"), "--key", str(keys / "ec.key")], 0),
        (["keygen", "--alg", "RS256"], 0),
        ([*verify, "--aud", "api"], 0),
        ([*verify, "--aud", "other", "--json"], 1),  # rejected: the status says so, read or not
        (["--help"], 0),
    ]


@pytest.mark.skipif(HEAD is None, reason="head is not installed")
def test_head_reads_a_line_and_the_command_ends_quietly_with_its_own_status(keys: Path, token: str) -> None:
    for args, status in cases(keys, token):
        exit_status, shown, errors = through_head(args, 1)
        assert (exit_status, errors) == (status, ""), args
        assert shown.count("\n") == 1
    exit_status, shown, errors = through_head(["inspect", token], 1)
    assert shown == "NOT VERIFIED: this is what the token says, not what is true.\n"


def test_a_reader_gone_before_the_first_write_changes_nothing_but_the_output(keys: Path, token: str) -> None:
    for args, status in cases(keys, token):
        result = with_gone_reader(args)
        assert (result.returncode, result.stderr) == (status, ""), args


def test_a_rejection_line_to_a_gone_reader_still_exits_1(keys: Path, token: str) -> None:
    result = with_gone_reader(["verify", token, "--key", str(keys / "ec.pub"), "--alg", "ES256"], "stderr")
    assert result.returncode == 1
    assert result.stdout == ""


@pytest.mark.skipif(HEAD is None, reason="head is not installed")
def test_the_demo_under_head_ends_quietly_and_still_says_whether_every_step_behaved() -> None:
    exit_status, shown, errors = through_head(["demo"], 2)
    assert (exit_status, errors) == (0, "")
    assert shown.startswith(f"minijwt {minijwt.__version__} demo: ")
    assert shown.count("\n") == 2
    gone = with_gone_reader(["demo"])
    assert (gone.returncode, gone.stderr) == (0, "")


# --- what reaches stderr ------------------------------------------------------------------


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL where nothing listens: the port is held by a socket that never listens."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}/jwks.json"


def test_a_failed_key_fetch_is_one_line(token: str, refused_url: str) -> None:
    result = run("verify", token, "--jwks", refused_url, "--alg", "ES256", "--aud", "api")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("minijwt verify: the keys could not be fetched (network): ")
    discovered = run("verify", token, "--issuer", refused_url.rsplit("/", 1)[0], "--alg", "ES256", "--aud", "api")
    assert discovered.returncode == 2
    assert len(discovered.stderr.splitlines()) == 1, discovered.stderr


@pytest.fixture
def served_set(keys: Path) -> Iterator[str]:
    """A JWK Set over HTTP holding the signing key's public half and a symmetric key (which clients ignore)."""
    published = json.loads(run("jwks", "--key", str(keys / "ec.pub")).stdout)
    published["keys"].append({"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"})
    server = JWKSServer(("127.0.0.1", 0), published, max_age=60)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"{server.origin}/jwks.json"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_what_the_library_logs_is_a_note_when_there_is_no_error(token: str, served_set: str) -> None:
    verify = ["verify", token, "--jwks", served_set, "--alg", "ES256", "--iss", "me"]
    accepted = run(*verify, "--aud", "api")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stderr.splitlines() == [
        f"note: the JWK Set from {served_set}: key 1 ignored: a symmetric (oct) key must never be published"
    ]
    rejected = run(*verify, "--aud", "other")
    assert rejected.returncode == 1
    assert rejected.stderr.splitlines() == [
        "rejected: invalid_audience: token is not intended for this audience ('aud' does not match)"
    ]
    assert token not in accepted.stderr + rejected.stderr


def test_the_held_log_is_warnings_one_line_each_bounded_and_detached_after() -> None:
    logger = logging.getLogger("minijwt")
    handlers = list(logger.handlers)
    with held_library_log() as held:
        logger.info("an INFO record is not shown")
        logger.warning("a message\nover two lines")
        for number in range(HELD_LINES + 50):
            logger.warning("warning %d", number)
    assert held[0] == "a message over two lines"
    assert len(held) == HELD_LINES
    assert held[-1] == f"warning {HELD_LINES - 2}"
    assert logger.handlers == handlers
