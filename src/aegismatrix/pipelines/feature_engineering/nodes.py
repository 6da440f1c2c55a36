"""Thin, pure nodes: each delegates to aegismatrix.features and returns frames or plain dicts."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from aegismatrix.features import build_engine_features
from aegismatrix.features.intraday import intraday_features
from aegismatrix.features.universe import build_universe_panel
from aegismatrix.market.intraday_bars import daily_decision_time
from aegismatrix.market.overnight import check_decision_time, with_us_sessions


def _engine_features(market_daily: pd.DataFrame, us_daily: pd.DataFrame, engine: str, params: dict,
                     decision_time: str) -> tuple[pd.DataFrame, dict]:
    """Engine features on market_daily plus the US session each row may see at `decision_time`."""
    # intraday: the last completed session's features
    decision_time = daily_decision_time(decision_time)
    daily = with_us_sessions(market_daily, us_daily, check_decision_time(decision_time))
    return build_engine_features(daily, engine, {**(params or {}), "decision_time": decision_time})


def build_direction_features(market_daily: pd.DataFrame, us_daily: pd.DataFrame, params: dict,
                        decision_time: str) -> tuple[pd.DataFrame, dict]:
    """Direction engine features and their manifest entry."""
    return _engine_features(market_daily, us_daily, "direction", params, decision_time)


def build_seller_features(market_daily: pd.DataFrame, us_daily: pd.DataFrame, params: dict,
                        decision_time: str) -> tuple[pd.DataFrame, dict]:
    """Seller engine features and their manifest entry."""
    return _engine_features(market_daily, us_daily, "seller", params, decision_time)


def build_buyer_features(market_daily: pd.DataFrame, us_daily: pd.DataFrame, params: dict,
                        decision_time: str) -> tuple[pd.DataFrame, dict]:
    """Buyer engine features and their manifest entry."""
    return _engine_features(market_daily, us_daily, "buyer", params, decision_time)


def build_intraday_features(market_intraday: pd.DataFrame) -> pd.DataFrame:
    """Per-session intraday features; an empty frame with the documented columns when there are no
    bars."""
    return intraday_features(market_intraday)


def build_universe_features(universe_daily: Mapping, params: dict) -> pd.DataFrame:
    """The universe panel (`date, symbol` + features); empty when the universe has no partitions."""
    return build_universe_panel(universe_daily, params)


def assemble_feature_manifest(direction: dict, seller: dict, buyer: dict) -> dict:
    """The feature manifest: fingerprint, feature names and row count per engine set."""
    return {"direction": direction, "seller": seller, "buyer": buyer}
