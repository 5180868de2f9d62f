"""Sphinx configuration for the tmf683 documentation (Sphinx + MyST Markdown).

Build from the repository root, warnings as errors, every cross-reference checked::

    .venv/bin/sphinx-build -W --keep-going -n -b html docs docs/_build/html

The build is offline: no intersphinx. References to the standard library and to
third-party packages are listed in ``nitpick_ignore_regex`` and render as plain text.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Document the checkout's sources even where the package is not installed.
sys.path.insert(0, str(ROOT / "src"))

import tmf683  # noqa: E402 - needs the sys.path entry above

# -- Project ---------------------------------------------------------------------------

project = "tmf683"
author = "tmf683 developers"
copyright = "tmf683 developers"
release = tmf683.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc and napoleon --------------------------------------------------------------

autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = False
napoleon_use_rtype = False

# -- HTML ------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"tmf683 {release}"
html_theme_options = {
    "description": "TMF683 Party Interaction Management API v4 for Python",
    "fixed_sidebar": True,
}

# -- Cross-references ------------------------------------------------------------------

nitpicky = True
nitpick_ignore = [
    ("py:class", "datetime"),  # a bare name in Callable[[], datetime]
    ("py:class", "tmf683._serialization.T"),  # the TypeVar of structure()
    # The SQL stores' shared base class is internal (docs/architecture.md names it).
    ("py:class", "tmf683.storage._sql.store.SQLStore"),
]
_EXTERNAL_MODULES = (
    "argparse",
    "attrs",
    "cattrs",
    "collections",
    "contextvars",
    "datetime",
    "enum",
    "falcon",
    "http",
    "hypothesis",
    "jwt",
    "logging",
    "os",
    "prometheus_client",
    "ipaddress",
    "pathlib",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "threading",
    "time",
    "typing",
    "waitress",
)
nitpick_ignore_regex = [
    (r"py:(class|exc|obj|func|meth|attr|mod|data)", rf"{module}(\..+)?")
    for module in _EXTERNAL_MODULES
]


def _import_dotted(name: str) -> Any:
    """Return what a dotted name reaches by import and attribute access, or None."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def _canonical_name(obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return None


def resolve_reexports(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a re-exported name to where the object is documented.

    The API reference documents each object in the module that defines it
    (``tmf683._service.PartyInteractionService``), while docstrings name it where it
    is imported from (``tmf683.query.Query``, or a bare ``create_app`` in the
    ``tmf683_falcon`` package docstring). Sphinx calls this only for references it
    could not resolve; anything outside tmf683 is left alone.
    """
    if node.get("refdomain") != "py":
        return None
    target: str = node["reftarget"]
    module = node.get("py:module")
    candidates = [f"{module}.{target}", target] if module else [target]
    for name in candidates:
        if not name.startswith(("tmf683.", "tmf683_falcon.")):
            continue
        canonical = _canonical_name(_import_dotted(name))
        if canonical is None or canonical == name:
            continue
        resolved = env.get_domain("py").resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
        )
        if resolved is not None:
            return resolved
    return None


def setup(app: Any) -> dict[str, Any]:
    """Register the re-export resolver."""
    app.connect("missing-reference", resolve_reexports)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
