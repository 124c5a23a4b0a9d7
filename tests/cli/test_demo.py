"""``minijwt demo``: the whole flow, exiting 0 only when every step behaved as shown."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

import pytest

import minijwt.wsgi
from minijwt.cli import demo


def test_the_demo_runs_the_whole_flow() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "minijwt", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "\033[" not in out  # no colour without a terminal
    for step in ("key pair", "JWK Set", "expires in 1 hour", "WSGI middleware", "Key rotation", "Withdraw"):
        assert step in out
    assert "GET /orders -> 401  WWW-Authenticate: Bearer" in out
    assert out.count("   ok  ") == 12
    assert "UNEXPECTED" not in out
    assert out.rstrip().endswith("the docs' how-tos.")


def test_the_demo_fails_when_a_step_misbehaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """A middleware that lets everything through makes the demo exit 1, naming the steps."""

    def open_door(app: Any, **options: Any) -> Any:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            environ["minijwt.claims"] = {"sub": "nobody"}
            return app(environ, start_response)

        return wrapped

    monkeypatch.setattr(minijwt.wsgi, "JWTAuthMiddleware", open_door)
    out = io.StringIO()
    assert demo.run_demo(out) == 1
    assert "UNEXPECTED" in out.getvalue()
    assert "did not behave as expected" in out.getvalue()
