"""Wiring only; the nodes live in nodes.py."""

from kedro.pipeline import Node, Pipeline

from aegismatrix.options.ingest import build_option_chain_daily

from . import nodes


def _universe_node(universe: bool) -> Node:
    if universe:
        return Node(nodes.ingest_universe, ["data_ingestion_fetch_log", "params:data_ingestion"],
                    ["universe_daily", "data_ingestion_universe_log",
                     "data_ingestion_universe_findings"],
                    name="ingest_universe")
    return Node(nodes.universe_not_loaded, "params:data_ingestion",
                ["data_ingestion_universe_log", "data_ingestion_universe_findings"],
                name="universe_not_loaded")


def create_pipeline(universe: bool = True, **kwargs) -> Pipeline:
    """Fetch -> validate -> align, plus intraday bars, the optional universe, quality report and
    provenance.

    `universe=False` (serving runs: inference, backfill, scorecard) leaves the universe out: only
    training's pooled models and universe report read it, and serving should not fetch 26 symbols
    every 30 minutes."""
    return Pipeline([
        Node(nodes.fetch_market_data, ["params:data_ingestion", "params:inference"],
             ["raw_market_daily", "raw_market_intraday", "data_ingestion_fetch_log"],
             name="fetch_market_data"),
        Node(nodes.validate_market_data,
             ["raw_market_daily", "data_ingestion_fetch_log", "params:data_ingestion"],
             ["validated_market_daily", "data_ingestion_validation_findings"],
             name="validate_market_data"),
        Node(nodes.align_market_data, ["validated_market_daily", "params:data_ingestion"],
             ["market_daily", "data_ingestion_alignment_findings"], name="align_market_data"),
        Node(nodes.align_us_market_data, ["validated_market_daily", "params:data_ingestion"],
             ["us_daily", "data_ingestion_us_alignment_findings"], name="align_us_market_data"),
        Node(nodes.prepare_market_intraday, "raw_market_intraday", "market_intraday",
             name="prepare_market_intraday"),
        # NSE option files (options_dir; null = off) -> option_chain_daily
        Node(build_option_chain_daily,
             ["market_daily", "params:data_ingestion"],
             ["option_chain_daily", "option_chain_ingestion_report"],
             name="build_option_chain_daily"),
        _universe_node(universe),
        Node(nodes.build_data_quality_report,
             ["data_ingestion_validation_findings", "data_ingestion_alignment_findings",
              "data_ingestion_universe_findings", "data_ingestion_us_alignment_findings"],
             "data_quality_report", name="build_data_quality_report"),
        Node(nodes.build_data_provenance,
             ["data_ingestion_fetch_log", "validated_market_daily", "market_daily",
              "data_ingestion_universe_log", "data_quality_report", "params:data_ingestion"],
             "data_provenance", name="build_data_provenance"),
    ])
