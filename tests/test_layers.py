"""The layer rule, enforced: what the design promises about imports, checked on the real source.

The layers, bottom to top (``docs/internals.rst`` draws them): errors ← text
← keys ← JWS ← JWT ← remote keys ← web ← app. Inside a layer the modules are
in order too, and a module imports only modules before it: from its own layer
or below, never from above, so no import closes a circle. Every import is
read: lazy ones inside functions, ``TYPE_CHECKING`` ones, and the facade's
table of lazily loaded modules (a dependency is a dependency). Besides:

- a third-party package is imported only by the module that owns it (the
  frameworks by their adapters), and an undeclared one by none;
- the network (sockets, TLS, HTTP, DNS lookups) is reached only from
  ``_http`` and the app layer;
- the web adapters never import each other;
- the facade never loads the web layer or the app layer.

Each rule is a function of an import graph, so the self-tests below run the
same rules on a fabricated bad graph and expect every seeded violation.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "minijwt"

#: Bottom to top; inside a layer, a module may import only those listed before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors", ("errors",)),
    ("text", ("_base64url", "_json", "_cache")),
    ("keys", ("_curves", "_mldsa", "_keytext", "_keys", "_keyload", "_algorithms", "_resolve", "_jwk_members", "jwk")),
    ("JWS", ("_header", "_compact", "_embedded", "_jws_json", "jws")),
    ("JWT", ("_claims", "_memo", "jwt", "_dpop", "dpop")),
    ("remote keys", ("_http", "_jwks_state", "_jwks_parse", "_discovery", "_jwks_core", "jwks_client")),
    ("issuers", ("_issuers", "multi_issuer")),
    ("web", ("_bearer", "asgi", "wsgi", "fastapi", "flask")),
    ("app", ("cli", "testing", "__main__")),
)
ORDER: dict[str, int] = {module: rank for rank, module in enumerate(m for _, group in LAYERS for m in group)}
LAYER_OF: dict[str, str] = {module: layer for layer, group in LAYERS for module in group}
APP = frozenset(dict(LAYERS)["app"])
ADAPTERS = frozenset({"asgi", "wsgi", "fastapi", "flask"})

# The package's face: it re-exports every layer's public names and loads some
# lazily; it never loads the web adapters or the command line.
FACADE = "__init__"
FACADE_MAY_NOT_IMPORT = frozenset(dict(LAYERS)["web"]) | APP

#: Third-party packages and the modules that may import them. cryptography
#: is the runtime dependency; the frameworks are optional extras, imported
#: only by their integration.
THIRD_PARTY: dict[str, frozenset[str] | None] = {
    "cryptography": None,  # anywhere
    "starlette": frozenset({"asgi", "fastapi"}),
    "fastapi": frozenset({"fastapi"}),
    "flask": frozenset({"flask"}),
    "pytest": frozenset({"testing"}),  # only minijwt.testing's opt-in plugin
}
#: Standard-library modules that reach the network, and who may use them.
NETWORK = ("socket", "ssl", "http", "urllib.request", "socketserver", "asyncio.streams")
NETWORK_OWNERS = frozenset({"_http"}) | APP


@dataclass
class Module:
    """What one module (a subpackage counts as one) imports."""

    internal: set[str] = field(default_factory=set)  # minijwt modules, the facade as FACADE
    external: set[str] = field(default_factory=set)  # other modules, dotted names as written


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]  # a subpackage (cli/) counts as its top-level name


def _internal(name: str) -> str:
    return name if name in ORDER else FACADE


def parse(source: str, *, in_subpackage: bool = False) -> Module:
    """The imports of one file's source."""
    found = Module()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module is not None:
                parts = node.module.split(".")
                if parts[0] != "minijwt":
                    found.external.add(node.module)
                elif len(parts) > 1:
                    found.internal.add(parts[1])
                else:  # "from minijwt import x": a module, or a name of the facade
                    found.internal.update(_internal(alias.name) for alias in node.names)
            elif node.level == 1 and in_subpackage:
                continue  # a module of a subpackage importing its sibling
            elif node.module:
                found.internal.add(node.module.split(".")[0])
            else:
                found.internal.update(_internal(alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "minijwt":
                    found.internal.add(parts[1] if len(parts) > 1 else FACADE)
                else:
                    found.external.add(alias.name)
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(target, ast.Name) and target.id == "_LAZY" for target in node.targets)
        ):
            # A table of modules loaded on first use (the facade's _LAZY): edges too.
            found.internal.update(
                value.value for value in node.value.values if isinstance(value, ast.Constant) and value.value in ORDER
            )
    return found


def graph_of(package: Path) -> dict[str, Module]:
    """Every module of the package and what it imports."""
    graph: dict[str, Module] = {}
    for path in sorted(package.rglob("*.py")):
        name = _module_name(path)
        module = parse(path.read_text(encoding="utf-8"), in_subpackage=path.parent != package)
        entry = graph.setdefault(name, Module())
        entry.internal |= module.internal - {name}
        entry.external |= module.external
    return graph


# --- the rules: each returns its violations, one line each -----------------------------


def unplaced(graph: Mapping[str, Module]) -> list[str]:
    return sorted(f"{name} has no place in LAYERS" for name in graph if name != FACADE and name not in ORDER)


def upward(graph: Mapping[str, Module]) -> list[str]:
    found = []
    for module, imports in graph.items():
        if module == FACADE or module not in ORDER:
            continue
        for target in sorted(imports.internal):
            if target == FACADE:
                if module not in APP:  # the app layer uses the public API, through the facade
                    found.append(f"{module} -> the facade (import from the defining module)")
            elif ORDER.get(target, len(ORDER)) >= ORDER[module]:
                same = LAYER_OF.get(target) == LAYER_OF[module]
                found.append(f"{module} -> {target} ({'later in its layer' if same else 'a higher layer'})")
    return found


