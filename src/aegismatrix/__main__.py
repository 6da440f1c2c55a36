"""``python -m aegismatrix`` runs the project like ``kedro run``; ``python -m aegismatrix prune --keep 5``
removes old versions of versioned datasets but never the served release's (aegismatrix.releases.prune)."""

import sys
from pathlib import Path

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main(*args, **kwargs):
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    kwargs["standalone_mode"] = not hasattr(sys, "ps1")  # interactive sessions keep the interpreter alive
    return find_run_command(package_name)(*args, **kwargs)


if __name__ == "__main__":
    if sys.argv[1:2] == ["prune"]:
        from aegismatrix.releases.prune import main as prune

        sys.exit(prune(sys.argv[2:]))
    main()
