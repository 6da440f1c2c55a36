"""End to end in a project copy: csv ingestion reads <csv_dir>/intraday/, and the inference pipeline's
intraday_snapshot node (its catalog and parameter wiring) gives the ranges of the instant around the live
spot."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner


@pytest.fixture(scope="module")
def csv_dir(real_data_dir, tmp_path_factory):
    """The real daily and 15-minute files, 2021-06 .. 2022-12 (small and fast)."""
    folder = tmp_path_factory.mktemp("csv")
    (folder / "intraday").mkdir()
    for name in ("nifty50", "indiavix"):
        frame = pd.read_csv(real_data_dir / f"{name}.csv")
        frame[frame["date"] >= "2021-06-01"].to_csv(folder / f"{name}.csv", index=False)
    with gzip.open(real_data_dir / "intraday" / "nifty50_15m.csv.gz", "rt") as handle:
        bars = pd.read_csv(handle)
    bars[bars["date_time"] >= "2021-06-01"].to_csv(folder / "intraday" / "nifty50_15m.csv", index=False)
    return folder


def test_intraday_snapshot_in_a_kedro_run(csv_dir, tmp_path, copy_project_to):
    from aegismatrix.pipeline_registry import register_pipelines
    from aegismatrix.pipelines import data_ingestion

    project = copy_project_to(tmp_path / "project")
    bootstrap_project(project)
    runtime = {"data_ingestion": {"source": "csv", "csv_dir": str(csv_dir), "start": "2021-06-01",
                                  "end": "2022-12-30", "overnight": {}, "universe": None},
               "decision_time": "intraday", "inference": {"decision_at": "2022-12-30T13:00:00+05:30"}}
    snapshot = register_pipelines()["inference"].only_nodes("inference.intraday_snapshot")
    with KedroSession.create(project_path=project, runtime_params=runtime) as session:
        catalog = session.load_context().catalog
        for name in ("seller_intraday_ranges", "seller_intraday_ladder", "intraday_context"):
            catalog[name] = MemoryDataset(copy_mode="assign")
        SequentialRunner().run(data_ingestion.create_pipeline() + Pipeline([snapshot]), catalog)
        ranges, context = catalog.load("seller_intraday_ranges"), catalog.load("intraday_context")
        daily, bars = catalog.load("market_daily"), catalog.load("market_intraday")
    # the file holds all of 2022-12-30; a 13:00 decision sees neither its close nor its later bars
    assert str(daily["date"].max().date()) == "2022-12-29"
    assert bars["timestamp"].max() == pd.Timestamp("2022-12-30 12:45")
    assert context["last_completed_session"] == "2022-12-29" and context["bar_interval"] == "15m"
    assert context["spot"] == pytest.approx(18217.45)  # the 12:45 bar's close in the shared file
    assert len(ranges) == 3 and (ranges["spot"] == context["spot"]).all()
    assert ranges["remaining_sessions"].min() == pytest.approx(4 + 150 / 375)
    assert ((ranges["lower"] + ranges["upper"]) / 2).to_numpy() == pytest.approx(context["spot"])
