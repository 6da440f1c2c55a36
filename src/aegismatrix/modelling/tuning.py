"""Optuna tuning inside a training fold: TPE,
median pruning, journal-file (or RDB) storage, resumable.

With an RDB storage (PostgreSQL) several processes or machines share one study: each worker stops
once the study holds `n_trials` finished trials (`python -m aegismatrix.modelling.tune_worker`,
docs/scale_out.md).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optuna

logger = logging.getLogger(__name__)

# Set by each worker sharing a study (tune_worker --worker K): the sampler's seed differs per
# worker, so workers do not all propose the same first trials.
WORKER_ENV = "AEGISMATRIX_TUNING_WORKER"


def make_storage(url: str | None, default_dir: str | Path):
    """An RDB URL (e.g. postgresql://...)
    shares trials across machines; else a journal file on disk."""
    # SQLAlchemy's default driver is psycopg2
    if url and url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url:
        return _rdb_storage(url)
    path = Path(default_dir)
    path.mkdir(parents=True, exist_ok=True)
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path / "studies.journal")))


def _rdb_storage(url: str, attempts: int = 3):
    """Optuna's RDB storage; workers that start together on a fresh database race to create its
    tables, and the losers succeed on a retry once the tables exist."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    for attempt in range(1, attempts + 1):
        try:
            return optuna.storages.RDBStorage(url)
        except SQLAlchemyError:
            if attempt == attempts:
                raise
            logger.info("optuna storage %s: schema being created by another worker, retrying",
                        url.split("@")[-1])
            time.sleep(attempt)


def tune(objective: Callable[[optuna.Trial], float], study_name: str, n_trials: int, seed: int,
         storage=None) -> optuna.Study:
    """Run trials until the study holds `n_trials` finished ones (a rerun resumes, not repeats;
    workers sharing the storage stop together when the study is full)."""
    import optuna  # lazy: training only (a serving run imports this module, ~0.15 s)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                direction="minimize",
                                sampler=optuna.samplers.TPESampler(
                                    seed=seed + 1000 * int(os.environ.get(WORKER_ENV, "0"))),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    remaining = max(0, n_trials - done)
    if remaining:
        full = optuna.study.MaxTrialsCallback(n_trials, states=(optuna.trial.TrialState.COMPLETE,))
        study.optimize(objective, n_trials=remaining, callbacks=[full, _log_progress(n_trials)])
    return study


def _rounded(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _log_progress(n_trials: int):
    import optuna

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        best = (study.best_value if any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
                else None)
        logger.info("%s optuna trial %d/%d %s: value %s, best %s",
                    "/".join(study.study_name.split("/")[:2]),
                    trial.number + 1, n_trials, trial.state.name.lower(), _rounded(trial.value),
                    _rounded(best))

    return callback
