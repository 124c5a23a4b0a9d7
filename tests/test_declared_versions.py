"""What the package declares matches what is tested: the floors, the Python versions, the docs."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
INSTALLATION = (ROOT / "docs" / "installation.rst").read_text(encoding="utf-8")


def _floors() -> list[str]:
    spec = importlib.util.spec_from_file_location("ci_floors", ROOT / ".ci" / "floors.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pins: list[str] = module.floors(PYPROJECT)
    return pins


def test_the_lowest_versions_job_pins_every_declared_floor() -> None:
    pins = dict(pin.split("==") for pin in _floors())
    assert set(pins) == {"cryptography", "fastapi", "flask", "starlette"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in pins.values())


def test_the_installation_page_names_each_floor_as_declared_and_tested() -> None:
    for pin in _floors():
        name, version = pin.split("==")
        assert f"``{name}``" in INSTALLATION
        assert f"``>={version}``" in INSTALLATION, f"docs/installation.rst does not declare {name} >={version}"
        assert f"{version} exactly" in INSTALLATION or f"{version} and the newest" in INSTALLATION


def test_the_classifiers_claim_only_the_python_this_suite_runs_on() -> None:
    claimed = {
        classifier.rsplit("::", 1)[1].strip()
        for classifier in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    }
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running in claimed, f"the suite runs on Python {running}, which the classifiers do not name"
    assert claimed == {"3.11"}, "a classifier names a Python no CI job runs; describe it in the docs instead"
