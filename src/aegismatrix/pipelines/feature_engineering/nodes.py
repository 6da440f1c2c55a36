"""Thin, pure nodes: each delegates to aegismatrix.features and returns frames or plain dicts."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from aegismatrix.features import build_engine_features
from aegismatrix.features.intraday import intraday_features
from aegismatrix.features.universe import build_universe_panel


def build_direction_features(market_daily: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, dict]:
    """Direction engine features and their manifest entry."""
    return build_engine_features(market_daily, "direction", params)


def build_seller_features(market_daily: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, dict]:
    """Seller engine features and their manifest entry."""
    return build_engine_features(market_daily, "seller", params)


def build_buyer_features(market_daily: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, dict]:
    """Buyer engine features and their manifest entry."""
    return build_engine_features(market_daily, "buyer", params)


def build_intraday_features(market_intraday: pd.DataFrame) -> pd.DataFrame:
    """Per-session intraday features; an empty frame with the documented columns when there are no bars."""
    return intraday_features(market_intraday)


def build_universe_features(universe_daily: Mapping, params: dict) -> pd.DataFrame:
    """The universe panel (`date, symbol` + features); empty when the universe has no partitions."""
    return build_universe_panel(universe_daily, params)


def assemble_feature_manifest(direction: dict, seller: dict, buyer: dict) -> dict:
    """The feature manifest: fingerprint, feature names and row count per engine set."""
    return {"direction": direction, "seller": seller, "buyer": buyer}
