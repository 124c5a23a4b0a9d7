"""Sphinx configuration for the minijwt documentation."""

from __future__ import annotations

from sphinx.application import Sphinx

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
    # says, as in type stubs, that the argument has a default.
    if signature is not None:
        signature = signature.replace("=<factory>", "=...").replace("= <factory>", "= ...")
    return signature, return_annotation


def setup(app: Sphinx) -> None:
    app.connect("autodoc-process-signature", _factory_defaults)


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
