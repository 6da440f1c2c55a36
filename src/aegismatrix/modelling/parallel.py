"""Independent fits on both cores:
one helper for the template's folds and the direction stack's horizons.

`parallel_map(func, jobs)` runs `func(*job)` for each job in up to `workers(len(jobs))` processes
(joblib's loky backend, which keeps its workers between calls) and returns the results in job order.
Each job is a seeded fit on its own rows, so results equal a sequential run
(tests/modelling/test_template.py): each job runs its BLAS on one thread wherever it runs (a
worker, or this process), so its numbers depend on neither. `AEGIS_FOLD_WORKERS` sets the number
(default: the CPU count, at most 2: the target machine). Only a top-level process fans out:
inside any child process (a worker of Kedro's ParallelRunner, of Dask, of a test harness)
everything runs in-process, since a forked worker that starts its own pool can deadlock and the
runner is already using the cores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any


def workers(n_jobs: int) -> int:
    """Processes to use for `n_jobs` independent jobs."""
    wanted = os.environ.get("AEGIS_FOLD_WORKERS")
    count = int(wanted) if wanted else min(2, os.cpu_count() or 1)
    in_child = multiprocessing.parent_process() is not None or multiprocessing.current_process().daemon
    return 1 if in_child else max(1, min(count, n_jobs))


# loky restarts a worker whose memory grew by 300 MB since its first job, taking it for a leak, and
# warns "A worker stopped while some jobs were given to the executor": importing torch and training
# a sequence model grows a fold worker by that much once, and each restart re-imports the whole
# stack in a new process.
WORKER_MEMORY_GROWTH_BYTES = int(3e9)


@lru_cache(maxsize=1)
def _thread_pools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # once per process: finding the loaded libraries takes ~30 ms


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block, wherever it runs: every fit and every prediction, so a
    model's numbers depend on neither the process nor the core count (loky's workers get cores //
    workers threads, this process all cores, and OpenBLAS splits some products across its threads:
    the LSTM's residual variance moved 4e-10, a served BiLSTM probability 4e-8)."""
    with _thread_pools().limit(limits=1, user_api="blas"):
        yield


def _one_thread(func: Callable[..., Any], job: tuple) -> Any:
    with one_blas_thread():
        return func(*job)


def _run_in_worker(func: Callable[..., Any], job: tuple) -> Any:
    from joblib.externals.loky import process_executor

    # private; read per check
    if getattr(process_executor, "_MAX_MEMORY_LEAK_SIZE", None) is not None:
        process_executor._MAX_MEMORY_LEAK_SIZE = max(process_executor._MAX_MEMORY_LEAK_SIZE,
                                                     WORKER_MEMORY_GROWTH_BYTES)
    return _one_thread(func, job)


def parallel_map(func: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:
    """[func(*job) for job in jobs], in up to `workers(len(jobs))` processes."""
    n = workers(len(jobs))
    if n == 1:
        return [_one_thread(func, job) for job in jobs]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n, backend="loky")(delayed(_run_in_worker)(func, job) for job in jobs)
