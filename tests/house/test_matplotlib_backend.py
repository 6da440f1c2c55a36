"""Registering the project's pipelines leaves an importing session's matplotlib backend alone:
`kedro.ipython` registers them lazily, after a notebook's `%matplotlib inline`, and a module
that calls `matplotlib.use("Agg")` on import switches pyplot there to Agg (plots vanish)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import matplotlib.pyplot as plt
plt.switch_backend("svg")  # stands in for a notebook's inline backend
from pathlib import Path
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
from aegismatrix.pipeline_registry import register_pipelines
register_pipelines()
import matplotlib
print(matplotlib.get_backend())
"""


def test_registering_the_pipelines_keeps_pyplots_backend(project_root):
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=project_root, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "svg"
