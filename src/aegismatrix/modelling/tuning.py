"""Optuna tuning inside a training fold: TPE, median pruning, journal-file (or RDB) storage, resumable."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import optuna

logger = logging.getLogger(__name__)


def make_storage(url: str | None, default_dir: str | Path):
    """An RDB URL (e.g. postgresql://...) shares trials across machines; else a journal file on disk."""
    if url:
        return url
    path = Path(default_dir)
    path.mkdir(parents=True, exist_ok=True)
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path / "studies.journal")))


def tune(objective: Callable[[optuna.Trial], float], study_name: str, n_trials: int, seed: int,
         storage=None) -> optuna.Study:
    """Run trials until the study holds `n_trials` finished ones (a rerun resumes, not repeats)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    remaining = max(0, n_trials - done)
    if remaining:
        study.optimize(objective, n_trials=remaining, callbacks=[_log_progress(n_trials)])
    return study


def _log_progress(n_trials: int):
    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        best = study.best_value if any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) else None
        logger.info("optuna %s: trial %d/%d %s value=%s best=%s", study.study_name, trial.number + 1,
                    n_trials, trial.state.name.lower(), trial.value, best)

    return callback
