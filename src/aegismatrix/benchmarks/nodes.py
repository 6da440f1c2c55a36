"""Where a run's time goes, node by node: wall and CPU seconds of every node of one `kedro run`,
in-process.

    python -m aegismatrix.benchmarks.nodes --pipeline inference
        [--params data_ingestion.source=synthetic]

Runs the pipeline in this project (it writes data/ like any run: use a copy to keep yours) with a
timing hook registered on the session, then prints the slowest nodes, the totals per node kind (the
last part of the node name: `evaluate_and_fit`, `serve_frozen`, ...) and what the run spent
outside nodes (start-up, dataset loads and saves, hooks). CPU is this process's only: nodes that fit
folds in worker processes show less.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kedro.framework.hooks import hook_impl


@dataclass
class NodeTimer:
    """Kedro hook: (node name, wall s, CPU s) of every node run, in order."""

    timings: list[tuple[str, float, float]] = field(default_factory=list)
    _started: dict[str, tuple[float, float]] = field(default_factory=dict)

    @hook_impl
    def before_node_run(self, node) -> None:
        self._started[node.name] = (time.perf_counter(), time.process_time())

    @hook_impl
    def after_node_run(self, node) -> None:
        wall, cpu = self._started.pop(node.name)
        self.timings.append((node.name, time.perf_counter() - wall, time.process_time() - cpu))


def by_kind(timings: list[tuple[str, float, float]]) -> list[tuple[str, int, float, float]]:
    """(kind, nodes, wall s, CPU s) per node kind, slowest first."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for name, wall, cpu in timings:
        prefix, _, last = name.rpartition(".")
        # describe_<ns> -> describe
        total = totals[last.removesuffix("_" + prefix.replace(".", "_"))]
        total[0] += 1
        total[1] += wall
        total[2] += cpu
    return sorted(((k, int(n), w, c) for k, (n, w, c) in totals.items()), key=lambda row: -row[2])


def report(timings: list[tuple[str, float, float]], run_s: float, top: int = 25) -> str:
    """The slowest nodes, the totals per kind and the time outside nodes, as plain text."""
    in_nodes = sum(wall for _, wall, _ in timings)
    lines = [f"run {run_s:.2f} s wall: {in_nodes:.2f} s in {len(timings)} nodes, "
             f"{run_s - in_nodes:.2f} s outside them (dataset loads and saves, hooks)",
             "", "   wall s    CPU s  node"]
    lines += [f"{wall:9.2f} {cpu:8.2f}  {name}" for name, wall, cpu in
              sorted(timings, key=lambda row: -row[1])[:top]]
    lines += ["", "   wall s    CPU s  nodes  kind"]
    lines += [f"{wall:9.2f} {cpu:8.2f} {n:6d}  {kind}"
              for kind, n, wall, cpu in by_kind(timings)[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from omegaconf import OmegaConf

    parser = argparse.ArgumentParser(prog="python -m aegismatrix.benchmarks.nodes",
                                     description=__doc__)
    parser.add_argument("--pipeline", default="__default__")
    parser.add_argument("--params", default="", help="runtime parameters, as `kedro run --params`")
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    runtime = OmegaConf.to_container(OmegaConf.from_dotlist([p for p in args.params.split(",") if p]))
    project = args.project.resolve()
    bootstrap_project(project)
    timer = NodeTimer()
    started = time.perf_counter()
    with KedroSession.create(project, runtime_params=runtime) as session:
        # Kedro has no public way to add a hook to one session
        session._hook_manager.register(timer)
        session.run(pipeline_names=None if args.pipeline == "__default__" else [args.pipeline])
    print(report(timer.timings, time.perf_counter() - started, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
