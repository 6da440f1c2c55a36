"""Speed: wall time of each `kedro run --pipeline=<p>` in a temp copy, next to the framework floor
and TA-Lib."""

from __future__ import annotations

import glob
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .common import (
    FLOOR_PIPELINE,
    RunResult,
    Table,
    TempProject,
    first_error_line,
    median,
    needs_universe_seed,
)

log = logging.getLogger(__name__)
SYNTHETIC_PARAMS = "data_ingestion.source=synthetic"
# A run slower than this is not repeated (keeps the full benchmark within ~15 minutes on 2 cores).
REPEAT_ONLY_BELOW_S = 30.0
# Floor runs alternating with the inference runs: after minutes of training a shared 2-core machine
# can run 20-40% slower than at the start, so a floor measured then would not be comparable.
INTERLEAVED_FLOOR = "floor_interleaved"
INFERENCE_PAIRS = 5


def real_params(real_dir: Path) -> str:
    return f"data_ingestion.source=csv,data_ingestion.csv_dir={real_dir},data_ingestion.start=2010-01-01"


@dataclass
class Variant:
    """One data source's temp project and what ran in it."""

    name: str
    params: str
    project: TempProject
    walls: dict[str, list[float]] = field(default_factory=dict)
    cpus: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def median(self, pipeline: str) -> float:
        return median(self.walls.get(pipeline, []))

    def median_cpu(self, pipeline: str) -> float:
        return median(self.cpus.get(pipeline, []))

    def inference_floor(self) -> float:
        """The floor measured alternately with inference (else the first floor runs)."""
        return self.median(INTERLEAVED_FLOOR) if self.walls.get(INTERLEAVED_FLOOR) else self.median(
            FLOOR_PIPELINE)

    def inference_gap(self) -> float:
        """Median over the alternating pairs of inference minus the floor run right after it."""
        pairs = list(zip(self.walls.get("inference", []), self.walls.get(INTERLEAVED_FLOOR, [])))
        if not pairs:
            return self.median("inference") - self.median(FLOOR_PIPELINE)
        return median([inference - floor for inference, floor in pairs])


def _run(variant: Variant, pipeline: str, repeats: int, extra: list[str] | None = None,
         key: str | None = None) -> None:
    key = key or pipeline
    args = [f"--pipeline={pipeline}", "--params", variant.params, *(extra or [])]
    for i in range(repeats):
        result: RunResult = variant.project.kedro(args)
        if needs_universe_seed(result):
            variant.project.seed_empty_universe()
            variant.notes.append(
                f"`{pipeline}` failed in a fresh project (`universe_daily: No partitions found` "
                "when no universe is configured); the benchmark seeded one empty universe "
                "partition in its temp copy and reran.")
            result = variant.project.kedro(args)
        if not result.ok:
            variant.errors[key] = first_error_line(result.tail)
            log.warning("%s %s failed: %s", variant.name, key, variant.errors[key])
            return
        variant.walls.setdefault(key, []).append(result.wall_s)
        variant.cpus.setdefault(key, []).append(result.cpu_s)
        log.info("%s %s run %d: %.2f s", variant.name, key, i + 1, result.wall_s)
        if result.wall_s > REPEAT_ONLY_BELOW_S:
            break


def built_pipelines(sizes: dict[str, int]) -> dict[str, bool]:
    """Whether each pipeline has nodes of its own beyond the upstream the registry adds."""
    fe = sizes.get("feature_engineering", 0)
    own = {"data_ingestion": sizes.get("data_ingestion", 0) > 0,
           "feature_engineering": fe > sizes.get("data_ingestion", 0)}
    for name in ("direction", "seller", "buyer", "inference"):
        own[name] = sizes.get(name, 0) > fe
    own["reporting"] = sizes.get("reporting", 0) > 0
    return own


