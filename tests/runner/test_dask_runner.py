"""Kedro's documented DaskRunner on a dask.distributed LocalCluster (2 worker processes) gives the same
outputs as the SequentialRunner for two independent template instances (a LightGBM and a CatBoost model)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import ParquetDataset

from aegismatrix.datasets.model_bundle import ModelBundleDataset
from aegismatrix.modelling.template import model_pipeline

pytest.importorskip("distributed")

MODELS = {"toy.lgbm": {"kind": "lgbm_classifier", "params": {"n_estimators": 30}},
          "toy.catboost": {"kind": "catboost_classifier", "params": {"iterations": 30}}}


def _inputs(n: int = 700, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    close = 10000 * np.exp(np.cumsum(0.004 * np.sign(np.r_[0.0, signal[:-1]])
                                     + rng.normal(scale=0.004, size=n)))
    dates = pd.bdate_range("2015-01-01", periods=n)
    market = pd.DataFrame({"date": dates, "open": close, "high": close * 1.003, "low": close * 0.997,
                           "close": close, "volume": np.nan, "vix_high": 15.0, "vix_low": 15.0,
                           "vix_close": 15.0, "vix_filled": False})
    features = pd.DataFrame({"date": dates, "planted_signal": signal, "noise": rng.normal(size=n)})
    return {"toy_features": features, "market_daily": market, "data_provenance": {"source": "synthetic"},
            "feature_manifest": {"toy": {"fingerprint": "f1", "features": ["planted_signal", "noise"]}}}


def _params(ns: str, tmp) -> dict:
    return {"feature_set": "toy", "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
            "label_bins": [0.5], "class_names": ["below", "above"], "estimator": MODELS[ns],
            "calibration": "none",
            "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
            "metric": "log_loss", "splits": {"n_folds": 2, "min_train": 200}, "tuning": {"n_trials": 2,
            "storage_dir": str(tmp / "optuna")}, "bootstrap": {"n_boot": 50}, "namespace": ns}


def _catalog(root) -> DataCatalog:
    """Inputs in memory (pickled to the workers), every output on disk where all workers see it."""
    datasets = {name: MemoryDataset(value) for name, value in _inputs().items()}
    datasets["params:selection"] = MemoryDataset(None)  # the original CI rule
    for ns in MODELS:
        datasets[f"params:{ns}"] = MemoryDataset(_params(ns, root))
        for frame in ("model_input", "oos_predictions", "predictions", "shap_importance"):
            datasets[f"{ns}.{frame}"] = ParquetDataset(filepath=str(root / f"{ns}.{frame}.parquet"))
        datasets[f"{ns}.metrics"] = JSONDataset(filepath=str(root / f"{ns}.metrics.json"))
        datasets[f"{ns}.model"] = ModelBundleDataset(filepath=str(root / f"{ns}.model"))
    return DataCatalog(datasets)


def _outputs(root) -> dict:
    out = {}
    for ns in MODELS:
        out[f"{ns}.predictions"] = pd.read_parquet(root / f"{ns}.predictions.parquet")
        out[f"{ns}.shap_importance"] = pd.read_parquet(root / f"{ns}.shap_importance.parquet")
        out[f"{ns}.metrics"] = json.loads((root / f"{ns}.metrics.json").read_text())
        meta = json.loads((root / f"{ns}.model" / "meta.json").read_text())
        # meta_sha256 covers trained_at; CatBoost writes a random model_guid into every .cbm, so its blob
        # checksum differs run to run (its predictions, compared above, do not); LightGBM's text model must
        # match byte for byte
        skip = ("trained_at", "version", "meta_sha256", *(("blob_sha256",) if "catboost" in ns else ()))
        out[f"{ns}.model"] = {k: v for k, v in meta.items() if k not in skip}
    return out


@pytest.mark.e2e
def test_dask_runner_matches_the_sequential_runner(tmp_path):
    from aegismatrix.runner import DaskRunner

    pipeline = model_pipeline("toy.lgbm", "toy") + model_pipeline("toy.catboost", "toy")
    sequential, distributed = tmp_path / "sequential", tmp_path / "dask"
    SequentialRunner().run(pipeline, _catalog(sequential))
    runner = DaskRunner(client_args={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                     "dashboard_address": None})
    try:
        runner.run(pipeline, _catalog(distributed))
    finally:
        runner.close()
    expected, got = _outputs(sequential), _outputs(distributed)
    for name, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[name], value)
        else:
            assert got[name] == value, name
    assert expected["toy.lgbm.metrics"]["edge"]  # a real model ran, not an empty pipeline


def _log(rows: int) -> dict:
    return {"rows": rows}


def _use(frame: pd.DataFrame, log: dict) -> pd.DataFrame:
    return frame.assign(n=log["rows"])


@pytest.mark.e2e
def test_in_memory_intermediates_cross_worker_processes(tmp_path):
    """A node's in-memory output (like the ingestion's fetch log) reaches a node on another worker process."""
    from kedro.pipeline import Node, Pipeline

    from aegismatrix.runner import DaskRunner

    pipeline = Pipeline([Node(_log, "params:rows", "fetch_log", name="produce"),
                         Node(_use, ["frame", "fetch_log"], "out", name="consume")])
    catalog = DataCatalog({"params:rows": MemoryDataset(7),
                           "frame": MemoryDataset(pd.DataFrame({"a": [1, 2]})),
                           "out": ParquetDataset(filepath=str(tmp_path / "out.parquet"))})
    runner = DaskRunner(client_args={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                     "dashboard_address": None})
    try:
        runner.run(pipeline, catalog)
    finally:
        runner.close()
    assert pd.read_parquet(tmp_path / "out.parquet")["n"].tolist() == [7, 7]
