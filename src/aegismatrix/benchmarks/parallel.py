"""Parallelism: ParallelRunner and DaskRunner vs SequentialRunner, Optuna workers sharing one
storage, OpenMP waiting."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pandas as pd

from .common import RunResult, Table, TempProject, first_error_line, kedro_env, median, needs_universe_seed

log = logging.getLogger(__name__)


DASK_RUNNER = "aegismatrix.runner.DaskRunner"  # a dask.distributed LocalCluster (docs/scale_out.md)


def runner_comparison(project: TempProject, pipeline: str, params: str, repeats: int,
                      sequential: list[float] | None = None) -> Table:
    """The same `kedro run --pipeline=<p>` with SequentialRunner, ParallelRunner and the DaskRunner,
    interleaved.

    `sequential`: SequentialRunner times already measured in this run (the speed section), reused,
    not rerun.
    """
    walls: dict[str, list[float]] = {"SequentialRunner": list(sequential or []),
                                     "ParallelRunner": [],
                                     DASK_RUNNER: []}
    errors: dict[str, str] = {}
    for _ in range(repeats):
        for runner in walls:
            if runner in errors or (sequential and runner == "SequentialRunner"):
                continue
            args = [f"--pipeline={pipeline}", f"--runner={runner}", "--params", params]
            result: RunResult = project.kedro(args)
            if needs_universe_seed(result):
                project.seed_empty_universe()
                result = project.kedro(args)
            if result.ok:
                walls[runner].append(result.wall_s)
            else:
                errors[runner] = first_error_line(result.tail)
    seq = median(walls["SequentialRunner"])
    rows = [{"pipeline": f"`{pipeline}`", "runner": r,
             "median s": f"{median(w):.2f}" if w else "-", "runs": len(w),
             "vs Sequential": f"{median(w) / seq:.2f}" if w and seq == seq else "-",
             "result": "ok" if r not in errors else f"failed: {errors[r]}"}
            for r, w in walls.items()]
    notes = [f"`kedro run --pipeline={pipeline} --runner=<runner>` in the temp project, process "
             "wall time, runners interleaved"
             + (" (SequentialRunner times reused from the speed section of this run)"
                if sequential else "")
             + ". ParallelRunner runs nodes in worker processes (2 cores here) and must pickle "
               "node functions and in-memory datasets; the DaskRunner submits every node as a "
               "task to a dask.distributed LocalCluster (its start-up included); a failure is "
               "reported as it happened."]
    return Table("Parallelism: Kedro runners", pd.DataFrame(rows), notes)


def _objective_data(years: float):
    from aegismatrix.features import build_engine_features
    from aegismatrix.labels import build_label
    from aegismatrix.market.synthetic import synthetic_market_daily

    market = synthetic_market_daily(years=years, seed=7)
    feats, _ = build_engine_features(market, "seller")
    label = market[["date"]].assign(label=build_label(market, "implied_move_touch",
                                                      horizon=5).to_numpy())
    frame = feats.merge(label, on="date").dropna(subset=["label"]).reset_index(drop=True)
    X = frame.drop(columns=["date", "label"]).to_numpy(dtype="float32")
    y = frame["label"].to_numpy(dtype=int)
    cut = int(len(frame) * 0.75)
    # purge the 5-day label window (+ embargo) before validation
    return X[:cut - 10], y[:cut - 10], X[cut:], y[cut:]


def optuna_worker(storage_dir: str, study_name: str, n_trials: int, years: float,
                  seed: int) -> dict:
    """Run trials of the project's XGBoost search space until the shared study holds `n_trials`
    finished ones."""
    import warnings

    warnings.simplefilter("ignore")
    import numpy as np
    import optuna
    import xgboost as xgb

    from aegismatrix.modelling.tuning import make_storage
    from aegismatrix.models.gradient_boosting import _xgb_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X_fit, y_fit, X_val, y_val = _objective_data(years)

    def objective(trial) -> float:
        model = xgb.XGBClassifier(**_xgb_space(trial), n_jobs=1, tree_method="hist", verbosity=0,
                                  random_state=7)
        model.fit(X_fit, y_fit)
        p = np.clip(model.predict_proba(X_val)[:, 1], 1e-6, 1 - 1e-6)
        return float(-np.mean(y_val * np.log(p) + (1 - y_val) * np.log(1 - p)))

    storage = make_storage(None, storage_dir)
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    start = time.perf_counter()
    mine = 0

    def count(study, trial) -> None:
        nonlocal mine
        mine += 1

    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(n_trials, states=finished),
                                         count])
    return {"trials_run": mine, "optimize_s": time.perf_counter() - start}


def _spawn(storage_dir: str, study: str, n_trials: int, years: float,
           seed: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "aegismatrix.benchmarks.parallel", "--optuna-worker",
           "--storage-dir", storage_dir, "--study", study, "--n-trials", str(n_trials), "--years",
           str(years), "--seed", str(seed)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=kedro_env())


def _study_counts(storage_dir: str, study: str) -> tuple[int, int]:
    import optuna

    from aegismatrix.modelling.tuning import make_storage

    s = optuna.load_study(study_name=study, storage=make_storage(None, storage_dir))
    states = [t.state for t in s.trials]
    return len(states), sum(st == optuna.trial.TrialState.COMPLETE for st in states)


def optuna_comparison(n_trials: int, years: float, timeout: float = 600) -> Table:
    """N trials from one worker process vs two worker processes sharing one JournalStorage file."""
    rows = []
    for n_workers in (1, 2):
        storage_dir = tempfile.mkdtemp(prefix="aegis_bench_optuna_")
        study = f"bench_{n_workers}w"
        start = time.perf_counter()
        procs = [_spawn(storage_dir, study, n_trials, years, seed=7 + i) for i in range(n_workers)]
        outs, error = [], ""
        for p in procs:
            try:
                out, err = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                error = f"timed out after {timeout:.0f} s"
            if p.returncode == 0 and out.strip():
                outs.append(json.loads(out.strip().splitlines()[-1]))
            elif not error:
                error = (err.strip().splitlines() or ["failed"])[-1][:160]
        wall = time.perf_counter() - start
        total, complete = _study_counts(storage_dir, study) if not error else (0, 0)
        shutil.rmtree(storage_dir, ignore_errors=True)
        optimize = max((o["optimize_s"] for o in outs), default=float("nan"))
        rows.append({"workers": n_workers, "wall s (processes)": f"{wall:.2f}",
                     "optimize s (slowest "
                     "worker)": f"{optimize:.2f}" if optimize == optimize else "-",
                     "trials per worker": ", ".join(str(o["trials_run"]) for o in outs) or "-",
                     "trials in storage": total, "complete": complete,
                     "trials / s": f"{complete / wall:.2f}" if complete else "-", "note": error})
    if all(r["note"] == "" for r in rows):
        speedup = float(rows[0]["wall s (processes)"]) / float(rows[1]["wall s (processes)"])
        rows[1]["note"] = f"speed-up {speedup:.2f}x vs one worker"
    notes = [f"Optuna study of {n_trials} trials of the project's XGBoost search space "
             "(`models.gradient_boosting`), seller features / 5-day implied-move-touch label on "
             f"{years:g} years of synthetic data, XGBoost with one thread per trial, storage from "
             "`modelling.tuning.make_storage` (JournalStorage file); the workers stop when the "
             "shared study holds the target number of finished trials (`MaxTrialsCallback`), so a "
             "few extra trials may be in flight. Wall time includes process start-up and data "
             "preparation."]
    return Table("Parallelism: Optuna workers sharing one study", pd.DataFrame(rows), notes)


_XGB_FIT = """
import time, numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.random((ROWS, 100), dtype=np.float32); y = (rng.random(ROWS) > 0.5).astype(int)
start = time.perf_counter()
xgb.XGBClassifier(n_estimators=TREES, max_depth=3, n_jobs=2, tree_method="hist", verbosity=0).fit(X, y)
print(time.perf_counter() - start)
"""


def openmp_comparison(rows: int, trees: int, timeout: float) -> Table:
    """XGBoost with 2 threads under the default OpenMP wait policy vs OMP_WAIT_POLICY=PASSIVE."""
    out = []
    code = _XGB_FIT.replace("ROWS", str(rows)).replace("TREES", str(trees))
    for policy in ("default (unset)", "PASSIVE"):
        env = kedro_env()
        env.pop("OMP_WAIT_POLICY", None)
        if policy == "PASSIVE":
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  text=True, env=env, timeout=timeout)
            fit = float(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else float("nan")
            note = "" if proc.returncode == 0 else proc.stderr.strip()[-160:]
        except subprocess.TimeoutExpired:
            fit, note = float("nan"), f"timed out after {timeout:.0f} s"
        out.append({"OMP_WAIT_POLICY": policy, "fit s": f"{fit:.2f}" if fit == fit else "-",
                    "note": note})
    load = f"{os.getloadavg()[0]:.2f}"
    notes = [f"XGBoost `hist`, n_jobs=2 (the project's default), {rows} rows x 100 features, "
             f"{trees} trees, load average {load} when measured. OpenMP threads that spin-wait "
             "fight other processes for the 2 cores; when the machine is busy this costs 10-20x. "
             "The benchmark's subprocesses run with OMP_WAIT_POLICY=PASSIVE unless the caller's "
             "environment sets it."]
    return Table("Parallelism: OpenMP wait policy (XGBoost, 2 threads)", pd.DataFrame(out), notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--optuna-worker", action="store_true", required=True)
    parser.add_argument("--storage-dir", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--n-trials", type=int, required=True)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    print(json.dumps(optuna_worker(args.storage_dir, args.study, args.n_trials, args.years,
                                   args.seed)))


if __name__ == "__main__":
    main()