def measure_variant(variant: Variant, repeats: int, quick: bool) -> dict[str, bool]:
    """Floor, ingestion, features, each built engine, reporting, the default run and inference, in
    that order."""
    project = variant.project
    if quick:  # tiny version: no registry probe, no warm-up run
        _run(variant, FLOOR_PIPELINE, repeats)
        _run(variant, "data_ingestion", repeats)
        _run(variant, "feature_engineering", repeats)
        return {}
    built = built_pipelines(project.pipeline_sizes())
    project.kedro([f"--pipeline={FLOOR_PIPELINE}"])  # warm-up: byte-compiles the copy's sources
    _run(variant, FLOOR_PIPELINE, repeats)
    _run(variant, "data_ingestion", repeats)
    _run(variant, "feature_engineering", repeats)
    for engine in ("direction", "seller", "buyer"):
        if built[engine]:
            _run(variant, engine, repeats)
    if built["reporting"]:
        _run(variant, "reporting", repeats)
    _run(variant, "__default__", repeats, key="default")
    if built["inference"]:
        for _ in range(max(repeats, INFERENCE_PAIRS)):
            _run(variant, "inference", 1)
            _run(variant, FLOOR_PIPELINE, 1, key=INTERLEAVED_FLOOR)
    return built


def feature_compute_times(daily: pd.DataFrame, repeats: int) -> dict[str, float]:
    """In-process medians: the library's three engine sets vs the same indicators with TA-Lib
    alone."""
    from aegismatrix.features import build_engine_features

    from .talib_only import talib_features

    def timed(fn) -> float:
        fn()  # warm-up
        runs = []
        for _ in range(max(5, repeats * 5)):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return median(runs)

    lib = timed(lambda: [build_engine_features(daily, e) for e in ("direction", "seller", "buyer")])
    tal = timed(lambda: talib_features(daily))
    return {"library_s": lib, "talib_s": tal}


def latest_market_daily(project: TempProject) -> pd.DataFrame | None:
    files = sorted(glob.glob(str(project.path
                                 / "data/03_primary/market_daily.parquet/*/market_daily.parquet")))
    return pd.read_parquet(files[-1]) if files else None


PIPELINE_ORDER = ["data_ingestion", "feature_engineering", "direction", "seller", "buyer",
                  "reporting", "default", "inference"]


def speed_table(variants: list[Variant], built: dict[str, bool], repeats: int) -> Table:
    rows = []
    floors = {v.name: v.median(FLOOR_PIPELINE) for v in variants}
    for pipeline in [FLOOR_PIPELINE, *PIPELINE_ORDER]:
        row = {"pipeline": "floor (one no-op node)" if pipeline == FLOOR_PIPELINE else
               ("`kedro run` (default)" if pipeline == "default" else f"`--pipeline={pipeline}`")}
        seen = False
        for v in variants:
            runs = v.walls.get(pipeline, [])
            if runs:
                seen = True
                row[f"{v.name} median s"] = f"{median(runs):.2f}"
                row[f"{v.name} runs"] = len(runs)
                row[f"{v.name} / floor"] = (f"{median(runs) / floors[v.name]:.2f}"
                                            if floors[v.name] == floors[v.name] else "")
            elif pipeline in v.errors:
                seen = True
                row[f"{v.name} median s"] = f"failed: {v.errors[pipeline]}"
                row[f"{v.name} runs"] = 0
                row[f"{v.name} / floor"] = ""
            else:
                row[f"{v.name} median s"] = "not run"
                row[f"{v.name} runs"] = 0
                row[f"{v.name} / floor"] = ""
        if seen or pipeline in ("default",):
            rows.append(row)
    missing = [p for p in ("direction", "seller", "buyer", "reporting", "inference")
               if not built.get(p)]
    notes = [f"Process wall time of `kedro run` as a subprocess (medians of up to {repeats} runs; "
             f"a run over {REPEAT_ONLY_BELOW_S:.0f} s is not repeated). `/ floor` divides by the "
             "floor measured in the same run.",
             "Runs follow each other in one temp project, as on a user's machine: a repeat finds "
             "the Optuna journal of the previous run and resumes finished studies instead of "
             "repeating them (default parameters tune 0-2 trials per model, so this changes "
             "little)."]
    if missing:
        notes.append("Not built yet (no nodes of their own), so not timed: "
                     + ", ".join(f"`{m}`" for m in missing) + ".")
    for v in variants:
        notes += [f"{v.name}: {n}" for n in dict.fromkeys(v.notes)]
    return Table("Speed: pipelines at default settings", pd.DataFrame(rows), notes)


