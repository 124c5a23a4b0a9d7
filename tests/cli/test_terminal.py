"""What the CLI writes to a terminal from a token or a request is escaped: no control, no bidi override.

A terminal acts on what it is sent: ESC and the C1 controls (U+009B is CSI
on its own) start escape sequences that clear the screen, set the window
title or make some terminals answer with text of their own; the bidi
overrides (U+202E ...) make text read differently from what it is. A token
is anyone's text until it is verified, and a request line is anyone's text.
Each command runs through its real entry point (``python -m minijwt``) in a
subprocess; the server listens on a loopback port the system picks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import b64u_encode

ENV = {**os.environ, "NO_COLOR": "1"}

#: The bidi controls, all of which the CLI escapes (besides every character that is not printable).
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: One of each kind an attacker would send: C0 (ESC, BEL), DEL, C1 (NEL, CSI), bidi
#: overrides and isolates, a line separator, an invisible tag and a private-use character.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x7f\x85\x9b31m\u202egnp.exe\u2069\u2066\u200e\u2028\U000e0001\U000f0000"
#: Ordinary text in other scripts stays as it is.
READABLE = "Zoë 日本 😀"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minijwt", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        cwd=cwd,
        timeout=60,
        check=False,
        env=ENV,
    )


def unsafe(text: str) -> list[str]:
    """Every character of ``text`` a terminal could act on (a line break between lines aside)."""
    return [
        f"U+{ord(char):04X} {unicodedata.name(char, '')}"
        for char in text
        if char != "\n" and (not char.isprintable() or char in BIDI)
    ]


def unsigned(header: bytes, payload: bytes) -> str:
    """A compact JWS with these segments and a signature that verifies nothing (``inspect`` checks none)."""
    return f"{b64u_encode(header)}.{b64u_encode(payload)}.{b64u_encode(b'not a signature')}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    made = run("keygen", "--alg", "ES256", "--out", "ec.key", "--pub", "ec.pub", cwd=folder)
    assert made.returncode == 0, made.stderr
    return folder


# --- inspect and verify -----------------------------------------------------------------


def test_inspect_escapes_every_control_and_bidi_character_of_a_token() -> None:
    header = {"alg": "ES256", "kid": f"k{HOSTILE}", "typ": "JWT", HOSTILE: READABLE}
    claims = {"sub": READABLE, "name": HOSTILE, "exp": 4102444800, "nested": [{"x": HOSTILE}]}
    token = unsigned(json.dumps(header).encode(), json.dumps(claims).encode())
    result = run("inspect", token)
    assert result.returncode == 0, result.stderr
    assert unsafe(result.stdout) == []
    assert "Traceback" not in result.stderr
    assert READABLE in result.stdout
    # JSON escapes (a character beyond the BMP as its UTF-16 pair), so the blocks still parse as the token says.
    assert r"\u001b]0;pwned\u0007\u001b[2J\u007f\u0085\u009b31m\u202egnp.exe\u2069\u2066\u200e\u2028" in result.stdout
    assert r"\udb40\udc01\udb80\udc00" in result.stdout
    blocks = result.stdout.split("\n\n")
    assert json.loads(blocks[1].removeprefix("header:\n")) == header
    assert json.loads(blocks[2].removeprefix("claims:\n")) == claims
    assert r"key: kid 'k\x1b]0;pwned\x07" in result.stdout


def test_inspect_escapes_a_payload_that_is_not_json() -> None:
    payload = f"{HOSTILE} {READABLE}".encode()
    result = run("inspect", unsigned(b'{"alg":"ES256"}', payload))
    assert result.returncode == 0, result.stderr
    assert unsafe(result.stdout) == []
    assert r"\u202egnp.exe\u2069" in result.stdout
    assert READABLE in result.stdout


def test_inspect_shows_an_escaped_lone_surrogate_without_a_traceback() -> None:
    # The claims are parsed as JSON for display only, and JSON allows "\udc00";
    # written raw, it cannot be encoded at all.
    result = run("inspect", unsigned(b'{"alg":"ES256"}', b'{"sub": "\\udc00\\u202e"}'))
    assert (result.returncode, result.stderr) == (0, "")
    assert r'"sub": "\udc00\u202e"' in result.stdout
    assert unsafe(result.stdout) == []


def test_verify_escapes_the_claims_it_prints_and_they_still_parse(keys: Path) -> None:
    claims = {"sub": READABLE, "name": HOSTILE, HOSTILE: [HOSTILE]}
    signed = run(
        "sign",
        "--key",
        "ec.key",
        "--alg",
        "ES256",
        "--aud",
        "api",
        "--kid",
        f"k{BIDI}",
        "--claims",
        json.dumps(claims),  # ASCII: the hostile characters as JSON escapes
        cwd=keys,
    )
    assert signed.returncode == 0, signed.stderr
    token = signed.stdout.strip()
    verify = ["verify", token, "--key", "ec.pub", "--alg", "ES256", "--aud", "api"]
    for extra in ([], ["--json"]):
        accepted = run(*verify, *extra, cwd=keys)
        assert accepted.returncode == 0, accepted.stderr
        assert unsafe(accepted.stdout + accepted.stderr) == []
        assert READABLE in accepted.stdout
        shown = json.loads(accepted.stdout)
        got = shown["claims"] if extra else shown
        assert {name: got[name] for name in claims} == claims
    rejected = run(*verify, "--iss", "https://login.example", "--json", cwd=keys)
    assert rejected.returncode == 1
    assert unsafe(rejected.stdout + rejected.stderr) == []


# --- serve-jwks -----------------------------------------------------------------------


@pytest.fixture
def server(keys: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "minijwt", "serve-jwks", "--key", "ec.pub", "--port", "0"],
        stderr=subprocess.PIPE,
        cwd=keys,
        env=ENV,
    )
    assert process.stderr is not None
    first = process.stderr.readline().decode()
    port = int(first.rstrip("\n").rsplit(":", 1)[1].split("/", 1)[0])
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait(10)
    process.stderr.close()


def raw_request(port: int, line: bytes) -> bytes:
    """Send one request line over a plain socket and read the answer to its end (HTTP/1.0 closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(line + b"\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_serve_jwks_escapes_control_characters_in_its_log(server: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = server
    lines = [
        b"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.0",  # set the window title, clear the screen
        b"GET /\x9b31m\x85\x7f HTTP/1.0",  # C1 CSI on its own, NEL (a space to split: 400), DEL
        b"GET /\xe2\x80\xae HTTP/1.0",  # U+202E in UTF-8, read as Latin-1: its C1 byte is escaped
        b"GET /\\x1b HTTP/1.0",  # a backslash sent is doubled: the log's escapes are never forged
        b"GET / HTTP/\x1b[2J",  # a refused request: logged as an error, its line too
    ]
    for line in lines:
        assert raw_request(port, line)  # a 404, or a 400 for a line the server cannot parse
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    assert process.stderr is not None
    log = process.stderr.read()
    text = log.decode("utf-8")
    assert b"\x1b" not in log
    assert b"\x07" not in log
    assert unsafe(text) == []
    assert r'"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.0" 404' in text
    assert r'"GET /\x9b31m\x85\x7f HTTP/1.0" 400' in text
    assert r'"GET /â\x80® HTTP/1.0" 404' in text
    assert r'"GET /\\x1b HTTP/1.0" 404' in text
    assert r'"GET / HTTP/\x1b[2J" 400' in text
    assert text.endswith("stopped\n")
