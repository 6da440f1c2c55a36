"""Issue 22's done-when on real data, small: `kedro run --pipeline=backtest` over December 2021 with
that month's NSE files in options_dir builds its ranges and chain from the ingested data (no
training run, no backfill first) and prices every range strangle decided on a chain day at traded
settlement prices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

pytestmark = [pytest.mark.e2e, pytest.mark.real_data]


def _latest(path: Path) -> Path:
    return sorted(p / path.name for p in path.iterdir() if not p.name.startswith("."))[-1]


def test_backtest_pipeline_over_a_window_prices_at_traded_premiums(
    tmp_path, copy_project_to, real_data_dir
):
    project = copy_project_to(tmp_path / "project")
    options = tmp_path / "options"
    options.mkdir()
    for path in (real_data_dir / "options" / "nse_contract_wise").glob(
        "*02-Dec-2021_TO_31-Dec-2021*"
    ):
        shutil.copy(path, options / path.name)
    params = {
        "data_ingestion": {
            "source": "csv",
            "csv_dir": str(real_data_dir),
            "start": "2016-01-01",
            "end": "2022-01-31",
            "options_dir": str(options),
        },
        "backtest": {"start": "2021-12-01", "end": "2021-12-31"},
    }
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        session.run(pipeline_names=["backtest"])
    trades = pd.read_parquet(_latest(project / "data/08_reporting/backtest_trades.parquet"))
    summary = json.loads(_latest(project / "data/08_reporting/backtest_summary.json").read_text())
    strangles = trades[
        (trades["strike_source"] == "range") & (trades["strategy"] == "short_strangle")
    ]
    assert set(strangles["expiry_kind"]) == {"weekly", "monthly"} and len(strangles) >= 4
    assert strangles["decision_date"].between("2021-12-01", "2021-12-31").all()
    # the files start on 2021-12-02: the 12-01 entries have no chain and fall back to the model
    chained = strangles["decision_date"] >= pd.Timestamp("2021-12-02")
    expected = chained.map({True: "traded", False: "model"})
    assert (strangles["premium_source"] == expected).all() and chained.sum() >= 6
    measures = summary["measures"]
    assert {row["expiry_kind"] for row in measures["range_calibration"]} == {"weekly", "monthly"}
    assert measures["premiums_side_by_side"] and measures["parity_forward_error"]
    cache = project / "data/01_raw/option_files_cache"
    assert len(list(cache.glob("*.parquet"))) == 2  # the parsed-file cache of the two files
