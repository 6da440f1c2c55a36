"""Fold workers are not restarted for growing once by a few hundred MB (issue 26, item 9: loky's "A worker
stopped while some jobs were given to the executor"); fits and predictions run their BLAS on one thread
wherever they run."""

from __future__ import annotations

import time
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd

from aegismatrix.modelling.parallel import parallel_map
from aegismatrix.modelling.training import predict_rows

_KEPT: list = []


def _grow(megabytes: int) -> int:
    """Keep `megabytes` of touched memory in this worker (like importing torch and training a network)."""
    _KEPT.append(np.ones(megabytes * 131_072))  # 8-byte floats, pages written
    time.sleep(1.2)  # loky looks at a worker's memory at most once a second
    return megabytes


def test_a_worker_that_grows_once_is_kept(monkeypatch):
    monkeypatch.setenv("AEGIS_FOLD_WORKERS", "2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert parallel_map(_grow, [(1,), (1,)]) == [1, 1]  # loky's reference size: after a first job
        assert parallel_map(_grow, [(400,), (400,), (1,), (1,), (1,), (1,)]) == [400, 400, 1, 1, 1, 1]
    stopped = [str(w.message) for w in caught if "A worker stopped" in str(w.message)]
    assert not stopped, stopped


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_a_prediction_runs_its_blas_on_one_thread_as_its_fit_did():
    """Serving predicts in the main process, whose BLAS has every core; the folds and the frozen fit
    ran on one thread (a served BiLSTM probability moved 4e-8 between the two)."""
    from threadpoolctl import threadpool_limits

    seen = []

    class Probe:
        def predict(self, X):
            seen.append(_blas_threads())
            return np.zeros((len(X), 3))

    fitted = SimpleNamespace(estimator=Probe(), features=["a"], scaler=None, target_scale=None,
                             calibrator=None)
    frame = pd.DataFrame({"a": np.arange(5.0)})
    with threadpool_limits(limits=2, user_api="blas"):
        assert predict_rows(fitted, frame, ["a"], np.arange(5)).shape == (5, 3)
        assert _blas_threads() == {2}  # restored after the prediction
    assert seen == [{1}]
