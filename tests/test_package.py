import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import tmf683
import tmf683_falcon


def test_importing_the_core_loads_no_web_framework_nor_store_driver():
    code = (
        "import sys, tmf683; "
        "print(','.join(sorted(m for m in ('falcon', 'waitress', 'psycopg', "
        "'sqlite_utils', 'orjson') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _public_names(module):
    return {name for name in dir(module) if not name.startswith("_")}


def test_core_all_lists_exactly_the_public_names():
    assert _public_names(tmf683) == set(tmf683.__all__)
    assert len(tmf683.__all__) == len(set(tmf683.__all__))
    for name in tmf683.__all__:
        assert getattr(tmf683, name) is not None, name


def test_adapter_all_lists_exactly_the_public_names():
    assert _public_names(tmf683_falcon) == set(tmf683_falcon.__all__)
    for name in tmf683_falcon.__all__:
        assert getattr(tmf683_falcon, name) is not None, name


def test_the_error_body_model_is_not_named_like_an_exception():
    assert "ErrorBody" in tmf683.__all__
    assert not hasattr(tmf683, "Error")
    assert not issubclass(tmf683.ErrorBody, BaseException)


SOURCES = Path(tmf683.__file__).parent.parent
PUBLIC_MODULES = {"tmf683", "tmf683.testing", "tmf683_falcon"}
ALL_MODULES = sorted(
    ".".join(path.relative_to(SOURCES).with_suffix("").parts).removesuffix(".__init__")
    for package in ("tmf683", "tmf683_falcon")
    for path in (SOURCES / package).rglob("*.py")
)


def test_the_module_list_is_read_from_the_tree():
    assert {"tmf683._service", "tmf683.storage.sqlite._store"} <= set(ALL_MODULES)
    assert set(ALL_MODULES) >= PUBLIC_MODULES


@pytest.mark.parametrize(
    "module", [name for name in ALL_MODULES if name not in PUBLIC_MODULES]
)
def test_internal_modules_declare_no_public_names_of_their_own(module):
    assert not hasattr(importlib.import_module(module), "__all__")


ADAPTER = Path(tmf683_falcon.__file__).parent


@pytest.mark.parametrize(
    "path", sorted(ADAPTER.glob("*.py")), ids=lambda path: path.name
)
def test_the_adapter_imports_the_core_only_from_its_root(path):
    tree = ast.parse(path.read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {name for name in imported if name and name.startswith("tmf683.")} == set()


def test_both_packages_ship_py_typed():
    for package in (tmf683, tmf683_falcon):
        assert (Path(str(package.__file__)).parent / "py.typed").is_file()


def test_lazy_store_classes_are_the_real_ones():
    from tmf683.storage.memory import MemoryStore
    from tmf683.storage.sqlite import SQLiteStore

    assert tmf683.MemoryStore is MemoryStore
    assert tmf683.SQLiteStore is SQLiteStore


def test_the_api_reference_lists_every_public_name():
    reference = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    for package in (tmf683, tmf683_falcon):
        for name in package.__all__:
            assert f"`{package.__name__}.{name} <" in reference, name


def test_a_core_install_without_the_postgres_extra_imports_every_name():
    # None in sys.modules makes `import psycopg` fail, as on an install without it
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from tmf683 import *\n"
        "import tmf683\n"
        "try:\n"
        "    PostgresStore('postgresql://postgres:s3cret@127.0.0.1/x')\n"
        "except tmf683.StoreConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "needs the postgres extra" in result.stdout
    assert "pip install 'tmf683[postgres]'" in result.stdout
    assert "s3cret" not in result.stdout
