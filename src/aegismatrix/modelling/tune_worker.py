"""One Optuna worker for a template instance: fills the same studies `kedro run` would tune, on a
shared storage.

Start one per process or machine (same project, same data, same `--env`), all pointing at one
PostgreSQL:

    python -m aegismatrix.modelling.tune_worker direction.lgbm_h5 --worker 1 \
        --storage postgresql+psycopg://optuna@db-host:5432/optuna --env research

Each worker trains fold by fold with the instance's own template code (`train_fold`), so its trials
join the study the pipeline names `<namespace>/<fold>/<data hash>`; a study that holds
`tuning.n_trials` finished trials stops every worker. A later `kedro run` with the same
`tuning.storage` finds the studies full and only fits the best parameters. The model input must
exist (any earlier run of the pipeline, or `kedro run --nodes=<namespace>.build_model_input`). See
docs/scale_out.md.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.modelling.template import feature_columns
from aegismatrix.modelling.training import data_hash, train_fold
from aegismatrix.modelling.tuning import WORKER_ENV

logger = logging.getLogger(__name__)


def tune_folds(model_input: pd.DataFrame, feature_manifest: dict, params: dict, namespace: str,
               storage: str, folds: list[str] | None = None) -> dict[str, int]:
    """Tune the walk-forward folds (and the frozen fit)
    of one instance on `storage`; {study: trials seen}."""
    cfg = ModelConfig.from_params({**params,
                                   "tuning": {**(params.get("tuning") or {}), "storage": storage}})
    cols = feature_columns(cfg, feature_manifest)
    labelled = np.flatnonzero(model_input["label"].notna().to_numpy())
    # the same study names as the training node (evaluate_and_fit)
    tag = data_hash(model_input, cols, cfg)
    plan = [(f.name, f.train) for f in walk_forward_folds(labelled, horizon=cfg.horizon,
                                                          **cfg.splits)]
    plan.append(("frozen", labelled))
    seen = {}
    for name, train_pos in plan:
        if folds and name not in folds:
            continue
        study = f"{namespace}/{name}/{tag}"
        fitted = train_fold(model_input, cols, train_pos, cfg, study)
        seen[study] = int(fitted.tuning.get("n_trials", 0))
        logger.info("worker %s: study %s holds %d trials", os.environ.get(WORKER_ENV, "0"), study,
                    seen[study])
    return seen


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m aegismatrix.modelling.tune_worker",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("namespace", help="template instance, e.g. direction.lgbm_h5")
    parser.add_argument("--storage", required=True,
                        help="Optuna RDB URL shared by every worker (PostgreSQL)")
    parser.add_argument("--worker", type=int, default=1,
                        help="this worker's number (offsets the sampler seed)")
    parser.add_argument("--env", default=None, help="Kedro environment, e.g. research")
    parser.add_argument("--folds", nargs="*",
                        help="only these folds (fold_1 ... test, frozen); default all")
    parser.add_argument("--project", type=Path, default=Path.cwd(),
                        help="project root (default: here)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    args = _parse(argv)
    os.environ[WORKER_ENV] = str(args.worker)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bootstrap_project(args.project)
    with KedroSession.create(project_path=args.project, env=args.env) as session:
        context = session.load_context()
        engine, model = args.namespace.split(".", 1)
        tune_folds(context.catalog.load(f"{args.namespace}.model_input"),
                   context.catalog.load("feature_manifest"), context.params[engine][model], args.namespace,
                   args.storage, args.folds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
