"""`python -m aegismatrix.benchmarks --quick` on tiny inputs produces every table (timings are not
checked)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from aegismatrix.benchmarks.report import markdown_table
from aegismatrix.benchmarks.scale import loglog_slope

TABLES = [
    "### Targets", "### Speed: pipelines at default settings", "### Speed: feature pipeline vs TA-Lib alone",
    "### Skill: walk-forward metrics vs baselines", "### Parallelism: Kedro runners",
    "### Parallelism: Optuna workers sharing one study",
    "### Parallelism: OpenMP wait policy (XGBoost, 2 threads)",
    "### Scale: universe feature build", "### Scale: pooled XGBoost training",
]


def test_loglog_slope_reads_linear_and_quadratic_growth():
    assert loglog_slope([1, 10, 100], [2, 20, 200]) == pytest.approx(1.0)
    assert loglog_slope([1, 10, 100], [1, 100, 10000]) == pytest.approx(2.0)


def test_markdown_table_escapes_pipes():
    import pandas as pd

    text = markdown_table(pd.DataFrame({"a": ["x|y"], "b": [1]}))
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 1 |"]


@pytest.mark.e2e
def test_quick_mode_produces_every_table(tmp_path, project_root):
    doc = project_root / "docs" / "benchmarks.md"
    before = doc.stat().st_mtime_ns if doc.exists() else None
    out = tmp_path / "quick.md"
    proc = subprocess.run([sys.executable, "-m", "aegismatrix.benchmarks", "--quick", "--output", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for title in TABLES:
        assert title in text, f"missing table {title!r}"
        assert title in proc.stdout  # printed as well as written
    section = text.split("### Skill: walk-forward metrics vs baselines")[1]
    assert "`bench.quick_trap`" in section and "| log_loss |" in section  # a row from a real metrics JSON
    assert "| SequentialRunner |" in text and "| ParallelRunner |" in text
    assert re.search(r"- CPU speed: a 10M-addition Python loop took \d+\.\d\d s at the start and "
                     r"\d+\.\d\d s at the end", text)  # the machine's speed beside its times
    assert "failed" not in text.split("### Speed: pipelines at default settings")[1].split("###")[0]
    assert (doc.stat().st_mtime_ns if doc.exists() else None) == before  # quick mode never writes the docs
