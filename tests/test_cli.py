"""The command line."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from minijwt import ALGORITHMS
from minijwt.cli import demo, main


def test_demo_covers_every_algorithm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ALGORITHMS:
        assert f"\n{name} " in out
    assert "ACCEPTED" not in out
    assert out.count("rejected (invalid_signature)") == len(ALGORITHMS)
    assert f"{len(ALGORITHMS)} of {len(ALGORITHMS)} algorithms behaved correctly" in out


def test_demo_writes_to_the_given_stream() -> None:
    buffer = io.StringIO()
    assert demo(buffer) == 0
    assert "HS256" in buffer.getvalue()


def test_version_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "minijwt" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "minijwt.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "minijwt" in result.stdout
