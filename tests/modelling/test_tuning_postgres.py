"""Optuna workers share one study on a real PostgreSQL server (the `postgres_url` fixture, 127.0.0.1):
two processes fill it to exactly `n_trials` together, and the template's worker pre-fills the studies a
later pipeline run resumes instead of repeating."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import optuna
import pandas as pd
import pytest

from aegismatrix.modelling.tuning import make_storage

# A worker: the project's tune() with an objective that records which process ran each trial.
WORKER = textwrap.dedent("""
    import os, sys, time
    os.environ["AEGISMATRIX_TUNING_WORKER"] = sys.argv[3]
    from aegismatrix.modelling.tuning import make_storage, tune

    def objective(trial):
        x = trial.suggest_float("x", -5.0, 5.0)
        trial.set_user_attr("pid", os.getpid())
        time.sleep(0.1)  # long enough for the two workers to overlap
        return (x - 1.0) ** 2

    tune(objective, sys.argv[2], 12, seed=7, storage=make_storage(sys.argv[1], None))
""")

TEMPLATE_WORKER = textwrap.dedent("""
    import json, os, sys
    import pandas as pd
    os.environ["AEGISMATRIX_TUNING_WORKER"] = "1"
    from aegismatrix.modelling.tune_worker import tune_folds

    folder = sys.argv[2]
    seen = tune_folds(pd.read_parquet(f"{folder}/model_input.parquet"),
                      json.load(open(f"{folder}/manifest.json")), json.load(open(f"{folder}/params.json")),
                      "toy.lgbm", sys.argv[1], ["fold_1"])
    print(json.dumps(seen))
""")


@pytest.fixture
def pg_url(request) -> str:
    try:
        return request.getfixturevalue("postgres_url")
    except pytest.FixtureLookupError:
        pytest.skip("the postgres_url fixture (a real PostgreSQL server, issue 13) is not in "
                    "tests/conftest.py")


def _start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-2000:]
    return out


def test_two_workers_fill_one_study_together(pg_url):
    workers = [_start(WORKER, pg_url, "shared-study", str(k)) for k in (1, 2)]
    for proc in workers:
        _finish(proc)
    study = optuna.load_study(study_name="shared-study", storage=make_storage(pg_url, None))
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert 12 <= len(complete) <= 13  # the study stops both at 12 (one trial may be in flight when it fills)
    pids = {t.user_attrs["pid"] for t in complete}
    assert len(pids) == 2  # both processes ran trials of the one study
    assert len({t.params["x"] for t in complete}) == len(complete)  # per-worker seeds: no duplicate proposals


def _toy(folder) -> None:
    rng = np.random.default_rng(4)
    n = 600
    frame = pd.DataFrame({"date": pd.bdate_range("2016-01-01", periods=n), "signal": rng.normal(size=n),
                          "noise": rng.normal(size=n)})
    frame["label"] = (frame["signal"] + rng.normal(scale=0.8, size=n) > 0).astype(float)
    frame.to_parquet(folder / "model_input.parquet")
    (folder / "manifest.json").write_text(json.dumps({"toy": {"fingerprint": "f",
                                                              "features": ["signal", "noise"]}}))
    params = {"feature_set": "toy", "label": {"name": "toy", "horizon": 1}, "horizon": 1,
              "class_names": ["d", "u"],
              "estimator": {"kind": "lgbm_classifier", "params": {"n_estimators": 20}}, "calibration": "none",
              "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
              "metric": "log_loss", "splits": {"n_folds": 2, "min_train": 200}, "tuning": {"n_trials": 4}}
    (folder / "params.json").write_text(json.dumps(params))


def test_template_worker_prefills_the_study_the_pipeline_resumes(pg_url, tmp_path):
    from aegismatrix.modelling.tune_worker import tune_folds

    _toy(tmp_path)
    seen = json.loads(_finish(_start(TEMPLATE_WORKER, pg_url, str(tmp_path))).strip().splitlines()[-1])
    (study_name, trials), = seen.items()
    assert study_name.startswith("toy.lgbm/fold_1/") and trials == 4
    frame = pd.read_parquet(tmp_path / "model_input.parquet")
    again = tune_folds(frame, json.loads((tmp_path / "manifest.json").read_text()),
                       json.loads((tmp_path / "params.json").read_text()), "toy.lgbm", pg_url, ["fold_1"])
    assert again == seen  # the same study name, already full: no trial repeated
