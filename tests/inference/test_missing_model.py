"""A model never trained: the catalog hook loads None, the template serves its baseline, the payload says
so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import DatasetError, Version
from kedro.pipeline import Node, Pipeline

from aegismatrix.datasets import ModelBundleDataset
from aegismatrix.modelling.template import build_model_input, predict_frozen
from aegismatrix.pipelines.inference.hooks import VERSIONS_DATASET, MissingModelHooks

PARAMS = {"feature_set": "toy", "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
          "label_bins": [0.5], "class_names": ["below", "above"], "estimator": {"kind": "logistic"},
          "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
          "metric": "log_loss"}


def _uses(*inputs: str) -> Pipeline:
    return Pipeline([Node(lambda *a: 0, list(inputs), "out", name="consumer")])


def test_hook_loads_none_for_a_model_never_trained_and_a_stub_for_its_metrics(tmp_path):
    catalog = DataCatalog({
        "toy.m.model": ModelBundleDataset(filepath=str(tmp_path / "models" / "m"),
                                          version=Version(None, None)),
        "toy.m.metrics": ModelBundleDataset(filepath=str(tmp_path / "metrics" / "m"),
                                            version=Version(None, None)),
        "params:toy.m": MemoryDataset(PARAMS),
    })
    with pytest.raises(DatasetError):
        catalog.load("toy.m.model")
    MissingModelHooks().before_pipeline_run({"load_versions": {}},
                                            _uses("toy.m.model", "toy.m.metrics", VERSIONS_DATASET), catalog)
    assert catalog.load("toy.m.model") is None
    metrics = catalog.load("toy.m.metrics")
    assert metrics["status"] == "no_edge" and metrics["edge"] is False and metrics["metric"] == "log_loss"
    assert catalog.load(VERSIONS_DATASET) == {"toy.m": None}


def test_hook_reports_versions_and_never_hides_a_pinned_version(tmp_path):
    folder = str(tmp_path / "models" / "m")
    ModelBundleDataset(filepath=folder, version=Version(None, "2026-01-01T00.00.00.000Z")).save(
        {"meta": {"x": 1}, "blobs": {}})
    catalog = DataCatalog({
        "toy.m.model": ModelBundleDataset(filepath=folder, version=Version(None, None)),
        "toy.p.model": ModelBundleDataset(filepath=str(tmp_path / "p"),
                                          version=Version("2025-01-01T00.00.00.000Z", None)),
    })
    MissingModelHooks().before_pipeline_run({"load_versions": {"toy.p.model": "2025-01-01T00.00.00.000Z"}},
                                            _uses("toy.m.model", "toy.p.model", VERSIONS_DATASET), catalog)
    assert catalog.load(VERSIONS_DATASET) == {"toy.m": "2026-01-01T00.00.00.000Z",
                                              "toy.p": "2025-01-01T00.00.00.000Z"}
    assert catalog.load("toy.m.model")["meta"]["x"] == 1
    with pytest.raises(DatasetError):  # a pinned version that does not exist fails loudly
        catalog.load("toy.p.model")


def test_template_serves_the_baseline_for_every_row_when_the_model_is_missing():
    n = 300
    rng = np.random.default_rng(1)
    close = 10000 * np.exp(np.cumsum(rng.normal(scale=0.01, size=n)))
    dates = pd.bdate_range("2021-01-01", periods=n)
    market = pd.DataFrame({"date": dates, "open": close, "high": close * 1.01, "low": close * 0.99,
                           "close": close, "volume": np.nan, "vix_high": 15.0, "vix_low": 15.0,
                           "vix_close": 15.0, "vix_filled": False})
    features = pd.DataFrame({"date": dates, "f": rng.normal(size=n)})
    model_input = build_model_input(features, market, PARAMS)
    served = predict_frozen(model_input, None, {"toy": {"fingerprint": "x", "features": ["f"]}}, PARAMS)
    assert len(served) == n and served["date"].equals(model_input["date"])
    assert set(served["model_source"]) == {"baseline"}
    np.testing.assert_allclose(served[["p_below", "p_above"]].sum(axis=1), 1.0)
    assert abs(served["p_above"].iloc[-1] - 0.5) < 0.05  # median split of the known labels: about even


def test_serving_run_reads_saved_intermediates_back_from_memory(tmp_path):
    from kedro.io import CachedDataset
    from kedro_datasets.pandas import ParquetDataset

    from aegismatrix.pipelines.inference.hooks import ServingMemoryHooks
    from aegismatrix.releases.hooks import _versioned

    config = {"market_daily": {"type": "pandas.ParquetDataset", "filepath": str(tmp_path / "m.parquet"),
                               "versioned": True,
                               "validator": {"class": "aegismatrix.contracts.MarketDaily", "on": ["save"]}}}
    catalog = DataCatalog.from_config(config)
    serving = Pipeline([Node(lambda: 0, None, "market_daily", name="ingest"),
                        Node(lambda m: 0, "market_daily", "toy.m.record", name="serve"),
                        Node(lambda r: 0, "toy.m.record", "signal_ledger", name="record")])
    ServingMemoryHooks().before_pipeline_run({}, serving, catalog)
    cached = catalog.get("market_daily")
    assert (isinstance(cached, CachedDataset)
            and isinstance(_versioned(catalog, "market_daily"), ParquetDataset))
    with pytest.raises(Exception, match="market_daily"):  # the frame contract still runs on save
        catalog.save("market_daily", pd.DataFrame({"date": [1]}))
    frame = pd.DataFrame({"x": [1.0]})
    cached.save(frame)
    assert cached.load().equals(frame) and cached.load() is not frame  # a copy, as Kedro's inferred mode

    training = DataCatalog.from_config(config)
    ServingMemoryHooks().before_pipeline_run({}, serving + Pipeline([Node(lambda: 0, None, "toy.m.model")]),
                                             training)
    assert isinstance(training.get("market_daily"), ParquetDataset)  # a run that trains reads from disk


def test_a_release_naming_a_missing_model_version_fails_instead_of_serving_a_baseline(tmp_path, monkeypatch):
    """Issue 26 defect 5: like --load-versions, a release naming a version not on disk stops the run."""
    from aegismatrix.releases.hooks import ReleaseError, ReleaseHooks
    from aegismatrix.releases.manifest import publish_release

    monkeypatch.chdir(tmp_path)
    version = "2026-01-01T00.00.00.000Z"
    publish_release(version, {"toy.m.model": version}, ["toy"])  # its bundle was deleted afterwards
    catalog = DataCatalog({f"toy.{m}.model": ModelBundleDataset(filepath=str(tmp_path / "models" / m),
                                                                version=Version(None, None)) for m in "mn"})
    pipeline = _uses("toy.m.model", "toy.n.model", VERSIONS_DATASET)
    run_params = {"load_versions": {}, "run_id": "2026-02-01T00.00.00.000Z"}
    ReleaseHooks().before_pipeline_run(run_params, pipeline, catalog)
    with pytest.raises(ReleaseError, match=f"release {version} names toy.m.model version {version}"):
        MissingModelHooks().before_pipeline_run(run_params, pipeline, catalog)


def _trained_bundle(tmp_path, last_date: str) -> ModelBundleDataset:
    folder = str(tmp_path / "models" / "t")
    meta = {"data_provenance": {"symbols": {"nifty50": {"last_date": last_date}}}}
    ModelBundleDataset(filepath=folder, version=Version(None, "2026-01-01T00.00.00.000Z")).save(
        {"meta": meta, "blobs": {}})
    return ModelBundleDataset(filepath=folder, version=Version(None, None))


@pytest.mark.parametrize("start, message", [
    (None, "backfill.start is required"),
    ("01-02-2023", "backfill.start='01-02-2023' is not an ISO date"),
    ("2022-12-30", "backfill.start=2022-12-30 is inside the training data of toy.t"),
])
def test_backfill_start_is_checked_before_the_run(tmp_path, start, message):
    """Issue 26 item 8: a bad or in-sample backfill.start failed only after every engine had run."""
    from aegismatrix.ledger.serve import BackfillRefused

    catalog = DataCatalog({"toy.t.model": _trained_bundle(tmp_path, "2022-12-30"),
                           "params:backfill": MemoryDataset({"start": start, "end": None})})
    with pytest.raises(BackfillRefused, match=message):
        MissingModelHooks().before_pipeline_run({"load_versions": {}},
                                                _uses("toy.t.model", "params:backfill"), catalog)
    catalog["params:backfill"] = MemoryDataset({"start": "2023-01-02", "end": None})
    MissingModelHooks().before_pipeline_run({"load_versions": {}}, _uses("toy.t.model", "params:backfill"),
                                            catalog)


def test_inference_is_offered_the_end_of_the_served_models_training_data(tmp_path):
    from aegismatrix.pipelines.inference.hooks import TRAINING_END_DATASET

    catalog = DataCatalog({"toy.t.model": _trained_bundle(tmp_path, "2022-12-30"),
                           "toy.u.model": ModelBundleDataset(filepath=str(tmp_path / "u"),
                                                             version=Version(None, None))})
    pipeline = _uses("toy.t.model", "toy.u.model", TRAINING_END_DATASET)
    MissingModelHooks().before_pipeline_run({"load_versions": {}}, pipeline, catalog)
    assert catalog.load(TRAINING_END_DATASET) == {"date": "2022-12-30", "namespace": "toy.t"}
