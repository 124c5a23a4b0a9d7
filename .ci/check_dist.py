"""Check the built sdist and wheel: what a user downloads must hold what it should, and nothing else.

    python .ci/check_dist.py dist/

The wheel must hold every module of ``src/minijwt`` (the cli package too),
``py.typed`` and the licence, and nothing else: no tests, no stray files.
The sdist must hold the tests, the docs, the changelog and the licence.
Exits 1, naming each problem, when one is found.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "minijwt"


def expected_modules() -> set[str]:
    return {f"minijwt/{path.relative_to(PACKAGE).as_posix()}" for path in PACKAGE.rglob("*.py")}


def check_wheel(path: Path) -> list[str]:
    names = set(zipfile.ZipFile(path).namelist())
    problems = [f"wheel lacks {module}" for module in sorted(expected_modules() - names)]
    if "minijwt/py.typed" not in names:
        problems.append("wheel lacks minijwt/py.typed")
    if not any(name.endswith("/licenses/LICENSE") or name.endswith(".dist-info/LICENSE") for name in names):
        problems.append("wheel lacks the LICENSE")
    if not any(name.endswith(".dist-info/entry_points.txt") for name in names):
        problems.append("wheel lacks the minijwt console script")
    stray = sorted(
        name
        for name in names
        if not (name.startswith("minijwt/") or ".dist-info/" in name) or "test" in name.split("/")[0]
    )
    problems.extend(f"wheel holds a stray file: {name}" for name in stray)
    for name in names:
        if name.startswith("minijwt/") and not (name.endswith(".py") or name == "minijwt/py.typed"):
            problems.append(f"wheel holds a stray file: {name}")
    return problems


def check_sdist(path: Path) -> list[str]:
    with tarfile.open(path) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    problems = []
    for required in ("CHANGELOG.md", "LICENSE", "README.md", "SECURITY.md", "pyproject.toml", "docs/conf.py"):
        if required not in names:
            problems.append(f"sdist lacks {required}")
    if not any(name.startswith("tests/") and name.endswith(".py") for name in names):
        problems.append("sdist lacks the tests")
    problems.extend(
        f"sdist lacks src/{module}" for module in sorted(expected_modules()) if f"src/{module}" not in names
    )
    return problems


def main(folder: str) -> int:
    dist = Path(folder)
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {dist}, found {len(wheels)} and {len(sdists)}")
        return 1
    problems = check_wheel(wheels[0]) + check_sdist(sdists[0])
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{wheels[0].name} and {sdists[0].name} hold what they should")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "dist"))
