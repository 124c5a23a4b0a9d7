"""The layer rule, enforced: no import climbs a layer, no import closes a circle.

The layers, bottom to top (``docs/internals.rst`` draws them): errors ← text
← keys ← JWS ← JWT ← remote keys ← web ← app. A module may import from its
own layer or below. Every import is read, lazy ones inside functions and
``TYPE_CHECKING`` ones included: a dependency is a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "minijwt"

LAYERS: dict[str, int] = {
    "errors": 0,
    "_base64url": 1,
    "_json": 1,
    "_cache": 1,
    "_keytext": 2,
    "_keys": 2,
    "_keyload": 2,
    "_algorithms": 2,
    "_resolve": 2,
    "_jwk_members": 2,
    "jwk": 2,
    "_header": 3,
    "_compact": 3,
    "_jws_json": 3,
    "jws": 3,
    "_claims": 4,
    "jwt": 4,
    "_http": 5,
    "_jwks_state": 5,
    "jwks_client": 5,
    "_bearer": 6,
    "asgi": 6,
    "wsgi": 6,
    "fastapi": 6,
    "flask": 6,
    "cli": 7,
    "__main__": 7,
}
# The package's face: it re-exports every layer's public names, and loads the
# network layer lazily; it never imports the web adapters or the command line.
FACADE = "__init__"
FACADE_MAY_NOT_IMPORT = frozenset({"_bearer", "asgi", "wsgi", "fastapi", "flask", "cli", "__main__"})


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = relative.parts
    return parts[0]  # a subpackage (cli/) counts as its top-level name


def _imports(path: Path, own: str) -> set[str]:
    """The minijwt modules a file imports (top-level names), other than itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    inside_cli = path.parent.name == "cli"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module is not None and node.module.split(".")[0] == "minijwt":
                parts = node.module.split(".")[1:]
                if parts:
                    found.add(parts[0])
                else:  # "from minijwt import x": a module, or a name of the facade
                    found.update(alias.name if alias.name in LAYERS else FACADE for alias in node.names)
            elif node.level >= 1:
                if inside_cli and node.level == 1:
                    continue  # a module of the cli package importing its sibling
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name if alias.name in LAYERS else FACADE for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "minijwt":
                    found.add(parts[1] if len(parts) > 1 else FACADE)
    return found - {own}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        graph.setdefault(name, set()).update(_imports(path, name))
    return graph


def test_every_module_has_a_layer() -> None:
    unknown = sorted(name for name in _graph() if name != FACADE and name not in LAYERS)
    assert unknown == [], f"give these modules a layer in tests/test_layers.py and docs/internals.rst: {unknown}"


def test_no_import_climbs_a_layer() -> None:
    upward = []
    for module, imported in _graph().items():
        if module == FACADE:
            continue
        for target in imported:
            if target == FACADE and LAYERS[module] == max(LAYERS.values()):
                continue  # the command line uses the public API, through the facade
            if target == FACADE or LAYERS.get(target, 99) > LAYERS[module]:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_facade_never_imports_the_web_layer_or_the_cli() -> None:
    assert _graph().get(FACADE, set()) & FACADE_MAY_NOT_IMPORT == set()


def test_nothing_imports_the_command_line() -> None:
    importers = sorted(module for module, imported in _graph().items() if "cli" in imported and module != "__main__")
    assert importers == []


def test_no_import_circle() -> None:
    graph = {module: targets - {FACADE} for module, targets in _graph().items() if module != FACADE}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule can fail: an import of jwt from _keys is found."""
    bad = tmp_path / "_keys.py"
    bad.write_text("from .jwt import decode\nimport minijwt.jwk\n\ndef f():\n    from . import jws\n", encoding="utf-8")
    found = _imports(bad, "_keys")
    assert found == {"jwt", "jwk", "jws"}
    assert all(LAYERS[target] >= LAYERS["_keys"] for target in found)