def adapters_apart(graph: Mapping[str, Module]) -> list[str]:
    return [
        f"{module} -> {target} (web adapters never import each other)"
        for module in sorted(ADAPTERS & graph.keys())
        for target in sorted(graph[module].internal & ADAPTERS)
    ]


def facade_light(graph: Mapping[str, Module]) -> list[str]:
    facade = graph.get(FACADE, Module())
    return [f"the facade -> {target}" for target in sorted(facade.internal & FACADE_MAY_NOT_IMPORT)]


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _is_network(name: str) -> bool:
    return any(name == net or name.startswith(net + ".") for net in NETWORK)


def owned_imports(graph: Mapping[str, Module]) -> list[str]:
    found = []
    stdlib = sys.stdlib_module_names
    for module, imports in sorted(graph.items()):
        for name in sorted(imports.external):
            top = _top(name)
            if _is_network(name) and module not in NETWORK_OWNERS:
                found.append(f"{module} imports {name}: the network is reached only from _http and the app layer")
            elif top not in stdlib and top != "minijwt":
                if top not in THIRD_PARTY:
                    found.append(f"{module} imports {name}, which is not a declared dependency")
                elif (owners := THIRD_PARTY[top]) is not None and module not in owners:
                    found.append(f"{module} imports {name}, which only {', '.join(sorted(owners))} may import")
    return found


def circles(graph: Mapping[str, Module]) -> list[str]:
    edges = {name: module.internal - {FACADE} for name, module in graph.items() if name != FACADE}
    state: dict[str, int] = {}
    path: list[str] = []
    found: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append("import circle: " + " -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return found


RULES = (unplaced, upward, adapters_apart, facade_light, owned_imports, circles)


def violations(graph: Mapping[str, Module]) -> list[str]:
    return [line for rule in RULES for line in rule(graph)]


# --- the real source ----------------------------------------------------------------------

GRAPH = graph_of(PACKAGE)


@pytest.mark.parametrize("rule", RULES, ids=[rule.__name__ for rule in RULES])
def test_the_source_keeps_the_rule(rule: object) -> None:
    assert callable(rule)
    assert rule(GRAPH) == []


def test_every_layer_module_exists() -> None:
    missing = sorted(name for name in ORDER if name not in GRAPH)
    assert missing == [], f"LAYERS names modules that do not exist: {missing}"


# --- the rules can fail: each seeded violation is found --------------------------------------


def _seeded(changes: Mapping[str, Iterable[str]]) -> dict[str, Module]:
    """The real graph with some imports added: ``{"jwt": ["import socket"], ...}``."""
    graph = {name: Module(set(module.internal), set(module.external)) for name, module in GRAPH.items()}
    for name, lines in changes.items():
        added = parse("\n".join(lines))
        entry = graph.setdefault(name, Module())
        entry.internal |= added.internal
        entry.external |= added.external
    return graph


SEEDED = {
    "an adapter imports another": ("fastapi", ["from .asgi import JWTAuthMiddleware"]),
    "a socket in the JWT layer": ("jwt", ["import socket"]),
    "a URL opened in the keys layer": ("jwk", ["def f():\n    import urllib.request"]),
    "a framework in the keys layer": ("_keys", ["import starlette"]),
    "the facade loads an adapter lazily": (FACADE, ["def __getattr__(name):\n    from . import asgi"]),
    "the facade's lazy table names an adapter": (FACADE, ["_LAZY = {'JWTAuthMiddleware': 'asgi'}"]),
    "an import up a layer": ("_keys", ["from .jwt import decode"]),
    "an import later in the same layer": ("_keytext", ["from ._keyload import load_key"]),
    "an import through the facade": ("jws", ["from minijwt import decode"]),
    "a DNS lookup outside _http": ("jwks_client", ["from socket import getaddrinfo"]),
    "HTTP outside _http": ("_bearer", ["import http.client"]),
    "an undeclared dependency": ("jwt", ["import requests"]),
    "flask outside its adapter": ("wsgi", ["import flask"]),
    "a module with no place": ("_newthing", ["from .errors import InvalidTokenError"]),
}


@pytest.mark.parametrize("case", sorted(SEEDED), ids=sorted(SEEDED))
def test_a_seeded_violation_is_found(case: str) -> None:
    module, lines = SEEDED[case]
    assert violations(GRAPH) == []
    found = violations(_seeded({module: lines}))
    assert found != [], f"the rules missed: {case}"


def test_a_seeded_circle_is_found() -> None:
    # Two modules importing each other: an upward edge and a circle, both reported.
    found = violations(_seeded({"_keys": ["from .jwk import JWK"], "jwk": ["from ._keys import Key"]}))
    assert any(line.startswith("import circle") for line in found)
    assert any("_keys -> jwk" in line for line in found)


def test_the_parser_reads_every_kind_of_import() -> None:
    source = (
        "from .jwt import decode\nimport minijwt.jwk\nfrom minijwt import jws, decode\n"
        "import urllib.request\nfrom socket import getaddrinfo\n"
        "def f():\n    from . import _keys\n    import starlette.requests\n"
        "_LAZY = {'JWK': 'jwk', 'X': 'not_a_module'}\n"
    )
    found = parse(source)
    assert found.internal == {"jwt", "jwk", "jws", FACADE, "_keys"}
    assert found.external == {"urllib.request", "socket", "starlette.requests"}
