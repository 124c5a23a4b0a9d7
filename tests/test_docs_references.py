"""Every test the security documents name exists: a renamed or deleted guard fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _test_functions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        found[path.relative_to(TESTS).as_posix()] = names
    return found


@pytest.mark.parametrize("document", ["SECURITY.md", "docs/security.rst"])
def test_named_guards_exist(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    functions = _test_functions()
    everywhere = set().union(*functions.values())
    qualified = re.findall(r"(?:tests/)?((?:[a-z_]+/)?test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)", text)
    bare = set(re.findall(r"``(test_[a-z0-9_]+)``", text)) - {name for _, name in qualified}
    assert qualified or bare
    missing = [f"{file}::{name}" for file, name in qualified if name not in functions.get(file, set())]
    missing += sorted(name for name in bare if name not in everywhere)
    assert missing == []


def test_the_documentation_has_its_four_parts_and_renders_the_changelog() -> None:
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    captions = re.findall(r":caption: (.+)", index)
    assert captions == ["Tutorial", "How-to guides", "Reference", "Explanation"]
    pages = {page.stem for page in (ROOT / "docs").glob("*.rst")} - {"index"}
    listed = set(re.findall(r"^   ([a-z_\-/]+)$", index, re.MULTILINE))
    assert pages <= {page.split("/")[0] for page in listed}, "a page of docs/ is in no part"
    changelog = (ROOT / "docs" / "changelog.rst").read_text(encoding="utf-8")
    assert ".. include:: ../CHANGELOG.md" in changelog
