"""Fold workers are not restarted for growing once by a few hundred MB (issue 26, item 9: loky's "A worker
stopped while some jobs were given to the executor")."""

from __future__ import annotations

import time
import warnings

import numpy as np

from aegismatrix.modelling.parallel import parallel_map

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
