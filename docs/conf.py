"""Sphinx configuration for the minijwt documentation."""

from __future__ import annotations

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
