"""``python -m aegismatrix`` runs the project like ``kedro run``."""

import sys
from pathlib import Path

from kedro.framework.cli.utils import find_stylesheets  # noqa: F401  (keeps kedro CLI plugins importable)
from kedro.framework.project import configure_project


def main(*args, **kwargs):
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    from kedro.framework.cli import main as kedro_main  # late import: needs the project configured

    return kedro_main(*args, **kwargs)


if __name__ == "__main__":
    sys.exit(main())
