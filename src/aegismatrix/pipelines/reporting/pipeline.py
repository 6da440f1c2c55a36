"""Wiring only; the nodes live in nodes.py.

The reporting pipeline reads stored outputs (it pulls in no training). Its per-model nodes are built
from each engine's instances (aegismatrix.engines: the model blocks of the parameters) and live
under the model's namespace, so their figures (`<ns>.diagnostics_plot` ...) get versioned storage
from the factories in catalog_08_reporting_figures.yml. An engine whose pipeline exports no models
yet contributes nothing (and its signals are not read).
"""

from __future__ import annotations

import warnings

from kedro.pipeline import Pipeline, node

from aegismatrix.engines import ENGINES, model_namespaces

from . import nodes


def engine_namespaces(params: dict | None = None) -> dict[str, list[str]]:
    """Every engine's served template namespaces (aegismatrix.engines; default: the current
    project's parameters)."""
    return {engine: model_namespaces(engine, params, research=False) for engine in ENGINES}


def _model_pipeline(namespace: str) -> Pipeline:
    return Pipeline(
        [node(nodes.model_report,
              ["metrics", "oos_predictions", "shap_importance", "params:reporting"],
              ["diagnostics_plot", "skill_plot", "importance_plot", "report_section"],
              name="model_report")],
        namespace=namespace, parameters={"params:reporting": "params:reporting"},
    )


def create_pipeline(namespaces: dict[str, list[str]] | None = None, **kwargs) -> Pipeline:
    """Per-model figure nodes, the comparison, market/backtest figures and the HTML report."""
    namespaces = engine_namespaces() if namespaces is None else namespaces
    models = [ns for engine in ENGINES for ns in namespaces.get(engine, [])]
    signals = {f"{engine}_signals": f"{engine}_signals" for engine in ENGINES
               if namespaces.get(engine)}
    seller = {"seller_signals": "seller_signals"} if "seller_signals" in signals else {}
    market = {"market_daily": "market_daily", "params": "params:reporting"}
    # the dotted names are the template instances' namespaced datasets, by design
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="One or more dataset names contain")
        shared = _shared_pipeline(models, signals, seller, market)
    return sum((_model_pipeline(ns) for ns in models), Pipeline([])) + shared


def _backtest_nodes(seller: dict) -> list:
    """The seller strategy backtest section, only when the seller engine is part of the run."""
    if not seller:
        return []
    return [node(nodes.strategy_backtest_report,
                 {"params": "params:reporting", "trades": "seller_strategy_backtest",
                  "summary": "seller_strategy_backtest_summary"},
                 ["seller_strategy_backtest_plot", "report_strategy_backtest_section"],
                 name="strategy_backtest_report")]


def _shared_pipeline(models: list[str], signals: dict, seller: dict, market: dict) -> Pipeline:
    return Pipeline([
        node(nodes.data_report, ["data_provenance", "data_quality_report", "params:reporting"],
             "report_data_section", name="data_report"),
        node(nodes.model_comparison, ["params:reporting", *(f"{ns}.metrics" for ns in models)],
             ["model_comparison_plot", "model_comparison_table", "report_comparison_section"],
             name="model_comparison"),
        node(nodes.volatility_report, {**market, **seller},
             ["volatility_forecast_plot", "report_volatility_section"], name="volatility_report"),
        node(nodes.safe_range_report, {**market, **seller},
             ["safe_range_backtest_plot", "safe_range_backtest", "report_safe_range_section"],
             name="safe_range_report"),
        node(nodes.signal_history_report, {**market, **signals},
             ["signal_history_plot", "report_signal_section"], name="signal_history_report"),
        *_backtest_nodes(seller),
        node(nodes.track_record_report, {"params": "params:reporting", "scorecard": "scorecard"},
             "report_track_record_section", name="track_record_report"),
        node(nodes.collect_sections, [f"{ns}.report_section" for ns in models],
             "report_model_sections", name="collect_model_sections"),
        node(nodes.render_report,
             {"params": "params:reporting", "data_section": "report_data_section",
              "comparison_section": "report_comparison_section",
              "volatility_section": "report_volatility_section",
              "safe_range_section": "report_safe_range_section",
              "signal_section": "report_signal_section",
              "track_record_section": "report_track_record_section",
              "model_sections": "report_model_sections",
              **({"backtest_section": "report_strategy_backtest_section"} if seller else {})},
             "aegismatrix_report", name="render_report"),
    ])
