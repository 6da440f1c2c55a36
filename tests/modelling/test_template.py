"""The shared template: splits purge their label windows, scalers see training rows only, a toy label
trains end to end through a namespaced Kedro pipeline, runs are deterministic, fingerprints are enforced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from aegismatrix.modelling.bundle import FeatureMismatchError
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.preprocessing import Scaler
from aegismatrix.modelling.splits import inner_split, walk_forward_folds
from aegismatrix.modelling.template import build_model_input, model_pipeline, predict_frozen
from aegismatrix.modelling.training import train_fold


def _toy_market(n: int = 900, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A market where the sign of a known feature predicts tomorrow's return: a learnable toy."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    ret = 0.004 * np.sign(np.r_[0.0, signal[:-1]]) + rng.normal(scale=0.004, size=n)
    close = 10000 * np.exp(np.cumsum(ret))
    dates = pd.bdate_range("2015-01-01", periods=n)
    market = pd.DataFrame({"date": dates, "open": close, "high": close * 1.003, "low": close * 0.997,
                           "close": close, "volume": np.nan, "vix_high": 15.0, "vix_low": 15.0,
                           "vix_close": 15.0, "vix_filled": False})
    features = pd.DataFrame({"date": dates, "planted_signal": signal, "noise": rng.normal(size=n)})
    return market, features


TOY_PARAMS = {
    "feature_set": "toy", "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
    "label_bins": [0.5], "class_names": ["below_median", "above_median"], "estimator": {"kind": "logistic"},
    "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
    "metric": "log_loss", "splits": {"n_folds": 3, "min_train": 200}, "tuning": {"n_trials": 2},
    "bootstrap": {"n_boot": 200},
}


def test_folds_purge_label_window_and_embargo():
    positions = np.arange(1000)
    folds = walk_forward_folds(positions, n_folds=4, test_fraction=0.2, min_train=200, horizon=10, embargo=5)
    assert [f.name for f in folds] == ["fold_1", "fold_2", "fold_3", "fold_4", "test"]
    for fold in folds:
        assert fold.train.max() + 10 + 5 < fold.test.min()  # last label window ends before the embargo
        assert fold.train.max() + 10 + 5 + 1 == fold.test.min()
    assert folds[-1].test.min() == 800 and folds[-1].test.max() == 999


def test_folds_on_sparse_labels_purge_in_trading_days():
    positions = np.arange(0, 2000, 7)  # e.g. labels only on breakout days
    folds = walk_forward_folds(positions, n_folds=3, min_train=50, horizon=3, embargo=5)
    for fold in folds:
        assert fold.train.max() < fold.test.min() - 3 - 5


def test_inner_split_is_purged():
    fit, val = inner_split(np.arange(500), horizon=21, embargo=5)
    assert fit.max() + 21 + 5 < val.min()


def test_scaler_sees_training_rows_only(tmp_path):
    market, features = _toy_market()
    features.loc[features.index[-100:], "noise"] = 1e6  # an outlier regime after the training rows
    params = {**TOY_PARAMS, "tuning": {"n_trials": 0, "storage_dir": str(tmp_path)}}
    frame = build_model_input(features, market, params)
    fitted = train_fold(frame, ["planted_signal", "noise"], np.arange(600), ModelConfig.from_params(params),
                        "t")
    expected = Scaler.fit(frame.iloc[:600][["planted_signal", "noise"]])
    np.testing.assert_allclose(fitted.scaler.mean, expected.mean)
    assert abs(fitted.scaler.mean[1]) < 1.0


class _Kept(MemoryDataset):
    """A memory dataset the runner cannot release, so the test can read intermediate outputs."""

    def _release(self) -> None:
        pass


OUTPUTS = ("toy.planted.metrics", "toy.planted.model", "toy.planted.predictions", "toy.planted.model_input")


def _run(tmp_path, market, features):
    params = {**TOY_PARAMS, "tuning": {"n_trials": 2, "storage_dir": str(tmp_path / "optuna")},
              "namespace": "toy.planted"}  # as parameters/derive.py fills it in
    manifest = {"toy": {"fingerprint": "f1", "features": ["planted_signal", "noise"]}}
    catalog = DataCatalog({
        "toy_features": MemoryDataset(features), "market_daily": MemoryDataset(market),
        "feature_manifest": MemoryDataset(manifest),
        "data_provenance": MemoryDataset({"source": "synthetic"}),
        "params:toy.planted": MemoryDataset(params), **{name: _Kept() for name in OUTPUTS},
        "params:selection": MemoryDataset(None),  # None: the original CI rule (modelling/selection.py)
    })
    SequentialRunner().run(model_pipeline("toy.planted", "toy"), catalog)
    return {name: catalog[name].load() for name in OUTPUTS}


def test_template_learns_a_planted_pattern_and_is_deterministic(tmp_path):
    market, features = _toy_market()
    first, second = _run(tmp_path, market, features), _run(tmp_path / "again", market, features)
    metrics = first["toy.planted.metrics"]
    assert metrics["edge"] and metrics["overall"]["model"]["accuracy"] > 0.75
    assert metrics["overall"]["baselines"]["prior"]["accuracy"] < 0.6
    assert metrics["overall"] == second["toy.planted.metrics"]["overall"]
    history = first["toy.planted.predictions"]
    assert len(history) == len(first["toy.planted.model_input"])
    assert set(history["model_source"]) == {"model", "baseline"}  # baseline only before the first test fold
    bundle = first["toy.planted.model"]
    assert bundle["meta"]["feature_fingerprint"] == "f1" and bundle["meta"]["status"] == "edge"


def test_frozen_model_refuses_other_features(tmp_path):
    market, features = _toy_market()
    result = _run(tmp_path, market, features)
    with pytest.raises(FeatureMismatchError, match="fingerprint"):
        predict_frozen(result["toy.planted.model_input"], result["toy.planted.model"],
                       {"toy": {"fingerprint": "other", "features": ["planted_signal", "noise"]}}, TOY_PARAMS)


def test_folds_in_two_processes_give_the_same_predictions_as_one(tmp_path, monkeypatch):
    from aegismatrix.modelling.evaluation import walk_forward
    from aegismatrix.modelling.parallel import workers as fold_workers

    market, features = _toy_market()
    cfg_params = {**TOY_PARAMS,
                  "estimator": {"kind": "xgb_classifier", "params": {"n_estimators": 30, "n_jobs": 1}}}
    frame = features.assign(label=(market["close"].shift(-1) / market["close"] - 1).to_numpy())
    out = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("AEGIS_FOLD_WORKERS", workers)
        assert fold_workers(4) == int(workers)
        params = {**cfg_params, "tuning": {"n_trials": 2, "storage_dir": str(tmp_path / workers)}}
        out[workers] = walk_forward(frame, ["planted_signal", "noise"], ModelConfig.from_params(params),
                                    "toy.par")
    pd.testing.assert_frame_equal(out["1"], out["2"])
    assert out["2"]["fold"].nunique() == 4  # three walk-forward folds and the final test block


def test_the_final_fit_beside_the_folds_gives_the_same_outputs_as_after_them(tmp_path, monkeypatch):
    """The training node (`evaluate_and_fit`, its frozen fit in the folds' batch on 2 workers) equals
    `evaluate_walk_forward` then `fit_frozen_model` in one process."""
    from aegismatrix.modelling.parallel import workers as fold_workers
    from aegismatrix.modelling.template import evaluate_and_fit, evaluate_walk_forward, fit_frozen_model

    market, features = _toy_market()
    params = {**TOY_PARAMS, "namespace": "toy.both",
              "estimator": {"kind": "xgb_classifier", "params": {"n_estimators": 30, "n_jobs": 1}}}
    manifest = {"toy": {"fingerprint": "f1", "features": ["planted_signal", "noise"]}}
    frame = build_model_input(features, market, params)
    out = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("AEGIS_FOLD_WORKERS", workers)
        assert fold_workers(5) == int(workers)  # four fold jobs and the final fit
        run = {**params, "tuning": {"n_trials": 2, "storage_dir": str(tmp_path / workers)}}
        if workers == "1":
            oos, metrics = evaluate_walk_forward(frame, manifest, run)
            model = fit_frozen_model(frame, manifest, metrics, {"source": "synthetic"}, run)
        else:
            oos, metrics, model = evaluate_and_fit(frame, manifest, {"source": "synthetic"}, run)
        out[workers] = oos, metrics, model
    pd.testing.assert_frame_equal(out["1"][0], out["2"][0])
    assert out["1"][1] == out["2"][1]
    timeless = [{k: v for k, v in m["meta"].items() if k not in ("trained_at", "version")}
                for m in (out["1"][2], out["2"][2])]
    assert timeless[0] == timeless[1] and timeless[0]["tuning"]
    assert out["1"][2]["blobs"].keys() == out["2"][2]["blobs"].keys()
    for key, blob in out["1"][2]["blobs"].items():
        assert blob == out["2"][2]["blobs"][key]


def _workers_in_child(queue) -> None:
    from aegismatrix.modelling.parallel import workers

    queue.put(workers(4))


def test_only_a_top_level_process_fans_out(monkeypatch):
    """A ParallelRunner or Dask worker runs its folds in-process (a forked worker starting a pool can
    deadlock)."""
    import multiprocessing

    from aegismatrix.modelling.parallel import workers

    monkeypatch.setenv("AEGIS_FOLD_WORKERS", "2")
    assert workers(4) == 2 and workers(1) == 1
    queue = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(target=_workers_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert queue.get(timeout=5) == 1
