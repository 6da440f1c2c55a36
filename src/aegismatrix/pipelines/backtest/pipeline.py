"""Wiring only: `kedro run --pipeline=backtest --params "backtest.start=...,backtest.end=..."`.

Reads the latest stored outputs of a training, backfill or inference run (seller_expiry_ranges with
its market columns: ranges whose multipliers and probabilities use only windows closed before each
decision date; option_chain_strikes; option_chain_expiries; market_daily), like the reporting
pipeline: nothing is refitted, so the window can be any part of the history those runs covered
(docs/engines/seller.md)."""

from kedro.pipeline import Node, Pipeline

from .nodes import traded_premium_backtest


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
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
