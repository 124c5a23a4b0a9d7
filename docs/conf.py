"""Sphinx configuration for the minijwt documentation."""

from __future__ import annotations

import importlib
import re
import typing

from sphinx.application import Sphinx
from sphinx.util.typing import stringify_annotation

import minijwt

project = "minijwt"
author = "The minijwt authors"
copyright = "2026, The minijwt authors"
release = minijwt.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",  # the changelog is Markdown (CHANGELOG.md), rendered in the docs as it is
]

# Google-style docstrings; attributes as fields, so dataclass fields are not
# described twice.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_type_aliases = {"KeyInput": "minijwt.KeyInput"}

html_theme = "furo"
html_static_path = ["_static"]
html_title = f"minijwt {release}"
exclude_patterns = ["_build"]

# Code in the pages runs under `sphinx-build -b doctest`.
doctest_global_setup = """
import minijwt
"""

# The private names the WSGI middleware's signature holds are shown as what
# they stand for: the PEP 3333 callables of the standard library's
# wsgiref.types, of the same shapes.
autodoc_type_aliases.update(
    {"_StartResponse": "wsgiref.types.StartResponse", "_WSGIApp": "wsgiref.types.WSGIApplication"}
)


def _factory_defaults(  # noqa: PLR0917 - Sphinx passes an event's arguments by position
    app: object,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    # A dataclass field with a default_factory shows its default as
    # "<factory>", which is no Python expression: Sphinx then cannot parse the
    # signature, and cross-references each comma-separated piece of it. "..."
    # says, as in type stubs, that the argument has a default. So does any
    # default written in angle brackets (FakeIssuer.token's aud, the issuer's
    # audience).
    if signature is not None:
        signature = re.sub(r"(=\s?)<[^<>]*>", r"\1...", signature)
    return signature, return_annotation


def _middleware_types(  # noqa: PLR0917 - Sphinx passes an event's arguments by position
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    # The web adapters and the JWKS clients declare their options once, on a
    # generic base (BearerMiddleware[App, Hook], BearerViews[Hook], the
    # clients' core with their fetch= type): each page shows the signature
    # with its own class's types, as type checkers read it, not the type
    # variables. A type the module names under an alias shows as the alias.
    if signature is None or what not in {"class", "method"}:
        return signature, return_annotation
    owner = obj if what == "class" else _owner(name)
    for base in getattr(owner, "__orig_bases__", ()):
        parameters = getattr(typing.get_origin(base), "__parameters__", ())
        arguments = typing.get_args(base)
        if not parameters or len(parameters) != len(arguments):
            continue  # Generic[T] or Protocol[T] itself: nothing to show instead
        module = vars(importlib.import_module(owner.__module__))
        for variable, value in zip(parameters, arguments, strict=True):
            aliases = [alias for local, alias in app.config.autodoc_type_aliases.items() if module.get(local) is value]
            shown = aliases[0] if aliases else stringify_annotation(value, "smart").removeprefix("~")
            signature = signature.replace(f"{variable.__module__}.{variable.__name__}", shown)
    return signature, return_annotation


def _owner(name: str) -> object:
    module, _, rest = name.rpartition(".")[0].rpartition(".")
    return getattr(importlib.import_module(module), rest, None)


def _signature(  # noqa: PLR0917 - Sphinx passes an event's arguments by position
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    # Sphinx takes the first handler's answer for this event: one handler, every rewrite.
    signature, return_annotation = _factory_defaults(app, what, name, obj, options, signature, return_annotation)
    if signature is not None:
        # An alias in a union (KeyInput | None) is shown by Sphinx as the
        # repr of its forward reference: shown as the alias, like any other.
        signature = re.sub(r"TypeAliasForwardRef\('([\w.]+)'\)", r"\1", signature)
    return _middleware_types(app, what, name, obj, options, signature, return_annotation)


def setup(app: Sphinx) -> None:
    app.connect("autodoc-process-signature", _signature)


# `sphinx-build -n` (CI) reports every cross-reference without a target. The
# build reads nothing from the network (no intersphinx), so the names of the
# standard library and of third-party packages in signatures have no target
# here; each family is listed, with why it appears. minijwt's own names all
# have one.
nitpick_ignore = [
    # The standard library: datetimes and timedeltas taken by the claim options.
    ("py:class", "datetime.datetime"),
    ("py:class", "datetime.timedelta"),
    # FastAPI and Starlette, in JWTBearer.__call__'s signature and what it raises.
    ("py:class", "starlette.requests.HTTPConnection"),
    ("py:class", "fastapi.security.oauth2.SecurityScopes"),
    ("py:exc", "fastapi.HTTPException"),
    # A type variable has no page: JWTAuth.required returns the view it is
    # given with that view's own type (minijwt.flask.F, bound to a callable).
    ("py:class", "minijwt.flask.F"),
    # AKPKey's halves: aliases that only type checkers see (cryptography's
    # three ML-DSA key classes of each kind, absent before its release 48).
    ("py:class", "MLDSAPublicKey"),
    ("py:class", "MLDSAPrivateKey"),
]
nitpick_ignore_regex = [
    # The standard library's abstract collections and callables (Mapping,
    # Collection, Callable, Awaitable ...), in many signatures.
    ("py:class", r"collections\.abc\.\w+"),
    # The standard library's WSGI types, which the WSGI middleware's signature shows.
    ("py:class", r"wsgiref\.types\.\w+"),
    # cryptography's key classes, which the typed keys take and return.
    ("py:class", r"cryptography\.hazmat\.primitives\.asymmetric\.\w+\.\w+"),
]
