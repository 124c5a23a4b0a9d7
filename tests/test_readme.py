"""The README's code runs as written: its shell commands and its Python, in order."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCKS if lang == language]


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    shell = _blocks("sh")
    assert shell[0].strip() == "pip install . && minijwt demo"
    assert shell[1].strip() == 'pip install -e ".[test]" && pytest'
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip_install . && NO_COLOR=1 minijwt demo" in ci
    assert 'pip_install -e ".[test]"' in ci


def test_the_hs256_quickstart() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(_blocks("python")[0], {"__name__": "readme"})  # noqa: S102 - the README's own code
    assert out.getvalue() == "invalid_signature\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _minijwt(words: list[str]) -> list[str]:
    assert words[0] == "minijwt"
    return [sys.executable, "-m", "minijwt", *words[1:]]


@pytest.fixture
def auth_service(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Run the README's shell block for the auth service; yield (issuer, token)."""
    port = str(_free_port())
    script = _blocks("sh")[2].replace("4000", port)
    token = ""
    server: subprocess.Popen[bytes] | None = None
    try:
        for line in script.strip().splitlines():
            if line.endswith("&"):
                server = subprocess.Popen(_minijwt(shlex.split(line[:-1])), cwd=tmp_path, stderr=subprocess.PIPE)  # noqa: S603
                assert server.stderr is not None
                assert "serving" in server.stderr.readline().decode()
            elif line.startswith("TOKEN=$("):
                words = shlex.split(line[len("TOKEN=$(") : -1])
                signed = subprocess.run(_minijwt(words), cwd=tmp_path, check=True, capture_output=True, text=True)  # noqa: S603
                token = signed.stdout.strip()
            else:
                subprocess.run(_minijwt(shlex.split(line)), cwd=tmp_path, check=True, capture_output=True)  # noqa: S603
        yield f"http://127.0.0.1:{port}", token
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
            assert server.stderr is not None
            server.stderr.close()


def _call(app: Any, path: str, token: str | None) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer: list[Any] = []
    body = b"".join(
        app(environ, lambda status, headers, *_: answer.append((status, {k.lower(): v for k, v in headers})))
    )
    return answer[0][0], answer[0][1], body


def test_the_rs256_quickstart(auth_service: tuple[str, str]) -> None:
    issuer, token = auth_service
    code = _blocks("python")[1].replace("http://127.0.0.1:4000", issuer)
    namespace: dict[str, Any] = {"__name__": "readme"}  # not __main__: the server is not started
    exec(code, namespace)  # noqa: S102 - the README's own code
    app = namespace["app"]
    status, _, body = _call(app, "/orders", token)
    assert status.startswith("200")
    assert body == b"orders of alice\n"
    status, headers, _ = _call(app, "/orders", None)
    assert status.startswith("401")
    assert headers["www-authenticate"].startswith("Bearer")
    assert _call(app, "/orders", token[:-2] + "AA")[0].startswith("401")
