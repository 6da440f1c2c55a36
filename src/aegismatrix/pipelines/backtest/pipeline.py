"""Wiring only: `kedro run --pipeline=backtest --params "backtest.start=...,backtest.end=..."`.

After data_ingestion (the registry runs it first: market data and `options_dir`), the backtest
builds what it trades on from that data alone: the expiry ranges (`build_expiry_ranges`: multipliers
and probabilities from windows closed before each decision date, no fitted model, so nothing to
freeze or refit), the chain's analytics and the market beside the model, the same nodes as the
seller pipeline's. So the window can be any span of the ingested data, after the training data
included, without a backfill first (docs/engines/seller.md)."""

from kedro.pipeline import Node, Pipeline

from aegismatrix.pipelines.seller.expiry_ranges import build_expiry_ranges
from aegismatrix.pipelines.seller.options_nodes import market_beside_model, option_chain_surface

from .nodes import traded_premium_backtest


def ranges_and_market_nodes() -> list[Node]:
    """The expiry ranges with the chain's market columns beside them (also wired in the seller
    pipeline)."""
    return [
        Node(
            build_expiry_ranges,
            ["market_daily", "params:seller"],
            ["seller_expiry_ranges_model", "seller_strike_ladder_model"],
            name="expiry_ranges",
        ),
        Node(
            option_chain_surface,
            [
                "option_chain_daily",
                "market_daily",
                "params:seller.option_chain",
                "params:seller.strategy_backtest.rate",
            ],
            ["option_chain_strikes", "option_chain_expiries"],
            name="option_chain_surface",
        ),
        Node(
            market_beside_model,
            ["seller_expiry_ranges_model", "seller_strike_ladder_model", "option_chain_strikes"],
            ["seller_expiry_ranges", "seller_strike_ladder"],
            name="market_beside_model",
        ),
    ]


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            *ranges_and_market_nodes(),
            Node(
                traded_premium_backtest,
                [
                    "seller_expiry_ranges",
                    "option_chain_strikes",
                    "option_chain_expiries",
                    "market_daily",
                    "params:backtest",
                    "params:seller.strategy_backtest",
                    "params:seller.expiry_ranges.strike_step",
                ],
                ["backtest_trades", "backtest_summary"],
                name="traded_premium_backtest",
            ),
        ]
    )
