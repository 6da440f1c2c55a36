"""Wiring only: the ledger and the stored market data -> the scorecard."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from . import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """`kedro run --pipeline=scorecard`: reads the ledger and the latest `market_daily`; trains
    nothing."""
    return Pipeline(
        [
            Node(
                nodes.score_ledger,
                ["signal_ledger", "market_daily", "params:scorecard", "params:seller"],
                "scorecard",
                name="score_ledger",
            ),
        ]
    )
