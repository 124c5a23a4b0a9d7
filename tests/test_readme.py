"""The README's code runs as written: its shell commands and its Python, in order.

Every fenced block is run, here or by a step of ``.ci/run`` that a test here
holds to the README's words; :data:`RUN_BY` names which, and a block added
without a line there fails :func:`test_every_block_is_run`.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import broken_signature

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.DOTALL)

#: Each fenced block of the README, in order: its language and what runs it.
RUN_BY = (
    ("sh", "test_the_two_commands_are_the_ones_ci_runs"),  # pip install . && minijwt demo
    ("sh", "test_the_two_commands_are_the_ones_ci_runs"),  # pip install -e ".[test]" && pytest
    ("python", "test_the_hs256_quickstart"),
    ("sh", "auth_service"),  # keygen, serve-jwks, sign: the fixture of the RS256 tests
    ("python", "test_the_rs256_quickstart_served"),  # and test_the_rs256_quickstart, in process
    ("sh", "test_the_rs256_quickstart_served"),  # python app.py &, curl
    ("sh", "test_the_docs_command_is_the_one_ci_runs"),
)


def _blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCKS if lang == language]


def test_every_block_is_run() -> None:
    # A fence without a language would not be in BLOCKS: count the fences themselves.
    assert len(re.findall(r"^```", README, re.MULTILINE)) == 2 * len(BLOCKS)
    assert [language for language, _ in BLOCKS] == [language for language, _ in RUN_BY]
    for _, runner in RUN_BY:
        assert callable(globals().get(runner)), runner


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    shell = _blocks("sh")
    assert shell[0].strip() == "pip install . && minijwt demo"
    assert shell[1].strip() == 'pip install -e ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip_install . && NO_COLOR=1 minijwt demo" in ci
    assert 'pip_install -e ".[test]"' in ci


def test_the_docs_command_is_the_one_ci_runs() -> None:
    """CI builds the docs as the README says, with at least the README's checks (and its own output folders)."""
    commands = [command.strip() for command in _blocks("sh")[4].strip().split("&&")]
    assert commands[0] == 'pip install -e ".[docs]"'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip_install -e ".[docs]"' in ci
    ci_builds = {}
    for line in ci.splitlines():
        if line.startswith("sphinx-build "):
            words = shlex.split(line)
            ci_builds[words[words.index("-b") + 1]] = words
    assert len(commands) == 1 + len(ci_builds) == 3
    for command in commands[1:]:
        words = shlex.split(command)
        assert words[0] == "sphinx-build"
        ci_words = ci_builds[words[words.index("-b") + 1]]
        flags = {word for word in words if word.startswith("-") and word != "-b"}
        assert flags <= set(ci_words), (command, ci_words)
        assert words[-2] == ci_words[-2] == "docs"


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
    assert _call(app, "/orders", broken_signature(token))[0].startswith("401")


def _curl(words: list[str]) -> tuple[str, dict[str, str]]:
    """Run the README's ``curl`` words: the first line curl prints (the status line with ``-i``) and the headers."""
    include, headers, urls = False, {}, []
    rest = iter(words)
    for word in rest:
        if word == "-i":
            include = True
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        else:
            assert not word.startswith("-"), f"curl option {word} is not understood here"
            urls.append(word)
    [url] = urls
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    assert parts.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=20)
    try:
        connection.request("GET", parts.path, headers=headers)
        answer = connection.getresponse()
        body = answer.read().decode()
        received = {name.lower(): value for name, value in answer.getheaders()}
        version = "1.1" if answer.version == 11 else "1.0"
        first = f"HTTP/{version} {answer.status} {answer.reason}" if include else body.splitlines()[0]
        return first, received
    finally:
        connection.close()


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert server.poll() is None, log.read_text()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def test_the_rs256_quickstart_served(auth_service: tuple[str, str], tmp_path: Path) -> None:
    """The README's API saved as app.py, started, warmed up and asked with curl, each answer as its comment says."""
    issuer, token = auth_service
    port = str(_free_port())
    code = _blocks("python")[1].replace("http://127.0.0.1:4000", issuer).replace("8000", port)
    (tmp_path / "app.py").write_text(code, encoding="utf-8")
    log = tmp_path / "app.log"
    server: subprocess.Popen[bytes] | None = None
    answers = []
    try:
        for line in _blocks("sh")[3].replace("8000", port).strip().splitlines():
            command, _, comment = line.partition("#")
            words = shlex.split(command.replace("$TOKEN", token))
            if words == ["python", "app.py", "&"]:
                with log.open("wb") as output:
                    server = subprocess.Popen([sys.executable, "app.py"], cwd=tmp_path, stdout=output, stderr=output)
                _wait_for(int(port), server, log)
                continue
            assert words[0] == "curl"
            first, headers = _curl(words[1:])
            assert first.endswith(comment.strip()), (line, first)
            answers.append((first, headers))
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    assert len(answers) == 3
    # /health, then /orders with and without the token; the 401 carries the challenge the README names.
    assert answers[2][1]["www-authenticate"] == "Bearer"
