"""Lines a reader takes in at a glance: under 5% of a package's lines over 100 characters (ruff's hard
limit stays 110), and the whole of src/ no denser than it was when the packages below were wrapped."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "src" / "aegismatrix"
WIDTH = 100
PACKAGE_SHARE = 0.05
# src/ as a whole: 2,334 of 21,087 lines (11.1%) were over 100 characters before; 1,387 of 21,666 (6.4%)
# after the first packages below were wrapped, 308 of 23,560 (1.3%) once models/ and benchmarks/ were.
SRC_CEILING = 0.014
WRAPPED = ["market", "ledger", "features", "releases", "datasets", "live", "runner", "reporting",
           "modelling", "models", "benchmarks", "engines", "options", "payload", "pipelines",
           "parameters", "dashboard", "logs.py", "labels.py", "contracts.py", "settings.py",
           "comparison_log.py"]


def _share(paths) -> tuple[int, int]:
    lines = [line for path in paths for line in path.read_text().splitlines()]
    return sum(len(line) > WIDTH for line in lines), len(lines)


def _files(name: str) -> list[Path]:
    path = PACKAGE_DIR / name
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("name", WRAPPED)
def test_a_wrapped_package_has_few_lines_over_100_characters(name):
    long, total = _share(_files(name))
    assert total and long / total < PACKAGE_SHARE, f"{name}: {long} of {total} lines over {WIDTH} characters"


def test_src_stays_under_its_ceiling():
    long, total = _share(sorted(PACKAGE_DIR.rglob("*.py")))
    assert long / total <= SRC_CEILING, f"src: {long} of {total} lines over {WIDTH} characters"
