"""Wiring only: the seller's template instances plus the RangeShield assembly (nodes in nodes.py).

The instances are the model blocks of conf/base/parameters_seller.yml
(aegismatrix/engines/seller.py); the vol forecast's candidates are `seller.vol_candidates` there.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline, node

from aegismatrix.engines import model_namespaces
from aegismatrix.engines import seller as declared
from aegismatrix.engines.structure import engine_section
from aegismatrix.modelling.template import instances_pipeline

from .expiry_calibration import expiry_range_calibration
from .expiry_ranges import build_expiry_ranges
from .nodes import (
    assemble_seller_signals,
    safe_ranges,
    select_volatility_forecast,
    seller_metrics_summary,
)
from .options_nodes import (
    market_beside_model,
    option_chain_analytics,
    option_chain_surface,
    seller_strategy_backtest,
)


def _section(params: dict | None) -> dict:
    return engine_section("seller", params)


def __getattr__(name: str):
    """`MODEL_NAMESPACES` of the current project's parameters (read on each access)."""
    if name == "MODEL_NAMESPACES":
        return model_namespaces("seller", research=False)
    raise AttributeError(name)


def ranges_and_market_nodes() -> list[Node]:
    """The model's expiry ranges and ladder (in memory), the chain's analytics per date and expiry
    (issue 22), and the served seller_expiry_ranges / seller_strike_ladder: the model with the
    market's columns beside it. Also the first steps of the backtest pipeline."""
    return [
        node(build_expiry_ranges, ["market_daily", "params:seller"],
             ["seller_expiry_ranges_model", "seller_strike_ladder_model"], name="expiry_ranges"),
        node(option_chain_surface, ["option_chain_daily", "market_daily",
                                    "params:seller.option_chain",
                                    "params:seller.strategy_backtest.rate"],
             ["option_chain_strikes", "option_chain_expiries"], name="option_chain_surface"),
        node(market_beside_model,
             ["seller_expiry_ranges_model", "seller_strike_ladder_model", "option_chain_strikes"],
             ["seller_expiry_ranges", "seller_strike_ladder"], name="market_beside_model"),
    ]


def _assembly(with_summary: bool) -> Pipeline:
    vol_inputs = {"records": "seller_records", "candidates": "params:seller.vol_candidates"}
    nodes = [
        node(select_volatility_forecast, vol_inputs,
             ["seller_vol_forecast", "seller_vol_selection"],
             name="select_volatility_forecast"),
        node(safe_ranges, ["market_daily", "seller_vol_forecast", "params:seller"],
             "seller_safe_ranges",
             name="safe_ranges"),
        *ranges_and_market_nodes(),
        node(option_chain_analytics,
             ["option_chain_snapshots", "option_chain_expiries", "option_chain_strikes",
              "seller_strike_ladder", "market_daily"],
             ["seller_chain_history", "seller_chain_analytics"], name="option_chain_analytics"),
        node(assemble_seller_signals,
             {"vol_forecast": "seller_vol_forecast", "ranges": "seller_safe_ranges",
              "max_pain_result": "seller_chain_analytics", "records": "seller_records"},
             "seller_signals", name="assemble_seller_signals"),
    ]
    if with_summary:
        # Training only: the weekly backtest is an evaluation over settled expiries, like the
        # metrics; serving runs read the release's version (its summary names the last expiry it
        # covers) instead of repricing ~2,700 option legs every 30 minutes.
        nodes.append(node(seller_strategy_backtest,
                          ["seller_expiry_ranges", "market_daily",
                           "params:seller.strategy_backtest",
                           "params:seller.expiry_ranges", "option_chain_strikes"],
                          ["seller_strategy_backtest", "seller_strategy_backtest_summary"],
                          name="seller_strategy_backtest"))
        nodes.append(node(
            seller_metrics_summary,
            {"selection": "seller_vol_selection", "ranges": "seller_safe_ranges",
             "safe_params": "params:seller.safe_range", "records": "seller_records"},
            "seller_metrics_summary", name="seller_metrics_summary"))
        nodes.append(node(expiry_range_calibration, ["seller_expiry_ranges", "params:seller"],
                          "seller_expiry_range_calibration", name="expiry_range_calibration"))
    return Pipeline(nodes)


def _models(mode: str, section: dict) -> Pipeline:
    return instances_pipeline("seller", declared.instances(section), mode)


def create_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Training: every seller model's walk-forward evaluation and frozen fit, then
    `seller_signals`."""
    return _models("train", _section(params)) + _assembly(with_summary=True)


def create_inference_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Inference: the frozen seller models predict and the same assembly produces
    `seller_signals`."""
    return _models("inference", _section(params)) + _assembly(with_summary=False)