def import_cost(repeats: int) -> dict[str, float]:
    """Process wall time of importing kedro alone vs the model package (XGBoost, torch, ...) the
    engines import."""
    import subprocess
    import sys

    from .common import kedro_env

    def timed(code: str) -> float:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=kedro_env(),
                           capture_output=True)
            runs.append(time.perf_counter() - start)
        return median(runs)

    return {"kedro": timed("import kedro.framework.session"),
            "models": timed("import kedro.framework.session, aegismatrix.modelling.template, "
                            "aegismatrix.models")}


def inference_table(variants: list[Variant], imports: dict[str, float] | None = None) -> Table:
    rows = []
    for v in variants:
        floor, inf, fe = v.inference_floor(), v.median("inference"), v.median("feature_engineering")
        rows.append({"data": v.name, "floor s": f"{floor:.2f}",
                     "inference s": (f"{inf:.2f}" if inf == inf
                                     else "failed: " + v.errors["inference"] if "inference" in v.errors
                                     else "not run"),
                     "inference - floor s": f"{v.inference_gap():.2f}" if inf == inf else "",
                     "pairs": len(v.walls.get(INTERLEAVED_FLOOR, [])),
                     "inference / floor": f"{inf / floor:.2f}" if inf == inf else "",
                     "inference - `feature_engineering` s": (f"{inf - fe:.2f}"
                                                             if inf == inf and fe == fe else "")})
    notes = ["Latency as process wall time of `kedro run --pipeline=inference` (ingestion, "
             "features, frozen models, signals) after a training run in the same temp project, "
             "each inference run followed by a floor run (`pairs`); `floor s` is the median of "
             "those floor runs and `inference - floor s` the median of the pairwise differences. "
             "Floor: `kedro run --pipeline=benchmark_floor`, a one-node no-op pipeline added to "
             "the temp copy only: CLI start-up, settings, config, catalog and the pipeline "
             "registry (which imports every pipeline package), i.e. what any `kedro run` of this "
             "project pays. Inference includes ingestion and features (the `feature_engineering` "
             "run), so `inference - feature_engineering` is the frozen models, payload and "
             "publishing."]
    if imports:
        notes.append("Import cost, process wall time: `import kedro.framework.session` "
                     f"{imports['kedro']:.2f} s; plus the modelling template and "
                     f"`aegismatrix.models` (XGBoost, torch, ...) {imports['models']:.2f} s, i.e. "
                     f"{imports['models'] - imports['kedro']:.2f} s that every run touching a "
                     "model pays before any work.")
    return Table("Speed: inference latency vs the framework floor", pd.DataFrame(rows), notes)


def features_table(variants: list[Variant], compute: dict[str, dict[str, float]]) -> Table:
    from .talib_only import coverage

    n_cov, n_all, left = coverage()
    rows = []
    for v in variants:
        c = compute.get(v.name)
        if not c:
            continue
        pipe, floor, ingest = (v.median("feature_engineering"), v.median(FLOOR_PIPELINE),
                               v.median("data_ingestion"))
        rows.append({"data": v.name, "rows": c["rows"],
                     "`--pipeline=feature_engineering` s": f"{pipe:.2f}",
                     "minus `--pipeline=data_ingestion` s": f"{pipe - ingest:.2f}",
                     "library, 3 engine sets (in-process) ms": f"{1000 * c['library_s']:.1f}",
                     "TA-Lib alone ms": f"{1000 * c['talib_s']:.2f}",
                     "library / TA-Lib": f"{c['library_s'] / c['talib_s']:.0f}",
                     "pipeline / TA-Lib": f"{pipe / c['talib_s']:.0f}",
                     "floor s": f"{floor:.2f}"})
    notes = [f"TA-Lib alone computes {n_cov} of the {n_all} distinct engine-set features from "
             "TA-Lib primitives and NumPy arithmetic (no pandas, no warm-up dropping); left out "
             "for lack of a primitive: "
             + ", ".join(f"`{n}`" for n in left)
             + ". The library figure is `build_engine_features` for the direction, seller and "
               "buyer sets (all families they need, warm-up dropped, manifest entries). The "
               "pipeline figure also runs ingestion, intraday and universe features and writes "
               "versioned Parquet; most of it is the framework floor."]
    return Table("Speed: feature pipeline vs TA-Lib alone", pd.DataFrame(rows), notes)
