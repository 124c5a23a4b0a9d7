"""Print the exact pins of the lowest versions pyproject.toml declares, for the lowest-versions job.

    python .ci/floors.py        # e.g. cryptography==42.0.0 fastapi==0.110.1 ...

Read from the file itself, so a floor changed there is the floor tested: the
runtime dependency and the integrations a user installs (the ``fastapi``,
``flask`` and ``starlette`` extras). Each ``>=X.Y`` becomes ``==X.Y.0``.
Exits 1 if a requirement has no lower bound.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("fastapi", "flask", "starlette")
_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9]+(?:\.[0-9]+)*)\s*(?:,.*)?$")


def floors(pyproject: dict[str, object]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            sys.exit(f"no lower bound to test in {requirement!r}")
        name, version = match.group(1).lower(), match.group(2)
        parts = version.split(".")
        pins[name] = ".".join(parts + ["0"] * (3 - len(parts)))
    return [f"{name}=={version}" for name, version in pins.items()]


if __name__ == "__main__":
    print(" ".join(floors(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")))))
