"""The reporting pipeline renders every section from real template outputs, offline, with a no-edge state."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure

from aegismatrix.pipelines.reporting.nodes import signal_history_report
from aegismatrix.pipelines.reporting.pipeline import create_pipeline

NAMESPACES = {"direction": ["direction.toy_up", "direction.noise3"], "seller": ["seller.toy_vol"],
              "buyer": []}
PARAMS = {"title": "Test report", "figure_dpi": 40, "max_table_rows": 50, "top_features": 5,
          "signal_history_days": 300, "volatility_horizon": 21,
          "safe_range": {"target_breach_probability": 0.10, "tenors": [5, 21], "rolling_window": 63}}
SECTIONS = ["Data provenance and quality", "Model comparison", "Model direction.toy_up",
            "Model direction.noise3", "Model seller.toy_vol", "Volatility forecast vs realised",
            "Safe-range backtest", "Seller strategy backtest (weekly expiries)", "Signal history",
            "Track record (served signals vs what happened)"]


class _Kept(MemoryDataset):
    def _release(self) -> None:
        pass


@pytest.fixture(scope="module")
def report_run(model_outputs, market_daily, engine_signals, strategy_backtest):
    pipeline = create_pipeline(namespaces=NAMESPACES)
    inputs = {"market_daily": market_daily, "params:reporting": PARAMS,
              "data_provenance": {"source": "synthetic", "symbols": {"nifty50": {
                  "ticker": "^NSEI", "source": "synthetic", "rows": len(market_daily),
                  "warnings": ["w1", "w2"]}}},
              "data_quality_report": pd.DataFrame({"symbol": ["nifty50"], "check": ["ohlc_consistency"],
                                                   "action": ["repaired"], "n_rows": [2],
                                                   "example_dates": ["2020-01-02"],
                                                   "message": ["high < close"]}),
              "seller_signals": engine_signals["seller_signals"],
              "direction_signals": engine_signals["direction_signals"],
              "seller_strategy_backtest": strategy_backtest[0],
              "seller_strategy_backtest_summary": strategy_backtest[1]}
    for ns, outputs in model_outputs.items():
        inputs.update({f"{ns}.{k}": v for k, v in outputs.items()})
    inputs["scorecard"] = {}  # no scorecard yet: the track-record section says so
    catalog = DataCatalog({k: MemoryDataset(v) for k, v in inputs.items()})
    for name in pipeline.outputs():
        catalog[name] = _Kept()
    SequentialRunner().run(pipeline, catalog)
    return pipeline, {name: catalog[name].load() for name in pipeline.outputs()}


def test_report_renders_every_section(report_run):
    _, out = report_run
    html = out["aegismatrix_report"]
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in html, heading
    for text in ("per fold", "Per calendar year", "Feature importance", "Out-of-sample diagnostics",
                 "Data-quality findings", "ohlc_consistency", "^NSEI"):
        assert text in html, text
    assert html.count("data:image/png;base64,") >= 3 * 3 + 5  # three per model, five shared
    assert "model premiums" in html and "vix_implied" in html and "<h3>Worst weeks</h3>" in html


def test_report_is_self_contained(report_run):
    html = report_run[1]["aegismatrix_report"]
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<script" not in html.lower()  # no scripts at all: it opens offline anywhere


def test_no_edge_state_is_explicit(report_run, model_outputs):
    html = report_run[1]["aegismatrix_report"]
    assert model_outputs["direction.noise3"]["metrics"]["status"] == "no_edge"
    assert model_outputs["direction.toy_up"]["metrics"]["status"] == "edge"
    noise = html.split("<h2>Model direction.noise3</h2>")[1].split("<h2>")[0]
    assert "NO EDGE" in noise and "No edge:" in noise and 'model_source="baseline"' in noise
    planted = html.split("<h2>Model direction.toy_up</h2>")[1].split("<h2>")[0]
    assert "No edge:" not in planted and ">EDGE<" in planted


def test_every_figure_is_a_dataset(report_run):
    pipeline, out = report_run
    figures = [name for name in pipeline.outputs() if name.endswith("_plot")]
    for ns in ("direction.toy_up", "direction.noise3", "seller.toy_vol"):
        for kind in ("diagnostics_plot", "skill_plot", "importance_plot"):
            assert f"{ns}.{kind}" in figures
    assert {"model_comparison_plot", "volatility_forecast_plot", "safe_range_backtest_plot",
            "signal_history_plot", "seller_strategy_backtest_plot"} <= set(figures)
    # rendered once: PNG bytes for file and page
    per_model = [name for name in figures if name.count(".") == 2]
    assert all(out[name].startswith(b"\x89PNG") for name in per_model)
    assert all(isinstance(out[name], Figure) for name in set(figures) - set(per_model))


def test_tables_match_metrics(report_run, model_outputs):
    out = report_run[1]
    table = out["model_comparison_table"].set_index("model")
    for ns, outputs in model_outputs.items():
        metrics = outputs["metrics"]
        assert table.loc[ns, "status"] == metrics["status"]
        assert table.loc[ns, "skill"] == pytest.approx(metrics["overall"]["skill"]["value"])
    backtest = out["safe_range_backtest"]
    assert list(backtest["tenor_days"]) == [5, 21] and backtest["breach_rate"].between(0, 1).all()


def test_pipeline_is_wired_to_stored_outputs_only(report_run):
    pipeline, _ = report_run
    assert "buyer_signals" not in pipeline.inputs()  # an engine without models is not read
    assert ({"direction.toy_up.metrics", "seller.toy_vol.oos_predictions", "seller_signals"}
            <= pipeline.inputs())
    assert {n.namespace for n in pipeline.nodes if n.name.endswith("model_report")} == {
        "direction.toy_up", "direction.noise3", "seller.toy_vol"}


def test_signal_history_without_engines(market_daily):
    fig, section = signal_history_report(market_daily, PARAMS)
    assert isinstance(fig, Figure) and "Not available in this run" in section["html"]


def test_registered_pipeline_builds_from_engine_namespaces():
    from aegismatrix.pipelines.reporting.pipeline import engine_namespaces

    found = engine_namespaces()
    pipeline = create_pipeline()
    for engine, namespaces in found.items():
        for ns in namespaces:
            assert f"{ns}.metrics" in pipeline.inputs()
        assert (f"{engine}_signals" in pipeline.inputs()) == bool(namespaces)
