"""Import a library without the optional extras it pulls in that this project never uses.

Every serving run pays for its imports (`python -m aegismatrix.benchmarks`, inference vs the framework floor):
CatBoost imports its Jupyter training widget (IPython, ~0.3 s) and pandera its hypothesis data-synthesis
strategies (~0.15 s) whenever those packages are installed, as they are in the dev extras, and
`kedro_datasets.pandas` imports its SQL datasets, i.e. SQLAlchemy (~0.2 s), for any `pandas.*` dataset.
These libraries guard such imports with `try/except ImportError`, so hiding the module for the duration of
the import makes them skip it; nothing else changes (kedro_datasets loads its SQL datasets on first use).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType


@contextmanager
def hidden_modules(*names: str) -> Iterator[None]:
    """While inside, `import <name>` raises ImportError for each name not already imported."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not importable" marker
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]  # a later explicit import (a notebook's) works as usual


def import_pandas_datasets() -> None:
    """`kedro_datasets.pandas` without SQLAlchemy (its SQL datasets load lazily if a catalog names one)."""
    with hidden_modules("sqlalchemy"):
        import kedro_datasets.pandas  # noqa: F401


def submodule_without_package_init(qualified: str) -> ModuleType:
    """Import `a.b.c` without running `a/b/__init__.py` (used where that init imports every sibling).

    Falls back to a plain import when the file is not where the package layout says (a library refactor).
    """
    if qualified in sys.modules:
        return sys.modules[qualified]
    parent, _, leaf = qualified.rpartition(".")
    root = importlib.util.find_spec(parent.split(".")[0])
    origin = Path(root.origin).parent if root and root.origin else None
    file = origin.joinpath(*parent.split(".")[1:], f"{leaf}.py") if origin else None
    if file is None or not file.is_file():
        return importlib.import_module(qualified)
    spec = importlib.util.spec_from_file_location(qualified, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise
    return module
