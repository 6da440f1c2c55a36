"""Serving runs do not rerun the weekly strategy backtest: they read the release's version, and when the
seller engine was never trained the payload says there is none."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import DatasetError, Version
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pandas import ParquetDataset

from aegismatrix.datasets import AtomicJSONDataset
from aegismatrix.options.payload import strategy_backtest_section
from aegismatrix.pipelines.inference.hooks import MissingModelHooks
from aegismatrix.pipelines.seller import create_inference_pipeline, create_pipeline

BACKTEST = {"seller_strategy_backtest", "seller_strategy_backtest_summary"}


def test_training_computes_the_backtest_and_serving_reads_it():
    from aegismatrix.pipelines.inference.pipeline import create_pipeline as create_serving_pipeline

    assert create_pipeline().all_outputs() >= BACKTEST
    serving = create_inference_pipeline()
    assert not BACKTEST & serving.all_outputs()
    assert "seller_strategy_backtest" not in {node.name for node in serving.nodes}
    payload = next(n for n in create_serving_pipeline().nodes if n.name == "assemble_payload")
    assert set(payload.inputs) >= BACKTEST  # the payload still shows it: the release's version


def test_a_backtest_never_trained_is_served_as_none_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no release of the checkout's own data/ (releases are read from the cwd)
    catalog = DataCatalog({
        "seller_strategy_backtest": ParquetDataset(filepath=str(tmp_path / "b.parquet"),
                                                   version=Version(None, None)),
        "seller_strategy_backtest_summary": AtomicJSONDataset(filepath=str(tmp_path / "s.json"),
                                                              version=Version(None, None)),
        "params:direction": MemoryDataset({}),
    })
    with pytest.raises(DatasetError):
        catalog.load("seller_strategy_backtest_summary")
    consumer = Pipeline([Node(lambda a, b: 0, sorted(BACKTEST), "out", name="payload")])
    MissingModelHooks().before_pipeline_run({"load_versions": {}}, consumer, catalog)
    trades = catalog.load("seller_strategy_backtest")
    summary = catalog.load("seller_strategy_backtest_summary")
    assert trades is None and summary is None
    reason = strategy_backtest_section(trades, summary)["reason"]
    assert reason == "no strategy backtest computed (seller engine not run)"
