"""Importing libraries without the extras they pull in (aegismatrix.optional_imports)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aegismatrix.optional_imports import hidden_modules, submodule_without_package_init


def test_a_hidden_module_cannot_be_imported_inside_and_can_after():
    name = "aegismatrix_not_a_real_module_xyz"
    with hidden_modules(name), pytest.raises(ImportError):
        __import__(name)
    assert name not in sys.modules


def test_an_imported_module_is_not_hidden():
    with hidden_modules("json"):
        import json  # noqa: F401  (already in sys.modules: untouched)
    assert sys.modules["json"] is not None


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_catboost_and_pandera_load_without_ipython_or_hypothesis():
    # the last value: no "not importable" marker is left behind for catboost.widget
    out = _fresh("import sys, aegismatrix.models.catboost_models, aegismatrix.contracts\n"
                 "print('IPython' in sys.modules, 'hypothesis' in sys.modules,\n"
                 "      sys.modules.get('catboost.widget', 'absent') is None)\n")
    assert out.split() == ["False", "False", "False"]


def test_submodule_loads_without_running_its_package_init():
    out = _fresh("import sys\nfrom aegismatrix.optional_imports import submodule_without_package_init as s\n"
                 "m = s('holidays.financial.national_stock_exchange_of_india')\n"
                 "print(m.NationalStockExchangeOfIndia.market, 'holidays.financial' in sys.modules)")
    assert out.split() == ["XNSE", "False"]


def test_submodule_of_an_unknown_layout_falls_back_to_a_plain_import():
    assert submodule_without_package_init("json.decoder").JSONDecoder


def test_pandas_datasets_load_without_sqlalchemy_and_sql_datasets_still_resolve():
    out = _fresh("import sys\nfrom aegismatrix.optional_imports import import_pandas_datasets\n"
                 "import_pandas_datasets()\nimport kedro_datasets.pandas as p\n"
                 "print(p.ParquetDataset.__name__, 'sqlalchemy' in sys.modules)\n"
                 "print(p.SQLTableDataset.__name__, 'sqlalchemy' in sys.modules)")
    assert out.split() == ["ParquetDataset", "False", "SQLTableDataset", "True"]
