"""Wiring only; the nodes live in nodes.py."""

from kedro.pipeline import Node, Pipeline

from . import nodes


def create_pipeline(universe: bool = True, **kwargs) -> Pipeline:
    """Engine feature sets, the manifest, intraday features and (`universe=False` in serving runs:
    left out) the universe panel."""
    engines = [
        Node(getattr(nodes, f"build_{e}_features"),
             ["market_daily", "us_daily", "params:feature_engineering", "params:decision_time"],
             [f"{e}_features", f"{e}_feature_manifest_entry"], name=f"build_{e}_features")
        for e in ("direction", "seller", "buyer")
    ]
    panel = [Node(nodes.build_universe_features, ["universe_daily", "params:feature_engineering"],
                  "universe_features", name="build_universe_features")] if universe else []
    return Pipeline(engines + panel + [
        Node(nodes.assemble_feature_manifest,
             ["direction_feature_manifest_entry", "seller_feature_manifest_entry",
              "buyer_feature_manifest_entry"],
             "feature_manifest", name="assemble_feature_manifest"),
        Node(nodes.build_intraday_features, "market_intraday", "intraday_features",
             name="build_intraday_features"),
    ])
