"""Shared plumbing: a throw-away copy of the project, timed `kedro run` subprocesses, medians,
tables."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_REAL_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"
ENGINES = ("direction", "seller", "buyer")
# The one-node pipeline injected into the temp copy only: `kedro run` start-up, config, catalog and
# registry cost with no work, i.e. the framework floor every pipeline pays.
FLOOR_PIPELINE = "benchmark_floor"
_FLOOR_PIPELINE_CODE = (
    '"""Benchmark-only: one no-op node, so `kedro run --pipeline=benchmark_floor` measures the '
    'framework floor."""\n'
    '''
from kedro.pipeline import Node, Pipeline


def noop() -> int:
    """Return a constant."""
    return 0


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([Node(noop, None, "benchmark_floor_output", name="noop")])
'''
)
_EMPTY_UNIVERSE_PARTITION = "_benchmark_empty"
OMP_WAIT_POLICY = "PASSIVE"


@dataclass
class Table:
    """One Markdown table with a title and notes printed under it."""

    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """One timed subprocess."""

    wall_s: float
    rc: int
    tail: str = ""
    # user + system time of the process (less moved by a busy machine than wall)
    cpu_s: float = float("nan")

    @property
    def ok(self) -> bool:
        return self.rc == 0


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def cpu_reference_s(additions: int = 10_000_000) -> float:
    """Seconds for a pure-Python loop of `additions` additions in a function: the machine's
    single-core speed now. On the development VM it took 0.44-0.72 s within half an hour on
    2026-12-07 (the same loop at module level, `python -c`, took 0.92-2.02 s that evening), and every
    time in a report moves with it, so a report states it at its start and end."""
    start, total = time.perf_counter(), 0
    for i in range(additions):
        total += i
    return time.perf_counter() - start


def load_average() -> str:
    try:
        return "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def kedro_env() -> dict[str, str]:
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    # a deployment caches bytecode; the warm-up run writes it here too
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # OpenMP threads that spin while waiting make XGBoost 10-20x slower on a busy 2-core machine;
    # see the parallel section.
    env.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
    return env


def _children_cpu() -> float:
    """User + system seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class TempProject:
    """A copy of conf/, src/ and pyproject.toml in a temp dir, so runs never touch the repository's
    data/."""

    def __init__(self, label: str, ref: str | None = None, keep: bool = False,
                 source: Path = PROJECT_ROOT):
        self.path = Path(tempfile.mkdtemp(prefix=f"aegis_bench_{label}_"))
        self.keep = keep
        self.notes: list[str] = []
        if ref:
            archive = subprocess.run(["git", "-C", str(source), "archive", "--format=tar", ref,
                                      "conf", "src",
                                      "pyproject.toml"], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(self.path)], input=archive, check=True)
        else:
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "local")
            shutil.copytree(source / "conf", self.path / "conf", ignore=ignore)
            shutil.copytree(source / "src", self.path / "src", ignore=ignore)
            shutil.copy2(source / "pyproject.toml", self.path / "pyproject.toml")
        (self.path / "conf" / "local").mkdir(parents=True, exist_ok=True)
        (self.path / "data").mkdir(exist_ok=True)
        floor = self.path / "src" / "aegismatrix" / "pipelines" / FLOOR_PIPELINE
        floor.mkdir(parents=True, exist_ok=True)
        (floor / "__init__.py").write_text('"""Benchmark floor."""\n\nfrom .pipeline import '
                                           'create_pipeline\n\n__all__ = ["create_pipeline"]\n')
        (floor / "pipeline.py").write_text(_FLOOR_PIPELINE_CODE)

    def kedro(self, args: list[str], timeout: float = 900) -> RunResult:
        """`kedro run <args>` as a subprocess in the copy; wall and CPU time of the whole
        process."""
        cmd = [str(Path(sys.executable).parent / "kedro"), "run", *args]
        if not Path(cmd[0]).exists():
            cmd = [sys.executable, "-m", "kedro", "run", *args]
        before = _children_cpu()
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=self.path, env=kedro_env(), capture_output=True,
                                  text=True, timeout=timeout)
            rc, out = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            rc, out = 124, f"timed out after {timeout:.0f} s\n{exc.stdout or ''}{exc.stderr or ''}"
        wall = time.perf_counter() - start
        return RunResult(wall, rc, out[-3000:] if isinstance(out, str) else str(out)[-3000:],
                         _children_cpu() - before)

    def python(self, code: str, timeout: float = 600) -> dict:
        """Run Python in the copy (its src first on the path) and parse the JSON it prints last."""
        env = kedro_env() | {"PYTHONPATH": str(self.path / "src")}
        proc = subprocess.run([sys.executable, "-c", code], cwd=self.path, env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"subprocess failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def seed_empty_universe(self) -> None:
        """Give `universe_daily` one empty partition, so a project without a universe can load
        it."""
        part = self.path / "data" / "03_primary" / "universe_daily"
        part.mkdir(parents=True, exist_ok=True)
        empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                              **{c: pd.Series(dtype="float64")
                                 for c in ("open", "high", "low", "close", "volume")}})
        empty.to_parquet(part / f"{_EMPTY_UNIVERSE_PARTITION}.parquet", index=False)

    def pipeline_sizes(self) -> dict[str, int]:
        """Registered pipeline name -> node count, as the copy's registry composes them."""
        code = ("import json, warnings; warnings.simplefilter('ignore')\n"
                "from pathlib import Path\n"
                "from kedro.framework.startup import bootstrap_project\n"
                "bootstrap_project(Path.cwd())\n"
                "from kedro.framework.project import pipelines\n"
                "print(json.dumps({k: len(v.nodes) for k, v in pipelines.items()}))")
        return self.python(code)

    def engine_namespaces(self) -> dict[str, list[str]]:
        """`MODEL_NAMESPACES` of every engine package in the copy that exports one."""
        code = ("import json, importlib\nout = {}\n"
                f"for e in {list(ENGINES)!r}:\n"
                "    try:\n"
                "        m = importlib.import_module(f'aegismatrix.pipelines.{e}.pipeline')\n"
                "    except Exception:\n"
                "        continue\n"
                "    if getattr(m, 'MODEL_NAMESPACES', None):\n"
                "        out[e] = list(m.MODEL_NAMESPACES)\n"
                "print(json.dumps(out))")
        return self.python(code)

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def needs_universe_seed(result: RunResult) -> bool:
    return not result.ok and "universe_daily" in result.tail and "No partitions found" in result.tail


def first_error_line(tail: str) -> str:
    """The most telling line of a failed run's output, for a table cell."""
    lines = [ln.strip(" │") .strip() for ln in tail.splitlines() if ln.strip(" │").strip()]
    for ln in reversed(lines):
        if "Error" in ln or "error" in ln or "Exception" in ln:
            return ln[:160]
    return lines[-1][:160] if lines else "failed"
