"""Wiring only: `kedro run --pipeline=backtest --params "backtest.start=...,backtest.end=..."`.

After data_ingestion (the registry runs it first: market data and `options_dir`), the backtest
builds what it trades on from that data alone: the expiry ranges (`build_expiry_ranges`: multipliers
and probabilities from windows closed before each decision date, no fitted model, so nothing to
freeze or refit), the chain's analytics and the market beside the model, the same nodes as the
seller pipeline's. So the window can be any span of the ingested data, after the training data
included, without a backfill first (docs/engines/seller.md)."""

from kedro.pipeline import Node, Pipeline

from aegismatrix.pipelines.seller.pipeline import ranges_and_market_nodes

from .nodes import traded_premium_backtest


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
