"""Measure a slice of a research run: one template instance's walk-forward (or one fold) at an
environment's settings.

    python -m aegismatrix.benchmarks.research --project PATH --env research direction.lgbm_h5
        [direction.xgb_h5 ...] [--fold test]
        [--set feature_selection.method=correlation_then_importance]
    # a family member no pipeline declares, on a declared twin's model input:
    python -m aegismatrix.benchmarks.research --project PATH --env research direction.bilstm_h1 \
        --input-from direction.xgb_h1

PATH is a project whose data/ already holds the model inputs (any earlier `kedro run` there). Each
instance is evaluated with the template's own `evaluate_walk_forward` in this process, with a fresh
Optuna storage (nothing resumed), and reported as wall and CPU seconds, Optuna trials run, and skill
next to its baseline. `--fold NAME` trains that one fold only (time per fold, to extrapolate runs
too long to finish).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.modelling.template import evaluate_walk_forward, feature_columns
from aegismatrix.modelling.training import train_fold
from aegismatrix.parameters.derive import derive_member


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _with_overrides(params: dict, overrides: list[str]) -> dict:
    """`a.b=value` pairs (JSON values where they parse) set into a copy of the block."""
    out = json.loads(json.dumps(params))
    for item in overrides:
        key, _, raw = item.partition("=")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[leaf] = value
    return out


def measure(model_input, manifest: dict, params: dict, namespace: str, fold: str | None,
            pool_input=None) -> dict:
    """Wall and CPU seconds, trials and skill of one instance (all folds, or the fold named `fold`);
    `pool_input`: the pooled rows of an instance with a `pool:` block (`<ns>.pool_input` of the
    project's last run)."""
    with tempfile.TemporaryDirectory(prefix="research-optuna-") as storage_dir:
        params = {**params, "tuning": {**(params.get("tuning") or {}), "storage_dir": storage_dir,
                                       "storage": None}}
        cfg = ModelConfig.from_params(params)
        wall, cpu = time.perf_counter(), _cpu()
        if fold is None:
            _, metrics = evaluate_walk_forward(model_input, manifest, params, pool_input,
                                               namespace=namespace)
            result = {"skill": metrics["overall"]["skill"],
                      "test_skill": metrics["test"]["skill"]["value"], "status": metrics["status"],
                      "metric": cfg.metric, "n_oos": metrics["overall"]["n"]}
        else:
            labelled = np.flatnonzero(model_input["label"].notna().to_numpy())
            chosen = next(f for f in walk_forward_folds(labelled, horizon=cfg.horizon, **cfg.splits)
                          if f.name == fold)
            fitted = train_fold(model_input, feature_columns(cfg, manifest), chosen.train, cfg,
                                f"{namespace}/{fold}", pool_input)
            result = {"fold": fold, "train_rows": fitted.train_rows,
                      "trials": fitted.tuning.get("n_trials", 0)}
        result.update(wall_s=round(time.perf_counter() - wall, 1), cpu_s=round(_cpu() - cpu, 1),
                      n_folds=cfg.splits["n_folds"], n_trials=cfg.tuning["n_trials"],
                      estimator=cfg.estimator, feature_selection=cfg.feature_selection)
    return result


def main(argv: list[str] | None = None) -> int:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    parser = argparse.ArgumentParser(prog="python -m aegismatrix.benchmarks.research",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("namespaces", nargs="+")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--env", default=None)
    parser.add_argument("--fold", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--input-from", default=None,
                        help="load the model input of this namespace (same features and label), "
                             "for a family "
                        "member that no pipeline declares")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    bootstrap_project(args.project)
    with KedroSession.create(project_path=args.project, env=args.env) as session:
        context = session.load_context()
        manifest = context.catalog.load("feature_manifest")
        for ns in args.namespaces:
            engine, model = ns.split(".", 1)
            params = _with_overrides(derive_member(context.params[engine], model), args.overrides)
            model_input = context.catalog.load(f"{args.input_from or ns}.model_input")
            pool_input = context.catalog.load(f"{ns}.pool_input") if params.get("pool") else None
            result = measure(model_input, manifest, params, ns, args.fold, pool_input)
            print(json.dumps({"namespace": ns, "env": args.env, **result}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
