import subprocess
import sys
from pathlib import Path

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
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and name not in {"annotations", "TYPE_CHECKING"}
        and not isinstance(getattr(module, name, None), type(sys))
    }


def test_core_all_lists_exactly_the_public_names():
    exported = set(tmf683.__all__)
    assert _public_names(tmf683) - {"__version__"} <= exported
    for name in exported:
        assert getattr(tmf683, name) is not None


def test_adapter_all_lists_exactly_the_public_names():
    assert _public_names(tmf683_falcon) == set(tmf683_falcon.__all__)


def test_both_packages_ship_py_typed():
    for package in (tmf683, tmf683_falcon):
        assert (Path(str(package.__file__)).parent / "py.typed").is_file()


def test_lazy_store_classes_are_the_real_ones():
    from tmf683.storage.memory import MemoryStore
    from tmf683.storage.sqlite import SQLiteStore

    assert tmf683.MemoryStore is MemoryStore
    assert tmf683.SQLiteStore is SQLiteStore
